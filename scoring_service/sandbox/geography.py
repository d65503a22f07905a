"""Banks and villages of the sandbox province (a Hunan-like province of county rural banks).

Bank ``k`` (``301``, ``302``, ...) is the rural commercial bank of the ``k``-th county below;
its villages lie in that county, and most of its customers were born there (the first six
digits of their resident ID are the county's administrative code).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["COUNTIES", "CREDIT_VILLAGE_STATUSES", "make_banks", "make_villages"]

# (administrative code, county name) — real county-level codes of Hunan province.
COUNTIES: tuple[tuple[str, str], ...] = (
    ("431321", "双峰"), ("431382", "涟源"), ("431381", "冷水江"), ("431322", "新化"),
    ("430582", "邵东"), ("430522", "新邵"), ("430523", "邵阳"), ("430524", "隆回"),
    ("430525", "洞口"), ("430527", "绥宁"), ("430528", "新宁"), ("430581", "武冈"),
    ("430621", "岳阳"), ("430623", "华容"), ("430624", "湘阴"), ("430626", "平江"),
    ("430681", "汨罗"), ("430682", "临湘"), ("430721", "安乡"), ("430722", "汉寿"),
    ("430723", "澧县"), ("430724", "临澧"), ("430725", "桃源"), ("430726", "石门"),
    ("430781", "津市"), ("430921", "南县"), ("430922", "桃江"), ("430923", "安化"),
    ("430981", "沅江"), ("431021", "桂阳"), ("431022", "宜章"), ("431023", "永兴"),
    ("431024", "嘉禾"), ("431025", "临武"), ("431026", "汝城"), ("431027", "桂东"),
    ("431028", "安仁"), ("431081", "资兴"), ("431181", "祁阳"), ("431122", "东安"),
    ("431123", "双牌"), ("431124", "道县"), ("431125", "江永"), ("431126", "宁远"),
    ("431127", "蓝山"), ("431128", "新田"), ("430121", "长沙县"), ("430181", "浏阳"),
    ("430182", "宁乡"), ("430223", "攸县"), ("430224", "茶陵"), ("430225", "炎陵"),
    ("430281", "醴陵"), ("430321", "湘潭县"), ("430381", "湘乡"), ("430382", "韶山"),
    ("430421", "衡阳县"), ("430422", "衡南"), ("430423", "衡山"), ("430424", "衡东"),
    ("430426", "祁东"), ("430481", "耒阳"), ("430482", "常宁"), ("431224", "溆浦"),
    ("431225", "会同"), ("431226", "麻阳"), ("431228", "芷江"), ("431281", "洪江"),
    ("433122", "泸溪"), ("433123", "凤凰"), ("433124", "花垣"), ("433125", "保靖"),
    ("433126", "古丈"), ("433127", "永顺"), ("433130", "龙山"), ("430821", "慈利"),
    ("430822", "桑植"), ("431121", "零陵"), ("431129", "江华"), ("431221", "中方"),
    ("431222", "沅陵"), ("431223", "辰溪"), ("431227", "新晃"), ("431229", "靖州"),
    ("431230", "通道"),
)  # fmt: skip

CREDIT_VILLAGE_STATUSES = ("credit_township", "credit_village", "ordinary", "watchlist")
_STATUS_SHARES = (0.10, 0.35, 0.47, 0.08)

_VILLAGE_PREFIXES = (
    "青石", "白马", "黄土", "杨柳", "枫桥", "龙潭", "凤山", "石桥", "大塘", "新田", "高坪",
    "长乐", "东湖", "西冲", "南岭", "北山", "金竹", "花园", "梅林", "荷塘", "桃源", "松柏",
    "竹山", "麻田", "水口", "双江", "太平", "和平", "永丰", "丰收", "红星", "柳塘", "杉木",
    "茶园", "田心", "油溪", "沙坪", "樟树", "石羊", "万福",
)  # fmt: skip
_VILLAGE_INFIXES = ("", "", "", "冲", "湾", "坪", "岭", "铺")


def make_banks(banks: int) -> pd.DataFrame:
    """The banks table: ``bank_code`` 301, 302, ... with Chinese names and their county."""
    rows = []
    for k in range(banks):
        code, county = COUNTIES[k % len(COUNTIES)]
        cycle = k // len(COUNTIES)
        suffix = "" if cycle == 0 else f"{cycle + 1}"
        rows.append(
            {
                "bank_code": f"{301 + k:03d}",
                "bank_name": f"{county}{suffix}农商行",
                "county": county,
                "county_code": code,
                # 14-character financial-institution code used in PBOC reports
                "institution_code": f"C{301 + k:03d}{code}{cycle:04d}",
            }
        )
    return pd.DataFrame(rows)


def village_counts(households: int, banks: int) -> int:
    """How many villages a province of this size has (about 150 households per village)."""
    return max(3 * banks, -(-households // 150))


def make_villages(banks: pd.DataFrame, households: int, rng: np.random.Generator) -> pd.DataFrame:
    """The villages table, with a credit-village status and a size weight per village.

    Banks get villages in proportion to an uneven market size, so bank books differ in size.
    """
    n_banks = len(banks)
    n_villages = village_counts(households, n_banks)
    market = rng.uniform(0.6, 1.6, n_banks)
    extra = rng.multinomial(n_villages - 3 * n_banks, market / market.sum())
    per_bank = extra + 3
    bank_idx = np.repeat(np.arange(n_banks), per_bank)
    first = rng.integers(0, len(_VILLAGE_PREFIXES), n_villages)
    second = rng.integers(0, len(_VILLAGE_INFIXES), n_villages)
    names = [
        f"{_VILLAGE_PREFIXES[a]}{_VILLAGE_INFIXES[b]}村"
        for a, b in zip(first.tolist(), second.tolist(), strict=True)
    ]
    status = rng.choice(len(CREDIT_VILLAGE_STATUSES), n_villages, p=_STATUS_SHARES)
    return pd.DataFrame(
        {
            "village_id": [f"V{i + 1:05d}" for i in range(n_villages)],
            "bank_code": banks["bank_code"].to_numpy()[bank_idx],
            "village_name": names,
            "county": banks["county"].to_numpy()[bank_idx],
            "credit_village_status": np.asarray(CREDIT_VILLAGE_STATUSES)[status],
            "size_weight": rng.uniform(0.5, 1.5, n_villages),
        }
    )
