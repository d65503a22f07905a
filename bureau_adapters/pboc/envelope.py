"""The PBOC query envelope (§5.3): optional fixed-width header line, then
``<Document><Msg>`` with ``ResultCode``, ``ResultDesc``, ``ReportName`` and the report
base64-encoded in ``ReportMessage``.

>>> env = parse_envelope(b"<Document><Msg><ResultCode>DBE003</ResultCode>"
...                      b"<ResultDesc>x</ResultDesc></Msg></Document>")
>>> env.result_code, env.ok, env.report
('DBE003', False, None)
"""

from __future__ import annotations

import binascii
import codecs
import re
from dataclasses import dataclass

from lxml import etree

from bureau_adapters.exceptions import BureauError, BureauRejected, MalformedReportError
from bureau_adapters.xml import DEFAULT_MAX_BYTES, parse_xml

__all__ = [
    "SUCCESS_CODE",
    "HeaderLine",
    "PbocEnvelope",
    "check_answer",
    "decode_xml",
    "detect_encoding",
    "parse_envelope",
    "report_root",
    "split_header_line",
]

#: ``ResultCode`` of a successful query (处理成功).
SUCCESS_CODE = "AAA000"
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n"
_HEADER = re.compile(rb"[A-Za-z0-9.]{1,200}", re.ASCII)


@dataclass(frozen=True, slots=True)
class HeaderLine:
    """The fixed-width header line (layout [inferred], §5.3)."""

    raw: str
    flag: str
    version: str
    sender: str
    receiver: str
    timestamp: str
    message_type: str
    message_id: str

    @classmethod
    def parse(cls, raw: str) -> HeaderLine:
        """Split a header line such as ``B2.0.0HBF…D104…`` into its fields."""
        return cls(
            raw=raw,
            flag=raw[0:1],
            version=raw[1:6],
            sender=raw[6:20],
            receiver=raw[20:34],
            timestamp=raw[34:48],
            message_type=raw[48:52],
            message_id=raw[52:68],
        )


@dataclass(frozen=True, slots=True)
class PbocEnvelope:
    """One query answer: result code and message, and the decoded report bytes.

    ``report`` is ``None`` when the answer carries no report (every error code).
    ``report_format`` is sniffed from the bytes (``"xml"`` or ``"pdf"``), not taken from
    ``report_name``, which vendors fill inconsistently.
    """

    result_code: str
    result_desc: str
    report_name: str | None
    report: bytes | None
    report_format: str | None
    header: HeaderLine | None = None

    @property
    def ok(self) -> bool:
        """True for ``AAA000`` (处理成功)."""
        return self.result_code == SUCCESS_CODE


def split_header_line(data: bytes) -> tuple[HeaderLine | None, bytes]:
    """Remove the optional fixed-width header line in front of the XML."""
    body = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if body.startswith(b"<") or not body:
        return None, body
    end = body.find(b"\n")
    line, rest = (body, b"") if end < 0 else (body[:end], body[end + 1 :])
    # One sample ends its header line with a literal backslash-r-backslash-n.
    line = line.rstrip(b"\r").removesuffix(b"\\r\\n").rstrip()
    if _HEADER.fullmatch(line) is None:
        raise MalformedReportError(
            "The input starts with neither XML nor a PBOC header line.",
            code="PBOC_HEADER_LINE",
        )
    return HeaderLine.parse(line.decode("ascii")), rest.lstrip(b" \t\r\n")


def detect_encoding(data: bytes) -> str:
    """``"utf-8"`` or ``"gb18030"`` (a superset of GBK), whatever the declaration says."""
    if data.isascii():  # an envelope, or a report without Chinese text: no decoding pass
        return "utf-8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    try:
        data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise MalformedReportError(
            f"The report is neither UTF-8 nor GBK/GB18030 (invalid byte at offset {exc.start}).",
            code="PBOC_ENCODING",
            offset=exc.start,
        ) from exc
    return "gb18030"


_DECLARED = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_UTF8_NAMES = frozenset({b"utf-8", b"utf8"})


