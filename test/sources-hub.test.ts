/**
 * The Hub source over real HTTP: the local Hub server on 127.0.0.1, the real @huggingface/hub
 * client for model info, our fetch layer for files and ranged header reads.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acquire } from "../src/fingerprint/acquire.js";
import { bareEtag } from "../src/net/fetch.js";
import { createRunContext, createSource, type RunOptions } from "../src/sources/index.js";
import { HubError, StandinError } from "../src/util/errors.js";
import { buildCorpusRepo, buildSyntheticRepo } from "./hub/corpus-repos.js";
import { RepoStore } from "./hub/repo-store.js";
import { startHubServer, type HubServer } from "./hub/server.js";
import { tinyConfig } from "./hub/synth.js";
import { describeCorpus, hasCorpus } from "./support/corpus.js";

const TOKEN = "hf_testtokenAAAAAAAAAAAAAAAAAAAAAA";
let root: string;
let store: RepoStore;
let hub: HubServer;
let cacheDir: string;

function ctxFor(extra: RunOptions = {}) {
  return createRunContext({ hubUrl: hub.url, token: null, cacheDir: null, backoffBaseMs: 5, env: {}, ...extra });
}
async function acquireModel(id: string, extra: RunOptions = {}, revision = "main") {
  const ctx = ctxFor(extra);
  const src = createSource({ id, repo: id, local: null, revision }, ctx);
  const out = await acquire(src, { source: "auto" });
  return { out, ctx, src };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "standin-hubsrc-"));
  cacheDir = mkdtempSync(path.join(os.tmpdir(), "standin-cache-"));
  store = new RepoStore(root);
  const cfg = tinyConfig({});
  buildSyntheticRepo(store, "tiny/llama", cfg, { shards: 2 });
  buildSyntheticRepo(store, "tiny/single", cfg, {});
  buildSyntheticRepo(store, "tiny/gated", cfg, { shards: 2 });
  store.get("tiny/gated")?.update({ gated: "manual", authorized: [TOKEN] });
  buildSyntheticRepo(store, "tiny/disabled", cfg, {});
  store.get("tiny/disabled")?.update({ disabled: true });
  if (hasCorpus) buildCorpusRepo(store, "mistralai__Mistral-7B-Instruct-v0.3", { repoId: "mistralai/Mistral-7B-Instruct-v0.3" });
  hub = await startHubServer({ store, tokens: [TOKEN, "hf_otheruserBBBBBBBBBBBBBBBBBBBBBB"] });
});

afterAll(async () => {
  await hub?.close();
  rmSync(root, { recursive: true, force: true });
  rmSync(cacheDir, { recursive: true, force: true });
});

describeCorpus("sharded corpus repo (Mistral-7B-Instruct-v0.3, real weight map and shard sizes)", () => {
  it("fingerprints with the index's tensor count and total_size, in 1 info + 1 config + 1 index + 1 per shard", async () => {
    hub.resetLog();
    const { out, ctx } = await acquireModel("mistralai/Mistral-7B-Instruct-v0.3");
    const index = out.index!;
    expect(out.raw.tensors.length).toBe(index.weightMap.size);
    expect(out.raw.tensors.length).toBe(291);
    const dataBytes = out.raw.tensors.reduce((s, t) => s + (t.end - t.begin), 0);
    expect(dataBytes).toBe(index.totalSize);
    expect(out.raw.findings.filter((f) => f.severity === "error")).toEqual([]);
    const shards = index.shards.length;
    expect(shards).toBe(3);
    expect(ctx.layer.total.requests).toBe(1 + 1 + 1 + shards);
    // real shard sizes came back through Content-Range
    const sizes = out.raw.files.filter((f) => f.kind === "safetensors").map((f) => f.size);
    expect(sizes).toEqual([4949453792, 4999819336, 4546807800]);
    // one ranged GET per shard, no second read
    const ranged = hub.requests.filter((r) => r.range && r.listener === "hub");
    expect(ranged.length).toBe(shards);
  });

  it("a second run at the same revision makes no header requests (disk cache)", async () => {
    const first = await acquireModel("mistralai/Mistral-7B-Instruct-v0.3", { cacheDir });
    expect(first.ctx.layer.total.requests).toBe(6);
    hub.resetLog();
    const second = await acquireModel("mistralai/Mistral-7B-Instruct-v0.3", { cacheDir });
    expect(second.ctx.layer.total.requests).toBe(1);
    expect(hub.requests.filter((r) => r.url.includes("/resolve/")).length).toBe(0);
    expect(second.out.raw.tensors).toEqual(first.out.raw.tensors);
    expect(second.ctx.cache.hits).toBeGreaterThanOrEqual(5);
  });
});

describe("a new commit of a cached repo: unchanged files carried over by content id", () => {
  const ID = "tiny/carry";
  const cfg = tinyConfig({});
  let carryCache: string;
  beforeAll(() => {
    carryCache = mkdtempSync(path.join(os.tmpdir(), "standin-carry-"));
    buildSyntheticRepo(store, ID, cfg, { shards: 2 });
  });
  afterAll(() => rmSync(carryCache, { recursive: true, force: true }));

  const resolves = () => hub.requests.filter((r) => r.url.includes("/resolve/")).map((r) => decodeURIComponent(r.url.split("/").pop() ?? ""));
  const pathsInfoCalls = () => hub.requests.filter((r) => r.method === "POST" && r.url.includes("/paths-info/")).length;
  async function run() {
    hub.resetLog();
    const r = await acquireModel(ID, { cacheDir: carryCache });
    await r.ctx.cache.releaseWrites();
    return { ...r, resolves: resolves(), pathsInfo: pathsInfoCalls(), sha: (await r.src.resolve()).sha };
  }
  function commit(message: string, edit: (c: ReturnType<ReturnType<RepoStore["repo"]>["commit"]>) => void): string {
    const c = store.repo(ID).commit({ message });
    edit(c);
    return c.finish({ ref: "main" });
  }

  it("README edit: 1 info + 1 paths-info, no file read; config edit: only config.json; new shard headers: only the shards", async () => {
    const first = await run();
    expect(first.ctx.layer.total.requests).toBe(1 + 1 + 1 + 2);
    expect(first.pathsInfo).toBe(0); // nothing earlier in the cache: no extra call

    const readmeSha = commit("Update README.md", (c) => c.writeFile("README.md", "# tiny carry\n\nnew text\n"));
    const readme = await run();
    expect(readme.sha).toBe(readmeSha);
    expect(readme.resolves).toEqual([]);
    // the first run recorded the ids the Hub sent with the files (X-Linked-Etag, ETag): only the
    // new revision's are asked for
    expect(readme.pathsInfo).toBe(1);
    expect(readme.ctx.layer.total.requests).toBe(2);
    expect(readme.out.raw.tensors).toEqual(first.out.raw.tensors);
    expect(readme.out.raw.config).toEqual(first.out.raw.config);

    // the earlier revision was only looked at: pruning (what the action does after a run) removes it
    expect(await readme.ctx.cache.pruneStaleRevisions()).toBe(1);
    // the carried entries are this revision's own now: the same revision again is 1 request
    const again = await run();
    expect(again.ctx.layer.total.requests).toBe(1);
    expect(again.pathsInfo).toBe(0);

    commit("Update config.json", (c) => c.writeJson("config.json", { ...cfg, rope_theta: 12345 }));
    const conf = await run();
    expect(conf.resolves).toEqual(["config.json"]);
    expect(conf.ctx.layer.total.requests).toBe(1 + 1 + 1);
    expect((conf.out.raw.config as Record<string, unknown>)["rope_theta"]).toBe(12345);
    expect(conf.out.raw.tensors).toEqual(first.out.raw.tensors);

    // without the recorded ids (a cache from before they were kept) both revisions are asked
    for (const f of readdirSync(carryCache, { recursive: true, encoding: "utf8" })) if (f.endsWith(".ids")) rmSync(path.join(carryCache, f));
    // the same tensors written again with other metadata: both headers change, the index does not
    buildSyntheticRepo(store, ID, { ...cfg, rope_theta: 12345 }, { shards: 2, metadata: { format: "pt", note: "re-exported" } });
    const shards = await run();
    expect(shards.resolves.sort()).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(shards.pathsInfo).toBe(2);
    expect(shards.ctx.layer.total.requests).toBe(1 + 2 + 2);
    expect(shards.out.raw.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(first.out.raw.tensors.map((t) => [t.name, t.dtype, t.shape]));
  });

  it("unchangedSince: the earlier revision after a README commit; null once the file list or a file read changes", async () => {
    const ID2 = "tiny/unchanged";
    buildSyntheticRepo(store, ID2, cfg, { shards: 2 });
    const dir = mkdtempSync(path.join(os.tmpdir(), "standin-unchanged-"));
    try {
      /** A run on a fresh context: what unchangedSince says before anything is read, then the usual acquire. */
      const step = async (): Promise<{ sha: string; since: string | null }> => {
        const ctx = ctxFor({ cacheDir: dir });
        const src = createSource({ id: ID2, repo: ID2, local: null, revision: "main" }, ctx);
        const since = (await src.unchangedSince?.()) ?? null;
        await acquire(src, { source: "auto" });
        await ctx.cache.releaseWrites();
        return { sha: (await src.resolve()).sha!, since };
      };
      const edit = (message: string, f: (c: ReturnType<ReturnType<RepoStore["repo"]>["commit"]>) => void): void => {
        const c = store.repo(ID2).commit({ message });
        f(c);
        c.finish({ ref: "main" });
      };
      const first = await step();
      expect(first.since).toBeNull(); // nothing earlier
      edit("README", (c) => c.writeFile("README.md", "# changed\n"));
      const readme = await step();
      expect(readme.since).toBe(first.sha);
      edit("README again", (c) => c.writeFile("README.md", "# changed twice\n"));
      expect((await step()).since).toBe(readme.sha); // the chain goes on from a carried revision
      edit("a new file", (c) => c.writeFile("notes.txt", "x"));
      expect((await step()).since).toBeNull(); // the file list changed: format and layout come from it
      edit("README once more", (c) => c.writeFile("README.md", "# changed thrice\n"));
      expect((await step()).since).not.toBeNull();
      edit("config", (c) => c.writeJson("config.json", { ...cfg, rope_theta: 777 }));
      expect((await step()).since).toBeNull(); // a file the analysis read changed
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the fetch layer gives the Hub's content ids: X-Linked-Etag of the 302 (not the CDN's ETag), a small file's ETag", async () => {
    const ctx = ctxFor();
    const sha = store.repo(ID).resolveRevision("main")!;
    const files = store.repo(ID).files(sha);
    const shard = Object.keys(files).find((f) => f.endsWith(".safetensors"))!;
    const base = `${hub.url}/${ID}/resolve/${sha}/`;
    const h = await ctx.layer.request(base + shard, { range: [0, 7] });
    expect(h.url.startsWith(hub.url)).toBe(false); // served by the CDN listener
    expect(h.contentId).toBe(files[shard]!.lfs!.oid);
    const c = await ctx.layer.request(base + "config.json");
    expect(c.contentId).toBe(files["config.json"]!.oid);
    expect(bareEtag('W/"abc"')).toBe("abc");
    expect(bareEtag(null)).toBe(null);
  });

  it("a failing paths-info call only means the files are read as usual", async () => {
    commit("Update README.md again", (c) => c.writeFile("README.md", "# tiny carry\n\nthird text\n"));
    const faulty = await startHubServer({ store, faults: [{ kind: "5xx", status: 500, match: { path: /paths-info/ } }] });
    try {
      const ctx = createRunContext({ hubUrl: faulty.url, token: null, cacheDir: carryCache, backoffBaseMs: 5, retries: 0, env: {} });
      const src = createSource({ id: ID, repo: ID, local: null, revision: "main" }, ctx);
      const out = await acquire(src, { source: "auto" });
      expect(out.raw.findings.filter((f) => f.severity === "error")).toEqual([]);
      expect(out.raw.tensors.length).toBeGreaterThan(0);
      expect(faulty.requests.filter((r) => r.url.includes("/paths-info/")).map((r) => r.status)).toEqual([500]);
      expect(faulty.requests.filter((r) => r.url.includes("/resolve/")).length).toBe(1 + 1 + 2);
    } finally {
      await faulty.close();
    }
  });
});

