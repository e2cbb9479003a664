// The catalog table: filter, sort, and mark the providers this service can call.

import { h, replace } from "./dom.js";
import { perMtok, tokensShort } from "./format.js";
import { scoreCell, scoreOf } from "./quality.js";

const SORT_VALUES = {
  id: (m) => m.id,
  provider: (m) => m.provider,
  input: (m) => m.input_price_per_mtok,
  output: (m) => m.output_price_per_mtok,
  quality: (m, benchmark) => scoreOf(m, benchmark)?.score ?? null,
  context: (m) => m.context_window,
};

/** The models that pass the filters (empty filters pass everything). */
export function filterModels(models, filters, benchmark) {
  const text = filters.text.trim().toLowerCase();
  return models.filter((m) =>
    (!text || m.id.toLowerCase().includes(text) || m.model_name.toLowerCase().includes(text)) &&
    (!filters.provider || m.provider === filters.provider) &&
    (!filters.configuredOnly || m.configured) &&
    (filters.maxPrice === null || m.input_price_per_mtok <= filters.maxPrice) &&
    (filters.minContext === null || m.context_window >= filters.minContext) &&
    (filters.minQuality === null || (scoreOf(m, benchmark)?.score ?? -Infinity) >= filters.minQuality));
}

/** A sorted copy; models without a value (no score) go last in either direction; ties by id. */
export function sortModels(models, key, direction, benchmark) {
  const value = SORT_VALUES[key];
  const sign = direction === "descending" ? -1 : 1;
  return [...models].sort((a, b) => {
    const x = value(a, benchmark), y = value(b, benchmark);
    if (x === null || y === null) return (x === null) - (y === null) || a.id.localeCompare(b.id);
    const order = typeof x === "string" ? x.localeCompare(y) : x - y;
    return sign * order || a.id.localeCompare(b.id);
  });
}

/** A "configured" or "not configured" badge for a model or provider. */
export function configuredBadge(configured) {
  return configured
    ? h("span", { class: "badge good" }, "configured")
    : h("span", { class: "badge warn", title: "The service holds no credentials for this provider: calls to it fail." },
        "not configured");
}

/** A badge for the price window in force ("peak" until 04:00 UTC), or null for a model with one price. */
export function priceWindow(model) {
  if (!model.price_window) return null;
  const label = model.price_window === "peak" ? "peak" : "off-peak";
  const until = model.price_changes_at ? ` until ${model.price_changes_at.slice(11, 16)} UTC` : "";
  return h("span", { class: `badge ${model.price_window === "peak" ? "warn" : "good"}`,
    title: `This vendor prices by time of day: its ${label} rate applies${until || " now"}.` }, label);
}

function row(model, view) {
  const quality = scoreOf(model, view.benchmark);
  const box = h("input", { type: "checkbox", "aria-label": `Send to ${model.id}`, checked: view.picks.has(model.id) });
  box.addEventListener("change", () => view.onPick(model.id, box.checked));
  return h("tr", { "data-id": model.id },
    h("td", {}, box),
    h("th", { scope: "row", class: "model" }, model.model_name, h("span", { class: "sub" }, model.id)),
    h("td", {}, model.provider, configuredBadge(model.configured)),
    h("td", { class: "num" }, perMtok(model.input_price_per_mtok)),
    h("td", { class: "num" }, perMtok(model.output_price_per_mtok), priceWindow(model)),
    h("td", { class: "num", title: quality ? `${quality.source} (${quality.date})` : null }, ...scoreCell(quality)),
    h("td", { class: "num" }, tokensShort(model.context_window)));
}

/** Render the table body, the caption and the headers' sort state (view: filters, sort, picks, onPick). */
export function renderCatalog(table, caption, models, view) {
  const shown = sortModels(filterModels(models, view.filters, view.benchmark), view.sort, view.direction,
                           view.benchmark);
  replace(table.tBodies[0], shown.map((m) => row(m, view)));
  for (const th of table.tHead.querySelectorAll("th[data-sort]")) {
    if (th.dataset.sort === view.sort) th.setAttribute("aria-sort", view.direction);
    else th.removeAttribute("aria-sort");
  }
  caption.textContent = `${shown.length} of ${models.length} models` +
    (shown.length ? ". Sort by a column with its header button." : ": none match the filters.");
}
