"""``/healthz`` (the process answers) and ``/readyz`` (models, database, each bureau)."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from model_registry.exceptions import RegistryError
from scoring_service.api.deps import ServicesDep

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(services: ServicesDep) -> dict[str, Any]:
    """Liveness: the process answers. ``bureaus`` lists each configured bureau (``pboc``,
    ``qianhai`` when a Qianhai client is configured) without contacting it (see
    ``/readyz``)."""
    return {"status": "ok", "bureaus": services.bureau_names()}


@router.get("/readyz", responses={503: {"description": "Not ready (see the checks)."}})
def readyz(services: ServicesDep) -> JSONResponse:
    """Readiness: per bank, the champion served (version, registry reachable or serving a
    cached version while it is down); the database; each configured bureau's front-end on
    its own key (``bureaus.pboc``, ``bureaus.qianhai``: TCP connect, ``ok`` and the error's
    type). ``not_ready`` names what failed in ``failed`` (e.g. ``["bureaus.qianhai"]``)."""
    db_ok, db_error = services.database_ok()
    bureaus = services.bureaus_health()
    models: list[dict[str, Any]] = []
    for bank in services.tenancy.banks():
        loader = services.champions.loader(bank.bank_code)
        with contextlib.suppress(RegistryError):  # reported by health() below
            loader.get()
        models.append(loader.health())
    models_ok = all(m["status"] in ("ok", "degraded") for m in models)
    failed = [
        *([] if db_ok else ["database"]),
        *(f"bureaus.{name}" for name, check in bureaus.items() if not check["ok"]),
        *([] if models_ok else ["models"]),
    ]
    body = {
        "status": "not_ready" if failed else "ready",
        "failed": failed,
        "database": {"ok": db_ok, "error": db_error},
        "bureaus": bureaus,
        "models": models,
        "registry_reachable": all(m["last_error"] is None for m in models),
    }
    return JSONResponse(body, status_code=503 if failed else 200)
