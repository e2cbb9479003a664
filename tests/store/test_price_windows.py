"""Price windows: reading and writing them, when they are open, and the version in force among them."""
from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from app.catalog import CatalogError
from app.store.catalog_files import read_history, write_history
from app.store.price_versions import Prices, Version, history_problems, next_price_change, peak_of, price_in_force
from app.store.price_windows import Window, WindowError, parse_window

PEAK = "peak: Mon-Fri 01:00-04:00 06:00-10:00"
START = datetime(2026, 8, 22, 16, tzinfo=UTC)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)   # 2026-12-07 is a Monday


def windowed(*, holidays: str = "") -> list[Version]:
    peak = parse_window(PEAK + (f" except {holidays}" if holidays else ""))
    return [Version("m", datetime(1970, 1, 1, tzinfo=UTC), Prices(Decimal("0.5"), Decimal(1)), "s", date(2026, 12, 8)),
            Version("m", START, Prices(Decimal(2), Decimal(4)), "s", date(2026, 12, 8), window=peak),
            Version("m", START, Prices(Decimal(1), Decimal(2)), "s", date(2026, 12, 8), window=Window("off_peak"))]


@pytest.mark.parametrize("text", [PEAK, "off_peak", "peak: Sat,Sun 00:00-24:00",
                                  "peak: Mon-Fri 01:00-04:00 except 2026-10-01..2026-10-07, 2027-01-01"])
def test_a_window_reads_back_as_written(text):
    assert parse_window(text).label() == text


@pytest.mark.parametrize("text, problem", [
    ("Peak", "lower-case"), ("peak: Mon-Fri", "at least one"), ("peak: Fri-Mon 01:00-02:00", "backwards"),
    ("peak: Mon-Fri 04:00-01:00", "non-empty"), ("peak: Mon-Fri 1:00-4:00", "HH:MM"),
    ("peak: Mon-Fri 01:00-05:00 04:00-06:00", "overlapping"), ("peak: Workdays 01:00-02:00", "Mon..Sun"),
    ("peak: Mon 01:00-02:00 except 2026-13-01", "YYYY-MM-DD")])
def test_a_bad_window_says_what_is_wrong(text, problem):
    with pytest.raises(WindowError, match=problem):
        parse_window(text)


@pytest.mark.parametrize("moment, window, output", [
    (at(7, 0, 59), "off_peak", 2), (at(7, 1), "peak", 4), (at(7, 3, 59), "peak", 4), (at(7, 4), "off_peak", 2),
    (at(7, 6), "peak", 4), (at(7, 10), "off_peak", 2), (at(5, 2), "off_peak", 2), (at(6, 7), "off_peak", 2),
    (datetime(2026, 8, 1, 2, tzinfo=UTC), None, 1)])
def test_the_version_in_force_is_the_open_window_else_the_rest_of_the_week(moment, window, output):
    version = price_in_force(windowed(), moment)
    assert (version.window_name, version.prices.output) == (window, output)


@pytest.mark.parametrize("moment, change", [
    (at(5, 12), at(7, 1)), (at(7, 1), at(7, 4)), (at(7, 4), at(7, 6)), (at(11, 9, 30), at(11, 10)),
    (at(11, 10), at(14, 1)), (datetime(2026, 8, 1, tzinfo=UTC), START)])
def test_the_next_change_is_a_window_opening_or_closing_or_the_next_start(moment, change):
    assert next_price_change(windowed(), moment) == change


def test_a_holiday_keeps_the_window_shut_all_day():
    versions = windowed(holidays="2026-12-07..2026-12-08")
    assert price_in_force(versions, at(7, 2)).window_name == "off_peak"
    assert price_in_force(versions, at(9, 2)).window_name == "peak"
    assert next_price_change(versions, at(5, 12)) == at(9, 1)


def test_the_dearest_window_is_what_a_models_row_shows():
    assert peak_of(windowed(), date(2026, 11, 27)).window_name == "peak"
    assert peak_of(windowed(), date(2026, 8, 1)).window_name is None


def test_windows_from_one_start_need_names_and_one_rest_of_the_week():
    versions = windowed()
    assert history_problems(versions) == []
    no_rest = [versions[0], versions[1]]
    assert "exactly one window must go without a schedule" in " ".join(history_problems(no_rest))
    twice = [*versions, versions[2]]
    assert "in the same window" in " ".join(history_problems(twice))
    unnamed = [versions[0], versions[1], Version("m", START, Prices(Decimal(1), Decimal(2)), "s", date(2026, 12, 8))]
    assert "need a window each" in " ".join(history_problems(unnamed))


def test_the_history_file_round_trips_windows_and_may_leave_the_column_off(tmp_path):
    path = tmp_path / "price_history.csv"
    write_history(path, windowed())
    text = path.read_text()
    assert text.splitlines()[1].count(",") == 9   # no window: the column is left off
    assert text.splitlines()[2].endswith("," + PEAK)
    assert read_history(path) == windowed()


def test_a_bad_window_in_the_file_names_line_and_column(tmp_path):
    path = tmp_path / "price_history.csv"
    write_history(path, windowed())
    path.write_text(path.read_text().replace(PEAK, "peak: Mon-Fri 25:00-26:00"))
    with pytest.raises(CatalogError) as caught:
        read_history(path)
    assert (caught.value.line, caught.value.column) == (3, "window")
