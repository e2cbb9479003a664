"""Forecasts from the ledger: each model's output tokens by prompt length, and the tokenizer
families' factors measured from billed input. Each worker rebuilds them in memory every
FORECAST_REFRESH_S seconds; a ranking or a send_prompt reads them without a database query.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask

from app.forecast.ledger_read import billed_calls
from app.forecast.live import LiveOutlook
from app.forecast.outlook import EMPTY, Calibration, Forecast, Outlook, build_forecasts, calibrate
from app.tokens.encodings import SPECS
from app.tokens.families import FAMILY_FACTORS

__all__ = ["EMPTY", "Calibration", "Forecast", "LiveOutlook", "Outlook", "init_app", "load_outlook"]


def load_outlook(engine, catalog, *, window: timedelta, min_samples: int, calibration_min_samples: int,
                 now: datetime | None = None) -> Outlook:
    """Build the outlook from the billed calls of the last ``window``."""
    calls = billed_calls(engine, (now or datetime.now(UTC)) - window)
    forecasts = build_forecasts(((call.model_id, call.input_tokens, call.output_tokens) for call in calls),
                                min_samples)
    # Only families without an exact tokenizer are estimated, so only they are calibrated.
    families = {model.id: model.tokenizer for model in catalog.all() if model.tokenizer not in SPECS}
    measured = ((families[call.model_id], call.base_input_tokens, call.input_tokens) for call in calls
                if call.base_input_tokens is not None and call.model_id in families)
    fixed = {family: FAMILY_FACTORS.get(family, 1.0) for family in set(families.values())}
    return Outlook(forecasts, calibrate(measured, fixed, calibration_min_samples), min_samples)


def init_app(app: Flask, settings: Mapping[str, Any]) -> None:
    """The live outlook into app.extensions["forecast"]; its factors go to the token counter."""
    engine, catalog, tokens = app.extensions["store"].engine, app.extensions["catalog"], app.extensions["tokens"]

    def load() -> Outlook:
        return load_outlook(engine, catalog, window=timedelta(days=settings["FORECAST_WINDOW_DAYS"]),
                            min_samples=settings["FORECAST_MIN_SAMPLES"],
                            calibration_min_samples=settings["CALIBRATION_MIN_SAMPLES"])

    def apply(outlook: Outlook) -> None:
        tokens.calibrate({family: found.factor for family, found in outlook.calibrations.items()})

    live = LiveOutlook(load, settings["FORECAST_REFRESH_S"], on_refresh=apply)
    app.extensions["forecast"] = live

    @app.before_request
    def _watch() -> None:
        # In the serving process (a gunicorn worker, after the fork): one refresher thread.
        live.watch()
