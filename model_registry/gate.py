"""The validation gate a version must pass to become champion.

Checks (thresholds from the federation's red lines, ``model_validation`` in
``config/federation.yaml``, read through :mod:`credit_limit`):

``auc_min``          challenger test AUC >= ``auc_min``
``auc_vs_champion``  challenger test AUC >= champion test AUC - ``auc_tolerance``
``ks_vs_champion``   challenger test KS  >= champion test KS  - ``ks_tolerance``
``score_psi``        PSI of the challenger's score, development vs recent population < ``psi_alert``
``grade_psi``        PSI of the challenger's grade mix, development vs recent < ``psi_alert``
``grade_migration``  share of recent households whose grade moves two notches or more from
                     the champion's <= ``max_migration`` (grade stability)

Champion and challenger are scored on the **same** test set. Without a champion the
comparisons pass and say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from credit_limit.redlines import ModelValidationLines
from model_registry.bundle import RatingModel
from model_registry.exceptions import EvidenceError
from rating_models.exceptions import RatingModelsError
from rating_models.metrics import PSI_EPSILON, auc, ks, psi

__all__ = ["CHECKS", "CheckResult", "GateReport", "GateThresholds", "run_gate"]

#: the checks, in the order they are reported
CHECKS: tuple[str, ...] = (
    "auc_min",
    "auc_vs_champion",
    "ks_vs_champion",
    "score_psi",
    "grade_psi",
    "grade_migration",
)


@dataclass(frozen=True)
class GateThresholds:
    """Thresholds of the gate (``from_lines`` reads the red lines)."""

    auc_min: float
    auc_tolerance: float
    ks_tolerance: float
    psi_alert: float
    max_migration: float = 0.10

    @classmethod
    def from_lines(cls, lines: ModelValidationLines, max_migration: float = 0.10) -> GateThresholds:
        """From the federation's ``model_validation`` red lines."""
        return cls(
            auc_min=lines.auc_min,
            auc_tolerance=lines.auc_tolerance,
            ks_tolerance=lines.ks_tolerance,
            psi_alert=lines.psi_alert,
            max_migration=max_migration,
        )


@dataclass(frozen=True)
class CheckResult:
    """One check: its value against its threshold, and a sentence saying so."""

    name: str
    passed: bool
    value: float | None
    threshold: float | None
    message: str

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


