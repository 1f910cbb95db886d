"""The registry: the exchange's source of truth (SQL), its models, migrations and services."""
