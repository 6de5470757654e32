/**
 * The zoo dashboard (issue 8): ONE self-contained HTML page rendered from the results file — a
 * verdict heatmap (targets × proxies, sorted by family and size, aggregated into family blocks
 * that expand past HEATMAP_MAX_MODELS models), per-target plans, per-model cards with the module
 * tree, the zoo's history, filters and search. No network: inline CSS, JS and SVG, a
 * Content-Security-Policy with `default-src 'none'` and the script allowed by its hash.
 *
 * Static parts (summary, heatmap in its default state, plans, cards, history) are plain HTML and
 * readable with JavaScript off; the script (src/report/html-client.ts) adds tooltips with the
 * reasons, keyboard navigation, filters, search and family expansion. It reads its data from one
 * `<script type="application/json">` block (DashboardData): the matrix is encoded per target as a
 * string of cell codes into a table of distinct (verdict, uncovered features, isomorphism) tuples,
 * so a 500-model zoo (250k cells) costs ~1-2 bytes per cell. Format: docs/dashboard.md.
 */
import { createHash } from "node:crypto";
import { VERDICT_RANK, type Verdict } from "../compare/types.js";
import { FEATURE_REGISTRY, SCALE_REGISTRY } from "../fingerprint/features.js";
import type { Fingerprint } from "../fingerprint/types.js";
import type { IntegrityStatus } from "../integrity/types.js";
import { formatBytes, formatCount, plural } from "../util/format.js";
import { CLIENT_SCRIPT } from "./html-client.js";
import { normalizeHistory, renderHistorySection, type HistoryEntry } from "./html-history.js";
import { foldItem, planLetter, renderCard, renderPlansSection, VERDICT_LETTER, type Anchors } from "./html-sections.js";
import { CSS } from "./html-style.js";
import { escapeHtml, familyOf, formatReason, gateSummary, scaleSummary, VERDICT_BADGES } from "./markdown.js";
import type { Results } from "./types.js";

export type { HistoryEntry } from "./html-history.js";
export { historyEntryFor, historyEntryProblem, normalizeHistory } from "./html-history.js";

const esc = escapeHtml;

export const DASHBOARD_SCHEMA = "standin.dashboard/v1";
/** Up to this many models the heatmap shows every model; above, family blocks that expand. */
export const HEATMAP_MAX_MODELS = 80;
/** Most rows (and columns) the interactive heatmap shows at once: expanding more folds the oldest family. */
export const HEATMAP_MAX_AXIS = 100;
/** Printable characters used to encode matrix cells (no `<`, `>`, `&`, `'`, `"` or `\`: nothing to escape in JSON or HTML). */
export const CODE_ALPHABET = [...Array(0x7f - 0x23).keys()]
  .map((i) => String.fromCharCode(0x23 + i))
  .filter((c) => !"<>&'\\".includes(c))
  .join("");

export interface HtmlOptions {
  /** Baseline history (any order; one entry per date is kept, the last given). */
  history?: readonly HistoryEntry[];
  /** Page title (default: "standin zoo dashboard — <zoo name>"). */
  title?: string;
  /** Aggregate the heatmap into family blocks above this many models (default 80). */
  maxModels?: number;
  /**
   * Leave card and plan bodies out of the DOM until opened (the script inserts them from a data
   * block): default when the heatmap aggregates (a 500-model page parses ~5x faster). Without
   * JavaScript such a page shows the summaries only.
   */
  lazyBodies?: boolean;
}

/** Tuple letter: a verdict, D (diagonal: the model itself) or M (not compared). */
export type CellLetter = "F" | "P" | "N" | "U" | "D" | "M";

