"""Bad input gets a clear error that names the operation and the value."""

import subprocess
import sys

import pytest

from microdiff import Dual, Value


@pytest.mark.parametrize("bad", ["a", None, [1], 1j, {}, Value])
def test_value_refuses_what_is_not_a_number_and_names_its_type(bad):
    with pytest.raises(TypeError, match=type(bad).__name__):
        Value(bad)


@pytest.mark.parametrize(
    "build, error, message",
    [
        (lambda: Value(-1.0).log(), ValueError, r"log of -1\.0"),
        (lambda: Value(0.0).log(), ValueError, r"log of 0\.0"),
        (lambda: Value(0.0).reciprocal(), ZeroDivisionError, r"reciprocal of 0\.0"),
        (lambda: Value(1.0) / 0, ZeroDivisionError, r"reciprocal of 0\.0"),
        (lambda: Value(1000.0).exp(), OverflowError, r"exp\(1000\.0\)"),
        (lambda: Value(-8.0) ** 0.5, ValueError, r"pow: \(-8\.0\) \*\* 0\.5"),
        (lambda: Value(0.0) ** -1, ZeroDivisionError, r"pow: 0\.0 \*\* -1\.0"),
        (lambda: Value(10.0) ** 400, OverflowError, r"pow\(10\.0, 400\.0\) overflows"),
        (lambda: Dual(-1.0, 1.0).log(), ValueError, r"log of -1\.0"),
    ],
)
def test_domain_errors_name_the_operation_and_the_value(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize(
    "build",
    [
        lambda: Value(1) + "a",
        lambda: "a" + Value(1),
        lambda: Value(1) * [2],
        lambda: Value(1) - None,
        lambda: Value(1) / "x",
        lambda: Value(1) ** "x",
        lambda: 2j * Value(1),
    ],
)
def test_operands_that_are_not_numbers_give_pythons_usual_type_error(build):
    """Python's own message (Value's operators return NotImplemented), never an AttributeError from inside."""
    with pytest.raises(TypeError, match="unsupported operand type|can't multiply sequence|can only concatenate"):
        build()


def test_stable_sigmoid_and_tanh_at_huge_inputs():
    for x, sigmoid, tanh in [(-1000.0, 0.0, -1.0), (1000.0, 1.0, 1.0)]:
        z = Value(x)
        s = z.sigmoid()
        s.backward()
        assert s.data == sigmoid and z.grad == 0.0
        z = Value(x)
        t = z.tanh()
        t.backward()
        assert t.data == tanh and z.grad == 0.0


def test_the_core_imports_without_graphviz_and_drawing_says_how_to_get_it():
    code = (
        "import sys; sys.modules['graphviz'] = None\n"
        "import microdiff\n"
        "assert (microdiff.Value(2) * 3).data == 6.0\n"
        "try:\n    microdiff.draw(microdiff.Value(1))\n"
        "except ModuleNotFoundError as error:\n    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install graphviz" in result.stdout


def test_any_real_number_is_accepted_as_a_float():
    from fractions import Fraction

    assert Value(Fraction(1, 2)).data == 0.5
    assert (Value(1.0) * Fraction(1, 4)).data == 0.25
    assert Value(True).data == 1.0  # a bool is an int in Python


def test_drawing_something_that_is_not_a_value_says_so():
    from microdiff import draw

    with pytest.raises(TypeError, match="draw needs a Value or a traced Program, not Dual"):
        draw(Dual(1.0, 1.0))


def test_an_mlp_without_layers_is_refused():
    from microdiff.nn import MLP

    with pytest.raises(ValueError, match="a list of layer sizes"):
        MLP(2, [])
