/**
 * End-to-end: the built dist/index.js run as a subprocess, as a runner would (INPUT_*, a real
 * pull_request payload from @octokit/webhooks-examples, GITHUB_OUTPUT / GITHUB_STEP_SUMMARY), with
 * GITHUB_API_URL at the local GitHub API server (every exchange validated against GitHub's
 * OpenAPI description) and the Hub at the built-in demo Hub.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MANIFEST, startDemoHub } from "../demo/build.js";
import { parseResults } from "../src/report/json.js";
import type { Results } from "../src/report/types.js";
import { COMMENT_MARKER } from "../src/github/comment.js";
import { actionsEnv, pullRequestEventFor, writeEventFile } from "./github/events.js";
import { actionsToken, forkPullRequestToken, startGitHubServer, type GitHubServer } from "./github/server.js";
import type { HubServer } from "./hub/server.js";
import { runAction } from "./support/action-runner.js";

const WRITE = "ghs_writeTokenAAAAAAAAAAAAAAAAAAAAAAAAA";
const READ = "ghs_forkReadOnlyTokenBBBBBBBBBBBBBBBBBBB";
const REPO = "acme/engine";
const MANIFEST = "demo/model-zoo.yaml";

let hub: HubServer;
let gh: GitHubServer;
let tmp: string;
let prNumber: number;
let forkPrNumber: number;
let eventPath: string;
let forkEventPath: string;

/** The base branch's manifest: the demo zoo without Qwen3-30B-A3B (so the PR "adds" it and its pair). */
function baseManifest(): string {
  const text = readFileSync(DEMO_MANIFEST, "utf8");
  return text
    .split("\n")
    .filter((l, i, all) => !l.includes("Qwen/Qwen3-30B-A3B") && !(all[i - 1]?.includes("id: Qwen/Qwen3-30B-A3B") && l.includes("tags:")))
    .join("\n");
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-e2e-"));
  hub = await startDemoHub(path.join(tmp, "hub"));
  gh = await startGitHubServer({
    repos: [
      { owner: "acme", name: "engine" },
      { owner: "contributor", name: "engine", fork: REPO },
    ],
    tokens: [actionsToken(WRITE, { repositories: [REPO] }), forkPullRequestToken(READ, [REPO])],
  });
  gh.state.commitFiles(REPO, "main", { [MANIFEST]: baseManifest() }, "Add the model zoo");
  const pr = gh.state.createPullRequest(REPO, { title: "Add Qwen3-30B-A3B to the zoo", user: "dev", head: { ref: "add-qwen-moe" }, files: [{ filename: MANIFEST, status: "modified" }] });
  prNumber = pr.number;
  eventPath = writeEventFile(tmp, pullRequestEventFor(pr, { apiUrl: gh.url }), "pr.json");
  const fork = gh.state.createPullRequest(REPO, { title: "From a fork", user: "contributor", head: { ref: "fork-branch", repo: "contributor/engine" } });
  forkPrNumber = fork.number;
  forkEventPath = writeEventFile(tmp, pullRequestEventFor(fork, { apiUrl: gh.url }), "fork.json");
}, 60_000);

