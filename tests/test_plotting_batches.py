"""plot_batch_assignment (lesson 01): batches numbered from 1 like the epochs; crosses explained in the legend."""

import batchkit as bk
from batchkit.plotting import plot_batch_assignment


def colour_bar_labels(fig):
    fig.canvas.draw()
    return [label.get_text() for label in fig.axes[1].get_yticklabels()]


def test_batches_are_numbered_from_one_like_the_epochs():
    fig = plot_batch_assignment(bk.batch_assignment(24, 5, 3, seed=0))
    assert colour_bar_labels(fig) == ["unused", "1", "2", "3", "4", "5"]
    assert [label.get_text() for label in fig.axes[0].get_yticklabels()] == ["1", "2", "3"]
    assert fig.axes[0].get_legend() is None  # no sample is drawn twice without replacement


def test_many_batches_get_a_few_ticks_starting_at_batch_one():
    labels = colour_bar_labels(plot_batch_assignment(bk.batch_assignment(24, 1, 2, seed=0)))
    assert labels[:2] == ["unused", "1"] and len(labels) <= 10


def test_with_replacement_the_legend_says_a_repeated_sample_shows_its_first_batch():
    fig = plot_batch_assignment(bk.batch_assignment(24, 5, 4, replacement=True, seed=0))
    texts = [text.get_text() for text in fig.axes[0].get_legend().get_texts()]
    assert texts == ["drawn 2+ times (colour: its first batch)"]
