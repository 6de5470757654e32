/**
 * The action: check | pr | weekly | merge | plan | comment.
 * Report first (files, outputs, job summary, annotations, comment or issue), gate last: the step
 * fails (exit 1) only after everything is written, per fail-on.
 */
import { existsSync } from "node:fs";
import { mkdir, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { analyze, mergeScans, runCheck, VERSION } from "../check.js";
import { loadManifest } from "../manifest/load.js";
import type { Manifest } from "../manifest/types.js";
import { toJson, parseResults } from "../report/json.js";
import { COMMENT_BUDGET, DEFAULT_BUDGET, renderReport } from "../report/markdown.js";
import type { Results } from "../report/types.js";
import { createRunContext } from "../sources/index.js";
import { StandinError, redact } from "../util/errors.js";
import { createGitHubClient, isHttpError, type GitHubClient } from "../github/client.js";
import { COMMENT_MARKER, metaMarker, resolveBotLogin, upsertStickyComment, type RepoRef } from "../github/comment.js";
import { buildTestMatrix } from "../github/matrix.js";
import { parseBaseManifest, readManifestAt, touched } from "../github/touched.js";
import { renderHtmlOption } from "../report/html-file.js";
import { buildCodeId } from "../util/code-id.js";
import { readInputs, type Inputs } from "./inputs.js";
import { baselinePreface, runWeekly } from "./weekly.js";

export interface ActionEnv {
  env: NodeJS.ProcessEnv;
}

interface Ctx {
  inputs: Inputs;
  env: NodeJS.ProcessEnv;
  workspace: string;
  outDir: string;
  repo: RepoRef | null;
  runUrl: string | null;
  event: Record<string, unknown>;
}

/** Summary budget: GitHub's step summary cap is 1 MiB; keep a margin. */
const SUMMARY_BUDGET = Math.min(DEFAULT_BUDGET, 1_000_000);
/** At most this many annotations of each kind per step (GitHub shows 10). */
const MAX_ANNOTATIONS = 10;

export async function run(opts: ActionEnv = { env: process.env }): Promise<void> {
  const env = opts.env;
  let inputs: Inputs;
  try {
    inputs = readInputs();
  } catch (e) {
    core.setFailed(describe(e));
    return;
  }
  const workspace = env.GITHUB_WORKSPACE ?? process.cwd();
  const repo = env.GITHUB_REPOSITORY && env.GITHUB_REPOSITORY.includes("/") ? { owner: env.GITHUB_REPOSITORY.split("/")[0] as string, repo: env.GITHUB_REPOSITORY.split("/")[1] as string } : null;
  const server = (env.GITHUB_SERVER_URL ?? "https://github.com").replace(/\/+$/, "");
  const ctx: Ctx = {
    inputs,
    env,
    workspace,
    outDir: path.resolve(workspace, inputs.outputDir),
    repo,
    runUrl: repo && env.GITHUB_RUN_ID ? `${server}/${repo.owner}/${repo.repo}/actions/runs/${env.GITHUB_RUN_ID}` : null,
    event: await readEvent(env.GITHUB_EVENT_PATH),
  };
  try {
    await mkdir(ctx.outDir, { recursive: true });
    switch (inputs.mode) {
      case "plan":
        return await planMode(ctx);
      case "comment":
        return await commentMode(ctx);
      default:
        return await scanMode(ctx);
    }
  } catch (e) {
    core.setFailed(describe(e));
  }
}

function describe(e: unknown): string {
  if (e instanceof StandinError) return `standin: ${e.describe()}`;
  return `standin: ${redact(e instanceof Error ? e.message : String(e))}`;
}

async function readEvent(p: string | undefined): Promise<Record<string, unknown>> {
  if (!p) return {};
  try {
    return JSON.parse(await readFile(p, "utf8")) as Record<string, unknown>;
  } catch {
    return {};
  }
}

function manifestPath(ctx: Ctx): string {
  const abs = path.resolve(ctx.workspace, ctx.inputs.manifest);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : abs;
}

/** The manifest path as annotations want it: relative to the workspace. */
function annotationFile(ctx: Ctx): string {
  return path.relative(ctx.workspace, manifestPath(ctx)) || ctx.inputs.manifest;
}

function client(ctx: Ctx): GitHubClient | null {
  if (!ctx.inputs.githubToken) return null;
  return createGitHubClient({ token: ctx.inputs.githubToken, env: ctx.env, log: (l) => core.info(l) });
}

function shardMatrix(manifest: Manifest, count: number | null): { include: { shard: string }[] } {
  const n = Math.max(1, Math.min(256, count ?? Math.ceil(manifest.models.length / 8)));
  return { include: Array.from({ length: n }, (_, i) => ({ shard: `${i + 1}/${n}` })) };
}

/** mode: plan — no network: the shard matrix for a sharded weekly run. */
async function planMode(ctx: Ctx): Promise<void> {
  const manifest = await loadManifest(manifestPath(ctx));
  const sm = shardMatrix(manifest, ctx.inputs.shardCount);
  core.setOutput("shard-matrix", JSON.stringify(sm));
  core.info(`${manifest.models.length} models in ${sm.include.length} shard(s)`);
}

async function scanMode(ctx: Ctx): Promise<void> {
  const { inputs } = ctx;
  const manifest = await loadManifest(manifestPath(ctx));
  core.setOutput("shard-matrix", JSON.stringify(shardMatrix(manifest, inputs.shardCount)));
  const runCtx = createRunContext({
    hubUrl: inputs.hubUrl ?? ctx.env.HF_ENDPOINT ?? manifest.defaults.hub ?? null,
    token: inputs.hfToken,
    cacheDir: inputs.cacheDir ? path.resolve(ctx.workspace, inputs.cacheDir) : null,
    env: ctx.env,
  });

  let results: Results;
  let reportAs: "check" | "pr" | "weekly" = inputs.mode === "merge" ? inputs.mergeMode : (inputs.mode as "check" | "pr" | "weekly");
  if (inputs.mode === "merge") {
    const parts = await readShardResults(path.resolve(ctx.workspace, inputs.shardsDir));
    const { scan, network } = mergeScans(manifest, parts);
    results = analyze(manifest, scan, { failOn: inputs.failOn, seqLen: inputs.testSeqLen, network });
    core.info(`merged ${parts.length} shard result(s): ${scan.models.length} models`);
  } else {
    core.startGroup(`standin ${VERSION}: fingerprinting ${inputs.shard ? `shard ${inputs.shard.index}/${inputs.shard.count} of ` : ""}${manifest.models.length} models`);
    results = await runCheck(manifest, runCtx, {
      failOn: inputs.failOn,
      shard: inputs.shard,
      seqLen: inputs.testSeqLen,
      onModel: (fp) =>
        core.info(
          `${fp.model}: ${fp.status === "ok" ? `${fp.source.format}, ${fp.network.requests} requests${fp.network.cached ? " (cached)" : ""}` : `UNKNOWN (${fp.error?.message ?? ""})`}`,
        ),
      codeId: buildCodeId(),
    });
    core.endGroup();
    // The cache folder is persisted run after run: drop the revisions of this zoo's models it has moved past.
    const pruned = await runCtx.cache.pruneStaleRevisions();
    if (pruned > 0) core.info(`cache: removed ${pruned} folder(s) of revisions no longer in use`);
  }

  if (inputs.shard && inputs.mode !== "merge") {
    const file = path.join(ctx.outDir, `shard-${inputs.shard.index}-of-${inputs.shard.count}.json`);
    await writeFile(file, toJson(results));
    core.setOutput("report-path", file);
    core.info(`partial result for shard ${inputs.shard.index}/${inputs.shard.count} written to ${file} (merge with mode: merge)`);
    return;
  }

  if (reportAs === "pr" && !prNumber(ctx)) {
    core.warning("mode pr outside a pull_request event: reporting as check (job summary only)");
    reportAs = "check";
  }

  // Touched models (PR): the manifest at the base branch vs the PR's head.
  let touchedIds: string[] | undefined;
  const gh = client(ctx);
  if (reportAs === "pr" && gh && ctx.repo) {
    const baseSha = baseShaOf(ctx);
    if (baseSha) {
      try {
        const base = parseBaseManifest(await readManifestAt(gh, ctx.repo, annotationFile(ctx), baseSha), annotationFile(ctx));
        const t = touched(base, manifest);
        touchedIds = t.models;
        core.info(`the PR touches ${t.models.length} model(s) and ${t.pairs.length} pair(s)${t.baseMissing ? " (no manifest at the base: everything is new)" : ""}`);
      } catch (e) {
        core.warning(`could not read the base manifest (${describe(e)}): the whole zoo is shown`);
      }
    }
  }

  // Files first: they are the artifact whatever happens next.
  const resultsPath = path.join(ctx.outDir, "results.json");
  await writeFile(resultsPath, toJson(results));
  const summaryMd = renderReport(results, { budget: SUMMARY_BUDGET, detailsUrl: ctx.runUrl ?? undefined, touched: touchedIds });
  await writeFile(path.join(ctx.outDir, "report.md"), summaryMd);
  const run = ctx.env.GITHUB_RUN_ID ? Number(ctx.env.GITHUB_RUN_ID) : null;
  const sha = headShaOf(ctx);
  const marker = `${metaMarker({ run, sha })}\n${COMMENT_MARKER}`;
  const preface = reportAs === "pr" ? await baselinePreface(gh, ctx.repo, inputs, results, ctx.workspace) : undefined;
  const commentMd = renderReport(results, { budget: COMMENT_BUDGET, detailsUrl: ctx.runUrl ?? undefined, touched: touchedIds, marker, preface });
  await writeFile(path.join(ctx.outDir, "comment.md"), commentMd);
  const pr = prNumber(ctx);
  await writeFile(path.join(ctx.outDir, "pr.json"), JSON.stringify({ number: pr, head_sha: sha, run }) + "\n");

  // Outputs.
  setOutputs(results, resultsPath, inputs.testSeqLen);

  // Job summary (needs no permission: works on fork PRs).
  await core.summary.addRaw(summaryMd, true).write({ overwrite: true });

  // Annotations on the manifest lines.
  annotate(ctx, results);

  if (reportAs === "pr") await postComment(ctx, gh, pr as number, commentMd, run);
  let weeklyRegressions = 0;
  if (reportAs === "weekly") {
    const w = await runWeekly({ client: gh, repo: ctx.repo, inputs, results, runUrl: ctx.runUrl, workspace: ctx.workspace, outDir: ctx.outDir });
    weeklyRegressions = w.regressions;
  }
  // The dashboard, in every mode (with the weekly history when weekly mode wrote it).
  try {
    const historyFile = path.join(ctx.outDir, "history.json");
    const html = await renderHtmlOption(results, path.join(ctx.outDir, "report.html"), reportAs === "weekly" && existsSync(historyFile) ? historyFile : undefined);
    core.info(`dashboard: ${html.file} (${html.bytes} bytes)`);
  } catch (e) {
    core.warning(`dashboard not written: ${describe(e)}`);
  }

  // The gate, last. A weekly run with regressions goes red too (unless fail-on: none).
  if (weeklyRegressions > 0 && !inputs.failOn.includes("none")) {
    core.setFailed(`standin weekly: ${weeklyRegressions} regression(s) against the baseline (see the rolling issue)${results.gate.passed ? "" : `; gate: ${results.gate.failures.length} failure(s)`}`);
  } else if (!results.gate.passed) {
    const n = results.gate.failures.length;
    core.setFailed(`standin gate: ${n} failure${n === 1 ? "" : "s"} (fail-on: ${results.gate.failOn.join(",")}). ${results.gate.failures.slice(0, 3).map((f) => `${f.subject}: ${f.message}`).join(" | ")}`);
  } else {
    core.info(`standin gate passed (fail-on: ${results.gate.failOn.join(",")})`);
  }
}

function setOutputs(results: Results, resultsPath: string, seqLen: number): void {
  core.setOutput("verdicts", JSON.stringify(results.pairs.map((p) => ({ target: p.target, proxy: p.proxy, verdict: p.verdict, ok: p.ok }))));
  core.setOutput("full-substitute-pairs", JSON.stringify(results.pairs.filter((p) => p.verdict === "FULL_SUBSTITUTE").map((p) => `${p.target}<-${p.proxy}`)));
  core.setOutput("failures", String(results.gate.failures.length));
  core.setOutput("report-path", resultsPath);
  const tm = buildTestMatrix(results, { seqLen });
  core.setOutput("test-matrix", JSON.stringify(tm.matrix));
  if (tm.unknown.length) core.warning(`test-matrix: ${tm.unknown.length} model(s) could not be fingerprinted and are not covered: ${tm.unknown.join(", ")}`);
}

function annotate(ctx: Ctx, results: Results): void {
  const file = annotationFile(ctx);
  const failures = results.gate.failures;
  failures.slice(0, MAX_ANNOTATIONS).forEach((f, i) => {
    const last = i === MAX_ANNOTATIONS - 1 && failures.length > MAX_ANNOTATIONS;
    const more = last ? ` (and ${failures.length - MAX_ANNOTATIONS + 1} more in the job summary)` : "";
    core.error(`${f.subject}: ${f.message}${more}`, { title: `standin: ${f.reason}`, file, startLine: f.line ?? 1 });
  });
  // Warnings: UNKNOWN pairs and failing integrity that fail-on does not gate.
  const gated = new Set(failures.map((f) => f.subject));
  const warnings: { msg: string; line: number }[] = [];
  for (const r of results.integrity) {
    if (r.status !== "PASS" && !gated.has(r.model)) warnings.push({ msg: `${r.model}: integrity ${r.status}`, line: results.manifest?.lines[r.model] ?? 1 });
  }
  for (const p of results.pairs) {
    const subject = `${p.target} <- ${p.proxy}`;
    if (p.verdict === "UNKNOWN" && !gated.has(subject)) warnings.push({ msg: `${subject}: UNKNOWN (${p.error ?? ""})`, line: p.line ?? 1 });
  }
  warnings.slice(0, MAX_ANNOTATIONS).forEach((w) => core.warning(w.msg, { title: "standin", file, startLine: w.line }));
}

function prNumber(ctx: Ctx): number | null {
  const pr = ctx.event["pull_request"] as { number?: number } | undefined;
  if (pr && typeof pr.number === "number") return pr.number;
  const n = ctx.event["number"];
  return typeof n === "number" && ctx.event["pull_request"] ? n : null;
}

function baseShaOf(ctx: Ctx): string | null {
  const pr = ctx.event["pull_request"] as { base?: { sha?: string } } | undefined;
  return pr?.base?.sha ?? null;
}

function headShaOf(ctx: Ctx): string | null {
  const pr = ctx.event["pull_request"] as { head?: { sha?: string } } | undefined;
  return pr?.head?.sha ?? ctx.env.GITHUB_SHA ?? null;
}

/**
 * Post (or update) the sticky comment. A read-only token (fork PRs) gets 403: degrade to the job
 * summary and the artifact files with a clear notice, never a crash — unless comment: always.
 */
async function postComment(ctx: Ctx, gh: GitHubClient | null, pr: number, body: string, run: number | null): Promise<void> {
  const policy = ctx.inputs.comment;
  if (policy === "never") {
    core.info("comment: never — the report is in the job summary and the artifact");
    return;
  }
  if (!gh || !ctx.repo) {
    const msg = "no github-token or repository: the PR comment was not posted (the report is in the job summary)";
    if (policy === "always") throw new StandinError("comment_failed", msg);
    core.notice(msg);
    return;
  }
  try {
    const botLogin = await resolveBotLogin(gh, ctx.inputs.botLogin);
    const r = await upsertStickyComment(gh, ctx.repo, pr, body, { botLogin, run });
    core.info(`PR comment ${r.action}: ${r.url}${r.deleted ? ` (${r.deleted} duplicate(s) removed)` : ""}`);
  } catch (e) {
    if (isHttpError(e, 403) || isHttpError(e, 404)) {
      const msg =
        "standin could not comment on this PR (the token is read-only, as on pull requests from forks). The full report is in this job's summary and in the standin-report artifact; the companion workflow (examples/pr-comment.yml, on workflow_run) posts it as a comment.";
      await core.summary.addRaw(`\n> [!NOTE]\n> ${msg}\n`).write();
      if (policy === "always") throw new StandinError("comment_failed", msg);
      core.notice(msg);
      return;
    }
    throw e;
  }
}

async function readShardResults(dir: string): Promise<Results[]> {
  let files: string[];
  try {
    files = (await readdir(dir, { recursive: true })).map(String).filter((f) => f.endsWith(".json") && /shard-\d+-of-\d+\.json$/.test(path.basename(f)));
  } catch {
    throw new StandinError("merge_no_shards", `shards-dir ${dir} does not exist`, { hint: "download the shard artifacts (pattern: shard-*, merge-multiple: true) into it" });
  }
  if (files.length === 0) throw new StandinError("merge_no_shards", `no shard-*-of-*.json files in ${dir}`, { hint: "did the shard jobs run with the shard input and upload output-dir?" });
  const out: Results[] = [];
  for (const f of files.sort()) out.push(parseResults(await readFile(path.join(dir, f), "utf8"), f));
  return out;
}

/**
 * mode: comment — the second half of the fork-safe pattern: runs on workflow_run with a write
 * token and posts comment.md from the scan's artifact. The artifact is data: the PR number comes
 * from the event (or a head-sha lookup), never from the artifact, and the body is size-checked.
 */
async function commentMode(ctx: Ctx): Promise<void> {
  const gh = client(ctx);
  if (!gh || !ctx.repo) throw new StandinError("comment_failed", "mode comment needs github-token and GITHUB_REPOSITORY");
  const body = await readFile(path.join(ctx.outDir, "comment.md"), "utf8").catch(() => {
    throw new StandinError("comment_failed", `no comment.md in ${ctx.outDir}`, { hint: "download the scan workflow's standin-report artifact into output-dir" });
  });
  if (!body.includes(COMMENT_MARKER)) throw new StandinError("comment_failed", "comment.md has no standin marker: refusing to post an unknown body");
  const wr = ctx.event["workflow_run"] as { pull_requests?: { number: number }[]; head_sha?: string; id?: number } | undefined;
  let pr = wr?.pull_requests?.[0]?.number ?? null;
  if (pr === null && wr?.head_sha) {
    // Fork PRs: workflow_run.pull_requests is empty; find the PR by its head sha.
    const r = await gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...ctx.repo, commit_sha: wr.head_sha });
    pr = r.data.find((p) => p.head.sha === wr.head_sha)?.number ?? r.data[0]?.number ?? null;
    if (pr === null) {
      const open = await gh.paginate(gh.rest.pulls.list, { ...ctx.repo, state: "open", per_page: 100 });
      pr = open.find((p) => p.head.sha === wr.head_sha)?.number ?? null;
    }
  }
  if (pr === null) {
    core.notice("no pull request found for this workflow run: nothing to comment on");
    return;
  }
  const botLogin = await resolveBotLogin(gh, ctx.inputs.botLogin);
  const r = await upsertStickyComment(gh, ctx.repo, pr, body, { botLogin, run: wr?.id ?? null });
  core.info(`PR #${pr} comment ${r.action}: ${r.url}`);
}
