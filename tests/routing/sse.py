"""Read a send_prompt text/event-stream body in tests."""
import json


def sse_events(response):
    """Parse a text/event-stream body into (event, data) pairs, skipping comments."""
    events = []
    for block in response.get_data(as_text=True).split("\n\n"):
        lines = [line for line in block.splitlines() if line and not line.startswith(":")]
        if lines:
            fields = dict(line.split(": ", 1) for line in lines)
            events.append((fields["event"], json.loads(fields["data"])))
    return events
