/**
 * The performance mechanisms of the fetch pipeline (issue 7, docs/performance.md): request priorities,
 * one slot per origin per redirect hop, adaptive speculative header sizes learned across a model's
 * shards, and the request-count properties the benchmark's lower bound relies on, over a whole zoo
 * (cold: 1 info + 1 config + 1 index + 1 per shard per model; warm: 1 request per model).
 */
import http from "node:http";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquire } from "../src/fingerprint/acquire.js";
import { fingerprintModels } from "../src/fingerprint/index.js";
import { decodePack, encodePack } from "../src/net/cache.js";
import { FetchLayer, MAX_REDIRECTS, REQUEST_PRIORITY } from "../src/net/fetch.js";
import { Limiter } from "../src/net/limiter.js";
import { createRunContext, createSource, type RunOptions } from "../src/sources/index.js";
import { HeaderSizeLearner, estimateHeaderBytes, rawHeaderEstimate } from "../src/sources/st-header.js";
import { HubError } from "../src/util/errors.js";
import { buildSyntheticRepo } from "./hub/corpus-repos.js";
import { RepoStore } from "./hub/repo-store.js";
import { startHubServer, type HubServer } from "./hub/server.js";
import { tinyConfig } from "./hub/synth.js";



describe("Limiter priorities", () => {
  it("serves waiters by priority, FIFO within a priority, and never exceeds the limit", async () => {
    const l = new Limiter(1);
    const order: string[] = [];
    const first = await l.acquire(5);
    const waits = [
      ["shard-a", 3],
      ["info-a", 0],
      ["shard-b", 3],
      ["config-a", 1],
      ["info-b", 0],
    ].map(([name, p]) =>
      l.acquire(p as number).then((release) => {
        order.push(name as string);
        expect(l.inFlight).toBe(1);
        setImmediate(release);
      }),
    );
    expect(l.pending).toBe(5);
    first();
    await Promise.all(waits);
    expect(order).toEqual(["info-a", "info-b", "config-a", "shard-a", "shard-b"]);
    await new Promise((r) => setImmediate(r));
    expect(l.pending).toBe(0);
    expect(l.inFlight).toBe(0);
  });

  it("a free slot is taken at once, whatever the priority", async () => {
    const l = new Limiter(2);
    const a = await l.acquire(9);
    const b = await l.acquire(0);
    expect(l.inFlight).toBe(2);
    a();
    b();
    expect(l.inFlight).toBe(0);
  });
});

describe("cache packs", () => {
  it("round-trip names and bytes, and reject anything malformed", () => {
    const entries = new Map<string, Uint8Array>([
      ["model-00001-of-00002.safetensors", new Uint8Array([1, 2, 3])],
      ["sub/dir/é.safetensors", new Uint8Array(0)],
      ["model-00002-of-00002.safetensors", new Uint8Array(70_000).fill(7)],
    ]);
    const buf = encodePack(entries);
    const back = decodePack(buf)!;
    expect([...back.keys()]).toEqual([...entries.keys()]);
    for (const [k, v] of entries) expect([...back.get(k)!]).toEqual([...v]);
    expect(decodePack(buf.subarray(0, buf.byteLength - 1))).toBeNull();
    expect(decodePack(new Uint8Array([1, 2, 3, 4, 0, 0, 0, 0]))).toBeNull();
    expect(decodePack(new Uint8Array([...buf, 0]))).toBeNull();
  });
});

