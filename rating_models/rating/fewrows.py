"""The rating engine's path for a few rows (an online request): plain Python per row.

On a one-row frame every numpy call costs about a microsecond whatever its size, and the
array engine makes a few hundred of them (bins, points, PD, combination, knockouts, reasons),
plus one pandas column look-up per input. :class:`FewRows` reads the rows' values once, block
by block from the frame's storage, then bins, adds, grades and ranks each row in plain Python
on the card's tables prepared once per engine. The only numpy call per frame is the card's PD
(its ``exp`` must be numpy's, so the bits are those of a big batch).

It gives the array engine's values bit for bit (``tests/rating_models/test_fewrows.py``
compares them on random rows). Whatever it does not cover returns ``None`` and the array
engine rates the frame: an expert card, a column that is neither a plain numpy number nor
text, a NaN in the shortfalls, a PD outside [0, 1], a grade the calibration does not know.
Floats are compared and added as numpy does on float64: Python floats are the same IEEE
doubles, and every operation here (``+``, ``-``, ``*``, comparisons) is exactly rounded.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from rating_models.binning.bins import _is_missing
from rating_models.rating.combine import ESCALATE_REASONS, _check_params
from rating_models.rating.reasons import _TOLERANCE

if TYPE_CHECKING:
    from rating_models.rating.engine import RatingEngine

__all__ = ["FEW", "FewRows"]

#: up to this many rows, a frame is rated row by row in Python (measured break-even: ~10)
FEW = 8
_NUMBER_KINDS = frozenset("fiub")
#: blocks to read (block number, rows of it) and the function ordering the values read
_Plan = tuple[list[tuple[int, NDArray[np.intp]]], Any]


class _Unsupported(Exception):
    """A knockout rule this path does not evaluate (the engine keeps the array engine)."""


class _Feature:
    """One statistical-card feature's bins as Python tables."""

    __slots__ = (
        "at",
        "edges",
        "lookup",
        "missing",
        "numeric",
        "points",
        "sorted",
        "specials",
        "unseen",
    )

    def __init__(self, fb: Any, points: NDArray[np.float64], at: int) -> None:
        self.at = at  # position among the engine's input columns
        self.numeric = fb.kind == "numeric"
        self.points: list[float] = points.tolist()
        self.missing = int(fb.missing_index)
        if self.numeric:
            self.edges: list[float] = fb.edges.tolist()
            # bisect counts the edges at or below a value only when they ascend
            self.sorted = all(a <= b for a, b in zip(self.edges, self.edges[1:], strict=False))
            self.specials = [(i, tuple(v.tolist())) for i, v in fb.specials]
        else:
            self.lookup: dict[str, int] = fb._category_lookup
            self.unseen = int(fb._category_table[1][-1])

    def bin(self, value: Any) -> int:
        """The bin of one value (the array engine's ``_few_numeric`` / ``_index_few``)."""
        if self.numeric:
            x = float(value)
            if x != x:  # NaN
                idx = self.missing
            elif self.sorted:
                idx = bisect.bisect_right(self.edges, x)
            else:
                idx = sum(1 for e in self.edges if x >= e)
            for i, values in self.specials:  # later special bins win, as in bin order
                if x in values:  # == on floats (NaN never matches)
                    idx = i
            return idx
        if isinstance(value, str):
            return self.lookup.get(value, self.unseen)
        if _is_missing(value):
            return self.missing
        return self.lookup.get(str(value), self.unseen)


class _Rule:
    """One knockout rule on a plain numeric column, as Python comparisons."""

    __slots__ = ("at", "fire_missing", "high", "low", "op")

    def __init__(self, rule: Any, at: int) -> None:
        if rule.op not in (">", ">=", "<", "<=", "outside", "is_true"):
            raise _Unsupported(rule.op)
        self.at = at
        self.op = rule.op
        self.fire_missing = rule.missing == "fire"
        # numpy compares a float64 array with a Python number converted to float64
        if rule.op == "outside":
            self.low, self.high = float(rule.value[0]), float(rule.value[1])
        elif rule.op != "is_true":
            self.low = self.high = float(rule.value)

    def fires(self, x: float) -> bool:
        if x != x:  # missing
            return self.fire_missing
        op = self.op
        if op == "is_true":
            return x != 0
        if op == "outside":
            return x < self.low or x > self.high
        if op == ">":
            return x > self.low
        if op == ">=":
            return x >= self.low
        if op == "<":
            return x < self.low
        return x <= self.low


