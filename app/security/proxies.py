"""Trust X-Forwarded-For/-Proto only from the configured number of proxy hops (TRUSTED_PROXIES)."""
from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask, hops: int) -> None:
    """With hops > 0, take the client address and scheme from that many X-Forwarded-* entries."""
    if hops > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
