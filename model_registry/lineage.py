"""Lineage of a registered version: what data, which features, which code, how good, who.

Every version registered through :class:`~model_registry.registry.ModelRegistry` carries these
tags (``nongxin.`` prefix); registration refuses a lineage with an empty field.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from model_registry.exceptions import RegistryError

__all__ = ["LINEAGE_TAGS", "Lineage", "code_version"]

#: tag keys every registered version carries
LINEAGE_TAGS: tuple[str, ...] = (
    "nongxin.training_data_sha256",
    "nongxin.feature_catalog_version",
    "nongxin.code_version",
    "nongxin.metrics",
    "nongxin.author",
    "nongxin.model_sha256",
)
_REPO = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_version() -> str:
    """``nongxin <package version>`` plus ``git describe`` of the source tree when it is one."""
    version = f"nongxin {importlib_metadata.version('nongxin')}"
    if not (_REPO / ".git").exists():
        return version
    try:
        described = subprocess.run(  # noqa: S603
            ["git", "-C", str(_REPO), "describe", "--always", "--dirty", "--tags"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return version
    return f"{version} (git {described})" if described else version


@dataclass(frozen=True)
class Lineage:
    """Where a model version comes from.

    Parameters
    ----------
    training_data_sha256 : str
        Content hash of the training table (:func:`model_registry.train.data_hash`).
    feature_catalog_version : str
        Feature catalog the inputs follow (``pboc-features/1``; ``none`` for survey-only
        models).
    author : str
        Who trained the model.
    metrics : mapping of str to float
        Hold-out metrics (``test_auc``, ``test_ks``, …).
    code_version : str
        Default :func:`code_version`.
    """

    training_data_sha256: str
    feature_catalog_version: str
    author: str
    metrics: Mapping[str, float] = field(default_factory=dict)
    code_version: str = field(default_factory=code_version)

    def __post_init__(self) -> None:
        empty = [
            name
            for name in (
                "training_data_sha256",
                "feature_catalog_version",
                "author",
                "code_version",
            )
            if not str(getattr(self, name) or "").strip()
        ]
        if empty:
            raise RegistryError(
                f"Lineage fields {empty} must not be empty: every version records them.",
                code="LINEAGE_INCOMPLETE",
                fields_missing=empty,
            )

    def tags(self, model_sha256: str) -> dict[str, str]:
        """The lineage as model-version tags (values are strings)."""
        return {
            "nongxin.training_data_sha256": self.training_data_sha256,
            "nongxin.feature_catalog_version": self.feature_catalog_version,
            "nongxin.code_version": self.code_version,
            "nongxin.metrics": json.dumps(dict(self.metrics), sort_keys=True),
            "nongxin.author": self.author,
            "nongxin.model_sha256": model_sha256,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (written into ``MLmodel`` metadata)."""
        return {
            "training_data_sha256": self.training_data_sha256,
            "feature_catalog_version": self.feature_catalog_version,
            "author": self.author,
            "metrics": dict(self.metrics),
            "code_version": self.code_version,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lineage:
        """Inverse of :meth:`to_dict`."""
        try:
            return cls(
                training_data_sha256=str(data["training_data_sha256"]),
                feature_catalog_version=str(data["feature_catalog_version"]),
                author=str(data["author"]),
                metrics={str(k): float(v) for k, v in data.get("metrics", {}).items()},
                code_version=str(data.get("code_version") or code_version()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RegistryError(f"Malformed lineage ({exc!r}).", code="LINEAGE_INCOMPLETE") from exc
