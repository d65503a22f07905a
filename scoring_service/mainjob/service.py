"""Step 7: start the scoring API and rate a few applicants over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from scoring_service.mainjob.bureau import OPERATOR, record_consents
from scoring_service.mainjob.context import JobContext, StepFailed

__all__ = ["applicants", "service_step"]


def applicants(ctx: JobContext, n: int = 3) -> pd.DataFrame:
    """``n`` applicants the re-rating granted credit, plus one it refused (grade E, limit 0)."""
    decisions: pd.DataFrame = ctx.state["decisions"]
    granted = decisions[decisions["limit"] > 0].sample(
        min(n, int((decisions["limit"] > 0).sum())), random_state=ctx.seed
    )
    refused = decisions[(decisions["limit"] == 0) & (decisions["grade"] == "E")]
    refused = refused.sort_values("knockout", ascending=False, key=lambda s: s.astype(bool))
    chosen = pd.concat([granted, refused.head(1)])["household_id"]
    households = pd.read_parquet(ctx.province / "households.parquet")
    return households.set_index("household_id").loc[chosen.tolist()].reset_index()


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
    return (
        f"{row['household_id']} at bank {body['bank_code']}: grade {body['grade']}, "
        f"PD {body['pd']:.2%}, {verdict}; reasons: {reasons}"
    )


def service_step(ctx: JobContext) -> None:
    """The real app under uvicorn on a free loopback port, PBOC behind the simulator."""
    import httpx

    from bureau_adapters.pboc.simulator import PbocSimulator
    from bureau_adapters.settings import BureauSettings
    from scoring_service.api import Services, create_app
    from scoring_service.api.testing import rating_body, serve_in_thread
    from scoring_service.settings import NongxinSettings

    settings = NongxinSettings(home=ctx.home, config_dir=ctx.config_dir)
    banks = sorted(ctx.state["summary"].households_per_bank)
    people = applicants(ctx)
    record_consents(ctx.state["engine"], people, dt.date.today())
    ctx.say(f"recorded the {len(people)} applicants' signed consents")
    rated = []
    with PbocSimulator(ctx.province) as simulator:
        bureau = BureauSettings.from_env().model_copy(update={"pboc_endpoint": simulator.endpoint})
        services = Services.build(
            settings, ctx.state["engine"], registry=ctx.state["registry"], bureau_settings=bureau
        )
        try:
            keys = _keys(services, banks, ctx.config_dir)
            app = create_app(settings, services=services)
            with serve_in_thread(app) as url, httpx.Client(base_url=url, timeout=60) as client:
                ctx.say(f"API on {url} (POST /v1/ratings, one API key per bank)")
                for _, row in people.iterrows():
                    body = rating_body(row, operator=OPERATOR)
                    answer = client.post(
                        "/v1/ratings", json=body, headers={"X-API-Key": keys[str(row["bank_code"])]}
                    )
                    if answer.status_code != 200:
                        raise StepFailed(
                            f"POST /v1/ratings answered {answer.status_code}: {answer.text}"
                        )
                    rated.append(answer.json())
                    ctx.say(_line(row, rated[-1]))
        finally:
            services.close()
    ctx.state["api_decisions"] = rated
