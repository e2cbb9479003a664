"""Reported usage is believed only within what the model can read and write."""
import pytest

from app.providers.base import Usage
from app.routing.usage import BILLED, ESTIMATED, broken_off_usage, plausible, settled_usage


@pytest.fixture
def model(app):
    return app.extensions["catalog"].get("openai/gpt-6.1-sol")


ANY = 10**9   # a max_tokens that limits nothing


def test_usage_up_to_the_window_plus_the_output_is_plausible(model):
    ceiling = model.context_window + model.max_output_tokens
    assert plausible(model, Usage(ceiling - 10, 10), ANY)
    assert not plausible(model, Usage(ceiling - 10, 11), ANY)
    assert not plausible(model, Usage(5, 5, cached_tokens=ceiling + 1), ANY)
    assert not plausible(model, Usage(-1, 5), ANY)


def test_output_above_max_tokens_and_cached_above_input_are_implausible(model):
    assert plausible(model, Usage(50, 1000), 1000) and not plausible(model, Usage(50, 1001), 1000)
    assert not plausible(model, Usage(50, 60_000), 1000)
    assert plausible(model, Usage(50, 10, cached_tokens=50), ANY)
    assert not plausible(model, Usage(50, 10, cached_tokens=51), ANY)


def test_implausible_usage_is_replaced_by_estimates(model):
    assert settled_usage(model, Usage(3, 2), "a b", 7, len, ANY) == (Usage(3, 2), BILLED)
    assert settled_usage(model, None, "a b", 7, len, ANY) == (Usage(7, 3), ESTIMATED)
    assert settled_usage(model, Usage(10**30, 2), "a b", 7, len, ANY) == (Usage(7, 3), ESTIMATED)
    assert settled_usage(model, Usage(3, 60_000), "a b", 7, len, 1000) == (Usage(7, 3), ESTIMATED)


def test_implausible_usage_is_logged_with_what_the_vendor_reported(model, caplog):
    settled_usage(model, Usage(3, 60_000), "a b", 7, len, 1000)
    assert "implausible usage from openai/gpt-6.1-sol" in caplog.text and "60000 out for max_tokens 1000" in caplog.text


def test_an_estimate_never_counts_more_output_than_max_tokens(model):
    assert settled_usage(model, None, "a b c d e", 7, len, 4) == (Usage(7, 4), ESTIMATED)
    assert broken_off_usage(model, None, "a b c d e", 7, len, 4) == (Usage(7, 4), ESTIMATED)


def test_a_stream_broken_off_is_priced_on_what_was_streamed_and_said_estimated(model):
    # No usage report: our input estimate, the streamed text counted.
    assert broken_off_usage(model, None, "a b c", 7, len, ANY) == (Usage(7, 5), ESTIMATED)
    # A report sent early (Anthropic's message_start: the input, 1 output token): its input, our output count.
    assert broken_off_usage(model, Usage(40, 1, cached_tokens=8), "a b c", 7, len, ANY) == (
        Usage(40, 5, cached_tokens=8), ESTIMATED)
    # A later report that counts more than the text we saw is kept; an implausible one is not.
    assert broken_off_usage(model, Usage(40, 9), "a b c", 7, len, ANY) == (Usage(40, 9), ESTIMATED)
    assert broken_off_usage(model, Usage(10**30, 9), "a b c", 7, len, ANY) == (Usage(7, 5), ESTIMATED)
