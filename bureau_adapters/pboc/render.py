"""Typed report → PBOC XML, the inverse of the parser.

:func:`render_report` writes a :class:`~bureau_adapters.pboc.models.PersonalReport` as a bare
``<Document>`` in the second-generation element grammar, from the same field declarations
the parser reads, so that ``parse_report(render_report(r)) == r`` for every valid report
(a Hypothesis property test checks it). :func:`render_envelope` wraps report bytes in the
query envelope, optionally with the fixed-width header line. Test fixtures and the sandbox
simulator use both.

>>> from datetime import date
>>> from bureau_adapters.pboc.models import Header, PersonalReport
>>> from datetime import datetime
>>> r = PersonalReport(report_id="1", report_date=date(2024, 1, 2),
...                    header=Header(report_id="1", report_time=datetime(2024, 1, 2, 9, 0)))
>>> render_report(r)[:60]
b"<?xml version='1.0' encoding='UTF-8'?>\\n<Document><PRH><PA01>"
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import datetime
from typing import Any

from lxml import etree

from bureau_adapters.exceptions import BureauError
from bureau_adapters.pboc.models import Header, PersonalReport
from bureau_adapters.pboc.schema import Spec, plan_of, resolve_tag

__all__ = ["format_value", "render_envelope", "render_report"]


def format_value(spec: Spec, value: Any) -> str:
    """The element text of ``value`` for the spec's kind (what the parser reads back)."""
    kind = spec.kind
    if kind == "date":
        return str(value.isoformat())
    if kind == "month":
        return f"{value.year:04d}-{value.month:02d}"
    if kind == "datetime":
        return str(value.isoformat(timespec="seconds"))
    if kind == "amount":
        text = f"{value:.2f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    if kind in ("count", "year"):
        return str(int(value))
    return str(value)


def _render_into(obj: Any, el: etree._Element) -> None:
    """Write the declared fields of ``obj`` as children of ``el``."""
    containers: dict[str, etree._Element] = {}
    for spec in plan_of(obj.__class__).specs:
        value = getattr(obj, spec.name)
        if value is None or value == ():
            continue
        first = resolve_tag(spec.path[0], el.tag)
        if len(spec.path) == 2:
            parent = containers.get(first)
            if parent is None:
                parent = containers[first] = etree.SubElement(el, first)
            tag = resolve_tag(spec.path[1], first)
        else:
            parent, tag = el, first
        values = value if spec.many else (value,)
        for one in values:
            child = etree.SubElement(parent, tag)
            if spec.kind == "group":
                _render_into(one, child)
            else:
                child.text = format_value(spec, one)


def _header(report: PersonalReport) -> Header:
    header = report.header or Header()
    time = header.report_time
    if time is None or time.date() != report.report_date:
        time = datetime.combine(report.report_date, datetime.min.time())
    return replace(header, report_id=report.report_id, report_time=time)


def render_report(report: PersonalReport, *, encoding: str = "UTF-8") -> bytes:
    """Render a personal report as a bare ``<Document>`` (UTF-8 by default, or ``"GBK"``).

    The header's report number and time are taken from ``report_id``/``report_date``.
    """
    if not isinstance(report, PersonalReport):
        raise BureauError(
            f"render_report needs a PersonalReport, got {type(report).__name__}.",
            code="PBOC_RENDER_TYPE",
        )
    root = etree.Element("Document")
    _render_into(replace(report, header=_header(report)), root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding=encoding))


def render_envelope(
    report: bytes | None,
    *,
    result_code: str = "AAA000",
    result_desc: str = "处理成功",
    report_name: str = "report.xml",
    header_line: str | None = None,
) -> bytes:
    """Wrap report bytes (or none, for an error answer) in the PBOC query envelope."""
    root = etree.Element("Document")
    msg = etree.SubElement(root, "Msg")
    etree.SubElement(msg, "ResultCode").text = result_code
    etree.SubElement(msg, "ResultDesc").text = result_desc
    if report is not None:
        etree.SubElement(msg, "ReportName").text = report_name
        encoded = base64.encodebytes(report).decode("ascii")
        etree.SubElement(msg, "ReportMessage").text = "\n" + encoded
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return (header_line.encode("ascii") + b"\r\n" if header_line else b"") + body
