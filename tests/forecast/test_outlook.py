"""The pure aggregates: buckets, nearest-rank percentiles, the sample minimum, calibration."""
from app.forecast.outlook import (BUCKETS, Forecast, Outlook, bucket, bucket_bounds, build_forecasts, calibrate,
                                  nearest_rank)


def test_buckets_are_powers_of_four_from_256():
    assert [bucket(n) for n in (0, 255, 256, 1023, 1024, 4095, 4096, 16383, 16384, 262143, 262144, 10**9)] == \
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 6]
    for index in range(BUCKETS):
        first, last = bucket_bounds(index)
        assert bucket(first) == index and (last is None or (bucket(last) == index and bucket(last + 1) == index + 1))


def test_nearest_rank():
    values = [10, 20, 30, 40]
    assert [nearest_rank(values, p) for p in (25, 50, 75, 90, 100)] == [10, 20, 30, 40, 40]
    assert nearest_rank([7], 25) == 7


def test_a_model_needs_min_samples_in_the_bucket():
    calls = [("m", 100, out) for out in (50, 10, 40, 20, 30)] + [("m", 2000, 99)] * 4
    forecasts = build_forecasts(calls, min_samples=5)
    assert forecasts["m"][0] == Forecast(30, 20, 40, 5)
    assert forecasts["m"][2] == Forecast(None, None, None, 4)
    assert forecasts["m"][1] == Forecast(None, None, None, 0)
    outlook = Outlook(forecasts)
    assert outlook.forecast("m", 5) == Forecast(30, 20, 40, 5) and outlook.forecast("other", 5) is None


def test_only_the_newest_samples_are_kept():
    calls = [("m", 10, 1)] * 3 + [("m", 10, 1000)] * 3   # newest first
    assert build_forecasts(calls, min_samples=1, max_samples=3)["m"][0] == Forecast(1, 1, 1, 3)


def test_calibration_waits_for_enough_samples_and_is_bounded():
    fixed = {"claude": 1.2, "llama": 1.0}
    found = calibrate([("llama", 100, 110)] * 3 + [("claude", 100, 130)] * 2, fixed, min_samples=3)
    assert found["llama"] == (1.1, 3, True)
    assert found["claude"] == (1.2, 2, False)   # the fixed factor until enough bills
    wild = calibrate([("llama", 10, 1000)] * 3 + [("qwen", 0, 50)] * 5, fixed, min_samples=3)
    assert wild["llama"].factor == 2.0 and "qwen" not in wild   # a zero base proves nothing

