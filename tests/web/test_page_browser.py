"""The page in a real headless Chromium, against gunicorn and the fake vendors: what a person sees.

One browser for the module. After every test, every request the browser made must have gone to
the origin of a page it opened (the performance log), and no load may have been blocked by the
page's Content-Security-Policy nor any script have failed (the console).
"""
from __future__ import annotations

from datetime import UTC, datetime

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.integration.servers import gunicorn
from tests.web.browser import chromium, console_problems, network_events, screenshot

pytestmark = pytest.mark.integration
API_KEY = "page-test-key-0123456789"
ROWS = len((Path(__file__).resolve().parents[2] / "models.csv").read_text().splitlines()) - 1
CATALOG_LOADED = f"{ROWS} of {ROWS} models"


def secrets_for(url: str) -> str:
    return f"""
openai: {{api_key: sk-page-test, base_url: "{url}/v1"}}
anthropic: {{api_key: sk-ant-page-test, base_url: "{url}"}}
groq: {{api_key: gsk-page-test, base_url: "{url}/v1"}}
xai: {{api_key: "xai-..."}}
"""


def run_service(fake, tmp_path_factory, encodings_dir, **settings):
    secrets = tmp_path_factory.mktemp("web") / "secrets.yaml"
    secrets.write_text(secrets_for(fake.url))
    return gunicorn(SECRETS_FILE=str(secrets), TIKTOKEN_CACHE_DIR=str(encodings_dir), WEB_CONCURRENCY="1",
                    PROVIDER_TIMEOUT="5", PROVIDER_MAX_RETRIES="0", **settings)


@pytest.fixture(scope="module")
def service(fake, tmp_path_factory, encodings_dir):
    with run_service(fake, tmp_path_factory, encodings_dir) as (base, _):
        yield base


@pytest.fixture(scope="module")
def auth_service(fake, tmp_path_factory, encodings_dir):
    with run_service(fake, tmp_path_factory, encodings_dir, AUTH_MODE="api_key", API_KEYS=API_KEY) as (base, _):
        yield base


@pytest.fixture(scope="module")
def browser():
    with chromium() as driver:
        yield driver


class Network:
    """The requests the browser made during one test."""

    def __init__(self, driver):
        self.driver, self.events = driver, []

    def collect(self) -> list[dict]:
        self.events += network_events(self.driver)
        return self.events


@pytest.fixture(autouse=True)
def network(browser, fake):
    """Yield the test's network log; afterwards, nothing may have gone to another origin."""
    fake.reset()
    network_events(browser), console_problems(browser)   # drop what earlier tests left
    log = Network(browser)
    yield log
    events = log.collect()
    origins = {origin(e["url"]) for e in events if e["type"] == "Document"}
    assert origins and all(o.startswith("http://127.0.0.1:") for o in origins), origins
    elsewhere = [e["url"] for e in events if origin(e["url"]) not in origins and not e["url"].startswith("data:")]
    assert not elsewhere, elsewhere
    assert not console_problems(browser)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def wait(driver, condition, timeout: float = 10):
    return WebDriverWait(driver, timeout, poll_frequency=0.05).until(lambda _: condition())


def text(driver, selector: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, selector).text


def row_ids(driver, table: str) -> list[str]:
    return [row.get_attribute("data-id") for row in driver.find_elements(By.CSS_SELECTOR, f"#{table} tbody tr")]


def row(driver, table: str, model_id: str):
    return driver.find_element(By.CSS_SELECTOR, f'#{table} tbody tr[data-id="{model_id}"]')


def open_page(driver, base: str, width: int = 1280, loaded: str | None = CATALOG_LOADED):
    driver.set_window_size(width, 900)
    driver.get(f"{base}/")
    if loaded:
        wait(driver, lambda: loaded in text(driver, "#catalog-caption"))


def type_prompt(driver, words: str) -> str:
    """Type into the prompt box; return the ranking caption once it has changed."""
    before = text(driver, "#ranking-caption")
    driver.find_element(By.ID, "prompt").send_keys(words)
    wait(driver, lambda: text(driver, "#ranking-caption") != before and "input tokens" in text(driver, "#ranking-caption"))
    return text(driver, "#ranking-caption")


def input_tokens(caption: str) -> int:
    return int(re.search(r"for ([\d,]+) input tokens", caption)[1].replace(",", ""))


