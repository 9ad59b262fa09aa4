"""A cache of compiled rule sets, so that a command starts in a fraction of a second.

Loading the rule files means parsing and checking every file and standardising every
listed structure: about 2 s, in every process (each worker of a screen, each `check`).
The compiled rule set is kept in the user's cache folder and read back in about 40 ms.

The key is a hash of everything the compiled set depends on: the Python and RDKit
versions, classwide's own code and vocabulary, and every rule file's name and bytes
(packaged and extra). Any change makes a new key; nothing is ever invalidated by hand.
The rule set's prefilter (``Prefilter.for_rules``) is kept beside it, under a key made
from the rule set's.

The folder is ``$CLASSWIDE_CACHE_DIR``, else ``$XDG_CACHE_HOME/classwide``, else
``~/.cache/classwide``; ``CLASSWIDE_CACHE_DIR=off`` turns the cache off. Files are
written whole (a temporary file renamed into place), the folder is private to the user
(mode 0700) and only the newest files are kept. A cache file is a pickle, which runs
code when read: a folder or file that is not the user's own, or that others may write,
is neither read nor written.
A file that cannot be read or does not hold its key is ignored and written again; a
folder that cannot be written only means no cache.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from importlib import resources
from pathlib import Path
from typing import Any

import rdkit

OFF = "off"
KEEP = 8  # cache files kept: the packaged set, and a few sets with extra rule files
_PROTOCOL = 5


def folder() -> Path | None:
    """The cache folder, or None when the cache is off."""
    chosen = os.environ.get("CLASSWIDE_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in (OFF, "") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "classwide"


def _code_digest() -> bytes:
    """A hash of classwide's modules and vocabulary files, which compile the rule files."""
    digest = hashlib.sha256()
    package = resources.files("classwide")
    for part in ("", "vocabulary"):
        node = package / part if part else package
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name.endswith((".py", ".yaml")) and child.is_file():
                digest.update(child.name.encode() + b"\0" + child.read_bytes() + b"\0")
    return digest.digest()


def key(files: list[tuple[str, bytes]]) -> str:
    """The cache key of a rule set compiled from ``files`` (name, content) in this order."""
    digest = hashlib.sha256()
    digest.update(f"{sys.version}\0{rdkit.__version__}\0".encode())
    digest.update(_code_digest())
    for name, content in files:
        digest.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return digest.hexdigest()


def _private(path: Path) -> bool:
    """The path is the user's own and nobody else may write it (as ssh asks of its keys).

    A pickle runs code when read: a cache folder or file that another user could have
    written is not read. Where the system has no owners (Windows), the folder's place in
    the user's profile is what keeps it private.
    """
    if not hasattr(os, "getuid"):
        return True
    status = path.stat()
    return status.st_uid == os.getuid() and not status.st_mode & 0o022


def load(cache_key: str, kind: str = "rules") -> Any | None:
    """The object of ``kind`` stored under ``cache_key``, or None."""
    where = folder()
    if where is None:
        return None
    path = where / f"{kind}-{cache_key[:32]}.pickle"
    try:
        if not (_private(where) and _private(path)):
            return None
        with open(path, "rb") as handle:
            stored_key, value = pickle.load(handle)  # noqa: S301 - private, see _private
    except Exception:  # noqa: BLE001 - absent, unreadable or damaged: compile again
        return None
    return value if stored_key == cache_key else None


def store(cache_key: str, value: Any, kind: str = "rules") -> None:
    """Keep ``value`` of ``kind`` under ``cache_key``; any failure only means no cache."""
    where = folder()
    if where is None:
        return
    try:
        where.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _private(where):
            return  # a folder others may write is not used
        handle, temporary = tempfile.mkstemp(dir=where, prefix=f".{kind}-", suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as out:
                pickle.dump((cache_key, value), out, protocol=_PROTOCOL)
            os.replace(temporary, where / f"{kind}-{cache_key[:32]}.pickle")
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        _prune(where, kind)
    except Exception:  # noqa: BLE001, S110 - a read-only or full disk: run without a cache
        pass


def _prune(where: Path, kind: str) -> None:
    """Keep the ``KEEP`` newest cache files of a kind."""
    files = sorted(where.glob(f"{kind}-*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
