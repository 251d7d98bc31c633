"""``python -m microdiff graph "EXPR" --at x=1.5 -o out/f.svg``: draw an expression's graph and gradients.

The expression is never run as Python. It is parsed with :mod:`ast` and every node of the tree is
checked against a small grammar first: numbers, variable names, ``+ - * / **``, unary ``-`` and ``+``,
and calls of a few functions with one argument. Only then is it evaluated, by building ``Value`` nodes
with microdiff's own operations. Anything else is one clear line on stderr and exit status 1, with a
hint for the usual slips: the closest allowed function for an unknown one (``sin`` → ``sigmoid``), ``**``
for ``^``, ``2*x`` for ``2x``, and every variable without a value named at once.

``dot`` needs far longer for some graphs than their size suggests, so the command refuses graphs of
more than :data:`MAX_NODES` nodes (:data:`MAX_NODES_WITH_STEPS` with ``--steps``, which draws one
picture per step) unless ``--max-nodes`` allows more. Everything is drawn in memory first; then the
output folders are made (or refused), and only then is any file written, each one atomically.

The command follows the convention of every command (:mod:`microdiff.apps.cli`): ``-o`` is a folder
(default ``out/``, where the picture is ``graph.svg``) or the picture's file; the expression may begin
with ``-``; a variable given a value with ``--at`` must be in the expression.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import math
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from microdiff.apps import cli
from microdiff.drawing.draw import draw
from microdiff.drawing.runner import DotNotFound, DrawingError
from microdiff.drawing.stepper import Stepper
from microdiff.engine.arithmetic import OPERATIONS
from microdiff.engine.ops import required_arguments
from microdiff.engine.value import Constant, Value, topological_order
from microdiff.files import write_atomically

MAX_LENGTH = 10_000
# dot's layout time grows steeply with a graph's size: a sum of 40 products (83 nodes) takes it under a
# second, a sum of 60 (121 nodes) from half a minute to minutes. --steps draws one picture per step.
MAX_NODES = 100
MAX_NODES_WITH_STEPS = 40
FORMATS = ("svg", "png", "dot")
#: Python's operator for each operation of two inputs (``-x`` is ``neg``; ``+x`` is x itself).
BINARY_NAMES: dict[type, str] = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
#: Each operation of two inputs, by its operator: the engine's own functions (microdiff.engine.arithmetic).
BINARY: dict[type, Callable[[Value, Value], Value]] = {kind: OPERATIONS[name] for kind, name in BINARY_NAMES.items()}
#: The functions an expression may call: every operation of one input that has no operator of its own.
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    name: function for name, function in OPERATIONS.items() if required_arguments(function) == 1 and name != "neg"
}
GRAMMAR = "numbers, variables, + - * / **, and calls of " + ", ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """An expression outside the grammar, or one with a variable that has no value."""


def add_parser(subparsers: Any) -> None:
    """Register ``graph`` with the ``python -m microdiff`` command line."""
    parser = cli.add_command(
        subparsers,
        "graph",
        run,
        help="draw an expression's graph with its gradients",
        description="Evaluate an expression at the values given with --at, differentiate it, and draw its graph "
        "with every value and gradient. The expression may begin with -, as in -x**2.",
    )
    parser.add_text_argument("expression", "EXPR", f'e.g. "3*x**2 + x*y"; allowed: {GRAMMAR}', _binding_hint)
    parser.add_argument("--at", action="append", default=[], metavar="NAME=NUMBER", help="a variable's value")
    cli.add_out(parser, "the folder for graph.svg, or the picture's file (.svg, .png or .dot)")
    parser.add_argument("--format", choices=FORMATS, help="svg, png or dot (default: from the -o suffix, else svg)")
    parser.add_argument("--steps", metavar="PATH", help="also write the backward steps: a .html page or a folder")
    parser.add_argument("--digits", type=int, default=4, help="significant digits shown (default 4)")
    parser.add_argument("--top-down", action="store_true", help="draw top to bottom instead of left to right")
    parser.add_argument("--edge-derivatives", action="store_true", help="write local derivatives on the edges")
    parser.add_argument(
        "--max-nodes",
        type=int,
        metavar="N",
        help=f"refuse graphs of more than N nodes (default {MAX_NODES}, or {MAX_NODES_WITH_STEPS} with --steps)",
    )


def _binding_hint(extra: str) -> str:
    """What to do with a second expression: usually a variable's value written without --at."""
    name, equals, _ = extra.partition("=")
    if equals and name.strip().isidentifier():
        return f"give a variable's value with --at, as in --at {extra.strip()}"
    return "put an expression with spaces in quotes"


