"""``Annotated`` dependencies: the services and the calling bank (from its API key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from scoring_service.api.services import Services

__all__ = ["BankDep", "ServicesDep", "calling_bank", "get_services"]


def get_services(request: Request) -> Services:
    """The services built at start-up."""
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def calling_bank(
    services: ServicesDep,
    x_api_key: Annotated[
        str | None, Header(description="The bank's API key (nongxin bank add-key).")
    ] = None,
) -> str:
    """The bank the API key belongs to (401 problem otherwise)."""
    return services.tenancy.authenticate(x_api_key)


BankDep = Annotated[str, Depends(calling_bank)]
