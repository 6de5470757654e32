/**
 * Weight (quantization) format detection, from safetensors headers, from config.json alone, or both.
 *
 * Config-only mode reads `quantization_config` (also under `text_config`, the older
 * `compression_config`, MLX's top-level `quantization` and ModelOpt's hf_quant_config.json), so a
 * quantized copy is never hidden. With tensors, the tensors win where the two disagree and the
 * disagreement is reported (evidence + finding).
 *
 * The detection table is in docs/fingerprint-tensors.md.
 */
import type { TensorRecord } from "../sources/types.js";
import type { Finding, FormatKind, TensorKind, WeightFormat } from "./types.js";
import { tensorIndex, type TensorInfo } from "./tensors.js";

export interface WeightFormatInput {
  config: Record<string, unknown> | null;
  tensors: readonly TensorRecord[] | null;
  /** Where the tensors come from; "gguf" makes the format `gguf-<dominant ggml type>`. */
  source?: FormatKind | null;
  /** The repo's hf_quant_config.json (NVIDIA ModelOpt), when read. */
  hfQuantConfig?: Record<string, unknown> | null;
}

/** Exponent-only dtypes: only ever MX block scales, never parameters. */
const SCALE_ONLY_DTYPES: ReadonlySet<string> = new Set(["F8_E8M0", "E8M0", "UE8"]);
export function isScaleOnlyDtype(dtype: string): boolean {
  return SCALE_ONLY_DTYPES.has(dtype);
}

/** GGML tensor types that are not safetensors dtypes (block-quantized). */
const GGML_TYPES: ReadonlySet<string> = new Set([
  "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K",
  "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "IQ1_M",
  "TQ1_0", "TQ2_0", "MXFP4", "NVFP4", "Q1_0", "Q2_0",
]);
export function isGgmlQuantType(dtype: string): boolean {
  return GGML_TYPES.has(dtype);
}

const FLOAT_FORMAT: Readonly<Record<string, string>> = {
  BF16: "bf16",
  F16: "fp16",
  F32: "fp32",
  F64: "fp64",
};
const TORCH_DTYPE_FORMAT: Readonly<Record<string, [string, string]>> = {
  bfloat16: ["bf16", "BF16"],
  bf16: ["bf16", "BF16"],
  float16: ["fp16", "F16"],
  fp16: ["fp16", "F16"],
  half: ["fp16", "F16"],
  float32: ["fp32", "F32"],
  fp32: ["fp32", "F32"],
  float: ["fp32", "F32"],
  float64: ["fp64", "F64"],
};

/** Kinds whose weights are the model's linear matrices (what a quantizer quantizes). */
const MATRIX_KINDS: ReadonlySet<TensorKind> = new Set<TensorKind>([
  "attn_q", "attn_k", "attn_v", "attn_qkv", "attn_o",
  "mla_q_a", "mla_q_b", "mla_kv_a", "mla_kv_b",
  "ffn_gate", "ffn_up", "ffn_gate_up", "ffn_down",
  "expert", "shared_expert", "mamba", "linear_attention", "conv",
]);

function blank(format: string): WeightFormat {
  return { format, storageDtype: null, method: null, bits: null, groupSize: null, blockSize: null, scaleDtypes: [], evidence: [] };
}

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}
function num(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}
function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

/**
 * The weight format a config declares; null when the config says nothing (no quantization block
 * and no dtype).
 */
export function formatFromConfig(
  config: Record<string, unknown> | null,
  hfQuantConfig?: Record<string, unknown> | null,
): WeightFormat | null {
  if (!config && !hfQuantConfig) return null;
  const text = rec(config?.text_config);
  const qc =
    rec(config?.quantization_config) ??
    rec(text?.quantization_config) ??
    rec(config?.compression_config) ??
    null;
  const mlx = rec(config?.quantization) ?? rec(text?.quantization);
  const modelopt = rec(hfQuantConfig?.quantization);

  if (qc || mlx || modelopt) {
    const wf = quantFromConfig(qc, mlx, modelopt);
    if (wf) return wf;
  }
  const dt = str(config?.torch_dtype) ?? str(config?.dtype) ?? str(text?.torch_dtype) ?? str(text?.dtype);
  if (dt) {
    const f = TORCH_DTYPE_FORMAT[dt.replace(/^torch\./, "").toLowerCase()];
    if (f) {
      const wf = blank(f[0]);
      wf.storageDtype = f[1];
      wf.evidence.push(`config: ${config?.torch_dtype !== undefined ? "torch_dtype" : "dtype"} ${dt}`);
      return wf;
    }
  }
  return null;
}

