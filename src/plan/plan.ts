/**
 * Multi-fidelity test plans (verdicts.md "Multi-fidelity plan", docs/plan.md).
 *
 * Per target T, from the comparisons "proxy P -> T":
 * - eligible proxies: verdict FULL or PARTIAL, fingerprinted, never T itself, and strictly cheaper
 *   than T in weight bytes (headers, else config estimate). A covering model that is not cheaper is
 *   skipped (noted): then T covers itself. When T's own size is unknown, any sized covering proxy is
 *   eligible (noted).
 * - the cheapest covering proxy: fewest weight bytes among FULL proxies; else, among PARTIAL ones, the
 *   fewest uncovered features, then fewest weight bytes (then model id, for determinism).
 * - L1 structure: the proxy; T too when the weight format differs (or is unverified): loading T's
 *   format (weights, scales, dequantization) is its own code path.
 * - L2 numerical: the proxy for the covered features; each uncovered feature (except the weight
 *   format, which L1 loads on T and the L4 canary runs) goes to a cheaper covering proxy that has it
 *   (PARTIAL/FULL toward T, the feature neither among its reasons nor unverified), chosen by weighted
 *   greedy set cover (least bytes per newly covered feature), else to T. Features are grouped by the
 *   model that covers them.
 * - L3 runtime: the proxy when FULL; T when an attention-group feature differs (KV grouping, head
 *   dim, MLA dims, sliding window, biases, q/k norm, soft-cap, sinks: attention kernels and KV-cache
 *   layout); else the proxy.
 * - L4 canary: always T, on its fit (smallest memory class x TP that holds weights + KV + overhead).
 * Entries are ordered by level, then proxy, helper proxies (by bytes, id), target.
 */
import type { Comparison, Reason, Verdict } from "../compare/types.js";
import { FEATURE_REGISTRY } from "../fingerprint/features.js";
import type { Features, Fingerprint } from "../fingerprint/types.js";
import { VERDICT_RANK } from "../compare/types.js";
import { DEFAULT_SEQ_LEN, fitModel, humanBytes, weightBytesOf } from "./fit.js";
import type { HardwareFit, Level, PlanEntry, PlanOptions, TargetPlan } from "./types.js";

export interface PlanTargetOptions extends PlanOptions {
  /** Comparisons "proxy -> this target" (others are ignored), any proxies. */
  comparisons: readonly Comparison[];
  /** Every fingerprint by model id (proxies are looked up here). */
  fingerprints: ReadonlyMap<string, Fingerprint>;
}

type FeatureKey = keyof Features;

interface Candidate {
  cmp: Comparison;
  fp: Fingerprint;
  bytes: number;
}

/** Memoized fits and sizes shared by the plans of one run. */
class PlanContext {
  private fits = new Map<string, HardwareFit>();
  private sizes = new Map<string, number | null>();
  constructor(readonly opts: PlanOptions) {}

  get seqLen(): number {
    return this.opts.seqLen ?? DEFAULT_SEQ_LEN;
  }

  bytes(fp: Fingerprint): number | null {
    if (fp.status !== "ok") return null;
    let b = this.sizes.get(fp.model);
    if (b === undefined) {
      b = weightBytesOf(fp).total;
      this.sizes.set(fp.model, b);
    }
    return b;
  }

  fit(fp: Fingerprint): HardwareFit {
    let f = this.fits.get(fp.model);
    if (!f) {
      f = fitModel(fp, {
        seqLen: this.seqLen,
        overhead: this.opts.overhead,
        classes: this.opts.gpuClasses,
        maxTensorParallel: this.opts.maxTensorParallel,
        policy: this.opts.fitPolicy,
      });
      this.fits.set(fp.model, f);
    }
    return f;
  }
}

const SHORT: Record<Verdict, string> = { FULL_SUBSTITUTE: "FULL", PARTIAL_SUBSTITUTE: "PARTIAL", NO_SUBSTITUTE: "NO", UNKNOWN: "UNKNOWN" };

function listNames(xs: readonly string[], max = 5): string {
  return xs.length <= max ? xs.join(", ") : `${xs.slice(0, max).join(", ")} and ${xs.length - max} more`;
}

function describeReason(r: Reason): string {
  return `${r.label} (target ${r.target}, proxy ${r.proxy})`;
}

function targetValue(r: Reason): string {
  return `${r.label} (${r.target})`;
}

