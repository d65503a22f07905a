"""Gated promotion, rollback, and the append-only promotion history.

MLflow aliases move without history or approval, so nongxin records both itself:

* on the **version**: ``nongxin.<alias>.approved_by``, ``.approved_at`` and ``.evidence``
  (the gate report as JSON, with the content hashes of the test set and recent population);
* on the **registered model**: one tag per event, ``nongxin.history.000001-<random>``, …
  (JSON: action, alias, version, previous version, approver, time, evidence hash). Keys only
  grow and carry a random suffix, so an event is never rewritten, not even by two concurrent
  promotions. :func:`history` reads them back in order.

Evidence: the test set defaults to the hold-out logged with the version at registration
(``evidence/validation.parquet`` in its run); ``validation=`` overrides it. The recent
population (households rated lately, no outcome needed) is always given by the caller.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from model_registry.exceptions import ModelNotFound, PromotionRefused, RegistryError
from model_registry.gate import GateReport, GateThresholds, run_gate
from model_registry.registry import ModelRegistry, alias_name
from model_registry.train import data_hash

__all__ = ["HistoryEvent", "history", "promote", "rollback", "thresholds_for"]

HISTORY_PREFIX = "nongxin.history."


@dataclass(frozen=True)
class HistoryEvent:
    """One alias move recorded by nongxin."""

    seq: int
    action: str  # "promote" | "rollback"
    alias: str
    version: int
    previous: int | None
    approver: str
    at: str
    evidence_sha256: str | None = None

    def to_json(self) -> str:
        """Compact JSON (the tag value)."""
        return json.dumps(self.__dict__, sort_keys=True)


def history(registry: ModelRegistry, name: str, alias: str | None = None) -> list[HistoryEvent]:
    """Promotion and rollback events of ``name`` (of one alias if given), oldest first."""
    events = [
        HistoryEvent(**json.loads(value))
        for key, value in registry.model_tags(name).items()
        if key.startswith(HISTORY_PREFIX)
    ]
    events.sort(key=lambda e: (e.seq, e.at))
    return [e for e in events if alias is None or e.alias == alias]


def _append(registry: ModelRegistry, name: str, **fields: Any) -> HistoryEvent:
    existing = history(registry, name)
    seq = (existing[-1].seq if existing else 0) + 1
    event = HistoryEvent(seq=seq, at=datetime.now(UTC).isoformat(timespec="seconds"), **fields)
    # the random suffix keeps two concurrent promotions from writing the same key
    registry.set_model_tag(
        name, f"{HISTORY_PREFIX}{seq:06d}-{uuid.uuid4().hex[:8]}", event.to_json()
    )
    return event


def thresholds_for(config_dir: Path, bank: str | None) -> GateThresholds:
    """The gate thresholds from the red lines (a bank's policy must sit inside them)."""
    from credit_limit.config import load_federation, load_policy

    if bank is None:
        lines = load_federation(Path(config_dir) / "federation.yaml").model_validation
    else:
        lines = load_policy(bank, config_dir).federation.model_validation
    return GateThresholds.from_lines(lines)


def _current(registry: ModelRegistry, name: str, alias: str) -> int | None:
    try:
        return registry.resolve(name, alias).version
    except ModelNotFound:
        return None


def promote(
    registry: ModelRegistry,
    name: str,
    version: int,
    *,
    approver: str,
    recent: pd.DataFrame | None = None,
    to: str = "champion",
    bank: str | None = None,
    validation: pd.DataFrame | None = None,
    target: str = "target",
    thresholds: GateThresholds | None = None,
) -> tuple[HistoryEvent, GateReport | None]:
    """Move ``to`` (``champion``/``challenger``, per ``bank`` or federation-wide) to ``version``.

    A move to ``champion`` runs the gate against the current champion (the bank's, else the
    federation's) and raises :class:`PromotionRefused` listing every failed check. A move to
    ``challenger`` needs no gate. Either way the approver and the evidence are recorded.
    """
    if not approver.strip():
        raise RegistryError("A promotion needs the approver's name.", code="APPROVER_REQUIRED")
    alias = alias_name(to, bank)
    registry.version(name, version)  # ModelNotFound early
    previous = _current(registry, name, alias)
    report: GateReport | None = None
    evidence: dict[str, Any] = {"alias": alias}
    if to == "champion":
        if recent is None:
            raise RegistryError(
                "Promotion to champion needs the recent population (PSI checks).",
                code="INVALID_EVIDENCE",
            )
        report, evidence = _gate(
            registry, name, version, bank, recent, validation, target, thresholds
        )
        if not report.passed:
            failed = [str(c) for c in report.failed]
            raise PromotionRefused(
                f"Promotion of {name} version {version} to {alias} refused: " + "; ".join(failed),
                failed_checks=failed,
                checks=[c.name for c in report.failed],
            )
    return _record(registry, name, version, alias, previous, approver, evidence), report


def _record(
    registry: ModelRegistry,
    name: str,
    version: int,
    alias: str,
    previous: int | None,
    approver: str,
    evidence: dict[str, Any],
) -> HistoryEvent:
    """Move the alias, append the history event, tag the version with approval and evidence."""
    text = json.dumps(evidence, sort_keys=True)
    digest = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    registry.set_alias(name, alias, version)
    event = _append(
        registry,
        name,
        action="promote",
        alias=alias,
        version=int(version),
        previous=previous,
        approver=approver,
        evidence_sha256=digest,
    )
    registry.set_version_tags(
        name,
        version,
        {
            f"nongxin.{alias}.approved_by": approver,
            f"nongxin.{alias}.approved_at": event.at,
            f"nongxin.{alias}.evidence": text,
        },
    )
    return event


def _gate(
    registry: ModelRegistry,
    name: str,
    version: int,
    bank: str | None,
    recent: pd.DataFrame,
    validation: pd.DataFrame | None,
    target: str,
    thresholds: GateThresholds | None,
) -> tuple[GateReport, dict[str, Any]]:
    test = validation if validation is not None else registry.evidence(name, version)
    try:
        champ_info = registry.resolve_for_bank(name, "champion", bank)
        champion = registry.load(name, champ_info.version)
    except ModelNotFound:
        champ_info, champion = None, None
    limits = thresholds or thresholds_for(registry.settings.config_dir, bank)
    report = run_gate(
        registry.load(name, version),
        champion,
        validation=test,
        target=target,
        recent=recent,
        thresholds=limits,
    )
    evidence = {
        "alias": alias_name("champion", bank),
        "compared_with": None if champ_info is None else champ_info.version,
        "validation_sha256": data_hash(test),
        "validation_source": "given" if validation is not None else "logged with the version",
        "recent_sha256": data_hash(recent),
        "thresholds": limits.__dict__,
        "gate": report.to_dict(),
    }
    return report, evidence


def rollback(
    registry: ModelRegistry, name: str, *, approver: str, bank: str | None = None
) -> HistoryEvent:
    """Point the champion alias back at the version it held before the last promotion.

    Repeated rollbacks walk further back through the recorded promotions.
    """
    alias = alias_name("champion", bank)
    stack: list[int] = []
    for event in history(registry, name, alias):
        if event.action == "promote":
            stack.append(event.version)
        elif stack:
            stack.pop()
    current = _current(registry, name, alias)
    if len(stack) < 2:
        raise RegistryError(
            f"{name}@{alias} has no earlier champion recorded to roll back to.",
            code="NOTHING_TO_ROLL_BACK",
        )
    target = stack[-2]
    registry.version(name, target)  # ModelNotFound if it was deleted
    registry.set_alias(name, alias, target)
    return _append(
        registry,
        name,
        action="rollback",
        alias=alias,
        version=target,
        previous=current,
        approver=approver or "unknown",
    )
