// Answers side by side: one card per model, filled as `delta` and `result` events arrive.

import { h, replace } from "./dom.js";
import { count, duration, usd } from "./format.js";

// error.type in words; the vendor's own message (keys redacted by the service) follows.
const ERROR_WORDS = {
  not_configured: "This provider is not configured on the service (it holds no key for it).",
  timeout: "No answer before the deadline.",
  connection_error: "Could not reach the vendor.",
  http_error: "The vendor refused or failed the request.",
  bad_response: "The vendor's answer could not be read.",
  response_too_large: "The vendor's answer was too large.",
  vendor_busy: "Too many calls to this vendor at once; try again shortly.",
  cancelled: "Cancelled before it was sent.",
};

/** A failed item's error as a sentence a person can act on. */
export function describeError(error) {
  if (!error) return "Failed.";
  const lead = ERROR_WORDS[error.type] || "The call failed.";
  const status = error.status ? ` (HTTP ${error.status})` : "";
  const retry = error.retryable ? " Retrying later may work." : "";
  return `${lead}${status} ${error.message || ""}${retry}`.replace(/\s+/g, " ").trim();
}

function tokensLine(item) {
  if (item.input_tokens === null) return "–";
  const extra = [item.cached_tokens ? `${count(item.cached_tokens)} cached` : "",
                 item.reasoning_tokens ? `${count(item.reasoning_tokens)} reasoning` : ""].filter(Boolean);
  const estimated = item.usage_reported === false ? " (the vendor reported none: our estimate)" : "";
  return `${count(item.input_tokens)} in, ${count(item.output_tokens)} out` +
    (extra.length ? ` (${extra.join(", ")})` : "") + estimated;
}

function costLine(item) {
  if (item.cached) return `${usd(item.actual_cost)} (from the answer cache)`;
  if (!item.success) return `${usd(item.actual_cost)} (failed calls cost nothing)`;
  return usd(item.actual_cost) + (item.cost_basis === "estimated" ? " (estimated)" : " (billed usage × list prices)");
}

class Card {
  constructor(id, model) {
    this.state = h("p", { class: "state" }, "Waiting for an answer…");
    this.text = h("pre", { class: "text", hidden: true });
    this.error = h("p", { class: "error", hidden: true });
    this.facts = h("dl");
    this.node = h("article", { class: "answer", "data-id": id, "aria-busy": "true" },
      h("h3", {}, model ? model.model_name : id, h("span", { class: "sub" }, id)),
      this.state, this.text, this.error, this.facts);
    this.streamed = "";
  }

  delta(text) {
    this.streamed += text;
    this.text.textContent = this.streamed;
    this.text.hidden = false;
    this.state.textContent = "Streaming…";
  }

  result(item, estimate) {
    this.node.removeAttribute("aria-busy");
    this.node.dataset.outcome = item.success ? "ok" : "failed";
    this.state.className = `state ${item.success ? "ok" : "failed"}`;
    const reason = item.finish_reason ? ` (${item.finish_reason})` : "";
    this.state.textContent = item.success ? `Answered${reason}` : "Failed";
    if (item.success) {
      this.text.textContent = item.response ?? this.streamed;
      this.text.hidden = false;
    } else {
      this.error.textContent = describeError(item.error);
      this.error.hidden = false;
    }
    const facts = [["Latency", duration(item.latency_ms)], ["Tokens billed", tokensLine(item)],
      ["Input estimated", count(item.estimated_input_tokens)], ["Actual cost", costLine(item)]];
    if (estimate !== undefined) facts.push(["Ranked estimate", usd(estimate)]);
    replace(this.facts, facts.map(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]));
  }

  unanswered(message) {
    if (!this.node.hasAttribute("aria-busy")) return;
    this.node.removeAttribute("aria-busy");
    this.state.className = "state failed";
    this.state.textContent = message;
  }
}

/** The answers area for one send at a time. */
export class AnswerBoard {
  constructor(host, summary) {
    this.host = host;
    this.summary = summary;
    this.cards = new Map();
  }

  start(ids, modelsById, estimates) {
    this.cards = new Map(ids.map((id) => [id, new Card(id, modelsById.get(id))]));
    this.modelsById = modelsById;
    this.estimates = estimates;
    replace(this.host, [...this.cards.values()].map((card) => card.node));
    this.summary.textContent = `Waiting for ${ids.length} answers…`;
  }

  card(id) {
    if (!this.cards.has(id)) {   // a model the request did not list by this id
      this.cards.set(id, new Card(id, this.modelsById.get(id)));
      this.host.append(this.cards.get(id).node);
    }
    return this.cards.get(id);
  }

  event(name, data) {
    if (name === "delta") this.card(data.id).delta(data.text);
    else if (name === "result") this.card(data.id).result(data, this.estimates.get(data.id));
    else if (name === "done") {
      this.summary.textContent = `${data.count} answers in ${duration(data.wall_ms)}; ` +
        `total actual cost ${usd(data.total_cost)}.`;
    }
  }

  end(message) {
    for (const card of this.cards.values()) card.unanswered(message);
  }
}
