"""The WSDL of the PBOC single-query front-end, shipped with the package.

:data:`SINGLE_QUERY_WSDL` describes the one operation the toolkit calls (request fields of the
bank platform, the subject's authorisation block and the business reference; the CRC response
envelope and its result codes in the file's header comment). Both the zeep client and the
simulator use this file, so they cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["NAMESPACE", "SINGLE_QUERY_WSDL"]

SINGLE_QUERY_WSDL = Path(__file__).with_name("single_query.wsdl")
NAMESPACE = "urn:nongxin:pboc:singlequery:1"
