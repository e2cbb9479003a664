"""Without the machine's PostgreSQL the tests start their own cluster: that path works too."""
import pytest
from sqlalchemy import inspect

from app.store.engine import make_engine
from app.store.migrate import upgrade
from tests.store.postgres import throwaway_cluster, throwaway_database


@pytest.mark.postgres
@pytest.mark.integration
def test_a_throwaway_cluster_serves_a_throwaway_database():
    with throwaway_cluster() as server, throwaway_database(server) as url:
        engine = make_engine(url)
        upgrade(engine)
        assert "price_versions" in inspect(engine).get_table_names()
        engine.dispose()
