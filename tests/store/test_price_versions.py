"""The price in force at a moment, effective ends, and the rules prices obey (pure)."""
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal as D

import pytest

from app.store.price_versions import (SINCE_EVER, Prices, Version, effective_ends, history_problems,
                                      price_in_force, price_problems, utc_moment)

JAN = datetime(2027, 1, 1, tzinfo=UTC)
OLD, NEW, LATER = Prices(D("0.75"), D("3.75")), Prices(D("1.5"), D("7.5")), Prices(D("1"), D("5"))


def version(start: datetime, prices: Prices) -> Version:
    return Version("google/gemini-3.8-flash", start, prices, "test", date(2026, 12, 1))


VERSIONS = [version(JAN, NEW), version(SINCE_EVER, OLD), version(JAN + timedelta(days=31), LATER)]  # unsorted


@pytest.mark.parametrize("moment,expected", [
    (datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), OLD),   # the last instant before
    (JAN, NEW),                                                        # the first instant of the change
    (date(2027, 1, 1), NEW),                                           # a date means 00:00 UTC
    (date(2026, 12, 31), OLD),
    (datetime(2027, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=1))), OLD),   # 23:30 UTC the day before
    (datetime(2026, 12, 31, 23, 30, tzinfo=timezone(timedelta(hours=-1))), NEW),  # 00:30 UTC on the day
    (SINCE_EVER, OLD),
    (datetime(2027, 2, 1, tzinfo=UTC), LATER),
    (datetime(2099, 1, 1, tzinfo=UTC), LATER),
])
def test_price_in_force_at_boundaries(moment, expected):
    found = price_in_force(VERSIONS, moment)
    assert found.prices == expected
    assert found.effective_from <= utc_moment(moment)


def test_nothing_in_force_before_the_first_version():
    assert price_in_force([version(JAN, NEW)], JAN - timedelta(microseconds=1)) is None
    assert price_in_force([], JAN) is None


def test_naive_moment_is_refused():
    with pytest.raises(ValueError, match="timezone"):
        price_in_force(VERSIONS, datetime(2027, 1, 1))


def test_effective_ends_chain_the_versions():
    ends = effective_ends(VERSIONS)
    assert ends == {SINCE_EVER: JAN, JAN: JAN + timedelta(days=31), JAN + timedelta(days=31): None}


@pytest.mark.parametrize("prices,problem", [
    (Prices(D("-1"), D("3")), "input price -1 is negative"),
    (Prices(D("1"), D("-0.5")), "output price -0.5 is negative"),
    (Prices(D("1"), D("3"), D("2")), "cached input price 2 is above the input price 1"),
    (Prices(D("1"), D("3"), long_input=D("2"), long_output=D("6")), "a long-context tier needs a threshold"),
    (Prices(D("1"), D("3"), long_context_threshold=200000), "needs both tier prices"),
    (Prices(D("1"), D("3"), long_context_threshold=0, long_input=D("2"), long_output=D("6")), "not positive"),
])
def test_nonsense_prices_are_named(prices, problem):
    assert any(problem in found for found in price_problems(prices)), price_problems(prices)


def test_sensible_prices_pass():
    assert price_problems(Prices(D("2"), D("10"), D("0.1"), 272000, D("4"), D("15"))) == []
    assert price_problems(Prices(D("0"), D("0"))) == []


def test_history_problems_name_model_and_start():
    problems = history_problems([version(JAN, NEW), version(JAN, Prices(D("-1"), D("1")))])
    assert "google/gemini-3.8-flash from 2027-01-01: a second version from the same moment" in problems
    assert any("input price -1 is negative" in problem for problem in problems)
