"""Reported usage is believed only within what the model can read and write."""
import pytest

from app.providers.base import Usage
from app.routing.usage import BILLED, ESTIMATED, plausible, settled_usage


@pytest.fixture
def model(app):
    return app.extensions["catalog"].get("openai/gpt-6.1-sol")


def test_usage_up_to_the_window_plus_the_output_is_plausible(model):
    ceiling = model.context_window + model.max_output_tokens
    assert plausible(model, Usage(ceiling - 10, 10))
    assert not plausible(model, Usage(ceiling - 10, 11))
    assert not plausible(model, Usage(5, 5, cached_tokens=ceiling + 1))
    assert not plausible(model, Usage(-1, 5))


def test_implausible_usage_is_replaced_by_estimates(model):
    assert settled_usage(model, Usage(3, 2), "a b", 7, len) == (Usage(3, 2), BILLED)
    assert settled_usage(model, None, "a b", 7, len) == (Usage(7, 3), ESTIMATED)
    assert settled_usage(model, Usage(10**30, 2), "a b", 7, len) == (Usage(7, 3), ESTIMATED)
