"""The Qianhai simulator and features over a generated sandbox province (``small_province``)."""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from bureau_adapters.compliance import ComplianceGate, SubjectKeyer
from bureau_adapters.compliance.db import create_engine
from bureau_adapters.qianhai.errors import QianhaiFormatError, QianhaiMalformedResponse
from bureau_adapters.qianhai.features import QH_FEATURES, qh_features
from bureau_adapters.qianhai.models import Subject
from bureau_adapters.qianhai.offline import qh_features_from_province, results_from_document
from bureau_adapters.qianhai.simulator import QianhaiSimulator

pytestmark = pytest.mark.integration


@pytest.fixture
def gate(tmp_path: Path) -> Iterator[ComplianceGate]:
    engine = create_engine(f"sqlite:///{tmp_path / 'c.db'}")
    yield ComplianceGate(engine, keyer=SubjectKeyer(b"sandbox"))
    engine.dispose()


def _households(province: Path, n: int) -> pd.DataFrame:
    frame = pd.read_parquet(province / "households.parquet")
    return frame.sort_values("household_id").head(n)


def test_simulator_answers_what_the_province_holds(
    small_province: Path, gate: ComplianceGate
) -> None:
    rows = _households(small_province, 12)
    with QianhaiSimulator(small_province) as sim, sim.client(gate) as client:
        for row in rows.itertuples():
            gate.consents.record(
                bank_code=row.bank_code, subject_id=row.id_number, bureau="qianhai", reason="01",
                signed_on=dt.date(2020, 1, 1), valid_until=dt.date(2099, 1, 1),
                document_sha256="ab" * 32, recorded_by="clerk01",
            )  # fmt: skip
            subject = Subject(id_number=row.id_number, name=row.head_name, mobile=row.phone)
            live = {
                code: client.query(
                    code,
                    subject,
                    bank_code=row.bank_code,
                    reason="01",
                    business_ref=row.household_id,
                    operator="t",
                )
                for code in ("8005", "8036", "8037")
            }
            doc = json.loads(
                (small_province / "reports" / "qianhai" / f"{row.household_id}.json").read_text(
                    "utf-8"
                )
            )
            offline = results_from_document(doc)
            for code, result in live.items():
                assert result.outcome == offline[code].outcome
                assert result.model_dump(exclude={"trans_no", "received_at"}) == offline[
                    code
                ].model_dump(exclude={"trans_no", "received_at"})
            as_of = pd.Timestamp(row.survey_date).date()
            got, want = qh_features(live, as_of=as_of), qh_features(offline, as_of=as_of)
            assert all(
                (math.isnan(got[k]) and math.isnan(want[k])) or got[k] == want[k] for k in want
            )


def test_a_name_that_does_not_match_fails_the_identity_check(
    small_province: Path, gate: ComplianceGate
) -> None:
    row = next(_households(small_province, 1).itertuples())
    gate.consents.record(
        bank_code=row.bank_code, subject_id=row.id_number, bureau="qianhai", reason="02",
        signed_on=dt.date(2020, 1, 1), valid_until=dt.date(2099, 1, 1),
        document_sha256="ab" * 32, recorded_by="clerk01",
    )  # fmt: skip
    with (
        QianhaiSimulator(small_province) as sim,
        sim.client(gate) as client,
        pytest.raises(QianhaiFormatError, match="E000112 ID-number check failed") as caught,
    ):
        client.query(
            "8036", Subject(id_number=row.id_number, name="某某某"), bank_code=row.bank_code,
            reason="02", business_ref="x", operator="t",
        )  # fmt: skip
    assert caught.value.code == "QH_E000112"
    [audit] = gate.audit.list(row.bank_code)
    assert (audit.outcome.value, audit.code) == ("rejected", "QH_E000112")


def test_an_empty_records_list_in_a_document_is_malformed() -> None:
    with pytest.raises(QianhaiMalformedResponse, match="empty 'records'") as caught:
        results_from_document({"products": {"8036": []}})
    assert caught.value.code == "QH_NO_RECORDS"


def test_province_feature_frame(small_province: Path) -> None:
    frame = qh_features_from_province(small_province)
    households = pd.read_parquet(small_province / "households.parquet")
    assert list(frame.columns) == [spec.name for spec in QH_FEATURES]
    assert sorted(frame.index) == sorted(households["household_id"])
    assert frame["qh_score"].notna().mean() > 0.5  # most households have a score
    assert frame["qh_fraud_score"].isna().all()  # the sandbox does not simulate 8075
    assert (frame["qh_lender_cnt_total"].dropna() >= 0).all()
