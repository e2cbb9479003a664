"""The dispatcher: bounded pool, per-vendor limit, deadline, streaming order, cancellation."""
import threading
import time

import pytest

from app.providers.base import Completion, Usage
from app.providers.errors import ProviderHTTPError
from app.routing.dispatch import Dispatcher, PoolSaturated

DONE = Completion("ok", "stop", Usage(1, 1))


def sleeper(seconds, release=None):
    def call(deadline, cancel):
        (release or threading.Event()).wait(seconds)
        return DONE
    return call


def test_results_in_order_with_latency_and_errors():
    def failing(deadline, cancel):
        raise ProviderHTTPError("boom", vendor="b", status=500)

    outcomes = Dispatcher(4, 4).start([("a", sleeper(0.05)), ("b", failing)], time.monotonic() + 2).results()
    assert outcomes[0].completion is DONE and outcomes[0].latency_ms >= 50
    assert outcomes[1].error.status == 500 and outcomes[1].completion is None


def test_unfinished_calls_time_out_at_the_deadline():
    release = threading.Event()
    started = time.monotonic()
    outcomes = Dispatcher(4, 4).start([("a", sleeper(5, release)), ("b", sleeper(0))],
                                      time.monotonic() + 0.3).results()
    release.set()
    assert 0.3 <= time.monotonic() - started < 0.6
    assert outcomes[0].error.kind == "timeout" and outcomes[1].completion is DONE


def test_a_saturated_pool_refuses_at_once_and_frees_up_afterwards():
    dispatcher, release = Dispatcher(2, 2), threading.Event()
    busy = dispatcher.start([("a", sleeper(5, release)), ("b", sleeper(5, release))], time.monotonic() + 5)
    started = time.monotonic()
    with pytest.raises(PoolSaturated):
        dispatcher.start([("c", sleeper(0))], time.monotonic() + 5)
    assert time.monotonic() - started < 0.1 and dispatcher.busy() == 2
    release.set()
    busy.results()
    time.sleep(0.05)
    assert dispatcher.busy() == 0
    assert dispatcher.start([("c", sleeper(0))], time.monotonic() + 5).results()[0].completion is DONE


def test_one_vendor_cannot_take_every_thread():
    dispatcher, release = Dispatcher(8, 2), threading.Event()
    outcomes_batch = dispatcher.start([("slow", sleeper(5, release))] * 3 + [("fast", sleeper(0))],
                                      time.monotonic() + 0.5)
    release.set()
    outcomes = outcomes_batch.results()
    assert [o.completion is DONE for o in outcomes] == [True, True, False, True]
    assert outcomes[2].error.kind == "vendor_busy" and outcomes[2].error.retryable


def test_as_completed_yields_the_fastest_first_with_heartbeats():
    batch = Dispatcher(4, 4).start([("slow", sleeper(0.35)), ("fast", sleeper(0.05))], time.monotonic() + 2)
    started, events = time.monotonic(), []
    for event in batch.as_completed(heartbeat=0.1):
        events.append((round(time.monotonic() - started, 2), event if event is None else event[0]))
    finished = [index for _, index in events if index is not None]
    assert finished == [1, 0]
    assert events[0][0] < 0.2 and None in [index for _, index in events]


def test_cancel_reaches_running_calls():
    started, saw_cancel = threading.Event(), threading.Event()

    def call(deadline, cancel):
        started.set()
        if cancel.wait(2):   # send() stops retrying once this is set
            saw_cancel.set()
        return DONE

    batch = Dispatcher(2, 2).start([("a", call)], time.monotonic() + 5)
    assert started.wait(1)
    batch.cancel()
    assert saw_cancel.wait(1)
