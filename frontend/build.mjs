// Copies the built distributions of the npm packages into Django's static folder.
// The packages ship minified builds; copying them is the whole build (no bundler needed).
import { copyFileSync, mkdirSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "src/tiendo/web/static/vendor");
const files = {
  "bootstrap/dist/css/bootstrap.min.css": "bootstrap.min.css",
  "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js",
  "htmx.org/dist/htmx.min.js": "htmx.min.js",
  "echarts/dist/echarts.min.js": "echarts.min.js",
};
mkdirSync(out, { recursive: true });
for (const [from, to] of Object.entries(files)) {
  const source = join(root, "node_modules", from);
  if (!existsSync(source)) {
    console.error(`missing ${source}: run "npm ci" first`);
    process.exit(1);
  }
  copyFileSync(source, join(out, to));
  console.log(`static/vendor/${to} <- ${from}`);
}
