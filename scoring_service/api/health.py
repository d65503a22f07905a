"""``/healthz`` (the process answers) and ``/readyz`` (models, database, each bureau).

Both are open (no API key), for load balancers and orchestrators: they name no bank. A bank's
key on ``/readyz`` adds that bank's own champion, and no other's.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Header
from fastapi.responses import JSONResponse

from model_registry.exceptions import RegistryError
from scoring_service.api.deps import ServicesDep
from scoring_service.exceptions import TenantError

__all__ = ["router"]

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(services: ServicesDep) -> dict[str, Any]:
    """Liveness: the process answers. ``bureaus`` lists each configured bureau (``pboc``,
    ``qianhai`` when a Qianhai client is configured) without contacting it (see
    ``/readyz``)."""
    return {"status": "ok", "bureaus": services.bureau_names()}


@router.get("/readyz", responses={503: {"description": "Not ready (see the checks)."}})
def readyz(
    services: ServicesDep,
    x_api_key: Annotated[
        str | None,
        Header(description="Optional: a bank's API key adds that bank's champion to `models`."),
    ] = None,
) -> JSONResponse:
    """Readiness: the database; each configured bureau's front-end on its own key
    (``bureaus.pboc``, ``bureaus.qianhai``: TCP connect, ``ok`` and the error's type); every
    bank's champion (served, or a cached version while the registry is down).
    ``not_ready`` names what failed in ``failed`` (e.g. ``["bureaus.qianhai"]``), with 503.

    Without a key the answer says how many banks are served and in which state
    (``model_states``), never which banks, champions or versions: the route is open to load
    balancers. With a bank's key (``X-API-Key``) ``models`` also holds that bank's champion:
    name, version, status, refresh mode and the registry's last error."""
    db_ok, db_error = services.database_ok()
    bureaus = services.bureaus_health()
    caller: str | None = None
    if x_api_key is not None:
        with contextlib.suppress(TenantError):  # a bad key sees what anyone sees
            caller = services.tenancy.authenticate(x_api_key)
    models: list[dict[str, Any]] = []
    for bank in services.tenancy.banks():
        loader = services.champions.loader(bank.bank_code)
        with contextlib.suppress(RegistryError):  # reported by health() below
            loader.get()
        models.append(loader.health())
    states = [m["status"] for m in models]
    models_ok = all(state in ("ok", "degraded") for state in states)
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
        "model_states": {state: states.count(state) for state in sorted(set(states))},
        "models": [m for m in models if caller is not None and m["bank"] == caller],
        "registry_reachable": all(m["last_error"] is None for m in models),
    }
    return JSONResponse(body, status_code=503 if failed else 200)
