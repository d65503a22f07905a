"""The pandas edges of the limit engine: read a frame's columns, build the result frame.

The engine computes on numpy arrays. On a one-row frame, what costs is pandas' general
machinery around them: a Series built per column read, a column inserted per
``frame[name] = ...``, dtype inference. These two helpers skip it where that is safe and fall
back to the public API elsewhere, with the same values either way:

- :func:`column_reader` reads a column's array as the frame stores it (a read-only view:
  the engine never writes into it) through pandas' block look-up.
- :func:`new_frame` builds a small result from its blocks (one 2-D array per dtype, through
  pandas' pseudo-public ``pandas.core.internals.api.make_block``, the API pandas keeps for
  pyarrow), so no column is sanitised, inferred or consolidated on the way.

They use ``DataFrame._get_column_array``, ``BlockManager`` and ``DataFrame._from_mgr``
(pandas is pinned to 2.x, see ``pyproject.toml``); without them the public path runs, and
``tests/credit_limit/test_frames.py`` checks both paths give the same result.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray

from credit_limit.exceptions import LimitInputError

__all__ = ["SMALL", "array_reader", "column_reader", "copy_of", "new_frame"]

try:
    from pandas._libs.internals import BlockPlacement
    from pandas.core.internals import BlockManager
    from pandas.core.internals.api import make_block
except ImportError:  # pragma: no cover - another pandas: the public path
    FAST = False
else:
    #: Whether the fast pandas internals are used (a test switches them off).
    FAST = hasattr(pd.DataFrame, "_get_column_array") and hasattr(pd.DataFrame, "_from_mgr")

#: Up to this many rows a new frame's columns of one dtype are joined into one block (a cheap
#: copy); above it every column stays the array it is.
SMALL = 4096


def column_reader(frame: pd.DataFrame) -> Callable[[str], Any]:
    """``read(name)``: the values of column ``name`` (ndarray or ExtensionArray), not copied.

    ``name`` must occur once in the frame's columns.

    Examples
    --------
    >>> read = column_reader(pd.DataFrame({"a": [1.5, 2.0], "b": ["x", "y"]}))
    >>> read("a")
    array([1.5, 2. ])
    """
    if not FAST:
        return lambda name: _values(frame[name])
    get_loc, get_array = frame.columns.get_loc, frame._get_column_array
    return lambda name: get_array(get_loc(name))


def array_reader(columns: Mapping[str, Any]) -> tuple[Callable[[str], Any], int]:
    """``read(name)`` for named columns (numpy or pandas arrays, Series or lists), and ``n``.

    ``n`` is the length of the first column; ``read`` refuses a column of another length.

    Examples
    --------
    >>> read, n = array_reader({"a": np.array([1.5, 2.0]), "b": ["x", "y"]})
    >>> n, read("b")
    (2, array(['x', 'y'], dtype=object))
    """
    n = len(_array(next(iter(columns.values()), ())))

    def read(name: str) -> Any:
        values = _array(columns[name])
        if values.ndim != 1 or len(values) != n:
            raise LimitInputError(
                f"Column '{name}' must hold {n} values (one per household), "
                f"found shape {values.shape}",
                column=name,
            )
        return values

    return read, n


def _array(values: Any) -> Any:
    """A numpy or pandas array as is; a Series' values; anything else as pandas types it."""
    if isinstance(values, (np.ndarray, ExtensionArray)):
        return values
    return _values(values if isinstance(values, pd.Series) else pd.Series(values))


def _values(series: pd.Series) -> Any:
    """What :func:`column_reader` returns, through the public API (a Series per column)."""
    return series.to_numpy() if isinstance(series.dtype, np.dtype) else series.array


def copy_of(values: Any) -> Any:
    """A copy of what :func:`column_reader` returned, as ``Series.to_numpy`` would give it."""
    if isinstance(values, np.ndarray):
        return values.copy()
    return values.to_numpy(copy=True)


def new_frame(names: Sequence[str], arrays: Sequence[Any], index: pd.Index) -> pd.DataFrame:
    """A frame of the columns ``names`` holding ``arrays`` (1-D, each of ``len(index)``).

    Examples
    --------
    >>> new_frame(["n", "x"], [np.array([1, 2]), np.array([0.5, 1.5])], pd.RangeIndex(2))
       n    x
    0  1  0.5
    1  2  1.5
    """
    if not FAST or len(index) > SMALL:  # no copy: one block per column, as given
        return pd.DataFrame(dict(zip(names, arrays, strict=True)), index=index, copy=False)
    by_dtype: dict[np.dtype[Any], list[int]] = {}
    blocks = []
    for at, values in enumerate(arrays):
        if isinstance(values, np.ndarray):
            by_dtype.setdefault(values.dtype, []).append(at)
        else:  # an extension array (such as the categorical binding): a block of its own
            blocks.append(make_block(values, BlockPlacement(slice(at, at + 1)), ndim=2))
    for dtype, at_list in by_dtype.items():
        stacked = np.stack([arrays[at] for at in at_list]).astype(dtype, copy=False)
        blocks.append(make_block(stacked, BlockPlacement(np.array(at_list, dtype=np.intp)), ndim=2))
    labels = _columns(tuple(names)).copy(deep=False)  # the cached index is never handed out
    manager = BlockManager(tuple(blocks), [labels, index], verify_integrity=False)
    return pd.DataFrame._from_mgr(manager, axes=manager.axes)


@functools.lru_cache(maxsize=16)
def _columns(names: tuple[str, ...]) -> pd.Index:
    """The column index of a result (one of a handful of shapes), built once."""
    return pd.Index(names, dtype=object)
