/**
 * Markdown reports (job summary, PR comment body, console-friendly text) rendered from the
 * results file. Every PR-facing text follows one rule: readable by a human in 10 seconds, so the
 * verdict comes first, reasons next, details folded in <details>.
 *
 * Structure (most important first): headline, gate failures, pair table, test plans, integrity,
 * verdict matrix, proxy graph (mermaid), models, footer. Over the budget, sections are kept in
 * that priority order and each one takes its richest form that still fits (full, then compact,
 * then left out): a table or a <details> block is never cut in the middle. The budget is counted
 * in UTF-8 bytes, which bounds both GitHub's 65,536-character comment limit and the job
 * summary's 1 MiB cap.
 */
import { markdownTable } from "markdown-table";
import { VERDICT_RANK, type Comparison, type Reason, type Verdict } from "../compare/types.js";
import type { Fingerprint } from "../fingerprint/types.js";
import type { IntegrityReport, IntegrityStatus } from "../integrity/types.js";
import type { HardwareFit, Level, TargetPlan } from "../plan/types.js";
import { formatBytes, formatCount, formatRatio, plural } from "../util/format.js";
import type { GateFailure, GateReason, MatrixCell, PairResult, Results } from "./types.js";

// ------------------------------------------------------------------------------------------------
// Escaping

/**
 * Escape text for a markdown table cell (also safe in a list item or paragraph): `|` and
 * backslashes are backslash-escaped (GFM splits cells on unescaped pipes), `&`, `<` and `>` become
 * entities (no raw HTML, no `<!--` swallowing the rest), newlines become `<br>`, inline markers
 * (`` ` `` `*` `[` `]` `~`, `_` at word edges) and leading block markers (`# `, `- `, `+ `, `1. `,
 * `---`, `===`) are backslash-escaped, other control characters become spaces.
 */
export function escapeCell(s: string): string {
  const out = s
    .replace(/\\/g, "\\\\")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/\|/g, "\\|")
    .replace(/[`*[\]~]/g, (c) => `\\${c}`)
    .replace(/_/g, (c, i: number, str: string) => (isWordChar(str[i - 1]) && isWordChar(str[i + 1]) ? c : "\\_"))
    .replace(/\r\n|\r|\n/g, "<br>")
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, " ");
  return out
    .replace(/^(\s*)(#{1,6})(?=\s|$)/, "$1\\$2")
    .replace(/^(\s*)([-+])(?=\s|$)/, "$1\\$2")
    .replace(/^(\s*)([-=])(?=\2*\s*$)/, "$1\\$2")
    .replace(/^(\s*\d{1,9})([.)])(?=\s|$)/, "$1\\$2");
}

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && /[A-Za-z0-9]/.test(c);
}

/** Escape text for raw HTML (inside <summary>): entities for & < > ", newlines as spaces. */
export function escapeHtml(s: string): string {
  return s
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/\r\n|\r|\n/g, " ")
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]/g, " ");
}

/** A URL usable as a markdown link target: no spaces, parentheses or angle brackets. */
function safeUrl(url: string): string {
  return url.replace(/[\s()<>]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`);
}

/** Shorten to `max` characters (code points) with an ellipsis. */
export function shorten(s: string, max: number): string {
  const cps = [...s];
  return cps.length <= max ? s : `${cps.slice(0, Math.max(1, max - 1)).join("")}…`;
}

function table(header: string[], rows: string[][], align?: string[]): string {
  return markdownTable([header, ...rows], { alignDelimiters: false, ...(align ? { align } : {}) });
}

function details(summary: string, body: string, open = false): string {
  return `<details${open ? " open" : ""}>\n<summary>${summary}</summary>\n\n${body.trim()}\n\n</details>`;
}