function quantFromConfig(
  qc: Record<string, unknown> | null,
  mlx: Record<string, unknown> | null,
  modelopt: Record<string, unknown> | null,
): WeightFormat | null {
  const method = str(qc?.quant_method)?.toLowerCase() ?? null;

  // MLX: top-level `quantization: {group_size, bits[, mode]}` (mlx-lm also copies it into
  // quantization_config, without quant_method).
  if ((mlx && num(mlx.bits) !== null && (method === null || method === "mlx")) || (method === null && qc && num(qc.bits) !== null && num(qc.group_size) !== null && !("load_in_4bit" in qc) && !("load_in_8bit" in qc))) {
    const src = mlx && num(mlx.bits) !== null ? mlx : qc!;
    const bits = num(src.bits)!;
    const mode = str(src.mode);
    const wf = blank(mode && mode !== "affine" ? `mlx-${mode.toLowerCase()}` : `mlx-${bits}bit`);
    wf.method = "mlx";
    wf.bits = bits;
    wf.groupSize = num(src.group_size);
    wf.evidence.push(`config: ${mlx ? "quantization" : "quantization_config"} {bits: ${bits}, group_size: ${wf.groupSize ?? "?"}${mode ? `, mode: ${mode}` : ""}} (MLX)`);
    return wf;
  }

  if (method === "modelopt" || (!method && modelopt)) {
    const algo = (str(qc?.quant_algo) ?? str(modelopt?.quant_algo) ?? "").toUpperCase();
    const group = num(qc?.group_size) ?? num(modelopt?.group_size);
    let wf: WeightFormat;
    if (algo === "NVFP4") {
      wf = blank("nvfp4");
      wf.bits = 4;
      wf.groupSize = group ?? 16;
    } else if (algo === "FP8" || algo === "FP8_PER_CHANNEL_PER_TOKEN") {
      wf = blank("fp8-e4m3");
      wf.bits = 8;
    } else if (algo === "FP8_PB_WO") {
      wf = blank("fp8-e4m3-block");
      wf.bits = 8;
    } else if (algo === "MXFP4") {
      wf = blank("mxfp4");
      wf.bits = 4;
      wf.groupSize = 32;
    } else {
      wf = blank(algo ? `modelopt-${algo.toLowerCase()}` : "modelopt");
      wf.groupSize = group;
    }
    wf.method = "modelopt";
    wf.evidence.push(`config: ModelOpt quant_algo ${algo || "?"}${group ? `, group_size ${group}` : ""}`);
    return wf;
  }

  if (!qc) return null;

  // bitsandbytes (older configs have no quant_method, only load_in_*)
  if (method === "bitsandbytes" || (!method && (qc.load_in_4bit === true || qc.load_in_8bit === true))) {
    const is4 = qc.load_in_4bit === true || qc._load_in_4bit === true;
    const is8 = qc.load_in_8bit === true || qc._load_in_8bit === true;
    if (is8 && !is4) {
      const wf = blank("bnb-int8");
      wf.method = "bitsandbytes";
      wf.bits = 8;
      wf.evidence.push(`config: bitsandbytes load_in_8bit (LLM.int8, threshold ${num(qc.llm_int8_threshold) ?? "?"})`);
      return wf;
    }
    if (is4) {
      const qt = (str(qc.bnb_4bit_quant_type) ?? "fp4").toLowerCase();
      const wf = blank(`bnb-${qt}`);
      wf.method = "bitsandbytes";
      wf.bits = 4;
      wf.groupSize = 64;
      wf.evidence.push(`config: bitsandbytes load_in_4bit, bnb_4bit_quant_type ${qt}${qc.bnb_4bit_use_double_quant === true ? ", double quant" : ""}`);
      return wf;
    }
  }

  switch (method) {
    case "fp8": {
      const fmt = (str(qc.fmt) ?? "e4m3").toLowerCase();
      const block = Array.isArray(qc.weight_block_size) ? qc.weight_block_size.filter((x): x is number => typeof x === "number") : null;
      const wf = blank(block && block.length > 0 ? `fp8-${fmt}-block` : `fp8-${fmt}`);
      wf.method = "fp8";
      wf.bits = 8;
      if (block && block.length > 0) wf.blockSize = block;
      wf.evidence.push(`config: quant_method fp8, fmt ${fmt}${block ? `, weight_block_size [${block.join(", ")}]` : ""}, activation_scheme ${str(qc.activation_scheme) ?? "?"}`);
      return wf;
    }
    case "fbgemm_fp8": {
      const wf = blank("fp8-e4m3");
      wf.method = "fbgemm_fp8";
      wf.bits = 8;
      wf.evidence.push("config: quant_method fbgemm_fp8 (per-channel FP8 weights, dynamic per-token activations)");
      return wf;
    }
    case "gptq":
    case "awq": {
      const bits = num(qc.bits) ?? num(qc.w_bit);
      const wf = blank(`${method}-int${bits ?? "?"}`);
      wf.method = method;
      wf.bits = bits;
      wf.groupSize = num(qc.group_size) ?? num(qc.q_group_size);
      const opts: string[] = [];
      if (typeof qc.desc_act === "boolean") opts.push(`desc_act ${qc.desc_act}`);
      if (typeof qc.sym === "boolean") opts.push(`sym ${qc.sym}`);
      if (typeof qc.zero_point === "boolean") opts.push(`zero_point ${qc.zero_point}`);
      if (str(qc.version)) opts.push(`version ${str(qc.version)}`);
      if (str(qc.checkpoint_format)) opts.push(`checkpoint_format ${str(qc.checkpoint_format)}`);
      wf.evidence.push(`config: quant_method ${method}, bits ${bits ?? "?"}, group_size ${wf.groupSize ?? "?"}${opts.length ? ", " + opts.join(", ") : ""}`);
      return wf;
    }
    case "mxfp4": {
      const wf = blank("mxfp4");
      wf.method = "mxfp4";
      wf.bits = 4;
      wf.groupSize = 32;
      wf.evidence.push("config: quant_method mxfp4");
      return wf;
    }
    case "compressed-tensors":
      return compressedTensorsFromConfig(qc);
    case "hqq": {
      const wq = rec(rec(qc.quant_config)?.weight_quant_params) ?? rec(qc.weight_quant_params);
      const bits = num(wq?.nbits) ?? num(qc.nbits);
      const wf = blank(bits ? `hqq-int${bits}` : "hqq");
      wf.method = "hqq";
      wf.bits = bits;
      wf.groupSize = num(wq?.group_size) ?? num(qc.group_size);
      wf.evidence.push(`config: quant_method hqq${bits ? `, nbits ${bits}` : ""}`);
      return wf;
    }
    case "eetq": {
      const wf = blank("eetq-int8");
      wf.method = "eetq";
      wf.bits = 8;
      wf.evidence.push("config: quant_method eetq");
      return wf;
    }
    case "quanto": {
      const w = str(qc.weights) ?? "?";
      const wf = blank(`quanto-${w}`);
      wf.method = "quanto";
      wf.evidence.push(`config: quant_method quanto, weights ${w}`);
      return wf;
    }
    case null:
      return null;
    default: {
      const bits = num(qc.bits);
      const wf = blank(bits ? `${method}-int${bits}` : method);
      wf.method = method;
      wf.bits = bits;
      wf.groupSize = num(qc.group_size);
      wf.evidence.push(`config: quant_method ${method} (no specific rule)`);
      return wf;
    }
  }
}

