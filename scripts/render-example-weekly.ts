/**
 * Writes docs/examples/weekly-issue.md: the rolling weekly issue as the bot posts it in week 2 of
 * the simulated scenario (test/support/weekly-scenario.ts: a drifted Llama-3.1-8B downgrades a
 * required pair, gpt-oss-20b became gated), rendered by src/github/weekly-issue.ts. Deterministic;
 * test/github-weekly.test.ts fails when the file is out of date (and checks that the three-week
 * run against the local GitHub server posts exactly this body).
 *
 *   npx tsx scripts/render-example-weekly.ts
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { EXAMPLE_WEEKLY_PATH, exampleWeeklyIssue } from "../test/support/weekly-scenario.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const out = path.join(root, EXAMPLE_WEEKLY_PATH);
writeFileSync(out, exampleWeeklyIssue());
console.log(`wrote ${path.relative(process.cwd(), out)}`);
