/**
 * Zoo history for the HTML dashboard: the input format (one entry per baseline run, documented in
 * docs/dashboard.md), its validation, the entry of one results file, and the static SVG charts
 * (verdict counts and integrity failures per run, drifted models per date).
 */
import type { Verdict } from "../compare/types.js";
import { escapeHtml } from "./markdown.js";
import { VERDICT_COLORS } from "./html-style.js";
import type { Results } from "./types.js";

/** One baseline run (weekly): verdict counts of the zoo, integrity failures, models that drifted since the previous run. */
export interface HistoryEntry {
  /** ISO date of the run ("2026-07-20"; a full ISO timestamp is accepted and shown as its date). */
  date: string;
  verdicts: Record<Verdict, number>;
  integrityFailures: number;
  /** Model ids whose fingerprint changed since the previous entry. */
  drifted: string[];
}

export const HISTORY_VERDICTS: readonly Verdict[] = ["FULL_SUBSTITUTE", "PARTIAL_SUBSTITUTE", "NO_SUBSTITUTE", "UNKNOWN"];
const SHORT: Record<Verdict, string> = { FULL_SUBSTITUTE: "FULL", PARTIAL_SUBSTITUTE: "PARTIAL", NO_SUBSTITUTE: "NO", UNKNOWN: "UNKNOWN" };

/**
 * The history entry of one results file: verdict counts over the all-pairs matrix (the manifest
 * pairs when the matrix is empty), integrity FAIL count, and the given drifted models.
 */
