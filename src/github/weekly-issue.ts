/**
 * The ONE rolling weekly regression issue (issue 5), Renovate-style:
 *
 * - found by label + hidden marker + bot author through the paginated REST issue list (never the
 *   Search API: it is eventually consistent and rate-limited separately);
 * - created (label created first when missing) only when there are regressions; its body rewritten
 *   in place each week (skipped when unchanged: the latest body is re-read right before writing);
 * - a comment when the set of regressions gains new keys (body edits do not notify; the keys of the
 *   previous run live in a hidden state marker of the body, hashed to stay small);
 * - closed (state_reason completed, with a comment) when the run is clean; the most recent closed
 *   one reopened on relapse, never a second one created; duplicates (open issues with the same
 *   marker by the bot) closed as not_planned with a comment pointing at the kept, oldest one;
 * - a tick box "accept these regressions": the next run takes the ticked regressions as the new
 *   baseline (reportWeekly).
 *
 * The body: headline (count and kinds of regressions), regressions first with before → after and
 * the manifest line, their reasons folded, then improvements, other changes, the unchanged count.
 * Over the budget (UTF-8 bytes, default 60,000 < GitHub's 65,536-character limit) whole sections
 * are shortened or dropped, with a link to the run; the markers always fit.
 */
import { createHash } from "node:crypto";
import { markdownTable } from "markdown-table";
import type { Verdict } from "../compare/types.js";
import { escapeCell, escapeHtml, formatReason, shorten, verdictBadge } from "../report/markdown.js";
import type { Results } from "../report/types.js";
import { StandinError } from "../util/errors.js";
import { plural } from "../util/format.js";
import { BaselineError, type BaselineStore, type WriteResult } from "./baseline.js";
import { isHttpError, type GitHubClient } from "./client.js";
import { GITHUB_ACTIONS_BOT, type RepoRef } from "./comment.js";
import { diffResults, nextBaseline, type DiffItem, type DiffKind, type WeeklyDiff } from "./regressions.js";

export const WEEKLY_MARKER = "<!-- standin:weekly-regression v1 -->";
export const WEEKLY_LABEL = "standin-weekly";
export const WEEKLY_TITLE = "standin: model-zoo regressions (weekly)";
export const ACCEPT_MARKER = "<!-- standin:accept -->";
export const ISSUE_BUDGET = 60_000;
const LABEL_COLOR = "d93f0b";
const LABEL_DESCRIPTION = "Weekly model-zoo regressions (managed by the standin action)";

// ------------------------------------------------------------------------------------------------
// Hidden state

/** The machine state kept in the issue body (hashed regression keys of the run that wrote it). */
export interface WeeklyState {
  v: 1;
  /** keyHash() of every regression of that run (all of them, even when the body was shortened). */
  regressions: string[];
  /** Date of the run (YYYY-MM-DD). */
  date?: string;
}

const STATE_RE = /<!-- standin:state (\{[^<>]*\}) -->/;

/** 12 hex characters of sha256: 1,000 regressions keep the state under 16 kB. */
export function keyHash(key: string): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 12);
}

export function stateMarker(state: WeeklyState): string {
  return `<!-- standin:state ${JSON.stringify(state)} -->`;
}

export function readState(body: string | null | undefined): WeeklyState | null {
  const m = STATE_RE.exec(body ?? "");
  if (!m) return null;
  try {
    const v = JSON.parse(m[1] as string) as Partial<WeeklyState>;
    if (!Array.isArray(v.regressions)) return null;
    return { v: 1, regressions: v.regressions.filter((x): x is string => typeof x === "string"), ...(typeof v.date === "string" ? { date: v.date } : {}) };
  } catch {
    return null;
  }
}

/** The "accept these regressions" box is ticked in this body. */
export function acceptTicked(body: string | null | undefined): boolean {
  return (body ?? "").split(/\r?\n/).some((l) => /^\s*[-*]\s*\[[xX]\]/.test(l) && l.includes(ACCEPT_MARKER));
}

// ------------------------------------------------------------------------------------------------
// Rendering

export interface RenderWeeklyOptions {
  /** Link to this run (shown in the headline, the footer and the "left out" note). */
  runUrl?: string;
  /** UTF-8 bytes (default 60,000). */
  budget?: number;
  /** Hidden marker identifying the issue (default WEEKLY_MARKER). */
  marker?: string;
  /** Where the baseline lives ("branch standin-baseline (latest.json)"), for the footer. */
  baselineLabel?: string;
  /** Run date (default: the current results' generatedAt date). */
  date?: string;
}

