/**
 * Secrets (issue 6.4): the built action (dist/index.js) and the built CLI (dist/cli/index.js) run
 * as subprocesses with recognizable Hugging Face and GitHub tokens, through the success and the
 * failure paths (a gated repo the token cannot read, a token the Hub rejects, a read-only GitHub
 * token that gets 403 on commenting, a GitHub token without a recognizable prefix, weekly issue +
 * baseline writes). Then every output of every run is searched for the tokens:
 *
 * - stdout and stderr, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY;
 * - every file written under output-dir, cache-dir, the runner temp folder, HOME and TMPDIR
 *   (results.json, report.md, comment.md, pr.json, weekly-issue.md, CLI --json/--markdown/--csv, cache entries);
 * - what standin sent to the servers: every request body the GitHub API server received
 *   (comments, issues, git blobs decoded from base64, commit messages, baseline files) and every
 *   URL the Hub received (a token in a query string would be a leak too).
 *
 * The only place a token may appear is an `::add-mask::<token>` workflow command on stdout: that
 * is how an action tells the runner to mask a value (core.setSecret), and it must come before any
 * other output. Requires `npm run build` (like test/action-e2e.test.ts).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MANIFEST, startDemoHub } from "../demo/build.js";
import { actionsEnv, pullRequestEventFor, writeEventFile } from "./github/events.js";
import { actionsToken, forkPullRequestToken, startGitHubServer, type GitHubServer } from "./github/server.js";
import type { HubServer } from "./hub/server.js";
import { REPO_ROOT } from "./support/corpus-files.js";
import { runAction, type ActionRun } from "./support/action-runner.js";

/** Hub: valid but without access to the gated repo (-> 403 GatedRepo). */
const HF_GOOD = "hf_SECRETgoodTokenAAAAAAAAAAAAAAAAAAAA";
/** Hub: unknown to the Hub (-> 401 invalid credentials on everything). */
const HF_BAD = "hf_SECRETbadTokenBBBBBBBBBBBBBBBBBBBBB";
/** GitHub: write token, read-only fork token, and a token with no recognizable prefix (only masking protects it). */
const GH_WRITE = "ghs_SECRETwriteTokenCCCCCCCCCCCCCCCCCCC";
const GH_READ = "ghs_SECRETreadTokenDDDDDDDDDDDDDDDDDDDD";
const GH_PLAIN = "SECRETplain0123456789abcdef0123456789ab";
const TOKENS = [HF_GOOD, HF_BAD, GH_WRITE, GH_READ, GH_PLAIN];
const REPO = "acme/engine";
const MANIFEST = "demo/model-zoo.yaml";

let hub: HubServer;
let gh: GitHubServer;
let tmp: string;
let prEvent: string;
let forkEvent: string;
let scheduleEvent: string;

interface Output {
  where: string;
  text: string;
}
const outputs: Output[] = [];
const stats = { runs: 0, outputs: 0, bytes: 0, files: 0, requestBodies: 0, hubUrls: 0, masks: 0 };

/** Every regular file under a folder (skipping nothing: cache entries, tmp files, reports). */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { recursive: true })) {
    const p = path.join(dir, String(e));
    try {
      if (statSync(p).isFile()) out.push(p);
    } catch {
      /* vanished */
    }
  }
  return out;
}

function collect(where: string, text: string): void {
  outputs.push({ where, text });
  stats.outputs++;
  stats.bytes += text.length;
}

function collectDir(label: string, dir: string): void {
  for (const f of filesUnder(dir)) {
    stats.files++;
    collect(`${label}:${path.relative(dir, f)}`, readFileSync(f).toString("latin1"));
  }
}

/** stdout without the `::add-mask::` commands (checked separately: they must come first). */
function checkMasks(stdout: string, given: string[], where: string): string {
  const lines = stdout.split("\n");
  const masks = lines.filter((l) => l.startsWith("::add-mask::"));
  for (const t of given) expect(masks, `${where}: ::add-mask:: for a token`).toContain(`::add-mask::${t}`);
  stats.masks += masks.length;
  // masking is the very first thing: nothing is printed before the last ::add-mask::
  const firstOther = lines.findIndex((l) => l !== "" && !l.startsWith("::add-mask::"));
  const lastMask = lines.map((l) => l.startsWith("::add-mask::")).lastIndexOf(true);
  if (given.length > 0 && firstOther !== -1) expect(lastMask, `${where}: output before masking`).toBeLessThan(firstOther);
  return lines.filter((l) => !l.startsWith("::add-mask::")).join("\n");
}

