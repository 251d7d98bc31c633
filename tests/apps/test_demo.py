"""The demo runs end to end on a short schedule and writes its pictures."""

import pytest

from microdiff.__main__ import main
from microdiff.apps.demo import draw_neuron
from microdiff.nn import MLP

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_quick_demo_trains_reports_and_writes_valid_pngs(tmp_path, capsys):
    image = pytest.importorskip("matplotlib.image")
    assert main(["demo", "--out", str(tmp_path / "pictures"), "--quick"]) == 0
    printed = capsys.readouterr().out
    assert "step   1/5" in printed and "step   5/5" in printed
    assert "final accuracy" in printed
    assert f"created the folder {tmp_path / 'pictures'}" in printed
    for name in ("decision_boundary.png", "loss.png", "explorer.html"):
        assert f"wrote {tmp_path / 'pictures' / name}\n" in printed  # every file written is printed
    names = {path.name for path in (tmp_path / "pictures").iterdir()}
    assert names - {"neuron_graph.png", "neuron_graph.dot"} == {"decision_boundary.png", "loss.png", "explorer.html"}
    for name in ("decision_boundary.png", "loss.png"):
        data = (tmp_path / "pictures" / name).read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 1000
        assert image.imread(tmp_path / "pictures" / name).ndim == 3  # decodes as an RGB(A) picture
    graph = tmp_path / "pictures" / "neuron_graph.png"
    dot_text = tmp_path / "pictures" / "neuron_graph.dot"  # written instead when Graphviz's dot is missing
    assert graph.read_bytes().startswith(PNG_SIGNATURE) if graph.exists() else "digraph" in dot_text.read_text()
    page = (tmp_path / "pictures" / "explorer.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "two moons" in page


def test_demo_refuses_zero_steps_and_an_out_that_is_a_file_in_one_line(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "--steps", "0"]) == 1
    assert capsys.readouterr().err == "microdiff demo: error: --steps must be at least 1, not 0\n"
    (tmp_path / "file").write_text("")
    assert main(["demo", "--out", str(tmp_path / "file"), "--quick"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("microdiff demo: error: --out") and "is a file" in err


def test_the_boundary_paints_label_minus_one_blue_and_plus_one_red_as_the_palette_does(tmp_path):
    """Sampled from the PNG: the dots of each label are painted in the colour microdiff.style gives it."""
    image = pytest.importorskip("matplotlib.image")
    from microdiff.apps.demo import plot_decision_boundary
    from microdiff.style import class_colour

    model = MLP(2, [1], activation="linear", seed=0)
    path = plot_decision_boundary(model, [(0.0, 0.0), (1.0, 1.0)], [-1, 1], tmp_path / "b.png", grid=5)
    pixels = image.imread(path)
    colours = {tuple(round(float(c) * 255) for c in pixel[:3]) for row in pixels for pixel in row}
    for label in (-1, 1):
        hex_colour = class_colour(label, binary=True)
        rgb = tuple(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
        assert rgb in colours  # the dots of each label are painted in the palette's colour


def test_the_drawn_neuron_shows_this_pass_gradients_not_leftovers_from_training(tmp_path):
    model = MLP(2, [3, 1], seed=0)
    for p in model.parameters():
        p.grad = 5.0  # what a last training step leaves behind
    points = [(1.5, 0.5), (-1.0, 2.0)]
    draw_neuron(model.layers[0].neurons, points, tmp_path / "neuron")
    drawn = next(n for n in model.layers[0].neurons if n.b.grad != 5.0)
    assert drawn.b.grad == 1.0  # d relu(w·x + b) / db where the neuron is active
    assert [w.grad for w in drawn.w] in ([1.5, 0.5], [-1.0, 2.0])  # d / dwᵢ = xᵢ at the drawn point
