"""The convention every command follows (microdiff/apps/cli.py), tried as a new user would: the same output
option everywhere and nothing written into the current folder, one line with status 1 for every failure
(argparse's own and a missing matplotlib included), expressions that begin with "-", help in plain words."""

import contextlib
import io
import subprocess
import sys

import pytest

from microdiff.__main__ import COMMANDS, main


def run(*args: str) -> tuple[int, str, str]:
    """Run a command in this process: (exit status, stdout, stderr); argparse's own exits count too."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main(list(args))
        except SystemExit as exit:
            status = exit.code
    return status, out.getvalue(), err.getvalue()


def one_line_error(status: int, err: str, command: str | None) -> bool:
    prefix = f"microdiff {command}: error: " if command else "microdiff: error: "
    return status == 1 and err.startswith(prefix) and err.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["names", "--steps", "abc"], "argument --steps: invalid int value: 'abc'"),
        (["explore", "--dataset", "nope"], "invalid choice: 'nope'"),
        (["demo", "--seed", "1.5"], "argument --seed: invalid int value"),
        (["graph", "x", "--at", "x=1", "--digits"], "argument --digits: expected one argument"),
        (["graph", "x", "--at", "x=1", "--bogus"], "unrecognized arguments: --bogus"),
        (["graph"], "the following arguments are required: EXPR"),
        (["demo", "--nope"], "unrecognized arguments: --nope"),
        ([], "the following arguments are required: COMMAND"),
        (["nope"], "invalid choice: 'nope'"),
    ],
)
def test_argparses_own_errors_are_one_line_with_status_1(args, says):
    status, out, err = run(*args)
    assert one_line_error(status, err, args[0] if args and args[0] in COMMANDS else None), err
    assert says in err and "usage:" not in err and out == ""
    assert "--help" in err  # and where to read the options


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_takes_o_and_out_alike_with_out_as_the_default(command):
    from microdiff.apps import cli

    parser = cli.Parser(prog="python -m microdiff")
    subparsers = parser.add_subparsers(dest="command")
    __import__(COMMANDS[command], fromlist=["add_parser"]).add_parser(subparsers)
    command_parser = subparsers.choices[command]
    expression = ["x"] if command == "graph" else []
    assert command_parser.parse_args(expression).out == "out/"
    assert command_parser.parse_args([*expression, "-o", "pictures"]).out == "pictures"
    assert command_parser.parse_args([*expression, "--out", "pictures"]).out == "pictures"


@pytest.mark.needs_dot
def test_graph_writes_into_out_not_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = run("graph", "x*x", "--at", "x=3")
    assert (status, err) == (0, "") and "wrote out/graph.svg" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and (tmp_path / "out" / "graph.svg").exists()
    status, out, _ = run("graph", "x*x", "--at", "x=3", "--format", "png", "-o", "pictures/")
    assert status == 0 and (tmp_path / "pictures" / "graph.png").read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "args",
    [
        ["--", "-x", "--at", "x=1"],  # as people type it
        ["-x", "--at", "x=1"],
        ["--at", "x=1", "--", "-x"],
        ["--at", "x=1", "-x"],
        ["--at=x=1", "-x", "--top"],  # an abbreviated option still works
    ],
)
def test_an_expression_that_begins_with_minus_works_as_typed(tmp_path, args):
    status, out, err = run("graph", *args, "-o", str(tmp_path / "g.dot"))
    assert (status, err) == (0, "") and out.startswith("-x = -1; d/dx = -1")


def test_a_value_without_at_is_one_line_that_says_how(tmp_path):
    status, out, err = run("graph", "x**2", "x=3", "-o", str(tmp_path / "g.dot"))
    assert one_line_error(status, err, "graph") and "--at x=3" in err and out == ""
    assert not (tmp_path / "g.dot").exists()


def test_a_value_the_expression_does_not_use_is_refused_by_name(tmp_path):
    status, out, err = run("graph", "x**2", "--at", "x=1", "--at", "y=2", "-o", str(tmp_path / "g.dot"))
    assert one_line_error(status, err, "graph") and "no variable 'y'" in err and "--at y=2" in err
    assert "d/dy" not in out and not (tmp_path / "g.dot").exists()
    status, _, err = run("graph", "x", "--at", "x=1", "--at", "x=2", "-o", str(tmp_path / "g.dot"))
    assert one_line_error(status, err, "graph") and "x already has a value" in err


@pytest.mark.parametrize("steps", ["s.txt", "s.svg", "steps.json"])
def test_steps_with_a_suffix_that_is_no_page_is_refused_not_made_a_folder(tmp_path, steps):
    status, _, err = run("graph", "x*x", "--at", "x=1", "-o", str(tmp_path / "g.dot"), "--steps", str(tmp_path / steps))
    assert one_line_error(status, err, "graph") and "give a .html page, or a folder" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["demo", "--quick", "-o", "pictures.png"], "names a file, but this command writes several"),
        (["names", "--quick", "-o", "pictures.png"], "names a file, but this command writes several"),
        (["explore", "--steps", "1", "-o", "page.txt"], "give a .html or .htm file, or a folder"),
    ],
)
def test_an_output_a_command_cannot_write_is_refused_before_any_work(tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    status, out, err = run(*args)
    assert one_line_error(status, err, args[0]) and says in err and out == ""
    assert list(tmp_path.iterdir()) == []


@pytest.mark.needs_dot
def test_a_write_that_fails_names_the_users_path_not_the_temporary_file(tmp_path):
    (tmp_path / "taken" / "graph.svg").mkdir(parents=True)  # the picture's place is taken by a folder
    status, _, err = run("graph", "x", "--at", "x=1", "-o", str(tmp_path / "taken"))
    assert one_line_error(status, err, "graph") and str(tmp_path / "taken" / "graph.svg") in err
    assert ".partial" not in err


@pytest.mark.parametrize("command", [None, *sorted(COMMANDS)])
def test_help_is_in_plain_words(command):
    args = [sys.executable, "-m", "microdiff", *([command] if command else []), "--help"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stderr == "" and "usage: python -m microdiff" in done.stdout
    assert "`" not in done.stdout and ":mod:" not in done.stdout and ":func:" not in done.stdout


@pytest.mark.parametrize("args", [["demo", "--quick"], ["names", "--quick"]], ids=["demo", "names"])
def test_without_matplotlib_the_pictures_fail_in_one_line_before_training(tmp_path, args):
    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "from microdiff.__main__ import main\n"
        f"sys.exit(main({[*args, '-o', str(tmp_path / 'out')]!r}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert one_line_error(done.returncode, done.stderr, args[0]), done.stderr
    assert "pip install 'microdiff[plot]'" in done.stderr and "training" not in done.stdout


def test_a_failure_as_a_separate_process_is_one_line_and_status_1(tmp_path):
    for args in (["names", "--steps", "abc"], ["explore", "--dataset", "nope"]):
        done = subprocess.run([sys.executable, "-m", "microdiff", *args], capture_output=True, text=True, timeout=120)
        assert one_line_error(done.returncode, done.stderr, args[0]) and done.stdout == "", done.stderr