class FewRows:
    """An engine's tables for rating a few rows in Python (a statistical card alone).

    Raises ``ValueError`` when the engine is one this path does not cover (the caller then
    keeps to the array engine).
    """

    def __init__(self, engine: RatingEngine) -> None:
        if set(engine.cards) != {"statistical"}:
            raise ValueError("the few-rows path covers a statistical card alone")
        setup = engine.setup
        _check_params(setup.mode, setup.expert_weight)  # raises as combine_arrays would
        card = engine.cards["statistical"]
        self.card = card
        where = {name: j for j, name in enumerate(engine.input_columns)}
        compiled = card.compiled
        self.features = [
            _Feature(fb, pts, where[name])
            for name, fb, pts in zip(compiled.names, compiled.bins, compiled.points, strict=True)
        ]
        try:
            self.rules = [_Rule(r, where[r.column]) for r in setup.knockouts]
        except (_Unsupported, TypeError, ValueError, OverflowError) as exc:
            raise ValueError("a knockout rule needs the array engine") from exc
        self.numeric_columns = frozenset(
            [f.at for f in self.features if f.numeric] + [r.at for r in self.rules]
        )
        self.text_columns = frozenset(f.at for f in self.features if not f.numeric)
        self.intercept = float(compiled.intercept)
        self.best: list[float] = card.best.tolist()
        self.per_point = 1.0 * card.per_point  # the weight of the card that decided
        self.max_pd = list(setup.scale.max_pd)
        self.lowest = len(setup.scale.grades) - 1
        self.grades = engine._grades
        self.grade_pd = None if engine._grade_pd is None else engine._grade_pd.tolist()
        # the card alone decides every row; what combine_arrays escalates for is fixed
        reason = 0 if setup.mode == "statistical" else ESCALATE_REASONS.index("expert_missing")
        if reason == 0 and not setup.statistical_validated:
            reason = ESCALATE_REASONS.index("model_not_validated")
        self.reason = reason
        self.n_reasons = setup.n_reasons
        self.n_ko = len(self.rules)
        self.ko_codes = [r.code for r in setup.knockouts]
        ranker = engine._ranker
        self.code_of = ranker._code_of
        self.names = ranker.names
        self.none = len(ranker.labels)
        self._plans: dict[int, tuple[NDArray[np.intp], tuple[Any, ...], _Plan | None]] = {}

    # -- reading ------------------------------------------------------------------------

    def rows(self, frame: pd.DataFrame, at: NDArray[np.intp]) -> list[tuple[Any, ...]] | None:
        """Each row's values of the input columns (engine order) as Python objects, or
        ``None`` when a needed column is not stored as this path reads it."""
        manager: Any = getattr(frame, "_mgr", None)
        blocks = getattr(manager, "blocks", None)
        if blocks is None or not hasattr(type(manager), "blknos"):  # pragma: no cover
            return None
        plan = self._plan(manager, blocks, at)
        if plan is None:
            return None
        reads, order = plan
        if len(frame) == 1:
            flat: list[Any] = []
            for number, locs in reads:
                flat += blocks[number].values[locs, 0].tolist()
            return [order(flat)]
        parts = [blocks[number].values[locs].T.tolist() for number, locs in reads]
        return [order([v for part in row for v in part]) for row in zip(*parts, strict=True)]

    def _plan(self, manager: Any, blocks: Any, at: NDArray[np.intp]) -> _Plan | None:
        """Which block rows to read, and how to order their values into the engine's input
        order, or ``None`` when a column is not a numpy block of a kind this path reads.

        Remembered per layout: the positions ``at`` (one array per column labels, see
        ``RatingEngine._positions_in``) and each block's dtype and column positions (a new
        frame of the same layout, e.g. from the same builder, has equal ones). Reading the
        layout costs a few microseconds; pandas' position look-up tables, built afresh for
        every new frame, cost about ten.
        """
        layout = tuple((b.dtype, b.mgr_locs.as_array.tobytes()) for b in blocks)
        seen = self._plans.get(id(at))
        if seen is not None and seen[0] is at and seen[1] == layout:
            return seen[2]
        plan = self._new_plan(manager, at)
        if len(self._plans) > 16:
            self._plans.clear()
        self._plans[id(at)] = (at, layout, plan)
        return plan

    def _new_plan(self, manager: Any, at: NDArray[np.intp]) -> _Plan | None:
        blknos = manager.blknos[at].tolist()
        blklocs = manager.blklocs[at].tolist()
        by_block: dict[int, tuple[list[int], list[int]]] = {}
        for j, (number, loc) in enumerate(zip(blknos, blklocs, strict=True)):
            locs, targets = by_block.setdefault(number, ([], []))
            locs.append(loc)
            targets.append(j)
        reads = []
        source: list[int] = []  # input column of each value read, in reading order
        for number, (locs, targets) in by_block.items():
            values = manager.blocks[number].values
            if not isinstance(values, np.ndarray) or values.ndim != 2:
                return None
            kind = values.dtype.kind
            numeric = kind in _NUMBER_KINDS
            for j in targets:
                if (j in self.numeric_columns and not numeric) or (
                    j in self.text_columns and kind != "O"
                ):
                    return None
            reads.append((number, np.asarray(locs, dtype=np.intp)))
            source += targets
        position = {j: i for i, j in enumerate(source)}
        picks = [position[j] for j in range(len(at))]
        order: Any = (lambda values: (values[picks[0]],)) if len(picks) == 1 else itemgetter(*picks)
        return reads, order

    # -- rating -------------------------------------------------------------------------

    def predict(self, rows: Sequence[Sequence[Any]], with_grade_pd: bool) -> list[Any] | None:
        """``predict_columns``' values (score, pd, grade, [grade_pd], escalate, knockout,
        reasons...) of ``rows``, or ``None`` where the array engine is needed."""
        features, rules, intercept = self.features, self.rules, self.intercept
        scores: list[float] = []
        shortfalls: list[list[float]] = []
        fired_rows: list[list[bool]] = []
        for row in rows:
            points = [f.points[f.bin(row[f.at])] for f in features]
            total = intercept
            for p in points:  # ((intercept + p_1) + p_2) + ...: the card order
                total += p
            scores.append(total)
            fired = [r.fires(float(row[r.at])) for r in rules]
            fired_rows.append(fired)
            values = [np.inf if f else 0.0 for f in fired]
            w = self.per_point
            values += [(b - p) * w for b, p in zip(self.best, points, strict=True)]
            shortfalls.append(values)
        score = np.asarray(scores, dtype=np.float64)
        pd_values = self.card.pd(score)  # numpy's exp: the bits of a big batch
        pds = pd_values.tolist()
        if not all(0.0 <= p <= 1.0 for p in pds):  # NaN or out of range: the engine raises
            return None
        grades: list[int] = []
        escalate: list[bool] = []
        knockout: list[str] = []
        reasons: list[list[int]] = []
        for p, fired, values in zip(pds, fired_rows, shortfalls, strict=True):
            any_fired = any(fired)
            grades.append(self.lowest if any_fired else bisect.bisect_left(self.max_pd, p))
            escalate.append(self.reason != 0 and not any_fired)
            knockout.append(";".join(c for c, f in zip(self.ko_codes, fired, strict=True) if f))
            picked = self._top(values)
            if picked is None:
                return None
            reasons.append(picked)
        out: list[Any] = [score, pd_values, self.grades[np.asarray(grades, dtype=np.intp)]]
        if with_grade_pd:
            if self.grade_pd is None:  # pragma: no cover - the caller checks
                return None
            table = self.grade_pd
            found = [table[g] for g in grades]
            if any(v != v for v in found):  # a grade the calibration lacks: the engine raises
                return None
            out.append(np.asarray(found, dtype=np.float64))
        out.append(np.asarray(escalate, dtype=bool))
        text = np.empty(len(knockout), dtype=object)
        text[:] = knockout
        out.append(text)
        codes = self.names[np.asarray(reasons, dtype=np.intp).reshape(len(rows), self.n_reasons)]
        out += [codes[:, i] for i in range(self.n_reasons)]
        return out

    def _top(self, values: list[float]) -> list[int] | None:
        """``ReasonRanker._top_few`` on one row: the columns of its largest shortfalls."""
        if any(v != v for v in values):  # NaN: the engine ranks by its other method
            return None
        work = [v if v > _TOLERANCE else -1.0 for v in values]
        order = sorted(range(len(work)), key=work.__getitem__, reverse=True)  # stable
        out = [self.none] * self.n_reasons
        seen: set[int] = set()
        code_of = self.code_of
        for j in order:
            if work[j] <= _TOLERANCE or len(seen) == self.n_reasons:
                break
            if code_of[j] not in seen:  # a shared code counts at its largest shortfall
                out[len(seen)] = j
                seen.add(code_of[j])
        return out
