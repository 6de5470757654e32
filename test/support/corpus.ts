/**
 * Corpus helpers for tests: describeCorpus() skips a suite with a visible notice when the shared
 * zoo corpus is absent. File helpers live in corpus-files.ts (usable outside vitest).
 */
import { describe } from "vitest";
import { CORPUS_DIR, hasCorpus } from "./corpus-files.js";

export * from "./corpus-files.js";

let warned = false;
/** describe() when the corpus is present, describe.skip() with a notice otherwise. */
export const describeCorpus: typeof describe = ((name: string, fn: () => void) => {
  if (!hasCorpus) {
    if (!warned) {
      warned = true;
      console.warn(`[standin tests] zoo corpus not found at ${CORPUS_DIR}: corpus suites are SKIPPED`);
    }
    return describe.skip(`${name} (zoo corpus absent)`, fn);
  }
  return describe(name, fn);
}) as typeof describe;
