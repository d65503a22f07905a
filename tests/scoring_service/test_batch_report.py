"""Event triggers and the explained-change report on a real book (sandbox province)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from model_registry.serving import LoadedModel
from scoring_service.batch import RerateJob, RunFolder, load_policies, run_job
from scoring_service.batch.champions import model_file
from scoring_service.batch.report import build_report, write_report
from scoring_service.exceptions import UsageError

REPO = Path(__file__).resolve().parents[2]
BANKS = ["301", "302", "303"]


@pytest.fixture(scope="module")
def book_and_model(
    small_province: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    from scoring_service.batch.testing import cached_book_and_model

    return cached_book_and_model(small_province, tmp_path_factory)


def _run(
    book: Path, out: Path, run_id: str, models: dict[str, LoadedModel], since: str | None = None
) -> RunFolder:
    folder = RunFolder(out, run_id)
    job = RerateJob(book, None, 1000, "pandas", since)
    run_job(job, folder, models, load_policies(BANKS, REPO / "config"), progress=False)
    return folder


def _changed_book(book: Path, out: Path, ids: list[str]) -> tuple[Path, dict[str, list[str]]]:
    """The book a month later: 4 village downgrades, 3 new reports with an overdue, 2 surveys
    (among ``ids``)."""
    frame = pd.read_parquet(book)
    picked = {
        "village_status": list(ids[:4]),
        "new_bureau_report": list(ids[4:7]),
        "survey_change": list(ids[7:9]),
    }
    rows = frame["household_id"].isin(picked["village_status"])
    frame.loc[rows, "credit_village_status"] = "watchlist"
    rows = frame["household_id"].isin(picked["new_bureau_report"])
    frame.loc[rows, "report_ids"] = frame.loc[rows, "report_ids"] + "-2"
    frame.loc[rows, "worst_status_24m"] = 3.0  # a new serious overdue: knockout K04
    rows = frame["household_id"].isin(picked["survey_change"])
    frame.loc[rows, "income_wage"] = frame.loc[rows, "income_wage"] + 12_000.0
    path = out / "book-later.parquet"
    frame.to_parquet(path, index=False)
    return path, picked


def test_only_changed_households_are_rerated_and_the_trigger_is_named(
    book_and_model: tuple[Path, Path], tmp_path: Path
) -> None:
    book, model = book_and_model
    models = model_file(model, BANKS)
    first = _run(book, tmp_path, "first", models)
    before = first.read_decisions().set_index("household_id")["limit"]
    later, picked = _changed_book(book, tmp_path, sorted(before.index[before > 0]))
    daily = _run(later, tmp_path, "daily", models, since="first")
    got = daily.read_decisions()
    assert sorted(got["household_id"]) == sorted(h for ids in picked.values() for h in ids)
    paths = write_report(daily, "first", models)
    triggers = pd.read_csv(paths["triggers"]).set_index("trigger")["households"].to_dict()
    assert triggers == {k: len(v) for k, v in picked.items()}
    to_zero = pd.read_csv(paths["to_zero"])
    overdue = set(picked["new_bureau_report"])
    was_positive = (
        first.read_decisions().set_index("household_id")["limit"].loc[sorted(overdue)] > 0
    )
    assert was_positive.any()
    assert set(to_zero["household_id"]) >= set(was_positive[was_positive].index)
    assert (
        to_zero.set_index("household_id").loc[list(was_positive[was_positive].index), "why"]
        == "knockout:K04"
    ).all()


def test_report_html_is_self_contained_with_every_section(
    book_and_model: tuple[Path, Path], tmp_path: Path
) -> None:
    book, model = book_and_model
    models = model_file(model, BANKS)
    folder = _run(book, tmp_path, "annual", models)
    paths = write_report(folder, None, models, development=book)
    html = paths["html"].read_text(encoding="utf-8")
    for section in ("Grade migration", "Limit changes", "moving to 0", "PSI", "Manual review"):
        assert section in html
    assert re.search(r'<img id="migration" alt="[^"]+" src="data:image/svg\+xml;base64,', html)
    assert not re.search(r'(src|href)="https?://', html)
    psi = pd.read_csv(paths["psi"], dtype={"bank_code": str})
    score = psi[psi["variable"] == "score"]
    assert sorted(score["bank_code"]) == BANKS
    assert set(score["against"]) == {"development profile"}
    features = psi[psi["variable"] != "score"]
    assert set(features["bank_code"]) == {"301,302,303"}  # one champion for the three banks
    assert (features["psi"] < 1e-9).all()  # the book against itself
    migration = pd.read_csv(paths["migration"])
    assert migration["households"].sum() == 400
    assert set(migration["old_grade"]) == {"(none)"}


def test_migration_limits_and_review_by_hand(book_and_model: tuple[Path, Path]) -> None:
    _, model = book_and_model
    loaded = model_file(model, ["301"])["301"]
    old = pd.DataFrame(
        {
            "household_id": ["h1", "h2", "h3", "h4"],
            "bank_code": "301",
            "grade": ["A", "B", "C", "B"],
            "model_grade": ["A", "B", "C", "B"],
            "limit": [100_000, 50_000, 30_000, 40_000],
            "override_grade": ["", "A", "", ""],
        }
    )
    new = pd.DataFrame(
        {
            "household_id": ["h1", "h2", "h3", "h4", "h5"],
            "bank_code": "301",
            "score": [700.0, 650.0, 600.0, 550.0, 500.0],
            "model_grade": ["A", "C", "B", "E", "D"],
            "grade": ["A", "C", "B", "E", "D"],
            "escalate": [False, False, True, False, False],
            "knockout": ["", "", "", "K05", ""],
            "limit": [120_000, 20_000, 40_000, 0, 10_000],
            "binding": ["need", "cap_grade", "need", "knockout", "need"],
        }
    )
    r = build_report(
        "r",
        new,
        old[["household_id", "grade", "limit", "model_grade", "override_grade"]],
        models={"301": loaded},
    )
    pairs = {(o, n): h for _, o, n, h in r.migration.itertuples(index=False)}
    assert pairs == {("A", "A"): 1, ("B", "C"): 1, ("C", "B"): 1, ("B", "E"): 1, ("(none)", "D"): 1}
    summary = r.summary.set_index("bank_code").loc["301"]
    assert (summary["old_total"], summary["new_total"]) == (220_000, 190_000)
    assert (summary["upgraded"], summary["downgraded"], summary["to_zero"]) == (1, 2, 1)
    assert r.to_zero.to_dict("records") == [
        {
            "household_id": "h4",
            "bank_code": "301",
            "old_grade": "B",
            "grade": "E",
            "old_limit": 40_000,
            "why": "knockout:K05",
        }
    ]
    assert dict(zip(r.review["household_id"], r.review["why"], strict=True)) == {
        "h2": "override_no_longer_holds",
        "h3": "escalate:grades_disagree",
    }
    assert np.isfinite(r.psi.set_index("variable").loc["score", "psi"])
    assert r.summary.set_index("bank_code").loc["301", ["new", "same"]].tolist() == [1, 1]


def test_report_against_a_previous_run_adds_score_and_grade_psi(
    book_and_model: tuple[Path, Path], tmp_path: Path
) -> None:
    book, model = book_and_model
    models = model_file(model, BANKS)
    _run(book, tmp_path, "last-year", models)
    this_year = _run(book, tmp_path, "this-year", models)
    paths = write_report(this_year, "last-year", models)
    psi = pd.read_csv(paths["psi"], dtype={"bank_code": str})
    against = psi[psi["against"] == "previous run"].set_index(["bank_code", "variable"])
    assert sorted(against.index) == [(b, v) for b in BANKS for v in ("grade", "score")]
    assert (against["psi"] < 1e-9).all()  # the same champion on the same book
    summary = pd.read_csv(paths["summary"])
    assert (summary["same"] == summary["households"]).all()
    assert (summary[["new", "upgraded", "downgraded", "to_zero"]] == 0).all().all()
    with pytest.raises(UsageError, match=r"No re-rating run 'nope' in"):
        write_report(this_year, "nope", models)
