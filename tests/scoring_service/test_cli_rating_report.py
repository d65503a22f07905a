"""``nongxin rating report``: spec or expert card in, one self-contained HTML file out."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from rating_models.binning.bins import categorical_bins, numeric_bins
from rating_models.rating.grades import GradeCalibration
from rating_models.scorecard.scaling import Scaling
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec
from scoring_service.cli import cli, main
from scoring_service.cli.rating_report import federation_scale

CONFIG = Path(__file__).resolve().parents[2] / "config"
SPEC = ScorecardSpec(
    (
        FeatureScore(numeric_bins("inq_loan_cnt_3m", [1, 3]), (30.0, 15.0, 0.0, 10.0)),
        FeatureScore(
            categorical_bins("village_review", [["very_good", "good"], ["average"], ["poor"]]),
            (25.0, 10.0, 0.0, 5.0),
        ),
    ),
    intercept_points=530.0,
    scaling=Scaling(pdo=20, base_points=600, base_odds=50),
    name="demo",
)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(20261129)
    n = 1500
    frame = pd.DataFrame(
        {
            "inq_loan_cnt_3m": rng.poisson(1.2, n).astype(float),
            "village_review": rng.choice(["very_good", "good", "average", "poor"], n),
        }
    )
    frame["status"] = np.where(rng.random(n) < SPEC.pd(frame), "bad", "good")
    frame.to_csv(root / "dev.csv", index=False)
    frame.iloc[:500].to_parquet(root / "val.parquet")
    (root / "spec.json").write_text(SPEC.to_json(), encoding="utf-8")
    return root


@pytest.fixture(autouse=True)
def _config(monkeypatch: pytest.MonkeyPatch) -> None:
    from scoring_service.settings import get_settings

    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(CONFIG))
    get_settings.cache_clear()


def _run(*args: str) -> object:
    return CliRunner().invoke(cli, ["rating", "report", *args], catch_exceptions=False)


def test_report_with_random_holdout(files: Path) -> None:
    out = files / "r1.html"
    result = _run(
        "--spec",
        str(files / "spec.json"),
        "--data",
        str(files / "dev.csv"),
        "--target",
        "status",
        "--bad-label",
        "bad",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'id="roc"' in html
    assert 'id="woe-village_review"' in html
    assert "a random hold-out" in result.output


def test_report_with_test_file_and_bank(files: Path) -> None:
    out = files / "r2.html"
    result = _run(
        "--spec", str(files / "spec.json"), "--data", str(files / "dev.csv"), "--test", str(files / "val.parquet"),
        "--target", "status", "--bad-label", "bad", "--bank", "302", "--out", str(out),
        "--grades-out", str(files / "grades.json"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "0.80%" in html  # bank 302's maximum PD of grade A
    assert "the test file" in result.output
    grades = GradeCalibration.from_dict(
        json.loads((files / "grades.json").read_text(encoding="utf-8"))
    )
    assert grades.scale.max_pd == (0.008, 0.02, 0.045, 0.09, 1.0)
    assert list(grades.grade_pd) == sorted(grades.grade_pd)
    assert sum(grades.n) == 1500


def test_report_on_the_expert_card(files: Path, tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    n = 600
    frame = pd.DataFrame({col: rng.uniform(0, 1e5, n) for col in _money_columns()})
    frame = frame.assign(
        head_age=rng.integers(20, 65, n), health=rng.choice(["good", "average", "poor"], n), workers=rng.integers(1, 5, n),
        years_resident=rng.integers(0, 40, n), land_mu=rng.uniform(0, 30, n), informal_high_interest=rng.random(n) < 0.1,
        n_delinq_months_24m=rng.poisson(0.5, n).astype(float), cur_overdue_amt=0.0, has_bad_debt=0.0, n_accounts=rng.integers(0, 4, n),
        years_with_bank=rng.integers(0, 10, n), village_review=rng.choice(["very_good", "good", "average", "poor"], n),
        bad_habits=rng.random(n) < 0.05, y=(rng.random(n) < 0.15).astype(int),
    )  # fmt: skip
    frame.to_csv(tmp_path / "households.csv", index=False)
    out = tmp_path / "expert.html"
    card = CONFIG / "expert_cards" / "federation_default.yaml"
    result = _run(
        "--spec",
        str(card),
        "--data",
        str(tmp_path / "households.csv"),
        "--target",
        "y",
        "--test-share",
        "0",
        "--bank",
        "303",
        "--out",
        str(out),
    )
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert "户主年龄" in html
    assert "logistic calibration" in html
    # bank 303 weighs household basics 8 of 100: head age's best band 4 x 8/10 = 3.2 points
    assert "<td>3.2000</td>" in html.replace(' class=""', "")


def _money_columns() -> list[str]:
    return [
        "assets_house", "assets_vehicle", "assets_machinery", "assets_livestock", "assets_deposits",
        "debt_this_bank", "debt_other_banks", "debt_informal", "income_crop", "income_livestock",
        "income_wage", "income_business", "income_other", "expense_living", "expense_production",
        "expense_education", "expense_medical", "deposits_this_bank_avg", "guarantees_given",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "status"], "give the bad one with --bad-label"),
        (["--target", "nope"], "The target column 'nope' is not in the data"),
        (["--target", "status", "--bad-label", "bad", "--bank", "999"], "no policy for bank 999"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    files: Path, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "rating",
        "report",
        "--spec",
        str(files / "spec.json"),
        "--data",
        str(files / "dev.csv"),
        "--out",
        str(files / "x.html"),
        *args,
    ]
    with pytest.raises(SystemExit, match="2") as info:
        main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error[")
    assert message in err
    assert len(err.splitlines()) == 1


def test_federation_default_scale_is_the_middle_of_each_range() -> None:
    scale = federation_scale(CONFIG)
    assert scale.grades == ("A", "B", "C", "D", "E")
    assert scale.max_pd == pytest.approx((0.01, 0.025, 0.0525, 0.11, 1.0))


def _households(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({col: rng.uniform(0, 1e5, n) for col in _money_columns()})
    return frame.assign(
        head_age=rng.integers(16, 70, n), health=rng.choice(["good", "average", "poor"], n), workers=rng.integers(1, 5, n),
        years_resident=rng.integers(0, 40, n), land_mu=rng.uniform(0, 30, n), informal_high_interest=rng.random(n) < 0.1,
        n_delinq_months_24m=rng.poisson(0.5, n).astype(float), cur_overdue_amt=0.0, has_bad_debt=0.0, n_accounts=rng.integers(0, 4, n),
        years_with_bank=rng.integers(0, 10, n), village_review=rng.choice(["very_good", "good", "average", "poor"], n),
        bad_habits=rng.random(n) < 0.05, inq_loan_cnt_3m=rng.poisson(1.2, n).astype(float),
        worst_status_24m=rng.choice([0, 1, 3], n, p=[0.8, 0.15, 0.05]), npl_class_cnt=0, qh_b1_dishonest=0.0,
    )  # fmt: skip


def _score(files: Path, data: Path, out: Path, *args: str) -> object:
    argv = [
        "rating",
        "score",
        "--spec",
        str(files / "spec.json"),
        "--data",
        str(data),
        "--out",
        str(out),
        *args,
    ]
    return CliRunner().invoke(cli, argv, catch_exceptions=False)


@pytest.mark.parametrize("flags", [(), ("--rate",)], ids=["default", "explicit"])
def test_score_adds_grade_mode_escalation_and_reasons(
    files: Path, tmp_path: Path, flags: tuple[str, ...]
) -> None:
    data = tmp_path / "h.csv"
    _households(300, 1).to_csv(data, index=False)
    out = tmp_path / "scored.csv"
    result = _score(files, data, out, *flags)
    assert result.exit_code == 0, result.output
    scored = pd.read_csv(out, keep_default_na=False)
    for col in (
        "score",
        "pd",
        "grade",
        "mode",
        "escalate",
        "knockout",
        "reason_1",
        "reason_4",
        "reasons_zh",
    ):
        assert col in scored.columns, col
    assert set(scored["mode"]) == {"statistical"}
    scale = federation_scale(CONFIG)
    knocked = scored["knockout"] != ""
    assert (scored.loc[~knocked, "grade"] == scale.grade(scored.loc[~knocked, "pd"])).all()
    assert (scored.loc[knocked, "grade"] == "E").all()
    assert knocked.any()  # age and PBOC serious delinquency knock some out
    assert "dishonest_judgment_debtor" not in result.output  # its column is present


def test_score_with_bank_blends_the_calibrated_expert_card(
    files: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    import yaml

    from rating_models.expert import ExpertCard
    from rating_models.rating.grades import PDCalibration
    from scoring_service.settings import get_settings

    config = tmp_path / "config"
    shutil.copytree(CONFIG, config)
    card = ExpertCard.from_yaml(CONFIG / "expert_cards" / "federation_default.yaml")
    card = card.with_calibration(PDCalibration(intercept=2.0, slope=-0.07, source="test"))
    (config / "expert_cards" / "federation_default.yaml").write_text(
        yaml.safe_dump(card.to_dict(), allow_unicode=True), encoding="utf-8"
    )
    monkeypatch.setenv("NONGXIN_CONFIG_DIR", str(config))
    get_settings.cache_clear()
    data = tmp_path / "h.parquet"
    _households(300, 2).to_parquet(data)
    out = tmp_path / "scored.parquet"
    result = _score(files, data, out, "--bank", "301")
    assert result.exit_code == 0, result.output
    scored = pd.read_parquet(out)
    assert set(scored["mode"]) == {"blend"}
    assert {"grade_statistical", "grade_expert", "pd_expert", "pd_final"} <= set(scored.columns)
    assert scored.loc[scored["knockout"] == "", "escalate"].eq(False).all()
    result = _score(files, data, out, "--bank", "302")
    scored = pd.read_parquet(out)
    differ = scored["grade_statistical"] != scored["grade_expert"]
    clean = scored["knockout"] == ""
    assert scored.loc[differ & clean, "escalate"].all()
    assert not scored.loc[~differ & clean, "escalate"].any()