async function action(name: string, inputs: Record<string, string>, env: Record<string, string>): Promise<ActionRun> {
  const home = path.join(tmp, `${name}-home`);
  const tmpdir = path.join(tmp, `${name}-tmp`);
  const outDir = path.join(tmp, `${name}-out`);
  const cacheDir = path.join(tmp, `${name}-cache`);
  mkdirSync(home, { recursive: true });
  mkdirSync(tmpdir, { recursive: true });
  const r = await runAction(
    { manifest: MANIFEST, "hub-url": hub.url, "output-dir": outDir, "cache-dir": cacheDir, "test-seq-len": "4096", ...inputs },
    { ...env, HOME: home, TMPDIR: tmpdir, RUNNER_TEMP: tmpdir },
  );
  stats.runs++;
  const given = [inputs["hf-token"], inputs["github-token"]].filter((t): t is string => !!t);
  collect(`${name}:stdout`, checkMasks(r.stdout, given, name));
  collect(`${name}:stderr`, r.stderr);
  collectDir(`${name}:runner-files`, r.dir); // GITHUB_OUTPUT, GITHUB_STEP_SUMMARY
  collectDir(`${name}:output-dir`, outDir);
  collectDir(`${name}:cache-dir`, cacheDir);
  collectDir(`${name}:home`, home);
  collectDir(`${name}:tmpdir`, tmpdir);
  return r;
}

async function cli(name: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const bin = path.join(REPO_ROOT, "dist", "cli", "index.js");
  const home = path.join(tmp, `${name}-home`);
  const tmpdir = path.join(tmp, `${name}-tmp`);
  const cwd = path.join(tmp, `${name}-cwd`);
  for (const d of [home, tmpdir, cwd]) mkdirSync(d, { recursive: true });
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH, HOME: home, TMPDIR: tmpdir, HF_ENDPOINT: hub.url, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => chunks.out.push(d));
    child.stderr.on("data", (d: Buffer) => chunks.err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  stats.runs++;
  const stdout = Buffer.concat(chunks.out).toString("utf8");
  const stderr = Buffer.concat(chunks.err).toString("utf8");
  collect(`${name}:stdout`, stdout);
  collect(`${name}:stderr`, stderr);
  collectDir(`${name}:cwd`, cwd);
  collectDir(`${name}:home`, home);
  collectDir(`${name}:tmpdir`, tmpdir);
  return { code, stdout, stderr };
}

/** Every (output, token) pair where the token, or a distinctive 20-character part of it, appears. */
function leaksIn(list: readonly Output[]): string[] {
  const leaks: string[] = [];
  for (const t of TOKENS) {
    // the whole token, and a distinctive inner part (a token cut or partly masked is still a leak)
    const needles = [t, t.slice(4, 24)];
    for (const o of list) if (needles.some((n) => o.text.includes(n))) leaks.push(`${o.where} contains (part of) a token ${t.slice(0, 10)}...`);
  }
  return leaks;
}

function prEnv(token: string, evPath: string, runId: number): Record<string, string> {
  const payload = JSON.parse(readFileSync(evPath, "utf8")) as Parameters<typeof actionsEnv>[0]["payload"];
  return { ...actionsEnv({ eventName: "pull_request", eventPath: evPath, payload, apiUrl: gh.url, runId }), GITHUB_TOKEN: token };
}