def pick_in_catalog(driver, model_id: str) -> None:
    """Find a model with the catalog's name filter and tick it with the keyboard."""
    search = driver.find_element(By.ID, "f-text")
    search.clear()
    search.send_keys(model_id.split("/")[1])
    box = row(driver, "catalog", model_id).find_element(By.CSS_SELECTOR, "input[type=checkbox]")
    driver.execute_script("arguments[0].focus()", box)
    ActionChains(driver).send_keys(Keys.SPACE).perform()
    assert box.is_selected()
    assert driver.switch_to.active_element == box   # ticking keeps the keyboard where it was


def _deepseek_peak_now() -> bool:
    now = datetime.now(UTC)
    return now.weekday() < 5 and (1 <= now.hour < 4 or 6 <= now.hour < 10)


def test_catalog_filters_sorts_and_marks_configured_providers(browser, service):
    open_page(browser, service)
    assert len(row_ids(browser, "catalog")) == ROWS
    unlabelled = browser.execute_script("""return [...document.querySelectorAll('input, select, textarea')]
        .filter((e) => !e.labels.length && !e.getAttribute('aria-label')).map((e) => e.id || e.outerHTML);""")
    assert unlabelled == []
    assert "configured" in row(browser, "catalog", "openai/gpt-6.1-sol").text
    assert "not configured" in row(browser, "catalog", "mistral/mistral-large-4").text
    assert "Not configured" in text(browser, "#providers") and "Mistral" in text(browser, "#providers")
    window = "peak" if _deepseek_peak_now() else "off-peak"   # DeepSeek prices by time of day
    def badges(model_id):
        return [b.text for b in row(browser, "catalog", model_id).find_elements(By.CSS_SELECTOR, ".badge")]
    assert window in badges("deepseek/deepseek-v4-pro")
    assert not {"peak", "off-peak"} & set(badges("openrouter/deepseek-v4-pro"))   # one price
    assert "xAI (placeholder key)" in text(browser, "#providers")   # a reason beyond "no key" is shown

    browser.find_element(By.ID, "f-text").send_keys("claude")
    ids = row_ids(browser, "catalog")
    assert ids and all("claude" in i for i in ids) and f"{len(ids)} of {ROWS} models" in text(browser, "#catalog-caption")
    Select(browser.find_element(By.ID, "f-provider")).select_by_value("Anthropic")
    assert row_ids(browser, "catalog") and all(i.startswith("anthropic/") for i in row_ids(browser, "catalog"))
    browser.find_element(By.ID, "f-text").clear()
    Select(browser.find_element(By.ID, "f-provider")).select_by_value("")
    browser.find_element(By.ID, "f-max-price").send_keys("1")
    cheap = row_ids(browser, "catalog")
    prices = [float(r.find_elements(By.TAG_NAME, "td")[2].text.strip("$")) for r in
              browser.find_elements(By.CSS_SELECTOR, "#catalog tbody tr")]
    assert 0 < len(cheap) < ROWS and all(p <= 1 for p in prices) and prices == sorted(prices)
    browser.find_element(By.ID, "f-max-price").clear()

    header = browser.find_element(By.CSS_SELECTOR, '#catalog th[data-sort="input"]')
    header.find_element(By.TAG_NAME, "button").send_keys(Keys.ENTER)   # keyboard: flip to descending
    assert header.get_attribute("aria-sort") == "descending"
    prices = [float(r.find_elements(By.TAG_NAME, "td")[2].text.strip("$")) for r in
              browser.find_elements(By.CSS_SELECTOR, "#catalog tbody tr")]
    assert len(prices) == ROWS and prices == sorted(prices, reverse=True)
    assert "calls costing $" in text(browser, "#usage-note")   # GET /api/usage, per UTC day
    assert browser.find_element(By.ID, "usage").is_displayed()   # the chart, as the endpoint answers
    screenshot(browser, "catalog-1280")


BENCHMARK_NAMES = {"gpqa_diamond": "GPQA Diamond", "mmlu": "MMLU", "mmlu_pro": "MMLU-Pro",
                   "swe_bench_verified": "SWE-bench Verified"}


