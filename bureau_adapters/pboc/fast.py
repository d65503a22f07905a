"""Report bytes → ``pboc-features/1`` without building the typed report (the fast path).

:func:`features_from_bytes` gives exactly ``personal_features(parse_report(data))`` and
:func:`features_frame_from_bytes` exactly the rows of those dicts as one frame (same
columns, dtypes and index as :func:`~bureau_adapters.pboc.features.features_frame`), at a
fraction of the cost: one hardened parse (:func:`bureau_adapters.xml.parse_xml`, every
limit kept), one walk over the elements the catalog reads
(:func:`bureau_adapters.pboc.lite.lite_report`), plain-Python windows
(:mod:`bureau_adapters.pboc.single`). Errors are those of the typed path, raised in the
same order: every input that ``parse_report`` refuses is refused here with the same
:class:`~bureau_adapters.exceptions.BureauError` code, and an enterprise report gives
``PBOC_NOT_PERSONAL`` as ``personal_features`` does.

Use it wherever only features are needed (scoring, re-rating, ``features --csv``); use
:func:`~bureau_adapters.pboc.parse_report` when the report itself is needed.

>>> from bureau_adapters.pboc import features_from_bytes          # doctest: +SKIP
>>> features_from_bytes(envelope_bytes)["n_accounts"]              # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NoReturn

import numpy as np
import pandas as pd
from lxml import etree

from bureau_adapters.exceptions import MalformedReportError
from bureau_adapters.pboc.envelope import report_root
from bureau_adapters.pboc.features import (
    _INT_FEATURES,
    FEATURE_NAMES,
    _check,
    _ordered,
    feature_dict,
)
from bureau_adapters.pboc.lite import LiteReport, lite_report
from bureau_adapters.pboc.rawread import raw_lite_report
from bureau_adapters.pboc.single import report_values
from bureau_adapters.xml import DEFAULT_MAX_BYTES

__all__ = ["features_frame_from_bytes", "features_from_bytes", "lite_from_bytes"]


def lite_from_bytes(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> LiteReport:
    """The light report (:mod:`bureau_adapters.pboc.lite`) of a personal report's bytes."""
    root = report_root(data, max_bytes=max_bytes)
    if root.tag != "Document" or next(root.iterchildren("PRH"), None) is None:
        _not_personal(root)
    return raw_lite_report(root) or lite_report(root)


def _not_personal(root: etree._Element) -> NoReturn:
    """Raise what ``personal_features(parse_report(...))`` raises for this root:
    ``PBOC_NOT_REPORT``, an error of the enterprise parser, or ``PBOC_NOT_PERSONAL``."""
    from bureau_adapters.pboc import report_from_root

    _check(report_from_root(root))
    raise MalformedReportError(  # not reached: _check refuses every enterprise report
        "PBOC personal features need a personal report.", code="PBOC_NOT_PERSONAL"
    )


def features_from_bytes(
    data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> dict[str, float | int | None]:
    """All ``pboc-features/1`` features of one personal report, straight from its bytes.

    Parameters
    ----------
    data : bytes
        A query envelope (with or without its header line) or a bare ``<Document>``.
    max_bytes : int
        Largest accepted input (and decoded report), checked before parsing.

    Returns
    -------
    dict
        Exactly ``personal_features(parse_report(data))``: feature name → ``int``, ``float``
        or ``None``, in catalog order.

    Raises
    ------
    BureauError
        The codes of :func:`~bureau_adapters.pboc.parse_report` (``XML_*``, ``PBOC_*``,
        :class:`~bureau_adapters.exceptions.BureauRejected` for error answers) and
        ``PBOC_NOT_PERSONAL`` for an enterprise report.
    """
    report = lite_from_bytes(data, max_bytes=max_bytes)
    return feature_dict(report_values(report, report.accounts))


def features_frame_from_bytes(
    reports: Iterable[bytes], *, max_bytes: int = DEFAULT_MAX_BYTES
) -> pd.DataFrame:
    """Features of many personal reports' bytes: one row per report, in input order.

    The same frame as :func:`~bureau_adapters.pboc.features.features_frame` (indexed by
    ``report_id``, columns in catalog order, ``int64`` integer features, NaN for missing),
    each row equal to :func:`features_from_bytes` of its input. The first input that
    cannot be read raises its coded error.
    """
    ids: list[str] = []
    rows: list[Sequence[float]] = []
    for data in reports:
        report = lite_from_bytes(data, max_bytes=max_bytes)
        values = report_values(report, report.accounts)
        ids.append(report.report_id)
        rows.append(_ordered(values))
    return frame_of_rows(ids, rows)


def frame_of_rows(ids: list[str], rows: list[Sequence[float]]) -> pd.DataFrame:
    """Catalog-ordered value rows (NaN for missing) → the features frame."""
    table = np.array(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))
    return pd.DataFrame(
        {
            name: table[:, i].astype(np.int64) if name in _INT_FEATURES else table[:, i].copy()
            for i, name in enumerate(FEATURE_NAMES)
        },
        index=pd.Index(ids, name="report_id", dtype=object),
    )
