// How numbers read on the page: exact values from the API, formatted only here.

/** USD, with enough decimals to show three significant digits of small amounts. */
export function usd(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (value === 0) return "$0";
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.min(12, Math.max(2, 2 - magnitude));
  return "$" + value.toFixed(decimals);
}

/** A USD price per million tokens. */
export function perMtok(value) {
  return value === null || value === undefined ? "–" : "$" + Number(value.toFixed(4)).toString();
}

/** A whole count with thousands separators. */
export function count(value) {
  return value === null || value === undefined ? "–" : Math.round(value).toLocaleString("en-US");
}

/** A duration from milliseconds. */
export function duration(ms) {
  if (ms === null || ms === undefined) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A context window: 128,000 tokens reads 128K, 1,050,000 reads 1.05M. */
export function tokensShort(value) {
  if (value >= 1e6) return `${Number((value / 1e6).toFixed(2))}M`;
  if (value >= 1e3) return `${Number((value / 1e3).toFixed(1))}K`;
  return String(value);
}

/** A quality score with its scale. */
export function score(quality) {
  if (!quality) return "–";
  return quality.scale === "elo" ? `${Math.round(quality.score)} Elo` : `${quality.score}%`;
}
