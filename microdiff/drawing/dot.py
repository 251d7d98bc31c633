"""The one place where text enters a Graphviz drawing: DOT strings and labels that are safe by construction.

A label, a composite's name or a title may hold anything a user typed: quotes, brackets, ``<…>`` that
looks like markup, tabs, control characters, 16 KB of text. Graphviz's ``dot`` reads a drawing as text
in its own language, DOT, so such text could end a label early and add nodes of its own, or make
``dot`` fail. Drawings therefore get user text only through these functions:

* :func:`visible` shows every control character (``\\t`` becomes ␉, ``\\n`` becomes ␊) and replaces
  what no file can hold (lone surrogates, U+FFFE) by U+FFFD;
* :func:`shortened` cuts long text for display (the full text goes into a tooltip, up to
  :data:`TOOLTIP_LIMIT` characters: ``dot`` refuses strings of 16 KB or more);
* :func:`quoted` writes a DOT double-quoted string, Graphviz's own quoting (``\\`` and ``"`` escaped,
  and ``&`` as ``&amp;``, since ``dot`` reads entities in labels);
* :func:`label_text` writes text for the inside of an HTML-like label (every character but letters,
  digits, spaces and ``. , - +`` as a numeric reference: ``dot``'s HTML lexer stumbles on a bare ``]``; and
  backslashes doubled, since ``dot`` reads ``\\N`` there too);
* :func:`attribute_list` writes ``[name="value" …]``, quoting every value except an :class:`Html`
  label, which only :func:`html_label` makes.

No Graphviz is needed here: this module only writes text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

NAME_LIMIT = 40  # characters of a node's name or a box's name shown in a drawing
TITLE_LIMIT = 160  # characters of a drawing's title
TOOLTIP_LIMIT = 3000  # characters kept in a tooltip: at most 5 bytes each once quoted (& is &amp;), under dot's 16,384

_C0_PICTURES = {code: chr(0x2400 + code) for code in range(0x20)} | {0x7F: "\u2421"}  # ␀ … ␟, ␡
# Characters with no meaning to dot's HTML lexer (numbers such as -1.5e+07, lists "a, b"): kept as they are.
_SAFE_IN_HTML = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,-+")


class Html(str):
    """A complete HTML-like label (``<…>``), written by :func:`html_label` from escaped pieces only."""

    __slots__ = ()


def visible(text: Any) -> str:
    """``str(text)`` with every control character made visible and what no file can hold replaced.

    ``"a\\tb"`` → ``"a␉b"``. C0 controls and DEL become their Unicode pictures; other controls and the
    line and paragraph separators become ``\\x85``-style escapes; lone surrogates and non-characters
    (U+FFFE, U+FFFF…) become U+FFFD.
    """
    text = str(text)  # a plain str even for a str subclass: only html_label makes an Html label
    if text.isprintable():  # the usual case, in one pass (control characters and surrogates are not printable)
        return text
    out = []
    for char in text:
        code = ord(char)
        if code in _C0_PICTURES:
            out.append(_C0_PICTURES[code])
        elif 0xD800 <= code <= 0xDFFF or code & 0xFFFE == 0xFFFE or 0xFDD0 <= code <= 0xFDEF:
            out.append("\ufffd")
        elif unicodedata.category(char) in ("Cc", "Zl", "Zp"):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(char)
    return "".join(out)


def shortened(text: Any, limit: int) -> str:
    """The visible text, cut to ``limit`` characters with an ellipsis if it is longer."""
    text = visible(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def tooltip(text: Any, limit: int) -> str:
    """The full visible text for a tooltip when :func:`shortened` cuts it to ``limit``, else ``""``."""
    text = visible(text)
    return shortened(text, TOOLTIP_LIMIT) if len(text) > limit else ""


def quoted(text: Any) -> str:
    """``text`` as a DOT double-quoted string, e.g. ``say "hi"`` → ``"say \\"hi\\""``.

    Backslashes are doubled too: in a label ``\\n`` or ``\\N`` would otherwise mean a line break or the
    node's name. And ``&`` is written ``&amp;``: ``dot`` reads ``&amp;`` or ``&#60;`` in any label as the
    character it names.
    """
    return '"' + visible(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;") + '"'


def label_text(text: Any) -> str:
    """``text`` for the inside of an HTML-like label: letters, digits, spaces, commas, points, ``-`` and
    ``+`` as they are, the rest as numeric character references (``<`` → ``&#60;``), which ``dot`` reads as plain
    characters.

    A backslash is doubled first: even here ``dot`` reads ``\\N`` as the node's name.
    """
    text = visible(text).replace("\\", "\\\\")
    return "".join(char if char in _SAFE_IN_HTML else f"&#{ord(char)};" for char in text)


def html_label(markup: str) -> Html:
    """Mark ``markup`` (built by the caller from constant tags and :func:`label_text` pieces) as an
    HTML-like label, written ``<markup>`` in the DOT text."""
    return Html(f"<{markup}>")


def attribute_list(attributes: Mapping[str, Any]) -> str:
    """``[name="value" …]`` with every value quoted, except an :class:`Html` label written as it is.

    Names are microdiff's own (``label``, ``shape``…); values may be any text.
    """
    parts = (f"{name}={value if isinstance(value, Html) else quoted(value)}" for name, value in attributes.items())
    return "[" + " ".join(parts) + "]"
