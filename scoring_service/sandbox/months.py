"""Month arithmetic for the sandbox: months as integers, windows counted back from a date.

A month is represented as ``year * 12 + (month - 1)`` so that windows are plain integer
ranges. ``months_back(date, n)`` is the same day ``n`` months earlier, clipped to the end of
a shorter month; query windows are ``[months_back(T, n), T]``.

>>> import datetime as dt
>>> month_label(month_index(dt.date(2026, 6, 30)))
'2026-06'
>>> months_back(dt.date(2026, 3, 31), 1)
datetime.date(2026, 2, 28)
"""

from __future__ import annotations

import calendar
import datetime as dt
from functools import lru_cache

__all__ = ["month_end", "month_index", "month_label", "month_start", "months_back"]


def month_index(day: dt.date) -> int:
    """The integer month of ``day`` (``year * 12 + month - 1``)."""
    return day.year * 12 + day.month - 1


@lru_cache(maxsize=8192)
def month_label(index: int) -> str:
    """``YYYY-MM`` for an integer month."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> dt.date:
    """The first day of an integer month."""
    return dt.date(index // 12, index % 12 + 1, 1)


def month_end(index: int) -> dt.date:
    """The last day of an integer month."""
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def months_back(day: dt.date, n: int) -> dt.date:
    """The same day ``n`` months before ``day``, clipped to the last day of that month."""
    index = month_index(day) - n
    year, month = index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
