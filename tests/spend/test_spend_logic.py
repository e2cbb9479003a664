"""The pure parts of spend: exact money, worst cases, limits, the budgets file, ledger rows."""
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from app.catalog import load_models
from app.config import ConfigError, build_config
from app.pricing.cost import exact_cost, price_request
from app.spend.budgets import Limits, Periods, Standing, fits, read_budgets, remaining
from app.spend.money import to_money, usd
from app.spend.rows import ledger_row, outcome
from app.spend.worst_case import FRAMING_TOKENS, held_input_tokens, margin, worst_case
from app.tokens.counter import TokenCount
from app.vendors import VENDORS
from tests.conftest import REPO

MODELS = {model.id: model for model in load_models(REPO / "models.csv", VENDORS.keys())}
TIERED = next(model for model in MODELS.values() if model.long_context_threshold)
SOL = MODELS["openai/gpt-6.1-sol"]
AT = datetime(2026, 12, 31, 23, 59, tzinfo=UTC)


def test_exact_cost_is_the_float_cost_without_rounding():
    for model in (SOL, TIERED):
        for counts in ((1000, 200, 0), (TIERED.long_context_threshold + 1, 10, 5), (7, 0, 7)):
            assert float(exact_cost(model, *counts)) == price_request(model, *counts).total_cost


def test_money_keeps_twelve_places_exactly_and_holds_round_up():
    assert to_money(Fraction(375, 10 ** 10)) == Decimal("0.0000000375")
    assert to_money(Fraction(1, 3)) == Decimal("0.333333333333")
    assert to_money(Fraction(1, 3), up=True) == Decimal("0.333333333334")
    assert usd(Decimal("1.500000000000")) == "1.5" and usd(Decimal("0E-12")) == "0"


def test_an_exact_count_is_held_as_counted_plus_framing():
    count = TokenCount(100, "o200k_base", True)
    assert margin(count, "o200k_base") == 1.0 and held_input_tokens(count, "o200k_base") == 100 + FRAMING_TOKENS
    assert worst_case(SOL, count, 50) == to_money(exact_cost(SOL, 100 + FRAMING_TOKENS, 50), up=True)


@pytest.mark.parametrize("count,family,factor", [
    (TokenCount(100, "claude", False), "claude", 1.5),
    (TokenCount(100, "llama", False), "llama", 1.5),
    (TokenCount(100, "heuristic", False), "llama", 2.0),
    (TokenCount(100, "heuristic", False), "claude", 3.0),
])
def test_an_estimated_count_is_held_with_its_familys_margin(count, family, factor):
    assert margin(count, family) == factor
    assert held_input_tokens(count, family) == 100 * factor + FRAMING_TOKENS


def test_the_hold_uses_the_long_context_tier_when_the_input_passes_it():
    just_below = TokenCount(TIERED.long_context_threshold - FRAMING_TOKENS, "o200k_base", True)
    above = replace(just_below, count=just_below.count + 1)
    base = TIERED.input_price_per_mtok, TIERED.output_price_per_mtok
    assert base != (TIERED.long_input_price_per_mtok, TIERED.long_output_price_per_mtok)
    expected = (Fraction(repr(TIERED.long_input_price_per_mtok)) * (above.count + FRAMING_TOKENS)
                + Fraction(repr(TIERED.long_output_price_per_mtok)) * 10) / 10 ** 6
    assert worst_case(TIERED, above, 10) == to_money(expected, up=True)
    assert worst_case(TIERED, just_below, 10) < worst_case(TIERED, above, 10)


def test_limits_hold_until_the_tighter_one_is_full():
    limits = Limits(day=Decimal("1"), month=Decimal("10"))
    assert fits(limits, Standing(Decimal("0.6"), Decimal("5")), Decimal("0.4"))
    assert not fits(limits, Standing(Decimal("0.6"), Decimal("5")), Decimal("0.400000000001"))
    assert not fits(limits, Standing(Decimal("0"), Decimal("9.9")), Decimal("0.2"))
    assert remaining(limits, Standing(Decimal("0.25"), Decimal("9.9"))) == (Decimal("0.1"), "month")
    assert remaining(limits, Standing(Decimal("2"), Decimal("3"))) == (Decimal("0"), "day")
    assert remaining(Limits(), Standing(Decimal(0), Decimal(0))) is None and fits(Limits(), Standing(0, 0), Decimal(9))


