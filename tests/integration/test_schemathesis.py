"""schemathesis against the running service, from its own OpenAPI document: no 5xx, and every
response conforms to the documented status codes, content types and schemas."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.servers import gunicorn

pytestmark = pytest.mark.integration
SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def test_schemathesis_finds_no_failures(encodings_dir, tmp_path):
    if not SCHEMATHESIS.exists() and not shutil.which("schemathesis"):
        pytest.fail("schemathesis is not installed (requirements-dev.txt)")
    # Limits off: hundreds of requests from one client would otherwise be mostly 429s.
    with gunicorn(TIKTOKEN_CACHE_DIR=str(encodings_dir), RATELIMIT_ENABLED="false",
                  PROVIDER_TIMEOUT="5") as (base, server):
        result = subprocess.run(
            [str(SCHEMATHESIS), "run", f"{base}/api/openapi.json", "--checks", CHECKS,
             "--max-examples", "60", "--workers", "2", "--seed", "20261127",
             "--report", "junit", "--report-dir", str(tmp_path)],
            capture_output=True, text=True, timeout=600)
        assert "Traceback" not in server.log()
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = int(re.search(r"(\d+) generated", output).group(1))
    assert generated >= 300, output[-2000:]
    print(f"schemathesis: {generated} generated test cases")
