"""The array engine behind ``rate_households`` / ``RatingModel.predict`` against a slow reference.

The reference below rates one household at a time in plain Python (bins by counting edges,
points added left to right, grades by walking the cut-offs, knockouts rule by rule, reasons by
sorting each row's shortfalls). It shares nothing with the engine but the PD formulas, so the
engine's one-row path, its padded-matrix path, its column path and its chunking all have to
agree with it on a small sandbox province, value for value.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from model_registry.bundle import RatingModel
from rating_models.exceptions import InvalidDataError
from rating_models.expert import ExpertCard, expert_score
from rating_models.expert.compile import to_spec
from rating_models.rating import engine as engine_module
from rating_models.rating.grades import PDCalibration
from rating_models.rating.knockouts import KnockoutRule
from rating_models.rating.pipeline import rate_households
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec
from scoring_service.api.testing import province_frame, train_champion

CONFIG = Path(__file__).resolve().parents[2] / "config"
_TOLERANCE = 1e-9


# -- the slow reference ------------------------------------------------------------------


def _missing(v: Any) -> bool:
    return v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))


def _bin(feature: FeatureScore, v: Any) -> int:
    bins = feature.bins.bins
    missing = next(i for i, b in enumerate(bins) if b.kind == "missing")
    if feature.bins.kind == "numeric":
        if _missing(v):
            return missing
        x = float(v)
        special = [i for i, b in enumerate(bins) if b.kind == "special" and x in b.values]
        if special:
            return special[-1]
        return sum(1 for b in bins if b.kind == "interval" and b.upper is not None and x >= b.upper)
    if _missing(v):
        return missing
    text = v if isinstance(v, str) else str(v)
    for i, b in enumerate(bins):
        if b.kind in ("categories", "special") and text in [str(c) for c in b.values]:
            return i
    return next((i for i, b in enumerate(bins) if b.kind == "other"), missing)


def _points(spec: ScorecardSpec, row: dict[str, Any]) -> list[float]:
    return [f.points[_bin(f, row[f.name])] for f in spec.features]


def _score(intercept: float, points: list[float]) -> float:
    total = intercept
    for p in points:
        total += p
    return total


def _indicator(ind: Any, row: dict[str, Any]) -> Any:
    def total(names: tuple[str, ...]) -> float:
        parts = [float(row[c]) for c in names if not _missing(row[c])]
        return sum(parts, 0.0) if parts else math.nan

    spec = ind.input
    if spec.kind == "column":
        value = row[spec.plus[0]]
    elif spec.kind == "sum":
        value = total(spec.plus)
    elif spec.kind == "difference":
        value = total(spec.plus) - total(spec.minus)
    else:
        num, den = total(spec.plus), total(spec.minus)
        value = num / den if den > 0 else math.nan
    if ind.missing_when is not None:
        gate = row[ind.missing_when[0]]
        if _missing(gate) or not float(gate) >= ind.missing_when[1]:
            value = math.nan
    return value


def _fires(rule: KnockoutRule, v: Any) -> bool:
    if _missing(v):
        return rule.missing == "fire"
    ops = {
        ">": lambda x: x > rule.value,
        ">=": lambda x: x >= rule.value,
        "<": lambda x: x < rule.value,
        "<=": lambda x: x <= rule.value,
        "outside": lambda x: x < rule.value[0] or x > rule.value[1],
        "is_true": bool,
    }
    return bool(ops[rule.op](float(v)))


def _pd(fn: Any, score: float) -> float:
    return float(fn(np.asarray([score]))[0])


def _combine(model: RatingModel, p_s: float | None, p_e: float | None) -> tuple[float, str, str]:
    """Final PD, the card that decided, escalation reason (``""``: none)."""
    scale = model.scale

    def grade(p: float) -> int:
        return next(i for i, cut in enumerate(scale.max_pd) if p <= cut)

    mode, w = model.mode, model.expert_weight
    if p_s is None or p_e is None:
        if p_e is None:
            return p_s, "statistical", "" if mode == "statistical" else "expert_missing"  # type: ignore[return-value]
        return p_e, "expert", "" if mode == "expert" else "statistical_missing"
    if mode == "statistical":
        return p_s, "statistical", ""
    if mode == "expert":
        return p_e, "expert", ""
    if mode == "blend":
        q = np.clip(np.asarray([p_s, p_e]), 1e-12, 1 - 1e-12)
        logit = np.log(q / (1 - q))
        z = np.asarray([w * logit[1] + (1 - w) * logit[0]])
        return float((1.0 / (1.0 + np.exp(-z)))[0]), "blend", ""
    expert_worse = grade(p_e) > grade(p_s)
    differ = mode == "agree_or_escalate" and grade(p_e) != grade(p_s)
    final, by = (p_e, "expert") if expert_worse else (p_s, "statistical")
    return final, by, "grades_differ" if differ else ""


def _reasons(shortfalls: list[tuple[float, str]], n: int) -> list[str]:
    best: dict[str, tuple[float, int]] = {}
    for col, (value, code) in enumerate(shortfalls):
        if value > _TOLERANCE and (code not in best or value > best[code][0]):
            best[code] = (value, col)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1]))
    codes = [code for code, _ in ranked[:n]]
    return codes + [""] * (n - len(codes))


def reference_predict(model: RatingModel, frame: pd.DataFrame) -> pd.DataFrame:
    """``model.predict`` one row at a time, in plain Python."""
    stat, card = model.statistical, model.expert
    espec = None if card is None else to_spec(card)
    catalog = model.reason_catalog
    shares = {"statistical": 1.0 - model.expert_weight, "expert": model.expert_weight}
    out = []
    for row in frame[model.input_columns].to_dict("records"):
        cards: dict[str, tuple[float, float, list[float], ScorecardSpec, float]] = {}
        if stat is not None and stat.scaling is not None:
            pts = _points(stat, row)
            score = _score(stat.intercept_points, pts)
            per_point = math.log(2.0) / stat.scaling.pdo
            cards["statistical"] = (
                score,
                _pd(stat.scaling.pd_from_score, score),
                pts,
                stat,
                per_point,
            )
        if card is not None and espec is not None and card.pd_calibration is not None:
            values = {ind.id: _indicator(ind, row) for ind in card.indicators}
            pts = _points(espec, values)
            score = _score(0.0, pts)
            cal = card.pd_calibration
            cards["expert"] = (score, _pd(cal.pd, score), pts, espec, -cal.slope)
        p_s = cards["statistical"][1] if "statistical" in cards else None
        p_e = cards["expert"][1] if "expert" in cards else None
        final, by, reason = _combine(model, p_s, p_e)
        fired = [r.code for r in model.knockouts if _fires(r, row[r.column])]
        g = next(i for i, cut in enumerate(model.scale.max_pd) if final <= cut)
        grade = model.scale.grades[-1] if fired else model.scale.grades[g]
        shortfalls: list[tuple[float, str]] = [
            (math.inf if r.code in fired else 0.0, r.code) for r in model.knockouts
        ]
        for name, (_, _, pts, spec, per_point) in cards.items():
            weight = (1.0 if by == name else shares[name] if by == "blend" else 0.0) * per_point
            for f, p in zip(spec.features, pts, strict=True):
                code = catalog.code_for_feature(f.name) if catalog else f"X:{f.name}"
                shortfalls.append(((f.best_points - p) * weight, code))
        first = "statistical" if "statistical" in cards else "expert"
        record: dict[str, Any] = {"score": cards[first][0], "pd": final, "grade": grade}
        if model.grade_calibration is not None:
            cal_grades = model.grade_calibration.scale.grades
            record["grade_pd"] = model.grade_calibration.grade_pd[cal_grades.index(grade)]
        record["escalate"] = bool(reason) and not fired
        record["knockout"] = ";".join(fired)
        names = _reasons(shortfalls, model.n_reasons)
        record.update({f"reason_{i + 1}": c for i, c in enumerate(names)})
        out.append(record)
    return pd.DataFrame(out, index=frame.index, columns=model.output_columns)


# -- fixtures ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def province(small_province: Path) -> pd.DataFrame:
    return province_frame(small_province)


@pytest.fixture(scope="module")
def champion(small_province: Path) -> RatingModel:
    model: RatingModel = train_champion(small_province, CONFIG).model
    return model


@pytest.fixture(scope="module")
def expert_card(province: pd.DataFrame) -> ExpertCard:
    card = ExpertCard.from_yaml(CONFIG / "expert_cards" / "federation_default.yaml")
    calibration = PDCalibration.fit(expert_score(card, province), province["default_12m"])
    return card.with_calibration(calibration)


def _variant(champion: RatingModel, card: ExpertCard, variant: str) -> RatingModel:
    if variant == "champion":
        return champion
    if variant == "expert_only":
        return dataclasses.replace(champion, statistical=None, expert=card, mode="expert")
    return dataclasses.replace(champion, expert=card, mode=variant, expert_weight=0.4)


VARIANTS = ["champion", "blend", "agree_or_escalate", "minimum", "expert", "expert_only"]


# -- the tests ---------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_engine_equals_the_slow_reference(
    champion: RatingModel, expert_card: ExpertCard, province: pd.DataFrame, variant: str
) -> None:
    model = _variant(champion, expert_card, variant)
    expected = reference_predict(model, province)
    before = province.copy()
    pd.testing.assert_frame_equal(model.predict(province), expected, check_exact=True)
    pd.testing.assert_frame_equal(province, before)  # the input frame is left as it was
    assert expected["knockout"].ne("").any()  # the sample exercises knockouts and reasons
    assert expected["reason_1"].ne("").all()


def test_one_row_few_rows_and_chunks_agree_with_the_reference(
    champion: RatingModel,
    expert_card: ExpertCard,
    province: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    model = _variant(champion, expert_card, "blend")
    expected = reference_predict(model, province)
    for i in (0, 17, 399):  # one row: the padded-matrix path and the sorted reasons
        pd.testing.assert_frame_equal(
            model.predict(province.iloc[[i]]), expected.iloc[[i]], check_exact=True
        )
    monkeypatch.setattr(engine_module, "CHUNK_ROWS", 97)  # 400 rows in 5 uneven chunks
    pd.testing.assert_frame_equal(model.predict(province), expected, check_exact=True)


def test_rate_households_keeps_its_columns_and_agrees_with_predict(
    champion: RatingModel, expert_card: ExpertCard, province: pd.DataFrame
) -> None:
    model = _variant(champion, expert_card, "agree_or_escalate")
    full = rate_households(
        province,
        setup=model.setup,
        statistical=model.statistical,
        expert=model.expert,
        catalog=model.reason_catalog,
    )
    assert list(full.columns) == [
        "score_expert",
        "score_statistical",
        "pd_statistical",
        "grade_statistical",
        "pd_expert",
        "grade_expert",
        "pd",
        "grade",
        "decided_by",
        "mode",
        "escalate",
        "escalate_reason",
        "knockout",
        "grade_pd",
        *model.reason_columns,
        "reasons_zh",
        "reasons_en",
    ]
    out = model.predict(province)
    np.testing.assert_array_equal(full["score_statistical"], out["score"])
    for col in ("pd", "grade", "escalate", "knockout", *model.reason_columns):
        np.testing.assert_array_equal(full[col].to_numpy(), out[col].to_numpy())
    assert (full.loc[full["escalate"], "escalate_reason"] == "grades_differ").all()


def test_missing_input_column_is_named(champion: RatingModel, province: pd.DataFrame) -> None:
    gone = champion.input_columns[3]
    with pytest.raises(InvalidDataError, match=f"lack the card's feature column.*{gone}"):
        champion.predict(province.drop(columns=[gone]))
