"""Alembic migration scripts of the store (run by ``workflows.store.schema``; new ones by ``__main__``)."""
