"""The HTML model report: every plot present, self-contained, Chinese text, numbers right."""

from __future__ import annotations

import base64
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from rating_models import metrics
from rating_models.binning.bins import categorical_bins, numeric_bins
from rating_models.exceptions import InvalidDataError
from rating_models.rating.grades import GradeScale
from rating_models.report import FIGURE_IDS, build_report, render_html
from rating_models.scorecard.scaling import Scaling
from rating_models.scorecard.spec import FeatureScore, ScorecardSpec

SCALE = GradeScale(max_pd=(0.01, 0.025, 0.05, 0.10, 1.0))
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


def _sample(rng: np.random.Generator, n: int) -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.DataFrame(
        {
            "inq_loan_cnt_3m": rng.poisson(1.2, n).astype(float),
            "village_review": rng.choice(["very_good", "good", "average", "poor"], n),
        }
    )
    y = (rng.random(n) < SPEC.pd(frame)).astype(int)
    return frame, y


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: dict[str, str] = {}
        self.external: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "img":
            self.images[str(a.get("id"))] = str(a.get("src"))
        if tag in ("script", "link") or (a.get("src") or "").startswith("http"):
            self.external.append(tag)


@pytest.fixture(scope="module")
def report_html() -> tuple[str, object]:
    rng = np.random.default_rng(20261129)
    train, y_train = _sample(rng, 3000)
    test, y_test = _sample(rng, 1500)
    decisions = pd.DataFrame(
        {
            "system_grade": ["A", "B", "C", "D"],
            "final_grade": ["A", "C", "C", "D"],
            "escalate": [0, 1, 0, 0],
        }
    )
    report = build_report(
        SPEC, train, y_train, test=test, y_test=y_test, scale=SCALE,
        labels={"village_review": "村组诚信评议"}, decisions=decisions,
    )  # fmt: skip
    return render_html(report, generated="2026-11-29"), (report, train, y_train, test, y_test)


def test_every_plot_is_present_and_a_valid_svg(report_html: tuple[str, object]) -> None:
    html, _ = report_html
    parser = _Images()
    parser.feed(html)
    expected = [*FIGURE_IDS, "woe-inq_loan_cnt_3m", "woe-village_review"]
    assert sorted(parser.images) == sorted(expected)
    for name, src in parser.images.items():
        assert src.startswith("data:image/svg+xml;base64,"), name
        svg = base64.b64decode(src.split(",", 1)[1]).decode("utf-8")
        assert svg.lstrip().startswith("<?xml"), name
        assert svg.rstrip().endswith("</svg>"), name
        assert len(re.findall(r"<text\b", svg)) >= 5, name  # labels stay text for the browser
    assert parser.external == []


def test_report_is_self_contained_and_chinese(report_html: tuple[str, object]) -> None:
    html, _ = report_html
    assert html.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in html
    assert "http://" not in html
    assert "https://" not in html
    for text in (
        "区分能力",
        "等级与校准",
        "特级",
        "级外",
        "村组诚信评议",
        "Noto Sans CJK SC",
        "Microsoft YaHei",
    ):
        assert text in html, text
    grades_svg = base64.b64decode(
        re.search(r'id="grades"[^>]*src="data:image/svg\+xml;base64,([^"]+)"', html).group(1)
    ).decode()
    assert "特级" in grades_svg
    assert "Noto Sans CJK SC" in grades_svg


def test_report_numbers_match_the_metrics(report_html: tuple[str, object]) -> None:
    _, (report, train, y_train, test, y_test) = report_html
    test_row = report.summary.set_index("sample").loc["test"]
    assert test_row["auc"] == pytest.approx(metrics.auc(y_test, SPEC.pd(test)))
    assert test_row["ks"] == pytest.approx(metrics.ks(y_test, SPEC.pd(test)))
    assert report.score_psi == pytest.approx(metrics.psi(SPEC.score(train), SPEC.score(test)))
    assert report.grades["n"].sum() == len(test)
    assert report.rates == {"override_rate": 0.25, "escalation_rate": 0.25}
    inq = report.variables[0]
    assert inq.table["count"].sum() == len(train)
    assert inq.table["bad"].sum() == y_train.sum()
    assert inq.table["points"].tolist() == [30.0, 15.0, 0.0, 10.0]
    assert report.pd_source.startswith("points scaling")


def test_expert_spec_gets_a_fitted_pd(rng: np.random.Generator) -> None:
    expert = ScorecardSpec(SPEC.features, kind="expert", name="expert")
    train, y = _sample(rng, 2000)
    report = build_report(expert, train, y, scale=SCALE)
    assert report.pd_source.startswith("logistic calibration")
    assert list(report.summary["sample"]) == ["train"]
    assert report.score_psi is None
    html = render_html(report)
    assert 'id="grades"' in html


def test_bad_target_is_named(rng: np.random.Generator) -> None:
    train, y = _sample(rng, 200)
    with pytest.raises(InvalidDataError, match="The train target must be 0/1"):
        build_report(SPEC, train, y + 1, scale=SCALE)
    with pytest.raises(InvalidDataError, match="needs its target 'y_test'"):
        build_report(SPEC, train, y, scale=SCALE, test=train)
