// Bundles each widget module (one per Python widget class) into ../arraylake_nb/widgets/static/.
// Run through `npm run build`; `pip install .` runs it from hatch_build.py.
import * as esbuild from "esbuild";
import { mkdirSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outdir = join(here, "..", "arraylake_nb", "widgets", "static");
// One entry per widget: each top-level src/<name>.ts -> static/<name>.js (hatch_build.py lists
// them the same way; components/ and shared/ are imported by the entries).
export const WIDGETS = readdirSync(join(here, "src"))
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".d.ts"))
  .map((f) => f.slice(0, -3));

mkdirSync(outdir, { recursive: true });
const options = {
  entryPoints: WIDGETS.map((name) => join(here, "src", `${name}.ts`)),
  outdir,
  bundle: true,
  format: "esm",
  target: "es2020",
  minify: !process.argv.includes("--watch"),
  sourcemap: false,
  legalComments: "none",
  logLevel: "info",
};
if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context(options);
  await ctx.watch();
} else {
  await esbuild.build(options);
}