@dataclass(frozen=True)
class GateReport:
    """Every check and the metrics behind them."""

    checks: tuple[CheckResult, ...]
    metrics: dict[str, float]

    @property
    def passed(self) -> bool:
        """True when every check passed."""
        return all(c.passed for c in self.checks)

    @property
    def failed(self) -> list[CheckResult]:
        """The checks that failed, in gate order."""
        return [c for c in self.checks if not c.passed]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (recorded as promotion evidence)."""
        return {
            "passed": self.passed,
            "checks": [asdict(c) for c in self.checks],
            "metrics": dict(self.metrics),
        }


def _at_least(name: str, value: float, floor: float, what: str) -> CheckResult:
    ok = bool(value >= floor)
    verb = "is at least" if ok else "is below"
    return CheckResult(name, ok, value, floor, f"{what} {value:.4f} {verb} {floor:.4f}")


def _below(name: str, value: float, ceiling: float, what: str) -> CheckResult:
    ok = bool(value < ceiling)
    verb = "is below" if ok else "reaches"
    return CheckResult(name, ok, value, ceiling, f"{what} {value:.4f} {verb} {ceiling:.4f}")


def _grade_psi(dev_counts: dict[str, int], recent: pd.Series, grades: Sequence[str]) -> float:
    total = max(sum(dev_counts.values()), 1)
    e = np.array([dev_counts.get(g, 0) / total for g in grades])
    shares = recent.value_counts(normalize=True)
    a = np.array([float(shares.get(g, 0.0)) for g in grades])
    e, a = np.maximum(e, PSI_EPSILON), np.maximum(a, PSI_EPSILON)
    return float(((a - e) * np.log(a / e)).sum())


def _target(validation: pd.DataFrame, target: str) -> np.ndarray:
    if target not in validation.columns:
        raise EvidenceError(f"The validation set has no target column {target!r}.", column=target)
    y = validation[target].to_numpy(dtype=np.float64)
    if np.isnan(y).any() or not np.isin(y, (0.0, 1.0)).all() or np.unique(y).size != 2:
        raise EvidenceError(
            f"The target {target!r} of the validation set must be 0/1 with both classes.",
            column=target,
        )
    return y


def _rate(model: RatingModel, frame: pd.DataFrame, role: str, sample: str) -> pd.DataFrame:
    try:
        return model.predict(frame)
    except RatingModelsError as exc:
        raise EvidenceError(
            f"The {sample} cannot be rated by the {role} ({model.name}): {exc}", sample=sample
        ) from exc


def run_gate(
    challenger: RatingModel,
    champion: RatingModel | None,
    *,
    validation: pd.DataFrame,
    target: str,
    recent: pd.DataFrame,
    thresholds: GateThresholds,
) -> GateReport:
    """Run every check; never stops at the first failure."""
    if recent.empty:
        raise EvidenceError("The recent population is empty.", field="recent")
    y = _target(validation, target)
    rated = _rate(challenger, validation, "challenger", "validation set")
    metrics = {"challenger_auc": auc(y, rated["pd"]), "challenger_ks": ks(y, rated["pd"])}
    checks = [_at_least("auc_min", metrics["challenger_auc"], thresholds.auc_min, "test AUC")]
    recent_rated = _rate(challenger, recent, "challenger", "recent population")
    if champion is None:
        for name in ("auc_vs_champion", "ks_vs_champion", "grade_migration"):
            checks.append(CheckResult(name, True, None, None, "no current champion to compare"))
    else:
        checks += _versus_champion(champion, validation, y, thresholds, metrics)
        checks.append(_migration(challenger, champion, recent, recent_rated, thresholds, metrics))
    checks += _stability(challenger, recent_rated, thresholds, metrics)
    return GateReport(tuple(sorted(checks, key=lambda c: CHECKS.index(c.name))), metrics)


def _versus_champion(
    champion: RatingModel,
    validation: pd.DataFrame,
    y: np.ndarray,
    t: GateThresholds,
    metrics: dict[str, float],
) -> list[CheckResult]:
    champ = _rate(champion, validation, "champion", "validation set")
    metrics["champion_auc"] = auc(y, champ["pd"])
    metrics["champion_ks"] = ks(y, champ["pd"])
    out = []
    for name, tolerance in (("auc", t.auc_tolerance), ("ks", t.ks_tolerance)):
        best = metrics[f"champion_{name}"]
        what = f"test {name.upper()} (champion {best:.4f} - tolerance {tolerance})"
        out.append(
            _at_least(f"{name}_vs_champion", metrics[f"challenger_{name}"], best - tolerance, what)
        )
    return out


def _stability(
    challenger: RatingModel,
    recent_rated: pd.DataFrame,
    t: GateThresholds,
    metrics: dict[str, float],
) -> list[CheckResult]:
    profile = challenger.development
    if profile is None:
        return [
            CheckResult(name, False, None, t.psi_alert, "no development profile")
            for name in ("score_psi", "grade_psi")
        ]
    metrics["score_psi"] = psi(np.asarray(profile.score_quantiles), recent_rated["score"])
    metrics["grade_psi"] = _grade_psi(
        profile.grade_counts, recent_rated["grade"], challenger.scale.grades
    )
    return [
        _below("score_psi", metrics["score_psi"], t.psi_alert, "score PSI"),
        _below("grade_psi", metrics["grade_psi"], t.psi_alert, "grade-mix PSI"),
    ]


def _migration(
    challenger: RatingModel,
    champion: RatingModel,
    recent: pd.DataFrame,
    recent_rated: pd.DataFrame,
    t: GateThresholds,
    metrics: dict[str, float],
) -> CheckResult:
    position = {g: i for i, g in enumerate(challenger.scale.grades)}
    new = recent_rated["grade"].map(position).to_numpy(dtype=np.float64)
    old = (
        _rate(champion, recent, "champion", "recent population")["grade"]
        .map(position)
        .to_numpy(dtype=np.float64)
    )
    share = float(np.mean(np.abs(new - old) >= 2)) if new.size else 0.0
    metrics["grade_migration_2plus"] = share
    ok = share <= t.max_migration
    verb = "is within" if ok else "exceeds"
    return CheckResult(
        "grade_migration",
        ok,
        share,
        t.max_migration,
        f"{share:.2%} of recent households move two grades or more, which {verb} "
        f"{t.max_migration:.0%}",
    )
