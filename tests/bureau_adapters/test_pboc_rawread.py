"""The compiled walk (``bureau_adapters.pboc._walk`` via :mod:`bureau_adapters.pboc.rawread`)
reads exactly what the pure-Python reader reads, or declines: on the shared sample, every
sandbox report and mutated reports; the irregular cases it declines are still read exactly
by the fallback."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from bureau_adapters.exceptions import BureauError
from bureau_adapters.pboc import features_frame_from_bytes, parse_envelope, parse_report, rawread
from bureau_adapters.pboc.envelope import report_root
from bureau_adapters.pboc.features import features_frame
from bureau_adapters.pboc.lite import lite_report
from bureau_adapters.pboc.projection import Bag
from bureau_adapters.pboc.rawread import AVAILABLE, raw_lite_report
from bureau_adapters.pboc.render import render_envelope, render_report
from bureau_adapters.pboc.single import AccountRows
from tests.bureau_adapters.test_pboc_fast import PROPERTY, RECENT, _mutate, assert_same


def _plain(value: Any) -> Any:
    """A light report as nested plain values (bags and account rows by their attributes)."""
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Bag | AccountRows):
        return {k: _plain(v) for k, v in sorted(vars(value).items())}
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


def _same_reading(data: bytes) -> bool:
    """Whether the walk read ``data`` (False when it declined); fails if it read otherwise."""
    root = report_root(data)
    raw = raw_lite_report(root)
    if raw is None:
        return False
    assert _plain(raw) == _plain(lite_report(root))
    return True


def _sample(pboc_fixtures: Path) -> bytes:
    report = parse_envelope((pboc_fixtures / "personal_utf8_envelope.xml").read_bytes()).report
    assert report is not None
    return report


def test_the_walk_is_built() -> None:
    assert AVAILABLE, "bureau_adapters.pboc._walk is not built: pip install -e . builds it"


def test_shared_sample_and_every_sandbox_report(pboc_fixtures: Path, small_province: Path) -> None:
    reports = [_sample(pboc_fixtures)]
    reports += [p.read_bytes() for p in sorted((small_province / "reports" / "pboc").glob("*.xml"))]
    assert all(_same_reading(data) for data in reports)  # read by the walk, none declined


@pytest.mark.parametrize(
    ("old", "new", "read"),
    [
        # an item twice, the first invalid: the parser takes the second -> declined
        (b"<PD01AR01>", b"<PD01AR01>2017-13-45</PD01AR01><PD01AR01>", False),
        # an item twice, both valid: first one wins either way, still declined (duplicate)
        (b"<PC02AS01>", b"<PC02AS01>7</PC02AS01><PC02AS01>", False),
        # an item holding an element: its text is what precedes the element -> declined
        (b"<PC010Q01>3</PC010Q01>", b"<PC010Q01>3<x>4</x></PC010Q01>", False),
        # CDATA is merged into text by the parser: read
        (b"<PC010Q01>3</PC010Q01>", b"<PC010Q01><![CDATA[4]]></PC010Q01>", True),
        # a namespaced element is not the item: both readers skip it
        (b"<PC010Q01>", b'<n:PC010Q01 xmlns:n="urn:x">9</n:PC010Q01><PC010Q01>', True),
        # an empty item: a null value, not an absent one
        (b"<PC010Q01>3</PC010Q01>", b"<PC010Q01/>", True),
        # a second score unit: the first occurrence wins, the second is skipped
        (b"</PSM>", b"<PC01><PC010Q01>1</PC010Q01></PC01></PSM>", True),
        # a second report number: declined, the Python reader takes the first
        (b"<PA01AR01>", b"<PA01AI01>2</PA01AI01><PA01AR01>", False),
        # a null report number: declined, the Python reader raises PBOC_MISSING_FIELD
        (b"<PA01AI01>2017122117421145492455<", b"<PA01AI01>--<", False),
    ],
)
def test_irregular_reports(pboc_fixtures: Path, old: bytes, new: bytes, read: bool) -> None:
    sample = _sample(pboc_fixtures)
    assert old in sample
    data = sample.replace(old, new, 1)
    if read or b"--" not in new:
        assert _same_reading(data) is read
    assert_same(data)  # the fast path still gives the typed path's features or error
    assert_same(render_envelope(data))


def _read(reader: Any, root: etree._Element) -> Any:
    try:
        return _plain(reader(root))
    except BureauError as exc:
        return exc.code


@PROPERTY
@given(report=RECENT, encoding=st.sampled_from(["UTF-8", "GBK"]), data=st.data())
def test_mutated_reports(report: Any, encoding: str, data: st.DataObject) -> None:
    rendered = render_report(report, encoding=encoding)
    assert _same_reading(rendered)
    root = etree.XML(rendered)
    _mutate(root, data)
    try:
        parsed = report_root(etree.tostring(root, xml_declaration=True, encoding=encoding))
    except BureauError:
        return  # not a report at all: the fast-path tests cover its error
    raw = _read(raw_lite_report, parsed)
    if raw is not None:  # read by the walk (else declined): the same reading, or error
        assert raw == _read(lite_report, parsed)


def test_mixed_corpus_with_declined_reports(pboc_fixtures: Path, small_province: Path) -> None:
    sample = _sample(pboc_fixtures)
    declined = sample.replace(b"<PD01AR01>", b"<PD01AR01>2017-13-45</PD01AR01><PD01AR01>", 1)
    assert raw_lite_report(report_root(declined)) is None
    sandbox = [p.read_bytes() for p in sorted((small_province / "reports" / "pboc").glob("*.xml"))]
    corpus = [sandbox[0], declined, sample, render_envelope(declined), *sandbox[1:20]]
    typed = [parse_report(data) for data in corpus]
    pd.testing.assert_frame_equal(
        features_frame_from_bytes(corpus),
        features_frame(typed),  # type: ignore[arg-type]
    )


def test_without_the_walk_the_python_reader_reads(
    pboc_fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rawread, "_c_walk", None)  # as where the extension is not built
    sample = _sample(pboc_fixtures)
    assert raw_lite_report(report_root(sample)) is None
    assert assert_same(sample)[0] == "ok"
