"""gunicorn's gthread worker, answering the requests it cannot parse in the API's JSON envelope.

gunicorn rejects some requests before the app sees them (a request line over its limit: 414,
too many headers: 431, a malformed line: 400) and writes a small HTML page for each. A JSON API
never answers with HTML, so each worker writes those errors as the envelope instead. Nothing of
the client's bytes is echoed: the request line may carry a credential in its query string.
"""
from __future__ import annotations

import json

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's util.write_error, in the JSON envelope (mesg, which quotes the request, is left out)."""
    body = json.dumps({"success": False, "error": {"code": status_int, "message": f"{reason}."}}).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    util.write_nonblock(sock, head.encode("latin1") + body)


class JSONErrorThreadWorker(ThreadWorker):
    """The gthread worker; its parse errors go out as JSON."""

    def init_process(self) -> None:
        util.write_error = write_json_error   # Worker.handle_error looks it up on the module at call time
        super().init_process()
