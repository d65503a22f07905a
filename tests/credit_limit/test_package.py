"""The package's documented examples run, and the console script validates config/."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MODULES = sorted(
    f"credit_limit.{p.stem}" if p.stem != "__init__" else "credit_limit"
    for p in (REPO / "credit_limit").glob("*.py")
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # examples read config/ relative to the repository
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_console_script_validates_config() -> None:
    script = Path(sys.executable).with_name("nongxin")
    done = subprocess.run(
        [str(script), "policy", "validate", str(REPO / "config")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("OK: federation.yaml")
