"""Writing files so that a failure never destroys the file that was there before.

Every file microdiff writes (saved parameters, pictures, pages) goes first to a temporary file in the
same folder, and is moved into place only once it is complete. A move within one folder is atomic: a
reader sees the old file or the new one, never half of one, and a full disk or an interrupted run
leaves the previous good file as it was.

The new file keeps the permissions of the one it replaces (a private file of mode 600 stays private), and
a new file gets those of any other (0666 less the umask). An error names the file asked for, never the
hidden temporary one (``.g.svg.4dwmkjeg.partial``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def replacing(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; when the block ends without error, move it onto ``path``.

    For writers that want a file name (``matplotlib``'s ``savefig``, Graphviz): write to the yielded path.
    On any error the temporary file is removed and ``path`` is untouched. For example::

        with replacing("out.txt") as temporary:
            temporary.write_text("done")
    """
    target = Path(path)
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(target)!r}: the folder {str(folder)!r} does not exist")
    mode = _mode_for(target)
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=folder)
    except OSError as error:
        raise _about(error, target) from None
    os.close(handle)
    temporary = Path(name)
    try:
        yield temporary
        os.chmod(temporary, mode)  # mkstemp makes it private; it takes the permissions of the file it replaces
        os.replace(temporary, target)
    except OSError as error:
        about_temporary = error.filename is None or os.fspath(error.filename) == name  # (or about no file)
        if error.errno is None or not about_temporary:  # the caller's own error, or one about another file
            raise
        raise _about(error, target) from None
    finally:
        temporary.unlink(missing_ok=True)


def _mode_for(target: Path) -> int:
    """The permission bits the written file gets: those of the file it replaces, else those of a new file."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        return 0o666 & ~_umask()


def _about(error: OSError, target: Path) -> OSError:
    """``error`` about the temporary file, told about ``target``, the file the user asked for."""
    return type(error)(error.errno, error.strerror, str(target))


def _umask() -> int:
    """The process's umask (reading it means setting it, so it is set straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomically(path: str | os.PathLike[str], content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8, or bytes) to ``path`` atomically, and return the path."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    with replacing(path) as temporary, open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    return Path(path)
