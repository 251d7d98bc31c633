"""A module's parameters in a file: JSON text that says what it is, written atomically, read with care.

The file is one JSON object::

    {"format": "microdiff.nn parameters", "model": "MLP", "shape": [2, 16, 1],
     "parameters": [0.52, -0.11, ...], "names": ["L1.n0.w0", "L1.n0.w1", ...]}

``parameters`` are in the order of ``named_parameters()``; ``names`` (written since names existed) lets a
reader see which number is which, and is checked when present, so files written without it still load.
Reading trusts nothing: any file, however broken or hostile, gives the parameters or a ``ValueError``
that names the file, what is wrong and where, and the model is changed only after every check passed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from microdiff.engine.value import Value
from microdiff.files import write_atomically
from microdiff.nn.checks import finite_float


class HasParameters(Protocol):
    """What saving needs of a model (every :class:`microdiff.nn.Module` has it): its named parameters and shape."""

    def named_parameters(self) -> list[tuple[str, Value]]: ...

    def shape(self) -> list[int]: ...


#: Saved parameter files say what they are, so that loading can refuse anything else.
FILE_FORMAT = "microdiff.nn parameters"


def save(module: HasParameters, path: str | Path) -> None:
    """Write ``module``'s parameters to ``path`` (see the module docstring for the format)."""
    named = module.named_parameters()
    names = [name for name, _ in named]
    values = [finite_float(f"{type(module).__name__}.save: parameter {name!r}", p.data) for name, p in named]
    record = {
        "format": FILE_FORMAT,
        "model": type(module).__name__,
        "shape": module.shape(),
        "parameters": values,
        "names": names,
    }
    write_atomically(path, json.dumps(record) + "\n")


def read(module: HasParameters, path: str | Path) -> list[float]:
    """The parameter values saved in ``path`` for ``module``, after checking everything; else ``ValueError``."""
    where = f"{type(module).__name__}.load: {path}"
    record = _json(where, Path(path).read_bytes())
    if not isinstance(record, dict) or record.get("format") != FILE_FORMAT:
        raise ValueError(f'{where}: not a microdiff parameter file (no "format": {FILE_FORMAT!r})')
    mine, theirs = (type(module).__name__, module.shape()), (record.get("model"), record.get("shape"))
    if theirs != mine:
        raise ValueError(
            f"{where}: holds parameters for {theirs[0]} of shape {theirs[1]}, "
            f"but this model is {mine[0]} of shape {mine[1]}"
        )
    names = [name for name, _ in module.named_parameters()]
    values = record.get("parameters")
    if not isinstance(values, list) or len(values) != len(names):
        count = len(values) if isinstance(values, list) else "no list of"
        raise ValueError(f"{where}: holds {count} parameters, this model has {len(names)}")
    if "names" in record and record["names"] != names:
        raise ValueError(f"{where}: the parameter names differ from this model's (first: {names[:3]}…)")
    return [finite_float(f"{where}: parameter {i} ({names[i]})", v) for i, v in enumerate(values)]


def _json(where: str, data: bytes) -> Any:
    """Parse ``data`` as UTF-8 JSON, turning every way that can fail into a ``ValueError`` saying where."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"{where}: not a parameter file: byte {data[error.start]:#04x} at offset {error.start} is not UTF-8 text"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{where}: not a parameter file, the JSON is corrupt at line {error.lineno} column {error.colno}: "
            f"{error.msg}"
        ) from None
    except RecursionError:
        raise ValueError(f"{where}: not a parameter file: its JSON is nested too deeply to read") from None
    except ValueError as error:  # e.g. an int of more digits than Python converts
        raise ValueError(f"{where}: not a parameter file: {error}") from None
