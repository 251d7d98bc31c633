"""A tiny neural-network library made of scalar ``Value``s, with PyTorch's names.

* :mod:`~microdiff.nn.modules` — ``Module``, ``Neuron``, ``Layer``, ``MLP``: the network's parts;
* :mod:`~microdiff.nn.losses` — loss functions, composed of the fundamental operations;
* :mod:`~microdiff.nn.optim` — optimizers that move the parameters downhill;
* :mod:`~microdiff.nn.training` — the training loop, predictions and accuracy.

Import every public name from here: ``from microdiff.nn import MLP, SGD, hinge_loss``.
"""

from microdiff.nn.losses import binary_cross_entropy, cross_entropy, hinge_loss, mse_loss, softmax
from microdiff.nn.modules import MLP, Layer, Module, Neuron
from microdiff.nn.optim import SGD
from microdiff.nn.training import Step, accuracy, evaluate_accuracy, predict, train

__all__ = [
    "MLP",
    "SGD",
    "Step",
    "Layer",
    "Module",
    "Neuron",
    "accuracy",
    "binary_cross_entropy",
    "cross_entropy",
    "evaluate_accuracy",
    "hinge_loss",
    "mse_loss",
    "predict",
    "softmax",
    "train",
]