describe("hub source", () => {
  it("reads a single-file repo in 1 info + 1 config + 1 header request", async () => {
    const { out, ctx } = await acquireModel("tiny/single");
    expect(out.raw.tensors.length).toBeGreaterThan(5);
    expect(ctx.layer.total.requests).toBe(3);
    expect(out.raw.resolved.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("pins every file read to the resolved commit sha", async () => {
    hub.resetLog();
    const { out } = await acquireModel("tiny/llama");
    const sha = out.raw.resolved.sha!;
    const resolves = hub.requests.filter((r) => r.url.includes("/resolve/"));
    expect(resolves.length).toBeGreaterThan(0);
    for (const r of resolves) expect(r.url).toContain(`/resolve/${sha}/`);
  });

  it("does not send the token to the CDN", async () => {
    hub.resetLog();
    const { ctx } = await acquireModel("tiny/gated", { token: TOKEN });
    expect(ctx.layer.total.requests).toBeGreaterThan(2);
    const hubReqs = hub.requests.filter((r) => r.listener === "hub");
    const cdnReqs = hub.requests.filter((r) => r.listener === "cdn");
    expect(cdnReqs.length).toBeGreaterThan(0);
    expect(hubReqs.every((r) => r.auth)).toBe(true);
    expect(cdnReqs.some((r) => r.auth)).toBe(false);
  });

  describe("error matrix: typed errors that name the model", () => {
    const cases: Array<[string, string, RunOptions, string]> = [
      ["missing repo, anonymous (401)", "nobody/nothing", {}, "repo_not_found"],
      ["missing repo, with token (404 RepoNotFound)", "nobody/nothing", { token: TOKEN }, "repo_not_found"],
      ["gated repo, anonymous (401 GatedRepo)", "tiny/gated", {}, "gated"],
      ["gated repo, token without access (403 GatedRepo)", "tiny/gated", { token: "hf_otheruserBBBBBBBBBBBBBBBBBBBBBB" }, "gated"],
      ["bad token (401 invalid credentials)", "tiny/llama", { token: "hf_notarealtokenCCCCCCCCCCCCCCCCCC" }, "bad_token"],
      ["disabled repo", "tiny/disabled", {}, "disabled"],
    ];
    for (const [name, id, extra, code] of cases) {
      it(name, async () => {
        const err = await acquireModel(id, extra).then(
          () => null,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(HubError);
        expect((err as HubError).code).toBe(code);
        expect((err as HubError).model).toBe(id);
        expect((err as StandinError).describe()).toContain(id);
      });
    }
    it("bad revision (404 RevisionNotFound)", async () => {
      const err = (await acquireModel("tiny/llama", {}, "no-such-branch").catch((e: unknown) => e)) as HubError;
      expect(err.code).toBe("revision_not_found");
      expect(err.hint).toMatch(/revision/);
    });
    it("a token is never in an error message", async () => {
      const err = (await acquireModel("tiny/gated", { token: "hf_otheruserBBBBBBBBBBBBBBBBBBBBBB" }).catch((e: unknown) => e)) as HubError;
      expect(JSON.stringify(err.toJSON()) + err.describe() + err.message).not.toContain("hf_otheruser");
    });
  });

  describe("faults", () => {
    it("retries 429 (honouring Retry-After) and 5xx, and the result is right", async () => {
      const clean = await acquireModel("tiny/llama");
      hub.setFaults([
        { kind: "429", times: 2, retryAfter: 0, match: { path: /\/resolve\// } },
        { kind: "5xx", status: 503, times: 2, match: { path: /\/api\/models\// } },
        { kind: "5xx", status: 502, times: 1, match: { path: /\/resolve\// } },
      ]);
      try {
        const faulty = await acquireModel("tiny/llama");
        expect(faulty.out.raw.tensors).toEqual(clean.out.raw.tensors);
        expect(faulty.ctx.layer.total.retries).toBe(5);
      } finally {
        hub.setFaults([]);
      }
    });

    it("retries connection resets and truncated bodies", async () => {
      const clean = await acquireModel("tiny/llama");
      hub.setFaults([
        { kind: "reset", times: 1, match: { path: /config\.json/ } },
        { kind: "truncate", times: 1, match: { listener: "cdn" } },
      ]);
      try {
        const faulty = await acquireModel("tiny/llama");
        expect(faulty.out.raw.tensors).toEqual(clean.out.raw.tensors);
        expect(faulty.ctx.layer.total.retries).toBe(2);
      } finally {
        hub.setFaults([]);
      }
    });

    it("a Range-ignoring server aborts without reading the body", async () => {
      hub.setFaults([{ kind: "ignore-range" }]);
      try {
        const err = (await acquireModel("tiny/llama").catch((e: unknown) => e)) as HubError;
        expect(err).toBeInstanceOf(HubError);
        expect(err.code).toBe("range_not_supported");
        expect(err.model).toBe("tiny/llama");
        expect(err.file).toMatch(/\.safetensors$/);
      } finally {
        hub.setFaults([]);
      }
    });

    it("a stalled body times out (bounded wait) and is retried", async () => {
      const clean = await acquireModel("tiny/single");
      hub.setFaults([{ kind: "stall", times: 1, match: { listener: "cdn" } }]);
      try {
        const t0 = Date.now();
        const faulty = await acquireModel("tiny/single", { stallTimeoutMs: 300, timeoutMs: 300 });
        expect(Date.now() - t0).toBeLessThan(5000);
        expect(faulty.out.raw.tensors).toEqual(clean.out.raw.tensors);
        expect(faulty.ctx.layer.total.retries).toBe(1);
      } finally {
        hub.setFaults([]);
      }
    });
  });
});
