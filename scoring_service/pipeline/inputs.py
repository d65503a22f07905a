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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from bureau_adapters.pboc.features import FEATURE_NAMES
from bureau_adapters.qianhai.feature_specs import QH_FEATURES
from scoring_service.exceptions import InputError
from scoring_service.pipeline.frames import assemble, column_reader, numeric_block

__all__ = [
    "BUREAU_COLUMNS",
    "CATEGORIES",
    "INPUT_COLUMNS",
    "QIANHAI_COLUMNS",
    "SURVEY_COLUMNS",
    "TypedInputs",
    "hex_ids",
    "input_frame",
    "inputs_hash",
    "typed_inputs",
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
_BLOCK_AT = {name: j for j, name in enumerate(_BLOCK)}
_INT_AT = np.array([_NUMERIC.index(c) for c in _INT], dtype=np.intp)
_QIANHAI = frozenset(QIANHAI_COLUMNS)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_NUMBER_KINDS = frozenset("biuf")
#: Up to this many rows, the inputs hash folds each row in Python (numpy calls cost more).
_SMALL = 16


@dataclass(frozen=True)
class TypedInputs:
    """Checked inputs as three typed blocks (what :func:`input_frame` and the hash read).

    ``strings`` (rows x ``bank_code`` and the text survey fields, ``object``), ``flags``
    (rows x the yes/no survey fields, ``bool``) and ``numbers`` (rows x survey numbers, PBOC
    then Qianhai features, ``float64``, column-major), plus pass-through columns ``kept``.
    """

    index: pd.Index
    strings: np.ndarray
    flags: np.ndarray
    numbers: np.ndarray
    kept: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.index)

    def frame(self, *, kept: bool = True) -> pd.DataFrame:
        """The typed input frame (see :func:`input_frame`); without the pass-through columns
        when not ``kept`` (what a model reads: three blocks instead of six for one row)."""
        passed = self.kept if kept else {}
        return assemble(
            [*_TYPED_COLUMNS, *passed],
            self.index,
            [
                (_STR, self.strings),
                (_BOOL, self.flags),
                (_BLOCK, self.numbers),
                *(([name], values) for name, values in passed.items()),
            ],
        )

    def hash(self) -> np.ndarray:
        """The inputs hash of every row (see :func:`inputs_hash`)."""
        return _hash(self.strings, self.flags, self.numbers)

    def records(self) -> list[dict[str, Any]]:
        """Per row, every typed input (:data:`INPUT_COLUMNS` and :data:`QIANHAI_COLUMNS`) as
        a plain Python value: text as given, flags as ``bool``, numbers as ``float``, NaN as
        ``None`` (what the typed frame holds, read without building it)."""
        out = []
        for texts, yes_no, values in zip(
            self.strings.tolist(), self.flags.tolist(), self.numbers.tolist(), strict=True
        ):
            row = {name: _python(v) for name, v in zip(_STR, texts, strict=True)}
            row.update(zip(_BOOL, yes_no, strict=True))
            row.update(
                (name, None if v != v else v) for name, v in zip(_BLOCK, values, strict=True)
            )
            out.append(row)
        return out


