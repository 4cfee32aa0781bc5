// Runs the guide's browser search (finder.js + MiniSearch) over a bundle and a list of queries,
// and prints, as JSON, the codes of the first results of each query and the time taken.
// Usage: node finder_eval.cjs BUNDLE.json QUERIES.json  (QUERIES: [[query, field|null], ...])
"use strict";
const fs = require("fs");
const path = require("path");
const { performance } = require("perf_hooks");

module.paths.push(path.resolve(__dirname, "..", "..", "node_modules"));
const finder = require("../../kiosk/static/guide/finder.js");

const bundle = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const queries = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const built = performance.now();
const index = finder.create(bundle);
const buildMs = performance.now() - built;
const out = [];
const times = [];
for (const [q, field] of queries) {
  const start = performance.now();
  const found = index.search(q, field, 10);
  times.push(performance.now() - start);
  out.push({
    q,
    codes: found.results.map((p) => p.code),
    did_you_mean: found.didYouMean,
    suggestion_only: found.suggestionOnly,
  });
}
process.stdout.write(JSON.stringify({ results: out, times_ms: times, build_ms: buildMs }));
