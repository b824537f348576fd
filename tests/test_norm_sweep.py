"""Lesson 07's sweep of accuracy against batch size: a tiny real sweep, its storage, and the rate choice.

The tiny sweep (2 kinds × 2 batch sizes × 1 rate × 2 seeds, one epoch: 8 short trainings) runs once per module;
it must equal :func:`run_one` called directly, whichever way the runs are mapped over. The rate choice and the
lookups are tested on a hand-built sweep whose numbers are chosen so that each rule gives a different answer.
"""

import inspect
import json

import numpy as np
import pytest

from batchkit.batch_size_study import digits_splits
from batchkit.norm_sweep import (BATCH_SIZES, EPOCHS, KINDS, LEARNING_RATES, STORED, NormalizationSweep, load_sweep,
                                 run_one, run_sweep, save_sweep)
from batchkit.seeds import DEFAULT_SEEDS

SPLITS = ("validation", "test", "diverged")
TINY = dict(kinds=("none", "group"), batch_sizes=(32, 64), learning_rates=(0.1,), seeds=(0, 1), epochs=1)


def check_structure(sweep: NormalizationSweep) -> None:
    """What every sweep, stored or fresh, must look like."""
    assert all(isinstance(field, tuple) for field in (sweep.kinds, sweep.batch_sizes, sweep.learning_rates,
                                                      sweep.seeds))
    assert set(sweep.kinds) <= set(KINDS) and set(sweep.accuracy) == set(sweep.kinds)
    assert isinstance(sweep.epochs, int) and sweep.epochs >= 1
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in sweep.notes.items())
    shape = (len(sweep.batch_sizes), len(sweep.learning_rates), len(sweep.seeds))
    _, X_validation, X_test, *_ = digits_splits()
    for kind, splits in sweep.accuracy.items():
        assert set(splits) == set(SPLITS), kind
        for split, values in splits.items():
            assert values.shape == shape, (kind, split, values.shape)
        diverged = splits["diverged"]
        assert set(np.unique(diverged)) <= {0.0, 1.0}, kind
        for split, samples in (("validation", len(X_validation)), ("test", len(X_test))):
            values = splits[split]
            assert np.all((values >= 0) & (values <= 1)), (kind, split)
            assert np.all(values[diverged == 1] == 0), f"{kind}: a diverged run has a {split} accuracy"
            # An accuracy is a count of correct samples over the split's size (stored to 6 decimals).
            np.testing.assert_allclose(values * samples, np.round(values * samples), atol=samples * 5.1e-7)
    for kind in sweep.kinds:
        assert set(sweep.chosen_rates(kind)) <= set(sweep.learning_rates)
        assert sweep.test_accuracy(kind).values.shape == (len(sweep.seeds), len(sweep.batch_sizes))


@pytest.fixture(scope="module")
def tiny():
    """The tiny sweep, run with a map that records what it was given, and those records."""
    calls = []

    def recording_map(function, tasks):
        tasks = list(tasks)
        results = list(map(function, tasks))
        calls.append(list(zip(tasks, results)))
        return results

    return run_sweep(**TINY, map_function=recording_map), calls


def test_the_tiny_sweep_has_the_shape_and_fields_it_was_asked_for(tiny):
    sweep, calls = tiny
    assert (sweep.kinds, sweep.batch_sizes, sweep.learning_rates, sweep.seeds, sweep.epochs) == tuple(TINY.values())
    assert sweep.notes == {}
    check_structure(sweep)
    assert len(calls) == 1, "map_function must be called once, with every run"
    tasks = [task for task, _ in calls[0]]
    assert sorted(tasks) == sorted((kind, b, rate, seed, 1) for kind in TINY["kinds"] for b in TINY["batch_sizes"]
                                   for rate in TINY["learning_rates"] for seed in TINY["seeds"])


def test_every_result_is_stored_in_its_own_cell(tiny):
    sweep, calls = tiny
    for (kind, b, rate, seed, _), result in calls[0]:
        assert sweep.run(kind, b, rate, seed) == result
    # Different settings train differently: the cells are not copies of one run.
    assert len({sweep.run(*task[:4])["validation"] for task, _ in calls[0]}) > 4


@pytest.mark.parametrize("cell", [("none", 32, 0.1, 1), ("group", 64, 0.1, 0)])
def test_the_sweep_equals_run_one_called_directly(tiny, cell):
    kind, b, rate, seed = cell
    assert run_one(kind, b, rate, seed, epochs=1) == tiny[0].run(kind, b, rate, seed)


