"""Helpers for tests (imported by tests only; nothing here runs in the application)."""

from tiendo.core.testing.query_counts import UPDATE_ENV_VAR, QueryCountBaseline, QueryCountError

__all__ = ["UPDATE_ENV_VAR", "QueryCountBaseline", "QueryCountError"]
