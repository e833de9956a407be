"""Only a helper module: no DB_*.py or BLL_*.py file."""
