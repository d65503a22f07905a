"""The fast path (bytes → features without the typed model) gives exactly
``personal_features(parse_report(data))`` — same values, same types, same errors — on the
shared samples, every report of a sandbox province, and mutated or rendered reports."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bureau_adapters.exceptions import BureauError, MalformedReportError
from bureau_adapters.pboc import (
    PersonalReport,
    features_frame_from_bytes,
    features_from_bytes,
    parse_envelope,
    parse_report,
)
from bureau_adapters.pboc.features import FEATURE_NAMES, features_frame, personal_features
from bureau_adapters.pboc.render import render_envelope, render_report
from bureau_adapters.pboc.testing import personal_reports


def _typed(data: bytes) -> dict[str, Any]:
    return personal_features(parse_report(data))  # type: ignore[arg-type]


def _outcome(func: Callable[[bytes], dict[str, Any]], data: bytes) -> tuple[Any, ...]:
    """The features with their types, or the coded error; anything else fails the test."""
    try:
        features = func(data)
    except BureauError as exc:
        return ("error", type(exc).__name__, exc.code)
    return ("ok", [(name, value, type(value).__name__) for name, value in features.items()])


def assert_same(data: bytes) -> tuple[Any, ...]:
    typed = _outcome(_typed, data)
    fast = _outcome(features_from_bytes, data)
    if fast[0] == typed[0] == "ok":
        assert [f for f, t in zip(fast[1], typed[1], strict=True) if f != t] == []
    assert fast == typed
    return typed


def _inner(envelope: bytes) -> bytes:
    report = parse_envelope(envelope).report
    assert report is not None
    return report


# --- shared samples and sandbox ------------------------------------------------------------


def test_shared_samples_in_every_form(pboc_fixtures: Path) -> None:
    personal = (pboc_fixtures / "personal_utf8_envelope.xml").read_bytes()
    enterprise = (pboc_fixtures / "enterprise_envelope.xml").read_bytes()
    inner = _inner(personal)
    gbk = inner.decode("utf-8").encode("gb18030")  # still declared UTF-8 (or undeclared)
    forms = [
        personal,
        inner,
        gbk,
        render_envelope(inner, header_line="B2.0.0HBF00000000011BH000000000001201603"),
        render_envelope(gbk),
    ]
    results = [assert_same(form) for form in forms]
    assert results[0][0] == "ok"
    assert all(result == results[0] for result in results)
    features = {name: value for name, value, _ in results[0][1]}
    assert features["n_accounts"] == 129
    assert list(features) == FEATURE_NAMES
    for data in (enterprise, _inner(enterprise)):
        assert assert_same(data) == ("error", "MalformedReportError", "PBOC_NOT_PERSONAL")


def test_every_sandbox_report(small_province: Path) -> None:
    files = sorted((small_province / "reports" / "pboc").glob("*.xml"))
    data = [path.read_bytes() for path in files]
    typed = [parse_report(d) for d in data]
    frame = features_frame_from_bytes(data)
    expected = features_frame(typed)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(frame, expected)  # same dtypes, index and values
    for d, report in zip(data, typed, strict=True):
        fast = features_from_bytes(d)
        single = personal_features(report)  # type: ignore[arg-type]
        assert [(k, type(v)) for k, v in fast.items()] == [(k, type(v)) for k, v in single.items()]
        assert fast == single


def test_frame_rows_equal_the_dicts(pboc_fixtures: Path) -> None:
    sample = (pboc_fixtures / "personal_utf8_envelope.xml").read_bytes()
    thin = render_report(PersonalReport(report_id="7", report_date=_T))
    frame = features_frame_from_bytes([sample, thin])
    assert list(frame.index) == ["2017122117421145492455", "7"]
    assert list(frame.columns) == FEATURE_NAMES
    for (_, row), data in zip(frame.iterrows(), [sample, thin], strict=True):
        for name, value in features_from_bytes(data).items():
            assert (value is None and math.isnan(row[name])) or row[name] == value, name


def test_errors_are_those_of_the_typed_path() -> None:
    report = render_report(PersonalReport(report_id="1", report_date=_T))
    time = b"2024-06-30T00:00:00"
    cases = {
        b"": "XML_EMPTY",
        b"<Document/>": "PBOC_NOT_REPORT",
        b"<Other><PRH/></Other>": "PBOC_NOT_REPORT",
        b'<!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>': "XML_ENTITY",
        render_envelope(None, result_code="DBE003", result_desc="bad id"): "PBOC_DBE003",
        render_envelope(None): "PBOC_NO_REPORT",
        render_envelope(b"%PDF-1.4 ..."): "PBOC_PDF_REPORT",
        render_envelope(report)[:-40]: "XML_SYNTAX",
        report.replace(b">1</PA01AI01>", b">--</PA01AI01>"): "PBOC_MISSING_FIELD",
        report.replace(time, b"2024-13-01"): "PBOC_BAD_REPORT_DATE",
        report.replace(time, b"0001-03-01"): "PBOC_BAD_REPORT_DATE",
    }
    for data, code in cases.items():
        assert assert_same(data)[2] == code
    with pytest.raises(MalformedReportError, match="must be bytes"):
        features_from_bytes("<Document/>")  # type: ignore[arg-type]


_T = date(2024, 6, 30)

# --- properties -----------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
RECENT = personal_reports(first=date(2020, 1, 1), last=date(2025, 6, 30))
#: Texts that exercise every reading rule: null markers, blanks, labels instead of codes,
#: invalid and edge values, numbers too long to be counts.
TRICKY = [
    "", " ", "--", "0000-00", "null", " 3 ", "贷记卡账户", "逾期", "结清", "呆账", "2",
    "1,234.5", "-7", "abc", "2015-11", "2024-02-30", "2023-13", "9" * 19, "9" * 400,
    "1e5", "nan", "inf", "R2", "C1", "51", "7", "B", "G", "D", "#", "01", "2", "24",
]  # fmt: skip


def _mutate(root: etree._Element, data: st.DataObject) -> None:
    elements = [el for el in root.iter() if el is not root]
    tags = sorted({el.tag for el in elements})
    for _ in range(data.draw(st.integers(1, 6))):
        victim = data.draw(st.sampled_from(elements))
        parent = victim.getparent()
        action = data.draw(st.sampled_from(["text", "text", "copy", "drop", "rename"]))
        if action == "text" and len(victim) == 0:
            victim.text = data.draw(st.sampled_from(TRICKY))
        elif action == "copy" and parent is not None:
            twin = copy.deepcopy(victim)
            if len(twin) == 0:
                twin.text = data.draw(st.sampled_from(TRICKY))
            parent.insert(data.draw(st.integers(0, len(parent))), twin)
        elif action == "drop" and parent is not None:
            parent.remove(victim)
        elif action == "rename":
            victim.tag = data.draw(st.sampled_from([*tags, "PD01ES01", "PD01ED01"]))


@PROPERTY
@given(
    report=RECENT,
    encoding=st.sampled_from(["UTF-8", "GBK"]),
    wrap=st.booleans(),
    data=st.data(),
)
def test_rendered_and_mutated_reports(
    report: Any, encoding: str, wrap: bool, data: st.DataObject
) -> None:
    rendered = render_report(report, encoding=encoding)
    assert assert_same(rendered)[0] == "ok"
    root = etree.XML(rendered)
    _mutate(root, data)
    mutated = etree.tostring(root, xml_declaration=True, encoding=encoding)
    assert_same(render_envelope(mutated) if wrap else mutated)


@PROPERTY
@given(data=st.data())
def test_mutated_shared_sample(pboc_fixtures: Path, data: st.DataObject) -> None:
    inner = _inner((pboc_fixtures / "personal_utf8_envelope.xml").read_bytes())
    if data.draw(st.booleans()):
        raw = bytearray(inner)
        for _ in range(data.draw(st.integers(1, 6))):
            raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
        assert_same(bytes(raw))
        return
    root = etree.XML(inner)
    _mutate(root, data)
    assert_same(render_envelope(etree.tostring(root)))


def test_features_frame_takes_bytes_too(pboc_fixtures: Path) -> None:
    sample = (pboc_fixtures / "personal_utf8_envelope.xml").read_bytes()
    typed = parse_report(sample)
    mixed = features_frame([sample, typed])  # type: ignore[list-item]
    pd.testing.assert_frame_equal(mixed.iloc[[0]], features_frame([typed]))  # type: ignore[list-item]
    pd.testing.assert_frame_equal(mixed.iloc[[1]], features_frame([typed]))  # type: ignore[list-item]
    pd.testing.assert_frame_equal(features_frame([sample]), features_frame_from_bytes([sample]))
