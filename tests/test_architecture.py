"""The import direction of DESIGN.md, checked on the source text of every module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ["rating_models", "bureau_adapters", "credit_limit", "model_registry", "scoring_service"]

# package -> toolkit packages it may import
ALLOWED = {
    "rating_models": set(),
    "credit_limit": {"rating_models"},
    "bureau_adapters": {"rating_models"},
    "model_registry": {"rating_models", "credit_limit"},
    "scoring_service": {"rating_models", "bureau_adapters", "credit_limit", "model_registry"},
}
# third-party packages a domain package must never import
FORBIDDEN_THIRD_PARTY = {
    "rating_models": {"fastapi", "mlflow", "zeep", "httpx", "sqlalchemy", "lxml"},
    "credit_limit": {"fastapi", "mlflow", "zeep", "httpx", "starlette", "uvicorn"},
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _modules(package: str) -> list[Path]:
    return sorted((REPO / package).rglob("*.py"))


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_go_one_way(package: str) -> None:
    offenders = []
    for path in _modules(package):
        for name in _imports(path):
            if name in PACKAGES and name != package and name not in ALLOWED[package]:
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
            if name in FORBIDDEN_THIRD_PARTY.get(package, set()):
                offenders.append(f"{path.relative_to(REPO)} imports {name}")
    assert offenders == []


def test_every_package_is_checked() -> None:
    found = {p.name for p in REPO.iterdir() if (p / "__init__.py").is_file()}
    assert found == set(PACKAGES)


def test_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import mlflow\nfrom scoring_service import cli\n", encoding="utf-8")
    assert _imports(bad) == {"mlflow", "scoring_service"}
