/**
 * Weekly mode (issue 5): the regression diff (src/github/regressions.ts), the rolling issue
 * (src/github/weekly-issue.ts) and the end-to-end weekly run against the local GitHub server with
 * the real client. The three-week scenario (test/support/weekly-scenario.ts): week 1 clean and no
 * baseline -> no issue; week 2 a drifted model downgrades a required pair and a model is gated ->
 * the issue is created with both, and a comment lists them; week 3 clean -> closed (completed);
 * week 4 relapse -> the same issue is reopened. Every test ends with zero OpenAPI violations.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createBaselineStore } from "../src/github/baseline.js";
import { createGitHubClient } from "../src/github/client.js";
import { diffResults, fingerprintChanges, nextBaseline, unreachableCause, type WeeklyDiff } from "../src/github/regressions.js";
import {
  ACCEPT_MARKER,
  WEEKLY_LABEL,
  WEEKLY_MARKER,
  WEEKLY_TITLE,
  WeeklyIssueError,
  acceptTicked,
  ensureWeeklyIssue,
  findWeeklyIssues,
  keyHash,
  readState,
  renderWeeklyIssue,
  reportWeekly,
  type WeeklyOutcome,
} from "../src/github/weekly-issue.js";
import { toJson } from "../src/report/json.js";
import type { Results } from "../src/report/types.js";
import { GITHUB_ACTIONS_BOT, actionsToken, forkPullRequestToken, personalToken, startGitHubServer, type GitHubServer } from "./github/server.js";
import { DEEPSEEK, GPT_OSS_20B, LLAMA_70B, LLAMA_8B, LLAMA_FP8, MISTRAL, QWEN_8B, QWEN_32B, bigZooResults, fakeSha } from "./support/results-fixture.js";
import { EXAMPLE_RUN_URL, EXAMPLE_WEEKLY_PATH, LLAMA_8B_REV2, exampleWeeklyIssue, weekResults } from "./support/weekly-scenario.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const OWNER = "acme";
const WRITE = "ghs_standinWeeklyWriteToken00000000000000";
const READ = "ghs_standinWeeklyForkReadOnly000000000000";
const PAT = "ghp_standinWeeklyHumanPersonalToken000000";

let gh: GitHubServer;
let seq = 0;

beforeAll(async () => {
  gh = await startGitHubServer({ users: [{ login: "octo-dev" }], tokens: [actionsToken(WRITE), forkPullRequestToken(READ), personalToken(PAT, "octo-dev")] });
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
});

function newRepo(): { owner: string; repo: string; full: string } {
  const name = `engine-${++seq}`;
  gh.state.addRepo({ owner: OWNER, name });
  return { owner: OWNER, repo: name, full: `${OWNER}/${name}` };
}

function client(token = WRITE) {
  return createGitHubClient({ token, baseUrl: gh.url, env: { STANDIN_GITHUB_FAST_WRITES: "1" } });
}

const runUrl = (id: number): string => `https://github.com/acme/engine/actions/runs/${id}`;

function weekly(repo: { owner: string; repo: string }, current: Results, run: string, token = WRITE, extra: { botLogin?: string } = {}): Promise<WeeklyOutcome> {
  const c = client(token);
  const store = createBaselineStore(c, repo, "branch:standin-baseline", { sleep: async () => undefined });
  return reportWeekly(c, { owner: repo.owner, repo: repo.repo }, { store, current, runUrl: run, ...extra });
}

/** "METHOD operationId status" of every request since the last reset. */
function requestLog(): string[] {
  return gh.requests.map((r) => `${r.method} ${r.operationId ?? r.path} ${r.status}`);
}

function withModel(r: Results, id: string, patch: (m: Results["models"][number]) => Results["models"][number]): Results {
  return { ...r, models: r.models.map((m) => (m.model === id ? patch(m) : m)) };
}

// ------------------------------------------------------------------------------------------------

