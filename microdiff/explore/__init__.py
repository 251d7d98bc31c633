"""The training explorer: record a training run, then watch it in one self-contained web page.

Training a network is a loop of forward, loss, backward and update. The explorer watches that loop and
keeps, every ``every``-th step, what a learner wants to look at afterwards: the loss and the accuracy
(at every step, they are cheap), the parameters' values and gradients, and the decision regions.
:meth:`Recording.save` writes all of it as **one HTML file** with inline SVG, JavaScript and CSS and no
external URL, so it opens from disk (``file://``) and can be mailed around.

The page has a slider and a play button over the recorded steps, the data over the regions, the loss
and accuracy curves, and the **neuron view** of one data point's graph: the inputs ``x0``, ``x1``, each
neuron (``L1.n3``) and the loss, by layer, each with its value and the gradient of the point's loss at
the chosen step. Click a neuron to expand it into its scalar operations (its weights ``L1.n3.w0``…).
The page computes these numbers by replaying the point's graph with the same table of operations and
local derivatives as :mod:`microdiff.engine.ops`.

The package, one job per module:

* :mod:`~microdiff.explore.recording` — :class:`Recorder`, :func:`record` and the :class:`Recording`;
* :mod:`~microdiff.explore.regions` — the decision regions, on plain floats;
* :mod:`~microdiff.explore.graphs` — a point's graph as a tape to replay, its neuron view, its drawings;
* :mod:`~microdiff.explore.page` — the page (``page.html``) filled with the recording;

The command ``python -m microdiff explore --dataset moons --steps 100 -o explorer.html`` is an app like the
others, in :mod:`microdiff.apps.explore`.

In Jupyter a :class:`Recording` shows the page inline.
"""

from microdiff.explore.graphs import Tape, Unit, point_graph
from microdiff.explore.recording import Frame, Recorder, Recording, record
from microdiff.explore.regions import GRID, LEVELS, REGION_CODES, decision_regions, grid_points

__all__ = [
    "GRID",
    "LEVELS",
    "REGION_CODES",
    "Frame",
    "Recorder",
    "Recording",
    "Tape",
    "Unit",
    "decision_regions",
    "grid_points",
    "point_graph",
    "record",
]
