"""The main job (``nongxin demo``): steps announced and timed, the first failure stops it
with the step's name, and the whole job end to end on a small province."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from scoring_service.mainjob.context import JobContext, StepFailed, run_steps
from scoring_service.mainjob.frame import NOT_FEATURES, feature_columns
from scoring_service.mainjob.job import STEPS

REPO_ROOT = Path(__file__).resolve().parents[2]


def _ctx(tmp_path: Path, lines: list[str]) -> JobContext:
    return JobContext(home=tmp_path, config_dir=REPO_ROOT / "config", echo=lines.append)


def test_steps_are_announced_in_order_and_timed(tmp_path: Path) -> None:
    lines: list[str] = []
    ctx = _ctx(tmp_path, lines)
    run_steps(ctx, [("first", lambda c: c.say("one")), ("second", lambda c: c.say("two"))])
    assert lines[0] == "[1/2] first"
    assert lines[1] == "    one"
    assert lines[3] == "[2/2] second"
    assert re.fullmatch(r"    done in \d+\.\d s", lines[2])
    assert [title for title, _ in ctx.timings] == ["first", "second"]


def test_a_failing_step_stops_the_job_naming_the_step_and_the_cause(tmp_path: Path) -> None:
    from credit_limit import PolicyValidationError

    def broken(ctx: JobContext) -> None:
        raise PolicyValidationError("banks/301.yaml: k_income.A = 9 exceeds 3", violations=[])

    ran: list[str] = []
    lines: list[str] = []
    steps = [("fine", lambda c: ran.append("fine")), ("policies", broken)]
    steps.append(("never", lambda c: ran.append("never")))
    with pytest.raises(StepFailed, match=r"step 2 \(policies\) failed: \[POLICY_INVALID\]") as info:
        run_steps(_ctx(tmp_path, lines), steps)
    assert ran == ["fine"]
    assert info.value.fields["step"] == "policies"
    assert lines[-1] == "[2/3] policies"


def test_feature_columns_leave_out_identifiers_personal_data_outcomes_and_constants() -> None:
    frame = pd.DataFrame(
        {
            "household_id": ["H1", "H2"],
            "id_number": ["x", "y"],
            "default_12m": [0, 1],
            "true_pd": [0.1, 0.2],
            "report_id": ["r1", "r2"],
            "land_mu": [1.0, 2.0],
            "constant": [3, 3],
        }
    )
    assert feature_columns(frame) == ["land_mu"]
    assert {"default_12m", "true_pd", "id_number"} <= set(NOT_FEATURES)


def test_applicants_include_the_riskiest_the_safest_and_a_dishonest_debtor(
    small_province: Path,
) -> None:
    from scoring_service.mainjob.bureau import pick_applicants

    chosen = pick_applicants(small_province, 4, seed=3)
    truth = pd.read_parquet(small_province / "outcomes.parquet")
    drivers = pd.read_parquet(small_province / "risk_drivers.parquet")
    assert len(chosen) == len(set(chosen)) == 4
    assert truth.loc[truth["true_pd"].idxmax(), "household_id"] in chosen
    assert truth.loc[truth["true_pd"].idxmin(), "household_id"] in chosen
    debtors = set(drivers.loc[drivers["qh_dishonest_debtor"] > 0, "household_id"])
    assert bool(debtors & set(chosen)) == bool(debtors)
    assert chosen == pick_applicants(small_province, 4, seed=3)


def test_frame_from_fetched_answers_equals_the_frame_from_files(small_province: Path) -> None:
    import json

    from bureau_adapters.pboc import parse_file
    from bureau_adapters.qianhai.offline import results_from_document
    from scoring_service.mainjob.frame import answers_frame, model_frame

    households = pd.read_parquet(small_province / "households.parquet").iloc[::7]
    ids = households["household_id"].tolist()
    reports = {h: parse_file(small_province / "reports" / "pboc" / f"{h}.xml") for h in ids}
    docs = {h: small_province / "reports" / "qianhai" / f"{h}.json" for h in ids}
    results = {
        h: results_from_document(json.loads(p.read_text(encoding="utf-8"))) if p.is_file() else {}
        for h, p in docs.items()
    }
    outcomes = pd.read_parquet(small_province / "outcomes.parquet")
    got = answers_frame(households, reports, results, outcomes)
    want = model_frame(small_province).set_index("household_id").loc[ids].reset_index()
    pd.testing.assert_frame_equal(got, want[got.columns], check_dtype=False)
    assert list(got.columns) == list(want.columns)


def test_year_over_year_tables_count_moves_per_bank() -> None:
    from scoring_service.mainjob.report import migration_tables

    old = pd.DataFrame({"household_id": ["a", "b", "c", "d"], "grade": ["A", "B", "C", "E"],
                        "limit": [10, 20, 30, 0], "bank_code": ["301", "301", "302", "302"]})  # fmt: skip
    new = old.assign(grade=["B", "B", "A", "E"], limit=[5, 20, 40, 0])
    tables = migration_tables(old, new)
    assert sorted(tables) == ["301", "302"]
    assert tables["301"].loc["A", "B"] == 1
    assert tables["301"].loc["B", "B"] == 1
    assert tables["302"].loc["C", "A"] == 1
    assert int(sum(t.to_numpy().sum() for t in tables.values())) == 4


def test_the_job_has_the_issues_steps_in_order() -> None:
    titles = [title for title, _ in STEPS]
    assert titles[0].startswith("Generate")
    assert titles[-1] == "Write the report"
    assert len(titles) == 9
    last_year = next(i for i, t in enumerate(titles) if t.startswith("Last year"))
    assert last_year < titles.index("Re-rate every household of every bank with its champion")


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:.*Any type hint is inferred as AnyType:UserWarning")
@pytest.mark.filterwarnings("ignore:.*Hint. Inferred schema contains integer column:UserWarning")
@pytest.mark.filterwarnings("ignore::FutureWarning:mlflow.*")
def test_main_job_end_to_end(
    nongxin_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from scoring_service.cli import cli

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("NONGXIN_DATABASE_URL", raising=False)
    monkeypatch.delenv("NONGXIN_BUREAU_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)  # anything MLflow writes relative to the cwd stays here
    result = CliRunner().invoke(
        cli, ["demo", "--households", "600", "--applicants", "3"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for number, (title, _) in enumerate(STEPS, start=1):
        assert f"[{number}/9] {title}" in out
    # every book household queried at both bureaus through the gate: 1 PBOC + 3 Qianhai rows
    assert "for 600 households" in out
    assert "audit log: 2,400 rows" in out
    assert "run demo-last-year: 600 decisions" in out
    assert "run demo-annual: 600 decisions" in out
    # each bank: last year's champion (the expert card) under its own alias, then this year's
    # model promoted over it through the gate, or refused and last year's kept
    for bank in ("301", "302", "303"):
        last = re.search(rf"farmer-rating@champion-{bank} -> v(\d+) \(was -\)", out)
        assert last is not None, out
        line = re.search(rf"    bank {bank}: farmer-rating v(\d+) \(champion-{bank}\)", out)
        assert line is not None, out
        now = int(line.group(1))
        moved = f"farmer-rating@champion-{bank} -> v{now} (was v{last.group(1)})" in out
        assert moved or now == int(last.group(1))
        assert f"bank {bank} vs last year:" in out
    # the applicants are not in the book, and one is refused with reason codes
    applicants = re.search(r"3 new applicants kept out of the book .*: \[(.*)\]", out)
    assert applicants is not None
    book = pd.read_parquet(nongxin_home / "demo" / "runs" / "demo-annual" / "book.parquet")
    assert not set(re.findall(r"H\d{8}", applicants.group(1))) & set(book["household_id"])
    assert re.search(r"REFUSED; reasons: [KR]\d{2,3} ", out)
    report = nongxin_home / "demo" / "report.html"
    assert f"Report: {report}" in out
    text = report.read_text(encoding="utf-8")
    for heading in ("Grade distribution per bank", "Limit distribution per bank", "Migration",
                    "Year over year", "audit"):  # fmt: skip
        assert heading in text
    assert text.count("<svg") >= 3
    assert "id_number" not in text
    assert len(list((nongxin_home / "sandbox" / "reports" / "pboc").iterdir())) == 603


def test_a_step_refusing_with_its_own_message_is_named_too(tmp_path: Path) -> None:
    def refuse(ctx: JobContext) -> None:
        raise StepFailed("2 policy violation(s): banks/301.yaml ...", violations=2)

    with pytest.raises(StepFailed, match=r"^step 1 \(policies\) failed: 2 policy") as info:
        run_steps(_ctx(tmp_path, []), [("policies", refuse)])
    assert info.value.fields == {"step": "policies", "violations": 2}
