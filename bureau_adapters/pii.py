"""Masking of personal data (ID numbers, names, phones) for logs, audit rows and messages.

Masking is a hook, not something sprinkled through code: :func:`install_log_masking` adds a
filter to the root logger's handlers that masks every ID number and mobile number found in a
log record, whatever module wrote it. Names cannot be found by pattern; code that logs a name
passes it through :func:`mask_name` first.

>>> mask_id("11010519491231002X")
'110105********002X'
>>> mask_phone("13812345678")
'138****5678'
>>> mask_name("张三丰")
'张**'
>>> mask_text("applicant 11010519491231002X phone 13812345678")
'applicant 110105********002X phone 138****5678'
"""

from __future__ import annotations

import logging
import re

__all__ = [
    "PiiMaskingFilter",
    "install_log_masking",
    "mask_id",
    "mask_name",
    "mask_phone",
    "mask_text",
]

# 18-character resident IDs, and the 15-digit IDs issued before 1999; a letter may stand
# right before an ID ("ID110105...") but no digit may stand on either side.
_ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9Xx])")
_ID15_RE = re.compile(r"(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)")
# Mobile numbers, with or without +86/86 and with spaces or dashes between the groups.
_PHONE_RE = re.compile(r"(?<!\d)((?:\+?86[- ]?)?1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")


def mask_id(id_number: str) -> str:
    """Keep the region code and the last four characters; hide the birth date."""
    value = id_number.strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(phone: str) -> str:
    """Keep the first three and last four digits of a mobile number."""
    value = phone.strip()
    if len(value) < 8:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(name: str) -> str:
    """Keep the first character (the family name) only."""
    value = name.strip()
    return value[:1] + "*" * max(len(value) - 1, 1) if value else value


def mask_text(text: str) -> str:
    """Mask every ID number (18 or 15 digits) and mobile number found in free text."""
    text = _ID_RE.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    text = _ID15_RE.sub(lambda m: m.group(1) + "*" * 6 + m.group(3), text)
    return _PHONE_RE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


class PiiMaskingFilter(logging.Filter):
    """A logging filter that rewrites each record's message with :func:`mask_text`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_text(message)
        if masked != message:
            record.msg = masked
            record.args = None
        return True


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Attach :class:`PiiMaskingFilter` to every handler of ``logger`` (root by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PiiMaskingFilter) for f in handler.filters):
            handler.addFilter(PiiMaskingFilter())