function compressedTensorsFromConfig(qc: Record<string, unknown>): WeightFormat {
  const fmt = (str(qc.format) ?? "").toLowerCase();
  const groups = rec(qc.config_groups);
  let weights: Record<string, unknown> | null = null;
  let acts: Record<string, unknown> | null = null;
  let groupFmt: string | null = null;
  for (const g of Object.values(groups ?? {})) {
    const gr = rec(g);
    if (!gr) continue;
    weights = rec(gr.weights);
    acts = rec(gr.input_activations);
    groupFmt = str(gr.format)?.toLowerCase() ?? null;
    if (weights) break;
  }
  const f = groupFmt ?? fmt;
  const wbits = num(weights?.num_bits);
  const wtype = str(weights?.type)?.toLowerCase() ?? "int";
  const strategy = str(weights?.strategy)?.toLowerCase() ?? null;
  const abits = num(acts?.num_bits);
  let wf: WeightFormat;
  if (f.includes("nvfp4")) {
    wf = blank("nvfp4");
    wf.bits = 4;
    wf.groupSize = num(weights?.group_size) ?? 16;
  } else if (f.includes("mxfp4")) {
    wf = blank("mxfp4");
    wf.bits = 4;
    wf.groupSize = num(weights?.group_size) ?? 32;
  } else if (wtype === "float" && wbits === 8) {
    const block = Array.isArray(weights?.block_structure) ? (weights!.block_structure as unknown[]).filter((x): x is number => typeof x === "number") : null;
    wf = blank(strategy === "block" ? "fp8-e4m3-block" : "fp8-e4m3");
    wf.bits = 8;
    if (strategy === "block" && block && block.length > 0) wf.blockSize = block;
  } else {
    wf = blank(`compressed-tensors-w${wbits ?? "?"}a${abits ?? 16}`);
    wf.bits = wbits;
    wf.groupSize = strategy === "group" ? num(weights?.group_size) : null;
  }
  wf.method = "compressed-tensors";
  wf.evidence.push(
    `config: compressed-tensors format ${f || "?"}, weights ${wtype}${wbits ?? "?"}${strategy ? ` (${strategy}${num(weights?.group_size) ? ` ${num(weights?.group_size)}` : ""})` : ""}, activations ${abits ? `${str(acts?.type) ?? "int"}${abits}${acts?.dynamic === true ? " dynamic" : ""}` : "none"}`,
  );
  return wf;
}

// ---------------------------------------------------------------------------------------------
// Tensors
// ---------------------------------------------------------------------------------------------

interface Scan {
  /** Stored elements of matrix weights by dtype. */
  matrixElems: Map<string, number>;
  matrixCount: Map<string, number>;
  /** Example tensors by leaf name (first seen, lowest layer). */
  byLeaf: Map<string, TensorRecord[]>;
  scaleDtypes: Set<string>;
  leaves: Set<string>;
  hidden: number | null;
  /**
   * Module path (without leaf) -> its tensors (only for modules that have bookkeeping), built on
   * first use (moduleMap): most checkpoints have no bookkeeping leaf and never need it.
   */
  modules: Map<string, Map<string, TensorRecord>> | null;
  tensors: readonly TensorRecord[];
  /** leafSplitOfKey's memo. */
  memo: Map<string, LeafSplit | null>;
  ggml: Map<string, number>;
  quantStates: Set<string>;
}

const BOOKKEEPING_LEAVES = new Set([
  "qweight", "qzeros", "scales", "g_idx", "biases", "weight_packed", "weight_scale", "weight_scale_inv",
  "weight_scale_2", "input_scale", "weight_global_scale", "input_global_scale", "weight_zero_point", "weight_shape",
  "SCB", "weight_format", "absmax", "quant_map", "nested_absmax", "nested_quant_map", "W_q", "weight_scales", "weight_g_idx",
]);

/** How a tensor name splits into its module and its leaf (leafSplit). */
interface LeafSplit {
  /** The leaf the scan files the tensor under. */
  leaf: string;
  /** The raw last segment (for `*.quant_state.*`: the quant_state member). */
  rawLeaf: string;
  /** A `*.quant_state.*` member (bitsandbytes). */
  quantState: boolean;
  /** Whether the tensor belongs in the module map. */
  moduled: boolean;
  /** The module is the name before its last dot (no quant_state, bnb or *_blocks rule applied). */
  plain: boolean;
}

function leafSplit(name: string): LeafSplit & { mod: string } {
  const dot = name.lastIndexOf(".");
  let leaf = name.slice(dot + 1);
  const rawLeaf = leaf;
  let mod = dot < 0 ? "" : name.slice(0, dot);
  let plain = false;
  const qs = name.indexOf(".quant_state.");
  const quantState = qs >= 0;
  if (qs >= 0) {
    leaf = "quant_state";
    mod = name.slice(0, qs);
  } else if (leaf === "absmax" || leaf === "quant_map" || leaf === "nested_absmax" || leaf === "nested_quant_map") {
    // bnb: `q_proj.weight.absmax` belongs to module `q_proj`
    if (mod.endsWith(".weight")) mod = mod.slice(0, -7);
  } else if (leaf.endsWith("_blocks") || leaf.endsWith("_scales")) {
    const stem = leaf.slice(0, leaf.lastIndexOf("_"));
    mod = mod + "." + stem;
    leaf = leaf.endsWith("_blocks") ? "_blocks" : "_scales";
  } else plain = true;
  const moduled = BOOKKEEPING_LEAVES.has(leaf) || leaf === "weight" || leaf === "_blocks" || leaf === "_scales" || leaf === "quant_state";
  return { leaf, rawLeaf, quantState, moduled, plain, mod };
}

/**
 * The leaf split of every tensor of a normalized key is the same (the leaf is the key's last
 * segment, never a `{L}`/`{E}` one), so it is made once per key; a key whose last segment is a
 * layer or expert index is split per name.
 */
function leafSplitOfKey(key: string, name: string, memo: Map<string, LeafSplit | null>): LeafSplit {
  let ls = memo.get(key);
  if (ls === undefined) {
    const last = key.slice(key.lastIndexOf(".") + 1);
    ls = last === "{L}" || last === "{E}" ? null : leafSplit(key);
    memo.set(key, ls);
  }
  return ls ?? leafSplit(name);
}