afterAll(async () => {
  await hub?.close();
  await gh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

function prEnv(token: string, evPath = eventPath, runId = 1001): Record<string, string> {
  const payload = JSON.parse(readFileSync(evPath, "utf8")) as Parameters<typeof actionsEnv>[0]["payload"];
  return { ...actionsEnv({ eventName: "pull_request", eventPath: evPath, payload, apiUrl: gh.url, runId }), GITHUB_TOKEN: token };
}

function baseInputs(extra: Record<string, string> = {}): Record<string, string> {
  return { manifest: MANIFEST, "hub-url": hub.url, "test-seq-len": "4096", ...extra };
}

function comments(n: number) {
  return gh.state.comments(REPO, n).filter((c) => (c.body ?? "").includes(COMMENT_MARKER));
}

describe("pr mode", () => {
  it("first run creates the sticky comment, second run updates it: one comment in the end", async () => {
    const outDir = path.join(tmp, "out-pr");
    const first = await runAction(baseInputs({ mode: "pr", "github-token": WRITE, "fail-on": "none", "output-dir": outDir }), prEnv(WRITE, eventPath, 1001));
    expect(first.code, first.stdout + first.stderr).toBe(0);
    expect(comments(prNumber)).toHaveLength(1);
    const created = comments(prNumber)[0]!;
    // verdict first: the headline is the first line
    expect(created.body!.split("\n")[0]).toMatch(/standin/);
    // the PR's models come first; the rest of the zoo is folded
    expect(created.body).toContain("Qwen/Qwen3-30B-A3B");
    expect(created.body!.length).toBeLessThanOrEqual(65_536);
    expect(first.summary).toContain("standin");
    for (const o of ["verdicts", "full-substitute-pairs", "failures", "report-path", "test-matrix"]) expect(first.outputs[o], o).toBeDefined();
    const verdicts = JSON.parse(first.outputs.verdicts!) as { target: string; proxy: string; verdict: string }[];
    expect(verdicts.find((v) => v.target === "meta-llama/Llama-3.1-70B-Instruct")?.verdict).toBe("FULL_SUBSTITUTE");
    const tm = JSON.parse(first.outputs["test-matrix"]!) as { include: { model: string; covers: string[] }[] };
    expect(Object.keys(tm)).toEqual(["include"]);
    expect(tm.include.length).toBeGreaterThan(0);

    const second = await runAction(baseInputs({ mode: "pr", "github-token": WRITE, "fail-on": "none", "output-dir": outDir }), prEnv(WRITE, eventPath, 1002));
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(second.stdout).toMatch(/PR comment (updated|unchanged)/);
    const after = comments(prNumber);
    expect(after).toHaveLength(1);
    expect(after[0]!.id).toBe(created.id);
    expect(after[0]!.body).toContain('"run":1002');
    gh.assertNoViolations();
  });

  it("annotates the manifest line of each failing model and exits non-zero per fail-on", async () => {
    const strict = await runAction(baseInputs({ mode: "pr", "github-token": WRITE, "fail-on": "integrity,expectations", "output-dir": path.join(tmp, "out-strict") }), prEnv(WRITE, eventPath, 1003));
    expect(strict.code).toBe(1);
    // the gated demo model cannot be read without a token: an error annotation on its manifest line
    const line = readFileSync(DEMO_MANIFEST, "utf8").split("\n").findIndex((l) => l.includes("id: acme/gated-llama")) + 1;
    expect(strict.stdout).toContain(`::error title=standin%3A unknown,file=${MANIFEST},line=${line}::acme/gated-llama: the model could not be read`);
    expect(strict.stdout).toMatch(/::error::standin gate: 1 failure/);
    expect(Number(strict.outputs.failures)).toBe(1);
    // the comment was still posted before the gate failed
    expect(comments(prNumber)).toHaveLength(1);

    const none = await runAction(baseInputs({ mode: "check", "fail-on": "none", "output-dir": path.join(tmp, "out-none") }), prEnv(WRITE, eventPath, 1004));
    expect(none.code).toBe(0);
    const pairs = await runAction(baseInputs({ mode: "check", "fail-on": "no-substitute", "output-dir": path.join(tmp, "out-nosub") }), prEnv(WRITE, eventPath, 1005));
    // Qwen3-30B-A3B <- Qwen3-8B is NO_SUBSTITUTE (dense vs MoE), the gated pair UNKNOWN
    expect(pairs.code).toBe(1);
    expect(pairs.stdout).toContain("Qwen/Qwen3-30B-A3B <- Qwen/Qwen3-8B");
    const bad = await runAction(baseInputs({ mode: "check", "fail-on": "sometimes" }), prEnv(WRITE, eventPath, 1006));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/fail-on: unknown value\(s\) "sometimes"/);
    gh.assertNoViolations();
  });

  it("a fork PR (read-only token, 403 on commenting) degrades to the summary and the artifact, never a crash", async () => {
    const outDir = path.join(tmp, "out-fork");
    const r = await runAction(baseInputs({ mode: "pr", "github-token": READ, "fail-on": "none", "output-dir": outDir }), prEnv(READ, forkEventPath, 1007));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/::notice::standin could not comment on this PR \(the token is read-only/);
    expect(r.summary).toContain("could not comment on this PR");
    expect(comments(forkPrNumber)).toHaveLength(0);
    // the artifact files for the workflow_run half
    const files = readdirSync(outDir).sort();
    expect(files).toEqual(expect.arrayContaining(["comment.md", "pr.json", "report.md", "results.json"]));
    const denied = gh.requests.filter((q) => q.status === 403 && q.operationId === "issues/create-comment");
    expect(denied.length).toBeGreaterThan(0);
    gh.assertNoViolations();

    // comment: always turns the degraded path into a failure
    const always = await runAction(baseInputs({ mode: "pr", "github-token": READ, "fail-on": "none", comment: "always", "output-dir": outDir }), prEnv(READ, forkEventPath, 1008));
    expect(always.code).toBe(1);
  });
});

describe("sharded runs", () => {
  it("shards merged give the same report as one run", async () => {
    const single = await runAction(baseInputs({ mode: "check", "fail-on": "integrity", "output-dir": path.join(tmp, "single") }), prEnv(WRITE, eventPath, 2001));
    expect(single.code).toBe(1); // the gated model
    const shardsDir = path.join(tmp, "shards");
    for (const s of ["1/3", "2/3", "3/3"]) {
      const r = await runAction(baseInputs({ mode: "check", shard: s, "fail-on": "integrity", "output-dir": shardsDir }), prEnv(WRITE, eventPath, 2002));
      expect(r.code, r.stdout + r.stderr).toBe(0); // a shard never gates
    }
    expect(readdirSync(shardsDir).filter((f) => f.startsWith("shard-"))).toHaveLength(3);
    const merged = await runAction(baseInputs({ mode: "merge", "shards-dir": shardsDir, "fail-on": "integrity", "output-dir": path.join(tmp, "merged") }), prEnv(WRITE, eventPath, 2003));
    expect(merged.code).toBe(1);
    const a = parseResults(readFileSync(single.outputs["report-path"]!, "utf8"), "single");
    const b = parseResults(readFileSync(merged.outputs["report-path"]!, "utf8"), "merged");
    const strip = (r: Results) => ({ ...r, generatedAt: "", network: null, models: r.models.map((m) => ({ ...m, network: null })) });
    expect(strip(b)).toEqual(strip(a));
    expect(merged.outputs["test-matrix"]).toBe(single.outputs["test-matrix"]);
    expect(merged.outputs.verdicts).toBe(single.outputs.verdicts);
  });
});
