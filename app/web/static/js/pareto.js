// The Pareto frontier of cost against quality: the models no other model beats on both.

/**
 * Points ({cost, quality, ...}) that no other point matches or beats on cost while scoring higher,
 * cheapest first. Of two points with the same cost, only the better one can be on the frontier.
 */
export function paretoFrontier(points) {
  const ordered = [...points].sort((a, b) => a.cost - b.cost || b.quality - a.quality);
  const frontier = [];
  for (const point of ordered) {
    if (!frontier.length || point.quality > frontier[frontier.length - 1].quality) frontier.push(point);
  }
  return frontier;
}
