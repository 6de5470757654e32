/**
 * Messages between the thread that reads models (the main thread) and the analysis workers that
 * parse and build them (src/workers/pool.ts, src/workers/worker.ts). One session per model.
 */
import { isMainThread, workerData } from "node:worker_threads";
import type { Extras, ShardPlan } from "../fingerprint/acquire.js";
import type { NetStats, SourceMeta } from "../fingerprint/build.js";
import type { Finding, Fingerprint } from "../fingerprint/types.js";
import type { EngineGaps } from "../integrity/engine-gaps.js";
import type { IntegrityBase } from "../integrity/checks.js";
import { FormatError, StandinError, type ErrorInfo } from "../util/errors.js";

/** Marks a worker thread started by the pool (the bundles start their own file as the worker). */
export const WORKER_MARK = "standinAnalysisWorker";

/** Whether this thread was started by the pool as an analysis worker. */
export function isAnalysisWorker(): boolean {
  return !isMainThread && !!(workerData as Record<string, unknown> | null)?.[WORKER_MARK];
}

export type ToWorker =
  | { t: "index"; sid: number; model: string; file: string; bytes: Uint8Array }
  | { t: "header"; sid: number; model: string; shard: string; headerLength: number; fileSize: number | null; json: Uint8Array }
  | { t: "finish"; sid: number; ex: Extras; net: NetStats; meta: SourceMeta; supported: readonly string[] | null }
  | { t: "drop"; sid: number };

export type FromWorker =
  | { t: "index"; sid: number; ok: true; shards: string[]; plan: Record<string, ShardPlan>; findings: Finding[] }
  | { t: "parsed"; sid: number; shard: string; ok: true; tensors: number }
  | { t: "done"; sid: number; ok: true; fp: Fingerprint; base: IntegrityBase; gaps: EngineGaps | null }
  | { t: "index" | "parsed" | "done"; sid: number; shard?: string; ok: false; error: SerializedError };

export interface SerializedError extends ErrorInfo {
  /** A FormatError, or any other error (workers never touch the network: no HubError here). */
  kind: "format" | "standin";
}

/** An error as it crosses the thread boundary: its class, code, message, model, file and hint. */
export function serializeError(err: unknown): SerializedError {
  if (err instanceof StandinError) {
    return { kind: err instanceof FormatError ? "format" : "standin", code: err.code, message: err.message, model: err.model, file: err.file, hint: err.hint };
  }
  return { kind: "standin", code: "internal", message: err instanceof Error ? err.message : String(err) };
}

/** The same error on this side (a FormatError stays a FormatError: integrity reads its code). */
export function deserializeError(e: SerializedError): StandinError {
  const ctx = { model: e.model, file: e.file, hint: e.hint };
  return e.kind === "format" ? new FormatError(e.code, e.message, ctx) : new StandinError(e.code, e.message, ctx);
}
