"""The tables: providers, models, price versions, API keys, ledger, catalog state, budgets, idempotency, answer cache, evals."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, CheckConstraint, Date, Float, ForeignKey, Index, Integer, LargeBinary, MetaData,
                        String, UniqueConstraint, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.store.types import Money, UtcDateTime

# SQLite only auto-numbers an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    # Named constraints, so that later migrations can drop or alter them on every backend.
    metadata = MetaData(naming_convention={
        "ix": "ix_%(column_0_label)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s"})


class Provider(Base):
    __tablename__ = "providers"

    key: Mapped[str] = mapped_column(String(32), primary_key=True)   # a Vendor.key
    name: Mapped[str] = mapped_column(String(64))


class CatalogModel(Base):
    """A model's facts (models.csv without its prices); prices live in PriceVersion."""

    __tablename__ = "models"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    provider: Mapped[str] = mapped_column(String(32), ForeignKey("providers.key"), index=True)
    position: Mapped[int] = mapped_column(Integer)   # row order in models.csv
    listed: Mapped[bool] = mapped_column(default=True)   # false once models.csv drops it
    model_name: Mapped[str] = mapped_column(String(128))
    api_model: Mapped[str] = mapped_column(String(256))
    is_default: Mapped[bool] = mapped_column()
    context_window: Mapped[int] = mapped_column(Integer)
    max_output_tokens: Mapped[int] = mapped_column(Integer)
    mmlu_score: Mapped[float | None] = mapped_column(Float)
    mmlu_pro_score: Mapped[float | None] = mapped_column(Float)
    model_size: Mapped[str] = mapped_column(String(32))
    tokenizer: Mapped[str] = mapped_column(String(32))
    prices_checked: Mapped[date] = mapped_column(Date)   # models.csv shows the prices in force then
    source: Mapped[str] = mapped_column(String(512))
    released: Mapped[date | None] = mapped_column(Date)   # 0005: the model's release date, if known


class PriceVersion(Base):
    """A model's list prices (USD per million tokens) from effective_from until effective_to."""

    __tablename__ = "price_versions"
    __table_args__ = (
        UniqueConstraint("model_id", "effective_from", "price_window"),
        CheckConstraint("effective_to IS NULL OR effective_to > effective_from", name="dates"),
        CheckConstraint("input_price_per_mtok >= 0 AND output_price_per_mtok >= 0 "
                        "AND (cached_input_price_per_mtok IS NULL OR cached_input_price_per_mtok >= 0)",
                        name="non_negative"),
        CheckConstraint("(long_context_threshold IS NULL) = (long_input_price_per_mtok IS NULL) "
                        "AND (long_context_threshold IS NULL) = (long_output_price_per_mtok IS NULL)",
                        name="tier"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), ForeignKey("models.id"))
    effective_from: Mapped[datetime] = mapped_column(UtcDateTime)        # when the price takes effect
    effective_to: Mapped[datetime | None] = mapped_column(UtcDateTime)   # the next version's effective_from
    input_price_per_mtok: Mapped[Decimal] = mapped_column(Money)
    output_price_per_mtok: Mapped[Decimal] = mapped_column(Money)
    cached_input_price_per_mtok: Mapped[Decimal | None] = mapped_column(Money)
    long_context_threshold: Mapped[int | None] = mapped_column(Integer)
    long_input_price_per_mtok: Mapped[Decimal | None] = mapped_column(Money)
    long_output_price_per_mtok: Mapped[Decimal | None] = mapped_column(Money)
    source: Mapped[str] = mapped_column(String(512))
    checked_at: Mapped[date] = mapped_column(Date)
    # 0005: the price window ("" for a price that holds all week) and when it is open (None: the
    # rest of the week); app/store/price_windows.py reads and writes the schedule.
    price_window: Mapped[str] = mapped_column(String(16), default="", server_default="")
    window_schedule: Mapped[str | None] = mapped_column(String(512))


