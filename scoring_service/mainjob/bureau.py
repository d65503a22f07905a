"""Steps 1-2: generate the province; query and parse the bureau reports under consent."""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import numpy as np
import pandas as pd

from scoring_service.mainjob.context import JobContext, StepFailed
from scoring_service.mainjob.frame import model_frame, pboc_features

__all__ = ["OPERATOR", "bureau_step", "generate_step", "record_consents"]

#: Who the main job says it is in consents, queries and approvals.
OPERATOR = "nongxin-demo"
_REASON = "02"  # PBOC query reason: loan approval (贷款审批)


def generate_step(ctx: JobContext) -> None:
    """Generate the sandbox province (replacing an earlier demo province)."""
    from scoring_service.sandbox import generate_province

    ctx.out.mkdir(parents=True, exist_ok=True)
    s = generate_province(
        ctx.province, households=ctx.households, banks=ctx.banks, seed=ctx.seed, overwrite=True
    )
    ctx.state["summary"] = s
    for code, n in s.households_per_bank.items():
        ctx.say(f"bank {code} {s.bank_names[code]}: {n:,} households")
    ctx.say(
        f"{s.households:,} households, default rate {s.default_rate:.2%}, thin files "
        f"{s.thin_file_share:.1%}, Bayes AUC of the true PD {s.bayes_auc:.3f}"
    )
    ctx.say(f"written to {ctx.province}")


def record_consents(engine: Any, households: pd.DataFrame, as_of: dt.date) -> int:
    """One signed PBOC loan-approval consent per household, at its bank (signed a week
    before ``as_of``, valid a year)."""
    from bureau_adapters.compliance import ConsentRegistry

    registry = ConsentRegistry(engine)
    for row in households.itertuples(index=False):
        registry.record(
            bank_code=str(row.bank_code),
            subject_id=str(row.id_number),
            bureau="pboc",
            reason=_REASON,
            signed_on=as_of - dt.timedelta(days=7),
            valid_until=as_of + dt.timedelta(days=365),
            document_sha256=hashlib.sha256(f"consent-form:{row.household_id}".encode()).hexdigest(),
            recorded_by=OPERATOR,
        )
    return len(households)


def _query_sample(engine: Any, endpoint: str, sample: pd.DataFrame) -> list[Any]:
    """Query each sampled household's report through the client (gate: consent + audit)."""
    from bureau_adapters.compliance import Subject
    from bureau_adapters.pboc.client import PbocClient

    results = []
    with PbocClient(engine, endpoint=endpoint) as client:
        for row in sample.itertuples(index=False):
            subject = Subject(str(row.head_name), str(row.id_type), str(row.id_number))
            results.append(
                client.query(
                    str(row.bank_code), subject, _REASON, OPERATOR, f"DEMO-{row.household_id}"
                )
            )
    return results


def _check_same_features(sample: pd.DataFrame, results: list[Any], ctx: JobContext) -> None:
    """The reports fetched over HTTP give the same features as the cached files."""
    from bureau_adapters.pboc import parse_report
    from bureau_adapters.pboc.features import features_frame
    from bureau_adapters.pboc.models import PersonalReport

    reports = [parse_report(r.content) for r in results]
    fetched = features_frame([r for r in reports if isinstance(r, PersonalReport)])
    cached = pboc_features(ctx.province, sample["household_id"].tolist())
    cached = cached.drop(columns=["report_id", "report_date"])
    same = np.allclose(fetched.to_numpy(dtype=float), cached.to_numpy(dtype=float), equal_nan=True)
    if not same:
        raise StepFailed("Reports fetched over HTTP differ from the province's cached reports.")


def bureau_step(ctx: JobContext) -> None:
    """Consents, a sample of live PBOC queries through the simulator, then every report."""
    from bureau_adapters.compliance import AuditLog, create_engine, ensure_schema
    from bureau_adapters.pboc.simulator import PbocSimulator

    households = pd.read_parquet(ctx.province / "households.parquet")
    engine = create_engine()
    ensure_schema(engine)
    ctx.state["engine"] = engine
    sample = households.sample(min(ctx.sample, len(households)), random_state=ctx.seed)
    n = record_consents(engine, sample, dt.date.today())
    ctx.say(f"recorded {n:,} signed consents (PBOC, reason {_REASON} loan approval)")
    with PbocSimulator(ctx.province) as simulator:
        ctx.say(f"PBOC simulator on {simulator.endpoint}")
        results = _query_sample(engine, simulator.endpoint, sample)
        hits = simulator.hits
    outcomes = pd.Series([r.outcome.value for r in results]).value_counts().to_dict()
    ctx.say(f"queried {len(results)} households over HTTP ({hits} bureau hits): {outcomes}")
    _check_same_features(
        sample[[r.content is not None for r in results]], [r for r in results if r.content], ctx
    )
    audited = sum(
        len(AuditLog(engine).list(code, limit=100_000))
        for code in sorted(households["bank_code"].unique())
    )
    ctx.say(
        f"audit log: {audited} rows; fetched reports give the same features as the cached files"
    )
    cache = ctx.out / "frame.parquet"
    cache.unlink(missing_ok=True)  # a new province: parse again
    frame = model_frame(ctx.province, cache=cache, progress=ctx.progress)
    ctx.state["frame"] = frame
    ctx.say(
        f"parsed every household's report from the province's cached files (pulled at the "
        f"survey, same parser): {len(frame):,} rows x {frame.shape[1]} columns incl. PBOC and "
        f"Qianhai features"
    )
