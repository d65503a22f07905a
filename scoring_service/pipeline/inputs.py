"""The columns a decision reads, their dtypes, and the inputs hash.

One function, :func:`input_frame`, turns request rows (online), stored inputs (replay) and
precomputed feature tables (batch) into the same typed frame, so the three paths cannot drift.
Personal data (name, ID number, phone) is never an input: it stays in the bureau layer.

Required inputs are :data:`INPUT_COLUMNS` (bank, survey, PBOC features). Qianhai's features
(:data:`QIANHAI_COLUMNS`, catalog ``qh-features/1``) are optional: a column that is absent,
or a value that is null, is NaN ("not queried", never "no risk"), so a knockout such as
``dishonest_judgment_debtor`` (``qh_b1_dishonest``) can read them when a bank queries Qianhai.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from bureau_adapters.pboc.features import FEATURE_NAMES
from bureau_adapters.qianhai.feature_specs import QH_FEATURES
from scoring_service.exceptions import InputError

__all__ = [
    "BUREAU_COLUMNS",
    "CATEGORIES",
    "INPUT_COLUMNS",
    "QIANHAI_COLUMNS",
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
#: Every required input column of a decision, in a fixed order.
INPUT_COLUMNS: tuple[str, ...] = ("bank_code", *SURVEY_COLUMNS, *BUREAU_COLUMNS)
#: Optional Qianhai features (catalog ``qh-features/1``), as float64 (absent or null = NaN).
QIANHAI_COLUMNS: tuple[str, ...] = tuple(spec.name for spec in QH_FEATURES)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


_STR = ("bank_code", *(c for c, k in SURVEY_COLUMNS.items() if k == "str"))
_BOOL = tuple(c for c, k in SURVEY_COLUMNS.items() if k == "bool")
_INT = tuple(c for c, k in SURVEY_COLUMNS.items() if k == "int")
_NUMBER = tuple(c for c, k in SURVEY_COLUMNS.items() if k in ("int", "float"))
_NUMERIC = (*_NUMBER, *BUREAU_COLUMNS)
#: the float64 block of the typed frame: survey numbers, PBOC, then Qianhai features
_BLOCK = (*_NUMERIC, *QIANHAI_COLUMNS)
_TYPED_COLUMNS = (*INPUT_COLUMNS, *QIANHAI_COLUMNS)
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


def _column(name: str, values: pd.Series) -> np.ndarray:
    """One numeric column as float64 (slow path: untyped values). Survey fields and Qianhai
    features must be numbers; a PBOC feature that is not one is missing (NaN)."""
    if values.dtype == object:
        values = values.map(lambda v: float(v) if isinstance(v, bool | np.bool_) else v)
    col = pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64)
    if name not in BUREAU_COLUMNS and (np.isnan(col) & values.notna().to_numpy()).any():
        what = "survey field" if name in SURVEY_COLUMNS else "Qianhai feature"
        raise InputError(f"The {what} {name!r} must be a number.", field=name)
    return col


def _numbers(raw: pd.DataFrame) -> np.ndarray:
    """The numeric columns (:data:`_BLOCK`) as one Fortran-ordered float64 block; absent
    Qianhai columns are NaN (slow path only for untyped values)."""
    names = [*_NUMERIC, *(c for c in QIANHAI_COLUMNS if c in raw.columns)]
    try:
        given = raw[names].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        given = np.column_stack([_column(name, raw[name]) for name in names])
    if len(names) == len(_BLOCK):
        block = np.asfortranarray(given)
    else:
        block = np.full((len(raw), len(_BLOCK)), np.nan, order="F")
        block[:, [_BLOCK.index(c) for c in names]] = given
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
    """The typed input frame: :data:`INPUT_COLUMNS` then :data:`QIANHAI_COLUMNS`, in order;
    text columns as ``object``, flags as ``bool``, every number (survey counts included) as
    ``float64``; Qianhai features that are absent are NaN.

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
    out = pd.DataFrame(_numbers(raw), index=raw.index, columns=list(_BLOCK), copy=False)
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


def _fold(acc: np.ndarray, words: Sequence[np.ndarray]) -> None:
    """In place, per word column: ``acc = ((acc ^ w) * mix) ^ (... >> 29)``."""
    shifted = np.empty_like(acc)
    with np.errstate(over="ignore"):
        for word in words:
            np.bitwise_xor(acc, word, out=acc)
            np.multiply(acc, _MIX, out=acc)
            np.right_shift(acc, np.uint64(29), out=shifted)
            np.bitwise_xor(acc, shifted, out=acc)


def _float_words(values: np.ndarray) -> np.ndarray:
    col = values + 0.0  # a copy with -0.0 as 0.0
    col[np.isnan(col)] = np.nan  # every NaN alike
    return col.view(np.uint64)


def _digest(columns: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(columns).encode()).hexdigest()[:8]


_DIGEST = _digest(INPUT_COLUMNS)
_DIGEST_QH = _digest(_TYPED_COLUMNS)


def inputs_hash(frame: pd.DataFrame) -> np.ndarray:
    """Per row, ``<columns digest>-<row hash>`` of the typed inputs (vectorised, stable).

    Numbers are hashed by their float64 bits (-0.0 as 0.0, every NaN alike), text by pandas'
    seeded hash; the words are folded in :data:`INPUT_COLUMNS` order. A row with at least one
    Qianhai value goes on folding :data:`QIANHAI_COLUMNS`; a row without (or a frame without
    the columns) keeps the hash it had before Qianhai inputs existed. The digest names the
    column list the hash covers.
    """
    n = len(frame)
    acc = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    words: dict[str, np.ndarray] = {}
    for name in _NUMERIC:  # column by column: no copy of the whole block
        words[name] = _float_words(frame[name].to_numpy(dtype=np.float64))
    for name in _STR:
        words[name] = pd.util.hash_array(frame[name].to_numpy(dtype=object))
    for name in _BOOL:
        words[name] = frame[name].to_numpy(dtype=np.uint64)
    _fold(acc, [words[name] for name in INPUT_COLUMNS])
    present = [c for c in QIANHAI_COLUMNS if c in frame.columns]
    qh = frame[present].to_numpy(dtype=np.float64) if present else np.empty((n, 0))
    with_qh = ~np.isnan(qh).all(axis=1)
    if with_qh.any():
        rows = qh[with_qh]
        sub = acc[with_qh]
        known = {name: rows[:, i] for i, name in enumerate(present)}
        nan = np.full(len(sub), np.nan)
        _fold(sub, [_float_words(known.get(name, nan)) for name in QIANHAI_COLUMNS])
        acc[with_qh] = sub
    digests = np.where(with_qh, f"{_DIGEST_QH}-", f"{_DIGEST}-")
    return np.char.add(digests, _hex(acc[:, None]))