def test_another_map_in_another_order_gives_the_builtin_maps_results(tiny):
    """A pool's map may run the tasks in any order: every run has its own seed, so the results do not change."""
    assert inspect.signature(run_sweep).parameters["map_function"].default is map

    def backwards_map(function, tasks):
        tasks = list(tasks)
        return [function(task) for task in tasks[::-1]][::-1]

    # Two runs, in the opposite kind and seed order to the fixture's: the cells must still match.
    part = run_sweep(("group", "none"), (64,), (0.1,), (1,), epochs=1, map_function=backwards_map)
    assert part.kinds == ("group", "none")
    for kind in part.kinds:
        assert part.run(kind, 64, 0.1, 1) == tiny[0].run(kind, 64, 0.1, 1)


def test_a_run_result_has_the_three_splits_and_a_diverged_run_scores_zero():
    result = run_one("none", 64, 1e6, 0, epochs=1)  # a rate no network survives
    assert result == {"validation": 0.0, "test": 0.0, "diverged": 1.0}


def test_save_and_load_round_trip(tiny, tmp_path):
    sweep = tiny[0]
    sweep_with_notes = NormalizationSweep(sweep.kinds, sweep.batch_sizes, sweep.learning_rates, sweep.seeds,
                                          sweep.epochs, sweep.accuracy, {"made by": "test", "minutes": "0.1"})
    path = tmp_path / "nested" / "sweep.json"
    save_sweep(sweep_with_notes, path)
    loaded = load_sweep(path)
    assert (loaded.kinds, loaded.batch_sizes, loaded.learning_rates, loaded.seeds, loaded.epochs, loaded.notes) == (
        sweep.kinds, sweep.batch_sizes, sweep.learning_rates, sweep.seeds, sweep.epochs, sweep_with_notes.notes)
    assert all(type(field) is tuple for field in (loaded.kinds, loaded.batch_sizes, loaded.learning_rates,
                                                  loaded.seeds))
    for kind in sweep.kinds:
        for split in SPLITS:
            np.testing.assert_array_almost_equal(loaded.accuracy[kind][split], sweep.accuracy[kind][split], 6)
        np.testing.assert_array_equal(loaded.chosen_rates(kind), sweep.chosen_rates(kind))
    check_structure(loaded)


