"""The ``gpt`` command: a quick run trains, compares, samples, saves and writes its pictures, the same numbers
every time; every mistake is one line with status 1, found before training starts."""

import re

import pytest

from microdiff.__main__ import main
from microdiff.nn import GPT

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_gpt_command_runs_quickly_reproducibly_and_writes_its_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["gpt", "--quick", "--out", str(tmp_path), "--save", str(tmp_path / "gpt.json")]) == 0
    printed = capsys.readouterr().out
    assert "training 4192 parameters: GPT(27, n_embd=16, n_head=4, n_layer=1, block_size=16)" in printed
    assert "step     8/8  loss" in printed and "s left)" in printed
    losses = re.search(r"held-out loss per letter: GPT (\S+), names MLP (\S+), bigram (\S+)", printed)
    assert losses is not None and all(2.0 < float(x) < 3.6 for x in losses.groups())
    assert printed.count("ten new names") == 1
    for name in ("gpt_loss.png", "gpt_attention.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)
    model = GPT(27)
    model.load(tmp_path / "gpt.json")  # the trained weights, in a file made for this shape of model
    assert main(["gpt", "--quick", "--out", str(tmp_path)]) == 0
    again = capsys.readouterr().out
    assert re.findall(r"loss \d\.\d{4}", again) == re.findall(r"loss \d\.\d{4}", printed)  # seeded: the same run


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--steps", "0"], "microdiff gpt: error: --steps must be at least 1, got 0"),
        (["--steps", "abc"], "microdiff gpt: error: argument --steps: invalid int value: 'abc'"),
        (["--temperature", "0"], "microdiff gpt: error: --temperature must be a number in (0, 100]"),
    ],
)
def test_the_gpt_command_refuses_bad_arguments_in_one_line(tmp_path, capsys, argv, message):
    assert main(["gpt", "--out", str(tmp_path), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(message) and err.count("\n") == 1
