"""Sandbox PBOC reports: real message format, encodings, traps, and summaries equal details.

The reports are read here with nothing but lxml, base64 and the codecs, as
``docs/sandbox.md`` describes, so these tests do not depend on the bureau parser.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from lxml import etree

from scoring_service.sandbox.months import month_index, months_back

LOANS = ("D1", "R4", "R1")


def _decode(raw: bytes) -> tuple[etree._Element, str, str]:
    """(report root, report encoding, header line) of one envelope file."""
    header = ""
    if not raw.startswith(b"<"):
        first, raw = raw.split(b"\n", 1)
        header = first.decode("ascii")
    envelope = etree.fromstring(raw)
    assert envelope.findtext("Msg/ResultCode") == "AAA000"
    report = base64.b64decode(envelope.findtext("Msg/ReportMessage") or "", validate=False)
    try:
        text, encoding = report.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = report.decode("gb18030"), "gbk"
    return etree.fromstring(text.encode("utf-8")), encoding, header


@pytest.fixture(scope="module")
def reports(small_province: Path) -> dict[str, tuple[etree._Element, str, str]]:
    files = sorted((small_province / "reports" / "pboc").glob("*.xml"))
    return {p.stem: _decode(p.read_bytes()) for p in files}


def _num(el: etree._Element, path: str) -> int:
    return int(el.findtext(path) or 0)


def _is_open(acc: etree._Element) -> bool:
    return acc.find("PD01C") is not None


def test_envelopes_encodings_and_header_lines(
    reports: dict[str, tuple[etree._Element, str, str]],
) -> None:
    encodings = Counter(enc for _, enc, _ in reports.values())
    assert 0.03 < encodings["gbk"] / len(reports) < 0.2
    headers = [h for _, _, h in reports.values() if h]
    assert 0.08 < len(headers) / len(reports) < 0.35
    for header in headers:
        assert header.startswith("B2.0.0")
        assert header[48:52] == "D102"
    assert any(h.endswith("\\r\\n") for h in headers)
    for root, _, _ in reports.values():
        assert root.tag == "Document"
        assert [c.tag for c in root][:6] == ["PRH", "PIM", "PMM", "PRM", "POM", "PSM"]


def test_report_identity_matches_the_survey(
    small_province: Path, reports: dict[str, tuple[etree._Element, str, str]]
) -> None:
    households = pd.read_parquet(small_province / "households.parquet").set_index("household_id")
    for hid, (root, _, _) in reports.items():
        row = households.loc[hid]
        assert root.findtext("PRH/PA01/PA01B/PA01BQ01") == row["head_name"]
        assert root.findtext("PRH/PA01/PA01B/PA01BI01") == row["id_number"]
        assert root.findtext("PIM/PB01/PB01B/PB01BH/PB01BQ01") == row["phone"]
        born = root.findtext("PIM/PB01/PB01A/PB01AR01")
        assert (
            born == f"{row['id_number'][6:10]}-{row['id_number'][10:12]}-{row['id_number'][12:14]}"
        )
        report_day = dt.date.fromisoformat((root.findtext("PRH/PA01/PA01A/PA01AR01") or "")[:10])
        assert dt.date(2026, 6, 27) <= report_day <= dt.date(2026, 6, 30)
        assert (root.find("PDA") is None) == bool(row["thin_file"])


def test_accounts_summary_equals_details(
    reports: dict[str, tuple[etree._Element, str, str]],
) -> None:
    checked = 0
    for root, _, _ in reports.values():
        accounts = root.findall("PDA/PD01")
        summary = root.find("PCO/PC02")
        assert summary is not None
        assert _num(summary, "PC02A/PC02AS01") == len(accounts)
        groups = {
            g.findtext("PC02AD01"): _num(g, "PC02AS03") for g in summary.findall("PC02A/PC02AH")
        }
        kinds = Counter(a.findtext("PD01A/PD01AD01") for a in accounts)
        assert groups.get("21", 0) == kinds["R2"]
        assert groups.get("22", 0) == kinds["R3"]
        assert groups.get("11", 0) + groups.get("19", 0) == sum(kinds[k] for k in LOANS)
        for kind, letter in (("D1", "E"), ("R4", "F"), ("R1", "G")):
            open_accs = [
                a for a in accounts if a.findtext("PD01A/PD01AD01") == kind and _is_open(a)
            ]
            unit = summary.find(f"PC02{letter}")
            if not open_accs:
                assert unit is None
                continue
            assert unit is not None
            amount = "PD01A/PD01AJ01" if kind != "R1" else "PD01A/PD01AJ02"
            assert _num(unit, f"PC02{letter}S02") == len(open_accs)
            assert _num(unit, f"PC02{letter}S01") == len(
                {a.findtext("PD01A/PD01AI02") for a in open_accs}
            )
            assert _num(unit, f"PC02{letter}J01") == sum(_num(a, amount) for a in open_accs)
            assert _num(unit, f"PC02{letter}J02") == sum(
                _num(a, "PD01C/PD01CJ01") for a in open_accs
            )
            checked += 1
        cards = [a for a in accounts if a.findtext("PD01A/PD01AD01") == "R2" and _is_open(a)]
        if cards:
            limits = {
                a.findtext("PD01A/PD01AI04") or id(a): _num(a, "PD01A/PD01AJ02") for a in cards
            }
            assert _num(summary, "PC02H/PC02HJ01") == sum(limits.values())
            assert _num(summary, "PC02H/PC02HJ04") == sum(_num(a, "PD01C/PD01CJ02") for a in cards)
    assert checked > 50


def test_overdue_summary_equals_the_status_windows(
    reports: dict[str, tuple[etree._Element, str, str]],
) -> None:
    type_code = {"D1": "1", "R4": "2", "R1": "3", "R2": "4", "R3": "5"}
    late_reports = 0
    for root, _, _ in reports.values():
        rows = {r.findtext("PC02DD01"): r for r in root.findall("PCO/PC02/PC02D/PC02DH")}
        for kind, code in type_code.items():
            accs = [a for a in root.findall("PDA/PD01") if a.findtext("PD01A/PD01AD01") == kind]
            statuses = [
                [h.findtext("PD01DD01") or "" for h in a.findall("PD01D/PD01DH")] for a in accs
            ]
            late = [s for s in statuses if any(x.isdigit() for x in s)]
            if not late:
                assert code not in rows
                continue
            late_reports += 1
            assert _num(rows[code], "PC02DS02") == len(late)
            assert _num(rows[code], "PC02DS03") == sum(x.isdigit() for s in late for x in s)
            assert _num(rows[code], "PC02DS04") == max(
                int(x) for s in late for x in s if x.isdigit()
            )
    assert late_reports > 5


def test_open_and_closed_accounts_and_windows(
    reports: dict[str, tuple[etree._Element, str, str]],
) -> None:
    for root, _, _ in reports.values():
        for acc in root.findall("PDA/PD01"):
            status = acc.findtext("PD01B/PD01BD01")
            if _is_open(acc):
                assert status == ""  # the trap: open accounts carry their status in PD01C
            else:
                assert status in {"3", "4"}
            window = acc.find("PD01D")
            assert window is not None
            months = sorted(h.findtext("PD01DR03") or "" for h in window.findall("PD01DH"))
            assert len(months) == 24
            assert months[0] == window.findtext("PD01DR01")
            assert months[-1] == window.findtext("PD01DR02")
            last = window.findtext("PD01DR02")
            if _is_open(acc):
                assert last == acc.findtext("PD01C/PD01CR01")
            link = acc.findtext("PD01A/PD01AI04")
            if link:
                assert link in {a.findtext("PD02A/PD02AI03") for a in root.findall("PCA/PD02")}


def test_query_summary_equals_query_records(
    reports: dict[str, tuple[etree._Element, str, str]],
) -> None:
    for root, _, _ in reports.values():
        report_day = dt.date.fromisoformat((root.findtext("PRH/PA01/PA01A/PA01AR01") or "")[:10])
        month_ago, two_years = months_back(report_day, 1), months_back(report_day, 24)
        records = [
            (
                dt.date.fromisoformat(q.findtext("PH010R01") or ""),
                q.findtext("PH010Q02"),
                q.findtext("PH010Q03"),
            )
            for q in root.findall("POQ/PH01")
        ]
        recent = [r for r in records if r[0] >= month_ago]
        counts = root.find("PQO/PC05/PC05B")
        assert counts is not None
        assert _num(counts, "PC05BS01") == len({i for _, i, r in recent if r == "02"})
        assert _num(counts, "PC05BS02") == len({i for _, i, r in recent if r == "03"})
        assert _num(counts, "PC05BS03") == sum(r == "02" for *_, r in recent)
        assert _num(counts, "PC05BS04") == sum(r == "03" for *_, r in recent)
        assert _num(counts, "PC05BS07") == sum(r == "08" and d >= two_years for d, _, r in records)
        assert all(d < report_day for d, _, _ in records)


def test_guarantee_summary_and_survey_agree(
    small_province: Path, reports: dict[str, tuple[etree._Element, str, str]]
) -> None:
    households = pd.read_parquet(small_province / "households.parquet").set_index("household_id")
    for hid, (root, _, _) in reports.items():
        details = root.findall("PCR/PD03/PD03A")
        balance = sum(_num(g, "PD03AJ02") for g in details)
        assert households.loc[hid, "guarantees_given"] == balance
        if details:
            assert _num(root, "PCO/PC02/PC02K/PC02KH/PC02KS02") == len(details)
            assert _num(root, "PCO/PC02/PC02K/PC02KH/PC02KJ01") == sum(
                _num(g, "PD03AJ01") for g in details
            )
            assert _num(root, "PCO/PC02/PC02K/PC02KH/PC02KJ02") == balance


def test_traps_are_present(reports: dict[str, tuple[etree._Element, str, str]]) -> None:
    roots = [r for r, _, _ in reports.values()]
    inst_types = Counter(a.findtext("PD01A/PD01AD02") for r in roots for a in r.findall("PDA/PD01"))
    assert inst_types["2010"] > 0
    assert any(len(r.findall("PDA/PD01")) == 1 for r in roots)  # single-element groups
    assert any(
        a.findtext("PD01A/PD01AI03") == "******" for r in roots for a in r.findall("PDA/PD01")
    )
    assert any(a.findtext("PD01A/PD01AS01") == "--" for r in roots for a in r.findall("PDA/PD01"))
    month_only = [r.findtext("PIM/PB01/PB01B/PB01BH/PB01BR01") for r in roots]
    assert any(len(m or "") == 7 for m in month_only)
    shuffled = 0
    for r in roots:
        for w in r.findall("PDA/PD01/PD01D"):
            months = [h.findtext("PD01DR03") for h in w.findall("PD01DH")]
            shuffled += months != sorted(months)
    assert shuffled > 0
    farmer = Counter(a.findtext("PD01A/PD01AD03") for r in roots for a in r.findall("PDA/PD01"))
    assert min(farmer["51"], farmer["52"], farmer["53"]) > 0
    assert any(a.findtext("PD01A/PD01AD07") == "7" for r in roots for a in r.findall("PDA/PD01"))


# Items of pboc-report.md §2.3-2.5 that the shared sample happens not to carry.
DOCUMENTED_BEYOND_SAMPLE = {
    "PD01AJ01", "PD01AR02", "PD01AD05", "PD01AD06", "PD01AS01", "PD01AD08", "PD01AD09",
    "PD01BD03", "PD01CD02", "PD01CJ07", "PD01CJ08", "PD01CJ09", "PD01CJ10", "PD01CJ13",
    "PD01CJ15", "PD02AJ04", "PD03AD08", "PD03AQ02", "PF03AR02",
}  # fmt: skip


def test_structure_mirrors_the_shared_sample(
    pboc_fixtures: Path, reports: dict[str, tuple[etree._Element, str, str]]
) -> None:
    sample, _, _ = _decode((pboc_fixtures / "personal_utf8_envelope.xml").read_bytes())

    def tag_paths(root: etree._Element) -> set[str]:
        return {
            "/".join(a.tag for a in [*reversed(list(e.iterancestors())), e]) for e in root.iter()
        }

    ours: set[str] = set().union(*(tag_paths(r) for r, _, _ in reports.values()))
    unknown = {path.rsplit("/", 1)[-1] for path in ours - tag_paths(sample)}
    assert unknown <= DOCUMENTED_BEYOND_SAMPLE


def test_qianhai_documents_have_the_documented_shape(small_province: Path) -> None:
    files = sorted((small_province / "reports" / "qianhai").glob("*.json"))
    seen: Counter[str] = Counter()
    for path in files:
        doc = json.loads(path.read_text(encoding="utf-8"))
        assert doc["household_id"] == path.stem
        assert sorted(doc["products"]) == ["8005", "8036", "8037"]
        for code, records in doc["products"].items():
            assert {r["erCode"] for r in records} <= {"E000000", "E000996"}
            assert records
            if records[0]["erCode"] == "E000996":
                assert len(records) == 1
                seen[f"{code}-nodata"] += 1
        credoo = doc["products"]["8005"][0]
        if credoo["erCode"] == "E000000":
            assert 300 <= credoo["credooScore"] <= 850
            seen["virAsset-1"] += credoo["virAssetScore"] == -1
    assert (
        min(seen["8005-nodata"], seen["8036-nodata"], seen["8037-nodata"], seen["virAsset-1"]) > 0
    )


def test_windows_of_report_and_drivers(
    small_province: Path, reports: dict[str, tuple[etree._Element, str, str]]
) -> None:
    drivers = pd.read_parquet(small_province / "risk_drivers.parquet").set_index("household_id")
    for hid, (root, _, _) in reports.items():
        report_day = dt.date.fromisoformat((root.findtext("PRH/PA01/PA01A/PA01AR01") or "")[:10])
        t_m = month_index(report_day)
        delinq = 0
        for h in root.findall("PDA/PD01/PD01D/PD01DH"):
            year, month = (h.findtext("PD01DR03") or "").split("-")
            if (h.findtext("PD01DD01") or "").isdigit() and t_m - 23 <= int(year) * 12 + int(
                month
            ) - 1 <= t_m:
                delinq += 1
        assert drivers.loc[hid, "n_delinq_months_24m"] == delinq
        since = months_back(report_day, 3)
        loans = sum(
            1 for q in root.findall("POQ/PH01")
            if q.findtext("PH010Q03") == "02" and dt.date.fromisoformat(q.findtext("PH010R01") or "") >= since
        )  # fmt: skip
        assert drivers.loc[hid, "inq_loan_cnt_3m"] == loans
        opened = [a.findtext("PD01A/PD01AD01") for a in root.findall("PDA/PD01") if _is_open(a)]
        assert drivers.loc[hid, "n_open_loans"] == sum(k in LOANS for k in opened)
