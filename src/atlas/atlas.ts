/**
 * Module atlas (ParamAtlas parity, from tensor names only): the module tree of a checkpoint with
 * direct and total parameter counts, depth, parent, layer / expert index, block kind, router and
 * expert flags, and the MoE group (the lowest module holding both a router and routed experts,
 * ParamAtlas' "nearest expert container").
 *
 * A tensor `a.b.c.weight` is a direct parameter of module `a.b.c`; every dotted prefix is a module.
 *
 * Counting (docs/integrity.md "Module atlas"):
 * - `params` follows `countParams` exactly (the fingerprint's `params.total`): logical parameters,
 *   packed quantized weights multiplied by their packing factor (GPTQ/AWQ qweight x 32/bits, MXFP4
 *   blocks x2, NVFP4 U8 x2, MLX U32 x 32/bits), quantization bookkeeping (scales, zeros, g_idx, ...)
 *   and scalars (shape []) counted as 0, stored buffers counted;
 * - `elements` is the plain header sum prod(shape) of every tensor (scalars count 1, bookkeeping
 *   included): what the headers hold;
 * - `bytes` is end - begin of every tensor.
 * The root's totals equal the header totals exactly (checked in `atlas.checks`).
 *
 * Linear in the number of tensors (names are split once; classification is cached per abstract key).
 */
import { logicalParams, QUANT_KINDS } from "../fingerprint/tensors.js";
import type { Fingerprint, TensorKind } from "../fingerprint/types.js";
import type { TensorRecord } from "../sources/types.js";
import { EXPERT_CONTAINERS, indexTensors, isDigits, LAYER_CONTAINERS } from "./module-index.js";

export { isDigits };

export interface Counts {
  params: number;
  elements: number;
  bytes: number;
  tensors: number;
}

export type BlockKind =
  | "model"
  | "stack"
  | "layer"
  | "attention"
  | "mlp"
  | "moe"
  | "experts"
  | "expert"
  | "shared_expert"
  | "router"
  | "norm"
  | "embedding"
  | "lm_head"
  | "vision"
  | "audio"
  | "projector"
  | "mamba"
  | "linear_attention"
  | "conv"
  | "mtp"
  | "block"
  | "other";

export interface AtlasModule {
  /** Dotted module path; "" for the root (the whole model). */
  path: string;
  /** Last segment (the model id for the root). */
  name: string;
  parent: string | null;
  depth: number;
  /** Layer index (the first numeric segment after a layer container such as `layers` / `h` / `blocks`). */
  layer: number | null;
  /** Expert index (after `experts` / `local_experts`). */
  expert: number | null;
  blockKind: BlockKind;
  isRouter: boolean;
  /** Routed expert (or a container of routed experts only). */
  isExpert: boolean;
  isSharedExpert: boolean;
  /** Path of the MoE group this module belongs to (or is), else null. */
  moeGroup: string | null;
  direct: Counts;
  total: Counts;
  /** Sorted dtypes of the direct tensors. */
  dtypes: string[];
  /** Direct tensors: leaf name, dtype, shape. */
  tensors: { leaf: string; dtype: string; shape: number[] }[];
  /** Child paths, numeric segments in numeric order, named ones alphabetically. */
  children: string[];
  /** Structural signature id: equal ids = identical subtrees (names, shapes, dtypes). For folding. */
  sig: number;
}

export interface AtlasRouter {
  path: string;
  layer: number | null;
  moeGroup: string | null;
  /** Rows of the router weight (experts scored). */
  experts: number | null;
  hidden: number | null;
  dtype: string | null;
  params: number;
  /** Has a bias / score-correction bias. */
  bias: boolean;
}

export interface AtlasExpert {
  path: string;
  layer: number | null;
  moeGroup: string | null;
  /** Expert index, or null for stacked experts (one module holding all of them). */
  expert: number | null;
  /** Experts this row stands for (1, or E for stacked tensors [E, ...]). */
  units: number;
  params: number;
  tensors: number;
  dtypes: string[];
}

export interface AtlasMoeGroup {
  path: string;
  layer: number | null;
  routers: number;
  /** Routed expert units. */
  experts: number;
  sharedExperts: number;
  routedParams: number;
  sharedParams: number;
  routerParams: number;
  /** At least one router and one expert (ParamAtlas' group check). */
  ok: boolean;
}

