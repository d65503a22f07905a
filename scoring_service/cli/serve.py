"""``nongxin serve``: run the scoring HTTP API with uvicorn."""

from __future__ import annotations

import click

from scoring_service.cli.sandbox import OneLineCommand

__all__ = ["serve"]


@click.command(cls=OneLineCommand)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--log-level",
    default="warning",
    show_default=True,
    type=click.Choice(["critical", "error", "warning", "info", "debug"]),
)
def serve(host: str, port: int, workers: int, log_level: str) -> None:
    """Serve POST /v1/ratings, GET /v1/decisions/{id}, POST /v1/consents, /healthz, /readyz.

    State (decisions, consents, reports, banks and keys) lives in NONGXIN_DATABASE_URL
    (default SQLite under NONGXIN_HOME); the PBOC front-end is NONGXIN_BUREAU_PBOC_ENDPOINT;
    the champion comes from the registry (MLFLOW_TRACKING_URI or the embedded store).
    OpenAPI: http://HOST:PORT/docs.
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
        log_level=log_level,
        access_log=False,
    )
