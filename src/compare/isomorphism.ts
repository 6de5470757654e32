/**
 * The three-phase isomorphism of earlier tools (verdicts.md "Compatibility with prior tools"), with
 * the fixes listed in docs/verdicts-decisions.md:
 *
 * - Phase 1, key overlap: |A ∩ B| / max(|A|, |B|) >= 0.80 over `architectureKeys` (quantization
 *   bookkeeping dropped, packed weights mapped to their logical key, so a quantized copy overlaps
 *   fully). Only when both sides have tensor names of the same naming scheme (safetensors/safetensors
 *   or gguf/gguf); otherwise (config-only, ONNX, mixed formats) keyOverlap is null and phase 1 is
 *   "same block graph" (topology, layer kinds, attention family, dense/MoE, FFN family, norm kind).
 * - Phase 2, substructure: same block graph (topology, layer kinds, attention family, FFN family,
 *   dense/MoE, norm kind) plus q/k norm, shared experts and norm placement; with tensors on both sides also the same set of tensor roles (fused q/k/v and
 *   gate/up projections count as their parts, so Phi-3's fused layout matches Llama's).
 * - Phase 3, uniform dimension scaling: with r = target/proxy hidden size, every other width moves
 *   with r within a factor of 2.25 (FFN width, expert width, query width = heads x head_dim); head_dim is
 *   either unchanged (the head_dim fix: families scale by adding heads) or scales with r within 25%;
 *   KV-head counts may differ freely inside one KV grouping (MHA / GQA / MQA), but the grouping must not
 *   change.
 *
 * ISOMORPHIC = all three pass; SCALE_ONLY = phases 1 and 2 pass; DIFFERENT_ARCH = phase 1 or 2 fails;
 * UNKNOWN = a side could not be fingerprinted or is empty, or phase 1 / 2 could not be decided.
 *
 * Everything is prepared once per fingerprint (`prepareIso`) so the all-pairs matrix only compares
 * small integers; `isomorphism()` is the one-pair convenience.
 */
import { FEATURE_REGISTRY } from "../fingerprint/features.js";
import { architectureKeys, QUANT_KINDS, TOWER_KINDS } from "../fingerprint/tensors.js";
import type { Features, Fingerprint, TensorKind } from "../fingerprint/types.js";
import type { Isomorphism, IsomorphismResult } from "./types.js";

/** Phase 1 threshold (prior tools). */
export const KEY_OVERLAP_THRESHOLD = 0.8;
/**
 * Phase 3: widths (FFN, expert, query) must move with the hidden size within this factor. Real families
 * change their FFN expansion by up to 2x (Qwen2.5-14B 2.7 x hidden vs Qwen2.5-7B/32B 5.3-5.4; OLMo-2
 * 7B/13B 2.7 vs 32B 5.4; Qwen3-0.6B's query width is 2 x hidden, Qwen3-8B's 1 x): 391 of 392
 * same-class corpus pairs pass at 2.25, only 211 would at 25% (docs/verdicts-decisions.md).
 */
export const WIDTH_TOLERANCE = 2.25;
/** Phase 3: a head_dim that changes must change like the hidden size within this factor. */
export const HEAD_DIM_TOLERANCE = 1.25;

/** Interns strings to small integers (shared by every fingerprint of one comparison batch). */
export class Interner {
  private readonly ids = new Map<string, number>();
  get size(): number {
    return this.ids.size;
  }
  id(s: string): number {
    let v = this.ids.get(s);
    if (v === undefined) {
      v = this.ids.size;
      this.ids.set(s, v);
    }
    return v;
  }
}

/** Feature id for a null value. */
export const NULL_ID = -2;

/** Features phase 1 falls back to without comparable tensor names: the block graph. */
const PHASE1_KEYS: ReadonlyArray<keyof Features> = FEATURE_REGISTRY.filter((f) => f.blockGraph).map((f) => f.key);
/**
 * Features of phase 2 (substructure): every block-graph feature (so a NO_SUBSTITUTE verdict always
 * comes with DIFFERENT_ARCH) plus q/k norm, shared experts and norm placement.
 */
