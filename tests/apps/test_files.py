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


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "private.json"
    path.write_text("old")
    path.chmod(0o600)
    write_atomically(path, "new")
    assert path.read_text() == "new" and os.stat(path).st_mode & 0o777 == 0o600
    path.chmod(0o640)
    with replacing(path) as temporary:
        temporary.write_text("newer")
    assert os.stat(path).st_mode & 0o777 == 0o640


def test_an_error_names_the_file_asked_for_never_the_temporary_one(tmp_path, monkeypatch):
    (tmp_path / "g.svg").mkdir()  # the move into place fails: a folder is in the way
    with pytest.raises(IsADirectoryError) as replaced:
        write_atomically(tmp_path / "g.svg", "x")
    assert replaced.value.filename == str(tmp_path / "g.svg") and ".partial" not in str(replaced.value)

    def refused(prefix, suffix, dir):
        raise PermissionError(13, "Permission denied", f"{dir}/{prefix}4dwmkjeg{suffix}")

    monkeypatch.setattr("tempfile.mkstemp", refused)  # the folder takes no new file
    with pytest.raises(PermissionError) as made:
        write_atomically(tmp_path / "h.svg", "x")
    assert made.value.filename == str(tmp_path / "h.svg") and ".partial" not in str(made.value)
    assert sorted(os.listdir(tmp_path)) == ["g.svg"]