def run(args: argparse.Namespace) -> int:
    """Evaluate, differentiate, draw, write; any expected failure is one line on stderr and exit status 1
    (a :class:`~microdiff.apps.cli.CommandError` or a file that cannot be written: said by :func:`cli.main`).

    Everything is drawn before anything is written, and the output folders are made first: a failure
    leaves no file behind.
    """
    try:
        if not 1 <= args.digits <= 17:
            raise ValueError(f"--digits must be between 1 and 17, not {args.digits}")
        picture = cli.output_file("--out", args.out, f"graph.{args.format or 'svg'}")
        fmt = output_format(str(picture), args.format)
        steps = steps_path(args.steps) if args.steps else None
        variables = parse_bindings(args.at)
        root = evaluate(args.expression, variables)
        root.label = root.label or "f"
        check_size(root, args.max_nodes, bool(args.steps))
        root.backward()
        options = {"digits": args.digits, "rankdir": "TB" if args.top_down else "LR"}
        graph = draw(root, edge_derivatives=args.edge_derivatives, **options)
        files: dict[Path, str | bytes] = {picture: graph.source if fmt == "dot" else graph.pipe(format=fmt)}
        if steps:
            files |= Stepper(root, **options).contents(steps)
        folders: dict[Path, str] = {}
        for path in files:
            folders.setdefault(path.parent, f"--out {args.out!r}" if path == picture else f"--steps {args.steps!r}")
        cli.make_folders(folders)
        written = [write_atomically(path, content) for path, content in files.items()]
    except DotNotFound as error:
        return _fail(f"{error}; --format dot writes the DOT text without it")
    except (ValueError, ArithmeticError, DrawingError) as error:
        return _fail(str(error))
    grads = ", ".join(f"d/d{name} = {value.grad:.6g}" for name, value in variables.items())
    print(f"{args.expression} = {root.data:.6g}" + (f"; {grads}" if grads else ""))
    for path in written:
        print(f"wrote {path}")
    return 0


def _fail(message: str) -> int:
    return cli.fail("graph", message)


def check_size(root: Value, max_nodes: int | None, steps: bool) -> None:
    """Refuse a graph too large to draw in reasonable time, saying the limit and how to raise it."""
    limit = max_nodes if max_nodes is not None else MAX_NODES_WITH_STEPS if steps else MAX_NODES
    if limit < 1:
        raise ValueError(f"--max-nodes must be at least 1, not {limit}")
    size = len(topological_order(root))
    if size > limit:
        what = "--steps (one picture per step)" if steps else "a picture"
        raise ValueError(
            f"the graph has {size:,} nodes, more than the limit of {limit:,} for {what}: "
            f"raise it with --max-nodes {size} (dot may then take long)"
        )


def steps_path(path: str) -> Path:
    """Where ``--steps`` writes: a page for a ``.html`` name, else a folder of pictures (a name without a
    suffix, one ending in ``/``, or a folder that exists); any other suffix is refused, not made a folder."""
    given = Path(path)
    if given.suffix.lower() in (".html", ".htm") or cli.names_a_folder(path):
        return given
    raise cli.CommandError(
        f"--steps {path!r}: give a .html page, or a folder for one picture per step (a name without a suffix, "
        f"or ending in /)"
    )


def output_format(output: str, fmt: str | None) -> str:
    """The format asked for, else the one the output's suffix names."""
    if fmt:
        return fmt
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format from {output!r}: give -o a .svg, .png or .dot name, or --format")
    return suffix


def parse_bindings(bindings: list[str]) -> dict[str, Value]:
    """``["x=1.5", "y=-0.5"]`` → a labelled leaf ``Value`` per variable (each variable once)."""
    variables: dict[str, Value] = {}
    for binding in bindings:
        name, equals, number = binding.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise ExpressionError(f"--at needs NAME=NUMBER, as in --at x=1.5, not {binding!r}")
        if name in variables:
            raise ExpressionError(f"--at {binding!r}: {name} already has a value, {variables[name].data:g}")
        try:
            value = float(number)
        except ValueError:
            raise ExpressionError(f"--at {binding!r}: {number.strip()!r} is not a number") from None
        if not math.isfinite(value):
            raise ExpressionError(f"--at {binding!r}: the value must be a finite number")
        variables[name] = Value(value, label=name)
    return variables