const PHASE2_KEYS: ReadonlyArray<keyof Features> = ["topology", "layerKinds", "attentionFamily", "qkNorm", "ffnFamily", "moe", "sharedExperts", "normKind", "normPlacement"];

/**
 * What the blocks are made of. Topology and dense/MoE are block graph too, but a config states them
 * without saying anything about the blocks (`...ForCausalLM`, no experts): with all four of these
 * unknown a fingerprint is empty and is never compared (verdict and isomorphism UNKNOWN).
 */
export const STRUCTURE_KEYS: ReadonlyArray<keyof Features> = ["layerKinds", "attentionFamily", "ffnFamily", "normKind"];

/** Fingerprint with status ok but no block structure (see STRUCTURE_KEYS). */
export function isEmptyFingerprint(fp: Fingerprint): boolean {
  return STRUCTURE_KEYS.every((k) => fp.features[k] === null);
}
const ISO_KEYS: ReadonlyArray<keyof Features> = [...new Set([...PHASE1_KEYS, ...PHASE2_KEYS])];
const PHASE1_IDX = PHASE1_KEYS.map((k) => ISO_KEYS.indexOf(k));
const PHASE2_IDX = PHASE2_KEYS.map((k) => ISO_KEYS.indexOf(k));
const SHARED_IDX = ISO_KEYS.indexOf("sharedExperts");
const PHASE2_IDX_NO_SHARED = PHASE2_IDX.filter((i) => i !== SHARED_IDX);
const MOE_IDX = ISO_KEYS.indexOf("moe");

/** Tensor kinds that are not part of the decoder's substructure (phase 2 role sets). */
const NON_STRUCTURAL: ReadonlySet<TensorKind> = new Set<TensorKind>([...QUANT_KINDS, ...TOWER_KINDS, "lm_head", "buffer", "other", "mtp"]);
/** Fused kinds count as their parts. */
const FUSED: Partial<Record<TensorKind, TensorKind[]>> = {
  attn_qkv: ["attn_q", "attn_k", "attn_v"],
  ffn_gate_up: ["ffn_gate", "ffn_up"],
};

/** Everything the isomorphism needs from one fingerprint, precomputed. */
export interface IsoPrepared {
  model: string;
  unknown: boolean;
  /** Interned feature values for ISO_KEYS (NULL_ID when null). */
  feat: Int32Array;
  /** Naming scheme of the tensor names ("safetensors" | "gguf"), null when they are not comparable. */
  naming: string | null;
  /** Sorted interned architecture keys (null without comparable tensor names). */
  keys: Int32Array | null;
  /** Interned id of the whole key list (equal lists overlap fully without a merge). */
  keySet: number;
  /** Interned id of the structural tensor-role set (-1 without tensors). */
  roles: number;
  roleList: string | null;
  hidden: number | null;
  inter: number | null;
  moeInter: number | null;
  headDim: number | null;
  /** heads x head_dim (MLA: heads x (qk_nope + qk_rope)). */
  qWidth: number | null;
  kvGrouping: string | null;
  attentionFamily: string | null;
  /** MLA head dims without q_lora ("qk_nope=128,qk_rope=64,v=128"). */
  mlaDims: string | null;
  /** Natural logs of hidden, FFN, expert and query widths (NaN when unknown): phase 3 compares differences. */
  logs: Float64Array;
  /** Everything the isomorphism depends on, as one string: equal keys give equal results (matrix memo). */
  classKey: string;
}

const L_HIDDEN = 0;
const L_INTER = 1;
const L_MOE = 2;
const L_Q = 3;
const L_HEAD = 4;
const LOG_WIDTH_TOL = Math.log(WIDTH_TOLERANCE) + 1e-12;
const LOG_HEAD_TOL = Math.log(HEAD_DIM_TOLERANCE) + 1e-12;

function logOf(v: number | null): number {
  return v !== null && v > 0 ? Math.log(v) : NaN;
}

