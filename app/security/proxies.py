"""Trust X-Forwarded-For/-Proto only from the configured number of proxy hops (TRUSTED_PROXIES)."""
from __future__ import annotations

import ipaddress

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix


def trust_proxies(app: Flask, hops: int) -> None:
    """With hops > 0, take the client address and scheme from that many X-Forwarded-* entries."""
    if hops > 0:
        app.wsgi_app = ProxyFix(_addresses_only(app.wsgi_app), x_for=hops, x_proto=hops)


def _addresses_only(wsgi_app):
    """Keep the peer's address when the forwarded one is not an IP (ProxyFix takes any string)."""
    def checked(environ, start_response):
        if not _is_ip(environ.get("REMOTE_ADDR")):
            environ["REMOTE_ADDR"] = environ["werkzeug.proxy_fix.orig"]["REMOTE_ADDR"]
        return wsgi_app(environ, start_response)
    return checked


def _is_ip(value: str | None) -> bool:
    try:
        ipaddress.ip_address(value or "")
    except ValueError:
        return False
    return True