function scanTensors(tensors: readonly TensorRecord[]): Scan {
  const s: Scan = {
    matrixElems: new Map(),
    matrixCount: new Map(),
    byLeaf: new Map(),
    scaleDtypes: new Set(),
    leaves: new Set(),
    hidden: null,
    modules: null,
    tensors,
    memo: new Map(),
    ggml: new Map(),
    quantStates: new Set(),
  };
  const finalNorms: number[] = [];
  const layerNorms = new Map<number, number>();
  // the name's class (no dtype rule), shared with the other walks over this tensor list
  const infos = tensorIndex(tensors).infos;
  const memo = s.memo;
  for (let i = 0; i < tensors.length; i++) {
    const info = infos[i] as TensorInfo;
    const t = info.t;
    const cls = info.nameCls;
    if (GGML_TYPES.has(t.dtype)) s.ggml.set(t.dtype, (s.ggml.get(t.dtype) ?? 0) + 1);
    const { leaf, rawLeaf, quantState } = leafSplitOfKey(info.key, t.name, memo);
    if (quantState) s.quantStates.add(rawLeaf);
    s.leaves.add(leaf);
    let arr = s.byLeaf.get(leaf);
    if (arr === undefined) s.byLeaf.set(leaf, (arr = []));
    if (arr.length < 64) arr.push(t);
    if (cls.kind === "quant_scale" || SCALE_ONLY_DTYPES.has(t.dtype)) s.scaleDtypes.add(t.dtype);
    if ((cls.leaf === "weight" || cls.leaf === "packed") && MATRIX_KINDS.has(cls.kind) && t.shape.length >= 2) {
      let e = 1;
      for (const d of t.shape) e *= d;
      s.matrixElems.set(t.dtype, (s.matrixElems.get(t.dtype) ?? 0) + e);
      s.matrixCount.set(t.dtype, (s.matrixCount.get(t.dtype) ?? 0) + 1);
    }
    if (cls.leaf === "weight" && t.shape.length === 1) {
      if (cls.kind === "final_norm") finalNorms.push(t.shape[0]!);
      else if (cls.kind === "norm") layerNorms.set(t.shape[0]!, (layerNorms.get(t.shape[0]!) ?? 0) + 1);
    }
  }
  if (finalNorms.length > 0) s.hidden = finalNorms[0]!;
  else {
    let best = 0;
    for (const [d, n] of layerNorms) if (n > best) [best, s.hidden] = [n, d];
  }
  return s;
}

/** The module map of a scan (module path -> leaf -> first tensor), in tensor order. */
function moduleMap(s: Scan): Map<string, Map<string, TensorRecord>> {
  if (s.modules) return s.modules;
  const modules = new Map<string, Map<string, TensorRecord>>();
  for (const info of tensorIndex(s.tensors).infos) {
    const t = info.t;
    const ls = leafSplitOfKey(info.key, t.name, s.memo);
    if (!ls.moduled) continue;
    const name = t.name;
    let leaf = ls.leaf;
    let mod: string;
    if (ls.plain) mod = name.length > leaf.length ? name.slice(0, name.length - leaf.length - 1) : "";
    else ({ leaf, mod } = leafSplit(name));
    let m = modules.get(mod);
    if (!m) modules.set(mod, (m = new Map()));
    if (!m.has(leaf)) m.set(leaf, t);
  }
  return (s.modules = modules);
}

function dominant(m: Map<string, number>): string | null {
  let best: string | null = null;
  let bv = -1;
  for (const [k, v] of m) if (v > bv) [best, bv] = [k, v];
  return best;
}

/** Modules that have all the given leaves (none when a leaf occurs nowhere: no map is built). */
/**
 * The (a, b) tensors of every module that has both leaves, in moduleMap's order (modules by their
 * first tensor, each leaf's first tensor): what modulesWith(s, a, b) gives, without a map per
 * module. FP8 block-scaled MoE checkpoints have ~10^5 such modules. The tensor index's module ids
 * stand for "the name before its last dot", which is the module of every tensor whose split is
 * plain; with any other split in the list (bitsandbytes, `*_blocks`, quant_state) the map is used.
 */
function pairsWith(s: Scan, a: string, b: string): [TensorRecord, TensorRecord][] {
  if (!s.leaves.has(a) || !s.leaves.has(b)) return [];
  if (s.modules) return pairsFromMap(s, a, b);
  const infos = tensorIndex(s.tensors).infos;
  let maxMod = 0;
  for (let i = 0; i < infos.length; i++) if ((infos[i] as TensorInfo).mod > maxMod) maxMod = (infos[i] as TensorInfo).mod;
  // modules in the order of their first moduled tensor, and each one's first a and b
  const seen = new Uint8Array(maxMod + 1);
  const order: number[] = [];
  const ofA = new Int32Array(maxMod + 1).fill(-1);
  const ofB = new Int32Array(maxMod + 1).fill(-1);
  for (let i = 0; i < infos.length; i++) {
    const info = infos[i] as TensorInfo;
    const ls = leafSplitOfKey(info.key, info.t.name, s.memo);
    if (!ls.moduled) continue;
    if (!ls.plain) return pairsFromMap(s, a, b);
    const id = info.mod;
    if (seen[id] === 0) {
      seen[id] = 1;
      order.push(id);
    }
    if (ls.leaf === a) {
      if (ofA[id]! < 0) ofA[id] = i;
    } else if (ls.leaf === b && ofB[id]! < 0) ofB[id] = i;
  }
  const out: [TensorRecord, TensorRecord][] = [];
  for (const id of order) {
    const ia = ofA[id]!;
    const ib = ofB[id]!;
    if (ia >= 0 && ib >= 0) out.push([(infos[ia] as TensorInfo).t, (infos[ib] as TensorInfo).t]);
  }
  return out;
}

/** The same pairs from the module map. */
function pairsFromMap(s: Scan, a: string, b: string): [TensorRecord, TensorRecord][] {
  return modulesWith(s, a, b).map((m) => [m.get(a)!, m.get(b)!]);
}

/** @internal For tests: pairsWith(a, b) of a tensor list, and the same pairs from the module map. */
export function modulePairsBothWays(tensors: readonly TensorRecord[], a: string, b: string): { pairs: [TensorRecord, TensorRecord][]; fromMap: [TensorRecord, TensorRecord][] } {
  return { pairs: pairsWith(scanTensors(tensors), a, b), fromMap: pairsFromMap(scanTensors(tensors), a, b) };
}