def decode_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse XML whose real encoding is detected (UTF-8 or GB18030), not trusted.

    The detected encoding overrides the declaration only when they disagree (an explicit
    override costs libxml2 a conversion pass); a document declared (or defaulting to)
    UTF-8 is first parsed as such, libxml2 checking the UTF-8 on the way, unless its
    first non-ASCII bytes already are not UTF-8 (then that parse would fail anyway).
    """
    declared = _DECLARED.match(data[:200])
    name = declared.group(1).lower() if declared else b"utf-8"
    if name in _UTF8_NAMES and not _surely_not_utf8(data):
        # libxml2 checks UTF-8 itself, and no less strictly than Python's decoder on every
        # document it accepts (tests/bureau_adapters/test_xml.py fuzzes it), so a document
        # it parses is valid UTF-8 and the decoding pass of detect_encoding is not needed.
        try:
            return parse_xml(data, max_bytes=max_bytes)
        except BureauError:
            pass  # the path below gives the answer, and the code, it always gave
    detected = detect_encoding(data)
    if detected == "utf-8" and name in _UTF8_NAMES:
        return parse_xml(data, max_bytes=max_bytes)
    return parse_xml(data, max_bytes=max_bytes, encoding=detected)


def _surely_not_utf8(data: bytes) -> bool:
    """True when the first 4 KB are not UTF-8 (a GBK report declared as UTF-8, a sandbox
    trap): the UTF-8 parse would fail, as libxml2 refuses whatever Python's decoder
    refuses, so :func:`decode_xml` goes straight to detection."""
    try:  # a character cut at the end of the window is not an error (final=False)
        codecs.utf_8_decode(data[:4096], "strict", False)
    except UnicodeDecodeError:
        return True
    return False


def parse_envelope(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> PbocEnvelope:
    """Parse a query envelope, with or without its header line.

    Raises
    ------
    MalformedReportError
        ``PBOC_NOT_ENVELOPE`` (no ``Msg``/``ResultCode``), ``PBOC_BASE64`` (invalid or
        truncated base64), ``PBOC_HEADER_LINE``, ``PBOC_ENCODING``, and the ``XML_*``
        codes of :func:`bureau_adapters.xml.parse_xml`.
    """
    header, body = split_header_line(_check_size(data, max_bytes))
    root = decode_xml(body, max_bytes=max_bytes)
    return envelope_from_root(root, header)


def report_root(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The parsed ``<Document>`` of the report in ``data``: an envelope (with or without
    its header line) is checked with :func:`check_answer` and its report parsed; bare XML
    is returned as parsed. Every step is hardened (:func:`decode_xml`)."""
    header, body = split_header_line(_check_size(data, max_bytes))
    root = decode_xml(body, max_bytes=max_bytes)
    if next(root.iterchildren("Msg"), None) is None:
        return root
    return decode_xml(check_answer(envelope_from_root(root, header)), max_bytes=max_bytes)


def check_answer(envelope: PbocEnvelope) -> bytes:
    """The XML report bytes of a successful answer; coded errors otherwise.

    Raises
    ------
    BureauRejected
        ``PBOC_<ResultCode>`` when the answer carries an error code.
    MalformedReportError
        ``PBOC_NO_REPORT`` (success without a report), ``PBOC_PDF_REPORT``.
    """
    if not envelope.ok:
        raise BureauRejected(
            f"The PBOC answer is {envelope.result_code}: {envelope.result_desc}",
            code=f"PBOC_{envelope.result_code}",
            result_code=envelope.result_code,
        )
    if envelope.report is None:
        raise MalformedReportError(
            "The PBOC answer is successful but carries no report.", code="PBOC_NO_REPORT"
        )
    if envelope.report_format == "pdf":
        raise MalformedReportError(
            "The PBOC answer carries a PDF report; only XML reports are parsed.",
            code="PBOC_PDF_REPORT",
        )
    return envelope.report


def envelope_from_root(root: etree._Element, header: HeaderLine | None) -> PbocEnvelope:
    """Read an already parsed envelope root (the first ``Msg``; in it, the first of each
    field, as ``findtext`` reads it, in one pass over its children)."""
    msg = next(root.iterchildren("Msg"), None)
    fields: dict[str, str] = {}
    if msg is not None:
        for child in msg.iterchildren(*_FIELDS):
            fields.setdefault(child.tag, child.text or "")
    code = fields.get("ResultCode")
    if msg is None or code is None:
        raise MalformedReportError(
            "Not a PBOC query envelope: no <Msg><ResultCode>.", code="PBOC_NOT_ENVELOPE"
        )
    text = fields.get("ReportMessage")
    report = _b64decode(text) if text and text.strip() else None
    report_format = None
    if report is not None:
        report_format = "pdf" if report.lstrip()[:5] == b"%PDF-" else "xml"
    return PbocEnvelope(
        result_code=code.strip(),
        result_desc=fields.get("ResultDesc", "").strip(),
        report_name=fields.get("ReportName", "").strip() or None,
        report=report,
        report_format=report_format,
        header=header,
    )


_FIELDS = ("ResultCode", "ResultDesc", "ReportName", "ReportMessage")


def _check_size(data: bytes, max_bytes: int) -> bytes:
    if not isinstance(data, bytes | bytearray | memoryview):
        raise MalformedReportError(
            f"PBOC input must be bytes, got {type(data).__name__}.", code="XML_NOT_BYTES"
        )
    if len(data) > max_bytes:
        from bureau_adapters.exceptions import UnsafeXMLError

        raise UnsafeXMLError(
            f"PBOC input of {len(data):,} bytes exceeds the limit of {max_bytes:,} bytes.",
            code="XML_TOO_LARGE",
            size=len(data),
            limit=max_bytes,
        )
    return bytes(data)


def _b64decode(text: str) -> bytes:
    raw = text.encode("ascii", "replace")
    if raw.translate(None, _BASE64_ALPHABET):  # anything left is not base64
        raise MalformedReportError(
            "ReportMessage is not base64 (characters outside the base64 alphabet).",
            code="PBOC_BASE64",
        )
    try:
        return binascii.a2b_base64(raw)
    except binascii.Error as exc:
        raise MalformedReportError(
            f"ReportMessage is invalid or truncated base64: {exc}.", code="PBOC_BASE64"
        ) from exc