export interface AtlasCheck {
  name: string;
  ok: boolean;
  message: string;
}

export interface Atlas {
  model: string;
  /** Pre-order (parents before children). modules[0] is the root. */
  modules: AtlasModule[];
  /** Root totals. */
  totals: Counts;
  /** Totals computed straight from the tensor list (must equal `totals`). */
  header: Counts;
  routers: AtlasRouter[];
  experts: AtlasExpert[];
  moeGroups: AtlasMoeGroup[];
  checks: AtlasCheck[];
  /** Weight format used for packing factors. */
  weightFormat: string | null;
}

// ---- categories of tensors (bit mask), from the tensor kind (the role for quantization bookkeeping)
const C_ATT = 1 << 0;
const C_FFN = 1 << 1;
const C_EXPERT = 1 << 2;
const C_SHARED = 1 << 3;
const C_ROUTER = 1 << 4;
const C_NORM = 1 << 5;
const C_EMB = 1 << 6;
const C_HEAD = 1 << 7;
const C_VISION = 1 << 8;
const C_AUDIO = 1 << 9;
const C_PROJ = 1 << 10;
const C_MAMBA = 1 << 11;
const C_LINATT = 1 << 12;
const C_CONV = 1 << 13;
const C_MTP = 1 << 14;
const C_OTHER = 1 << 15;

const CATEGORY: Partial<Record<TensorKind, number>> = {
  embedding: C_EMB,
  position_embedding: C_EMB,
  lm_head: C_HEAD,
  attn_q: C_ATT,
  attn_k: C_ATT,
  attn_v: C_ATT,
  attn_qkv: C_ATT,
  attn_o: C_ATT,
  attn_q_norm: C_ATT,
  attn_k_norm: C_ATT,
  attn_sinks: C_ATT,
  mla_q_a: C_ATT,
  mla_q_b: C_ATT,
  mla_q_a_norm: C_ATT,
  mla_kv_a: C_ATT,
  mla_kv_b: C_ATT,
  mla_kv_a_norm: C_ATT,
  attn_indexer: C_ATT,
  cross_attn_gate: C_ATT,
  ffn_gate: C_FFN,
  ffn_up: C_FFN,
  ffn_gate_up: C_FFN,
  ffn_down: C_FFN,
  moe_router: C_ROUTER,
  moe_router_bias: C_ROUTER,
  expert: C_EXPERT,
  shared_expert: C_SHARED,
  norm: C_NORM,
  final_norm: C_NORM,
  vision: C_VISION,
  audio: C_AUDIO,
  projector: C_PROJ,
  mamba: C_MAMBA,
  linear_attention: C_LINATT,
  conv: C_CONV,
  mtp: C_MTP,
};

const SINGLE_KIND: ReadonlyMap<number, BlockKind> = new Map<number, BlockKind>([
  [C_ATT, "attention"],
  [C_FFN, "mlp"],
  [C_EXPERT, "expert"],
  [C_SHARED, "shared_expert"],
  [C_ROUTER, "router"],
  [C_NORM, "norm"],
  [C_EMB, "embedding"],
  [C_HEAD, "lm_head"],
  [C_VISION, "vision"],
  [C_AUDIO, "audio"],
  [C_PROJ, "projector"],
  [C_MAMBA, "mamba"],
  [C_LINATT, "linear_attention"],
  [C_CONV, "conv"],
  [C_MTP, "mtp"],
  [C_OTHER, "other"],
]);

/** Per-tensor parameter count, exactly as `countParams` counts it. */
/** Logical parameters of one tensor, exactly as countParams counts them. */
export const tensorParams = logicalParams;

function tensorElements(t: TensorRecord): number {
  let e = 1;
  for (const d of t.shape) e *= d;
  return Number.isFinite(e) ? e : 0;
}

function tensorBytes(t: TensorRecord): number {
  const b = t.end - t.begin;
  return Number.isFinite(b) && b > 0 ? b : 0;
}

interface TrieNode {
  id: number;
  next: Map<number, TrieNode>;
}

function zero(): Counts {
  return { params: 0, elements: 0, bytes: 0, tensors: 0 };
}

