/**
 * The test matrix: the smallest set of models whose tests cover every target of the zoo, for
 * `strategy.matrix: ${{ fromJSON(needs.plan.outputs.test-matrix) }}` in a GPU test job.
 *
 * Who may cover a target t:
 * - t itself (a model always covers its own code paths);
 * - if some proxy is FULL_SUBSTITUTE for t: any FULL proxy;
 * - else, if some proxy is PARTIAL_SUBSTITUTE: the PARTIAL proxies with the fewest uncovered
 *   features (those features are listed: the target still needs them, see the plan);
 * - UNKNOWN targets cannot be covered: they are reported (`unknown`), never silently dropped.
 * Objective: fewest models, then least GPU memory (GPU count x class), then fewest weight bytes.
 * Exact (branch and bound) for up to EXACT_LIMIT candidate models, greedy beyond (documented).
 */
import type { Fingerprint } from "../fingerprint/types.js";
import { fitModel } from "../plan/fit.js";
import type { Level } from "../plan/types.js";
import type { MatrixCell, Results } from "../report/types.js";

export const EXACT_LIMIT = 40;

export interface MatrixEntry {
  model: string;
  /** Levels this model runs, space-separated for shell use ("L1 L2 L3"). */
  levels: string;
  /** Targets whose code paths this model's tests cover (including itself when it is a target it covers). */
  covers: string[];
  /** GPU class that fits the model at the test sequence length, e.g. "L4/A10G 24GB". */
  gpu: string;
  gpu_memory_gb: number | null;
  /** Tensor-parallel degree (GPU count). */
  tp: number | null;
}

export interface TestMatrix {
  /** Ready for strategy.matrix (only `include`: other keys would become matrix dimensions). */
  matrix: { include: MatrixEntry[] };
  /** Per covered target: the model that covers it, the verdict, and features it leaves uncovered. */
  assignments: { target: string; by: string; verdict: "SELF" | MatrixCell["verdict"]; uncovered: string[] }[];
  /** Targets that could not be fingerprinted: not covered. */
  unknown: string[];
  exact: boolean;
}

export interface Candidate {
  model: string;
  /** Bitset-ish: indices of targets this candidate may cover. */
  covers: Set<number>;
  cost: number;
  bytes: number;
}

const ATTENTION_KEYS = new Set(["attentionFamily", "kvGrouping", "headDim", "mla", "slidingWindow", "logitSoftcap", "attentionSinks", "qkNorm"]);

function levelsFor(verdict: "SELF" | MatrixCell["verdict"], uncovered: readonly string[]): Level[] {
  if (verdict === "SELF") return ["L1", "L2", "L3", "L4"];
  if (verdict === "FULL_SUBSTITUTE") return ["L1", "L2", "L3"];
  // PARTIAL: structure and the covered numerics; runtime only when attention/KV are the same.
  return uncovered.some((k) => ATTENTION_KEYS.has(k)) ? ["L1", "L2"] : ["L1", "L2", "L3"];
}

export function buildTestMatrix(results: Pick<Results, "models" | "matrix">, opts: { seqLen?: number } = {}): TestMatrix {
  const fps = results.models;
  const ok = fps.filter((f) => f.status === "ok");
  const unknown = fps.filter((f) => f.status !== "ok").map((f) => f.model);
  const tIndex = new Map(ok.map((f, i) => [f.model, i]));
  const fits = new Map(ok.map((f) => [f.model, fitModel(f, { seqLen: opts.seqLen })]));
  const costOf = (fp: Fingerprint): number => {
    const fit = fits.get(fp.model);
    return fit?.gpuMemoryGB && fit.tensorParallel ? fit.gpuMemoryGB * fit.tensorParallel : 10_000;
  };

  // Cells by target.
  const byTarget = new Map<string, MatrixCell[]>();
  for (const c of results.matrix) {
    if (!tIndex.has(c.target) || !tIndex.has(c.proxy)) continue;
    const list = byTarget.get(c.target) ?? [];
    list.push(c);
    byTarget.set(c.target, list);
  }
  // Allowed coverers per target, with the verdict / uncovered features of each.
  const allowed = new Map<string, Map<string, MatrixCell | "SELF">>();
  for (const t of ok) {
    const cells = byTarget.get(t.model) ?? [];
    const full = cells.filter((c) => c.verdict === "FULL_SUBSTITUTE");
    const partial = cells.filter((c) => c.verdict === "PARTIAL_SUBSTITUTE");
    const m = new Map<string, MatrixCell | "SELF">([[t.model, "SELF"]]);
    if (full.length) for (const c of full) m.set(c.proxy, c);
    else if (partial.length) {
      const least = Math.min(...partial.map((c) => c.uncovered.length));
      for (const c of partial) if (c.uncovered.length === least) m.set(c.proxy, c);
    }
    allowed.set(t.model, m);
  }
  const candidates: Candidate[] = ok.map((f) => {
    const covers = new Set<number>();
    for (const t of ok) if (allowed.get(t.model)?.has(f.model)) covers.add(tIndex.get(t.model) as number);
    return { model: f.model, covers, cost: costOf(f), bytes: f.weightBytes?.total ?? 0 };
  });

  const n = ok.length;
  const solved = n <= EXACT_LIMIT ? exactCover(n, candidates) : { cover: greedyCover(n, candidates), exact: false };
  const chosen = solved.cover;
  const exact = solved.exact;

  // Assign each target to the cheapest chosen model that may cover it (prefer SELF, then FULL, then cheapest).
  const assignments: TestMatrix["assignments"] = [];
  const perModel = new Map<string, { covers: string[]; levels: Set<Level> }>();
  for (const t of ok) {
    const al = allowed.get(t.model) as Map<string, MatrixCell | "SELF">;
    const options = chosen.filter((c) => al.has(c.model));
    options.sort((a, b) => rank(al.get(a.model)) - rank(al.get(b.model)) || a.cost - b.cost || a.bytes - b.bytes || (a.model < b.model ? -1 : 1));
    const by = options[0] as Candidate;
    const how = al.get(by.model) as MatrixCell | "SELF";
    const verdict = how === "SELF" ? "SELF" : how.verdict;
    const uncovered = how === "SELF" ? [] : how.uncovered;
    assignments.push({ target: t.model, by: by.model, verdict, uncovered });
    const e = perModel.get(by.model) ?? { covers: [], levels: new Set<Level>() };
    e.covers.push(t.model);
    for (const l of levelsFor(verdict, uncovered)) e.levels.add(l);
    perModel.set(by.model, e);
  }
  const include: MatrixEntry[] = chosen
    .filter((c) => perModel.has(c.model))
    .map((c) => {
      const e = perModel.get(c.model) as { covers: string[]; levels: Set<Level> };
      const fit = fits.get(c.model);
      return {
        model: c.model,
        levels: [...e.levels].sort().join(" "),
        covers: e.covers,
        gpu: fit?.gpuClass ?? "unknown",
        gpu_memory_gb: fit?.gpuMemoryGB ?? null,
        tp: fit?.tensorParallel ?? null,
      };
    })
    .sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0));
  return { matrix: { include }, assignments, unknown, exact };
}

