// The page: wires the catalog, the cost ranking, sending, the scatter and spend to the API.

import { api, credentials, streamPrompt } from "./api.js";
import { AnswerBoard } from "./answers.js";
import { configuredBadge, renderCatalog } from "./catalog.js";
import { debounce, h, replace } from "./dom.js";
import { usd } from "./format.js";
import { benchmarkName, benchmarks } from "./quality.js";
import { clearRanking, renderRanking } from "./ranking.js";
import { drawScatter, scatterPoints } from "./scatter.js";
import { UsagePanel } from "./usage.js";

const MAX_PICKS = 10;         // SEND_PROMPT_MAX_MODELS' default
const TYPING_PAUSE_MS = 300;  // re-rank once typing pauses this long
const $ = (selector) => document.querySelector(selector);

const state = {
  models: [], modelsById: new Map(), benchmark: "", ranking: null, expanded: false, picks: new Set(),
  catalog: { sort: "input", direction: "ascending", filters: {
    text: "", provider: "", configuredOnly: false, maxPrice: null, minQuality: null, minContext: null } },
};
const rankingNodes = { table: $("#ranking"), caption: $("#ranking-caption"), highlights: $("#highlights"),
                       more: $("#ranking-more") };
const board = new AnswerBoard($("#answers"), $("#answers-summary"));
const usage = new UsagePanel($("#usage-note"), $("#usage"));
let rankingCall = null, sendCall = null;

function status(text, kind = "info") {
  const node = $("#status");
  node.textContent = text;
  node.className = `status ${text ? kind : ""}`;
}

function needsKey(error) {
  if (error.status !== 401) return false;
  status(`This service needs an API key: enter it above and choose "Use key". (${error.message})`, "error");
  return true;
}

const numberOrNull = (input) => input.value === "" || Number.isNaN(input.valueAsNumber) ? null : input.valueAsNumber;

// --- catalog ------------------------------------------------------------------------------

// "xAI (placeholder key)": the reason, where it says more than that no key was given.
const nameAndReason = (p) => p.reason && p.reason !== "no key" ? `${p.name} (${p.reason})` : p.name;

function renderProviders(providers) {
  const configured = providers.filter((p) => p.configured), missing = providers.filter((p) => !p.configured);
  replace($("#providers"),
    configured.length ? `Configured on this service: ${configured.map((p) => p.name).join(", ")}. `
                      : "No provider is configured on this service: prices work, sending fails for every model. ",
    missing.length ? `Not configured (calls to them fail until the service holds their keys): ` +
                     `${missing.map(nameAndReason).join(", ")}.` : "");
  const select = $("#f-provider");
  replace(select, h("option", { value: "" }, "All providers"),
    providers.map((p) => h("option", { value: p.name }, `${p.name}${p.configured ? "" : " (not configured)"}`)));
  select.value = state.catalog.filters.provider;
}

function renderBenchmarks(preferred) {
  const select = $("#benchmark"), known = benchmarks(state.models);
  replace(select, known.map((b) => h("option", { value: b.key }, `${benchmarkName(b.key)} (${b.models} models)`)));
  // Until the user picks one: the service's default (the percent-scale benchmark scoring the most rows).
  if (!known.some((b) => b.key === state.benchmark)) {
    state.benchmark = known.some((b) => b.key === preferred) ? preferred : known.length ? known[0].key : "";
  }
  select.value = state.benchmark;
  nameBenchmark();
}

/** Every quality column names the benchmark it shows. */
function nameBenchmark() {
  for (const node of document.querySelectorAll(".benchmark-name")) {
    node.textContent = state.benchmark ? `(${benchmarkName(state.benchmark)})` : "";
  }
}

function renderCatalogView() {
  renderCatalog($("#catalog"), $("#catalog-caption"), state.models,
                { ...state.catalog, benchmark: state.benchmark, picks: state.picks, onPick });
}

function renderAll() {
  renderCatalogView();
  renderRankingView();
}