const KIND_LABELS: Record<DiffKind, string> = {
  verdict_downgrade: "⬇️ Verdict",
  integrity_new_failure: "❌ Integrity",
  fingerprint_drift: "🔀 Drift",
  unreachable: "⛔ Unreachable",
  expectation_broken: "📏 Expectation",
  verdict_upgrade: "⬆️ Verdict",
  integrity_fixed: "✅ Integrity",
  reachable_again: "🔓 Reachable",
  expectation_fixed: "📏 Expectation",
  revision_changed: "🔁 New revision",
  fingerprint_changed: "🔀 Fingerprint",
  pair_added: "➕ Pair",
  pair_removed: "➖ Pair",
  requirement_changed: "📝 Requirement",
  expectation_added: "➕ Expectation",
};

/** Headline phrases: "2 verdict downgrades", "1 model unreachable" ... */
const KIND_PHRASES: Partial<Record<DiffKind, (n: number) => string>> = {
  verdict_downgrade: (n) => plural(n, "verdict downgrade"),
  integrity_new_failure: (n) => `${plural(n, "new integrity failure")}`,
  fingerprint_drift: (n) => `${plural(n, "fingerprint")} drifted`,
  unreachable: (n) => `${plural(n, "model")} unreachable`,
  expectation_broken: (n) => plural(n, "broken expectation"),
  verdict_upgrade: (n) => plural(n, "verdict upgrade"),
  integrity_fixed: (n) => `${plural(n, "integrity failure")} fixed`,
  reachable_again: (n) => `${plural(n, "model")} reachable again`,
  expectation_fixed: (n) => `${plural(n, "expectation")} fixed`,
  revision_changed: (n) => `${plural(n, "new revision")} with the same fingerprint`,
  fingerprint_changed: (n) => `${plural(n, "fingerprint")} changed without an upstream change`,
  pair_added: (n) => plural(n, "pair") + " added",
  pair_removed: (n) => plural(n, "pair") + " removed",
  requirement_changed: (n) => plural(n, "requirement") + " changed",
  expectation_added: (n) => plural(n, "expectation") + " added",
};

function kindCounts(items: readonly DiffItem[]): string {
  const order: DiffKind[] = [];
  const n = new Map<DiffKind, number>();
  for (const it of items) {
    if (!n.has(it.kind)) order.push(it.kind);
    n.set(it.kind, (n.get(it.kind) ?? 0) + 1);
  }
  return order.map((k) => KIND_PHRASES[k]?.(n.get(k) ?? 0) ?? `${n.get(k)} ${k}`).join(" · ");
}

