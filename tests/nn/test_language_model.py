"""The character-level language model: the shipped names, examples, the bigram baseline, a short seeded
training run that learns and repeats itself exactly, and sampling. (The ``names`` command: test_names_command.py.)"""

import math
import random

import pytest
from conftest import ROOT

from microdiff.datasets import load_names
from microdiff.nn import language_model as lm


def test_the_shipped_names_are_lowercase_letters_sorted_and_unique():
    names = load_names()
    assert len(names) == 5163
    assert names == sorted(set(names))
    assert all(name.isascii() and name.isalpha() and name.islower() for name in names)
    assert {"mary", "james", "zelma"} <= set(names)


def test_the_data_file_says_where_it_comes_from():
    header = (ROOT / "microdiff" / "data" / "names.txt").read_text().splitlines()[:5]
    assert any("US Census Bureau, 1990 census" in line for line in header)
    assert any("public domain" in line for line in header)


def test_examples_slide_a_window_over_each_name():
    alphabet = lm.make_alphabet(["emma"])
    assert alphabet == ".aem"
    inputs, targets = lm.examples(["emma"], alphabet, context=2)
    assert ["".join(alphabet[i] for i in window) + ">" + alphabet[t] for window, t in zip(inputs, targets)] == [
        "..>e",
        ".e>m",
        "em>m",
        "mm>a",
        "ma>.",
    ]


def test_split_holds_out_a_tenth_reproducibly():
    names = load_names()
    training, validation = lm.split(names, seed=0)
    assert len(validation) == round(len(names) / 10) and not set(training) & set(validation)
    assert lm.split(names, seed=0) == (training, validation) != lm.split(names, seed=1)


def test_bigram_probabilities_are_smoothed_counts():
    alphabet = lm.make_alphabet(["ab"])
    inputs, targets = lm.examples(["ab", "ab", "b"], alphabet)
    bigram = lm.Bigram(inputs, targets, len(alphabet))
    assert bigram.probabilities(alphabet.index("a")) == pytest.approx([1 / 5, 1 / 5, 3 / 5])  # a→b twice
    assert sum(bigram.probabilities(0)) == pytest.approx(1.0)
    assert bigram.loss(inputs[:1], targets[:1]) == pytest.approx(-math.log(3 / 6))  # . → a: 2 of 3, smoothed


def short_run(seed=0, steps=40):
    names = load_names()[:300]
    alphabet = lm.make_alphabet(names)
    inputs, targets = lm.examples(names, alphabet)
    model = lm.make_model(len(alphabet), seed=seed)
    lm.start_from_frequencies(model, targets)
    before = lm.evaluate(model, inputs[:200], targets[:200])
    losses = lm.train(model, inputs, targets, steps=steps, batch_size=16, lr=0.05, seed=seed)
    after = lm.evaluate(model, inputs[:200], targets[:200])
    return model, alphabet, losses, before, after


@pytest.fixture(scope="module")
def trained():
    return short_run()


def test_a_short_run_learns_and_repeats_itself_exactly(trained):
    model, alphabet, losses, before, after = trained
    assert after < before - 0.1, (before, after)  # on a fixed set of examples, the loss falls
    again = short_run()
    assert again[2] == losses and again[0].state_dict() == model.state_dict()
    assert short_run(seed=1, steps=3)[2] != losses[:3]


def test_train_reports_each_step_before_the_schedule_moves_on():
    names = load_names()[:50]
    alphabet = lm.make_alphabet(names)
    inputs, targets = lm.examples(names, alphabet)
    seen = []
    losses = lm.train(
        lm.make_model(len(alphabet)), inputs, targets, steps=3, lr=0.1, final_lr=0.01, on_step=seen.append
    )
    assert [(p.step, p.steps, p.loss) for p in seen] == [(k, 3, loss) for k, loss in enumerate(losses, start=1)]
    assert [p.lr for p in seen] == pytest.approx([0.1, 0.1 - 0.09 * 0.25, 0.1 - 0.09 * 0.75])  # cosine to 0.01


