/**
 * The substitution verdict (verdicts.md): can proxy P stand in for target T in an inference
 * engine's tests? Code-path features are compared exactly (per FEATURE_REGISTRY), scale parameters
 * are reported as target/proxy ratios and never change the verdict.
 *
 * Rules (docs/verdicts-decisions.md has the reasoning and examples):
 * - UNKNOWN when a side's status is "unknown", or its block structure (layer kinds, attention family,
 *   FFN family, norm kind) is entirely unknown: an empty fingerprint is never compared. The error
 *   names the side, the model and why.
 * - Per feature, each side is a value, "n/a" or "unknown". A null is n/a when its gate says the
 *   feature does not apply (KV grouping / head_dim without standard attention, MLA dims without MLA,
 *   biases and q/k norm without attention, RoPE details without RoPE, routing details of a dense
 *   model); otherwise it is unknown.
 *   - n/a on both sides: equal (covered).
 *   - n/a on the target only: not a target feature, nothing to cover.
 *   - n/a on the proxy only, because the gate differs: folded into the gate's reason (its note lists
 *     what the target's path also uses), not a separate reason.
 *   - unknown on one side: `unverified`, and the verdict is at best PARTIAL (never silently FULL).
 *   - unknown on both sides: `unverified` ("unknown on both sides"); it caps the verdict only for a
 *     block-graph feature.
 * - Values are compared by code path: exact, except rotary fraction (full vs partial), grouped top-k
 *   (grouped vs not) and dense-layer prefix (none vs some), whose numbers are parameters of one path
 *   (a differing number is a note). Engine aliases make two architecture classes equal (extra "engine
 *   alias").
 * - Directional: `modality` is covered when the proxy's towers include the target's (an extra tower
 *   is an extra); `nopeLayers` is covered when the proxy has NoPE layers and the target has none.
 * - Verdict: a block-graph reason -> NO_SUBSTITUTE; any reason or one-sided unknown ->
 *   PARTIAL_SUBSTITUTE; else FULL_SUBSTITUTE.
 *
 * The same core (`evaluate`) drives full comparisons and the compact matrix, so the two always agree.
 */
import { FEATURE_REGISTRY, SCALE_REGISTRY, scaleRatio } from "../fingerprint/features.js";
import type { Features, Fingerprint } from "../fingerprint/types.js";
import { Interner, isEmptyFingerprint, isoCompare, prepareIso, type IsoPrepared, type OverlapCache } from "./isomorphism.js";
import type { CompareOptions, Comparison, IsomorphismResult, Reason, ScaleRatio, Verdict } from "./types.js";

type FeatureKey = keyof Features;
type FeatureValue = Features[FeatureKey];

const FEATURES = FEATURE_REGISTRY;
const N = FEATURES.length;
const INDEX = new Map<FeatureKey, number>(FEATURES.map((f, i) => [f.key, i]));
function ix(k: FeatureKey): number {
  const i = INDEX.get(k);
  if (i === undefined) throw new Error(`feature ${k} is not in FEATURE_REGISTRY`);
  return i;
}
const BLOCK: readonly boolean[] = FEATURES.map((f) => f.blockGraph);
const POW2: readonly number[] = FEATURES.map((_, i) => 2 ** i);

/** Reason order: block graph first, then verdicts.md group order (= registry order). */
export const REPORT_ORDER: readonly number[] = [...FEATURES.keys()].sort((a, b) => Number(BLOCK[b]) - Number(BLOCK[a]) || a - b);

/** Feature keys in reason order (block graph first). */
export const REASON_ORDER: readonly FeatureKey[] = REPORT_ORDER.map((i) => FEATURES[i]!.key);

