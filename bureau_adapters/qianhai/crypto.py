"""Qianhai cryptography exactly as the vendor's Java helper does it (§2.3 of the reference).

- ``busiData``: 3DES (``DESede/ECB/PKCS5Padding``), key = UTF-8 bytes of the 24-character
  check code, output Base64.
- ``signatureValue``: ``SHA1withRSA`` (PKCS#1 v1.5) over the **Base64 string**, not the
  plaintext, output Base64.
- ``userPassword``: lower-case hex SHA-1 of the password, unsalted.

ECB and SHA-1 are weak; they are the vendor's protocol and are kept inside this module.
Base64 read from the wire may carry MIME line breaks (``sun.misc.BASE64Encoder`` wraps at 76).

>>> b64 = encrypt_busi_data(b'{"a":1}', "0123456789abcdefghijklmn")
>>> decrypt_busi_data(wrap_mime(b64), "0123456789abcdefghijklmn")
b'{"a":1}'
>>> password_digest("password")
'5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.serialization import pkcs12
from pydantic import SecretStr

from bureau_adapters.qianhai.errors import (
    QianhaiConfigError,
    QianhaiDecryptError,
    QianhaiSignatureError,
)

__all__ = [
    "CHECK_CODE_LENGTH",
    "b64decode_lenient",
    "check_code_bytes",
    "decrypt_busi_data",
    "encrypt_busi_data",
    "load_private_key",
    "load_public_key",
    "password_digest",
    "sign",
    "verify",
    "wrap_mime",
]

CHECK_CODE_LENGTH = 24
_WHITESPACE = re.compile(rb"\s+")


def check_code_bytes(check_code: SecretStr | str) -> bytes:
    """The 3DES key: the UTF-8 bytes of the 24-character check code."""
    raw = check_code.get_secret_value() if isinstance(check_code, SecretStr) else check_code
    key = raw.encode("utf-8")
    if len(key) != CHECK_CODE_LENGTH:
        # The length is safe to state; the check code itself never is.
        raise QianhaiConfigError(
            f"The Qianhai check code must be {CHECK_CODE_LENGTH} bytes in UTF-8. "
            f"Got {len(key)} bytes.",
            field="check_code",
        )
    return key


def b64decode_lenient(text: str | bytes, *, field: str = "busiData") -> bytes:
    """Decode Base64 that may contain line breaks (MIME flavour); anything else is refused."""
    data = text.encode("ascii", "replace") if isinstance(text, str) else text
    try:
        return base64.b64decode(_WHITESPACE.sub(b"", data), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise QianhaiDecryptError(f"'{field}' is not valid Base64.", field=field) from exc


def wrap_mime(b64: str, width: int = 76) -> str:
    """Break a Base64 string into lines of ``width`` characters, as ``sun.misc`` does."""
    return "\n".join(b64[i : i + width] for i in range(0, len(b64), width))


def encrypt_busi_data(plaintext: bytes, check_code: SecretStr | str) -> str:
    """3DES-ECB-PKCS5 encrypt ``plaintext`` with the check code; Base64 without line breaks."""
    padder = padding.PKCS7(64).padder()
    padded = padder.update(plaintext) + padder.finalize()
    encryptor = Cipher(TripleDES(check_code_bytes(check_code)), modes.ECB()).encryptor()  # noqa: S305
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def decrypt_busi_data(b64: str, check_code: SecretStr | str) -> bytes:
    """Inverse of :func:`encrypt_busi_data`; tolerates line breaks in the Base64."""
    ciphertext = b64decode_lenient(b64)
    if not ciphertext or len(ciphertext) % 8:
        raise QianhaiDecryptError(
            "'busiData' ciphertext length must be a positive multiple of 8 bytes. "
            f"Got {len(ciphertext)}.",
            field="busiData",
        )
    decryptor = Cipher(TripleDES(check_code_bytes(check_code)), modes.ECB()).decryptor()  # noqa: S305
    padded = decryptor.update(ciphertext) + decryptor.finalize()
    unpadder = padding.PKCS7(64).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError as exc:
        raise QianhaiDecryptError(
            "'busiData' does not decrypt with the configured check code (bad padding).",
            field="busiData",
        ) from exc


def sign(b64: str, private_key: rsa.RSAPrivateKey) -> str:
    """``SHA1withRSA`` over the exact Base64 string (UTF-8 bytes); Base64 signature."""
    signature = private_key.sign(b64.encode("utf-8"), PKCS1v15(), hashes.SHA1())  # noqa: S303
    return base64.b64encode(signature).decode("ascii")


def verify(b64: str, signature_b64: str | None, public_key: rsa.RSAPublicKey) -> None:
    """Check a ``SHA1withRSA`` signature over ``b64``; raise :class:`QianhaiSignatureError`.

    The signature is checked over the string exactly as received and, failing that, over the
    same string without line breaks (signers differ in which of the two they sign).
    """
    if not signature_b64 or not b64:
        raise QianhaiSignatureError(
            "Qianhai's response carries no 'signatureValue' over 'busiData'; refused.",
            field="securityInfo.signatureValue",
        )
    try:
        signature = base64.b64decode(_WHITESPACE.sub(b"", signature_b64.encode()), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise QianhaiSignatureError(
            "Qianhai's 'signatureValue' is not valid Base64; refused.",
            field="securityInfo.signatureValue",
        ) from exc
    candidates = [b64.encode("utf-8")]
    compact = _WHITESPACE.sub(b"", candidates[0])
    if compact != candidates[0]:
        candidates.append(compact)
    for signed in candidates:
        try:
            public_key.verify(signature, signed, PKCS1v15(), hashes.SHA1())  # noqa: S303
            return
        except InvalidSignature:
            continue
    raise QianhaiSignatureError(
        "Qianhai's signature over 'busiData' does not verify; the response was not decrypted.",
        field="securityInfo.signatureValue",
    )


def password_digest(password: SecretStr | str) -> str:
    """Lower-case hex SHA-1 of the password, as Qianhai expects in ``userPassword``."""
    raw = password.get_secret_value() if isinstance(password, SecretStr) else password
    return hashlib.sha1(raw.encode("utf-8")).hexdigest()  # noqa: S324 - vendor protocol


def load_private_key(path: Path, password: SecretStr | None = None) -> rsa.RSAPrivateKey:
    """Our signing key from a PEM, DER or PKCS#12 file (a JKS must be exported to PKCS#12)."""
    data = _read(path, "private_key_file")
    secret = password.get_secret_value().encode() if password else None
    loaders = (
        lambda: serialization.load_pem_private_key(data, secret),
        lambda: serialization.load_der_private_key(data, secret),
        lambda: pkcs12.load_key_and_certificates(data, secret)[0],
    )
    for load in loaders:
        try:
            key = load()
        except (ValueError, TypeError):
            continue
        if isinstance(key, rsa.RSAPrivateKey):
            return key
    raise QianhaiConfigError(
        "The file named by 'private_key_file' holds no readable RSA private key "
        "(PEM, DER or PKCS#12; wrong password?).",
        field="private_key_file",
    )


def load_public_key(path: Path) -> rsa.RSAPublicKey:
    """Qianhai's verification key from an X.509 certificate (PEM or DER) or a public key."""
    data = _read(path, "vendor_cert_file")
    loaders = (
        lambda: x509.load_pem_x509_certificate(data).public_key(),
        lambda: x509.load_der_x509_certificate(data).public_key(),
        lambda: serialization.load_pem_public_key(data),
        lambda: serialization.load_der_public_key(data),
    )
    for load in loaders:
        try:
            key = load()
        except (ValueError, TypeError):
            continue
        if isinstance(key, rsa.RSAPublicKey):
            return key
    raise QianhaiConfigError(
        "The file named by 'vendor_cert_file' holds no RSA certificate or public key.",
        field="vendor_cert_file",
    )


def _read(path: Path, field: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise QianhaiConfigError(
            f"Cannot read the file named by '{field}': {exc.strerror}.", field=field
        ) from exc