function safeUrl(url: string): string {
  return url.replace(/[\s()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

function table(header: string[], rows: string[][]): string {
  return markdownTable([header, ...rows], { alignDelimiters: false });
}

function details(summary: string, body: string): string {
  return `<details>\n<summary>${summary}</summary>\n\n${body.trim()}\n\n</details>`;
}

function bytesOf(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

function verdictText(v: Verdict | null, fallback: string): string {
  return v === null ? escapeCell(fallback) : verdictBadge(v);
}

function changeText(c: { what: string; before: string; after: string }): string {
  return `${c.what}: ${shorten(c.before, 40)} → ${shorten(c.after, 40)}`;
}

/** The "Before → after" cell. */
function beforeAfter(it: DiffItem): string {
  if (it.verdicts && (it.subjectKind === "pair" || it.subjectKind === "plan")) {
    const via = (v: Verdict | null, text: string): string => {
      const proxy = /via (.+)$/.exec(text)?.[1];
      return `${verdictText(v, text)}${proxy && it.subjectKind === "plan" ? ` via ${escapeCell(proxy)}` : ""}`;
    };
    let cell = `${via(it.verdicts.before, it.before)} → ${via(it.verdicts.after, it.after)}`;
    if (it.breaksRequirement && it.require) cell += ` ❌ requires ${it.require}`;
    else if (it.kind === "requirement_changed") cell = `${escapeCell(it.before)} → ${escapeCell(it.after)} (${verdictBadge(it.verdicts.after ?? "UNKNOWN")})`;
    return cell;
  }
  let cell = `${escapeCell(it.before)} → **${escapeCell(it.after)}**`;
  if (it.changes && it.changes.length > 0) {
    const top = it.changes.slice(0, 3).map((c) => escapeCell(changeText(c)));
    if (it.changes.length > 3) top.push(`+${it.changes.length - 3} more`);
    cell += `<br>${top.join("<br>")}`;
  }
  return cell;
}

function subjectCell(it: DiffItem, bold: boolean): string {
  const s = escapeCell(it.subject);
  // regressions have their causes in the "why" fold; elsewhere the cause goes with the subject
  return bold ? `**${s}**` : `${s}${it.cause ? `<br><sub>${escapeCell(shorten(it.cause, 200))}</sub>` : ""}`;
}

function manifestCell(it: DiffItem): string {
  return it.line !== undefined ? escapeCell(`${it.manifestPath ?? "model-zoo.yaml"}:${it.line}`) : "—";
}

function itemsTable(items: readonly DiffItem[], bold: boolean): string {
  return table(
    ["What", "Subject", "Before → after", "Manifest"],
    items.map((it) => [KIND_LABELS[it.kind], subjectCell(it, bold), beforeAfter(it), manifestCell(it)]),
  );
}

/** One bullet of the folded "why" list: reasons, causes, messages, hints. */
function whyLine(it: DiffItem): string | null {
  const parts: string[] = [];
  if (it.cause) parts.push(`cause: ${escapeCell(shorten(it.cause, 300))}`);
  if (it.newReasons && it.newReasons.length > 0) parts.push(`new reasons (proxy → target): ${it.newReasons.map((r) => escapeCell(formatReason(r, 60))).join("; ")}`);
  if (it.changes && it.changes.length > 3) parts.push(`changed: ${it.changes.map((c) => escapeCell(changeText(c))).join("; ")}`);
  // a pair's error repeats its cause ("X: X is gated ..."): the cause says it once
  if (it.message && !(it.cause && (it.subjectKind === "pair" || it.subjectKind === "plan"))) parts.push(escapeCell(shorten(it.message, 300)));
  if (it.hint) parts.push(`hint: ${escapeCell(shorten(it.hint, 300))}`);
  if (parts.length === 0) return null;
  return `- **${escapeCell(it.subject)}** (${KIND_LABELS[it.kind]}): ${parts.join(" — ")}`;
}

function whyFold(items: readonly DiffItem[], summary: string): string {
  const lines = items.map(whyLine).filter((l): l is string => l !== null);
  if (lines.length === 0) return "";
  return details(summary, lines.join("\n"));
}

function moreNote(shown: number, total: number, what: string, runUrl: string | undefined): string {
  return `_Showing ${shown} of ${total} ${what}; the run's job summary and results.json have all of them${runUrl ? ` ([run](${safeUrl(runUrl)}))` : ""}._`;
}

interface Section {
  name: string;
  /** Richest first; "" = empty section. */
  forms: (() => string)[];
}

const LIMITS = [200, 100, 40, 15];

function regressionSection(diff: WeeklyDiff, runUrl: string | undefined, limit?: number): string {
  const items = diff.regressions;
  if (items.length === 0) return "";
  const shown = limit !== undefined ? items.slice(0, limit) : items;
  const out = [`#### 🔴 Regressions (${items.length})`, "", itemsTable(shown, true)];
  if (shown.length < items.length) out.push("", moreNote(shown.length, items.length, "regressions", runUrl));
  return out.join("\n");
}

function improvementSection(diff: WeeklyDiff, runUrl: string | undefined, limit?: number): string {
  const items = diff.improvements;
  if (items.length === 0) return "";
  const shown = limit !== undefined ? items.slice(0, limit) : items;
  const out = [`#### 🟢 Improvements (${items.length})`, "", itemsTable(shown, false)];
  if (shown.length < items.length) out.push("", moreNote(shown.length, items.length, "improvements", runUrl));
  return out.join("\n");
}

function otherSection(diff: WeeklyDiff, runUrl: string | undefined, limit?: number): string {
  const items = [...diff.accepted, ...diff.info];
  const added = diff.firstRun ? [] : diff.added;
  if (items.length === 0 && added.length === 0 && diff.removed.length === 0) return "";
  const lines: string[] = [];
  if (diff.accepted.length > 0) lines.push(`**Accepted as the new baseline (${diff.accepted.length}):** a maintainer ticked the box last week.`, "", itemsTable(diff.accepted.slice(0, limit), false), "");
  if (diff.info.length > 0) {
    const shown = limit !== undefined ? diff.info.slice(0, limit) : diff.info;
    lines.push(itemsTable(shown, false));
    if (shown.length < diff.info.length) lines.push("", moreNote(shown.length, diff.info.length, "other changes", runUrl));
    lines.push("");
  }
  const list = (ids: readonly string[]): string => {
    const shown = limit !== undefined ? ids.slice(0, limit) : ids;
    return shown.map((m) => `\`${m.replace(/`/g, "'")}\``).join(", ") + (shown.length < ids.length ? `, +${ids.length - shown.length} more` : "");
  };
  if (added.length > 0) lines.push(`**New in the manifest (${added.length}):** ${list(added)}`);
  if (diff.removed.length > 0) lines.push(`**Gone from the manifest (${diff.removed.length}):** ${list(diff.removed)}`);
  const n = items.length + added.length + diff.removed.length;
  const what = [kindCounts(items), added.length > 0 ? `${plural(added.length, "model")} added` : "", diff.removed.length > 0 ? `${plural(diff.removed.length, "model")} removed` : ""].filter((x) => x !== "").join(" · ");
  return details(`ℹ️ Other changes (${n}): ${escapeHtml(what)}`, lines.join("\n"));
}

function unchangedLine(diff: WeeklyDiff): string {
  if (diff.firstRun) return `🆕 **First run:** ${plural(diff.counts.models, "model")} and ${plural(diff.counts.pairs, "pair")} stored as the baseline; next week's run is compared with it.`;
  const u = diff.unchangedBy;
  return `⚪ **${diff.unchanged} unchanged** (${plural(u.models, "model")}, ${plural(u.pairs, "pair")}) since the baseline.`;
}

function dateOf(current: Results, opt?: string): string {
  return opt ?? current.generatedAt.slice(0, 10);
}

function headline(diff: WeeklyDiff, current: Results, runUrl: string | undefined, date: string): string {
  const zoo = current.manifest?.name ? ` in ${escapeCell(current.manifest.name)}` : "";
  const n = diff.regressions.length;
  const head = diff.firstRun
    ? `### 🆕 standin weekly: first run${zoo}, no baseline to compare with`
    : n > 0
      ? `### 🔴 standin weekly: ${plural(n, "regression")}${zoo}`
      : `### ✅ standin weekly: no regressions${zoo}`;
  // not the baseline's date: a re-run of the same run would change the body for nothing
  const since = diff.firstRun ? "" : " against the stored baseline";
  const run = runUrl ? `[run of ${date}](${safeUrl(runUrl)})` : `run of ${date}`;
  const sub = `${run}${since} — ${plural(diff.counts.models, "model")}, ${plural(diff.counts.pairs, "manifest pair")}`;
  const kinds: string[] = [];
  if (n > 0) kinds.push(`**${kindCounts(diff.regressions)}**`);
  if (diff.improvements.length > 0) kinds.push(kindCounts(diff.improvements));
  if (!diff.firstRun) kinds.push(`${diff.unchanged} unchanged`);
  return `${head}\n\n${sub}${kinds.length > 0 ? `\n\n${kinds.join(" · ")}` : ""}`;
}

function acceptLine(diff: WeeklyDiff): string {
  if (diff.regressions.length === 0) return "";
  return `- [ ] Accept these ${plural(diff.regressions.length, "regression")} as the new baseline: tick this box and the next weekly run stores them as normal (and closes this issue if nothing else regressed). ${ACCEPT_MARKER}`;
}

function footer(current: Results, opts: RenderWeeklyOptions): string {
  const parts = [`${escapeCell(current.tool.name)} ${escapeCell(current.tool.version)}`];
  if (opts.baselineLabel) parts.push(`baseline: ${escapeCell(opts.baselineLabel)}`);
  if (opts.runUrl) parts.push(`[run](${safeUrl(opts.runUrl)})`);
  parts.push("this issue is updated in place every week, closed when a run is clean and reopened on relapse");
  return `<sub>${parts.join(" · ")}</sub>`;
}

function dropNote(left: string[], shortened: string[], runUrl: string | undefined): string {
  const d: string[] = [];
  if (left.length > 0) d.push(`left out: ${left.join(", ")}`);
  if (shortened.length > 0) d.push(`shortened: ${shortened.join(", ")}`);
  return `ℹ️ Parts of this issue were left out to fit GitHub's size limit (${d.join("; ")}); see the ${runUrl ? `[run's job summary](${safeUrl(runUrl)})` : "run's job summary"}.`;
}

/**
 * The weekly issue body. Regressions first (before → after, manifest line), their reasons folded,
 * then improvements, other changes and the unchanged count. At most `budget` UTF-8 bytes: the
 * headline, the unchanged line, the accept box, the footer and both markers always fit; sections
 * are shortened, then dropped, in reverse priority.
 */
export function renderWeeklyIssue(diff: WeeklyDiff, current: Results, opts: RenderWeeklyOptions = {}): string {
  const budget = opts.budget ?? ISSUE_BUDGET;
  const marker = opts.marker ?? WEEKLY_MARKER;
  const date = dateOf(current, opts.date);
  const state = stateMarker({ v: 1, regressions: diff.regressions.map((r) => keyHash(r.key)), date });
  const tail = `\n\n${marker}\n${state}\n`;
  const sep = "\n\n";
  const runUrl = opts.runUrl;
  const secs: Section[] = [
    { name: "regressions", forms: [() => regressionSection(diff, runUrl), ...LIMITS.filter((l) => l < diff.regressions.length).map((l) => () => regressionSection(diff, runUrl, l))] },
    { name: "why", forms: [() => whyFold(diff.regressions, `Why: reasons, causes and hints (${plural(diff.regressions.length, "regression")})`)] },
    { name: "improvements", forms: [() => improvementSection(diff, runUrl), ...LIMITS.filter((l) => l < diff.improvements.length).map((l) => () => improvementSection(diff, runUrl, l))] },
    { name: "other changes", forms: [() => otherSection(diff, runUrl), () => otherSection(diff, runUrl, 15)] },
  ];
  const head = headline(diff, current, runUrl, date);
  const fixedTail = [unchangedLine(diff), acceptLine(diff), footer(current, opts)];
  const assemble = (parts: string[]): string => parts.filter((p) => p !== "").join(sep) + tail;

  const rich = secs.map((s) => s.forms[0]?.() ?? "");
  const full = assemble([head, ...rich, ...fixedTail]);
  if (bytesOf(full) <= budget) return full;

  const maxNote = dropNote(
    secs.map((s) => s.name),
    [],
    runUrl,
  );
  let remaining = budget - bytesOf(assemble([head, maxNote, ...fixedTail]));
  const kept: string[] = [];
  const left: string[] = [];
  const shortened: string[] = [];
  secs.forEach((s, i) => {
    for (let f = 0; f < s.forms.length; f++) {
      const text = f === 0 ? (rich[i] ?? "") : (s.forms[f]?.() ?? "");
      if (text === "") return;
      if (bytesOf(text) + sep.length <= remaining) {
        kept.push(text);
        remaining -= bytesOf(text) + sep.length;
        if (f > 0) shortened.push(s.name);
        return;
      }
    }
    left.push(s.name);
  });
  const out = assemble([head, ...kept, dropNote(left, shortened, runUrl), ...fixedTail]);
  if (bytesOf(out) <= budget) return out;
  // degenerate budgets: headline and markers only
  const minimal = assemble([head, dropNote(secs.map((s) => s.name), [], runUrl)]);
  if (bytesOf(minimal) <= budget) return minimal;
  if (bytesOf(tail) > budget) throw new RangeError(`budget ${budget} is smaller than the issue's markers (${bytesOf(tail)} bytes)`);
  return assemble([head.split("\n")[0] ?? ""]).slice(0, budget);
}

/** The comment posted when regressions are new (on creation, on reopening, or in an open issue). */
export function renderNewRegressionsComment(items: readonly DiffItem[], opts: { runUrl?: string; date?: string; reopened?: boolean; max?: number } = {}): string {
  const max = opts.max ?? 30;
  const run = opts.runUrl ? `[weekly run${opts.date ? ` of ${opts.date}` : ""}](${safeUrl(opts.runUrl)})` : `weekly run${opts.date ? ` of ${opts.date}` : ""}`;
  const head = opts.reopened
    ? `🔁 **Regressions are back** — ${plural(items.length, "new regression")} in the ${run}; reopening.`
    : `🔴 **${plural(items.length, "new regression")}** in the ${run}:`;
  const lines = items.slice(0, max).map((it) => {
    const v = it.verdicts && it.subjectKind !== "expectation" ? `${verdictText(it.verdicts.before, it.before)} → ${verdictText(it.verdicts.after, it.after)}` : `${escapeCell(it.before)} → ${escapeCell(it.after)}`;
    return `- ${KIND_LABELS[it.kind]} **${escapeCell(it.subject)}**: ${v}${it.breaksRequirement && it.require ? ` (requires ${it.require})` : ""}`;
  });
  if (items.length > max) lines.push(`- … and ${items.length - max} more (see the issue body)`);
  return [head, "", ...lines].join("\n");
}

// ------------------------------------------------------------------------------------------------
// Finding and ensuring the issue

/** The fields of an issue we use. */
export interface IssueLike {
  number: number;
  title: string;
  body?: string | null;
  state: string;
  state_reason?: string | null;
  html_url: string;
  user: { login: string } | null;
  closed_at?: string | null;
  created_at: string;
  pull_request?: unknown;
}

export interface FoundIssues {
  /** Open matching issues, oldest first (the first one is kept). */
  open: IssueLike[];
  /** Closed matching issues, most recently closed first. */
  closed: IssueLike[];
}

export interface FindOptions {
  label: string;
  marker: string;
  /** Author to match (default github-actions[bot]; a PAT's user: comment.ts resolveBotLogin). */
  botLogin?: string;
}

/** A weekly-issue write the token may not do (403): the caller degrades (job summary only). */
export class WeeklyIssueError extends StandinError {
  readonly status?: number;
  constructor(message: string, opts: { status?: number; cause?: unknown; hint?: string } = {}) {
    super("issue_forbidden", message, { cause: opts.cause, hint: opts.hint });
    this.status = opts.status;
  }
}

/** Matching issues: label (server-side filter) + marker + bot author (client-side), every page. */
export async function findWeeklyIssues(client: GitHubClient, repoRef: RepoRef, opts: FindOptions): Promise<FoundIssues> {
  const repo = { owner: repoRef.owner, repo: repoRef.repo };
  const bot = (opts.botLogin ?? GITHUB_ACTIONS_BOT).toLowerCase();
  const all = (await client.paginate(client.rest.issues.listForRepo, { ...repo, labels: opts.label, state: "all", per_page: 100 })) as IssueLike[];
  const mine = all.filter((i) => !i.pull_request && (i.body ?? "").includes(opts.marker) && i.user !== null && i.user.login.toLowerCase() === bot);
  const open = mine.filter((i) => i.state === "open").sort((a, b) => a.number - b.number);
  const closed = mine
    .filter((i) => i.state !== "open")
    .sort((a, b) => (b.closed_at ?? "").localeCompare(a.closed_at ?? "") || b.number - a.number);
  return { open, closed };
}

export type EnsureAction = "created" | "updated" | "unchanged" | "closed" | "reopened" | "none";

export interface EnsureOptions extends FindOptions {
  title: string;
  body: string;
  hasRegressions: boolean;
  /** Keys of this run's regressions (DiffItem.key); default: the hashes in the body's state marker. */
  regressionKeys?: readonly string[];
  /** Comment for new regressions, given their keys (default: a generic list of counts). */
  newRegressionsComment?: (newKeys: string[], reopened: boolean) => string;
  /** Comment when closing (default: "No regressions in the weekly run ...: closing."). */
  closeComment?: (resolved: number) => string;
  runUrl?: string;
  /** Issues already found this run (findWeeklyIssues), to save the listing. */
  found?: FoundIssues;
}

export interface EnsureResult {
  action: EnsureAction;
  number?: number;
  url?: string;
  /** A comment was posted on the kept issue (new regressions, reopening or closing). */
  commented: boolean;
  /** Regression keys new since the previous run (raw keys when given, else hashes). */
  newRegressionKeys: string[];
  /** Duplicates closed as not_planned. */
  duplicatesClosed: number[];
}

function wrap403(what: string): (e: unknown) => never {
  return (e: unknown): never => {
    if (isHttpError(e, 403)) {
      throw new WeeklyIssueError(`cannot ${what}: ${e.message}`, {
        status: 403,
        cause: e,
        hint: "the weekly workflow needs `permissions: issues: write` (a fork pull request's token is read-only): the report is in the job summary",
      });
    }
    throw e;
  };
}

function normalize(s: string | null | undefined): string {
  return (s ?? "").replace(/\r\n/g, "\n");
}

/**
 * Keep exactly one rolling issue in step with this run: create / update / close / reopen, close
 * duplicates, comment when regressions are new. Skips every write that would change nothing.
 */
export async function ensureWeeklyIssue(client: GitHubClient, repoRef: RepoRef, opts: EnsureOptions): Promise<EnsureResult> {
  const repo = { owner: repoRef.owner, repo: repoRef.repo };
  const found = opts.found ?? (await findWeeklyIssues(client, repo, opts).catch(wrap403("list issues")));
  const result: EnsureResult = { action: "none", commented: false, newRegressionKeys: [], duplicatesClosed: [] };
  const keys = opts.regressionKeys ? [...opts.regressionKeys] : null;
  const hashes = keys ? keys.map(keyHash) : (readState(opts.body)?.regressions ?? []);
  const newSince = (prev: WeeklyState | null): string[] => {
    const known = new Set(prev?.regressions ?? []);
    return keys ? keys.filter((k) => !known.has(keyHash(k))) : hashes.filter((h) => !known.has(h));
  };
  const comment = async (issue: number, body: string): Promise<void> => {
    await client.rest.issues.createComment({ ...repo, issue_number: issue, body }).catch(wrap403("comment on the weekly issue"));
    result.commented = true;
  };
  const defaultNew = (n: string[], reopened: boolean): string =>
    `${reopened ? "🔁 **Regressions are back**" : "🔴 **New regressions**"}: ${plural(n.length, "regression")} not in the previous run${opts.runUrl ? ` ([run](${safeUrl(opts.runUrl)}))` : ""}; see the issue body.`;
  const newComment = opts.newRegressionsComment ?? defaultNew;

  const closeDuplicate = async (dup: number, keep: number): Promise<void> => {
    await client.rest.issues
      .createComment({ ...repo, issue_number: dup, body: `Closing as a duplicate of #${keep}: standin keeps one rolling weekly issue.` })
      .catch(wrap403("comment on a duplicate weekly issue"));
    await client.rest.issues.update({ ...repo, issue_number: dup, state: "closed", state_reason: "not_planned" }).catch(wrap403("close a duplicate weekly issue"));
    result.duplicatesClosed.push(dup);
  };

  // duplicates: keep the oldest open one
  const [kept, ...dups] = found.open;
  if (kept) for (const d of dups) await closeDuplicate(d.number, kept.number);

  if (!kept) {
    if (!opts.hasRegressions) return result;
    const last = found.closed[0];
    if (last) {
      // relapse: reopen the most recent closed one, never a second issue
      const latest = (await client.rest.issues.get({ ...repo, issue_number: last.number }).catch(wrap403("read the weekly issue"))).data;
      const fresh = newSince(readState(latest.body));
      await client.rest.issues.update({ ...repo, issue_number: last.number, state: "open", title: opts.title, body: opts.body }).catch(wrap403("reopen the weekly issue"));
      result.action = "reopened";
      result.number = last.number;
      result.url = latest.html_url;
      result.newRegressionKeys = fresh;
      await comment(last.number, newComment(fresh.length > 0 ? fresh : keys ?? hashes, true));
      return result;
    }
    await ensureLabel(client, repo, opts.label);
    const created = (await client.rest.issues.create({ ...repo, title: opts.title, body: opts.body, labels: [opts.label] }).catch(wrap403("create the weekly issue"))).data;
    result.action = "created";
    result.number = created.number;
    result.url = created.html_url;
    result.newRegressionKeys = keys ?? hashes;
    // another run may have raced us: keep the oldest open one, close the others (possibly ours)
    const again = await findWeeklyIssues(client, repo, opts).catch(wrap403("list issues"));
    const oldest = again.open[0];
    if (oldest && oldest.number !== created.number) {
      await closeDuplicate(created.number, oldest.number);
      const rest = await ensureWeeklyIssue(client, repo, { ...opts, found: undefined });
      return { ...rest, duplicatesClosed: [...result.duplicatesClosed, ...rest.duplicatesClosed] };
    }
    for (const d of again.open.slice(1)) await closeDuplicate(d.number, created.number);
    await comment(created.number, newComment(keys ?? hashes, false));
    return result;
  }

  // re-read the latest body right before writing (the list may be stale; a user may have edited it)
  const latest = (await client.rest.issues.get({ ...repo, issue_number: kept.number }).catch(wrap403("read the weekly issue"))).data;
  result.number = kept.number;
  result.url = latest.html_url;
  const prev = readState(latest.body);
  if (!opts.hasRegressions) {
    const resolved = prev?.regressions.length ?? 0;
    const text = opts.closeComment?.(resolved) ?? `✅ No regressions in the weekly run${opts.runUrl ? ` ([run](${safeUrl(opts.runUrl)}))` : ""}${resolved > 0 ? `: the ${plural(resolved, "regression")} of the previous run ${resolved === 1 ? "is" : "are"} resolved or accepted` : ""}. Closing; standin reopens this issue if regressions come back.`;
    await comment(kept.number, text);
    await client.rest.issues.update({ ...repo, issue_number: kept.number, state: "closed", state_reason: "completed", title: opts.title, body: opts.body }).catch(wrap403("close the weekly issue"));
    result.action = "closed";
    return result;
  }
  const fresh = newSince(prev);
  result.newRegressionKeys = fresh;
  if (normalize(latest.body) !== normalize(opts.body) || latest.title !== opts.title) {
    await client.rest.issues.update({ ...repo, issue_number: kept.number, title: opts.title, body: opts.body }).catch(wrap403("update the weekly issue"));
    result.action = "updated";
  } else {
    result.action = "unchanged";
  }
  if (fresh.length > 0) await comment(kept.number, newComment(fresh, false));
  return result;
}

/** Create the label when missing (GitHub would create it grey on first use). */
async function ensureLabel(client: GitHubClient, repo: RepoRef, name: string): Promise<void> {
  try {
    await client.rest.issues.getLabel({ ...repo, name });
    return;
  } catch (e) {
    if (!isHttpError(e, 404)) wrap403("read the weekly label")(e);
  }
  try {
    await client.rest.issues.createLabel({ ...repo, name, color: LABEL_COLOR, description: LABEL_DESCRIPTION });
  } catch (e) {
    if (isHttpError(e, 422)) return; // created meanwhile
    wrap403("create the weekly label")(e);
  }
}

// ------------------------------------------------------------------------------------------------
// The weekly run, end to end

export interface WeeklyOptions {
  store: BaselineStore;
  /** This week's results (the whole zoo at the newest revisions). */
  current: Results;
  runUrl?: string;
  /** Run date YYYY-MM-DD (history file name; default: current.generatedAt's date). */
  date?: string;
  label?: string;
  marker?: string;
  title?: string;
  botLogin?: string;
  budget?: number;
  log?: (line: string) => void;
}

export interface WeeklyOutcome {
  diff: WeeklyDiff;
  body: string;
  /** The issue, or why it could not be kept (403: reported in the job summary instead). */
  issue: EnsureResult | { error: WeeklyIssueError };
  /** The baseline write, or why it did not happen (file baseline, 403, conflicts). */
  baseline: WriteResult | { written: false; reason: string; error: BaselineError };
  /** Regressions taken as the new baseline because the accept box was ticked. */
  accepted: number;
}

/**
 * Weekly mode after the scan: read the baseline, diff (honouring a ticked accept box), keep the
 * rolling issue, store the ratcheted baseline and this run's history entry. Issue and baseline
 * writes degrade independently (typed errors in the outcome); an unreadable or invalid baseline
 * throws (BaselineError): comparing with nothing would hide regressions and overwrite the file.
 */
export async function reportWeekly(client: GitHubClient, repoRef: RepoRef, opts: WeeklyOptions): Promise<WeeklyOutcome> {
  const repo = { owner: repoRef.owner, repo: repoRef.repo };
  const log = opts.log ?? (() => undefined);
  const label = opts.label ?? WEEKLY_LABEL;
  const marker = opts.marker ?? WEEKLY_MARKER;
  const title = opts.title ?? WEEKLY_TITLE;
  const date = dateOf(opts.current, opts.date);
  const find: FindOptions = { label, marker, ...(opts.botLogin ? { botLogin: opts.botLogin } : {}) };

  if (opts.current.shard !== null) {
    // one shard's models would read as "every other model removed"
    throw new StandinError("weekly_shard", `weekly mode needs the whole zoo, got shard ${opts.current.shard}`, { hint: "run weekly on the merged results (mode: merge, merge-mode: weekly)" });
  }
  const baseline = await opts.store.read();
  let found: FoundIssues | null = null;
  let findError: WeeklyIssueError | null = null;
  try {
    found = await findWeeklyIssues(client, repo, find).catch(wrap403("list issues"));
  } catch (e) {
    if (!(e instanceof WeeklyIssueError)) throw e;
    findError = e;
  }
  const kept = found?.open[0];
  const acceptedHashes = new Set(kept && acceptTicked(kept.body) ? (readState(kept.body)?.regressions ?? []) : []);
  if (acceptedHashes.size > 0) log(`weekly: the accept box is ticked on #${kept?.number}: ${acceptedHashes.size} regressions of the previous run become the new baseline`);
  const diff = diffResults(baseline, opts.current, { accept: (k) => acceptedHashes.has(keyHash(k)) });
  const body = renderWeeklyIssue(diff, opts.current, {
    ...(opts.runUrl ? { runUrl: opts.runUrl } : {}),
    ...(opts.budget !== undefined ? { budget: opts.budget } : {}),
    marker,
    baselineLabel: opts.store.describe(),
    date,
  });
  const byKey = new Map(diff.regressions.map((r) => [r.key, r]));

  let issue: WeeklyOutcome["issue"];
  try {
    if (findError) throw findError;
    issue = await ensureWeeklyIssue(client, repo, {
      ...find,
      title,
      body,
      hasRegressions: diff.regressions.length > 0,
      regressionKeys: diff.regressions.map((r) => r.key),
      ...(found ? { found } : {}),
      ...(opts.runUrl ? { runUrl: opts.runUrl } : {}),
      newRegressionsComment: (keys, reopened) =>
        renderNewRegressionsComment(
          keys.map((k) => byKey.get(k)).filter((x): x is DiffItem => x !== undefined),
          { ...(opts.runUrl ? { runUrl: opts.runUrl } : {}), date, reopened },
        ),
      closeComment: (resolved) =>
        `✅ No regressions in the ${opts.runUrl ? `[weekly run of ${date}](${safeUrl(opts.runUrl)})` : `weekly run of ${date}`}${
          diff.accepted.length > 0 ? `: ${plural(diff.accepted.length, "regression")} accepted as the new baseline` : resolved > 0 ? `: the ${plural(resolved, "regression")} of the previous run ${resolved === 1 ? "is" : "are"} resolved` : ""
        }. Closing; standin reopens this issue if regressions come back.`,
    });
    log(`weekly: issue ${issue.action}${issue.number ? ` #${issue.number}` : ""}${issue.commented ? " (commented)" : ""}`);
  } catch (e) {
    if (!(e instanceof WeeklyIssueError)) throw e;
    log(`weekly: ${e.describe()}`);
    issue = { error: e };
  }

  let stored: WeeklyOutcome["baseline"];
  try {
    stored = await opts.store.write(opts.current, { date, latest: nextBaseline(baseline, opts.current, diff), diff });
    log(stored.written ? `weekly: baseline stored on ${stored.branch} (${stored.commit.slice(0, 7)}, ${stored.attempts} attempt(s))` : `weekly: baseline not written: ${stored.reason}`);
  } catch (e) {
    if (!(e instanceof BaselineError)) throw e;
    log(`weekly: ${e.describe()}`);
    stored = { written: false, reason: e.message, error: e };
  }
  return { diff, body, issue, baseline: stored, accepted: diff.accepted.length };
}