describe("HeaderSizeLearner", () => {
  const names = (n: number, prefix = "model.layers.0.mlp.experts.0.gate_proj.weight") => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

  it("starts from the static estimate", () => {
    const l = new HeaderSizeLearner();
    expect(l.learned).toBe(false);
    expect(l.estimate(names(100))).toBe(estimateHeaderBytes(names(100)));
  });

  it("learns a smaller size when entries are smaller than predicted (the common case)", () => {
    const l = new HeaderSizeLearner();
    const lead = names(600);
    const real = Math.round(rawHeaderEstimate(lead) * 0.97);
    l.observe(lead, real);
    const other = names(550);
    const est = l.estimate(other);
    // within margin + pad of the same ratio, well under the static estimate
    expect(est).toBeGreaterThanOrEqual(Math.round(rawHeaderEstimate(other) * 0.97));
    expect(est).toBeLessThan(rawHeaderEstimate(other) * 0.97 * 1.03 + 513);
    expect(est).toBeLessThan(estimateHeaderBytes(other) * 0.95);
  });

  it("learns a per-shard excess (a big __metadata__) so that later, smaller shards still fit", () => {
    const l = new HeaderSizeLearner();
    const lead = names(40);
    l.observe(lead, rawHeaderEstimate(lead) + 30_000);
    for (const n of [1, 5, 40]) {
      const other = names(n);
      expect(l.estimate(other)).toBeGreaterThanOrEqual(Math.round(rawHeaderEstimate(other) * 0.99) + 30_000);
    }
  });

  it("only grows: a later, tighter shard never shrinks the estimate", () => {
    const l = new HeaderSizeLearner();
    l.observe(names(100), rawHeaderEstimate(names(100)) * 0.98);
    const before = l.estimate(names(100));
    l.observe(names(100), rawHeaderEstimate(names(100)) * 0.8);
    expect(l.estimate(names(100))).toBe(before);
  });
});

// ------------------------------------------------------------------------------------------------
// against the local Hub

let root: string;
let store: RepoStore;
let hub: HubServer;
const ZOO = ["zoo/a", "zoo/b", "zoo/c", "zoo/d", "zoo/single"];
const SHARDS: Record<string, number> = { "zoo/a": 3, "zoo/b": 4, "zoo/c": 2, "zoo/d": 5, "zoo/single": 1 };

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "standin-perf-"));
  store = new RepoStore(root);
  for (const id of ZOO) buildSyntheticRepo(store, id, tinyConfig({ num_hidden_layers: 6 }), { shards: SHARDS[id] });
  // Every shard carries a 30 kB __metadata__: the static estimate falls short on the first shard.
  buildSyntheticRepo(store, "meta/heavy", tinyConfig({ num_hidden_layers: 6 }), { shards: 5, metadata: { format: "pt", notes: "x".repeat(30_000) } });
  hub = await startHubServer({ store });
});

afterAll(async () => {
  await hub?.close();
  rmSync(root, { recursive: true, force: true });
});

function ctxFor(extra: RunOptions = {}) {
  return createRunContext({ hubUrl: hub.url, token: null, cacheDir: null, backoffBaseMs: 5, env: {}, ...extra });
}

const req = (id: string) => ({ id, repo: id, local: null, revision: "main", source: "auto" as const });

describe("adaptive speculative sizes against the Hub", () => {
  it("a model whose headers exceed the static estimate pays a second request on its first shard only", async () => {
    hub.resetLog();
    const ctx = ctxFor();
    const out = await acquire(createSource({ id: "meta/heavy", repo: "meta/heavy", local: null, revision: "main" }, ctx), { source: "auto" });
    expect(out.raw.tensors.length).toBe(out.index!.weightMap.size);
    const shards = out.index!.shards.length;
    expect(shards).toBe(5);
    // 1 info + 1 config + 1 index + 1 per shard + 1 second read for the first (lead) shard
    expect(ctx.layer.total.requests).toBe(3 + shards + 1);
    const reads = out.raw.files.filter((f) => f.kind === "safetensors");
    expect(reads.every((f) => (f.headerLength ?? 0) > 30_000)).toBe(true);
    // the learned size stays close: at most a few kB past each later header
    const over = reads.map((f) => f.bytesRead - 8 - (f.headerLength ?? 0));
    expect(over.filter((b) => b > 0).every((b) => b < 4096)).toBe(true);
  });

  it("a normal sharded model reads each header in one request, a few % past it", async () => {
    const ctx = ctxFor();
    const out = await acquire(createSource({ id: "zoo/d", repo: "zoo/d", local: null, revision: "main" }, ctx), { source: "auto" });
    expect(ctx.layer.total.requests).toBe(3 + 5);
    const reads = out.raw.files.filter((f) => f.kind === "safetensors");
    const header = reads.reduce((a, f) => a + 8 + (f.headerLength ?? 0), 0);
    const read = reads.reduce((a, f) => a + f.bytesRead, 0);
    expect(read).toBeGreaterThanOrEqual(header);
  });
});

