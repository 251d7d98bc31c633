"""A user's primitive keeps its contract in every mode, or says which primitive broke it and where:
``local`` returns one slope per input, ``forward`` a real number, and every error inside either names the
primitive and its inputs — in ``backward``, ``create_graph``, ``grad``, ``jvp`` and on plain floats alike."""

import math

import pytest

from microdiff import Dual, Value, grad, jvp, primitive


def two_slopes_for_one_input():
    return primitive("twice_sloped", lambda a: 2 * a, lambda a, out: (2.0, 2.0))


MODES = {
    "backward": lambda f: _backward(f),
    "create_graph": lambda f: _backward(f, create_graph=True),
    "grad": lambda f: grad(f)(1.5),
    "jvp": lambda f: jvp(f, (1.5,), (1.0,)),
}


def _backward(f, create_graph=False):
    x = Value(1.5)
    f(x).backward(create_graph=create_graph)
    return x.grad


@pytest.mark.parametrize("mode", list(MODES))
def test_a_rule_with_the_wrong_number_of_slopes_is_refused_in_every_mode(mode):
    f = two_slopes_for_one_input()
    with pytest.raises(TypeError, match=r"primitive twice_sloped: local\(.*\) must return a tuple of 1 slope"):
        MODES[mode](f)


@pytest.mark.parametrize("mode", list(MODES))
def test_a_rule_that_returns_nothing_is_refused_not_read_as_a_cut_graph(mode):
    f = primitive("no_slopes", lambda a: 3 * a, lambda a, out: ())
    with pytest.raises(TypeError, match="no_slopes.*must return a tuple of 1 slope"):
        MODES[mode](f)


def test_forward_must_give_a_real_number_and_an_int_becomes_a_float():
    complex_valued = primitive("complex_valued", lambda a: complex(a, 1.0), lambda a, out: (1.0,))
    with pytest.raises(TypeError, match=r"complex_valued: forward\(2.0\) returned complex .*not a real number"):
        complex_valued(Value(2.0))
    with pytest.raises(TypeError, match="complex_valued"):
        complex_valued(2.0)
    nothing = primitive("returns_none", lambda a: None, lambda a, out: (1.0,))
    with pytest.raises(TypeError, match="returns_none: forward.*returned NoneType"):
        nothing(Value(1.0))
    whole = primitive("whole", lambda a: int(a) + 1, lambda a, out: (0.0,))
    out = whole(Value(2.5))
    assert out.data == 3.0 and type(out.data) is float and type(whole(2.5)) is float
    assert type(whole(Dual(2.5, 1.0)).primal) is float


def test_errors_inside_forward_and_local_name_the_primitive_and_its_inputs():
    root = primitive("my_root", lambda a: math.sqrt(a), lambda a, out: (0.5 / out,))
    with pytest.raises(ValueError, match=r"primitive my_root: forward\(-1.0\) raised ValueError: math domain error"):
        root(Value(-1.0))
    broken = primitive("broken_rule", lambda a: a, lambda a, out: (None - a,))
    with pytest.raises(TypeError, match=r"primitive broken_rule: local\(2.0, 2.0\) raised TypeError: unsupported"):
        broken(Value(2.0)).backward()
    floats_only = primitive("floats_only", math.sin, lambda a, out: (math.cos(a),))  # math.cos needs a float
    x = Value(0.3)
    floats_only(x).backward()  # fine on floats
    with pytest.raises(TypeError, match=r"floats_only: local\(Value\(0.3\).*write it with operators"):
        floats_only(x).backward(create_graph=True)
    assert jvp(floats_only, (0.3,), (1.0,))[1] == math.cos(0.3)  # first-order forward mode: floats again
    with pytest.raises(TypeError, match=r"floats_only: local\(Dual\(0.3\)"):  # forward over forward: dual numbers
        jvp(lambda t: jvp(floats_only, (t,), (1.0,))[1], (0.3,), (1.0,))


def test_a_slope_that_is_not_a_number_is_refused_on_floats():
    strange = primitive("strange_slope", lambda a: a, lambda a, out: ("1",))
    with pytest.raises(TypeError, match=r"strange_slope: local\(1.0, 1.0\) returned the slope '1' \(str\)"):
        strange(Value(1.0)).backward()


def test_a_keyboard_interrupt_inside_a_rule_is_not_wrapped():
    def interrupted(a, out):
        raise KeyboardInterrupt

    stop = primitive("interrupting", lambda a: a, interrupted)
    with pytest.raises(KeyboardInterrupt):
        stop(Value(1.0)).backward()
