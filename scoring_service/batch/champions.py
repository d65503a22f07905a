"""Which model re-rates each bank: its registry champion, or a model file (offline runs).

A restarted run must use the versions its first start used, even if the champion alias moved
in between: :func:`registry_champions` takes the pinned ``(name, version)`` from the manifest.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from model_registry.bundle import RatingModel
from model_registry.serving import LoadedModel
from scoring_service.exceptions import UsageError

__all__ = ["model_file", "registry_champions"]


def model_file(path: Path, banks: Sequence[str], *, version: int = 0) -> dict[str, LoadedModel]:
    """One model from a JSON file (``RatingModel.to_json``) for every bank.

    ``version`` is stamped as the model version (0: not a registered version).
    """
    try:
        model = RatingModel.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"Cannot read the model file {path}: {exc}", field="model") from exc
    loaded = LoadedModel(model.name, version, "file", model)
    return dict.fromkeys(banks, loaded)


def registry_champions(
    banks: Sequence[str],
    *,
    name: str | None = None,
    pinned: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, LoadedModel]:
    """Each bank's champion (its own ``champion-<bank>``, else ``champion``), loaded once
    per version; with ``pinned`` (bank → ``{"name", "version"}``) exactly those versions."""
    from model_registry.registry import ModelRegistry
    from model_registry.settings import get_registry_settings

    registry = ModelRegistry()
    model_name = name or get_registry_settings().model_name
    loaded: dict[tuple[str, int], LoadedModel] = {}
    out: dict[str, LoadedModel] = {}
    for bank in banks:
        if pinned is not None and bank in pinned:
            key = (str(pinned[bank]["name"]), int(pinned[bank]["version"]))
            alias = "pinned"
        else:
            info = registry.resolve_for_bank(model_name, "champion", bank)
            key = (model_name, int(info.version))
            alias = next((a for a in info.aliases if a.startswith("champion")), "champion")
        if key not in loaded:
            loaded[key] = LoadedModel(key[0], key[1], alias, registry.load(*key))
        out[bank] = loaded[key]
    return out