function modulesWith(s: Scan, ...leaves: string[]): Map<string, TensorRecord>[] {
  const out: Map<string, TensorRecord>[] = [];
  if (!leaves.every((l) => s.leaves.has(l))) return out;
  for (const m of moduleMap(s).values()) if (leaves.every((l) => m.has(l))) out.push(m);
  return out;
}

/** A module whose input dimension is the hidden size (q/k/v/gate/up projections, embeddings). */
const HIDDEN_INPUT_RE = /(?:^|\.)(?:q_proj|k_proj|v_proj|gate_proj|up_proj|qkv_proj|query_key_value|gate_up_proj|embed_tokens|wq|wk|wv|w1|w3)$/;
function hiddenInputModule(s: Scan, ...leaves: string[]): Map<string, TensorRecord> | null {
  if (!leaves.every((l) => s.leaves.has(l))) return null;
  for (const [name, m] of moduleMap(s)) if (HIDDEN_INPUT_RE.test(name) && leaves.every((l) => m.has(l))) return m;
  return null;
}

/** A bit width derived from shapes is only believed when it is a real quantization width. */
function plausibleBits(b: number): number | null {
  return Number.isInteger(b) && b >= 1 && b <= 8 ? b : null;
}
function plausibleGroup(g: number): number | null {
  return Number.isInteger(g) && g >= 8 ? g : null;
}

function sortedScaleDtypes(s: Scan): string[] {
  return [...s.scaleDtypes].sort();
}

/** The smallest power of two b with ceil(dim / b) === scale dim, or null. */
function blockEdge(dim: number, sdim: number): number | null {
  for (let b = 1; b <= 4096; b *= 2) if (Math.ceil(dim / b) === sdim) return b;
  return null;
}

/** Most common block edge (out/scale rows, in/scale cols) over FP8 weights and their block scales. */
/** The dominant block size over (weight, block scale) pairs. */
function blockFromShapes(pairs: readonly (readonly [TensorRecord, TensorRecord])[]): number[] | null {
  const votes = new Map<string, number>();
  let [lo, li, lso, lsi] = [-1, -1, -1, -1];
  let lk: string | null = null;
  for (const [w, sc] of pairs) {
    if (w.shape.length !== 2 || sc.shape.length !== 2) continue;
    const [o, i] = w.shape as [number, number];
    const [so, si] = sc.shape as [number, number];
    if (so <= 1 || si <= 1) continue;
    // consecutive modules mostly have the same shapes: the vote key is made once per run of them
    if (o !== lo || i !== li || so !== lso || si !== lsi) {
      [lo, li, lso, lsi] = [o, i, so, si];
      const b0 = blockEdge(o, so);
      const b1 = blockEdge(i, si);
      lk = b0 !== null && b1 !== null ? `${b0}x${b1}` : null;
    }
    if (lk !== null) votes.set(lk, (votes.get(lk) ?? 0) + 1);
  }
  const best = dominant(votes);
  return best ? best.split("x").map(Number) : null;
}

/**
 * The weight format the tensors show; null when there are no tensors (or no matrices at all).
 */
