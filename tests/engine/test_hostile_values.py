"""Fuzzing how a Value is made: any object as data or label gives a Value or a clear error naming Value."""

import math
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from microdiff import Value

ANYTHING = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**500), max_value=10**500),
    st.fractions(),
    st.booleans(),
    st.text(),
    st.none(),
    st.complex_numbers(),
    st.lists(st.integers(), max_size=3),
    st.binary(max_size=8),
)


@given(data=ANYTHING, label=ANYTHING)
def test_any_data_and_label_give_a_value_or_a_clear_error(data, label):
    try:
        x = Value(data, label=label)
    except TypeError as error:
        assert "Value needs an int or a float" in str(error) and type(data).__name__ in str(error)
        assert not isinstance(data, (int, float, Fraction))
        return
    except OverflowError as error:
        assert str(error).startswith("Value(") and "too large for a float" in str(error)
        assert isinstance(data, (int, Fraction)) and abs(data) > 1e308
        return
    assert isinstance(x.data, float) and isinstance(x.label, str)
    assert x.data == float(data) or (math.isnan(x.data) and math.isnan(data))
    assert x.label == ("" if label is None else label if isinstance(label, str) else str(label))
