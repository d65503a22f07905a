"""Reason codes (理由码): why a household did not score better, in the bank's words.

For each household the reasons are ranked by **points shortfall**: the best bin's points of a
feature minus the points the household got on it (adverse-action practice, doc §6). Fired
knockouts come first, in rule order. Codes are stable and their Chinese and English texts come
from a catalog (``config/reason_codes.yaml``), so a complaint handler and a regulator read the
same thing the model computed.

Examples
--------
>>> import pandas as pd
>>> points = pd.DataFrame({"age": [10.0, 4.0], "income": [5.0, 20.0]})
>>> best = pd.Series({"age": 10.0, "income": 25.0})
>>> top_reasons(points, best, codes={"age": "R101", "income": "R301"}, n_reasons=2).values.tolist()
[['R301', ''], ['R101', 'R301']]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rating_models.exceptions import InvalidDataError, SpecError

__all__ = [
    "ReasonCatalog",
    "ReasonRanker",
    "ReasonText",
    "reasons_from_shortfall",
    "top_codes",
    "top_reasons",
]

SCHEMA_VERSION = 1
_TOLERANCE = 1e-9
_FEW_ROWS = 64


@dataclass(frozen=True)
class ReasonText:
    """One catalog entry: a stable code, its texts and what it explains."""

    code: str
    zh: str
    en: str
    features: tuple[str, ...] = ()
    knockout: str | None = None


@dataclass(frozen=True)
class ReasonCatalog:
    """Stable reason codes with Chinese and English texts.

    Each entry explains either features (by name: survey columns, bureau features, expert
    indicators) or one knockout rule (by its code). A feature not in the catalog still gets a
    specific reason: code ``X:<feature>`` with a text naming the feature.
    """

    version: str
    entries: tuple[ReasonText, ...]
    schema_version: int = SCHEMA_VERSION
    _by_feature: dict[str, str] = field(init=False, repr=False, compare=False)
    _by_code: dict[str, ReasonText] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_feature: dict[str, str] = {}
        seen: set[str] = set()
        errors: list[str] = []
        for e in self.entries:
            if e.code in seen:
                errors.append(f"reason code '{e.code}' appears twice")
            seen.add(e.code)
            for f in e.features:
                if f in by_feature:
                    errors.append(
                        f"feature '{f}' is explained by both '{by_feature[f]}' and '{e.code}'"
                    )
                by_feature[f] = e.code
        if errors:
            raise SpecError("Invalid reason catalog: " + "; ".join(errors), errors=errors)
        object.__setattr__(self, "_by_feature", by_feature)
        object.__setattr__(self, "_by_code", {e.code: e for e in self.entries})

    def code_for_feature(self, feature: str) -> str:
        """The code explaining ``feature`` (``X:<feature>`` when the catalog has none)."""
        return self._by_feature.get(feature, f"X:{feature}")

    def codes_for(self, features: Sequence[str]) -> dict[str, str]:
        """``{feature: code}`` for every feature, in the given order."""
        return {f: self.code_for_feature(f) for f in features}

    def missing_features(self, features: Sequence[str]) -> list[str]:
        """Features the catalog does not explain (they would get generic ``X:`` codes)."""
        return [f for f in features if f not in self._by_feature]

    def text(self, code: str, lang: str = "zh") -> str:
        """Text of a code in ``"zh"`` or ``"en"``; empty for an empty code."""
        if lang not in ("zh", "en"):
            raise InvalidDataError(f"'lang' must be 'zh' or 'en'. Got {lang!r}.", field="lang")
        if not code:
            return ""
        entry = self._by_code.get(code)
        if entry is not None:
            return entry.zh if lang == "zh" else entry.en
        if code.startswith("X:"):
            feature = code[2:]
            return (
                f"指标「{feature}」得分低于最优档"
                if lang == "zh"
                else f"{feature} scored below its best band"
            )
        raise InvalidDataError(
            f"Reason code '{code}' is not in catalog {self.version}.", code_value=code
        )

    def texts(self, codes: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
        """The same frame with every code replaced by its text."""
        lookup = {c: self.text(c, lang) for c in pd.unique(codes.to_numpy().ravel())}
        return codes.apply(lambda col: col.map(lookup))

    def joined(self, codes: pd.DataFrame, lang: str = "zh") -> pd.Series:
        """One text per row: the texts of its codes, in order, joined (``；`` or ``; ``).

        Rows are grouped by their combination of codes, so each distinct combination is
        joined once (a book of a million households has a few thousand combinations).
        """
        texts = self.joined_values(codes.to_numpy(dtype=object), lang)
        return pd.Series(texts, index=codes.index, name=f"reasons_{lang}")

    def joined_values(self, codes: np.ndarray, lang: str = "zh") -> np.ndarray:
        """:meth:`joined` on a (rows x reasons) object array of codes: an object array."""
        sep = "；" if lang == "zh" else "; "
        if len(codes) <= _FEW_ROWS:  # an online request: grouping costs more than it saves
            texts = np.empty(len(codes), dtype=object)
            texts[:] = [sep.join(self.text(c, lang) for c in row if c) for row in codes.tolist()]
            return texts
        keys = np.zeros(len(codes), dtype=np.int64)
        for j in range(codes.shape[1]):
            idx, levels = pd.factorize(codes[:, j])
            # re-factorise after each column so the combined key stays below the row count
            keys = pd.factorize(keys * (len(levels) + 1) + idx + 1)[0].astype(np.int64)
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rows = codes[first]
        texts = np.asarray(
            [sep.join(self.text(c, lang) for c in row if c) for row in rows.tolist()], dtype=object
        )
        return texts[inverse.ravel()]

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ReasonCatalog:
        """Validate a catalog (the parsed YAML); every problem is named at once."""
        errors: list[str] = []
        if data.get("schema_version") != SCHEMA_VERSION:
            errors.append(
                f"'schema_version' must be {SCHEMA_VERSION}. Got {data.get('schema_version')!r}"
            )
        if not isinstance(data.get("version"), str):
            errors.append("'version' is required and must be a string")
        items = data.get("reasons")
        if not isinstance(items, list) or not items:
            errors.append("'reasons' must be a non-empty list")
            items = []
        entries = []
        for i, item in enumerate(items):
            where = f"reasons[{i}]"
            if not isinstance(item, Mapping):
                errors.append(f"{where} must be a mapping")
                continue
            unknown = sorted(set(item) - {"code", "zh", "en", "features", "knockout"})
            errors += [f"{where}: unknown key '{k}'" for k in unknown]
            for key in ("code", "zh", "en"):
                if not isinstance(item.get(key), str) or not item.get(key):
                    errors.append(f"{where}: '{key}' is required and must be a non-empty string")
            feats = item.get("features", [])
            if not isinstance(feats, list) or not all(isinstance(f, str) for f in feats):
                errors.append(f"{where}: 'features' must be a list of names")
                feats = []
            if not feats and not item.get("knockout"):
                errors.append(f"{where}: needs 'features' or 'knockout'")
            entries.append(
                ReasonText(
                    str(item.get("code")),
                    str(item.get("zh")),
                    str(item.get("en")),
                    tuple(feats),
                    item.get("knockout"),
                )
            )
        if errors:
            raise SpecError("Invalid reason catalog: " + "; ".join(errors), errors=errors)
        return cls(version=str(data["version"]), entries=tuple(entries))

    @classmethod
    def from_yaml(cls, path: str | Path) -> ReasonCatalog:
        """Read and validate ``config/reason_codes.yaml`` (or another catalog file)."""
        import yaml

        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(f"Cannot read reason catalog {path}: {exc}", path=str(path)) from exc
        if not isinstance(data, Mapping):
            raise SpecError(f"Reason catalog {path} must be a mapping.", path=str(path))
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """Plain form (as in the YAML file)."""
        reasons: list[dict[str, Any]] = []
        for e in self.entries:
            item: dict[str, Any] = {"code": e.code, "zh": e.zh, "en": e.en}
            if e.features:
                item["features"] = list(e.features)
            if e.knockout:
                item["knockout"] = e.knockout
            reasons.append(item)
        return {"schema_version": self.schema_version, "version": self.version, "reasons": reasons}


def top_reasons(
    points: pd.DataFrame,
    best_points: pd.Series | Mapping[str, float],
    *,
    codes: Mapping[str, str],
    knockouts: pd.DataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    n_reasons: int = 4,
) -> pd.DataFrame:
    """The top ``n_reasons`` reason codes of every row.

    Parameters
    ----------
    points : pandas.DataFrame
        Points of each feature (columns) for each row.
    best_points : Series or mapping
        Each feature's best-bin points.
    codes : mapping
        Feature -> reason code (several features may share a code; a code appears once per
        row, at its largest shortfall).
    knockouts : pandas.DataFrame, optional
        One bool column per fired-rule code (:func:`evaluate_knockouts`); fired rules lead.
    weights : mapping, optional
        Multiplier of each feature's shortfall (e.g. log-odds per point, to rank features of
        two cards together). Default 1.
    n_reasons : int
        How many reasons (default 4, as FICO and Regulation B practice).

    Returns
    -------
    pandas.DataFrame
        ``reason_1 … reason_n`` (codes; empty string where there are fewer reasons), on the
        index of ``points``. Ties keep the order of the columns of ``points``.
    """
    features = list(points.columns)
    missing = [f for f in features if f not in best_points or f not in codes]
    if missing:
        raise InvalidDataError(
            f"Best points or codes are missing for features {missing}.", features=missing
        )
    best = np.asarray([float(best_points[f]) for f in features])
    w = np.asarray([float((weights or {}).get(f, 1.0)) for f in features])
    shortfall = np.maximum(best - points.to_numpy(dtype=np.float64), 0.0) * w
    frame = pd.DataFrame(shortfall, index=points.index, columns=features)
    return reasons_from_shortfall(
        frame, [codes[f] for f in features], knockouts=knockouts, n_reasons=n_reasons
    )


def reasons_from_shortfall(
    shortfall: pd.DataFrame,
    codes: Sequence[str],
    *,
    knockouts: pd.DataFrame | None = None,
    n_reasons: int = 4,
) -> pd.DataFrame:
    """The top reasons from a ready shortfall matrix (one column per feature, ``codes`` aligned).

    Use it when shortfalls are weighted row by row, e.g. by the card that decided each row.
    """
    values = shortfall.to_numpy(dtype=np.float64)
    labels = list(codes)
    if len(labels) != values.shape[1]:
        raise InvalidDataError("One reason code per shortfall column is needed.")
    if knockouts is not None and knockouts.shape[1]:
        if len(knockouts) != len(shortfall):
            raise InvalidDataError("Knockout flags and points must have the same rows.")
        ko = np.where(knockouts.to_numpy(dtype=bool), np.inf, 0.0)
        values = np.hstack([ko, values])
        labels = [str(c) for c in knockouts.columns] + labels
    columns = [f"reason_{i + 1}" for i in range(n_reasons)]
    names = top_codes(values, labels, n_reasons)
    return pd.DataFrame(names, index=shortfall.index, columns=columns)


def top_codes(values: np.ndarray, labels: Sequence[str], n_reasons: int) -> np.ndarray:
    """Codes (object array, rows x ``n_reasons``) of the largest shortfalls of each row.

    The engine of :func:`reasons_from_shortfall` on a ready matrix (``labels`` one per
    column): a code counts once per row, at its largest shortfall; largest first, ties in
    column order; empty strings where a row has fewer reasons. Callers ranking many matrices
    with the same labels keep a :class:`ReasonRanker` instead.
    """
    return ReasonRanker(labels).top(values, n_reasons)


class ReasonRanker:
    """:func:`top_codes` with its labels prepared once (shared codes, the code array).

    The names equal those of the first ``n_reasons`` of a stable descending sort: a value at
    or below the tolerance (or NaN) never names a reason, so all such values become one low
    marker. A big matrix takes ``n_reasons`` passes of a row-wise ``argmax`` (first of equal
    maxima) instead of the sort; a few rows take the sort itself and walk each row's order.
    """

    def __init__(self, labels: Sequence[str]) -> None:
        self.labels = tuple(labels)
        groups: dict[str, list[int]] = {}
        for j, code in enumerate(self.labels):
            groups.setdefault(code, []).append(j)
        self._shared = tuple(np.asarray(cols) for cols in groups.values() if len(cols) > 1)
        self._names = np.asarray([*self.labels, ""], dtype=object)
        first = {code: cols[0] for code, cols in groups.items()}
        self._code_of = [first[code] for code in self.labels]  # one id per distinct code

    def top(self, values: np.ndarray, n_reasons: int, *, overwrite: bool = False) -> np.ndarray:
        """Codes of the ``n_reasons`` largest shortfalls of each row of ``values``.

        ``overwrite=True`` lets a NaN-free C-contiguous ``values`` be used as the scratch
        matrix (no copy of a big matrix); its content is undefined afterwards.
        """
        return self.names[self.indices(values, n_reasons, overwrite=overwrite)]

    @property
    def names(self) -> np.ndarray:
        """The labels as an object array, then ``""`` (what index ``len(labels)`` names)."""
        return self._names

    def indices(self, values: np.ndarray, n_reasons: int, *, overwrite: bool = False) -> np.ndarray:
        """:meth:`top` as column indices into :attr:`names` (``len(labels)``: no reason)."""
        if values.ndim != 2 or values.shape[1] != len(self.labels):
            raise InvalidDataError("One reason code per shortfall column is needed.")
        has_nan = bool(np.isnan(values).any())
        if 0 < values.shape[0] <= _FEW_ROWS and not has_nan:
            return self._top_few(values, n_reasons)
        return self.pick(values, n_reasons, overwrite=overwrite and not has_nan)

    def pick(self, values: np.ndarray, n_reasons: int, *, overwrite: bool = False) -> np.ndarray:
        """Column of each of the ``n_reasons`` reasons of each row (``len(labels)``: none).

        ``overwrite=True`` needs NaN-free values: then values at or below the tolerance need
        no marker (the first one a pass meets ends the row's reasons), and ``values`` itself,
        if C-contiguous, is the scratch matrix.
        """
        n, width = values.shape
        if overwrite:
            work = values if values.flags.c_contiguous else np.ascontiguousarray(values)
        else:
            work = np.ascontiguousarray(np.where(values > _TOLERANCE, values, -1.0))
        rows = np.arange(n)
        flat = work.reshape(-1)  # a view: row r, column j at r * width + j
        at = rows * width
        for cols in self._shared:  # a shared code keeps only its largest shortfall
            first, last = int(cols[0]), int(cols[-1])
            if overwrite and last - first + 1 == cols.size:  # adjacent columns: a view
                group = work[:, first : last + 1]
                keep = at + first + group.argmax(axis=1)
                kept = flat[keep]
                group[...] = -np.inf
                flat[keep] = kept
            else:
                keep = cols[np.argmax(values[:, cols], axis=1)]
                kept = work[rows, keep]
                work[:, cols] = -1.0
                work[rows, keep] = kept
        none = width  # index of the empty code
        picked = np.full((n, n_reasons), none, dtype=np.intp)
        for i in range(min(n_reasons, width) if n else 0):
            best = work.argmax(axis=1)  # the first of equal maxima, row by row
            where = at + best
            picked[:, i] = np.where(flat[where] > _TOLERANCE, best, none)
            flat[where] = -np.inf  # below every value: never taken twice
        return picked

    def _top_few(self, values: np.ndarray, n_reasons: int) -> np.ndarray:
        """The same codes for a few NaN-free rows: one stable sort, then a short walk per row."""
        work = np.where(values > _TOLERANCE, values, -1.0)
        order = np.argsort(-work, axis=1, kind="stable")
        out = np.full((work.shape[0], n_reasons), len(self.labels), dtype=np.intp)
        code_of = self._code_of
        for r, (row_order, row) in enumerate(zip(order.tolist(), work.tolist(), strict=True)):
            seen: set[int] = set()
            for j in row_order:
                if row[j] <= _TOLERANCE or len(seen) == n_reasons:
                    break
                if code_of[j] not in seen:  # a shared code counts at its largest shortfall
                    out[r, len(seen)] = j
                    seen.add(code_of[j])
        return out
