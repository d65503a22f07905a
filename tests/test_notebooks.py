"""The modeler's notebooks: committed without outputs, in step with their sources, and
runnable top to bottom on a small sandbox province (executed with nbclient on the venv's
``python3`` kernel)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = REPO_ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))


def _builder() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "build_notebooks", NOTEBOOK_DIR / "build_notebooks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_five_notebooks_are_there() -> None:
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_has_no_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert all(c.outputs == [] and c.execution_count is None for c in code)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_notebook_matches_its_source(path: Path) -> None:
    builder = _builder()
    built = builder.build(path.stem, builder.NOTEBOOKS[path.stem])
    assert nbformat.writes(built).rstrip() == path.read_text(encoding="utf-8").rstrip()


@pytest.fixture(scope="session")
def notebook_province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One small province per test worker, its model frame cached where the notebooks look."""
    from scoring_service.mainjob.frame import model_frame
    from scoring_service.sandbox import generate_province

    province = tmp_path_factory.mktemp("notebooks") / "province"
    generate_province(province, households=1500, banks=3, seed=11)
    model_frame(province, cache=province.parent / f"{province.name}-frame.parquet")
    return province


@pytest.fixture
def notebook_env(notebook_province: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The kernel inherits this environment: the shared province and a fresh NONGXIN_HOME."""
    monkeypatch.setenv("NONGXIN_NOTEBOOK_PROVINCE", str(notebook_province))
    monkeypatch.setenv("NONGXIN_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return tmp_path


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path, notebook_env: Path) -> None:
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=240,
        kernel_name=NATIVE_KERNEL_NAME,  # ipykernel's own spec: this interpreter
        resources={"metadata": {"path": str(REPO_ROOT)}},
    )
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
