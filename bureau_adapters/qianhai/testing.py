"""A tiny province for Qianhai tests and demos: a few subjects with canned vendor records.

:func:`write_tiny_province` writes ``households.parquet`` and ``reports/qianhai/<id>.json``
in the sandbox layout (``docs/data-model.md``), with records that exercise every sentinel.
The sandbox generator (:mod:`scoring_service.sandbox`) makes realistic provinces; this one
is small and hand-checkable.

>>> import tempfile, pathlib
>>> people = write_tiny_province(pathlib.Path(tempfile.mkdtemp()))
>>> sorted(people)
['H00000001', 'H00000002', 'H00000003', 'H00000004']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bureau_adapters.identity import check_digit

__all__ = ["TINY_RECORDS", "tiny_document", "tiny_id_number", "write_tiny_province"]


def tiny_id_number(serial: int, born: str = "19800101", region: str = "430521") -> str:
    """A valid 18-digit resident ID number (correct check digit) for a test subject."""
    first17 = f"{region}{born}{serial:03d}"
    return first17 + check_digit(first17)


#: household -> product -> vendor records (sentinels on purpose; see the module docstring)
TINY_RECORDS: dict[str, dict[str, Any]] = {
    # a full hit on every product
    "H00000001": {
        "8005": {
            "sourceId": "1",
            "credooScore": "612",
            "bseInfoScore": "35",
            "finRequireScore": "20",
            "payAbilityScore": "28",
            "performScore": "41",
            "actionScore": "18",
            "virAssetScore": "-1",
            "trendScore": "NULL",
            "dataBuildTime": "2026-10-31",
        },
        "8036": [
            {
                "sourceId": "A",
                "rskScore": "35",
                "rskMark": "",
                "dataBuildTime": "2026-08-15",
                "dataStatus": "1",
            },
            {
                "sourceId": "A",
                "rskScore": "20",
                "rskMark": "",
                "dataBuildTime": "2025-12-01",
                "dataStatus": "2",
            },
            {
                "sourceId": "B",
                "rskScore": "-1",
                "rskMark": "B1",
                "dataBuildTime": "2026-05-20",
                "dataStatus": "1",
            },
            {
                "sourceId": "C",
                "rskScore": "",
                "rskMark": "C1",
                "dataBuildTime": "99",
                "dataStatus": "99",
            },
        ],
        "8037": [
            {
                "industry": "BAK",
                "amount": "2",
                "busiDate": "2026-10-02",
                "reasonCode": "01",
                "bnkAmount": "2",
                "cnssAmount": "1",
                "p2pAmount": "0",
                "queryAmt": "5",
                "queryAmtM3": "3",
                "queryAmtM6": "5",
            },
            {
                "industry": "MCL",
                "amount": "3",
                "busiDate": "2026-09-12",
                "reasonCode": "01",
                "bnkAmount": "2",
                "cnssAmount": "1",
                "p2pAmount": "0",
                "queryAmt": "5",
                "queryAmtM3": "3",
                "queryAmtM6": "5",
            },
            {"industry": "CNS", "amount": "-1", "busiDate": "0", "reasonCode": "99"},
        ],
        "8075": {
            "isMachdProxy": "1",
            "isMachdVPN": "0",
            "isMachdBlMakt": "1",
            "isMachFraud": "0",
            "isMachEmpty": "99",
            "isMachCraCall": "",
            "rskScore": "67",
            "iUpdateDate": "2026-09-01",
            "mUpdateDate": "NULL",
        },
    },
    # no permission everywhere: every value is a sentinel
    "H00000002": {
        "8005": {"sourceId": "99", "credooScore": "-1", "dataBuildTime": "99"},
        "8036": [
            {
                "sourceId": "99",
                "rskScore": "-1",
                "rskMark": "99",
                "dataBuildTime": "99",
                "dataStatus": "99",
            }
        ],
        "8037": [{"industry": "OTH", "amount": "0", "busiDate": "0"}],
        "8075": {"rskScore": "-1"},
    },
    # in the province, but Qianhai has nothing on them (E000996 for every product)
    "H00000003": {},
    # a thin file: a score and nothing else
    "H00000004": {"8005": {"sourceId": "1", "credooScore": "540", "dataBuildTime": "20261001"}},
}

_PRODUCTS = ("8005", "8036", "8037", "8075")
_NO_DATA = {"erCode": "E000996", "erMsg": "查无数据"}


def tiny_document(household_id: str) -> dict[str, Any]:
    """The results document of one tiny household, in the sandbox shape (``erCode`` on
    every record; a product without records answers ``E000996``)."""
    products: dict[str, Any] = {}
    for code in _PRODUCTS:
        value = TINY_RECORDS[household_id].get(code)
        rows = [] if value is None else value if isinstance(value, list) else [value]
        products[code] = [{**r, "erCode": "E000000", "erMsg": "成功"} for r in rows] or [_NO_DATA]
    return {"household_id": household_id, "products": products}


_NAMES = {"H00000001": "张三", "H00000002": "李四", "H00000003": "王五", "H00000004": "赵六"}


def write_tiny_province(folder: Path) -> dict[str, dict[str, str]]:
    """Write the tiny province; return household -> {id_number, name, phone}."""
    import pandas as pd

    folder = Path(folder)
    (folder / "reports" / "qianhai").mkdir(parents=True, exist_ok=True)
    people = {
        hid: {
            "id_number": tiny_id_number(n),
            "name": _NAMES[hid],
            "phone": f"1380000{n:04d}",
        }
        for n, hid in enumerate(sorted(TINY_RECORDS), start=1)
    }
    frame = pd.DataFrame(
        {
            "household_id": list(people),
            "head_name": [p["name"] for p in people.values()],
            "id_type": "10",
            "id_number": [p["id_number"] for p in people.values()],
            "phone": [p["phone"] for p in people.values()],
            "survey_date": pd.Timestamp("2026-11-01"),
        }
    )
    frame.to_parquet(folder / "households.parquet", index=False)
    for hid in TINY_RECORDS:
        doc = tiny_document(hid)
        path = folder / "reports" / "qianhai" / f"{hid}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False, indent=1), encoding="utf-8")
    return people