function valueKey(v: unknown): string {
  return Array.isArray(v) ? `[${v.join(",")}]` : `${typeof v}:${String(v)}`;
}

function mlaParts(mla: string | null): { dims: string; qk: number } | null {
  if (!mla) return null;
  const parts = new Map(mla.split(",").map((kv) => kv.split("=") as [string, string]));
  const nope = Number(parts.get("qk_nope"));
  const rope = Number(parts.get("qk_rope"));
  const v = parts.get("v");
  if (!Number.isFinite(nope) || !Number.isFinite(rope)) return null;
  return { dims: `qk_nope=${nope},qk_rope=${rope},v=${v ?? "?"}`, qk: nope + rope };
}

/** Tensor names are comparable only within one naming scheme (safetensors or GGUF; ONNX initializers are often anonymous). */
function namingScheme(fp: Fingerprint): string | null {
  const f = fp.source.format;
  if (fp.signature === null || Object.keys(fp.signature.keys).length === 0) return null;
  return f === "safetensors" || f === "gguf" ? f : null;
}

export function prepareIso(fp: Fingerprint, intern: Interner): IsoPrepared {
  const f = fp.features;
  const feat = new Int32Array(ISO_KEYS.length);
  ISO_KEYS.forEach((k, i) => {
    const v = f[k];
    feat[i] = v === null ? NULL_ID : intern.id(`${k}=${valueKey(v)}`);
  });
  const naming = fp.status === "ok" ? namingScheme(fp) : null;
  let keys: Int32Array | null = null;
  let keySet = -1;
  let roles = -1;
  let roleList: string | null = null;
  if (naming !== null && fp.signature) {
    const list = architectureKeys(fp.signature);
    keys = Int32Array.from(list.map((k) => intern.id(`key:${k}`))).sort();
    keySet = intern.id(`keyset:${naming}:${list.join("\n")}`);
    const set = new Set<string>();
    for (const [kind, n] of Object.entries(fp.signature.kinds) as [TensorKind, number][]) {
      if (!n || NON_STRUCTURAL.has(kind)) continue;
      for (const k of FUSED[kind] ?? [kind]) set.add(k);
    }
    roleList = [...set].sort().join(", ");
    roles = intern.id(`roles:${roleList}`);
  }
  const s = fp.scale;
  const mla = mlaParts(f.mla);
  const qWidth =
    f.attentionFamily === "mla"
      ? s.heads !== null && mla
        ? s.heads * mla.qk
        : null
      : s.heads !== null && f.headDim !== null
        ? s.heads * f.headDim
        : null;
  const logs = Float64Array.from([logOf(s.hiddenSize), logOf(s.intermediateSize), logOf(s.moeIntermediateSize), logOf(qWidth), logOf(f.headDim)]);
  const unknown = fp.status !== "ok" || isEmptyFingerprint(fp);
  const classKey = unknown
    ? "!"
    : [feat.join(","), naming, keySet, roles, s.hiddenSize, s.intermediateSize, s.moeIntermediateSize, qWidth, f.headDim, f.kvGrouping, f.attentionFamily, mla?.dims].join("|");
  return {
    model: fp.model,
    unknown,
    logs,
    classKey,
    feat,
    naming,
    keys,
    keySet,
    roles,
    roleList,
    hidden: s.hiddenSize,
    inter: s.intermediateSize,
    moeInter: s.moeIntermediateSize,
    headDim: f.headDim,
    qWidth,
    kvGrouping: f.kvGrouping,
    attentionFamily: f.attentionFamily,
    mlaDims: mla?.dims ?? null,
  };
}

/** |A ∩ B| / max(|A|, |B|) over two sorted id arrays. */
export function overlapRatio(a: Int32Array, b: Int32Array): number {
  const max = Math.max(a.length, b.length);
  if (max === 0) return 0;
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      common++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return common / max;
}

/** Cache of key overlaps between key sets (the matrix meets the same pair of sets many times). */
export type OverlapCache = Map<number, number>;

