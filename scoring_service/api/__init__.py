"""The scoring HTTP API (FastAPI): ``create_app(settings)``.

Routes: ``POST /v1/ratings``, ``GET /v1/decisions/{id}``, ``POST /v1/consents``,
``GET /v1/consents/{id}``, ``GET /v1/reports/{store_id}``, ``GET /healthz``, ``GET /readyz``.
Every call but the health checks carries the bank's key in ``X-API-Key``; every read is scoped
to that bank. Errors are ``application/problem+json`` (:mod:`scoring_service.api.problems`).
"""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from bureau_adapters.pii import install_log_masking
from scoring_service.api import health, ratings, records
from scoring_service.api.problems import install_problem_handlers
from scoring_service.api.services import Services
from scoring_service.settings import NongxinSettings, get_settings

__all__ = ["Services", "app_factory", "create_app"]


def create_app(settings: NongxinSettings, *, services: Services | None = None) -> FastAPI:
    """The FastAPI application; ``services`` default to :meth:`Services.from_settings`.

    Installs the log masking (:func:`bureau_adapters.pii.install_log_masking`) in the
    process that builds the app: each worker of ``nongxin serve --workers N`` builds its own,
    so uvicorn's handlers and tracebacks are masked in every worker.
    """
    install_log_masking()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = services is None
        built = app.state.services = services or Services.from_settings(settings)
        # the champion refresh runs off the request path; started through the thread pool,
        # which also imports anyio's thread machinery now rather than in a worker's first
        # request (and reads the banks off the event loop)
        await run_in_threadpool(built.start)
        # What start-up loaded (modules, the champion, the caches) lives as long as the
        # worker: out of the collector's generations, a full collection scans only what
        # requests left behind (over the ~450k start-up objects it took about 0.2 s, a
        # stall of every request in flight). Given back at shutdown.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            if owned:
                built.close()
            else:
                built.champions.stop()

    app = FastAPI(
        title="nongxin scoring service",
        version="1",
        summary="Credit rating and limits for rural credit cooperatives (农信).",
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    for module in (ratings, records, health):
        app.include_router(module.router)
    return app


def app_factory() -> FastAPI:
    """The app from the environment's settings (``uvicorn --factory``)."""
    return create_app(get_settings())
