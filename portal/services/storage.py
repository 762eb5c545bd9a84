"""Where uploaded files live: one small interface, two backends.

- ``filesystem`` (the default): files under ``UPLOAD_FOLDER`` (default ``instance/uploads``), named by their key.
- ``database``: a row of ``stored_files`` in the portal's database (PostgreSQL ``bytea``), so that several
  application hosts share the files without another service.

Keys are made here (random, 32 hexadecimal characters) and never come from the user; a file's name is never a
path. The file is written before the row that refers to it is committed; a file whose row was rolled back is an
orphan (``orphans()`` lists them for a clean-up), never a dangling reference.
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from flask import current_app
from sqlalchemy import delete, select

from ..clock import utcnow
from ..extensions import db
from ..models import StoredFile

_KEY = re.compile(r"[0-9a-f]{32}")


class Storage(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def keys(self) -> Iterable[str]: ...

    def stored_at(self, key: str) -> datetime: ...


def new_key() -> str:
    return secrets.token_hex(16)


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key or ""):
        raise KeyError(key)
    return key


class FileSystemStorage:
    """Files under ``root``, two levels of folders by the key's first characters; written atomically."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        key = _checked(key)
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = new_key()
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, 0o600)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def keys(self) -> Iterable[str]:
        for path in self.root.glob("??/??/*"):
            if _KEY.fullmatch(path.name):
                yield path.name

    def stored_at(self, key: str) -> datetime:
        return datetime.fromtimestamp(self._path(key).stat().st_mtime, UTC)


class DatabaseStorage:
    """Files as rows of ``stored_files``, written in the caller's transaction (they commit or roll back with it)."""

    def put(self, data: bytes) -> str:
        key = new_key()
        db.session.add(StoredFile(key=key, data=data, size=len(data), created_at=utcnow()))
        db.session.flush()
        return key

    def get(self, key: str) -> bytes:
        data = db.session.scalar(select(StoredFile.data).where(StoredFile.key == _checked(key)))
        if data is None:
            raise KeyError(key)
        return bytes(data)

    def delete(self, key: str) -> None:
        db.session.execute(delete(StoredFile).where(StoredFile.key == _checked(key)))

    def keys(self) -> Iterable[str]:
        return db.session.scalars(select(StoredFile.key)).all()

    def stored_at(self, key: str) -> datetime:
        stored = db.session.scalar(select(StoredFile.created_at).where(StoredFile.key == _checked(key)))
        if stored is None:
            raise KeyError(key)
        return stored


def storage() -> Storage:
    """The configured backend (``UPLOAD_STORAGE``: ``filesystem`` or ``database``)."""
    kind = current_app.config["UPLOAD_STORAGE"]
    if kind == "database":
        return DatabaseStorage()
    if kind == "filesystem":
        folder = current_app.config.get("UPLOAD_FOLDER") or Path(current_app.instance_path) / "uploads"
        return FileSystemStorage(Path(folder))
    raise ValueError(f"UPLOAD_STORAGE={kind!r}: use filesystem or database")


def orphans(store: Storage, referenced: set[str], before: datetime | None = None) -> list[str]:
    """Keys the store holds that nothing refers to (files of rolled-back uploads), for a periodic clean-up; with
    ``before``, only those stored earlier (a file being uploaded right now is not yet referenced)."""
    keys = sorted(set(store.keys()) - referenced)
    if before is None:
        return keys
    return [key for key in keys if store.stored_at(key) < before]
