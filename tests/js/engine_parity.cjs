// Runs the guide's in-browser wizard (engine.js) on every case of CASES and prints the results
// as JSON, for comparison with the server's. Usage: node engine_parity.cjs BUNDLE.json CASES.json
// (CASES: [{code, answers, unsure, day, pages, copies}, ...]).
"use strict";
const fs = require("fs");
const engine = require("../../kiosk/static/guide/engine.js");

const bundle = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
const cases = JSON.parse(fs.readFileSync(process.argv[3], "utf8"));
const byCode = new Map(bundle.procedures.map((p) => [p.code, p]));
const out = cases.map((c) => {
  const p = byCode.get(c.code);
  return {
    checklist: engine.checklist(p, c.answers, { unsure: c.unsure, day: c.day, pages: c.pages, copies: c.copies }),
    fee_lines: engine.feeLines(p.fee, c.day),
  };
});
process.stdout.write(JSON.stringify(out));