/**
 * Build the atlas of a checkpoint from its tensor list. `fp` gives the model id and the weight
 * format (for the packing factors, as the fingerprint counted them).
 */
export function buildAtlas(tensors: readonly TensorRecord[], fp: Pick<Fingerprint, "model" | "weightFormat">): Atlas {
  const format = fp.weightFormat;
  const T = tensors.length;

  // ---- pass 1: every tensor into its module (flat arrays, no per-tensor objects)
  const tParams = new Float64Array(T);
  const tElems = new Float64Array(T);
  const tBytes = new Float64Array(T);
  const tMask = new Int32Array(T);
  const ix = indexTensors(tensors);
  const index = ix.index;
  const nodeOf = ix.mod;
  const leafOf = ix.leaf;
  const header = zero();
  // a structural id per tensor (leaf, dtype, shape), through a trie of numeric keys: no strings
  const desc = new Int32Array(T);
  const trie: TrieNode = { id: -1, next: new Map() };
  let descCount = 0;
  const step = (n: TrieNode, k: number): TrieNode => {
    let c = n.next.get(k);
    if (c === undefined) n.next.set(k, (c = { id: -1, next: new Map() }));
    return c;
  };
  for (let i = 0; i < T; i++) {
    const t = tensors[i]!;
    const cls = ix.cls[i]!;
    let node = step(step(step(trie, ix.leafId[i]!), ix.dtypeId[i]!), t.shape.length);
    for (const d of t.shape) node = step(node, d);
    if (node.id < 0) node.id = descCount++;
    desc[i] = node.id;
    const p = tensorParams(t, cls, format);
    const e = tensorElements(t);
    const b = tensorBytes(t);
    tParams[i] = p;
    tElems[i] = e;
    tBytes[i] = b;
    header.params += p;
    header.elements += e;
    header.bytes += b;
    header.tensors++;
    // bookkeeping and buffers sit next to the weight they belong to: they do not decide the kind
    tMask[i] = QUANT_KINDS.has(cls.kind) || cls.leaf === "buffer" ? 0 : (CATEGORY[cls.kind] ?? C_OTHER);
  }

  const E = index.entries;
  const N = E.length;
  // tensors per node (counting sort), children per node
  const tStart = new Int32Array(N + 1);
  for (let i = 0; i < T; i++) tStart[nodeOf[i]! + 1]!++;
  for (let n = 0; n < N; n++) tStart[n + 1]! += tStart[n]!;
  const tList = new Int32Array(T);
  const fill = tStart.slice(0, N);
  for (let i = 0; i < T; i++) tList[fill[nodeOf[i]!]!++] = i;
  const children: number[][] = Array.from({ length: N }, () => []);
  for (let n = 1; n < N; n++) children[E[n]!.parent]!.push(n);
  const numOrName = (a: number, b: number): number => {
    const x = E[a]!.name;
    const y = E[b]!.name;
    const dx = isDigits(x);
    const dy = isDigits(y);
    if (dx && dy) return Number(x) - Number(y);
    if (dx !== dy) return dx ? 1 : -1;
    return x < y ? -1 : x > y ? 1 : 0;
  };
  for (const ch of children) if (ch.length > 1) ch.sort(numOrName);

  // pre-order
  const order: number[] = [];
  {
    const stack = [0];
    while (stack.length > 0) {
      const id = stack.pop()!;
      order.push(id);
      const ch = children[id]!;
      for (let k = ch.length - 1; k >= 0; k--) stack.push(ch[k]!);
    }
  }

  // ---- bottom-up: direct and total counts, kind masks, structural signatures
  const dir: Counts[] = new Array(N);
  const tot: Counts[] = new Array(N);
  const mask = new Int32Array(N);
  const sig = new Int32Array(N);
  const intern = new Map<string, number>();
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k]!;
    const d = zero();
    let m = 0;
    const direct: number[] = [];
    for (let j = tStart[n]!; j < tStart[n + 1]!; j++) {
      const i = tList[j]!;
      d.params += tParams[i]!;
      d.elements += tElems[i]!;
      d.bytes += tBytes[i]!;
      d.tensors++;
      m |= tMask[i]!;
      direct.push(desc[i]!);
    }
    const total = { ...d };
    const parts: string[] = [];
    let prev = "";
    let run = 0;
    for (const c of children[n]!) {
      const ct = tot[c]!;
      total.params += ct.params;
      total.elements += ct.elements;
      total.bytes += ct.bytes;
      total.tensors += ct.tensors;
      m |= mask[c]!;
      const item = `${isDigits(E[c]!.name) ? "#" : E[c]!.name}=${sig[c]}`;
      if (item === prev) run++;
      else {
        if (run > 0) parts.push(run > 1 ? `${prev}*${run}` : prev);
        prev = item;
        run = 1;
      }
    }
    if (run > 0) parts.push(run > 1 ? `${prev}*${run}` : prev);
    if (direct.length > 1) direct.sort((x, y) => x - y);
    const s = `${direct.join(";")}|${parts.join(",")}`;
    let id = intern.get(s);
    if (id === undefined) intern.set(s, (id = intern.size + 1));
    dir[n] = d;
    tot[n] = total;
    mask[n] = m;
    sig[n] = id;
  }

  // ---- MoE groups: the lowest modules whose subtree holds a router and routed experts
  const both = C_ROUTER | C_EXPERT;
  const group = new Int32Array(N).fill(-1);
  for (let k = order.length - 1; k >= 0; k--) {
    const n = order[k]!;
    if ((mask[n]! & both) !== both) continue;
    if (children[n]!.some((c) => (mask[c]! & both) === both)) continue;
    group[n] = n;
  }
  for (const n of order) if (group[n]! < 0 && n > 0) group[n] = group[E[n]!.parent]!;

  // ---- modules
  const modules: AtlasModule[] = [];
  for (const n of order) {
    const e = E[n]!;
    const m = mask[n]!;
    const parentName = e.parent >= 0 ? E[e.parent]!.name : "";
    const isLayer = isDigits(e.name) && LAYER_CONTAINERS.has(parentName) && e.layer !== null && E[e.parent]!.layer === null;
    const ch = children[n]!;
    let kind: BlockKind;
    if (n === 0) kind = "model";
    else if (m === C_VISION || m === C_AUDIO || m === C_PROJ) kind = SINGLE_KIND.get(m)!;
    else if (group[n] === n) kind = "moe";
    else if (isLayer) kind = "layer";
    else if (m === C_EXPERT) kind = EXPERT_CONTAINERS.has(e.name) && ch.some((c) => isDigits(E[c]!.name)) ? "experts" : "expert";
    else if (SINGLE_KIND.has(m)) kind = SINGLE_KIND.get(m)!;
    else if (m === (C_ATT | C_NORM)) kind = "attention";
    else if (ch.length > 0 && LAYER_CONTAINERS.has(e.name) && ch.every((c) => isDigits(E[c]!.name))) kind = "stack";
    else kind = "block";
    const dtypes: string[] = [];
    const own: AtlasModule["tensors"] = [];
    for (let j = tStart[n]!; j < tStart[n + 1]!; j++) {
      const t = tensors[tList[j]!]!;
      if (!dtypes.includes(t.dtype)) dtypes.push(t.dtype);
      own.push({ leaf: leafOf[tList[j]!]!, dtype: t.dtype, shape: t.shape });
    }
    modules.push({
      path: e.path,
      name: n === 0 ? fp.model : e.name,
      parent: e.parent >= 0 ? E[e.parent]!.path : null,
      depth: e.depth,
      layer: e.layer,
      expert: e.expert,
      blockKind: kind,
      isRouter: m === C_ROUTER,
      isExpert: m === C_EXPERT,
      isSharedExpert: m === C_SHARED,
      moeGroup: group[n]! >= 0 ? E[group[n]!]!.path : null,
      direct: dir[n]!,
      total: tot[n]!,
      dtypes: dtypes.length > 1 ? dtypes.sort() : dtypes,
      tensors: own,
      children: ch.map((c) => E[c]!.path),
      sig: sig[n]!,
    });
  }

  // ---- routers, experts, groups (by node id; `pos[n]` = index of node n in `modules`)
  const pos = new Int32Array(N);
  for (let k = 0; k < order.length; k++) pos[order[k]!] = k;
  const subtree = (n: number, fn: (i: number) => void): void => {
    const stack = [n];
    while (stack.length > 0) {
      const x = stack.pop()!;
      for (let j = tStart[x]!; j < tStart[x + 1]!; j++) fn(tList[j]!);
      for (const c of children[x]!) stack.push(c);
    }
  };
  const routers: AtlasRouter[] = [];
  const experts: AtlasExpert[] = [];
  const groups = new Map<number, AtlasMoeGroup>();
  for (const n of order) {
    if (group[n] === n) {
      const m = modules[pos[n]!]!;
      groups.set(n, { path: m.path, layer: m.layer, routers: 0, experts: 0, sharedExperts: 0, routedParams: 0, sharedParams: 0, routerParams: 0, ok: false });
    }
  }
  for (const n of order) {
    const m = modules[pos[n]!]!;
    const par = E[n]!.parent;
    const g = group[n]! >= 0 ? groups.get(group[n]!) : undefined;
    if (m.isRouter && !(par >= 0 && mask[par] === C_ROUTER)) {
      let w: TensorRecord | null = null;
      let bias = false;
      subtree(n, (i) => {
        const t = tensors[i]!;
        if (leafOf[i] === "weight" && t.shape.length === 2 && !w) w = t;
        else if (leafOf[i]!.endsWith("bias")) bias = true;
      });
      const ww = w as TensorRecord | null;
      routers.push({
        path: m.path,
        layer: m.layer,
        moeGroup: m.moeGroup,
        experts: ww ? ww.shape[0]! : null,
        hidden: ww ? ww.shape[1]! : null,
        dtype: ww ? ww.dtype : (m.dtypes[0] ?? null),
        params: m.total.params,
        bias,
      });
      if (g) {
        g.routers++;
        g.routerParams += m.total.params;
      }
    }
    if (m.isSharedExpert && !(par >= 0 && mask[par] === C_SHARED) && g) {
      g.sharedExperts++;
      g.sharedParams += m.total.params;
    }
    if (!m.isExpert) continue;
    const numbered = par >= 0 && isDigits(E[n]!.name) && EXPERT_CONTAINERS.has(E[par]!.name);
    const stacked = !numbered && !(par >= 0 && mask[par] === C_EXPERT) && !children[n]!.some((c) => isDigits(E[c]!.name));
    if (!numbered && !stacked) continue;
    const dts = new Set<string>();
    let units = 1;
    subtree(n, (i) => {
      const t = tensors[i]!;
      dts.add(t.dtype);
      if (stacked && t.shape.length >= 3 && !leafOf[i]!.endsWith("bias") && t.shape[0]! > units) units = t.shape[0]!;
    });
    experts.push({
      path: m.path,
      layer: m.layer,
      moeGroup: m.moeGroup,
      expert: numbered ? m.expert : null,
      units,
      params: m.total.params,
      tensors: m.total.tensors,
      dtypes: [...dts].sort(),
    });
    if (g) {
      g.experts += units;
      g.routedParams += m.total.params;
    }
  }
  const moeGroups = [...groups.values()];
  for (const g of moeGroups) g.ok = g.routers >= 1 && g.experts >= 1;

  const totals = modules[0]!.total;
  const checks: AtlasCheck[] = [
    {
      name: "totals",
      ok: totals.params === header.params && totals.elements === header.elements && totals.bytes === header.bytes && totals.tensors === header.tensors,
      message: `atlas ${totals.params} params / ${totals.elements} elements / ${totals.bytes} bytes / ${totals.tensors} tensors; headers ${header.params} / ${header.elements} / ${header.bytes} / ${header.tensors}`,
    },
  ];
  if (moeGroups.length > 0) {
    const bad = moeGroups.filter((g) => !g.ok);
    checks.push({
      name: "moe_groups",
      ok: bad.length === 0,
      message:
        bad.length === 0
          ? `${moeGroups.length} MoE group(s), each with at least 1 router and 1 expert`
          : `${bad.length} of ${moeGroups.length} MoE group(s) lack a router or experts: ${bad
              .slice(0, 5)
              .map((g) => `${g.path} (${g.routers} router, ${g.experts} experts)`)
              .join(", ")}`,
    });
  }
  return { model: fp.model, modules, totals, header, routers, experts, moeGroups, checks, weightFormat: format?.format ?? null };
}
