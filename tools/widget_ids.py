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
    # Models no view shows (built but never displayed): ordered by their content, which does not depend on ids
    # of their own, so that equal notebooks give equal orders.
    for model_id in sorted(set(models) - seen, key=lambda m: REFERENCE.sub("", json.dumps(models[m], sort_keys=True))):
        visit(model_id)
    return order


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
    """A copy of ``notebook`` (a JSON dict) whose widget model ids depend only on ``name`` and the order of use."""
    models = _models(notebook)
    if not models:
        return notebook
    order = _order_of_use(notebook, models)
    new_ids = {old: hashlib.md5(f"{name}:{k}".encode()).hexdigest() for k, old in enumerate(order)}
    renamed = _rename(notebook, new_ids)
    state = _models(renamed)
    renamed["metadata"]["widgets"][WIDGET_STATE]["state"] = {new_ids[old]: state[new_ids[old]] for old in order}
    return renamed
