"""Frames assembled from typed arrays in one step (the pipeline's hot path).

Building a one-row frame column by column costs pandas about 20 µs a column (a Series, an
index insert and a block per column), which made the frame plumbing of one online decision
cost more than the model. :func:`assemble` hands pandas the finished blocks instead: one 2-D
block per part (all the numbers of a part in one float64 block, for instance) placed at the
columns' positions, so a frame of 170 columns is built in tens of microseconds whatever its
row count, without copying the arrays. When pandas' block API is not there (another pandas
major version), the same frame is built with the public constructor.

>>> import numpy as np
>>> frame = assemble(
...     ["a", "b", "c"], pd.RangeIndex(2),
...     [(["a", "c"], np.array([[1.0, 2.0], [3.0, 4.0]])), (["b"], np.array(["x", "y"], dtype=object))],
... )
>>> frame.to_dict("list")
{'a': [1.0, 3.0], 'b': ['x', 'y'], 'c': [2.0, 4.0]}
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

try:  # pandas' pseudo-public block API (the one pyarrow uses)
    from pandas.core.internals import BlockManager
    from pandas.core.internals.api import make_block
except ImportError:  # pragma: no cover - another pandas major version
    BlockManager = None
    make_block = None

__all__ = [
    "Part",
    "assemble",
    "column_reader",
    "numeric_block",
    "plain",
    "plain_columns",
    "plain_parts",
]

#: ``(names, values)``: a 2-D array of shape ``(rows, len(names))`` of one dtype, or a 1-D
#: array (numpy or pandas extension array, e.g. tz-aware times) for a single name.
Part = tuple[Sequence[str], Any]


def _fallback(columns: Sequence[str], index: pd.Index, parts: Sequence[Part]) -> pd.DataFrame:
    data: dict[str, Any] = {}
    for names, values in parts:
        if getattr(values, "ndim", 1) == 2:
            data.update({name: values[:, i] for i, name in enumerate(names)})
        else:
            data[names[0]] = values
    return pd.DataFrame({name: data[name] for name in columns}, index=index, copy=False)


def assemble(columns: Sequence[str], index: pd.Index, parts: Sequence[Part]) -> pd.DataFrame:
    """The frame with ``columns`` (in this order) on ``index``, from ``parts``.

    Every column must be given by exactly one part. The arrays are used as they are (not
    copied): the caller must not change them afterwards.
    """
    labels, places = _layout(tuple(columns), tuple(tuple(names) for names, _ in parts))
    if make_block is None or BlockManager is None:  # pragma: no cover
        return _fallback(columns, index, parts)
    blocks = []
    for (_, values), at in zip(parts, places, strict=True):
        if getattr(values, "ndim", 1) == 2:
            blocks.append(make_block(values.T, placement=at))
        elif isinstance(values, np.ndarray):
            blocks.append(make_block(values.reshape(1, -1), placement=at))
        else:  # an extension array (one column)
            blocks.append(make_block(values, placement=at, ndim=2))
    # a view of the cached labels (a new Index object on the same immutable array, ~1 µs
    # where a shallow copy takes 5): a caller renaming its frame's axis changes only its own
    manager = BlockManager(blocks, [labels.view(), index])
    return pd.DataFrame._from_mgr(manager, axes=manager.axes)


@lru_cache(maxsize=64)
def _layout(
    columns: tuple[str, ...], names: tuple[tuple[str, ...], ...]
) -> tuple[pd.Index, list[np.ndarray]]:
    """The checked layout of a frame: its column labels and each part's column positions
    (the same few layouts come back on every request: checked and placed once, ~45 µs of a
    one-row frame's 60)."""
    position = {name: i for i, name in enumerate(columns)}
    given = [name for part in names for name in part]
    if sorted(given) != sorted(columns) or len(position) != len(columns):
        raise ValueError(f"assemble: the parts give {given}, the columns are {list(columns)}")
    places = [np.array([position[name] for name in part], dtype=np.intp) for part in names]
    for at in places:
        at.flags.writeable = False  # shared by every frame of this layout
    return _labels(columns), places


@lru_cache(maxsize=64)
def _labels(columns: tuple[str, ...]) -> pd.Index:
    """One (immutable) column index per column list, shared by the frames that have it."""
    return pd.Index(list(columns))


#: up to this many rows, blocks are copied with one fancy index (else column by column)
_FEW_ROWS = 64
_POSITIONS: dict[tuple[int, int], tuple[Any, tuple[str, ...], np.ndarray]] = {}


def _positions(columns: pd.Index, names: tuple[str, ...]) -> np.ndarray:
    """``columns.get_indexer(names)`` (~36 µs for 140 of 170 labels), remembered for the
    label arrays seen last. Keyed by the labels' storage, not the ``Index`` object: every
    frame :func:`assemble` makes has its own shallow copy of the cached labels, sharing one
    array (an ``Index`` is immutable, so the same array means the same labels)."""
    labels = getattr(columns, "_values", columns)
    key = (id(labels), id(names))
    hit = _POSITIONS.get(key)
    if hit is not None and hit[0] is labels and hit[1] is names:
        return hit[2]
    found = columns.get_indexer(list(names))
    if len(_POSITIONS) > 64:
        _POSITIONS.clear()
    _POSITIONS[key] = (labels, names, found)
    return found


def numeric_block(frame: pd.DataFrame, names: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
    """The columns ``names`` as one column-major float64 block, read block by block from
    pandas' storage (absent columns are NaN), and the names whose values are not plain numpy
    numbers (left NaN: the caller converts them)."""
    n = len(frame)
    manager: Any = getattr(frame, "_mgr", None)
    if not frame.columns.is_unique or not hasattr(manager, "blknos"):  # pragma: no cover
        out = np.full((n, len(names)), np.nan, order="F")
        read = column_reader(frame)
        present = set(frame.columns)
        for j, name in enumerate(names):
            if name in present:
                out[:, j] = read(name)
        return out, []
    where = _positions(frame.columns, names)
    slots = np.flatnonzero(where >= 0)
    out = np.empty((n, len(names)), order="F")
    out[:, where < 0] = np.nan
    blknos = manager.blknos[where[slots]]
    blklocs = manager.blklocs[where[slots]]
    others: list[str] = []
    for number in np.unique(blknos):
        chosen = blknos == number
        values = manager.blocks[number].values
        if not (isinstance(values, np.ndarray) and values.dtype.kind in "biuf"):
            others += [names[j] for j in slots[chosen]]
            out[:, slots[chosen]] = np.nan
        elif n <= _FEW_ROWS:  # one fancy-indexed copy
            out[:, slots[chosen]] = values[blklocs[chosen]].T
        else:  # column by column: contiguous copies
            for j, k in zip(slots[chosen].tolist(), blklocs[chosen].tolist(), strict=True):
                out[:, j] = values[k]
    return out, others


def column_reader(frame: pd.DataFrame) -> Any:
    """``read(name)``: a column's values as pandas stores them (a numpy array or an extension
    array; read-only use), without building a Series per column."""
    columns = frame.columns
    get = getattr(frame, "_get_column_array", None)
    if get is None or not columns.is_unique:  # pragma: no cover - duplicates or old pandas
        return lambda name: frame[name].array
    locate = columns.get_loc

    def read(name: str) -> Any:
        return get(locate(name))

    return read


def plain(value: Any) -> Any:
    """A JSON-ready scalar: numpy → Python, NaN → ``None`` (other values as they are)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


#: Frames up to this many rows are read block by block (a few blocks instead of one read
#: per column: the one-row frames of the online path).
_FEW_PLAIN = 8


def plain_columns(
    frame: pd.DataFrame, names: Sequence[str], present: Collection[str] | None = None
) -> dict[str, list[Any]]:
    """The columns ``names`` of ``frame`` (those it has; ``present``: its column names, when
    the caller has them) as lists of plain Python values (:func:`plain`)."""
    if present is None:
        present = set(frame.columns)
    wanted = [name for name in names if name in present]
    if len(frame) <= _FEW_PLAIN and frame.columns.is_unique:
        blocks = getattr(getattr(frame, "_mgr", None), "blocks", None)
        if blocks is not None:
            return _plain_by_block(frame, blocks, wanted)
    read = column_reader(frame)
    return {name: _plain_values(read(name)) for name in wanted}


def plain_parts(parts: Sequence[Part]) -> dict[str, list[Any]]:
    """Each column of ``parts`` (see :func:`assemble`) as a list of plain Python values:
    what :func:`plain_columns` reads from the frame they assemble, without building it."""
    out: dict[str, list[Any]] = {}
    for names, values in parts:
        if getattr(values, "ndim", 1) == 2:
            kind = values.dtype.kind
            for name, column in zip(names, values.T.tolist(), strict=True):
                out[name] = _plain_list(column, kind)
        else:
            out[names[0]] = _plain_values(values)
    return out


def _plain_by_block(frame: pd.DataFrame, blocks: Any, wanted: list[str]) -> dict[str, list[Any]]:
    """:func:`plain_columns` of a small frame from pandas' blocks: each 2-D numpy block is
    converted at once (``tolist``: a list per column), an extension block's column alone."""
    labels = frame.columns.tolist()
    keep = set(wanted)
    found: dict[str, list[Any]] = {}
    for block in blocks:
        names = [labels[k] for k in block.mgr_locs.as_array.tolist()]
        if not keep.intersection(names):
            continue
        values = block.values
        if isinstance(values, np.ndarray) and values.ndim == 2:
            kind = values.dtype.kind
            for name, column in zip(names, values.tolist(), strict=True):
                if name in keep:
                    found[name] = _plain_list(column, kind)
        else:  # an extension array: 1-D, or 2-D with one row per column (tz-aware times)
            columns = values if getattr(values, "ndim", 1) == 2 else [values]
            for name, column in zip(names, columns, strict=True):
                if name in keep:
                    found[name] = _plain_values(column)
    return {name: found[name] for name in wanted}


def _plain_values(values: Any) -> list[Any]:
    """Python scalars (``tolist`` of numpy arrays), NaN as ``None``."""
    kind = getattr(getattr(values, "dtype", None), "kind", "O")
    return _plain_list(values.tolist() if hasattr(values, "tolist") else list(values), kind)


def _plain_list(values: list[Any], kind: str) -> list[Any]:
    """``values`` (``tolist`` of an array of dtype kind ``kind``) with NaN as ``None``."""
    if kind in "biu":  # plain Python ints and bools already
        return values
    if kind == "f":
        return [None if v != v else v for v in values]
    return [plain(v) for v in values]
