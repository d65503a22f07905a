"""Financial institutions that appear in sandbox PBOC reports, with their PBOC type codes.

Type codes (``PD01AD02``/``PH010D01``): 11 commercial bank (rural commercial banks report as
11), 12 village bank (村镇银行), 24 consumer finance, 25 lending company, 51 micro-lender.
"""

from __future__ import annotations

__all__ = [
    "BIG_BANKS",
    "CONSUMER_FINANCE",
    "LENDING_COMPANIES",
    "MICRO_LENDERS",
    "NONBANK",
    "VILLAGE_BANKS",
]

# (type code, 14-character institution code)
BIG_BANKS: tuple[tuple[str, str], ...] = tuple(
    ("11", f"B{c}0000000001") for c in ("103", "104", "102", "105", "100")
)
VILLAGE_BANKS: tuple[tuple[str, str], ...] = tuple(("12", f"D1230000{i:06d}") for i in range(1, 6))
CONSUMER_FINANCE: tuple[tuple[str, str], ...] = tuple(
    ("24", f"F2400000{i:06d}") for i in range(1, 5)
)
MICRO_LENDERS: tuple[tuple[str, str], ...] = tuple(("51", f"M5100000{i:06d}") for i in range(1, 7))
LENDING_COMPANIES: tuple[tuple[str, str], ...] = tuple(
    ("25", f"L2500000{i:06d}") for i in range(1, 4)
)
NONBANK: tuple[tuple[str, str], ...] = CONSUMER_FINANCE + MICRO_LENDERS + LENDING_COMPANIES
