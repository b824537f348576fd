"""Give the widget models stored in an executed notebook ids that do not change from one execution to the next.

ipywidgets names every model with a random id, and a notebook stores the state of all its models keyed by those
ids. Re-executing an unchanged notebook would therefore rewrite hundreds of lines (new ids, new order), hiding the
outputs that really changed. :func:`stabilize` renames the models ``md5("<name>:<k>")`` in the order they are
first used (the views in cell order, then the models each one refers to), and stores them in that order.

Used by ``tools/execute_notebooks.py``; ``tests/test_notebook_hygiene.py`` checks that stored notebooks are stable.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
REFERENCE = re.compile(r"IPY_MODEL_([0-9a-f]{32})")


def _models(notebook: dict) -> dict[str, Any] | None:
    return notebook.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state")


def _order_of_use(notebook: dict, models: dict[str, Any]) -> list[str]:
    """Model ids in the order they are first used: each displayed view, depth first through its references."""
    order: list[str] = []
    seen: set[str] = set()

    def visit(model_id: str) -> None:
        if model_id in seen or model_id not in models:
            return
        seen.add(model_id)
        order.append(model_id)
        for referenced in REFERENCE.findall(json.dumps(models[model_id], sort_keys=True)):
            visit(referenced)

    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view:
                visit(view["model_id"])
    # Models no view shows (built but never displayed): ordered by their content with every reference replaced by
    # the referenced model's content, which does not depend on ids, so that equal notebooks give equal orders.
    # Models that still tie have identical content all the way down, so their order changes nothing.
    canonical: dict[str, str] = {}
    for model_id in sorted(set(models) - seen, key=lambda m: _canonical(models, m, canonical)):
        visit(model_id)
    return order


def _canonical(models: dict[str, Any], model_id: str, memo: dict[str, str], path: tuple[str, ...] = ()) -> str:
    """The model's JSON with every ``IPY_MODEL_<id>`` replaced by the referenced model's canonical JSON."""
    if model_id in memo:
        return memo[model_id]
    if model_id in path or model_id not in models:  # a cycle, or a reference to no stored model
        return "?"
    text = REFERENCE.sub(lambda match: "{" + _canonical(models, match.group(1), memo, (*path, model_id)) + "}",
                         json.dumps(models[model_id], sort_keys=True))
    memo[model_id] = text
    return text


def _rename(value: Any, new_ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {new_ids.get(key, key): _rename(item, new_ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename(item, new_ids) for item in value]
    if isinstance(value, str):
        if value in new_ids:
            return new_ids[value]
        return REFERENCE.sub(lambda match: "IPY_MODEL_" + new_ids.get(match.group(1), match.group(1)), value)
    return value


def stabilize(notebook: dict, name: str) -> dict:
    """``notebook`` (a JSON dict) with widget model ids that depend only on ``name`` and the order of use.

    Returns a renamed copy, or ``notebook`` itself when it stores no widgets.
    """
    models = _models(notebook)
    if not models:
        return notebook
    order = _order_of_use(notebook, models)
    new_ids = {old: hashlib.md5(f"{name}:{k}".encode()).hexdigest() for k, old in enumerate(order)}
    renamed = _rename(notebook, new_ids)
    state = _models(renamed)
    renamed["metadata"]["widgets"][WIDGET_STATE]["state"] = {new_ids[old]: state[new_ids[old]] for old in order}
    return renamed