def test_periods_are_the_utc_day_and_month():
    assert Periods.at(AT) == Periods(date(2026, 12, 31), date(2026, 12, 1))


def test_budgets_file_overrides_the_defaults_by_principal(tmp_path):
    path = tmp_path / "budgets.yaml"
    path.write_text("alice: {daily_usd: 2.5}\nbatch: {daily_usd: null, monthly_usd: 100}\n")
    book = read_budgets(build_config({"BUDGET_DAILY_USD": "1", "BUDGET_MONTHLY_USD": "20", "BUDGETS_FILE": str(path)},
                                     environ={}))
    assert book.limits("alice") == Limits(Decimal("2.5"), Decimal("20"))
    assert book.limits("batch") == Limits(None, Decimal("100"))
    assert book.limits("bob") == Limits(Decimal("1"), Decimal("20"))
    assert not read_budgets(build_config(environ={})).limits("anyone").on


@pytest.mark.parametrize("text,problem", [
    ("- alice\n", "mapping of principal names"), ("alice: {daily: 1}\n", "daily_usd and/or monthly_usd"),
    ("alice: {daily_usd: -1}\n", "0 or more"), ("alice: {daily_usd: true}\n", "USD amount"),
    ("alice: {daily_usd: lots}\n", "USD amount"), ("alice: [\n", "cannot read"),
])
def test_a_bad_budgets_file_stops_start_up_naming_the_entry(make_app, tmp_path, text, problem):
    path = tmp_path / "budgets.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=problem):
        make_app(BUDGETS_FILE=str(path))


@pytest.mark.parametrize("raw", ["-1", "abc", "nan", "inf"])
def test_a_bad_budget_variable_is_a_config_error(raw):
    with pytest.raises(ConfigError, match="BUDGET_DAILY_USD"):
        build_config(environ={"BUDGET_DAILY_USD": raw})


def item(**fields):
    base = {"id": SOL.id, "success": True, "response": "secret answer text", "error": None, "latency_ms": 12.6,
            "input_tokens": 1000, "output_tokens": 200, "cached_tokens": 400, "reasoning_tokens": 50,
            "estimated_input_tokens": 990, "cached": False, "cost_basis": "billed"}
    return {**base, **fields}


def test_a_row_has_the_billed_usage_and_the_exact_cost_and_no_text():
    row = ledger_row(SOL, item(), at=AT, request_id="r1", principal="alice")
    assert row["cost"] == to_money(exact_cost(SOL, 1000, 200, 400))
    assert (row["input_tokens"], row["output_tokens"], row["cached_tokens"], row["reasoning_tokens"]) == (1000, 200, 400, 50)
    assert (row["outcome"], row["error_type"], row["cost_basis"], row["latency_ms"]) == ("ok", None, "billed", 13)
    assert (row["principal"], row["request_id"], row["model_id"], row["provider"]) == ("alice", "r1", SOL.id, "openai")
    assert row["price_version_id"] is None and row["created_at"] == AT
    assert "secret answer text" not in repr(row)


def error(kind):
    return {"type": kind, "message": "m", "status": None, "retryable": False, "retry_after": None}


@pytest.mark.parametrize("fields,kind,tokens", [
    ({"cached": True, "cost_basis": "billed"}, "cache_hit", 0),
    ({"success": False, "error": error("timeout"), "cost_basis": None}, "timeout", None),
    ({"success": False, "error": error("cancelled"), "cost_basis": None}, "cancelled", None),
    ({"success": False, "error": error("budget_exceeded"), "cost_basis": None}, "refused", None),
    ({"success": False, "error": error("http_error"), "cost_basis": None}, "failed", None),
])
def test_other_outcomes_cost_nothing(fields, kind, tokens):
    row = ledger_row(SOL, item(**fields), at=AT, request_id=None, principal="p")
    assert outcome(item(**fields)) == kind and row["outcome"] == kind
    assert row["cost"] == 0 and row["cost_basis"] is None and row["input_tokens"] == tokens
    assert row["error_type"] == (fields["error"]["type"] if "error" in fields else None)
