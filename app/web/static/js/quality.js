// Published quality scores: which benchmarks the catalog has, and a model's score on one.

const NAMES = {
  mmlu: "MMLU", mmlu_pro: "MMLU-Pro", gpqa_diamond: "GPQA Diamond",
  swe_bench_verified: "SWE-bench Verified", terminal_bench_2_0: "Terminal-Bench 2.0",
  terminal_bench_2_1: "Terminal-Bench 2.1", lmarena_text: "LMArena text",
};

/** A benchmark's display name. */
export function benchmarkName(key) {
  return NAMES[key] || key;
}

/** Benchmarks in the catalog, most widely scored first: [{key, models}]. */
export function benchmarks(models) {
  const counts = new Map();
  for (const model of models) {
    for (const key of Object.keys(model.quality || {})) counts.set(key, (counts.get(key) || 0) + 1);
  }
  return [...counts].map(([key, n]) => ({ key, models: n }))
    .sort((a, b) => b.models - a.models || a.key.localeCompare(b.key));
}

/** The model's published score on a benchmark ({score, scale, source, date}), or null. */
export function scoreOf(model, benchmark) {
  return (model && model.quality && model.quality[benchmark]) || null;
}
