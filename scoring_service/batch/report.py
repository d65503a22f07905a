"""The explained-change report of a re-rating run: what moved, by how much, and who to review.

Tables (each also a CSV under ``OUT/<run_id>/report/``):

* ``summary``        per bank: households, new ones, upgraded / same / downgraded, limit
                     totals old and new, households moving to 0;
* ``migration``      grade migration old → new per bank (households);
* ``limits``         limit totals old and new per bank and new grade;
* ``to_zero``        households whose limit fell to 0, and why (knockout or binding term);
* ``psi``            per bank, PSI of the score against its champion's development profile
                     and, with a previous run, of the score and the grade mix against that
                     run; per champion, PSI of each model feature (a sample of the book)
                     against its development sample; with the status;
* ``review``         households needing manual review: agree-or-escalate disagreements
                     (``escalate``) and overrides whose basis no longer holds;
* ``triggers``       why each re-rated household was picked (triggered runs).

"Old" is the previous run's decisions (or a previous-decisions table with the same columns):
``write_report(folder, "2025-annual", models)`` compares a run with the complete run
``2025-annual`` of the same folder (CLI: ``nongxin rerate … --previous-run 2025-annual``; by
default the last complete run). To compare two champions on one book, re-rate it twice
(``--run-id`` per champion) and report the second against the first.
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

__all__ = [
    "DECISION_COLUMNS",
    "RerateReport",
    "build_report",
    "previous_decisions",
    "write_report",
]

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


def _model_key(model: LoadedModel) -> tuple[str, int, str]:
    return (model.name, int(model.version), model.content_hash)


def _grade_mix_psi(old: pd.Series, new: pd.Series, grades: list[str]) -> float:
    """PSI of the grade mix old → new (counts + 0.5, so an empty grade stays finite)."""
    q_old = old.value_counts().reindex(grades, fill_value=0).to_numpy() + 0.5
    q_new = new.value_counts().reindex(grades, fill_value=0).to_numpy() + 0.5
    q_old, q_new = q_old / q_old.sum(), q_new / q_new.sum()
    return float(((q_new - q_old) * np.log(q_new / q_old)).sum())


def psi_frame(
    paired: pd.DataFrame,
    models: Mapping[str, LoadedModel],
    features: pd.DataFrame | None,
    development: Mapping[tuple[str, int, str], pd.DataFrame | None],
    old: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """``bank_code, variable, against, psi, status``: per bank, the score against its
    champion's development profile and (with old decisions) the score and the grade mix
    against the previous run; per champion (the banks it rates, comma-joined), each model
    feature of the book sample ``features`` against that champion's development sample."""
    rows: list[tuple[str, str, str, float]] = []
    prev = None
    if old is not None and not old.empty and {"score", "bank_code"} <= set(old.columns):
        prev = old.drop_duplicates(BOOK_KEY, keep="last")
    groups: dict[tuple[str, int, str], list[str]] = {}
    for bank, part in paired.groupby("bank_code", sort=True):
        model = models.get(str(bank)) or models[sorted(models)[0]]
        groups.setdefault(_model_key(model), []).append(str(bank))
        profile = model.model.development
        if profile is not None and profile.score_quantiles:
            value = psi(np.asarray(profile.score_quantiles), part["score"].to_numpy())
            rows.append((str(bank), "score", "development profile", value))
        if prev is not None:
            before = prev[prev["bank_code"] == bank]
            if len(before):
                rows.append(
                    (str(bank), "score", "previous run", psi(before["score"], part["score"]))
                )
                grades = list(model.model.scale.grades)
                value = _grade_mix_psi(before["grade"], part["grade"], grades)
                rows.append((str(bank), "grade", "previous run", value))
    for key, banks in groups.items():
        dev = development.get(key)
        if features is None or dev is None:
            continue
        model = models.get(banks[0]) or models[sorted(models)[0]]
        sample = (
            features[features["bank_code"].isin(banks)] if "bank_code" in features else features
        )
        for name in model.model.input_columns:
            if name in sample.columns and name in dev.columns and name != "bank_code":
                value = psi(dev[name], sample[name])
                rows.append((",".join(banks), name, "development sample", value))
    table = pd.DataFrame(rows, columns=["bank_code", "variable", "against", "psi"])
    table["status"] = [psi_status(v) for v in table["psi"]]
    return table


