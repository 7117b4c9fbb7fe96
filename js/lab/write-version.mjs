// Writes src/_version.ts from package.json, so the sidebar knows which version it was built as
// (it compares it with the server extension's GET version). The file is generated, not committed.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const { version } = JSON.parse(readFileSync(join(here, "package.json"), "utf8"));
writeFileSync(join(here, "src", "_version.ts"), `export const VERSION = ${JSON.stringify(version)};\n`);
