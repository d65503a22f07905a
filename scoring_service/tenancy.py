"""Banks and their API keys (hashed at rest).

A key is ``nx_<key id>_<secret>``: 8 hex digits naming the key, then 32 random bytes. Only its
SHA-256 is stored (the secret has 256 bits of entropy, so a plain digest cannot be brute
forced; no salt or slow hash is needed) and it is shown once, when created. A key belongs to
exactly one bank: :meth:`Tenancy.authenticate` returns that bank, and everything the API reads
is scoped by it. Verified keys are remembered in the process for ``cache_seconds`` (default
30 s), by the key's digest: a revoked key stops working at once in the process that revoked
it and within ``cache_seconds`` in every other server process.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bureau_adapters.compliance.db import UTCDateTime, create_schema, utcnow
from scoring_service.exceptions import TenantError

__all__ = ["ApiKey", "Bank", "Tenancy"]

metadata = sa.MetaData()
bank_table = sa.Table(
    "service_bank",
    metadata,
    sa.Column("bank_code", sa.String(8), primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)
key_table = sa.Table(
    "service_api_key",
    metadata,
    sa.Column("key_id", sa.String(8), primary_key=True),
    sa.Column("bank_code", sa.String(8), sa.ForeignKey("service_bank.bank_code"), nullable=False),
    sa.Column("key_sha256", sa.String(64), nullable=False),
    sa.Column("label", sa.String(64), nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("revoked_at", UTCDateTime, nullable=True),
)
_BANK_RE = re.compile(r"^[0-9]{3}$")
_KEY_RE = re.compile(r"^nx_([0-9a-f]{8})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class Bank:
    """A bank allowed to call the service."""

    bank_code: str
    name: str
    created_at: dt.datetime
    keys: int = 0


@dataclass(frozen=True)
class ApiKey:
    """A new key: ``secret`` is the full key, shown once and never stored."""

    key_id: str
    bank_code: str
    label: str
    secret: str


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


class Tenancy:
    """Banks and hashed API keys in the service database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        Database (tables created if missing).
    cache_seconds : float
        How long a verified key is trusted without reading the database again.
    """

    def __init__(self, engine: Engine, *, cache_seconds: float = 30.0) -> None:
        self.engine = engine
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        create_schema(engine, metadata)  # safe when several workers start at once

    def add_bank(self, bank_code: str, name: str, *, config_dir: Path | None = None) -> Bank:
        """Register a bank; with ``config_dir`` its policy must load (inside the red lines)."""
        if not _BANK_RE.match(bank_code):
            raise TenantError(
                f"The 'bank_code' must be 3 digits (e.g. '301'). Got {bank_code!r}.",
                code="BANK_INVALID",
                field="bank_code",
            )
        if not name.strip():
            raise TenantError(
                "The bank 'name' must not be empty.", code="BANK_INVALID", field="name"
            )
        if config_dir is not None:
            from credit_limit import load_policy

            load_policy(bank_code, config_dir)
        bank = Bank(bank_code, name.strip(), utcnow())
        try:
            with self.engine.begin() as conn:
                conn.execute(
                    bank_table.insert().values(
                        bank_code=bank.bank_code, name=bank.name, created_at=bank.created_at
                    )
                )
        except sa.exc.IntegrityError as exc:
            raise TenantError(
                f"Bank {bank_code} is already registered.", code="BANK_EXISTS", field="bank_code"
            ) from exc
        return bank

    def banks(self) -> list[Bank]:
        """Registered banks with their count of active keys, by code."""
        active = (
            sa.select(key_table.c.bank_code, sa.func.count().label("n"))
            .where(key_table.c.revoked_at.is_(None))
            .group_by(key_table.c.bank_code)
            .subquery()
        )
        query = (
            sa.select(bank_table, sa.func.coalesce(active.c.n, 0))
            .outerjoin(active, active.c.bank_code == bank_table.c.bank_code)
            .order_by(bank_table.c.bank_code)
        )
        with self.engine.connect() as conn:
            return [Bank(r[0], r[1], r[2], int(r[3])) for r in conn.execute(query)]

    def has_bank(self, bank_code: str) -> bool:
        """Whether ``bank_code`` is registered."""
        query = sa.select(bank_table.c.bank_code).where(bank_table.c.bank_code == bank_code)
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def add_key(self, bank_code: str, label: str = "default") -> ApiKey:
        """A new API key for ``bank_code``; only its hash is stored."""
        if not self.has_bank(bank_code):
            raise TenantError(
                f"Bank {bank_code!r} is not registered; add it first (nongxin bank add).",
                code="BANK_NOT_FOUND",
                field="bank_code",
            )
        key_id = secrets.token_hex(4)
        secret = f"nx_{key_id}_{secrets.token_urlsafe(32)}"
        with self.engine.begin() as conn:
            conn.execute(
                key_table.insert().values(
                    key_id=key_id,
                    bank_code=bank_code,
                    key_sha256=_digest(secret),
                    label=label[:64],
                    created_at=utcnow(),
                )
            )
        return ApiKey(key_id, bank_code, label[:64], secret)

    def revoke_key(self, key_id: str) -> None:
        """Revoke a key (takes effect within ``cache_seconds``)."""
        with self.engine.begin() as conn:
            conn.execute(
                key_table.update().where(key_table.c.key_id == key_id).values(revoked_at=utcnow())
            )
        with self._lock:
            self._cache.clear()

    def cached_bank(self, key: str | None) -> str | None:
        """The bank of ``key`` if it was verified less than ``cache_seconds`` ago in this
        process, else ``None`` (no database read: call :meth:`authenticate`)."""
        if not key or _KEY_RE.match(key) is None:
            return None
        hit = self._cache.get(_digest(key))
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        return None

    def authenticate(self, key: str | None) -> str:
        """The bank of a valid key, else :class:`TenantError` ``API_KEY_INVALID``."""
        match = _KEY_RE.match(key or "")
        if match is None:
            raise TenantError(
                "A valid API key is required (header X-API-Key).",
                code="API_KEY_INVALID",
                field="X-API-Key",
            )
        digest = _digest(match.group(0))
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(digest)
        if hit is not None and hit[1] > now:
            return hit[0]
        query = sa.select(key_table.c.bank_code, key_table.c.key_sha256).where(
            key_table.c.key_id == match.group(1), key_table.c.revoked_at.is_(None)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or not hmac.compare_digest(row[1], digest):
            raise TenantError(
                "A valid API key is required (header X-API-Key).",
                code="API_KEY_INVALID",
                field="X-API-Key",
            )
        with self._lock:
            self._cache[digest] = (str(row[0]), now + self.cache_seconds)
        return str(row[0])