def test_save_rounds_to_six_decimals_and_writes_plain_json(tmp_path):
    sweep = hand_built()
    path = tmp_path / "sweep.json"
    save_sweep(sweep, path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["learning_rates"] == list(sweep.learning_rates)
    loaded = load_sweep(path)
    np.testing.assert_array_equal(loaded.accuracy["group"]["test"], np.round(sweep.accuracy["group"]["test"], 6))
    assert not np.array_equal(loaded.accuracy["group"]["test"], sweep.accuracy["group"]["test"])


# --- the rate choice, on numbers chosen by hand -------------------------------------------------------------------

RATES = (0.01, 0.1, 1.0)


def hand_built() -> NormalizationSweep:
    """Batch sizes (2, 8, 64), rates (0.01, 0.1, 1.0), seeds (0, 1, 2). Validation accuracies per batch size:

    * b = 2: rate 1.0 diverged for two of three seeds (0, 0, 0.99): median 0, so 0.1 (median 0.6) wins though
      1.0 has the best single run.
    * b = 8: rates 0.01 and 0.1 tie at median 0.7: the rate listed first (0.01) wins.
    * b = 64: rate 1.0 diverged for one seed (0.9, 0.95, 0): median 0.9 beats 0.1's 0.86 although its mean (0.62)
      is lower: the choice is by median.

    Test accuracies encode their cell, 0.1·b_index + 0.01·rate_index + 0.001·seed (+ 0.5 for group norm), plus
    1/3·10⁻⁷ so that they have more than six decimals.
    """
    validation = np.array([
        [[0.5, 0.5, 0.5], [0.6, 0.55, 0.65], [0.0, 0.0, 0.99]],
        [[0.7, 0.6, 0.8], [0.7, 0.75, 0.65], [0.1, 0.2, 0.3]],
        [[0.8, 0.8, 0.8], [0.85, 0.86, 0.87], [0.9, 0.95, 0.0]],
    ])
    diverged = np.zeros_like(validation)
    diverged[0, 2, :2] = diverged[2, 2, 2] = 1.0
    code = (0.1 * np.arange(3)[:, None, None] + 0.01 * np.arange(3)[None, :, None]
            + 0.001 * np.arange(3)[None, None, :]) + 1e-7 / 3
    accuracy = {"batch": {"validation": validation, "test": code, "diverged": diverged},
                "group": {"validation": validation[::-1].copy(), "test": code + 0.5, "diverged": diverged[::-1].copy()}}
    return NormalizationSweep(("batch", "group"), (2, 8, 64), RATES, (0, 1, 2), 6, accuracy, {})


def test_chosen_rates_take_the_best_median_validation_accuracy():
    sweep = hand_built()
    np.testing.assert_array_equal(sweep.chosen_rates("batch"), [0.1, 0.01, 1.0])
    np.testing.assert_array_equal(sweep.chosen_rates("group"), [1.0, 0.01, 0.1])  # the batch sizes reversed


def test_test_accuracy_reports_each_seed_at_the_chosen_rates():
    sweep = hand_built()
    replicates = sweep.test_accuracy("batch")
    assert replicates.seeds == (0, 1, 2)
    # Seed s, batch size index i at chosen rate index j: 0.1 i + 0.01 j + 0.001 s.
    expected = np.array([[0.1 * i + 0.01 * j + 0.001 * s + 1e-7 / 3 for i, j in enumerate((1, 0, 2))]
                         for s in range(3)])
    np.testing.assert_allclose(replicates.values, expected, rtol=0, atol=1e-15)
    np.testing.assert_allclose(sweep.test_accuracy("group").values[:, 0], 0.5 + 0.02 + 0.001 * np.arange(3) + 1e-7 / 3,
                               rtol=0, atol=1e-15)


def test_run_looks_up_its_cell():
    sweep = hand_built()
    assert sweep.run("batch", 64, 1.0, 2) == {"validation": 0.0, "test": pytest.approx(0.222 + 1e-7 / 3),
                                              "diverged": 1.0}
    assert sweep.run("group", 8, 0.1, 0) == {"validation": 0.7, "test": pytest.approx(0.61 + 1e-7 / 3),
                                             "diverged": 0.0}
    assert all(type(value) is float for value in sweep.run("batch", 2, 0.01, 1).values())


@pytest.mark.parametrize("call, match", [
    (lambda s: s.run("layer", 2, 0.1, 0), "kind must be one of 'batch', 'group', got 'layer'"),
    (lambda s: s.run("batch", 4, 0.1, 0), r"batch_size=4 was not swept: the sweep has batch_size in \(2, 8, 64\)"),
    (lambda s: s.run("batch", 2, 0.3, 0), "learning_rate=0.3 was not swept"),
    (lambda s: s.run("batch", 2, 0.1, 5), "seed=5 was not swept"),
    (lambda s: s.chosen_rates("none"), "kind must be one of"),
    (lambda s: s.test_accuracy("none"), "kind must be one of"),
])
def test_lookups_of_what_was_not_swept_are_named(call, match):
    with pytest.raises(ValueError, match=match):
        call(hand_built())


@pytest.mark.parametrize("changes, error, match", [
    (dict(kinds=("none", "instance")), ValueError, "kinds must be one of"),
    (dict(kinds=("none", "none")), ValueError, "kinds without repeats"),
    (dict(kinds=()), ValueError, "must each be non-empty"),
    (dict(seeds=()), ValueError, "must each be non-empty"),
    (dict(batch_sizes=(32, 0)), ValueError, "batch_sizes must be a positive integer"),
    (dict(learning_rates=(0.1, -0.1)), ValueError, "learning_rates must be in"),
    (dict(seeds=(0, -1)), ValueError, "seeds must be a non-negative integer"),
    (dict(epochs=0), ValueError, "epochs must be a positive integer"),
])
def test_run_sweep_rejects_bad_settings_before_any_run(changes, error, match):
    def no_runs(function, tasks):
        raise AssertionError("a run started")

    with pytest.raises(error, match=match):
        run_sweep(**(TINY | changes), map_function=no_runs)


def test_run_one_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind must be one of 'none', 'batch', 'layer', 'group', got 'instance'"):
        run_one("instance", 32, 0.1, 0)


def test_the_stored_sweep_is_complete_and_well_formed():
    if not STORED.exists():
        pytest.skip(f"{STORED} has not been made yet: run tools/run_normalization_sweep.py")
    sweep = load_sweep()
    check_structure(sweep)
    made_with = (sweep.kinds, sweep.batch_sizes, sweep.learning_rates, sweep.seeds, sweep.epochs)
    assert made_with == (KINDS, BATCH_SIZES, LEARNING_RATES, DEFAULT_SEEDS, EPOCHS), (
        "the stored sweep was made with other settings than norm_sweep's: run tools/run_normalization_sweep.py")
    assert sweep.notes, "the stored sweep should say how it was made"
