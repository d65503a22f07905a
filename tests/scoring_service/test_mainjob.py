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


def test_the_job_has_the_issues_steps_in_order() -> None:
    titles = [title for title, _ in STEPS]
    assert titles[0].startswith("Generate")
    assert titles[-1] == "Write the report"
    assert len(titles) == 8


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
        cli, ["demo", "--households", "1500", "--sample", "10"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    out = result.output
    for number, (title, _) in enumerate(STEPS, start=1):
        assert f"[{number}/8] {title}" in out
    assert "queried 10 households over HTTP" in out
    assert "farmer-rating@champion -> v1" in out
    assert "run demo-annual: 1,500 decisions" in out
    assert "REFUSED; reasons: K" in out or re.search(r"REFUSED; reasons: R\d{3}", out)
    report = nongxin_home / "demo" / "report.html"
    assert f"Report: {report}" in out
    text = report.read_text(encoding="utf-8")
    for heading in ("Grade distribution per bank", "Limits per bank", "Migration", "audit"):
        assert heading in text
    assert "id_number" not in text
    assert len(list((nongxin_home / "sandbox" / "reports" / "pboc").iterdir())) == 1500


def test_a_step_refusing_with_its_own_message_is_named_too(tmp_path: Path) -> None:
    def refuse(ctx: JobContext) -> None:
        raise StepFailed("2 policy violation(s): banks/301.yaml ...", violations=2)

    with pytest.raises(StepFailed, match=r"^step 1 \(policies\) failed: 2 policy") as info:
        run_steps(_ctx(tmp_path, []), [("policies", refuse)])
    assert info.value.fields == {"step": "policies", "violations": 2}
