"""The master key that wraps every teacher's personal-data key (`adapters.personal`).

IOM_PD_MASTER_KEY gives it (base64 of 32 random bytes). Without it, the embedded run (a SQLite
store) makes one at first use and keeps it in the data folder (`pd-master-key`, readable by its
owner only), as it keeps the development token secret; `iom up` passes it to every part it
starts. A PostgreSQL store is a production deployment: there, a part that touches personal
data refuses to start without the setting, rather than keep the keys beside the ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from runtime.settings import Settings

MASTER_FILE = "pd-master-key"
MISSING = (
    "IOM_PD_MASTER_KEY не задан: на PostgreSQL ключи педагогов без мастер-ключа не хранятся."
    " Задайте IOM_PD_MASTER_KEY (base64 от 32 случайных байт: openssl rand -base64 32) и"
    " храните его отдельно от базы данных."
)


class MasterKeyError(RuntimeError):
    """No usable master key where one is required (the message in Russian, with what to do)."""


def embedded(settings: Settings) -> bool:
    """Whether the settings describe the embedded run (a SQLite store), not production."""
    return urlsplit(settings.database_url).scheme == "sqlite"


def kept_file(path: Path, make: Callable[[], str]) -> str:
    """The text kept at `path`: made by `make` and written owner-only the first time."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another part made it meanwhile
            pass
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(make())
    return path.read_text(encoding="ascii").strip()


def master_text(settings: Settings) -> str:
    """The master key as base64 text: the setting, the embedded run's kept file, or
    `MasterKeyError` in production."""
    if settings.pd_master_key is not None:
        return settings.pd_master_key.get_secret_value()
    if not embedded(settings):
        raise MasterKeyError(MISSING)
    return kept_file(
        settings.data_dir / MASTER_FILE, lambda: base64.b64encode(secrets.token_bytes(32)).decode()
    )


def master_key(settings: Settings) -> bytes:
    """The master key's 32 bytes (see `master_text`); `MasterKeyError` if it is not such."""
    try:
        key = base64.b64decode(master_text(settings), validate=True)
    except binascii.Error:
        key = b""
    if len(key) != 32:
        raise MasterKeyError("IOM_PD_MASTER_KEY: ожидается base64 от 32 байт")
    return key


SECRET_FILE = "portal-jwt-secret"  # noqa: S105 - the file's name, not a secret


def development_secret(settings: Settings, name: str = SECRET_FILE) -> str:
    """The secret that signs development tokens (`iom token`) when the portal's own is not
    configured (or another secret of the stack, in file `name`): made once, kept in the data
    folder, readable by its owner only."""
    return kept_file(settings.data_dir / name, lambda: secrets.token_urlsafe(48))
