/**
 * Writes docs/examples/pr-comment.md (see test/support/example-comment.ts); a test fails when it
 * is out of date.   npx tsx scripts/render-example-comment.ts
 */
import { writeFileSync } from "node:fs";
import { EXAMPLE_COMMENT_PATH, exampleComment } from "../test/support/example-comment.js";

writeFileSync(EXAMPLE_COMMENT_PATH, await exampleComment());
console.log(`wrote ${EXAMPLE_COMMENT_PATH}`);
