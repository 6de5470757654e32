/**
 * The analysis cache (src/analysis-cache.ts): a warm run at unchanged revisions reuses each model's
 * fingerprint, integrity and engine gaps instead of parsing and building again, and reports exactly
 * what a run that builds everything reports. Reuse needs the same code id; expectations are checked
 * on every run; a damaged entry is a miss, never wrong data.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { promisify } from "node:util";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MANIFEST, startDemoHub } from "../demo/build.js";
import { runCheck } from "../src/check.js";
import { loadManifest } from "../src/manifest/load.js";
import type { Manifest } from "../src/manifest/types.js";
import type { Results } from "../src/report/types.js";
import { createRunContext, type RunContext } from "../src/sources/index.js";
import { buildCodeId } from "../src/util/code-id.js";
import type { HubServer } from "./hub/server.js";

let tmp: string;
let hub: HubServer;
let manifest: Manifest;
const NOW = new Date("2026-12-06T00:00:00Z");

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-analysis-"));
  hub = await startDemoHub(path.join(tmp, "hub"));
  manifest = await loadManifest(DEMO_MANIFEST);
}, 60_000);

afterAll(async () => {
  await hub?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const ctxFor = (cacheDir: string): RunContext => createRunContext({ hubUrl: hub.url, cacheDir, env: {} });

/** The results without what legitimately differs between a cold and a warm run: network figures. */
function comparable(r: Results): unknown {
  return {
    ...r,
    network: null,
    models: r.models.map((m) => ({ ...m, network: null, files: m.files.map((f) => ({ ...f, bytesRead: null })) })),
  };
}

function analysisEntries(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d)) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith(".analysis")) out.push(p);
    }
  };
  walk(dir);
  return out;
}

