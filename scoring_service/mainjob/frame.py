"""A sandbox province as one modelling frame: survey + PBOC and Qianhai features + outcomes.

Used by the main job and the notebooks; the same parsing and feature code as the live
bureau path (:func:`bureau_adapters.pboc.parse_file`, :func:`features_frame`,
:func:`qh_features_from_province`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from bureau_adapters.pboc import parse_file
from bureau_adapters.pboc.features import features_frame
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.qianhai.features import qh_feature_frame
from bureau_adapters.qianhai.offline import qh_features_from_province

__all__ = [
    "NOT_FEATURES",
    "OUTCOME_COLUMNS",
    "PII_COLUMNS",
    "answers_frame",
    "bureau_features",
    "feature_columns",
    "model_frame",
    "pboc_features",
]

#: Sandbox-only columns: the truth a model must never see as an input.
OUTCOME_COLUMNS: tuple[str, ...] = ("true_pd", "default_12m")
#: Personal data of the survey; kept in the frame for the bureau layer, never a feature.
PII_COLUMNS: tuple[str, ...] = ("head_name", "id_type", "id_number", "phone")
#: Columns of a model frame that are never candidate features.
NOT_FEATURES: tuple[str, ...] = (
    "household_id", "bank_code", "village_id", *PII_COLUMNS, "survey_date", "thin_file",
    "report_id", "report_date", *OUTCOME_COLUMNS,
)  # fmt: skip


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Candidate features of a model frame: not in :data:`NOT_FEATURES`, not constant."""
    return [c for c in frame.columns if c not in NOT_FEATURES and frame[c].nunique() > 1]


def pboc_features(
    province: Path, household_ids: Sequence[str] | None = None, *, progress: bool = False
) -> pd.DataFrame:
    """``pboc-features/1`` of the cached PBOC reports, indexed by ``household_id``, after
    the ``report_id`` and ``report_date`` they came from.

    Parameters
    ----------
    province : Path
        Sandbox province folder (``reports/pboc/<household_id>.xml``).
    household_ids : sequence of str, optional
        Only these households (default: every report file, in file-name order).
    progress : bool, default False
        A progress bar on stderr while parsing.
    """
    folder = Path(province) / "reports" / "pboc"
    if household_ids is None:
        files = sorted(folder.glob("*.xml"))
    else:
        files = [folder / f"{h}.xml" for h in household_ids]
    bar = tqdm(files, desc="parse PBOC reports", unit="report", disable=not progress)
    reports = [parse_file(path) for path in bar]
    personal = [r for r in reports if isinstance(r, PersonalReport)]
    frame = features_frame(personal)
    ids = [p.stem for p, r in zip(files, reports, strict=True) if isinstance(r, PersonalReport)]
    dates = [r.report_date for r in reports if isinstance(r, PersonalReport)]
    frame.insert(0, "report_date", pd.to_datetime(dates))
    frame.insert(0, "report_id", frame.index.to_numpy())
    frame.index = pd.Index(ids, name="household_id")
    return frame


def answers_frame(
    households: pd.DataFrame,
    pboc: Mapping[str, PersonalReport],
    qianhai: Mapping[str, Mapping[str, Any]],
    outcomes: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """A model frame from reports fetched over the bureaus' interfaces (the main job's path).

    Parameters
    ----------
    households : DataFrame
        Survey rows (``household_id``, ``survey_date``, ...), one per household.
    pboc : mapping
        ``household_id`` → parsed PBOC personal report (an empty one for "no record").
    qianhai : mapping
        ``household_id`` → ``{product: QianhaiResult}``; windows count back from the
        household's ``survey_date`` (the day its reports were pulled), as offline.
    outcomes : DataFrame, optional
        ``household_id``, ``true_pd``, ``default_12m`` (sandbox truth) to join.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`model_frame`, in the same order, for ``households``' rows.
    """
    ids = households["household_id"].astype(str).tolist()
    reports = [pboc[h] for h in ids]
    features = features_frame(reports)
    features.insert(0, "report_date", pd.to_datetime([r.report_date for r in reports]))
    features.insert(0, "report_id", [r.report_id for r in reports])
    features.index = pd.Index(ids, name="household_id")
    days = dict(zip(ids, pd.to_datetime(households["survey_date"]).dt.date, strict=True))
    qh = qh_feature_frame({h: qianhai[h] for h in ids}, as_of=days)
    qh.index = pd.Index(ids, name="household_id")
    frame = households.set_index("household_id").join(features.join(qh), how="left")
    if outcomes is not None:
        truth = outcomes.set_index("household_id")[list(OUTCOME_COLUMNS)]
        frame = frame.join(truth, how="left")
    return frame.reset_index()


def bureau_features(province: Path, *, progress: bool = False) -> pd.DataFrame:
    """PBOC and Qianhai (``qh_*``) features of every household, indexed by ``household_id``."""
    pboc = pboc_features(province, progress=progress)
    qh = qh_features_from_province(Path(province))
    qh.index.name = "household_id"
    return pboc.join(qh, how="outer")


def model_frame(
    province: Path, *, outcomes: bool = True, cache: Path | None = None, progress: bool = False
) -> pd.DataFrame:
    """One row per household: the survey, its bureau features and (sandbox) outcomes.

    Parameters
    ----------
    province : Path
        Sandbox province folder.
    outcomes : bool, default True
        Join ``true_pd`` and ``default_12m`` from ``outcomes.parquet``.
    cache : Path, optional
        A parquet file: read when it exists and is newer than the province's manifest, else
        written (reports are parsed once per province, not once per notebook).
    progress : bool, default False
        A progress bar on stderr while parsing.

    Returns
    -------
    pandas.DataFrame
        ``household_id`` first, survey columns, ``report_id``, bureau features, outcomes.
    """
    folder = Path(province)
    manifest = folder / "manifest.json"
    if cache is not None and cache.is_file() and cache.stat().st_mtime >= manifest.stat().st_mtime:
        cached = pd.read_parquet(cache)
        if not outcomes:
            return cached.drop(columns=list(OUTCOME_COLUMNS), errors="ignore")
        if set(OUTCOME_COLUMNS) <= set(cached.columns):
            return cached
    frame = pd.read_parquet(folder / "households.parquet").set_index("household_id")
    frame = frame.join(bureau_features(folder, progress=progress), how="left")
    if outcomes:
        truth = pd.read_parquet(folder / "outcomes.parquet").set_index("household_id")
        frame = frame.join(truth[list(OUTCOME_COLUMNS)], how="left")
    frame = frame.reset_index()
    if cache is not None:
        tmp = cache.with_name(cache.name + ".tmp")
        frame.to_parquet(tmp, index=False)
        tmp.replace(cache)
    return frame
