/**
 * Weekly mode end to end through the built dist/index.js: three simulated weeks against the demo
 * Hub and the local GitHub API server (validated against GitHub's OpenAPI description).
 * Week 1 is clean (the baseline is created on the data branch, no issue). Week 2 injects a
 * regression: Llama-3.1-8B gets a new upstream revision without llama3 rope scaling (fingerprint
 * drift; the required 70B <- 8B pair drops from FULL to PARTIAL): the issue is created; later that
 * week Qwen3-8B becomes gated: the same issue is updated with a comment. Week 3 reverts both:
 * the issue is closed. One issue in the end, never a duplicate.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startDemoHub } from "../demo/build.js";
import { actionsEnv, scheduleEvent, writeEventFile } from "./github/events.js";
import { actionsToken, startGitHubServer, type GitHubServer } from "./github/server.js";
import type { HubServer } from "./hub/server.js";
import { runAction } from "./support/action-runner.js";

const TOKEN = "ghs_weeklyWriterTokenCCCCCCCCCCCCCCCCCCC";
const REPO = "acme/engine";
const LLAMA = "meta-llama/Llama-3.1-8B-Instruct";
const QWEN = "Qwen/Qwen3-8B";

let hub: HubServer;
let gh: GitHubServer;
let tmp: string;
let eventPath: string;
let originalLlama: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-weekly-e2e-"));
  hub = await startDemoHub(path.join(tmp, "hub"));
  gh = await startGitHubServer({ repos: [{ owner: "acme", name: "engine" }], tokens: [actionsToken(TOKEN, { repositories: [REPO] })] });
  eventPath = writeEventFile(tmp, scheduleEvent(), "schedule.json");
  originalLlama = hub.store.get(LLAMA)!.json().refs.main!;
}, 60_000);

afterAll(async () => {
  await hub?.close();
  await gh?.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function week(n: number, runId: number) {
  const env = { ...actionsEnv({ eventName: "schedule", eventPath, repository: REPO, apiUrl: gh.url, runId }), GITHUB_TOKEN: TOKEN };
  return runAction(
    { manifest: "demo/model-zoo.yaml", mode: "weekly", "hub-url": hub.url, "github-token": TOKEN, "fail-on": "expectations", "issue-label": "standin-weekly", "output-dir": path.join(tmp, `week${n}-${runId}`), "cache-dir": path.join(tmp, "cache") },
    env,
  );
}

function issues() {
  return gh.state.issuesWithLabel(REPO, "standin-weekly", "all");
}

describe("weekly mode: create, update, close the one rolling issue", () => {
  it("week 1: clean, baseline stored on the data branch, no issue", async () => {
    const r = await week(1, 3001);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.outputs.regressions).toBe("0");
    expect(issues()).toHaveLength(0);
    expect(gh.state.branchHead(REPO, "standin-baseline")).toMatch(/^[0-9a-f]{40}$/);
    expect(r.summary).toMatch(/first run, baseline created/);
    gh.assertNoViolations();
  });

  it("week 2: an upstream revision drifts (FULL -> PARTIAL): issue created; later a model is gated: issue updated with a comment", async () => {
    const repo = hub.store.get(LLAMA)!;
    const cfg = JSON.parse(repo.readFile(originalLlama, "config.json")!.toString("utf8")) as Record<string, unknown>;
    delete cfg.rope_scaling;
    const c = repo.commit({ message: "Remove rope scaling" });
    c.writeJson("config.json", cfg);
    c.finish({ ref: "main" });

    hub.resetLog();
    const r = await week(2, 3002);
    expect(r.code, r.stdout + r.stderr).toBe(1); // regressions turn the weekly job red
    // The new Llama revision changed config.json only: its headers and index are carried over from
    // the cached revision by content id (one paths-info call), and config.json alone is read.
    const llamaReads = hub.requests.filter((x) => x.url.startsWith(`/${LLAMA}/resolve/`)).map((x) => decodeURIComponent(x.url.split("/").pop() ?? ""));
    expect(llamaReads).toEqual(["config.json"]);
    expect(hub.requests.filter((x) => x.method === "POST" && x.url.startsWith(`/api/models/${LLAMA}/paths-info/`))).toHaveLength(1);
    // The persisted cache (same folder every week): the new Llama revision replaced the old one, and
    // the models whose revision did not move reused their cached analysis.
    expect(r.stdout).toContain("cache: removed 1 folder(s) of revisions no longer in use");
    expect(r.stdout).toMatch(/Qwen\/Qwen3-8B: safetensors, 1 requests \(cached\)/);
    expect(Number(r.outputs.regressions)).toBeGreaterThan(0);
    const [issue] = issues();
    expect(issues()).toHaveLength(1);
    expect(issue!.state).toBe("open");
    expect(issue!.body).toMatch(/regression/i);
    expect(issue!.body).toContain(LLAMA);
    expect(issue!.body).toContain("meta-llama/Llama-3.1-70B-Instruct");
    // regressions first
    const firstRegression = issue!.body!.search(/regression/i);
    const firstImprovement = issue!.body!.search(/improvement/i);
    expect(firstImprovement === -1 || firstRegression < firstImprovement).toBe(true);
    const commentsBefore = gh.state.comments(REPO, issue!.number).length;

    hub.store.get(QWEN)!.update({ gated: "manual" });
    const later = await week(2, 3003);
    expect(later.code).toBe(1);
    expect(issues()).toHaveLength(1);
    const updated = issues()[0]!;
    expect(updated.number).toBe(issue!.number);
    expect(updated.body).toContain(QWEN);
    expect(gh.state.comments(REPO, issue!.number).length).toBe(commentsBefore + 1);
    expect(gh.state.comments(REPO, issue!.number).at(-1)!.body).toContain(QWEN);
    gh.assertNoViolations();
  });

  it("week 3: both reverted: the issue is closed as completed; the baseline history has every run", async () => {
    hub.store.get(LLAMA)!.setRef("main", originalLlama);
    hub.store.get(QWEN)!.update({ gated: false });
    const r = await week(3, 3004);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("cache: removed 1 folder(s) of revisions no longer in use"); // back at the original revision
    expect(r.outputs.regressions).toBe("0");
    expect(issues()).toHaveLength(1);
    const closed = issues()[0]!;
    expect(closed.state).toBe("closed");
    expect(closed.state_reason).toBe("completed");
    const history = JSON.parse(readFileSync(path.join(tmp, "week3-3004", "history.json"), "utf8")) as { date: string }[];
    expect(history.length).toBeGreaterThanOrEqual(1);
    gh.assertNoViolations();
  });
});
