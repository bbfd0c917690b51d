"""State kept by features: SQLite (embedded default) or Redis (several servers)."""

from autocom.store.base import StateStore, StoreClosed, StoreError, StoreUnavailable

__all__ = ["StateStore", "StoreClosed", "StoreError", "StoreUnavailable"]
