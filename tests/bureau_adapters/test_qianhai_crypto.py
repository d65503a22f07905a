"""Qianhai cryptography and envelope: the §7 test vector, signatures, fail-closed opening."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

from bureau_adapters.qianhai import crypto, envelope
from bureau_adapters.qianhai.errors import (
    QianhaiConfigError,
    QianhaiDecryptError,
    QianhaiMalformedResponse,
    QianhaiQuotaError,
    QianhaiSignatureError,
)
from bureau_adapters.qianhai.models import Subject
from bureau_adapters.qianhai.products import PRODUCTS, request_record

# §7 of third-party-bureaus.md: an independent vector (dummy key), verified with OpenSSL and Java.
VECTOR_KEY = "0123456789abcdefghijklmn"
VECTOR_PLAIN = (
    '{"batchNo":"B20240101000001","records":[{"idNo":"110101199001011237","idType":"0",'
    '"name":"测试","reasonCode":"01","entityAuthCode":"AUTH0001","entityAuthDate":"2024-01-01",'
    '"seqNo":"1"}]}'
)
VECTOR_B64 = (
    "FwRSEryTHHMIWpEqqGwfhD+zJC0uAoOrLFdExtV9mfdTEdVkSodOtv50kwL6H8+eCerHo9hVs7e8xMgIIRahyDyL6"
    "Br0XbuWbzVCiIEmTRGGLzWtk2K1XGLS9hTd147+IPwldRdpesHroBrvXt+yZP5UhGK7WqzJV4iPg15atenSz0RzNS"
    "DBB364TnGnK5Jo2zop9ZXkXFkb0f1LIgeEaRwwPBZx+KE7PzpJgmK0UOu+Ge9Iw8aS1MrgpIUXOZPX"
)


@pytest.fixture(scope="module")
def keys() -> tuple[rsa.RSAPrivateKey, rsa.RSAPrivateKey]:
    """(ours, Qianhai's) signing keys, generated once for the module."""
    return (
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
    )


def test_vector_encrypts_byte_for_byte() -> None:
    assert crypto.encrypt_busi_data(VECTOR_PLAIN.encode("utf-8"), VECTOR_KEY) == VECTOR_B64


def test_vector_plaintext_is_what_the_request_builder_writes() -> None:
    subject = Subject(id_number="110101199001011237", name="测试")
    record = request_record(
        PRODUCTS["8037"],
        subject,
        reason="01",
        entity_auth_code="AUTH0001",
        entity_auth_date=dt.date(2024, 1, 1),
    )
    busi = {"batchNo": "B20240101000001", "records": [record]}
    assert envelope.busi_json(busi) == VECTOR_PLAIN.encode("utf-8")
    assert crypto.encrypt_busi_data(envelope.busi_json(busi), SecretStr(VECTOR_KEY)) == VECTOR_B64


@pytest.mark.parametrize("width", [76, 64, 1000])
def test_vector_decrypts_with_or_without_line_breaks(width: int) -> None:
    wrapped = crypto.wrap_mime(VECTOR_B64, width)
    assert crypto.decrypt_busi_data(wrapped, VECTOR_KEY).decode("utf-8") == VECTOR_PLAIN
    assert crypto.decrypt_busi_data(wrapped.replace("\n", "\r\n"), VECTOR_KEY) == (
        VECTOR_PLAIN.encode("utf-8")
    )


def test_mime_lines_are_76_characters() -> None:
    lines = crypto.wrap_mime(VECTOR_B64).split("\n")
    assert {len(line) for line in lines[:-1]} == {76}


def test_password_digest_vector() -> None:
    assert crypto.password_digest("password") == "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8"


@pytest.mark.parametrize(
    "code", ["short", "0123456789abcdefghijklmnop", "0123456789abcdefghijklm中"]
)
def test_check_code_must_be_24_bytes_and_is_never_echoed(code: str) -> None:
    with pytest.raises(QianhaiConfigError, match=r"must be 24 bytes") as info:
        crypto.encrypt_busi_data(b"x", code)
    assert code not in str(info.value)


@pytest.mark.parametrize(
    ("b64", "message"),
    [("not base64!!", "not valid Base64"), ("QUJD", "multiple of 8"), ("", "multiple of 8")],
)
def test_decrypt_refuses_garbage(b64: str, message: str) -> None:
    with pytest.raises(QianhaiDecryptError, match=message):
        crypto.decrypt_busi_data(b64, VECTOR_KEY)


def test_decrypt_with_wrong_key_is_a_coded_error() -> None:
    with pytest.raises(QianhaiDecryptError, match="bad padding"):
        crypto.decrypt_busi_data(VECTOR_B64, "abcdefghijklmn0123456789")


@settings(max_examples=40, deadline=None)
@given(st.binary(max_size=300))
def test_encrypt_decrypt_round_trip(plain: bytes) -> None:
    b64 = crypto.encrypt_busi_data(plain, VECTOR_KEY)
    assert crypto.decrypt_busi_data(crypto.wrap_mime(b64), VECTOR_KEY) == plain


def test_signature_round_trip_and_line_breaks(keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    ours = keys[0]
    signature = crypto.sign(VECTOR_B64, ours)
    crypto.verify(VECTOR_B64, crypto.wrap_mime(signature), ours.public_key())
    # a signer that signed the compact string but transmitted MIME lines is accepted too
    crypto.verify(crypto.wrap_mime(VECTOR_B64), signature, ours.public_key())


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b, s: (b[:-4] + "AAAA", s), "does not verify"),
        (lambda b, s: (b, s[:-8] + "AAAAAAA="), "does not verify"),
        (lambda b, s: (b, None), "no 'signatureValue'"),
        (lambda b, s: (b, "%%%"), "not valid Base64"),
    ],
)
def test_verify_fails_closed(
    keys: tuple[rsa.RSAPrivateKey, ...], mutate: Any, message: str
) -> None:
    signature = crypto.sign(VECTOR_B64, keys[0])
    b64, sig = mutate(VECTOR_B64, signature)
    with pytest.raises(QianhaiSignatureError, match=message):
        crypto.verify(b64, sig, keys[0].public_key())


