"""Model generation: Pydantic ``DatabaseMixin`` models → SQLAlchemy declarative classes."""
