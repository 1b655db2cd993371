"""Persistence: typed models, the database handle with its unit of work, and Alembic migrations."""
