/**
 * Terminal output of `standin check`, `standin compare` and `standin plan`: aligned tables
 * (table.ts), the verdict column coloured only when the style is ANSI (green FULL, yellow
 * PARTIAL, red NO, dim UNKNOWN) and always spelled out, reasons as short lines under each pair,
 * long text cut with "…" to stay readable in a terminal.
 */
import type { Comparison, Reason, Verdict } from "../compare/types.js";
import type { TargetPlan, HardwareFit } from "../plan/types.js";
import { formatBytes, plural } from "../util/format.js";
import { formatReason, gateSummary, scaleSummary, shorten } from "./markdown.js";
import { renderTable, type Style } from "./table.js";
import type { PairResult, Results } from "./types.js";

export interface TerminalOptions {
  /** Target line width for reason lines and long cells (default 120; pass the terminal's columns). */
  width?: number;
  /** Reasons shown under each pair (default 3 for check, all for a single comparison). */
  maxReasons?: number;
}

const WORDS: Record<Verdict, string> = {
  FULL_SUBSTITUTE: "FULL",
  PARTIAL_SUBSTITUTE: "PARTIAL",
  NO_SUBSTITUTE: "NO",
  UNKNOWN: "UNKNOWN",
};

/** The verdict as a word, coloured when the style is ANSI. */
export function verdictWord(v: Verdict, style: Style): string {
  const w = WORDS[v];
  switch (v) {
    case "FULL_SUBSTITUTE":
      return style.green(w);
    case "PARTIAL_SUBSTITUTE":
      return style.yellow(w);
    case "NO_SUBSTITUTE":
      return style.red(w);
    default:
      return style.dim(w);
  }
}

/** One line of plain text: control characters (ANSI escapes included) and newlines become spaces. */
function clean(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f]+/g, " ");
}

function cell(s: string, max: number): string {
  return shorten(clean(s), max);
}

/** Reason lines for one comparison, indented, each cut to the width. */
function reasonLines(c: Comparison, style: Style, width: number, maxReasons: number): string[] {
  const indent = "    ";
  const room = Math.max(20, width - indent.length - 2);
  const line = (mark: string, text: string): string => `${indent}${style.dim(mark)} ${shorten(clean(text), room)}`;
  if (c.verdict === "UNKNOWN") return [line("?", c.error ?? "a side could not be fingerprinted")];
  const out: string[] = [];
  if (c.reasons.length === 0) {
    const s = scaleSummary(c, 4);
    out.push(line("↳", s ? `scale only: ${s}` : "identical features and scale"));
  }
  const shown = c.reasons.slice(0, maxReasons);
  for (const r of shown) out.push(line("↳", `${formatReason(r, 40)}${r.blockGraph ? " [block graph]" : ""}`));
  if (c.reasons.length > shown.length) out.push(line("↳", `… ${c.reasons.length - shown.length} more`));
  if (maxReasons >= c.reasons.length) {
    for (const r of c.extras) out.push(line("+", `extra in the proxy: ${formatReason(r, 40)}`));
    if (c.unverified.length > 0) out.push(line("?", `unverified: ${c.unverified.map((r: Reason) => r.label).join(", ")}`));
    for (const n of c.notes ?? []) out.push(line("i", n));
  }
  return out;
}

/** Table rows with reason lines inserted under each row. */
function tableWithLines(header: string, sep: string, rows: string[], under: string[][]): string {
  const out = [header, sep];
  rows.forEach((r, i) => out.push(r, ...(under[i] ?? [])));
  return out.join("\n");
}

function splitTable(text: string): { header: string; sep: string; rows: string[] } {
  const [header = "", sep = "", ...rows] = text.split("\n");
  return { header, sep, rows };
}

function requiredText(p: PairResult, style: Style): string {
  if (p.require === null) return style.dim("—");
  return p.ok ? `${p.require} ${style.green("✓")}` : style.red(`${p.require} ✗`);
}

