"""Parquet schemas of the province tables (column order and types of docs/data-model.md)."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa

__all__ = ["DRIVERS_SCHEMA", "HOUSEHOLD_SCHEMA", "OUTCOME_SCHEMA", "to_table"]

_S, _F, _I, _B = pa.string(), pa.float64(), pa.int64(), pa.bool_()

HOUSEHOLD_SCHEMA = pa.schema(
    [
        ("household_id", _S), ("bank_code", _S), ("village_id", _S), ("head_name", _S),
        ("id_type", _S), ("id_number", _S), ("phone", _S), ("head_age", _I),
        ("marital_status", _S), ("health", _S), ("education", _S), ("members", _I),
        ("workers", _I), ("years_resident", _I), ("land_mu", _F), ("main_crop", _S),
        ("livestock_heads", _I), ("income_crop", _F), ("income_livestock", _F),
        ("income_wage", _F), ("income_business", _F), ("income_other", _F),
        ("expense_living", _F), ("expense_production", _F), ("expense_education", _F),
        ("expense_medical", _F), ("assets_house", _F), ("assets_vehicle", _F),
        ("assets_machinery", _F), ("assets_livestock", _F), ("assets_deposits", _F),
        ("deposits_this_bank_avg", _F), ("debt_this_bank", _F), ("debt_other_banks", _F),
        ("debt_informal", _F), ("informal_high_interest", _B), ("guarantees_given", _F),
        ("years_with_bank", _I), ("village_review", _S), ("bad_habits", _B),
        ("credit_village_status", _S), ("requested_product", _S), ("survey_date", pa.date32()),
        ("thin_file", _B),
    ]
)  # fmt: skip

OUTCOME_SCHEMA = pa.schema([("household_id", _S), ("true_pd", _F), ("default_12m", pa.int8())])

DRIVERS_SCHEMA = pa.schema(
    [
        ("household_id", _S), ("report_date", pa.date32()), ("thin_file", _F),
        ("n_delinq_months_24m", _F), ("worst_status_24m", _F), ("cur_overdue_amt", _F),
        ("card_util", _F), ("inq_loan_cnt_3m", _F), ("inq_card_cnt_12m", _F),
        ("n_open_loans", _F), ("months_since_oldest_account", _F), ("qh_credoo_score", _F),
        ("qh_dishonest_debtor", _F),
    ]
)  # fmt: skip


def to_table(frame: pd.DataFrame, schema: pa.Schema) -> pa.Table:
    """``frame`` as an Arrow table with ``schema``'s columns, then any ``term_*`` columns.

    Other columns of ``frame`` are left out; ``term_*`` columns (the logit terms of the
    drivers table) are appended as float64. No pandas metadata is stored, so bytes depend only on values.
    """
    extra = [c for c in frame.columns if c.startswith("term_") and c not in schema.names]
    fields = list(schema) + [pa.field(c, pa.float64()) for c in extra]
    full = pa.schema(fields)
    arrays = [pa.array(_values(frame[f.name], f.type), type=f.type) for f in full]
    return pa.Table.from_arrays(arrays, schema=full)


def _values(column: pd.Series, kind: pa.DataType) -> object:
    if kind == pa.date32():
        return pd.to_datetime(column).dt.date.tolist()
    return column.to_numpy()
