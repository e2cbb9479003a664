"""Headless Chromium for the page's tests: Debian's chromium and chromedriver, nothing downloaded."""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# Where the run leaves its screenshots (git-ignored); WEB_SCREENSHOTS moves them.
SCREENSHOTS = Path(os.environ.get("WEB_SCREENSHOTS") or REPO / ".screenshots")
# No first-run, sync, component or background fetches: the only requests are the page's own.
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--window-size=1280,900")


def chromium_binaries() -> tuple[str, str]:
    """Paths of chromium and chromedriver; skip without them, or fail when REQUIRE_SERVERS=1 (CI)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/bin"])   # where Debian puts both
    found = [shutil.which(name, path=search) for name in ("chromium", "chromedriver")]
    if all(found):
        return found[0], found[1]
    message = ("browser tests skipped: Chromium is not installed "
               "(apt-get install chromium chromium-driver; .ci/run does)")
    if os.environ.get("REQUIRE_SERVERS") == "1":
        pytest.fail(f"REQUIRE_SERVERS=1 but {message}")
    pytest.skip(message)


@contextmanager
def chromium():
    """One headless Chromium session, driven by Selenium through /usr/bin/chromedriver."""
    browser, driver_path = chromium_binaries()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    # Selenium Manager would look for (and could download) a driver: the path below skips it,
    # and offline mode forbids it outright.
    with pytest.MonkeyPatch.context() as patch, tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        patch.setenv("SE_OFFLINE", "true")
        options = webdriver.ChromeOptions()
        options.binary_location = browser
        for flag in (*FLAGS, f"--user-data-dir={profile}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        try:
            yield driver
        finally:
            driver.quit()


def network_events(driver) -> list[dict]:
    """Requests the browser sent since the last call: [{url, type, headers}] (Chrome's performance log)."""
    events = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            params = message["params"]
            events.append({"url": params["request"]["url"], "type": params.get("type"),
                           "headers": params["request"].get("headers", {})})
    return events


def console_problems(driver) -> list[str]:
    """Console messages since the last call that report a load the page's policy blocked or a script error."""
    return [entry["message"] for entry in driver.get_log("browser")
            if "Content Security Policy" in entry["message"] or "Uncaught" in entry["message"]]


def screenshot(driver, name: str, full: bool = True) -> Path:
    """Save SCREENSHOTS/<name>.png: the whole page (the window grows to its height) or the viewport."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = driver.get_window_size()
    if full:
        chrome = size["height"] - driver.execute_script("return window.innerHeight")
        driver.set_window_size(size["width"], driver.execute_script("return document.body.scrollHeight") + chrome)
    driver.save_screenshot(str(path))
    if full:
        driver.set_window_size(size["width"], size["height"])
    return path
