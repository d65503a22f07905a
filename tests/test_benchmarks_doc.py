"""BENCHMARKS.md is the assembly of benchmarks/results/*.md (run benchmarks/assemble.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmarks_md_is_assembled_from_the_results() -> None:
    spec = importlib.util.spec_from_file_location("assemble", ROOT / "benchmarks" / "assemble.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.render()
    assert (ROOT / "BENCHMARKS.md").read_text(encoding="utf-8") == expected, (
        "BENCHMARKS.md is stale: run .venv/bin/python benchmarks/assemble.py"
    )
    for area in module.ORDER:
        assert (ROOT / "benchmarks" / "results" / f"{area}.md").is_file(), area
