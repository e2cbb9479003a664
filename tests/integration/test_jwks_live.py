"""A dripping identity provider through real gunicorn: unknown kids get 401 at once, valid tokens 200."""
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.integration.servers import gunicorn
from tests.security.conftest import bearer, token
from tests.security.jwks_server import JwksServer, jwk

pytestmark = pytest.mark.integration


def test_a_dripping_jwks_endpoint_blocks_no_valid_token(tmp_path):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with JwksServer([jwk(key, "a")]) as idp, gunicorn(AUTH_MODE="jwt", JWT_JWKS_URL=idp.url,
                                                       WEB_CONCURRENCY="1", GUNICORN_THREADS="8") as (base, _):
        valid = bearer(token(key, "RS256", kid="a"))
        assert requests.get(f"{base}/api/providers", headers=valid, timeout=5).status_code == 200
        idp.drip = 2.0   # a byte every 2 s: one fetch would take minutes
        with ThreadPoolExecutor(20) as pool:
            unknown = [pool.submit(requests.get, f"{base}/api/providers", timeout=30,
                                   headers=bearer(token(key, "RS256", kid=uuid.uuid4().hex))) for _ in range(20)]
            time.sleep(0.3)   # the unknown kids are in flight, a fetch is dripping
            started = time.monotonic()
            answer = requests.get(f"{base}/api/providers", headers=valid, timeout=30)
            assert answer.status_code == 200 and time.monotonic() - started < 1.0
            assert requests.get(f"{base}/health", timeout=5).status_code == 200
            statuses = [future.result().status_code for future in unknown]
        assert statuses == [401] * 20
        assert idp.requests == 2   # start, then one fetch for all the unknown kids
