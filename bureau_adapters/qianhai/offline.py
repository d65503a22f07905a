"""Qianhai results from stored documents: a sandbox province's ``reports/qianhai/*.json``.

A results document holds the decrypted ``busiData`` records of each product, keyed by
product code (``docs/sandbox.md``)::

    {"household_id": "H00000001", "products": {"8005": [record], "8036": [...], ...}}

A product absent from ``products`` was not queried (its features are NaN); a product whose
records are all ``E000996`` is "no data"; an empty list of records is a malformed document
(``QH_NO_RECORDS``), as it is in a live answer. The same typed parsing as the live client is used,
so a feature computed offline equals the one computed after a query.

>>> doc = {"products": {"8005": [{"erCode": "E000996"}]}}
>>> {code: r.outcome for code, r in results_from_document(doc).items()}
{'8005': 'no_data'}
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bureau_adapters.qianhai.errors import QianhaiMalformedResponse
from bureau_adapters.qianhai.features import qh_feature_frame
from bureau_adapters.qianhai.models import QianhaiResult
from bureau_adapters.qianhai.products import PRODUCTS, parse_records

__all__ = [
    "qh_features_from_province",
    "result_from_stored",
    "results_from_document",
    "stored_content",
]

_NO_DATA = {"erCode": "E000996"}
_ECHOED = frozenset({"idNo", "idType", "name", "mobileNo", "moblieNos", "cardNos", "ips", "ip"})


def results_from_document(
    doc: Mapping[str, Any], *, trans_no: str = "offline"
) -> dict[str, QianhaiResult]:
    """Typed results of every product present in a results document."""
    products = doc.get("products")
    if not isinstance(products, Mapping):
        raise QianhaiMalformedResponse(
            "A Qianhai results document must have a 'products' object.", field="products"
        )
    out: dict[str, QianhaiResult] = {}
    for key, records in products.items():
        code = str(key).upper().removeprefix("MSC")
        if code not in PRODUCTS:
            continue
        rows = [records] if isinstance(records, Mapping) else records
        if not isinstance(rows, list):
            raise QianhaiMalformedResponse(
                f"Qianhai results of product {code} must be a list of records.",
                field=f"products.{code}",
            )
        out[code] = parse_records(code, rows, trans_no=trans_no)
    return out


def qh_features_from_province(province_dir: Path, *, as_of: dt.date | None = None) -> Any:
    """The ``qh_*`` feature frame of every household of a sandbox province.

    Windows count back from each household's ``survey_date`` (the day its reports were
    pulled) unless ``as_of`` is given. Households without a results file get NaN rows.
    """
    import pandas as pd

    folder = Path(province_dir)
    households = pd.read_parquet(
        folder / "households.parquet", columns=["household_id", "survey_date"]
    )
    dates = dict(
        zip(households["household_id"], pd.to_datetime(households["survey_date"]), strict=True)
    )
    results: dict[str, dict[str, QianhaiResult]] = {}
    for household_id in households["household_id"]:
        path = folder / "reports" / "qianhai" / f"{household_id}.json"
        doc = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"products": {}}
        results[household_id] = results_from_document(doc)
    days = {k: as_of or v.date() for k, v in dates.items()}
    return qh_feature_frame(results, as_of=days)


def stored_content(product: str, trans_no: str, records: list[Any]) -> bytes:
    """What the report store keeps of an answer: product fields only, the echoed identity
    (ID number, name, phone, IP) dropped."""
    kept = [{k: v for k, v in r.items() if k not in _ECHOED} for r in records]
    doc = {"product": product, "trans_no": trans_no, "records": kept}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def result_from_stored(
    product: str,
    content: bytes | None,
    *,
    trans_no: str,
    received_at: dt.datetime | None = None,
) -> QianhaiResult:
    """The typed result of a stored answer (``None`` content means ``E000996`` no data)."""
    if content is None:
        return parse_records(product, [_NO_DATA], trans_no=trans_no, received_at=received_at)
    doc = json.loads(content.decode("utf-8"))
    return parse_records(
        product, doc["records"], trans_no=doc.get("trans_no", trans_no), received_at=received_at
    )
