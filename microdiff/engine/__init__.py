"""The engine: the table of fundamental operations and the machinery that differentiates with it.

* :mod:`~microdiff.engine.ops` — the fundamental operations, each with its local derivatives;
* :mod:`~microdiff.engine.arithmetic` — the operators built from them (shared by ``Value`` and ``Dual``), and
  the operations composed of them (sub, div, sigmoid, tanh);
* :mod:`~microdiff.engine.composite` — marking a group of nodes (sigmoid, a neuron) as one box for drawings;
* :mod:`~microdiff.engine.value` — ``Value``, one node of a computational graph, ``no_grad``, and reverse mode:
  the sort, the chain rule, ``backward``;
* :mod:`~microdiff.engine.copying` — copying and pickling a graph without recursion;
* :mod:`~microdiff.engine.disconnected` — the one rule for a derivative that is 0 because the graph was cut;
* :mod:`~microdiff.engine.forward` — forward mode: dual numbers and ``jvp``;
* :mod:`~microdiff.engine.functional` — ``gradients``, ``grad``, ``value_and_grad``, ``hvp``, ``hessian``;
* :mod:`~microdiff.engine.primitive` — adding a fundamental operation of your own;
* :mod:`~microdiff.engine.gradcheck` — reverse mode against finite differences.

The public names are imported from :mod:`microdiff` itself.
"""
