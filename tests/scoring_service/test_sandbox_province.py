"""The sandbox province: tables, identities, determinism, risk model and atomic output."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from bureau_adapters.identity import birth_date, is_valid_resident_id
from scoring_service.exceptions import UsageError
from scoring_service.sandbox import bayes_auc, generate_province
from scoring_service.sandbox.risk import B0, logit_terms
from scoring_service.sandbox.tables import HOUSEHOLD_SCHEMA

SURVEY_COLUMNS = [
    "household_id", "bank_code", "village_id", "head_name", "id_type", "id_number", "phone",
    "head_age", "marital_status", "health", "education", "members", "workers", "years_resident",
    "land_mu", "main_crop", "livestock_heads", "income_crop", "income_livestock", "income_wage",
    "income_business", "income_other", "expense_living", "expense_production",
    "expense_education", "expense_medical", "assets_house", "assets_vehicle", "assets_machinery",
    "assets_livestock", "assets_deposits", "deposits_this_bank_avg", "debt_this_bank",
    "debt_other_banks", "debt_informal", "informal_high_interest", "guarantees_given",
    "years_with_bank", "village_review", "bad_habits", "credit_village_status",
    "requested_product", "survey_date",
]  # fmt: skip


def _tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def test_tables_follow_the_data_model(small_province: Path) -> None:
    households = pd.read_parquet(small_province / "households.parquet")
    assert list(households.columns) == [*SURVEY_COLUMNS, "thin_file"]
    assert list(HOUSEHOLD_SCHEMA.names) == [*SURVEY_COLUMNS, "thin_file"]
    banks = pd.read_parquet(small_province / "banks.parquet")
    assert banks["bank_code"].tolist() == ["301", "302", "303"]
    assert banks["bank_name"].str.endswith("农商行").all()
    villages = pd.read_parquet(small_province / "villages.parquet")
    assert set(villages["credit_village_status"]) <= {
        "credit_township",
        "credit_village",
        "ordinary",
        "watchlist",
    }
    merged = households.merge(villages, on="village_id", suffixes=("", "_v"))
    assert (merged["bank_code"] == merged["bank_code_v"]).all()
    assert (merged["credit_village_status"] == merged["credit_village_status_v"]).all()
    outcomes = pd.read_parquet(small_province / "outcomes.parquet")
    assert list(outcomes.columns) == ["household_id", "true_pd", "default_12m"]
    assert outcomes["household_id"].tolist() == households["household_id"].tolist()
    assert outcomes["true_pd"].between(0, 1).all()
    assert set(outcomes["default_12m"].unique()) <= {0, 1}
    assert (households["workers"] <= households["members"]).all()
    assert (households["survey_date"] == dt.date(2026, 6, 30)).all()


def test_every_household_has_both_report_files(small_province: Path) -> None:
    ids = pd.read_parquet(small_province / "households.parquet", columns=["household_id"])[
        "household_id"
    ]
    pboc = sorted(p.stem for p in (small_province / "reports" / "pboc").glob("*.xml"))
    qianhai = sorted(p.stem for p in (small_province / "reports" / "qianhai").glob("*.json"))
    assert pboc == qianhai == sorted(ids)


def test_resident_ids_are_valid_and_match_age(small_province: Path) -> None:
    households = pd.read_parquet(small_province / "households.parquet")
    survey = dt.date(2026, 6, 30)
    for number, age in zip(households["id_number"], households["head_age"], strict=True):
        assert is_valid_resident_id(number)
        born = birth_date(number)
        assert (
            survey.year - born.year - ((survey.month, survey.day) < (born.month, born.day)) == age
        )
        assert number[:2] == "43"  # born in the Hunan-like province
    assert households["id_type"].eq("10").all()
    assert households["phone"].str.fullmatch(r"1[3-9]\d{9}").all()
    assert households["id_number"].is_unique


def test_manifest_and_summary_agree(small_province: Path) -> None:
    manifest = json.loads((small_province / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["households"] == 400
    assert manifest["seed"] == 7
    assert manifest["as_of"] == "2026-06-30"
    assert sum(manifest["households_per_bank"].values()) == 400
    assert manifest["bayes_auc"] == pytest.approx(bayes_auc(small_province), abs=1e-6)


def test_true_pd_is_the_documented_formula(small_province: Path) -> None:
    households = pd.read_parquet(small_province / "households.parquet")
    drivers = pd.read_parquet(small_province / "risk_drivers.parquet")
    outcomes = pd.read_parquet(small_province / "outcomes.parquet")
    frame = households.drop(columns="thin_file").merge(drivers, on="household_id")
    terms = logit_terms(frame)
    stored = drivers[[f"term_{c}" for c in terms.columns]].to_numpy()
    np.testing.assert_allclose(terms.to_numpy(), stored)
    expected = 1.0 / (1.0 + np.exp(-(B0 + terms.sum(axis=1).to_numpy())))
    np.testing.assert_allclose(outcomes["true_pd"].to_numpy(), expected)


def test_same_seed_same_bytes_whatever_the_workers(tmp_path: Path) -> None:
    args: dict[str, Any] = {"households": 90, "banks": 2, "seed": 3, "chunk_size": 40}
    generate_province(tmp_path / "a", workers=1, **args)
    generate_province(tmp_path / "b", workers=2, **args)
    generate_province(tmp_path / "c", workers=1, **{**args, "seed": 4})
    assert _tree_hash(tmp_path / "a") == _tree_hash(tmp_path / "b")
    assert _tree_hash(tmp_path / "a") != _tree_hash(tmp_path / "c")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"households": 0}, "'households' of a sandbox province must be an integer >= 1. Got 0"),
        ({"households": -5}, "'households' .* Got -5"),
        ({"banks": 0}, "'banks' of a sandbox province must be an integer >= 1"),
        ({"banks": 1000}, "'banks' of a sandbox province must be an integer <= 699"),
        ({"seed": -1}, "'seed' of a sandbox province must be an integer >= 0"),
        ({"households": 2.5}, "'households' .* Got 2.5"),
    ],
)
def test_bad_arguments_are_coded_errors(
    tmp_path: Path, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"households": 10, "banks": 1, "seed": 1, **kwargs}
    with pytest.raises(UsageError, match=message) as info:
        generate_province(tmp_path / "p", **args)  # type: ignore[arg-type]
    assert info.value.code == "SANDBOX_ARGUMENT"
    assert list(tmp_path.iterdir()) == []


def test_failure_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import scoring_service.sandbox.province as province

    def boom(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt("stopped by the test")

    monkeypatch.setattr(province, "_manifest", boom)
    with pytest.raises(KeyboardInterrupt, match="stopped by the test"):
        generate_province(tmp_path / "new" / "p", households=20, banks=1, seed=1)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_replaces_a_province(tmp_path: Path) -> None:
    out = tmp_path / "p"
    generate_province(out, households=15, banks=1, seed=1)
    with pytest.raises(UsageError, match="is not empty"):
        generate_province(out, households=15, banks=1, seed=2)
    summary = generate_province(out, households=25, banks=2, seed=2, overwrite=True)
    assert summary.households == 25
    assert len(list((out / "reports" / "pboc").iterdir())) == 25
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p"]
