"""The explained-change report of a re-rating run: what moved, by how much, and who to review.

Tables (each also a CSV under ``OUT/<run_id>/report/``):

* ``migration``      grade migration old → new per bank (households);
* ``limits``         limit totals old and new per bank and new grade;
* ``to_zero``        households whose limit fell to 0, and why (knockout or binding term);
* ``psi``            PSI of the score against the champion's development profile and of each
                     model feature against the development sample, with the status;
* ``review``         households needing manual review: agree-or-escalate disagreements
                     (``escalate``) and overrides whose basis no longer holds;
* ``triggers``       why each re-rated household was picked (triggered runs).

"Old" is the previous run's decisions (or a previous-decisions table with the same columns).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from model_registry.serving import LoadedModel
from rating_models.metrics import psi, psi_status
from scoring_service.batch.book import BOOK_KEY
from scoring_service.batch.ledger import RunFolder

__all__ = ["DECISION_COLUMNS", "RerateReport", "build_report", "write_report"]

#: Decision columns the report reads (never the whole decision rows).
DECISION_COLUMNS = [
    BOOK_KEY, "bank_code", "score", "model_grade", "grade", "escalate", "knockout", "limit",
    "binding", "report_ids", "bureau_hash", "credit_village_status", "inputs_hash",
]  # fmt: skip
_NONE = "(none)"


@dataclass(frozen=True)
class RerateReport:
    """The report's tables (see the module docstring) and its headline numbers."""

    run_id: str
    previous_run: str | None
    summary: pd.DataFrame
    migration: pd.DataFrame
    limits: pd.DataFrame
    to_zero: pd.DataFrame
    psi: pd.DataFrame
    review: pd.DataFrame
    triggers: pd.DataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table by its CSV name."""
        names = ("summary", "migration", "limits", "to_zero", "psi", "review", "triggers")
        return {name: getattr(self, name) for name in names}


def _paired(new: pd.DataFrame, old: pd.DataFrame | None) -> pd.DataFrame:
    """New decisions with the old grade and limit of the same household (``(none)``/0 if new)."""
    out = new.copy()
    if old is None or old.empty:
        out["old_grade"], out["old_limit"] = _NONE, 0
        return out
    prev = old.drop_duplicates(BOOK_KEY, keep="last").set_index(BOOK_KEY)
    out["old_grade"] = prev["grade"].reindex(out[BOOK_KEY]).fillna(_NONE).to_numpy()
    out["old_limit"] = prev["limit"].reindex(out[BOOK_KEY]).fillna(0).to_numpy(dtype=np.int64)
    return out


def migration_table(paired: pd.DataFrame) -> pd.DataFrame:
    """``bank_code, old_grade, grade, households`` (long form; the HTML pivots it)."""
    return (
        paired.groupby(["bank_code", "old_grade", "grade"], observed=True)
        .size()
        .rename("households")
        .reset_index()
    )


def limits_table(paired: pd.DataFrame) -> pd.DataFrame:
    """Per bank and new grade: households, old and new limit totals, change, moving to 0."""
    zero = (paired["limit"] == 0) & (paired["old_limit"] > 0)
    table = (
        paired.assign(to_zero=zero)
        .groupby(["bank_code", "grade"], observed=True)
        .agg(
            households=(BOOK_KEY, "size"),
            old_total=("old_limit", "sum"),
            new_total=("limit", "sum"),
            to_zero=("to_zero", "sum"),
        )
        .reset_index()
    )
    table["change"] = table["new_total"] - table["old_total"]
    return table


def to_zero_table(paired: pd.DataFrame) -> pd.DataFrame:
    """Households whose limit fell from > 0 to 0, and why (the knockout, else the binding term)."""
    rows = paired[(paired["limit"] == 0) & (paired["old_limit"] > 0)]
    why = np.where(
        rows["knockout"] != "", "knockout:" + rows["knockout"], "binding:" + rows["binding"]
    )
    cols = [BOOK_KEY, "bank_code", "old_grade", "grade", "old_limit"]
    return rows[cols].assign(why=why).reset_index(drop=True)


def review_table(paired: pd.DataFrame, old: pd.DataFrame | None) -> pd.DataFrame:
    """Households for manual review: ``escalate`` (model and expert disagree, agree-or-escalate)
    and overrides of the old decisions whose basis (the model grade) changed."""
    reasons = pd.Series("", index=paired.index)
    reasons[paired["escalate"].to_numpy(dtype=bool)] = "escalate:grades_disagree"
    if old is not None and "override_grade" in old.columns:
        prev = old.drop_duplicates(BOOK_KEY, keep="last").set_index(BOOK_KEY)
        overridden = prev["override_grade"].fillna("").astype(str) != ""
        basis = prev.loc[overridden, "model_grade"].reindex(paired[BOOK_KEY]).to_numpy()
        moved = pd.notna(basis) & (basis != paired["model_grade"].to_numpy())
        reasons[moved] = np.where(
            reasons[moved] == "",
            "override_no_longer_holds",
            reasons[moved] + ";override_no_longer_holds",
        )
    keep = reasons != ""
    cols = [BOOK_KEY, "bank_code", "old_grade", "model_grade", "grade", "limit"]
    return paired.loc[keep, cols].assign(why=reasons[keep]).reset_index(drop=True)


def psi_frame(
    scores: np.ndarray,
    model: LoadedModel,
    features: pd.DataFrame | None,
    development: pd.DataFrame | None,
) -> pd.DataFrame:
    """PSI of the score (against the development score quantiles) and of each model feature
    present in both ``features`` and ``development``."""
    rows: list[tuple[str, str, float]] = []
    profile = model.model.development
    if scores.size == 0:
        return pd.DataFrame(columns=["variable", "against", "psi", "status"])
    if profile is not None and profile.score_quantiles:
        value = psi(np.asarray(profile.score_quantiles), scores)
        rows.append(("score", "development profile", value))
    if features is not None and development is not None:
        for name in model.model.input_columns:
            if name in features.columns and name in development.columns:
                rows.append((name, "development sample", psi(development[name], features[name])))
    table = pd.DataFrame(rows, columns=["variable", "against", "psi"])
    table["status"] = [psi_status(v) for v in table["psi"]]
    return table


def _has(old: pd.DataFrame, new: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    return all(c in old.columns and c in new.columns for c in columns)


def build_report(
    run_id: str,
    new: pd.DataFrame,
    old: pd.DataFrame | None,
    *,
    model: LoadedModel,
    features: pd.DataFrame | None = None,
    development: pd.DataFrame | None = None,
    previous_run: str | None = None,
) -> RerateReport:
    """All tables of the report from new (and old) decision rows."""
    from scoring_service.batch.triggers import TRIGGER_COLUMNS, trigger_reasons

    paired = _paired(new, old)
    summary = paired.groupby("bank_code").agg(
        households=(BOOK_KEY, "size"),
        old_total=("old_limit", "sum"),
        new_total=("limit", "sum"),
    )
    order = {g: i for i, g in enumerate(model.model.scale.grades)}
    new_rank = paired["grade"].map(order)
    old_rank = paired["old_grade"].map(order)
    summary["upgraded"] = (new_rank < old_rank).groupby(paired["bank_code"]).sum()
    summary["downgraded"] = (new_rank > old_rank).groupby(paired["bank_code"]).sum()
    summary["to_zero"] = (
        ((paired["limit"] == 0) & (paired["old_limit"] > 0)).groupby(paired["bank_code"]).sum()
    )
    triggers = (
        trigger_reasons(old, new)
        .value_counts()
        .rename_axis("trigger")
        .rename("households")
        .reset_index()
        if old is not None and not old.empty and _has(old, new, TRIGGER_COLUMNS)
        else pd.DataFrame(columns=["trigger", "households"])
    )
    return RerateReport(
        run_id=run_id,
        previous_run=previous_run,
        summary=summary.reset_index(),
        migration=migration_table(paired),
        limits=limits_table(paired),
        to_zero=to_zero_table(paired),
        psi=psi_frame(paired["score"].to_numpy(), model, features, development),
        review=review_table(paired, old),
        triggers=triggers,
    )


def _book_features(
    folder: RunFolder, model: LoadedModel, max_rows: int = 200_000
) -> pd.DataFrame | None:
    """The model's input columns of the book, every k-th row (at most ~``max_rows``)."""
    book = pq.ParquetFile(Path(folder.read_manifest()["book"]["path"]))
    cols = [c for c in model.model.input_columns if c in set(book.schema_arrow.names)]
    if not cols:
        return None
    step = max(1, book.metadata.num_rows // max_rows)
    parts = [
        batch.take(pa.array(np.arange(0, batch.num_rows, step))).to_pandas()
        for batch in book.iter_batches(batch_size=100_000, columns=cols)
    ]
    return pd.concat(parts, ignore_index=True)


def write_report(
    folder: RunFolder,
    previous_run: str | None,
    models: Mapping[str, LoadedModel],
    *,
    development: Path | None = None,
    previous_table: Path | None = None,
) -> dict[str, Path]:
    """Build the report of a finished run and write ``report/*.csv`` and ``report/index.html``.

    "Old" decisions come from ``previous_table`` (parquet with at least ``household_id``,
    ``grade``, ``limit``; ``model_grade`` and ``override_grade`` for override checks) when
    given, else from the run ``previous_run`` of the same folder.
    """
    from scoring_service.batch.report_html import render_report

    new = folder.read_decisions(DECISION_COLUMNS)
    old = None
    if previous_table is not None:
        old = _previous_table(previous_table)
        previous_run = str(previous_table)
    elif previous_run is not None:
        old = RunFolder(folder.root.parent, previous_run).read_decisions(DECISION_COLUMNS)
    model = models[sorted(models)[0]]
    dev = pd.read_parquet(development) if development is not None else _evidence(model)
    report = build_report(
        folder.run_id, new, old, model=model, features=_book_features(folder, model),
        development=dev, previous_run=previous_run,
    )  # fmt: skip
    out = folder.root / "report"
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, table in report.tables().items():
        paths[name] = out / f"{name}.csv"
        table.to_csv(paths[name], index=False)
    paths["html"] = out / "index.html"
    paths["html"].write_text(render_report(report), encoding="utf-8")
    return paths


def _previous_table(path: Path) -> pd.DataFrame:
    from scoring_service.exceptions import UsageError

    old = pd.read_parquet(path)
    missing = [c for c in (BOOK_KEY, "grade", "limit") if c not in old.columns]
    if missing:
        raise UsageError(f"The previous decisions {path} lack columns {missing}.", field="previous")
    return old


def _evidence(model: LoadedModel) -> pd.DataFrame | None:
    """The champion's logged evidence (its hold-out sample), when it came from the registry."""
    if model.alias == "file":
        return None
    from model_registry.exceptions import RegistryError
    from model_registry.registry import ModelRegistry

    try:
        return ModelRegistry().evidence(model.name, model.version)
    except RegistryError:
        return None
