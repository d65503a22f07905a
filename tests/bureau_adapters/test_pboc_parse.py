"""PBOC parsing of the two shared real-format samples, checked by hand, and every input form.

How the expected values were checked: the samples' ``ReportMessage`` was base64-decoded
(``base64 -d``) and the decoded XML read element by element; each assertion below names the
element it comes from.
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from bureau_adapters.exceptions import BureauRejected, MalformedReportError, UnsafeXMLError
from bureau_adapters.pboc import (
    EnterpriseReport,
    PersonalReport,
    parse_batch,
    parse_envelope,
    parse_file,
    parse_report,
)
from bureau_adapters.pboc.codes import AccountType, QueryReason, RepaymentStatus
from bureau_adapters.pboc.render import render_envelope, render_report

HEADER_LINE = "B2.0.0HBF00000000011BH00000000000120160301123118D10420160301000000010000000000"


def _personal(pboc_fixtures: Path) -> PersonalReport:
    report = parse_report((pboc_fixtures / "personal_utf8_envelope.xml").read_bytes())
    assert isinstance(report, PersonalReport)
    return report


def _enterprise(pboc_fixtures: Path) -> EnterpriseReport:
    report = parse_report((pboc_fixtures / "enterprise_envelope.xml").read_bytes())
    assert isinstance(report, EnterpriseReport)
    return report


def test_personal_sample_header_and_identity(pboc_fixtures: Path) -> None:
    r = _personal(pboc_fixtures)
    assert r.report_id == "2017122117421145492455"  # PA01AI01
    assert r.report_date == date(2017, 12, 21)  # PA01AR01 2017-12-21T17:42:11
    assert r.header is not None
    assert r.header.report_time == datetime(2017, 12, 21, 17, 42, 11)
    assert r.header.query_reason == QueryReason.CREDIT_CARD_APPROVAL == "03"  # PA01BD02
    assert r.header.query_user == "PBCCRC_admin4"  # PA01BI03, the single-source item
    assert [o.id_number for o in r.header.other_ids] == ["611522199903229999"]  # one PA01CH
    assert r.identity is not None
    assert r.identity.birth_date == date(1970, 1, 1)
    assert [p.number for p in r.identity.phones] == ["13800000000"]  # a single PB01BH → list
    assert r.marriage is not None
    assert r.marriage.status == "20"
    assert len(r.residences) == 1
    assert r.residences[0].status == "4"
    assert r.occupations[0].employment_status is None  # <PB040D01></PB040D01> empty
    assert r.occupations[0].year_joined == 2000  # PB040R01 is a year
    assert r.score is not None
    assert (r.score.score, r.score.percentile) == (3, "55")
    assert r.score.explanation_codes == ("05",)  # PC010D01


def test_personal_sample_summaries(pboc_fixtures: Path) -> None:
    s = _personal(pboc_fixtures).credit_summary
    assert s is not None
    assert s.account_total == 129  # PC02AS01
    # PC02AH business types 11/19/21/22/99 with 51/39/22/15/2 accounts (sum 129)
    assert [(h.business_type, h.account_count) for h in s.hints] == [
        ("11", 51), ("19", 39), ("21", 22), ("22", 15), ("99", 2),
    ]  # fmt: skip
    assert (s.bad_debt_accounts, s.bad_debt_balance) == (16, 11204.0)  # PC02CS01, PC02CJ01
    assert [o.longest_months for o in s.overdue] == [7, 7, 7, 7, 7, 2]  # PC02DS04 ×6
    assert s.d1 is not None
    assert s.d1.balance == 30210.0
    assert s.r4 is not None
    assert s.r4.balance == 132002.0
    assert s.r1 is not None
    assert s.r1.balance == 130002.0
    assert s.r2 is not None
    assert (s.r2.used, s.r2.total_limit) == (6209.0, 100000.0)
    # PC02KJ02 has decimals in the organisation rows: 187.80 and 62781.54
    assert [k.balance for k in s.responsibilities] == [1000.0, 1000.0, 187.8, 62781.54]
    public = _personal(pboc_fixtures).public_summary
    assert public is not None
    assert [row.amount for row in public.rows] == [1200.0, 112.0, 1500.0, None]  # "null" → None


def test_personal_sample_account(pboc_fixtures: Path) -> None:
    r = _personal(pboc_fixtures)
    assert len(r.accounts) == 1  # one PD01
    a = r.accounts[0]
    assert a.account_type is AccountType.CREDIT_CARD  # PD01AD01 R2
    assert a.institution_type == "1"  # PD01AD02 "1" is no known code: kept as is
    assert (a.credit_limit, a.shared_limit) == (70000.0, 100000.0)  # PD01AJ02, AJ03
    assert (a.status, a.balance) == ("1", 11000.0)  # PD01BD01, PD01BJ01
    assert a.close_date == date(2017, 5, 1)  # PD01BR01 "2017-05" in a day field
    assert a.repayment_status is RepaymentStatus.PAID_ON_TIME  # PD01BD04 N
    assert (a.overdue_periods, a.overdue_amount) == (4, 11000.0)  # PD01CS02, PD01CJ06
    assert len(a.history_24m) == 24  # 24 PD01DH, out of order in the sample
    statuses = "".join(str(h.status) for h in sorted(a.history_24m, key=lambda h: h.month))
    # 2015-06..07 "6", 2015-08..2016-10 "#" (15 months), 2016-11 "1", 2016-12 "3",
    # 2017-01..03 "6", 2017-04 "5", 2017-05 "6"
    assert statuses == "66" + "#" * 15 + "13" + "666" + "5" + "6"
    # PD01EH carries its status as PD01ES01 (not ED01): B then 6, with 100 and 200 overdue
    assert [(h.status, h.amount) for h in a.history_60m] == [("B", 100.0), ("6", 200.0)]
    assert a.special_transactions[0].type == "1"  # PD01FD01 extension
    assert a.special_transactions[0].term_change_months is None  # PD01FS02 "2009-12"
    assert a.large_instalments[0].limit == 200000.0  # PD01HJ01
    assert a.annotations[0].content == "声明内容"  # PD01ZQ01 (PD01ZS01 says 0, one is there)


def test_personal_sample_records_and_queries(pboc_fixtures: Path) -> None:
    r = _personal(pboc_fixtures)
    assert len(r.credit_agreements) == 1
    assert r.credit_agreements[0].agreement_id is None
    assert r.credit_agreements[0].institution_type == "2010"  # the known invalid code, kept
    assert len(r.related_repayments) == 7  # 7 PD03
    assert [x.five_class for x in r.related_repayments] == ["5", "5", "5", "5", "1", "5", "5"]
    assert r.postpaid_accounts[0].history_24m == "#######################2"  # PE01AQ02
    assert (r.tax_arrears[0].amount, r.civil_judgments[0].amount) == (1200.0, 112.0)
    assert r.enforcements[0].amount_executed == 1500.0  # PF03AJ02
    assert r.housing_fund[0].monthly_amount == 1000.0  # PF05AJ01
    assert r.annotations[0].annotations[0].content == "声明"  # PG010Q01
    assert len(r.queries) == 1  # one PH01
    q = r.queries[0]
    assert q.query_date == date(2015, 11, 1)  # PH010R01 "2015-11"
    assert q.reason is QueryReason.POST_LOAN_MANAGEMENT  # PH010Q03 "1" read as "01"
    qs = r.query_summary
    assert qs is not None
    assert qs.postloan_queries_24m == 2
    assert qs.loan_queries_1m == 0


def test_invalid_values_become_missing_with_a_warning(pboc_fixtures: Path) -> None:
    r = _personal(pboc_fixtures)
    assert r.header is not None
    assert r.header.fraud_alert is not None
    assert r.header.fraud_alert.start_date is None  # PA01DR01 = "1" is not a date
    assert r.warnings == (
        "PA01DR01: not a valid value; read as missing",
        "PA01DR02: not a valid value; read as missing",
        "PD01FS02: not a valid value; read as missing",
    )


def test_enterprise_sample(pboc_fixtures: Path) -> None:
    e = _enterprise(pboc_fixtures)
    assert e.report_id == "2017122211265293721798"  # EA01AI01
    assert e.report_date == date(2017, 12, 22)  # EA01AR01
    assert e.header is not None
    assert e.header.name == "北京征信有限责任公司"
    assert e.header.query_reason == "01"  # EA01BD02: a first-generation code, kept
    assert len(e.loans) == 80  # 80 ED01
    assert len(e.guarantees) == 102  # 102 ED04
    assert len(e.agreements) == 8  # 8 ED06
    first = e.loans[0]
    assert (first.account_no, first.account_type, first.loan_amount) == ("L803", "R4", 30000.0)
    assert len(first.records) == 1
    assert first.records[0].overdue_total == 5000.0
    assert e.hints is not None
    assert e.hints.loan_balance == 8912220.0
    assert e.profile is not None
    assert e.profile.founded_year == 1999
    assert len(e.profile.investors) == 2
    assert len(e.profile.key_members) == 4
    raw = {u.tag for u in e.other_units}
    assert {"EG01", "EG10", "ED07", "EF14", "EB05"} <= raw  # statements etc. kept as XML
    assert not raw & {"EA01", "EB02", "ED01", "EF05", "EH01"}  # typed segments are not
    assert e.civil_judgments[0].filing_date == date(2016, 3, 1)  # EF020R01


def test_enterprise_sample_summaries(pboc_fixtures: Path) -> None:
    e = _enterprise(pboc_fixtures)
    assert e.credit_summary is not None
    opened = e.credit_summary.open
    assert opened is not None
    assert (opened.disposal_count, opened.overdue_total) == (2, 2409000.0)  # EB02AS01, AJ03
    assert len(opened.cells) == 20  # 20 EB02AH (EB02AS03 = 20)
    assert (opened.cells[0].account_count, opened.cells[0].balance) == (1, 11000.0)
    assert len(e.credit_summary.history) == 12  # EB02CS01 = 12 months of EB02CH
    assert e.credit_summary.history[0].total_balance == 8912220.0  # = EB01AJ01
    limits = e.agreement_summary
    assert limits is not None
    # EB040J01 - EB040J02 = EB040J03: 13,000,000 - 4,689,700 = 8,310,300
    assert limits.non_revolving_limit - limits.non_revolving_used == limits.non_revolving_remaining
    assert e.guarantee_summary is not None
    assert e.guarantee_summary.open is not None
    assert len(e.guarantee_summary.open.cells) == 16  # 16 EB03AH
    assert [u.provider for u in e.utilities] == ["海彦电力公司", e.utilities[1].provider]
    assert e.utilities[0].history[0].paid == 100.0  # EE01BJ02
    assert e.housing_fund[0].employees == 25  # EF05AS01
    assert len(e.ratings) == 3  # 3 EH01
    assert e.declarations[0].date_added == date(2013, 10, 18)  # EI010R01
    # the sample's EF01 holds a court name in the amount and a number in the date
    assert e.warnings == (
        "EF010J01: not a valid value; read as missing",
        "EF010R01: not a valid value; read as missing",
    )


def test_envelope_fields(pboc_fixtures: Path) -> None:
    plain = parse_envelope((pboc_fixtures / "personal_utf8_envelope.xml").read_bytes())
    assert (plain.result_code, plain.result_desc, plain.ok) == ("AAA000", "处理成功", True)
    assert plain.header is None
    assert plain.report_format == "xml"
    assert plain.report is not None
    assert plain.report.startswith(b"<Document>")
    with_line = parse_envelope((pboc_fixtures / "enterprise_envelope.xml").read_bytes())
    assert with_line.header is not None  # the line ends in a literal "\r\n" (4 characters)
    assert with_line.header.message_type == "D104"
    assert with_line.header.timestamp == "20160301123118"
    assert with_line.report_name == "xxxxxxxxxxxxx.pdf"  # the name lies: the bytes are XML
    assert with_line.report_format == "xml"


@pytest.mark.parametrize("header_line", [None, HEADER_LINE], ids=["no-header", "header"])
@pytest.mark.parametrize("encoding", ["UTF-8", "GBK", "GB18030"])
def test_every_form_and_encoding_gives_the_same_report(
    pboc_fixtures: Path, header_line: str | None, encoding: str
) -> None:
    expected = replace(_personal(pboc_fixtures), warnings=())
    document = render_report(expected, encoding=encoding)
    assert parse_report(document) == expected  # bare <Document>
    envelope = render_envelope(document, header_line=header_line)
    assert parse_report(envelope) == expected


def test_gbk_report_declared_as_utf8_is_detected(pboc_fixtures: Path) -> None:
    expected = replace(_personal(pboc_fixtures), warnings=())
    body = render_report(expected).decode("utf-8").replace("PBCCRC_admin4", "张三")
    lying = body.encode("gbk")  # declaration still says UTF-8
    assert b'encoding="UTF-8"' in lying or b"encoding='UTF-8'" in lying
    report = parse_report(render_envelope(lying))
    assert isinstance(report, PersonalReport)
    assert report.header is not None
    assert report.header.query_user == "张三"


def test_batch_file(pboc_fixtures: Path) -> None:
    personal = (pboc_fixtures / "personal_utf8_envelope.xml").read_bytes()
    enterprise = (pboc_fixtures / "enterprise_envelope.xml").read_bytes()
    bare = render_report(replace(_personal(pboc_fixtures), warnings=()))
    batch = personal + b"\n" + enterprise + b"\n" + bare
    kinds = [type(r).__name__ for r in parse_batch(batch)]
    assert kinds == ["PersonalReport", "EnterpriseReport", "PersonalReport"]
    with pytest.raises(MalformedReportError, match="holds no <Document>") as info:
        parse_batch(b"<?xml version='1.0'?>\n")
    assert info.value.code == "PBOC_EMPTY_BATCH"
    with pytest.raises(MalformedReportError, match="document 2 has no </Document>") as cut:
        parse_batch(personal + b"\n" + enterprise[:1000])
    assert cut.value.code == "PBOC_TRUNCATED_BATCH"
    # many unterminated openings are refused in linear time (no regex backtracking)
    with pytest.raises(MalformedReportError, match="document 1 has no") as many:
        parse_batch(b"<Document>" * 200_000)
    assert many.value.code == "PBOC_TRUNCATED_BATCH"


def _envelope_with(message: bytes) -> bytes:
    return (
        b"<Document><Msg><ResultCode>AAA000</ResultCode><ResultDesc>ok</ResultDesc>"
        b"<ReportMessage>" + message + b"</ReportMessage></Msg></Document>"
    )


@pytest.mark.parametrize(
    ("data", "error", "code"),
    [
        (_envelope_with(b"!!!not-base64!!!"), MalformedReportError, "PBOC_BASE64"),
        (_envelope_with(b"PERvY3VtZW50Pg"), MalformedReportError, "PBOC_BASE64"),  # no padding
        (_envelope_with(base64.b64encode(b"<Document><PRH>")), MalformedReportError, "XML_SYNTAX"),
        (_envelope_with(base64.b64encode(b"\xff\xfe\xfa<a/>")), MalformedReportError, "PBOC_ENCODING"),
        (_envelope_with(base64.b64encode(b"%PDF-1.4 ...")), MalformedReportError, "PBOC_PDF_REPORT"),
        (_envelope_with(base64.b64encode(b"<Other/>")), MalformedReportError, "PBOC_NOT_REPORT"),
        (_envelope_with(b""), MalformedReportError, "PBOC_NO_REPORT"),
        (b"<Document><PRH><PA01/></PRH></Document>", MalformedReportError, "PBOC_MISSING_FIELD"),
        (b"\x00\x01garbage line\n<Document/>", MalformedReportError, "PBOC_HEADER_LINE"),
        (
            b"<Document><Msg><ResultCode>DBE003</ResultCode><ResultDesc>bad ID</ResultDesc>"
            b"</Msg></Document>",
            BureauRejected,
            "PBOC_DBE003",
        ),
        (
            b"<Document><Msg><ResultCode>AAA000</ResultCode><ReportMessage>"
            + base64.b64encode(b'<!DOCTYPE d [<!ENTITY x "y">]><Document/>')
            + b"</ReportMessage></Msg></Document>",
            UnsafeXMLError,
            "XML_ENTITY",
        ),
    ],
    ids=[
        "invalid-base64", "truncated-base64", "truncated-report", "wrong-encoding", "pdf",
        "not-a-report", "empty-report", "no-report-number", "garbage-header", "dbe-error",
        "entity-inside-report",
    ],
)  # fmt: skip
def test_malformed_envelopes_get_their_code(data: bytes, error: type, code: str) -> None:
    with pytest.raises(error, match=r".") as info:
        parse_report(data)
    assert info.value.code == code


def test_error_envelope_keeps_the_result_code() -> None:
    envelope = parse_envelope(render_envelope(None, result_code="DBO004", result_desc="too long"))
    assert (envelope.result_code, envelope.ok, envelope.report) == ("DBO004", False, None)
    with pytest.raises(MalformedReportError, match="no <Msg><ResultCode>") as info:
        parse_envelope(b"<Document><PRH/></Document>")
    assert info.value.code == "PBOC_NOT_ENVELOPE"


def test_chinese_labels_are_accepted_where_codes_are_expected() -> None:
    xml = (
        "<Document><PRH><PA01><PA01A><PA01AI01>1</PA01AI01><PA01AR01>2024-03-31</PA01AR01>"
        "</PA01A></PA01></PRH><PDA><PD01><PD01A><PD01AD01>贷记卡账户</PD01AD01></PD01A>"
        "<PD01B><PD01BD01>销户</PD01BD01></PD01B></PD01><PD01><PD01A><PD01AD01>非循环贷账户"
        "</PD01AD01></PD01A><PD01C><PD01CD01>逾期</PD01CD01></PD01C></PD01></PDA>"
        "<POQ><PH01><PH010Q03>贷款审批</PH010Q03><PH010R01>--</PH010R01></PH01></POQ></Document>"
    ).encode()
    r = parse_report(xml)
    assert isinstance(r, PersonalReport)
    card, loan = r.accounts
    assert (card.account_type, card.status) == ("R2", "4")  # 销户 is 4 for cards
    assert (loan.account_type, loan.monthly_status) == ("D1", "2")  # 逾期 is 2 for loans
    assert r.queries[0].reason is QueryReason.LOAN_APPROVAL
    assert r.queries[0].query_date is None  # "--" null marker
    assert r.report_date == date(2024, 3, 31)


def test_thin_file_parses(tmp_path: Path) -> None:
    xml = (
        b"<Document><PRH><PA01><PA01A><PA01AI01>2024010100000000000001</PA01AI01>"
        b"<PA01AR01>2024-01-01T08:00:00</PA01AR01></PA01A></PA01></PRH></Document>"
    )
    r = parse_report(xml)
    assert isinstance(r, PersonalReport)
    assert (r.accounts, r.queries, r.credit_summary, r.warnings) == ((), (), None, ())


def test_oversized_inputs_are_refused_before_reading(tmp_path: Path) -> None:
    huge = tmp_path / "huge.xml"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: nothing is written or read
    with pytest.raises(UnsafeXMLError, match=r"huge\.xml: 209,715,200 bytes exceeds") as info:
        parse_file(huge)
    assert info.value.code == "XML_TOO_LARGE"
    with pytest.raises(UnsafeXMLError, match="exceeds the limit of 100 bytes") as small:
        parse_report(b"<Document>" + b" " * 200 + b"</Document>", max_bytes=100)
    assert small.value.code == "XML_TOO_LARGE"


def test_counts_longer_than_18_digits_are_missing() -> None:
    from bureau_adapters.pboc.models import Score

    report = PersonalReport(report_id="1", report_date=date(2024, 6, 30), score=Score(score=5))
    data = render_report(report)
    for text, expected in ((b"9" * 18, 10**18 - 1), (b"9" * 19, None), (b"9" * 5000, None)):
        parsed = parse_report(data.replace(b"<PC010Q01>5<", b"<PC010Q01>" + text + b"<"))
        assert isinstance(parsed, PersonalReport)
        assert parsed.score is not None
        assert parsed.score.score == expected
        assert bool(parsed.warnings) == (expected is None)


@pytest.mark.parametrize("when", [b"1899-12-31", b"0001-03-01", b"3000-01-01"])
def test_report_dates_outside_1900_2999_are_refused(when: bytes) -> None:
    data = render_report(PersonalReport(report_id="1", report_date=date(2024, 6, 30)))
    bad = data.replace(b"2024-06-30T00:00:00", when)
    with pytest.raises(MalformedReportError, match="outside the years 1900-2999") as info:
        parse_report(bad)
    assert info.value.code == "PBOC_BAD_REPORT_DATE"
