"""Masking of personal data (ID numbers, names, phones) for logs, audit rows and messages.

Masking is a hook, not something sprinkled through code: :func:`install_log_masking` masks
every ID number and mobile number found in a log record — its message and its traceback —
whatever module wrote it and whichever handler prints it (a server's own handlers too), by
masking each record as it is made. Names cannot be found by pattern; code that logs a name
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
from collections.abc import Callable
from typing import Any

__all__ = [
    "PiiMaskingFilter",
    "install_log_masking",
    "mask_id",
    "mask_name",
    "mask_phone",
    "mask_record",
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


def mask_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask ``record`` in place: its message, its traceback and its stack.

    String arguments are masked one by one, so a formatter that reads ``record.args``
    (uvicorn's access log does) still finds them; a message whose PII only shows once
    formatted is replaced by its masked text. The traceback is formatted once, masked and
    kept as ``exc_text``, which every :class:`logging.Formatter` prints instead of
    formatting the exception again.
    """
    if isinstance(record.msg, str):
        record.msg = mask_text(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(mask_text(a) if isinstance(a, str) else a for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: mask_text(v) if isinstance(v, str) else v for k, v in record.args.items()}
    try:
        message = record.getMessage()
    except Exception:  # a malformed logging call: the handler reports it, as ever
        return record
    masked = mask_text(message)
    if masked != message:
        record.msg, record.args = masked, None
    if record.exc_info and not record.exc_text:
        record.exc_text = _FORMATTER.formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = mask_text(record.exc_text)
    if record.stack_info:
        record.stack_info = mask_text(record.stack_info)
    return record


_FORMATTER = logging.Formatter()


class PiiMaskingFilter(logging.Filter):
    """A logging filter that masks each record (:func:`mask_record`) before a handler emits it."""

    def filter(self, record: logging.LogRecord) -> bool:
        mask_record(record)
        return True


class _MaskingRecordFactory:
    """Wraps the process's log record factory: every record is masked as it is made."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return mask_record(self.inner(*args, **kwargs))


def install_log_masking(logger: logging.Logger | None = None) -> None:
    """Mask every log record of this process, whoever logs it and whoever prints it.

    Installs a record factory (records are made only for enabled levels, so a disabled
    ``debug`` line costs nothing) and, as before, a :class:`PiiMaskingFilter` on every
    handler of ``logger`` (root by default). Idempotent; call it in every process that logs
    (each server worker, each batch helper).
    """
    factory = logging.getLogRecordFactory()
    if not isinstance(factory, _MaskingRecordFactory):
        logging.setLogRecordFactory(_MaskingRecordFactory(factory))
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, PiiMaskingFilter) for f in handler.filters):
            handler.addFilter(PiiMaskingFilter())
