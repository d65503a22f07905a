"""``Annotated`` dependencies: the services and the calling bank (from its API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from starlette.concurrency import run_in_threadpool

from scoring_service.api.services import Services

__all__ = ["API_KEY", "BankDep", "ServicesDep", "calling_bank", "get_services"]


async def get_services(request: Request) -> Services:
    """The services built at start-up (on the event loop: no thread hop)."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


#: The bank's key, documented in OpenAPI as the ``ApiKey`` security scheme (read from the
#: headers directly: cheaper per request than a declared header parameter).
API_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name="ApiKey",
    description="The bank's API key (nongxin bank add-key).",
    auto_error=False,
)


async def calling_bank(
    services: ServicesDep, x_api_key: Annotated[str | None, Security(API_KEY)]
) -> str:
    """The bank the API key belongs to (401 problem otherwise). A recently verified key is
    answered from memory on the event loop; otherwise the database is read in a thread."""
    bank = services.tenancy.cached_bank(x_api_key)
    if bank is not None:
        return bank
    return await run_in_threadpool(services.tenancy.authenticate, x_api_key)


BankDep = Annotated[str, Depends(calling_bank)]
