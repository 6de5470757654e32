#!/usr/bin/env node
/** CLI entry point (bundled to dist/cli/index.js, the `standin` bin; also the bundle's analysis worker). */
// First: an analysis worker lowers its priority before the rest of the bundle is loaded.
import "../workers/first.js";
import { buildCodeId } from "../util/code-id.js";
import { setWorkerEntry } from "../workers/pool.js";
import { isAnalysisWorker } from "../workers/protocol.js";
import { runAnalysisWorker } from "../workers/worker.js";
import { EXIT_GATE, main } from "./main.js";

if (isAnalysisWorker()) {
  runAnalysisWorker();
} else {
  // A bundle is its own worker script; from sources the pool starts src/workers/entry.ts.
  if (buildCodeId()) setWorkerEntry(import.meta.url);
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`standin: ${String(e)}\n`);
      process.exitCode = EXIT_GATE;
    },
  );
}
