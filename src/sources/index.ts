/**
 * The run context every command shares: one fetch layer (limit, retries, counters), one disk cache,
 * the Hub URL and token (HF_TOKEN / HF_ENDPOINT / --token / --hub-url), and a source per model.
 */
import path from "node:path";
import { DiskCache } from "../net/cache.js";
import { FetchLayer, type FetchFn } from "../net/fetch.js";
import { registerSecret } from "../util/errors.js";
import { DEFAULT_HUB_URL, HubSource } from "./hub.js";
import { LocalSource } from "./local.js";
import type { ModelSource } from "./types.js";

export interface RunOptions {
  hubUrl?: string | null;
  token?: string | null;
  cacheDir?: string | null;
  concurrency?: number;
  retries?: number;
  timeoutMs?: number;
  stallTimeoutMs?: number;
  deadlineMs?: number;
  backoffBaseMs?: number;
  maxRetryAfterMs?: number;
  fetch?: FetchFn;
  env?: NodeJS.ProcessEnv;
}

export interface RunContext {
  hubUrl: string;
  token?: string;
  layer: FetchLayer;
  cache: DiskCache;
}

/** Resolve the hub URL and token from options then environment, and build the shared layer. */
export function createRunContext(opts: RunOptions = {}): RunContext {
  const env = opts.env ?? process.env;
  const hubUrl = (opts.hubUrl || env.HF_ENDPOINT || DEFAULT_HUB_URL).replace(/\/+$/, "");
  const token = (opts.token || env.HF_TOKEN || env.HUGGING_FACE_HUB_TOKEN || "").trim() || undefined;
  registerSecret(token);
  const layer = new FetchLayer({
    fetch: opts.fetch,
    concurrency: opts.concurrency,
    retries: opts.retries,
    timeoutMs: opts.timeoutMs,
    stallTimeoutMs: opts.stallTimeoutMs,
    deadlineMs: opts.deadlineMs,
    backoffBaseMs: opts.backoffBaseMs,
    maxRetryAfterMs: opts.maxRetryAfterMs,
    token,
    authOrigin: hubUrl,
  });
  const cacheDir = opts.cacheDir === undefined ? (env.STANDIN_CACHE_DIR ?? null) : opts.cacheDir;
  return { hubUrl, token, layer, cache: new DiskCache(cacheDir ? path.resolve(cacheDir) : null) };
}

export interface SourceSpec {
  /** Manifest id (display and error context). */
  id: string;
  /** Hub repo "ns/name", or null for local. */
  repo: string | null;
  /** Absolute local directory, or null for hub. */
  local: string | null;
  revision: string;
}

export function createSource(spec: SourceSpec, ctx: RunContext): ModelSource {
  if (spec.local) return new LocalSource(spec.id, spec.local);
  if (!spec.repo) throw new Error(`model ${spec.id} has neither a repo nor a local path`);
  return new HubSource(spec.id, spec.repo, spec.revision, {
    layer: ctx.layer,
    hubUrl: ctx.hubUrl,
    token: ctx.token,
    cache: ctx.cache,
  });
}