def evaluate(text: str, variables: dict[str, Value]) -> Value:
    """The graph of ``text`` at the given variables, after checking all of it against the grammar."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression has {len(text):,} characters; the limit is {MAX_LENGTH:,}")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        where = f" at column {error.offset}" if error.offset else ""
        raise ExpressionError(f"syntax error{where}: {error.msg}{_syntax_hint(text)}") from None
    except ValueError as error:  # e.g. a null byte, or text that is not valid Unicode
        raise ExpressionError(f"the expression cannot be parsed: {error}") from None
    except (MemoryError, RecursionError):
        raise ExpressionError("the expression is nested too deeply") from None
    check(tree.body, variables)
    root = _build(tree.body, variables)
    used = {node for node in topological_order(root) if not node.parents}
    unused = [name for name, value in variables.items() if value not in used]
    if unused:
        names = ", ".join(map(repr, unused))
        given = " ".join(f"--at {name}={variables[name].data:g}" for name in unused)
        raise ExpressionError(f"the expression has no variable{'s' * (len(unused) > 1)} {names}: remove {given}")
    return root


def check(tree: ast.expr, variables: dict[str, Value]) -> None:
    """Raise :class:`ExpressionError` at the first node outside the grammar, else for every variable
    without a value at once (an explicit stack: no recursion)."""
    missing: dict[str, None] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name) and node.id not in variables:
            missing[node.id] = None
        stack.extend(reversed(_operands(node)))
    if len(missing) == 1:
        (name,) = missing
        raise ExpressionError(f"the variable {name!r} has no value: add --at {name}=NUMBER")
    if missing:
        names = ", ".join(repr(name) for name in missing)
        raise ExpressionError(
            f"the variables {names} have no values: add " + " ".join(f"--at {n}=NUMBER" for n in missing)
        )


def _syntax_hint(text: str) -> str:
    """A hint for a common slip that Python's grammar rejects: ``2x`` for ``2*x``."""
    match = re.search(r"(?<![\w.])(\d+(?:\.\d*)?)([A-Za-z_]\w*)", text)
    if match and not re.fullmatch(r"[eE][+-]?\d*|[jJ]", match.group(2)):
        number, name = match.groups()
        return f"; write {number}*{name} for a product, not {number}{name}"
    return ""


def _operands(node: ast.expr) -> list[ast.expr]:
    """The sub-expressions of an allowed ``node``; raises for a node outside the grammar."""
    where = f"(column {node.col_offset + 1})"
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return [node.operand]
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Constant):
            raise ExpressionError(f"a number cannot be called {where}: write 2*(x + 1) for a product, not 2(x + 1)")
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(f"only these functions can be called: {', '.join(FUNCTIONS)} {where}")
        name = node.func.id
        if name not in FUNCTIONS:
            closest = difflib.get_close_matches(name.lower(), FUNCTIONS, n=1, cutoff=0.3)
            hint = f"did you mean {closest[0]}? " if closest else ""
            raise ExpressionError(f"unknown function {name!r} {where}: {hint}the functions are {', '.join(FUNCTIONS)}")
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{name} takes exactly one argument {where}")
        return [node.args[0]]
    if isinstance(node, ast.Name):
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        if node.value > sys.float_info.max:  # 1e999 parses as inf, and 10**400 has no float
            raise ExpressionError(f"the number {ast.unparse(node)} is too large for a float {where}")
        return []
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
        raise ExpressionError(f"the operator ^ is not allowed {where}: write ** for a power, as in x**2")
    raise ExpressionError(f"{_describe(node)} is not allowed {where}; an expression may use {GRAMMAR}")


def _describe(node: ast.expr) -> str:
    """A few words for a node outside the grammar, for the error message."""
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r:.40}"
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"the operator {OPERATORS.get(type(node.op), type(node.op).__name__)}"
    return KINDS.get(type(node), f"a Python {type(node).__name__} expression")


OPERATORS = {
    ast.FloorDiv: "//",
    ast.Mod: "%",
    ast.MatMult: "@",
    ast.Invert: "~",
    ast.Not: "not",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
KINDS: dict[type, str] = {
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.Compare: "a comparison",
    ast.BoolOp: "and/or",
    ast.IfExp: "an if-expression",
    ast.NamedExpr: "an assignment (:=)",
}


def _build(tree: ast.expr, variables: dict[str, Value]) -> Value:
    """Evaluate a checked tree bottom-up with an explicit stack (deep expressions need no recursion)."""
    results: list[Value] = []
    todo: list[tuple[ast.expr, bool]] = [(tree, False)]
    while todo:
        node, ready = todo.pop()
        operands = _operands(node)
        if not ready:
            todo.append((node, True))
            todo.extend((operand, False) for operand in reversed(operands))
            continue
        args = [results.pop() for _ in operands][::-1]
        results.append(_apply(node, args, variables))
    return results[0]


def _apply(node: ast.expr, args: list[Value], variables: dict[str, Value]) -> Value:
    if isinstance(node, ast.BinOp):
        return BINARY[type(node.op)](*args)
    if isinstance(node, ast.UnaryOp):
        return -args[0] if isinstance(node.op, ast.USub) else args[0]
    if isinstance(node, ast.Call):
        return FUNCTIONS[node.func.id](args[0])  # type: ignore[attr-defined]  # checked: a Name
    if isinstance(node, ast.Name):
        return variables[node.id]
    return Constant(node.value)  # type: ignore[attr-defined]  # checked: a number
