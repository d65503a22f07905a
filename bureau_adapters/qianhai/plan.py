"""Which Qianhai products an online rating queries, per bank (``config/bureaus.yaml``).

Each product is a billable query, so a bank queries only what its model reads. The file::

    schema_version: bureaus/1
    qianhai:
      products: model            # default for every bank
      banks:
        "303": ["8005", "8036"]  # this bank: exactly these ([] = never query Qianhai)
      reasons:                   # PBOC query reason of the rating -> Qianhai reasonCode
        "02": "01"

``model`` means: the products whose ``qh_*`` features the bank's champion reads, as inputs of
its cards or of its knockouts (``qh_b1_dishonest`` → 8036, so the dishonest-debtor knockout
is always fed). A missing file is the same as ``products: model``.

>>> plan = QianhaiPlan.from_dict({"qianhai": {"products": "model", "banks": {"303": []}}})
>>> plan.products("301", lambda: ["land_mu", "qh_b1_dishonest", "qh_score"])
('8005', '8036')
>>> plan.products("303", lambda: ["land_mu"])  # a champion reading no qh_* feature
()
>>> plan.reason_for("02")
'01'
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from bureau_adapters.qianhai.errors import QianhaiConfigError
from bureau_adapters.qianhai.feature_specs import QH_FEATURES
from bureau_adapters.qianhai.products import PRODUCTS

__all__ = [
    "DEFAULT_REASONS",
    "FEATURE_PRODUCTS",
    "MODEL",
    "QianhaiPlan",
    "products_for_columns",
]

SCHEMA_VERSION = "bureaus/1"
MODEL = "model"
#: ``qh_*`` feature -> the products it is computed from (from the catalog's sources).
FEATURE_PRODUCTS: dict[str, tuple[str, ...]] = {
    spec.name: tuple(sorted({s.split(".")[0].removeprefix("MSC") for s in spec.sources}))
    for spec in QH_FEATURES
}
#: PBOC query reason of a rating -> Qianhai reasonCode (01 loan approval, 03 post-loan).
DEFAULT_REASONS: dict[str, str] = {
    "01": "03",  # post-loan management
    "02": "01",  # loan approval
    "03": "01",  # credit-card approval
    "24": "01",  # financing approval
    "26": "01",  # limit approval
}


def products_for_columns(columns: Collection[str]) -> tuple[str, ...]:
    """The products whose features are among ``columns``, in product-code order."""
    wanted = {p for c in columns for p in FEATURE_PRODUCTS.get(c, ())}
    return tuple(code for code in PRODUCTS if code in wanted)


@lru_cache(maxsize=256)
def _products_for(columns: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`products_for_columns`, remembered per column list.

    Every rating asks twice with its bank's champion's columns; walking them costs ten times
    more than hashing them. The key is the column list itself, so a new champion with other
    columns is a new key (nothing to invalidate); ``FEATURE_PRODUCTS`` and ``PRODUCTS`` are
    constants of the package.
    """
    return products_for_columns(columns)


def _products(value: Any, where: str) -> tuple[str, ...] | str:
    if value == MODEL:
        return MODEL
    if not isinstance(value, list | tuple):
        raise QianhaiConfigError(
            f"'{where}' must be 'model' or a list of Qianhai products. Got {value!r}.",
            code="QH_PLAN_INVALID",
            field=where,
        )
    codes = [str(v).strip().upper().removeprefix("MSC") for v in value]
    unknown = [c for c in codes if c not in PRODUCTS]
    if unknown:
        raise QianhaiConfigError(
            f"'{where}' names unknown Qianhai products {unknown}; known: {list(PRODUCTS)}.",
            code="QH_PLAN_INVALID",
            field=where,
        )
    return tuple(code for code in PRODUCTS if code in codes)


