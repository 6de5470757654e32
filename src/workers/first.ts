/**
 * Imported first by every file that can run as the analysis worker (src/workers/entry.ts and the
 * bundles' entries, which are their own worker script): a worker lowers its priority before the rest
 * of the code is loaded. The pool starts the worker while the first models' configs and indexes are
 * being read; loading and compiling the analysis code (a few hundred ms of CPU) then takes what the
 * main thread's requests leave instead of competing with them.
 */
import { lowerThreadPriority } from "./nice.js";
import { isAnalysisWorker } from "./protocol.js";

if (isAnalysisWorker()) lowerThreadPriority();
