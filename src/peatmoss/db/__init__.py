"""The shared database: schema (models), engines, migrations, runs and error rows."""

from .engine import dispose_all, get_engine, resolve_url, session_scope
from .migrate import init_db

__all__ = ["get_engine", "resolve_url", "session_scope", "dispose_all", "init_db"]
