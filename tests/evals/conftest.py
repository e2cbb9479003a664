"""Evals fixtures: the spend fixtures (an app on a migrated database, the fake vendor server)."""
from tests.spend.conftest import fake, migrated_postgres, secrets_file, spend_app  # noqa: F401  (fixtures)
from tests.store.conftest import postgres_url  # noqa: F401  (a fixture migrated_postgres needs)
