"""The columns a decision reads, their dtypes, and the inputs hash.

One function, :func:`input_frame`, turns request rows (online), stored inputs (replay) and
precomputed feature tables (batch) into the same typed frame, so the three paths cannot drift.
Personal data (name, ID number, phone) is never an input: it stays in the bureau layer.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bureau_adapters.pboc.features import FEATURE_NAMES
from scoring_service.exceptions import InputError

__all__ = [
    "BUREAU_COLUMNS",
    "CATEGORIES",
    "INPUT_COLUMNS",
    "SURVEY_COLUMNS",
    "hex_ids",
    "input_frame",
    "inputs_hash",
]

_MONEY = (
    "income_crop",
    "income_livestock",
    "income_wage",
    "income_business",
    "income_other",
    "expense_living",
    "expense_production",
    "expense_education",
    "expense_medical",
    "assets_house",
    "assets_vehicle",
    "assets_machinery",
    "assets_livestock",
    "assets_deposits",
    "deposits_this_bank_avg",
    "debt_this_bank",
    "debt_other_banks",
    "debt_informal",
)
#: Survey columns (``docs/data-model.md``) and their dtype: ``int``, ``float``, ``bool``, ``str``.
SURVEY_COLUMNS: dict[str, str] = {
    "village_id": "str",
    "head_age": "int",
    "marital_status": "str",
    "health": "str",
    "education": "str",
    "members": "int",
    "workers": "int",
    "years_resident": "int",
    "land_mu": "float",
    "main_crop": "str",
    "livestock_heads": "int",
    **dict.fromkeys(_MONEY, "float"),
    "informal_high_interest": "bool",
    "guarantees_given": "float",
    "years_with_bank": "int",
    "village_review": "str",
    "bad_habits": "bool",
    "credit_village_status": "str",
    "requested_product": "str",
}
#: Allowed values of the categorical survey columns.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "marital_status": ("single", "married", "divorced", "widowed"),
    "health": ("good", "average", "poor"),
    "education": ("primary", "junior", "senior", "college"),
    "main_crop": ("grain", "vegetables", "fruit", "tea", "cash_crop", "none"),
    "village_review": ("very_good", "good", "average", "poor"),
    "credit_village_status": ("credit_township", "credit_village", "ordinary", "watchlist"),
    "requested_product": ("pure_credit", "joint_guarantee", "guaranteed", "mortgage"),
}
#: PBOC features (catalog ``pboc-features/1``), as float64 (NaN = missing).
BUREAU_COLUMNS: tuple[str, ...] = tuple(FEATURE_NAMES)
#: Every input column of a decision, in a fixed order.
INPUT_COLUMNS: tuple[str, ...] = ("bank_code", *SURVEY_COLUMNS, *BUREAU_COLUMNS)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


_STR = ("bank_code", *(c for c, k in SURVEY_COLUMNS.items() if k == "str"))
_BOOL = tuple(c for c, k in SURVEY_COLUMNS.items() if k == "bool")
_INT = tuple(c for c, k in SURVEY_COLUMNS.items() if k == "int")
_NUMBER = tuple(c for c, k in SURVEY_COLUMNS.items() if k in ("int", "float"))
_NUMERIC = (*_NUMBER, *BUREAU_COLUMNS)
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _strings(name: str, values: pd.Series) -> np.ndarray:
    if values.isna().any():
        raise InputError(f"The survey field {name!r} is missing.", field=name)
    return (
        values.to_numpy(dtype=object)
        if values.dtype == object
        else values.astype(str).to_numpy(dtype=object)
    )


def _bools(name: str, values: pd.Series) -> np.ndarray:
    if values.dtype == np.bool_:
        return values.to_numpy()
    if not values.map(lambda v: isinstance(v, bool | np.bool_)).all():
        raise InputError(f"The survey field {name!r} must be true or false.", field=name)
    return values.to_numpy(dtype=bool)


def _numbers(raw: pd.DataFrame) -> np.ndarray:
    """The numeric columns as one float64 block (slow path only for untyped values)."""
    try:
        block = raw[list(_NUMERIC)].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        cols = []
        for name in _NUMERIC:
            col = pd.to_numeric(raw[name], errors="coerce").to_numpy(dtype=np.float64)
            bad = np.isnan(col) & raw[name].notna().to_numpy()
            if name in SURVEY_COLUMNS and bad.any():
                raise InputError(
                    f"The survey field {name!r} must be a number.", field=name
                ) from None
            cols.append(col)
        block = np.column_stack(cols)
    survey = block[:, : len(_NUMBER)]
    if np.isnan(survey).any():
        name = _NUMBER[int(np.isnan(survey).any(axis=0).argmax())]
        raise InputError(f"The survey field {name!r} is missing.", field=name)
    ints = block[:, [_NUMERIC.index(c) for c in _INT]]
    if (ints != np.floor(ints)).any():
        name = _INT[int((ints != np.floor(ints)).any(axis=0).argmax())]
        raise InputError(f"The survey field {name!r} must be a whole number.", field=name)
    return block


def input_frame(data: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The typed input frame: :data:`INPUT_COLUMNS` in order; text columns as ``object``,
    flags as ``bool``, every number (survey counts included) as ``float64``.

    Raises
    ------
    InputError
        A missing column or a value of the wrong type (``fields["field"]`` names it).
    """
    raw = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    missing = [c for c in INPUT_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(f"Input columns missing: {missing}.", field=missing[0], columns=missing)
    parts: dict[str, np.ndarray] = {name: _strings(name, raw[name]) for name in _STR}
    parts |= {name: _bools(name, raw[name]) for name in _BOOL}
    # the numbers stay one float64 block (no per-column copies); the rest is inserted in place
    out = pd.DataFrame(
        np.asfortranarray(_numbers(raw)), index=raw.index, columns=list(_NUMERIC), copy=False
    )
    for name in INPUT_COLUMNS:
        if name in parts:
            out.insert(INPUT_COLUMNS.index(name), name, parts[name])
    return out


def _hex(words: np.ndarray) -> np.ndarray:
    """uint64 words (n, k) -> n strings of 16*k lower-case hex digits, without a Python loop."""
    shifts = np.arange(60, -4, -4, dtype=np.uint64)
    digits = (words[:, :, None] >> shifts) & np.uint64(0xF)
    chars = _HEX[digits.reshape(len(words), -1).astype(np.intp)]
    return chars.view(f"S{chars.shape[1]}").ravel().astype(str)


def hex_ids(n: int) -> np.ndarray:
    """``n`` random 32-hex-digit ids (128 bits from ``os.urandom``)."""
    words = np.frombuffer(os.urandom(16 * n), dtype=np.uint64).reshape(n, 2)
    return _hex(words)


def inputs_hash(frame: pd.DataFrame) -> np.ndarray:
    """Per row, ``<columns digest>-<row hash>`` of the typed inputs (vectorised, stable).

    Numbers are hashed by their float64 bits (-0.0 as 0.0, every NaN alike), text by pandas'
    seeded hash; the words are folded in :data:`INPUT_COLUMNS` order. The digest names the
    column list the hash covers.
    """
    n = len(frame)
    acc = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    words: dict[str, np.ndarray] = {}
    for name in _NUMERIC:  # column by column: no copy of the whole block
        col = frame[name].to_numpy(dtype=np.float64) + 0.0
        col[np.isnan(col)] = np.nan
        words[name] = col.view(np.uint64)
    for name in _STR:
        words[name] = pd.util.hash_array(frame[name].to_numpy(dtype=object))
    for name in _BOOL:
        words[name] = frame[name].to_numpy(dtype=np.uint64)
    shifted = np.empty_like(acc)
    with np.errstate(over="ignore"):
        for name in INPUT_COLUMNS:  # in place: acc = ((acc ^ w) * mix) ^ (... >> 29)
            np.bitwise_xor(acc, words[name], out=acc)
            np.multiply(acc, _MIX, out=acc)
            np.right_shift(acc, np.uint64(29), out=shifted)
            np.bitwise_xor(acc, shifted, out=acc)
    digest = hashlib.sha256("\x1f".join(INPUT_COLUMNS).encode()).hexdigest()[:8]
    return np.char.add(f"{digest}-", _hex(acc[:, None]))
