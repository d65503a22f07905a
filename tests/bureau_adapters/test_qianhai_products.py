"""Qianhai product parsing (pure): sentinels are missing, vendor errors are never "no risk"."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bureau_adapters.qianhai.errors import (
    VENDOR_CODES,
    QianhaiDuplicateError,
    QianhaiFormatError,
    QianhaiMalformedResponse,
    QianhaiQuotaError,
    QianhaiRejected,
    QianhaiRequestError,
    QianhaiSecurityError,
    QianhaiUpstreamError,
    rejection_for,
)
from bureau_adapters.qianhai.models import (
    CredooScore,
    FraudFlags,
    MultiLender,
    RiskHints,
    Subject,
    result_from_dict,
)
from bureau_adapters.qianhai.products import PRODUCTS, get_product, parse_records, request_record

OK = {"erCode": "E000000"}


@pytest.mark.parametrize(
    ("code", "path", "reason_field"),
    [
        ("8005", "/do/dmz/query/credoo/v1/MSC8005", "reasonNo"),
        ("MSC8036", "/do/dmz/query/rskdoo/v1/MSC8036", "reasonCode"),
        ("8037", "/do/dmz/query/loanee/v1/MSC8037", "reasonCode"),
        ("msc8075", "/do/dmz/verify/antiFraudDoo/v1/MSC8075", "reasonNo"),
    ],
)
def test_product_addresses(code: str, path: str, reason_field: str) -> None:
    product = get_product(code)
    assert (product.path, product.reason_field) == (path, reason_field)


def test_unknown_product_is_a_coded_error() -> None:
    with pytest.raises(QianhaiRequestError, match="must be one of 8005, 8036, 8037, 8075"):
        get_product("8004")


def test_request_records_use_the_vendor_field_names() -> None:
    subject = Subject(
        id_number="110101199001011237", name="测试", mobile="13800001111", ip="10.0.0.1"
    )
    kw: dict[str, Any] = {
        "reason": "02",
        "entity_auth_code": "A" * 32,
        "entity_auth_date": dt.date(2026, 1, 5),
    }
    r8005 = request_record(PRODUCTS["8005"], subject, **kw)
    r8036 = request_record(PRODUCTS["8036"], subject, **kw)
    r8075 = request_record(PRODUCTS["8075"], subject, **kw)
    assert list(r8005) == [
        "idNo", "idType", "name", "mobileNo", "reasonNo", "entityAuthCode", "entityAuthDate", "seqNo",
    ]  # fmt: skip
    assert (r8036["moblieNos"], r8036["ips"], r8036["reasonCode"]) == (
        "13800001111",
        "10.0.0.1",
        "02",
    )
    assert (r8075["mobileNo"], r8075["ip"], r8075["reasonNo"]) == ("13800001111", "10.0.0.1", "02")


def test_subject_repr_hides_pii() -> None:
    subject = Subject(id_number="110101199001011237", name="测试", mobile="13800001111")
    assert "110101199001011237" not in repr(subject)
    assert "测试" not in repr(subject)
    assert "13800001111" not in repr(subject)


@pytest.mark.parametrize("sentinel", ["-1", -1, "", "NULL", "null", None, " -1 "])
def test_numeric_sentinels_are_missing(sentinel: object) -> None:
    result = parse_records(
        "8005", [{**OK, "credooScore": sentinel, "performScore": sentinel}], trans_no="T"
    )
    assert isinstance(result, CredooScore)
    assert (result.outcome, result.credoo_score, result.perform_score) == ("hit", None, None)


@pytest.mark.parametrize("sentinel", ["99", 99, "", "NULL"])
def test_code_and_date_sentinels_are_missing(sentinel: object) -> None:
    record = {
        **OK,
        "sourceId": sentinel,
        "rskMark": sentinel,
        "dataBuildTime": sentinel,
        "dataStatus": sentinel,
    }
    result = parse_records("8036", [record], trans_no="T")
    assert isinstance(result, RiskHints)
    assert result.events[0].model_dump() == {
        "source_id": None, "rsk_score": None, "rsk_mark": None, "data_build_time": None, "data_status": None,
    }  # fmt: skip


def test_8037_zero_is_missing_for_dates_and_institutions_but_not_for_counts() -> None:
    record = {
        **OK,
        "industry": "P2P",
        "amount": "0",
        "busiDate": "0",
        "p2pAmount": "0",
        "queryAmtM3": "-1",
    }
    result = parse_records("8037", [record], trans_no="T")
    assert isinstance(result, MultiLender)
    hit = result.lenders[0]
    assert (hit.amount, hit.busi_date, hit.p2p_amount, hit.query_amt_m3) == (None, None, 0, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-10-31", dt.date(2026, 10, 31)), ("20261031", dt.date(2026, 10, 31)),
     ("2026-10-31 08:00:00", dt.date(2026, 10, 31)), ("2026-10", dt.date(2026, 10, 1))],
)  # fmt: skip
def test_date_formats(text: str, expected: dt.date) -> None:
    result = parse_records("8005", [{**OK, "dataBuildTime": text}], trans_no="T")
    assert isinstance(result, CredooScore)
    assert result.data_build_time == expected


def test_fraud_flags() -> None:
    record = {
        **OK,
        "isMachdProxy": "1",
        "isMachFraud": "0",
        "isMachEmpty": "99",
        "rskScore": "55.5",
    }
    result = parse_records("8075", [record], trans_no="T")
    assert isinstance(result, FraudFlags)
    assert (result.flags["isMachdProxy"], result.flags["isMachFraud"], result.flags["isMachEmpty"]) == (
        True, False, None,
    )  # fmt: skip
    assert result.flags["isMachdVPN"] is None
    assert result.rsk_score == 55.5


@pytest.mark.parametrize(
    ("product", "record", "field"),
    [
        ("8005", {"credooScore": "abc"}, "credooScore"),
        ("8005", {"credooScore": "nan"}, "credooScore"),
        ("8005", {"dataBuildTime": "yesterday"}, "dataBuildTime"),
        ("8036", {"sourceId": "D"}, "sourceId"),
        ("8036", {"dataStatus": "7"}, "dataStatus"),
        ("8037", {"amount": "2.5"}, "amount"),
        ("8037", {"bnkAmount": "-3"}, "bnkAmount"),
        ("8075", {"isMachFraud": "2"}, "isMachFraud"),
    ],
)
def test_bad_values_are_coded_errors_naming_the_field(
    product: str, record: dict[str, str], field: str
) -> None:
    with pytest.raises(QianhaiMalformedResponse, match=field) as info:
        parse_records(product, [{**OK, **record}], trans_no="T")
    assert info.value.fields["field"] == field


def test_e000996_is_no_data_and_mixed_records_keep_the_hits() -> None:
    assert parse_records("8036", [{"erCode": "E000996"}], trans_no="T").outcome == "no_data"
    with pytest.raises(QianhaiMalformedResponse, match="empty 'records'") as caught:
        parse_records("8037", [], trans_no="T")
    assert caught.value.code == "QH_NO_RECORDS"
    mixed = parse_records("8036", [{"erCode": "E000996"}, {**OK, "sourceId": "A"}], trans_no="T")
    assert isinstance(mixed, RiskHints)
    assert (mixed.outcome, len(mixed.events)) == ("hit", 1)


@pytest.mark.parametrize(
    ("er_code", "error"),
    [("E000112", QianhaiFormatError), ("E000999", QianhaiUpstreamError), ("ETR0001", QianhaiUpstreamError),
     ("E123456", QianhaiRejected)],
)  # fmt: skip
def test_record_errors_are_raised_never_no_risk(er_code: str, error: type[QianhaiRejected]) -> None:
    with pytest.raises(error, match=er_code) as info:
        parse_records(
            "8036", [{"erCode": er_code, "erMsg": "bad 110101199001011237"}], trans_no="T9"
        )
    assert (info.value.code, info.value.fields["trans_no"], info.value.fields["level"]) == (
        f"QH_{er_code}", "T9", "record",
    )  # fmt: skip
    assert "110101199001011237" not in str(info.value)


def test_record_without_er_code_is_malformed() -> None:
    with pytest.raises(QianhaiMalformedResponse, match="no 'erCode'"):
        parse_records("8005", [{"credooScore": "600"}], trans_no="T")


def test_two_score_records_for_one_subject_are_malformed() -> None:
    with pytest.raises(QianhaiMalformedResponse, match="one record per subject"):
        parse_records("8005", [OK, OK], trans_no="T")


@pytest.mark.parametrize(
    ("code", "error", "meaning"),
    [
        ("E000013", QianhaiSecurityError, "signature check failed"),
        ("E000107", QianhaiDuplicateError, "transNo already used"),
        ("E900006", QianhaiQuotaError, "daily call limit"),
        ("E0-9977", QianhaiQuotaError, "balance insufficient"),
        ("E000024", QianhaiFormatError, "header"),
        ("E100003", QianhaiSecurityError, "authentication"),
        ("E000998", QianhaiUpstreamError, "service resource not found"),
    ],
)
def test_error_table(code: str, error: type[QianhaiRejected], meaning: str) -> None:
    exc = rejection_for(code, trans_no="T")
    assert isinstance(exc, error)
    assert exc.code == f"QH_{code}"
    assert meaning in str(exc)


def test_error_table_is_complete_for_the_documented_spans() -> None:
    for n in [*range(22, 29), *range(29, 37), *range(70, 74), *range(75, 78), *range(101, 112)]:
        assert f"E{n:06d}" in VENDOR_CODES
    assert {f"E1{n:05d}" for n in range(2, 6)} <= set(VENDOR_CODES)


@given(
    score=st.one_of(st.integers(-1, 1000), st.sampled_from(["", "NULL", "-1"])),
    sub=st.one_of(st.floats(0, 100, allow_nan=False), st.just("-1")),
)
def test_parse_never_turns_a_sentinel_into_a_number(score: object, sub: object) -> None:
    result = parse_records("8005", [{**OK, "credooScore": score, "trendScore": sub}], trans_no="T")
    assert isinstance(result, CredooScore)
    if score in {-1, "", "NULL", "-1"}:
        assert result.credoo_score is None
    else:
        assert result.credoo_score == float(score)  # type: ignore[arg-type]
    assert result.trend_score is None if sub == "-1" else math.isfinite(result.trend_score or 0.0)


def test_results_round_trip_through_dicts() -> None:
    result = parse_records(
        "8036",
        [{**OK, "sourceId": "A", "rskScore": "30", "dataBuildTime": "2026-01-02"}],
        trans_no="T",
    )
    data = result.to_dict()
    assert data["schema_version"] == 1
    assert result_from_dict(data) == result
    with pytest.raises(ValueError, match="schema_version must be 1"):
        RiskHints.from_dict({**data, "schema_version": 2})
