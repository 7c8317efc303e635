from .support import migrated_database, review

__all__ = ["migrated_database", "review"]