function sameIds(p: IsoPrepared, t: IsoPrepared, idx: readonly number[]): boolean | null {
  let unknown = false;
  for (const i of idx) {
    const a = p.feat[i]!;
    const b = t.feat[i]!;
    if (a === NULL_ID || b === NULL_ID) {
      unknown = true;
      continue;
    }
    if (a !== b) return false;
  }
  return unknown ? null : true;
}

function fmtRatio(r: number): string {
  return r.toFixed(3).replace(/\.?0+$/, "");
}

/** |log(width ratio) - log(hidden ratio)| within tol; null when a width is unknown. */
function widthOk(p: IsoPrepared, t: IsoPrepared, k: number, dh: number, tol: number): boolean | null {
  const a = p.logs[k]!;
  const b = t.logs[k]!;
  if (Number.isNaN(a) || Number.isNaN(b)) return null;
  return Math.abs(b - a - dh) <= tol;
}

/** Phase 3; `notes` (optional) receives the explanation. Allocation-free without notes. */
function scaling(p: IsoPrepared, t: IsoPrepared, notes: string[] | null): boolean | null {
  const lh = p.logs[L_HIDDEN]!;
  const th = t.logs[L_HIDDEN]!;
  if (Number.isNaN(lh) || Number.isNaN(th)) {
    notes?.push("phase 3: hidden size unknown on a side, scaling not checked");
    return null;
  }
  const dh = th - lh;
  const bothMla = p.attentionFamily === "mla" && t.attentionFamily === "mla";
  // head_dim: unchanged (the fix) or scaling like the hidden size.
  const headFail = bothMla
    ? p.mlaDims !== null && t.mlaDims !== null && p.mlaDims !== t.mlaDims
    : p.headDim !== null && t.headDim !== null && p.headDim !== t.headDim && widthOk(p, t, L_HEAD, dh, LOG_HEAD_TOL) === false;
  const ffnFail = widthOk(p, t, L_INTER, dh, LOG_WIDTH_TOL) === false;
  const moeFail = widthOk(p, t, L_MOE, dh, LOG_WIDTH_TOL) === false;
  const qFail = widthOk(p, t, L_Q, dh, LOG_WIDTH_TOL) === false;
  const kvFail = p.kvGrouping !== null && t.kvGrouping !== null && p.kvGrouping !== t.kvGrouping;
  const ok = !(headFail || ffnFail || moeFail || qFail || kvFail);
  if (notes) {
    const rh = Math.exp(dh);
    const x = (k: number) => fmtRatio(Math.exp(t.logs[k]! - p.logs[k]!));
    if (ok) {
      const hd = p.headDim !== null && p.headDim === t.headDim && Math.abs(dh) > 1e-12 ? `, head_dim unchanged (${p.headDim}): allowed` : "";
      notes.push(`phase 3: uniform scaling (hidden x${fmtRatio(rh)}${hd})`);
    } else {
      const fails: string[] = [];
      if (headFail) fails.push(bothMla ? `MLA head dims change (${p.mlaDims} -> ${t.mlaDims})` : `head_dim ${p.headDim} -> ${t.headDim} while hidden x${fmtRatio(rh)}`);
      if (ffnFail) fails.push(`FFN width x${x(L_INTER)} vs hidden x${fmtRatio(rh)}`);
      if (moeFail) fails.push(`expert width x${x(L_MOE)} vs hidden x${fmtRatio(rh)}`);
      if (qFail) fails.push(`query width (heads x head_dim) x${x(L_Q)} vs hidden x${fmtRatio(rh)}`);
      if (kvFail) fails.push(`KV grouping changes (${p.kvGrouping} -> ${t.kvGrouping})`);
      notes.push(`phase 3 fails: ${fails.join("; ")}`);
    }
  }
  return ok;
}

export interface IsoCore {
  verdict: Isomorphism;
  keyOverlap: number | null;
  phases: IsomorphismResult["phases"];
}

