"""The revisions stage: changes → Alembic operations → revision files, and running and proving them."""
