"""Property tests: parse∘render is the identity, and mutated inputs raise only BureauError."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bureau_adapters.exceptions import BureauError
from bureau_adapters.pboc import PersonalReport, parse_report
from bureau_adapters.pboc.models import Header
from bureau_adapters.pboc.render import render_envelope, render_report
from bureau_adapters.pboc.schema import Spec, plan_of

# Text that survives the parser unchanged: no surrounding blanks, no null marker.
TEXT = st.text(alphabet="abcXYZ0123456789张王李农信村", min_size=1, max_size=8)
DATES = st.dates(date(1950, 1, 1), date(2049, 12, 31))
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "text": TEXT,
    "date": DATES,
    "month": DATES.map(lambda d: d.replace(day=1)),
    "datetime": st.datetimes(datetime(1950, 1, 1), datetime(2049, 12, 31)).map(
        lambda d: d.replace(microsecond=0)
    ),
    "year": st.integers(1950, 2049),
    "amount": st.integers(0, 10**10).map(lambda cents: cents / 100),
    "count": st.integers(0, 10**6),
}


def _value(spec: Spec) -> st.SearchStrategy[Any]:
    if spec.kind == "code":
        return st.sampled_from(list(spec.table)) if spec.table is not None else TEXT
    return VALUES[spec.kind]


def models(model: type, depth: int = 0) -> st.SearchStrategy[Any]:
    """Any instance of a report model, derived from its field declarations."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for spec in plan_of(model).specs:
        if spec.kind == "group":
            inner = models(spec.model, depth + 1)
            if spec.many:
                fields[spec.name] = st.lists(inner, max_size=2 if depth < 1 else 1).map(tuple)
            else:
                fields[spec.name] = st.none() | inner
        elif spec.many:
            fields[spec.name] = st.lists(_value(spec), max_size=2).map(tuple)
        else:
            fields[spec.name] = st.none() | _value(spec)
    return st.builds(model, **fields)


def _consistent(report: PersonalReport) -> PersonalReport:
    """The header repeats report_id and the report time (what the renderer writes)."""
    time = datetime.combine(report.report_date, datetime.min.time())
    header = report.header or Header()
    if header.report_time is not None and header.report_time.date() == report.report_date:
        time = header.report_time
    return replace(report, header=replace(header, report_id=report.report_id, report_time=time))


# The report body: every unit, each absent or present with random content.
_BODIES = st.builds(
    PersonalReport,
    report_id=st.just("0"),
    report_date=st.just(date(2000, 1, 1)),
    **{
        spec.name: (
            st.lists(models(spec.model, 1), max_size=2).map(tuple)
            if spec.many
            else st.none() | models(spec.model, 1)
        )
        for spec in plan_of(PersonalReport).specs
    },
)


@st.composite
def personal_reports(draw: st.DrawFn) -> PersonalReport:
    """Any valid personal report (header consistent with report_id and report_date)."""
    body = draw(_BODIES)
    report_id = draw(st.text(alphabet="0123456789", min_size=1, max_size=22))
    return _consistent(replace(body, report_id=report_id, report_date=draw(DATES)))


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(report=personal_reports(), encoding=st.sampled_from(["UTF-8", "GBK"]))
def test_parse_of_render_is_identity(report: PersonalReport, encoding: str) -> None:
    assert parse_report(render_report(report, encoding=encoding)) == report


@PROPERTY
@given(report=personal_reports())
def test_identity_through_the_envelope(report: PersonalReport) -> None:
    envelope = render_envelope(render_report(report), header_line="B2.0.0HBF0000000001")
    assert parse_report(envelope) == report


def _parses_or_bureau_error(data: bytes) -> None:
    """Either a report or a coded BureauError; anything else fails the test."""
    with contextlib.suppress(BureauError):
        parse_report(data)


MUTATION = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def samples(pboc_fixtures: Path) -> list[bytes]:
    return [
        (pboc_fixtures / "personal_utf8_envelope.xml").read_bytes(),
        (pboc_fixtures / "enterprise_envelope.xml").read_bytes(),
    ]


def _inner(envelope: bytes) -> bytes:
    from bureau_adapters.pboc import parse_envelope

    report = parse_envelope(envelope).report
    assert report is not None
    return report


@MUTATION
@given(data=st.data())
def test_byte_flips_raise_only_bureau_errors(samples: list[bytes], data: st.DataObject) -> None:
    which = data.draw(st.sampled_from([0, 1]))
    inside = data.draw(st.booleans())
    raw = bytearray(_inner(samples[which]) if inside else samples[which])
    for _ in range(data.draw(st.integers(1, 8))):
        position = data.draw(st.integers(0, len(raw) - 1))
        raw[position] = data.draw(st.integers(0, 255))
    _parses_or_bureau_error(render_envelope(bytes(raw)) if inside else bytes(raw))


@MUTATION
@given(data=st.data())
def test_truncations_raise_only_bureau_errors(samples: list[bytes], data: st.DataObject) -> None:
    which = data.draw(st.sampled_from([0, 1]))
    inside = data.draw(st.booleans())
    raw = _inner(samples[which]) if inside else samples[which]
    cut = raw[: data.draw(st.integers(0, len(raw) - 1))]
    _parses_or_bureau_error(render_envelope(cut) if inside else cut)


@MUTATION
@given(data=st.data())
def test_element_deletions_raise_only_bureau_errors(
    samples: list[bytes], data: st.DataObject
) -> None:
    which = data.draw(st.sampled_from([0, 1]))
    root = etree.fromstring(_inner(samples[which]))
    elements = [el for el in root.iter() if el is not root]
    for _ in range(data.draw(st.integers(1, 5))):
        victim = data.draw(st.sampled_from(elements))
        parent = victim.getparent()
        if parent is not None:
            parent.remove(victim)
    _parses_or_bureau_error(render_envelope(etree.tostring(root)))