beforeAll(async () => {
  if (!existsSync(path.join(REPO_ROOT, "dist", "index.js")) || !existsSync(path.join(REPO_ROOT, "dist", "cli", "index.js"))) {
    throw new Error("dist/ is missing: run npm run build");
  }
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-secrets-"));
  // The demo Hub; HF_GOOD is valid there but not authorized for acme/gated-llama.
  hub = await startDemoHub(path.join(tmp, "hub"), { tokens: [HF_GOOD] });
  gh = await startGitHubServer({
    repos: [
      { owner: "acme", name: "engine" },
      { owner: "contributor", name: "engine", fork: REPO },
    ],
    tokens: [actionsToken(GH_WRITE, { repositories: [REPO] }), forkPullRequestToken(GH_READ, [REPO]), actionsToken(GH_PLAIN, { repositories: [REPO] })],
  });
  gh.state.commitFiles(REPO, "main", { [MANIFEST]: readFileSync(DEMO_MANIFEST, "utf8") }, "Add the model zoo");
  const pr = gh.state.createPullRequest(REPO, { title: "Zoo", user: "dev", head: { ref: "zoo" }, files: [{ filename: MANIFEST, status: "modified" }] });
  prEvent = writeEventFile(tmp, pullRequestEventFor(pr, { apiUrl: gh.url }), "pr.json");
  const fork = gh.state.createPullRequest(REPO, { title: "Fork", user: "contributor", head: { ref: "fork", repo: "contributor/engine" } });
  forkEvent = writeEventFile(tmp, pullRequestEventFor(fork, { apiUrl: gh.url }), "fork.json");
  scheduleEvent = writeEventFile(tmp, { schedule: "0 6 * * 1" }, "schedule.json");
}, 60_000);

