"""Registry operations on MLflow: register with lineage, aliases, list, show, compare, load.

Alias scheme (one registered model, e.g. ``farmer-rating``, for the whole federation):

``champion`` / ``challenger``
    Federation-wide: the model every bank without its own model uses.
``champion-301`` / ``challenger-301``
    Bank 301's own model. Serving for bank 301 resolves ``champion-301`` first and falls back
    to ``champion`` (:meth:`ModelRegistry.resolve_for_bank`).

MLflow errors are translated here, once: a missing model, version or alias becomes
:class:`ModelNotFound`; an unreachable store :class:`RegistryUnavailable`.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from model_registry.bundle import RatingModel
from model_registry.exceptions import ModelNotFound, RegistryError, RegistryUnavailable
from model_registry.flavor import read_parts, save_model
from model_registry.lineage import Lineage
from model_registry.settings import RegistrySettings, get_registry_settings

__all__ = ["ROLES", "ModelRegistry", "VersionInfo", "alias_name"]

ROLES: tuple[str, ...] = ("champion", "challenger")
EXPERIMENT = "nongxin-models"
EVIDENCE_FILE = "validation.parquet"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
_BANK = re.compile(r"^\d{3}$")
_NOT_FOUND = {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"}
_REFUSED = {"INVALID_PARAMETER_VALUE", "RESOURCE_ALREADY_EXISTS", "BAD_REQUEST", "INVALID_STATE"}


def alias_name(role: str, bank: str | None = None) -> str:
    """``champion``/``challenger``, or ``champion-301`` for bank 301's own model."""
    if role not in ROLES:
        raise RegistryError(f"The alias role must be one of {list(ROLES)}. Got {role!r}.")
    if bank is None:
        return role
    if not _BANK.match(str(bank)):
        raise RegistryError(f"A bank code is 3 digits (301). Got {bank!r}.", code="INVALID_BANK")
    return f"{role}-{bank}"


def _check_name(name: str) -> str:
    if not _NAME.match(name):
        raise RegistryError(
            f"A model name is letters, digits, '_', '.', '-' (at most 100). Got {name!r}.",
            code="INVALID_NAME",
        )
    return name


@contextmanager
def _mlflow_errors(what: str) -> Iterator[None]:
    """Translate MLflow and transport errors into this package's tree."""
    from mlflow.exceptions import MlflowException

    try:
        yield
    except MlflowException as exc:
        if exc.error_code in _NOT_FOUND or "not found" in exc.message:  # missing alias
            raise ModelNotFound(f"{what}: not found ({exc.message}).") from exc
        if exc.error_code in _REFUSED:
            raise RegistryError(f"{what}: {exc.message}", code="REGISTRY_REFUSED") from exc
        raise RegistryUnavailable(f"{what}: the registry failed ({exc.message}).") from exc
    except OSError as exc:  # requests' errors are OSErrors too
        raise RegistryUnavailable(f"{what}: the registry cannot be reached ({exc}).") from exc