def test_the_quality_columns_name_the_default_benchmark_and_show_all_its_scores(browser, service):
    models = requests.get(f"{service}/api/models", timeout=5).json()
    default = models["default_benchmark"]
    scored = {m["id"] for m in models["data"] if default in m["quality"]}
    open_page(browser, service)
    assert Select(browser.find_element(By.ID, "benchmark")).first_selected_option.get_attribute("value") == default
    header = text(browser, '#catalog th[data-sort="quality"]')
    assert header == f"Quality ({BENCHMARK_NAMES[default]})"
    cells = {r.get_attribute("data-id"): r.find_elements(By.TAG_NAME, "td")[4].text
             for r in browser.find_elements(By.CSS_SELECTOR, "#catalog tbody tr")}
    shown = {model_id for model_id, cell in cells.items() if cell != "–"}
    assert shown == scored and len(shown) > 20   # a value on every row the benchmark scores
    retired = [m for m in models["data"] if default in m["quality"] and m["quality"][default]["served_as"]]
    assert retired   # deepseek-v4-flash: the API name now serves V4.1 Flash; its score says so where shown
    for model in retired:
        served = model["quality"][default]["served_as"]["model"]
        assert f"now serves {served}" in cells[model["id"]]
    type_prompt(browser, "Name the benchmark")
    assert text(browser, "#ranking thead th:last-child") == f"Quality ({BENCHMARK_NAMES[default]})"
    Select(browser.find_element(By.ID, "benchmark")).select_by_value("lmarena_text")   # Elo stays selectable
    assert text(browser, '#catalog th[data-sort="quality"]') == "Quality (LMArena text)"
    assert text(browser, "#ranking thead th:last-child") == "Quality (LMArena text)"
    Select(browser.find_element(By.ID, "benchmark")).select_by_value(default)
    browser.find_element(By.ID, "f-text").send_keys("deepseek")
    screenshot(browser, "quality-column-1280", full=False)
    browser.find_element(By.ID, "f-text").clear()


def test_ranking_follows_the_prompt_as_it_is_typed(browser, service):
    open_page(browser, service)
    short = type_prompt(browser, "Hello")
    cheapest_before = text(browser, "#pick-cheapest")
    longer = type_prompt(browser, " there: summarise the plot of Hamlet, act by act, in plain words for a child.")
    assert input_tokens(longer) > input_tokens(short)
    assert text(browser, "#pick-cheapest") != cheapest_before   # the same model, a higher cost
    free = [i for i in row_ids(browser, "ranking") if "free" in row(browser, "ranking", i).find_element(
        By.CSS_SELECTOR, "td.cost").text]
    assert free and all(i.startswith("ollama/") for i in free) and f"first {len(free)} are free" in longer
    cheapest = row_ids(browser, "ranking")[len(free)]   # the cheapest model a vendor bills for
    assert cheapest in text(browser, "#pick-cheapest") and "cheapest" in row(browser, "ranking", cheapest).text
    assert "Best value on" in text(browser, "#pick-value")
    assert len(row_ids(browser, "ranking")) == 10   # the cheapest ten, until asked for all
    browser.find_element(By.ID, "ranking-more").click()
    assert len(row_ids(browser, "ranking")) == ROWS
    assert "exact" in row(browser, "ranking", "groq/gpt-oss-20b").text   # o200k: counted exactly
    assert "estimated" in row(browser, "ranking", "groq/llama-3.1-8b").text
    assert "standard" in row(browser, "ranking", "groq/llama-3.1-8b").text
    screenshot(browser, "ranking-1280")

    # Over Claude Haiku 5.5's 100,000-token threshold the long-context tier applies.
    browser.execute_script("""const box = document.getElementById('prompt');
        box.value = 'word '.repeat(110000); box.dispatchEvent(new Event('input'));""")
    wait(browser, lambda: input_tokens(text(browser, "#ranking-caption")) > 100_000)
    assert "long context" in row(browser, "ranking", "anthropic/claude-haiku-5-5").text
    assert "standard" in row(browser, "ranking", "openai/gpt-6.1-sol").text