describe("diffResults", () => {
  it("a first run has no regressions: everything is the new baseline", () => {
    const d = diffResults(null, weekResults(1));
    expect(d).toMatchObject({ firstRun: true, regressions: [], improvements: [], unchanged: 0, counts: { models: 13, pairs: 10 } });
    expect(d.added).toHaveLength(13);
  });

  it("week 2: a drift that downgrades a required pair, a gated model, the improvements they cause", () => {
    const d = diffResults(weekResults(1), weekResults(2));
    expect(d.regressions.map((r) => [r.kind, r.subject, r.before, r.after])).toEqual([
      ["verdict_downgrade", `${LLAMA_70B} ← ${LLAMA_8B}`, "FULL", "PARTIAL"],
      ["verdict_downgrade", "openai/gpt-oss-120b ← openai/gpt-oss-20b", "FULL", "UNKNOWN"],
      ["fingerprint_drift", LLAMA_8B, "rev 0e9e39f", `rev ${LLAMA_8B_REV2.slice(0, 7)}`],
      ["unreachable", GPT_OSS_20B, "fingerprinted (rev 6cee5e8)", "gated"],
    ]);
    const [pair, gptPair, drift, gated] = d.regressions;
    expect(pair).toMatchObject({ breaksRequirement: true, require: "FULL", line: 118, manifestPath: "model-zoo.yaml", cause: `${LLAMA_8B} changed at a new revision (${LLAMA_8B_REV2.slice(0, 7)})` });
    expect(pair?.newReasons?.map((r) => [r.label, r.proxy, r.target])).toEqual([["RoPE type", "default", "llama3"]]);
    expect(gptPair?.cause).toBe(`${GPT_OSS_20B} is unreachable (gated)`);
    expect(drift?.changes).toEqual([
      { what: "RoPE type", before: "llama3", after: "default" },
      { what: "RoPE scaling factor", before: "8", after: "n/a" },
    ]);
    expect(gated).toMatchObject({ unreachable: "gated", line: 106, hint: expect.stringMatching(/accept the licence/) });
    // the gpt-oss-120b plan lost its proxy too, but the manifest pair already says so
    expect(d.regressions.filter((r) => r.subjectKind === "plan")).toEqual([]);
    expect(d.improvements.map((r) => [r.kind, r.subjectKind, r.model])).toEqual([
      ["verdict_upgrade", "plan", LLAMA_8B],
      ["verdict_upgrade", "pair", MISTRAL],
    ]);
    expect(d.unchangedBy).toEqual({ models: 11, pairs: 7 });
    expect(d.unchanged).toBe(18);
    expect(new Set(d.regressions.map((r) => r.key)).size).toBe(4);
  });

  it("a new revision with the same fingerprint is information; a change at the same sha is not drift", () => {
    const w1 = weekResults(1);
    const newRev = withModel(w1, QWEN_8B, (m) => ({ ...m, source: { ...m.source, sha: fakeSha("qwen8b-rev2") } }));
    const d = diffResults(w1, newRev);
    expect(d.regressions).toEqual([]);
    expect(d.info.map((i) => [i.kind, i.model])).toEqual([["revision_changed", QWEN_8B]]);
    expect(d.unchangedBy.models).toBe(12);

    const retool = { ...withModel(w1, QWEN_8B, (m) => ({ ...m, tensorCount: 400 })), tool: { name: "standin" as const, version: "0.2.0" } };
    const d2 = diffResults(w1, retool);
    expect(d2.regressions).toEqual([]);
    expect(d2.info.map((i) => [i.kind, i.cause, i.changes])).toEqual([["fingerprint_changed", "same revision; standin 0.1.0 → 0.2.0", [{ what: "Tensors", before: "291", after: "400" }]]]);

    const pinned = withModel(w1, QWEN_8B, (m) => ({ ...m, tensorCount: 400, source: { ...m.source, revision: "v2", sha: fakeSha("v2") } }));
    expect(diffResults(w1, pinned).info.map((i) => [i.kind, i.cause])).toEqual([["fingerprint_changed", "the manifest's revision changed (main → v2)"]]);
  });

  it("integrity: new failures (also new error codes of a failing model), fixes", () => {
    const w1 = weekResults(1);
    const err = (code: string) => ({ severity: "error" as const, code, message: `${code} in model-00001-of-00002.safetensors` });
    const withFindings = (r: Results, model: string, findings: ReturnType<typeof err>[]): Results => ({
      ...r,
      integrity: r.integrity.map((i) => (i.model === model ? { ...i, status: findings.length > 0 ? "FAIL" : "PASS", findings, counts: { error: findings.length, warning: 0, info: 0 } } : i)),
    });
    const broken = withFindings(withFindings(w1, QWEN_8B, [err("ST_HEADER_TRUNCATED")]), LLAMA_FP8, [...w1.integrity.find((i) => i.model === LLAMA_FP8)!.findings.filter((f) => f.severity === "error").map((f) => err(f.code)), err("INDEX_MISSING_TENSOR")]);
    const d = diffResults(w1, broken);
    expect(d.regressions.map((r) => [r.kind, r.model, r.before, r.after])).toEqual([
      ["integrity_new_failure", QWEN_8B, "PASS", "FAIL: ST_HEADER_TRUNCATED"],
      ["integrity_new_failure", LLAMA_FP8, "FAIL: ST_OFFSET_GAP", "FAIL: INDEX_MISSING_TENSOR, ST_OFFSET_GAP"],
    ]);
    expect(d.regressions[0]?.message).toBe("ST_HEADER_TRUNCATED: ST_HEADER_TRUNCATED in model-00001-of-00002.safetensors");
    const fixed = diffResults(w1, withFindings(w1, LLAMA_FP8, []));
    expect(fixed.improvements.map((r) => [r.kind, r.model, r.before, r.after])).toEqual([["integrity_fixed", LLAMA_FP8, "FAIL: ST_OFFSET_GAP", "PASS"]]);
  });

  it("expectations: broken and fixed; an unreachable model's missing count is not a second regression", () => {
    const w1 = weekResults(1);
    const exp = (r: Results, model: string, key: string, ok: boolean, actual: number | null): Results => ({
      ...r,
      expectations: r.expectations.map((e) => (e.model === model && e.key === key ? { ...e, ok, actual, message: ok ? e.message : `declared ${e.expected}, counted ${actual ?? "?"}` } : e)),
    });
    const d = diffResults(w1, exp(w1, QWEN_32B, "params", false, 30.1e9));
    expect(d.regressions.map((r) => [r.kind, r.subject, r.before, r.after])).toEqual([["expectation_broken", `${QWEN_32B} params`, "32.8B", "30.1B (declared 32.8B)"]]);
    expect(diffResults(exp(w1, QWEN_32B, "params", false, 30.1e9), w1).improvements.map((r) => r.kind)).toEqual(["expectation_fixed"]);
    const w2 = weekResults(2);
    const gptExp = { model: GPT_OSS_20B, key: "params" as const, expected: 20.9e9, tolerance: 0.01 };
    const before = { ...w1, expectations: [...w1.expectations.filter((e) => e.model !== GPT_OSS_20B), { ...gptExp, actual: 20_914_757_184, ok: true, message: "ok" }] };
    const after = { ...w2, expectations: [...w2.expectations.filter((e) => e.model !== GPT_OSS_20B), { ...gptExp, actual: null, ok: false, message: "not counted" }] };
    expect(diffResults(before, after).regressions.map((r) => r.kind)).not.toContain("expectation_broken");
  });

  it("says why a model became unreachable", () => {
    expect(["gated", "repo_not_found", "revision_not_found", "network", "timeout", "bad_token", "safetensors_header"].map(unreachableCause)).toEqual([
      "gated",
      "missing",
      "missing",
      "network",
      "network",
      "auth",
      "unreadable",
    ]);
    const w1 = weekResults(1);
    const missing = withModel(w1, DEEPSEEK, (m) => ({ ...m, status: "unknown", error: { code: "repo_not_found", message: "deepseek-ai/DeepSeek-V3 does not exist" } }));
    expect(diffResults(w1, missing).regressions.find((r) => r.kind === "unreachable")).toMatchObject({ model: DEEPSEEK, after: "missing", unreachable: "missing" });
    expect(diffResults(missing, w1).improvements.map((r) => [r.kind, r.before])).toEqual([["reachable_again", "missing"]]);
  });

  it("models and pairs new in the manifest are added, not regressions", () => {
    const w1 = weekResults(1);
    const fewer: Results = { ...w1, models: w1.models.filter((m) => m.model !== DEEPSEEK), pairs: w1.pairs.filter((p) => p.target !== DEEPSEEK) };
    const d = diffResults(fewer, w1);
    expect(d.regressions).toEqual([]);
    expect(d.added).toEqual([DEEPSEEK]);
    expect(d.info.map((i) => [i.kind, i.subject])).toEqual([["pair_added", `${DEEPSEEK} ← Qwen/Qwen3-30B-A3B`]]);
    const back = diffResults(w1, fewer);
    expect(back.removed).toEqual([DEEPSEEK]);
    expect(back.info.map((i) => i.kind)).toEqual(["pair_removed"]);
  });

  it("accepted regressions move to `accepted`, and nextBaseline stores them", () => {
    const w1 = weekResults(1);
    const w2 = weekResults(2);
    const all = diffResults(w1, w2);
    const accept = new Set(all.regressions.map((r) => r.key));
    const d = diffResults(w1, w2, { accept });
    expect(d.regressions).toEqual([]);
    expect(d.accepted.map((r) => r.key)).toEqual(all.regressions.map((r) => r.key));
    expect(diffResults(nextBaseline(w1, w2, d), w2).regressions).toEqual([]);
  });

  it("the ratchet: a regression stays reported until it is fixed, improvements are taken at once", () => {
    const w1 = weekResults(1);
    const w2 = weekResults(2);
    const d2 = diffResults(w1, w2);
    const stored = nextBaseline(w1, w2, d2);
    // held back: the drifted and the gated model, the pairs and plans they take part in
    expect(stored.models.find((m) => m.model === LLAMA_8B)?.source.sha).toBe(w1.models.find((m) => m.model === LLAMA_8B)?.source.sha);
    expect(stored.models.find((m) => m.model === GPT_OSS_20B)?.status).toBe("ok");
    expect(stored.pairs.find((p) => p.target === MISTRAL)?.verdict).toBe("PARTIAL_SUBSTITUTE");
    // week 2 again: the same regressions (same keys)
    expect(diffResults(stored, w2).regressions.map((r) => r.key)).toEqual(d2.regressions.map((r) => r.key));
    // fixed upstream: clean
    expect(diffResults(stored, weekResults(3))).toMatchObject({ regressions: [], improvements: [], unchanged: 23 });
    // an improvement unrelated to a regression is stored at once
    const w1b = withModel(w1, QWEN_8B, (m) => ({ ...m, source: { ...m.source, sha: fakeSha("q2") } }));
    expect(nextBaseline(w1, w1b, diffResults(w1, w1b))).toBe(w1b);
  });

  it("fingerprintChanges lists features, scale, quantization, tensors and params", () => {
    const a = weekResults(1).models.find((m) => m.model === LLAMA_FP8)!;
    const b = { ...a, tensorCount: 300, params: { ...a.params!, total: 8.1e9 }, weightFormat: { ...a.weightFormat!, bits: 4 }, features: { ...a.features, qkNorm: true } };
    expect(fingerprintChanges(a, b).map((c) => c.what)).toEqual(["Q/K norm", "Quantization", "Tensors", "Parameters"]);
  });
});

