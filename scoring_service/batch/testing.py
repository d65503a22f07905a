"""A book and a champion for tests, benchmarks and demos of the batch job (sandbox only).

:func:`sandbox_book_and_model` turns a sandbox province into a book and trains a small
statistical model on it with its outcomes, so a run needs no registry; :func:`fake_book` is
a book of constant rows for tests of the engine with a stand-in decider.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from scoring_service.batch.book import BOOK_KEY, build_book

__all__ = [
    "cached_book_and_model",
    "fake_book",
    "sandbox_book_and_model",
    "train_sandbox_model",
]

_SCALE = {"A": 0.02, "B": 0.05, "C": 0.10, "D": 0.20}


def train_sandbox_model(book: pd.DataFrame, outcomes: pd.DataFrame, *, seed: int = 0) -> str:
    """A statistical model (JSON) trained on a book and the province's ``default_12m``."""
    from model_registry.train import train_rating_model
    from rating_models.rating import GradeScale, ReasonCatalog, knockout_rules
    from scoring_service.pipeline import INPUT_COLUMNS
    from scoring_service.settings import get_settings

    y = outcomes.set_index(BOOK_KEY).loc[book[BOOK_KEY], "default_12m"].to_numpy()
    skip = {"bank_code", "requested_product"}
    cols = [c for c in INPUT_COLUMNS if c not in skip and book[c].nunique(dropna=True) > 1]
    result = train_rating_model(
        book[[BOOK_KEY, *cols]],
        y,
        name="farmer-rating",
        scale=GradeScale.from_mapping(_SCALE),
        knockouts=knockout_rules(["pboc_serious_delinquency_24m", "age_outside_18_65"]),
        reason_catalog=ReasonCatalog.from_yaml(get_settings().config_dir / "reason_codes.yaml"),
        feature_catalog_version="pboc-features/1",
        seed=seed,
    )
    return str(result.model.to_json())


def sandbox_book_and_model(province_dir: Path, out_dir: Path) -> tuple[Path, Path]:
    """``(book.parquet, model.json)`` of a sandbox province, written under ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    book_path, model_path = out_dir / "book.parquet", out_dir / "model.json"
    build_book(province_dir, book_path)
    outcomes = pd.read_parquet(province_dir / "outcomes.parquet")
    model_path.write_text(train_sandbox_model(pd.read_parquet(book_path), outcomes))
    return book_path, model_path


_BUILT: dict[Path, tuple[Path, Path]] = {}


def cached_book_and_model(province_dir: Path, tmp_path_factory: Any) -> tuple[Path, Path]:
    """:func:`sandbox_book_and_model` once per province and process (pytest's temp folders).

    The files are read-only for the caller: copy what you need to change.
    """
    key = Path(province_dir).resolve()
    if key not in _BUILT or not all(p.is_file() for p in _BUILT[key]):
        _BUILT[key] = sandbox_book_and_model(key, tmp_path_factory.mktemp("batch-book"))
    return _BUILT[key]


def fake_book(path: Path, rows: int, *, row_group_size: int = 7) -> Path:
    """A book of ``rows`` households ``H00000000``, ``H00000001``, … at banks 301 (every
    third) and 302, with constant survey values and no bureau features (for tests of the
    engine with a stand-in decider: a real model would reject it)."""
    import numpy as np

    from scoring_service.pipeline import BUREAU_COLUMNS, SURVEY_COLUMNS

    values = {"str": "x", "int": 1, "float": 1.0, "bool": False}
    columns = {
        "household_id": [f"H{i:08d}" for i in range(rows)],
        "bank_code": np.where(np.arange(rows) % 3 == 0, "301", "302"),
        **{name: [values[kind]] * rows for name, kind in SURVEY_COLUMNS.items()},
        **{name: np.full(rows, np.nan) for name in BUREAU_COLUMNS},
    }
    pd.DataFrame(columns).to_parquet(path, row_group_size=row_group_size)
    return path
