"""Compute everything the model report shows, as plain tables and SVG figures.

:func:`build_report` evaluates a scorecard spec on a development (train) sample and,
optionally, a test sample: discrimination (AUC, Gini, KS), stability (score PSI, CSI per
characteristic), gains and lift, grades (score → PD → grade, PD per grade calibrated on the
development sample, observed against calibrated on test), per-variable WOE and bad rate, and
override and escalation rates when decisions are given. :func:`~rating_models.report.html.render_html`
turns the result into one self-contained HTML file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from rating_models import metrics
from rating_models.binning.table import BinningTable
from rating_models.exceptions import InvalidDataError
from rating_models.rating.grades import (
    GRADE_LABELS_ZH,
    GradeCalibration,
    GradeScale,
    PDCalibration,
    calibrate_grades,
)
from rating_models.report import figures
from rating_models.scorecard.spec import ScorecardSpec

__all__ = ["ModelReport", "VariableReport", "build_report"]


@dataclass(frozen=True)
class VariableReport:
    """One characteristic: its bins on the development sample, IV, CSI and figure."""

    name: str
    label: str
    iv: float
    csi: float | None
    table: pd.DataFrame
    figure: str


@dataclass(frozen=True)
class ModelReport:
    """All tables and figures of a model report (render with ``render_html``)."""

    title: str
    model_name: str
    kind: str
    summary: pd.DataFrame
    score_psi: float | None
    gains: pd.DataFrame
    grades: pd.DataFrame
    grade_calibration: GradeCalibration
    pd_source: str
    variables: tuple[VariableReport, ...]
    figures: dict[str, str]
    rates: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def _target(y: ArrayLike, name: str) -> NDArray[np.int8]:
    arr = np.asarray(y)
    if arr.dtype.kind not in "biuf" or not set(np.unique(arr).tolist()) <= {0, 1}:
        raise InvalidDataError(f"The {name} target must be 0/1 (1 = bad).", field=name)
    return arr.astype(np.int8)


def _pd_mapper(
    spec: ScorecardSpec, score: NDArray[np.float64], y: NDArray[np.int8]
) -> tuple[PDCalibration, str]:
    if spec.scaling is not None:
        s = spec.scaling
        cal = PDCalibration.from_scaling(
            base_points=s.base_points, base_odds=s.base_odds, pdo=s.pdo
        )
        return (
            cal,
            f"points scaling (PDO {s.pdo:g}, {s.base_points:g} points at odds {s.base_odds:g}:1)",
        )
    cal = PDCalibration.fit(score, y)
    return (
        cal,
        f"logistic calibration of the score on the development sample (slope {cal.slope:.4f} per point)",
    )


def _variable(
    spec: ScorecardSpec,
    j: int,
    idx: tuple[NDArray[np.intp], NDArray[np.intp] | None],
    ys: tuple[NDArray[np.int8], NDArray[np.int8] | None],
    label: str,
) -> VariableReport:
    feature = spec.features[j]
    k = feature.bins.n_bins
    count = np.bincount(idx[0][:, j], minlength=k).astype(float)
    bad = np.bincount(idx[0][:, j], weights=ys[0], minlength=k)
    table = BinningTable(feature.bins, tuple(count), tuple(bad)).to_frame().drop(columns="variable")
    table["points"] = feature.points
    test_rate, csi = None, None
    if idx[1] is not None and ys[1] is not None:
        t_count = np.bincount(idx[1][:, j], minlength=k).astype(float)
        t_bad = np.bincount(idx[1][:, j], weights=ys[1], minlength=k)
        with np.errstate(divide="ignore", invalid="ignore"):
            test_rate = np.where(t_count > 0, t_bad / t_count, np.nan)
        table["test_count"] = t_count
        table["test_bad_rate"] = test_rate
        csi = metrics.psi(pd.Series(idx[0][:, j]).astype(str), pd.Series(idx[1][:, j]).astype(str))
    keep = (table["count"] > 0) | (table.get("test_count", table["count"]) > 0)
    shown = table[keep].reset_index(drop=True)
    title = f"{feature.name}  {label}".strip()
    fig = figures.woe_figure(
        shown, title, None if test_rate is None else list(shown["test_bad_rate"])
    )
    iv = float(table["iv"].sum())
    return VariableReport(feature.name, label, iv, csi, table, fig)


def build_report(
    spec: ScorecardSpec,
    train: pd.DataFrame,
    y_train: ArrayLike,
    *,
    scale: GradeScale,
    test: pd.DataFrame | None = None,
    y_test: ArrayLike | None = None,
    labels: Mapping[str, str] | None = None,
    decisions: pd.DataFrame | None = None,
    title: str | None = None,
) -> ModelReport:
    """Evaluate ``spec`` and collect the report's tables and figures.

    Parameters
    ----------
    spec : ScorecardSpec
        The card (statistical or a compiled expert card).
    train, y_train : DataFrame, array-like of 0/1
        Development sample (grade PDs and, for a card without scaling, the score-to-PD
        calibration are fitted here).
    scale : GradeScale
        Grade cut-offs.
    test, y_test : optional
        Validation sample; metrics, calibration and gains are shown on it when given.
    labels : mapping, optional
        Readable (e.g. Chinese) label per feature.
    decisions : DataFrame, optional
        Columns ``system_grade`` and ``final_grade`` (override rate) and/or ``escalate``.
    """
    y_tr = _target(y_train, "train")
    samples: dict[str, tuple[pd.DataFrame, NDArray[np.int8]]] = {"train": (train, y_tr)}
    if test is not None:
        if y_test is None:
            raise InvalidDataError("A test sample needs its target 'y_test'.", field="y_test")
        samples["test"] = (test, _target(y_test, "test"))
    scores = {name: spec.score(frame) for name, (frame, _) in samples.items()}
    cal, pd_source = _pd_mapper(spec, scores["train"], y_tr)
    pds = {name: cal.pd(s) for name, s in scores.items()}
    grade_cal = calibrate_grades(y_tr, pds["train"], scale)
    summary = _summary(samples, scores, pds)
    last = "test" if "test" in samples else "train"
    y_last = samples[last][1]
    grades_last = scale.grade(pds[last])
    grade_table = metrics.calibration_by_grade(
        y_last, pds[last], grades_last, grades=scale.grades, grade_pd=grade_cal.grade_pd
    )
    grade_table.insert(1, "label_zh", [GRADE_LABELS_ZH.get(g, "") for g in scale.grades])
    grade_table.insert(2, "max_pd", list(scale.max_pd))
    gains = metrics.gains_table(y_last, pds[last]).rename(
        columns={"score_min": "pd_min", "score_max": "pd_max"}
    )
    idx_train = spec.compiled.bin_indices(train)
    idx_test = spec.compiled.bin_indices(test) if test is not None else None
    y_te = samples["test"][1] if "test" in samples else None
    variables = tuple(
        _variable(spec, j, (idx_train, idx_test), (y_tr, y_te), (labels or {}).get(f.name, ""))
        for j, f in enumerate(spec.features)
    )
    figs = _figures(samples, scores, pds, grade_table, gains, last)
    score_psi = metrics.psi(scores["train"], scores["test"]) if "test" in samples else None
    return ModelReport(
        title=title or f"模型报告 Model report — {spec.name}",
        model_name=spec.name,
        kind=spec.kind,
        summary=summary,
        score_psi=score_psi,
        gains=gains,
        grades=grade_table,
        grade_calibration=grade_cal,
        pd_source=pd_source,
        variables=variables,
        figures=figs,
        rates=_rates(decisions),
        notes=(f"Metrics by grade, gains and KS curve on the {last} sample.",),
    )


def _summary(
    samples: Mapping[str, tuple[pd.DataFrame, NDArray[np.int8]]],
    scores: Mapping[str, NDArray[np.float64]],
    pds: Mapping[str, NDArray[np.float64]],
) -> pd.DataFrame:
    rows = []
    for name, (_, y) in samples.items():
        rows.append(
            {
                "sample": name,
                "n": int(y.size),
                "bads": int(y.sum()),
                "bad_rate": float(y.mean()),
                "auc": metrics.auc(y, pds[name]),
                "gini": metrics.gini(y, pds[name]),
                "ks": metrics.ks(y, pds[name]),
                "mean_score": float(np.mean(scores[name])),
            }
        )
    return pd.DataFrame(rows)


def _figures(
    samples: Mapping[str, tuple[pd.DataFrame, NDArray[np.int8]]],
    scores: Mapping[str, NDArray[np.float64]],
    pds: Mapping[str, NDArray[np.float64]],
    grade_table: pd.DataFrame,
    gains: pd.DataFrame,
    last: str,
) -> dict[str, str]:
    from sklearn.metrics import roc_curve

    curves = {}
    for name, (_, y) in samples.items():
        fpr, tpr, _ = roc_curve(y, pds[name])
        curves[name] = (fpr, tpr, metrics.auc(y, pds[name]))
    y = samples[last][1]
    curve = metrics.ks_curve(y, pds[last])
    order = np.sort(pds[last])[::-1]
    counts = np.searchsorted(-order, -curve["threshold"].to_numpy(), side="right")
    curve["cum_pop"] = counts / order.size
    return {
        "roc": figures.roc_figure(curves),
        "ks": figures.ks_figure(curve, metrics.ks(y, pds[last])),
        "scores": figures.score_distribution_figure({name: scores[name] for name in samples}),
        "scores_by_class": figures.score_distribution_figure(
            {f"{last} goods": scores[last][y == 0], f"{last} bads": scores[last][y == 1]}
        ),
        "lift": figures.lift_figure(gains),
        "grades": figures.grade_figure(grade_table, GRADE_LABELS_ZH),
    }


def _rates(decisions: pd.DataFrame | None) -> dict[str, float]:
    if decisions is None:
        return {}
    out = {}
    if {"system_grade", "final_grade"} <= set(decisions.columns):
        out["override_rate"] = metrics.override_rate(
            decisions["system_grade"], decisions["final_grade"]
        )
    if "escalate" in decisions.columns:
        out["escalation_rate"] = metrics.escalation_rate(decisions["escalate"])
    return out
