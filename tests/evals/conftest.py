"""Evals fixtures: the spend fixtures (an app on a migrated database, the fake vendor server)."""
from tests.spend.conftest import fake, migrated_postgres, secrets_file, spend_app  # noqa: F401  (fixtures)
from tests.store.conftest import database_url, engine, postgres_url  # noqa: F401  (fixtures)
