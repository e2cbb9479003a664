"""A JWKS endpoint on a loopback port for tests: serves whatever keys it holds, counts requests."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec


def jwk(private_key, kid: str, **fields) -> dict:
    """The public JWK of a cryptography private key, named kid."""
    algorithm = ECAlgorithm if isinstance(private_key, ec.EllipticCurvePrivateKey) else RSAAlgorithm
    return {**algorithm.to_jwk(private_key.public_key(), as_dict=True), "kid": kid, "use": "sig", **fields}


class JwksServer:
    """GET anything: 200 with {"keys": keys}, or `status`/`body` when set. ``requests`` counts GETs.

    With ``drip`` set, the answer (status line first) goes out one byte every ``drip`` seconds."""

    def __init__(self, keys: list[dict] | None = None, port: int = 0):
        self.keys, self.requests = list(keys or []), 0
        self.status, self.body, self.drip = 200, None, 0.0
        self.stopping = threading.Event()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                owner.requests += 1
                body = owner.body if owner.body is not None else json.dumps({"keys": owner.keys}).encode()
                if owner.drip:
                    return self._drip(body)
                self.send_response(owner.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drip(self, body):
                answer = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(body)}\r\n\r\n").encode() + body
                self.close_connection = True
                for byte in answer:
                    if owner.stopping.wait(owner.drip):
                        return
                    try:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                    except OSError:
                        return

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/realms/test/protocol/openid-connect/certs"

    def __enter__(self) -> JwksServer:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