export function formatFromTensors(tensors: readonly TensorRecord[] | null, source?: FormatKind | null): WeightFormat | null {
  if (!tensors || tensors.length === 0) return null;
  const s = scanTensors(tensors);
  const storage = dominant(s.matrixElems);
  const count = (d: string | null) => (d ? (s.matrixCount.get(d) ?? 0) : 0);

  // GGUF
  if (source === "gguf" || s.ggml.size > 0) {
    const g = dominant(s.matrixElems) ?? dominant(s.ggml);
    const wf = blank(`gguf-${g ?? "unknown"}`);
    wf.method = "gguf";
    wf.storageDtype = g;
    const types = [...new Set([...s.matrixCount.keys()])].sort();
    wf.evidence.push(`tensors: GGUF, dominant matrix type ${g ?? "?"}${types.length > 1 ? ` (also ${types.filter((t) => t !== g).join(", ")})` : ""}`);
    return wf;
  }

  // gpt-oss MXFP4: `*_blocks` (U8, 2 FP4 values per byte, 16 bytes = 32 values) + `*_scales` (UE8M0)
  if (s.leaves.has("_blocks") && s.leaves.has("_scales")) {
    const wf = blank("mxfp4");
    wf.method = "mxfp4";
    wf.bits = 4;
    wf.groupSize = 32;
    const b = s.byLeaf.get("_blocks")![0]!;
    wf.storageDtype = b.dtype;
    wf.scaleDtypes = sortedScaleDtypes(s);
    const last = b.shape[b.shape.length - 1];
    if (last !== undefined && last !== 16) wf.evidence.push(`unexpected block width ${last} bytes (MXFP4 blocks are 16 bytes)`);
    wf.evidence.push(`tensors: ${s.byLeaf.get("_blocks")!.length >= 64 ? "64+" : s.byLeaf.get("_blocks")!.length} *_blocks (${b.dtype}) with *_scales (${wf.scaleDtypes.join(", ")}): MXFP4, 32 values per scale`);
    return wf;
  }

  // NVFP4 (ModelOpt: U8 weight + F8_E4M3 weight_scale + F32 weight_scale_2; compressed-tensors:
  // U8 weight_packed + F8_E4M3 weight_scale + weight_global_scale) and compressed-tensors MXFP4.
  {
    const mo = modulesWith(s, "weight", "weight_scale").filter((m) => m.get("weight")!.dtype === "U8");
    const ct = modulesWith(s, "weight_packed", "weight_scale").filter((m) => m.get("weight_packed")!.dtype === "U8");
    const pool = mo.length > 0 ? mo : ct;
    if (pool.length > 0) {
      const m = pool[0]!;
      const w = (m.get("weight") ?? m.get("weight_packed"))!;
      const sc = m.get("weight_scale")!;
      const isNv = sc.dtype === "F8_E4M3";
      const wf = blank(isNv ? "nvfp4" : "mxfp4");
      wf.method = mo.length > 0 ? (isNv ? "modelopt" : null) : "compressed-tensors";
      wf.bits = 4;
      wf.storageDtype = w.dtype;
      wf.scaleDtypes = sortedScaleDtypes(s);
      if (w.shape.length === 2 && sc.shape.length === 2 && sc.shape[1]! > 0) wf.groupSize = plausibleGroup((w.shape[1]! * 2) / sc.shape[1]!);
      wf.evidence.push(
        `tensors: ${pool.length >= 64 ? "64+" : pool.length} U8 ${mo.length > 0 ? "weight" : "weight_packed"} (2 FP4 per byte) with ${sc.dtype} weight_scale` +
          (s.leaves.has("weight_scale_2") ? " + weight_scale_2" : "") +
          (s.leaves.has("weight_global_scale") ? " + weight_global_scale" : "") +
          (s.leaves.has("input_scale") ? " + input_scale" : "") +
          (wf.groupSize ? `, ${wf.groupSize} values per scale` : ""),
      );
      return wf;
    }
  }

  // FP8
  if (storage === "F8_E4M3" || storage === "F8_E5M2" || storage === "F8_E4M3FNUZ" || storage === "F8_E5M2FNUZ") {
    const fmt = storage.startsWith("F8_E5M2") ? "e5m2" : "e4m3";
    const inv = pairsWith(s, "weight", "weight_scale_inv");
    const ws = pairsWith(s, "weight", "weight_scale");
    let wf: WeightFormat;
    if (inv.length > 0 || ws.some(([w, sc]) => isBlockScale(w, sc))) {
      wf = blank(`fp8-${fmt}-block`);
      wf.blockSize = blockFromShapes(inv.length > 0 ? inv : ws);
      wf.method = inv.length > 0 ? "fp8" : "compressed-tensors";
      wf.evidence.push(
        `tensors: ${count(storage)} ${storage} matrices with ${inv.length > 0 ? "weight_scale_inv" : "2-D weight_scale"} block scales${wf.blockSize ? `, block ${wf.blockSize.join("x")} from scale shapes` : ""}`,
      );
    } else {
      wf = blank(`fp8-${fmt}`);
      const ex = ws[0]?.[1];
      const gran = !ex ? "no weight scales" : ex.shape.length === 0 || (ex.shape.length === 1 && ex.shape[0] === 1) ? "per-tensor weight_scale" : "per-channel weight_scale";
      wf.evidence.push(`tensors: ${count(storage)} ${storage} matrices, ${gran}${s.leaves.has("input_scale") ? ", static input_scale" : ""}`);
    }
    wf.bits = 8;
    wf.storageDtype = storage;
    wf.scaleDtypes = sortedScaleDtypes(s);
    return wf;
  }

  // GPTQ / AWQ: qweight (I32) + qzeros + scales [+ g_idx]
  if (s.leaves.has("qweight")) {
    const m = hiddenInputModule(s, "qweight", "scales") ?? modulesWith(s, "qweight", "scales")[0] ?? null;
    let kind: "gptq" | "awq" | null = null;
    let bits: number | null = null;
    let group: number | null = null;
    if (m) {
      const qw = m.get("qweight")!;
      const sc = m.get("scales")!;
      const gi = m.get("g_idx");
      if (qw.shape.length === 2 && sc.shape.length === 2) {
        if (gi || qw.shape[1] === sc.shape[1]) {
          kind = "gptq";
          const inDim = gi?.shape[0] ?? null;
          const pf = inDim !== null ? inDim / qw.shape[0]! : null;
          bits = pf !== null && pf > 0 ? plausibleBits(32 / pf) : null;
          if (inDim !== null) group = plausibleGroup(inDim / sc.shape[0]!);
        } else if (sc.shape[1]! % qw.shape[1]! === 0) {
          kind = "awq";
          bits = plausibleBits(32 / (sc.shape[1]! / qw.shape[1]!));
          group = plausibleGroup(qw.shape[0]! / sc.shape[0]!);
        }
      }
    }
    const wf = blank(`${kind ?? "gptq"}-int${bits ?? "?"}`);
    wf.method = kind;
    wf.bits = bits;
    wf.groupSize = group;
    wf.storageDtype = s.byLeaf.get("qweight")![0]!.dtype;
    wf.scaleDtypes = sortedScaleDtypes(s);
    wf.evidence.push(
      `tensors: qweight (${wf.storageDtype}) + qzeros + scales${s.leaves.has("g_idx") ? " + g_idx" : ""}: ` +
        (kind === "awq" ? "AWQ layout (output dim packed)" : kind === "gptq" ? "GPTQ layout (input dim packed)" : "GPTQ/AWQ layout undecided") +
        (wf.bits ? `, ${wf.bits}-bit` : "") +
        (wf.groupSize ? `, group ${wf.groupSize}` : ""),
    );
    if (!kind) wf.format = "gptq-int?";
    return wf;
  }

  // compressed-tensors pack-quantized: weight_packed (I32) + weight_scale [+ weight_shape, weight_zero_point]
  if (s.leaves.has("weight_packed")) {
    const m = hiddenInputModule(s, "weight_packed", "weight_scale") ?? modulesWith(s, "weight_packed", "weight_scale")[0] ?? null;
    let bits: number | null = null;
    let group: number | null = null;
    if (m && s.hidden !== null) {
      const wp = m.get("weight_packed")!;
      const sc = m.get("weight_scale")!;
      const container = wp.dtype.endsWith("32") ? 32 : wp.dtype.endsWith("16") ? 16 : 8;
      if (hiddenInputModule(s, "weight_packed", "weight_scale") === m && wp.shape.length === 2) {
        bits = plausibleBits((container * wp.shape[1]!) / s.hidden);
        if (sc.shape.length === 2 && sc.shape[1]! > 1) group = plausibleGroup(s.hidden / sc.shape[1]!);
      }
    }
    const wf = blank(`compressed-tensors-w${bits ?? "?"}a${s.leaves.has("input_scale") ? 8 : 16}`);
    wf.method = "compressed-tensors";
    wf.bits = bits;
    wf.groupSize = group;
    wf.storageDtype = s.byLeaf.get("weight_packed")![0]!.dtype;
    wf.scaleDtypes = sortedScaleDtypes(s);
    wf.evidence.push(`tensors: weight_packed (${wf.storageDtype}) + weight_scale${s.leaves.has("weight_shape") ? " + weight_shape" : ""}${s.leaves.has("weight_zero_point") ? " + weight_zero_point" : ""}: compressed-tensors pack-quantized${bits ? `, ${bits}-bit (from hidden size)` : ""}${group ? `, group ${group}` : ""}`);
    return wf;
  }

  // bitsandbytes int8: I8 weight + SCB (+ weight_format)
  if (s.leaves.has("SCB")) {
    const wf = blank("bnb-int8");
    wf.method = "bitsandbytes";
    wf.bits = 8;
    wf.storageDtype = storage ?? modulesWith(s, "weight", "SCB")[0]?.get("weight")?.dtype ?? null;
    wf.scaleDtypes = sortedScaleDtypes(s);
    wf.evidence.push(`tensors: ${wf.storageDtype ?? "?"} weights with SCB row scales${s.leaves.has("weight_format") ? " + weight_format" : ""} (LLM.int8)`);
    return wf;
  }

  // bitsandbytes 4-bit: U8 weight + absmax / quant_map / quant_state.bitsandbytes__nf4|fp4
  if (s.leaves.has("absmax") || s.leaves.has("quant_state") || s.leaves.has("quant_map")) {
    const qt = [...s.quantStates].map((q) => q.replace(/^bitsandbytes__/, "")).find((q) => q === "nf4" || q === "fp4") ?? null;
    const wf = blank(qt ? `bnb-${qt}` : "bnb-4bit");
    wf.method = "bitsandbytes";
    wf.bits = 4;
    wf.storageDtype = storage;
    wf.scaleDtypes = sortedScaleDtypes(s);
    const m = modulesWith(s, "weight", "absmax")[0];
    if (m) {
      const w = m.get("weight")!;
      const a = m.get("absmax")!;
      if (w.shape.length >= 1 && a.shape.length === 1 && a.shape[0]! > 0) {
        let e = 1;
        for (const d of w.shape) e *= d;
        wf.groupSize = plausibleGroup((e * 2) / a.shape[0]!);
      }
    }
    wf.evidence.push(`tensors: ${storage ?? "?"} packed weights with absmax${s.leaves.has("nested_absmax") ? " (double quant)" : ""}${qt ? `, quant_state.bitsandbytes__${qt}` : ""}${wf.groupSize ? `, block ${wf.groupSize}` : ""}`);
    return wf;
  }

  // MLX: U32 weight + scales + biases
  {
    const mods = modulesWith(s, "weight", "scales", "biases").filter((m) => m.get("weight")!.dtype === "U32");
    if (mods.length > 0) {
      let bits: number | null = null;
      let group: number | null = null;
      const m = hiddenInputModule(s, "weight", "scales", "biases");
      if (m && s.hidden !== null && m.get("weight")!.dtype === "U32") {
        const w = m.get("weight")!;
        const sc = m.get("scales")!;
        bits = plausibleBits((32 * w.shape[w.shape.length - 1]!) / s.hidden);
        group = plausibleGroup(s.hidden / sc.shape[sc.shape.length - 1]!);
      }
      const wf = blank(`mlx-${bits ?? "?"}bit`);
      wf.method = "mlx";
      wf.bits = bits;
      wf.groupSize = group;
      wf.storageDtype = "U32";
      wf.scaleDtypes = sortedScaleDtypes(s);
      wf.evidence.push(`tensors: U32 packed weights with scales + biases (MLX affine)${bits ? `, ${bits}-bit (from hidden size)` : ""}${group ? `, group ${group}` : ""}`);
      return wf;
    }
  }

  // HQQ / EETQ
  if (s.leaves.has("W_q")) {
    const wf = blank("hqq");
    wf.method = "hqq";
    wf.storageDtype = s.byLeaf.get("W_q")![0]!.dtype;
    wf.evidence.push("tensors: HQQ W_q packed weights");
    return wf;
  }
  if (s.leaves.has("weight_scales") && storage === "I8") {
    const wf = blank("eetq-int8");
    wf.method = "eetq";
    wf.bits = 8;
    wf.storageDtype = "I8";
    wf.scaleDtypes = sortedScaleDtypes(s);
    wf.evidence.push("tensors: I8 weights with weight_scales (EETQ)");
    return wf;
  }
  // compressed-tensors int-quantized (W8A8): I8 weight + weight_scale
  if (storage === "I8" && s.leaves.has("weight_scale")) {
    const wf = blank("compressed-tensors-w8a8");
    wf.method = "compressed-tensors";
    wf.bits = 8;
    wf.storageDtype = "I8";
    wf.scaleDtypes = sortedScaleDtypes(s);
    wf.evidence.push(`tensors: I8 weights with weight_scale${s.leaves.has("input_scale") ? " + static input_scale" : " (dynamic activations)"}: int8 W8A8`);
    return wf;
  }

  // Plain floating point
  if (storage && FLOAT_FORMAT[storage]) {
    const wf = blank(FLOAT_FORMAT[storage]!);
    wf.storageDtype = storage;
    const others = [...s.matrixCount.entries()].filter(([d]) => d !== storage);
    wf.evidence.push(`tensors: ${count(storage)} ${storage} matrices`);
    if (others.length > 0) {
      wf.evidence.push(`mixed: also ${others.map(([d, c]) => `${c} ${d}`).join(", ")} matri${others.reduce((a, [, c]) => a + c, 0) === 1 ? "x" : "ces"} (format stays ${wf.format})`);
    }
    return wf;
  }
  if (storage) {
    const wf = blank(storage.toLowerCase());
    wf.storageDtype = storage;
    wf.evidence.push(`tensors: matrices stored as ${storage}, no known quantization layout`);
    return wf;
  }
  // no matrices: fall back to the dominant dtype overall
  const all = new Map<string, number>();
  for (const t of tensors) all.set(t.dtype, (all.get(t.dtype) ?? 0) + 1);
  const d = dominant(all);
  if (d && FLOAT_FORMAT[d]) {
    const wf = blank(FLOAT_FORMAT[d]!);
    wf.storageDtype = d;
    wf.evidence.push(`tensors: no recognised matrices; dominant dtype ${d}`);
    return wf;
  }
  return null;
}

