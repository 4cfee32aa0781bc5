// Decode an ESC/POS job with npos (an ESC/POS parser on npm that motcua does not otherwise use),
// for bench/verify_ticket.py: node npos_decode.cjs JOB.escpos OUT.pbm -> JSON on stdout.
//
// npos's own raster codec stacks every GS v 0 command of a job at the width of the widest one,
// which garbles jobs whose images differ in width (ours do: white bands are one byte wide).
// So each GS v 0 command is decoded on its own with npos's codec and the pieces are stacked
// here, left-aligned, as a printer prints them. npos has no rule for GS ( k (2-D codes): one is
// added, so that compact jobs (native QR code) parse too.
"use strict";
const fs = require("fs");
const npos = require("npos");

const [, , input, output] = process.argv;
const raw = fs.readFileSync(input);
const rules = JSON.parse(JSON.stringify(npos.rules));
rules[npos.symbols.GS]["(k"] = [0, "d16"];
const ast = npos.parser(rules).analyze(raw);
if (ast.error) {
  console.log(JSON.stringify({ error: String(ast.error.message || ast.error) }));
  process.exit(2);
}
const bands = [];
const texts = [];
const commands = {};
for (const node of ast.tree) {
  const name = node.ascii + (node.fn || "");
  commands[name] = (commands[name] || 0) + 1;
  if (name === "GSv0") {
    bands.push(npos.codecs.raster.decode(raw, [{ offset: node.offset }]));
  } else if (name === "STX") {
    const text = raw.slice(node.offset, node.offset + node.length).toString("latin1").trim();
    if (text) texts.push(text);
  }
}
const width = Math.max(8, ...bands.map((b) => b.width));
const height = bands.reduce((h, b) => h + b.height, 0);
const rowBytes = Math.ceil(width / 8);
const pixels = Buffer.alloc(rowBytes * height); // PBM: 1 = black
let top = 0;
for (const band of bands) {
  for (let y = 0; y < band.height; y++) {
    for (let x = 0; x < band.width; x++) {
      if (band.getPixel(x, y) === 0) pixels[(top + y) * rowBytes + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  top += band.height;
}
fs.writeFileSync(output, Buffer.concat([Buffer.from(`P4\n${width} ${height}\n`), pixels]));
console.log(JSON.stringify({ rasters: bands.length, width, height, texts, commands }));
