"""``nongxin serve``: run the scoring HTTP API with uvicorn."""

from __future__ import annotations

import click

from scoring_service.cli.sandbox import OneLineCommand

__all__ = ["KEEP_ALIVE_SECONDS", "serve"]

#: How long an idle kept-alive connection stays open. uvicorn's default (5 s) is shorter
#: than the idle timeout of common client pools and load balancers (60 s): the server then
#: closes connections the client still holds, and the client's next request on one of them
#: fails (a reset, or no answer). The side that closes idle connections must be the client.
KEEP_ALIVE_SECONDS = 75


@click.command(cls=OneLineCommand)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--keep-alive",
    "keep_alive",
    default=KEEP_ALIVE_SECONDS,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds an idle kept-alive connection stays open (keep it above the idle timeout "
    "of the client's connection pool or load balancer).",
)
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(host: str, port: int, workers: int, keep_alive: int, log_level: str) -> None:
    """Serve POST /v1/ratings, GET /v1/decisions/{id}, POST /v1/consents, /healthz, /readyz.

    State (decisions, consents, reports, banks and keys) lives in NONGXIN_DATABASE_URL
    (default SQLite under NONGXIN_HOME); the PBOC front-end is NONGXIN_BUREAU_PBOC_ENDPOINT;
    the champion comes from the registry (MLFLOW_TRACKING_URI or the embedded store) and is
    refreshed in the background. Event loop uvloop and HTTP parser httptools. OpenAPI:
    http://HOST:PORT/docs.
    """
    import uvicorn

    from bureau_adapters.pii import install_log_masking

    install_log_masking()
    uvicorn.run(
        "scoring_service.api:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        loop="uvloop",
        http="httptools",
        timeout_keep_alive=keep_alive,
        log_level=log_level,
        access_log=False,
    )
