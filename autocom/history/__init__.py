"""The history of applied configs: `autocom history`, `autocom rollback` (docs/history.md)."""
