/**
 * Comparison API: full proxy/target comparisons (verdict.ts), the three-phase isomorphism
 * (isomorphism.ts), pair lists, all ordered pairs and the compact all-pairs verdict matrix.
 */
import { unknownFingerprint } from "../fingerprint/build.js";
import type { Fingerprint } from "../fingerprint/types.js";
import type { MatrixCell } from "../report/types.js";
import type { CompareOptions, Comparison, Verdict } from "./types.js";
import { VERDICT_RANK } from "./types.js";
import { CompareContext, type Prepared } from "./verdict.js";

export * from "./types.js";
export { compareFingerprints, codePath, CompareContext, maskKeys, REASON_ORDER } from "./verdict.js";
export { isomorphism, HEAD_DIM_TOLERANCE, KEY_OVERLAP_THRESHOLD, WIDTH_TOLERANCE } from "./isomorphism.js";

/** A fingerprint standing for a model id that has none (a pair naming an unknown model): UNKNOWN, never skipped. */
function missingFingerprint(model: string): Fingerprint {
  return unknownFingerprint(
    model,
    { kind: "hub", repo: model, revision: null },
    { code: "no-fingerprint", message: "no fingerprint for this model id in the comparison input" },
    { requests: 0, bytes: 0, cached: false },
  );
}

/** Full comparisons for the given (target, proxy) pairs, in order. A model id without a fingerprint gives UNKNOWN. */
export function comparePairs(fps: readonly Fingerprint[], pairs: ReadonlyArray<{ target: string; proxy: string }>, opts: CompareOptions = {}): Comparison[] {
  const ctx = new CompareContext(opts);
  const byId = new Map<string, Fingerprint>();
  for (const fp of fps) if (!byId.has(fp.model)) byId.set(fp.model, fp);
  const get = (id: string): Prepared => {
    let fp = byId.get(id);
    if (!fp) {
      fp = missingFingerprint(id);
      byId.set(id, fp);
    }
    return ctx.prepare(fp);
  };
  return pairs.map(({ target, proxy }) => ctx.compare(get(proxy), get(target)));
}

/**
 * Full comparisons of the given (proxy, target) pairs of these fingerprints, in the given order:
 * each fingerprint is prepared once, not once per pair (what compareFingerprints would do).
 */
export function compareSelected(fps: readonly Fingerprint[], pairs: readonly (readonly [proxy: string, target: string])[], opts: CompareOptions = {}): Comparison[] {
  const ctx = new CompareContext(opts);
  const byId = new Map(fps.map((fp) => [fp.model, fp]));
  const prepared = new Map<string, Prepared>();
  const get = (id: string): Prepared | null => {
    let p = prepared.get(id);
    if (p === undefined) {
      const fp = byId.get(id);
      if (!fp) return null;
      prepared.set(id, (p = ctx.prepare(fp)));
    }
    return p;
  };
  const out: Comparison[] = [];
  for (const [proxy, target] of pairs) {
    const p = get(proxy);
    const t = get(target);
    if (p && t) out.push(ctx.compare(p, t));
  }
  return out;
}

/** Full comparisons of every ordered pair (proxy != target), grouped by target in input order. For small zoos; see verdictMatrix. */
export function compareAllPairs(fps: readonly Fingerprint[], opts: CompareOptions = {}): Comparison[] {
  const ctx = new CompareContext(opts);
  const prepared = fps.map((fp) => ctx.prepare(fp));
  const out: Comparison[] = [];
  for (const t of prepared) for (const p of prepared) if (p !== t && p.model !== t.model) out.push(ctx.compare(p, t));
  return out;
}

/**
 * The compact all-pairs verdict matrix: one cell per ordered pair (proxy != target), grouped by
 * target in input order, the same verdicts as compareAllPairs. Fingerprints are prepared once
 * (interned feature ids, tower masks, key-id arrays, log widths) and grouped into verdict and
 * isomorphism classes; each class pair is evaluated once (dense memo tables up to 2,048 classes,
 * direct integer comparisons beyond), and a cell shares its frozen `uncovered` array with every cell
 * that has the same reasons.
 */
export function verdictMatrix(fps: readonly Fingerprint[], opts: CompareOptions = {}): MatrixCell[] {
  const ctx = new CompareContext(opts);
  const prepared = fps.map((fp) => ctx.prepare(fp));
  const cell = ctx.cells();
  const n = prepared.length;
  const cells: MatrixCell[] = [];
  for (let ti = 0; ti < n; ti++) {
    const t = prepared[ti]!;
    for (let pi = 0; pi < n; pi++) {
      const p = prepared[pi]!;
      if (pi === ti || p.model === t.model) continue;
      const c = cell(p, t);
      cells.push({ target: t.model, proxy: p.model, verdict: c.verdict, uncovered: c.uncovered as string[], isomorphism: c.isomorphism });
    }
  }
  return cells;
}

/** Whether a verdict meets a manifest requirement ("FULL" | "PARTIAL"; null = report only, always met). */
export function meetsRequirement(verdict: Verdict, require: "FULL" | "PARTIAL" | null): boolean {
  if (require === null) return true;
  return VERDICT_RANK[verdict] >= (require === "FULL" ? VERDICT_RANK.FULL_SUBSTITUTE : VERDICT_RANK.PARTIAL_SUBSTITUTE);
}