def _python(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _missing(value: Any) -> bool:
    return value is None or (not isinstance(value, str) and bool(pd.isna(value)))


def _strings(name: str, values: Any) -> np.ndarray:
    """A text column as ``object`` (values as given; non-text columns as ``str``)."""
    if isinstance(values, list):
        if all(type(v) is str for v in values):
            return np.array(values, dtype=object)
        values = pd.Series(values).array  # the general case, as pandas would type it
    if isinstance(values, np.ndarray) and values.dtype == object:
        if any(_missing(v) for v in values) if len(values) <= _SMALL else pd.isna(values).any():
            raise InputError(f"The survey field {name!r} is missing.", field=name)
        return values
    series = pd.Series(values, copy=False)
    if series.isna().any():
        raise InputError(f"The survey field {name!r} is missing.", field=name)
    if series.dtype == object:
        return series.to_numpy(dtype=object)
    return series.astype(str).to_numpy(dtype=object)


def _bools(name: str, values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray) and values.dtype == np.bool_:
        return values
    if not all(isinstance(v, bool | np.bool_) for v in values):
        raise InputError(f"The survey field {name!r} must be true or false.", field=name)
    return np.array(values, dtype=bool)


def _number_column(name: str, values: Any) -> np.ndarray:
    """One numeric column as float64 (slow path: untyped values). Survey fields and Qianhai
    features must be numbers; a PBOC feature that is not one is missing (NaN)."""
    series = pd.Series(values, copy=False)
    if series.dtype == object:
        series = series.map(lambda v: float(v) if isinstance(v, bool | np.bool_) else v)
    try:
        return series.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        pass
    col = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    if name not in BUREAU_COLUMNS and (np.isnan(col) & series.notna().to_numpy()).any():
        what = "survey field" if name in SURVEY_COLUMNS else "Qianhai feature"
        raise InputError(f"The {what} {name!r} must be a number.", field=name)
    return col


def _number_block(data: pd.DataFrame | list[Mapping[str, Any]], given: set[str]) -> np.ndarray:
    """The :data:`_BLOCK` columns as one column-major float64 block (absent Qianhai = NaN):
    plain numbers in one step, other values column by column (:func:`_number_column`)."""
    if isinstance(data, pd.DataFrame):
        block, others = numeric_block(data, _BLOCK)
        read = column_reader(data)
        for name in others:
            values = read(name)
            try:  # e.g. an object column of numbers and None (a frame built from dicts)
                block[:, _BLOCK_AT[name]] = np.asarray(values, dtype=np.float64)
            except (TypeError, ValueError):
                block[:, _BLOCK_AT[name]] = _number_column(name, values)
        return block
    names = [c if c in given else None for c in _BLOCK]
    try:
        rows = [[None if c is None else row.get(c) for c in names] for row in data]
        return np.array(rows, dtype=np.float64, order="F").reshape(len(data), len(_BLOCK))
    except (TypeError, ValueError):
        block = np.full((len(data), len(_BLOCK)), np.nan, order="F")
        for j, name in enumerate(_BLOCK):
            if name in given:
                block[:, j] = _number_column(name, [row.get(name) for row in data])
        return block


def _check_numbers(block: np.ndarray) -> None:
    survey = block[:, : len(_NUMBER)]
    gaps = np.isnan(survey)
    if gaps.any():
        name = _NUMBER[int(gaps.any(axis=0).argmax())]
        raise InputError(f"The survey field {name!r} is missing.", field=name)
    ints = block[:, _INT_AT]
    broken = ints != np.floor(ints)
    if broken.any():
        name = _INT[int(broken.any(axis=0).argmax())]
        raise InputError(f"The survey field {name!r} must be a whole number.", field=name)


def typed_inputs(
    data: pd.DataFrame | Sequence[Mapping[str, Any]], *, keep: Sequence[str] = ()
) -> TypedInputs:
    """Check and type the inputs of every row (see :func:`input_frame`); ``keep`` names
    pass-through columns (e.g. ``household_id``) carried along when present."""
    if isinstance(data, pd.DataFrame):
        if not data.columns.is_unique:
            repeated = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
            raise InputError(
                f"Input columns repeated: {repeated}.", field=repeated[0], columns=repeated
            )
        frame: pd.DataFrame | None = data
        rows: list[Mapping[str, Any]] = []
        given = set(data.columns)
        index = data.index
        read = column_reader(data)
    else:
        frame, rows = None, list(data)
        given = set().union(*rows) if rows else set()
        index = pd.RangeIndex(len(rows))

        def read(name: str) -> Any:
            return [row.get(name) for row in rows]

    missing = [c for c in INPUT_COLUMNS if c not in given]
    if missing:
        raise InputError(f"Input columns missing: {missing}.", field=missing[0], columns=missing)
    n = len(index)
    strings = np.empty((n, len(_STR)), dtype=object, order="F")
    for j, name in enumerate(_STR):
        strings[:, j] = _strings(name, read(name))
    flags = np.empty((n, len(_BOOL)), dtype=bool, order="F")
    for j, name in enumerate(_BOOL):
        flags[:, j] = _bools(name, read(name))
    numbers = _number_block(rows if frame is None else frame, given)
    _check_numbers(numbers)
    kept = {  # typed as a frame of the rows would type them
        # copied: the typed frame and the decisions must not share memory with the caller's
        name: np.array(read(name), copy=True) if frame is not None else _passed(read(name))
        for name in keep
        if name in given
    }
    return TypedInputs(index, strings, flags, numbers, kept)


def _passed(values: list[Any]) -> np.ndarray:
    """A pass-through column of rows, typed as pandas types it: text and nulls (the online
    references) straight into an ``object`` array, anything else through a Series."""
    if all(v is None or type(v) is str for v in values):
        out = np.empty(len(values), dtype=object)
        out[:] = values
        return out
    return pd.Series(values).to_numpy()


def input_frame(
    data: pd.DataFrame | Sequence[Mapping[str, Any]], *, keep: Sequence[str] = ()
) -> pd.DataFrame:
    """The typed input frame: :data:`INPUT_COLUMNS` then :data:`QIANHAI_COLUMNS`, in order;
    text columns as ``object``, flags as ``bool``, every number (survey counts included) as
    ``float64``; Qianhai features that are absent are NaN. ``keep`` names pass-through
    columns (such as ``household_id``) appended when present.

    ``data`` is a frame (batch, or a typed frame again) or a sequence of mappings (online
    rows, stored inputs: read without building an intermediate frame).

    Raises
    ------
    InputError
        A missing column or a value of the wrong type (``fields["field"]`` names it).
    """
    return typed_inputs(data, keep=keep).frame()


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


def _float_words(values: np.ndarray) -> np.ndarray:
    col = values + 0.0  # a copy with -0.0 as 0.0
    col[np.isnan(col)] = np.nan  # every NaN alike
    return col.view(np.uint64)


def _fold(acc: np.ndarray, words: Iterable[np.ndarray]) -> None:
    """In place, per word column: ``acc = ((acc ^ w) * mix) ^ (... >> 29)``."""
    shifted = np.empty_like(acc)
    with np.errstate(over="ignore"):
        for word in words:
            np.bitwise_xor(acc, word, out=acc)
            np.multiply(acc, _MIX, out=acc)
            np.right_shift(acc, np.uint64(29), out=shifted)
            np.bitwise_xor(acc, shifted, out=acc)


def _fold_rows(acc: np.ndarray, words: np.ndarray) -> np.ndarray:
    """The same fold, row by row in Python integers (a few rows: no numpy call per word)."""
    mask, mix = (1 << 64) - 1, int(_MIX)
    out = []
    for start, row in zip(acc.tolist(), words.tolist(), strict=True):
        h = start
        for w in row:
            h = ((h ^ w) * mix) & mask
            h ^= h >> 29
        out.append(h)
    return np.array(out, dtype=np.uint64)


def _digest(columns: Sequence[str]) -> str:
    return hashlib.sha256("\x1f".join(columns).encode()).hexdigest()[:8]


_DIGEST = _digest(INPUT_COLUMNS)
_DIGEST_QH = _digest(_TYPED_COLUMNS)
#: where each input column's word comes from: ("s", j) strings, ("f", j) flags, ("n", j) numbers
_SOURCES = [
    ("s", _STR.index(c)) if c in _STR else ("f", _BOOL.index(c)) if c in _BOOL else
    ("n", _BLOCK.index(c))
    for c in INPUT_COLUMNS
]  # fmt: skip
#: the same as positions in [strings | flags | numbers without Qianhai]
_ORDER = np.array(
    [
        j if k == "s" else len(_STR) + j if k == "f" else len(_STR) + len(_BOOL) + j
        for k, j in _SOURCES
    ],
    dtype=np.intp,
)


def _hash(strings: np.ndarray, flags: np.ndarray, numbers: np.ndarray) -> np.ndarray:
    """Per row, ``<columns digest>-<row hash>`` (see :func:`inputs_hash`)."""
    n = len(numbers)
    small = n <= _SMALL
    flat = strings.ravel(order="F")
    text = pd.util.hash_array(flat, categorize=not small).reshape(strings.shape, order="F")
    acc = np.full(n, 0xCBF29CE484222325, dtype=np.uint64)
    qh = numbers[:, len(_NUMERIC) :]
    with_qh = ~np.isnan(qh).all(axis=1)
    if small:
        plain = _float_words(numbers[:, : len(_NUMERIC)])
        words = np.concatenate([text, flags.astype(np.uint64), plain], axis=1)[:, _ORDER]
        acc = _fold_rows(acc, words)
        if with_qh.any():
            acc[with_qh] = _fold_rows(acc[with_qh], _float_words(qh[with_qh]))
        return np.array(
            [
                f"{_DIGEST_QH if q else _DIGEST}-{h:016x}"
                for q, h in zip(with_qh, acc.tolist(), strict=True)
            ]
        )

    def word(kind: str, j: int) -> np.ndarray:
        if kind == "s":
            return text[:, j]
        if kind == "f":
            return flags[:, j].astype(np.uint64)
        return _float_words(numbers[:, j])

    _fold(acc, (word(kind, j) for kind, j in _SOURCES))  # one column at a time: no big copy
    if with_qh.any():
        sub = acc[with_qh]
        _fold(sub, (_float_words(qh[with_qh, j]) for j in range(qh.shape[1])))
        acc[with_qh] = sub
    digests = np.where(with_qh, f"{_DIGEST_QH}-", f"{_DIGEST}-")
    return np.char.add(digests, _hex(acc[:, None]))


def inputs_hash(frame: pd.DataFrame) -> np.ndarray:
    """Per row, ``<columns digest>-<row hash>`` of the typed inputs (vectorised, stable).

    Numbers are hashed by their float64 bits (-0.0 as 0.0, every NaN alike), text by pandas'
    seeded hash; the words are folded in :data:`INPUT_COLUMNS` order. A row with at least one
    Qianhai value goes on folding :data:`QIANHAI_COLUMNS`; a row without (or a frame without
    the columns) keeps the hash it had before Qianhai inputs existed. The digest names the
    column list the hash covers.
    """
    read = column_reader(frame)
    n = len(frame)
    strings = np.empty((n, len(_STR)), dtype=object, order="F")
    for j, name in enumerate(_STR):
        strings[:, j] = np.asarray(read(name), dtype=object)
    flags = np.empty((n, len(_BOOL)), dtype=bool, order="F")
    for j, name in enumerate(_BOOL):
        flags[:, j] = np.asarray(read(name), dtype=bool)
    numbers, others = numeric_block(frame, _BLOCK)
    for name in others:
        numbers[:, _BLOCK_AT[name]] = np.asarray(read(name), dtype=np.float64)
    return _hash(strings, flags, numbers)
