"""The engine: the table of fundamental operations and the machinery that differentiates with it.

* :mod:`~microdiff.engine.ops` — the fundamental operations, each with its local derivatives;
* :mod:`~microdiff.engine.arithmetic` — the operators built from them (shared by ``Value`` and ``Dual``);
* :mod:`~microdiff.engine.composite` — naming a group of nodes (sigmoid, a neuron) as one box for drawings;
* :mod:`~microdiff.engine.value` — ``Value``, one node of a computational graph, and ``no_grad``;
* :mod:`~microdiff.engine.reverse` — reverse mode: the sort, the chain rule, ``backward``, ``gradients``;
* :mod:`~microdiff.engine.forward` — forward mode: dual numbers and ``jvp``;
* :mod:`~microdiff.engine.functional` — ``grad``, ``value_and_grad``, ``hvp``, ``hessian``;
* :mod:`~microdiff.engine.primitive` — adding a fundamental operation of your own;
* :mod:`~microdiff.engine.gradcheck` — reverse mode against finite differences.

The public names are imported from :mod:`microdiff` itself.
"""