def _has(old: pd.DataFrame, new: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    return all(c in old.columns and c in new.columns for c in columns)


def build_report(
    run_id: str,
    new: pd.DataFrame,
    old: pd.DataFrame | None,
    *,
    models: Mapping[str, LoadedModel],
    features: pd.DataFrame | None = None,
    development: Mapping[tuple[str, int, str], pd.DataFrame | None] | None = None,
    previous_run: str | None = None,
) -> RerateReport:
    """All tables of the report from new (and old) decision rows.

    Parameters
    ----------
    run_id : str
        The run reported on.
    new, old : DataFrame
        Decision rows (:data:`DECISION_COLUMNS`) of the run and of the previous one (``None``:
        every household is new).
    models : mapping
        The run's champion by bank (grade order, development profile, input columns).
    features : DataFrame, optional
        A sample of the book (``bank_code`` and model inputs) for the feature PSI.
    development : mapping, optional
        Development sample by champion ``(name, version, content hash)``.
    previous_run : str, optional
        Name of the "old" side, for the page.
    """
    from scoring_service.batch.triggers import TRIGGER_COLUMNS, trigger_reasons

    paired = _paired(new, old)
    bank = paired["bank_code"]
    summary = paired.groupby("bank_code").agg(
        households=(BOOK_KEY, "size"),
        old_total=("old_limit", "sum"),
        new_total=("limit", "sum"),
    )
    ranks = {
        b: {
            g: i
            for i, g in enumerate(
                (models.get(str(b)) or models[sorted(models)[0]]).model.scale.grades
            )
        }
        for b in summary.index
    }
    new_rank = pd.Series(np.nan, index=paired.index)
    old_rank = pd.Series(np.nan, index=paired.index)
    for b, order in ranks.items():
        rows = bank == b
        new_rank[rows] = paired.loc[rows, "grade"].map(order)
        old_rank[rows] = paired.loc[rows, "old_grade"].map(order)
    summary["new"] = (paired["old_grade"] == _NONE).groupby(bank).sum()
    summary["upgraded"] = (new_rank < old_rank).groupby(bank).sum()
    summary["same"] = (new_rank == old_rank).groupby(bank).sum()
    summary["downgraded"] = (new_rank > old_rank).groupby(bank).sum()
    summary["to_zero"] = ((paired["limit"] == 0) & (paired["old_limit"] > 0)).groupby(bank).sum()
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
        psi=psi_frame(paired, models, features, development or {}, old),
        review=review_table(paired, old),
        triggers=triggers,
    )


def _book_features(
    folder: RunFolder, models: Mapping[str, LoadedModel], max_rows: int = 200_000
) -> pd.DataFrame | None:
    """``bank_code`` and the champions' input columns of the book, every k-th row (at most
    ~``max_rows``)."""
    book = pq.ParquetFile(Path(folder.read_manifest()["book"]["path"]))
    names = set(book.schema_arrow.names)
    inputs = {c for m in models.values() for c in m.model.input_columns}
    cols = ["bank_code", *sorted(c for c in inputs if c in names and c != "bank_code")]
    if len(cols) == 1:
        return None
    step = max(1, book.metadata.num_rows // max_rows)
    parts = [
        batch.take(pa.array(np.arange(0, batch.num_rows, step))).to_pandas()
        for batch in book.iter_batches(batch_size=100_000, columns=cols)
    ]
    return pd.concat(parts, ignore_index=True)


def previous_decisions(out: Path, previous_run: str) -> pd.DataFrame:
    """The decisions (:data:`DECISION_COLUMNS`) of the complete run ``previous_run`` in ``out``.

    Raises
    ------
    UsageError
        No such run in ``out``, or it is not complete.
    """
    from scoring_service.exceptions import UsageError

    previous = RunFolder(out, previous_run)
    if previous.read_manifest().get("status") != "complete":
        raise UsageError(
            f"Run {previous_run!r} is not complete; a report compares with a complete run.",
            field="previous_run",
        )
    return previous.read_decisions(DECISION_COLUMNS)


def write_report(
    folder: RunFolder,
    previous_run: str | None,
    models: Mapping[str, LoadedModel],
    *,
    development: Path | None = None,
    previous_table: Path | None = None,
) -> dict[str, Path]:
    """Build the report of a finished run and write ``report/*.csv`` and ``report/index.html``.

    "Compare with previous run X": ``previous_run="X"`` — a complete run in the same parent
    folder (``folder.root.parent``), e.g. the book re-rated with last year's champion, so the
    migration is last year's grade → this year's, the limit changes are per household and
    the PSI table adds the score and grade-mix PSI against that run. ``None``: every household
    is new. ``previous_table`` (parquet with at least ``household_id``, ``grade``, ``limit``;
    ``score``, ``bank_code``, ``model_grade`` and ``override_grade`` when present) replaces
    the run, e.g. decisions exported from the core banking system.

    Parameters
    ----------
    folder : RunFolder
        The finished run.
    previous_run : str, optional
        Id of the run whose decisions are "old".
    models : mapping
        The run's champion by bank.
    development : Path, optional
        Development sample (parquet) for the feature PSI of every champion; default: each
        registry champion's logged evidence (none for a model file).
    previous_table : Path, optional
        Old decisions as a table instead of a run.

    Returns
    -------
    dict
        Path of each CSV by table name, and ``html``.

    Raises
    ------
    UsageError
        The previous run does not exist or is not complete, or the table lacks a column.
    """
    from scoring_service.batch.report_html import render_report

    old = None
    if previous_table is not None:
        old = _previous_table(previous_table)
        previous_run = str(previous_table)
    elif previous_run is not None:
        old = previous_decisions(folder.root.parent, previous_run)
    new = folder.read_decisions(DECISION_COLUMNS)
    given = _development_table(development, models) if development is not None else None
    dev = {_model_key(m): given if given is not None else _evidence(m) for m in models.values()}
    report = build_report(
        folder.run_id, new, old, models=models, features=_book_features(folder, models),
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


def _development_table(path: Path, models: Mapping[str, LoadedModel]) -> pd.DataFrame:
    """The champions' input columns of a development sample (never its other columns)."""
    names = set(pq.ParquetFile(path).schema_arrow.names)
    inputs = sorted({c for m in models.values() for c in m.model.input_columns} & names)
    return pd.read_parquet(path, columns=inputs)


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
