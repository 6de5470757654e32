/**
 * Engine support gaps (Mantile's get_supported_layers parity): which layer and op kinds a model
 * needs, and which of them the engine does not declare in `engine.supported`.
 *
 * The kinds are derived from the fingerprint's features (the same facts the op set in
 * src/fingerprint/ops.ts is built from), so a config-only fingerprint and a header fingerprint of
 * the same model need the same kinds. Engines may declare the kinds below or the equivalent op
 * names (`attention.gqa`, `moe.shared`, `tower.vision`, `quant.fp8-e4m3-block`...); the vocabulary
 * is documented in docs/integrity.md "Engine kinds".
 *
 *   layer kinds   full_attention sliding_attention chunked_attention cross_attention
 *                 linear_attention mamba mamba2 conv
 *   attention     mha gqa mqa mla softcap sinks qk_norm
 *   positions     rope.<type> (rope.default, rope.llama3, rope.yarn, rope.longrope, rope.linear,
 *                 rope.dynamic, rope.mrope, ...), rope.partial, alibi, learned_positions,
 *                 relative_positions
 *   moe           moe shared_experts grouped_topk
 *   weights       fp8 mxfp4 nvfp4 gptq awq bitsandbytes mlx gguf compressed-tensors modelopt
 *                 eetq hqq quanto int8 (plain bf16/fp16/fp32 need nothing)
 *   towers        vision audio
 *
 * Wildcards: `rope` or `rope.*` accepts every rope type; `quant.*` every weight format.
 */
import { normalizeTensorName, classifyRecord } from "../fingerprint/tensors.js";
import type { Fingerprint, TensorKind } from "../fingerprint/types.js";
import type { TensorRecord } from "../sources/types.js";

export interface EngineGaps {
  /** Kinds the model needs, in vocabulary order. */
  needed: string[];
  /** Needed kinds the engine does not declare, with up to 5 example abstract tensor keys each. */
  missing: { kind: string; tensors: string[] }[];
  /** Entries of `supported` that are not in the vocabulary (typos, or kinds standin does not know). */
  unrecognized: string[];
}

const LAYER_KINDS = ["full_attention", "sliding_attention", "chunked_attention", "cross_attention", "linear_attention", "mamba", "mamba2", "conv"];
const ATTENTION_KINDS = ["mha", "gqa", "mqa", "mla", "softcap", "sinks", "qk_norm"];
const POSITION_KINDS = ["rope.partial", "alibi", "learned_positions", "relative_positions"];
const MOE_KINDS = ["moe", "shared_experts", "grouped_topk"];
const QUANT_KINDS = ["fp8", "mxfp4", "nvfp4", "gptq", "awq", "bitsandbytes", "mlx", "gguf", "compressed-tensors", "modelopt", "eetq", "hqq", "quanto", "int8"];
const TOWER_KINDS = ["vision", "audio"];

/** Every fixed kind of the vocabulary (rope.<type> kinds are open-ended). */
export const ENGINE_KINDS: readonly string[] = [...LAYER_KINDS, ...ATTENTION_KINDS, ...POSITION_KINDS, ...MOE_KINDS, ...QUANT_KINDS, ...TOWER_KINDS];

/** Op names (src/fingerprint/ops.ts) and common spellings accepted for a kind. */
const ALIASES: Readonly<Record<string, string>> = {
  "attention.mha": "mha",
  "attention.gqa": "gqa",
  "attention.mqa": "mqa",
  "attention.mla": "mla",
  "attention.mla.q_lora": "mla",
  "attention.sliding": "sliding_attention",
  "attention.hybrid_window": "sliding_attention",
  "attention.chunked": "chunked_attention",
  "attention.cross": "cross_attention",
  "attention.softcap": "softcap",
  "attention.sinks": "sinks",
  "attention.qk_norm": "qk_norm",
  "pos.alibi": "alibi",
  "pos.learned": "learned_positions",
  "pos.relative": "relative_positions",
  "moe.topk": "moe",
  "moe.shared": "shared_experts",
  "moe.grouped": "grouped_topk",
  "tower.vision": "vision",
  "tower.audio": "audio",
  sliding_window: "sliding_attention",
  swa: "sliding_attention",
  shared_expert: "shared_experts",
  attention_sinks: "sinks",
  logit_softcap: "softcap",
  logit_softcapping: "softcap",
  softcapping: "softcap",
  multi_head_latent_attention: "mla",
  bnb: "bitsandbytes",
  "compressed_tensors": "compressed-tensors",
  "ssm": "mamba",
  mixtral: "moe",
};

