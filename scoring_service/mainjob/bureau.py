"""Steps 1-2: generate the province; query and parse every household's reports under consent."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from scoring_service.mainjob.context import JobContext, StepFailed
from scoring_service.mainjob.fetch import (
    OPERATOR,
    PBOC_REASON,
    QIANHAI_PRODUCTS,
    QIANHAI_REASON,
    fetch_all,
    record_consents,
)
from scoring_service.mainjob.frame import answers_frame, pboc_features

__all__ = [
    "OPERATOR",
    "bureau_step",
    "demo_engine",
    "generate_step",
    "pick_applicants",
    "record_consents",
]


def pick_applicants(province: Any, n: int, seed: int) -> list[str]:
    """The province's households kept out of the book as new applicants: the riskiest and the
    safest by the sandbox's true PD, a dishonest judgment debtor (失信被执行人, Qianhai 8036
    B1) when the province has one, and the rest at random — the sandbox knows who is who,
    so the demo shows refusals with their reasons and an approval."""
    households = pd.read_parquet(province / "households.parquet", columns=["household_id"])
    truth = pd.read_parquet(province / "outcomes.parquet", columns=["household_id", "true_pd"])
    drivers = pd.read_parquet(
        province / "risk_drivers.parquet", columns=["household_id", "qh_dishonest_debtor"]
    )
    chosen: list[str] = []
    debtors = drivers.loc[drivers["qh_dishonest_debtor"] > 0, "household_id"].sort_values()
    if len(debtors):
        chosen.append(str(debtors.iloc[0]))
    riskiest = truth[~truth["household_id"].isin(chosen)].nlargest(1, "true_pd")
    chosen += riskiest["household_id"].astype(str).tolist()
    if n > len(chosen):
        safest = truth[~truth["household_id"].isin(chosen)].nsmallest(1, "true_pd")
        chosen += safest["household_id"].astype(str).tolist()
    rest = households[~households["household_id"].isin(chosen)]
    picked = rest.sample(max(0, n - len(chosen)), random_state=seed)["household_id"]
    return sorted([*chosen, *picked.astype(str)])


def generate_step(ctx: JobContext) -> None:
    """Generate the sandbox province (replacing an earlier demo province): the book plus a
    few new applicants the bureaus know but the book does not hold."""
    from scoring_service.sandbox import generate_province

    ctx.out.mkdir(parents=True, exist_ok=True)
    s = generate_province(
        ctx.province,
        households=ctx.households + ctx.applicants,
        banks=ctx.banks,
        seed=ctx.seed,
        overwrite=True,
        progress=ctx.progress,
    )
    ctx.state["summary"] = s
    new = pick_applicants(ctx.province, ctx.applicants, ctx.seed)
    ctx.state["applicant_ids"] = new
    households = pd.read_parquet(ctx.province / "households.parquet")
    book = households[~households["household_id"].isin(new)].reset_index(drop=True)
    ctx.state["book_households"] = book
    ctx.state["banks"] = sorted(str(b) for b in book["bank_code"].unique())
    for code, n in book["bank_code"].value_counts().sort_index().items():
        ctx.say(f"bank {code} {s.bank_names[str(code)]}: {n:,} households in the book")
    ctx.say(
        f"{s.households:,} households, default rate {s.default_rate:.2%}, thin files "
        f"{s.thin_file_share:.1%}, Bayes AUC of the true PD {s.bayes_auc:.3f}"
    )
    ctx.say(f"{len(new)} new applicants kept out of the book (the bureaus know them): {new}")
    ctx.say(f"written to {ctx.province}")


def demo_engine(ctx: JobContext) -> Any:
    """The compliance database of the job (``NONGXIN_HOME/nongxin.db`` unless configured).

    On SQLite the job's connections commit with ``synchronous=NORMAL`` (write-ahead log: a
    commit survives a crash of the process, the last ones may not survive a power cut); with
    the default ``FULL`` every gated query waits for four disk syncs, which made the bulk
    fetch ~5x slower on the development machine. PostgreSQL is left as configured.
    """
    import sqlalchemy as sa

    from bureau_adapters.compliance import create_engine, ensure_schema

    engine = create_engine()
    if engine.dialect.name == "sqlite":

        def _normal(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        sa.event.listen(engine, "connect", _normal)
    ensure_schema(engine)
    return engine


def _check_against_files(ctx: JobContext, frame: pd.DataFrame) -> int:
    """Fetched reports give the same features as the province's files (a seeded sample of
    PBOC reports, every household's Qianhai results); the number of PBOC reports compared."""
    from bureau_adapters.qianhai.offline import qh_features_from_province

    ids = frame["household_id"].sample(min(50, len(frame)), random_state=ctx.seed).tolist()
    cached = pboc_features(ctx.province, ids).drop(columns=["report_id", "report_date"])
    fetched = frame.set_index("household_id").loc[ids, cached.columns]
    qh_cached = qh_features_from_province(ctx.province)
    qh_cached = qh_cached.loc[frame["household_id"]]
    qh_fetched = frame.set_index("household_id")[qh_cached.columns]
    for what, a, b in (("PBOC", fetched, cached), ("Qianhai", qh_fetched, qh_cached)):
        same = np.allclose(a.to_numpy(dtype=float), b.to_numpy(dtype=float), equal_nan=True)
        if not same:
            raise StepFailed(f"{what} reports fetched over HTTP differ from the province's files.")
    return len(ids)


def bureau_step(ctx: JobContext) -> None:
    """Consents, then every book household's PBOC report (SOAP) and Qianhai results (HTTP)
    through the simulators and the compliance gate; parse them into the model frame."""
    from bureau_adapters.compliance import AuditLog

    book: pd.DataFrame = ctx.state["book_households"]
    engine = demo_engine(ctx)
    ctx.state["engine"] = engine
    n = record_consents(engine, book, dt.date.today())
    ctx.say(
        f"recorded {2 * n:,} signed consents (PBOC reason {PBOC_REASON}, Qianhai reason "
        f"{QIANHAI_REASON}: loan approval) for {n:,} households"
    )
    answers, endpoints = fetch_all(engine, ctx.province, book, progress=ctx.progress)
    ctx.say(f"PBOC simulator (SOAP) on {endpoints['pboc']}: {answers.pboc_outcomes}")
    ctx.say(
        f"Qianhai simulator (signed, encrypted JSON) on {endpoints['qianhai']}, products "
        f"{', '.join(QIANHAI_PRODUCTS)}: {answers.qianhai_outcomes}"
    )
    if answers.reused:
        ctx.say(f"{answers.reused:,} PBOC reports reused from the store (inside the window)")
    outcomes = pd.read_parquet(ctx.province / "outcomes.parquet")
    frame = answers_frame(book, answers.pboc, answers.qianhai, outcomes)
    ctx.state["frame"] = frame
    compared = _check_against_files(ctx, frame)
    audited = sum(
        len(AuditLog(engine).list(code, limit=1_000_000))
        for code in sorted(book["bank_code"].unique())
    )
    ctx.say(
        f"audit log: {audited:,} rows; the fetched answers give the same features as the "
        f"province's files ({compared} PBOC reports, every household's Qianhai results)"
    )
    ctx.say(
        f"parsed {len(frame):,} households: {frame.shape[1]} columns (survey, PBOC and "
        f"Qianhai features, sandbox outcomes)"
    )
