#!/usr/bin/env node
/** CLI entry point (bundled to dist/cli/index.js, the `standin` bin). */
import { EXIT_GATE, main } from "./main.js";

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`standin: ${String(e)}\n`);
    process.exitCode = EXIT_GATE;
  },
);
