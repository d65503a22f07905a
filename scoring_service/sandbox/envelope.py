"""The PBOC query front-end response envelope around a base64-encoded report (§5.3).

::

    [B2.0.0<sender><receiver><timestamp>D102<message id>0000000000\\r\\n]   optional header line
    <?xml version="1.0" encoding="UTF-8"?>
    <Document>
    <Msg>
    <ResultCode>AAA000</ResultCode>
    <ResultDesc>处理成功</ResultDesc>
    <ReportName>xml格式个人信用报告.xml</ReportName>
    <ReportMessage>
    base64 of the report bytes, 76 characters a line
    </ReportMessage>
    </Msg>
    </Document>

The envelope always declares UTF-8; the report inside is UTF-8 or GBK and carries no XML
declaration, so a reader must detect its encoding. The header line, when present, ends with
a real line break, sometimes preceded by a literal ``\\r\\n`` (four characters) as in the
enterprise sample.
"""

from __future__ import annotations

import base64
import datetime as dt

__all__ = ["ENVELOPE_HEAD", "header_line", "wrap_report"]

ENVELOPE_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<Document>\n<Msg>\n<ResultCode>AAA000</ResultCode>\n'
    "<ResultDesc>处理成功</ResultDesc>\n<ReportName>xml格式个人信用报告.xml</ReportName>\n<ReportMessage>\n"
)
_TAIL_BYTES = b"</ReportMessage>\n</Msg>\n</Document>"


def header_line(receiver: str, stamp: dt.datetime, message_id: int, literal_crlf: bool) -> str:
    """The 78-character fixed-width header line (flag, version, nodes, time, type, id, pad)."""
    line = f"B2.0.0{'PBCCRC00000001':14.14}{receiver:14.14}{stamp:%Y%m%d%H%M%S}D102{message_id:016d}{'0' * 10}"
    return line + ("\\r\\n" if literal_crlf else "") + "\n"


def wrap_report(report: bytes, header: str = "") -> bytes:
    """The envelope bytes (UTF-8) around ``report``."""
    flat = base64.b64encode(report)
    body = b"\n".join(flat[i : i + 76] for i in range(0, len(flat), 76)) + b"\n"
    return (header + ENVELOPE_HEAD).encode("utf-8") + body + _TAIL_BYTES
