"""Sphinx settings for microdiff's documentation, built by ``make site`` (tools/site/build.py).

The pages are Markdown (MyST); the lessons are the notebooks of notebooks/, executed at build time by
tools/site/documentation.py and rendered here with their outputs by myst-nb (which does not run them again);
the API reference comes from the docstrings (autodoc). The build runs with ``-W --keep-going -n``: any warning,
and any reference to a Python object that does not resolve, fails it. There is no network: references to other
projects' objects (the standard library's, graphviz's) cannot be checked against their inventories, and are
listed in ``nitpick_ignore_regex`` below instead of being linked.
"""

project = "microdiff"
author = "microdiff developers"
copyright = "microdiff developers"

extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.autosummary", "sphinx.ext.mathjax"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
html_theme = "furo"
html_title = "microdiff"
html_static_path = ["_static"]
html_css_files = ["microdiff.css"]
# MathJax from the site itself (npm's mathjax, copied in by the build): no page loads anything from elsewhere.
mathjax_path = "mathjax/tex-svg-full.js"

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # executed once, by tools/site/documentation.py, with the charts drawn as SVG
nb_merge_streams = True
nb_output_stderr = "remove-warn"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
# Each object is described once, in the module that defines it (a package's __all__ only re-exports).
autodoc_default_options = {"members": True, "undoc-members": True, "show-inheritance": True, "ignore-module-all": True}
# Every module of the package gets a page of its own (made at build time into api/, ignored by git), so that
# the docstrings' references to modules and objects resolve, whatever the package's layout.
autosummary_generate = True

# Objects of Python itself and of other libraries: no inventory to check them against offline.
nitpick_ignore_regex = [
    (r"py:.*", r"(typing|collections\.abc|collections|pathlib|os|types|enum|random|threading|contextlib|contextvars)\..*"),
    (r"py:.*", r"(graphviz|altair|hypothesis|json|io|argparse|ast|pyodide|js)(\..*)?"),
    (r"py:class", r"(int|float|str|bytes|bool|list|dict|tuple|set|frozenset|object|type|callable|None)"),
    (r"py:class", r"(Any|Callable|Iterable|Iterator|Sequence|Mapping|TypeVar|Path|NamedTuple|Generator|Enum)"),
    (r"py:class", r"(Exception|RuntimeError|ValueError|TypeError|UserWarning|ArithmeticError)"),
    (r"py:class", r"(PathLike|os\.PathLike|MutableMapping|Number|Fraction|Decimal)"),
    # Type variables and aliases in signatures (autodoc shows their names; they have no entry of their own).
    (r"py:(class|obj)", r"(microdiff\.[\w.]+\.)?(Number|F|X|Y|Seed|Activation|Context|Batch|Token)"),
    # Private helpers that docstrings point to: private members get no entry.
    (r"py:.*", r"([\w.]+\.)?_\w+"),
    # Module constants documented by a comment, not a docstring (autodoc gives them no entry).
    (r"py:(data|meth)", r"(MAX_NODES|MAX_NODES_WITH_STEPS|TOOLTIP_LIMIT|DOT_TIMEOUT|on_step)"),
    # The hidden modules (see HIDDEN below).
    (r"py:.*", r"microdiff\.lessons\.(answers|tiny)(\..*)?"),
]

# The lessons' hidden answers and the build-it track's reference engine stay out of the documentation: a
# learner reads them only after trying (and tiny.Value would make every "Value" ambiguous).
HIDDEN = ("microdiff.__main__", "microdiff.lessons.answers", "microdiff.lessons.tiny")


def api_modules() -> list[str]:
    """Every module of the package, but the hidden ones: the API reference's pages (one each)."""
    import pkgutil

    import microdiff

    names = ["microdiff", *(m.name for m in pkgutil.walk_packages(microdiff.__path__, "microdiff."))]
    return sorted(name for name in names if not name.startswith(HIDDEN))


def _plain_text_habits(app, what, name, obj, options, lines) -> None:
    """Two ways the docstrings write plain text that reStructuredText reads otherwise: ``Value``s for a plural
    (it wants an escaped space after the literal) and |s| for an absolute value (it reads a substitution)."""
    import re

    lines[:] = [re.sub(r"(``[^`]+``)(?=[A-Za-z])", r"\1\\ ", line) for line in lines]
    lines[:] = [re.sub(r"\|(\w+)\|", r"\\|\1\\|", line) for line in lines]


API_INTRO = """API reference
=============

Generated from the docstrings, one page per module. ``microdiff`` itself gathers the names a learner needs first
(``from microdiff import Value, grad, draw``); each name is described in the module that defines it.

.. autosummary::
   :toctree: modules

"""


def write_api_index() -> None:
    """api/index.rst: the reference's first page, listing every module (made here, so it follows the package)."""
    from pathlib import Path

    index = Path(__file__).parent / "api" / "index.rst"
    index.parent.mkdir(exist_ok=True)
    text = API_INTRO + "".join(f"   {name}\n" for name in api_modules())
    if not index.exists() or index.read_text(encoding="utf-8") != text:
        index.write_text(text, encoding="utf-8")


write_api_index()


def _defined_where(name: str):
    """The object a dotted name reaches by importing its longest module prefix, or None."""
    import importlib

    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return None
        return obj
    return None


def _through_imports(app, env, node, contnode):
    """Resolve a reference the way Python would: ``microdiff.nn.MLP`` (a package re-exports it) or ``Recording``
    in a package's docstring (imported there) finds the object in the module that defines it, and links there."""
    if node.get("refdomain") != "py":
        return None
    target = node["reftarget"]
    for name in (target, f"{node.get('py:module')}.{target}"):
        obj = _defined_where(name) if name.startswith("microdiff") else None
        module, qualname = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
        if module and qualname and f"{module}.{qualname}" != target:
            domain = env.get_domain("py")
            found = domain.resolve_any_xref(env, node["refdoc"], app.builder, f"{module}.{qualname}", node, contnode)
            if found:
                return found[0][1]
    return None


def setup(app) -> None:
    app.connect("missing-reference", _through_imports)
    app.connect("autodoc-process-docstring", _plain_text_habits)
