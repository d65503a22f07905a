"""Property tests of the features: any valid report gives every feature, in catalog order,
with the same values from the one-report path and the vectorised frame."""

from __future__ import annotations

import math
from datetime import date

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bureau_adapters.pboc import PersonalReport
from bureau_adapters.pboc.features import FEATURE_NAMES, features_frame, personal_features
from bureau_adapters.pboc.testing import personal_reports

# Records dated within a few years of the report, so that the windows are exercised.
RECENT = personal_reports(first=date(2021, 1, 1), last=date(2024, 12, 31))


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(reports=st.lists(RECENT, min_size=1, max_size=4))
def test_frame_equals_the_one_report_path(reports: list[PersonalReport]) -> None:
    frame = features_frame(reports)
    assert list(frame.columns) == FEATURE_NAMES
    for row, report in zip(frame.itertuples(index=False), reports, strict=True):
        single = personal_features(report)
        assert list(single) == FEATURE_NAMES
        for name, value in zip(FEATURE_NAMES, row, strict=True):
            expected = single[name]
            if expected is None:
                assert math.isnan(value), name
            else:
                assert value == expected, name
                assert not (isinstance(expected, float) and math.isinf(expected)), name
