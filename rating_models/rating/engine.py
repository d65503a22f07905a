"""The rating engine: numpy inside, pandas only at the edges.

:class:`RatingEngine` is compiled once from a :class:`~rating_models.rating.pipeline.RatingSetup`
and the cards (compiled scorers, best points, reason labels, grade tables), then rates a frame
in three steps: read each needed column once as an array (:func:`column_arrays`), run every
stage on arrays (bin index, points, score, PD, expert card, combination, knockouts, grade,
grade PD, reason codes), and build one output DataFrame at the end. A one-row request and a
million-row book take the same steps, so a row's result never depends on its batch: scores are
the points summed in card order, column by column (:func:`sum_points`), never a blocked
row-sum.

:func:`~rating_models.rating.pipeline.rate_households` and ``RatingModel.predict`` both run on
it; :meth:`RatingEngine.rate_arrays` is the array-level entry point.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from rating_models.exceptions import (
    InvalidDataError,
    InvalidParameterError,
    RatingModelsError,
    SpecError,
)
from rating_models.expert.card import ExpertCard
from rating_models.expert.compile import to_spec
from rating_models.expert.scoring import check_inputs, indicator_arrays
from rating_models.rating.combine import (
    DECIDED_BY,
    ESCALATE_REASONS,
    Combined,
    combine_arrays,
    grade_names,
)
from rating_models.rating.fewrows import FEW, FewRows
from rating_models.rating.knockouts import joined_codes
from rating_models.rating.reasons import ReasonCatalog, ReasonRanker
from rating_models.scorecard.compiled import (
    CompiledScorecard,
    column_positions,
    columns_at,
    sum_points,
)
from rating_models.scorecard.scaling import Scaling
from rating_models.scorecard.spec import ScorecardSpec

if TYPE_CHECKING:
    from rating_models.rating.pipeline import RatingSetup

__all__ = ["Rated", "RatingEngine"]

_BLEND = DECIDED_BY.index("blend")
#: rows rated at a time in a big frame (bounds the rows x features scratch matrices)
CHUNK_ROWS = 65_536


@dataclass(frozen=True)
class _CardEngine:
    """One card, compiled: how to score it and how its shortfalls weigh in the reasons."""

    name: str  # "statistical" or "expert"
    compiled: CompiledScorecard
    best: NDArray[np.float64]  # best-bin points per feature, card order
    per_point: float  # log-odds of bad per point
    codes: tuple[str, ...]  # reason code per feature
    expert: ExpertCard | None  # the expert card (its inputs are indicators, not columns)
    scaling: Scaling | None  # the statistical card's points scaling (its PD)

    def points(self, columns: Mapping[str, Any], n: int) -> NDArray[np.float64]:
        if self.expert is not None:
            cols = indicator_arrays(self.expert, columns, n)
        else:
            cols = [columns[name] for name in self.compiled.names]
        return self.compiled.points_of(cols, n)

    def pd(self, score: NDArray[np.float64]) -> NDArray[np.float64]:
        if self.scaling is not None:
            return self.scaling.pd_from_score(score)
        calibration = None if self.expert is None else self.expert.pd_calibration
        if calibration is None:  # checked when compiled
            raise SpecError("The card gives no PD.", field="pd_calibration")
        return calibration.pd(score)


@dataclass(frozen=True)
class Rated:
    """A rating as arrays: what :meth:`RatingEngine.rate_arrays` returns.

    ``scores`` is keyed by card (``statistical``/``expert``); ``combined`` holds the card
    PDs, grade positions and codes before knockouts; ``grade`` (position on the scale) and
    ``escalate`` are after knockouts; ``reasons`` holds codes, rows x ``n_reasons``.
    """

    scores: dict[str, NDArray[np.float64]]
    combined: Combined
    grade: NDArray[np.intp]
    escalate: NDArray[np.bool_]
    fired: NDArray[np.bool_]  # rows x knockout rules
    reasons: NDArray[Any]  # codes (object); column indices while a chunk is rated


def _concat(parts: Sequence[Rated]) -> Rated:
    """One :class:`Rated` from the ratings of consecutive chunks."""

    def cat(values: Sequence[NDArray[Any]]) -> NDArray[Any]:
        return np.concatenate(values, axis=0)

    first = parts[0]
    combined = Combined(
        *(cat([getattr(p.combined, f) for p in parts]) for f in Combined.__dataclass_fields__)
    )
    return Rated(
        {name: cat([p.scores[name] for p in parts]) for name in first.scores},
        combined,
        cat([p.grade for p in parts]),
        cat([p.escalate for p in parts]),
        cat([p.fired for p in parts]),
        cat([p.reasons for p in parts]),
    )


class RatingEngine:
    """Everything ``rate_households`` needs, compiled once from a setup and the cards.

    Parameters
    ----------
    setup : RatingSetup
        Scale, mode, weights, knockouts, grade calibration, number of reasons.
    statistical : ScorecardSpec, optional
        The statistical card (with a scaling).
    expert : ExpertCard, optional
        The expert card (with a ``pd_calibration``).
    catalog : ReasonCatalog, optional
        Reason codes and texts (``X:<feature>`` codes without one).

    Examples
    --------
    >>> import pandas as pd
    >>> from rating_models import FeatureScore, ScorecardSpec, numeric_bins
    >>> from rating_models.rating import GradeScale
    >>> from rating_models.rating.pipeline import RatingSetup
    >>> from rating_models.scorecard.scaling import Scaling
    >>> card = ScorecardSpec(
    ...     (FeatureScore(numeric_bins("age", [30]), (10.0, 30.0, 0.0)),),
    ...     intercept_points=570.0, scaling=Scaling(pdo=20, base_points=600, base_odds=50))
    >>> engine = RatingEngine(RatingSetup(GradeScale(max_pd=(0.02, 1.0), grades=("A", "E"))),
    ...                       statistical=card)
    >>> engine.rate_frame(pd.DataFrame({"age": [25, 40]}))[["score_statistical", "grade",
    ...                                                     "reason_1"]].values.tolist()
    [[580.0, 'E', 'X:age'], [600.0, 'A', '']]
    """

    def __init__(
        self,
        setup: RatingSetup,
        *,
        statistical: ScorecardSpec | None = None,
        expert: ExpertCard | None = None,
        catalog: ReasonCatalog | None = None,
    ) -> None:
        if statistical is None and expert is None:
            raise InvalidParameterError(
                "rate_households needs a statistical card, an expert card or both."
            )
        self.setup = setup
        self.statistical = statistical
        self.expert = expert
        self.catalog = catalog
        self.cards: dict[str, _CardEngine] = {}
        if statistical is not None:
            self.cards["statistical"] = self._statistical(statistical)
        if expert is not None:
            self.cards["expert"] = self._expert(expert)
        shares = {"statistical": 1.0 - setup.expert_weight, "expert": setup.expert_weight}
        self._shares = shares
        self._labels = [r.code for r in setup.knockouts] + [
            code for card in self.cards.values() for code in card.codes
        ]
        self._ranker = ReasonRanker(self._labels)
        self._grades = grade_names(setup.scale)
        self._lowest = len(setup.scale.grades) - 1
        self._grade_pd = self._grade_pd_table(setup)
        self._ko_codes = np.asarray([r.code for r in setup.knockouts], dtype=object)
        names: list[str] = []
        if statistical is not None:
            names += statistical.feature_names
        if expert is not None:
            names += list(expert.input_columns)
        names += [r.column for r in setup.knockouts]
        self.input_columns: list[str] = list(dict.fromkeys(names))
        self._input_index = pd.Index(self.input_columns, dtype=object)
        self._positions: tuple[Any, NDArray[np.intp]] | None = None
        self._few: FewRows | None = None
        with contextlib.suppress(ValueError, RatingModelsError):  # an engine it does not cover
            self._few = FewRows(self)  # the plain-Python path of a few rows

    def _codes(self, features: Sequence[str]) -> tuple[str, ...]:
        if self.catalog is not None:
            return tuple(self.catalog.codes_for(features).values())
        return tuple(f"X:{f}" for f in features)

    def _statistical(self, spec: ScorecardSpec) -> _CardEngine:
        if spec.scaling is None:
            raise SpecError(
                f"Scorecard {spec.name!r} has no scaling, so it gives no PD; "
                "pass an expert card as 'expert'.",
                field="scaling",
            )
        best = np.asarray(list(spec.best_points().values()), dtype=np.float64)
        return _CardEngine(
            "statistical",
            spec.compiled,
            best,
            math.log(2.0) / spec.scaling.pdo,
            self._codes(spec.feature_names),
            None,
            spec.scaling,
        )

    def _expert(self, card: ExpertCard) -> _CardEngine:
        if card.pd_calibration is None:
            raise SpecError(
                f"Expert card '{card.name}' has no pd_calibration; fit one on a development sample.",
                field="pd_calibration",
            )
        spec = to_spec(card)
        best = np.asarray(list(spec.best_points().values()), dtype=np.float64)
        return _CardEngine(
            "expert",
            spec.compiled,
            best,
            -card.pd_calibration.slope,
            self._codes(spec.feature_names),
            card,
            None,
        )

    @staticmethod
    def _grade_pd_table(setup: RatingSetup) -> NDArray[np.float64] | None:
        cal = setup.grade_calibration
        if cal is None:
            return None
        where = {g: i for i, g in enumerate(cal.scale.grades)}
        at = [where.get(g, -1) for g in setup.scale.grades]
        table = np.asarray(cal.grade_pd, dtype=np.float64)
        # NaN marks a grade the calibration does not know (an error if a row lands there)
        return np.asarray([table[i] if i >= 0 else np.nan for i in at], dtype=np.float64)

    # -- the edges ----------------------------------------------------------------------

    def columns_of(self, frame: pd.DataFrame) -> dict[str, Any]:
        """Each input column of ``frame`` as an array, read once (missing ones raise)."""
        if not isinstance(frame, pd.DataFrame):
            raise InvalidDataError(
                f"Rating needs a DataFrame. Got {type(frame).__name__}.", field="frame"
            )
        at = self._positions_in(frame.columns)
        return dict(zip(self.input_columns, columns_at(frame, at), strict=True))

    def _positions_in(self, columns: pd.Index) -> NDArray[np.intp]:
        """Position of each input column in ``columns`` (missing ones raise), remembered for
        the last labels seen.

        Keyed by the labels' storage, not the ``Index`` object: the online pipeline builds a
        new frame per request whose ``Index`` is a shallow copy of one cached index, sharing
        its array (an ``Index`` is immutable, so the same array means the same labels).
        """
        labels = getattr(columns, "_values", columns)
        seen = self._positions  # (labels, positions) of the last frame
        if seen is not None and seen[0] is labels:
            return seen[1]
        try:
            at = column_positions(columns, self._input_index)
        except KeyError:
            self._check_present(columns)
            raise
        self._positions = (labels, at)
        return at

    def _check_present(self, present: Any) -> None:
        """Raise the error naming the first missing input (cards first, then knockouts)."""
        if self.statistical is not None:
            missing = [n for n in self.statistical.feature_names if n not in present]
            if missing:
                raise InvalidDataError(
                    f"The data lack the card's feature column(s): {missing}.", columns=missing
                )
        if self.expert is not None:
            check_inputs(self.expert, present)
        for rule in self.setup.knockouts:
            rule.check_column(present)

    # -- the core -----------------------------------------------------------------------

    def rate_arrays(self, columns: Mapping[str, Any], n: int) -> Rated:
        """Rate ``n`` rows given as one array per input column (see :attr:`input_columns`).

        A big frame is rated in chunks of :data:`CHUNK_ROWS` rows (every stage is row by
        row, so the values are the same; the scratch matrices stay small).
        """
        if n <= CHUNK_ROWS:
            rated = self._rate_chunk(columns, n)
        else:
            parts = []
            for start in range(0, n, CHUNK_ROWS):
                stop = min(start + CHUNK_ROWS, n)
                chunk = {name: values[start:stop] for name, values in columns.items()}
                parts.append(self._rate_chunk(chunk, stop - start))
            rated = _concat(parts)
        # chunks carry the reasons as column indices; the codes are looked up once
        return dataclasses.replace(rated, reasons=self._ranker.names[rated.reasons])

    def _rate_chunk(self, columns: Mapping[str, Any], n: int) -> Rated:
        setup = self.setup
        scores: dict[str, NDArray[np.float64]] = {}
        pds: dict[str, NDArray[np.float64]] = {}
        points: dict[str, NDArray[np.float64]] = {}
        for name, card in self.cards.items():
            points[name] = card.points(columns, n)
            score = sum_points(points[name], card.compiled.intercept)
            scores[name] = score
            pds[name] = card.pd(score)
        combined = combine_arrays(
            pds.get("statistical"),
            pds.get("expert"),
            mode=setup.mode,
            scale=setup.scale,
            expert_weight=setup.expert_weight,
            statistical_validated=setup.statistical_validated,
        )
        rules = setup.knockouts
        fired = np.empty((n, len(rules)), dtype=bool, order="F")
        for j, rule in enumerate(rules):
            fired[:, j] = rule.fires_on(columns[rule.column], name=rule.column)
        any_fired = fired.any(axis=1) if rules else np.zeros(n, dtype=bool)
        grade = np.where(any_fired, self._lowest, combined.grade)
        escalate = (combined.reason != 0) & ~any_fired
        reasons = self._reasons(points, combined.decided_by, fired, n)
        return Rated(scores, combined, grade, escalate, fired, reasons)

    def _reasons(
        self,
        points: dict[str, NDArray[np.float64]],
        decided_by: NDArray[np.int8],
        fired: NDArray[np.bool_],
        n: int,
    ) -> NDArray[np.intp]:
        n_ko = fired.shape[1]
        values = np.empty((n, len(self._labels)), dtype=np.float64)  # rows contiguous
        values[:, :n_ko] = np.where(fired, np.inf, 0.0)  # knockouts lead
        at = n_ko
        for name, card in self.cards.items():
            code = DECIDED_BY.index(name)
            w = np.where(
                decided_by == code, 1.0, np.where(decided_by == _BLEND, self._shares[name], 0.0)
            )
            w *= card.per_point
            k = card.best.size
            block = values[:, at : at + k]
            np.subtract(card.best, points[name], out=block)
            block *= w[:, None]
            at += k
        return self._ranker.indices(values, self.setup.n_reasons, overwrite=True)

    # -- outputs ------------------------------------------------------------------------

    def knockout_text(self, fired: NDArray[np.bool_]) -> NDArray[np.object_]:
        """The fired rule codes of each row joined by ``;`` (empty where none fired)."""
        return joined_codes(fired, self._ko_codes)

    def grade_pd(self, grade: NDArray[np.intp]) -> NDArray[np.float64]:
        """The calibrated PD of each grade position (needs a grade calibration)."""
        if self._grade_pd is None:
            raise InvalidParameterError("The setup has no grade calibration.")
        out = self._grade_pd[grade]
        unknown = np.isnan(out)
        if unknown.any():
            names = sorted({str(g) for g in self._grades[grade[unknown]]})
            raise InvalidDataError(f"Grades {names} are not on the scale.")
        return out

    def rate_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Every column of :func:`~rating_models.rating.pipeline.rate_households`."""
        r = self.rate_arrays(self.columns_of(frame), len(frame))
        c, grades = r.combined, self._grades
        data: dict[str, Any] = {f"score_{name}": r.scores[name] for name in reversed(self.cards)}
        fired_any = r.fired.any(axis=1)
        reason = np.asarray(ESCALATE_REASONS, dtype=object)[c.reason]
        data.update(
            {
                "pd_statistical": c.pd_statistical,
                "grade_statistical": grades[c.grade_statistical],
                "pd_expert": c.pd_expert,
                "grade_expert": grades[c.grade_expert],
                "pd": c.pd,
                "grade": grades[r.grade],
                "decided_by": np.asarray(DECIDED_BY, dtype=object)[c.decided_by],
                "mode": np.full(len(frame), self.setup.mode, dtype=object),
                "escalate": r.escalate,
                "escalate_reason": np.where(fired_any, "", reason).astype(object),
                "knockout": self.knockout_text(r.fired),
            }
        )
        if self._grade_pd is not None:
            data["grade_pd"] = self.grade_pd(r.grade)
        for i in range(self.setup.n_reasons):
            data[f"reason_{i + 1}"] = r.reasons[:, i]
        if self.catalog is not None:
            for lang in ("zh", "en"):
                data[f"reasons_{lang}"] = self.catalog.joined_values(r.reasons, lang)
        return pd.DataFrame(data, index=frame.index, copy=False)

    def predict_frame(self, frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
        """The model's output: ``score, pd, grade, [grade_pd], escalate, knockout, reasons``.

        ``columns`` are the output names in that order; ``score`` is the statistical card's
        score (the expert card's without one).
        """
        out = self.predict_columns(frame, columns)
        return pd.DataFrame(out, index=frame.index, copy=False)

    def predict_columns(self, frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, Any]:
        """:meth:`predict_frame`'s columns as named arrays (no frame built: the online path
        reads a few of them for one row).

        Up to :data:`~rating_models.rating.fewrows.FEW` rows are rated row by row in plain
        Python where :class:`~rating_models.rating.fewrows.FewRows` covers the engine and
        the frame (the same values; the array engine otherwise).
        """
        few = self._few
        if few is not None and isinstance(frame, pd.DataFrame) and 0 < len(frame) <= FEW:
            rows = few.rows(frame, self._positions_in(frame.columns))
            out = None if rows is None else few.predict(rows, self._grade_pd is not None)
            if out is not None:
                if len(out) != len(columns):
                    raise InvalidParameterError(f"predict_frame needs {len(out)} column names.")
                return dict(zip(columns, out, strict=True))
        r = self.rate_arrays(self.columns_of(frame), len(frame))
        score = r.scores["statistical" if "statistical" in r.scores else "expert"]
        values: list[Any] = [score, r.combined.pd, self._grades[r.grade]]
        if self._grade_pd is not None:
            values.append(self.grade_pd(r.grade))
        values += [r.escalate, self.knockout_text(r.fired)]
        values += [r.reasons[:, i] for i in range(self.setup.n_reasons)]
        if len(values) != len(columns):
            raise InvalidParameterError(f"predict_frame needs {len(values)} column names.")
        return dict(zip(columns, values, strict=True))
