"""Which Qianhai products an online rating queries (config/bureaus.yaml), and the coded
errors of a plan that cannot be followed (unit tests: no bureau is contacted)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bureau_adapters.compliance.subject import Subject
from bureau_adapters.qianhai.errors import QianhaiConfigError
from bureau_adapters.qianhai.plan import QianhaiPlan, products_for_columns
from scoring_service.pipeline import BureauGateway, RatingRequest

CONFIG = Path(__file__).resolve().parents[2] / "config"


def test_the_shipped_file_queries_what_the_model_reads() -> None:
    plan = QianhaiPlan.load(CONFIG)
    columns = ["land_mu", "n_accounts", "qh_b1_dishonest", "qh_score", "qh_query_amt_3m"]
    assert plan.products("301", lambda: columns) == ("8005", "8036", "8037")
    assert plan.products("301", lambda: ["land_mu"]) == ()
    assert plan.reason_for("02") == "01"
    assert plan.reason_for("01") == "03"


def test_products_follow_the_catalog_sources() -> None:
    assert products_for_columns(["qh_b1_dishonest"]) == ("8036",)
    assert products_for_columns(["qh_fraud_score", "qh_sub_trend"]) == ("8005", "8075")


def test_a_missing_file_means_model(tmp_path: Path) -> None:
    assert QianhaiPlan.load(tmp_path).products("301", lambda: ["qh_score"]) == ("8005",)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"qianhai": {"products": ["8005", "9999"]}}, "qianhai.products", "unknown Qianhai"),
        ({"qianhai": {"banks": {"301": "all"}}}, "qianhai.banks.301", "must be 'model' or"),
        ({"qianhai": {"product": "model"}}, "qianhai.product", "unknown keys"),
        ({"qianhai": {"reasons": {"02": "04"}}}, "qianhai.reasons.02", "01, 02 or 03"),
        ({"schema_version": "bureaus/9"}, "schema_version", "must be 'bureaus/1'"),
    ],
)
def test_invalid_plans_name_the_key(data: dict[str, Any], field: str, message: str) -> None:
    with pytest.raises(QianhaiConfigError, match=message) as info:
        QianhaiPlan.from_dict(data)
    assert (info.value.code, info.value.fields["field"]) == ("QH_PLAN_INVALID", field)


def test_a_bank_list_leaving_out_a_product_the_champion_reads_is_refused() -> None:
    plan = QianhaiPlan.from_dict(
        {"qianhai": {"products": ["8005", "8036"], "banks": {"302": ["8005"]}}}
    )
    columns = ["land_mu", "qh_score", "qh_b1_dishonest"]
    assert plan.products("301", lambda: columns) == ("8005", "8036")
    assert plan.products("301", lambda: ["qh_score"]) == ("8005", "8036")  # more is fine
    with pytest.raises(QianhaiConfigError, match=r"\['8036'\]") as info:
        plan.products("302", lambda: columns)
    assert (info.value.code, info.value.fields["field"]) == (
        "QH_PLAN_INCOMPLETE",
        "qianhai.banks.302",
    )


def test_an_unmapped_query_reason_is_a_coded_error() -> None:
    with pytest.raises(QianhaiConfigError, match="PBOC reason '09'") as info:
        QianhaiPlan().reason_for("09")
    assert (info.value.code, info.value.fields["field"]) == ("QH_REASON_UNMAPPED", "query_reason")


def test_a_plan_without_a_qianhai_client_refuses_before_any_query() -> None:
    gateway = BureauGateway(pboc=None, plan=QianhaiPlan(default=("8036",)))  # type: ignore[arg-type]
    request = RatingRequest(
        bank_code="301",
        subject=Subject("张三丰", "10", "11010519491231002X"),
        survey={},
        product="pure_credit",
    )
    with pytest.raises(QianhaiConfigError, match=r"Qianhai products \['8036'\]") as info:
        gateway.qianhai_ready(request)  # gather calls this before PBOC is paid for
    assert info.value.code == "QH_NOT_CONFIGURED"
    assert BureauGateway(pboc=None).qianhai_products("301") == ()  # type: ignore[arg-type]
