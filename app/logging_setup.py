"""Application logging to stdout, one line per record."""
import logging
import sys


def configure_logging(level: str) -> None:
    """Send the app's logs to stdout at the given level (idempotent)."""
    root = logging.getLogger("app")
    root.setLevel(level)
    if not any(getattr(h, "_price_runner", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        handler._price_runner = True
        root.addHandler(handler)
