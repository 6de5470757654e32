/**
 * The weekly baseline store (src/github/baseline.ts) against the local GitHub server with the real
 * client (@actions/github getOctokit + retry + throttling): the data branch written through the
 * Git Data API (orphan creation, fast-forward updates, a concurrent writer, pruning), reads of a
 * missing branch/file as a first run, read-only tokens, and the file: baseline. Every test ends
 * with zero OpenAPI violations.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  BaselineError,
  DEFAULT_MAX_HISTORY,
  compactResults,
  createBaselineStore,
  parseBaselineSpec,
  type BaselineStore,
  type StoreOptions,
} from "../src/github/baseline.js";
import { createGitHubClient } from "../src/github/client.js";
import { diffResults } from "../src/github/regressions.js";
import { toJson } from "../src/report/json.js";
import type { Results } from "../src/report/types.js";
import { actionsToken, forkPullRequestToken, startGitHubServer, type GitHubServer } from "./github/server.js";
import { zooResults } from "./support/results-fixture.js";
import { weekResults } from "./support/weekly-scenario.js";

const OWNER = "acme";
const WRITE = "ghs_standinBaselineWriteToken000000000000";
const READ = "ghs_standinBaselineForkReadOnly0000000000";

let gh: GitHubServer;
let tmp: string;
let seq = 0;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-baseline-"));
  gh = await startGitHubServer({ tokens: [actionsToken(WRITE), forkPullRequestToken(READ)] });
});

afterEach(() => {
  try {
    gh.assertNoViolations();
  } finally {
    gh.reset();
    gh.clearFaults();
  }
});

afterAll(async () => {
  await gh.close();
  rmSync(tmp, { recursive: true, force: true });
});

function newRepo(init: { empty?: boolean; files?: Record<string, string> } = {}): { owner: string; repo: string; full: string } {
  const name = `zoo-${++seq}`;
  gh.state.addRepo({ owner: OWNER, name, ...init });
  return { owner: OWNER, repo: name, full: `${OWNER}/${name}` };
}

function client(token = WRITE) {
  return createGitHubClient({ token, baseUrl: gh.url, env: { STANDIN_GITHUB_FAST_WRITES: "1" } });
}

function store(repo: { owner: string; repo: string }, spec: string, opts: StoreOptions = {}, token = WRITE): BaselineStore {
  return createBaselineStore(client(token), { owner: repo.owner, repo: repo.repo }, spec, { sleep: async () => undefined, ...opts });
}

function dated(r: Results, date: string): Results {
  return { ...r, generatedAt: `${date}T06:00:00.000Z` };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error("expected a rejection");
}

describe("baseline spec", () => {
  it("parses branch:<name>[:<dir>] and file:<path>", () => {
    expect(parseBaselineSpec("")).toEqual({ kind: "branch", branch: "standin-baseline", dir: "" });
    expect(parseBaselineSpec("branch:standin-baseline")).toEqual({ kind: "branch", branch: "standin-baseline", dir: "" });
    expect(parseBaselineSpec("branch:data/zoo:weekly/")).toEqual({ kind: "branch", branch: "data/zoo", dir: "weekly" });
    expect(parseBaselineSpec("branch:x:.")).toEqual({ kind: "branch", branch: "x", dir: "" });
    expect(parseBaselineSpec("branch:")).toEqual({ kind: "branch", branch: "standin-baseline", dir: "" });
    expect(parseBaselineSpec("file:./baselines/zoo.json")).toEqual({ kind: "file", path: "baselines/zoo.json" });
    for (const bad of ["gh-pages", "branch:../x", "branch:a b", "file:", "file:../../etc/passwd", "branch:x:../up"]) {
      expect(() => parseBaselineSpec(bad), bad).toThrow(BaselineError);
    }
  });
});

describe("branch baseline", () => {
  it("first run: a missing branch reads as no baseline; the write creates an orphan branch", async () => {
    const repo = newRepo();
    const s = store(repo, "branch:standin-baseline");
    expect(await s.read()).toBeNull();
    expect(await s.readHistory()).toEqual([]);
    expect(gh.requests.map((r) => [r.operationId, r.status])).toEqual([
      ["repos/get-content", 404],
      ["repos/get-content", 404],
    ]);
    gh.reset();

    const week1 = weekResults(1);
    const res = await s.write(week1, { diff: diffResults(null, week1) });
    expect(res).toMatchObject({ written: true, branch: "standin-baseline", attempts: 1, created: true, pruned: [] });
    if (!res.written) throw new Error("not written");
    expect(gh.requests.map((r) => [r.method, r.operationId, r.status])).toEqual([
      ["GET", "git/get-ref", 404],
      ["POST", "git/create-blob", 201],
      ["POST", "git/create-blob", 201],
      ["POST", "git/create-tree", 201],
      ["POST", "git/create-commit", 201],
      ["POST", "git/create-ref", 201],
    ]);
    const git = gh.state.git(repo.full);
    expect(git.commit(res.commit)?.parents).toEqual([]); // orphan: no history of the default branch
    expect(gh.state.branchHead(repo.full, "main")).not.toBe(res.commit);
    const files = [...git.flatten(git.commit(res.commit)?.tree ?? "").keys()];
    expect(files).toEqual(["history/2026-07-06.json", "latest.json"]);
    // the stored baseline is the compacted results, canonical JSON
    expect(gh.state.readFile(repo.full, "standin-baseline", "latest.json")).toBe(toJson(compactResults(week1)));

    gh.reset();
    const back = await s.read();
    expect(back).toEqual(JSON.parse(toJson(compactResults(week1))));
    expect(back?.matrix).toEqual([]);
    const history = await s.readHistory();
    expect(history).toHaveLength(1);
    expect(history[0]).toMatchObject({
      schema: "standin.history/v1",
      date: "2026-07-06",
      integrityFailures: 1,
      drifted: [],
      models: 13,
      pairs: 10,
      regressions: 0,
      pairVerdicts: { FULL_SUBSTITUTE: 3, PARTIAL_SUBSTITUTE: 3, NO_SUBSTITUTE: 3, UNKNOWN: 1 },
    });
    // the dashboard's verdict counts are over the all-pairs matrix (13 x 12 cells)
    const v = history[0]?.verdicts ?? { FULL_SUBSTITUTE: 0, PARTIAL_SUBSTITUTE: 0, NO_SUBSTITUTE: 0, UNKNOWN: 0 };
    expect(v.FULL_SUBSTITUTE + v.PARTIAL_SUBSTITUTE + v.NO_SUBSTITUTE + v.UNKNOWN).toBe(13 * 12);
    expect(history[0]?.shas["openai/gpt-oss-20b"]).toBe("6cee5e81ee83917806bbde320786a8fb61efebee");
  });

  it("later runs fast-forward the branch on top of the head, with dated history", async () => {
    const repo = newRepo();
    const s = store(repo, "branch:standin-baseline");
    const w1 = weekResults(1);
    const first = await s.write(w1);
    const w2 = weekResults(2);
    gh.reset();
    const second = await s.write(w2, { diff: diffResults(w1, w2) });
    if (!first.written || !second.written) throw new Error("not written");
    expect(second).toMatchObject({ attempts: 1, created: false });
    expect(gh.requests.map((r) => [r.method, r.operationId, r.status])).toEqual([
      ["GET", "git/get-ref", 200],
      ["GET", "git/get-commit", 200],
      ["GET", "git/get-tree", 200],
      ["POST", "git/create-blob", 201],
      ["POST", "git/create-blob", 201],
      ["POST", "git/create-tree", 201],
      ["POST", "git/create-commit", 201],
      ["PATCH", "git/update-ref", 200],
    ]);
    expect(gh.requests.find((r) => r.operationId === "git/update-ref")?.requestBody).toEqual({ sha: second.commit, force: false });
    expect(gh.state.git(repo.full).commit(second.commit)?.parents).toEqual([first.commit]);
    const history = await s.readHistory();
    expect(history.map((h) => [h.date, h.drifted, h.regressions])).toEqual([
      ["2026-07-06", [], 0],
      ["2026-07-13", ["meta-llama/Llama-3.1-8B-Instruct"], 4],
    ]);
    expect((await s.read())?.generatedAt).toBe(w2.generatedAt);
  });

  it("`latest` stores the ratcheted baseline while the history records the run", async () => {
    const repo = newRepo();
    const s = store(repo, "branch:standin-baseline");
    const w1 = weekResults(1);
    const w2 = weekResults(2);
    await s.write(w2, { latest: w1, date: "2026-07-13" });
    expect((await s.read())?.generatedAt).toBe(w1.generatedAt);
    const [h] = await s.readHistory();
    expect(h?.unknown).toEqual(["openai/gpt-oss-20b", "google/gemma-3-27b-it"]);
    expect(h?.generatedAt).toBe(w2.generatedAt);
  });

  it("a concurrent writer moves the branch: re-read the head, rebuild on top of it, keep its files and the history", async () => {
    const repo = newRepo();
    const sleeps: number[] = [];
    const s = store(repo, "branch:standin-baseline", { sleep: async (ms) => void sleeps.push(ms), random: () => 0.5, backoffMs: 100 });
    await s.write(weekResults(1));
    const writer = gh.fault({ kind: "concurrent-writer", match: { operationId: "git/update-ref" }, files: { "notes/other-writer.json": '{"by":"other"}\n', "history/2026-07-10.json": "{}\n" } });
    gh.reset();
    const res = await s.write(weekResults(2));
    expect(res).toMatchObject({ written: true, attempts: 2 });
    expect(writer.hits).toBe(1);
    expect(sleeps).toEqual([100]); // attempt 1 * 100 ms * (0.5 + 0.5)
    expect(gh.requests.filter((r) => r.operationId === "git/update-ref").map((r) => [r.status, r.fault])).toEqual([
      [422, "concurrent-writer"],
      [200, undefined],
    ]);
    // blobs are content-addressed: created once, reused by the second attempt
    expect(gh.requests.filter((r) => r.operationId === "git/create-blob")).toHaveLength(2);
    expect(gh.requests.filter((r) => r.operationId === "git/get-ref")).toHaveLength(2);
    expect(gh.state.readFile(repo.full, "standin-baseline", "notes/other-writer.json")).toBe('{"by":"other"}\n');
    expect(gh.state.readFile(repo.full, "standin-baseline", "history/2026-07-10.json")).toBe("{}\n");
    expect(JSON.parse(gh.state.readFile(repo.full, "standin-baseline", "latest.json") ?? "{}").generatedAt).toBe("2026-07-13T06:00:00.000Z");
    const dates = [...gh.state.git(repo.full).flatten(gh.state.git(repo.full).commit(gh.state.branchHead(repo.full, "standin-baseline") ?? "")?.tree ?? "").keys()].filter((p) => p.startsWith("history/"));
    expect(dates).toEqual(["history/2026-07-06.json", "history/2026-07-10.json", "history/2026-07-13.json"]);
    // the other writer's history file is not a valid entry: readHistory skips it
    expect((await s.readHistory()).map((h) => h.date)).toEqual(["2026-07-06", "2026-07-13"]);
  });

  it("two writers racing to create the branch: the loser retries as an update", async () => {
    const repo = newRepo();
    const s = store(repo, "branch:standin-baseline");
    // another writer creates the branch just before our create-ref
    const restore = gh.override("git/create-ref", () => {
      gh.state.commitFiles(repo.full, "standin-baseline", { "latest.json": "{}\n" }, "other writer");
      return { status: 422, body: { message: "Reference already exists", documentation_url: "https://docs.github.com/rest/git/refs#create-a-reference", status: "422" } };
    });
    let res;
    try {
      res = await s.write(weekResults(1));
    } finally {
      restore();
    }
    expect(res).toMatchObject({ written: true, attempts: 2, created: false });
    expect(gh.requests.filter((r) => r.operationId !== null).map((r) => [r.operationId, r.status]).slice(-3)).toEqual([
      ["git/create-tree", 201],
      ["git/create-commit", 201],
      ["git/update-ref", 200],
    ]);
  });

  it("a branch that keeps moving: a typed conflict after the bounded attempts", async () => {
    const repo = newRepo();
    const s = store(repo, "branch:standin-baseline", { maxAttempts: 3 });
    await s.write(weekResults(1));
    const head = gh.state.branchHead(repo.full, "standin-baseline");
    gh.fault({ kind: "concurrent-writer", match: { operationId: "git/update-ref" }, times: Infinity });
    const err = await rejection(s.write(weekResults(2)));
    expect(err).toBeInstanceOf(BaselineError);
    expect(err).toMatchObject({ code: "baseline_conflict", status: 422 });
    expect(gh.requests.filter((r) => r.operationId === "git/update-ref").map((r) => r.status)).toEqual([422, 422, 422]);
    expect(gh.state.branchHead(repo.full, "standin-baseline")).not.toBe(head); // only the other writer's commits
    expect(JSON.parse(gh.state.readFile(repo.full, "standin-baseline", "latest.json") ?? "{}").generatedAt).toBe("2026-07-06T06:00:00.000Z");
  });

  it("prunes the history past the bound (one compact file per run)", async () => {
    const repo = newRepo();
    const s = store(repo, "branch:standin-baseline:data/weekly", { maxHistory: 3 });
    const dates = ["2026-06-01", "2026-06-08", "2026-06-15", "2026-06-22", "2026-06-29"];
    const pruned: string[][] = [];
    for (const d of dates) {
      const res = await s.write(dated(zooResults(), d));
      if (!res.written) throw new Error("not written");
      pruned.push(res.pruned);
    }
    expect(pruned).toEqual([[], [], [], ["data/weekly/history/2026-06-01.json"], ["data/weekly/history/2026-06-08.json"]]);
    expect((await s.readHistory()).map((h) => h.date)).toEqual(["2026-06-15", "2026-06-22", "2026-06-29"]);
    // a second run on the same date replaces that date's file
    await s.write(dated(weekResults(2), "2026-06-29"));
    const h = await s.readHistory();
    expect(h.map((x) => [x.date, x.unknown])).toEqual([
      ["2026-06-15", ["google/gemma-3-27b-it"]],
      ["2026-06-22", ["google/gemma-3-27b-it"]],
      ["2026-06-29", ["openai/gpt-oss-20b", "google/gemma-3-27b-it"]],
    ]);
    expect(gh.state.readFile(repo.full, "standin-baseline", "latest.json")).toBeNull();
    expect(gh.state.readFile(repo.full, "standin-baseline", "data/weekly/latest.json")).not.toBeNull();
  });

  it(`keeps ${DEFAULT_MAX_HISTORY} history files by default`, async () => {
    const repo = newRepo();
    const files: Record<string, string> = {};
    const start = Date.parse("2025-06-02T00:00:00Z");
    for (let i = 0; i < DEFAULT_MAX_HISTORY; i++) {
      const d = new Date(start + i * 7 * 86_400_000).toISOString().slice(0, 10);
      files[`history/${d}.json`] = `${JSON.stringify({ schema: "standin.history/v1", date: d, verdicts: {}, integrityFailures: 0, drifted: [] })}\n`;
    }
    gh.state.commitFiles(repo.full, "standin-baseline", files, "a year of weekly runs");
    const s = store(repo, "branch:standin-baseline");
    const res = await s.write(dated(zooResults(), "2026-06-01"));
    expect(res).toMatchObject({ written: true, pruned: ["history/2025-06-02.json"] });
    const h = await s.readHistory();
    expect(h).toHaveLength(DEFAULT_MAX_HISTORY);
    expect(h[0]?.date).toBe("2025-06-09");
    expect(h.at(-1)?.date).toBe("2026-06-01");
  });

  it("a read-only token (fork pull request) reads the baseline; its write is a typed 403", async () => {
    const repo = newRepo();
    await store(repo, "branch:standin-baseline").write(weekResults(1));
    const head = gh.state.branchHead(repo.full, "standin-baseline");
    const ro = store(repo, "branch:standin-baseline", {}, READ);
    expect((await ro.read())?.generatedAt).toBe("2026-07-06T06:00:00.000Z");
    expect(await ro.readHistory()).toHaveLength(1);
    gh.reset();
    const err = await rejection(ro.write(weekResults(2)));
    expect(err).toBeInstanceOf(BaselineError);
    expect(err).toMatchObject({ code: "baseline_forbidden", status: 403 });
    expect((err as BaselineError).hint).toMatch(/contents: write/);
    expect(gh.requests.map((r) => [r.operationId, r.status])).toEqual([
      ["git/get-ref", 200],
      ["git/get-commit", 200],
      ["git/get-tree", 200],
      ["git/create-blob", 403],
    ]);
    expect(gh.state.branchHead(repo.full, "standin-baseline")).toBe(head);
  });

  it("an empty repository reads as no baseline; writing says what to do", async () => {
    const repo = newRepo({ empty: true });
    const s = store(repo, "branch:standin-baseline");
    expect(await s.read()).toBeNull();
    expect(await s.readHistory()).toEqual([]);
    // this server accepts blobs in an empty repository; GitHub answers 409 "Git Repository is empty."
    const restore = gh.override("git/create-blob", () => ({ status: 409, body: { message: "Git Repository is empty.", documentation_url: "https://docs.github.com/rest/git/blobs#create-a-blob", status: "409" } }));
    try {
      const err = await rejection(s.write(weekResults(1)));
      expect(err).toMatchObject({ code: "baseline_unavailable", status: 409 });
    } finally {
      restore();
    }
  });

  it("an invalid latest.json is a typed error, not a first run", async () => {
    const repo = newRepo();
    gh.state.commitFiles(repo.full, "standin-baseline", { "latest.json": '{"schema":"standin.fingerprint/v1"}' }, "broken");
    const err = await rejection(store(repo, "branch:standin-baseline").read());
    expect(err).toBeInstanceOf(BaselineError);
    expect(err).toMatchObject({ code: "baseline_invalid" });
    expect((err as BaselineError).message).toMatch(/not a results file/);
  });

  it("stores the 13-model fixture in about 65 kB (the matrix, plan entries and comparison detail dropped)", async () => {
    const repo = newRepo();
    const full = zooResults();
    const res = await store(repo, "branch:standin-baseline").write(full);
    if (!res.written) throw new Error("not written");
    expect(Buffer.byteLength(toJson(full))).toBeGreaterThan(160_000);
    expect(res.bytes.latest).toBeLessThan(70_000);
    expect(res.bytes.history).toBeLessThan(2_000);
    const stored = compactResults(full);
    expect(stored.models.map((m) => [m.model, m.source.sha, m.features, m.scale, m.tensorCount, m.params])).toEqual(
      full.models.map((m) => [m.model, m.source.sha, m.features, m.scale, m.tensorCount, m.params]),
    );
    expect(stored.pairs.map((p) => [p.target, p.proxy, p.verdict, p.require, p.ok, p.reasons])).toEqual(full.pairs.map((p) => [p.target, p.proxy, p.verdict, p.require, p.ok, p.reasons]));
    expect(stored.plans.map((p) => [p.target, p.proxy, p.proxyVerdict])).toEqual(full.plans.map((p) => [p.target, p.proxy, p.proxyVerdict]));
    // the diff of a compacted baseline equals the diff of the full one
    const w2 = weekResults(2);
    const w1 = weekResults(1);
    expect(diffResults(compactResults(w1), w2)).toEqual(diffResults(w1, w2));
  });
});

describe("file baseline", () => {
  it("reads the checkout first, else the default branch through the contents API; never writes", async () => {
    const repo = newRepo({ files: { "README.md": "# zoo\n", "baselines/zoo.json": toJson(weekResults(1)) } });
    const ws = path.join(tmp, "checkout");
    mkdirSync(path.join(ws, "baselines"), { recursive: true });
    writeFileSync(path.join(ws, "baselines", "zoo.json"), toJson(weekResults(3)));

    const local = store(repo, "file:baselines/zoo.json", { workspace: ws });
    expect(local.describe()).toBe("file baselines/zoo.json");
    expect((await local.read())?.generatedAt).toBe("2026-07-20T06:00:00.000Z");
    expect(gh.requests).toEqual([]); // read from disk

    const api = store(repo, "file:baselines/zoo.json", { workspace: path.join(tmp, "no-checkout") }, READ);
    expect((await api.read())?.generatedAt).toBe("2026-07-06T06:00:00.000Z");
    expect(gh.requests.map((r) => [r.operationId, r.status, r.query.ref ?? null])).toEqual([["repos/get-content", 200, null]]);

    const missing = store(repo, "file:baselines/none.json", { env: {} });
    expect(await missing.read()).toBeNull();

    const w = await local.write(weekResults(3));
    expect(w).toEqual({ written: false, reason: expect.stringMatching(/does not write it; update it by a reviewed pull request/) });
    expect(await local.readHistory()).toEqual([]);
  });
});
