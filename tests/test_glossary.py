"""The glossary covers the series' core terms, and notebooks use only its canonical Korean spellings."""

from __future__ import annotations

import re

import pytest

from tests.notebook_files import NOTEBOOKS, ROOT, load, source

GLOSSARY = ROOT / "notebooks" / "glossary.ipynb"
REQUIRED = [
    "batch", "mini-batch", "batch size", "epoch", "step (iteration)", "shuffling", "sampling with replacement",
    "sampling without replacement", "gradient descent", "stochastic gradient descent (SGD)", "learning rate",
    "centering", "normalization", "batch normalization", "running mean", "broadcasting", "batch sum", "batch add",
    "batch mean", "loss", "gradient", "weight", "bias", "variance",
]


def glossary_rows() -> list[dict]:
    """Rows of the glossary table: English, Korean (canonical), avoided spellings, definition."""
    rows = []
    for cell in load(GLOSSARY)["cells"]:
        for line in source(cell).splitlines():
            cells = [part.strip() for part in line.strip().strip("|").split("|")]
            if len(cells) == 4 and cells[0] not in ("English", "---"):
                english, korean, avoid, definition = cells
                avoided = [a.strip() for a in avoid.split(",") if a.strip()]
                rows.append({"english": english, "korean": korean, "avoid": avoided, "definition": definition})
    return rows


def test_glossary_covers_the_core_terms_with_definitions():
    rows = {row["english"]: row for row in glossary_rows()}
    missing = [term for term in REQUIRED if term not in rows]
    assert not missing, f"glossary lacks {missing}"
    for row in rows.values():
        assert re.search(r"[\uac00-\ud7a3]", row["korean"]), row
        assert len(row["definition"]) > 20, row


def test_no_avoided_spelling_is_also_canonical():
    rows = glossary_rows()
    canonical = {row["korean"] for row in rows}
    for row in rows:
        for spelling in row["avoid"]:
            assert not any(spelling in term for term in canonical), (spelling, row)


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p != GLOSSARY] + [ROOT / "README.md"], ids=lambda p: p.name)
def test_notebooks_use_canonical_korean_terms(path):
    if path.suffix == ".ipynb":
        text = "\n".join(source(cell) for cell in load(path)["cells"])
    else:
        text = path.read_text(encoding="utf-8")
    for row in glossary_rows():
        for spelling in row["avoid"]:
            assert spelling not in text, f"{path.name} writes {spelling!r}; this series writes {row['korean']!r}"