def test_scatter_draws_the_pareto_frontier_of_this_prompt(browser, service):
    open_page(browser, service)
    prompt = "Which is the cheapest model that still answers well?"
    type_prompt(browser, prompt)
    benchmark = Select(browser.find_element(By.ID, "benchmark")).first_selected_option.get_attribute("value")
    ranking = requests.post(f"{service}/api/get_best_price_for_prompt", timeout=5,
                            json={"prompt": prompt, "expected_output_tokens": 500,
                                  "include_self_hosted": True}).json()["data"]
    quality = {m["id"]: m["quality"] for m in requests.get(f"{service}/api/models", timeout=5).json()["data"]}
    points = sorted(((item["total_cost"], -quality[item["id"]][benchmark]["score"], item["id"])
                     for item in ranking if benchmark in quality[item["id"]] and item["total_cost"] > 0))
    free = sum(item["total_cost"] == 0 for item in ranking)
    frontier, best = [], None
    for cost, negative_score, model_id in points:   # cheapest first; keep each new best score
        if best is None or -negative_score > best:
            frontier.append(model_id)
            best = -negative_score
    dots = browser.find_elements(By.CSS_SELECTOR, "#scatter circle")
    assert len(dots) == len(points) > 3
    drawn = [d.get_attribute("data-id") for d in browser.find_elements(By.CSS_SELECTOR, "#scatter circle.frontier")]
    assert sorted(drawn) == sorted(frontier) and len(frontier) >= 2
    assert browser.find_element(By.CSS_SELECTOR, "#scatter path.frontier-line")
    caption = text(browser, "#scatter-caption")
    assert all(model_id in caption for model_id in frontier)
    assert f"{len(ranking) - len(points) - free} models without a published" in caption
    assert f"{free} free local models" in caption and free > 0


def test_picked_models_answer_side_by_side_as_they_stream(browser, service, fake):
    api_models = {m["id"]: m["api_model"] for m in requests.get(f"{service}/api/models", timeout=5).json()["data"]}
    fake.behave(api_models["anthropic/claude-haiku-4-5"], delay=0.6, tick=0.3)   # word by word, ~2.4 s
    open_page(browser, service)
    type_prompt(browser, "Say hello in French")
    for model_id in ("openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5", "mistral/mistral-large-4"):
        pick_in_catalog(browser, model_id)
    assert "mistral/mistral-large-4: the service cannot call this one" in text(browser, "#picked")
    browser.find_element(By.ID, "send").click()

    card = lambda model_id: browser.find_element(By.CSS_SELECTOR, f'#answers article[data-id="{model_id}"]')
    wait(browser, lambda: card("openai/gpt-6.1-sol").get_attribute("data-outcome") == "ok")
    assert card("anthropic/claude-haiku-4-5").get_attribute("aria-busy") == "true"   # still on its way
    # Its tokens show in its box as they arrive, before its result.
    wait(browser, lambda: "Streaming…" in card("anthropic/claude-haiku-4-5").text)
    partial = card("anthropic/claude-haiku-4-5").find_element(By.CSS_SELECTOR, "pre.text").text
    assert partial.startswith("Echo") and card("anthropic/claude-haiku-4-5").get_attribute("aria-busy") == "true"
    wait(browser, lambda: "3 answers in" in text(browser, "#answers-summary"))
    final = card("anthropic/claude-haiku-4-5").find_element(By.CSS_SELECTOR, "pre.text").text
    assert len(partial) < len(final) and final.startswith(partial)
    for model_id in ("openai/gpt-6.1-sol", "anthropic/claude-haiku-4-5"):
        shown = card(model_id).text
        assert "Echo from" in shown and "Say hello in French" in shown, shown
        assert re.search(r"Latency\n\d+(\.\d+)? m?s", shown) and re.search(r"Tokens billed\n\d+ in, \d+ out", shown), shown
        assert re.search(r"Actual cost\n\$0\.0\d*[1-9]", shown) and "Input estimated" in shown, shown
    failed = card("mistral/mistral-large-4")
    assert failed.get_attribute("data-outcome") == "failed"
    assert "not configured on the service" in failed.text and "MISTRAL_API_KEY" in failed.text
    assert re.search(r"total actual cost \$0\.0\d*[1-9]", text(browser, "#answers-summary"))
    screenshot(browser, "answers-1280")
    browser.set_window_size(1280, 1150)
    browser.execute_script("document.getElementById('answers-section').scrollIntoView()")
    screenshot(browser, "answers-1280-view", full=False)   # docs/page.png is one of these

    browser.set_window_size(390, 844)
    overflow = browser.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    assert card("openai/gpt-6.1-sol").size["width"] < 390
    screenshot(browser, "answers-390")


def test_docs_serve_swagger_ui_from_this_service(browser, service):
    browser.set_window_size(1280, 900)
    browser.get(f"{service}/api/docs")
    wait(browser, lambda: "Price Runner" in text(browser, ".swagger-ui .info .title"))
    assert browser.find_element(By.CSS_SELECTOR, ".swagger-ui button.authorize").is_displayed()
    assert browser.find_element(By.CSS_SELECTOR, '[id^="operations-pricing-"]')


