"""The PBOC feature catalog ``pboc-features/1``: one :class:`FeatureSpec` per feature of §6
of the PBOC reference, plus farmer-lending features. Order here is column order.

Conventions for every feature:

* T is the report date (``PA01AR01``); "last N months" for dated records (queries, account
  openings) means on or after the same day N months before T, and not after T; for monthly
  statuses it means the N calendar months ending with T's month.
* A thin file (no accounts, no queries, units absent) gives 0 for counts, amounts and flags
  and ``None`` (NaN in frames) for ratios and "months since" features, as each row says.
"""

from __future__ import annotations

from bureau_adapters.catalog import CATALOG, FeatureSpec

__all__ = ["PBOC_CATALOG_VERSION", "PBOC_FEATURES"]

PBOC_CATALOG_VERSION = "pboc-features/1"

_ZERO = "0 when the unit or record is absent (thin file)."
_NONE_NO_ACC = "None when the report has no account (thin file)."


def _f(
    name: str,
    group: str,
    unit: str,
    window: str,
    definition: str,
    sources: str,
    missing: str = _ZERO,
    dtype: str = "int",
) -> FeatureSpec:
    return FeatureSpec(
        name=name,
        definition=definition,
        unit=unit,
        window=window,
        missing=missing,
        sources=tuple(sources.split()),
        bureau="pboc",
        catalog_version=PBOC_CATALOG_VERSION,
        dtype=dtype,
        group=group,
    )


_APPLY = "application queries (reason 02 loan, 03 card or 24 financing approval)"
_Q = "PH010R01 PH010Q03"

