"""plain_text: a vendor's non-JSON error body becomes a short message, in time linear in the body."""
import time

import pytest

from app.providers.shapes import MAX_MESSAGE, plain_text


@pytest.mark.parametrize("body,message", [
    ("<html><head><title>502 Bad Gateway</title></head><body>x</body></html>", "502 Bad Gateway"),
    ("<HTML><TITLE lang=en>Service &amp; Co</TITLE></HTML>", "Service & Co"),
    ("<p>Upstream <b>timed</b> out</p><script>var a = '<p>';</script><style>p{}</style> later",
     "Upstream timed out later"),
    ("<scripts>kept</scripts> text", "kept text"),
    ("plain words\n\tonly", "plain words only"),
    ("before <script>never closed", "before"),
    ("before <unclosed tag", "before"),
    ("<div></div>", "HTTP 503"),
])
def test_tags_scripts_and_styles_are_removed(body, message):
    assert plain_text(body, 503) == message


def test_a_long_message_is_cut():
    text = plain_text("word " * 1000, 500)
    assert len(text) == MAX_MESSAGE and text.endswith("…")


@pytest.mark.parametrize("body", ["<script" * (64 * 1024 // 7), "<script>" + "<script" * 9000,
                                  "<title>" + "<" * 65536, "<" * 65536, "<a " * 30000 + "<script>x" * 5000,
                                  "<script" * (4 * 1024 * 1024 // 7)])
def test_hostile_bodies_are_cleaned_fast(body):
    started = time.perf_counter()
    plain_text(body, 502)
    assert time.perf_counter() - started < 0.05
