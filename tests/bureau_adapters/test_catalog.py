"""The feature-catalog framework and the generated docs/feature-catalog.md."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from bureau_adapters.catalog import (
    UNITS,
    FeatureCatalog,
    FeatureSpec,
    catalog_document,
    load_catalog,
)
from bureau_adapters.exceptions import BureauError

DOC = Path(__file__).resolve().parents[2] / "docs" / "feature-catalog.md"


def _spec(**changes: object) -> FeatureSpec:
    base = FeatureSpec(
        name="qh_demo_cnt",
        definition="Demo count.",
        unit="count",
        window="12m",
        missing="0 when absent.",
        sources=("X01",),
        bureau="qianhai",
        catalog_version="qh-features/1",
        dtype="int",
        group="demo",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "Bad Name"}, "'name' must be lower snake case"),
        ({"unit": "parsecs"}, "'unit' must be one of " + ", ".join(UNITS)),
        ({"dtype": "str"}, "'dtype' must be 'int' or 'float'"),
        ({"definition": ""}, "'definition' must not be empty"),
        ({"missing": ""}, "'missing' must not be empty"),
    ],
)
def test_invalid_specs_say_what_is_wrong(changes: dict[str, object], message: str) -> None:
    with pytest.raises(BureauError, match=message) as info:
        _spec(**changes)
    assert info.value.code == "CATALOG_INVALID_SPEC"


def test_register_is_idempotent_but_refuses_a_changed_definition() -> None:
    catalog = FeatureCatalog()
    catalog.register(_spec())
    catalog.register(_spec())
    assert catalog.names() == ["qh_demo_cnt"]
    assert len(catalog) == 1
    with pytest.raises(BureauError, match="already registered with a different") as info:
        catalog.register(_spec(definition="Changed."))
    assert info.value.code == "CATALOG_DUPLICATE"
    with pytest.raises(BureauError, match="'nope' is not in the catalog") as unknown:
        catalog.get("nope")
    assert unknown.value.code == "CATALOG_UNKNOWN"


def test_other_bureaus_register_beside_pboc() -> None:
    catalog = FeatureCatalog()
    catalog.register_all(load_catalog().specs("pboc"))
    catalog.register(_spec())
    assert catalog.versions() == {"pboc": "pboc-features/1", "qianhai": "qh-features/1"}
    assert catalog.names("qianhai") == ["qh_demo_cnt"]
    assert "qh_demo_cnt" in catalog
    assert "qh_demo_cnt" not in catalog.names("pboc")
    document = json.loads(catalog.to_json("qianhai"))
    assert document["features"][0]["sources"] == ["X01"]
    assert "| `qh_demo_cnt` | Demo count. | count | 12m |" in catalog.to_markdown("qianhai")


def test_every_pboc_spec_is_complete() -> None:
    specs = load_catalog().specs("pboc")
    assert {s.catalog_version for s in specs} == {"pboc-features/1"}
    for spec in specs:
        assert spec.sources, spec.name
        assert spec.definition.endswith("."), spec.name


def test_docs_feature_catalog_is_up_to_date() -> None:
    expected = catalog_document(load_catalog())
    assert DOC.read_text(encoding="utf-8") == expected, (
        "docs/feature-catalog.md is stale: run "
        "`nongxin bureau catalog --write-doc docs/feature-catalog.md`"
    )