function bytesOf(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

// ------------------------------------------------------------------------------------------------
// Vocabulary: every verdict and status is an emoji AND a word (never colour alone)

export const VERDICT_BADGES: Record<Verdict, { emoji: string; word: string; letter: string }> = {
  FULL_SUBSTITUTE: { emoji: "🟢", word: "FULL", letter: "F" },
  PARTIAL_SUBSTITUTE: { emoji: "🟡", word: "PARTIAL", letter: "P" },
  NO_SUBSTITUTE: { emoji: "🔴", word: "NO", letter: "N" },
  UNKNOWN: { emoji: "⚪", word: "UNKNOWN", letter: "?" },
};
const VERDICTS: Verdict[] = ["FULL_SUBSTITUTE", "PARTIAL_SUBSTITUTE", "NO_SUBSTITUTE", "UNKNOWN"];

export function verdictBadge(v: Verdict): string {
  const b = VERDICT_BADGES[v];
  return `${b.emoji} ${b.word}`;
}

const STATUS_BADGES: Record<IntegrityStatus, string> = { PASS: "✅ PASS", FAIL: "❌ FAIL", UNKNOWN: "⚪ UNKNOWN" };

const LEVEL_NAMES: Record<Level, string> = { L1: "structure", L2: "numerical", L3: "runtime", L4: "canary" };

function countVerdicts(vs: Iterable<Verdict>): Record<Verdict, number> {
  const c: Record<Verdict, number> = { FULL_SUBSTITUTE: 0, PARTIAL_SUBSTITUTE: 0, NO_SUBSTITUTE: 0, UNKNOWN: 0 };
  for (const v of vs) c[v]++;
  return c;
}

/** "🟢 3 FULL · 🟡 2 PARTIAL · 🔴 1 NO" (zero counts left out unless `all`). */
export function verdictCounts(vs: Iterable<Verdict>, all = false): string {
  const c = countVerdicts(vs);
  const parts = VERDICTS.filter((v) => all || c[v] > 0).map((v) => `${VERDICT_BADGES[v].emoji} ${c[v]} ${VERDICT_BADGES[v].word}`);
  return parts.length > 0 ? parts.join(" · ") : "none";
}

function integrityCounts(reports: readonly IntegrityReport[]): string {
  const c: Record<IntegrityStatus, number> = { PASS: 0, FAIL: 0, UNKNOWN: 0 };
  for (const r of reports) c[r.status]++;
  const parts = (["PASS", "FAIL", "UNKNOWN"] as const).filter((s) => c[s] > 0).map((s) => STATUS_BADGES[s].replace(" ", ` ${c[s]} `));
  return parts.length > 0 ? parts.join(" · ") : "no models";
}

/** "Weight format: bf16 → fp8-e4m3" (values shortened). */
export function formatReason(r: Reason, maxValue = 48): string {
  return `${r.label}: ${shorten(r.proxy, maxValue)} → ${shorten(r.target, maxValue)}${r.note ? ` (${r.note})` : ""}`;
}

/** The most telling scale ratios of a comparison ("Layers 2.5x, Hidden size 2x"). */
export function scaleSummary(c: Pick<Comparison, "scale">, max = 3): string {
  const diffs = c.scale.filter((s) => s.ratio !== null && s.ratio !== 1);
  return diffs
    .slice(0, max)
    .map((s) => `${s.label} ${formatRatio(s.ratio)}`)
    .join(", ");
}

function pairSubject(target: string, proxy: string): string {
  return `${target} ← ${proxy}`;
}

function manifestRef(results: Results, line: number | undefined): string {
  if (line === undefined) return "";
  return `${results.manifest?.path ?? "model-zoo.yaml"}:${line}`;
}

// ------------------------------------------------------------------------------------------------
// Options

export interface SectionOptions {
  /** Model ids the PR changes: their rows come first, the rest of the zoo is folded. */
  touched?: readonly string[] | ReadonlySet<string>;
  /** Link to the full report (job summary or run). */
  detailsUrl?: string;
  /** Compact form: at most this many rows / items (touched and failing first). */
  limit?: number;
}

export interface RenderOptions {
  /** Maximum size in UTF-8 bytes (default 1,000,000: the job summary; use 60,000 for a PR comment). */
  budget?: number;
  /** Link to the full report (job summary / run). */
  detailsUrl?: string;
  /** Model ids the PR changes: they come first, the rest of the zoo sits in a <details> fold. */
  touched?: readonly string[];
  /** Name in the headline (default "standin"). */
  title?: string;
  /** Hidden HTML comment appended at the very end, e.g. "<!-- standin:pr-comment v1 -->". */
  marker?: string;
  /** A short paragraph placed right after the counts line and always kept (e.g. "vs the weekly baseline"). */
  preface?: string;
}

export const DEFAULT_BUDGET = 1_000_000;
/** A PR comment's budget: a margin under GitHub's 65,536-character limit. */
export const COMMENT_BUDGET = 60_000;
/** Above this many models the matrix is summarized per family. */
export const MATRIX_MAX_MODELS = 30;
/** Above this many edges the mermaid graph is left out. */
export const MERMAID_MAX_EDGES = 60;

function touchedSet(t: SectionOptions["touched"]): ReadonlySet<string> | null {
  if (t === undefined) return null;
  return t instanceof Set ? (t as ReadonlySet<string>) : new Set(t as readonly string[]);
}

function moreNote(shown: number, total: number, what: string, url: string | undefined): string {
  const where = url ? `the [full report](${safeUrl(url)})` : "the full report";
  return `_Showing ${shown} of ${total} ${what}; all of them are in ${where}._`;
}

// ------------------------------------------------------------------------------------------------
// 1. Headline

const GATE_PHRASES: Record<GateReason, (n: number) => string> = {
  "no-substitute": (n) => (n === 1 ? "1 pair below its required verdict" : `${n} pairs below their required verdict`),
  partial: (n) => (n === 1 ? "1 pair below its required verdict" : `${n} pairs below their required verdict`),
  integrity: (n) => (n === 1 ? "1 model failed integrity" : `${n} models failed integrity`),
  expectations: (n) => (n === 1 ? "1 expectation check failed" : `${n} expectation checks failed`),
  unknown: (n) => (n === 1 ? "1 model could not be fingerprinted" : `${n} models could not be fingerprinted`),
};

/** The gate result as plain text (no markup): "2 gate failures — 1 pair below its required verdict, ...". */
export function gateSummary(results: Results, title = "standin"): { passed: boolean; text: string } {
  const shard = results.shard ? ` (shard ${results.shard})` : "";
  const f = results.gate.failures;
  if (!results.gate.passed || f.length > 0) {
    const counts = new Map<GateReason, number>();
    for (const x of f) counts.set(x.reason, (counts.get(x.reason) ?? 0) + 1);
    const pairN = (counts.get("no-substitute") ?? 0) + (counts.get("partial") ?? 0);
    const phrases: string[] = [];
    if (pairN > 0) phrases.push(GATE_PHRASES.partial(pairN));
    for (const r of ["integrity", "expectations", "unknown"] as const) {
      const n = counts.get(r) ?? 0;
      if (n > 0) phrases.push(GATE_PHRASES[r](n));
    }
    const head = f.length === 0 ? "gate failed" : plural(f.length, "gate failure");
    return { passed: false, text: `${title}: ${head}${phrases.length > 0 ? ` — ${phrases.join(", ")}` : ""}${shard}` };
  }
  const pairs = results.pairs;
  const below = pairs.filter((p) => !p.ok).length;
  let text: string;
  if (pairs.length === 0) text = `gate passed — ${plural(results.models.length, "model")}, no manifest pairs`;
  else if (below > 0) text = `gate passed — ${GATE_PHRASES.partial(below)}, not gated (fail-on: ${results.gate.failOn.join(", ") || "none"})`;
  else text = pairs.length === 1 ? "the 1 pair meets its requirement" : `all ${pairs.length} pairs meet their requirement`;
  return { passed: true, text: `${title}: ${text}${shard}` };
}

/** The one-line headline: gate result and counts. */
export function renderHeadline(results: Results, title = "standin"): string {
  const g = gateSummary(results, title);
  return `### ${g.passed ? "✅" : "❌"} ${escapeCell(g.text)}`;
}

/** The second line: verdict counts of the manifest pairs and integrity counts. */
export function renderCountsLine(results: Results): string {
  const parts: string[] = [];
  if (results.pairs.length > 0) parts.push(`**${plural(results.pairs.length, "pair")}:** ${verdictCounts(results.pairs.map((p) => p.verdict))}`);
  parts.push(`**${plural(results.models.length, "model")}:** ${integrityCounts(results.integrity)} integrity`);
  return parts.join(" — ");
}

// ------------------------------------------------------------------------------------------------
// 2. Gate failures

const GATE_LABELS: Record<GateReason, string> = {
  "no-substitute": "pair below its requirement",
  partial: "pair below its requirement",
  integrity: "integrity",
  expectations: "expectation",
  unknown: "not fingerprinted",
};

function involves(subject: string, touched: ReadonlySet<string> | null): boolean {
  if (!touched) return false;
  return subject.split(" <- ").some((s) => touched.has(s.trim()));
}

/** Gate failures: subject, reason and manifest line; "" when the gate has none. */
export function renderGateSection(results: Results, opts: SectionOptions = {}): string {
  const failures = results.gate.failures;
  if (failures.length === 0) return "";
  const touched = touchedSet(opts.touched);
  const sorted = [...failures].sort((a, b) => Number(involves(b.subject, touched)) - Number(involves(a.subject, touched)));
  const shown = opts.limit !== undefined ? sorted.slice(0, opts.limit) : sorted;
  const items = shown.map((f) => gateItem(results, f));
  const out = [`#### ❌ Gate failures (${failures.length})`, "", ...items];
  if (shown.length < failures.length) out.push("", moreNote(shown.length, failures.length, "gate failures", opts.detailsUrl));
  return out.join("\n");
}

function gateItem(results: Results, f: GateFailure): string {
  const [target, proxy] = f.subject.split(" <- ");
  const subject = proxy !== undefined && target !== undefined ? pairSubject(target, proxy) : f.subject;
  const ref = manifestRef(results, f.line);
  return `- **${escapeCell(subject)}** (${GATE_LABELS[f.reason]}): ${escapeCell(shorten(f.message, 400))}${ref ? ` — ${escapeCell(ref)}` : ""}`;
}

// ------------------------------------------------------------------------------------------------
// 3. Pair table

const TOP_REASONS = 3;

function whyCell(p: Comparison): string {
  if (p.verdict === "UNKNOWN") return escapeCell(shorten(p.error ?? "a side could not be fingerprinted", 160));
  if (p.reasons.length === 0) {
    const s = scaleSummary(p);
    return escapeCell(s ? `scale only: ${s}` : "identical features and scale");
  }
  const top = p.reasons.slice(0, TOP_REASONS).map((r) => escapeCell(formatReason(r)));
  if (p.reasons.length > TOP_REASONS) top.push(`+${p.reasons.length - TOP_REASONS} more`);
  return top.join("<br>");
}

function isoCell(p: Comparison): string {
  const i = p.isomorphism;
  return escapeCell(i.keyOverlap !== null ? `${i.verdict} (keys ${i.keyOverlap.toFixed(2)})` : i.verdict);
}

function requiredCell(p: PairResult): string {
  if (p.require === null) return "—";
  return `${p.ok ? "✅" : "❌"} ${p.require}`;
}

function pairRow(p: PairResult): string[] {
  return [escapeCell(p.target), escapeCell(p.proxy), verdictBadge(p.verdict), requiredCell(p), whyCell(p), isoCell(p)];
}

const PAIR_HEADER = ["Target", "Proxy", "Verdict", "Required", "Why (proxy → target)", "Isomorphism"];

function pairTouched(p: PairResult, touched: ReadonlySet<string> | null): boolean {
  return touched !== null && (touched.has(p.target) || touched.has(p.proxy));
}

/** Failing pairs first, then the manifest order. */
function orderPairs(pairs: readonly PairResult[]): PairResult[] {
  return pairs
    .map((p, i) => ({ p, i }))
    .sort((a, b) => Number(a.p.ok) - Number(b.p.ok) || a.i - b.i)
    .map((x) => x.p);
}

/**
 * The manifest pairs: target, proxy, verdict, required, top reasons, isomorphism. With `touched`,
 * pairs involving a touched model come first and the others are folded. With `limit`, the table
 * keeps that many rows (failing and touched first) and says so.
 */
export function renderPairTable(results: Results, opts: SectionOptions & { fullReasons?: boolean } = {}): string {
  const pairs = orderPairs(results.pairs);
  if (pairs.length === 0) return "";
  const touched = touchedSet(opts.touched);
  const head = `#### Pairs (${pairs.length}): ${verdictCounts(pairs.map((p) => p.verdict))}`;
  const out = [head, ""];
  if (opts.limit !== undefined && opts.limit < pairs.length) {
    // pairs are already failing-first: touched ones come before the rest
    const prio = touched ? [...pairs.filter((p) => pairTouched(p, touched)), ...pairs.filter((p) => !pairTouched(p, touched))] : pairs;
    const shown = prio.slice(0, opts.limit);
    out.push(table(PAIR_HEADER, shown.map(pairRow)), "", moreNote(shown.length, pairs.length, touched ? "pairs (changed, then failing, first)" : "pairs (failing first)", opts.detailsUrl));
    return out.join("\n");
  }
  if (touched) {
    const mine = pairs.filter((p) => pairTouched(p, touched));
    const rest = pairs.filter((p) => !pairTouched(p, touched));
    if (mine.length > 0) out.push(table(PAIR_HEADER, mine.map(pairRow)));
    else out.push("_No manifest pair involves a model this change touches._");
    if (rest.length > 0) {
      out.push("", details(`Other pairs in the zoo (${rest.length}): ${escapeHtml(verdictCounts(rest.map((p) => p.verdict)))}`, table(PAIR_HEADER, rest.map(pairRow))));
    }
  } else {
    out.push(table(PAIR_HEADER, pairs.map(pairRow)));
  }
  if (opts.fullReasons !== false) {
    const full = renderReasonsFold(pairs);
    if (full) out.push("", full);
  }
  return out.join("\n");
}

/** Every reason, extra and unverified feature of the pairs whose table cell could not show it all. */
function renderReasonsFold(pairs: readonly PairResult[]): string {
  const blocks: string[] = [];
  for (const p of pairs) {
    const notes = p.notes ?? [];
    if (p.reasons.length <= TOP_REASONS && p.extras.length === 0 && p.unverified.length === 0 && notes.length === 0) continue;
    const lines = [`**${escapeCell(pairSubject(p.target, p.proxy))}** (${verdictBadge(p.verdict)})`, ""];
    for (const r of p.reasons) lines.push(`- ${escapeCell(formatReason(r, 120))}${r.blockGraph ? " — block graph" : ""}`);
    for (const r of p.extras) lines.push(`- extra in the proxy: ${escapeCell(formatReason(r, 120))}`);
    for (const r of p.unverified) lines.push(`- unverified: ${escapeCell(formatReason(r, 120))}`);
    for (const n of notes) lines.push(`- note: ${escapeCell(shorten(n, 300))}`);
    const s = scaleSummary(p, 6);
    if (s) lines.push(`- scale (target / proxy): ${escapeCell(s)}`);
    blocks.push(lines.join("\n"));
  }
  if (blocks.length === 0) return "";
  return details(`All reasons (${plural(blocks.length, "pair")})`, blocks.join("\n\n"));
}

// ------------------------------------------------------------------------------------------------
// 4. Plans

function gpuCell(h: HardwareFit): string {
  if (h.gpuClass === null || h.tensorParallel === null) {
    return escapeCell(h.note ? `? (${shorten(h.note, 60)})` : h.totalBytes !== null ? `does not fit (${formatBytes(h.totalBytes)})` : "?");
  }
  const total = h.totalBytes !== null ? ` (${h.weightsEstimated ? "≈" : ""}${formatBytes(h.totalBytes)})` : "";
  return escapeCell(`${h.tensorParallel} × ${h.gpuClass}${total}`);
}

function planHeadline(plan: TargetPlan): string {
  const t = `**${escapeCell(plan.target)}**`;
  if (plan.error) return `${t}: not planned — ${escapeCell(shorten(plan.error, 200))}`;
  if (!plan.proxy || !plan.proxyVerdict) return `${t}: no smaller covering proxy — the target runs every level`;
  const unc = plan.uncovered.length > 0 ? `; uncovered: ${escapeCell(shorten(plan.uncovered.map((r) => r.label).join(", "), 200))}` : "";
  return `${t} ← ${escapeCell(plan.proxy)} (${verdictBadge(plan.proxyVerdict)})${unc}`;
}

function planBlock(plan: TargetPlan): string {
  const head = planHeadline(plan);
  if (plan.entries.length === 0) return head;
  const rows = plan.entries.map((e) => [`${e.level} ${LEVEL_NAMES[e.level]}`, escapeCell(e.model), escapeCell(shorten(e.reason, 200)), gpuCell(e.hardware)]);
  const notes = plan.notes && plan.notes.length > 0 ? `\n\n${plan.notes.map((n) => `- ${escapeCell(shorten(n, 300))}`).join("\n")}` : "";
  return `${head}\n\n${table(["Level", "Model", "Why", "GPU × TP"], rows)}${notes}`;
}

function planSummaryText(plans: readonly TargetPlan[]): string {
  const full = plans.filter((p) => p.proxyVerdict === "FULL_SUBSTITUTE").length;
  const partial = plans.filter((p) => p.proxyVerdict === "PARTIAL_SUBSTITUTE").length;
  const none = plans.filter((p) => !p.error && !p.proxy).length;
  const err = plans.filter((p) => p.error).length;
  const parts = [`🟢 ${full} with a FULL proxy`, `🟡 ${partial} with a PARTIAL proxy`, `${none} without a smaller proxy`];
  if (err > 0) parts.push(`⚪ ${err} not planned`);
  return `📋 Test plans (${plural(plans.length, "target")}): ${parts.join(" · ")}`;
}

function targetRuns(plan: TargetPlan): string {
  const levels = [...new Set(plan.entries.filter((e) => e.model === plan.target).map((e) => e.level))];
  return levels.length > 0 ? levels.join(", ") : "—";
}

function l4Cell(plan: TargetPlan): string {
  const l4 = plan.entries.find((e) => e.level === "L4");
  return l4 ? gpuCell(l4.hardware) : "—";
}

function orderTouched<T>(items: readonly T[], key: (x: T) => string, touched: ReadonlySet<string> | null): { mine: T[]; rest: T[] } {
  if (!touched) return { mine: [...items], rest: [] };
  return { mine: items.filter((x) => touched.has(key(x))), rest: items.filter((x) => !touched.has(key(x))) };
}

/**
 * Per-target plans (L1–L4: model, why, GPU × TP), folded. `compact` renders one row per target
 * (proxy, levels the target still runs itself, L4 hardware) instead.
 */
export function renderPlans(results: Results, opts: SectionOptions & { compact?: boolean } = {}): string {
  const plans = results.plans;
  if (plans.length === 0) return "";
  const touched = touchedSet(opts.touched);
  const { mine, rest } = orderTouched(plans, (p) => p.target, touched);
  const summary = escapeHtml(planSummaryText(plans));
  const legend = `Levels: ${(Object.keys(LEVEL_NAMES) as Level[]).map((l) => `${l} ${LEVEL_NAMES[l]}`).join(" · ")}.`;
  if (opts.compact || opts.limit !== undefined) {
    const ordered = [...mine, ...rest];
    const shown = opts.limit !== undefined ? ordered.slice(0, opts.limit) : ordered;
    const rows = shown.map((p) => [
      escapeCell(p.target),
      p.proxy ? escapeCell(p.proxy) : p.error ? "not planned" : "—",
      p.proxyVerdict ? verdictBadge(p.proxyVerdict) : "—",
      targetRuns(p),
      l4Cell(p),
    ]);
    const body = [legend, "", table(["Target", "Proxy", "Verdict", "Target runs", "L4 on"], rows)];
    if (shown.length < plans.length) body.push("", moreNote(shown.length, plans.length, "targets", opts.detailsUrl));
    else body.push("", `_Per-level plans are in the ${opts.detailsUrl ? `[full report](${safeUrl(opts.detailsUrl)})` : "full report"}._`);
    return details(summary, body.join("\n"));
  }
  const body = [legend, "", ...mine.map(planBlock).flatMap((b) => [b, ""])];
  if (rest.length > 0) {
    body.push(details(`Other targets in the zoo (${rest.length})`, rest.map(planBlock).join("\n\n")));
  }
  return details(summary, body.join("\n"));
}

// ------------------------------------------------------------------------------------------------
// 5. Integrity and expectations

function findingsTable(r: IntegrityReport): string {
  const rows = r.findings.map((f) => [
    f.severity,
    escapeCell(f.code),
    escapeCell(shorten(f.message, 300)),
    escapeCell([f.file, f.tensor, f.key].filter((x): x is string => !!x).join(" · ") || "—"),
  ]);
  return table(["Severity", "Code", "Message", "Where"], rows);
}

function countsText(r: IntegrityReport): string {
  const parts: string[] = [];
  if (r.counts.error) parts.push(plural(r.counts.error, "error"));
  if (r.counts.warning) parts.push(plural(r.counts.warning, "warning"));
  if (r.counts.info) parts.push(`${r.counts.info} info`);
  return parts.join(", ") || "no findings";
}

/**
 * Integrity: counts, FAIL models first with their findings (folded), UNKNOWN models with why,
 * warnings of passing models (folded), then the expectation checks. `compact`: one line per FAIL.
 */
export function renderIntegrity(results: Results, opts: SectionOptions & { compact?: boolean } = {}): string {
  const reports = results.integrity;
  if (reports.length === 0 && results.expectations.length === 0) return "";
  const touched = touchedSet(opts.touched);
  const fp = new Map(results.models.map((m) => [m.model, m]));
  const out = [`#### Integrity: ${integrityCounts(reports)}`];
  const order = (xs: IntegrityReport[]): IntegrityReport[] => {
    const { mine, rest } = orderTouched(xs, (r) => r.model, touched);
    return [...mine, ...rest];
  };
  const fails = order(reports.filter((r) => r.status === "FAIL"));
  const unknown = order(reports.filter((r) => r.status === "UNKNOWN"));
  const limit = opts.limit ?? Number.POSITIVE_INFINITY;
  if (fails.length > 0) {
    out.push("");
    const shown = fails.slice(0, limit);
    if (opts.compact) {
      for (const r of shown) {
        const e = r.findings.find((f) => f.severity === "error");
        out.push(`- ❌ **${escapeCell(r.model)}**: ${countsText(r)}${e ? ` — ${escapeCell(e.code)}: ${escapeCell(shorten(e.message, 160))}` : ""}`);
      }
    } else {
      for (const r of shown) {
        const skipped = r.skipped && r.skipped.length > 0 ? `\n\nNot checked: ${escapeCell(shorten(r.skipped.join("; "), 400))}` : "";
        out.push(details(`❌ FAIL ${escapeHtml(r.model)}: ${countsText(r)}`, `${findingsTable(r)}${skipped}`), "");
      }
      out.pop();
    }
    if (shown.length < fails.length) out.push("", moreNote(shown.length, fails.length, "failing models", opts.detailsUrl));
  }
  if (unknown.length > 0) {
    out.push("");
    const shown = unknown.slice(0, limit);
    for (const r of shown) {
      const e = fp.get(r.model)?.error;
      const why = e ? `${e.code}: ${e.message}${e.hint && !opts.compact ? ` (${e.hint})` : ""}` : "not fingerprinted";
      out.push(`- ⚪ **${escapeCell(r.model)}** UNKNOWN — ${escapeCell(shorten(why, 300))}`);
    }
    if (shown.length < unknown.length) out.push("", moreNote(shown.length, unknown.length, "unknown models", opts.detailsUrl));
  }
  const warned = reports.filter((r) => r.status === "PASS" && r.counts.warning > 0);
  if (warned.length > 0 && !opts.compact) {
    const rows = warned.flatMap((r) =>
      r.findings.filter((f) => f.severity === "warning").map((f) => [escapeCell(r.model), escapeCell(f.code), escapeCell(shorten(f.message, 300))]),
    );
    out.push("", details(`Warnings in passing models (${rows.length})`, table(["Model", "Code", "Message"], rows)));
  }
  const exp = renderExpectations(results, opts);
  if (exp) out.push("", exp);
  const gaps = renderEngineGaps(results, opts);
  if (gaps) out.push("", gaps);
  return out.join("\n");
}

/** Engine support gaps (manifest engine.supported): kinds a model needs that the engine lacks. */
function renderEngineGaps(results: Results, opts: SectionOptions & { compact?: boolean }): string {
  const gaps = results.engineGaps;
  if (!gaps) return "";
  const missing = gaps.filter((g) => g.missing.length > 0);
  const engine = results.manifest?.engine.name ? ` (${escapeCell(results.manifest.engine.name)})` : "";
  const head = `**Engine support${engine}:** ${missing.length === 0 ? "✅ every model's layer and op kinds are supported" : `⚠️ ${plural(missing.length, "model")} need kinds the engine does not declare`}`;
  if (missing.length === 0) return head + ".";
  const shown = opts.compact ? missing.slice(0, opts.limit ?? 20) : missing;
  const rows = shown.map((g) => [escapeCell(g.model), escapeCell(g.missing.map((m) => m.kind).join(", ")), escapeCell(shorten(g.missing.map((m) => m.tensors[0] ?? "").filter(Boolean).join(", "), 200))]);
  const out = [head + ":", "", table(["Model", "Missing kinds", "Tensors that need them"], rows)];
  const typos = [...new Set(gaps.flatMap((g) => g.unrecognized))];
  if (typos.length) out.push("", `Unrecognized \`engine.supported\` entries: ${typos.map((t) => `\`${escapeCell(t)}\``).join(", ")}.`);
  if (shown.length < missing.length) out.push("", moreNote(shown.length, missing.length, "models with gaps", opts.detailsUrl));
  return out.join("\n");
}

function renderExpectations(results: Results, opts: SectionOptions & { compact?: boolean }): string {
  const ex = results.expectations;
  if (ex.length === 0) return "";
  const bad = ex.filter((e) => !e.ok);
  const head = `**Expectations:** ${bad.length === 0 ? "✅" : "❌"} ${ex.length - bad.length} of ${plural(ex.length, "check")} pass`;
  if (bad.length === 0) return head + ".";
  const fmt = (key: string, v: number | null): string => (v === null ? "?" : key === "params" ? formatCount(v) : String(v));
  const shown = opts.compact ? bad.slice(0, opts.limit ?? 20) : bad;
  const rows = shown.map((e) => [escapeCell(e.model), e.key, fmt(e.key, e.expected), fmt(e.key, e.actual), escapeCell(shorten(e.message, 200))]);
  const out = [head + ":", "", table(["Model", "Check", "Declared", "Counted", "Message"], rows)];
  if (shown.length < bad.length) out.push("", moreNote(shown.length, bad.length, "failed checks", opts.detailsUrl));
  return out.join("\n");
}

// ------------------------------------------------------------------------------------------------
// 6. Verdict matrix

/** Family of a model: its first manifest tag, else its architecture class, else "unknown". */
export function familyOf(results: Results, model: Fingerprint | string): string {
  const fp = typeof model === "string" ? results.models.find((m) => m.model === model) : model;
  const id = typeof model === "string" ? model : model.model;
  const tag = results.manifest?.tags[id]?.[0];
  return tag ?? fp?.features.architecture ?? "unknown";
}

function cellBadge(v: Verdict): string {
  const b = VERDICT_BADGES[v];
  return `${b.emoji} ${b.letter}`;
}

/**
 * All-pairs verdicts. Up to `maxModels` (default 30) models: a target × proxy table with
 * single-letter cells (F/P/N/? with emoji), folded. Above: a per-family summary, and it says so.
 */
export function renderMatrix(results: Results, opts: SectionOptions & { maxModels?: number } = {}): string {
  const cells = results.matrix;
  const models = results.models.map((m) => m.model);
  if (models.length < 2 || cells.length === 0) return "";
  const max = opts.maxModels ?? MATRIX_MAX_MODELS;
  const counts = verdictCounts(cells.map((c) => c.verdict));
  const legend = "🟢 F = FULL, 🟡 P = PARTIAL, 🔴 N = NO, ⚪ ? = UNKNOWN";
  if (models.length <= max) {
    const byKey = new Map<string, MatrixCell>();
    for (const c of cells) byKey.set(`${c.target}\u0000${c.proxy}`, c);
    const header = ["#", "Target \\ proxy", ...models.map((_, i) => String(i + 1))];
    const rows = models.map((t, i) => [
      String(i + 1),
      escapeCell(t),
      ...models.map((p) => {
        if (p === t) return "·";
        const c = byKey.get(`${t}\u0000${p}`);
        return c ? cellBadge(c.verdict) : "";
      }),
    ]);
    const body = [`Rows are targets, columns proxies (numbered as the rows). ${legend}.`, "", table(header, rows)];
    return details(`🔢 Verdict matrix: ${plural(models.length, "model")}, ${plural(cells.length, "ordered pair")} — ${escapeHtml(counts)}`, body.join("\n"));
  }
  // Per-family summary.
  const fam = new Map<string, string>();
  for (const m of results.models) fam.set(m.model, familyOf(results, m));
  const famModels = new Map<string, string[]>();
  for (const m of models) {
    const f = fam.get(m) ?? "unknown";
    const list = famModels.get(f) ?? [];
    list.push(m);
    famModels.set(f, list);
  }
  const best = new Map<string, Verdict>();
  const within = new Map<string, Verdict[]>();
  for (const c of cells) {
    const b = best.get(c.target);
    if (b === undefined || VERDICT_RANK[c.verdict] > VERDICT_RANK[b]) best.set(c.target, c.verdict);
    const ft = fam.get(c.target);
    if (ft !== undefined && ft === fam.get(c.proxy)) {
      const l = within.get(ft) ?? [];
      l.push(c.verdict);
      within.set(ft, l);
    }
  }
  const names = [...famModels.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const rows = names.map((f) => {
    const ms = famModels.get(f) ?? [];
    return [escapeCell(f), String(ms.length), verdictCounts(ms.map((m) => best.get(m) ?? "UNKNOWN")), verdictCounts(within.get(f) ?? [])];
  });
  const body = [
    `The zoo has ${models.length} models (more than ${max}), so the matrix is summarized per family (family = first manifest tag, else architecture class); the full matrix is in the JSON results (\`matrix\`), the matrix CSV and the HTML report. ${legend}.`,
    "",
    table(["Family", "Models", "Targets by best proxy verdict (any model)", "Pairs within the family"], rows),
  ];
  return details(
    `🔢 Verdict matrix by family: ${plural(models.length, "model")} in ${plural(names.length, "family", "families")}, ${plural(cells.length, "ordered pair")} — ${escapeHtml(counts)}`,
    body.join("\n"),
  );
}