// ------------------------------------------------------------------------------------------------

describe("renderWeeklyIssue", () => {
  it("regressions first (before → after, manifest line), then improvements, then the unchanged count; markers last", () => {
    const body = exampleWeeklyIssue();
    const at = (s: string): number => body.indexOf(s);
    expect(body.startsWith("### 🔴 standin weekly: 4 regressions in engine-ci-zoo")).toBe(true);
    expect(at("**2 verdict downgrades · 1 fingerprint drifted · 1 model unreachable**")).toBeGreaterThan(0);
    expect(at("#### 🔴 Regressions (4)")).toBeLessThan(at("#### 🟢 Improvements (2)"));
    expect(at("#### 🟢 Improvements (2)")).toBeLessThan(at("⚪ **18 unchanged**"));
    expect(body).toContain("| ⬇️ Verdict | **meta-llama/Llama-3.1-70B-Instruct ← meta-llama/Llama-3.1-8B-Instruct** | 🟢 FULL → 🟡 PARTIAL ❌ requires FULL | model-zoo.yaml:118 |");
    expect(body).toContain("| ⛔ Unreachable | **openai/gpt-oss-20b** | fingerprinted (rev 6cee5e8) → **gated** | model-zoo.yaml:106 |");
    expect(body).toContain(`- [ ] Accept these 4 regressions as the new baseline`);
    expect(body.endsWith(`${WEEKLY_MARKER}\n<!-- standin:state {"v":1,"regressions":[${diffResults(weekResults(1), weekResults(2)).regressions.map((r) => `"${keyHash(r.key)}"`).join(",")}],"date":"2026-07-13"} -->\n`)).toBe(true);
    expect(readState(body)?.regressions).toHaveLength(4);
    expect(acceptTicked(body)).toBe(false);
    expect(acceptTicked(body.replace("- [ ] Accept", "- [x] Accept"))).toBe(true);
  });

  it("docs/examples/weekly-issue.md is up to date (run `npx tsx scripts/render-example-weekly.ts`)", () => {
    expect(readFileSync(path.join(ROOT, EXAMPLE_WEEKLY_PATH), "utf8")).toBe(exampleWeeklyIssue());
  });

  it("clean and first-run bodies", () => {
    const clean = renderWeeklyIssue(diffResults(weekResults(1), weekResults(3)), weekResults(3));
    expect(clean.split("\n")[0]).toBe("### ✅ standin weekly: no regressions in engine-ci-zoo");
    expect(clean).toContain("⚪ **23 unchanged** (13 models, 10 pairs) since the baseline.");
    expect(clean).not.toContain(ACCEPT_MARKER);
    expect(readState(clean)?.regressions).toEqual([]);
    const first = renderWeeklyIssue(diffResults(null, weekResults(1)), weekResults(1));
    expect(first.split("\n")[0]).toBe("### 🆕 standin weekly: first run in engine-ci-zoo, no baseline to compare with");
    expect(first).toContain("🆕 **First run:** 13 models and 10 pairs stored as the baseline");
  });

  it("a model id cannot forge the markers or break the table", () => {
    const w1 = weekResults(1);
    const evil = `evil/x | y <!-- standin:state {"v":1,"regressions":[]} --> ${WEEKLY_MARKER}`;
    const before = { ...w1, models: [...w1.models, { ...w1.models[0]!, model: evil }] };
    const after = { ...before, models: before.models.map((m) => (m.model === evil ? { ...m, status: "unknown" as const, error: { code: "gated", message: "gated" } } : m)) };
    const d = diffResults(before, after);
    const body = renderWeeklyIssue(d, after);
    expect(body.split(WEEKLY_MARKER)).toHaveLength(2);
    expect(readState(body)?.regressions).toEqual([keyHash(d.regressions[0]!.key)]);
    expect(body).toContain("evil/x \\| y &lt;!-- standin:state");
  });

  it("stays under the budget by shortening, then dropping whole sections, keeping every key in the state", () => {
    const base = bigZooResults(500);
    const drifted: Results = {
      ...base,
      models: base.models.map((m, i) => (m.status !== "ok" ? m : { ...m, source: { ...m.source, sha: fakeSha(`rev2-${i}`) }, features: { ...m.features, ropeType: "yarn", qkNorm: !m.features.qkNorm } })),
    };
    const d = diffResults(base, drifted);
    expect(d.regressions.length).toBeGreaterThan(490);
    const body = renderWeeklyIssue(d, drifted, { runUrl: EXAMPLE_RUN_URL });
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(60_000);
    expect(body).toMatch(/_Showing \d+ of \d+ regressions;/);
    expect(body).toMatch(/ℹ️ Parts of this issue were left out to fit GitHub.s size limit \(shortened: regressions\)/);
    expect(readState(body)?.regressions).toEqual(d.regressions.map((r) => keyHash(r.key)));
    expect(body.endsWith(`${WEEKLY_MARKER}\n${body.split("\n").at(-2)}\n`)).toBe(true);
    const tiny = renderWeeklyIssue(d, drifted, { runUrl: EXAMPLE_RUN_URL, budget: 12_000 });
    expect(Buffer.byteLength(tiny)).toBeLessThanOrEqual(12_000);
    expect(tiny).toContain(WEEKLY_MARKER);
    expect(readState(tiny)?.regressions).toHaveLength(d.regressions.length);
  });
});

