"""Data subjects (信息主体) and their keys: how an ID number is found without being stored.

The compliance tables never hold an ID number in clear. They hold

* ``subject_key`` — HMAC-SHA256 of the normalised ID number under a secret key
  (``NONGXIN_BUREAU_SUBJECT_HASH_KEY``), so equal numbers meet and lookups work, while a
  stolen table cannot be reversed by enumerating the (small) space of ID numbers;
* ``subject_masked`` — the masked number (``110105********002X``) for people reading rows.

Without ``NONGXIN_BUREAU_SUBJECT_HASH_KEY`` a SQLite database gets a random key of its own,
made on first use and kept beside it (:meth:`SubjectKeyer.for_engine`), so the embedded
default needs no set-up and its tables cannot be reversed with a key published in this
repository either.

>>> keyer = SubjectKeyer(b"test-key")
>>> keyer.key("11010519491231002x") == keyer.key(" 11010519491231002X ")
True
>>> Subject("张三丰", "10", "11010519491231002X")
Subject(name='张**', id_type='10', id_number='110105********002X')
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from bureau_adapters.exceptions import BureauError
from bureau_adapters.identity import validate_resident_id
from bureau_adapters.pii import mask_id, mask_name
from bureau_adapters.settings import BureauSettings

__all__ = ["KEY_FILE_SUFFIX", "RESIDENT_ID", "Subject", "SubjectKeyer", "normalise_id_number"]

#: The random subject key of a SQLite database ``X`` lives in ``X`` + this suffix (mode 0600).
KEY_FILE_SUFFIX = "-subject-key"
#: The key of in-memory SQLite databases: they live and die with this process.
_PROCESS_KEY = secrets.token_bytes(32)

RESIDENT_ID = "10"
"""PBOC certificate type code of the resident ID card (居民身份证)."""


def normalise_id_number(id_number: str) -> str:
    """Strip blanks and upper-case the check character."""
    return id_number.strip().upper()


@dataclass(frozen=True, repr=False)
class Subject:
    """The person a bureau query is about. ``repr`` masks the name and number.

    Parameters
    ----------
    name : str
        Full name as on the ID document.
    id_type : str
        PBOC certificate type code (``"10"`` resident ID card).
    id_number : str
        Certificate number; resident IDs are checked (length, birth date, check digit).
    """

    name: str
    id_type: str
    id_number: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "id_number", normalise_id_number(self.id_number))
        object.__setattr__(self, "name", self.name.strip())
        if not self.name:
            raise BureauError(
                "The subject 'name' must not be empty.", code="SUBJECT_INVALID", field="name"
            )
        if not self.id_type.strip():
            raise BureauError(
                "The subject 'id_type' must not be empty.", code="SUBJECT_INVALID", field="id_type"
            )
        if self.id_type == RESIDENT_ID:
            why = validate_resident_id(self.id_number)
            if why is not None:
                raise BureauError(
                    f"The subject 'id_number' ({mask_id(self.id_number)}) is not a valid "
                    f"resident ID: {why}.",
                    code="SUBJECT_INVALID",
                    field="id_number",
                )

    @property
    def masked_id(self) -> str:
        """The masked ID number, safe for logs and audit rows."""
        return mask_id(self.id_number)

    @property
    def masked_name(self) -> str:
        """The masked name, safe for logs and audit rows."""
        return mask_name(self.name)

    def __repr__(self) -> str:
        return f"Subject(name={self.masked_name!r}, id_type={self.id_type!r}, id_number={self.masked_id!r})"


@dataclass(frozen=True, repr=False)
class SubjectKeyer:
    """Turns an ID number into the stable, non-reversible ``subject_key``."""

    secret: bytes

    @classmethod
    def from_settings(cls, settings: BureauSettings | None = None) -> SubjectKeyer:
        """The keyer configured by ``NONGXIN_BUREAU_SUBJECT_HASH_KEY`` (the public
        development key when unset; :meth:`for_engine` knows better on SQLite)."""
        return cls((settings or BureauSettings.from_env()).subject_key_bytes())

    @classmethod
    def for_engine(cls, engine: Engine, settings: BureauSettings | None = None) -> SubjectKeyer:
        """The keyer of the database behind ``engine``.

        ``NONGXIN_BUREAU_SUBJECT_HASH_KEY`` when set. Otherwise, on a SQLite file, the
        database's own random key, kept in the file next to it (``nongxin.db`` →
        ``nongxin.db-subject-key``, mode 0600; made by the first process that needs it, read
        by every other): copy it with the database, losing it orphans every stored row. On
        in-memory SQLite a random key for this process. On any other database the public
        development key, with a warning (the service and the CLI refuse such a database
        without a key before they get here: ``SUBJECT_KEY_REQUIRED``).
        """
        settings = settings or BureauSettings.from_env()
        url = engine.url
        if settings.subject_hash_key is not None or url.get_backend_name() != "sqlite":
            return cls.from_settings(settings)
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file:"):
            return cls(_PROCESS_KEY)
        return cls(_database_key(Path(database + KEY_FILE_SUFFIX)))

    def key(self, id_number: str) -> str:
        """Hex HMAC-SHA256 of the normalised ID number."""
        data = normalise_id_number(id_number).encode()
        return hmac.new(self.secret, data, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:
        return "SubjectKeyer(secret=***)"


def _database_key(path: Path) -> bytes:
    """The key stored at ``path``, made (32 random bytes, hex, mode 0600) if there is none.

    Made in a private temporary file and linked into place, so two processes starting at
    once agree on one key: the second link fails and that process reads the first's key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".subject-key-")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as out:  # mkstemp files are 0600
                out.write(secrets.token_hex(32) + "\n")
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    text = path.read_text(encoding="ascii").strip()
    if len(text) != 64:
        raise BureauError(
            f"The subject key file {path.name} is not 64 hex characters; restore it from the "
            "database's backup (without it the stored consents and reports cannot be found).",
            code="SUBJECT_KEY_FILE",
            field="subject_hash_key",
        )
    return text.encode("ascii")
