"""Assemble BENCHMARKS.md from the per-area result files in benchmarks/results/.

Each benchmark script writes its own ``benchmarks/results/<area>.md`` (tables, medians, ratios
and the command that produced them). This script concatenates them, in the order below, under
the summary in ``benchmarks/results/_summary.md``, demoting headings so each area is one
``##`` section. ``tests/test_benchmarks_doc.py`` checks that BENCHMARKS.md is up to date.

Usage: ``.venv/bin/python benchmarks/assemble.py``
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
ORDER = (
    "sandbox",
    "pboc",
    "pboc_query",
    "qianhai",
    "scorecard",
    "farmer_rating",
    "limits",
    "registry",
    "service",
    "rerate",
)
_HEADING = re.compile(r"^(#+) ", re.MULTILINE)


def _section(text: str) -> str:
    first = _HEADING.search(text)
    shift = 2 - len(first.group(1)) if first else 0
    if shift > 0:
        text = _HEADING.sub(lambda m: "#" * (len(m.group(1)) + shift) + " ", text)
    return text.strip() + "\n"


def render() -> str:
    """The full text of BENCHMARKS.md."""
    parts = [(RESULTS / "_summary.md").read_text(encoding="utf-8").strip() + "\n"]
    for area in ORDER:
        path = RESULTS / f"{area}.md"
        if path.is_file():
            parts.append(_section(path.read_text(encoding="utf-8")))
    return "\n".join(parts)


if __name__ == "__main__":
    (ROOT / "BENCHMARKS.md").write_text(render(), encoding="utf-8")
