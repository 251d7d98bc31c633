"""The ``names`` command: a quick run writes its pictures, and every mistake is one line with status 1, found
before training starts (moved here whole from test_language_model.py, which tests the model itself)."""

import pytest

from microdiff.__main__ import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_the_names_command_runs_quickly_and_writes_its_pictures(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["names", "--quick", "--out", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert "bigram model (counts, add-one smoothing): validation loss 2.3756" in printed
    assert "step    20/20" in printed and "neural model: validation loss" in printed
    assert printed.count("ten new names") == 1
    for name in ("names_loss.png", "names_embeddings.png"):
        assert (tmp_path / name).read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--steps", "0"], "microdiff names: error: --steps must be at least 1, got 0"),
        (["--temperature", "nan"], "microdiff names: error: --temperature must be a number in (0, 100]"),
    ],
)
def test_the_names_command_refuses_bad_numbers_in_one_line(tmp_path, capsys, argv, message):
    assert main(["names", "--out", str(tmp_path), *argv]) == 1
    assert capsys.readouterr().err.startswith(message)


def test_the_names_command_says_in_one_line_when_it_cannot_write(tmp_path, capsys):
    """``--save`` to a place that cannot take a file fails at once, before a minute of training, naming it."""
    (tmp_path / "file").write_text("not a folder")
    save = tmp_path / "file" / "model.json"
    assert main(["names", "--quick", "--out", str(tmp_path), "--save", str(save)]) == 1
    printed = capsys.readouterr()
    assert printed.err.startswith(f"microdiff names: error: --save {str(save)!r}: ") and "is a file" in printed.err
    assert printed.err.count("\n") == 1 and "training" not in printed.out


def test_save_takes_a_json_file_or_a_folder(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    assert main(["names", "--quick", "--out", str(tmp_path), "--save", str(tmp_path / "models") + "/"]) == 0
    assert (tmp_path / "models" / "names_model.json").read_text().startswith("{")
    assert main(["names", "--quick", "--out", str(tmp_path), "--save", str(tmp_path / "model.txt")]) == 1
    assert "give a .json file, or a folder" in capsys.readouterr().err
