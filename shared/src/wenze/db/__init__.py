"""Async SQLAlchemy 2 plumbing shared by the services.

Each service owns one PostgreSQL schema; connections put that schema first on the
``search_path``, so models and migrations stay schema-agnostic and the same code runs on
SQLite files in the embedded setup.
"""

from wenze.db.base import Base, utcnow
from wenze.db.engine import create_engine, normalise_url
from wenze.db.uow import UnitOfWork, UnitOfWorkFactory

__all__ = ["Base", "UnitOfWork", "UnitOfWorkFactory", "create_engine", "normalise_url", "utcnow"]
