"""Repayment-status ranks and account-status codes, which depend on the account type.

Re-exported by :mod:`bureau_adapters.pboc.codes`.
"""

from __future__ import annotations

__all__ = ["ACCOUNT_STATUS_LABELS", "STATUS_RANK", "normalise_account_status"]

#: Modelling rank of a repayment status (§6): 0 neutral, 1–7 overdue buckets, 8 severe.
STATUS_RANK: dict[str, int] = {
    **dict.fromkeys(("N", "M", "*", "#", "/", "C", "A", ""), 0),
    **{str(i): i for i in range(1, 8)},
    "B": 7,
    "G": 8,
    "D": 3,
    "Z": 3,
}

_LOAN_STATUS = {
    "1": "正常",
    "2": "逾期",
    "3": "结清",
    "4": "呆账",
    "5": "转出",
    "6": "担保物不足",
    "7": "强制平仓",
    "8": "司法追偿",
}
_CARD_STATUS = {
    "1": "正常",
    "2": "冻结",
    "3": "止付",
    "31": "银行止付",
    "4": "销户",
    "5": "呆账",
    "6": "未激活",
    "8": "司法追偿",
}
#: Account status labels (``PD01BD01``/``PD01CD01``), which depend on the account type.
ACCOUNT_STATUS_LABELS: dict[str, dict[str, str]] = {
    "D1": _LOAN_STATUS,
    "R4": {k: v for k, v in _LOAN_STATUS.items() if k in {"1", "2", "3", "4", "6", "8"}},
    "R1": {
        **{k: v for k, v in _LOAN_STATUS.items() if k in {"1", "2", "3", "4", "6", "8"}},
        "5": "银行止付",
    },
    "R2": _CARD_STATUS,
    "R3": _CARD_STATUS,
    "C1": {"1": "催收", "2": "结束"},
}
_STATUS_BY_LABEL = {
    (kind, label): code
    for kind, table in ACCOUNT_STATUS_LABELS.items()
    for code, label in table.items()
}


def normalise_account_status(account_type: str | None, raw: str | None) -> str | None:
    """Map an account status (code or Chinese label) to its code for ``account_type``.

    >>> normalise_account_status("D1", "逾期")
    '2'
    >>> normalise_account_status("R2", "4")
    '4'
    """
    if raw is None or account_type is None:
        return raw
    return _STATUS_BY_LABEL.get((str(account_type), raw), raw)
