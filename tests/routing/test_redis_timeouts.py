"""Every Redis client waits at most REDIS_TIMEOUT_S on a Redis that accepts connections but never answers."""
import socket
import threading
import time

import pytest

from app.providers.base import PromptRequest


@pytest.fixture
def silent_redis():
    """A TCP listener on loopback that accepts connections and never says a word."""
    listener = socket.create_server(("127.0.0.1", 0))
    held, stop = [], threading.Event()

    def accept():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0"
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_the_answer_cache_gives_up_on_a_silent_redis_within_the_redis_timeout(make_app, silent_redis):
    app = make_app(CACHE_REDIS_URL=silent_redis, REDIS_TIMEOUT_S=0.3)
    cache = app.extensions["routing"]._cache   # the AnswerCache over its Redis backend
    started = time.monotonic()
    assert cache.get("openai", PromptRequest("hello", None, 10, None, model="gpt-4o"), "someone") is None
    assert time.monotonic() - started < 1.0


def test_the_rate_limiter_gives_up_on_a_silent_redis_within_the_redis_timeout(make_app, silent_redis):
    client = make_app(RATELIMIT_STORAGE_URI=silent_redis, REDIS_TIMEOUT_S=0.2).test_client()
    started = time.monotonic()
    assert client.get("/api/models").status_code == 200
    assert time.monotonic() - started < 2.0
