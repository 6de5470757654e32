/**
 * One measured phase of the benchmark, in its own process (so that peak RSS is the phase's own).
 * argv[2]: path of a JSON PhaseSpec; the PhaseResult is written to spec.out.
 *
 * - standin:  the whole check (scanZoo + analyze via runCheck) against the local Hub, with a disk cache.
 * - fetch:    the acquisition stage only (acquire(): info, config, index, every shard header read and
 *             parsed into tensor records, in the analysis worker as scanZoo does) for every model,
 *             the same work the baseline does; no fingerprint build, integrity or analysis.
 * - baseline: @huggingface/hub parseSafetensorsMetadata (config + index + every shard header) per
 *             model, "sequential" (model after model) or "concurrent" (all models at once).
 * - allpairs: verdictMatrix over 1,000 fingerprints (the zoo's real ones plus synthesized variants).
 * - wire:     the network floor: the lower bound's requests and bytes (info, config, index, 8 + N
 *             bytes of every shard) through the same fetch layer (16 per origin, redirects, the
 *             undici transport), with no parsing, no worker, no cache and no work in between; a
 *             model's shards after its index. What any client with that many connections needs here.
 */
import { readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import { parseSafetensorsMetadata } from "@huggingface/hub";
import { analyze, scanZoo } from "../src/check.js";
import { verdictMatrix } from "../src/compare/index.js";
import type { Fingerprint } from "../src/fingerprint/types.js";
import { parseManifest } from "../src/manifest/load.js";
import { acquire } from "../src/fingerprint/acquire.js";
import { REQUEST_PRIORITY } from "../src/net/fetch.js";
import { mapLimit } from "../src/net/limiter.js";
import { createRunContext, createSource } from "../src/sources/index.js";
import { AnalysisPool } from "../src/workers/pool.js";
import { synthesizeVariants } from "./variants.js";

export type PhaseSpec =
  | {
      kind: "standin";
      hubUrl: string;
      models: string[];
      cacheDir: string;
      concurrency: number;
      modelConcurrency?: number;
      out: string;
      fingerprintsOut?: string;
      /** Code id for the analysis cache (the shipped CLI and action pass their build's); null: off. */
      codeId?: string | null;
    }
  | { kind: "fetch"; hubUrl: string; models: string[]; cacheDir: string; concurrency: number; modelConcurrency?: number; out: string }
  | { kind: "baseline"; mode: "sequential" | "concurrent"; hubUrl: string; models: string[]; out: string }
  | { kind: "allpairs"; fingerprints: string; count: number; out: string }
  | { kind: "wire"; hubUrl: string; concurrency: number; out: string; models: WireModel[] };

/** What the network floor reads of one model: its index (when sharded) and 8 + N bytes of each shard. */
export interface WireModel {
  id: string;
  index: string | null;
  shards: { file: string; bytes: number }[];
}

export interface ModelOutcome {
  model: string;
  ok: boolean;
  tensors: number | null;
  requests: number;
  bytes: number;
  error?: string;
}

export interface PhaseResult {
  kind: PhaseSpec["kind"];
  mode?: string;
  /** Wall time of the measured operation (ms). */
  wallMs: number;
  /** Of which fingerprinting (standin: scanZoo) and analysis (analyze: matrix, pairs, plans). */
  scanMs?: number;
  analyzeMs?: number;
  /** Client-side requests (one per fetch call, redirects followed inside it). */
  requests: number;
  /** Client-side body bytes. */
  bytes: number;
  retries?: number;
  cacheHits?: number;
  /** Load average (1 min) of the machine when the phase ended: other processes compete for the 2 cores. */
  loadAvg: number;
  /** Peak resident set size of the phase's process (bytes). */
  peakRssBytes: number;
  /** CPU time of the measured operation (ms, user + system, all threads of the process). */
  cpuMs: number;
  models: ModelOutcome[];
  /** allpairs only. */
  allpairs?: { fingerprints: number; realFingerprints: number; cells: number; matrixMs: number; heapUsedBytes: number; verdicts: Record<string, number> };
}

function zooYaml(models: readonly string[]): string {
  return ["version: 1", "name: bench-zoo", "defaults:", "  revision: main", "  source: auto", "models:", ...models.map((m) => `  - id: ${m}`), ""].join("\n");
}

/** CPU usage when the measured operation started (set next to each t0). */
let cpuAtStart = process.cpuUsage();

function finish(spec: PhaseSpec, r: Omit<PhaseResult, "peakRssBytes" | "cpuMs" | "loadAvg">): void {
  const ru = process.resourceUsage();
  const cpu = process.cpuUsage(cpuAtStart);
  const result: PhaseResult = { ...r, peakRssBytes: ru.maxRSS * 1024, cpuMs: (cpu.user + cpu.system) / 1000, loadAvg: os.loadavg()[0] ?? 0 };
  writeFileSync(spec.out, JSON.stringify(result));
}

async function runStandin(spec: Extract<PhaseSpec, { kind: "standin" }>): Promise<void> {
  const manifest = parseManifest(zooYaml(spec.models), "bench-zoo.yaml");
  const ctx = createRunContext({ hubUrl: spec.hubUrl, token: null, cacheDir: spec.cacheDir, concurrency: spec.concurrency, env: {} });
  const opts = { modelConcurrency: spec.modelConcurrency, failOn: ["none" as const], codeId: spec.codeId ?? null };
  // runCheck without a shard is exactly scanZoo + analyze; timed separately here.
  cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  const scan = await scanZoo(manifest, ctx, opts);
  const t1 = performance.now();
  const network = { requests: ctx.layer.total.requests, bytes: ctx.layer.total.bytes, retries: ctx.layer.total.retries, cacheHits: ctx.cache.hits };
  const results = analyze(manifest, scan, { ...opts, network });
  const t2 = performance.now();
  const wallMs = t2 - t0;
  const models: ModelOutcome[] = results.models.map((fp) => ({
    model: fp.model,
    ok: fp.status === "ok",
    tensors: fp.tensorCount,
    requests: fp.network.requests,
    bytes: fp.network.bytes,
    ...(fp.error ? { error: `${fp.error.code}: ${fp.error.message}` } : {}),
  }));
  if (spec.fingerprintsOut) writeFileSync(spec.fingerprintsOut, JSON.stringify(results.models));
  finish(spec, {
    kind: "standin",
    wallMs,
    scanMs: t1 - t0,
    analyzeMs: t2 - t1,
    requests: ctx.layer.total.requests,
    bytes: ctx.layer.total.bytes,
    retries: ctx.layer.total.retries,
    cacheHits: ctx.cache.hits,
    models,
  });
}

async function runFetch(spec: Extract<PhaseSpec, { kind: "fetch" }>): Promise<void> {
  const ctx = createRunContext({ hubUrl: spec.hubUrl, token: null, cacheDir: spec.cacheDir, concurrency: spec.concurrency, env: {} });
  cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  // As scanZoo does: the headers are parsed in the analysis worker(s) while this thread reads.
  const pool = AnalysisPool.start();
  const models = await mapLimit(spec.models, spec.modelConcurrency ?? spec.models.length, async (id): Promise<ModelOutcome> => {
    const src = createSource({ id, repo: id, local: null, revision: "main" }, ctx);
    const session = pool?.session(id, null) ?? null;
    try {
      const ex = await acquire(src, { source: "auto", offload: session });
      return { model: id, ok: true, tensors: session && ex.shardReads ? session.tensorCount : ex.raw.tensors.length, ...src.stats() };
    } catch (e) {
      return { model: id, ok: false, tensors: null, ...src.stats(), error: (e as Error).message.slice(0, 200) };
    } finally {
      session?.close();
    }
  });
  await pool?.close();
  const wallMs = performance.now() - t0;
  finish(spec, { kind: "fetch", wallMs, requests: ctx.layer.total.requests, bytes: ctx.layer.total.bytes, retries: ctx.layer.total.retries, cacheHits: ctx.cache.hits, models });
}

/** A fetch that counts calls and the body bytes it hands back (the baseline's client-side view). */
function countingFetch(): { fetch: typeof fetch; calls: number; bytes: number; perModel: Map<string, { calls: number; bytes: number }> } {
  const state = { calls: 0, bytes: 0, perModel: new Map<string, { calls: number; bytes: number }>() };
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    state.calls++;
    const res = await globalThis.fetch(input, init);
    if (!res.body) return res;
    const body = new Uint8Array(await res.arrayBuffer());
    state.bytes += body.byteLength;
    const out = new Response(res.status === 204 || res.status === 304 ? null : body, { status: res.status, statusText: res.statusText, headers: res.headers });
    Object.defineProperty(out, "url", { value: res.url });
    return out;
  };
  return Object.assign(state, { fetch: f as typeof fetch });
}

