// Spend over time from GET /api/usage (per UTC day), where the service offers it.

import { api } from "./api.js";
import { s, replace } from "./dom.js";
import { count, usd } from "./format.js";

const DAYS = 30;
const DAY_MS = 86400000;

const isoDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const dayOf = (row) => String(row.day ?? row.date ?? row.group ?? row.key ?? "").slice(0, 10);

/** The last DAYS UTC days, oldest first, each with the rows' calls and cost summed. */
export function dailySpend(rows, today) {
  const byDay = new Map();
  for (const row of rows) {
    const day = dayOf(row), known = byDay.get(day) || { calls: 0, cost: 0 };
    byDay.set(day, { calls: known.calls + Number(row.calls || 0), cost: known.cost + Number(row.cost || 0) });
  }
  const days = [];
  for (let i = DAYS - 1; i >= 0; i--) {
    const day = isoDay(today - i * DAY_MS);
    days.push({ day, ...(byDay.get(day) || { calls: 0, cost: 0 }) });
  }
  return days;
}

function drawBars(host, days) {
  const width = Math.max(300, Math.round(host.clientWidth || 720)), height = 180, bottom = height - 24;
  const most = Math.max(...days.map((d) => d.cost), 0) || 1;
  const step = (width - 16) / days.length;
  // Scales with its box (width 100%): drawn at one width, it still fits after the window narrows.
  const svg = s("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", height, role: "img",
                         preserveAspectRatio: "none", "aria-labelledby": "usage-note" });
  days.forEach((d, i) => {
    const barHeight = d.cost / most * (bottom - 12);
    svg.append(s("rect", { class: "bar", x: 8 + i * step + 1, y: bottom - barHeight, width: Math.max(1, step - 2),
                           height: barHeight }, s("title", {}, `${d.day}: ${usd(d.cost)}, ${count(d.calls)} calls`)));
  });
  svg.append(s("line", { class: "chart-axis", x1: 8, x2: width - 8, y1: bottom, y2: bottom }),
    s("text", { class: "chart-label", x: 8, y: height - 6 }, days[0].day),
    s("text", { class: "chart-label", x: width - 8, y: height - 6, "text-anchor": "end" }, days.at(-1).day));
  replace(host, svg);
}

/** The spend panel: loads once per call to load(), redraws at the current width on redraw(). */
export class UsagePanel {
  constructor(note, host) {
    this.note = note;
    this.host = host;
    this.days = null;
  }

  /** Load and draw; without /api/usage (404), say so and leave the chart out. */
  async load() {
    const today = Date.now();
    const query = `group_by=day&from=${isoDay(today - (DAYS - 1) * DAY_MS)}&to=${isoDay(today + DAY_MS)}`;
    try {
      const body = await api(`/api/usage?${query}`);
      this.days = dailySpend(body.data || [], today);
      const total = this.days.reduce((sum, d) => sum + d.cost, 0);
      const calls = this.days.reduce((sum, d) => sum + d.calls, 0);
      this.note.textContent = `${count(calls)} calls costing ${usd(total)} in the last ${DAYS} days (UTC), per day.`;
    } catch (error) {
      this.days = null;
      this.note.textContent = error.status === 404
        ? "Spend over time is not available: this service has no /api/usage endpoint (it comes with usage recording)."
        : `Spend over time could not be loaded: ${error.message}`;
    }
    this.redraw();
  }

  redraw() {
    this.host.hidden = !this.days;
    if (this.days) drawBars(this.host, this.days);
    else replace(this.host);
  }
}
