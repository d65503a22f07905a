"""qh_* features: hand-checked values, missing semantics, windows, catalog metadata."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from bureau_adapters.catalog import load_catalog
from bureau_adapters.qianhai.features import (
    CATALOG_VERSION,
    QH_FEATURES,
    qh_feature_frame,
    qh_features,
)
from bureau_adapters.qianhai.models import QianhaiResult, RiskEvent, RiskHints
from bureau_adapters.qianhai.offline import qh_features_from_province, results_from_document
from bureau_adapters.qianhai.testing import TINY_RECORDS, tiny_document, write_tiny_province

AS_OF = dt.date(2026, 11, 1)


def _tiny(household_id: str) -> dict[str, QianhaiResult]:
    return results_from_document(tiny_document(household_id))


def test_hand_checked_full_hit() -> None:
    row = qh_features(_tiny("H00000001"), as_of=AS_OF)
    expected = {
        "qh_score": 612.0,
        "qh_sub_perform": 41.0,
        "qh_risk_a_cnt": 2.0,  # 2026-08-15 and 2025-12-01
        "qh_risk_a_cnt_12m": 2.0,  # both after 2025-11-01
        "qh_risk_a_months_since_last": 2.0,  # 2026-08-15 -> 2026-11-01: 2 whole months
        "qh_risk_a_score_last": 35.0,
        "qh_risk_a_score_max": 35.0,
        "qh_b1_dishonest": 1.0,
        "qh_b2_debtor": 0.0,
        "qh_fraud_event_cnt": 1.0,
        "qh_lender_cnt_bak": 2.0,
        "qh_lender_cnt_mcl": 3.0,
        "qh_lender_cnt_p2p": 0.0,  # no P2P record at all
        "qh_lender_cnt_total": 5.0,  # the CNS record's -1 is not a count
        "qh_query_amt_3m": 3.0,
        "qh_query_amt_6m": 5.0,
        "qh_fraud_phone_blacklist": 1.0,
        "qh_fraud_phone_fraud": 0.0,
        "qh_fraud_ip_proxy": 1.0,
        "qh_fraud_phone_flag_cnt": 1.0,  # BlMakt=1, Fraud=0; Empty=99 and CraCall='' unknown
        "qh_fraud_ip_flag_cnt": 1.0,
        "qh_fraud_score": 67.0,
    }
    assert {k: row[k] for k in expected} == expected
    for missing in ("qh_sub_vir_asset", "qh_sub_trend", "qh_lender_cnt_cns"):
        assert math.isnan(row[missing]), missing


def test_not_queried_is_nan_and_no_data_follows_each_product() -> None:
    assert all(math.isnan(v) for v in qh_features({}, as_of=AS_OF).values())
    no_data = {code: [{"erCode": "E000996"}] for code in ("8005", "8036", "8037", "8075")}
    row = qh_features(results_from_document({"products": no_data}), as_of=AS_OF)
    assert math.isnan(row["qh_score"])
    assert (row["qh_risk_a_cnt"], row["qh_b1_dishonest"], row["qh_lender_cnt_total"]) == (
        0.0,
        0.0,
        0.0,
    )
    assert (row["qh_query_amt_3m"], row["qh_lender_cnt_bak"]) == (0.0, 0.0)
    assert math.isnan(row["qh_risk_a_months_since_last"])
    assert math.isnan(row["qh_fraud_phone_blacklist"])


def test_no_permission_is_never_a_number() -> None:
    row = qh_features(_tiny("H00000002"), as_of=AS_OF)
    for name in (
        "qh_score",
        "qh_risk_a_score_last",
        "qh_lender_cnt_oth",
        "qh_lender_cnt_total",
        "qh_fraud_score",
    ):
        assert math.isnan(row[name]), name


@pytest.mark.parametrize(
    ("event_date", "cnt", "cnt_12m", "months"),
    [
        (dt.date(2026, 10, 31), 1.0, 1.0, 0.0),
        (dt.date(2025, 11, 2), 1.0, 1.0, 11.0),
        (dt.date(2025, 10, 1), 1.0, 0.0, 13.0),
        (dt.date(2026, 12, 1), 0.0, 0.0, math.nan),  # after the report date: not counted
    ],
)
def test_windows_count_back_from_the_report_date(
    event_date: dt.date, cnt: float, cnt_12m: float, months: float
) -> None:
    hints = RiskHints(
        trans_no="T",
        outcome="hit",
        events=(RiskEvent(source_id="A", rsk_score=30, data_build_time=event_date),),
    )
    row = qh_features({"8036": hints}, as_of=AS_OF)
    assert (row["qh_risk_a_cnt"], row["qh_risk_a_cnt_12m"]) == (cnt, cnt_12m)
    got = row["qh_risk_a_months_since_last"]
    assert (math.isnan(got) and math.isnan(months)) or got == months


def test_wrong_result_type_is_refused() -> None:
    with pytest.raises(TypeError, match=r"results\['8005'\] must be a CredooScore"):
        qh_features({"8005": _tiny("H00000001")["8036"]}, as_of=AS_OF)


def test_catalog_metadata_is_complete_and_ordered() -> None:
    names = [spec.name for spec in QH_FEATURES]
    assert CATALOG_VERSION == "qh-features/1"
    assert len(names) == len(set(names))
    assert names == list(qh_features({}, as_of=AS_OF))
    for spec in QH_FEATURES:
        assert spec.name.startswith("qh_")
        assert (spec.bureau, spec.catalog_version) == ("qianhai", "qh-features/1")
        assert all([spec.definition, spec.window, spec.missing, spec.sources])
        assert all(
            source.startswith(("MSC8005.", "MSC8036.", "MSC8037.", "MSC8075."))
            for source in spec.sources
        )


def test_registered_in_the_shared_catalog() -> None:
    catalog = load_catalog()
    assert catalog.names("qianhai") == [spec.name for spec in QH_FEATURES]
    assert catalog.versions()["qianhai"] == "qh-features/1"
    assert catalog.get("qh_b1_dishonest").unit == "flag"
    assert "qh_lender_cnt_p2p" in catalog.to_markdown("qianhai")


def test_province_frame_matches_row_by_row(tmp_path: Path) -> None:
    import pandas as pd

    write_tiny_province(tmp_path)  # survey date 2026-11-01 = AS_OF
    frame = qh_features_from_province(tmp_path)
    assert list(frame.columns) == [spec.name for spec in QH_FEATURES]
    assert list(frame.index) == sorted(TINY_RECORDS)
    expected = qh_feature_frame({hid: _tiny(hid) for hid in TINY_RECORDS}, as_of=AS_OF)
    pd.testing.assert_frame_equal(frame, expected)
