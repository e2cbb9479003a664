"""GET /api/usage: its query parameters (the response is in app/openapi/schemas.py)."""
from __future__ import annotations

from datetime import UTC, date, datetime, time

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

from app.openapi.schemas import USAGE_GROUPS as GROUPS

FORMATS = ("json", "csv")


class UtcMoment(fields.Field):
    """An ISO-8601 date (00:00 UTC) or date-time (UTC when it names no offset)."""

    default_error_messages = {"invalid": "Not an ISO-8601 date or date-time, e.g. 2026-12-01 or 2026-12-01T12:00:00Z."}

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        if not isinstance(value, str):
            raise self.make_error("invalid")
        try:
            if len(value) == 10:
                return datetime.combine(date.fromisoformat(value), time(), UTC)
            moment = datetime.fromisoformat(value)
            return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
        except (ValueError, OverflowError):   # not a date; or 0001-01-01T00:00+14:00, before year 1 in UTC
            raise self.make_error("invalid") from None


class UsageQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    start = UtcMoment(data_key="from", load_default=None,
                      metadata={"description": "inclusive; default: the first day of this UTC month"})
    end = UtcMoment(data_key="to", load_default=None,
                    metadata={"description": "exclusive; default: the first day of next UTC month"})
    group_by = fields.String(load_default="day", validate=validate.OneOf(GROUPS))
    format = fields.String(load_default="json", validate=validate.OneOf(FORMATS))

    @validates_schema
    def _ordered(self, data, **kwargs) -> None:
        if data["start"] is not None and data["end"] is not None and data["end"] <= data["start"]:
            raise ValidationError("must be after from", "to")
