"""``/healthz`` (the process answers) and ``/readyz`` (model, database, bureau)."""

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
def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "Not ready (see the checks)."}})
def readyz(services: ServicesDep) -> JSONResponse:
    """Readiness: per bank, the champion served (version, registry reachable or serving a
    cached version while it is down); the database; the PBOC front-end (TCP)."""
    db_ok, db_error = services.database_ok()
    bureau_ok, bureau_error = services.bureau_ok()
    models: list[dict[str, Any]] = []
    for bank in services.tenancy.banks():
        loader = services.champions.loader(bank.bank_code)
        with contextlib.suppress(RegistryError):  # reported by health() below
            loader.get()
        models.append(loader.health())
    models_ok = all(m["status"] in ("ok", "degraded") for m in models)
    ready = db_ok and bureau_ok and models_ok
    body = {
        "status": "ready" if ready else "not_ready",
        "database": {"ok": db_ok, "error": db_error},
        "bureaus": {"pboc": {"ok": bureau_ok, "error": bureau_error}},
        "models": models,
        "registry_reachable": all(m["last_error"] is None for m in models),
    }
    return JSONResponse(body, status_code=200 if ready else 503)
