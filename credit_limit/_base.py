"""Vocabulary shared by the policy models: grades, products, statuses, hashing, violations.

Everything a bank policy, the red lines and the limit engine agree on is declared here once,
as data: the grade scale, the products, the village statuses, the crops of the household
survey, the expert-card blocks and the debts the engine may deduct.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from credit_limit.exceptions import PolicyValidationError

__all__ = [
    "BLOCKS",
    "CREDIT_GRADES",
    "CROPS",
    "DEBT_KINDS",
    "GRADES",
    "PRODUCTS",
    "VILLAGE_STATUSES",
    "Block",
    "Crop",
    "DebtKind",
    "Grade",
    "PolicyModel",
    "Product",
    "VillageStatus",
    "Violation",
    "canonical_hash",
]

Grade = Literal["A", "B", "C", "D", "E"]
Product = Literal["pure_credit", "joint_guarantee", "guaranteed", "mortgage"]
VillageStatus = Literal["credit_township", "credit_village", "ordinary", "watchlist"]
Crop = Literal["grain", "vegetables", "fruit", "tea", "cash_crop", "none"]
Block = Literal["basic", "assets", "income", "liabilities", "credit", "social"]
DebtKind = Literal["debt_this_bank", "debt_other_banks", "debt_informal", "guarantees_given"]

#: 特级 / 优秀 / 较好 / 一般 / 级外, best first. The last grade is rated but never granted.
GRADES: tuple[Grade, ...] = ("A", "B", "C", "D", "E")
CREDIT_GRADES: tuple[Grade, ...] = ("A", "B", "C", "D")
PRODUCTS: tuple[Product, ...] = ("pure_credit", "joint_guarantee", "guaranteed", "mortgage")
VILLAGE_STATUSES: tuple[VillageStatus, ...] = (
    "credit_township",
    "credit_village",
    "ordinary",
    "watchlist",
)
CROPS: tuple[Crop, ...] = ("grain", "vegetables", "fruit", "tea", "cash_crop", "none")
BLOCKS: tuple[Block, ...] = ("basic", "assets", "income", "liabilities", "credit", "social")
DEBT_KINDS: tuple[DebtKind, ...] = (
    "debt_this_bank",
    "debt_other_banks",
    "debt_informal",
    "guarantees_given",
)


def canonical_hash(data: Any) -> str:
    """SHA-256 of the canonical JSON form of ``data`` (sorted keys, no spaces, UTF-8).

    Examples
    --------
    >>> canonical_hash({"b": 1, "a": [1.5, "信用"]})[:12]
    '5f92a71e5b31'
    """
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Violation:
    """One broken rule: the file, the field (dotted path), its value and the rule broken.

    ``str(violation)`` reads ``banks/310.yaml: caps.pure_credit.A = 400000 exceeds federation
    cap 300000``.
    """

    source: str
    field: str
    value: Any
    rule: str

    def __str__(self) -> str:
        if self.value is _MISSING:
            return f"{self.source}: {self.field} {self.rule}"
        return f"{self.source}: {self.field} = {_show(self.value)} {self.rule}"


class _Missing:
    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


def missing(source: str, field: str, rule: str = "is missing") -> Violation:
    """A violation for a field that is absent."""
    return Violation(source, field, _MISSING, rule)


def schema_violations(exc: ValidationError, source: str) -> list[Violation]:
    """Turn every pydantic error into a :class:`Violation` naming its field."""
    found = []
    for err in exc.errors(include_url=False):
        field = ".".join(str(part) for part in err["loc"]) or "(document)"
        if err["type"] == "missing":
            found.append(missing(source, field, "is missing (required by the schema)"))
        elif err["type"] == "extra_forbidden":
            found.append(Violation(source, field, err["input"], "is not a field of the schema"))
        else:
            found.append(Violation(source, field, err.get("input"), f"is invalid: {err['msg']}"))
    return found


class PolicyModel(BaseModel):
    """Base of every policy model: frozen, no unknown fields, JSON round trip, content hash."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    def to_dict(self) -> dict[str, Any]:
        """The model as plain JSON-compatible data (dates as ISO strings)."""
        return self.model_dump(mode="json")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "<dict>") -> Self:
        """Build the model from :meth:`to_dict` output or a parsed YAML file.

        Raises
        ------
        PolicyValidationError
            Listing every schema violation, each naming ``source`` and the field.
        """
        try:
            return cls.model_validate(dict(data))
        except ValidationError as exc:
            found = schema_violations(exc, source)
            raise PolicyValidationError(
                f"{source} breaks the {cls.__name__} schema in {len(found)} place(s):\n"
                + "\n".join(str(v) for v in found),
                violations=[str(v) for v in found],
                source=source,
            ) from exc

    @property
    def content_hash(self) -> str:
        """SHA-256 of the canonical JSON of :meth:`to_dict`; every decision records it."""
        return canonical_hash(self.to_dict())
