"""Parameter files: written atomically, read with care. Any file at all gives the parameters or a
ValueError naming the file, and a refused file leaves the model as it was."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microdiff.nn import MLP, Sequential, Tanh
from microdiff.nn.layers import Linear


def snapshot(model):
    return [p.data for p in model.parameters()]


def test_save_writes_names_beside_the_numbers_and_old_files_without_names_still_load(tmp_path):
    model = MLP(2, [2, 1], seed=3)
    model.save(tmp_path / "new.json")
    record = json.loads((tmp_path / "new.json").read_text())
    assert record["names"] == [n for n, _ in model.named_parameters()]
    assert record["parameters"] == snapshot(model)
    del record["names"]  # a file from before names existed
    (tmp_path / "old.json").write_text(json.dumps(record))
    fresh = MLP(2, [2, 1], seed=4)
    fresh.load(tmp_path / "old.json")
    assert snapshot(fresh) == snapshot(model)


def test_save_is_atomic_a_failed_save_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.json"
    model = MLP(2, [2, 1], seed=0)
    model.save(path)
    good = path.read_text()
    model.parameters()[0].data = float("nan")
    with pytest.raises(ValueError, match="must be a finite number"):
        model.save(path)
    assert path.read_text() == good
    assert [p.name for p in tmp_path.iterdir()] == ["model.json"]  # no temporary file left behind


def file_with(parameters):
    return json.dumps({"format": "microdiff.nn parameters", "model": "MLP", "shape": [2, 1], "parameters": parameters})


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (file_with([1.0, 2.0, 10**400]), r"parameter 2 \(L1.n0.b\) must be a finite number, found a 401-digit int"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "byte 0x89 at offset 0 is not UTF-8 text"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"format": "microdiff.nn parameters",\n "model": MLP}', "corrupt at line 2 column 11"),
        (file_with([1.0, 2.0, 1e400]), r"parameter 2 \(L1.n0.b\) must be a finite number, found inf"),
        (file_with([1.0, True, 0.0]), r"parameter 1 \(L1.n0.w1\) must be a finite number, found True \(a bool\)"),
        (
            '{"format": "microdiff.nn parameters", "model": "MLP", "shape": [2, 1], "parameters": ['
            + "9" * 5000
            + "]}",
            "not a parameter file",
        ),
        (
            file_with([1.0, 2.0, 3.0]).replace('"parameters"', '"names": ["a", "b", "c"], "parameters"'),
            "parameter names differ",
        ),
    ],
)
def test_hostile_files_give_a_clear_error_naming_the_file(tmp_path, content, message):
    path = tmp_path / "model.json"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    model = MLP(2, [1], seed=0)
    before = snapshot(model)
    with pytest.raises(ValueError, match=message) as caught:
        model.load(path)
    assert str(path) in str(caught.value) and str(caught.value).startswith("MLP.load: ")
    assert snapshot(model) == before


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
records = st.fixed_dictionaries(
    {"format": st.just("microdiff.nn parameters"), "model": st.sampled_from(["Sequential", "MLP"])},
    optional={
        "shape": st.just([2, 2, 2, 1]) | json_values,
        "parameters": st.lists(json_values, max_size=10),
        "names": json_values,
    },
)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    content=st.binary(max_size=200)
    | records.map(lambda r: json.dumps(r).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
)
def test_fuzzed_files_load_or_give_a_value_error_naming_the_path(tmp_path, content):
    path = tmp_path / "fuzz.json"
    path.write_bytes(content)
    model = Sequential(Linear(2, 2), Tanh(), Linear(2, 1))
    before = snapshot(model)
    try:
        model.load(path)
    except ValueError as error:
        assert str(path) in str(error)
        assert snapshot(model) == before
