/**
 * The committed examples (docs/examples/) are what the code renders today.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { EXAMPLE_COMMENT_PATH, exampleComment } from "./support/example-comment.js";
import { REPO_ROOT } from "./support/corpus-files.js";
import path from "node:path";

it("docs/examples/pr-comment.md is up to date (npx tsx scripts/render-example-comment.ts)", async () => {
  const committed = readFileSync(path.join(REPO_ROOT, EXAMPLE_COMMENT_PATH), "utf8");
  const now = await exampleComment();
  expect(now).toBe(committed);
  expect(now.length).toBeLessThanOrEqual(65_536);
  expect(now.split("\n")[0]).toMatch(/^### .*standin/);
});
