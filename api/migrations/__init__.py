"""Alembic revisions of the service's database (see `api.migrate`)."""