async function loadCatalog() {
  try {
    const [models, providers] = await Promise.all([api("/api/models"), api("/api/providers")]);
    state.models = models.data;
    state.modelsById = new Map(models.data.map((m) => [m.id, m]));
    status("");
    renderProviders(providers.data);
    renderBenchmarks(models.default_benchmark);
    renderAll();
    refreshRanking();
  } catch (error) {
    $("#catalog-caption").textContent = "The catalog is not loaded.";
    if (!needsKey(error)) status(`Could not load the catalog: ${error.message}`, "error");
  }
}

function readFilters() {
  const filters = {
    text: $("#f-text").value, provider: $("#f-provider").value, configuredOnly: $("#f-configured").checked,
    maxPrice: numberOrNull($("#f-max-price")), minQuality: numberOrNull($("#f-min-quality")),
    minContext: numberOrNull($("#f-min-context")),
  };
  // A text field also fires "change" when it loses focus: redrawing then would drop the click
  // or the focus that took it away.
  if (JSON.stringify(filters) === JSON.stringify(state.catalog.filters)) return;
  state.catalog.filters = filters;
  renderCatalogView();
}

function sortBy(key) {
  const view = state.catalog;
  if (view.sort === key) view.direction = view.direction === "ascending" ? "descending" : "ascending";
  else [view.sort, view.direction] = [key, key === "quality" || key === "context" ? "descending" : "ascending"];
  renderCatalogView();
}

// --- ranking and picks --------------------------------------------------------------------

function renderRankingView() {
  if (!state.ranking) return;
  renderRanking(rankingNodes, state.ranking, { picks: state.picks, onPick, modelsById: state.modelsById,
                                               benchmark: state.benchmark, expanded: state.expanded });
  renderScatter();
}

async function refreshRanking() {
  const prompt = $("#prompt").value;
  rankingCall?.abort();
  if (!prompt.trim()) {
    state.ranking = null;
    clearRanking(rankingNodes, "Type a prompt to see what it costs on each model.");
    renderScatter();
    return updateSend();
  }
  // An empty output box asks for each model's prediction from its billed calls ("auto").
  // Self-hosted models are shown too: the table marks them free, to run on your own hardware.
  const body = { prompt, expected_output_tokens: numberOrNull($("#output-tokens")) ?? "auto",
                 only_configured: $("#only-configured").checked, include_self_hosted: true };
  if ($("#system").value) body.system = $("#system").value;
  const call = rankingCall = new AbortController();
  try {
    const answer = await api("/api/get_best_price_for_prompt", { body, signal: call.signal });
    if (call !== rankingCall) return;
    state.ranking = answer;
    renderRankingView();
  } catch (error) {
    if (error.name === "AbortError") return;
    state.ranking = null;
    clearRanking(rankingNodes, `Could not price this prompt: ${error.message}`);
    needsKey(error);
  }
  updateSend();
}

function onPick(id, picked) {
  if (picked && state.picks.size >= MAX_PICKS) status(`At most ${MAX_PICKS} models per send.`, "error");
  else if (picked) state.picks.add(id);
  else state.picks.delete(id);
  // Tick the same model in both tables in place (re-rendering would take the keyboard focus away);
  // a picked model below the ranking's first rows needs its row drawn.
  const boxes = document.querySelectorAll(`tr[data-id="${CSS.escape(id)}"] input[type=checkbox]`);
  for (const box of boxes) box.checked = state.picks.has(id);
  if (state.ranking && !$("#ranking").querySelector(`tr[data-id="${CSS.escape(id)}"]`)) renderRankingView();
  updateSend();
}

function updateSend() {
  const ids = [...state.picks];
  const unconfigured = ids.filter((id) => state.modelsById.get(id)?.configured === false);
  $("#send").disabled = !ids.length || !$("#prompt").value.trim() || sendCall !== null;
  replace($("#picked"), ids.length ? `Picked: ${ids.join(", ")}.` : `Pick up to ${MAX_PICKS} models in the tables.`,
    unconfigured.length ? [" ", configuredBadge(false),
      ` ${unconfigured.join(", ")}: the service cannot call ${unconfigured.length > 1 ? "these" : "this one"}; ` +
      "the answer will say so."] : "");
}