/** Dependent features and the gate that makes them applicable. */
const GATES: ReadonlyArray<{ gate: FeatureKey; applies: (v: FeatureValue) => boolean; deps: FeatureKey[] }> = [
  { gate: "attentionFamily", applies: (v) => v === "standard", deps: ["kvGrouping", "headDim"] },
  { gate: "attentionFamily", applies: (v) => v === "mla", deps: ["mla"] },
  { gate: "attentionFamily", applies: (v) => v === "standard" || v === "mla", deps: ["qkvBias", "outputBias", "qkNorm"] },
  { gate: "positionEncoding", applies: (v) => v === "rope", deps: ["ropeType", "partialRotary", "ropeStyle", "nopeLayers"] },
  {
    gate: "moe",
    applies: (v) => v === true,
    deps: ["moeTopK", "sharedExperts", "routerScoring", "groupedTopK", "denseLayerPrefix", "routerTopKNorm", "routerBias"],
  },
];
const GATE_OF = new Int32Array(N).fill(-1);
const APPLIES: Array<((v: FeatureValue) => boolean) | null> = FEATURES.map(() => null);
for (const g of GATES) {
  for (const d of g.deps) {
    GATE_OF[ix(d)] = ix(g.gate);
    APPLIES[ix(d)] = g.applies;
  }
}

const ARCH = ix("architecture");
const MODALITY = ix("modality");
const NOPE = ix("nopeLayers");

/** Feature state: interned value id (>= 0), not applicable, or unknown. */
const NA = -1;
const UNK = -2;

/** The code path a value selects (see the module comment); equal strings = same path. */
export function codePath(key: FeatureKey, v: NonNullable<FeatureValue>): string {
  switch (key) {
    case "partialRotary":
      return (v as number) >= 1 ? "full rotary" : "partial rotary";
    case "groupedTopK":
      return (v as number) > 1 ? "grouped top-k" : "not grouped";
    case "denseLayerPrefix":
      return (v as number) > 0 ? "dense layer prefix" : "no dense layers";
    default:
      return Array.isArray(v) ? `[${v.join(",")}]` : `${typeof v}:${String(v)}`;
  }
}

/** Everything the verdict needs from one fingerprint, precomputed (interned small integers). */
export interface Prepared {
  fp: Fingerprint;
  model: string;
  /** Why this side cannot be compared, without the role ("could not be fingerprinted: ..."), or null. */
  problem: string | null;
  /** Per FEATURE_REGISTRY index: value id, NA or UNK. */
  state: Int32Array;
  /** Modality towers as a bit mask (0 = text only). */
  towers: number;
  iso: IsoPrepared;
  /** Verdict class: fingerprints of one class get the same verdict core against anything (matrix memo). */
  vclass: number;
  /** Isomorphism class (same idea for isoCompare). */
  iclass: number;
}

interface Outcome {
  verdict: Verdict;
  /** Sum of 2^i over reason feature indices. */
  mask: number;
}

function sideProblem(fp: Fingerprint): string | null {
  if (fp.status !== "ok") {
    const e = fp.error;
    const why = e ? `${e.message}${e.hint && !e.message.includes(e.hint) ? ` (${e.hint})` : ""}${e.code ? ` [${e.code}]` : ""}` : "no reason recorded";
    return `could not be fingerprinted: ${why}`;
  }
  const f = fp.features;
  if (isEmptyFingerprint(fp)) {
    const arch = f.architecture ? ` (unrecognized architecture ${f.architecture}?)` : "";
    return `has an empty fingerprint: its block structure (layer kinds, attention family, FFN family, norm kind) is unknown${arch}; not compared`;
  }
  return null;
}


function fmt(i: number, v: FeatureValue): string {
  return FEATURES[i]!.format(v);
}

function towerNote(towers: readonly string[], what: string): string {
  return `${towers.join(", ")} tower${towers.length > 1 ? "s" : ""} ${what}`;
}

/** Collects the human-facing parts of one comparison (full comparisons only; the matrix skips it). */
class Detail {
  readonly reasons: Reason[] = [];
  readonly extras: Reason[] = [];
  readonly unverified: Reason[] = [];
  readonly covered = new Set<number>();
  readonly notes: string[] = [];
  private readonly gateReason = new Map<number, Reason>();
  private readonly folded = new Map<number, string[]>();
  constructor(
    private readonly p: Features,
    private readonly t: Features,
  ) {}