function isBlockScale(w: TensorRecord, sc: TensorRecord): boolean {
  return w.shape.length === 2 && sc.shape.length === 2 && sc.shape[0]! > 1 && sc.shape[1]! > 1 && sc.shape[1]! < w.shape[1]!;
}

// ---------------------------------------------------------------------------------------------
// Both
// ---------------------------------------------------------------------------------------------

function family(format: string): string {
  if (format.startsWith("fp8")) return "fp8";
  if (format.startsWith("gptq") || format.startsWith("awq")) return format.slice(0, format.indexOf("-") > 0 ? format.indexOf("-") : undefined);
  if (format.startsWith("bnb")) return "bnb";
  if (format.startsWith("mlx")) return "mlx";
  if (format.startsWith("compressed-tensors")) return "compressed-tensors";
  if (format.startsWith("gguf")) return "gguf";
  if (format === "bf16" || format === "fp16" || format === "fp32" || format === "fp64") return "float";
  return format;
}

/**
 * Detects the weight format with findings (conflicts between config and tensors).
 * Tensors win; the config fills what tensors cannot show (method options, group size when the
 * tensor layout hides it) when both agree on the family.
 */
export function detectWeightFormatDetailed(input: WeightFormatInput): { format: WeightFormat; findings: Finding[] } {
  return withMixedNote(detectRaw(input));
}

