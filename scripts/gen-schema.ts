/**
 * Writes schema/model-zoo.schema.json from src/manifest/json-schema.ts (the source of truth).
 *   npx tsx scripts/gen-schema.ts           write the file
 *   npx tsx scripts/gen-schema.ts --check   exit 1 when the committed file is stale
 */
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { renderJsonSchema } from "../src/manifest/json-schema.js";

const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../schema/model-zoo.schema.json");
const text = renderJsonSchema();

if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(out, "utf8");
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    console.error(`${path.relative(process.cwd(), out)} is stale: run npx tsx scripts/gen-schema.ts`);
    process.exit(1);
  }
  console.log(`${path.relative(process.cwd(), out)} is up to date`);
} else {
  writeFileSync(out, text);
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}
