"""Property tests: parse∘render is the identity, and mutated inputs raise only BureauError."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from bureau_adapters.exceptions import BureauError
from bureau_adapters.pboc import PersonalReport, parse_report
from bureau_adapters.pboc.render import render_envelope, render_report
from bureau_adapters.pboc.testing import personal_reports

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
    max_examples=80,
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