function detectRaw(input: WeightFormatInput): { format: WeightFormat; findings: Finding[] } {
  const findings: Finding[] = [];
  const fromT = formatFromTensors(input.tensors, input.source);
  const fromC = formatFromConfig(input.config, input.hfQuantConfig);
  if (!fromT && !fromC) {
    const wf = blank("unknown");
    wf.evidence.push(input.tensors?.length ? "tensors: no recognised weight layout" : "config: no quantization_config and no torch_dtype");
    return { format: wf, findings };
  }
  if (!fromT) return { format: fromC!, findings };
  if (!fromC) return { format: fromT, findings };

  const ft = family(fromT.format);
  const fc = family(fromC.format);
  if (ft === fc) {
    // Same family. Prefer the config's name when the tensors could not decide the details
    // (`gptq-int?`, `mlx-?bit`) or it is more specific (block vs per-channel is tensor-visible).
    const out: WeightFormat = { ...fromT, evidence: [...fromT.evidence, ...fromC.evidence] };
    if (fromT.format.includes("?")) out.format = fromC.format;
    if (ft === "compressed-tensors" && fromT.format !== fromC.format) out.format = fromC.format; // activation bits are config-only
    if (ft === "float" && fromT.format !== fromC.format) {
      out.evidence.push(`config torch_dtype says ${fromC.format}, matrices are ${fromT.format}; tensors win`);
      findings.push({
        severity: "info",
        code: "WEIGHT_DTYPE_MISMATCH",
        message: `config torch_dtype ${fromC.format} but the weights are stored as ${fromT.format}`,
      });
    }
    out.method = fromT.method ?? fromC.method;
    out.bits = fromT.bits ?? fromC.bits;
    out.groupSize = fromT.groupSize ?? fromC.groupSize;
    out.blockSize = fromT.blockSize ?? fromC.blockSize;
    if (fromC.method && fromT.method && fromC.method !== fromT.method) out.method = fromC.method;
    if (fromT.bits !== null && fromC.bits !== null && fromT.bits !== fromC.bits) conflict(findings, out, "bits", fromT.bits, fromC.bits);
    if (fromT.groupSize !== null && fromC.groupSize !== null && fromT.groupSize !== fromC.groupSize) {
      conflict(findings, out, "group size", fromT.groupSize, fromC.groupSize);
    }
    if (fromT.blockSize && fromC.blockSize && fromT.blockSize.join("x") !== fromC.blockSize.join("x")) {
      conflict(findings, out, "block size", fromT.blockSize.join("x"), fromC.blockSize.join("x"));
    }
    if (ft !== "float" && fromT.format !== fromC.format && !fromT.format.includes("?") && ft !== "compressed-tensors") {
      conflict(findings, out, "format", fromT.format, fromC.format);
    }
    return { format: out, findings };
  }
  // Different families: tensors win.
  const out: WeightFormat = { ...fromT, evidence: [...fromT.evidence, ...fromC.evidence] };
  if (fc === "float") {
    out.evidence.push(`config declares no quantization (torch_dtype ${fromC.format}) but the tensors are ${fromT.format}`);
    findings.push({
      severity: "warning",
      code: "WEIGHT_FORMAT_UNDECLARED",
      message: `tensors are ${fromT.format} but config.json has no quantization_config (it says ${fromC.format})`,
    });
  } else {
    conflict(findings, out, "format", fromT.format, fromC.format);
  }
  return { format: out, findings };
}

function conflict(findings: Finding[], out: WeightFormat, what: string, t: string | number, c: string | number): void {
  out.evidence.push(`CONFLICT: ${what} ${t} from tensors vs ${c} from config; tensors win`);
  findings.push({
    severity: "warning",
    code: "WEIGHT_FORMAT_MISMATCH",
    message: `weight ${what}: tensors say ${t}, config says ${c}; tensors win`,
  });
}

/**
 * The weight format of a model, from its headers (`tensors`), its config alone (`tensors: null`),
 * or both. Never throws; "unknown" when nothing says.
 */
export function detectWeightFormat(input: WeightFormatInput): WeightFormat {
  return detectWeightFormatDetailed(input).format;
}

function withMixedNote(r: { format: WeightFormat; findings: Finding[] }): { format: WeightFormat; findings: Finding[] } {
  const note = r.format.evidence.find((e) => e.startsWith("mixed:"));
  if (note) r.findings.push({ severity: "info", code: "WEIGHT_MIXED_DTYPES", message: `${r.format.format} model with matrices in other dtypes (${note.slice(7).trim()})` });
  return r;
}

/** `features.weightFormat` value: the format, or null when unknown. */
export function weightFormatFeature(wf: WeightFormat | null): string | null {
  return wf && wf.format !== "unknown" ? wf.format : null;
}
