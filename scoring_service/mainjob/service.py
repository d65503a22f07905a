"""Step 8: start the scoring API and rate the new applicants (not in the book) over HTTP."""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

import pandas as pd

from scoring_service.mainjob.context import JobContext, StepFailed
from scoring_service.mainjob.fetch import OPERATOR, record_consents

__all__ = ["applicants", "service_step"]


def applicants(ctx: JobContext) -> pd.DataFrame:
    """The new applicants' survey rows (households the book does not hold)."""
    households = pd.read_parquet(ctx.province / "households.parquet")
    chosen = households[households["household_id"].isin(ctx.state["applicant_ids"])]
    return chosen.sort_values("household_id").reset_index(drop=True)


def _keys(services: Any, banks: list[str], config_dir: Any) -> dict[str, str]:
    keys = {}
    for code in banks:
        if not services.tenancy.has_bank(code):
            services.tenancy.add_bank(code, f"bank {code}", config_dir=config_dir)
        keys[code] = services.tenancy.add_key(code, label=OPERATOR).secret
    return keys


def _line(row: pd.Series, body: dict[str, Any]) -> str:
    reasons = ", ".join(f"{r['code']} {r['en']}" for r in body["reasons"][:3])
    verdict = "REFUSED" if body["limit"] == 0 else f"limit {body['limit']:,} yuan"
    lineage = body["lineage"]
    return (
        f"{row['household_id']} at bank {body['bank_code']} ({lineage['model_name']} "
        f"v{lineage['model_version']}): grade {body['grade']}, PD {body['pd']:.2%}, {verdict}; "
        f"reasons: {reasons}"
    )


def service_step(ctx: JobContext) -> None:
    """The real app under uvicorn on a free loopback port, the bureaus behind the simulators."""
    import httpx

    from bureau_adapters.pboc.simulator import PbocSimulator
    from bureau_adapters.qianhai.simulator import QianhaiSimulator
    from bureau_adapters.settings import BureauSettings
    from scoring_service.api import Services, create_app
    from scoring_service.api.testing import rating_body, serve_in_thread
    from scoring_service.settings import NongxinSettings

    settings = NongxinSettings(home=ctx.home, config_dir=ctx.config_dir)
    banks = ctx.state["banks"]
    people = applicants(ctx)
    record_consents(ctx.state["engine"], people, dt.date.today())
    ctx.say(f"recorded the {len(people)} new applicants' signed consents (PBOC and Qianhai)")
    rated = []
    with contextlib.ExitStack() as stack:
        pboc = stack.enter_context(PbocSimulator(ctx.province))
        bureau = BureauSettings.from_env().model_copy(update={"pboc_endpoint": pboc.endpoint})
        qianhai = stack.enter_context(QianhaiSimulator(ctx.province))
        services = Services.build(
            settings, ctx.state["engine"], registry=ctx.state["registry"],
            bureau_settings=bureau, qianhai=qianhai.client,
        )  # fmt: skip
        stack.callback(services.close)
        keys = _keys(services, banks, ctx.config_dir)
        app = create_app(settings, services=services)
        url = stack.enter_context(serve_in_thread(app))
        client = stack.enter_context(httpx.Client(base_url=url, timeout=60))
        ctx.say(
            f"API on {url} (POST /v1/ratings, one API key per bank); PBOC (SOAP) and Qianhai "
            "(HTTP) simulators behind it (each bank's plan: config/bureaus.yaml)"
        )
        for _, row in people.iterrows():
            body = rating_body(row, operator=OPERATOR)
            answer = client.post(
                "/v1/ratings", json=body, headers={"X-API-Key": keys[str(row["bank_code"])]}
            )
            if answer.status_code != 200:
                raise StepFailed(f"POST /v1/ratings answered {answer.status_code}: {answer.text}")
            rated.append(answer.json())
            ctx.say(_line(row, rated[-1]))
    ctx.state["api_decisions"] = rated
