/**
 * The analysis worker's scheduling priority. Kept apart from the worker's code (src/workers/worker.ts)
 * so that a worker can lower itself before that code is loaded (src/workers/first.ts).
 */
import { readlinkSync } from "node:fs";
import os from "node:os";

/** How much lower the worker's priority is than the process's (STANDIN_WORKER_NICE; 0 keeps it equal). */
export const WORKER_NICE = 10;

/** This thread's result, once it has been lowered (or left alone): a second call changes nothing. */
let lowered: { nice: number | null } | null = null;

/**
 * Lower this thread's scheduling priority, where a thread has one of its own (Linux; elsewhere
 * nothing happens). The main thread's network callbacks then get a core before the analysis does:
 * on a 2-core runner, a response that waits for a core keeps its connection slot, and with 16
 * slots per origin the reads of the whole zoo slow down. The worker catches up once the reads are
 * done. Returns the niceness set, or null when it was left alone. Once per thread: later calls
 * return the first call's result.
 */
export function lowerThreadPriority(by = Number(process.env["STANDIN_WORKER_NICE"] ?? WORKER_NICE)): number | null {
  if (lowered) return lowered.nice;
  lowered = { nice: lowerBy(by) };
  return lowered.nice;
}

function lowerBy(by: number): number | null {
  if (process.platform !== "linux" || !Number.isInteger(by) || by <= 0) return null;
  try {
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    // never the main thread: its id is the process's, and setpriority would renice all of it
    if (!Number.isInteger(tid) || tid <= 0 || tid === process.pid) return null;
    const nice = Math.min(19, os.getPriority(tid) + by);
    os.setPriority(tid, nice);
    return nice;
  } catch {
    return null;
  }
}