// ------------------------------------------------------------------------------------------------
// 7. Mermaid graph

/** A mermaid-safe node id: `m_` + [A-Za-z0-9_] (never a keyword such as `end`, never `o`/`x` first). */
export function mermaidId(id: string): string {
  return `m_${id.replace(/[^A-Za-z0-9]/g, "_")}`;
}

/** A mermaid label inside `["..."]`: entity codes for # " < > ` and no newlines. */
export function mermaidLabel(s: string): string {
  return s
    .replace(/#/g, "#35;")
    .replace(/"/g, "#quot;")
    .replace(/</g, "#lt;")
    .replace(/>/g, "#gt;")
    .replace(/`/g, "#96;")
    .replace(/[\r\n\t]+/g, " ");
}

interface Edge {
  proxy: string;
  target: string;
  verdict: "FULL_SUBSTITUTE" | "PARTIAL_SUBSTITUTE";
}

function graphEdges(results: Results): Edge[] {
  const edges = new Map<string, Edge>();
  const add = (proxy: string, target: string, v: Verdict | null): void => {
    if (v !== "FULL_SUBSTITUTE" && v !== "PARTIAL_SUBSTITUTE") return;
    const k = `${proxy}\u0000${target}`;
    if (!edges.has(k)) edges.set(k, { proxy, target, verdict: v });
  };
  for (const p of results.pairs) add(p.proxy, p.target, p.verdict);
  for (const p of results.plans) if (p.proxy) add(p.proxy, p.target, p.proxyVerdict);
  return [...edges.values()];
}

/**
 * A mermaid flowchart of FULL (solid) and PARTIAL (dashed) proxy → target edges: the manifest
 * pairs plus the chosen plan proxies. Past `maxEdges` (default 60) the graph is left out with a note.
 */
export function renderMermaid(results: Results, opts: SectionOptions & { maxEdges?: number } = {}): string {
  const edges = graphEdges(results);
  if (edges.length === 0) return "";
  const max = opts.maxEdges ?? MERMAID_MAX_EDGES;
  if (edges.length > max) {
    return `_🕸️ The proxy graph has ${edges.length} edges (more than ${max}), so it is left out; the pair table and the plans list the same proxies._`;
  }
  const ids = new Map<string, string>();
  const used = new Set<string>();
  const idOf = (m: string): string => {
    let id = ids.get(m);
    if (id) return id;
    const base = mermaidId(m);
    id = base;
    for (let i = 2; used.has(id); i++) id = `${base}_${i}`;
    used.add(id);
    ids.set(m, id);
    return id;
  };
  const nodes: string[] = [];
  for (const e of edges) {
    for (const m of [e.proxy, e.target]) {
      if (ids.has(m)) continue;
      nodes.push(`  ${idOf(m)}["${mermaidLabel(m)}"]`);
    }
  }
  const lines = edges.map((e) => `  ${idOf(e.proxy)} ${e.verdict === "FULL_SUBSTITUTE" ? "-->|FULL|" : "-.->|PARTIAL|"} ${idOf(e.target)}`);
  const full = edges.filter((e) => e.verdict === "FULL_SUBSTITUTE").length;
  const body = ["```mermaid", "flowchart LR", ...nodes, ...lines, "```"].join("\n");
  return details(`🕸️ Proxy graph: ${plural(edges.length, "edge")} (${full} FULL solid, ${edges.length - full} PARTIAL dashed; proxy → target)`, body);
}

// ------------------------------------------------------------------------------------------------
// 8. Models

function modelRow(fp: Fingerprint, integrity: IntegrityReport | undefined): string[] {
  const rev = fp.source.sha ? fp.source.sha.slice(0, 7) : (fp.source.revision ?? (fp.source.kind === "local" ? "local" : "—"));
  const params = fp.params ? `${formatCount(fp.params.total)}${fp.params.active !== null ? ` (${formatCount(fp.params.active)} active)` : ""}` : "?";
  const weights = fp.weightBytes ? `${fp.weightBytes.estimated ? "≈" : ""}${formatBytes(fp.weightBytes.total)}` : "?";
  const status = integrity ? STATUS_BADGES[integrity.status] : "—";
  const integ = fp.status !== "ok" && fp.error ? `${status} (${escapeCell(fp.error.code)})` : status;
  return [
    escapeCell(fp.model),
    escapeCell(rev),
    escapeCell(fp.source.format ?? "—"),
    params,
    weights,
    escapeCell(fp.features.weightFormat ?? "?"),
    integ,
    String(fp.network.requests),
  ];
}

const MODEL_HEADER = ["Model", "Revision", "Source", "Params", "Weights", "Format", "Integrity", "Requests"];

/** The models table (folded): touched models first, the rest in a nested fold. */
export function renderModels(results: Results, opts: SectionOptions = {}): string {
  const models = results.models;
  if (models.length === 0) return "";
  const integ = new Map(results.integrity.map((r) => [r.model, r]));
  const touched = touchedSet(opts.touched);
  const { mine, rest } = orderTouched(models, (m) => m.model, touched);
  const row = (m: Fingerprint): string[] => modelRow(m, integ.get(m.model));
  const ok = models.filter((m) => m.status === "ok").length;
  const bytes = models.reduce((a, m) => a + (m.weightBytes?.total ?? 0), 0);
  const read = models.reduce((a, m) => a + m.network.bytes, 0);
  const summary = `📦 Models (${models.length}): ${ok} fingerprinted${models.length - ok > 0 ? `, ${models.length - ok} unknown` : ""} · ${formatBytes(bytes)} of weights described from ${formatBytes(read)} read`;
  let body: string;
  if (opts.limit !== undefined && opts.limit < models.length) {
    const shown = [...mine, ...rest].slice(0, opts.limit);
    body = `${table(MODEL_HEADER, shown.map(row))}\n\n${moreNote(shown.length, models.length, "models", opts.detailsUrl)}`;
  } else if (touched) {
    const parts = [mine.length > 0 ? table(MODEL_HEADER, mine.map(row)) : "_No model of the zoo is touched by this change._"];
    if (rest.length > 0) parts.push(details(`Other models in the zoo (${rest.length})`, table(MODEL_HEADER, rest.map(row))));
    body = parts.join("\n\n");
  } else {
    body = table(MODEL_HEADER, models.map(row));
  }
  return details(escapeHtml(summary), body);
}

// ------------------------------------------------------------------------------------------------
// 9. Footer

export function renderFooter(results: Results, opts: { detailsUrl?: string } = {}): string {
  const n = results.network;
  const parts = [
    `🌐 ${plural(n.requests, "request")}, ${formatBytes(n.bytes)} read, ${plural(n.retries, "retry", "retries")}, ${plural(n.cacheHits, "cache hit")}`,
    `${escapeCell(results.tool.name)} ${escapeCell(results.tool.version)}`,
    escapeCell(results.generatedAt.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")),
  ];
  if (results.manifest?.name) parts.splice(1, 0, `zoo ${escapeCell(results.manifest.name)}`);
  if (opts.detailsUrl) parts.push(`[full report](${safeUrl(opts.detailsUrl)})`);
  return `<sub>${parts.join(" · ")}</sub>`;
}

// ------------------------------------------------------------------------------------------------
// The report

interface Section {
  name: string;
  /** Forms from the richest to the smallest; "" means the section is empty. */
  forms: (() => string)[];
}

function sections(results: Results, o: SectionOptions): Section[] {
  /** Row limits of the compact forms, below the section's own size. */
  const big = (n: number): number[] => [1000, 500, 200, 100, 40, 15].filter((x) => x < n);
  const pairsN = results.pairs.length;
  const failN = results.gate.failures.length;
  const plansN = results.plans.length;
  const modelsN = results.models.length;
  return [
    { name: "gate failures", forms: [() => renderGateSection(results, o), ...big(failN).map((l) => () => renderGateSection(results, { ...o, limit: l }))] },
    {
      name: "pairs",
      forms: [
        () => renderPairTable(results, o),
        () => renderPairTable(results, { ...o, fullReasons: false }),
        ...big(pairsN).map((l) => () => renderPairTable(results, { ...o, limit: l })),
      ],
    },
    {
      name: "test plans",
      forms: [() => renderPlans(results, o), () => renderPlans(results, { ...o, compact: true }), ...big(plansN).map((l) => () => renderPlans(results, { ...o, limit: l }))],
    },
    {
      name: "integrity",
      forms: [
        () => renderIntegrity(results, o),
        () => renderIntegrity(results, { ...o, compact: true }),
        () => renderIntegrity(results, { ...o, compact: true, limit: 10 }),
        () => (results.integrity.length > 0 ? `#### Integrity: ${integrityCounts(results.integrity)}` : ""),
      ],
    },
    { name: "verdict matrix", forms: [() => renderMatrix(results, o)] },
    { name: "proxy graph", forms: [() => renderMermaid(results, o)] },
    { name: "models", forms: [() => renderModels(results, o), ...big(modelsN).map((l) => () => renderModels(results, { ...o, limit: l }))] },
  ];
}

