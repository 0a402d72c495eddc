"""The state store: normalized tickets and worklogs, bookmarks, snapshots, the push
audit, runs and locks, over SQLite or PostgreSQL (SQLAlchemy Core)."""

from evm_sync.state.records import PushRecord, RunRecord, Snapshot, StateError
from evm_sync.state.schema import SCHEMA_VERSION
from evm_sync.state.store import StateStore

__all__ = ["SCHEMA_VERSION", "PushRecord", "RunRecord", "Snapshot", "StateError", "StateStore"]
