"""``python -m microdiff graph``: pictures of safely parsed expressions, and one clear line for every mistake."""

import ast
import builtins
import contextlib
import io
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from unittest import mock

import pytest
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from microdiff.__main__ import main

SVG = "{http://www.w3.org/2000/svg}"
F = "3*x**2 + x*y + 5*y**2"


def svg_texts(path: Path) -> list[str]:
    """The text of each node in a dot SVG, its pieces joined by spaces."""
    nodes = [g for g in ET.parse(path).iter(f"{SVG}g") if g.get("class") == "node"]
    texts = [
        [t.text.replace("\xa0", " ").strip() for t in g.iter(f"{SVG}text") if t.text and t.text.strip()] for g in nodes
    ]
    return [" ".join(parts) for parts in texts]


def graph(*args: str) -> tuple[int, str, str]:
    """Run the command in this process: (exit status, stdout, stderr); argparse's own exits count too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(["graph", *args])
        except SystemExit as exit:
            status = exit.code
    return status, out.getvalue(), err.getvalue()


@pytest.mark.needs_dot
def test_svg_of_the_seeds_function_with_value_and_gradient(tmp_path):
    status, out, err = graph(F, "--at", "x=2", "--at", "y=3", "-o", str(tmp_path / "f.svg"))
    assert (status, err) == (0, "")
    assert "= 63" in out and "d/dx = 15" in out and "d/dy = 32" in out
    texts = svg_texts(tmp_path / "f.svg")
    assert {"x = 2 grad 15", "y = 3 grad 32", "f = 63 grad 1"} <= set(texts)


@pytest.mark.needs_dot
def test_png_and_dot_formats_from_the_suffix_or_the_option(tmp_path):
    assert graph("sigmoid(z)", "--at", "z=0", "-o", str(tmp_path / "s.png"))[0] == 0
    assert (tmp_path / "s.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert graph("sigmoid(z)", "--at", "z=0", "-o", str(tmp_path / "s.dot"))[0] == 0
    assert (tmp_path / "s.dot").read_text().startswith("digraph")
    assert graph("sigmoid(z)", "--at", "z=0", "--format", "dot", "-o", str(tmp_path / "s.txt"))[0] == 0
    assert "cluster_0" in (tmp_path / "s.txt").read_text() and 'label="sigmoid"' in (tmp_path / "s.txt").read_text()


def test_options_edge_derivatives_top_down_and_digits(tmp_path):
    path = tmp_path / "g.dot"
    assert graph("x / 3", "--at", "x=1", "--digits", "2", "--top-down", "--edge-derivatives", "-o", str(path))[0] == 0
    source = path.read_text()
    assert 'rankdir="TB"' in source and "0.33" in source and "local 0.33" in source  # d(x·⅓)/dx


@pytest.mark.needs_dot
def test_backward_steps_as_a_page_or_a_folder(tmp_path):
    args = ("sigmoid(z)", "--at", "z=0", "-o", str(tmp_path / "s.svg"))
    assert graph(*args, "--steps", str(tmp_path / "steps.html"))[0] == 0
    assert (tmp_path / "steps.html").read_text().count('<div class="frame">') == 5
    assert graph(*args, "--steps", str(tmp_path / "frames"))[0] == 0
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == [f"step_{i:02d}.svg" for i in range(5)]
    assert "z = 0 grad 0.25" in svg_texts(tmp_path / "frames" / "step_04.svg")


@pytest.mark.needs_dot
def test_variables_are_labelled_and_unary_plus_minus_work(tmp_path):
    assert graph("-x + +y * relu(x) - tanh(y) / reciprocal(exp(log(x)))", "--at", "x=2", "--at", "y=1",
                 "-o", str(tmp_path / "g.svg"))[0] == 0  # fmt: skip
    texts = svg_texts(tmp_path / "g.svg")
    assert any(t.startswith("x = 2 grad") for t in texts) and any(t.startswith("y = 1 grad") for t in texts)


@pytest.mark.parametrize(
    ("expression", "at", "message"),
    [
        ("x.real", ["x=1"], "attribute access is not allowed"),
        ("__import__('os').system('true')", [], "only these functions can be called"),
        ("print(x)", ["x=1"], "unknown function 'print' (column 1)"),
        ("sin(x)", ["x=1"], "unknown function 'sin' (column 1): did you mean sigmoid?"),
        ("Tanh(x)", ["x=1"], "did you mean tanh?"),
        ("x^2", ["x=1"], "the operator ^ is not allowed (column 1): write ** for a power, as in x**2"),
        ("2x + 1", ["x=1"], "write 2*x for a product, not 2x"),
        ("1 + 0.5y", ["y=1"], "write 0.5*y for a product, not 0.5y"),
        ("2(x + 1)", ["x=1"], "write 2*(x + 1) for a product"),
        ("a*x + b", [], "the variables 'a', 'x', 'b' have no values: add --at a=NUMBER --at x=NUMBER --at b=NUMBER"),
        ("exp(x, x)", ["x=1"], "exp takes exactly one argument"),
        ("exp(x=1)", [], "exp takes exactly one argument"),
        ("lambda: 1", [], "a lambda is not allowed"),
        ("[x for x in 'ab']", [], "a comprehension is not allowed"),
        ("x // 2", ["x=1"], "the operator // is not allowed"),
        ("x < 2", ["x=1"], "a comparison is not allowed"),
        ("'text'", [], "the constant 'text' is not allowed"),
        ("True", [], "the constant True is not allowed"),
        ("x +", ["x=1"], "syntax error"),
        ("", [], "syntax error"),
        ("x * y", ["x=1"], "the variable 'y' has no value: add --at y=NUMBER"),
        ("+".join(["x*y"] * 100), ["x=1", "y=2"], "the graph has 201 nodes, more than the limit of 100"),
        ("x*y + x", ["x=1", "y=2", "--max-nodes=3"], "raise it with --max-nodes 4"),
        ("x", ["x=1", "--max-nodes=0"], "--max-nodes must be at least 1"),
        ("x" * 10_001, [], "the limit is 10,000"),
        ("log(-1)", [], "log of -1.0 is undefined"),
        ("log(x)", ["x=0"], "log of 0.0 is undefined"),
        ("1 / x", ["x=0"], "reciprocal of 0.0"),
        ("exp(x)", ["x=1000"], "exp(1000.0) overflows"),
        ("x ** 0.5", ["x=-1"], "is not a real number"),
        ("1e999 * x", ["x=1"], "too large for a float"),
        ("1" + "0" * 400 + " + x", ["x=1"], "too large for a float"),
        ("10**400 + x", ["x=1"], "pow(10.0, 400.0) overflows a float"),
        ("x", ["x"], "--at needs NAME=NUMBER"),
        ("x", ["x=abc"], "'abc' is not a number"),
        ("x", ["x=inf"], "finite number"),
        ("x" + "+x" * 100, ["x=1", "--digits=0"], "--digits must be between 1 and 17"),
    ],
)
def test_every_mistake_is_one_clear_line_and_no_file(tmp_path, expression, at, message):
    output = tmp_path / "g.svg"
    bindings = [a if a.startswith("--") else f"--at={a}" for a in at]
    status, out, err = graph(*bindings, "-o", str(output), "--", expression)
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith("microdiff graph: error: ") and message in err
    assert not output.exists()


@pytest.mark.needs_dot
def test_an_output_format_that_cannot_be_guessed_or_written(tmp_path):
    assert "cannot tell the format" in graph("x", "--at", "x=1", "-o", str(tmp_path / "g.pdf"))[2]
    (tmp_path / "file").write_text("not a folder")
    status, out, err = graph("x", "--at", "x=1", "-o", str(tmp_path / "file" / "g.svg"))
    assert (status, out) == (1, "") and err.count("\n") == 1 and "is a file, not a folder" in err


@pytest.mark.needs_dot
def test_missing_folders_are_made_first_and_every_file_written_is_printed(tmp_path):
    picture, page = tmp_path / "new" / "f.svg", tmp_path / "newer" / "deeper" / "steps.html"
    status, out, err = graph("x*x", "--at", "x=3", "-o", str(picture), "--steps", str(page))
    assert (status, err) == (0, "")
    assert out.splitlines() == [
        f"created the folder {picture.parent}",
        f"created the folder {page.parent}",
        "x*x = 9; d/dx = 6",
        f"wrote {picture}",
        f"wrote {page}",
    ]
    status, out, _ = graph("x*x", "--at", "x=3", "-o", str(tmp_path / "g.svg"), "--steps", str(tmp_path / "frames"))
    assert status == 0 and out.count("wrote ") == 3 and f"wrote {tmp_path / 'frames' / 'step_01.svg'}" in out


@pytest.mark.needs_dot
def test_when_the_steps_cannot_be_written_nothing_is(tmp_path):
    """The folders are checked (and made) before any file is written: a refusal leaves nothing behind."""
    (tmp_path / "file").write_text("not a folder")
    picture = tmp_path / "new" / "f.svg"
    status, out, err = graph("x*x", "--at", "x=3", "-o", str(picture), "--steps", str(tmp_path / "file" / "s.html"))
    assert status == 1 and err.count("\n") == 1 and "is a file, not a folder" in err
    assert not picture.exists() and not picture.parent.exists()
    sigmoids = " + ".join(f"sigmoid({k}*x)" for k in range(1, 21))  # 20 sigmoid terms: too many for --steps
    status, _, err = graph(sigmoids, "--at", "x=1", "-o", str(picture), "--steps", str(tmp_path / "steps.html"))
    assert status == 1 and "more than the limit of 40 for --steps" in err and "--max-nodes" in err
    assert not picture.exists() and not (tmp_path / "steps.html").exists()


def fake_dot(folder: Path, script: str) -> str:
    """A ``dot`` program of our own, first on the PATH: it runs ``script`` (a shell script's body)."""
    program = folder / "dot"
    program.write_text(f"#!/bin/sh\n{script}\n")
    program.chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


def test_a_failing_dot_is_one_line_without_its_own_output(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", fake_dot(tmp_path, "echo 'Error: syntax error in line 1' >&2; exit 3"))
    status, out, err = graph("x * 2", "--at", "x=1", "-o", str(tmp_path / "g.svg"))
    assert (status, out) == (1, "") and err.count("\n") == 1
    assert "dot could not draw the graph (it stopped with exit status 3)" in err
    assert "syntax error" not in err and "b'" not in err and not (tmp_path / "g.svg").exists()


def test_a_dot_that_takes_too_long_is_stopped_with_one_line(monkeypatch, tmp_path):
    from microdiff.drawing.draw import Graph

    monkeypatch.setenv("PATH", fake_dot(tmp_path, "exec sleep 30"))
    monkeypatch.setattr(Graph, "timeout", 0.2)
    status, out, err = graph("x * 2", "--at", "x=1", "-o", str(tmp_path / "g.svg"))
    assert (status, out) == (1, "") and err.count("\n") == 1
    assert "dot did not finish drawing the graph within 0.2 s" in err and not (tmp_path / "g.svg").exists()


def test_without_dot_pictures_fail_in_one_line_and_dot_text_still_works(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    status, _, err = graph("x * 2", "--at", "x=1", "-o", str(tmp_path / "g.svg"))
    assert status == 1 and err.count("\n") == 1 and "apt-get install graphviz" in err and "--format dot" in err
    assert graph("x * 2", "--at", "x=1", "-o", str(tmp_path / "g.dot"))[0] == 0


# Random input: text; expressions in the command's grammar; and expressions from a wider grammar.
GOOD = {
    "atoms": ["x", "y", "0", "1", "2.5", "1e308"],
    "unary": ["-", "+"],
    "binary": ["+", "-", "*", "/", "**"],
    "functions": ["exp", "log", "sigmoid", "tanh", "relu", "reciprocal"],
}
BAD = {
    "atoms": GOOD["atoms"] + ["q", "exp", "os", "10**400", "'s'", "True", "None"],
    "unary": GOOD["unary"] + ["~", "not "],
    "binary": GOOD["binary"] + ["//", "%", "@", "<", " and ", "."],
    "functions": GOOD["functions"] + ["print", "__import__", "x.real"],
}


def expressions(grammar: dict, wide: bool) -> st.SearchStrategy[str]:
    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        calls = st.tuples(st.sampled_from(grammar["functions"]), st.lists(children, min_size=1, max_size=1 + wide))
        forms = [
            st.tuples(st.sampled_from(grammar["unary"]), children).map("".join),
            st.tuples(children, st.sampled_from(grammar["binary"]), children).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
            calls.map(lambda t: f"{t[0]}({', '.join(t[1])})"),
        ]
        if wide:
            forms += [children.map(lambda c: f"[{c} for x in y]"), children.map(lambda c: f"(lambda: {c})()")]
        return st.one_of(forms)

    return st.recursive(st.sampled_from(grammar["atoms"]), extend, max_leaves=12)


def _only_parses(source, filename="<unknown>", mode="exec", flags=0, *args, **kwargs):
    """``compile`` that only allows what ``ast.parse`` does: source to a tree, never to runnable code."""
    assert flags & ast.PyCF_ONLY_AST, "the command compiled code it could run"
    return COMPILE(source, filename, mode, flags, *args, **kwargs)


COMPILE = builtins.compile


def _no_execution():
    stack = contextlib.ExitStack()
    stack.enter_context(mock.patch("builtins.compile", _only_parses))
    for name in ("eval", "exec"):
        stack.enter_context(mock.patch(f"builtins.{name}", side_effect=AssertionError(f"{name} called")))
    return stack


@given(st.one_of(st.text(max_size=60), expressions(GOOD, wide=False), expressions(BAD, wide=True)))
def test_random_input_never_gives_a_traceback_and_runs_nothing(tmp_path_factory, text):
    output = tmp_path_factory.getbasetemp() / "random.dot"
    output.unlink(missing_ok=True)
    with _no_execution():
        status, out, err = graph("--at", "x=0.5", "--at", "y=-2", "-o", str(output), "--", text)
    if status == 0:
        assert err == "" and output.read_text().startswith("digraph")
    else:
        assert status == 1 and err.startswith("microdiff graph: error: ") and err.count("\n") == 1
        assert not output.exists()


@pytest.mark.parametrize(
    ("expression", "status", "message"),
    [
        ("__import__('os').system('echo pwned')", 1, "only these functions can be called"),
        ("sin(x)", 1, "did you mean sigmoid?"),
        ("log(x - 5)", 1, "log of -3.0 is undefined"),
        ("-" * 9999 + "x", 1, "nested too deeply"),
        pytest.param(F, 0, "", marks=pytest.mark.needs_dot),  # writes the SVG
    ],
)
def test_as_a_separate_process_with_no_traceback(tmp_path, expression, status, message):
    command = [
        sys.executable,
        "-m",
        "microdiff",
        "graph",
        "--at",
        "x=2",
        "--at",
        "y=3",
        "-o",
        "g.svg",
        "--",
        expression,
    ]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert result.returncode == status and "Traceback" not in result.stderr and "pwned" not in result.stdout
    assert message in result.stderr and result.stderr.count("\n") == (1 if status else 0)
    assert (tmp_path / "g.svg").exists() == (status == 0)


def test_the_functions_and_operators_are_the_engines_own():
    """The graph command reads what an expression may call, and what its operators do, from OPERATIONS."""
    from microdiff.apps.graph import BINARY, FUNCTIONS
    from microdiff.engine.arithmetic import OPERATIONS

    assert set(FUNCTIONS) == {"exp", "log", "sigmoid", "tanh", "relu", "reciprocal"}
    assert all(function is OPERATIONS[name] for name, function in FUNCTIONS.items())
    assert {OPERATIONS[name] for name in ("add", "sub", "mul", "div", "pow")} == set(BINARY.values())


def test_the_readme_pictures_show_the_seeds_numbers():
    images = ROOT / "docs" / "images"
    sigmoid = svg_texts(images / "sigmoid.svg")
    assert {"z = 0 grad 0.25", "f = 0.5 grad 1", "−", "exp", "+", "1/x"} <= set(sigmoid)
    assert {"x = 2 grad 15", "y = 3 grad 32", "f = 63 grad 1"} <= set(svg_texts(images / "f_xy.svg"))