describe("analysis cache", () => {
  it("running from sources there is no build id: nothing is reused unless a caller passes one", () => {
    expect(buildCodeId()).toBeNull();
  });

  it("a warm run reuses every readable model's analysis and reports exactly what a full build reports", async () => {
    const cacheDir = path.join(tmp, "cache-a");
    const cold = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    const ok = cold.models.filter((m) => m.status === "ok");
    expect(ok.length).toBeGreaterThanOrEqual(7);
    expect(cold.models.some((m) => m.status === "unknown")).toBe(true); // the gated demo model
    expect(analysisEntries(cacheDir)).toHaveLength(ok.length); // failures are not stored

    const warmCtx = ctxFor(cacheDir);
    const warm = await runCheck(manifest, warmCtx, { codeId: "t1", now: NOW });
    expect(comparable(warm)).toEqual(comparable(cold));
    for (const m of warm.models.filter((x) => x.status === "ok")) {
      expect(m.network.cached).toBe(true);
      expect(m.network.requests).toBe(1); // the revision look-up only
      expect(m.files.every((f) => f.bytesRead === 0)).toBe(true);
    }
    // One cache read per readable model: its analysis entry; no config, index or header pack was read.
    expect(warmCtx.cache.hits).toBe(ok.length);

    // Without the code id the same warm run parses the cached files again: same report, more reads.
    const parseCtx = ctxFor(cacheDir);
    const parsed = await runCheck(manifest, parseCtx, { codeId: null, now: NOW });
    expect(comparable(parsed)).toEqual(comparable(cold));
    expect(parseCtx.cache.hits).toBeGreaterThan(ok.length * 2);
  }, 60_000);

  it("another code id never reuses an entry", async () => {
    const cacheDir = path.join(tmp, "cache-b");
    await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    const ctx = ctxFor(cacheDir);
    const other = await runCheck(manifest, ctx, { codeId: "t2", now: NOW });
    expect(other.models.filter((m) => m.status === "ok").every((m) => m.network.cached)).toBe(true); // file cache still serves
    expect(ctx.cache.hits).toBeGreaterThan(other.models.length * 2); // but everything was parsed again
    expect(analysisEntries(cacheDir).length).toBe(2 * other.models.filter((m) => m.status === "ok").length);
  }, 60_000);

  it("expectations are checked on every run, not cached", async () => {
    const cacheDir = path.join(tmp, "cache-c");
    const first = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    expect(first.expectations.every((e) => e.ok)).toBe(true);
    const target = manifest.models.find((m) => m.expect.params !== null) as Manifest["models"][number];
    const changed: Manifest = {
      ...manifest,
      models: manifest.models.map((m) => (m.id === target.id ? { ...m, expect: { ...m.expect, params: (m.expect.params as number) * 2 } } : m)),
    };
    const ctx = ctxFor(cacheDir);
    const second = await runCheck(changed, ctx, { codeId: "t1", now: NOW });
    expect(ctx.cache.hits).toBe(second.models.filter((m) => m.status === "ok").length); // all reused
    const broken = second.expectations.filter((e) => !e.ok);
    expect(broken.map((e) => e.model)).toEqual([target.id]);
    expect(second.integrity.find((r) => r.model === target.id)?.findings.some((f) => /expect/.test(f.code))).toBe(true);
  }, 60_000);

  it("a damaged or foreign entry is a miss: the model is built again and the report is unchanged", async () => {
    const cacheDir = path.join(tmp, "cache-d");
    const cold = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    const entries = analysisEntries(cacheDir);
    writeFileSync(entries[0] as string, "{not json");
    writeFileSync(entries[1] as string, JSON.stringify({ schema: "standin-analysis/1", key: "another key", fp: { status: "ok" } }));
    const warm = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    expect(comparable(warm)).toEqual(comparable(cold));
  }, 60_000);

  it("the built CLI (dist/cli/index.js) carries its build id and reuses its own entries", async () => {
    const bin = path.resolve("dist/cli/index.js");
    const text = readFileSync(bin, "utf8");
    expect(text).not.toContain("__STANDIN_BUILD_ID_PLACEHOLDER__");
    const cacheDir = path.join(tmp, "cache-dist");
    const run = async (out: string): Promise<Results> => {
      const args = [bin, "check", DEMO_MANIFEST, "--hub-url", hub.url, "--cache-dir", cacheDir, "--fail-on", "none", "--json", path.join(tmp, out)];
      await promisify(execFile)(process.execPath, args, { env: { PATH: process.env.PATH ?? "" } });
      return JSON.parse(readFileSync(path.join(tmp, out), "utf8")) as Results;
    };
    const cold = await run("dist-cold.json");
    const ok = cold.models.filter((m) => m.status === "ok").length;
    expect(analysisEntries(cacheDir)).toHaveLength(ok);
    const warm = await run("dist-warm.json");
    expect(warm.network.cacheHits).toBe(ok); // one analysis entry per readable model, nothing parsed
    const strip = (r: Results): unknown => ({ ...(comparable(r) as object), generatedAt: null });
    expect(strip(warm)).toEqual(strip(cold));
  }, 60_000);

  it("a README commit in every repo: the earlier analysis stands for the new revision, reads nothing, and reports what a full build reports", async () => {
    const cacheDir = path.join(tmp, "cache-readme");
    const cold = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    const repos = [...new Set(manifest.models.filter((m) => !m.local).map((m) => m.repo ?? m.id))].filter((r) => hub.store.get(r));
    const before = new Map(repos.map((r) => [r, hub.store.get(r)!.json().refs.main!]));
    const okRepos = cold.models.filter((m) => m.status === "ok").map((m) => m.source.repo);
    try {
      for (const r of repos) {
        const c = hub.store.get(r)!.commit({ message: "Update README.md" });
        c.writeFile("README.md", `# ${r}\n\nnew text\n`);
        c.finish({ ref: "main" });
      }
      hub.resetLog();
      const ctx = ctxFor(cacheDir);
      const carried = await runCheck(manifest, ctx, { codeId: "t1", now: NOW });
      // no file of a readable model is read: its revision look-up and one paths-info call
      const reads = hub.requests.filter((x) => x.url.includes("/resolve/") && okRepos.some((r) => x.url.startsWith(`/${r}/resolve/`)));
      expect(reads).toEqual([]);
      // and nothing is parsed: no cached file or header is even opened (the analyses are carried)
      expect(ctx.cache.hits).toBe(0);
      for (const m of carried.models.filter((x) => x.status === "ok")) {
        expect(m.source.sha).toBe(hub.store.get(m.source.repo)!.json().refs.main);
        expect(m.source.sha).not.toBe(before.get(m.source.repo));
        expect(m.network.requests, m.model).toBe(2);
      }
      // exactly what a build from scratch at the new revisions reports
      const fresh = await runCheck(manifest, ctxFor(path.join(tmp, "cache-readme-fresh")), { codeId: "t1", now: NOW });
      expect(comparable(carried)).toEqual(comparable(fresh));
      // the carried entries are the new revision's own: the same revisions again are the look-ups only
      const warm = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
      for (const m of warm.models.filter((x) => x.status === "ok")) expect(m.network.requests, m.model).toBe(1);
      expect(comparable(warm)).toEqual(comparable(fresh));

      // a config edit in one repo: that model is built again (and reports its new config), the others carried
      const LLAMA = "meta-llama/Llama-3.1-8B-Instruct";
      const repo = hub.store.get(LLAMA)!;
      const cfg = JSON.parse(repo.readFile(repo.json().refs.main!, "config.json").toString("utf8")) as Record<string, unknown>;
      const c = repo.commit({ message: "Longer context" });
      c.writeJson("config.json", { ...cfg, max_position_embeddings: 2 * Number(cfg["max_position_embeddings"]) });
      c.finish({ ref: "main" });
      const edited = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
      const fresh2 = await runCheck(manifest, ctxFor(path.join(tmp, "cache-readme-fresh2")), { codeId: "t1", now: NOW });
      expect(comparable(edited)).toEqual(comparable(fresh2));
      expect(comparable(edited)).not.toEqual(comparable(fresh));
    } finally {
      for (const [r, sha] of before) hub.store.get(r)!.setRef("main", sha);
    }
  }, 60_000);

  it("a model that becomes gated at the same revision is UNKNOWN (gated) on the next warm run: no cache hides lost access", async () => {
    const cacheDir = path.join(tmp, "cache-gated");
    const QWEN = "Qwen/Qwen3-8B";
    const cold = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    expect(cold.models.find((m) => m.model === QWEN)?.status).toBe("ok");
    const repo = hub.store.get(QWEN)!;
    repo.update({ gated: "manual" });
    try {
      for (const codeId of ["t1", null]) {
        // with the analysis cache (t1) and with the file and header cache alone (null)
        const warm = await runCheck(manifest, ctxFor(cacheDir), { codeId, now: NOW });
        const fp = warm.models.find((m) => m.model === QWEN)!;
        expect(fp.status, String(codeId)).toBe("unknown");
        expect(fp.error?.code).toBe("gated");
        expect(warm.models.filter((m) => m.status === "ok")).toHaveLength(cold.models.filter((m) => m.status === "ok").length - 1);
      }
    } finally {
      repo.update({ gated: false });
    }
    // Access back (the repo is no longer gated): the cached analysis serves again with the revision look-up only.
    const again = await runCheck(manifest, ctxFor(cacheDir), { codeId: "t1", now: NOW });
    expect(again.models.find((m) => m.model === QWEN)?.network).toEqual({ requests: 1, bytes: expect.any(Number), cached: true });
  }, 60_000);
});
