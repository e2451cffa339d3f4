"""Alembic migration environment (see :mod:`ketenserver.migrate`)."""
