// Copy the front-end libraries installed by `npm ci` into the web app's static folder.
// The copies are build output (gitignored): `make install` runs this after `npm ci`,
// so the pages never load anything from a CDN.
import { copyFileSync, mkdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const target = join(root, "src/voronka/web/static/vendor");
const files = {
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  "sortablejs/Sortable.min.js": "Sortable.min.js",
  "chart.js/dist/chart.umd.min.js": "chart.umd.min.js",
  // The minified file names its source map; collectstatic's manifest storage insists it exists.
  "chart.js/dist/chart.umd.min.js.map": "chart.umd.min.js.map",
};

mkdirSync(target, { recursive: true });
const versions = {};
for (const [source, name] of Object.entries(files)) {
  const from = join(root, "node_modules", source);
  copyFileSync(from, join(target, name));
  const pkg = source.split("/")[0];
  versions[pkg] = JSON.parse(readFileSync(join(root, "node_modules", pkg, "package.json"))).version;
}
console.log(`vendor: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")} -> ${target}`);