@dataclass(frozen=True)
class VersionInfo:
    """One registered version: number, aliases, tags, run and artifact source."""

    name: str
    version: int
    aliases: tuple[str, ...]
    tags: dict[str, str]
    run_id: str | None
    source: str
    created_ms: int
    description: str

    @classmethod
    def from_mlflow(cls, mv: Any) -> VersionInfo:
        """From an ``mlflow.entities.model_registry.ModelVersion``."""
        return cls(
            name=mv.name,
            version=int(mv.version),
            aliases=tuple(sorted(mv.aliases or ())),
            tags=dict(mv.tags or {}),
            run_id=mv.run_id,
            source=mv.source,
            created_ms=int(mv.creation_timestamp or 0),
            description=mv.description or "",
        )

    @property
    def metrics(self) -> dict[str, float]:
        """Hold-out metrics from the lineage tags."""
        raw = self.tags.get("nongxin.metrics")
        return {} if not raw else {k: float(v) for k, v in json.loads(raw).items()}

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for ``nongxin model show --json``)."""
        return {
            "name": self.name,
            "version": self.version,
            "aliases": list(self.aliases),
            "tags": dict(sorted(self.tags.items())),
            "run_id": self.run_id,
            "source": self.source,
            "created_ms": self.created_ms,
            "description": self.description,
        }


class ModelRegistry:
    """Rating models in an MLflow registry (embedded SQLite by default, or a server).

    Parameters
    ----------
    tracking_uri : str, optional
        MLflow tracking/registry URI; default from :class:`RegistrySettings`
        (``MLFLOW_TRACKING_URI`` or ``sqlite:///<NONGXIN_HOME>/mlflow/mlflow.db``).
    settings : RegistrySettings, optional
        Default: read from the environment.
    """

    def __init__(
        self, tracking_uri: str | None = None, *, settings: RegistrySettings | None = None
    ) -> None:
        from mlflow.tracking import MlflowClient

        self.settings = settings or get_registry_settings()
        self.tracking_uri = tracking_uri or self.settings.tracking_uri()
        self.embedded = self.tracking_uri.startswith("sqlite:")
        if self.embedded:
            self.settings.mlflow_dir.mkdir(parents=True, exist_ok=True)
        self.client = MlflowClient(tracking_uri=self.tracking_uri, registry_uri=self.tracking_uri)

    def _experiment_id(self) -> str:
        with _mlflow_errors(f"experiment {EXPERIMENT}"):
            found = self.client.get_experiment_by_name(EXPERIMENT)
            if found is not None:
                return str(found.experiment_id)
            location = self.settings.artifact_root() if self.embedded else None
            return str(self.client.create_experiment(EXPERIMENT, artifact_location=location))

    def _ensure_model(self, name: str) -> None:
        from mlflow.exceptions import MlflowException

        with _mlflow_errors(f"model {name}"):
            try:
                self.client.get_registered_model(name)
            except MlflowException as exc:
                if exc.error_code not in _NOT_FOUND:
                    raise
                self.client.create_registered_model(
                    name, description="Farmer rating model (nongxin flavor)."
                )

    def register(
        self,
        model: RatingModel,
        *,
        name: str,
        lineage: Lineage,
        input_example: pd.DataFrame,
        evidence: pd.DataFrame | None = None,
        description: str = "",
    ) -> VersionInfo:
        """Save ``model``, log it with its evidence in a run and register a new version.

        The version carries the lineage tags (:data:`~model_registry.lineage.LINEAGE_TAGS`);
        ``evidence`` (the hold-out test set with its target) is logged as
        ``evidence/validation.parquet`` in the same run, the default evidence of promotion.
        """
        _check_name(name)
        with tempfile.TemporaryDirectory(prefix="nongxin-register-") as tmp:
            path = Path(tmp) / "model"
            meta = {"lineage": lineage.to_dict(), "registered_model_name": name}
            save_model(model, path, input_example=input_example, metadata=meta)
            return self.register_saved(
                path, name=name, lineage=lineage, evidence=evidence, description=description
            )

    def register_saved(
        self,
        path: Path,
        *,
        name: str,
        lineage: Lineage,
        evidence: pd.DataFrame | None = None,
        description: str = "",
    ) -> VersionInfo:
        """Register a model folder written by :func:`~model_registry.flavor.save_model` as is
        (its checksums are verified first)."""
        _check_name(name)
        model = read_parts(Path(path))
        tags = lineage.tags(model.content_hash)
        experiment = self._experiment_id()
        with tempfile.TemporaryDirectory(prefix="nongxin-evidence-") as tmp:
            if evidence is not None:
                evidence.to_parquet(Path(tmp) / EVIDENCE_FILE, index=False)
            with _mlflow_errors(f"register {name}"):
                run = self.client.create_run(experiment, run_name=f"{name}-register", tags=tags)
                run_id = run.info.run_id
                for key, value in lineage.metrics.items():
                    self.client.log_metric(run_id, key, float(value))
                self.client.log_artifacts(run_id, str(path), "model")
                if evidence is not None:
                    self.client.log_artifacts(run_id, tmp, "evidence")
                self.client.set_terminated(run_id)
        self._ensure_model(name)
        with _mlflow_errors(f"register {name}"):
            mv = self.client.create_model_version(
                name,
                source=f"{run.info.artifact_uri}/model",
                run_id=run_id,
                tags=tags,
                description=description or None,
            )
        return VersionInfo.from_mlflow(mv)

    def versions(self, name: str) -> list[VersionInfo]:
        """Every version of ``name``, newest first."""
        _check_name(name)
        with _mlflow_errors(f"model {name}"):
            self.client.get_registered_model(name)
            found = self.client.search_model_versions(f"name='{name}'")
        return sorted((VersionInfo.from_mlflow(v) for v in found), key=lambda v: -v.version)

    def version(self, name: str, version: int) -> VersionInfo:
        """One version (``ModelNotFound`` if absent)."""
        _check_name(name)
        with _mlflow_errors(f"{name} version {version}"):
            return VersionInfo.from_mlflow(self.client.get_model_version(name, str(int(version))))

    def resolve(self, name: str, alias: str) -> VersionInfo:
        """The version ``alias`` points at (``ModelNotFound`` if the alias is not set)."""
        _check_name(name)
        with _mlflow_errors(f"{name}@{alias}"):
            return VersionInfo.from_mlflow(self.client.get_model_version_by_alias(name, alias))

    def resolve_for_bank(self, name: str, role: str, bank: str | None) -> VersionInfo:
        """``role-bank`` if the bank has its own model, else the federation-wide ``role``."""
        if bank is not None:
            try:
                return self.resolve(name, alias_name(role, bank))
            except ModelNotFound:
                pass
        return self.resolve(name, alias_name(role))

    def aliases(self, name: str) -> dict[str, int]:
        """``{alias: version}`` of a registered model."""
        _check_name(name)
        with _mlflow_errors(f"model {name}"):
            model = self.client.get_registered_model(name)
        return {a: int(v) for a, v in sorted((model.aliases or {}).items())}

    def set_alias(self, name: str, alias: str, version: int) -> None:
        """Point ``alias`` at ``version`` (no gate: use :func:`model_registry.promote`)."""
        with _mlflow_errors(f"{name}@{alias}"):
            self.client.set_registered_model_alias(name, alias, str(int(version)))

    def set_version_tags(self, name: str, version: int, tags: Mapping[str, str]) -> None:
        """Add or replace tags of a version."""
        with _mlflow_errors(f"{name} version {version}"):
            for key, value in tags.items():
                self.client.set_model_version_tag(name, str(int(version)), key, value)

    def model_tags(self, name: str) -> dict[str, str]:
        """Tags of the registered model (the promotion history lives there)."""
        with _mlflow_errors(f"model {name}"):
            return dict(self.client.get_registered_model(name).tags or {})

    def set_model_tag(self, name: str, key: str, value: str) -> None:
        """Set one tag of the registered model."""
        with _mlflow_errors(f"model {name}"):
            self.client.set_registered_model_tag(name, key, value)

    def _download(self, uri: str, dst: str) -> Path:
        from mlflow.artifacts import download_artifacts

        with _mlflow_errors(f"artifact {uri}"):
            return Path(
                download_artifacts(artifact_uri=uri, dst_path=dst, tracking_uri=self.tracking_uri)
            )

    def load(self, name: str, version: int) -> RatingModel:
        """The native :class:`RatingModel` of a version (checksums verified)."""
        info = self.version(name, version)
        with tempfile.TemporaryDirectory(prefix="nongxin-load-") as tmp:
            return read_parts(self._download(info.source, tmp))

    def evidence(self, name: str, version: int) -> pd.DataFrame:
        """The validation set logged with a version (``ModelNotFound`` if none was logged)."""
        info = self.version(name, version)
        if info.run_id is None:
            raise ModelNotFound(f"{name} version {version} has no run, so no logged evidence.")
        with tempfile.TemporaryDirectory(prefix="nongxin-evidence-") as tmp:
            path = self._download(f"runs:/{info.run_id}/evidence/{EVIDENCE_FILE}", tmp)
            return pd.read_parquet(path)

    def compare(self, name: str, a: int, b: int) -> pd.DataFrame:
        """Two versions side by side: aliases, lineage, approvals, metrics, model summary."""
        columns = {f"v{v}": _summary(self.version(name, v), self.load(name, v)) for v in (a, b)}
        return pd.DataFrame(columns).fillna("-")


def _summary(info: VersionInfo, model: RatingModel) -> dict[str, Any]:
    """One column of :meth:`ModelRegistry.compare` (evidence JSON left out: see ``show``)."""
    out: dict[str, Any] = {"aliases": ", ".join(info.aliases) or "-"}
    out |= {
        key.removeprefix("nongxin."): value
        for key, value in sorted(info.tags.items())
        if key.startswith("nongxin.") and key != "nongxin.metrics" and not key.endswith(".evidence")
    }
    out |= {f"metric.{k}": round(v, 4) for k, v in sorted(info.metrics.items())}
    cut = zip(model.scale.grades, model.scale.max_pd, strict=True)
    out |= {
        "mode": model.mode,
        "statistical_features": 0 if model.statistical is None else len(model.statistical.features),
        "expert_card": "-"
        if model.expert is None
        else f"{model.expert.name}@{model.expert.version}",
        "cutoffs_max_pd": ", ".join(f"{g}<={p:g}" for g, p in cut),
        "knockouts": ", ".join(r.code for r in model.knockouts) or "-",
    }
    return out