// --- sending ------------------------------------------------------------------------------

async function send() {
  const ids = [...state.picks];
  const estimates = new Map((state.ranking?.data || []).map((item) => [item.id, item.total_cost]));
  const body = { prompt: $("#prompt").value, model_names: ids };
  if ($("#system").value) body.system = $("#system").value;
  if (numberOrNull($("#max-tokens")) !== null) body.max_tokens = numberOrNull($("#max-tokens"));
  board.start(ids, state.modelsById, estimates);
  sendCall = new AbortController();
  $("#stop").hidden = false;
  updateSend();
  try {
    await streamPrompt(body, (name, data) => board.event(name, data), sendCall.signal);
    board.end("No answer arrived.");
  } catch (error) {
    const stopped = error.name === "AbortError";
    board.end(stopped ? "Stopped." : "Not answered.");
    $("#answers-summary").textContent = stopped ? "Stopped: unfinished calls are cancelled."
      : `The request failed: ${error.message}`;
    if (!stopped) needsKey(error);
  } finally {
    sendCall = null;
    $("#stop").hidden = true;
    updateSend();
    usage.load();
  }
}

// --- scatter ------------------------------------------------------------------------------

function renderScatter() {
  const host = $("#scatter"), caption = $("#scatter-caption");
  if (!state.ranking) {
    replace(host);
    caption.textContent = "Type a prompt to place the models.";
    return;
  }
  const name = benchmarkName(state.benchmark);
  const { points, free, unscored } = scatterPoints(state.ranking.data, state.modelsById, state.benchmark);
  const left = [unscored ? `${unscored} models without a published ${name} score` : "",
                free ? `${free} free local models` : ""].filter(Boolean).join(" and ");
  if (!points.length) {
    replace(host);
    caption.textContent = `No billed model in this ranking has a published ${name} score.`;
    return;
  }
  const frontier = drawScatter(host, points, state.benchmark);
  caption.textContent = `Each dot is a model (green ring: configured here). Pareto frontier, dashed: ` +
    frontier.map((p) => `${p.id} (${usd(p.cost)}, ${p.quality})`).join("; ") +
    `. No other model is both cheaper and better than these.` + (left ? ` Not shown: ${left}.` : "");
}

// --- wiring -------------------------------------------------------------------------------

/** Keep (or, when empty, forget) the key for this tab, then load again with it. */
function setKey(key) {
  if (key) credentials.set(key);
  else credentials.clear();
  $("#api-key").value = "";   // the field never shows a kept key
  showKeyState();
  loadCatalog();
  usage.load();
}

function showKeyState() {
  $("#api-key").placeholder = credentials.get() ? "A key is set for this tab" : "";
}

const rerank = debounce(refreshRanking, TYPING_PAUSE_MS);
for (const id of ["#prompt", "#system", "#output-tokens"]) {
  $(id).addEventListener("input", () => { rerank(); updateSend(); });
}
$("#only-configured").addEventListener("change", refreshRanking);
$("#ranking-more").addEventListener("click", () => { state.expanded = !state.expanded; renderRankingView(); });
$("#send").addEventListener("click", send);
$("#stop").addEventListener("click", () => sendCall?.abort());
$("#auth").addEventListener("submit", (event) => { event.preventDefault(); setKey($("#api-key").value.trim()); });
$("#forget-key").addEventListener("click", () => setKey(""));
$("#filters").addEventListener("input", readFilters);
$("#filters").addEventListener("change", readFilters);   // a select or checkbox may fire only this
$("#filters").addEventListener("submit", (event) => event.preventDefault());
$("#benchmark").addEventListener("change", () => {
  state.benchmark = $("#benchmark").value;
  nameBenchmark();
  renderAll();
});
for (const th of document.querySelectorAll("#catalog th[data-sort]")) {
  th.querySelector("button").addEventListener("click", () => sortBy(th.dataset.sort));
}
window.addEventListener("resize", debounce(() => { renderScatter(); usage.redraw(); }, 250));

showKeyState();
loadCatalog();
usage.load();
