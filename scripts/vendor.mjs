// Copies the front-end packages installed by `npm ci` to kiosk/static/vendor/, where the server
// serves them. Kiosks and displays then work with no internet. Run by `npm run build`.
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "kiosk", "static", "vendor");
const mod = (...p) => join(root, "node_modules", ...p);

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, "fonts", "be-vietnam-pro", "files"), { recursive: true });

cpSync(mod("socket.io-client", "dist", "socket.io.min.js"), join(out, "socket.io.min.js"));
cpSync(mod("chart.js", "dist", "chart.umd.min.js"), join(out, "chart.umd.min.js"));
// The guide searches and keeps its usage counts in the browser while a support point is offline.
cpSync(mod("minisearch", "dist", "umd", "index.js"), join(out, "minisearch.js"));
cpSync(mod("idb-keyval", "dist", "umd.js"), join(out, "idb-keyval.js"));

// Be Vietnam Pro: the Vietnamese, Latin and Latin-extended subsets of the weights we use.
const font = mod("@fontsource", "be-vietnam-pro");
const weights = ["400", "500", "600", "700", "800"];
const css = [];
for (const w of weights) {
  const text = readFileSync(join(font, `${w}.css`), "utf8");
  css.push(text);
  for (const m of text.matchAll(/url\(\.\/files\/([^)]+)\)/g)) {
    cpSync(join(font, "files", m[1]), join(out, "fonts", "be-vietnam-pro", "files", m[1]));
  }
}
writeFileSync(join(out, "fonts", "be-vietnam-pro", "font.css"), css.join("\n"));

const versions = Object.fromEntries(
  ["socket.io-client", "chart.js", "@fontsource/be-vietnam-pro", "minisearch", "idb-keyval"].map((name) => [
    name,
    JSON.parse(readFileSync(mod(...name.split("/"), "package.json"), "utf8")).version,
  ]),
);
writeFileSync(join(out, "VERSIONS.json"), JSON.stringify(versions, null, 2) + "\n");
console.log("vendor files written to kiosk/static/vendor:", versions);
