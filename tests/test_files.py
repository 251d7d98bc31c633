"""Files are written atomically: a failure half way leaves the previous file whole, and no debris."""

import os

import pytest

from microdiff.files import replacing, write_atomically


def test_a_write_replaces_the_file_whole_with_ordinary_permissions(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("old")
    write_atomically(path, "new")
    assert path.read_text() == "new"
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~_umask()
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_failure_half_way_keeps_the_previous_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "model.json"
    path.write_text("the good one")
    with pytest.raises(OSError, match="disk full"), replacing(path) as temporary:
        temporary.write_text("half of a")
        raise OSError("disk full")
    assert path.read_text() == "the good one"
    assert os.listdir(tmp_path) == ["model.json"]


def test_a_missing_folder_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        write_atomically(tmp_path / "no" / "such.txt", "x")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
