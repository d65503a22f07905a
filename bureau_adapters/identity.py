"""Resident identity numbers (居民身份证号码, GB 11643-1999): check digit and validation.

>>> check_digit("11010519491231002")
'X'
>>> is_valid_resident_id("11010519491231002X")
True
>>> is_valid_resident_id("110105194912310021")
False
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["birth_date", "check_digit", "is_valid_resident_id", "validate_resident_id"]

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    if len(first17) != 17 or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 digits")
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def birth_date(id_number: str) -> dt.date:
    """Date of birth encoded in positions 7-14 of an 18-digit ID number."""
    return dt.datetime.strptime(id_number[6:14], "%Y%m%d").date()


def validate_resident_id(id_number: str) -> str | None:
    """Why ``id_number`` is not a valid 18-digit resident ID, or ``None`` when it is.

    The reason never repeats the number itself, so it is safe to log.
    """
    value = id_number.strip().upper()
    if not _PATTERN.match(value):
        return "must be 17 digits followed by a digit or X"
    try:
        born = birth_date(value)
    except ValueError:
        return "positions 7-14 are not a valid date of birth"
    if born.year < 1900:
        return "date of birth before 1900"
    if check_digit(value[:17]) != value[17]:
        return "check digit does not match"
    return None


def is_valid_resident_id(id_number: str) -> bool:
    """True when ``id_number`` has the right form, a real birth date and the right check digit."""
    return validate_resident_id(id_number) is None
