// Published quality scores: which benchmarks the catalog has, and a model's score on one.

import { h } from "./dom.js";
import { score } from "./format.js";

const NAMES = {
  mmlu: "MMLU", mmlu_pro: "MMLU-Pro", gpqa_diamond: "GPQA Diamond",
  swe_bench_verified: "SWE-bench Verified", terminal_bench_2_0: "Terminal-Bench 2.0",
  terminal_bench_2_1: "Terminal-Bench 2.1", lmarena_text: "LMArena text",
  lmarena_webdev: "LMArena WebDev",
};

/** A benchmark's display name. */
export function benchmarkName(key) {
  return NAMES[key] || key;
}

/** Benchmarks in the catalog: percent-scale ones first (points per dollar means something
 * only on a percent scale, not on an arena rating), each group most widely scored first:
 * [{key, models, scale}]. */
export function benchmarks(models) {
  const counts = new Map(), scales = new Map();
  for (const model of models) {
    for (const [key, score] of Object.entries(model.quality || {})) {
      counts.set(key, (counts.get(key) || 0) + 1);
      scales.set(key, score.scale);
    }
  }
  const rank = (key) => (scales.get(key) === "percent" ? 0 : 1);
  return [...counts].map(([key, n]) => ({ key, models: n, scale: scales.get(key) }))
    .sort((a, b) => rank(a.key) - rank(b.key) || b.models - a.models || a.key.localeCompare(b.key));
}

/** The model's published score on a benchmark ({score, scale, source, date}), or null. */
export function scoreOf(model, benchmark) {
  return (model && model.quality && model.quality[benchmark]) || null;
}

/** A quality cell's content: the score and, where the model's API name now serves another
 * checkpoint than the scored one, which (a score is never shown without that mark). */
export function scoreCell(quality) {
  const moved = quality && quality.served_as;
  if (!moved) return [score(quality)];
  return [score(quality), h("span", { class: "sub served-as", title: `since ${moved.since}: ${moved.source}` },
    `retired checkpoint; now serves ${moved.model}`)];
}
