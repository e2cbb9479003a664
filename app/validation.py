"""JSON request bodies: parse, validate with a marshmallow schema, or raise a 4xx APIError."""
from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
import numbers
from typing import Any

from flask import request
from marshmallow import Schema, ValidationError, fields

from app.errors import APIError
from app.request_body import BodyNotJSON, parse_json

# Far above any context window (the largest are ~10M tokens), far below JSON's 64-bit limit.
MAX_TOKENS = 100_000_000


def load_json(schema: Schema) -> dict[str, Any]:
    """Return the validated body, or raise 415/400 naming what is wrong."""
    if not request.is_json:
        raise APIError(415, "The request body must be JSON (Content-Type: application/json).")
    try:
        payload = parse_json(request.get_data())   # a body over MAX_CONTENT_LENGTH raises 413
    except BodyNotJSON as exc:
        raise APIError(400, f"The request body is not valid JSON: {exc}.") from None
    if not isinstance(payload, dict):
        raise APIError(400, "The request body must be a JSON object.")
    try:
        return schema.load(payload)
    except ValidationError as exc:
        fields_ = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise APIError(400, f"Invalid request: {', '.join(sorted(fields_))}.", fields=fields_) from None


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer (no strings, booleans or floats)."""

    def __init__(self, **kwargs):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class StrictFloat(fields.Float):
    """A finite number that must arrive as a JSON number (no strings or booleans)."""

    def __init__(self, **kwargs):
        super().__init__(allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """A JSON true or false, nothing that merely looks like one."""

    truthy = {True}
    falsy = {False}


class Moment(fields.Field):
    """An ISO-8601 date (its 00:00 UTC) or date-time with a UTC offset, as an aware UTC datetime."""

    default_error_messages = {"invalid": "Not an ISO-8601 date or a date-time with a UTC offset "
                                         "(e.g. 2027-01-01 or 2027-01-01T09:30:00Z)."}

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        try:
            parsed = (datetime.fromisoformat(value) if "T" in value or " " in value
                      else datetime.combine(date.fromisoformat(value), time()))
        except ValueError:
            raise self.make_error("invalid") from None
        if "T" in value and parsed.tzinfo is None:
            raise self.make_error("invalid")   # a time without an offset means nothing here
        try:
            return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
        except OverflowError:   # an offset that moves year 1 or 9999 out of range
            raise self.make_error("invalid") from None