function rank(how: MatrixCell | "SELF" | undefined): number {
  if (how === "SELF") return 0;
  if (how?.verdict === "FULL_SUBSTITUTE") return 1;
  return 2;
}

/** Lexicographic objective: count, then GPU cost, then bytes. */
function better(a: Candidate[], b: Candidate[] | null): boolean {
  if (!b) return true;
  if (a.length !== b.length) return a.length < b.length;
  const ca = a.reduce((s, c) => s + c.cost, 0);
  const cb = b.reduce((s, c) => s + c.cost, 0);
  if (ca !== cb) return ca < cb;
  return a.reduce((s, c) => s + c.bytes, 0) < b.reduce((s, c) => s + c.bytes, 0);
}

/** Search nodes before the exact search gives up and keeps the best cover found (exact: false). */
export const NODE_BUDGET = 2_000_000;

/** Exact minimum cover by branch and bound: pick the uncovered target with fewest options, branch on them. */
export function exactCover(n: number, cands: readonly Candidate[]): { cover: Candidate[]; exact: boolean } {
  const optionsOf: Candidate[][] = Array.from({ length: n }, () => []);
  for (const c of cands) for (const t of c.covers) optionsOf[t]?.push(c);
  for (const o of optionsOf) o.sort((a, b) => b.covers.size - a.covers.size || a.cost - b.cost);
  let best: Candidate[] | null = greedyCover(n, cands);
  const covered = new Int32Array(n);
  const pick: Candidate[] = [];
  const maxCover = Math.max(1, ...cands.map((c) => c.covers.size));
  let nodes = 0;
  const recurse = (remaining: number): void => {
    if (++nodes > NODE_BUDGET) return;
    if (remaining === 0) {
      if (better(pick, best)) best = [...pick];
      return;
    }
    // lower bound on models still needed
    const lb = pick.length + Math.ceil(remaining / maxCover);
    if (best && lb > best.length) return;
    let target = -1;
    let fewest = Infinity;
    for (let t = 0; t < n; t++) {
      if (covered[t]) continue;
      const k = (optionsOf[t] as Candidate[]).length;
      if (k < fewest) {
        fewest = k;
        target = t;
      }
    }
    for (const c of optionsOf[target] as Candidate[]) {
      let gained = 0;
      for (const t of c.covers) if (covered[t]++ === 0) gained++;
      pick.push(c);
      recurse(remaining - gained);
      pick.pop();
      for (const t of c.covers) covered[t]--;
    }
  };
  recurse(n);
  return { cover: best ?? [], exact: nodes <= NODE_BUDGET };
}

/** Greedy set cover (most new targets per pick, then cheaper): within ln(n) of optimal. */
export function greedyCover(n: number, cands: readonly Candidate[]): Candidate[] {
  const covered = new Uint8Array(n);
  let remaining = n;
  const out: Candidate[] = [];
  while (remaining > 0) {
    let best: Candidate | null = null;
    let bestGain = 0;
    for (const c of cands) {
      let g = 0;
      for (const t of c.covers) if (!covered[t]) g++;
      if (g > bestGain || (g === bestGain && g > 0 && best && (c.cost < best.cost || (c.cost === best.cost && c.bytes < best.bytes)))) {
        best = c;
        bestGain = g;
      }
    }
    if (!best || bestGain === 0) break;
    out.push(best);
    for (const t of best.covers) {
      if (!covered[t]) {
        covered[t] = 1;
        remaining--;
      }
    }
  }
  return out;
}
