"""Functions run in child processes (spawned, so importable by name)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from evm_sync.state import StateStore


def contend(
    url: str, owner: str, names: list[str], start: Any, now: datetime, lease: float
) -> list[str]:
    """Open a store, wait for every contender, then try each lock; the names won."""
    store = StateStore.open(url)
    try:
        start.wait(timeout=60)
        return [name for name in names if store.try_lock(name, owner, lease, now=now)]
    finally:
        store.close()


def open_version(url: str, start: Any) -> int:
    """Wait for every opener, then open the store (creating or migrating it)."""
    start.wait(timeout=60)
    store = StateStore.open(url)
    try:
        return store.schema_version
    finally:
        store.close()
