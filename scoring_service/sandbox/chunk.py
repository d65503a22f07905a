"""Generate one chunk of households: survey, bureau facts, reports on disk, PD and outcome.

Chunk ``i`` draws everything from ``SeedSequence(seed, spawn_key=(1, i))`` (the ``i``-th
child of the second child of ``SeedSequence(seed)``), so its content does not depend on how
many worker processes run or in which order chunks finish.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from scoring_service.sandbox.accounts import HouseholdProfile
from scoring_service.sandbox.bureau import BureauFacts, draw_bureau, thin_file_probability
from scoring_service.sandbox.envelope import header_line, wrap_report
from scoring_service.sandbox.pboc import Person, Quirks, render_report
from scoring_service.sandbox.people import Heads, draw_heads
from scoring_service.sandbox.qianhai import draw_qianhai, qianhai_drivers
from scoring_service.sandbox.risk import DRIVER_COLUMNS, bureau_drivers, logit_terms, true_pd
from scoring_service.sandbox.survey import draw_survey

__all__ = ["CHUNK_SIZE", "ChunkResult", "World", "build_chunk"]

CHUNK_SIZE = 1_000
GBK_SHARE = 0.10
HEADER_LINE_SHARE = 0.20
_VILLAGE_SHIFT = {
    "credit_township": -0.30,
    "credit_village": -0.20,
    "ordinary": 0.0,
    "watchlist": 0.40,
}
_EMPLOYMENT = {"farmer": "27", "business": "54", "wage": "24"}


@dataclass(frozen=True)
class World:
    """What every chunk shares (small and picklable)."""

    seed: int
    households: int
    as_of: dt.date
    banks: pd.DataFrame
    villages: pd.DataFrame
    root: Path
    chunk_size: int = CHUNK_SIZE


@dataclass(frozen=True)
class ChunkResult:
    """The tables of one chunk (rows in household order)."""

    index: int
    households: pd.DataFrame
    outcomes: pd.DataFrame
    drivers: pd.DataFrame


def _report_bytes(person: Person, facts: BureauFacts, rnd: random.Random) -> bytes:
    text = render_report(person, facts, Quirks.draw(rnd), rnd)
    encoded = text.encode("gbk") if rnd.random() < GBK_SHARE else text.encode("utf-8")
    header = ""
    if rnd.random() < HEADER_LINE_SHARE:
        stamp = dt.datetime.combine(facts.report_date, dt.time(9, 0)) + dt.timedelta(
            seconds=rnd.randint(0, 30_000)
        )
        header = header_line(person.bank_inst, stamp, rnd.randint(1, 10**12), rnd.random() < 0.5)
    return wrap_report(encoded, header)


def _employment(row: dict[str, Any]) -> str:
    if row["income_business"] > max(row["income_crop"], row["income_wage"]):
        return _EMPLOYMENT["business"]
    if row["income_wage"] > row["income_crop"] + row["income_livestock"]:
        return _EMPLOYMENT["wage"]
    return _EMPLOYMENT["farmer"]


def _person(
    row: dict[str, Any], heads: Heads, i: int, village: dict[str, Any], bank: dict[str, Any]
) -> Person:
    address = f"湖南省{village['county']}{village['village_name']}{(i % 9) + 1}组"
    return Person(
        heads.name[i], heads.id_number[i], bool(heads.male[i]), heads.birth[i], row["education"],
        row["marital_status"], heads.phone[i], heads.spouse_name[i], heads.spouse_id[i],
        heads.spouse_phone[i], address, _employment(row), bank["institution_code"], village["county"],
    )  # fmt: skip


def _debts(facts: BureauFacts, bank_inst: str) -> tuple[float, float, float]:
    own = other = 0.0
    for acc in facts.accounts:
        if not acc.closed:
            if acc.inst_code == bank_inst:
                own += acc.balance
            else:
                other += acc.balance
    return own, other, float(sum(g.balance for g in facts.guarantees))


def _survey_frame(
    world: World, index: int, n: int, rng: np.random.Generator
) -> tuple[pd.DataFrame, np.ndarray]:
    villages = world.villages
    weights = villages["size_weight"].to_numpy()
    v_idx = rng.choice(len(villages), n, p=weights / weights.sum())
    status = villages["credit_village_status"].to_numpy()[v_idx]
    z = rng.standard_normal(n) + np.array([_VILLAGE_SHIFT[s] for s in status])
    cols = draw_survey(z, world.as_of, rng)
    start = index * world.chunk_size
    frame = pd.DataFrame(
        {
            "household_id": [f"H{start + k + 1:08d}" for k in range(n)],
            "bank_code": villages["bank_code"].to_numpy()[v_idx],
            "village_id": villages["village_id"].to_numpy()[v_idx],
            "credit_village_status": status,
            **cols,
        }
    )
    return frame, z


def build_chunk(world: World, index: int) -> ChunkResult:
    """Generate chunk ``index``: write its report files and return its table rows."""
    ss = np.random.SeedSequence(world.seed, spawn_key=(1, index))
    rng = np.random.default_rng(ss)
    rnd = random.Random(int(rng.integers(0, 2**62)))
    n = min(world.chunk_size, world.households - index * world.chunk_size)
    frame, z = _survey_frame(world, index, n, rng)
    banks = {r["bank_code"]: r for r in world.banks.to_dict("records")}
    county_code = np.array([banks[c]["county_code"] for c in frame["bank_code"]])
    heads = draw_heads(
        frame["head_age"].to_numpy(),
        (frame["marital_status"] == "married").to_numpy(),
        county_code,
        world.as_of,
        rng,
    )
    villages = {r["village_id"]: r for r in world.villages.to_dict("records")}
    rows = frame.to_dict("records")
    extra: list[dict[str, Any]] = []
    for i, row in enumerate(rows):
        extra.append(
            _household(
                world,
                row,
                heads,
                i,
                float(z[i]),
                villages[row["village_id"]],
                banks[row["bank_code"]],
                rnd,
            )
        )
    return _assemble(index, frame, heads, pd.DataFrame(extra), rng)


def _household(
    world: World, row: dict[str, Any], heads: Heads, i: int, z: float,
    village: dict[str, Any], bank: dict[str, Any], rnd: random.Random,
) -> dict[str, Any]:  # fmt: skip
    income = sum(row[c] for c in row if str(c).startswith("income_"))
    report_date = world.as_of - dt.timedelta(days=0 if rnd.random() < 0.7 else rnd.randint(1, 3))
    joint = row["requested_product"] == "joint_guarantee" or rnd.random() < 0.2
    profile = HouseholdProfile(
        z, int(row["head_age"]), income, report_date, bank["institution_code"], joint
    )
    thin = rnd.random() < thin_file_probability(profile.age, income, z)
    facts = draw_bureau(profile, thin, rnd)
    drivers = bureau_drivers(facts)
    hid = row["household_id"]
    (world.root / "reports" / "pboc" / f"{hid}.xml").write_bytes(
        _report_bytes(_person(row, heads, i, village, bank), facts, rnd)
    )
    doc = draw_qianhai(hid, z, facts, drivers["n_delinq_months_24m"], rnd)
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    (world.root / "reports" / "qianhai" / f"{hid}.json").write_text(text, encoding="utf-8")
    own, other, guarantees = _debts(facts, bank["institution_code"])
    return {
        "debt_this_bank": own, "debt_other_banks": other, "guarantees_given": guarantees,
        "report_date": report_date, **drivers, **qianhai_drivers(doc),
    }  # fmt: skip


def _assemble(
    index: int, frame: pd.DataFrame, heads: Heads, extra: pd.DataFrame, rng: np.random.Generator
) -> ChunkResult:
    identity = pd.DataFrame(
        {
            "head_name": heads.name,
            "id_type": "10",
            "id_number": heads.id_number,
            "phone": heads.phone,
        }
    )
    full = pd.concat([frame, identity, extra], axis=1)
    pd_true = true_pd(full)
    default = (rng.random(len(full)) < pd_true).astype(np.int8)
    outcomes = pd.DataFrame(
        {"household_id": full["household_id"], "true_pd": pd_true, "default_12m": default}
    )
    terms = logit_terms(full).add_prefix("term_")
    driver_cols = [
        "household_id",
        "report_date",
        *DRIVER_COLUMNS,
        "qh_credoo_score",
        "qh_dishonest_debtor",
    ]
    drivers = pd.concat([full[driver_cols], terms], axis=1)
    households = full.assign(thin_file=full["thin_file"].astype(bool))
    return ChunkResult(index, households, outcomes, drivers)