@dataclass(frozen=True)
class QianhaiPlan:
    """Products per bank (``"model"`` or a tuple of codes) and the reason mapping."""

    default: tuple[str, ...] | str = MODEL
    banks: Mapping[str, tuple[str, ...] | str] = field(default_factory=dict)
    reasons: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_REASONS))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QianhaiPlan:
        """Validate the parsed YAML; every error names its key."""
        version = data.get("schema_version", SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise QianhaiConfigError(
                f"'schema_version' must be {SCHEMA_VERSION!r}. Got {version!r}.",
                code="QH_PLAN_INVALID",
                field="schema_version",
            )
        section = data.get("qianhai") or {}
        if not isinstance(section, Mapping):
            raise QianhaiConfigError(
                "'qianhai' must be a mapping.", code="QH_PLAN_INVALID", field="qianhai"
            )
        unknown = sorted(set(section) - {"products", "banks", "reasons"})
        if unknown:
            raise QianhaiConfigError(
                f"'qianhai' has unknown keys {unknown}.",
                code="QH_PLAN_INVALID",
                field=f"qianhai.{unknown[0]}",
            )
        banks = section.get("banks") or {}
        reasons = {
            **DEFAULT_REASONS,
            **{str(k): str(v) for k, v in (section.get("reasons") or {}).items()},
        }
        bad = sorted(k for k, v in reasons.items() if v not in ("01", "02", "03"))
        if bad:
            raise QianhaiConfigError(
                f"'qianhai.reasons' must map to 01, 02 or 03; not so for {bad}.",
                code="QH_PLAN_INVALID",
                field=f"qianhai.reasons.{bad[0]}",
            )
        return cls(
            default=_products(section.get("products", MODEL), "qianhai.products"),
            banks={
                str(bank): _products(value, f"qianhai.banks.{bank}")
                for bank, value in banks.items()
            },
            reasons=reasons,
        )

    @classmethod
    def load(cls, config_dir: Path) -> QianhaiPlan:
        """``config_dir/bureaus.yaml``, or the defaults when there is none."""
        import yaml

        path = Path(config_dir) / "bureaus.yaml"
        if not path.is_file():
            return cls()
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise QianhaiConfigError(
                f"{path.name} is not valid YAML.", code="QH_PLAN_INVALID", field="bureaus.yaml"
            ) from exc
        if not isinstance(data, Mapping):
            raise QianhaiConfigError(
                f"{path.name} must be a mapping.", code="QH_PLAN_INVALID", field="bureaus.yaml"
            )
        return cls.from_dict(data)

    def products(
        self, bank_code: str, model_columns: Callable[[], Collection[str]]
    ) -> tuple[str, ...]:
        """The products to query for ``bank_code``: those the champion reads (``model``), or
        the bank's list, which must hold every product whose features the champion reads.

        Raises
        ------
        QianhaiConfigError
            ``QH_PLAN_INCOMPLETE`` when the bank's list leaves out a product the champion
            reads (its features would arrive missing and a knockout on them could not fire).
        """
        chosen = self.banks.get(bank_code, self.default)
        needed = _products_for(tuple(model_columns()))
        if chosen == MODEL:
            return needed
        missing = [code for code in needed if code not in chosen]
        if missing:
            where = f"qianhai.banks.{bank_code}" if bank_code in self.banks else "qianhai.default"
            raise QianhaiConfigError(
                f"Bank {bank_code}'s champion reads features of Qianhai products {missing}, "
                f"which '{where}' in bureaus.yaml does not query.",
                code="QH_PLAN_INCOMPLETE",
                field=where,
            )
        return tuple(chosen)

    def reason_for(self, pboc_reason: str) -> str:
        """The Qianhai reasonCode of a rating asked with PBOC reason ``pboc_reason``."""
        reason = self.reasons.get(pboc_reason)
        if reason is None:
            raise QianhaiConfigError(
                f"No Qianhai query reason is configured for PBOC reason {pboc_reason!r} "
                f"(qianhai.reasons in bureaus.yaml; configured: {sorted(self.reasons)}).",
                code="QH_REASON_UNMAPPED",
                field="query_reason",
            )
        return reason
