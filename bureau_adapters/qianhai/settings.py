"""Qianhai settings: where it is, who we are to it, and where our secrets live.

The database, subject-key secret and reuse windows are the shared bureau settings
(:class:`~bureau_adapters.settings.BureauSettings`, ``NONGXIN_BUREAU_*``).

Everything comes from the environment (prefix ``NONGXIN_QIANHAI_``) when
:class:`QianhaiSettings` is constructed, never at import time. Secrets are either a variable
(``NONGXIN_QIANHAI_PASSWORD``, ``NONGXIN_QIANHAI_CHECK_CODE``) or a file named by one
(``..._PASSWORD_FILE``, ``..._CHECK_CODE_FILE``, ``..._PRIVATE_KEY_FILE``); they are held as
:class:`~pydantic.SecretStr` and never printed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import rsa
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bureau_adapters.qianhai import crypto
from bureau_adapters.qianhai.errors import QianhaiConfigError
from bureau_adapters.transport import Timeouts

__all__ = ["QianhaiCredentials", "QianhaiIdentity", "QianhaiSettings"]


class QianhaiSettings(BaseSettings):
    """Where Qianhai is, who we are to it, and where our secrets live."""

    model_config = SettingsConfigDict(env_prefix="NONGXIN_QIANHAI_", extra="ignore")

    base_url: str = Field(
        default="", description="Scheme, host and port, e.g. https://host:port (contract)."
    )
    connect_timeout: float = Field(default=3.0, gt=0, le=60, description="Seconds; mandatory.")
    read_timeout: float = Field(default=10.0, gt=0, le=300, description="Seconds; mandatory.")

    org_code: str = Field(default="", max_length=24, description="Institution code (orgCode).")
    chnl_id: str = Field(default="", max_length=128, description="Channel id (chnlId).")
    auth_code: str = Field(default="", max_length=16, description="Institution authCode.")
    auth_date: str = Field(default="", description="authDate, yyyy-MM-dd HH:mm:ss.")
    user_name: str = Field(default="", description="Virtual user (securityInfo.userName).")
    password: SecretStr | None = None
    password_file: Path | None = None
    check_code: SecretStr | None = None
    check_code_file: Path | None = None
    private_key_file: Path | None = Field(default=None, description="PEM/DER/PKCS#12 RSA key.")
    private_key_password: SecretStr | None = None
    vendor_cert_file: Path | None = Field(default=None, description="Qianhai's certificate.")
    ca_bundle: Path | None = Field(
        default=None,
        description="PEM file of the CAs trusted for Qianhai's HTTPS endpoint; default "
        "NONGXIN_BUREAU_CA_BUNDLE, else the standard trust store.",
    )
    max_retries: int = Field(
        default=2,
        ge=0,
        le=5,
        description="Extra attempts, each with a new transNo, after a connect failure or E000997.",
    )

    def timeouts(self) -> Timeouts:
        """Connect and read timeouts for the transport."""
        return Timeouts(connect=self.connect_timeout, read=self.read_timeout)

    def credentials(self) -> QianhaiCredentials:
        """Read the secrets this configuration names; raise :class:`QianhaiConfigError`."""
        missing = [
            name
            for name in ("base_url", "org_code", "chnl_id", "auth_code", "auth_date", "user_name")
            if not getattr(self, name)
        ]
        key_file, cert_file = self.private_key_file, self.vendor_cert_file
        if key_file is None:
            missing.append("private_key_file")
        if cert_file is None:
            missing.append("vendor_cert_file")
        if missing or key_file is None or cert_file is None:
            raise QianhaiConfigError(
                "Qianhai is not configured: set "
                + ", ".join(f"NONGXIN_QIANHAI_{m.upper()}" for m in missing)
                + ".",
                field=missing[0],
            )
        check_code = _secret(self.check_code, self.check_code_file, "check_code")
        crypto.check_code_bytes(check_code)  # checks the length without revealing the value
        return QianhaiCredentials(
            check_code=check_code,
            password_sha1=crypto.password_digest(
                _secret(self.password, self.password_file, "password")
            ),
            private_key=crypto.load_private_key(key_file, self.private_key_password),
            vendor_public_key=crypto.load_public_key(cert_file),
        )


@dataclass(frozen=True, repr=False)
class QianhaiCredentials:
    """The loaded secrets. ``repr`` shows nothing, so a stray log line leaks nothing."""

    check_code: SecretStr
    password_sha1: str = field(repr=False)
    private_key: rsa.RSAPrivateKey = field(repr=False)
    vendor_public_key: rsa.RSAPublicKey = field(repr=False)

    def __repr__(self) -> str:
        return "QianhaiCredentials(<hidden>)"


def _secret(value: SecretStr | None, path: Path | None, name: str) -> SecretStr:
    if value is not None and value.get_secret_value():
        return value
    if path is not None:
        try:
            text = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise QianhaiConfigError(
                f"Cannot read the file named by NONGXIN_QIANHAI_{name.upper()}_FILE: "
                f"{exc.strerror}.",
                field=f"{name}_file",
            ) from exc
        if text:
            return SecretStr(text)
    raise QianhaiConfigError(
        f"Qianhai is not configured: set NONGXIN_QIANHAI_{name.upper()} or "
        f"NONGXIN_QIANHAI_{name.upper()}_FILE.",
        field=name,
    )


@dataclass(frozen=True)
class QianhaiIdentity:
    """Who we are to Qianhai: the non-secret header and user fields."""

    org_code: str
    chnl_id: str
    auth_code: str
    auth_date: str
    user_name: str

    @classmethod
    def from_settings(cls, settings: QianhaiSettings) -> QianhaiIdentity:
        """The identity configured in ``NONGXIN_QIANHAI_*``."""
        return cls(
            org_code=settings.org_code,
            chnl_id=settings.chnl_id,
            auth_code=settings.auth_code,
            auth_date=settings.auth_date,
            user_name=settings.user_name,
        )