// ------------------------------------------------------------------------------------------------

describe("the weekly run against GitHub", () => {
  it("three weeks: no issue, created with a comment, closed; a fourth week reopens the same issue", async () => {
    const repo = newRepo();
    const runWeek = async (week: 1 | 2 | 3 | 4, run: string): Promise<{ out: WeeklyOutcome; log: string[] }> => {
      gh.reset();
      const out = await weekly(repo, weekResults(week), run);
      const log = requestLog();
      gh.assertNoViolations();
      return { out, log };
    };

    // week 1: first run, clean: no issue, the baseline branch is created
    const w1 = await runWeek(1, runUrl(1001));
    expect(w1.out.diff.firstRun).toBe(true);
    expect(w1.out.issue).toMatchObject({ action: "none", commented: false });
    expect(w1.out.baseline).toMatchObject({ written: true, created: true, attempts: 1 });
    expect(gh.state.issues(repo.full)).toEqual([]);
    expect(w1.log).toEqual([
      "GET repos/get-content 404", // latest.json: no baseline yet
      "GET issues/list-for-repo 200",
      "GET git/get-ref 404",
      "POST git/create-blob 201",
      "POST git/create-blob 201",
      "POST git/create-tree 201",
      "POST git/create-commit 201",
      "POST git/create-ref 201",
    ]);

    // week 2: created (label first), with both regressions, and a comment listing them
    const w2 = await runWeek(2, EXAMPLE_RUN_URL);
    expect(w2.out.issue).toMatchObject({ action: "created", commented: true });
    const number = "number" in w2.out.issue ? w2.out.issue.number! : -1;
    const issue = gh.state.issue(repo.full, number)!;
    expect(issue).toMatchObject({ title: WEEKLY_TITLE, state: "open", user: { login: GITHUB_ACTIONS_BOT.login } });
    expect(issue.labels.map((l) => [l.name, l.color])).toEqual([[WEEKLY_LABEL, "d93f0b"]]);
    expect(issue.body).toBe(exampleWeeklyIssue()); // the committed example is what the bot posted
    expect(issue.body).toContain(`**${LLAMA_70B} ← ${LLAMA_8B}**`);
    expect(issue.body).toContain("**openai/gpt-oss-20b** | fingerprinted (rev 6cee5e8) → **gated**");
    expect(gh.state.comments(repo.full, number).map((c) => c.body)).toEqual([
      [
        `🔴 **4 new regressions** in the [weekly run of 2026-07-13](${EXAMPLE_RUN_URL}):`,
        "",
        `- ⬇️ Verdict **${LLAMA_70B} ← ${LLAMA_8B}**: 🟢 FULL → 🟡 PARTIAL (requires FULL)`,
        "- ⬇️ Verdict **openai/gpt-oss-120b ← openai/gpt-oss-20b**: 🟢 FULL → ⚪ UNKNOWN (requires FULL)",
        `- 🔀 Drift **${LLAMA_8B}**: rev 0e9e39f → rev ${LLAMA_8B_REV2.slice(0, 7)}`,
        "- ⛔ Unreachable **openai/gpt-oss-20b**: fingerprinted (rev 6cee5e8) → gated",
      ].join("\n"),
    ]);
    expect(w2.log).toEqual([
      "GET repos/get-content 200",
      "GET issues/list-for-repo 200",
      "GET issues/get-label 404",
      "POST issues/create-label 201",
      "POST issues/create 201",
      "GET issues/list-for-repo 200", // race check after creating
      "POST issues/create-comment 201",
      "GET git/get-ref 200",
      "GET git/get-commit 200",
      "GET git/get-tree 200",
      "POST git/create-blob 201",
      "POST git/create-blob 201",
      "POST git/create-tree 201",
      "POST git/create-commit 201",
      "PATCH git/update-ref 200",
    ]);

    // week 3: clean against the ratcheted baseline: closed as completed, with a comment
    const w3 = await runWeek(3, runUrl(1003));
    expect(w3.out.diff).toMatchObject({ regressions: [], improvements: [], unchanged: 23 });
    expect(w3.out.issue).toMatchObject({ action: "closed", number, commented: true });
    expect(gh.state.issue(repo.full, number)).toMatchObject({ state: "closed", state_reason: "completed" });
    expect(gh.state.issue(repo.full, number)?.body?.split("\n")[0]).toBe("### ✅ standin weekly: no regressions in engine-ci-zoo");
    expect(gh.state.comments(repo.full, number).at(-1)?.body).toBe(
      `✅ No regressions in the [weekly run of 2026-07-20](${runUrl(1003)}): the 4 regressions of the previous run are resolved. Closing; standin reopens this issue if regressions come back.`,
    );
    expect(w3.log.filter((l) => !l.includes(" git/"))).toEqual([
      "GET repos/get-content 200",
      "GET issues/list-for-repo 200",
      "GET issues/get 200", // the latest body, re-read before writing
      "POST issues/create-comment 201",
      "PATCH issues/update 200",
    ]);
    expect(gh.requests.find((r) => r.operationId === "issues/update")?.requestBody).toMatchObject({ state: "closed", state_reason: "completed" });

    // week 4: relapse: the same issue reopened, never a second one
    const w4 = await runWeek(4, runUrl(1004));
    expect(w4.out.issue).toMatchObject({ action: "reopened", number, commented: true });
    expect(gh.state.issue(repo.full, number)).toMatchObject({ state: "open", state_reason: "reopened" });
    expect(gh.state.comments(repo.full, number).at(-1)?.body).toMatch(/^🔁 \*\*Regressions are back\*\* — 4 new regressions in the \[weekly run of 2026-07-27\]/);
    expect(gh.state.issuesWithLabel(repo.full, WEEKLY_LABEL).map((i) => i.number)).toEqual([number]);
    expect(gh.state.comments(repo.full, number)).toHaveLength(3); // created, closed, reopened
    expect(w4.log.filter((l) => !l.includes(" git/"))).toEqual([
      "GET repos/get-content 200",
      "GET issues/list-for-repo 200",
      "GET issues/get 200",
      "PATCH issues/update 200",
      "POST issues/create-comment 201",
    ]);

    // the data branch: latest.json and one history file per run
    const history = await createBaselineStore(client(), repo, "branch:standin-baseline").readHistory();
    expect(history.map((h) => [h.date, h.regressions, h.drifted])).toEqual([
      ["2026-07-06", 0, []],
      ["2026-07-13", 4, [LLAMA_8B]],
      ["2026-07-20", 0, []],
      ["2026-07-27", 4, [LLAMA_8B]],
    ]);
  });

  it("a re-run with the same results rewrites nothing; a new regression in an open issue is commented alone", async () => {
    const repo = newRepo();
    await weekly(repo, weekResults(1), runUrl(2001));
    const w2 = await weekly(repo, weekResults(2), runUrl(2002));
    const number = "number" in w2.issue ? w2.issue.number! : -1;
    gh.reset();
    const again = await weekly(repo, weekResults(2), runUrl(2002));
    expect(again.issue).toMatchObject({ action: "unchanged", commented: false, newRegressionKeys: [] });
    expect(requestLog().filter((l) => l.includes("issues/"))).toEqual(["GET issues/list-for-repo 200", "GET issues/get 200"]);
    expect(gh.requests.some((r) => r.method === "PATCH" && r.operationId === "issues/update")).toBe(false);

    // next week: the same regressions plus a new integrity failure
    const w3: Results = {
      ...weekResults(2),
      generatedAt: "2026-07-20T06:00:00.000Z",
      integrity: weekResults(2).integrity.map((i) =>
        i.model === QWEN_8B ? { ...i, status: "FAIL" as const, findings: [{ severity: "error" as const, code: "ST_HEADER_TRUNCATED", message: "model-00002-of-00004.safetensors: header cut at 8 of 24,168 bytes" }], counts: { error: 1, warning: 0, info: 0 } } : i,
      ),
    };
    const out = await weekly(repo, w3, runUrl(2003));
    expect(out.issue).toMatchObject({ action: "updated", number, commented: true, newRegressionKeys: [`integrity_new_failure:model:${QWEN_8B}`] });
    expect(gh.state.comments(repo.full, number).at(-1)?.body).toBe(
      [`🔴 **1 new regression** in the [weekly run of 2026-07-20](${runUrl(2003)}):`, "", `- ❌ Integrity **${QWEN_8B}**: PASS → FAIL: ST_HEADER_TRUNCATED`].join("\n"),
    );
    expect(gh.state.comments(repo.full, number)).toHaveLength(2);
  });

  it("duplicates: keeps the oldest matching issue, closes the others as not planned; ignores other authors and unmarked issues", async () => {
    const repo = newRepo();
    const bot = GITHUB_ACTIONS_BOT.login;
    const body = (s: string): string => `${s}\n\n${WEEKLY_MARKER}\n`;
    const human = gh.state.createIssue(repo.full, { title: "copied", body: body("a human pasted the marker"), user: "octo-dev", labels: [WEEKLY_LABEL] });
    const oldClosed = gh.state.createIssue(repo.full, { title: WEEKLY_TITLE, body: body("last month"), user: bot, labels: [WEEKLY_LABEL], state: "closed" });
    const kept = gh.state.createIssue(repo.full, { title: WEEKLY_TITLE, body: body("first"), user: bot, labels: [WEEKLY_LABEL] });
    const dup = gh.state.createIssue(repo.full, { title: WEEKLY_TITLE, body: body("second"), user: bot, labels: [WEEKLY_LABEL] });
    const unmarked = gh.state.createIssue(repo.full, { title: "bot, no marker", body: "hello", user: bot, labels: [WEEKLY_LABEL] });
    for (let i = 0; i < 120; i++) gh.state.createIssue(repo.full, { title: `noise ${i}`, body: "x", user: bot, labels: [WEEKLY_LABEL], state: "closed" });
    gh.reset();
    const c = client();
    const found = await findWeeklyIssues(c, repo, { label: WEEKLY_LABEL, marker: WEEKLY_MARKER });
    expect(found.open.map((i) => i.number)).toEqual([kept.number, dup.number]);
    expect(found.closed.map((i) => i.number)).toEqual([oldClosed.number]);
    expect(gh.requests.filter((r) => r.operationId === "issues/list-for-repo").map((r) => [r.query.page ?? "1", r.query.state, r.query.labels])).toEqual([
      ["1", "all", WEEKLY_LABEL],
      ["2", "all", WEEKLY_LABEL],
    ]);

    const d = diffResults(weekResults(1), weekResults(2));
    const newBody = renderWeeklyIssue(d, weekResults(2));
    const res = await ensureWeeklyIssue(c, repo, { label: WEEKLY_LABEL, marker: WEEKLY_MARKER, title: WEEKLY_TITLE, body: newBody, hasRegressions: true, regressionKeys: d.regressions.map((r) => r.key) });
    expect(res).toMatchObject({ action: "updated", number: kept.number, duplicatesClosed: [dup.number], commented: true });
    expect(gh.state.issue(repo.full, dup.number)).toMatchObject({ state: "closed", state_reason: "not_planned" });
    expect(gh.state.comments(repo.full, dup.number).map((x) => x.body)).toEqual([`Closing as a duplicate of #${kept.number}: standin keeps one rolling weekly issue.`]);
    expect(gh.state.issue(repo.full, kept.number)?.body).toBe(newBody);
    for (const other of [human, unmarked, oldClosed]) {
      expect(gh.state.issue(repo.full, other.number)?.body).toBe(other.body);
      expect(gh.state.comments(repo.full, other.number)).toEqual([]);
    }
  });

  it("a race after creating: the newer issue is closed as a duplicate of the older one", async () => {
    const repo = newRepo();
    const c = client();
    // another run creates its issue between our listing and our create
    const restore = gh.override("issues/get-label", () => {
      gh.state.createIssue(repo.full, { title: WEEKLY_TITLE, body: `racer\n\n${WEEKLY_MARKER}\n`, user: GITHUB_ACTIONS_BOT.login, labels: [WEEKLY_LABEL] });
      return { status: 200, body: { id: 1, node_id: "LA_1", url: `${gh.url}/repos/${repo.full}/labels/${WEEKLY_LABEL}`, name: WEEKLY_LABEL, color: "d93f0b", description: null, default: false } };
    });
    try {
      const d = diffResults(weekResults(1), weekResults(2));
      const res = await ensureWeeklyIssue(c, repo, {
        label: WEEKLY_LABEL,
        marker: WEEKLY_MARKER,
        title: WEEKLY_TITLE,
        body: renderWeeklyIssue(d, weekResults(2)),
        hasRegressions: true,
        regressionKeys: d.regressions.map((r) => r.key),
      });
      const open = gh.state.issues(repo.full, { state: "open" });
      expect(open).toHaveLength(1);
      expect(res).toMatchObject({ action: "updated", number: open[0]?.number, duplicatesClosed: [open[0]!.number + 1] });
      expect(gh.state.issue(repo.full, open[0]!.number + 1)).toMatchObject({ state: "closed", state_reason: "not_planned" });
    } finally {
      restore();
    }
  });

  it("the accept box: ticked regressions become the new baseline and the issue closes", async () => {
    const repo = newRepo();
    await weekly(repo, weekResults(1), runUrl(3001));
    const w2 = await weekly(repo, weekResults(2), runUrl(3002));
    const number = "number" in w2.issue ? w2.issue.number! : -1;
    const issue = gh.state.issue(repo.full, number)!;
    issue.body = (issue.body ?? "").replace("- [ ] Accept", "- [x] Accept"); // a maintainer ticks the box
    const lines: string[] = [];
    const c = client();
    const store = createBaselineStore(c, repo, "branch:standin-baseline");
    const out = await reportWeekly(c, repo, { store, current: weekResults(2), runUrl: runUrl(3003), date: "2026-07-20", log: (l) => lines.push(l) });
    expect(out.accepted).toBe(4);
    expect(out.diff.regressions).toEqual([]);
    expect(out.issue).toMatchObject({ action: "closed", number });
    expect(gh.state.comments(repo.full, number).at(-1)?.body).toMatch(/: 4 regressions accepted as the new baseline\. Closing;/);
    expect(gh.state.issue(repo.full, number)?.body).toContain("**Accepted as the new baseline (4):**");
    expect(lines[0]).toMatch(/the accept box is ticked on #\d+: 4 regressions/);
    // the next run is clean against the accepted baseline: no issue reopened
    const next = await weekly(repo, weekResults(2), runUrl(3004));
    expect(next.diff).toMatchObject({ regressions: [], accepted: [] });
    expect(next.issue).toMatchObject({ action: "none" });
  });

  it("a read-only token: the baseline is read, the issue and baseline writes degrade with typed errors", async () => {
    const repo = newRepo();
    await weekly(repo, weekResults(1), runUrl(4001));
    const head = gh.state.branchHead(repo.full, "standin-baseline");
    gh.reset();
    const out = await weekly(repo, weekResults(2), runUrl(4002), READ);
    expect(out.diff.regressions).toHaveLength(4); // the baseline was read
    expect("error" in out.issue && out.issue.error).toBeInstanceOf(WeeklyIssueError);
    expect(out.issue).toMatchObject({ error: { code: "issue_forbidden", status: 403 } });
    expect(out.baseline).toMatchObject({ written: false, error: { code: "baseline_forbidden", status: 403 } });
    expect(gh.state.issues(repo.full)).toEqual([]);
    expect(gh.state.branchHead(repo.full, "standin-baseline")).toBe(head);
    expect(requestLog()).toEqual([
      "GET repos/get-content 200",
      "GET issues/list-for-repo 200",
      "GET issues/get-label 404",
      "POST issues/create-label 403",
      "GET git/get-ref 200",
      "GET git/get-commit 200",
      "GET git/get-tree 200",
      "POST git/create-blob 403",
    ]);
  });

  it("a token without issues: write still stores the baseline; the issue error is typed", async () => {
    const repo = newRepo();
    const token = "ghs_standinWeeklyContentsOnly0000000000000";
    gh.state.addToken(actionsToken(token, { permissions: { issues: "none", pull_requests: "none" } }));
    await weekly(repo, weekResults(1), runUrl(4101), token);
    const out = await weekly(repo, weekResults(2), runUrl(4102), token);
    expect(out.issue).toMatchObject({ error: { code: "issue_forbidden", status: 403 } });
    expect(out.baseline).toMatchObject({ written: true });
    expect(gh.state.issues(repo.full)).toEqual([]);
  });

  it("refuses a shard's partial results", async () => {
    const repo = newRepo();
    await expect(weekly(repo, { ...weekResults(1), shard: "1/4" }, runUrl(4201))).rejects.toMatchObject({ code: "weekly_shard" });
    expect(gh.requests).toEqual([]);
  });

  it("a personal access token: the issue is found by its user's login (botLogin)", async () => {
    const repo = newRepo();
    await weekly(repo, weekResults(1), runUrl(5001), PAT, { botLogin: "octo-dev" });
    const w2 = await weekly(repo, weekResults(2), runUrl(5002), PAT, { botLogin: "octo-dev" });
    expect(w2.issue).toMatchObject({ action: "created" });
    const w3 = await weekly(repo, weekResults(3), runUrl(5003), PAT, { botLogin: "octo-dev" });
    expect(w3.issue).toMatchObject({ action: "closed" });
    // with the default author (github-actions[bot]) the PAT's issue is not ours: nothing to close
    const found = await findWeeklyIssues(client(), repo, { label: WEEKLY_LABEL, marker: WEEKLY_MARKER });
    expect(found).toEqual({ open: [], closed: [] });
  });

  it("the stored baseline round-trips: what week 2 stores is week 1 for the regressed subjects", async () => {
    const repo = newRepo();
    await weekly(repo, weekResults(1), runUrl(6001));
    await weekly(repo, weekResults(2), runUrl(6002));
    const stored = JSON.parse(gh.state.readFile(repo.full, "standin-baseline", "latest.json") ?? "{}") as Results;
    expect(stored.generatedAt).toBe("2026-07-13T06:00:00.000Z");
    expect(stored.models.find((m) => m.model === GPT_OSS_20B)?.status).toBe("ok");
    expect(stored.models.find((m) => m.model === LLAMA_8B)?.source.sha).toBe("0e9e39f249a16976918f6564b8830bc894c89659");
    expect(toJson(stored)).toBe(gh.state.readFile(repo.full, "standin-baseline", "latest.json"));
    const d: WeeklyDiff = diffResults(stored, weekResults(2));
    expect(d.regressions).toHaveLength(4);
  });
});