/** The isomorphism of two prepared fingerprints; `notes` (optional) receives the explanation. */
export function isoCompare(p: IsoPrepared, t: IsoPrepared, notes: string[] | null = null, cache?: OverlapCache): IsoCore {
  if (p.unknown || t.unknown) {
    notes?.push(`${p.unknown ? "proxy" : "target"} could not be fingerprinted (or its fingerprint is empty)`);
    return { verdict: "UNKNOWN", keyOverlap: null, phases: { keys: null, substructure: null, scaling: null } };
  }
  // Phase 1
  let keyOverlap: number | null = null;
  let keys: boolean | null;
  if (p.keys !== null && t.keys !== null && p.naming === t.naming) {
    if (p.keySet === t.keySet) keyOverlap = 1;
    else {
      const ck = p.keySet * 67_108_864 + t.keySet; // interned ids stay far below 2^26
      const hit = cache?.get(ck);
      if (hit !== undefined) keyOverlap = hit;
      else {
        keyOverlap = overlapRatio(p.keys, t.keys);
        cache?.set(ck, keyOverlap);
      }
    }
    keys = keyOverlap >= KEY_OVERLAP_THRESHOLD;
    notes?.push(`phase 1: key overlap ${keyOverlap.toFixed(3)} (${p.keys.length} vs ${t.keys.length} architecture keys, threshold ${KEY_OVERLAP_THRESHOLD})`);
  } else {
    keys = sameIds(p, t, PHASE1_IDX);
    if (notes) {
      const why =
        p.keys === null && t.keys === null
          ? "no comparable tensor names on either side"
          : p.keys === null || t.keys === null
            ? `no comparable tensor names on the ${p.keys === null ? "proxy" : "target"}`
            : `tensor names from different formats (${p.naming} vs ${t.naming})`;
      notes.push(`phase 1: ${why}; fallback = same block graph: ${keys === null ? "undetermined" : keys ? "yes" : "no"}`);
    }
  }
  // Phase 2
  let substructure = sameIds(p, t, PHASE2_IDX_NO_SHARED);
  // Shared experts only matter between two MoE models.
  if (substructure !== false && p.feat[MOE_IDX] === t.feat[MOE_IDX] && p.feat[SHARED_IDX] !== t.feat[SHARED_IDX]) {
    const a = p.feat[SHARED_IDX]!;
    const b = t.feat[SHARED_IDX]!;
    if (a !== NULL_ID && b !== NULL_ID) substructure = false;
  }
  if (substructure !== false && p.roles !== -1 && t.roles !== -1 && p.roles !== t.roles) {
    substructure = false;
    notes?.push(`phase 2: tensor roles differ ({${p.roleList}} vs {${t.roleList}})`);
  } else if (notes) {
    const differs = PHASE2_IDX.filter((i) => p.feat[i] !== NULL_ID && t.feat[i] !== NULL_ID && p.feat[i] !== t.feat[i]).map((i) => ISO_KEYS[i]);
    const what = substructure === null ? "undetermined (a feature is unknown)" : substructure ? "same" : `differs (${differs.join(", ")})`;
    notes.push(`phase 2: attention/FFN/norm substructure ${what}`);
  }
  // Phase 3
  const scale = scaling(p, t, notes);
  const phases = { keys, substructure, scaling: scale };
  let verdict: Isomorphism;
  if (keys === false || substructure === false) verdict = "DIFFERENT_ARCH";
  else if (keys === null || substructure === null) verdict = "UNKNOWN";
  else verdict = scale === true ? "ISOMORPHIC" : "SCALE_ONLY";
  return { verdict, keyOverlap, phases };
}

/** Three-phase isomorphism of a proxy and a target (compatibility with prior tools). */
export function isomorphism(proxy: Fingerprint, target: Fingerprint): IsomorphismResult {
  const intern = new Interner();
  const notes: string[] = [];
  const r = isoCompare(prepareIso(proxy, intern), prepareIso(target, intern), notes);
  return { verdict: r.verdict, keyOverlap: r.keyOverlap, phases: r.phases, notes };
}
