"""A tiny neural-network library made of scalar ``Value``s, with PyTorch's names.

* :mod:`~microdiff.nn.modules` — ``Module``, ``Neuron``, ``Layer``, ``MLP``: the network's parts;
* :mod:`~microdiff.nn.layers` — ``Sequential``, ``Linear``, ``Embedding``, ``Flatten``, ``ReLU``, ``Tanh``,
  ``Sigmoid``: a network written the PyTorch way;
* :mod:`~microdiff.nn.losses` — loss functions, composed of the fundamental operations;
* :mod:`~microdiff.nn.optim` — optimizers that move the parameters downhill (``SGD``, ``Adam``, ``AdamW``);
* :mod:`~microdiff.nn.schedules` — learning-rate schedules (``StepLR``, ``LinearLR``, ``CosineAnnealingLR``);
* :mod:`~microdiff.nn.data` — ``Minibatches``, a seeded batch iterator;
* :mod:`~microdiff.nn.training` — the training loop (``optimize``, and ``train`` for a classifier), predictions
  and accuracy;
* :mod:`~microdiff.nn.gpt` — ``GPT``, ``RMSNorm``, ``CausalSelfAttention``: a transformer, one scalar at a time;
* :mod:`~microdiff.nn.saving` — the parameter file behind ``Module.save`` and ``Module.load``.

Import every public name from here: ``from microdiff.nn import MLP, SGD, hinge_loss``.
"""

from microdiff.nn.data import Minibatches
from microdiff.nn.gpt import GPT, CausalSelfAttention, KVCache, RMSNorm
from microdiff.nn.layers import Embedding, Flatten, Linear, ReLU, Sequential, Sigmoid, Tanh
from microdiff.nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
    softmax,
)
from microdiff.nn.modules import MLP, Layer, Module, Neuron
from microdiff.nn.optim import SGD, Adam, AdamW, Optimizer
from microdiff.nn.schedules import CosineAnnealingLR, LinearLR, LRScheduler, StepLR
from microdiff.nn.training import Progress, Step, accuracy, evaluate_accuracy, optimize, predict, train

__all__ = [
    "GPT",
    "MLP",
    "SGD",
    "Adam",
    "AdamW",
    "CausalSelfAttention",
    "CosineAnnealingLR",
    "Embedding",
    "Flatten",
    "KVCache",
    "LRScheduler",
    "Layer",
    "Linear",
    "LinearLR",
    "Minibatches",
    "Module",
    "Neuron",
    "Optimizer",
    "Progress",
    "RMSNorm",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Step",
    "StepLR",
    "Tanh",
    "accuracy",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "evaluate_accuracy",
    "hinge_loss",
    "mse_loss",
    "optimize",
    "predict",
    "softmax",
    "train",
]