  private make(i: number, note?: string): Reason {
    const info = FEATURES[i]!;
    return {
      feature: info.key,
      group: info.group,
      label: info.label,
      proxy: fmt(i, this.p[info.key]),
      target: fmt(i, this.t[info.key]),
      blockGraph: info.blockGraph,
      ...(note ? { note } : {}),
    };
  }
  reason(i: number, note?: string): void {
    const r = this.make(i, note);
    this.reasons.push(r);
    this.gateReason.set(i, r);
  }
  extra(i: number, note: string): void {
    this.extras.push(this.make(i, note));
  }
  unknown(i: number, note: string): void {
    this.unverified.push(this.make(i, note));
  }
  cover(i: number): void {
    this.covered.add(i);
  }
  /** Equal code path: note a differing parameter or an engine alias. */
  same(i: number): void {
    this.covered.add(i);
    const k = FEATURES[i]!.key;
    const a = this.p[k];
    const b = this.t[k];
    if (a === b || JSON.stringify(a) === JSON.stringify(b)) return;
    if (i === ARCH) this.extra(i, "engine alias");
    else this.notes.push(`${FEATURES[i]!.label}: ${fmt(i, a)} vs ${fmt(i, b)}: same code path (${codePath(k, a as NonNullable<FeatureValue>)}), not a reason`);
  }
  /** Dependent n/a on the proxy because its gate differs: goes into the gate's reason note. */
  fold(i: number, gate: number): void {
    const v = this.t[FEATURES[i]!.key];
    if (v === null) return;
    const list = this.folded.get(gate) ?? [];
    list.push(`${FEATURES[i]!.label} ${fmt(i, v)}`);
    this.folded.set(gate, list);
  }
  finish(): void {
    for (const [gate, list] of this.folded) {
      const r = this.gateReason.get(gate);
      if (!r) continue;
      const add = `the target's path also uses: ${list.join("; ")}`;
      r.note = r.note ? `${r.note}; ${add}` : add;
    }
  }
}

/** Prepares fingerprints once and compares them (full comparisons or compact matrix cells). */
export class CompareContext {
  private readonly intern = new Interner();
  private readonly towerBits = new Map<string, number>();
  private readonly alias = new Map<string, string>();
  private readonly cache = new Map<Fingerprint, Prepared>();
  private readonly vclasses = new Interner();
  private readonly iclasses = new Interner();
  readonly overlaps: OverlapCache = new Map();

  constructor(opts: CompareOptions = {}) {
    // Union of the alias groups (a class listed in two groups joins them: it has one implementation).
    const parent = new Map<string, string>();
    const find = (x: string): string => {
      let r = x;
      while (parent.get(r) !== undefined && parent.get(r) !== r) r = parent.get(r)!;
      parent.set(x, r);
      return r;
    };
    for (const group of opts.aliases ?? []) {
      for (const cls of group) if (!parent.has(cls)) parent.set(cls, cls);
      for (const cls of group.slice(1)) {
        const a = find(group[0]!);
        const b = find(cls);
        if (a !== b) parent.set(a < b ? b : a, a < b ? a : b);
      }
    }
    for (const cls of parent.keys()) {
      const rep = find(cls);
      if (rep !== cls) this.alias.set(cls, rep);
    }
  }

  prepare(fp: Fingerprint): Prepared {
    const hit = this.cache.get(fp);
    if (hit) return hit;
    const f = fp.features;
    const state = new Int32Array(N);
    for (let i = 0; i < N; i++) {
      const key = FEATURES[i]!.key;
      const v = f[key];
      if (v === null) {
        const g = GATE_OF[i]!;
        const gv = g >= 0 ? f[FEATURES[g]!.key] : null;
        state[i] = gv !== null && !APPLIES[i]!(gv) ? NA : UNK;
        continue;
      }
      const path = i === ARCH ? `string:${this.alias.get(v as string) ?? (v as string)}` : codePath(key, v);
      state[i] = this.intern.id(`${i}|${path}`);
    }
    let towers = 0;
    for (const tw of f.modality ?? []) {
      let bit = this.towerBits.get(tw);
      if (bit === undefined) {
        if (this.towerBits.size >= 30) throw new Error("too many distinct modality towers");
        bit = 1 << this.towerBits.size;
        this.towerBits.set(tw, bit);
      }
      towers |= bit;
    }
    const problem = sideProblem(fp);
    const iso = prepareIso(fp, this.intern);
    const vclass = this.vclasses.id(problem !== null ? "!" : state.join(","));
    const iclass = this.iclasses.id(iso.classKey);
    const p: Prepared = { fp, model: fp.model, problem, state, towers, iso, vclass, iclass };
    this.cache.set(fp, p);
    return p;
  }

