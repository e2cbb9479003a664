// Cost (log scale) against quality for the current prompt, drawn as SVG, with the Pareto frontier.

import { s, replace } from "./dom.js";
import { usd } from "./format.js";
import { benchmarkName, scoreOf } from "./quality.js";
import { paretoFrontier } from "./pareto.js";

const MARGIN = { top: 16, right: 24, bottom: 44, left: 52 };

/** Ticks on the log axis: powers of ten, and 2x and 5x between them when under two decades show. */
function costTicks(low, high) {
  const steps = high - low < 2 ? [1, 2, 5] : [1];
  const ticks = [];
  for (let k = Math.floor(low); k <= Math.ceil(high); k++) {
    for (const m of steps) {
      const value = m * Math.pow(10, k), at = Math.log10(value);
      if (at >= low && at <= high) ticks.push(value);
    }
  }
  return ticks;
}

/** A tick's dollars without trailing zeros ($0.0002; JavaScript's own exponent below a millionth). */
const tickUsd = (value) => `$${Number(value.toPrecision(2))}`;

function logDomain(costs) {
  let low = Math.log10(Math.min(...costs)), high = Math.log10(Math.max(...costs));
  if (high - low < 1) [low, high] = [low - 0.5, high + 0.5];
  return [low - 0.15, high + 0.15];
}

function qualityDomain(values, scale) {
  let low = Math.min(...values), high = Math.max(...values);
  const pad = Math.max((high - low) * 0.1, scale === "elo" ? 20 : 2);
  low -= pad; high += pad;
  if (scale !== "elo") [low, high] = [Math.max(0, low), Math.min(100, high)];
  return [low, high];
}

function ticks(low, high, n) {
  const step = Math.pow(10, Math.floor(Math.log10((high - low) / n)));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((u) => (high - low) / u <= n) || step * 10;
  const out = [];
  for (let v = Math.ceil(low / unit) * unit; v <= high; v += unit) out.push(Number(v.toFixed(6)));
  return out;
}

/**
 * Points for this ranking on a benchmark: billed models with a score, [{id, name, cost, quality, configured}];
 * also how many are free (a log axis has no 0, and they need your own hardware) or lack a score.
 */
export function scatterPoints(items, modelsById, benchmark) {
  const points = [];
  let free = 0, unscored = 0;
  for (const item of items) {
    const quality = scoreOf(modelsById.get(item.id), benchmark);
    if (item.total_cost === 0) free += 1;
    else if (!quality) unscored += 1;
    else points.push({ id: item.id, name: item.model_name, cost: item.total_cost,
                       quality: quality.score, scale: quality.scale, configured: item.configured });
  }
  return { points, free, unscored };
}

/** Draw the chart into `host` at its current width; return the frontier (cheapest first). */
export function drawScatter(host, points, benchmark) {
  const width = Math.max(300, Math.round(host.clientWidth || 720));
  const height = Math.round(Math.min(440, Math.max(260, width * 0.5)));
  const frontier = paretoFrontier(points);
  const onFrontier = new Set(frontier.map((p) => p.id));
  const [xLow, xHigh] = logDomain(points.map((p) => p.cost));
  const [yLow, yHigh] = qualityDomain(points.map((p) => p.quality), points[0]?.scale);
  const x = (cost) => MARGIN.left + (Math.log10(cost) - xLow) / (xHigh - xLow) * (width - MARGIN.left - MARGIN.right);
  const y = (q) => height - MARGIN.bottom - (q - yLow) / (yHigh - yLow) * (height - MARGIN.top - MARGIN.bottom);
  const bottom = height - MARGIN.bottom;

  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img",
                         "aria-labelledby": "scatter-caption" });
  for (const value of costTicks(xLow, xHigh)) {
    const px = x(value);
    svg.append(s("line", { class: "chart-grid", x1: px, x2: px, y1: MARGIN.top, y2: bottom }),
      s("text", { class: "chart-label", x: px, y: bottom + 14, "text-anchor": "middle" }, tickUsd(value)));
  }
  for (const q of ticks(yLow, yHigh, 5)) {
    svg.append(s("line", { class: "chart-grid", x1: MARGIN.left, x2: width - MARGIN.right, y1: y(q), y2: y(q) }),
      s("text", { class: "chart-label", x: MARGIN.left - 6, y: y(q) + 4, "text-anchor": "end" }, q));
  }
  svg.append(
    s("line", { class: "chart-axis", x1: MARGIN.left, x2: width - MARGIN.right, y1: bottom, y2: bottom }),
    s("line", { class: "chart-axis", x1: MARGIN.left, x2: MARGIN.left, y1: MARGIN.top, y2: bottom }),
    s("text", { class: "chart-title", x: (MARGIN.left + width) / 2, y: height - 8, "text-anchor": "middle" },
      "Cost of this prompt (USD, log scale)"),
    s("text", { class: "chart-title", x: 12, y: (MARGIN.top + bottom) / 2, "text-anchor": "middle",
                transform: `rotate(-90 12 ${(MARGIN.top + bottom) / 2})` }, benchmarkName(benchmark)));
  if (frontier.length > 1) {
    // A staircase: from each frontier model, along at its quality to the next one's cost, then up.
    const steps = frontier.map((p, i) => i ? `H${x(p.cost).toFixed(1)} V${y(p.quality).toFixed(1)}`
      : `M${x(p.cost).toFixed(1)} ${y(p.quality).toFixed(1)}`);
    svg.append(s("path", { class: "frontier-line", d: steps.join(" ") }));
  }
  // Frontier dots last, on top of any model at the same cost and score.
  const ordered = [...points.filter((p) => !onFrontier.has(p.id)), ...frontier];
  for (const p of ordered) {
    const classes = ["dot", onFrontier.has(p.id) ? "frontier" : "", p.configured ? "configured" : ""];
    svg.append(s("circle", { class: classes.join(" ").trim(), cx: x(p.cost), cy: y(p.quality), r: 5,
                             "data-id": p.id },
      s("title", {}, `${p.id}: ${usd(p.cost)}, ${p.quality}${p.configured ? "" : " (not configured)"}`)));
  }
  for (const p of frontier) {
    const right = x(p.cost) > width * 0.7;
    svg.append(s("text", { class: "point-label", x: x(p.cost) + (right ? -8 : 8), y: y(p.quality) - 7,
                           "text-anchor": right ? "end" : "start" }, p.name));
  }
  replace(host, svg);
  return frontier;
}
