// The cost ranking for the current prompt: the table, picks for sending, cheapest and best value.

import { h, replace } from "./dom.js";
import { count, usd, score } from "./format.js";
import { benchmarkName, scoreCell, scoreOf } from "./quality.js";
import { configuredBadge, priceWindow } from "./catalog.js";

export const COLLAPSED_ROWS = 10;

// Free models (local ones, such as Ollama's) cost nothing per token but need your own hardware:
// the picks below compare what vendors bill, and the free ones are listed first in the table.

/** The cheapest billed item (the ranking comes cheapest first). */
export function cheapest(items) {
  return items.find((item) => item.total_cost > 0) || null;
}

/** The billed item with the most quality points per dollar on a benchmark. */
export function bestValue(items, modelsById, benchmark) {
  let best = null, bestRatio = -1;
  for (const item of items) {
    const quality = scoreOf(modelsById.get(item.id), benchmark);
    if (!quality || item.total_cost === 0) continue;
    const ratio = quality.score / item.total_cost;
    if (ratio > bestRatio) [best, bestRatio] = [item, ratio];
  }
  return best;
}

function tokens(item) {
  const label = item.token_count_exact ? "exact" : "estimated";
  return [count(item.estimated_tokens),
    h("span", { class: `badge ${item.token_count_exact ? "good" : "info"}` }, label),
    h("span", { class: "sub" }, `tokenizer: ${item.tokenizer}`)];
}

function tier(item) {
  const size = item.long_context
    ? h("span", { class: "badge warn", title: "The input is over this model's long-context threshold: " +
        "the whole request is priced at its long-context rates." }, "long context")
    : h("span", { class: "badge info" }, "standard");
  return [size, priceWindow(item)];
}

// Where the output part of a cost comes from: the number asked for, or the model's billed history.
function outputNote(item) {
  const basis = item.output_basis;
  if (!basis || basis.kind === "given") return null;
  if (basis.kind === "none") {
    return h("span", { class: "sub output-basis", title: "Too few billed calls of this model for prompts " +
      "of this length to predict its output: the cost is the input only." }, "input only: no history yet");
  }
  const range = item.output_cost_range;
  return h("span", { class: "sub output-basis", title: `Predicted from ${basis.samples} billed calls of this ` +
      "model for prompts of this length: the median output, and the output cost between p25 and p75." },
    `out: ${count(item.expected_output_tokens)} tokens predicted (${usd(range.low)}-${usd(range.high)}, ` +
    `${basis.samples} calls)`);
}

function row(item, index, context) {
  const { picks, onPick, modelsById, benchmark, marks } = context;
  const classes = [marks.cheapest === item ? "cheapest" : "", marks.value === item ? "best-value" : ""];
  const box = h("input", { type: "checkbox", "aria-label": `Send to ${item.id}`, checked: picks.has(item.id) });
  box.addEventListener("change", () => onPick(item.id, box.checked));
  return h("tr", { "data-id": item.id, class: classes.join(" ").trim() || null },
    h("td", {}, box),
    h("td", { class: "num" }, index + 1),
    h("th", { scope: "row", class: "model" }, item.model_name,
      h("span", { class: "sub" }, item.provider, " ", configuredBadge(item.configured),
        marks.cheapest === item ? h("span", { class: "badge good" }, "cheapest") : null,
        marks.value === item ? h("span", { class: "badge info" }, "best value") : null)),
    h("td", { class: "num cost" }, item.total_cost === 0 ? "free" : usd(item.total_cost),
      item.total_cost === 0 ? h("span", { class: "sub" }, "runs locally")
        : h("span", { class: "sub" }, `in ${usd(item.input_cost)} + out ${usd(item.output_cost)}`),
      outputNote(item)),
    h("td", { class: "num" }, tokens(item)),
    h("td", {}, tier(item)),
    h("td", { class: "num" }, ...scoreCell(scoreOf(modelsById.get(item.id), benchmark))));
}

function highlight(kind, title, item, detail) {
  return h("div", { class: `pick ${kind}`, id: `pick-${kind}` },
    h("strong", {}, title), h("span", { class: "model" }, item.id), " ", detail);
}

/** Render the highlights, the table and its caption for one ranking answer. */
export function renderRanking(nodes, answer, context) {
  const items = answer.data;
  const marks = { cheapest: cheapest(items), value: bestValue(items, context.modelsById, context.benchmark) };
  // Collapsed: the cheapest rows, plus any picked model further down.
  const shown = items.map((item, i) => [item, i])
    .filter(([item, i]) => context.expanded || i < COLLAPSED_ROWS || context.picks.has(item.id));
  replace(nodes.table.tBodies[0], shown.map(([item, i]) => row(item, i, { ...context, marks })));
  const cheap = marks.cheapest, value = marks.value;
  replace(nodes.highlights,
    cheap && highlight("cheapest", "Cheapest", cheap,
      `${usd(cheap.total_cost)}${cheap.configured ? "" : " (not configured here)"}`),
    value && highlight("value", `Best value on ${benchmarkName(context.benchmark)}`, value,
      `${score(scoreOf(context.modelsById.get(value.id), context.benchmark))} for ${usd(value.total_cost)}`));
  const given = items.find((item) => item.output_basis?.kind === "given");
  const predicted = items.filter((item) => item.output_basis?.kind === "history").length;
  const output = given ? `${count(given.expected_output_tokens)} output tokens`
    : `each model's predicted output (${predicted} of ${items.length} have enough history; the others input only)`;
  const excluded = answer.excluded.context_window, free = items.filter((item) => item.total_cost === 0).length;
  nodes.caption.textContent = `${items.length} models, cheapest first, for ${count(answer.estimated_tokens)} ` +
    `input tokens (o200k count) and ${output}.` +
    (free ? ` The first ${free} are free: they run on your own hardware.` : "") +
    (excluded ? ` ${excluded} left out: their context window cannot hold the request.` : "");
  nodes.more.hidden = items.length <= COLLAPSED_ROWS;
  nodes.more.textContent = context.expanded ? `Show the first ${COLLAPSED_ROWS}` : `Show all ${items.length}`;
}

/** Clear the ranking with a message. */
export function clearRanking(nodes, message) {
  replace(nodes.table.tBodies[0]);
  replace(nodes.highlights);
  nodes.caption.textContent = message;
  nodes.more.hidden = true;
}
