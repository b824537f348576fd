"""Test accuracy against batch size for each normalization, lesson 07: Wu & He's Figure 1 (2018), at small scale.

Their experiment: ResNet-50 on ImageNet, the same number of epochs at every batch size per worker, and BN's error
rising sharply below about 8 images per worker while GN's stays flat. Ours: the small convolutional network of
:mod:`batchkit.convnet` on the 8×8 digits, with no normalization, batch norm, layer norm and group norm after each
convolution, at batch sizes 2 to 64, the same epochs for all, and for every method and batch size the learning rate
chosen on the validation split (the median validation accuracy over the seeds), then the test accuracy of those runs.

The full sweep takes minutes, so it is run once by ``tools/run_normalization_sweep.py`` and stored in
``batchkit/data/normalization_sweep.json``; the lesson loads it with :func:`load_sweep`, and re-runs a few of its
runs with :func:`run_one` to show that the stored numbers come from this code.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._validation import check_choice, check_nonnegative_int, check_positive_int, check_real
from .seeds import DEFAULT_SEEDS, Replicates

KINDS = ("none", "batch", "layer", "group")
KIND_NAMES = {"none": "no normalization", "batch": "batch norm", "layer": "layer norm", "group": "group norm"}
BATCH_SIZES = (2, 4, 8, 16, 64)
LEARNING_RATES = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
EPOCHS = 6
CHANNELS, STRIDES = (16, 32, 32), (1, 2, 2)  # 8×8, 4×4, 2×2: the last layer sees the whole digit
GROUPS = 4  # group norm: 4 groups of 4 channels in the first layer, of 8 in the others
STORED = Path(__file__).resolve().parent / "data" / "normalization_sweep.json"


def run_one(kind: str, batch_size: int, learning_rate: float, seed: int, *, epochs: int = EPOCHS) -> dict[str, float]:
    """Train one network and return its final validation and test accuracy (0 for a run that diverged).

    ``seed`` sets the initial weights and the order of the samples.
    """
    from .batch_size_study import digits_splits
    from .convnet import ConvNet, train_convnet

    check_choice("kind", kind, KINDS)
    X_train, X_validation, X_test, y_train, y_validation, y_test = digits_splits()
    model = ConvNet(CHANNELS, normalization=kind, groups=GROUPS, seed=seed, strides=STRIDES)
    history = train_convnet(model, X_train, y_train, batch_size=batch_size, epochs=epochs,
                            learning_rate=learning_rate, X_eval=X_validation, y_eval=y_validation, seed=seed)
    if history.diverged_at is not None:
        return {"validation": 0.0, "test": 0.0, "diverged": 1.0}
    return {"validation": float(history.eval_accuracy[-1]), "test": model.accuracy(X_test, y_test), "diverged": 0.0}


@dataclass
class NormalizationSweep:
    """Every run of the sweep: ``accuracy[kind][split]`` has shape (batch sizes, learning rates, seeds).

    Attributes
    ----------
    kinds, batch_sizes, learning_rates, seeds : tuple
    epochs : int
    accuracy : dict of str to dict of str to numpy.ndarray
        ``split`` is "validation", "test" or "diverged" (1.0 for a run that diverged; its accuracies are 0).
    notes : dict of str to str
        How and where the sweep was run (machine, versions, minutes).
    """

    kinds: tuple[str, ...]
    batch_sizes: tuple[int, ...]
    learning_rates: tuple[float, ...]
    seeds: tuple[int, ...]
    epochs: int
    accuracy: dict[str, dict[str, np.ndarray]]
    notes: dict[str, str]

    def chosen_rates(self, kind: str) -> np.ndarray:
        """For every batch size, the learning rate with the highest median validation accuracy over the seeds."""
        check_choice("kind", kind, self.kinds)
        median = np.median(self.accuracy[kind]["validation"], axis=2)  # (batch sizes, rates)
        return np.asarray(self.learning_rates)[np.argmax(median, axis=1)]

    def test_accuracy(self, kind: str) -> Replicates:
        """Test accuracy at the chosen rate of every batch size: each seed's results have shape (batch sizes,)."""
        rates = list(self.learning_rates)
        picked = [rates.index(rate) for rate in self.chosen_rates(kind)]
        test = self.accuracy[kind]["test"][np.arange(len(self.batch_sizes)), picked]  # (batch sizes, seeds)
        return Replicates(self.seeds, test.T)

    def run(self, kind: str, batch_size: int, learning_rate: float, seed: int) -> dict[str, float]:
        """The stored result of one run, as :func:`run_one` returns it."""
        check_choice("kind", kind, self.kinds)
        for name, value, swept in (("batch_size", batch_size, self.batch_sizes),
                                   ("learning_rate", learning_rate, self.learning_rates), ("seed", seed, self.seeds)):
            if value not in swept:
                raise ValueError(f"{name}={value!r} was not swept: the sweep has {name} in {swept}")
        index = (self.batch_sizes.index(batch_size), list(self.learning_rates).index(learning_rate),
                 self.seeds.index(seed))
        return {split: float(values[index]) for split, values in self.accuracy[kind].items()}


