/**
 * Analysis workers (src/workers/pool.ts): safetensors models are parsed and built in worker threads
 * while the main thread reads. The report must be exactly the one a single-threaded run gives, for
 * good models and broken ones alike, and a worker that dies must turn its models into UNKNOWN with
 * the reason, never drop them or hang.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MANIFEST, startDemoHub } from "../demo/build.js";
import { runCheck, scanZoo } from "../src/check.js";
import { acquire, indexPlan } from "../src/fingerprint/acquire.js";
import { parseSafetensorsIndex } from "../src/formats/safetensors-index.js";
import { loadManifest, parseManifest } from "../src/manifest/load.js";
import type { Manifest } from "../src/manifest/types.js";
import type { Results } from "../src/report/types.js";
import { createRunContext, createSource } from "../src/sources/index.js";
import { AnalysisPool } from "../src/workers/pool.js";
import { WORKER_MARK } from "../src/workers/protocol.js";
import { buildSyntheticRepo } from "./hub/corpus-repos.js";
import { RepoStore, rawSafetensors } from "./hub/repo-store.js";
import { startHubServer, type HubServer } from "./hub/server.js";
import { tinyConfig } from "./hub/synth.js";
import { contiguousHeader, writeDeepHeader, writeDeepIndex, writeDuplicateTensors, writeOverlap } from "./support/broken-repos.js";

const NOW = new Date("2026-12-06T00:00:00Z");
let tmp: string;
let demo: HubServer;
let broken: HubServer;
let demoManifest: Manifest;

const header = contiguousHeader;

const BROKEN_IDS = ["bad/header-deep", "bad/index-deep", "bad/duplicates", "bad/overlap", "bad/traversal", "bad/header-truncated", "ok/tiny", "ok/sharded"];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-workers-"));
  demo = await startDemoHub(path.join(tmp, "demo"));
  demoManifest = await loadManifest(DEMO_MANIFEST);

  const store = new RepoStore(path.join(tmp, "broken"));
  const cfg = tinyConfig({});
  const cfgText = JSON.stringify(cfg);
  const commit = (id: string, build: (c: ReturnType<ReturnType<RepoStore["repo"]>["commit"]>) => void): void => {
    const c = store.repo(id).commit();
    build(c);
    c.finish({ ref: "main" });
  };
  const tiny = [
    { name: "model.embed_tokens.weight", dtype: "BF16", shape: [8, 4] },
    { name: "model.layers.0.self_attn.q_proj.weight", dtype: "BF16", shape: [4, 4] },
    { name: "model.norm.weight", dtype: "BF16", shape: [4] },
  ];
  commit("bad/header-deep", (c) => writeDeepHeader(c, cfgText, 10_000));
  commit("bad/index-deep", (c) => writeDeepIndex(c, cfgText, 10_000));
  commit("bad/duplicates", (c) => writeDuplicateTensors(c, cfgText, tiny));
  commit("bad/overlap", (c) => writeOverlap(c, cfgText, tiny));
  commit("bad/traversal", (c) => {
    c.writeFile("config.json", cfgText);
    c.writeJson("model.safetensors.index.json", { metadata: { total_size: 8 }, weight_map: { a: "model-00001-of-00002.safetensors", b: "../../../etc/passwd.safetensors" } });
    c.writeRaw("model-00001-of-00002.safetensors", rawSafetensors(header([{ name: "a", dtype: "F32", shape: [2] }]).json, { dataBytes: 8 }), { lfs: true });
  });
  commit("bad/header-truncated", (c) => {
    // the second shard's header is not JSON: the model is UNKNOWN (safetensors_not_json), whichever thread parses it
    c.writeFile("config.json", cfgText);
    const h1 = header(tiny);
    c.writeRaw("model-00001-of-00002.safetensors", rawSafetensors(h1.json, { dataBytes: h1.dataBytes }), { lfs: true });
    c.writeRaw("model-00002-of-00002.safetensors", rawSafetensors('{"model.extra.weight":{"dtype":"BF16","shape":[4],"data_of'), { lfs: true });
    const wm: Record<string, string> = { "model.extra.weight": "model-00002-of-00002.safetensors" };
    for (const t of tiny) wm[t.name] = "model-00001-of-00002.safetensors";
    c.writeJson("model.safetensors.index.json", { metadata: { total_size: h1.dataBytes + 8 }, weight_map: wm });
  });
  buildSyntheticRepo(store, "ok/tiny", cfg, {});
  buildSyntheticRepo(store, "ok/sharded", tinyConfig({ num_hidden_layers: 6 }), { maxShardBytes: 20_000 });
  broken = await startHubServer({ store });
}, 120_000);

afterAll(async () => {
  await demo?.close();
  await broken?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** Everything but the network figures (a broken model may be read further in one mode than the other). */