export function historyEntryFor(results: Results, drifted: readonly string[] = []): HistoryEntry {
  const verdicts: Record<Verdict, number> = { FULL_SUBSTITUTE: 0, PARTIAL_SUBSTITUTE: 0, NO_SUBSTITUTE: 0, UNKNOWN: 0 };
  const cells: readonly { verdict: Verdict }[] = results.matrix.length > 0 ? results.matrix : results.pairs;
  for (const c of cells) verdicts[c.verdict]++;
  return {
    date: results.generatedAt.slice(0, 10),
    verdicts,
    integrityFailures: results.integrity.filter((r) => r.status === "FAIL").length,
    drifted: [...drifted],
  };
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$/;

/**
 * Validate one history entry; returns a problem ("verdicts.FULL_SUBSTITUTE must be a non-negative
 * integer") or null. Missing verdict keys count as 0; a missing `drifted` is [].
 */
export function historyEntryProblem(x: unknown): string | null {
  if (typeof x !== "object" || x === null || Array.isArray(x)) return "an entry must be an object";
  const o = x as Record<string, unknown>;
  if (typeof o.date !== "string" || !DATE_RE.test(o.date)) return `date must be an ISO date (YYYY-MM-DD), got ${JSON.stringify(o.date)}`;
  if (typeof o.verdicts !== "object" || o.verdicts === null || Array.isArray(o.verdicts)) return `${o.date}: verdicts must be an object of counts`;
  const v = o.verdicts as Record<string, unknown>;
  for (const k of Object.keys(v)) {
    if (!(HISTORY_VERDICTS as readonly string[]).includes(k)) return `${o.date}: unknown verdict ${JSON.stringify(k)} (expected ${HISTORY_VERDICTS.join(", ")})`;
    if (!isCount(v[k])) return `${o.date}: verdicts.${k} must be a non-negative integer`;
  }
  if (!isCount(o.integrityFailures)) return `${o.date}: integrityFailures must be a non-negative integer`;
  if (o.drifted !== undefined && (!Array.isArray(o.drifted) || o.drifted.some((d) => typeof d !== "string"))) return `${o.date}: drifted must be a list of model ids`;
  return null;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v >= 0;
}

/** Normalize validated entries: fill missing counts, keep the date part, sort by date, last entry of a date wins. */
export function normalizeHistory(entries: readonly HistoryEntry[]): HistoryEntry[] {
  const byDate = new Map<string, HistoryEntry>();
  for (const e of entries) {
    const date = e.date.slice(0, 10);
    const verdicts = { FULL_SUBSTITUTE: 0, PARTIAL_SUBSTITUTE: 0, NO_SUBSTITUTE: 0, UNKNOWN: 0 };
    for (const k of HISTORY_VERDICTS) verdicts[k] = e.verdicts[k] ?? 0;
    byDate.set(date, { date, verdicts, integrityFailures: e.integrityFailures, drifted: [...new Set(e.drifted ?? [])] });
  }
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

// ------------------------------------------------------------------------------------------------
// Charts

const W = 640;
const PAD_L = 52;
const PAD_R = 12;
const PAD_T = 10;

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function fmt(n: number): string {
  return typeof n === "number" && Number.isFinite(n) ? n.toLocaleString("en-US") : escapeHtml(String(n));
}

function xLabels(entries: readonly HistoryEntry[], x: (i: number) => number, y: number): string {
  const n = entries.length;
  const step = Math.max(1, Math.ceil(n / 6));
  const out: string[] = [];
  for (let i = 0; i < n; i += step) out.push(`<text x="${x(i).toFixed(1)}" y="${y}" text-anchor="middle" font-size="10" fill="#555">${escapeHtml(entries[i]!.date)}</text>`);
  if ((n - 1) % step !== 0 && n > 1) out.push(`<text x="${x(n - 1).toFixed(1)}" y="${y + 11}" text-anchor="end" font-size="10" fill="#555">${escapeHtml(entries[n - 1]!.date)}</text>`);
  return out.join("");
}

function yAxis(max: number, y: (v: number) => number, width: number): string {
  return (Number.isInteger(max / 2) ? [0, max / 2, max] : [0, max])
    .map((v) => `<line x1="${PAD_L}" x2="${width - PAD_R}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#ddd"/><text x="${PAD_L - 6}" y="${(y(v) + 3).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${fmt(Math.round(v))}</text>`)
    .join("");
}

function entryText(e: HistoryEntry): string {
  const v = HISTORY_VERDICTS.map((k) => `${SHORT[k]} ${fmt(e.verdicts[k])}`).join(" · ");
  const d = e.drifted.length > 0 ? `; drifted: ${e.drifted.join(", ")}` : "";
  return `${e.date}: ${v}; ${fmt(e.integrityFailures)} integrity failure${e.integrityFailures === 1 ? "" : "s"}${d}`;
}

/** Stacked bars of verdict counts per run, with drift markers. */
export function verdictChart(entries: readonly HistoryEntry[]): string {
  const H = 190;
  const plotH = H - PAD_T - 34;
  const n = entries.length;
  const max = niceMax(Math.max(1, ...entries.map((e) => HISTORY_VERDICTS.reduce((a, k) => a + e.verdicts[k], 0))));
  const band = (W - PAD_L - PAD_R) / n;
  const bw = Math.max(1, Math.min(28, band * 0.7));
  const x = (i: number): number => PAD_L + band * i + band / 2;
  const y = (v: number): number => PAD_T + plotH - (v / max) * plotH;
  const bars = entries
    .map((e, i) => {
      let acc = 0;
      const rects = HISTORY_VERDICTS.map((k) => {
        const v = e.verdicts[k];
        if (v === 0) return "";
        const y0 = y(acc + v);
        const h = y(acc) - y0;
        acc += v;
        return `<rect x="${(x(i) - bw / 2).toFixed(1)}" y="${y0.toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(0.5, h).toFixed(1)}" fill="${VERDICT_COLORS[k].bg}"/>`;
      }).join("");
      const drift =
        e.drifted.length > 0
          ? `<path d="M${x(i).toFixed(1)} ${(y(acc) - 3).toFixed(1)} l-4 -7 h8 z" fill="#000"/><text x="${x(i).toFixed(1)}" y="${(y(acc) - 12).toFixed(1)}" text-anchor="middle" font-size="9" fill="#000">${e.drifted.length}</text>`
          : "";
      return `<g><title>${escapeHtml(entryText(e))}</title>${rects}${drift}<rect x="${(x(i) - band / 2).toFixed(1)}" y="${PAD_T}" width="${band.toFixed(1)}" height="${plotH}" fill="transparent"/></g>`;
    })
    .join("");
  return `<svg role="img" aria-labelledby="hv-t" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" style="max-width:100%;height:auto"><title id="hv-t">Verdict counts per run, ${escapeHtml(entries[0]!.date)} to ${escapeHtml(entries[n - 1]!.date)} (stacked: FULL, PARTIAL, NO, UNKNOWN; triangles mark runs where models drifted)</title>${yAxis(max, y, W)}${bars}${xLabels(entries, x, H - 14)}</svg>`;
}

/** Bars of integrity failures per run. */
export function integrityChart(entries: readonly HistoryEntry[]): string {
  const H = 120;
  const plotH = H - PAD_T - 34;
  const n = entries.length;
  const max = niceMax(Math.max(1, ...entries.map((e) => e.integrityFailures)));
  const band = (W - PAD_L - PAD_R) / n;
  const bw = Math.max(1, Math.min(28, band * 0.7));
  const x = (i: number): number => PAD_L + band * i + band / 2;
  const y = (v: number): number => PAD_T + plotH - (v / max) * plotH;
  const bars = entries
    .map((e, i) => {
      const h = y(0) - y(e.integrityFailures);
      return `<g><title>${escapeHtml(`${e.date}: ${fmt(e.integrityFailures)} integrity failure${e.integrityFailures === 1 ? "" : "s"}`)}</title><rect x="${(x(i) - bw / 2).toFixed(1)}" y="${y(e.integrityFailures).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(e.integrityFailures > 0 ? 1 : 0, h).toFixed(1)}" fill="#A3142B"/><rect x="${(x(i) - band / 2).toFixed(1)}" y="${PAD_T}" width="${band.toFixed(1)}" height="${plotH}" fill="transparent"/></g>`;
    })
    .join("");
  return `<svg role="img" aria-labelledby="hi-t" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" style="max-width:100%;height:auto"><title id="hi-t">Integrity failures per run</title>${yAxis(max, y, W)}${bars}${xLabels(entries, x, H - 14)}</svg>`;
}

/**
 * The history section: both charts, the drift list (newest first; ids link to model cards via
 * `anchorOf`), and the data as a table (folded) for screen readers and exact numbers.
 */
export function renderHistorySection(entries: readonly HistoryEntry[], anchorOf: (id: string) => string | null): string {
  if (entries.length === 0) return "";
  const link = (id: string): string => {
    const a = anchorOf(id);
    return a ? `<a href="#${a}" data-card="${a}">${escapeHtml(id)}</a>` : `<span>${escapeHtml(id)}</span>`;
  };
  const drifts = entries.filter((e) => e.drifted.length > 0).reverse();
  const driftList =
    drifts.length > 0
      ? `<ul class="drift">${drifts.map((e) => `<li><b>${escapeHtml(e.date)}</b>: ${e.drifted.map(link).join(", ")}</li>`).join("")}</ul>`
      : `<p class="note">No model drifted in these ${entries.length} runs.</p>`;
  const rows = [...entries]
    .reverse()
    .map(
      (e) =>
        `<tr><th scope="row">${escapeHtml(e.date)}</th>${HISTORY_VERDICTS.map((k) => `<td class="num">${fmt(e.verdicts[k])}</td>`).join("")}<td class="num">${fmt(e.integrityFailures)}</td><td>${e.drifted.map((d) => escapeHtml(d)).join(", ") || "—"}</td></tr>`,
    )
    .join("");
  const legend = HISTORY_VERDICTS.map((k) => `<li><span class="sw v${k === "UNKNOWN" ? "U" : k[0]}">${k === "UNKNOWN" ? "?" : k[0]}</span>${SHORT[k]}</li>`).join("");
  const first = entries[0]!;
  const last = entries[entries.length - 1]!;
  return `<section id="history" aria-labelledby="h-history"><h2 id="h-history">History</h2>
<p class="note">${entries.length} run${entries.length === 1 ? "" : "s"} from ${escapeHtml(first.date)} to ${escapeHtml(last.date)}. Latest: ${escapeHtml(entryText(last))}.</p>
<div class="hist"><figure><figcaption>Verdict counts per run</figcaption>${verdictChart(entries)}<ul class="legend">${legend}<li>▼ models drifted (number above)</li></ul></figure>
<figure><figcaption>Integrity failures per run</figcaption>${integrityChart(entries)}</figure>
<div><h3>Drift</h3>${driftList}</div></div>
<details><summary>History data (${entries.length} runs)</summary><table class="t"><thead><tr><th scope="col">Date</th>${HISTORY_VERDICTS.map((k) => `<th scope="col">${SHORT[k]}</th>`).join("")}<th scope="col">Integrity failures</th><th scope="col">Drifted</th></tr></thead><tbody>${rows}</tbody></table></details>
</section>`;
}