def _run_task(task: tuple[str, int, float, int, int]) -> dict[str, float]:
    kind, batch_size, rate, seed, epochs = task
    return run_one(kind, batch_size, rate, seed, epochs=epochs)


def run_sweep(kinds: Sequence[str] = KINDS, batch_sizes: Sequence[int] = BATCH_SIZES,
              learning_rates: Sequence[float] = LEARNING_RATES, seeds: Sequence[int] = DEFAULT_SEEDS, *,
              epochs: int = EPOCHS, map_function: Callable = map) -> NormalizationSweep:
    """Run every (kind, batch size, rate, seed) with :func:`run_one`.

    ``map_function``: how the runs are mapped over, ``map`` by default; a process pool's ``imap`` runs them in
    parallel (``tools/run_normalization_sweep.py`` does), with the same results, since every run has its own seed.
    """
    # Checked before the first run, so that a typo does not surface after minutes of work.
    for kind in kinds:
        check_choice("kinds", kind, KINDS)
    for b in batch_sizes:
        check_positive_int("batch_sizes", b)
    for rate in learning_rates:
        check_real("learning_rates", rate, low=0.0)
    for seed in seeds:
        check_nonnegative_int("seeds", seed)
    check_positive_int("epochs", epochs)
    if len(set(kinds)) < len(kinds) or 0 in map(len, (kinds, batch_sizes, learning_rates, seeds)):
        raise ValueError("kinds, batch_sizes, learning_rates and seeds must each be non-empty, kinds without repeats, "
                         f"got {kinds!r}, {batch_sizes!r}, {learning_rates!r}, {seeds!r}")
    shape = (len(batch_sizes), len(learning_rates), len(seeds))
    tasks = [(kind, b, rate, seed, epochs) for kind in kinds for b in batch_sizes for rate in learning_rates
             for seed in seeds]
    results = list(map_function(_run_task, tasks))
    accuracy = {}
    for split in ("validation", "test", "diverged"):
        values = np.array([result[split] for result in results]).reshape((len(kinds),) + shape)
        for kind, kind_values in zip(kinds, values):
            accuracy.setdefault(kind, {})[split] = kind_values
    return NormalizationSweep(tuple(kinds), tuple(batch_sizes), tuple(learning_rates), tuple(seeds), epochs,
                              accuracy, {})


def save_sweep(sweep: NormalizationSweep, path: Path = STORED) -> None:
    """Write the sweep as JSON (accuracies rounded to the count of test or validation samples: 6 decimals)."""
    data = {"kinds": sweep.kinds, "batch_sizes": sweep.batch_sizes, "learning_rates": sweep.learning_rates,
            "seeds": sweep.seeds, "epochs": sweep.epochs, "notes": sweep.notes,
            "accuracy": {kind: {split: np.round(values, 6).tolist() for split, values in splits.items()}
                         for kind, splits in sweep.accuracy.items()}}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def load_sweep(path: Path = STORED) -> NormalizationSweep:
    """The stored sweep (see the module docstring)."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    accuracy = {kind: {split: np.array(values) for split, values in splits.items()}
                for kind, splits in data["accuracy"].items()}
    return NormalizationSweep(tuple(data["kinds"]), tuple(data["batch_sizes"]), tuple(data["learning_rates"]),
                              tuple(data["seeds"]), data["epochs"], accuracy, data["notes"])