function dropNote(left: string[], shortened: string[], url: string | undefined): string {
  const link = url ? `the [full report](${safeUrl(url)})` : "the full report (job summary)";
  const detail: string[] = [];
  if (left.length > 0) detail.push(`left out: ${left.join(", ")}`);
  if (shortened.length > 0) detail.push(`shortened: ${shortened.join(", ")}`);
  return `ℹ️ Some sections were left out to fit; see ${link}.${detail.length > 0 ? ` (${detail.join("; ")})` : ""}`;
}

/** Cut `s` to at most `max` UTF-8 bytes at a code point boundary (with an ellipsis when cut). */
function cutBytes(s: string, max: number): string {
  if (bytesOf(s) <= max) return s;
  let out = "";
  let used = 0;
  const budget = max - bytesOf("…");
  for (const ch of s) {
    const b = bytesOf(ch);
    if (used + b > budget) break;
    out += ch;
    used += b;
  }
  return budget >= 0 ? `${out}…` : "";
}

/**
 * The full markdown report. Verdict first (headline), reasons next (gate failures, pairs), details
 * folded. Output size (UTF-8 bytes) is at most `budget`; the marker, when given, ends the text.
 */
export function renderReport(results: Results, opts: RenderOptions = {}): string {
  const budget = opts.budget ?? DEFAULT_BUDGET;
  const sep = "\n\n";
  const marker = opts.marker ? `${sep}${opts.marker}\n` : "\n";
  const headline = renderHeadline(results, opts.title ?? "standin");
  const counts = renderCountsLine(results) + (opts.preface ? `${sep}${opts.preface}` : "");
  const footer = renderFooter(results, { detailsUrl: opts.detailsUrl });
  const o: SectionOptions = { touched: opts.touched, detailsUrl: opts.detailsUrl };
  const secs = sections(results, o);

  const assemble = (parts: string[]): string => parts.filter((p) => p !== "").join(sep) + marker;

  // Everything at its richest form.
  const chosen = secs.map((s) => s.forms[0]?.() ?? "");
  const full = assemble([headline, counts, ...chosen, footer]);
  if (bytesOf(full) <= budget) return full;

  // Keep sections in priority order, each at its richest form that fits; reserve room for the note.
  const maxNote = dropNote(
    secs.map((s) => s.name),
    [],
    opts.detailsUrl,
  );
  const fixed = bytesOf(assemble([headline, counts, maxNote, footer]));
  let remaining = budget - fixed;
  const left: string[] = [];
  const shortened: string[] = [];
  const kept: string[] = [];
  secs.forEach((s, i) => {
    let pick = "";
    let form = -1;
    for (let f = 0; f < s.forms.length; f++) {
      const text = f === 0 ? (chosen[i] ?? "") : (s.forms[f]?.() ?? "");
      if (text === "" || bytesOf(text) + sep.length <= remaining) {
        pick = text;
        form = f;
        break;
      }
    }
    if (form === -1) {
      if (chosen[i] !== "") left.push(s.name);
      return;
    }
    if (form > 0) shortened.push(s.name);
    if (pick !== "") {
      kept.push(pick);
      remaining -= bytesOf(pick) + sep.length;
    }
  });
  const note = dropNote(left, shortened, opts.detailsUrl);
  const out = assemble([headline, counts, ...kept, note, footer]);
  if (bytesOf(out) <= budget) return out;

  // Degenerate budgets: headline (cut if need be), then whatever of the rest fits.
  const room = budget - bytesOf(marker);
  if (room < 0) throw new RangeError(`budget ${budget} is smaller than the marker`);
  const head = cutBytes(headline, room);
  // priority: the note (it links to the full report), then the counts, then the footer
  const keep = new Set<string>();
  let used = bytesOf(head);
  for (const extra of [note, counts, footer]) {
    if (used + sep.length + bytesOf(extra) <= room) {
      keep.add(extra);
      used += sep.length + bytesOf(extra);
    }
  }
  return [head, ...[counts, note, footer].filter((x) => keep.has(x))].join(sep) + marker;
}