afterAll(async () => {
  console.log(
    `[secrets] ${TOKENS.length} tokens searched in ${stats.outputs} outputs (${stats.files} files, ${(stats.bytes / 1e6).toFixed(1)} MB) of ${stats.runs} runs, ${stats.requestBodies} request bodies / git objects sent to GitHub, ${stats.hubUrls} Hub URLs; ${stats.masks} ::add-mask:: commands`,
  );
  await hub?.close();
  await gh?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("secrets: tokens never appear in any output", () => {
  it("action, check mode: a gated model the HF token cannot read (403 GatedRepo)", async () => {
    const r = await action("check-gated", { mode: "check", "hf-token": HF_GOOD, "github-token": GH_WRITE, "fail-on": "integrity" }, prEnv(GH_WRITE, prEvent, 5001));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/acme\/gated-llama: UNKNOWN \(.*gated/);
  }, 120_000);

  it("action, pr mode: an HF token the Hub rejects (401), the comment is posted", async () => {
    const r = await action("pr-badtoken", { mode: "pr", "hf-token": HF_BAD, "github-token": GH_WRITE, "fail-on": "none" }, prEnv(GH_WRITE, prEvent, 5002));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/UNKNOWN \(.*(rejected the token|invalid credentials)/i);
    expect(r.stdout).toMatch(/PR comment (created|updated|unchanged)/);
  }, 120_000);

  it("action, pr mode from a fork: the read-only GitHub token gets 403 on commenting", async () => {
    const r = await action("pr-fork", { mode: "pr", "hf-token": HF_GOOD, "github-token": GH_READ, "fail-on": "none" }, prEnv(GH_READ, forkEvent, 5003));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/::notice::standin could not comment on this PR/);
    expect(gh.requests.some((q) => q.status === 403 && q.operationId === "issues/create-comment")).toBe(true);
  }, 120_000);

  it("action, pr mode with comment: always and a denied comment: the failure message has no token", async () => {
    const r = await action("pr-fork-always", { mode: "pr", "hf-token": HF_GOOD, "github-token": GH_READ, "fail-on": "none", comment: "always" }, prEnv(GH_READ, forkEvent, 5004));
    expect(r.code).toBe(1);
  }, 120_000);

  it("action, pr mode with a GitHub token that has no recognizable prefix (only masking protects it)", async () => {
    const r = await action("pr-plain", { mode: "pr", "hf-token": HF_GOOD, "github-token": GH_PLAIN, "fail-on": "none" }, prEnv(GH_PLAIN, prEvent, 5005));
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/PR comment (created|updated|unchanged)/);
  }, 120_000);

  it("action, weekly mode twice: baseline branch and rolling issue written with the token", async () => {
    const env = { ...actionsEnv({ eventName: "schedule", eventPath: scheduleEvent, repository: REPO, apiUrl: gh.url, runId: 5006 }), GITHUB_TOKEN: GH_WRITE };
    const first = await action("weekly-1", { mode: "weekly", "hf-token": HF_GOOD, "github-token": GH_WRITE, "fail-on": "none" }, env);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const second = await action("weekly-2", { mode: "weekly", "hf-token": HF_BAD, "github-token": GH_WRITE, "fail-on": "none" }, { ...env, GITHUB_RUN_ID: "5007" });
    expect(second.code, second.stdout + second.stderr).toBe(0);
  }, 180_000);

  it("action, an input error (bad mode) after the tokens were read: masked first, no token in the message", async () => {
    const r = await action("bad-input", { mode: "sometimes", "hf-token": HF_GOOD, "github-token": GH_WRITE }, prEnv(GH_WRITE, prEvent, 5008));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::.*mode/);
  }, 60_000);

  it("CLI: check with --token and every report file; fingerprint with HF_TOKEN rejected; gated; bad flags", async () => {
    const a = await cli("cli-check", ["check", path.join(REPO_ROOT, MANIFEST), "--token", HF_GOOD, "--cache-dir", "cache", "--json", "out/results.json", "--markdown", "out/report.md", "--csv", "out/pairs.csv", "--fail-on", "integrity"]);
    expect(a.code).toBe(1); // the gated model
    expect(existsSync(path.join(tmp, "cli-check-cwd", "out", "results.json"))).toBe(true);
    const b = await cli("cli-badtoken", ["fingerprint", "--json", "meta-llama/Llama-3.1-8B-Instruct", "acme/gated-llama"], { HF_TOKEN: HF_BAD });
    expect(b.code).toBe(1);
    expect(b.stdout).toMatch(/bad_token|rejected the token/);
    const c = await cli("cli-gated", ["compare", "acme/gated-llama", "Qwen/Qwen3-0.6B", "--token", HF_GOOD]);
    expect(c.code).toBe(1);
    const d = await cli("cli-inspect", ["inspect", "acme/gated-llama"], { HF_TOKEN: HF_GOOD, STANDIN_CACHE_DIR: "cache" });
    expect(d.code).not.toBe(0);
    const e = await cli("cli-usage", ["fingerprint", "--token", HF_GOOD, "--bogus", "x"]);
    expect(e.code).toBe(2);
    const f = await cli("cli-not-hf", ["fingerprint", "meta-llama/Llama-3.1-8B-Instruct", "--token", GH_PLAIN]);
    expect(f.code).not.toBe(0);
  }, 240_000);

  it("no token in any collected output, request body, git object or Hub URL", () => {
    // what standin sent to GitHub: request bodies (comments, issues, labels, git data), decoded
    for (const q of gh.requests) {
      stats.requestBodies++;
      if (q.requestBody === undefined) continue;
      collect(`github:${q.method} ${q.path}`, JSON.stringify(q.requestBody));
      const body = q.requestBody as { content?: unknown; encoding?: unknown };
      if (body && typeof body.content === "string" && body.encoding === "base64") collect(`github:${q.path} (base64 content)`, Buffer.from(body.content, "base64").toString("latin1"));
    }
    for (const repo of [REPO, "contributor/engine"]) {
      for (const o of gh.state.git(repo).objects.values()) {
        stats.requestBodies++;
        collect(`git:${repo}:${o.sha}`, o.type === "blob" ? o.data.toString("latin1") : JSON.stringify(o));
      }
      for (const issue of gh.state.issues(repo, { state: "all", pulls: true })) {
        collect(`issue:${repo}#${issue.number}`, `${issue.title}\n${issue.body ?? ""}`);
        for (const cm of gh.state.comments(repo, issue.number)) collect(`comment:${repo}#${issue.number}`, cm.body ?? "");
      }
    }
    for (const r of hub.requests) {
      stats.hubUrls++;
      collect(`hub:${r.listener} ${r.method}`, r.url);
    }
    expect(stats.runs).toBeGreaterThanOrEqual(13);
    expect(outputs.some((o) => o.where.endsWith("results.json"))).toBe(true);
    expect(outputs.some((o) => o.where.includes("cache-dir:"))).toBe(true);
    expect(outputs.some((o) => o.where.startsWith("comment:"))).toBe(true);
    // the search itself finds a planted token, whole or in part
    expect(leaksIn([{ where: "planted", text: `x ${GH_PLAIN.slice(2)} y` }])).toHaveLength(1);
    expect(leaksIn(outputs)).toEqual([]);
  });
});