/** Known (non-null) feature keys of a fingerprint, in registry order. */
function knownFeatures(fp: Fingerprint): FeatureKey[] {
  return FEATURE_REGISTRY.filter((f) => fp.features[f.key] !== null).map((f) => f.key);
}

/** One comparison per proxy: the strongest verdict, then fewer reasons (deterministic under any input order). */
function bestPerProxy(cmps: readonly Comparison[]): Comparison[] {
  const by = new Map<string, Comparison>();
  for (const c of cmps) {
    const cur = by.get(c.proxy);
    if (!cur || VERDICT_RANK[c.verdict] > VERDICT_RANK[cur.verdict] || (c.verdict === cur.verdict && c.reasons.length < cur.reasons.length)) by.set(c.proxy, c);
  }
  return [...by.values()].sort((a, b) => (a.proxy < b.proxy ? -1 : a.proxy > b.proxy ? 1 : 0));
}

function byBytesThenId(a: Candidate, b: Candidate): number {
  return a.bytes - b.bytes || (a.fp.model < b.fp.model ? -1 : a.fp.model > b.fp.model ? 1 : 0);
}

function rankProxies(cands: readonly Candidate[]): Candidate[] {
  const full = cands.filter((c) => c.cmp.verdict === "FULL_SUBSTITUTE").sort(byBytesThenId);
  const partial = cands.filter((c) => c.cmp.verdict === "PARTIAL_SUBSTITUTE").sort((a, b) => a.cmp.reasons.length - b.cmp.reasons.length || byBytesThenId(a, b));
  return [...full, ...partial];
}

/** Does `c` (a comparison toward the target) exercise the target's value of `f`? */
function hasFeature(c: Comparison, f: FeatureKey): boolean {
  if (c.verdict !== "FULL_SUBSTITUTE" && c.verdict !== "PARTIAL_SUBSTITUTE") return false;
  return !c.reasons.some((r) => r.feature === f) && !c.unverified.some((r) => r.feature === f);
}

/** Weighted greedy set cover: helpers for the uncovered features, least bytes per newly covered feature. */
function routeFeatures(features: readonly FeatureKey[], helpers: readonly Candidate[]): { assigned: { cand: Candidate; features: FeatureKey[] }[]; leftover: FeatureKey[] } {
  const remaining = new Set(features);
  const assigned: { cand: Candidate; features: FeatureKey[] }[] = [];
  const used = new Set<string>();
  while (remaining.size > 0) {
    let best: { cand: Candidate; gain: FeatureKey[] } | null = null;
    for (const h of helpers) {
      if (used.has(h.fp.model)) continue;
      const gain = [...remaining].filter((f) => hasFeature(h.cmp, f));
      if (gain.length === 0) continue;
      if (!best) {
        best = { cand: h, gain };
        continue;
      }
      const a = h.bytes / gain.length;
      const b = best.cand.bytes / best.gain.length;
      if (a < b || (a === b && (gain.length > best.gain.length || (gain.length === best.gain.length && byBytesThenId(h, best.cand) < 0)))) best = { cand: h, gain };
    }
    if (!best) break;
    used.add(best.cand.fp.model);
    for (const f of best.gain) remaining.delete(f);
    assigned.push({ cand: best.cand, features: features.filter((f) => best.gain.includes(f)) });
  }
  assigned.sort((x, y) => byBytesThenId(x.cand, y.cand));
  return { assigned, leftover: features.filter((f) => remaining.has(f)) };
}

function canaryReason(target: Fingerprint, fit: HardwareFit): string {
  const moe = target.features.moe === true;
  if (fit.tensorParallel === null || fit.gpuClass === null) {
    return `Canary on the target itself: peak memory${moe ? ", MoE routing" : ""}; ${fit.note ?? "no single-node fit"} (multi-node or offloading needed)`;
  }
  const tp = fit.tensorParallel;
  const where = `${tp} x ${fit.gpuClass}${tp > 1 ? ` (tensor parallel ${tp})` : ""}`;
  const what = ["peak memory"];
  if (tp > 1) what.push("tensor-parallel correctness");
  if (moe) what.push(tp > 1 ? "MoE routing and expert-parallel correctness" : "MoE routing");
  return `Canary on the target itself at the smallest fit, ${where}: ${what.join(", ")}`;
}

