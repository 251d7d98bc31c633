"""``python -m microdiff graph "EXPR" --at x=1.5 -o graph.svg``: draw an expression's graph and gradients.

The expression is never run as Python. It is parsed with :mod:`ast` and every node of the tree is
checked against a small grammar first: numbers, variable names, ``+ - * / **``, unary ``-`` and ``+``,
and calls of a few functions with one argument. Only then is it evaluated, by building ``Value`` nodes
with microdiff's own operations. Anything else is one clear line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import ast
import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import graphviz

from microdiff.drawing.draw import draw
from microdiff.drawing.stepper import Stepper
from microdiff.engine.value import Constant, Value

MAX_LENGTH = 10_000
FORMATS = ("svg", "png", "dot")
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    "exp": Value.exp,
    "log": Value.log,
    "sigmoid": Value.sigmoid,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "reciprocal": Value.reciprocal,
}
BINARY: dict[type, Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
}
GRAMMAR = "numbers, variables, + - * / **, and calls of " + ", ".join(FUNCTIONS)


class ExpressionError(ValueError):
    """An expression outside the grammar, or one with a variable that has no value."""


def add_parser(subparsers: Any) -> None:
    """Register ``graph`` with the ``python -m microdiff`` command line."""
    parser = subparsers.add_parser("graph", help="draw an expression's graph with its gradients")
    parser.add_argument(
        "expression",
        metavar="EXPR",
        help=f'e.g. "3*x**2 + x*y" (after -- if it starts with -); allowed: {GRAMMAR}',
    )
    parser.add_argument("--at", action="append", default=[], metavar="NAME=NUMBER", help="a variable's value")
    parser.add_argument("-o", "--output", default="graph.svg", help="the picture to write (default graph.svg)")
    parser.add_argument("--format", choices=FORMATS, help="svg, png or dot (default: from the -o suffix)")
    parser.add_argument("--steps", metavar="PATH", help="also write the backward steps: a .html page or a folder")
    parser.add_argument("--digits", type=int, default=4, help="significant digits shown (default 4)")
    parser.add_argument("--top-down", action="store_true", help="draw top to bottom instead of left to right")
    parser.add_argument("--edge-derivatives", action="store_true", help="write local derivatives on the edges")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Evaluate, differentiate, draw; any expected failure is one line on stderr and exit status 1."""
    try:
        if not 1 <= args.digits <= 17:
            raise ValueError(f"--digits must be between 1 and 17, not {args.digits}")
        variables = parse_bindings(args.at)
        root = evaluate(args.expression, variables)
        root.label = root.label or "f"
        root.backward()
        fmt = output_format(args.output, args.format)
        options = {"digits": args.digits, "rankdir": "TB" if args.top_down else "LR"}
        graph = draw(root, edge_derivatives=args.edge_derivatives, **options)
        output = Path(args.output)
        if fmt == "dot":
            output.write_text(graph.source, encoding="utf-8")
        else:
            output.write_bytes(graph.pipe(format=fmt))
        if args.steps:
            Stepper(root, **options).save(args.steps)
    except graphviz.ExecutableNotFound:
        return _fail(
            "Graphviz's dot is not installed: apt-get install graphviz, or brew install graphviz "
            "(pip cannot install it); --format dot writes the DOT text without it"
        )
    except graphviz.CalledProcessError as error:
        return _fail(f"dot could not draw the graph: {error}")
    except (ValueError, ArithmeticError, OSError) as error:
        return _fail(str(error))
    grads = ", ".join(f"d/d{name} = {value.grad:.6g}" for name, value in variables.items())
    print(f"{args.expression} = {root.data:.6g}" + (f"; {grads}" if grads else "") + f"; wrote {args.output}")
    return 0


def _fail(message: str) -> int:
    print(f"microdiff graph: error: {' '.join(message.split())}", file=sys.stderr)
    return 1


def output_format(output: str, fmt: str | None) -> str:
    """The format asked for, else the one the output's suffix names."""
    if fmt:
        return fmt
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        raise ValueError(f"cannot tell the format from {output!r}: give -o a .svg, .png or .dot name, or --format")
    return suffix


def parse_bindings(bindings: list[str]) -> dict[str, Value]:
    """``["x=1.5", "y=-0.5"]`` → a labelled leaf ``Value`` per variable."""
    variables = {}
    for binding in bindings:
        name, equals, number = binding.partition("=")
        name = name.strip()
        if not equals or not name.isidentifier():
            raise ExpressionError(f"--at needs NAME=NUMBER, as in --at x=1.5, not {binding!r}")
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
        raise ExpressionError(f"syntax error{where}: {error.msg}") from None
    except ValueError as error:  # e.g. a null byte, or text that is not valid Unicode
        raise ExpressionError(f"the expression cannot be parsed: {error}") from None
    except (MemoryError, RecursionError):
        raise ExpressionError("the expression is nested too deeply") from None
    check(tree.body, variables)
    return _build(tree.body, variables)


def check(tree: ast.expr, variables: dict[str, Value]) -> None:
    """Raise :class:`ExpressionError` at the first node outside the grammar (an explicit stack: no recursion)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        stack.extend(_operands(node, variables))


def _operands(node: ast.expr, variables: dict[str, Value]) -> list[ast.expr]:
    """The sub-expressions of an allowed ``node``; raises for a node outside the grammar."""
    where = f"(column {node.col_offset + 1})"
    if isinstance(node, ast.BinOp) and type(node.op) in BINARY:
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return [node.operand]
    if isinstance(node, ast.Call):
        name = node.func.id if isinstance(node.func, ast.Name) else ""
        if name not in FUNCTIONS:
            raise ExpressionError(f"only these functions can be called: {', '.join(FUNCTIONS)} {where}")
        if len(node.args) != 1 or node.keywords or isinstance(node.args[0], ast.Starred):
            raise ExpressionError(f"{name} takes exactly one argument {where}")
        return [node.args[0]]
    if isinstance(node, ast.Name):
        if node.id not in variables:
            raise ExpressionError(f"variable {node.id!r} has no value: add --at {node.id}=NUMBER")
        return []
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        if node.value > sys.float_info.max:  # 1e999 parses as inf, and 10**400 has no float
            raise ExpressionError(f"the number {ast.unparse(node)} is too large for a float {where}")
        return []
    raise ExpressionError(f"{_describe(node)} is not allowed {where}; an expression may use {GRAMMAR}")


def _describe(node: ast.expr) -> str:
    """A few words for a node outside the grammar, for the error message."""
    if isinstance(node, ast.Constant):
        return f"the constant {node.value!r:.40}"
    if isinstance(node, (ast.BinOp, ast.UnaryOp)):
        return f"the operator {OPERATORS.get(type(node.op), type(node.op).__name__)}"
    return KINDS.get(type(node), f"a Python {type(node).__name__} expression")


OPERATORS = {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.Invert: "~", ast.Not: "not"}
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
        operands = _operands(node, variables)
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