def test_signature_by_another_key_is_refused(keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    signature = crypto.sign(VECTOR_B64, keys[1])
    with pytest.raises(QianhaiSignatureError, match="does not verify"):
        crypto.verify(VECTOR_B64, signature, keys[0].public_key())


def test_key_files_load(tmp_path: Path, keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    ours = keys[0]
    pem = tmp_path / "key.pem"
    pem.write_bytes(
        ours.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw"),
        )
    )
    pub = tmp_path / "qh.pem"
    pub.write_bytes(
        ours.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    loaded = crypto.load_private_key(pem, SecretStr("pw"))
    crypto.verify("QUJD", crypto.sign("QUJD", loaded), crypto.load_public_key(pub))
    with pytest.raises(QianhaiConfigError, match="no readable RSA private key"):
        crypto.load_private_key(pem, SecretStr("wrong"))
    with pytest.raises(QianhaiConfigError, match="Cannot read the file"):
        crypto.load_public_key(tmp_path / "absent.cer")


def _response(
    keys: tuple[rsa.RSAPrivateKey, ...], busi: dict[str, Any], **header: str
) -> dict[str, Any]:
    b64, sig = envelope.seal(busi, VECTOR_KEY, keys[1])
    head = {"transNo": "T1", "rtCode": "E000000", "rtMsg": "ok", **header}
    return {"header": head, "busiData": b64, "securityInfo": {"signatureValue": sig}}


def _open(keys: tuple[rsa.RSAPrivateKey, ...], body: dict[str, Any]) -> envelope.OpenedResponse:
    return envelope.open_response(
        json.dumps(body).encode(),
        check_code=SecretStr(VECTOR_KEY),
        vendor_public_key=keys[1].public_key(),
        expected_trans_no="T1",
        product="8005",
    )


def test_open_response_round_trip(keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    opened = _open(keys, _response(keys, {"batchNo": "B", "records": [{"erCode": "E000000"}]}))
    assert (opened.rt_code, opened.records) == ("E000000", [{"erCode": "E000000"}])


def test_tampered_response_is_refused_before_decryption(
    keys: tuple[rsa.RSAPrivateKey, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = crypto.decrypt_busi_data

    def spy(b64: str, check_code: SecretStr | str) -> bytes:
        calls.append(b64)
        return real(b64, check_code)

    monkeypatch.setattr(crypto, "decrypt_busi_data", spy)
    body = _response(keys, {"batchNo": "B", "records": []})
    _open(keys, body)
    assert len(calls) == 1  # the spy sees decryptions of good responses
    tampered = dict(body, busiData=crypto.encrypt_busi_data(b'{"records":[]}', VECTOR_KEY))
    with pytest.raises(QianhaiSignatureError, match="was not decrypted"):
        _open(keys, tampered)
    assert len(calls) == 1


@pytest.mark.parametrize(
    ("body", "error", "message"),
    [
        (b"<html>", QianhaiMalformedResponse, "not UTF-8 JSON"),
        (b"[]", QianhaiMalformedResponse, "must be a JSON object"),
        (b'{"busiData": "x"}', QianhaiMalformedResponse, "no 'header'"),
        (
            b'{"header": {"transNo": "T2", "rtCode": "E000000"}}',
            QianhaiMalformedResponse,
            "another transNo",
        ),
        (
            b'{"header": {"rtCode": "E900006", "rtMsg": "limit"}}',
            QianhaiQuotaError,
            "E900006 daily call limit",
        ),
    ],
)
def test_open_response_errors(
    keys: tuple[rsa.RSAPrivateKey, ...], body: bytes, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        envelope.open_response(
            body,
            check_code=SecretStr(VECTOR_KEY),
            vendor_public_key=keys[1].public_key(),
            expected_trans_no="T1",
            product="8005",
        )


def test_trans_no_is_24_characters_and_unique() -> None:
    now = dt.datetime(2026, 11, 29, 18, 0, 0)
    numbers = {envelope.new_trans_no(now) for _ in range(200)}
    assert len(numbers) == 200
    assert {len(n) for n in numbers} == {24}
    assert all(len(envelope.new_batch_no(n)) <= 32 for n in numbers)


def test_message_level_no_data_without_business_data(keys: tuple[rsa.RSAPrivateKey, ...]) -> None:
    opened = _open(keys, {"header": {"transNo": "T1", "rtCode": "E000996"}})
    assert (opened.rt_code, opened.busi, opened.records) == ("E000996", None, [])


def test_message_level_no_data_with_unsigned_business_data_is_refused(
    keys: tuple[rsa.RSAPrivateKey, ...],
) -> None:
    body = _response(
        keys, {"records": [{"erCode": "E000000", "credooScore": "700"}]}, rtCode="E000996"
    )
    body["securityInfo"] = {}
    with pytest.raises(QianhaiSignatureError, match="no 'signatureValue'"):
        _open(keys, body)


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["idNo", "name", "erCode", "x"]), st.text(max_size=20), max_size=4
        ),
        max_size=3,
    )
)
def test_seal_then_open_is_identity(
    keys: tuple[rsa.RSAPrivateKey, ...], records: list[dict[str, str]]
) -> None:
    busi = {"batchNo": "B", "records": records}
    assert _open(keys, _response(keys, busi)).busi == busi