async function runBaseline(spec: Extract<PhaseSpec, { kind: "baseline" }>): Promise<void> {
  const models: ModelOutcome[] = [];
  let calls = 0;
  let bytes = 0;
  const one = async (repo: string): Promise<ModelOutcome> => {
    const cf = countingFetch();
    try {
      const r = await parseSafetensorsMetadata({ repo, hubUrl: spec.hubUrl, computeParametersCount: true, fetch: cf.fetch });
      const headers = r.sharded ? Object.values(r.headers) : [r.header];
      const tensors = headers.reduce((a, h) => a + Object.keys(h).filter((k) => k !== "__metadata__").length, 0);
      return { model: repo, ok: true, tensors, requests: cf.calls, bytes: cf.bytes };
    } catch (e) {
      return { model: repo, ok: false, tensors: null, requests: cf.calls, bytes: cf.bytes, error: (e as Error).message.slice(0, 200) };
    } finally {
      calls += cf.calls;
      bytes += cf.bytes;
    }
  };
  cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  if (spec.mode === "sequential") {
    for (const m of spec.models) models.push(await one(m));
  } else {
    models.push(...(await Promise.all(spec.models.map(one))));
  }
  const wallMs = performance.now() - t0;
  finish(spec, { kind: "baseline", mode: spec.mode, wallMs, requests: calls, bytes, models });
}

