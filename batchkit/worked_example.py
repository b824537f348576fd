"""Lesson 02's worked example: a linear layer plus ReLU on a batch, computed one visible step at a time.

The steps follow the posts' "AI by Hand" exercise in the rows layout: each sample's row of ``X`` times ``Wᵀ``
(one row of ``X Wᵀ`` per step), then the bias added to every row at once (batch add), then ReLU on every entry.
:func:`linear_relu_steps` records, for every step, which table cells are known and which were just computed;
:func:`batchkit.plotting.plot_linear_steps` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .activations import relu
from .linear import check_linear_shapes, linear_forward

#: Names of the tables in the order they are drawn.
TABLES = ("X", "Wᵀ", "X Wᵀ", "b", "Z = X Wᵀ + b", "ReLU(Z)")


def worked_example() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lesson's small integer example: a batch of 4 samples with 3 inputs, a layer with 2 outputs.

    Returns
    -------
    X : numpy.ndarray of int, shape (4, 3)
    W : numpy.ndarray of int, shape (2, 3)
    b : numpy.ndarray of int, shape (2,)
    """
    X = np.array([[2, 1, 0], [0, 3, 1], [1, -1, 2], [3, 0, -2]])
    W = np.array([[1, -1, 2], [0, 2, -1]])
    b = np.array([-1, 1])
    return X, W, b


@dataclass(frozen=True)
class ComputationStep:
    """One step of the worked example.

    Attributes
    ----------
    title : str
        What the step does, with its numbers.
    known, used, computed : dict of str to numpy.ndarray of bool
        For each table in :data:`TABLES`: the cells whose value is known after this step, the cells this step
        reads, and the cells it computes.
    """

    title: str
    known: dict[str, np.ndarray]
    used: dict[str, np.ndarray]
    computed: dict[str, np.ndarray]


def example_tables(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> dict[str, np.ndarray]:
    """Every table of the computation, 2-D, keyed by :data:`TABLES` (``b`` as one row)."""
    check_linear_shapes(X, W, b)
    X, W, b = np.asarray(X), np.asarray(W), np.asarray(b)
    Z = linear_forward(X, W, b)
    return dict(zip(TABLES, (X, W.T, X @ W.T, b[None, :], Z, relu(Z))))


def linear_relu_steps(X: np.ndarray, W: np.ndarray, b: np.ndarray) -> list[ComputationStep]:
    """The steps of ``ReLU(X Wᵀ + b)``: step 0 shows the inputs, then one step per sample, the bias, ReLU.

    Returns
    -------
    list of ComputationStep, length ``batch + 3``
    """
    tables = example_tables(X, W, b)
    known = {name: np.full(table.shape, name in ("X", "Wᵀ", "b")) for name, table in tables.items()}
    steps = [_step("The inputs: a batch X with one sample per row, the weights W (shown as Wᵀ) and the bias b",
                   known, tables, used=(), computed=())]
    product = tables["X Wᵀ"]
    for i in range(len(product)):  # the loop the lesson shows: one sample per step
        known["X Wᵀ"][i] = True
        dots = "; ".join(f"{_dot_text(tables['X'][i], tables['Wᵀ'][:, j])} = {product[i, j]}"
                         for j in range(product.shape[1]))
        steps.append(_step(f"Sample {i + 1}: row {i + 1} of X times each column of Wᵀ: {dots}", known, tables,
                           used=(("X", i), ("Wᵀ", slice(None))), computed=(("X Wᵀ", i),)))
    known["Z = X Wᵀ + b"][:] = True
    steps.append(_step(f"Batch add: b = {tables['b'][0].tolist()} is added to every row of X Wᵀ at once "
                       f"(broadcasting)", known, tables, used=(("X Wᵀ", slice(None)), ("b", slice(None))),
                       computed=(("Z = X Wᵀ + b", slice(None)),)))
    known["ReLU(Z)"][:] = True
    negatives = int(np.sum(tables["Z = X Wᵀ + b"] < 0))
    steps.append(_step(f"ReLU on every entry: the {negatives} negative values of Z become 0", known, tables,
                       used=(("Z = X Wᵀ + b", slice(None)),), computed=(("ReLU(Z)", slice(None)),)))
    return steps


def _step(title, known, tables, *, used, computed) -> ComputationStep:
    """Freeze the current masks; ``used`` and ``computed`` list (table, row index or slice) pairs."""
    def mask(pairs):
        masks = {name: np.zeros(table.shape, dtype=bool) for name, table in tables.items()}
        for name, rows in pairs:
            masks[name][rows] = True
        return masks

    return ComputationStep(title, {name: m.copy() for name, m in known.items()}, mask(used), mask(computed))


def _dot_text(x: np.ndarray, w: np.ndarray) -> str:
    """``2·1 + 1·(-1) + 0·2``: a dot product written out, negative factors in brackets."""
    def factor(v):
        return f"({v})" if v < 0 else f"{v}"

    return " + ".join(f"{factor(a)}·{factor(c)}" for a, c in zip(x.tolist(), w.tolist()))
