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


_DTYPES = {"str": np.dtype(object), "int": np.dtype(np.int64), "float": np.dtype(np.float64)}


def _typed(name: str, kind: str, values: pd.Series) -> pd.Series:
    """``values`` as ``kind``; a missing or ill-typed value raises naming the field."""
    if kind == "bool":
        if values.dtype == np.bool_:
            return values
        if not values.map(lambda v: isinstance(v, bool | np.bool_)).all():
            raise InputError(f"The survey field {name!r} must be true or false.", field=name)
        return values.astype(bool)
    if values.isna().any():
        raise InputError(f"The survey field {name!r} is missing.", field=name)
    if kind == "str":
        return values if values.dtype == object else values.astype(str).astype(object)
    if values.dtype.kind not in "iuf":
        values = pd.to_numeric(values, errors="coerce")
        if values.isna().any():
            raise InputError(f"The survey field {name!r} must be a number.", field=name)
    if kind == "int" and values.dtype.kind == "f" and not (values == values.round()).all():
        raise InputError(f"The survey field {name!r} must be a whole number.", field=name)
    return values if values.dtype == _DTYPES[kind] else values.astype(_DTYPES[kind])


def _feature(values: pd.Series) -> pd.Series:
    if values.dtype == np.float64:
        return values
    if values.dtype.kind in "iub":
        return values.astype(np.float64)
    return pd.to_numeric(values, errors="coerce").astype(np.float64)


def input_frame(data: pd.DataFrame | Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """The typed input frame: :data:`INPUT_COLUMNS` in order, bureau features as float64.

    A frame that is already typed is returned as a column selection (no copy per column),
    which keeps the batch path cheap.

    Raises
    ------
    InputError
        A missing column or a value of the wrong type (``fields["field"]`` names it).
    """
    raw = data if isinstance(data, pd.DataFrame) else pd.DataFrame(list(data))
    missing = [c for c in INPUT_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(f"Input columns missing: {missing}.", field=missing[0], columns=missing)
    typed = {"bank_code": _typed("bank_code", "str", raw["bank_code"])}
    typed |= {name: _typed(name, kind, raw[name]) for name, kind in SURVEY_COLUMNS.items()}
    typed |= {name: _feature(raw[name]) for name in BUREAU_COLUMNS}
    changed = {name: col for name, col in typed.items() if col is not raw[name]}
    out = raw[list(INPUT_COLUMNS)]
    if changed:
        out = out.assign(**changed)
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

    The row hash is pandas' seeded 64-bit hash of the values (numbers as float64, so an
    integer and the same float hash alike); the digest names the column list it covers.
    """
    cols = list(INPUT_COLUMNS)
    typed = frame[cols].astype({c: np.float64 for c in cols if frame[c].dtype.kind in "biuf"})
    rows = pd.util.hash_pandas_object(typed, index=False).to_numpy(dtype=np.uint64)
    digest = hashlib.sha256("\x1f".join(cols).encode()).hexdigest()[:8]
    return np.char.add(f"{digest}-", _hex(rows[:, None]))