class ApiKey(Base):
    """A named API key; only its SHA-256 is stored. One live key per name."""

    __tablename__ = "api_keys"
    __table_args__ = (
        Index("uq_api_keys_live_name", "name", unique=True,
              sqlite_where=text("revoked_at IS NULL"), postgresql_where=text("revoked_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LedgerEntry(Base):
    """One send_prompt outcome per model: who, what, tokens and exact cost; never text."""

    __tablename__ = "ledger"
    __table_args__ = (Index("ix_ledger_principal_created_at", "principal", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    request_id: Mapped[str] = mapped_column(String(64))
    principal: Mapped[str] = mapped_column(String(128))
    model_id: Mapped[str] = mapped_column(String(128))
    provider: Mapped[str] = mapped_column(String(32))
    price_version_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("price_versions.id"))
    estimated_input_tokens: Mapped[int | None] = mapped_column(Integer)
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    cached_tokens: Mapped[int | None] = mapped_column(Integer)
    reasoning_tokens: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[Decimal | None] = mapped_column(Money)
    cost_basis: Mapped[str | None] = mapped_column(String(32))
    latency_ms: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(16))
    error_type: Mapped[str | None] = mapped_column(String(64))
    # 0003: what the estimates were made from, so that bills can check them (app/forecast).
    base_input_tokens: Mapped[int | None] = mapped_column(Integer)        # the prompt's exact o200k count
    predicted_output_tokens: Mapped[int | None] = mapped_column(Integer)  # the median in force at the call
    predicted_output_low: Mapped[int | None] = mapped_column(Integer)     # its p25
    predicted_output_high: Mapped[int | None] = mapped_column(Integer)    # its p75


class CatalogState(Base):
    """The single row whose version goes up with every catalog change."""

    __tablename__ = "catalog_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class UpstreamModel(Base):
    """A model genai-prices lists for one of our providers, so sync can say which are new."""

    __tablename__ = "upstream_models"

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)   # genai-prices' id
    model_id: Mapped[str] = mapped_column(String(256), primary_key=True)
    first_seen: Mapped[date] = mapped_column(Date)


class BudgetPeriod(Base):
    """What a principal has spent in one UTC day or month: the row budgets lock and add to."""

    __tablename__ = "budget_periods"

    principal: Mapped[str] = mapped_column(String(128), primary_key=True)
    period: Mapped[str] = mapped_column(String(8), primary_key=True)   # "day" or "month"
    start: Mapped[date] = mapped_column(Date, primary_key=True)       # the day, or the month's first day
    spent: Mapped[Decimal] = mapped_column(Money)                      # settled costs (the ledger's sum)


class BudgetReservation(Base):
    """One call's worst-case cost, held against its principal's budgets until settled or expired."""

    __tablename__ = "budget_reservations"
    __table_args__ = (Index("ix_budget_reservations_principal_day", "principal", "day"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    principal: Mapped[str] = mapped_column(String(128))
    request_id: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(128))
    amount: Mapped[Decimal] = mapped_column(Money)
    day: Mapped[date] = mapped_column(Date)
    month: Mapped[date] = mapped_column(Date)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)   # a killed worker's hold ends here


class IdempotencyKey(Base):
    """A send_prompt Idempotency-Key: running (response NULL) until its response is stored."""

    __tablename__ = "idempotency_keys"

    principal: Mapped[str] = mapped_column(String(128), primary_key=True)
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    body_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)   # a running claim left by a killed worker ends here
    response: Mapped[bytes | None] = mapped_column(LargeBinary)  # the JSON envelope, once answered


class CachedAnswer(Base):
    """The answer cache's entries (a hashed key, the item as JSON), bounded in bytes."""

    __tablename__ = "answer_cache"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)
    size: Mapped[int] = mapped_column(Integer)
    stored_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AnswerCacheState(Base):
    """The single row holding the answer cache's total size, kept in step with its entries."""

    __tablename__ = "answer_cache_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    total_bytes: Mapped[int] = mapped_column(BigInteger)


class EvalRun(Base):
    """One POST /api/evals: whose, which name, when, how many prompts; never the prompts' text."""

    __tablename__ = "eval_runs"
    __table_args__ = (Index("ix_eval_runs_principal_name", "principal", "name"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    principal: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    request_id: Mapped[str] = mapped_column(String(64))
    prompts: Mapped[int] = mapped_column(Integer)
    set_hash: Mapped[str] = mapped_column(String(64))     # SHA-256 of the prompts and graders
    complete: Mapped[bool] = mapped_column()              # false: some prompts did not run in time


class EvalResult(Base):
    """One model's score in one run: passed of graded answers, cost and median latency."""

    __tablename__ = "eval_results"

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    passed: Mapped[int] = mapped_column(Integer)
    graded: Mapped[int] = mapped_column(Integer)   # answers graded: the sample size
    errors: Mapped[int] = mapped_column(Integer)   # calls that failed, were refused or did not run
    cost: Mapped[Decimal] = mapped_column(Money)
    latency_ms: Mapped[int | None] = mapped_column(Integer)


class EvalOutcome(Base):
    """One prompt on one model in one run: passed or why not, cost, latency; never the answer."""

    __tablename__ = "eval_outcomes"

    run_id: Mapped[int] = mapped_column(BigId, ForeignKey("eval_runs.id", ondelete="CASCADE"), primary_key=True)
    model_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)   # the prompt's index in the set
    prompt_id: Mapped[str | None] = mapped_column(String(64))
    passed: Mapped[bool | None] = mapped_column()   # null: not graded (the call failed)
    problem: Mapped[str | None] = mapped_column(String(64))   # the error type, or the grader's reason
    cost: Mapped[Decimal] = mapped_column(Money)
    latency_ms: Mapped[int | None] = mapped_column(Integer)
