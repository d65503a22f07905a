"""The Qianhai plan remembers products per column list: same answers, champion changes followed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bureau_adapters.qianhai.errors import QianhaiConfigError
from bureau_adapters.qianhai.plan import FEATURE_PRODUCTS, QianhaiPlan, products_for_columns

COLUMNS = [*sorted(FEATURE_PRODUCTS), "land_mu", "age", "pboc_overdue_m12"]


@given(st.lists(st.sampled_from(COLUMNS), max_size=12))
def test_the_remembered_products_equal_the_computed_ones(columns: list[str]) -> None:
    plan = QianhaiPlan()
    assert plan.products("301", lambda: columns) == products_for_columns(columns)
    assert plan.products("301", lambda: list(columns)) == products_for_columns(columns)


def test_the_products_follow_a_champion_change() -> None:
    plan = QianhaiPlan()
    champion = {"columns": ["land_mu", "qh_b1_dishonest"]}
    first = plan.products("301", lambda: champion["columns"])
    champion["columns"] = ["land_mu", "qh_b1_dishonest", "qh_score"]  # a new champion
    second = plan.products("301", lambda: champion["columns"])
    champion["columns"] = ["land_mu"]  # one reading no Qianhai feature
    third = plan.products("301", lambda: champion["columns"])
    assert first == ("8036",)
    assert second == ("8005", "8036")
    assert third == ()


def test_an_incomplete_bank_list_is_refused_on_every_call() -> None:
    plan = QianhaiPlan(banks={"303": ("8005",)})
    columns = ["qh_score", "qh_b1_dishonest"]
    assert plan.products("301", lambda: columns) == ("8005", "8036")
    for _ in range(2):
        with pytest.raises(QianhaiConfigError, match="does not query") as info:
            plan.products("303", lambda: columns)
        assert info.value.code == "QH_PLAN_INCOMPLETE"
    assert plan.products("303", lambda: ["qh_score"]) == ("8005",)