/** Weight format (features.weightFormat) -> quant kind; null for plain float formats. */
export function quantKind(format: string | null): string | null {
  if (!format) return null;
  const f = format.toLowerCase();
  if (f === "bf16" || f === "fp16" || f === "fp32" || f === "fp64" || f === "unknown") return null;
  if (f.startsWith("fp8")) return "fp8";
  if (f === "mxfp4") return "mxfp4";
  if (f === "nvfp4") return "nvfp4";
  if (f.startsWith("gptq")) return "gptq";
  if (f.startsWith("awq")) return "awq";
  if (f.startsWith("bnb")) return "bitsandbytes";
  if (f.startsWith("mlx")) return "mlx";
  if (f.startsWith("gguf")) {
    const t = f.slice(5);
    return t === "f32" || t === "f16" || t === "bf16" ? null : "gguf";
  }
  if (f.startsWith("compressed-tensors")) return "compressed-tensors";
  if (f.startsWith("modelopt")) return "modelopt";
  if (f.startsWith("eetq")) return "eetq";
  if (f.startsWith("hqq")) return "hqq";
  if (f.startsWith("quanto")) return "quanto";
  if (f.includes("int8")) return "int8";
  return f;
}

/** The kinds a fingerprint needs, in vocabulary order. */
export function neededKinds(fp: Fingerprint): string[] {
  const f = fp.features;
  const need = new Set<string>();
  const layer = new Set(f.layerKinds ?? []);
  for (const k of LAYER_KINDS) if (layer.has(k)) need.add(k);
  if (layer.has("moe")) need.add("moe");
  if (f.slidingWindow && f.slidingWindow !== "none") need.add("sliding_attention");
  if (f.topology === "encoder-decoder") need.add("cross_attention");
  if (f.attentionFamily === "mla") need.add("mla");
  else if (f.attentionFamily === "standard" && f.kvGrouping) need.add(f.kvGrouping.toLowerCase());
  if (f.logitSoftcap) need.add("softcap");
  if (f.attentionSinks) need.add("sinks");
  if (f.qkNorm) need.add("qk_norm");
  const hasAttention = [...layer].some((k) => k.endsWith("_attention") && k !== "linear_attention") || f.attentionFamily === "mla" || f.attentionFamily === "standard";
  if (f.positionEncoding === "rope" && hasAttention) {
    need.add(`rope.${f.ropeType ?? "default"}`);
    if (f.partialRotary !== null && f.partialRotary < 1) need.add("rope.partial");
  } else if (f.positionEncoding === "alibi") need.add("alibi");
  else if (f.positionEncoding === "learned") need.add("learned_positions");
  else if (f.positionEncoding === "relative") need.add("relative_positions");
  if (f.moe) {
    need.add("moe");
    if (f.sharedExperts) need.add("shared_experts");
    if (f.groupedTopK !== null && f.groupedTopK > 1) need.add("grouped_topk");
  }
  const q = quantKind(f.weightFormat);
  if (q) need.add(q);
  for (const m of f.modality ?? []) if (m === "vision" || m === "audio") need.add(m);
  // vocabulary order: layer kinds, attention, rope types, other positions, MoE, weights, towers
  const fixed = (list: readonly string[]) => list.filter((k) => need.has(k));
  const rope = [...need].filter((k) => k.startsWith("rope.") && k !== "rope.partial").sort();
  const known = new Set([...ENGINE_KINDS, ...rope]);
  const other = [...need].filter((k) => !known.has(k)).sort();
  return [...fixed(LAYER_KINDS), ...fixed(ATTENTION_KINDS), ...rope, ...fixed(POSITION_KINDS), ...fixed(MOE_KINDS), ...fixed(QUANT_KINDS), ...other, ...fixed(TOWER_KINDS)];
}

/** Canonical kind of a `supported` entry ("attention.gqa" -> "gqa"), or null when unrecognized. */
export function canonicalKind(entry: string): string | null {
  const e = entry.trim().toLowerCase();
  if (e === "rope" || e === "rope.*" || e === "quant.*") return e === "quant.*" ? "quant.*" : "rope.*";
  if (ALIASES[e]) return ALIASES[e]!;
  if (e.startsWith("quant.")) return quantKind(e.slice(6)) ?? e.slice(6);
  if (e.startsWith("rope.")) return e;
  const u = e.replace(/-/g, "_");
  if (ENGINE_KINDS.includes(e)) return e;
  if (ENGINE_KINDS.includes(u)) return u;
  if (ALIASES[u]) return ALIASES[u]!;
  return null;
}

const ATTN: ReadonlySet<TensorKind> = new Set<TensorKind>(["attn_q", "attn_qkv", "mla_q_a", "mla_q_b", "mla_kv_a"]);

