"""Load red lines and bank policies from YAML, validate them, pair them for the engine.

A configuration folder holds ``federation.yaml`` and ``banks/<bank_code>.yaml``.
:func:`validate_config` lists every violation of every file at once;
:func:`load_policy` returns the :class:`EffectivePolicy` (red lines + one bank policy)
the limit engine runs on, or raises :class:`~credit_limit.exceptions.PolicyValidationError`.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import yaml

from credit_limit._base import GRADES, PolicyModel, Violation, canonical_hash
from credit_limit.checks import check_bank_policy, check_federation
from credit_limit.exceptions import PolicyValidationError
from credit_limit.policy import BankPolicy
from credit_limit.redlines import FederationRedLines

__all__ = [
    "EffectivePolicy",
    "load_bank_policy",
    "load_federation",
    "load_policy",
    "read_yaml",
    "validate_config",
]

_M = TypeVar("_M", bound=PolicyModel)


def read_yaml(path: str | Path, *, source: str | None = None) -> dict[str, Any]:
    """The mapping in a YAML file; a missing file or bad YAML is a coded error."""
    path = Path(path)
    name = source or path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PolicyValidationError(
            f"{name}: cannot be read: {exc.strerror}",
            violations=[f"{name}: cannot be read"],
            source=name,
        ) from exc
    except yaml.YAMLError as exc:
        raise PolicyValidationError(
            f"{name}: is not valid YAML: {exc}",
            violations=[f"{name}: is not valid YAML"],
            source=name,
        ) from exc
    if not isinstance(data, Mapping):
        raise PolicyValidationError(
            f"{name}: must hold a mapping, found {type(data).__name__}",
            violations=[f"{name}: must hold a mapping"],
            source=name,
        )
    return dict(data)


def _load(model: type[_M], path: str | Path, source: str | None) -> _M:
    name = source or Path(path).name
    return model.from_dict(read_yaml(path, source=name), source=name)


def load_federation(path: str | Path, *, source: str | None = None) -> FederationRedLines:
    """Read and check ``federation.yaml`` (schema and internal consistency)."""
    lines = _load(FederationRedLines, path, source)
    found = check_federation(lines, source or Path(path).name)
    if found:
        raise _invalid(found)
    return lines


def load_bank_policy(path: str | Path, *, source: str | None = None) -> BankPolicy:
    """Read one bank policy file against the schema only (red lines: :func:`load_policy`)."""
    return _load(BankPolicy, path, source)


def _invalid(found: list[Violation]) -> PolicyValidationError:
    text = [str(v) for v in found]
    return PolicyValidationError(
        f"{len(text)} policy violation(s):\n" + "\n".join(text),
        violations=text,
        sources=sorted({v.source for v in found}),
    )


@dataclass(frozen=True)
class EffectivePolicy:
    """Red lines plus one bank policy that sits inside them: what the engine runs on.

    Built by :meth:`resolve`, :func:`load_policy` or the constructor, all of which refuse a
    policy outside the lines (so the engine never runs on one). Decisions record
    :attr:`bank_hash` and :attr:`federation_hash`.
    """

    federation: FederationRedLines
    bank: BankPolicy
    source: str | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        source = self.source or f"banks/{self.bank.code}.yaml"
        found = check_bank_policy(self.federation, self.bank, source)
        if found:
            raise _invalid(found)

    @classmethod
    def resolve(
        cls, federation: FederationRedLines, bank: BankPolicy, *, source: str | None = None
    ) -> EffectivePolicy:
        """Pair ``bank`` with ``federation``; raise listing every red line it breaks."""
        return cls(federation, bank, source)

    @functools.cached_property
    def bank_hash(self) -> str:
        """Content hash of the bank policy."""
        return self.bank.content_hash

    @functools.cached_property
    def federation_hash(self) -> str:
        """Content hash of the red lines."""
        return self.federation.content_hash

    @functools.cached_property
    def content_hash(self) -> str:
        """One hash over both documents (the pair a decision depended on)."""
        return canonical_hash({"federation": self.federation_hash, "bank": self.bank_hash})

    def in_force(self, on: date) -> bool:
        """Whether both the red lines and the bank policy have taken effect on ``on``."""
        return self.federation.effective_date <= on and self.bank.effective_date <= on

    @property
    def knockouts(self) -> tuple[str, ...]:
        """The federation's minimum knockouts, then the bank's additions (no repeats)."""
        names = [*self.federation.knockouts, *self.bank.rating.knockouts_added]
        return tuple(dict.fromkeys(names))

    @property
    def regulatory_cap(self) -> float:
        """The tightest regulatory ceiling: named caps and the single-borrower share."""
        caps = [float(v) for v in self.federation.regulatory_caps.values()]
        caps.append(self.bank.capital * self.federation.single_borrower_capital_share)
        return min(caps)

    @property
    def credit_grades(self) -> tuple[str, ...]:
        """Grades that may be granted credit."""
        return tuple(g for g in GRADES if g not in self.federation.no_credit_grades)


def load_policy(bank_code: str, config_dir: str | Path = "config") -> EffectivePolicy:
    """The effective policy of ``bank_code`` from a configuration folder.

    Examples
    --------
    >>> policy = load_policy("302", "config")
    >>> policy.bank.rating.mode
    'agree_or_escalate'
    """
    root = Path(config_dir)
    federation = load_federation(root / "federation.yaml")
    path = root / "banks" / f"{bank_code}.yaml"
    source = f"banks/{bank_code}.yaml"
    if not path.is_file():
        raise PolicyValidationError(
            f"{source}: no policy for bank {bank_code} in {root}",
            violations=[f"{source}: not found"],
            bank_code=bank_code,
        )
    bank = load_bank_policy(path, source=source)
    return EffectivePolicy.resolve(federation, bank, source=source)


def validate_config(config_dir: str | Path) -> tuple[list[str], list[Violation | str]]:
    """Check ``federation.yaml`` and every ``banks/*.yaml`` of a folder.

    Returns
    -------
    checked : list of str
        The files checked, relative to the folder.
    violations : list
        Every violation of every file (schema, red lines, file name vs bank code).
    """
    root = Path(config_dir)
    checked = ["federation.yaml"]
    found: list[Violation | str] = []
    federation: FederationRedLines | None = None
    try:
        federation = load_federation(root / "federation.yaml", source="federation.yaml")
    except PolicyValidationError as exc:
        found.extend(exc.violations)
    for path in sorted((root / "banks").glob("*.yaml")):
        source = f"banks/{path.name}"
        checked.append(source)
        found.extend(_validate_bank_file(path, source, federation))
    return checked, found


def _validate_bank_file(
    path: Path, source: str, federation: FederationRedLines | None
) -> list[Violation | str]:
    try:
        bank = load_bank_policy(path, source=source)
    except PolicyValidationError as exc:
        return list(exc.violations)
    found: list[Violation | str] = []
    if bank.code != path.stem:
        found.append(
            Violation(source, "code", bank.code, f"does not match the file name {path.name}")
        )
    if federation is not None:
        found.extend(check_bank_policy(federation, bank, source))
    return found