/** The data block the client script reads (also handy for tests). */
export interface DashboardData {
  schema: typeof DASHBOARD_SCHEMA;
  /** Model ids in display order (family, then size, then id). */
  models: string[];
  families: string[];
  /** Family index of each model. */
  fam: number[];
  tags: string[];
  /** Tag indices of each model. */
  mtags: number[][];
  /** Size label of each model ("8.03B · 16.1 GB"). */
  size: string[];
  /** Integrity status letter per model: P(ass) F(ail) U(nknown) or - (not checked). */
  integ: string;
  /** Why a model could not be fingerprinted (null when it was). */
  errors: (string | null)[];
  feat: {
    keys: string[];
    labels: string[];
    /** 1 when the feature is part of the block graph. */
    block: number[];
    /** Interned formatted values. */
    values: string[];
    /** Per model, the value index of each feature (registry order); [] when not fingerprinted. */
    m: number[][];
  };
  scale: { labels: string[]; m: (number | null)[][] };
  iso: string[];
  /** Distinct cells: [letter, uncovered feature indices, isomorphism index], most frequent first. */
  tuples: [CellLetter, number[], number][];
  /** Cell encoding: width 1 (one char per cell), 2 (codes below `singles` take one char, others two), 3 (three chars). */
  code: { alphabet: string; width: 1 | 2 | 3; singles: number };
  /** One string per target (display order): the codes of its cells against every proxy (display order). */
  rows: string[];
  /** Cheapest covering proxy of each target (display index), -1 when none. */
  plan: number[];
  /** Manifest pairs with their full comparison. */
  pairs: PairData[];
  aggregate: boolean;
  maxAxis: number;
}

export interface PairData {
  t: number;
  p: number;
  v: CellLetter;
  req: "FULL" | "PARTIAL" | null;
  ok: boolean;
  /** Reasons as "Label: proxy → target (note)", block-graph flag. */
  r: [string, number][];
  x: string[];
  u: string[];
  notes: string[];
  s: string;
  e: string | null;
  iso: string;
}

// ------------------------------------------------------------------------------------------------
// Order and data

