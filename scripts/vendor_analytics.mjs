// Copy Chart.js installed by `npm ci` into the analytics pages' static folder.
// The copy is build output (gitignored): `make vendor` runs this after `npm ci`,
// so the pages never load anything from a CDN.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "src/voronka/web_analytics/static/web_analytics/vendor");
const files = {
  "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
  // The minified file names its source map; collectstatic's manifest storage insists it exists.
  "chart.js/dist/chart.umd.min.js.map": "chart.umd.min.js.map",
};

mkdirSync(target, { recursive: true });
for (const [source, name] of Object.entries(files)) {
  copyFileSync(join(root, "node_modules", source), join(target, name));
}
const version = JSON.parse(readFileSync(join(root, "node_modules/chart.js/package.json"))).version;
console.log(`vendor: chart.js ${version} -> ${target}`);
