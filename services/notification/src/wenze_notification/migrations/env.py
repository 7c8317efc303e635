import wenze_notification.models  # noqa: F401 - registers the tables for autogenerate
from wenze.db import Base
from wenze.db.migrations import run_env

run_env(Base.metadata)
