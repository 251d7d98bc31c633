"""The anatomy of a graph (microdiff/anatomy.py): what a picture shows, as data, apart from the renderers.

No test here runs Graphviz's ``dot``: the anatomy needs no Graphviz at all. The reading cost of
``draw(y)`` is measured as a learner would follow it: every microdiff function called, traced.
"""

import ast
import subprocess
import sys
from pathlib import Path

from conftest import WITHOUT_GRAPHVIZ

import microdiff
from microdiff import Value
from microdiff.anatomy import anatomy, columns, node_names
from microdiff.engine.value import topological_order

PACKAGE = Path(microdiff.__file__).parent


def followed(call) -> set[tuple[str, str, int]]:
    """(file, function, line) of every microdiff function that ``call()`` runs, files relative to the package."""
    seen = set()

    def profile(frame, event, arg):
        code = frame.f_code
        if event == "call" and code.co_filename.startswith(str(PACKAGE)):
            seen.add((str(Path(code.co_filename).relative_to(PACKAGE)), code.co_name, code.co_firstlineno))

    sys.setprofile(profile)
    try:
        call()
    finally:
        sys.setprofile(None)
    return seen


def test_reading_draw_y_opens_at_most_four_files():
    """Following ``draw(y)`` for ``x*x + 3*x`` means reading the drawing, its anatomy, the one escaper and
    the engine's Value: four files (issue 19 measured 6 files and 44 functions before)."""
    from microdiff.drawing.draw import draw

    x = Value(2.0, label="x")
    y = x * x + 3 * x
    y.backward()
    seen = followed(lambda: draw(y))
    files = {file for file, _, _ in seen}
    assert files == {"anatomy.py", "drawing/draw.py", "drawing/dot.py", "engine/value.py"}, sorted(seen)
    assert len(files) <= 4


def test_the_anatomy_needs_no_graphviz():
    code = (
        WITHOUT_GRAPHVIZ + "from microdiff import Value\n"
        "from microdiff.anatomy import anatomy\n"
        "x = Value(3.0, label='x')\n"
        "shape = anatomy((x * x).sigmoid())\n"
        "print(sorted(shape.names.values()), 'graphviz' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['1', 'v1', 'v2', 'v3', 'v4', 'v5', 'x'] False"


def imports_of(path: Path) -> set[str]:
    """The modules a file imports, anywhere in it (inside functions too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_imports_point_one_way_engine_then_anatomy_then_renderers():
    """The engine imports neither the anatomy nor the renderers; the anatomy imports no renderer and no
    graphviz; drawing/ holds only renderers (DOT text, the dot runner, drawings, the Stepper)."""
    for path in (PACKAGE / "engine").glob("*.py"):
        assert not {m for m in imports_of(path) if m.startswith(("microdiff.anatomy", "microdiff.drawing"))}, path
    anatomy_imports = imports_of(PACKAGE / "anatomy.py")
    assert all(m.startswith(("microdiff.engine", "__future__", "collections", "dataclasses", "typing"))
               for m in anatomy_imports), anatomy_imports  # fmt: skip
    renderers = {path.stem for path in (PACKAGE / "drawing").glob("*.py")} - {"__init__", "wasm"}
    assert renderers == {"dot", "runner", "draw", "stepper"}


def test_only_the_runner_starts_a_program():
    """One dot runner: no other module of microdiff imports subprocess."""
    starting = [path for path in PACKAGE.rglob("*.py") if "subprocess" in imports_of(path)]
    assert [str(path.relative_to(PACKAGE)) for path in starting] == ["drawing/runner.py"]


def seeds_f() -> Value:
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    f = 3 * x**2 + x * y + 5 * y**2
    f.label = "f"
    return f


def test_columns_put_each_result_right_of_its_inputs_and_each_leaf_just_left_of_its_first_use():
    f = seeds_f()
    order = topological_order(f)
    column = columns(order)
    for node in order:
        for parent in node.parents:
            assert column[parent] < column[node]
        uses = [column[user] for user in order if node in user.parents]
        if not node.parents and uses:
            assert column[node] == min(uses) - 1
    names = node_names(order)
    by_name = {names[node]: column[node] for node in order if names[node].startswith(("v", "f"))}
    assert by_name == {"v1": 1, "v2": 1, "v3": 1, "v4": 2, "v5": 2, "v6": 3, "f": 4}


def test_names_count_column_by_column_and_leaves_first_within_a_column():
    a = Value(1.0)  # an unlabelled leaf, used in column 2: it stands in column 1, with 1/3
    out = a / 3.0  # a · (1/3): reciprocal(3) is in column 1 too
    names = node_names(topological_order(out))
    assert [names[n] for n in (a, out.parents[1], out)] == ["v1", "v2", "v3"]


def test_a_collapsed_composite_is_one_node_fed_from_outside_and_named_after_it():
    from microdiff.nn import MLP

    x = [Value(1.0, label="x0"), Value(2.0, label="x1")]
    score = MLP(2, [2, 1], seed=0)(x)[0]
    shape = anatomy(score, collapse=True)
    assert sorted(shape.names[node] for node in shape.drawn) == ["L1.n0", "L1.n1", "L2.n0", "x0", "x1"]
    neurons = {shape.names[node]: node for node in shape.collapsed}
    assert set(neurons) == {"L1.n0", "L1.n1", "L2.n0"}
    assert set(shape.inputs[neurons["L1.n0"]]) == set(x)  # its weights are inside the box, hidden
    assert set(shape.inputs[neurons["L2.n0"]]) == {neurons["L1.n0"], neurons["L1.n1"]}
    assert shape.column[neurons["L2.n0"]] == 2 and shape.column[neurons["L1.n0"]] == 1
