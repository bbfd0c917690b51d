"""State kept by features: SQLite (embedded default) or Redis (several servers)."""

from autocom.store.base import StateStore, StoreError, StoreUnavailable

__all__ = ["StateStore", "StoreError", "StoreUnavailable"]