function planWith(target: Fingerprint, options: PlanTargetOptions, ctx: PlanContext): TargetPlan {
  if (target.status !== "ok") {
    return {
      target: target.model,
      proxy: null,
      proxyVerdict: null,
      uncovered: [],
      entries: [],
      error: `not fingerprinted: ${target.error?.message ?? "unknown reason"}`,
    };
  }
  const notes: string[] = [];
  const tBytes = ctx.bytes(target);
  if (tBytes === null) notes.push("the target's weight size is unknown: proxies are eligible without a size check");
  const cmps = bestPerProxy(options.comparisons.filter((c) => c.target === target.model && c.proxy !== target.model));

  const covering = cmps.filter((c) => c.verdict === "FULL_SUBSTITUTE" || c.verdict === "PARTIAL_SUBSTITUTE");
  const notCheaper: string[] = [];
  const unsized: string[] = [];
  const cands: Candidate[] = [];
  for (const c of covering) {
    const fp = options.fingerprints.get(c.proxy);
    const b = fp ? ctx.bytes(fp) : null;
    if (!fp || fp.status !== "ok" || b === null) {
      unsized.push(c.proxy);
      continue;
    }
    if (tBytes !== null && b >= tBytes) {
      notCheaper.push(`${c.proxy} (${SHORT[c.verdict]}, ${humanBytes(b)})`);
      continue;
    }
    cands.push({ cmp: c, fp, bytes: b });
  }
  if (notCheaper.length > 0) notes.push(`covering but not cheaper than the target (${humanBytes(tBytes)}): ${listNames(notCheaper)}`);
  if (unsized.length > 0) notes.push(`covering but weight size unknown (skipped): ${listNames(unsized)}`);

  const ranked = rankProxies(cands);
  const chosen = ranked[0] ?? null;
  const entries: PlanEntry[] = [];
  const add = (level: Level, fp: Fingerprint, reason: string, features: readonly FeatureKey[]): void => {
    entries.push({ level, model: fp.model, reason, features: [...features], hardware: ctx.fit(fp) });
  };
  const all = knownFeatures(target);
  const tFit = ctx.fit(target);

  if (!chosen) {
    let why: string;
    if (cmps.length === 0) why = "no comparison with another model";
    else if (covering.length === 0) {
      const no = cmps.filter((c) => c.verdict === "NO_SUBSTITUTE");
      const unk = cmps.filter((c) => c.verdict === "UNKNOWN");
      const blocks = [...new Set(no.flatMap((c) => c.reasons.filter((r) => r.blockGraph).map((r) => r.label)))].sort();
      const parts: string[] = [];
      if (no.length > 0) parts.push(`${no.length} NO_SUBSTITUTE (block graph differs: ${blocks.length > 0 ? blocks.join(", ") : "see reasons"})`);
      if (unk.length > 0) parts.push(`${unk.length} UNKNOWN`);
      why = `no model covers it: ${parts.join(", ")}`;
    } else why = `no covering model is cheaper than the target (${covering.length} covering, none smaller)`;
    add("L1", target, `No covering proxy (${why}): the target runs every level; load, tensor shapes, dtypes, weight format ${target.features.weightFormat ?? "unknown"}`, all);
    add("L2", target, "No covering proxy: numerics of every feature on the target (logits vs reference, cosine similarity, perplexity)", all);
    add("L3", target, "No covering proxy: prefill/decode speed, KV-cache behaviour and batching measured on the target", all);
    add("L4", target, canaryReason(target, tFit), all);
    return { target: target.model, proxy: null, proxyVerdict: null, uncovered: [], entries, targetWeightBytes: tBytes, proxyWeightBytes: null, notes };
  }

  const P = chosen.fp;
  const cmp = chosen.cmp;
  const full = cmp.verdict === "FULL_SUBSTITUTE";
  const covered = cmp.covered;
  const sizeText = `${humanBytes(chosen.bytes)} of weights vs ${humanBytes(tBytes)}`;
  const unverified = cmp.unverified.filter((r) => r.feature !== "weightFormat");
  if (unverified.length > 0) notes.push(`unknown on one side for the chosen proxy, not routed: ${unverified.map(describeReason).join("; ")}`);
  const diffText = cmp.reasons.map(describeReason).join("; ");

  // L1
  add(
    "L1",
    P,
    full
      ? `Cheapest covering proxy (FULL_SUBSTITUTE, ${sizeText}): same code paths, only scale differs; load, tensor shapes, dtypes`
      : `Cheapest covering proxy (PARTIAL_SUBSTITUTE, ${cmp.reasons.length} uncovered feature${cmp.reasons.length === 1 ? "" : "s"}, ${sizeText}): load, tensor shapes, dtypes of the shared block graph; differs in ${diffText}`,
    covered,
  );
  const fmtReason = cmp.reasons.find((r) => r.feature === "weightFormat");
  const fmtUnverified = cmp.unverified.find((r) => r.feature === "weightFormat");
  if (fmtReason) {
    add("L1", target, `Weight format differs (target ${fmtReason.target}, proxy ${fmtReason.proxy}): loading the target's own format (weights, scales, dequantization) is a separate code path`, ["weightFormat"]);
  } else if (fmtUnverified) {
    add("L1", target, `Weight format unverified (target ${fmtUnverified.target}, proxy ${fmtUnverified.proxy}): load the target's weights to check the format`, ["weightFormat"]);
  }

  // L2
  const uncoveredKeys = cmp.reasons.map((r) => r.feature).filter((f) => f !== "weightFormat");
  add(
    "L2",
    P,
    uncoveredKeys.length === 0
      ? `Numerics of ${full ? "every feature" : "the covered features"} on the proxy (logits vs reference, cosine similarity, perplexity)${fmtReason ? `; the target's ${fmtReason.target} weights are loaded at L1 and run by the L4 canary` : ""}`
      : `Numerics of the ${covered.length} covered features on the proxy (logits vs reference, cosine similarity, perplexity); uncovered features are routed below`,
    covered,
  );
  if (uncoveredKeys.length > 0) {
    const helpers = ranked.filter((c) => c.fp.model !== P.model);
    const { assigned, leftover } = routeFeatures(uncoveredKeys, helpers);
    const reasonOf = (f: FeatureKey): Reason => cmp.reasons.find((r) => r.feature === f)!;
    for (const a of assigned) {
      const labels = a.features.map((f) => targetValue(reasonOf(f))).join(", ");
      add("L2", a.cand.fp, `Covers ${labels} that ${P.model} lacks (${SHORT[a.cand.cmp.verdict]} toward the target, ${humanBytes(a.cand.bytes)} of weights): numerics of ${a.features.length === 1 ? "that feature" : "those features"}`, a.features);
    }
    if (leftover.length > 0) {
      const labels = leftover.map((f) => targetValue(reasonOf(f))).join(", ");
      add("L2", target, `No cheaper covering proxy has ${labels}: the target checks ${leftover.length === 1 ? "its" : "their"} numerics itself`, leftover);
    }
  }

  // L3
  if (full) {
    add("L3", P, "FULL_SUBSTITUTE: prefill/decode speed, KV-cache behaviour and batching follow the target's code paths (scale differs only)", covered);
  } else {
    const attn = cmp.reasons.filter((r) => r.group === "attention");
    if (attn.length > 0) {
      add("L3", target, `Attention / KV-cache features differ (${attn.map(describeReason).join("; ")}): runtime and KV-cache behaviour must be measured on the target`, attn.map((r) => r.feature));
    } else {
      add("L3", P, `No attention or KV-cache feature differs (other differences: ${cmp.reasons.map((r) => r.label).join(", ")}): prefill/decode, KV-cache and batching behaviour transfer from the proxy`, covered);
    }
  }

  // L4
  add("L4", target, canaryReason(target, tFit), all);

  return {
    target: target.model,
    proxy: P.model,
    proxyVerdict: cmp.verdict,
    uncovered: cmp.reasons,
    entries,
    targetWeightBytes: tBytes,
    proxyWeightBytes: chosen.bytes,
    notes,
  };
}

/** The multi-fidelity plan of one target. */
export function planTarget(target: Fingerprint, options: PlanTargetOptions): TargetPlan {
  return planWith(target, options, new PlanContext(options));
}

/**
 * One plan per fingerprint, in input order (UNKNOWN fingerprints get a plan with `error`).
 * Comparisons may be in any order and may include pairs with unknown models.
 */
export function planAll(fps: readonly Fingerprint[], comparisons: readonly Comparison[], opts: PlanOptions = {}): TargetPlan[] {
  const fingerprints = new Map(fps.map((f) => [f.model, f]));
  const byTarget = new Map<string, Comparison[]>();
  for (const c of comparisons) {
    const l = byTarget.get(c.target);
    if (l) l.push(c);
    else byTarget.set(c.target, [c]);
  }
  const ctx = new PlanContext(opts);
  return fps.map((t) => planWith(t, { ...opts, comparisons: byTarget.get(t.model) ?? [], fingerprints }, ctx));
}
