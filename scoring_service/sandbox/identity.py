"""Identity data of sandbox people: names, resident ID numbers, phones, e-mail-free contacts.

ID numbers follow GB 11643-1999: six-digit region code, birth date, three-digit sequence
(odd for men, even for women) and the MOD 11-2 check character from
:func:`bureau_adapters.identity.check_digit`. The birth date makes the person exactly
``age`` years old on the survey date.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

from bureau_adapters.identity import check_digit

__all__ = ["age_on", "birth_dates", "names", "phones", "resident_ids"]

# Common surnames, most frequent first (weights fall off geometrically).
_SURNAMES = (
    "刘李王陈张周彭谭曾罗唐肖杨黄赵吴徐胡邓欧阳龚贺廖蒋朱何袁邹易颜段谢文郭雷汤聂"
    "孙马高林郑梁宋许韩冯曹田董潘蔡余杜叶程苏魏吕丁任沈姚卢姜钟陆汪范金石贾夏方"
)
_MALE = "伟强军勇杰涛明超华平刚辉建国志红卫东海林波斌鹏飞宏文武德生春成长友福贵富荣松柏"
_FEMALE = "芳娟敏静丽艳霞燕玲秀英兰桂梅凤琴红华云萍翠娥春菊香莲珍玉花琼慧娇"
_PHONE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151",
    "152", "153", "155", "156", "157", "158", "159", "173", "176", "177", "180", "181",
    "182", "183", "185", "186", "187", "188", "189", "191", "199",
)  # fmt: skip


def _surname_list() -> list[str]:
    # "欧阳" is the one two-character surname in the list
    out: list[str] = []
    chars = _SURNAMES.replace("欧阳", "")
    out.extend(chars[:20])
    out.append("欧阳")
    out.extend(chars[20:])
    return out


_SURNAME_LIST = _surname_list()
_SURNAME_P = 0.93 ** np.arange(len(_SURNAME_LIST))
_SURNAME_P /= _SURNAME_P.sum()


def names(male: np.ndarray, rng: np.random.Generator) -> list[str]:
    """Chinese full names: a surname and one or two given-name characters by sex."""
    n = len(male)
    surname = rng.choice(len(_SURNAME_LIST), n, p=_SURNAME_P)
    two = rng.random(n) < 0.7
    g1 = rng.integers(0, 10_000, n)
    g2 = rng.integers(0, 10_000, n)
    out = []
    for i in range(n):
        pool = _MALE if male[i] else _FEMALE
        given = pool[g1[i] % len(pool)]
        if two[i]:
            given += pool[g2[i] % len(pool)]
        out.append(_SURNAME_LIST[surname[i]] + given)
    return out


def age_on(birth: dt.date, day: dt.date) -> int:
    """Completed years of age on ``day``."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _anniversary(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def birth_dates(ages: np.ndarray, on: dt.date, rng: np.random.Generator) -> list[dt.date]:
    """Birth dates that make each person exactly ``ages[i]`` years old on ``on``."""
    u = rng.random(len(ages))
    out = []
    for age, ui in zip(ages.tolist(), u.tolist(), strict=True):
        latest = _anniversary(on, age)
        earliest = _anniversary(on, age + 1) + dt.timedelta(days=1)
        span = (latest - earliest).days
        out.append(latest - dt.timedelta(days=int(ui * (span + 1)) if span > 0 else 0))
    return out


def resident_ids(
    region: list[str], births: list[dt.date], male: np.ndarray, rng: np.random.Generator
) -> list[str]:
    """Valid 18-character resident ID numbers (odd sequence digit for men, even for women)."""
    seq = rng.integers(0, 500, len(region)) * 2 + np.where(male, 1, 0)
    out = []
    for code, born, s in zip(region, births, seq.tolist(), strict=True):
        first17 = f"{code}{born:%Y%m%d}{s:03d}"
        out.append(first17 + check_digit(first17))
    return out


def phones(n: int, rng: np.random.Generator) -> list[str]:
    """11-digit mainland mobile numbers."""
    prefix = rng.integers(0, len(_PHONE_PREFIXES), n)
    rest = rng.integers(0, 100_000_000, n)
    return [
        f"{_PHONE_PREFIXES[p]}{r:08d}" for p, r in zip(prefix.tolist(), rest.tolist(), strict=True)
    ]