function runAllPairs(spec: Extract<PhaseSpec, { kind: "allpairs" }>): void {
  const real = (JSON.parse(readFileSync(spec.fingerprints, "utf8")) as Fingerprint[]).filter((f) => f.status === "ok");
  const fps = synthesizeVariants(real, spec.count);
  // JIT warm-up on a small slice: a CI run's steady state, not first-call compilation.
  verdictMatrix(fps.slice(0, 40));
  const heap0 = process.memoryUsage().heapUsed;
  cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  const matrix = verdictMatrix(fps);
  const matrixMs = performance.now() - t0;
  const heapUsedBytes = process.memoryUsage().heapUsed - heap0;
  const verdicts: Record<string, number> = {};
  for (const c of matrix) verdicts[c.verdict] = (verdicts[c.verdict] ?? 0) + 1;
  finish(spec, {
    kind: "allpairs",
    wallMs: matrixMs,
    requests: 0,
    bytes: 0,
    models: [],
    allpairs: { fingerprints: fps.length, realFingerprints: real.length, cells: matrix.length, matrixMs, heapUsedBytes, verdicts },
  });
}

async function runWire(spec: Extract<PhaseSpec, { kind: "wire" }>): Promise<void> {
  const ctx = createRunContext({ hubUrl: spec.hubUrl, token: null, cacheDir: null, concurrency: spec.concurrency, env: {} });
  const hub = spec.hubUrl.replace(/\/+$/, "");
  cpuAtStart = process.cpuUsage();
  const t0 = performance.now();
  const models = await Promise.all(
    spec.models.map(async (m): Promise<ModelOutcome> => {
      const scope = m.id;
      const file = (f: string): string => `${hub}/${m.id}/resolve/main/${f}`;
      try {
        await ctx.layer.request(`${hub}/api/models/${m.id}`, { scope, priority: REQUEST_PRIORITY.info });
        await Promise.all([
          ctx.layer.request(file("config.json"), { scope, priority: REQUEST_PRIORITY.config }),
          m.index ? ctx.layer.request(file(m.index), { scope, priority: REQUEST_PRIORITY.index }) : null,
        ]);
        await Promise.all(m.shards.map((s) => ctx.layer.request(file(s.file), { scope, priority: REQUEST_PRIORITY.header, range: [0, s.bytes - 1] })));
        const c = ctx.layer.counters(scope);
        return { model: m.id, ok: true, tensors: null, requests: c.requests, bytes: c.bytes };
      } catch (e) {
        const c = ctx.layer.counters(scope);
        return { model: m.id, ok: false, tensors: null, requests: c.requests, bytes: c.bytes, error: (e as Error).message.slice(0, 200) };
      }
    }),
  );
  const wallMs = performance.now() - t0;
  finish(spec, { kind: "wire", wallMs, requests: ctx.layer.total.requests, bytes: ctx.layer.total.bytes, retries: ctx.layer.total.retries, models });
}

async function main(): Promise<void> {
  const spec = JSON.parse(readFileSync(process.argv[2] as string, "utf8")) as PhaseSpec;
  if (spec.kind === "standin") await runStandin(spec);
  else if (spec.kind === "fetch") await runFetch(spec);
  else if (spec.kind === "baseline") await runBaseline(spec);
  else if (spec.kind === "wire") await runWire(spec);
  else runAllPairs(spec);
}

main().catch((e: unknown) => {
  console.error((e as Error).stack ?? String(e));
  process.exit(1);
});
