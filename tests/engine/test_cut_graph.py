"""One rule in both modes for a derivative that is 0 because nothing connects output and input, and ``bool`` of a
number as PyTorch has it."""

import warnings

import pytest

from microdiff import DisconnectedGradientWarning, Dual, Value, grad, gradients, jvp


def test_reading_data_or_primal_cuts_the_graph_and_both_modes_say_so_in_the_same_words():
    with pytest.warns(DisconnectedGradientWarning, match="plain float") as reverse:
        assert grad(lambda x: x.data**2)(3.0) == 0.0
    with pytest.warns(DisconnectedGradientWarning, match="plain float") as forward:
        assert jvp(lambda x: x.primal**2, (3.0,), (1.0,)) == (9.0, 0.0)
    tail = "If that is not right, the graph was cut"
    assert tail in str(reverse[0].message) and tail in str(forward[0].message)


def test_a_constant_output_warns_in_both_modes_and_a_connected_one_in_neither():
    with pytest.warns(DisconnectedGradientWarning):
        jvp(lambda x: 5.0, (1.0,), (1.0,))
    with pytest.warns(DisconnectedGradientWarning):
        gradients(Value(1.0) * 2, [Value(3.0)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert jvp(lambda x: x * 0.0, (1.0,), (1.0,)) == (0.0, 0.0)  # connected, and truly 0: no warning
        assert grad(lambda x: x * 0.0)(1.0) == 0.0


def test_bool_is_whether_the_number_is_not_zero_as_in_pytorch():
    assert not Value(0.0) and not Value(-0.0) and Value(2.0) and Value(float("nan"))
    assert not Dual(0.0, 1.0) and Dual(3.0)
    loss = Value(0.0)
    assert (loss or "default") == "default"