  /** The verdict core; `d` (full comparisons) receives the reasons, extras, notes. */
  evaluate(p: Prepared, t: Prepared, d: Detail | null): Outcome {
    if (p.problem !== null || t.problem !== null) return { verdict: "UNKNOWN", mask: 0 };
    let mask = 0;
    let block = false;
    let capped = false;
    const ps_ = p.state;
    const ts_ = t.state;
    for (const i of REPORT_ORDER) {
      const ts = ts_[i]!;
      const ps = ps_[i]!;
      if (ts === NA) {
        if (ps === NA) d?.cover(i);
        continue;
      }
      if (ps === NA) {
        const g = GATE_OF[i]!;
        if (g >= 0 && ts_[g]! >= 0 && ps_[g]! >= 0 && ts_[g] !== ps_[g]) {
          d?.fold(i, g);
          continue;
        }
        if (ts === UNK) {
          capped = true;
          d?.unknown(i, "unknown on the target, not applicable on the proxy");
          continue;
        }
        mask += POW2[i]!;
        if (BLOCK[i]) block = true;
        d?.reason(i, "not applicable on the proxy");
        continue;
      }
      if (ts === UNK || ps === UNK) {
        const both = ts === ps;
        if (!both || BLOCK[i]) capped = true;
        d?.unknown(i, both ? `unknown on both sides${BLOCK[i] ? ": block graph not verified" : ""}` : ts === UNK ? "unknown on the target" : "unknown on the proxy");
        continue;
      }
      if (i === MODALITY) {
        const missing = t.towers & ~p.towers;
        if (missing !== 0) {
          mask += POW2[i]!;
          if (d) d.reason(i, towerNote(this.towerNames(missing), "uncovered"));
        } else d?.cover(i);
        const extra = p.towers & ~t.towers;
        if (d && extra !== 0) d.extra(i, `proxy has an extra ${towerNote(this.towerNames(extra), "(not needed by the target)")}`);
        continue;
      }
      if (ps === ts) {
        d?.same(i);
        continue;
      }
      if (i === NOPE && p.fp.features.nopeLayers === true && t.fp.features.nopeLayers === false) {
        d?.cover(i);
        d?.extra(i, "proxy also has NoPE layers; its RoPE layers exercise the target's path");
        continue;
      }
      mask += POW2[i]!;
      if (BLOCK[i]) block = true;
      d?.reason(i);
    }
    d?.finish();
    const verdict: Verdict = block ? "NO_SUBSTITUTE" : mask > 0 || capped ? "PARTIAL_SUBSTITUTE" : "FULL_SUBSTITUTE";
    return { verdict, mask };
  }

  private towerNames(mask: number): string[] {
    return [...this.towerBits].filter(([, bit]) => (mask & bit) !== 0).map(([name]) => name).sort();
  }

  /** Full comparison of two prepared fingerprints. */
  compare(p: Prepared, t: Prepared): Comparison {
    const pf = p.fp;
    const tf = t.fp;
    const scale: ScaleRatio[] = SCALE_REGISTRY.map((s) => ({
      key: s.key,
      label: s.label,
      proxy: pf.scale[s.key],
      target: tf.scale[s.key],
      ratio: scaleRatio(tf.scale[s.key], pf.scale[s.key]),
    }));
    const isoNotes: string[] = [];
    const iso = isoCompare(p.iso, t.iso, isoNotes, this.overlaps);
    const isomorphism: IsomorphismResult = { verdict: iso.verdict, keyOverlap: iso.keyOverlap, phases: iso.phases, notes: isoNotes };
    if (p.problem !== null || t.problem !== null) {
      const error = [
        ...(t.problem !== null ? [`target ${t.model} ${t.problem}`] : []),
        ...(p.problem !== null ? [`proxy ${p.model} ${p.problem}`] : []),
      ].join("; ");
      return { target: t.model, proxy: p.model, verdict: "UNKNOWN", reasons: [], extras: [], unverified: [], covered: [], scale, isomorphism, error, notes: [] };
    }
    const d = new Detail(pf.features, tf.features);
    const out = this.evaluate(p, t, d);
    const covered = [...FEATURES.keys()].filter((i) => d.covered.has(i)).map((i) => FEATURES[i]!.key);
    return {
      target: t.model,
      proxy: p.model,
      verdict: out.verdict,
      reasons: d.reasons,
      extras: d.extras,
      unverified: d.unverified,
      covered,
      scale,
      isomorphism,
      notes: d.notes,
    };
  }