describe("a zoo in flight at once", () => {
  it("cold: exactly 1 info + 1 config + 1 index + 1 per shard per model; metadata served before shard reads", async () => {
    hub.resetLog();
    const ctx = ctxFor({ concurrency: 2 });
    const fps = await fingerprintModels(ZOO.map(req), ctx);
    expect(fps.every((f) => f.status === "ok")).toBe(true);
    const bound = ZOO.reduce((a, id) => a + 2 + (SHARDS[id]! > 1 ? 1 : 0) + SHARDS[id]!, 0);
    expect(ctx.layer.total.requests).toBe(bound);
    for (const fp of fps) expect(fp.network.requests).toBe(2 + (SHARDS[fp.model]! > 1 ? 1 : 0) + SHARDS[fp.model]!);
    // priorities: every model-info call reaches the Hub before any config, every config before any shard read
    const hubLog = hub.requests.filter((r) => r.listener === "hub");
    const lastInfo = hubLog.map((r) => r.url.startsWith("/api/")).lastIndexOf(true);
    const firstConfig = hubLog.findIndex((r) => r.url.endsWith("/config.json"));
    const lastConfig = hubLog.map((r) => r.url.endsWith("/config.json")).lastIndexOf(true);
    const firstShard = hubLog.findIndex((r) => r.range !== null);
    expect(lastInfo).toBeLessThan(firstConfig);
    expect(lastConfig).toBeLessThan(firstShard);
  });

  it("warm (same revisions, disk cache): 1 request per model, no file read", async () => {
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), "standin-perf-cache-"));
    try {
      const cold = await fingerprintModels(ZOO.map(req), ctxFor({ cacheDir }));
      hub.resetLog();
      const ctx = ctxFor({ cacheDir });
      const warm = await fingerprintModels(ZOO.map(req), ctx);
      expect(ctx.layer.total.requests).toBe(ZOO.length);
      expect(hub.requests.filter((r) => r.url.includes("/resolve/"))).toEqual([]);
      expect(hub.requests.filter((r) => r.listener === "cdn")).toEqual([]);
      for (const [i, fp] of warm.entries()) {
        expect(fp.network).toMatchObject({ requests: 1, cached: true });
        expect(fp.tensorCount).toBe(cold[i]!.tensorCount);
      }
      // every header served from the cache: one hit per config, index and shard header
      const files = ZOO.reduce((a, id) => a + 1 + (SHARDS[id]! > 1 ? 1 : 0) + SHARDS[id]!, 0);
      expect(ctx.cache.hits).toBe(files);
      expect(ctx.cache.misses).toBe(0);
      // one pack file per model holds its headers (not one file per shard)
      const packs = readdirSync(cacheDir, { recursive: true }).filter((f) => String(f).endsWith(".pack"));
      expect(packs).toHaveLength(ZOO.length);
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
  });
});

describe("one slot per origin per redirect hop", () => {
  it("a shard read's Hub slot is free again while its CDN hop is served", async () => {
    hub.setLatency(60);
    hub.resetLog();
    try {
      const ctx = ctxFor({ concurrency: 1 });
      const src = createSource({ id: "zoo/d", repo: "zoo/d", local: null, revision: "main" }, ctx);
      await src.resolve();
      hub.resetLog();
      const before = { ...ctx.layer.total };
      const files = ["model-00001-of-00005.safetensors", "model-00002-of-00005.safetensors", "model-00003-of-00005.safetensors"];
      await Promise.all(files.map((f) => src.readSafetensorsHeader(f, { maxHeaderBytes: 1e6, expectedHeaderBytes: 4096 })));
      const hubHops = hub.requests.filter((r) => r.listener === "hub").sort((a, b) => a.startedAt - b.startedAt);
      const cdnHops = hub.requests.filter((r) => r.listener === "cdn").sort((a, b) => a.startedAt - b.startedAt);
      expect(hubHops).toHaveLength(3);
      expect(cdnHops).toHaveLength(3);
      expect(ctx.layer.total.requests - before.requests).toBe(3);
      expect(ctx.layer.total.redirects - before.redirects).toBe(3);
      // the second Hub hop starts before the first CDN hop ends: the two hops hold different slots
      expect(hubHops[1]!.startedAt).toBeLessThan(cdnHops[0]!.startedAt + cdnHops[0]!.durationMs);
      // never more than one request in flight per origin
      for (const hops of [hubHops, cdnHops]) {
        for (let i = 1; i < hops.length; i++) expect(hops[i]!.startedAt).toBeGreaterThanOrEqual(hops[i - 1]!.startedAt + hops[i - 1]!.durationMs - 20);
      }
    } finally {
      hub.setLatency(0);
    }
  });
});