function comparable(r: Results): unknown {
  return { ...r, network: null, models: r.models.map((m) => ({ ...m, network: null })) };
}

function brokenManifest(): Manifest {
  const yaml = ["version: 1", "name: broken", "engine:", "  supported: [dense, gqa, rope]", "models:", ...BROKEN_IDS.map((id) => `  - id: ${id}`), ""].join("\n");
  return parseManifest(yaml, "broken.yaml");
}

describe("analysis workers", () => {
  it("the demo zoo: a run with a worker reports exactly what a single-threaded run reports", async () => {
    const ctx = (): ReturnType<typeof createRunContext> => createRunContext({ hubUrl: demo.url, env: {} });
    const inline = await runCheck(demoManifest, ctx(), { workers: 0, now: NOW });
    const pooled = await runCheck(demoManifest, ctx(), { workers: 1, now: NOW });
    const two = await runCheck(demoManifest, ctx(), { workers: 2, now: NOW });
    expect(inline.models.filter((m) => m.status === "ok").length).toBeGreaterThanOrEqual(7);
    expect(comparable(pooled)).toEqual(comparable(inline));
    expect(comparable(two)).toEqual(comparable(inline));
    // the same requests too, model by model
    expect(pooled.models.map((m) => [m.model, m.network.requests, m.network.bytes])).toEqual(inline.models.map((m) => [m.model, m.network.requests, m.network.bytes]));
  }, 120_000);

  it("broken repos: the same typed errors, integrity failures and findings from the worker as from this thread", async () => {
    const manifest = brokenManifest();
    const ctx = (): ReturnType<typeof createRunContext> => createRunContext({ hubUrl: broken.url, env: {} });
    const inline = await runCheck(manifest, ctx(), { workers: 0, now: NOW, failOn: ["integrity"] });
    const pooled = await runCheck(manifest, ctx(), { workers: 1, now: NOW, failOn: ["integrity"] });
    expect(comparable(pooled)).toEqual(comparable(inline));
    const byId = new Map(pooled.models.map((m) => [m.model, m]));
    expect(byId.get("bad/header-deep")?.error?.code).toBe("safetensors_too_deep");
    expect(byId.get("bad/index-deep")?.error?.code).toBe("index_too_deep");
    expect(byId.get("bad/traversal")?.error?.code).toBe("index_unsafe_shard_name");
    expect(byId.get("bad/header-truncated")?.error).toMatchObject({ code: "safetensors_not_json", file: "model-00002-of-00002.safetensors", model: "bad/header-truncated" });
    const integrity = new Map(pooled.integrity.map((r) => [r.model, r]));
    expect(integrity.get("bad/duplicates")?.status).toBe("FAIL");
    expect(integrity.get("bad/duplicates")?.findings.map((f) => f.code)).toEqual(expect.arrayContaining(["st_duplicate_tensor", "index_tensor_in_multiple_shards"]));
    expect(integrity.get("bad/overlap")?.findings.map((f) => f.code)).toContain("st_offset_overlap");
    expect(byId.get("ok/tiny")?.status).toBe("ok");
    expect(byId.get("ok/sharded")?.status).toBe("ok");
    expect(byId.get("ok/sharded")?.files.filter((f) => f.kind === "safetensors").length).toBeGreaterThan(1);
  }, 120_000);

  it.runIf(process.platform === "linux")("the worker thread runs 10 nice levels below the main thread (Linux), the rest of the process is left alone", async () => {
    const niceOf = (tid: string): number => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    };
    const threads = (): string[] => readdirSync("/proc/self/task");
    const before = new Set(threads());
    const main = niceOf(String(process.pid));
    const pool = AnalysisPool.start(1) as AnalysisPool;
    try {
      const session = pool.session("ok/sharded", null);
      // a reply from the worker: its startup has run
      await session.index(new TextEncoder().encode('{"metadata":{},"weight_map":{"a":"model-00001-of-00001.safetensors"}}'), "model.safetensors.index.json");
      const lowered = threads().filter((t) => niceOf(t) === Math.min(19, main + 10));
      expect(lowered).toHaveLength(1);
      expect(before.has(lowered[0]!)).toBe(false);
      expect(niceOf(String(process.pid))).toBe(main);
      session.close();
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("a session's prepare() starts the pool's worker before any work is handed over; a pool nobody prepares or hands work to starts none", async () => {
    const idle = AnalysisPool.start(1) as AnalysisPool;
    idle.session("ok/tiny", null).close();
    expect(idle.started).toBe(0); // a warm run: nothing to parse, no worker
    await idle.close();
    const pool = AnalysisPool.start(1) as AnalysisPool;
    try {
      const session = pool.session("ok/sharded", null);
      session.prepare();
      expect(pool.started).toBe(1);
      pool.session("ok/tiny", null).prepare(); // the pool has its worker: none more
      expect(pool.started).toBe(1);
      const plan = await session.index(new TextEncoder().encode('{"metadata":{},"weight_map":{"a":"model-00001-of-00001.safetensors"}}'), "model.safetensors.index.json");
      expect(plan.shards).toEqual(["model-00001-of-00001.safetensors"]);
      session.close();
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("acquire asks its offload to prepare once it knows the model is safetensors, before the config and index are read; another format does not", async () => {
    const events: string[] = [];
    const offload = {
      prepare: () => void events.push("prepare"),
      index: async (bytes: Uint8Array) => {
        events.push("index");
        const index = parseSafetensorsIndex(bytes, { file: "model.safetensors.index.json", model: "ok/sharded" });
        return { shards: index.shards, plan: indexPlan(index), findings: index.findings };
      },
      header: async () => void events.push("header"),
    };
    const ctx = createRunContext({ hubUrl: broken.url, env: {} });
    const spec = { id: "ok/sharded", repo: "ok/sharded", local: null, revision: "main" };
    const src = createSource(spec, ctx);
    const reads = (): number => src.stats().requests;
    await src.resolve();
    const before = reads();
    let readsAtPrepare = -1;
    const ex = await acquire(src, { source: "auto", offload: { ...offload, prepare: () => ((readsAtPrepare = reads()), offload.prepare()) } });
    expect(events[0]).toBe("prepare");
    expect(events.filter((e) => e === "prepare")).toHaveLength(1);
    expect(readsAtPrepare).toBe(before); // nothing read yet: not the config, not the index
    expect(ex.raw.files.map((f) => f.kind)).toEqual(expect.arrayContaining(["config", "index"]));
    events.length = 0;
    await acquire(createSource(spec, ctx), { source: "config", offload });
    expect(events).toEqual([]);
  }, 60_000);

  it.runIf(process.platform === "linux")("a thread started as the analysis worker lowers itself as its first import runs (src/workers/first.ts), any other thread is left alone", async () => {
    const niceOf = (stat: string): number => Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
    const main = niceOf(readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8"));
    // the same bootstrap the pool uses from sources: tsx registered in the worker, then the module;
    // the thread reports its niceness right after that one import, before anything else is loaded
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve("tsx/esm/api")).href.replace(/\.cjs$/, ".mjs");
    const first = new URL("../src/workers/first.ts", import.meta.url).href;
    const script = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(first)}); }).then(() => {
      const { parentPort } = require("node:worker_threads");
      parentPort.postMessage(require("node:fs").readFileSync("/proc/thread-self/stat", "utf8"));
    });`;
    const niceIn = (data: unknown): Promise<number> =>
      new Promise((resolve, reject) => {
        const w = new Worker(script, { eval: true, workerData: data });
        w.once("message", (stat: string) => {
          resolve(niceOf(stat));
          void w.terminate();
        });
        w.once("error", reject);
      });
    expect(await niceIn({ [WORKER_MARK]: true })).toBe(Math.min(19, main + 10));
    expect(await niceIn({ other: true })).toBe(main);
    expect(niceOf(readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8"))).toBe(main);
  }, 60_000);

  it("a header in a buffer of its own is transferred to the worker as it is; a view into a larger buffer (a cache pack) is copied", async () => {
    const pool = AnalysisPool.start(1) as AnalysisPool;
    try {
      const session = pool.session("ok/sharded", null);
      const text = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
      const own = new TextEncoder().encode(text);
      const h = (json: Uint8Array) => ({ json, headerLength: json.byteLength, bytesRead: 0, fileSize: 12 + json.byteLength, requests: 0 });
      await session.header("a.safetensors", h(own), 12 + own.byteLength);
      expect(own.byteLength).toBe(0); // transferred, not copied
      const pack = new TextEncoder().encode(`pack${text}`);
      const view = pack.subarray(4);
      await session.header("b.safetensors", h(view), 12 + view.byteLength);
      expect(new TextDecoder().decode(view)).toBe(text); // copied: the pack is intact
      expect(session.tensorCount).toBe(2);
      session.close();
    } finally {
      await pool.close();
    }
  }, 60_000);

  it("a worker that dies: its open models become UNKNOWN with the reason, the others are unaffected, nothing hangs", async () => {
    const manifest = brokenManifest();
    const ctx = createRunContext({ hubUrl: broken.url, env: {} });
    const pool = AnalysisPool.start(1) as AnalysisPool;
    const session = pool.session("ok/sharded", null);
    const index = session.index(new TextEncoder().encode('{"metadata":{},"weight_map":{"a":"model-00001-of-00001.safetensors"}}'), "model.safetensors.index.json");
    await expect(index).resolves.toMatchObject({ shards: ["model-00001-of-00001.safetensors"] });
    // kill the thread under the open session
    await (pool as unknown as { slots: { worker: { terminate(): Promise<number> } }[] }).slots[0]!.worker.terminate();
    const fp = await session.finish(
      {
        raw: { model: "ok/sharded", resolved: { kind: "hub", repo: "ok/sharded", revision: "main", sha: "0".repeat(40), files: [] }, format: "safetensors", config: null, files: [], tensors: [], findings: [] },
        index: null,
        indexFile: null,
        onnx: [],
        gguf: [],
        configFromGguf: false,
        shardReads: [],
      },
      { requests: 3, bytes: 10, cached: false },
      { kind: "hub", repo: "ok/sharded", revision: "main" },
    );
    expect(fp.status).toBe("unknown");
    expect(fp.error).toMatchObject({ code: "analysis_worker_failed", model: "ok/sharded" });
    expect(fp.error?.hint).toContain("STANDIN_WORKERS=0");
    await pool.close();
    // a fresh run is unaffected
    const scan = await scanZoo(manifest, ctx, { workers: 1 });
    expect(scan.models.find((m) => m.model === "ok/tiny")?.status).toBe("ok");
  }, 60_000);
});