# fmt: off
PBOC_FEATURES: tuple[FeatureSpec, ...] = (
    # --- queries -------------------------------------------------------------------------
    _f("inq_loan_inst_1m", "queries", "count", "1m", "Institutions querying for loan approval (summary).", "PC05BS01"),
    _f("inq_card_inst_1m", "queries", "count", "1m", "Institutions querying for card approval (summary).", "PC05BS02"),
    _f("inq_loan_cnt_1m", "queries", "count", "1m", "Loan-approval queries (summary).", "PC05BS03"),
    _f("inq_card_cnt_1m", "queries", "count", "1m", "Card-approval queries (summary).", "PC05BS04"),
    _f("inq_self_1m", "queries", "count", "1m", "Self-queries (本人查询, summary).", "PC05BS05"),
    _f("inq_postloan_24m", "queries", "count", "24m", "Post-loan management queries (summary).", "PC05BS06"),
    _f("inq_guarantee_24m", "queries", "count", "24m", "Guarantee-qualification queries (summary).", "PC05BS07"),
    _f("inq_loan_cnt_3m", "queries", "count", "3m", "Query records with reason 02 (loan approval) in the window.", _Q),
    _f("inq_loan_cnt_6m", "queries", "count", "6m", "Query records with reason 02 (loan approval) in the window.", _Q),
    _f("inq_loan_cnt_12m", "queries", "count", "12m", "Query records with reason 02 (loan approval) in the window (rh_m12_ln_qy_num).", _Q),
    _f("inq_card_cnt_12m", "queries", "count", "12m", "Query records with reason 03 (card approval) in the window (rh_m12_crc_qy_num).", _Q),
    _f("inq_apply_cnt_1m", "queries", "count", "1m", f"Number of {_APPLY}.", _Q),
    _f("inq_apply_cnt_3m", "queries", "count", "3m", f"Number of {_APPLY}.", _Q),
    _f("inq_apply_cnt_6m", "queries", "count", "6m", f"Number of {_APPLY}.", _Q),
    _f("inq_org_cnt_6m", "queries", "count", "6m", f"Distinct querying institutions (PH010Q02) among {_APPLY}.", _Q + " PH010Q02"),
    _f("inq_org_cnt_12m", "queries", "count", "12m", f"Distinct querying institutions (PH010Q02) among {_APPLY}.", _Q + " PH010Q02"),
    _f("inq_nonbank_cnt_1m", "queries", "count", "1m", f"{_APPLY.capitalize()} by institution types 22, 23, 24, 25 or 51.", _Q + " PH010D01"),
    _f("inq_nonbank_cnt_3m", "queries", "count", "3m", f"{_APPLY.capitalize()} by institution types 22, 23, 24, 25 or 51.", _Q + " PH010D01"),
    _f("days_since_last_query", "queries", "days", "as reported", "Days from the last query (PC05AR01, a month is read as its first day) to T.", "PC05AR01", "None when the report shows no last query.", "float"),
    _f("inq_without_new_account_3m", "queries", "count", "3m", "inq_apply_cnt_3m minus accounts opened in the window, floored at 0 (rejection proxy).", _Q + " PD01AR01"),
    _f("inq_volatility_24m", "queries", "ratio", "24m", "Coefficient of variation (population std / mean) of application-query counts in the four 6-month buckets of the window.", _Q, "None when there is no application query in 24 months.", "float"),
    # --- accounts and exposure -------------------------------------------------------------
    _f("n_accounts", "accounts", "count", "all", "Total accounts (PC02AS01); the number of PD01 accounts when the summary is absent.", "PC02AS01 PD01"),
    _f("n_d1_open", "accounts", "count", "as reported", "Open non-revolving loan accounts (D1) in the summary.", "PC02ES02"),
    _f("n_r4_open", "accounts", "count", "as reported", "Open revolving sub-accounts (R4) in the summary.", "PC02FS02"),
    _f("n_r1_open", "accounts", "count", "as reported", "Open revolving loan accounts (R1) in the summary.", "PC02GS02"),
    _f("n_r2_open", "accounts", "count", "as reported", "Open credit-card accounts (R2) in the summary.", "PC02HS02"),
    _f("n_r3_open", "accounts", "count", "as reported", "Open semi-credit-card accounts (R3) in the summary.", "PC02IS02"),
    _f("n_open_loans", "accounts", "count", "as reported", "Open D1/R4/R1 accounts: status (PD01BD01, else PD01CD01) not 3 (settled).", "PD01AD01 PD01BD01 PD01CD01"),
    _f("n_open_cards", "accounts", "count", "as reported", "Open R2 accounts: status not 4 (closed) or 6 (not activated).", "PD01AD01 PD01BD01 PD01CD01"),
    _f("loan_balance", "accounts", "yuan", "as reported", "Balance of open loans: PC02EJ02 + PC02FJ02 + PC02GJ02.", "PC02EJ02 PC02FJ02 PC02GJ02", dtype="float"),
    _f("total_limit", "accounts", "yuan", "as reported", "Total authorised limit: PC02EJ01 + FJ01 + GJ01 + HJ01 + IJ01 (card totals are de-duplicated by the bureau).", "PC02EJ01 PC02FJ01 PC02GJ01 PC02HJ01 PC02IJ01", dtype="float"),
    _f("card_util", "accounts", "ratio", "as reported", "Credit-card utilisation PC02HJ04 / PC02HJ01.", "PC02HJ04 PC02HJ01", "None when there is no card limit (no R2 summary or limit 0).", "float"),
    _f("card_util_6m_avg", "accounts", "ratio", "6m", "Average 6-month card utilisation PC02HJ05 / PC02HJ01.", "PC02HJ05 PC02HJ01", "None when there is no card limit.", "float"),
    _f("card_util_max", "accounts", "ratio", "as reported", "Maximum over open R2 accounts of used limit / account limit (PD01CJ02 / PD01AJ02).", "PD01CJ02 PD01AJ02", "None when no open R2 account has a positive limit.", "float"),
    _f("card_high_util_cnt", "accounts", "count", "as reported", "Open R2 accounts with utilisation above 80%.", "PD01CJ02 PD01AJ02"),
    _f("monthly_obligation", "accounts", "yuan", "6m", "PC02EJ03 + PC02FJ03 + PC02GJ03 plus, over open R2, max(PD01CJ04, 10% of PD01CJ12).", "PC02EJ03 PC02FJ03 PC02GJ03 PD01CJ04 PD01CJ12", dtype="float"),
    _f("months_since_oldest_account", "accounts", "months", "all", "Whole months from the earliest account opening (PD01AR01) to T; below 6 is a thin file (白户).", "PD01AR01", _NONE_NO_ACC, "float"),
    _f("months_since_newest_account", "accounts", "months", "all", "Whole months from the latest account opening (PD01AR01) to T.", "PD01AR01", _NONE_NO_ACC, "float"),
    _f("new_accounts_3m", "accounts", "count", "3m", "Accounts opened (PD01AR01) in the window.", "PD01AR01"),
    _f("new_accounts_6m", "accounts", "count", "6m", "Accounts opened (PD01AR01) in the window.", "PD01AR01"),
    _f("n_institutions", "accounts", "count", "as reported", "Lending institutions with open loans: PC02ES01 + PC02FS01 + PC02GS01.", "PC02ES01 PC02FS01 PC02GS01"),
    _f("has_mortgage", "accounts", "flag", "all", "1 when any account is a housing or commercial-property loan (PD01AD03 in 11, 12, 13).", "PD01AD03"),
    _f("n_auto_loans_open", "accounts", "count", "as reported", "Open accounts with business kind 21 (auto loan).", "PD01AD03 PD01BD01"),
    _f("nonbank_loan_cnt_open", "accounts", "count", "as reported", "Open D1/R4/R1 accounts at institution types 24, 25 or 51.", "PD01AD01 PD01AD02"),
    # --- farmer lending --------------------------------------------------------------------
    _f("n_farmer_loans", "farmer", "count", "all", "Accounts with business kind 51, 52 or 53 (农户贷款).", "PD01AD03"),
    _f("n_farmer_loans_open", "farmer", "count", "as reported", "Open accounts with business kind 51, 52 or 53.", "PD01AD03 PD01BD01"),
    _f("farmer_loan_balance", "farmer", "yuan", "as reported", "Balance (PD01CJ01, else PD01BJ01) of open farmer loans.", "PD01AD03 PD01CJ01 PD01BJ01", dtype="float"),
    _f("joint_guarantee_loans", "farmer", "count", "all", "Accounts guaranteed by farmer joint guarantee (PD01AD07 = 7, 农户联保).", "PD01AD07"),
    _f("rural_inst_share", "farmer", "ratio", "all", "Share of accounts managed by village banks (PD01AD02 = 12, 村镇银行).", "PD01AD02", _NONE_NO_ACC, "float"),
    # --- delinquency -----------------------------------------------------------------------
    _f("cur_overdue_amt", "delinquency", "yuan", "as reported", "Current overdue total over D1/R4/R1/R2/R3 accounts: sum of PD01CJ06.", "PD01CJ06", dtype="float"),
    _f("cur_overdue_principal_31p", "delinquency", "yuan", "as reported", "Overdue principal 31+ days: sum of PD01CJ07 + CJ08 + CJ09 + CJ10.", "PD01CJ07 PD01CJ08 PD01CJ09 PD01CJ10", dtype="float"),
    _f("max_cur_overdue_periods", "delinquency", "count", "as reported", "Maximum current overdue periods (PD01CS02).", "PD01CS02"),
    _f("worst_status_3m", "delinquency", "rank", "3m", "Maximum status rank (N/M/*/#/C/A → 0, 1–7 → 1–7, D/Z → 3, B → 7, G → 8) of monthly statuses in the window.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03", "0 when no monthly status falls in the window."),
    _f("worst_status_6m", "delinquency", "rank", "6m", "As worst_status_3m over 6 months.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03", "0 when no monthly status falls in the window."),
    _f("worst_status_12m", "delinquency", "rank", "12m", "As worst_status_3m over 12 months.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03", "0 when no monthly status falls in the window."),
    _f("worst_status_24m", "delinquency", "rank", "24m", "As worst_status_3m over 24 months.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03", "0 when no monthly status falls in the window."),
    _f("worst_loan_status_12m", "delinquency", "rank", "12m", "As worst_status_12m over loan accounts (D1/R4/R1/C1) only.", "PD01AD01 PD01DD01 PD01ED01", "0 when no monthly status falls in the window."),
    _f("worst_card_status_12m", "delinquency", "rank", "12m", "As worst_status_12m over card accounts (R2/R3) only.", "PD01AD01 PD01DD01 PD01ED01", "0 when no monthly status falls in the window."),
    _f("n_delinq_months_24m", "delinquency", "count", "24m", "24-month-grid statuses 1–7 in the window, summed over accounts (m24_cr_ovd).", "PD01DD01 PD01DR03"),
    _f("max_consecutive_delinq_24m", "delinquency", "months", "24m", "Longest run of consecutive months with status rank ≥ 1 on one account (24-month grid).", "PD01DD01 PD01DR03"),
    _f("n_accounts_ever_delinq_12m", "delinquency", "count", "12m", "Accounts with a status rank ≥ 1 in the window.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03"),
    _f("n_accounts_ever_delinq_24m", "delinquency", "count", "24m", "Accounts with a status rank ≥ 1 in the window.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03"),
    _f("n_accounts_ever_delinq_60m", "delinquency", "count", "60m", "Accounts with a status rank ≥ 1 in the window.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03"),
    _f("months_since_last_delinq", "delinquency", "months", "60m", "Months from the latest month with status rank ≥ 1 to T's month.", "PD01DD01 PD01DR03 PD01ED01 PD01ER03", "None when no delinquent month is shown.", "float"),
    _f("max_overdue_amt_60m", "delinquency", "yuan", "60m", "Maximum overdue amount of the 5-year history (PD01EJ01).", "PD01EJ01", dtype="float"),
    _f("summary_longest_overdue", "delinquency", "months", "60m", "Longest overdue months in the overdue summary: max PC02DS04.", "PC02DS04"),
    _f("summary_max_month_overdue_amt", "delinquency", "yuan", "60m", "Highest single-month overdue total in the summary: max PC02DJ01.", "PC02DJ01", dtype="float"),
    _f("has_bad_debt", "delinquency", "flag", "all", "1 when PC02CS01 > 0, any monthly status B or G, or an account in bad-debt status (4 loans, 5 cards).", "PC02CS01 PD01DD01 PD01ED01 PD01BD01"),
    _f("has_recovery", "delinquency", "flag", "all", "1 when PC02BS01 > 0, any C1 account, or any monthly status D or Z.", "PC02BS01 PD01AD01 PD01DD01 PD01ED01"),
    _f("npl_class_cnt", "delinquency", "count", "as reported", "Accounts (PD01BD03, else PD01CD02) and responsibilities (PD03AD05) classified 3, 4 or 5 (non-performing).", "PD01BD03 PD01CD02 PD03AD05"),
    _f("special_mention_cnt", "delinquency", "count", "as reported", "Accounts and responsibilities classified 2 (special mention).", "PD01BD03 PD01CD02 PD03AD05"),
    _f("special_trans_cnt_24m", "delinquency", "count", "24m", "Special transactions of types 1, 2, 3, 8, 11 or 16 (extension, guarantor repaid, settled with assets, judicial recovery, debt relief, deferral) dated in the window.", "PD01FD01 PD01FR01"),
    # --- guarantees --------------------------------------------------------------------------
    _f("guarantee_amt", "guarantees", "yuan", "as reported", "Guarantee liability: sum of PC02KJ01 where PC02KD02 = 1.", "PC02KJ01 PC02KD02", dtype="float"),
    _f("guarantee_bal", "guarantees", "yuan", "as reported", "Guaranteed balance: sum of PC02KJ02 where PC02KD02 = 1.", "PC02KJ02 PC02KD02", dtype="float"),
    _f("guarantee_bad_cnt", "guarantees", "count", "as reported", "Responsibilities (PD03) classified 3–5, with repayment status 1–7 or B, or with overdue months > 0.", "PD03AD05 PD03AD07 PD03AS01"),
    # --- public records, non-credit, profile --------------------------------------------------
    _f("n_civil_judgments", "public", "count", "60m", "Civil judgments: PC040S02 of type 2, else the number of PF02 records.", "PC040D01 PC040S02 PF02"),
    _f("civil_judgment_amt", "public", "yuan", "60m", "Sum of amounts in dispute (PF02AJ01).", "PF02AJ01", dtype="float"),
    _f("n_enforcements", "public", "count", "60m", "Enforcements: PC040S02 of type 3, else the number of PF03 records.", "PC040D01 PC040S02 PF03"),
    _f("enforcement_amt", "public", "yuan", "60m", "Sum of amounts applied for (PF03AJ01).", "PF03AJ01", dtype="float"),
    _f("n_tax_arrears", "public", "count", "60m", "Tax arrears: PC040S02 of type 1, else the number of PF01 records.", "PC040D01 PC040S02 PF01"),
    _f("tax_arrears_amt", "public", "yuan", "60m", "Sum of tax owed (PF01AJ01).", "PF01AJ01", dtype="float"),
    _f("n_admin_penalties", "public", "count", "60m", "Administrative penalties: PC040S02 of type 4, else the number of PF04 records.", "PC040D01 PC040S02 PF04"),
    _f("postpaid_arrears_amt", "public", "yuan", "as reported", "Post-paid arrears: sum of PC030J01; sum of PE01AJ01 when the summary is absent.", "PC030J01 PE01AJ01", dtype="float"),
    _f("age", "profile", "years", "as reported", "Whole years from the birth date (PB01AR01) to T.", "PB01AR01", "None when the birth date is missing.", "float"),
    _f("mobiles_6m", "profile", "count", "6m", "Phone numbers (PB01BH) updated in the window.", "PB01BR01"),
    _f("n_addresses", "profile", "count", "all", "Residence records (PB03).", "PB03"),
    _f("years_at_employer", "profile", "years", "as reported", "year(T) minus the year joined (PB040R01) of the first occupation record.", "PB040R01", "None when no occupation record gives the year joined.", "float"),
    _f("housing_fund_active", "profile", "flag", "as reported", "1 when a housing-fund record has status 1 (contributing).", "PF05AD01"),
    _f("housing_fund_monthly", "profile", "yuan", "as reported", "Monthly contribution (PF05AJ01) of contributing housing-fund records, summed (income proxy).", "PF05AD01 PF05AJ01", dtype="float"),
    _f("crc_score", "profile", "score", "as reported", "The CRC 数字解读 score (PC010Q01), 0–1000, higher is safer.", "PC010Q01", "None when the report has no score or shows --.", "float"),
    _f("crc_score_percentile", "profile", "ratio", "as reported", "The score's relative position (PC010Q02) in percent.", "PC010Q02", "None when absent or not a number.", "float"),
)
# fmt: on

CATALOG.register_all(PBOC_FEATURES)