def test_with_auth_on_the_page_asks_for_the_key_and_then_works(browser, auth_service, network):
    open_page(browser, auth_service, loaded=None)
    wait(browser, lambda: "needs an API key" in text(browser, "#status"))
    assert row_ids(browser, "catalog") == []
    key = browser.find_element(By.ID, "api-key")
    key.send_keys(API_KEY, Keys.ENTER)
    wait(browser, lambda: CATALOG_LOADED in text(browser, "#catalog-caption"))
    assert not browser.find_element(By.ID, "status").is_displayed()
    assert browser.execute_script("return sessionStorage.getItem('price-runner.api-key')") == API_KEY

    type_prompt(browser, "Bonjour")
    pick_in_catalog(browser, "groq/llama-3.1-8b")
    pick_in_catalog(browser, "openai/gpt-6.1-sol")
    browser.find_element(By.ID, "send").click()
    wait(browser, lambda: "2 answers in" in text(browser, "#answers-summary"))
    outcomes = [a.get_attribute("data-outcome") for a in browser.find_elements(By.CSS_SELECTOR, "#answers article")]
    assert outcomes == ["ok", "ok"]
    assert re.search(r"Actual cost\n\$0\.0", text(browser, '#answers article[data-id="groq/llama-3.1-8b"]'))
    calls = [e for e in network.collect() if "/api/" in e["url"]]
    sent = [e for e in calls if e["url"].endswith("/api/send_prompt")]
    assert sent and all(e["headers"].get("Authorization") == f"Bearer {API_KEY}" for e in sent)
    screenshot(browser, "auth-answers-1280", full=False)

    # The docs page (open to all) loads the document (which needs the key) with the key of this tab.
    browser.get(f"{auth_service}/api/docs")
    wait(browser, lambda: "Price Runner" in text(browser, ".swagger-ui .info .title"))
    assert browser.find_element(By.CSS_SELECTOR, ".swagger-ui button.authorize").is_displayed()


def test_stream_parser_and_answer_cards_take_token_deltas(browser, service):
    open_page(browser, service, loaded=None)
    result = browser.execute_async_script("""const done = arguments[arguments.length - 1];
        (async () => {
          const { readEvents } = await import('/assets/js/sse.js');
          const { AnswerBoard } = await import('/assets/js/answers.js');
          const { paretoFrontier } = await import('/assets/js/pareto.js');
          // Chunks cut inside a CRLF, inside a field, with a heartbeat and a two-line data field.
          const chunks = ['event: delta\\r', '\\ndata: {"id":"m","text":"Bon"}\\r\\n\\r\\n: heartbeat\\n\\n',
                          'event: delta\\ndata: {"id":"m",', '"text":"jour"}\\n\\n', 'data: a\\ndata: b\\n\\n'];
          const encoder = new TextEncoder();
          const body = new ReadableStream({ start(c) { chunks.forEach((x) => c.enqueue(encoder.encode(x))); c.close(); } });
          const events = [];
          for await (const e of readEvents(body)) events.push(e);
          const host = document.createElement('div'), summary = document.createElement('p');
          const board = new AnswerBoard(host, summary);
          board.start(['m'], new Map(), new Map());
          for (const e of events.slice(0, 2)) board.event(e.event, JSON.parse(e.data));
          const streamed = host.querySelector('.text').textContent, busy = host.querySelector('article').getAttribute('aria-busy');
          const frontier = paretoFrontier([{id: 'a', cost: 1, quality: 50}, {id: 'b', cost: 2, quality: 40},
            {id: 'c', cost: 0, quality: 30}, {id: 'd', cost: 3, quality: 70}, {id: 'e', cost: 1, quality: 60}]);
          done({ events, streamed, busy, frontier: frontier.map((p) => p.id) });
        })().catch((e) => done({ error: String(e) }));""")
    assert result.get("error") is None, result
    assert result["events"] == [{"event": "delta", "data": '{"id":"m","text":"Bon"}'},
                                {"event": "delta", "data": '{"id":"m","text":"jour"}'},
                                {"event": "message", "data": "a\nb"}]
    assert result["streamed"] == "Bonjour" and result["busy"] == "true"
    assert result["frontier"] == ["c", "e", "d"]
