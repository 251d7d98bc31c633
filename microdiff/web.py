"""The one place where user text enters a web page: HTML text, JSON inside ``<script>``, and templates.

A label, a title or an error message may hold anything a user typed, ``<script>`` included. Pages get
such text only through these functions:

* :func:`html_text` escapes it for the body of a page or an attribute value;
* :func:`script_json` writes data as JSON that cannot end the ``<script>`` element holding it (``<``,
  ``>`` and ``&`` become ``\\u`` escapes, as do U+2028 and U+2029, which JavaScript once read as line ends);
* :func:`fill_template` fills ``{{NAME}}`` placeholders in one pass, so a value that itself looks like a
  placeholder is left as it is.

In the browser, text is set with ``textContent``, never ``innerHTML``.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

_PLACEHOLDER = re.compile(r"\{\{([A-Z_]+)\}\}")
_SCRIPT_UNSAFE = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026", "\u2028": "\\u2028", "\u2029": "\\u2029"}


def html_text(text: Any) -> str:
    """``text`` as HTML that shows exactly those characters, in an element's body or an attribute value."""
    return html.escape(str(text), quote=True)


def script_json(data: Any) -> str:
    """``data`` as JSON that is safe to place inside a ``<script>`` element.

    Floats that are not finite are refused (``allow_nan=False``): JSON has no NaN, so the caller
    decides how to write them (``null``, or a string).
    """
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return re.sub("[<>&\u2028\u2029]", lambda match: _SCRIPT_UNSAFE[match.group()], text)


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace each ``{{NAME}}`` in ``template`` by ``values[NAME]``, in a single pass.

    Every placeholder must have a value (a missing one is a ``KeyError`` naming it), and the values are
    inserted as they are: escape them first with :func:`html_text` or :func:`script_json`.
    """

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise KeyError(f"fill_template: no value for the placeholder {{{{{name}}}}}")
        return values[name]

    return _PLACEHOLDER.sub(value, template)
