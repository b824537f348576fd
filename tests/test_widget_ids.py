"""tools/widget_ids.py: stable widget model ids in executed notebooks."""

from __future__ import annotations

import json
import uuid

from tools.widget_ids import WIDGET_STATE, WIDGET_VIEW, stabilize


def executed_notebook(seed_ids: list[str]) -> dict:
    """A notebook as an execution leaves it: a displayed box referring to a slider, whose style is a third model,
    plus a model nobody displays; ids as given."""
    box, slider, style, hidden = seed_ids
    state = {
        hidden: {"model_name": "LayoutModel", "state": {"width": "10px"}},
        style: {"model_name": "SliderStyleModel", "state": {"description_width": "initial"}},
        slider: {"model_name": "IntSliderModel", "state": {"value": 3, "style": f"IPY_MODEL_{style}"}},
        box: {"model_name": "VBoxModel", "state": {"children": [f"IPY_MODEL_{slider}"]}},
    }
    view = {"output_type": "display_data", "metadata": {},
            "data": {"text/plain": "view", WIDGET_VIEW: {"model_id": box, "version_major": 2, "version_minor": 0}}}
    return {"cells": [{"cell_type": "code", "source": "view", "outputs": [view]}],
            "metadata": {"widgets": {WIDGET_STATE: {"state": state, "version_major": 2, "version_minor": 0}}}}


def test_two_executions_with_different_random_ids_store_the_same_notebook():
    first = stabilize(executed_notebook([uuid.uuid4().hex for _ in range(4)]), "lesson")
    second = stabilize(executed_notebook([uuid.uuid4().hex for _ in range(4)]), "lesson")
    assert first == second
    assert stabilize(first, "lesson") == first  # stable ids stay as they are


def test_references_follow_the_renaming():
    notebook = stabilize(executed_notebook([uuid.uuid4().hex for _ in range(4)]), "lesson")
    state = notebook["metadata"]["widgets"][WIDGET_STATE]["state"]
    box_id = notebook["cells"][0]["outputs"][0]["data"][WIDGET_VIEW]["model_id"]
    slider_id = state[box_id]["state"]["children"][0].removeprefix("IPY_MODEL_")
    style_id = state[slider_id]["state"]["style"].removeprefix("IPY_MODEL_")
    assert [state[i]["model_name"] for i in (box_id, slider_id, style_id)] == [
        "VBoxModel", "IntSliderModel", "SliderStyleModel"]
    assert len(state) == 4 and all(len(i) == 32 for i in state)


def test_names_keep_notebooks_apart():
    ids = [uuid.uuid4().hex for _ in range(4)]
    one, two = stabilize(executed_notebook(ids), "01"), stabilize(executed_notebook(ids), "02")
    assert set(one["metadata"]["widgets"][WIDGET_STATE]["state"]).isdisjoint(
        two["metadata"]["widgets"][WIDGET_STATE]["state"])


def test_a_notebook_without_widgets_is_left_alone():
    notebook = {"cells": [], "metadata": {}}
    assert stabilize(notebook, "x") is notebook


def test_undisplayed_boxes_that_differ_only_below_get_the_same_ids_every_time():
    """Two hidden boxes with equal own state whose sliders differ: ordered by what they contain, not by random ids."""
    def notebook(ids):
        box_a, box_b, slider_a, slider_b = ids
        state = {
            box_a: {"model_name": "HBoxModel", "state": {"children": [f"IPY_MODEL_{slider_a}"]}},
            box_b: {"model_name": "HBoxModel", "state": {"children": [f"IPY_MODEL_{slider_b}"]}},
            slider_a: {"model_name": "IntSliderModel", "state": {"value": 1}},
            slider_b: {"model_name": "IntSliderModel", "state": {"value": 2}},
        }
        return {"cells": [], "metadata": {"widgets": {WIDGET_STATE: {"state": state}}}}

    results = set()
    for _ in range(30):
        ids = [uuid.uuid4().hex for _ in range(4)]
        results.add(json.dumps(stabilize(notebook(ids), "lesson"), sort_keys=True))
        results.add(json.dumps(stabilize(notebook(ids[::-1][2:] + ids[::-1][:2]), "lesson"), sort_keys=True))
    assert len(results) == 1
