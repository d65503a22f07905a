"""Every report of a sandbox province parses, and the features reproduce the risk drivers
the generator used (same names, same definitions; docs/sandbox.md)."""

from __future__ import annotations

import io
import math
from pathlib import Path

import numpy as np
import pandas as pd

from bureau_adapters.pboc import PersonalReport, parse_file
from bureau_adapters.pboc.features import FEATURE_NAMES, features_frame, personal_features


def _reports(province: Path) -> tuple[list[str], list[PersonalReport]]:
    files = sorted((province / "reports" / "pboc").glob("*.xml"))
    reports = [parse_file(path) for path in files]
    assert all(isinstance(r, PersonalReport) for r in reports)
    return [p.stem for p in files], reports  # type: ignore[return-value]


def test_every_sandbox_report_parses_cleanly(small_province: Path) -> None:
    households = pd.read_parquet(small_province / "households.parquet")
    ids, reports = _reports(small_province)
    assert ids == sorted(households["household_id"])
    assert [r.warnings for r in reports if r.warnings] == []
    thin = households.set_index("household_id")["thin_file"]
    no_accounts = pd.Series([not r.accounts for r in reports], index=ids)
    assert (thin.loc[ids] == no_accounts).all()


def test_features_reproduce_the_sandbox_risk_drivers(small_province: Path) -> None:
    ids, reports = _reports(small_province)
    frame = features_frame(reports)
    frame.index = pd.Index(ids, name="household_id")
    drivers = pd.read_parquet(small_province / "risk_drivers.parquet").set_index("household_id")
    shared = [c for c in drivers.columns if c in FEATURE_NAMES]
    assert len(shared) >= 8
    for column in shared:
        np.testing.assert_array_equal(
            frame.loc[drivers.index, column].to_numpy(dtype=float),
            drivers[column].to_numpy(dtype=float),
            err_msg=column,
        )


def test_frame_equals_single_path_on_sandbox_reports(small_province: Path) -> None:
    _, reports = _reports(small_province)
    sample = reports[::25]
    frame = features_frame(sample)
    for row, report in zip(frame.itertuples(index=False), sample, strict=True):
        single = personal_features(report)
        for name, value in zip(FEATURE_NAMES, row, strict=True):
            expected = single[name]
            assert (expected is None and math.isnan(value)) or value == expected, name


def test_features_cli_reads_a_province(small_province: Path) -> None:
    from click.testing import CliRunner

    from scoring_service.cli import cli

    result = CliRunner().invoke(cli, ["bureau", "features", "--csv", str(small_province)])
    assert result.exit_code == 0
    frame = pd.read_csv(io.StringIO(result.stdout), dtype={"source": str})
    households = pd.read_parquet(small_province / "households.parquet")
    assert list(frame["source"]) == sorted(households["household_id"])
    assert list(frame.columns[2:]) == FEATURE_NAMES