  /** Number of verdict / isomorphism classes prepared so far. */
  get classCounts(): { verdict: number; isomorphism: number } {
    return { verdict: this.vclasses.size, isomorphism: this.iclasses.size };
  }

  /**
   * A compact-cell evaluator for one matrix run: memoizes the verdict core per (proxy class, target
   * class) and the isomorphism per (proxy iso class, target iso class) in dense typed tables when the
   * class counts allow (<= 2,048 classes), and interns the `uncovered` arrays (frozen, shared).
   * Call after preparing every fingerprint of the run.
   */
  cells(memoClasses = MEMO_CLASSES): (p: Prepared, t: Prepared) => MatrixCellCore {
    const VC = this.vclasses.size;
    const IC = this.iclasses.size;
    const vtab = VC <= memoClasses ? new Int32Array(VC * VC).fill(-1) : null;
    const itab = IC <= memoClasses ? new Int8Array(IC * IC).fill(-1) : null;
    const lists: (readonly string[])[] = [];
    const listOf = new Map<number, number>();
    const compute = (p: Prepared, t: Prepared): number => {
      const out = this.evaluate(p, t, null);
      let li = listOf.get(out.mask);
      if (li === undefined) {
        li = lists.length;
        lists.push(Object.freeze(maskKeys(out.mask)));
        listOf.set(out.mask, li);
      }
      return li * 4 + VERDICTS.indexOf(out.verdict);
    };
    return (p, t) => {
      let code: number;
      if (vtab) {
        const k = p.vclass * VC + t.vclass;
        code = vtab[k]!;
        if (code < 0) vtab[k] = code = compute(p, t);
      } else code = compute(p, t);
      let iso: number;
      if (itab) {
        const k = p.iclass * IC + t.iclass;
        iso = itab[k]!;
        if (iso < 0) itab[k] = iso = ISOS.indexOf(isoCompare(p.iso, t.iso, null, this.overlaps).verdict);
      } else iso = ISOS.indexOf(isoCompare(p.iso, t.iso, null, this.overlaps).verdict);
      return { verdict: VERDICTS[code & 3]!, uncovered: lists[code >> 2]!, isomorphism: ISOS[iso]! };
    };
  }
}

/** Dense memo tables up to this many classes (2,048^2 x 4 bytes = 16 MB). */
const MEMO_CLASSES = 2048;
const VERDICTS: readonly Verdict[] = ["FULL_SUBSTITUTE", "PARTIAL_SUBSTITUTE", "NO_SUBSTITUTE", "UNKNOWN"];
const ISOS: readonly IsomorphismResult["verdict"][] = ["ISOMORPHIC", "SCALE_ONLY", "DIFFERENT_ARCH", "UNKNOWN"];

export interface MatrixCellCore {
  verdict: Verdict;
  uncovered: readonly string[];
  isomorphism: IsomorphismResult["verdict"];
}

/** Feature keys of a reason mask, in reason order. */
export function maskKeys(mask: number): string[] {
  const out: string[] = [];
  if (mask === 0) return out;
  for (const i of REPORT_ORDER) if (Math.floor(mask / POW2[i]!) % 2 === 1) out.push(FEATURES[i]!.key);
  return out;
}

/** Compares proxy P against target T: "if an engine's tests pass on P, which of T's code paths are exercised?" */
export function compareFingerprints(proxy: Fingerprint, target: Fingerprint, opts: CompareOptions = {}): Comparison {
  const ctx = new CompareContext(opts);
  return ctx.compare(ctx.prepare(proxy), ctx.prepare(target));
}
