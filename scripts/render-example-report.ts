/**
 * Writes docs/examples/report.md: the markdown report of the 13-model fixture zoo
 * (test/support/results-fixture.ts), rendered by src/report/markdown.ts. Deterministic; a test
 * (test/report-markdown.test.ts) fails when the file is out of date.
 *
 *   npx tsx scripts/render-example-report.ts
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EXAMPLE_REPORT_PATH, exampleReport } from "../test/support/results-fixture.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, EXAMPLE_REPORT_PATH);
writeFileSync(out, exampleReport());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
