"""Qianhai Credit (前海征信) adapter: signed and encrypted JSON over HTTPS.

Layers (each its own module):

- :mod:`~bureau_adapters.qianhai.crypto` — 3DES-ECB-PKCS5 ``busiData``, ``SHA1withRSA``
  signatures, SHA-1 password digest, key loading;
- :mod:`~bureau_adapters.qianhai.envelope` — the ``header``/``busiData``/``securityInfo``
  message, sealed and opened (signature checked before decryption, fail closed);
- :mod:`~bureau_adapters.qianhai.products` and :mod:`~bureau_adapters.qianhai.models` —
  8005 好信度, 8036 风险度提示, 8037 常贷客, 8075 好信欺诈度 as typed results, sentinels missing;
- :mod:`~bureau_adapters.qianhai.errors` — the vendor's result-code table as coded exceptions;
- :mod:`~bureau_adapters.qianhai.client` — the transport: consent, audit, persisted transNo,
  timeouts and the retry rules;
- :mod:`~bureau_adapters.qianhai.simulator` — a real HTTP server speaking the same envelope;
- :mod:`~bureau_adapters.qianhai.features` — the ``qh_*`` features;
- :mod:`~bureau_adapters.qianhai.plan` — which products an online rating queries per bank
  (``config/bureaus.yaml``; by default those whose ``qh_*`` features the bank's model reads).

Answers are stored and reused per product inside the bank's reuse window (the shared
compliance gate), so a re-rating is not billed again.
"""

from bureau_adapters.qianhai.models import (
    CredooScore,
    FraudFlags,
    LenderHit,
    MultiLender,
    QianhaiResult,
    RiskEvent,
    RiskHints,
    Subject,
)
from bureau_adapters.qianhai.products import PRODUCTS, get_product, parse_records

__all__ = [
    "PRODUCTS",
    "CredooScore",
    "FraudFlags",
    "LenderHit",
    "MultiLender",
    "QianhaiResult",
    "RiskEvent",
    "RiskHints",
    "Subject",
    "get_product",
    "parse_records",
]