def test_start_from_frequencies_makes_the_untrained_model_the_unigram_model():
    model = lm.make_model(3, hidden=2)
    lm.start_from_frequencies(model, [1, 1, 1, 2])  # counts + 1: 1, 4, 2
    for p in model[-1].parameters():
        if not p.label.endswith(".b"):
            p.data = 0.0
    logits = [v.data for v in model([0, 1, 2])]
    probabilities = [math.exp(v) / sum(math.exp(w) for w in logits) for v in logits]
    assert probabilities == pytest.approx([1 / 7, 4 / 7, 2 / 7])


def test_sampling_is_seeded_and_temperature_sharpens(trained):
    model, alphabet, *_ = trained
    first = [lm.sample(model, alphabet, random.Random(5)) for _ in range(3)]
    assert first == [lm.sample(model, alphabet, random.Random(5)) for _ in range(3)]
    assert all(set(name) <= set(alphabet[1:]) for name in first)
    cold = [lm.sample(model, alphabet, random.Random(k), temperature=0.01) for k in range(3)]
    assert len(set(cold)) == 1  # near 0 the likeliest letter every time
    with pytest.raises(ValueError, match=r"temperature must be in \(0.0, 100.0\], got 0"):
        lm.sample(model, alphabet, random.Random(0), temperature=0)


def test_the_shipped_trained_model_beats_the_bigram_model_on_held_out_names():
    names = load_names()
    training, validation = lm.split(names, seed=0)
    alphabet = lm.make_alphabet(names)
    x_train, y_train = lm.examples(training, alphabet)
    x_val, y_val = lm.examples(validation, alphabet)
    model = lm.make_model(len(alphabet))
    model.load(ROOT / "microdiff" / "data" / "names_model.json")  # saved by `names --save`
    bigram = lm.Bigram(x_train, y_train, len(alphabet)).loss(x_val, y_val)
    assert lm.evaluate(model, x_val, y_val) < bigram - 0.01


def test_plane_finds_the_two_directions_of_largest_spread():
    # Four points spread ±3 along one direction and ±2 along another, then turned by 45° in 4-D.
    flat_points = [(3.0, 0.0), (-3.0, 0.0), (0.0, 2.0), (0.0, -2.0)]
    c = math.sqrt(0.5)
    rows = [[c * a, c * a, c * b, -c * b] for a, b in flat_points]
    seen = lm.plane(rows)
    got = [abs(coordinate) for point in seen for coordinate in point]
    assert got == pytest.approx([abs(coordinate) for point in flat_points for coordinate in point], abs=1e-9)
    assert lm.plane([[1.0, 2.0], [3.0, 6.0]]) == [(-1.0, -2.0), (1.0, 2.0)]  # 2-D: only centred


def test_embeddings_are_the_tables_rows_as_floats(trained):
    model, alphabet, *_ = trained
    rows = lm.embeddings(model)
    assert len(rows) == len(alphabet) and rows[1] == [p.data for p in model[0].weight[1]]


def test_train_refuses_too_few_examples_for_one_batch():
    alphabet = lm.make_alphabet(["ab"])
    inputs, targets = lm.examples(["ab"], alphabet)
    with pytest.raises(ValueError, match="3 examples make no full batch of 16"):
        lm.train(lm.make_model(len(alphabet)), inputs, targets, steps=1, batch_size=16)


@pytest.mark.parametrize("validation", [-0.5, 1.5, 1.0, float("nan"), "0.1"])
def test_split_refuses_a_fraction_outside_zero_to_one(validation):
    with pytest.raises(ValueError, match=r"split: validation must be"):
        lm.split(["ann", "bob", "cy"], validation=validation)
    training, held_out = lm.split(["ann", "bob", "cy"], validation=0.0)  # 0 holds out nothing: allowed
    assert sorted(training) == ["ann", "bob", "cy"] and held_out == []
