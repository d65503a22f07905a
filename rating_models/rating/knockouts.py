"""Knockout rules: conditions that force the lowest grade whatever the score.

A rule is data — ``{"code": "K01", "name": "current_overdue", "column": "cur_overdue_amt",
"op": ">", "value": 0}`` — so the federation's minimum set and each bank's additions live in
policy files, not code. :data:`STANDARD_KNOCKOUTS` holds the federation's named rules
(farmer-rating doc §1.4 and §3.2) keyed by the names a policy lists.

Examples
--------
>>> import pandas as pd
>>> rule = KnockoutRule(code="K05", name="age_outside_range", column="head_age",
...                     op="outside", value=(18, 65))
>>> rule.fires(pd.DataFrame({"head_age": [17, 40, 70]})).tolist()
[True, False, True]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from rating_models.exceptions import InvalidDataError, SpecError

__all__ = [
    "KNOCKOUT_OPS",
    "STANDARD_KNOCKOUTS",
    "KnockoutRule",
    "evaluate_knockouts",
    "joined_codes",
    "knockout_rules",
]

#: operator -> the shape of ``value`` it takes
KNOCKOUT_OPS: dict[str, str] = {
    ">": "number",
    ">=": "number",
    "<": "number",
    "<=": "number",
    "==": "scalar",
    "!=": "scalar",
    "in": "list",
    "not_in": "list",
    "outside": "pair [low, high] (fires below low or above high)",
    "is_true": "none",
}
_MISSING = ("pass", "fire")
_FEW_ROWS = 64
#: operators computed on a plain numeric array directly (others go through a Series)
_PLAIN: dict[str, Any] = {
    ">": np.greater,
    ">=": np.greater_equal,
    "<": np.less,
    "<=": np.less_equal,
    "outside": None,
    "is_true": None,
}
_RULE_KEYS = {"code", "name", "column", "op", "value", "missing"}


@dataclass(frozen=True)
class KnockoutRule:
    """One knockout.

    Parameters
    ----------
    code : str
        Stable reason code (``config/reason_codes.yaml``), e.g. ``"K01"``.
    name : str
        Policy name, e.g. ``"current_overdue"``.
    column : str
        Input column the rule reads.
    op : str
        One of :data:`KNOCKOUT_OPS`.
    value : Any
        Threshold, category list or ``(low, high)`` pair, as ``op`` needs.
    missing : str
        ``"pass"`` (a missing value does not fire; default) or ``"fire"``.
    """

    code: str
    name: str
    column: str
    op: str
    value: Any = None
    missing: str = "pass"

    def __post_init__(self) -> None:
        errors = _rule_errors(self.name or "?", self.to_dict())
        if errors:
            raise SpecError("Invalid knockout rule: " + "; ".join(errors), errors=errors)
        if isinstance(self.value, list):
            object.__setattr__(self, "value", tuple(self.value))

    def fires(self, frame: pd.DataFrame) -> NDArray[np.bool_]:
        """Whether the rule fires on each row of ``frame``."""
        self.check_column(frame.columns)
        col = frame[self.column]
        values = col.to_numpy() if isinstance(col.dtype, np.dtype) else col.array
        return self.fires_on(values, name=self.column)

    def check_column(self, present: Any) -> None:
        """Raise :class:`InvalidDataError` naming the column if it is not in ``present``."""
        if self.column not in present:
            raise InvalidDataError(
                f"Knockout rule '{self.name}' ({self.code}) reads column '{self.column}', "
                "which is not in the data.",
                column=self.column,
                rule=self.name,
            )

    def fires_on(self, values: Any, *, name: str | None = None) -> NDArray[np.bool_]:
        """Whether the rule fires on each value of one column (an array or extension array).

        The engine of :meth:`fires`, for callers that hold the column's values already.
        """
        if isinstance(values, np.ndarray) and values.dtype.kind in "fiub" and self.op in _PLAIN:
            x = values.astype(np.float64, copy=False)
            miss = np.isnan(x)
            with np.errstate(invalid="ignore"):
                if self.op == "is_true":
                    fired = (x != 0) & ~miss
                elif self.op == "outside":
                    fired = (x < self.value[0]) | (x > self.value[1])
                else:
                    fired = _PLAIN[self.op](x, self.value)
        else:
            col = pd.Series(values, copy=False, name=name or self.column)
            miss = col.isna().to_numpy()
            fired = _compare(col, self.op, self.value)
        return np.where(miss, self.missing == "fire", fired)

    def to_dict(self) -> dict[str, Any]:
        """Plain form, as written in a policy."""
        value = list(self.value) if isinstance(self.value, tuple) else self.value
        return {
            "code": self.code,
            "name": self.name,
            "column": self.column,
            "op": self.op,
            "value": value,
            "missing": self.missing,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> KnockoutRule:
        """Validate a plain rule; every problem is named at once."""
        name = str(data.get("name", "?"))
        errors = [f"knockout '{name}': unknown key '{k}'" for k in sorted(set(data) - _RULE_KEYS)]
        errors += _rule_errors(name, data)
        if errors:
            raise SpecError("Invalid knockout rule: " + "; ".join(errors), errors=errors)
        return cls(
            code=str(data["code"]),
            name=name,
            column=str(data["column"]),
            op=str(data["op"]),
            value=data.get("value"),
            missing=str(data.get("missing", "pass")),
        )


def _rule_errors(name: str, data: Mapping[str, Any]) -> list[str]:
    errors = [
        f"knockout '{name}': '{key}' is required and must be a non-empty string"
        for key in ("code", "name", "column", "op")
        if not isinstance(data.get(key), str) or not data.get(key)
    ]
    op, value = data.get("op"), data.get("value")
    if isinstance(op, str) and op not in KNOCKOUT_OPS:
        errors.append(f"knockout '{name}': 'op' must be one of {list(KNOCKOUT_OPS)}. Got {op!r}")
    elif op in (">", ">=", "<", "<=") and (
        isinstance(value, bool) or not isinstance(value, int | float)
    ):
        errors.append(f"knockout '{name}': op '{op}' needs a number 'value'. Got {value!r}")
    elif op in ("in", "not_in") and not (isinstance(value, list | tuple) and value):
        errors.append(f"knockout '{name}': op '{op}' needs a non-empty list 'value'. Got {value!r}")
    elif op == "outside" and not _is_pair(value):
        errors.append(f"knockout '{name}': op 'outside' needs 'value' [low, high]. Got {value!r}")
    elif op in ("==", "!=") and value is None:
        errors.append(f"knockout '{name}': op '{op}' needs a 'value'")
    if data.get("missing", "pass") not in _MISSING:
        errors.append(
            f"knockout '{name}': 'missing' must be one of {list(_MISSING)}. Got {data.get('missing')!r}"
        )
    return errors


def _is_pair(value: Any) -> bool:
    return (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and value[0] <= value[1]
    )


def _compare(col: pd.Series, op: str, value: Any) -> NDArray[np.bool_]:
    if op == "is_true":
        return col.fillna(False).astype(bool).to_numpy()
    if op in ("in", "not_in"):
        hit = col.isin(list(value)).to_numpy()
        return hit if op == "in" else ~hit
    if op == "==":
        return (col == value).fillna(False).to_numpy(dtype=bool)
    if op == "!=":
        return (col != value).fillna(False).to_numpy(dtype=bool)
    try:
        x = col.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise InvalidDataError(
            f"Knockout op '{op}' needs a numeric column; '{col.name}' is not.", column=str(col.name)
        ) from exc
    with np.errstate(invalid="ignore"):
        if op == "outside":
            return (x < value[0]) | (x > value[1])
        return {">": x > value, ">=": x >= value, "<": x < value, "<=": x <= value}[op]


#: The federation's named knockouts (its minimum set is chosen by name in federation.yaml).
#: Columns are PBOC features (catalog ``pboc-features/1``), Qianhai's ``qh_b1_dishonest``
#: (8036 B1, 失信被执行人) and survey columns. ``unsettled_bad_loan_this_bank`` reads the
#: report's non-performing classifications (``npl_class_cnt``), which include this bank's.
STANDARD_KNOCKOUTS: dict[str, KnockoutRule] = {
    rule.name: rule
    for rule in (
        KnockoutRule("K01", "current_overdue", "cur_overdue_amt", ">", 0),
        KnockoutRule("K02", "bad_debt", "has_bad_debt", "is_true"),
        KnockoutRule("K03", "recovery", "has_recovery", "is_true"),
        KnockoutRule("K04", "pboc_serious_delinquency_24m", "worst_status_24m", ">=", 3),
        KnockoutRule("K05", "age_outside_18_65", "head_age", "outside", (18, 65), missing="fire"),
        KnockoutRule("K06", "dishonest_judgment_debtor", "qh_b1_dishonest", "is_true"),
        KnockoutRule("K07", "unsettled_bad_loan_this_bank", "npl_class_cnt", ">", 0),
        KnockoutRule("K08", "not_local_resident", "years_resident", "<", 1, missing="fire"),
        KnockoutRule("K09", "bad_habits", "bad_habits", "is_true"),
    )
}


def knockout_rules(
    items: Iterable[str | Mapping[str, Any] | KnockoutRule],
) -> tuple[KnockoutRule, ...]:
    """Resolve a policy's knockout list: standard names, plain rule dicts or rules.

    Every unknown name and malformed rule is reported at once; duplicate codes are refused.
    """
    rules: list[KnockoutRule] = []
    errors: list[str] = []
    for item in items:
        if isinstance(item, KnockoutRule):
            rules.append(item)
        elif isinstance(item, str):
            if item in STANDARD_KNOCKOUTS:
                rules.append(STANDARD_KNOCKOUTS[item])
            else:
                errors.append(f"unknown knockout '{item}' (standard: {sorted(STANDARD_KNOCKOUTS)})")
        else:
            try:
                rules.append(KnockoutRule.from_dict(item))
            except SpecError as exc:
                errors.extend(exc.fields.get("errors", [str(exc)]))
    codes = [r.code for r in rules]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    errors += [f"knockout code '{c}' is used by more than one rule" for c in dupes]
    if errors:
        raise SpecError("Invalid knockout list: " + "; ".join(errors), errors=errors)
    return tuple(rules)


def evaluate_knockouts(frame: pd.DataFrame, rules: Sequence[KnockoutRule]) -> pd.DataFrame:
    """One boolean column per rule (named by its code, in rule order) on ``frame``'s index."""
    data = {rule.code: rule.fires(frame) for rule in rules}
    return pd.DataFrame(data, index=frame.index, columns=[r.code for r in rules], dtype=bool)


def joined_codes(fired: NDArray[np.bool_], codes: NDArray[np.object_]) -> NDArray[np.object_]:
    """The codes of the rules fired on each row joined by ``;`` (empty where none fired).

    ``fired`` is rows x rules, ``codes`` one code per rule. A big frame joins each pattern of
    fired rules once (a key per pattern), a few rows join their own.

    >>> joined_codes(np.array([[True, False, True], [False, False, False]]),
    ...              np.array(["K01", "K02", "K05"], dtype=object)).tolist()
    ['K01;K05', '']
    """
    n, k = fired.shape
    out = np.full(n, "", dtype=object)
    if k == 0 or n == 0:
        return out
    if n > _FEW_ROWS and k <= 16:
        key = fired.astype(np.int32) @ (1 << np.arange(k, dtype=np.int32))
        patterns = np.flatnonzero(np.bincount(key, minlength=1 << k))
        table = np.full(1 << k, "", dtype=object)
        for p in patterns[patterns > 0].tolist():
            table[p] = ";".join(codes[(p >> np.arange(k)) & 1 == 1])
        return table[key]
    for row in np.flatnonzero(fired.any(axis=1)).tolist():
        out[row] = ";".join(codes[fired[row]])
    return out