describe("redirects followed by the fetch layer", () => {
  let server: http.Server;
  let other: http.Server;
  let base: string;
  let otherBase: string;
  const seen: { host: "a" | "b"; method: string; url: string; auth: string | undefined; cookie: string | undefined }[] = [];

  beforeAll(async () => {
    other = http.createServer((rq, rs) => {
      seen.push({ host: "b", method: rq.method ?? "", url: rq.url ?? "", auth: rq.headers.authorization, cookie: rq.headers.cookie });
      rs.writeHead(200, { "content-type": "text/plain" });
      rs.end("from b");
    });
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    otherBase = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    server = http.createServer((rq, rs) => {
      seen.push({ host: "a", method: rq.method ?? "", url: rq.url ?? "", auth: rq.headers.authorization, cookie: rq.headers.cookie });
      const u = rq.url ?? "";
      if (u === "/cross") rs.writeHead(302, { location: `${otherBase}/target` }).end("moved");
      else if (u === "/same") rs.writeHead(307, { location: "/final" }).end();
      else if (u === "/see-other") rs.writeHead(303, { location: "/final" }).end();
      else if (u.startsWith("/loop")) rs.writeHead(302, { location: `/loop${u.length}` }).end();
      else if (u === "/bad-scheme") rs.writeHead(302, { location: "file:///etc/passwd" }).end();
      else rs.writeHead(200, { "content-type": "text/plain" }).end(`final ${rq.method}`);
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => other.close(() => r()));
  });

  const layer = () => new FetchLayer({ retries: 0, backoffBaseMs: 1, timeoutMs: 5000 });

  it("drops caller credentials on a cross-origin hop, keeps them on a same-origin one, and reports the final URL", async () => {
    seen.length = 0;
    const l = layer();
    const f = l.fetchFor("m", { priority: REQUEST_PRIORITY.info });
    const r = await f(`${base}/cross`, { headers: { authorization: "Bearer hf_secretXXXXXXXX", cookie: "c=1", "x-keep": "1" } });
    expect(await r.text()).toBe("from b");
    expect(r.url).toBe(`${otherBase}/target`);
    expect(seen.map((s) => [s.host, s.auth ?? null, s.cookie ?? null])).toEqual([
      ["a", "Bearer hf_secretXXXXXXXX", "c=1"],
      ["b", null, null],
    ]);
    seen.length = 0;
    const same = await l.request(`${base}/same`, { headers: { authorization: "Bearer hf_secretXXXXXXXX" } });
    expect(new TextDecoder().decode(same.body)).toBe("final GET");
    expect(seen.map((s) => s.auth)).toEqual(["Bearer hf_secretXXXXXXXX", "Bearer hf_secretXXXXXXXX"]);
    expect(l.total).toMatchObject({ requests: 2, redirects: 2 });
  });

  it("a 303 after a POST continues with a GET", async () => {
    seen.length = 0;
    const r = await layer().request(`${base}/see-other`, { method: "POST", body: "{}" });
    expect(new TextDecoder().decode(r.body)).toBe("final GET");
    expect(seen.map((s) => s.method)).toEqual(["POST", "GET"]);
  });

  it(`stops after ${MAX_REDIRECTS} redirects and refuses non-HTTP locations, with typed errors`, async () => {
    const loop = (await layer().request(`${base}/loop`).catch((e: unknown) => e)) as HubError;
    expect(loop).toBeInstanceOf(HubError);
    expect(loop.code).toBe("redirect");
    const bad = (await layer().request(`${base}/bad-scheme`).catch((e: unknown) => e)) as HubError;
    expect(bad).toBeInstanceOf(HubError);
    expect(bad.code).toBe("redirect");
  });

  it("concurrency must be a positive integer", () => {
    expect(() => new FetchLayer({ concurrency: 0 })).toThrow(RangeError);
  });
});


