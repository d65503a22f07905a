"""The validation gate: hand-checked PSI of grades, every failing check listed, evidence errors."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest

from model_registry.exceptions import EvidenceError
from model_registry.gate import GateThresholds, _grade_psi, run_gate

STRICT = GateThresholds(auc_min=0.99, auc_tolerance=0.0, ks_tolerance=0.0, psi_alert=1e-6,
                        max_migration=0.0)  # fmt: skip
LOOSE = GateThresholds(auc_min=0.5, auc_tolerance=0.5, ks_tolerance=0.5, psi_alert=10.0,
                       max_migration=1.0)  # fmt: skip


def test_grade_psi_by_hand() -> None:
    # development 50/50 over A and B; recent all A: (1 - .5) ln 2 + (1e-4 - .5) ln(1e-4 / .5)
    value = _grade_psi({"A": 50, "B": 50}, pd.Series(["A"] * 10), ("A", "B"))
    assert value == pytest.approx(0.5 * math.log(2) + (1e-4 - 0.5) * math.log(1e-4 / 0.5))
    assert _grade_psi({"A": 3, "B": 1}, pd.Series(["A", "A", "A", "B"]), ("A", "B")) == 0.0


def test_every_failing_check_is_listed(trained: Any) -> None:
    report = run_gate(
        trained.worse.model,
        trained.good.model,
        validation=trained.good.test,
        target="target",
        recent=trained.frame.head(500),
        thresholds=STRICT,
    )
    assert [c.name for c in report.checks] == [
        "auc_min", "auc_vs_champion", "ks_vs_champion", "score_psi", "grade_psi", "grade_migration",
    ]  # fmt: skip
    assert not any(c.passed for c in report.checks)
    assert report.metrics["champion_auc"] > report.metrics["challenger_auc"]
    assert str(report.failed[0]).startswith("auc_min: test AUC ")
    loose = run_gate(
        trained.worse.model,
        trained.good.model,
        validation=trained.good.test,
        target="target",
        recent=trained.frame.head(500),
        thresholds=LOOSE,
    )
    assert loose.passed
    assert loose.to_dict()["passed"] is True


def test_same_model_is_stable(trained: Any) -> None:
    report = run_gate(
        trained.good.model,
        trained.good.model,
        validation=trained.good.test,
        target="target",
        recent=trained.frame,
        thresholds=LOOSE,
    )
    assert report.metrics["grade_migration_2plus"] == 0.0
    assert report.metrics["challenger_auc"] == report.metrics["champion_auc"]
    assert report.metrics["score_psi"] < 0.01


@pytest.mark.parametrize(
    ("validation", "recent", "match"),
    [
        ("no_target", "ok", "no target column 'target'"),
        ("one_class", "ok", "0/1 with both classes"),
        ("ok", "empty", "recent population is empty"),
        ("ok", "no_columns", "cannot be rated by the challenger"),
    ],
)
def test_unusable_evidence_is_named(trained: Any, validation: str, recent: str, match: str) -> None:
    test = trained.good.test
    samples = {
        "ok": test,
        "no_target": test.drop(columns="target"),
        "one_class": test.assign(target=0),
        "empty": test.head(0),
        "no_columns": test[["noise"]],
    }
    with pytest.raises(EvidenceError, match=match):
        run_gate(
            trained.good.model,
            None,
            validation=samples[validation],
            target="target",
            recent=samples[recent],
            thresholds=LOOSE,
        )