function sizeOf(fp: Fingerprint): number {
  return fp.weightBytes?.total ?? (fp.params ? fp.params.total * 2 : Number.POSITIVE_INFINITY);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Models sorted by family (alphabetical), then size (weight bytes, smallest first; unknown last), then id. */
export function displayOrder(results: Results): { models: Fingerprint[]; families: string[]; famOf: number[] } {
  const fam = new Map(results.models.map((m) => [m, familyOf(results, m)]));
  const models = [...results.models].sort((a, b) => {
    const fa = fam.get(a)!;
    const fb = fam.get(b)!;
    const lc = cmp(fa.toLowerCase(), fb.toLowerCase()) || cmp(fa, fb);
    if (lc !== 0) return lc;
    const sa = sizeOf(a);
    const sb = sizeOf(b);
    if (sa !== sb) return sa < sb ? -1 : 1;
    return cmp(a.model, b.model);
  });
  const families: string[] = [];
  const famOf = models.map((m) => {
    const f = fam.get(m)!;
    if (families[families.length - 1] !== f) families.push(f);
    return families.length - 1;
  });
  return { models, families, famOf };
}

function intern(table: string[], index: Map<string, number>, s: string): number {
  let i = index.get(s);
  if (i === undefined) {
    i = table.length;
    table.push(s);
    index.set(s, i);
  }
  return i;
}

/** The narrowest encoding for `count` distinct cells over an alphabet of `A` characters. */
export function encodingFor(count: number, A: number): { width: 1 | 2 | 3; singles: number } {
  if (count <= A) return { width: 1, singles: A };
  for (let k = 1; k < A; k++) if (A - k + k * A >= count) return { width: 2, singles: A - k };
  return { width: 3, singles: 0 };
}

/** The characters of cell code `code`. */
export function encodeCell(code: number, enc: { width: 1 | 2 | 3; singles: number }, alphabet: string): string {
  const A = alphabet.length;
  if (enc.width === 1) return alphabet[code]!;
  if (enc.width === 2) {
    if (code < enc.singles) return alphabet[code]!;
    const r = code - enc.singles;
    return alphabet[enc.singles + Math.floor(r / A)]! + alphabet[r % A]!;
  }
  return alphabet[Math.floor(code / (A * A))]! + alphabet[Math.floor(code / A) % A]! + alphabet[code % A]!;
}

/** Decode one row (the client does the same): the tuple index of each cell. */
export function decodeRow(row: string, code: DashboardData["code"]): number[] {
  const A = code.alphabet.length;
  const table = new Map([...code.alphabet].map((c, i) => [c, i]));
  const idx = (c: string): number => table.get(c) ?? -1;
  const out: number[] = [];
  for (let i = 0; i < row.length; ) {
    const a = idx(row[i++]!);
    if (code.width === 1) out.push(a);
    else if (code.width === 2) out.push(a < code.singles ? a : code.singles + (a - code.singles) * A + idx(row[i++]!));
    else out.push(a * A * A + idx(row[i++]!) * A + idx(row[i++]!));
  }
  return out;
}

const BLOCK: ReadonlySet<string> = new Set(FEATURE_REGISTRY.filter((f) => f.blockGraph).map((f) => f.key));
const INTEG_LETTER: Record<IntegrityStatus | "NONE", string> = { PASS: "P", FAIL: "F", UNKNOWN: "U", NONE: "-" };

function sizeLabel(fp: Fingerprint): string {
  const p = fp.params ? `${formatCount(fp.params.total)} params` : "params ?";
  const w = fp.weightBytes ? `${fp.weightBytes.estimated ? "≈" : ""}${formatBytes(fp.weightBytes.total)}` : "weights ?";
  return `${p} · ${w}`;
}

/** Everything the client script needs, compact. */
export function buildDashboardData(results: Results, opts: HtmlOptions = {}): DashboardData {
  return buildData(results, opts).data;
}

/** The data and, for the static heatmap, the tuple index of every cell (row-major, display order). */
function buildData(results: Results, opts: HtmlOptions): { data: DashboardData; cellTuples: Int32Array } {
  const { models, families, famOf } = displayOrder(results);
  const n = models.length;
  const index = new Map(models.map((m, i) => [m.model, i]));
  const tags: string[] = [];
  const tagIdx = new Map<string, number>();
  const mtags = models.map((m) => (results.manifest?.tags[m.model] ?? []).map((t) => intern(tags, tagIdx, t)));

  const featKeys: string[] = FEATURE_REGISTRY.map((f) => f.key);
  const featLabels = FEATURE_REGISTRY.map((f) => f.label);
  const featIdx = new Map(featKeys.map((k, i) => [k, i]));
  const values: string[] = [];
  const valIdx = new Map<string, number>();
  const featM = models.map((m) => (m.status === "ok" ? FEATURE_REGISTRY.map((f) => intern(values, valIdx, f.format(m.features[f.key] as never))) : []));

  const iso: string[] = [];
  const isoIdx = new Map<string, number>();
  // Tuples: key -> index (provisional), counts for frequency ordering.
  const tupleList: [CellLetter, number[], number][] = [];
  const tupleIdx = new Map<string, number>();
  const tupleOf = (letter: CellLetter, uncovered: readonly string[], isom: string): number => {
    // Keyed on the raw values: 250k cells, a few hundred distinct tuples.
    const key = `${letter}|${isom}|${uncovered.join(",")}`;
    let t = tupleIdx.get(key);
    if (t === undefined) {
      const u = uncovered.map((k) => featIdx.get(k) ?? intern(featKeys, featIdx, k));
      // unknown keys were appended to featKeys: give them a label too
      while (featLabels.length < featKeys.length) featLabels.push(featKeys[featLabels.length]!);
      t = tupleList.length;
      tupleList.push([letter, u, intern(iso, isoIdx, isom)]);
      tupleIdx.set(key, t);
    }
    return t;
  };
  const MISSING = tupleOf("M", [], "");
  const DIAG = tupleOf("D", [], "");
  const cells = new Int32Array(n * n).fill(MISSING);
  for (let i = 0; i < n; i++) cells[i * n + i] = DIAG;
  for (const c of results.matrix) {
    const t = index.get(c.target);
    const p = index.get(c.proxy);
    if (t === undefined || p === undefined || t === p) continue;
    cells[t * n + p] = tupleOf(VERDICT_LETTER[c.verdict], c.uncovered, c.isomorphism);
  }
  // Manifest pairs missing from the matrix (sharded or partial results).
  for (const pr of results.pairs) {
    const t = index.get(pr.target);
    const p = index.get(pr.proxy);
    if (t === undefined || p === undefined || t === p || cells[t * n + p] !== MISSING) continue;
    cells[t * n + p] = tupleOf(VERDICT_LETTER[pr.verdict], pr.reasons.map((r) => r.feature), pr.isomorphism.verdict);
  }
  // Order tuples by frequency so that the common ones get the short codes.
  const freq = new Array<number>(tupleList.length).fill(0);
  for (const c of cells) freq[c]!++;
  const byFreq = tupleList.map((_, i) => i).sort((a, b) => freq[b]! - freq[a]! || a - b);
  const remap = new Int32Array(tupleList.length);
  byFreq.forEach((old, neu) => (remap[old] = neu));
  const tuples = byFreq.map((i) => tupleList[i]!);
  const enc = encodingFor(tuples.length, CODE_ALPHABET.length);
  const codes = tuples.map((_, i) => encodeCell(i, enc, CODE_ALPHABET));
  const rows: string[] = [];
  for (let i = 0; i < cells.length; i++) cells[i] = remap[cells[i]!]!;
  for (let t = 0; t < n; t++) {
    const parts = new Array<string>(n);
    for (let p = 0; p < n; p++) parts[p] = codes[cells[t * n + p]!]!;
    rows.push(parts.join(""));
  }

  const plan = models.map(() => -1);
  for (const p of results.plans) {
    const t = index.get(p.target);
    const x = p.proxy !== null ? index.get(p.proxy) : undefined;
    if (t !== undefined && x !== undefined) plan[t] = x;
  }

  const pairs: PairData[] = [];
  for (const p of results.pairs) {
    const t = index.get(p.target);
    const x = index.get(p.proxy);
    if (t === undefined || x === undefined) continue;
    pairs.push({
      t,
      p: x,
      v: VERDICT_LETTER[p.verdict],
      req: p.require,
      ok: p.ok,
      r: p.reasons.map((r) => [formatReason(r, 120), r.blockGraph ? 1 : 0]),
      x: p.extras.map((r) => formatReason(r, 120)),
      u: p.unverified.map((r) => formatReason(r, 120)),
      notes: p.notes ?? [],
      s: scaleSummary(p, 6),
      e: p.error ?? null,
      iso: p.isomorphism.keyOverlap !== null ? `${p.isomorphism.verdict} (key overlap ${p.isomorphism.keyOverlap.toFixed(2)})` : p.isomorphism.verdict,
    });
  }

  const integ = new Map(results.integrity.map((r) => [r.model, r.status]));
  const scaleKeys = SCALE_REGISTRY.filter((s) => ["layers", "hiddenSize", "intermediateSize", "heads", "kvHeads", "experts", "vocabSize"].includes(s.key));
  const data: DashboardData = {
    schema: DASHBOARD_SCHEMA,
    models: models.map((m) => m.model),
    families,
    fam: famOf,
    tags,
    mtags,
    size: models.map(sizeLabel),
    integ: models.map((m) => INTEG_LETTER[integ.get(m.model) ?? "NONE"]).join(""),
    errors: models.map((m) => (m.status === "ok" ? null : m.error ? `${m.error.code}: ${m.error.message}` : "not fingerprinted")),
    feat: { keys: featKeys, labels: featLabels, block: featKeys.map((k) => (BLOCK.has(k) ? 1 : 0)), values, m: featM },
    scale: { labels: scaleKeys.map((s) => s.label), m: models.map((m) => scaleKeys.map((s) => m.scale[s.key])) },
    iso,
    tuples,
    code: { alphabet: CODE_ALPHABET, ...enc },
    rows,
    plan,
    pairs,
    aggregate: n > (opts.maxModels ?? HEATMAP_MAX_MODELS),
    maxAxis: HEATMAP_MAX_AXIS,
  };
  return { data, cellTuples: cells };
}

/**
 * JSON for a `<script type="application/json">` block: `</` becomes `<\/` and `<!--` becomes
 * `<\u0021--` (both valid JSON escapes), so no data can end the block or switch the HTML parser
 * into its escaped script states; U+2028/2029 are escaped too. Everything else stays as is (bodies
 * of HTML would triple in size with every `<` escaped).
 */
export function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/<\//g, "<\\/")
    .replace(/<!--/g, "<\\u0021--")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

// ------------------------------------------------------------------------------------------------
// Static heatmap (the default state, for readers without JavaScript; the script re-renders it)

const LETTER_TEXT: Record<CellLetter, string> = { F: "F", P: "P", N: "N", U: "?", D: "·", M: "" };
const RANK_OF: Record<"F" | "P" | "N" | "U", number> = { F: VERDICT_RANK.FULL_SUBSTITUTE, P: VERDICT_RANK.PARTIAL_SUBSTITUTE, N: VERDICT_RANK.NO_SUBSTITUTE, U: VERDICT_RANK.UNKNOWN };

/** Majority verdict of a block (ties go to the stronger verdict); null without pairs. */
export function majority(counts: Record<"F" | "P" | "N" | "U", number>): "F" | "P" | "N" | "U" | null {
  let best: "F" | "P" | "N" | "U" | null = null;
  for (const k of ["F", "P", "N", "U"] as const) {
    if (counts[k] === 0) continue;
    if (best === null || counts[k] > counts[best] || (counts[k] === counts[best] && RANK_OF[k] > RANK_OF[best])) best = k;
  }
  return best;
}

function shortName(id: string): string {
  const s = id.slice(id.lastIndexOf("/") + 1);
  return s.length > 28 ? `${s.slice(0, 27)}…` : s;
}

/** Bigger cells for small grids (the client script does the same after each render). */
function cellClass(columns: number): string {
  return columns <= 24 ? " big" : columns <= 50 ? " mid" : "";
}

function staticHeatmap(d: DashboardData, cellTuples: Int32Array): string {
  const n = d.models.length;
  if (n === 0) return `<p class="note">No models in these results.</p>`;
  const tupleLetter = d.tuples.map((t) => t[0]);
  const letters = d.models.map((_, t) => Array.from(cellTuples.subarray(t * n, (t + 1) * n), (x) => tupleLetter[x]!));
  const corner = `<th class="corner" scope="col">targets ↓ proxies →</th>`;
  if (!d.aggregate) {
    const planSet = new Set(d.plan.map((p, t) => (p >= 0 ? t * n + p : -1)));
    const pairState = new Map(d.pairs.map((p) => [p.t * n + p.p, p.ok]));
    const fs = (i: number): boolean => i > 0 && d.fam[i] !== d.fam[i - 1];
    const head = d.models.map((m, i) => `<th class="ch${fs(i) ? " fs" : ""}" scope="col"><span title="${esc(m)}">${esc(shortName(m))}</span></th>`).join("");
    const body = d.models
      .map((m, t) => {
        const cells = letters[t]!.map((l, p) => {
          const cls = [`c`, l === "D" ? "d" : l === "M" ? "m" : `v${l}`];
          if (fs(p)) cls.push("fs");
          if (planSet.has(t * n + p)) cls.push("pp");
          const ok = pairState.get(t * n + p);
          if (ok !== undefined) cls.push(ok ? "mp" : "mp mx");
          return `<td class="${cls.join(" ")}">${LETTER_TEXT[l]}</td>`;
        }).join("");
        return `<tr${fs(t) ? ' class="fs"' : ""}><th scope="row"><span class="fam">${t === 0 || fs(t) ? `${esc(d.families[d.fam[t]!]!)} ` : ""}</span><a class="hl" href="#m${t}">${esc(shortName(m))}</a></th>${cells}</tr>`;
      })
      .join("");
    return `<table class="hm" id="hm-static"><caption class="sr">Verdict heatmap: rows are targets, columns are proxies</caption><thead><tr>${corner}${head}</tr></thead><tbody>${body}</tbody></table>`;
  }
  // Family blocks.
  const F = d.families.length;
  const members: number[][] = d.families.map(() => []);
  d.fam.forEach((f, i) => members[f]!.push(i));
  const counts = Array.from({ length: F * F }, () => ({ F: 0, P: 0, N: 0, U: 0 }));
  for (let t = 0; t < n; t++) {
    const row = letters[t]!;
    const ft = d.fam[t]!;
    for (let p = 0; p < n; p++) {
      const l = row[p]!;
      if (l === "D" || l === "M") continue;
      counts[ft * F + d.fam[p]!]![l]++;
    }
  }
  const head = d.families.map((f, i) => `<th class="ch" scope="col"><span class="fb">${esc(f)} (${members[i]!.length})</span></th>`).join("");
  const body = d.families
    .map((f, a) => {
      const cells = d.families
        .map((_, b) => {
          const c = counts[a * F + b]!;
          const m = majority(c);
          if (m === null) return `<td class="c d">·</td>`;
          const tot = c.F + c.P + c.N + c.U;
          const pct = (x: number): string => `${Math.round((x / tot) * 1000) / 10}%`;
          return `<td class="c a v${m}" style="--bf:${pct(c.F)};--bp:${pct(c.F + c.P)};--bn:${pct(c.F + c.P + c.N)}">${LETTER_TEXT[m]}</td>`;
        })
        .join("");
      return `<tr><th scope="row"><span class="fb">${esc(f)} (${members[a]!.length})</span></th>${cells}</tr>`;
    })
    .join("");
  return `<table class="hm" id="hm-static"><caption class="sr">Verdict heatmap by family: rows are target families, columns are proxy families; each cell shows the majority verdict and a bar of the mix</caption><thead><tr>${corner}${head}</tr></thead><tbody>${body}</tbody></table>`;
}

// ------------------------------------------------------------------------------------------------
// Page

function countVerdicts(vs: Iterable<Verdict>): Record<Verdict, number> {
  const c: Record<Verdict, number> = { FULL_SUBSTITUTE: 0, PARTIAL_SUBSTITUTE: 0, NO_SUBSTITUTE: 0, UNKNOWN: 0 };
  for (const v of vs) c[v]++;
  return c;
}

function verdictChips(c: Record<Verdict, number>): string {
  return (Object.keys(c) as Verdict[])
    .map((v) => `<span class="chip v${VERDICT_LETTER[v]}">${VERDICT_BADGES[v].letter}</span> ${c[v].toLocaleString("en-US")} ${VERDICT_BADGES[v].word}`)
    .join(" · ");
}

function legend(): string {
  const items = (["FULL_SUBSTITUTE", "PARTIAL_SUBSTITUTE", "NO_SUBSTITUTE", "UNKNOWN"] as Verdict[]).map(
    (v) => `<li><span class="sw v${VERDICT_LETTER[v]}">${VERDICT_BADGES[v].letter}</span>${VERDICT_BADGES[v].word}</li>`,
  );
  return `<ul class="legend" aria-label="Legend">${items.join("")}<li><span class="sw" style="background:#f1f1f1;color:#595959">·</span>same model</li><li><span class="sw" style="box-shadow:inset 0 0 0 2px #000,inset 0 0 0 3px #fff">&nbsp;</span>cheapest covering proxy (plan)</li><li><span class="sw" style="background:#fff;background-image:linear-gradient(225deg,#000 0 5px,transparent 5px)">&nbsp;</span>manifest pair</li><li><span class="sw" style="background:#fff;background-image:linear-gradient(225deg,#000 0 8px,transparent 8px)">&nbsp;</span>manifest pair below its requirement</li></ul>`;
}

function filtersNav(d: DashboardData): string {
  const famCount = d.families.map(() => 0);
  d.fam.forEach((f) => famCount[f]!++);
  const fams = d.families.map((f, i) => `<label><input type="checkbox" name="family" value="${i}" checked> ${esc(f)} <span class="muted">(${famCount[i]})</span></label>`).join("");
  const tags = [...d.tags.keys()].sort((a, b) => cmp(d.tags[a]!, d.tags[b]!)).map((i) => `<option value="${i}">${esc(d.tags[i]!)}</option>`).join("");
  const verdicts = (["F", "P", "N", "U"] as const)
    .map((l) => `<label><input type="checkbox" name="verdict" value="${l}" checked> <span class="chip v${l}">${LETTER_TEXT[l]}</span> ${{ F: "FULL", P: "PARTIAL", N: "NO", U: "UNKNOWN" }[l]}</label>`)
    .join("");
  return `<nav class="filters" id="filters" aria-label="Filters" hidden>
<label for="q">Search</label><input type="search" id="q" placeholder="model id or tag" autocomplete="off" aria-describedby="count">
<details class="dd" id="fam-dd"><summary id="fam-sum">Families (${d.families.length} of ${d.families.length})</summary><div class="panel"><fieldset><legend class="sr">Families to show</legend><div class="acts"><button type="button" class="btn" id="fam-all">All</button><button type="button" class="btn" id="fam-none">None</button></div>${fams}</fieldset></div></details>
<label for="tag">Tag</label><select id="tag"><option value="">any tag</option>${tags}</select>
<fieldset id="verdicts"><legend>Verdicts</legend>${verdicts}</fieldset>
<output id="count" aria-live="polite">${plural(d.models.length, "model")}</output>
</nav>`;
}

const NOSCRIPT_LAZY = `<noscript><p class="note">This zoo is large, so the details of each card and plan are inserted when opened, which needs JavaScript. The results JSON and the markdown report hold the same details.</p></noscript>`;

/** The script's CSP hash. */
function scriptHash(script: string): string {
  return `sha256-${createHash("sha256").update(script, "utf8").digest("base64")}`;
}

/**
 * Render the dashboard: one self-contained HTML document (UTF-8). Deterministic for given results
 * and options.
 */
export function renderHtml(results: Results, opts: HtmlOptions = {}): string {
  const { data, cellTuples } = buildData(results, opts);
  const byId = new Map(results.models.map((m) => [m.model, m]));
  const models = data.models.map((id) => byId.get(id)!);
  const anchors: Anchors = { index: new Map(data.models.map((m, i) => [m, i])) };
  const history = normalizeHistory(opts.history ?? []);
  const driftOf = new Map<string, string[]>();
  for (const e of history) for (const m of e.drifted) driftOf.set(m, [...(driftOf.get(m) ?? []), e.date]);
  const integ = new Map(results.integrity.map((r) => [r.model, r]));
  const plans = new Map(results.plans.map((p) => [p.target, p]));
  const exp = new Map<string, Results["expectations"]>();
  for (const e of results.expectations) exp.set(e.model, [...(exp.get(e.model) ?? []), e]);

  const zoo = results.manifest?.name ?? null;
  const title = opts.title ?? `standin zoo dashboard${zoo ? ` — ${zoo}` : ""}`;
  const gate = gateSummary(results, "Gate");
  const n = results.models.length;
  const matrixCounts = countVerdicts(results.matrix.map((c) => c.verdict));
  const pairCounts = countVerdicts(results.pairs.map((p) => p.verdict));
  const below = results.pairs.filter((p) => !p.ok).length;
  const ic = { PASS: 0, FAIL: 0, UNKNOWN: 0 };
  for (const r of results.integrity) ic[r.status]++;
  const planCounts = { F: 0, P: 0, N: 0, U: 0 };
  for (const p of results.plans) planCounts[planLetter(p)]++;
  const unknownModels = results.models.filter((m) => m.status !== "ok").length;

  const tiles = [
    `<li class="tile ${gate.passed ? "gate-pass" : "gate-fail"}"><span class="k">Gate</span><b>${gate.passed ? "✓ passed" : "✗ failed"}</b>${results.gate.failures.length > 0 ? plural(results.gate.failures.length, "failure") : esc(`fail-on: ${results.gate.failOn.join(", ") || "none"}`)}</li>`,
    `<li class="tile"><span class="k">Models</span><b>${n.toLocaleString("en-US")}</b>${data.families.length.toLocaleString("en-US")} families${unknownModels > 0 ? ` · ${unknownModels} not fingerprinted` : ""}</li>`,
    `<li class="tile"><span class="k">All ordered pairs (${results.matrix.length.toLocaleString("en-US")})</span><br>${verdictChips(matrixCounts)}</li>`,
    results.pairs.length > 0 ? `<li class="tile"><span class="k">Manifest pairs (${results.pairs.length})</span><br>${verdictChips(pairCounts)}${below > 0 ? `<br><span class="fail">${below} below requirement</span>` : ""}</li>` : "",
    `<li class="tile"><span class="k">Targets (${results.plans.length})</span><br>${planCounts.F} with a FULL proxy · ${planCounts.P} PARTIAL · ${planCounts.N} none${planCounts.U > 0 ? ` · ${planCounts.U} not planned` : ""}</li>`,
    `<li class="tile"><span class="k">Integrity</span><br><span class="pass">✓ ${ic.PASS} PASS</span> · <span class="fail">✗ ${ic.FAIL} FAIL</span>${ic.UNKNOWN > 0 ? ` · <span class="unk">? ${ic.UNKNOWN} UNKNOWN</span>` : ""}</li>`,
  ].join("");
  const failures =
    results.gate.failures.length > 0
      ? `<details><summary>${esc(gate.text)}</summary><ul>${results.gate.failures.map((f) => `<li><b>${esc(f.subject.replace(" <- ", " ← "))}</b> (${esc(f.reason)}): ${esc(f.message)}${f.line !== undefined ? ` <span class="muted">${esc(`${results.manifest?.path ?? "model-zoo.yaml"}:${f.line}`)}</span>` : ""}</li>`).join("")}</ul></details>`
      : `<p class="note">${esc(gate.text)}</p>`;

  const heatNote = data.aggregate
    ? `${plural(n, "model")} in ${plural(data.families.length, "family", "families")}: each cell is a family block (target family × proxy family) with its majority verdict and a bar of the mix. Activate a family header or block (click, or Enter) to expand it into its models; at most ${HEATMAP_MAX_AXIS} rows are shown at once.`
    : `Rows are targets, columns proxies: can the column model stand in for the row model? Models are sorted by family, then size (smallest first), so within a family the cells below the diagonal are smaller proxies for bigger targets.`;
  const heatmap = `<section id="heatmap" aria-labelledby="h-heatmap"><h2 id="h-heatmap">Verdict heatmap</h2>
<p class="note">${heatNote} <span id="hm-hint" hidden>Hover or focus a cell for its reasons; arrow keys move, Home/End go to the row ends, Enter expands or folds a family, Escape hides the details.</span></p>
${legend()}
<div class="hm-tools" id="hm-tools" hidden><button type="button" class="btn" id="expand-all">Expand all families</button><button type="button" class="btn" id="collapse-all">Collapse all families</button><span class="note" id="hm-status" role="status"></span></div>
<div class="hm-wrap${cellClass(data.aggregate ? data.families.length : data.models.length)}" id="hm-wrap">${staticHeatmap(data, cellTuples)}</div>
<div class="tip" id="tip" role="tooltip" hidden></div>
</section>`;

  const lazy = (opts.lazyBodies ?? data.aggregate) ? new Map<string, string>() : null;
  const cards = models
    .map((fp) => {
      const i = anchors.index.get(fp.model)!;
      const card = renderCard(fp, i, {
        anchors,
        family: data.families[data.fam[i]!]!,
        tags: results.manifest?.tags[fp.model] ?? [],
        integrity: integ.get(fp.model),
        expectations: exp.get(fp.model) ?? [],
        drift: driftOf.get(fp.model) ?? [],
        plan: plans.get(fp.model),
      });
      if (lazy) lazy.set(card.id, card.body);
      return foldItem(card, "card", `data-i="${i}"`, lazy !== null);
    })
    .join("");
  const plansSection = renderPlansSection(results.plans, anchors.index, anchors, lazy);
  const cardsSection = `<section id="models" aria-labelledby="h-models"><h2 id="h-models">Models</h2>
<p class="note">One card per model (open it for features, parameters and bytes by dtype, KV cache, integrity findings and the module tree).</p>${lazy ? NOSCRIPT_LAZY : ""}
<ul class="cards" id="card-list">${cards}</ul></section>`;

  const historySection = renderHistorySection(history, (id) => {
    const i = anchors.index.get(id);
    return i === undefined ? null : `m${i}`;
  });

  const net = results.network;
  const footer = `<footer class="note" style="padding:0 24px 24px">${esc(`${results.tool.name} ${results.tool.version}`)} · ${plural(net.requests, "request")}, ${esc(formatBytes(net.bytes))} read for this run · generated ${esc(results.generatedAt)} · this page makes no network requests</footer>`;
  const meta = [
    plural(n, "model"),
    `${results.matrix.length.toLocaleString("en-US")} ordered pairs`,
    results.manifest ? `manifest ${results.manifest.path}` : null,
    results.manifest?.engine.name ? `engine ${results.manifest.engine.name}` : null,
    results.shard ? `shard ${results.shard}` : null,
    `generated ${results.generatedAt.replace("T", " ").replace(/\.\d+Z$|Z$/, " UTC")}`,
  ]
    .filter((x): x is string => x !== null)
    .map(esc)
    .join(" · ");
  const toc = [
    ["summary", "Summary"],
    ["heatmap", "Heatmap"],
    history.length > 0 ? ["history", "History"] : null,
    ["targets", "Targets"],
    ["models", "Models"],
  ]
    .filter((x): x is string[] => x !== null)
    .map(([id, label]) => `<li><a href="#${id}">${label}</a></li>`)
    .join("");

  const script = CLIENT_SCRIPT;
  const csp = `default-src 'none'; script-src '${scriptHash(script)}'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="${esc(`${results.tool.name} ${results.tool.version}`)}">
<link rel="icon" href="data:,">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<a class="skip" href="#heatmap">Skip to the heatmap</a>
<header class="top"><h1>${esc(title)}</h1><p class="meta">${meta}</p><nav aria-label="Sections"><ul class="toc">${toc}</ul></nav></header>
${filtersNav(data)}
<main id="main">
<section id="summary" aria-labelledby="h-summary"><h2 id="h-summary" class="sr">Summary</h2><ul class="tiles">${tiles}</ul>${failures}</section>
${heatmap}
${historySection}
${plansSection}
${cardsSection}
</main>
${footer}
<script type="application/json" id="standin-data">${jsonForScript(data)}</script>
${lazy ? `<script type="application/json" id="standin-bodies">${jsonForScript(Object.fromEntries(lazy))}</script>` : ""}
<script>${script}</script>
</body>
</html>
`;
}
