"""The engine's fast paths keep its promises: the collector's state, a failed pass, both backward paths agreeing."""

import gc
import threading

import pytest

from microdiff import Value, gradients
from microdiff.engine.value import collector_paused


@pytest.fixture
def collector_state():
    was_enabled = gc.isenabled()
    yield
    if was_enabled:
        gc.enable()
    else:
        gc.disable()


@pytest.mark.parametrize("enabled", [True, False])
def test_backward_leaves_the_collector_as_it_found_it(collector_state, enabled):
    gc.enable() if enabled else gc.disable()
    x = Value(2.0)
    (x * x + x).backward()
    gradients(x * x, [x])
    assert gc.isenabled() is enabled


def test_a_failed_backward_restores_the_collector_and_every_gradient(collector_state):
    gc.enable()
    x = Value(2.0)
    y = (x * x + 3).tanh() + x
    x.grad, y.grad = 5.0, -1.0
    with pytest.raises(TypeError, match="backward: gradient must be a number"):
        y.backward(gradient="one")
    assert gc.isenabled()
    assert (x.grad, y.grad) == (5.0, -1.0)


def test_overlapping_pauses_in_two_threads_restore_the_collector_once_both_end(collector_state):
    gc.enable()
    inside, release = threading.Event(), threading.Event()
    released: list[bool] = []

    def hold_a_pause():
        with collector_paused():
            inside.set()
            released.append(release.wait(5))

    thread = threading.Thread(target=hold_a_pause)
    thread.start()
    assert inside.wait(5), "the other thread never got inside its block"
    with collector_paused():
        assert not gc.isenabled()
    assert not gc.isenabled()  # the other thread's pass is still running
    release.set()
    thread.join(5)
    assert not thread.is_alive() and released == [True], "the other thread was not released in time"
    assert gc.isenabled()


def test_float_and_create_graph_passes_give_the_same_gradients_on_every_node():
    x, y = Value(0.7), Value(-1.3)
    out = (x * y).tanh() + (x.exp() / (y * y)).log() - x.relu() ** 2.0
    nodes = [x, y, out]
    out.backward()
    floats = [node.grad for node in nodes]
    out.zero_grad()
    out.backward(create_graph=True)
    assert all(isinstance(node.grad, Value) for node in nodes)
    as_floats = [node.grad.data for node in nodes]
    assert as_floats == pytest.approx(floats, rel=1e-12)
    assert gradients(out, [x, y]) == pytest.approx(floats[:2], rel=1e-12)
