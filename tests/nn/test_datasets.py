"""The datasets: the right size, labels and shape, and the same data for the same seed."""

import math

import pytest

from microdiff.datasets import make_circles, make_moons, make_spiral, make_xor

MAKERS = [make_moons, make_circles, make_xor, make_spiral]


@pytest.mark.parametrize("make", MAKERS)
@pytest.mark.parametrize("n", [1, 7, 100])
def test_size_and_points(make, n):
    points, labels = make(n, seed=0)
    assert len(points) == len(labels) == n
    assert all(len(p) == 2 and all(isinstance(c, float) for c in p) for p in points)


@pytest.mark.parametrize("make", MAKERS)
def test_same_seed_same_data_other_seed_other_data(make):
    assert make(50, seed=3) == make(50, seed=3)
    assert make(50, seed=3).points != make(50, seed=4).points


@pytest.mark.parametrize("make", [make_moons, make_circles, make_xor])
def test_binary_sets_are_labelled_minus_one_and_plus_one_in_equal_numbers(make):
    labels = make(100, seed=1).labels
    assert labels.count(-1) == labels.count(1) == 50


def test_spiral_has_three_balanced_classes():
    labels = make_spiral(90, seed=0).labels
    assert [labels.count(k) for k in range(3)] == [30, 30, 30]


def test_moons_without_noise_lie_on_their_half_circles():
    for (x, y), label in zip(*make_moons(40, noise=0.0)):
        centre = (0.0, 0.0) if label == -1 else (1.0, 0.5)
        assert math.dist((x, y), centre) == pytest.approx(1.0)
        assert (y >= -1e-12) if label == -1 else (y <= 0.5 + 1e-12)


def test_circles_without_noise_have_radius_one_and_factor():
    for point, label in zip(*make_circles(40, noise=0.0, factor=0.3)):
        assert math.hypot(*point) == pytest.approx(1.0 if label == -1 else 0.3)


def test_xor_label_is_the_product_of_the_signs():
    for (x, y), label in zip(*make_xor(100, noise=0.2, seed=2)):
        assert label == (1 if x * y > 0 else -1)


def test_spiral_arms_start_at_the_centre_and_reach_radius_one():
    radii = [math.hypot(*p) for p in make_spiral(30, noise=0.0).points]
    assert min(radii) == pytest.approx(0.0) and max(radii) == pytest.approx(1.0)
