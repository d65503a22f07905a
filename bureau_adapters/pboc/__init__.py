"""PBOC second-generation credit reports (二代征信): hardened parsing, typed models, features.

>>> from bureau_adapters.pboc import parse_report        # doctest: +SKIP
>>> report = parse_report(open("report.xml", "rb").read())  # doctest: +SKIP
>>> report.report_id, report.report_date, len(report.accounts)  # doctest: +SKIP

When only features are needed, :func:`features_from_bytes` (one report → the
``pboc-features/1`` dict) and :func:`features_frame_from_bytes` (many → one frame) read the
bytes without building the typed report: the same values and errors, 2-3 times faster
(:mod:`bureau_adapters.pboc.fast`).

Accepted inputs (:func:`parse_report`): the query envelope with or without its fixed-width
header line, and the bare ``<Document>`` report; :func:`parse_batch` reads a file of several
documents. The report's encoding (UTF-8 or GBK/GB18030) is detected, never trusted.
Errors are :class:`~bureau_adapters.exceptions.BureauError` subclasses with stable codes:

==========================  ========================================================
``XML_*``                   refused by :func:`bureau_adapters.xml.parse_xml`
``PBOC_BASE64``             ``ReportMessage`` is not valid base64
``PBOC_ENCODING``           the report is neither UTF-8 nor GB18030
``PBOC_HEADER_LINE``        garbage where the header line would be
``PBOC_NOT_ENVELOPE``       :func:`parse_envelope` on something without ``<Msg>``
``PBOC_NOT_REPORT``         a document that is neither a personal nor an enterprise report
``PBOC_PDF_REPORT``         the envelope carries a PDF, which is not parsed
``PBOC_NO_REPORT``          a successful envelope without a report
``PBOC_MISSING_FIELD``      no report number or report time
``PBOC_BAD_REPORT_DATE``    the report time is not a date
``PBOC_EMPTY_BATCH``        a batch file without any ``<Document>``
``PBOC_TRUNCATED_BATCH``    a batch file whose last ``<Document>`` never ends
``PBOC_<ResultCode>``       (:class:`~bureau_adapters.exceptions.BureauRejected`) the
                            envelope carries an error code such as ``DBE003``
==========================  ========================================================
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from bureau_adapters.exceptions import MalformedReportError, UnsafeXMLError
from bureau_adapters.pboc.enterprise import EnterpriseReport, parse_enterprise
from bureau_adapters.pboc.envelope import (
    PbocEnvelope,
    check_answer,
    decode_xml,
    parse_envelope,
    report_root,
)
from bureau_adapters.pboc.models import PersonalReport
from bureau_adapters.pboc.parser import parse_personal
from bureau_adapters.xml import DEFAULT_MAX_BYTES

__all__ = [
    "PARSER_VERSION",
    "EnterpriseReport",
    "PbocEnvelope",
    "PersonalReport",
    "features_frame_from_bytes",
    "features_from_bytes",
    "parse_batch",
    "parse_envelope",
    "parse_file",
    "parse_report",
    "report_to_dict",
]

PARSER_VERSION = "pboc-xml/2"


def parse_report(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> PersonalReport | EnterpriseReport:
    """Parse one PBOC report from an envelope (with or without header line) or bare XML.

    Parameters
    ----------
    data : bytes
        The envelope or the ``<Document>`` report.
    max_bytes : int
        Largest accepted input (and decoded report), checked before parsing.

    Returns
    -------
    PersonalReport or EnterpriseReport
        Chosen by the report's first unit (``PRH`` personal, ``EAA`` enterprise).

    Raises
    ------
    MalformedReportError
        See the module docstring for the codes.
    BureauRejected
        The envelope carries an error ``ResultCode`` (code ``PBOC_<ResultCode>``).
    """
    return report_from_root(report_root(data, max_bytes=max_bytes))


def report_from_envelope(
    envelope: PbocEnvelope, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> PersonalReport | EnterpriseReport:
    """The typed report inside a parsed envelope."""
    return report_from_root(decode_xml(check_answer(envelope), max_bytes=max_bytes))


def report_from_root(root: etree._Element) -> PersonalReport | EnterpriseReport:
    """Dispatch a parsed ``<Document>`` to the personal or the enterprise parser."""
    if root.tag == "Document":
        if root.find("PRH") is not None:
            return parse_personal(root)
        if root.find("EAA") is not None:
            return parse_enterprise(root)
    raise MalformedReportError(
        f"Not a PBOC report: root <{root.tag}> has neither a PRH nor an EAA unit.",
        code="PBOC_NOT_REPORT",
    )


def parse_batch(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> list[PersonalReport | EnterpriseReport]:
    """Parse a file of several concatenated ``<Document>`` envelopes or reports, in order."""
    data = _bytes(data, max_bytes)
    documents = _documents(data)
    if not documents:
        raise MalformedReportError("The batch file holds no <Document>.", code="PBOC_EMPTY_BATCH")
    return [parse_report(doc, max_bytes=max_bytes) for doc in documents]


def _documents(data: bytes) -> list[bytes]:
    """The ``<Document>…</Document>`` spans of a batch file, found in one linear pass."""
    out: list[bytes] = []
    position = 0
    while (start := data.find(b"<Document", position)) >= 0:
        end = data.find(b"</Document", start)
        close = data.find(b">", end) if end >= 0 else -1
        if close < 0:
            raise MalformedReportError(
                f"The batch file is truncated: document {len(out) + 1} has no </Document>.",
                code="PBOC_TRUNCATED_BATCH",
                document=len(out) + 1,
            )
        out.append(data[start : close + 1])
        position = close + 1
    return out


def parse_file(
    path: str | Path, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> PersonalReport | EnterpriseReport:
    """Read and parse one report file; its size is checked before it is read."""
    path = Path(path)
    size = path.stat().st_size
    if size > max_bytes:
        raise UnsafeXMLError(
            f"{path.name}: {size:,} bytes exceeds the limit of {max_bytes:,} bytes.",
            code="XML_TOO_LARGE",
            size=size,
            limit=max_bytes,
        )
    return parse_report(path.read_bytes(), max_bytes=max_bytes)


def report_to_dict(report: PersonalReport | EnterpriseReport) -> dict[str, Any]:
    """A JSON-ready dict of a report: codes as strings, dates in ISO format."""
    out: dict[str, Any] = {"kind": report.kind, "schema_version": report.schema_version}
    out.update(_plain(dataclasses.asdict(report)))
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return str.__str__(value)
    return value


def _bytes(data: bytes, max_bytes: int) -> bytes:
    from bureau_adapters.pboc.envelope import _check_size

    return _check_size(data, max_bytes)


# The fast feature path needs this package's parsers: imported last.
from bureau_adapters.pboc.fast import features_frame_from_bytes, features_from_bytes  # noqa: E402