/** `standin check`: gate headline, failures, pairs with reasons, integrity, expectations, network. */
export function renderCheckTerminal(results: Results, style: Style, opts: TerminalOptions = {}): string {
  const width = opts.width ?? 120;
  const maxReasons = opts.maxReasons ?? 3;
  const g = gateSummary(results);
  const out: string[] = [style.bold(g.passed ? style.green(`✓ ${clean(g.text)}`) : style.red(`✗ ${clean(g.text)}`))];
  const failures = results.gate.failures;
  if (failures.length > 0) {
    out.push("", style.bold("Gate failures"));
    for (const f of failures) {
      const where = f.line !== undefined ? `${clean(results.manifest?.path ?? "model-zoo.yaml")}:${f.line}  ` : "";
      out.push(`  ${style.red("✗")} ${style.dim(where)}${clean(f.subject.replace(" <- ", " ← "))}`);
      out.push(`      ${shorten(clean(f.message), width - 6)}`);
    }
  }
  if (results.pairs.length > 0) {
    const idMax = Math.max(32, Math.floor((width - 40) / 2));
    const t = renderTable(
      [{ header: "Target" }, { header: "Proxy" }, { header: "Verdict" }, { header: "Required" }, { header: "Isomorphism" }],
      results.pairs.map((p) => [cell(p.target, idMax), cell(p.proxy, idMax), verdictWord(p.verdict, style), requiredText(p, style), p.isomorphism.verdict]),
      style,
    );
    const { header, sep, rows } = splitTable(t);
    out.push("", tableWithLines(header, sep, rows, results.pairs.map((p) => reasonLines(p, style, width, maxReasons))));
  }
  const c = { PASS: 0, FAIL: 0, UNKNOWN: 0 };
  for (const r of results.integrity) c[r.status]++;
  const integ = [`${c.PASS} PASS`, c.FAIL > 0 ? style.red(`${c.FAIL} FAIL`) : `${c.FAIL} FAIL`, c.UNKNOWN > 0 ? style.dim(`${c.UNKNOWN} UNKNOWN`) : `${c.UNKNOWN} UNKNOWN`];
  out.push("", `${style.bold("Integrity:")} ${integ.join(", ")}`);
  for (const r of results.integrity.filter((x) => x.status === "FAIL")) {
    const e = r.findings.find((f) => f.severity === "error");
    out.push(`  ${style.red("FAIL")} ${shorten(clean(`${r.model}: ${e ? `${e.code}: ${e.message}` : `${r.counts.error} errors`}`), width - 7)}`);
  }
  const errs = new Map(results.models.map((m) => [m.model, m.error]));
  for (const r of results.integrity.filter((x) => x.status === "UNKNOWN")) {
    const e = errs.get(r.model);
    out.push(`  ${style.dim("UNKNOWN")} ${shorten(clean(`${r.model}: ${e ? `${e.code}: ${e.message}` : "not fingerprinted"}`), width - 10)}`);
  }
  if (results.expectations.length > 0) {
    const bad = results.expectations.filter((e) => !e.ok);
    out.push(`${style.bold("Expectations:")} ${results.expectations.length - bad.length} of ${results.expectations.length} pass`);
    for (const e of bad) out.push(`  ${style.red("✗")} ${shorten(clean(`${e.model}: ${e.message}`), width - 4)}`);
  }
  if (results.engineGaps) {
    const gaps = results.engineGaps.filter((g) => g.missing.length > 0);
    out.push(`${style.bold("Engine support:")} ${gaps.length === 0 ? "every needed kind is supported" : `${gaps.length} model(s) need kinds the engine does not declare`}`);
    for (const g of gaps) out.push(`  ${style.yellow("!")} ${shorten(clean(`${g.model}: ${g.missing.map((m) => m.kind).join(", ")}`), width - 4)}`);
  }
  const n = results.network;
  out.push(
    "",
    style.dim(`${plural(results.models.length, "model")} · ${plural(n.requests, "request")}, ${formatBytes(n.bytes)} read, ${plural(n.retries, "retry", "retries")}, ${plural(n.cacheHits, "cache hit")} · standin ${results.tool.version}`),
  );
  return out.join("\n");
}

/** `standin compare`: one row per comparison with its reasons under it. */
export function renderCompareTerminal(comparisons: readonly Comparison[], style: Style, opts: TerminalOptions = {}): string {
  if (comparisons.length === 0) return style.dim("no comparisons");
  const width = opts.width ?? 120;
  const maxReasons = opts.maxReasons ?? (comparisons.length === 1 ? Number.POSITIVE_INFINITY : 3);
  const idMax = Math.max(32, Math.floor((width - 30) / 2));
  const t = renderTable(
    [{ header: "Target" }, { header: "Proxy" }, { header: "Verdict" }, { header: "Isomorphism" }],
    comparisons.map((c) => [cell(c.target, idMax), cell(c.proxy, idMax), verdictWord(c.verdict, style), c.isomorphism.verdict]),
    style,
  );
  const { header, sep, rows } = splitTable(t);
  return tableWithLines(header, sep, rows, comparisons.map((c) => reasonLines(c, style, width, maxReasons)));
}

function gpuText(h: HardwareFit): string {
  if (h.gpuClass === null || h.tensorParallel === null) return h.note ? `? (${h.note})` : "?";
  return `${h.tensorParallel} × ${h.gpuClass}${h.totalBytes !== null ? ` (${h.weightsEstimated ? "≈" : ""}${formatBytes(h.totalBytes)})` : ""}`;
}

/** `standin plan`: per target, the proxy and the L1–L4 entries (model, why, GPU × TP). */
export function renderPlanTerminal(plans: readonly TargetPlan[], style: Style, opts: TerminalOptions = {}): string {
  if (plans.length === 0) return style.dim("no plans");
  const width = opts.width ?? 120;
  const blocks = plans.map((p) => {
    let head = style.bold(clean(p.target));
    if (p.error) return `${head}  ${style.dim(`not planned: ${shorten(clean(p.error), width - 20)}`)}`;
    head += p.proxy && p.proxyVerdict ? ` ← ${clean(p.proxy)} (${verdictWord(p.proxyVerdict, style)})` : style.dim("  no smaller covering proxy: the target runs every level");
    const lines = [head];
    if (p.uncovered.length > 0) lines.push(`  ${style.dim("uncovered:")} ${shorten(clean(p.uncovered.map((r) => r.label).join(", ")), width - 13)}`);
    for (const n of p.notes ?? []) lines.push(`  ${style.dim("note:")} ${shorten(clean(n), width - 8)}`);
    if (p.entries.length > 0) {
      const models = p.entries.map((e) => cell(e.model, 48));
      const gpus = p.entries.map((e) => cell(gpuText(e.hardware), 40));
      const used = 2 + 5 + 2 + Math.max(5, ...models.map((m) => [...m].length)) + 2 + 2 + Math.max(8, ...gpus.map((g) => [...g].length));
      const whyMax = Math.max(24, width - used);
      const t = renderTable(
        [{ header: "Level" }, { header: "Model" }, { header: "Why" }, { header: "GPU × TP" }],
        p.entries.map((e, i) => [e.level, models[i] ?? "", cell(e.reason, whyMax), gpus[i] ?? ""]),
        style,
      );
      lines.push(...t.split("\n").map((l) => `  ${l}`));
    }
    return lines.join("\n");
  });
  return blocks.join("\n\n");
}