/** Does an abstract key (with its kind and dtype) evidence `kind`? */
function evidences(kind: string, key: string, k: TensorKind, dtype: string): boolean {
  const leaf = key.slice(key.lastIndexOf(".") + 1);
  switch (kind) {
    case "full_attention":
    case "sliding_attention":
    case "chunked_attention":
      return ATTN.has(k);
    case "cross_attention":
      return /(?:^|\.)(?:cross_attn|encoder_attn|EncDecAttention|crossattention)(?:\.|$)/.test(key);
    case "mha":
    case "gqa":
    case "mqa":
      return k === "attn_k" || k === "attn_qkv";
    case "mla":
      return k.startsWith("mla_");
    case "linear_attention":
      return k === "linear_attention";
    case "mamba":
    case "mamba2":
      return k === "mamba";
    case "conv":
      return k === "conv";
    case "sinks":
      return k === "attn_sinks";
    case "qk_norm":
      return k === "attn_q_norm" || k === "attn_k_norm";
    case "learned_positions":
    case "relative_positions":
      return k === "position_embedding";
    case "moe":
      return k === "expert" || k === "moe_router";
    case "shared_experts":
      return k === "shared_expert";
    case "grouped_topk":
      return k === "moe_router_bias" || k === "moe_router";
    case "vision":
      return k === "vision" || k === "projector";
    case "audio":
      return k === "audio";
    case "fp8":
      return dtype.startsWith("F8_") || leaf === "weight_scale_inv";
    case "mxfp4":
      return leaf.endsWith("_blocks") || leaf.endsWith("_scales") || leaf === "blocks";
    case "nvfp4":
      return leaf === "weight_scale_2" || leaf === "weight_global_scale" || (dtype === "U8" && leaf === "weight");
    case "gptq":
    case "awq":
      return leaf === "qweight" || leaf === "qzeros" || leaf === "g_idx";
    case "mlx":
      return (dtype === "U32" && leaf === "weight") || leaf === "scales" || leaf === "biases";
    case "bitsandbytes":
      return leaf === "SCB" || leaf === "absmax" || key.includes("quant_state");
    case "compressed-tensors":
      return leaf === "weight_packed" || leaf === "weight_scale" || leaf === "weight_zero_point";
    case "gguf":
      return /^(?:[QT]Q?\d|IQ\d)/.test(dtype);
    default:
      if (kind.startsWith("rope.")) return leaf === "inv_freq" || leaf === "rope_freqs";
      return false;
  }
}

/**
 * Kinds the model needs and those `supported` lacks. `tensors` (the raw header records) give example
 * keys; without them the fingerprint's signature is used; config-only models get no examples.
 * With `supported` null nothing is checked (missing is empty).
 */
export function engineGaps(fp: Fingerprint, tensors: readonly TensorRecord[] | null, supported: readonly string[] | null): EngineGaps {
  const needed = neededKinds(fp);
  if (supported === null) return { needed, missing: [], unrecognized: [] };
  const have = new Set<string>();
  const unrecognized: string[] = [];
  for (const s of supported) {
    const c = canonicalKind(s);
    if (c === null) unrecognized.push(s);
    else have.add(c);
  }
  const lacking = needed.filter((k) => {
    if (have.has(k)) return false;
    if (k.startsWith("rope.") && have.has("rope.*")) return false;
    if (QUANT_KINDS.includes(k) && have.has("quant.*")) return false;
    return true;
  });
  if (lacking.length === 0) return { needed, missing: [], unrecognized };

  // example keys: the signature (abstract keys) when present, else the raw tensors normalized
  const examples = new Map<string, string[]>(lacking.map((k) => [k, []]));
  const consider = (key: string, kind: TensorKind, dtype: string) => {
    for (const k of lacking) {
      const list = examples.get(k)!;
      if (list.length < 5 && !list.includes(key) && evidences(k, key, kind, dtype)) list.push(key);
    }
  };
  if (fp.signature) {
    for (const [key, t] of Object.entries(fp.signature.keys)) consider(key, t.kind, t.dtype);
  } else if (tensors) {
    const seen = new Set<string>();
    for (const t of tensors) {
      const key = normalizeTensorName(t.name).key;
      if (seen.has(key + "\u0000" + t.dtype)) continue;
      seen.add(key + "\u0000" + t.dtype);
      consider(key, classifyRecord({ name: key, dtype: t.dtype }).kind, t.dtype);
    }
  }
  return { needed, missing: lacking.map((k) => ({ kind: k, tensors: examples.get(k)! })), unrecognized };
}
