/**
 * mode: weekly — compare with the stored baseline, keep one rolling regression issue, store the
 * (ratcheted) baseline and a dated history entry. Issue and baseline writes degrade separately
 * (read-only token: a notice, the report stays in the summary and the artifact).
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import * as core from "@actions/core";
import { createBaselineStore } from "../github/baseline.js";
import type { GitHubClient } from "../github/client.js";
import { resolveBotLogin, type RepoRef } from "../github/comment.js";
import { describeItem, diffResults, type WeeklyDiff } from "../github/regressions.js";
import { reportWeekly } from "../github/weekly-issue.js";
import { escapeCell } from "../report/markdown.js";
import type { Results } from "../report/types.js";
import { StandinError } from "../util/errors.js";
import type { Inputs } from "./inputs.js";

export interface WeeklyArgs {
  client: GitHubClient | null;
  repo: RepoRef | null;
  inputs: Inputs;
  results: Results;
  runUrl: string | null;
  workspace: string;
  outDir: string;
}

export interface WeeklyRun {
  regressions: number;
  diff: WeeklyDiff | null;
}

export async function runWeekly(args: WeeklyArgs): Promise<WeeklyRun> {
  const { client, repo, inputs, results } = args;
  if (!client || !repo) {
    throw new StandinError("weekly_no_token", "weekly mode needs github-token and GITHUB_REPOSITORY (the baseline and the issue live in the repository)");
  }
  const store = createBaselineStore(client, repo, inputs.baseline, { workspace: args.workspace, log: (l) => core.info(l) });
  const botLogin = await resolveBotLogin(client, inputs.botLogin);
  const outcome = await reportWeekly(client, repo, {
    store,
    current: results,
    runUrl: args.runUrl ?? undefined,
    label: inputs.issueLabel,
    botLogin,
    log: (l) => core.info(l),
  });
  await writeFile(path.join(args.outDir, "weekly-issue.md"), outcome.body);
  try {
    const history = await store.readHistory();
    await writeFile(path.join(args.outDir, "history.json"), JSON.stringify(history, null, 2) + "\n");
  } catch (e) {
    core.info(`history not available: ${e instanceof Error ? e.message : String(e)}`);
  }
  const d = outcome.diff;
  const lines = [`### standin weekly: ${d.firstRun ? "first run, baseline created" : `${d.regressions.length} regression(s), ${d.improvements.length} improvement(s), ${d.unchanged} unchanged`}`];
  if ("error" in outcome.issue) {
    lines.push(`> [!NOTE]\n> The rolling issue could not be written (${outcome.issue.error.message}): the issue body is in the standin-report artifact (weekly-issue.md).`);
    core.notice(`weekly issue not written: ${outcome.issue.error.message}`);
  } else {
    lines.push(`Rolling issue: ${outcome.issue.action}${outcome.issue.url ? ` — ${outcome.issue.url}` : ""}${outcome.issue.commented ? " (commented: new regressions)" : ""}`);
  }
  const b = outcome.baseline;
  if (b.written) lines.push(`Baseline stored on ${store.describe()}${b.attempts > 1 ? ` after ${b.attempts} attempts (concurrent writer)` : ""}.`);
  else {
    lines.push(`Baseline not stored: ${b.reason}`);
    if ("error" in b) core.warning(`baseline not stored: ${b.reason}`);
  }
  if (outcome.accepted) lines.push(`${outcome.accepted} regression(s) accepted by a maintainer (ticked box) and taken as the new baseline.`);
  await core.summary.addRaw(`\n${lines.join("\n\n")}\n`).write();
  core.setOutput("regressions", String(d.regressions.length));
  for (const r of d.regressions.slice(0, 10)) core.warning(`weekly regression: ${describeItem(r)}`, { title: "standin weekly", file: path.relative(args.workspace, path.resolve(args.workspace, inputs.manifest)), startLine: r.line ?? 1 });
  return { regressions: d.regressions.length, diff: d };
}

/** PR mode reads the baseline too: a one-paragraph "vs the weekly baseline" for the comment. */
export async function baselinePreface(client: GitHubClient | null, repo: RepoRef | null, inputs: Inputs, results: Results, workspace: string): Promise<string | undefined> {
  if (!client || !repo) return undefined;
  let baseline: Results | null;
  try {
    baseline = await createBaselineStore(client, repo, inputs.baseline, { workspace }).read();
  } catch (e) {
    core.info(`weekly baseline not read: ${e instanceof Error ? e.message : String(e)}`);
    return undefined;
  }
  if (!baseline) return undefined;
  const d = diffResults(baseline, results);
  const when = baseline.generatedAt.slice(0, 10);
  if (d.regressions.length === 0 && d.improvements.length === 0) return `Compared with the weekly baseline (${when}): no verdict, integrity or fingerprint changes.`;
  const items = [...d.regressions.slice(0, 5).map((r) => `- ⚠️ ${escapeCell(describeItem(r))}`), ...d.improvements.slice(0, 3).map((r) => `- ✅ ${escapeCell(describeItem(r))}`)];
  return `Compared with the weekly baseline (${when}): **${d.regressions.length} regression(s)**, ${d.improvements.length} improvement(s).\n\n${items.join("\n")}`;
}
