/**
 * The tensor side of the fingerprint: name normalization, tensor classification, the static weight
 * signature, parameter counting and the features that tensors reveal on their own.
 *
 * Rules and tables are documented in docs/fingerprint-tensors.md; keep the two in step.
 *
 * Design notes
 * - Classification works on dot-separated path *segments* (never substrings of the whole name), with
 *   ordered rules, most specific first. It is pure (name only); `classifyRecord` adds one dtype rule
 *   (exponent-only dtypes are always quantization scales).
 * - Quantization bookkeeping (scales, zeros, g_idx, SCB, quant_state...) is classified as quant_* and
 *   keeps the role of the module it belongs to, so a quantized copy maps back onto the same
 *   architecture keys (`architectureKeys`).
 * - Nothing here guesses: a feature that tensors cannot decide is left out of the Partial result.
 *
 * This module and weight-format.ts import each other (functions only, no top-level use), which ESM
 * resolves fine.
 */
import type { TensorRecord } from "../sources/types.js";
import type { Features, Finding, Scale, TensorKind, WeightFormat, WeightSignature } from "./types.js";
import { detectWeightFormat, isScaleOnlyDtype } from "./weight-format.js";

// ---------------------------------------------------------------------------------------------
// Normalization
// ---------------------------------------------------------------------------------------------

export interface NormalizedName {
  /** Abstract key: the layer index replaced by `{L}`, the expert index by `{E}`. */
  key: string;
  layer: number | null;
  expert: number | null;
}

/** Segments whose following numeric segment is a layer (block) index. */
export const LAYER_CONTAINERS: ReadonlySet<string> = new Set([
  "layers",
  "layer",
  "h",
  "blocks",
  "block",
  "blk",
  "resblocks",
  "transformer_blocks",
  "decoder_layers",
  "encoder_layers",
]);
/** Segments whose following numeric segment is an expert index. */
export const EXPERT_CONTAINERS: ReadonlySet<string> = new Set(["experts", "local_experts"]);

export function isDigits(s: string): boolean {
  const n = s.length;
  if (n === 0 || n > 15) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Normalizes a tensor name into an abstract key.
 *
 * - The first numeric segment that follows a layer container (`layers`, `layer`, `h`, `blocks`,
 *   `block`, `blk`, `resblocks`, ...) becomes `{L}` and is returned as `layer`.
 * - The first numeric segment that follows an expert container (`experts`, `local_experts`) becomes
 *   `{E}` and is returned as `expert`.
 * - Every other numeric segment stays literal: Sequential sub-indices (`visual.merger.mlp.0`,
 *   conv `blocks.{L}.0`), T5 sub-layers (`block.{L}.layer.1`), ModuleLists that are not layer stacks
 *   (`deepstack_merger_list.0`). A second container index in the same name (T5 `layer.1` after
 *   `block.N`) is a sub-layer, not a layer.
 *
 * Towers have their own layer stacks (`visual.blocks.{L}`, `vision_model.encoder.layers.{L}`); the
 * index is normalized the same way, and classification tells tower tensors apart.
 */
export function normalizeTensorName(name: string): NormalizedName {
  const sc = scanTensorName(name, newScan());
  return { key: keyOf(name, sc), layer: sc.layer, expert: sc.expert };
}

/** What one pass over a tensor name finds (scanTensorName). */
interface NameScan {
  layer: number | null;
  expert: number | null;
  /** Bounds in the name of the segment written `{L}`, and of the one written `{E}` (-1: none). */
  ls: number;
  le: number;
  es: number;
  ee: number;
  /** keyHash of the abstract key, computed without building it. */
  hash: number;
}

function newScan(): NameScan {
  return { layer: null, expert: null, ls: -1, le: -1, es: -1, ee: -1, hash: 0 };
}

/** Hash multiplier of keyHash (odd, so its powers never vanish mod 2^32). */
const KEY_B = 0x01000193;
const TAG_L = "{L}";
const TAG_E = "{E}";
/** Layer (1) and expert (2) containers, as a list to compare with a segment in place. */
const CONTAINERS: readonly (readonly [string, 1 | 2])[] = [...[...LAYER_CONTAINERS].map((c) => [c, 1] as const), ...[...EXPERT_CONTAINERS].map((c) => [c, 2] as const)];

/** Which container the segment name[a, b) is: 1 layer, 2 expert, 0 neither (no string made). */
function containerAt(name: string, a: number, b: number): 0 | 1 | 2 {
  const n = b - a;
  for (const [c, kind] of CONTAINERS) {
    if (c.length !== n) continue;
    let k = 0;
    while (k < n && name.charCodeAt(a + k) === c.charCodeAt(k)) k++;
    if (k === n) return kind;
  }
  return 0;
}

/**
 * The normalization rule, in one pass over the characters and without making a string: which
 * numeric segments become `{L}` and `{E}` (see normalizeTensorName), their values, and the hash of
 * the resulting key. Fills and returns `sc`.
 */
function scanTensorName(name: string, sc: NameScan): NameScan {
  let layer: number | null = null;
  let expert: number | null = null;
  let ls = -1;
  let le = -1;
  let es = -1;
  let ee = -1;
  let h = 0;
  let segStart = 0;
  let prevStart = -1;
  let digits = true;
  let value = 0;
  let segHash = 0;
  let segPow = 1;
  const len = name.length;
  for (let i = 0; i <= len; i++) {
    const c = i < len ? name.charCodeAt(i) : 46;
    if (c !== 46) {
      if (c < 48 || c > 57) digits = false;
      else if (digits) value = value * 10 + (c - 48);
      segHash = (Math.imul(segHash, KEY_B) + c) | 0;
      segPow = Math.imul(segPow, KEY_B);
      continue;
    }
    let tag: string | null = null;
    if (digits && i > segStart && prevStart >= 0 && i - segStart <= 15) {
      const kind = containerAt(name, prevStart, segStart - 1);
      if (kind === 1 && layer === null && expert === null) {
        layer = value;
        tag = TAG_L;
        ls = segStart;
        le = i;
      } else if (kind === 2 && expert === null) {
        expert = value;
        tag = TAG_E;
        es = segStart;
        ee = i;
      }
    }
    if (tag !== null) {
      for (let k = 0; k < 3; k++) h = (Math.imul(h, KEY_B) + tag.charCodeAt(k)) | 0;
    } else {
      h = (Math.imul(h, segPow) + segHash) | 0;
    }
    if (i < len) h = (Math.imul(h, KEY_B) + 46) | 0;
    prevStart = segStart;
    segStart = i + 1;
    digits = true;
    value = 0;
    segHash = 0;
    segPow = 1;
  }
  sc.layer = layer;
  sc.expert = expert;
  sc.ls = ls;
  sc.le = le;
  sc.es = es;
  sc.ee = ee;
  sc.hash = h;
  return sc;
}

/** The abstract key of a scanned name (a layer tag always comes before an expert tag). */
function keyOf(name: string, sc: NameScan): string {
  if (sc.ls < 0 && sc.es < 0) return name;
  let key = "";
  let from = 0;
  if (sc.ls >= 0) {
    key += name.slice(from, sc.ls) + TAG_L;
    from = sc.le;
  }
  if (sc.es >= 0) {
    key += name.slice(from, sc.es) + TAG_E;
    from = sc.ee;
  }
  return key + name.slice(from);
}

// ---------------------------------------------------------------------------------------------
// Classification
// ---------------------------------------------------------------------------------------------

/**
 * What the last segment of a tensor name is:
 * weight (a matrix/vector parameter), bias, packed (a quantized weight container: `qweight`,
 * `weight_packed`, `*_blocks`, HQQ `W_q`), param (a named parameter such as `A_log`, `sinks` or a
 * fused expert tensor without `.weight`), quant (quantization bookkeeping), buffer (non-learned
 * state: rotary `inv_freq`, causal-mask `attn.bias`, `position_ids`).
 */
export type LeafKind = "weight" | "bias" | "packed" | "param" | "quant" | "buffer";

export interface TensorClass {
  kind: TensorKind;
  /**
   * The role of the module the tensor belongs to, looking through expert, shared-expert, tower and
   * quantization wrapping: `experts.3.w1.weight` -> "ffn_gate", `q_proj.qzeros` -> "attn_q",
   * `visual.blocks.0.attn.qkv.weight` -> "attn_qkv". Equals `kind` when there is nothing to look
   * through, "other" when the inner role is unknown.
   */
  role: TensorKind;
  leaf: LeafKind;
}

/** Quantization scales (the leaf segment). */
const QUANT_SCALE_LEAVES: ReadonlySet<string> = new Set([
  "weight_scale",
  "weight_scale_inv",
  "weight_scale_2",
  "weight_global_scale",
  "input_scale",
  "input_global_scale",
  "output_scale",
  "k_scale",
  "v_scale",
  "q_scale",
  "prob_scale",
  "scales", // GPTQ/AWQ, MLX, gpt-oss original `mlp1_weight.scales`
  "weight_scales", // EETQ
  "SCB", // bitsandbytes int8 row scales
  "absmax", // bitsandbytes 4-bit block absmax
  "nested_absmax",
  "scale_inv",
]);
/** Quantization zero points / offsets. MLX `biases` are the affine offsets of its group quantization. */
const QUANT_ZERO_LEAVES: ReadonlySet<string> = new Set([
  "qzeros",
  "weight_zero_point",
  "input_zero_point",
  "output_zero_point",
  "zero_point",
  "zeros",
  "biases",
]);
/** Other quantization bookkeeping. */
const QUANT_AUX_LEAVES: ReadonlySet<string> = new Set([
  "g_idx",
  "weight_g_idx",
  "weight_format", // bitsandbytes int8
  "quant_map",
  "nested_quant_map",
  "weight_shape", // compressed-tensors logical shape
  "perm",
  "invperm",
  "SU",
  "SV",
  "codebooks",
]);
/** Packed quantized weight leaves. */
const PACKED_LEAVES: ReadonlySet<string> = new Set(["qweight", "weight_packed", "W_q"]);
/** Leaves that are parameters in their own right even though they end with `_bias`/`_weight`. */
const PARAM_LEAVES: ReadonlySet<string> = new Set([
  "dt_bias",
  "e_score_correction_bias",
  "expert_bias",
  "A_log",
  "D",
  "sinks",
]);
/** Non-learned buffers saved by some checkpoints. */
const BUFFER_LEAVES: ReadonlySet<string> = new Set([
  "inv_freq",
  "masked_bias",
  "position_ids",
  "_float_tensor",
  "num_batches_tracked",
  "rope_freqs",
]);

/** Segment-level flags, computed once per name. */
const F_PROJECTOR = 1 << 0;
const F_VISION = 1 << 1;
const F_AUDIO = 1 << 2;
const F_EXPERTS = 1 << 3;
const F_SHARED = 1 << 4;
const F_ROUTER = 1 << 5;
const F_MIXER = 1 << 6;
const F_LINEAR_ATTN = 1 << 7;
const F_RWKV = 1 << 8;
const F_CONV = 1 << 9;
const F_LM_HEAD = 1 << 10;
const F_INDEXER = 1 << 11;
const F_MTP = 1 << 12;
const F_EMBEDDINGS = 1 << 13;

const WORD_FLAGS: ReadonlyMap<string, number> = new Map<string, number>([
  // multimodal projectors / connectors (checked before towers: `visual.merger` is a projector)
  ["multi_modal_projector", F_PROJECTOR],
  ["mm_projector", F_PROJECTOR],
  ["merger", F_PROJECTOR],
  ["deepstack_merger_list", F_PROJECTOR],
  ["patch_merger", F_PROJECTOR],
  ["img_projection", F_PROJECTOR],
  ["image_projection", F_PROJECTOR],
  ["connector", F_PROJECTOR],
  ["resampler", F_PROJECTOR],
  ["aligner", F_PROJECTOR],
  ["audio_projector", F_PROJECTOR],
  ["audio_projection", F_PROJECTOR],
  ["vision_language_adapter", F_PROJECTOR],
  ["embed_vision", F_PROJECTOR],
  ["embed_audio", F_PROJECTOR],
  ["image_newline", F_PROJECTOR],
  ["view_seperator", F_PROJECTOR],
  // vision towers
  ["visual", F_VISION],
  ["vision_tower", F_VISION],
  ["vision_model", F_VISION],
  ["vision_encoder", F_VISION],
  ["vision_embed_tokens", F_VISION],
  ["vision", F_VISION],
  ["vpm", F_VISION],
  ["image_encoder", F_VISION],
  ["img_processor", F_VISION],
  ["vit", F_VISION],
  ["siglip", F_VISION],
  // audio towers
  ["audio_tower", F_AUDIO],
  ["audio_model", F_AUDIO],
  ["audio_encoder", F_AUDIO],
  ["audio", F_AUDIO],
  ["apm", F_AUDIO],
  ["speech_encoder", F_AUDIO],
  // MoE
  ["experts", F_EXPERTS],
  ["local_experts", F_EXPERTS],
  ["shared_experts", F_SHARED],
  ["shared_expert", F_SHARED],
  ["shared_mlp", F_SHARED],
  ["router", F_ROUTER],
  ["moe_gate", F_ROUTER],
  // state-space / linear / conv mixers
  ["mixer", F_MIXER],
  ["mamba", F_MIXER],
  ["ssm", F_MIXER],
  ["linear_attn", F_LINEAR_ATTN],
  ["linear_attention", F_LINEAR_ATTN],
  ["rwkv", F_RWKV],
  ["conv", F_CONV],
  // heads and extras
  ["lm_head", F_LM_HEAD],
  ["indexer", F_INDEXER],
  ["mtp", F_MTP],
  ["embeddings", F_EMBEDDINGS],
]);

/** Leading container words stripped before deciding whether a module is "top level". */
const ROOT_PREFIXES: ReadonlySet<string> = new Set([
  "model",
  "transformer",
  "language_model",
  "text_model",
  "backbone",
  "gpt_neox",
  "rwkv",
  "thinker",
  "bert",
  "roberta",
  "llm",
  "lm",
  "base_model",
]);
/** Output heads when they are the first word after the root prefixes. */
const HEAD_ROOTS: ReadonlySet<string> = new Set(["lm_head", "cls", "pooler", "classifier", "score", "qa_outputs"]);
/** Output heads when they are the only word after the root prefixes. */
const HEAD_SOLO: ReadonlySet<string> = new Set([
  "output",
  "head",
  "proj_out",
  "embed_out",
  "output_layer",
  "unembedding",
]);

const EMBEDDING_NAMES: ReadonlySet<string> = new Set([
  "embed_tokens",
  "wte",
  "word_embeddings",
  "tok_embeddings",
  "embed_in",
  "embeddings",
  "embedding",
  "token_embd",
  "token_type_embeddings",
  "embed_tokens_per_layer",
]);
const POSITION_NAMES: ReadonlySet<string> = new Set([
  "wpe",
  "embed_positions",
  "position_embeddings",
  "position_embedding",
  "pos_embed",
  "pos_embd",
  "positional_embedding",
  "relative_attention_bias",
]);

const MLA_NAMES: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["q_a_proj", "mla_q_a"],
  ["q_b_proj", "mla_q_b"],
  ["q_a_layernorm", "mla_q_a_norm"],
  ["kv_a_proj_with_mqa", "mla_kv_a"],
  ["kv_a_proj", "mla_kv_a"],
  ["kv_b_proj", "mla_kv_b"],
  ["kv_a_layernorm", "mla_kv_a_norm"],
]);
const QK_NORM_NAMES: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["q_norm", "attn_q_norm"],
  ["k_norm", "attn_k_norm"],
  ["q_layernorm", "attn_q_norm"],
  ["k_layernorm", "attn_k_norm"],
  ["query_layernorm", "attn_q_norm"],
  ["key_layernorm", "attn_k_norm"],
  ["norm_q", "attn_q_norm"],
  ["norm_k", "attn_k_norm"],
  ["q_ln", "attn_q_norm"],
  ["k_ln", "attn_k_norm"],
]);
/** Attention projections recognized by their own name. */
const ATTN_NAMES: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["q_proj", "attn_q"],
  ["query", "attn_q"],
  ["wq", "attn_q"],
  ["q_lin", "attn_q"],
  ["query_proj", "attn_q"],
  ["k_proj", "attn_k"],
  ["key", "attn_k"],
  ["wk", "attn_k"],
  ["k_lin", "attn_k"],
  ["key_proj", "attn_k"],
  ["v_proj", "attn_v"],
  ["value", "attn_v"],
  ["wv", "attn_v"],
  ["v_lin", "attn_v"],
  ["value_proj", "attn_v"],
  ["qkv_proj", "attn_qkv"],
  ["query_key_value", "attn_qkv"],
  ["c_attn", "attn_qkv"],
  ["W_pack", "attn_qkv"],
  ["Wqkv", "attn_qkv"],
  ["wqkv", "attn_qkv"],
  ["o_proj", "attn_o"],
  ["out_lin", "attn_o"],
]);
/** Attention projections recognized only under an attention parent. */
const ATTN_PARENT_NAMES: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["q", "attn_q"],
  ["k", "attn_k"],
  ["v", "attn_v"],
  ["qkv", "attn_qkv"],
  ["in_proj", "attn_qkv"],
  ["o", "attn_o"],
  ["out", "attn_o"],
  ["out_proj", "attn_o"],
  ["wo", "attn_o"],
  ["dense", "attn_o"],
  ["c_proj", "attn_o"],
  ["proj", "attn_o"],
  ["output_proj", "attn_o"],
]);
const ATTN_PARENTS: ReadonlySet<string> = new Set([
  "self_attn",
  "attn",
  "attention",
  "self_attention",
  "SelfAttention",
  "EncDecAttention",
  "encoder_attn",
  "cross_attn",
  "crossattention",
  "mixer",
]);
/** FFN projections (dense, and the inner role of experts / shared experts). */
const FFN_NAMES: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["gate_proj", "ffn_gate"],
  ["wi_0", "ffn_gate"],
  ["w1", "ffn_gate"],
  ["up_proj", "ffn_up"],
  ["wi_1", "ffn_up"],
  ["wi", "ffn_up"],
  ["w3", "ffn_up"],
  ["v1", "ffn_up"],
  ["fc1", "ffn_up"],
  ["c_fc", "ffn_up"],
  ["fc_in", "ffn_up"],
  ["dense_h_to_4h", "ffn_up"],
  ["lin1", "ffn_up"],
  ["linear_fc1", "ffn_up"],
  ["gate_up_proj", "ffn_gate_up"],
  ["gate_up", "ffn_gate_up"],
  ["w13", "ffn_gate_up"],
  ["input_linear", "ffn_gate_up"],
  ["mlp1", "ffn_gate_up"],
  ["down_proj", "ffn_down"],
  ["w2", "ffn_down"],
  ["fc2", "ffn_down"],
  ["fc_out", "ffn_down"],
  ["dense_4h_to_h", "ffn_down"],
  ["lin2", "ffn_down"],
  ["linear_fc2", "ffn_down"],
  ["output_linear", "ffn_down"],
  ["mlp2", "ffn_down"],
]);
/** FFN projections recognized only under an MLP parent. */
const FFN_PARENT_NAMES: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["c_proj", "ffn_down"],
  ["wo", "ffn_down"],
]);
const MLP_PARENTS: ReadonlySet<string> = new Set([
  "mlp",
  "feed_forward",
  "ffn",
  "DenseReluDense",
  "block_sparse_moe",
  "moe",
  "mixer",
  "sparse_moe",
  "moe_layer",
]);
const MAMBA_NAMES: ReadonlySet<string> = new Set([
  "in_proj",
  "out_proj",
  "conv1d",
  "x_proj",
  "dt_proj",
  "norm",
  "dt_layernorm",
  "b_layernorm",
  "c_layernorm",
  "dt_norm",
  "A_log",
  "D",
  "dt_bias",
]);
const CONV_NAMES: ReadonlySet<string> = new Set(["conv", "in_proj", "out_proj"]);

/** GGUF (llama.cpp) per-block tensor names. */
const GGUF_BLOCK: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["attn_norm", "norm"],
  ["attn_norm_2", "norm"],
  ["ffn_norm", "norm"],
  ["post_attention_norm", "norm"],
  ["post_ffw_norm", "norm"],
  ["attn_post_norm", "norm"],
  ["ffn_post_norm", "norm"],
  ["layer_output_norm", "norm"],
  ["attn_q", "attn_q"],
  ["attn_k", "attn_k"],
  ["attn_v", "attn_v"],
  ["attn_qkv", "attn_qkv"],
  ["attn_output", "attn_o"],
  ["attn_q_norm", "attn_q_norm"],
  ["attn_k_norm", "attn_k_norm"],
  ["attn_sinks", "attn_sinks"],
  ["attn_q_a", "mla_q_a"],
  ["attn_q_b", "mla_q_b"],
  ["attn_q_a_norm", "mla_q_a_norm"],
  ["attn_kv_a_mqa", "mla_kv_a"],
  ["attn_kv_b", "mla_kv_b"],
  ["attn_k_b", "mla_kv_b"],
  ["attn_v_b", "mla_kv_b"],
  ["attn_kv_a_norm", "mla_kv_a_norm"],
  ["ffn_gate", "ffn_gate"],
  ["ffn_up", "ffn_up"],
  ["ffn_down", "ffn_down"],
  ["ffn_gate_inp", "moe_router"],
  ["exp_probs_b", "moe_router_bias"],
  ["ffn_gate_exps", "expert"],
  ["ffn_up_exps", "expert"],
  ["ffn_down_exps", "expert"],
  ["ffn_gate_up_exps", "expert"],
  ["ffn_gate_shexp", "shared_expert"],
  ["ffn_up_shexp", "shared_expert"],
  ["ffn_down_shexp", "shared_expert"],
  ["ffn_gate_inp_shexp", "shared_expert"],
  ["ssm_in", "mamba"],
  ["ssm_conv1d", "mamba"],
  ["ssm_x", "mamba"],
  ["ssm_dt", "mamba"],
  ["ssm_a", "mamba"],
  ["ssm_d", "mamba"],
  ["ssm_out", "mamba"],
  ["ssm_norm", "mamba"],
  ["shortconv", "conv"],
]);
const GGUF_EXPERT_ROLE: ReadonlyMap<string, TensorKind> = new Map<string, TensorKind>([
  ["ffn_gate_exps", "ffn_gate"],
  ["ffn_up_exps", "ffn_up"],
  ["ffn_down_exps", "ffn_down"],
  ["ffn_gate_up_exps", "ffn_gate_up"],
  ["ffn_gate_shexp", "ffn_gate"],
  ["ffn_up_shexp", "ffn_up"],
  ["ffn_down_shexp", "ffn_down"],
]);

const NORM_RE = /norm|(?:^|_)ln(?:_|\d|$)/i;
/** RWKV token-shift / decay parameters (`time_mix_k`, `time_decay`, `time_first`, `time_faaaa`, `time_maa_x`). */
const RWKV_TIME_RE = /^time_(?:mix|decay|first|faaaa|maa)/;
function isNormName(m: string): boolean {
  return NORM_RE.test(m);
}

/**
 * Classifies a module path (the segments without the leaf); for "param" leaves the module path
 * includes the parameter name.
 * Returns [kind, role].
 */
function classifyModule(mod: readonly string[]): [TensorKind, TensorKind] {
  // Words: module segments without numeric indices and normalized placeholders.
  let flags = 0;
  let hasLayer = false;
  let containerWord = "";
  const words: string[] = [];
  for (let i = 0; i < mod.length; i++) {
    const s = mod[i]!;
    if (s === "{L}" || s === "{E}" || isDigits(s)) {
      if (!hasLayer && i > 0 && (s === "{L}" || (isDigits(s) && LAYER_CONTAINERS.has(mod[i - 1]!)))) {
        hasLayer = true;
        containerWord = mod[i - 1]!;
      }
      continue;
    }
    words.push(s);
    const f = WORD_FLAGS.get(s);
    if (f !== undefined) flags |= f;
  }
  const n = words.length;
  const m = n > 0 ? words[n - 1]! : "";
  const p = n > 1 ? words[n - 2]! : "";
  const pp = n > 2 ? words[n - 3]! : "";

  // 1. multimodal projectors, then towers (whatever is inside them)
  if (flags & F_PROJECTOR) return ["projector", innerRole(words, m, p, pp)];
  if (words[0] === "mlp1" && n === 1) return ["projector", "other"]; // InternVL `mlp1.N.*`
  if (flags & F_VISION) return ["vision", innerRole(words, m, p, pp)];
  if (flags & F_AUDIO) return ["audio", innerRole(words, m, p, pp)];
  if (words[0] === "v" && n > 1) return ["vision", "other"]; // GGUF mmproj `v.*`
  if (words[0] === "a" && n > 1) return ["audio", "other"]; // GGUF `a.*`
  if (words[0] === "mm" && n > 1) return ["projector", "other"]; // GGUF mmproj `mm.*`
  if ((m === "conv1" || m === "conv2") && p === "encoder") return ["audio", "other"]; // Whisper frontend

  // 2. output heads (before norms: RoBERTa `lm_head.layer_norm`, BERT `cls.predictions.transform.*`)
  if (flags & F_LM_HEAD) return ["lm_head", "lm_head"];
  {
    let r = 0;
    while (r < n - 1 && ROOT_PREFIXES.has(words[r]!)) r++;
    const first = words[r] ?? "";
    if (HEAD_ROOTS.has(first)) return ["lm_head", "lm_head"];
    if (r === n - 1 && HEAD_SOLO.has(first)) return ["lm_head", "lm_head"];
  }
  if (m === "head" && p === "shared_head") return ["lm_head", "lm_head"]; // DeepSeek MTP

  // 3. pieces without a TensorKind of their own (explicit "other", see docs)
  if (flags & F_INDEXER) return ["other", "other"]; // DeepSeek-V3.2 sparse-attention indexer
  if (m === "eh_proj" || ((flags & F_MTP) && m === "fc")) return ["other", "other"]; // MTP glue

  // 4. named parameters
  if (m === "sinks") return ["attn_sinks", "attn_sinks"];
  if (m === "e_score_correction_bias" || m === "expert_bias") return ["moe_router_bias", "moe_router_bias"];
  if (m === "shared_expert_gate") return ["shared_expert", "moe_router"];

  // 5. MoE: shared experts, routed experts, router
  if (flags & F_SHARED) return ["shared_expert", ffnRole(words, m, p, containerWord)];
  if (
    flags & F_EXPERTS ||
    (p === "block_sparse_moe" && (m === "input_linear" || m === "output_linear")) ||
    m === "mlp1" ||
    m === "mlp2"
  ) {
    return ["expert", ffnRole(words, m, p, containerWord)];
  }
  if (flags & F_ROUTER) return ["moe_router", "moe_router"];
  if ((m === "gate" && MLP_PARENTS.has(p)) || (p === "gate" && MLP_PARENTS.has(pp))) {
    return ["moe_router", "moe_router"];
  }

  // 6. linear attention / RWKV / state-space / short conv mixers
  if (flags & F_LINEAR_ATTN) return ["linear_attention", "linear_attention"];
  const timeParam = RWKV_TIME_RE.test(m);
  if (flags & F_RWKV || timeParam) {
    if (timeParam || words.includes("attention")) return ["linear_attention", "linear_attention"];
    if (words.includes("feed_forward")) {
      // channel mix: squared-ReLU key (up) and value (down); the receptance is a hidden->hidden
      // sigmoid gate on the output, not a GLU gate, so it stays with the RWKV mixing tensors
      if (m === "key") return ["ffn_up", "ffn_up"];
      if (m === "value") return ["ffn_down", "ffn_down"];
      if (m === "receptance") return ["linear_attention", "linear_attention"];
    }
  }
  if (flags & F_MIXER && MAMBA_NAMES.has(m)) return ["mamba", "mamba"];
  if (flags & F_CONV && CONV_NAMES.has(m)) return ["conv", "conv"];

  // 7. attention
  const mla = MLA_NAMES.get(m);
  if (mla) return [mla, mla];
  const qk = QK_NORM_NAMES.get(m);
  if (qk) return [qk, qk];
  const role = attnOrFfnRole(words, m, p, pp, containerWord);
  if (role !== "other") return [role, role];

  // 8. embeddings
  if (POSITION_NAMES.has(m)) return ["position_embedding", "position_embedding"];
  if (EMBEDDING_NAMES.has(m) || (m === "shared" && n === 1)) return ["embedding", "embedding"];

  // 9. norms: inside a layer -> norm; embedding norms -> norm; otherwise the final norm.
  if (isNormName(m)) {
    if (m === "embedding_norm" && !hasLayer) return ["final_norm", "final_norm"]; // LFM2 applies it last
    if (hasLayer || flags & F_EMBEDDINGS || m.includes("emb") || p === "shared_head") return ["norm", "norm"];
    return ["final_norm", "final_norm"];
  }
  return ["other", "other"];
}

/** Attention or FFN role of a module from its name and parent (no context flags). */
function attnOrFfnRole(words: readonly string[], m: string, p: string, pp: string, containerWord: string): TensorKind {
  const a = ATTN_NAMES.get(m);
  if (a) return a;
  // BERT: attention.output.dense is the output projection; output.dense the FFN down projection
  if (m === "dense" && p === "output") return pp === "attention" ? "attn_o" : "ffn_down";
  if (m === "dense" && p === "intermediate") return "ffn_up";
  if (ATTN_PARENTS.has(p)) {
    const ap = ATTN_PARENT_NAMES.get(m);
    if (ap) return ap;
  }
  return ffnRole(words, m, p, containerWord);
}

/** FFN role (also the inner role of experts); "other" when unknown. */
function ffnRole(words: readonly string[], m: string, p: string, containerWord: string): TensorKind {
  // Qwen (v1) `transformer.h.N.mlp.w1/w2`: w1 is up, w2 the SiLU-gated branch, c_proj is down.
  if (containerWord === "h" && p === "mlp") {
    if (m === "w1") return "ffn_up";
    if (m === "w2") return "ffn_gate";
  }
  // ChatGLM `transformer.encoder.layers.N.mlp.dense_h_to_4h` is the fused SwiGLU gate+up.
  if (m === "dense_h_to_4h" && containerWord === "layers" && words[0] === "transformer" && words[1] === "encoder") {
    return "ffn_gate_up";
  }
  const f = FFN_NAMES.get(m);
  if (f) return f;
  if (MLP_PARENTS.has(p)) {
    const fp = FFN_PARENT_NAMES.get(m);
    if (fp) return fp;
  }
  return "other";
}

/** Role inside a tower/projector (for reference only: the kind is the tower). */
function innerRole(words: readonly string[], m: string, p: string, pp: string): TensorKind {
  const qk = QK_NORM_NAMES.get(m);
  if (qk) return qk;
  const r = attnOrFfnRole(words, m, p, pp, "");
  if (r !== "other") return r;
  if (POSITION_NAMES.has(m)) return "position_embedding";
  if (isNormName(m)) return "norm";
  return "other";
}

function classifyGguf(segs: readonly string[]): [TensorKind, TensorKind] {
  // blk.N.<name>[.weight|.bias]  or v.blk.N... / a.blk.N... (mmproj towers)
  if (segs[0] === "v") return ["vision", "other"];
  if (segs[0] === "a") return ["audio", "other"];
  const name = segs[2] ?? "";
  if (name === "nextn") return segs[3] === "eh_proj" ? ["other", "other"] : ["norm", "norm"];
  const k = GGUF_BLOCK.get(name);
  if (k) {
    if (k === "expert" || k === "shared_expert") return [k, GGUF_EXPERT_ROLE.get(name) ?? "moe_router"];
    return [k, k];
  }
  if (name.startsWith("time_mix")) return ["linear_attention", "linear_attention"];
  if (name.startsWith("channel_mix")) {
    const r: TensorKind = name.endsWith("key") ? "ffn_up" : name.endsWith("value") ? "ffn_down" : "linear_attention";
    return [r, r];
  }
  return ["other", "other"];
}

/**
 * Full classification of one tensor name. See docs/fingerprint-tensors.md for the rule table.
 * Works on raw names and on normalized keys (`{L}`, `{E}`).
 */
export function classifyTensorDetailed(name: string): TensorClass {
  const segs = name.split(".");
  const n = segs.length;
  const last = segs[n - 1]!;

  // Buffers
  if (BUFFER_LEAVES.has(last)) return { kind: "other", role: "other", leaf: "buffer" };

  // GGUF-native names
  if (segs[0] === "blk" || (n > 2 && segs[1] === "blk" && (segs[0] === "v" || segs[0] === "a"))) {
    const leaf: LeafKind = last === "bias" ? "bias" : "weight";
    const [kind, role] = classifyGguf(segs);
    return { kind, role, leaf };
  }

  // Quantization bookkeeping
  let quant: TensorKind | null = null;
  let end = n;
  let stem: string | null = null;
  if (n >= 2 && segs[n - 2] === "quant_state") {
    quant = "quant_aux";
    end = n - 2;
  } else if (QUANT_SCALE_LEAVES.has(last)) {
    quant = "quant_scale";
    end = n - 1;
  } else if (QUANT_ZERO_LEAVES.has(last)) {
    quant = "quant_zero";
    end = n - 1;
  } else if (QUANT_AUX_LEAVES.has(last)) {
    quant = "quant_aux";
    end = n - 1;
  } else if (last.length > 7 && last.endsWith("_scales")) {
    quant = "quant_scale"; // gpt-oss `gate_up_proj_scales`
    end = n - 1;
    stem = last.slice(0, -7);
  }
  if (quant !== null) {
    // bitsandbytes hangs its state under the weight: `q_proj.weight.absmax`
    if (stem === null && end > 0 && segs[end - 1] === "weight") end--;
    const mod = segs.slice(0, end);
    if (stem !== null) mod.push(stem);
    else if (mod.length > 0) mod[mod.length - 1] = stripWeightSuffix(mod[mod.length - 1]!);
    const [inner, role] = classifyModule(mod);
    return { kind: quant, role: role === "other" ? inner : role, leaf: "quant" };
  }

  // Leaf of a regular tensor
  let leaf: LeafKind;
  let mod: string[];
  if (last === "weight" || last === "gamma" || last === "scale") {
    leaf = "weight";
    mod = segs.slice(0, n - 1);
  } else if (last === "bias" || last === "beta") {
    leaf = "bias";
    mod = segs.slice(0, n - 1);
  } else if (PACKED_LEAVES.has(last)) {
    leaf = "packed";
    mod = segs.slice(0, n - 1);
  } else if (last === "blocks" && n > 1) {
    leaf = "packed"; // gpt-oss original `mlp1_weight.blocks`
    mod = segs.slice(0, n - 1);
    mod[mod.length - 1] = stripWeightSuffix(mod[mod.length - 1]!);
  } else if (PARAM_LEAVES.has(last)) {
    leaf = "param";
    mod = segs;
  } else if (last.length > 7 && last.endsWith("_blocks")) {
    leaf = "packed";
    mod = segs.slice(0, n - 1);
    mod.push(last.slice(0, -7));
  } else if (last.length > 5 && last.endsWith("_bias")) {
    leaf = "bias";
    mod = segs.slice(0, n - 1);
    mod.push(last.slice(0, -5));
  } else if (last.length > 7 && last.endsWith("_weight")) {
    leaf = "weight";
    mod = segs.slice(0, n - 1);
    mod.push(last.slice(0, -7));
  } else {
    leaf = "param";
    mod = segs;
  }
  // The causal-mask buffer `h.N.attn.bias` of GPT-2 / GPT-J / GPT-NeoX (a bias directly on the
  // attention module, inside a layer).
  if (leaf === "bias" && mod.length >= 3) {
    const m = mod[mod.length - 1];
    const idx = mod[mod.length - 2]!;
    if ((m === "attn" || m === "attention") && (idx === "{L}" || isDigits(idx))) return { kind: "other", role: "other", leaf: "buffer" };
  }
  const [kind, role] = classifyModule(mod);
  return { kind, role, leaf };
}

function stripWeightSuffix(s: string): string {
  return s.length > 7 && s.endsWith("_weight") ? s.slice(0, -7) : s;
}

/** Numeric segments collapse to "0": classification never depends on the index value. */
const NUMERIC_SEGMENTS = /(^|\.)\d+(?=\.|$)/g;
const memo = new Map<string, TensorClass>();
const MEMO_MAX = 20_000;

/**
 * `classifyTensorDetailed`, memoized on the name with its numeric segments collapsed (so the
 * 90k tensors of a DeepSeek-V3 header classify as a few dozen distinct shapes of name).
 */
export function classifyTensorCached(name: string): TensorClass {
  const k = name.replace(NUMERIC_SEGMENTS, "$10");
  let c = memo.get(k);
  if (c === undefined) {
    c = classifyTensorDetailed(k);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(k, c);
  }
  return c;
}

/** Role of a tensor in the model, from its name alone. */
export function classifyTensor(name: string): TensorKind {
  return classifyTensorCached(name).kind;
}

/**
 * Classification of a header record: the name rules plus one dtype rule: exponent-only dtypes
 * (F8_E8M0, E8M0, UE8) only ever hold block scales, whatever the name.
 */
export function classifyRecord(t: Pick<TensorRecord, "name" | "dtype">): TensorClass {
  const c = classifyTensorCached(t.name);
  if (c.kind !== "quant_scale" && isScaleOnlyDtype(t.dtype)) return { kind: "quant_scale", role: c.role, leaf: "quant" };
  return c;
}

/**
 * What the walks over a tensor list need to know of one tensor, made once per tensor and shared:
 * the signature, the parameter count, the tensor features, the weight-format scan and the integrity
 * view all walk the same list (DeepSeek-V3: 92k tensors, Kimi-K2: 140k). One object per tensor;
 * its strings (key, stack, rel, leaf) are made once per normalized key.
 */
export interface TensorInfo {
  t: TensorRecord;
  /** Abstract key (`{L}` / `{E}` placeholders: normalizeTensorName). */
  key: string;
  layer: number | null;
  expert: number | null;
  /** classifyRecord({name: key, dtype}). */
  cls: TensorClass;
  /** classifyTensorCached(key): the name alone, before the dtype rule. */
  nameCls: TensorClass;
  /** The key before `.{L}` (the layer stack), null outside layers. */
  stack: string | null;
  /** The key after `.{L}.` (the in-layer path), or the key outside layers. */
  rel: string;
  /** The name's last segment. */
  leaf: string;
  /** Part of a vision / audio tower or a multimodal projector (by kind or role). */
  tower: boolean;
  /** Module id (equal for the tensors of one module path, the name before its last dot; 0 for no dot). */
  mod: number;
}

/** Every tensor's TensorInfo, in list order, memoized by the list's identity. */
export interface TensorIndex {
  infos: TensorInfo[];
}

/**
 * The key cut at its layer: [the stack (the key before `.{L}`), the rest after it], or [null, key]
 * when it has no layer segment.
 */
function splitAtLayer(key: string): [string | null, string] {
  const li = key.indexOf(".{L}");
  return li >= 0 ? [key.slice(0, li), key.slice(li + 5)] : [null, key];
}

/** @internal Polynomial hash of a key, the same as scanTensorName computes over a name. */
export function keyHash(k: string): number {
  let h = 0;
  for (let i = 0; i < k.length; i++) h = (Math.imul(h, KEY_B) + k.charCodeAt(i)) | 0;
  return h;
}

/**
 * normalizeTensorName for a whole tensor list, without a new string per tensor: the scan gives the
 * layer, the expert and the key's hash; a key already made is then found by that hash and checked
 * character by character against the name (so a hash collision costs time, never a wrong key).
 * Only a key not seen before is built and classified. Routed-expert checkpoints hold 10^5 tensors
 * of a few hundred keys.
 */
class KeyTable {
  private readonly byHash = new Map<number, KeyEntry[]>();
  /** The scan of the last name looked up (its layer and expert). */
  readonly sc = newScan();

  /** The entry of the name's normalized key; the name's layer and expert are left in `sc`. */
  lookup(name: string): KeyEntry {
    const sc = scanTensorName(name, this.sc);
    let bucket = this.byHash.get(sc.hash);
    if (bucket !== undefined) {
      for (const e of bucket) {
        if (sameKey(name, e.key, sc.ls, sc.le, sc.es, sc.ee)) return e;
      }
    } else {
      this.byHash.set(sc.hash, (bucket = []));
    }
    const key = keyOf(name, sc);
    const [stack, rel] = splitAtLayer(key);
    const last = key.slice(key.lastIndexOf(".") + 1);
    const entry: KeyEntry = { key, cls: classifyTensorCached(key), stack, rel, leaf: last === TAG_L || last === TAG_E ? null : last, scaled: null };
    bucket.push(entry);
    return entry;
  }
}

/** One normalized key of a tensor list, with what follows from it alone. */
interface KeyEntry {
  key: string;
  cls: TensorClass;
  /** splitAtLayer(key), used for names that have a layer. */
  stack: string | null;
  rel: string;
  /** The key's last segment, which is every such name's last segment (null: a `{L}`/`{E}` segment). */
  leaf: string | null;
  /** The class under the dtype rule (scale-only dtypes are quantization scales), made on first need. */
  scaled: TensorClass | null;
}

/**
 * Module ids (one per module path: the name before its last dot; names without a dot are the root,
 * 0), without a string per tensor where it can be helped. A module path whose {L}/{E} numbers are
 * written plainly (no leading zero) is told by its key's prefix and those numbers; any other path
 * (no layer or expert, leading zeros, {E} before {L}, very large numbers) by its text. Which way a
 * path goes depends on the path alone, so equal paths get equal ids either way.
 */
class ModuleIds {
  private readonly byPath = new Map<string, number>([["", 0]]);
  private readonly byEntry = new Map<KeyEntry, Map<number, number>>();
  private readonly byPrefix = new Map<string, Map<number, number>>();
  private readonly pathScan = newScan();
  private next = 1;

  of(name: string, e: KeyEntry, sc: NameScan): number {
    const dot = name.lastIndexOf(".");
    if (dot < 0) return 0;
    if (e.leaf === null) {
      // the last segment is itself a {L}/{E}: the path is scanned on its own (rare)
      const path = name.slice(0, dot);
      const ps = scanTensorName(path, this.pathScan);
      const n = plainNumbers(path, ps);
      return n < 0 ? this.idOf(this.byPath, path) : this.idOf(this.table(keyOf(path, ps)), n);
    }
    // the leaf is not a {L}/{E}: every one of the name's is in its path, and the key's prefix is
    // the path's key
    const n = plainNumbers(name, sc);
    if (n < 0) return this.idOf(this.byPath, name.slice(0, dot));
    let ids = this.byEntry.get(e);
    if (ids === undefined) this.byEntry.set(e, (ids = this.table(e.key.slice(0, e.key.lastIndexOf(".")))));
    return this.idOf(ids, n);
  }

  /** The ids of the paths of one key (keys that share their prefix, x.weight and x.bias, share it). */
  private table(prefix: string): Map<number, number> {
    let ids = this.byPrefix.get(prefix);
    if (ids === undefined) this.byPrefix.set(prefix, (ids = new Map()));
    return ids;
  }

  private idOf<K>(m: Map<K, number>, k: K): number {
    let id = m.get(k);
    if (id === undefined) m.set(k, (id = this.next++));
    return id;
  }
}

/**
 * The {L}/{E} numbers of a scanned text as one small integer, when they tell its text back from its
 * key: at least one, written plainly (no leading zero), {L} before {E}, layer < 32767 and expert <
 * 65535. Otherwise -1.
 */
function plainNumbers(text: string, sc: NameScan): number {
  const hasL = sc.ls >= 0;
  const hasE = sc.es >= 0;
  if (!hasL && !hasE) return -1;
  if (hasL && hasE && sc.es < sc.ls) return -1;
  const layer = hasL ? (sc.layer as number) : -1;
  const expert = hasE ? (sc.expert as number) : -1;
  if (hasL && ((text.charCodeAt(sc.ls) === 48 && sc.le - sc.ls > 1) || layer >= 32767)) return -1;
  if (hasE && ((text.charCodeAt(sc.es) === 48 && sc.ee - sc.es > 1) || expert >= 65535)) return -1;
  return (layer + 1) * 65536 + (expert + 1);
}

/** Whether `key` is `name` with name[ls, le) as {L} and name[es, ee) as {E} (bounds -1: none). */
function sameKey(name: string, key: string, ls: number, le: number, es: number, ee: number): boolean {
  let k = 0;
  let i = 0;
  const n = name.length;
  const kn = key.length;
  while (i < n) {
    if (i === ls || i === es) {
      const tag = i === ls ? TAG_L : TAG_E;
      if (k + 3 > kn || key.charCodeAt(k) !== 123 || key.charCodeAt(k + 1) !== tag.charCodeAt(1) || key.charCodeAt(k + 2) !== 125) return false;
      k += 3;
      i = i === ls ? le : ee;
      continue;
    }
    if (k >= kn || key.charCodeAt(k) !== name.charCodeAt(i)) return false;
    k++;
    i++;
  }
  return k === kn;
}

const TENSOR_INDEX = new WeakMap<readonly TensorRecord[], TensorIndex>();

export function tensorIndex(tensors: readonly TensorRecord[]): TensorIndex {
  const hit = TENSOR_INDEX.get(tensors);
  if (hit) return hit;
  const infos: TensorInfo[] = new Array(tensors.length);
  // Each distinct normalized key is made once (one string, hashed once) with its class, its split
  // at the layer and its leaf; the tensors that share it find it without building a string (KeyTable).
  const table = new KeyTable();
  const sc = table.sc;
  const modules = new ModuleIds();
  for (let i = 0; i < tensors.length; i++) {
    const t = tensors[i] as TensorRecord;
    const e = table.lookup(t.name);
    const nc = e.cls;
    let cls = nc;
    if (nc.kind !== "quant_scale" && isScaleOnlyDtype(t.dtype)) cls = e.scaled ??= { kind: "quant_scale", role: nc.role, leaf: "quant" };
    const layer = sc.layer;
    const name = t.name;
    infos[i] = {
      t,
      key: e.key,
      layer,
      expert: sc.expert,
      cls,
      nameCls: nc,
      stack: layer === null ? null : e.stack,
      rel: layer === null ? e.key : e.rel,
      leaf: e.leaf ?? name.slice(name.lastIndexOf(".") + 1),
      tower: TOWER_KINDS.has(cls.kind) || TOWER_KINDS.has(cls.role),
      mod: modules.of(name, e, sc),
    };
  }
  const ix: TensorIndex = { infos };
  TENSOR_INDEX.set(tensors, ix);
  return ix;
}

function sameDims(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false;
  return true;
}

export const QUANT_KINDS: ReadonlySet<TensorKind> = new Set(["quant_scale", "quant_zero", "quant_aux"]);
export const TOWER_KINDS: ReadonlySet<TensorKind> = new Set(["vision", "audio", "projector"]);

// ---------------------------------------------------------------------------------------------
// Signature
// ---------------------------------------------------------------------------------------------

/**
 * The static weight signature: abstract keys (sorted) with the shape and dtype of the lowest
 * layer / expert index (numeric order, not file order), the number of concrete tensors folded in and
 * the kind; and a histogram of kinds over concrete tensors.
 */
export function buildSignature(tensors: readonly TensorRecord[]): WeightSignature {
  interface Acc {
    shape: number[];
    dtype: string;
    count: number;
    kind: TensorKind;
    layer: number;
    expert: number;
  }
  const acc = new Map<string, Acc>();
  const kinds: Partial<Record<TensorKind, number>> = {};
  for (const info of tensorIndex(tensors).infos) {
    const t = info.t;
    const layer = info.layer ?? -1;
    const expert = info.expert ?? -1;
    // classifyRecord = the name's class plus "scale-only dtypes are quantization scales"
    const kind = info.cls.kind;
    kinds[kind] = (kinds[kind] ?? 0) + 1;
    const a = acc.get(info.key);
    if (a === undefined) {
      acc.set(info.key, { shape: t.shape.slice(), dtype: t.dtype, count: 1, kind, layer, expert });
    } else {
      a.count++;
      if (layer < a.layer || (layer === a.layer && expert < a.expert)) {
        a.shape = t.shape.slice();
        a.dtype = t.dtype;
        a.kind = kind;
        a.layer = layer;
        a.expert = expert;
      }
    }
  }
  const keys: WeightSignature["keys"] = {};
  for (const k of [...acc.keys()].sort()) {
    const a = acc.get(k)!;
    keys[k] = { shape: a.shape, dtype: a.dtype, count: a.count, kind: a.kind };
  }
  return { keys, kinds };
}

/**
 * The architecture part of a signature: abstract keys without quantization bookkeeping, with packed
 * weight leaves mapped to the logical weight key (`qweight`/`weight_packed`/`W_q` -> `weight`,
 * `gate_up_proj_blocks` -> `gate_up_proj`, `mlp1_weight.blocks` -> `mlp1_weight`). Two checkpoints of
 * one architecture in different weight formats give the same list. Sorted.
 */
export function architectureKeys(signature: WeightSignature): string[] {
  const out = new Set<string>();
  for (const [key, t] of Object.entries(signature.keys)) {
    if (QUANT_KINDS.has(t.kind)) continue;
    out.add(logicalKey(key));
  }
  return [...out].sort();
}

/** Maps a packed quantized weight key to its logical weight key (identity otherwise). */
export function logicalKey(key: string): string {
  const i = key.lastIndexOf(".");
  const last = key.slice(i + 1);
  const head = i < 0 ? "" : key.slice(0, i + 1);
  if (PACKED_LEAVES.has(last)) return head + "weight";
  if (last === "blocks" && i > 0) return key.slice(0, i);
  if (last.length > 7 && last.endsWith("_blocks")) return head + last.slice(0, -7);
  return key;
}

// ---------------------------------------------------------------------------------------------
// Parameter counting
// ---------------------------------------------------------------------------------------------

export interface ParamCountResult {
  /** Logical parameters (packed weights unpacked, bookkeeping excluded, scalars skipped). */
  total: number;
  byDtype: Record<string, number>;
  /** Real storage bytes of every tensor, bookkeeping included (end - begin). */
  bytes: { total: number; byDtype: Record<string, number> };
  /** Logical parameters of routed experts (0 for dense models): active = total - routed + topK * routed / experts. */
  routedExpert: number;
  /**
   * Elements of stored non-learned buffers (rotary inv_freq, position_ids, causal masks), included in
   * `total` as huggingface.js counts them (roberta-base: I64 514).
   */
  buffers: number;
}

const CONTAINER_BITS: Readonly<Record<string, number>> = { U8: 8, I8: 8, U16: 16, I16: 16, U32: 32, I32: 32 };

/**
 * How many logical values one stored element of this tensor holds (1 when not packed).
 * - GPTQ/AWQ `qweight`, compressed-tensors `weight_packed`, HQQ `W_q`: container bits / bits.
 * - gpt-oss MXFP4 `*_blocks` U8: 2.
 * - A plain `.weight` in an integer container: bnb 4-bit U8 x2, ModelOpt NVFP4 U8 x2, MLX U32 x32/bits
 *   (int8 formats: x1).
 */
export function packingFactor(
  t: Pick<TensorRecord, "name" | "dtype">,
  cls: TensorClass,
  format: WeightFormat | null,
): number {
  const container = CONTAINER_BITS[t.dtype];
  if (!container) return 1;
  if (cls.leaf !== "packed" && cls.leaf !== "weight") return 1;
  const bits = format?.bits ?? null;
  const f = format?.format ?? "";
  if (cls.leaf === "packed") {
    if (t.name.endsWith("_blocks") || t.name.endsWith(".blocks")) return container === 8 ? 2 : container / 4;
    const b = bits ?? 4;
    return b > 0 && b < container ? container / b : 1;
  }
  // plain `.weight` in an integer container
  if (f === "nvfp4" || f === "mxfp4" || f === "bnb-nf4" || f === "bnb-fp4") return container / 4;
  if (f.startsWith("mlx-") && t.dtype === "U32") {
    const b = bits ?? 4;
    return b > 0 && b < 32 ? 32 / b : 1;
  }
  return 1;
}

/**
 * Parameters as logical elements and real storage bytes.
 *
 * Conventions (reproduce the huggingface.js figures in PARAM_COUNTS.md A1):
 * - bookkeeping tensors (quant_scale / quant_zero / quant_aux kinds, exponent-only dtypes) are not
 *   parameters; scalars (shape []) are skipped; stored buffers are counted (and reported in `buffers`);
 * - packed weights are multiplied by their packing factor (`packingFactor`);
 * - bytes are `end - begin` of every tensor, bookkeeping included.
 * `quant` is the detected weight format; when omitted it is detected from the tensors.
 */
/**
 * Logical parameters of one tensor: 0 for scalars and quantization bookkeeping, elements times the
 * packing factor otherwise (the one per-tensor rule: countParams and the module atlas both use it).
 */
export function logicalParams(t: Pick<TensorRecord, "name" | "dtype" | "shape">, cls: TensorClass, format: WeightFormat | null): number {
  if (t.shape.length === 0 || QUANT_KINDS.has(cls.kind)) return 0;
  let elems = 1;
  for (const d of t.shape) elems *= d;
  if (!Number.isFinite(elems)) return 0;
  return Math.round(elems * packingFactor(t, cls, format));
}

export function countParams(tensors: readonly TensorRecord[], quant?: WeightFormat | null): ParamCountResult {
  const format = quant === undefined ? detectWeightFormat({ config: null, tensors }) : quant;
  const byDtype: Record<string, number> = {};
  const bytesByDtype: Record<string, number> = {};
  let total = 0;
  let bytes = 0;
  let routed = 0;
  let buffers = 0;
  for (const info of tensorIndex(tensors).infos) {
    const t = info.t;
    const b = t.end - t.begin;
    if (Number.isFinite(b) && b > 0) {
      bytes += b;
      bytesByDtype[t.dtype] = (bytesByDtype[t.dtype] ?? 0) + b;
    } else if (bytesByDtype[t.dtype] === undefined) {
      bytesByDtype[t.dtype] = 0;
    }
    if (t.shape.length === 0) continue;
    const cls = info.cls;
    if (QUANT_KINDS.has(cls.kind)) continue;
    const v = logicalParams(t, cls, format);
    if (v === 0) continue;
    byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + v;
    total += v;
    if (cls.kind === "expert") routed += v;
    else if (cls.leaf === "buffer") buffers += v;
  }
  return { total, byDtype, bytes: { total: bytes, byDtype: bytesByDtype }, routedExpert: routed, buffers };
}

// ---------------------------------------------------------------------------------------------
// Features from tensors
// ---------------------------------------------------------------------------------------------

export interface TensorHint {
  /** Attention heads from the normalized config. */
  heads?: number | null;
  kvHeads?: number | null;
  headDim?: number | null;
  /** Config says attention and MLP run in parallel off one residual (GPT-NeoX use_parallel_residual, ...). */
  parallelResidual?: boolean | null;
  /** The weight format when already detected (else detected from the tensors). */
  format?: WeightFormat | null;
}

/** Facts the tensors reveal that have no Features/Scale field (for the assembler and reports). */
export interface TensorFacts {
  /** Prefix of the main text layer stack, e.g. "model.layers" (null when there is none). */
  stack: string | null;
  /** Every non-tower layer stack with its number of layer indices. */
  stacks: Record<string, number>;
  /** Layers of the main stack (max index + 1, MTP layers excluded). */
  layers: number | null;
  /** Multi-token-prediction layers found after the main layers (DeepSeek-V3 `eh_proj` layers). */
  mtpLayers: number;
  /** Per layer of the main stack: "attention" | "mla" | "mamba" | "linear_attention" | "conv" | "none". */
  layerMixers: string[];
  /** Per layer of the main stack: "dense" | "moe" | "none". */
  layerFfn: string[];
  /** Routed experts per layer (max over layers). */
  expertsPerLayer: number | null;
  /** Sorted tower kinds present: vision, audio, projector. */
  towers: string[];
  /** Abstract keys classified "other". */
  unclassified: string[];
  /** Biases that look added by the quantizer (every packed linear has one): bias features omitted. */
  quantizerBiases: boolean;
  /**
   * Abstract keys whose shape differs between layers (heterogeneous stacks such as DeciLM /
   * Nemotron-NAS per-layer FFN widths); the signature keeps the lowest layer's shape.
   */
  varyingKeys: string[];
}

export interface TensorFeatures {
  features: Partial<Features>;
  scale: Partial<Scale>;
  findings: Finding[];
  facts: TensorFacts;
}

const FLOAT_DTYPES: ReadonlySet<string> = new Set(["BF16", "F16", "F32", "F64", "F8_E4M3", "F8_E5M2", "F8_E4M3FNUZ", "F8_E5M2FNUZ"]);

/**
 * Logical [.., out, in] dims of a (possibly packed) linear weight; null when the layout hides them
 * (bitsandbytes 4-bit flattens weights to [n/2, 1]).
 */
export function logicalDims(t: TensorRecord, cls: TensorClass, format: WeightFormat | null): number[] | null {
  const s = t.shape;
  if (s.length < 2) return s.length === 1 ? s.slice() : null;
  const f = format?.format ?? "";
  if (cls.leaf === "packed") {
    const name = t.name;
    if (name.endsWith("_blocks") || name.endsWith(".blocks")) {
      if (s.length < 3) return null;
      return [...s.slice(0, -2), s[s.length - 2]! * s[s.length - 1]! * 2];
    }
    const pf = packingFactor(t, cls, format);
    if (name.endsWith(".qweight")) {
      if (f.startsWith("awq")) return [s[1]! * pf, s[0]!];
      return [s[1]!, s[0]! * pf]; // GPTQ packs the input dim: [in/pf, out]
    }
    if (name.endsWith(".weight_packed")) return [...s.slice(0, -1), s[s.length - 1]! * pf];
    return null;
  }
  if (FLOAT_DTYPES.has(t.dtype) || t.dtype === "I8") return s.slice();
  if (f === "bnb-nf4" || f === "bnb-fp4") return null;
  const pf = packingFactor(t, cls, format);
  if (pf !== 1) return [...s.slice(0, -1), s[s.length - 1]! * pf];
  return s.slice();
}

/** The dim of a 2-D (or stacked) linear weight that is not `hidden`; null if it cannot be told. */
function otherDim(dims: readonly number[] | null, hidden: number | null): number | null {
  if (!dims || dims.length < 2 || hidden === null) return null;
  const a = dims[dims.length - 2]!;
  const b = dims[dims.length - 1]!;
  if (a === hidden && b === hidden) return hidden;
  if (b === hidden) return a;
  if (a === hidden) return b;
  return null;
}

const MIXER_OF: Partial<Record<TensorKind, string>> = {
  attn_q: "attention",
  attn_k: "attention",
  attn_v: "attention",
  attn_qkv: "attention",
  attn_o: "attention",
  mla_q_a: "mla",
  mla_q_b: "mla",
  mla_kv_a: "mla",
  mla_kv_b: "mla",
  mamba: "mamba",
  linear_attention: "linear_attention",
  conv: "conv",
};

// The per-tensor loops of featuresFromTensors live in small functions of their own: a long loop
// inside that large function had V8 compile the whole of it on the stack (OSR) and throw the code
// away again at the next code path the loop had not reached yet, once per model.

/** The tensors outside the towers; the tower kinds seen go into `towers`. */
function withoutTowers(all: readonly TensorInfo[], towers: Set<string>): TensorInfo[] {
  const infos: TensorInfo[] = [];
  for (const info of all) {
    const cls = info.cls;
    if (TOWER_KINDS.has(cls.kind)) {
      towers.add(cls.kind);
      continue;
    }
    infos.push(info);
  }
  return infos;
}

/** Layer indices per layer stack. */
function layersByStack(infos: readonly TensorInfo[]): Map<string, Set<number>> {
  const stackLayers = new Map<string, Set<number>>();
  for (const i of infos) {
    if (i.stack === null || i.layer === null) continue;
    let s = stackLayers.get(i.stack);
    if (!s) stackLayers.set(i.stack, (s = new Set()));
    s.add(i.layer);
  }
  return stackLayers;
}

/** The tensors of each layer of `stack`, and the tensors outside every stack. */
function splitByLayer(infos: readonly TensorInfo[], stack: string | null): { perLayer: Map<number, TensorInfo[]>; nonLayer: TensorInfo[] } {
  const perLayer = new Map<number, TensorInfo[]>();
  const nonLayer: TensorInfo[] = [];
  for (const i of infos) {
    if (i.stack === stack && i.layer !== null) {
      let a = perLayer.get(i.layer);
      if (!a) perLayer.set(i.layer, (a = []));
      a.push(i);
    } else if (i.stack === null) nonLayer.push(i);
  }
  return { perLayer, nonLayer };
}

/** A layer's mixer ("attention", "mla", ... or "none") and FFN ("dense", "moe" or "none"). */
function layerRoles(arr: readonly TensorInfo[]): [string, string] {
  let mixer = "none";
  let ffn = "none";
  for (const i of arr) {
    const mx = MIXER_OF[i.cls.kind];
    if (mx && (mixer === "none" || mx === "mla")) mixer = mx;
    if (i.cls.kind === "expert") ffn = "moe";
    else if (ffn === "none" && isDenseFfn(i.cls.kind)) ffn = "dense";
    else if (ffn === "none" && i.cls.kind === "shared_expert") ffn = "dense";
  }
  return [mixer, ffn];
}

/** The dense FFN roles present (of dense FFNs, and of routed and shared experts). */
function ffnRolesOf(main: readonly TensorInfo[]): Set<TensorKind> {
  const ffnRoles = new Set<TensorKind>();
  for (const i of main) {
    if (isDenseFfn(i.cls.kind)) ffnRoles.add(i.cls.kind);
    else if ((i.cls.kind === "expert" || i.cls.kind === "shared_expert") && isDenseFfn(i.cls.role)) ffnRoles.add(i.cls.role);
  }
  return ffnRoles;
}

/**
 * Keys whose shape differs from layer to layer (same expert index): key -> expert index or -1 ->
 * first shape, compared in place, no strings built per tensor.
 */
function varyingShapeKeys(infos: readonly TensorInfo[]): Set<string> {
  const firstShape = new Map<string, Map<number, readonly number[]>>();
  const varying = new Set<string>();
  for (const i of infos) {
    if (i.layer === null) continue;
    let byExpert = firstShape.get(i.key);
    if (byExpert === undefined) firstShape.set(i.key, (byExpert = new Map()));
    const e = i.expert ?? -1;
    const prev = byExpert.get(e);
    if (prev === undefined) byExpert.set(e, i.t.shape);
    else if (!sameDims(prev, i.t.shape)) varying.add(i.key);
  }
  return varying;
}

/**
 * What the tensors reveal on their own (plus the config's head counts when given in `hint`, used
 * only to derive and check head_dim / KV grouping). Fields that tensors cannot decide are left out.
 * Findings report disagreements between tensors and the hint (tensors win) and tensor-level
 * inconsistencies (layer gaps, unclassified tensors, mixed matrix dtypes).
 */
export function featuresFromTensors(
  tensors: readonly TensorRecord[],
  signature: WeightSignature,
  hint: TensorHint = {},
): TensorFeatures {
  const features: Partial<Features> = {};
  const scale: Partial<Scale> = {};
  const findings: Finding[] = [];
  const format = hint.format ?? detectWeightFormat({ config: null, tensors });
  if (format.format !== "unknown") features.weightFormat = format.format;

  // ---- per-tensor info (classification cached per abstract key)
  const towers = new Set<string>();
  const infos = withoutTowers(tensorIndex(tensors).infos, towers);
  const modality: string[] = [];
  if (towers.has("audio")) modality.push("audio");
  if (towers.has("vision")) modality.push("vision");
  if (tensors.length > 0) features.modality = modality;

  // ---- stacks and the main stack
  const stackLayers = layersByStack(infos);
  const stacks: Record<string, number> = {};
  for (const [k, v] of stackLayers) stacks[k] = v.size;
  const isMtpStack = (s: string) => s.split(".").includes("mtp");
  const hasCross = infos.some((i) => /(?:^|\.)(?:encoder_attn|EncDecAttention|crossattention)\./.test(i.key));
  const decoderStack = [...stackLayers.keys()].find((s) => /(?:^|\.)decoder(?:\.|$)/.test(s) && !isMtpStack(s));
  const encoderStack = [...stackLayers.keys()].find((s) => /(?:^|\.)encoder(?:\.|$)/.test(s) && !isMtpStack(s));
  let stack: string | null = null;
  if (hasCross && decoderStack && encoderStack) {
    stack = decoderStack;
    features.topology = "encoder-decoder";
  } else {
    let best = -1;
    for (const [k, v] of stackLayers) {
      if (isMtpStack(k)) continue;
      if (v.size > best) {
        best = v.size;
        stack = k;
      }
    }
  }

  // ---- per layer of the main stack
  const { perLayer, nonLayer } = splitByLayer(infos, stack);
  // `rel` follows from `key`: the regex runs once per distinct key, not once per tensor
  const mtpKey = new Map<string, boolean>();
  const isMtpLayer = (arr: readonly TensorInfo[]) =>
    arr.some((i) => {
      let v = mtpKey.get(i.key);
      if (v === undefined) mtpKey.set(i.key, (v = /(?:^|\.)(?:eh_proj|enorm|hnorm|shared_head)(?:\.|$)/.test(i.rel)));
      return v;
    });
  const layerIdx = [...perLayer.keys()].sort((a, b) => a - b);
  const mainIdx = layerIdx.filter((l) => !isMtpLayer(perLayer.get(l)!));
  const mtpLayers = layerIdx.length - mainIdx.length;
  const mainLayers = mainIdx.map((l) => perLayer.get(l)!);
  const main: TensorInfo[] = mainLayers.flat();
  let layers: number | null = null;
  if (mainIdx.length > 0) {
    layers = mainIdx[mainIdx.length - 1]! + 1;
    scale.layers = layers;
    if (mainIdx.length !== layers) {
      const present = new Set(mainIdx);
      const missing: number[] = [];
      for (let l = 0; l < layers && missing.length < 10; l++) if (!present.has(l)) missing.push(l);
      findings.push({
        severity: "warning",
        code: "TENSOR_LAYER_GAP",
        message: `layer stack ${stack} has ${mainIdx.length} layers but indices go up to ${layers - 1} (missing ${missing.join(", ")}${layers - mainIdx.length > missing.length ? ", ..." : ""})`,
        key: stack ?? undefined,
      });
    }
  }
  const layerMixers: string[] = [];
  const layerFfn: string[] = [];
  for (const arr of mainLayers) {
    const [mixer, ffn] = layerRoles(arr);
    layerMixers.push(mixer);
    layerFfn.push(ffn);
  }

  const mainKinds = new Set<TensorKind>(main.map((i) => i.cls.kind));
  const textInfos = infos.filter((i) => i.stack === null || i.stack === stack || !isMtpStack(i.stack));
  const hasKind = (k: TensorKind) => mainKinds.has(k);
  const hasStdAttn = ["attn_q", "attn_k", "attn_v", "attn_qkv"].some((k) => hasKind(k as TensorKind));
  const hasMla = hasKind("mla_kv_a") || hasKind("mla_kv_b");
  const hasExperts = hasKind("expert");

  // ---- hidden size, vocab
  const hidden = deriveHidden(nonLayer, main, format);
  if (hidden !== null) scale.hiddenSize = hidden;
  const vocab = deriveVocab(nonLayer, format);
  if (vocab !== null) scale.vocabSize = vocab;

  // ---- attention family
  if (hasMla) features.attentionFamily = "mla";
  else if (hasStdAttn) features.attentionFamily = "standard";
  else if (hasKind("mamba") || hasKind("linear_attention")) features.attentionFamily = "linear";

  // ---- quantizer-added biases (AutoGPTQ saves a zero bias for every quantized linear)
  const quantizerBiases = detectQuantizerBiases(main);
  if (quantizerBiases) {
    findings.push({
      severity: "info",
      code: "TENSOR_QUANTIZER_BIAS",
      message: "every packed linear carries a bias (typical of AutoGPTQ zero biases): qkv/output/MLP bias features are not derived from tensors",
    });
  }

  const biasOf = (pred: (k: TensorKind) => boolean, pool: readonly TensorInfo[]) =>
    pool.some((i) => i.cls.leaf === "bias" && pred(i.cls.kind));
  if (hasStdAttn || hasMla) {
    if (!quantizerBiases) {
      features.qkvBias = biasOf(
        (k) => k === "attn_q" || k === "attn_k" || k === "attn_v" || k === "attn_qkv" || k === "mla_q_a" || k === "mla_q_b" || k === "mla_kv_a" || k === "mla_kv_b",
        main,
      );
      features.outputBias = biasOf((k) => k === "attn_o", main);
    }
    features.qkNorm = hasKind("attn_q_norm") || hasKind("attn_k_norm");
    features.attentionSinks = hasKind("attn_sinks");
  }

  // ---- heads / head_dim / kv grouping
  if (hasStdAttn && !hasMla) deriveHeads(main, hidden, format, hint, features, scale, findings);
  if (hasMla) deriveMla(main, hidden, format, hint, features, scale);

  // ---- FFN family, bias, sizes
  const ffnRoles = ffnRolesOf(main);
  if (ffnRoles.size > 0) {
    features.ffnFamily = ffnRoles.has("ffn_gate") || ffnRoles.has("ffn_gate_up") ? "gated" : "plain";
    if (!quantizerBiases) {
      const dense = main.some((i) => isDenseFfn(i.cls.kind));
      features.mlpBias = dense
        ? biasOf(isDenseFfn, main)
        : main.some((i) => i.cls.leaf === "bias" && (i.cls.kind === "expert" || i.cls.kind === "shared_expert"));
    }
  }
  if (hidden !== null) {
    const inter = ffnWidth(main.filter((i) => isDenseFfn(i.cls.kind) && i.cls.leaf !== "bias"), (i) => i.cls.kind, hidden, format);
    if (inter !== null && !hasExperts) scale.intermediateSize = inter;
    if (inter !== null && hasExperts && main.some((i) => isDenseFfn(i.cls.kind))) scale.intermediateSize = inter;
    const moeInter = ffnWidth(
      main.filter((i) => i.cls.kind === "expert" && i.cls.leaf !== "bias"),
      (i) => i.cls.role,
      hidden,
      format,
    );
    if (moeInter !== null) scale.moeIntermediateSize = moeInter;
  }

  // ---- MoE
  let expertsPerLayer: number | null = null;
  if (main.length > 0) {
    features.moe = hasExperts;
    if (hasExperts) {
      features.sharedExperts = hasKind("shared_expert");
      // dense-FFN layers before the first MoE layer; layers without an FFN (Mamba / attention-only
      // blocks of hybrids such as Nemotron-H) are skipped, as first_k_dense_replace counts FFNs
      let prefix = 0;
      for (const k of layerFfn) {
        if (k === "moe") break;
        if (k === "dense") prefix++;
      }
      features.denseLayerPrefix = prefix;
      expertsPerLayer = deriveExperts(main, hidden, format, findings);
      if (expertsPerLayer !== null) scale.experts = expertsPerLayer;
    }
  }

  // ---- norms
  const normInfos = textInfos.filter((i) => i.cls.kind === "norm" || i.cls.kind === "final_norm");
  if (normInfos.some((i) => i.cls.leaf === "bias")) features.normKind = "layernorm";
  const placement = deriveNormPlacement(mainLayers, stack, hint);
  if (placement !== null) features.normPlacement = placement;

  // ---- position encoding
  const relative = textInfos.some((i) => i.cls.kind === "position_embedding" && /(?:^|\.)relative_attention_bias(?:\.|$)/.test(i.key));
  const learned = nonLayer.some((i) => i.cls.kind === "position_embedding" && !/relative_attention_bias/.test(i.key));
  if (learned) features.positionEncoding = "learned";
  else if (relative) features.positionEncoding = "relative";
  else if (infos.some((i) => i.cls.leaf === "buffer" && /(?:^|\.)inv_freq$/.test(i.key))) features.positionEncoding = "rope";

  // ---- tied embeddings
  const hasEmbedding = infos.some((i) => i.cls.kind === "embedding");
  const hasHead = nonLayer.some((i) => i.cls.kind === "lm_head");
  const encoderOnlyNaming = stack !== null && /(?:^|\.)encoder\.layer$/.test(stack);
  if (hasEmbedding && !encoderOnlyNaming && main.length > 0) features.tiedEmbeddings = !hasHead;

  // ---- heterogeneous layers: keys whose shape differs from layer to layer (same expert index)
  const varyingKeys = [...varyingShapeKeys(infos)].sort();
  if (varyingKeys.length > 0) {
    findings.push({
      severity: "info",
      code: "TENSOR_VARYING_SHAPES",
      message: `${varyingKeys.length} key(s) change shape across layers (signature keeps the lowest layer's): ${varyingKeys.slice(0, 3).join(", ")}${varyingKeys.length > 3 ? ", ..." : ""}`,
    });
  }

  // ---- findings: unclassified
  const unclassified = Object.entries(signature.keys)
    .filter(([, v]) => v.kind === "other")
    .map(([k]) => k);
  const unexplained = unclassified.filter((k) => classifyTensorDetailed(k).leaf !== "buffer");
  if (unexplained.length > 0) {
    findings.push({
      severity: "info",
      code: "TENSOR_UNCLASSIFIED",
      message: `${unexplained.length} tensor key(s) have no known role: ${unexplained.slice(0, 5).join(", ")}${unexplained.length > 5 ? ", ..." : ""}`,
    });
  }

  return {
    features,
    scale,
    findings,
    facts: {
      stack,
      stacks,
      layers,
      mtpLayers,
      layerMixers,
      layerFfn,
      expertsPerLayer,
      towers: [...towers].sort(),
      unclassified,
      quantizerBiases,
      varyingKeys,
    },
  };
}

function isDenseFfn(k: TensorKind): boolean {
  return k === "ffn_gate" || k === "ffn_up" || k === "ffn_gate_up" || k === "ffn_down";
}

function mostCommon(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const c = new Map<number, number>();
  let best: number | null = null;
  let bestN = 0;
  for (const v of values) {
    const n = (c.get(v) ?? 0) + 1;
    c.set(v, n);
    if (n > bestN) {
      bestN = n;
      best = v;
    }
  }
  return best;
}

function deriveHidden(nonLayer: readonly TensorInfo[], main: readonly TensorInfo[], format: WeightFormat | null): number | null {
  const fin = nonLayer.find((i) => i.cls.kind === "final_norm" && i.cls.leaf === "weight" && i.t.shape.length === 1);
  if (fin) return fin.t.shape[0]!;
  const inLayer = mostCommon(
    main.filter((i) => i.cls.kind === "norm" && i.cls.leaf === "weight" && i.t.shape.length === 1).map((i) => i.t.shape[0]!),
  );
  if (inLayer !== null) return inLayer;
  const emb = nonLayer.find((i) => i.cls.kind === "embedding" && i.t.shape.length === 2 && i.cls.leaf !== "quant");
  if (emb) {
    const d = logicalDims(emb.t, emb.cls, format);
    if (d) return d[1]!;
  }
  return null;
}

function deriveVocab(nonLayer: readonly TensorInfo[], format: WeightFormat | null): number | null {
  let best: number | null = null;
  for (const i of nonLayer) {
    if (i.cls.kind !== "embedding" || i.t.shape.length !== 2 || i.cls.leaf === "quant") continue;
    if (/token_type_embeddings|embed_tokens_per_layer/.test(i.key)) continue;
    const d = logicalDims(i.t, i.cls, format);
    if (d && (best === null || d[0]! > best)) best = d[0]!;
  }
  if (best !== null) return best;
  for (const i of nonLayer) {
    if (i.cls.kind !== "lm_head" || i.t.shape.length !== 2 || i.cls.leaf === "quant" || i.cls.leaf === "bias") continue;
    const d = logicalDims(i.t, i.cls, format);
    if (d && (best === null || d[0]! > best)) best = d[0]!;
  }
  return best;
}

/** Width of an FFN from its projections (first layer that has them): down's non-hidden dim, else up/gate, else gate_up / 2. */
function ffnWidth(
  pool: readonly TensorInfo[],
  roleOf: (i: TensorInfo) => TensorKind,
  hidden: number,
  format: WeightFormat | null,
): number | null {
  if (pool.length === 0) return null;
  let firstLayer = Infinity;
  for (const i of pool) if ((i.layer ?? -1) < firstLayer) firstLayer = i.layer ?? -1;
  let firstExpert = Infinity;
  for (const i of pool) if ((i.layer ?? -1) === firstLayer && (i.expert ?? -1) < firstExpert) firstExpert = i.expert ?? -1;
  const inFirst = pool.filter((i) => (i.layer ?? -1) === firstLayer && (i.expert ?? -1) === firstExpert);
  const pick = (role: TensorKind) => inFirst.find((i) => roleOf(i) === role);
  for (const role of ["ffn_down", "ffn_up", "ffn_gate"] as const) {
    const i = pick(role);
    if (!i) continue;
    const w = otherDim(logicalDims(i.t, i.cls, format), hidden);
    if (w !== null) return w;
  }
  const gu = pick("ffn_gate_up");
  if (gu) {
    const w = otherDim(logicalDims(gu.t, gu.cls, format), hidden);
    if (w !== null && w % 2 === 0) return w / 2;
  }
  return null;
}

function detectQuantizerBiases(main: readonly TensorInfo[]): boolean {
  const packed = new Set<string>();
  const biased = new Set<string>();
  for (const i of main) {
    const mod = i.key.slice(0, i.key.lastIndexOf("."));
    if (i.cls.leaf === "packed" && i.key.endsWith(".qweight")) packed.add(mod);
    else if (i.cls.leaf === "bias") biased.add(mod);
  }
  if (packed.size === 0) return false;
  for (const m of packed) if (!biased.has(m)) return false;
  // all packed linears have a bias, including the MLP down projection (no real model family does)
  return [...packed].some((m) => /(?:down_proj|w2|dense_4h_to_h|fc2|c_proj)$/.test(m));
}

/** First tensor of a kind (lowest layer), weight-like leaf. */
function firstOf(main: readonly TensorInfo[], kind: TensorKind): TensorInfo | undefined {
  let best: TensorInfo | undefined;
  for (const i of main) {
    if (i.cls.kind !== kind || (i.cls.leaf !== "weight" && i.cls.leaf !== "packed")) continue;
    if (!best || (i.layer ?? 0) < (best.layer ?? 0)) best = i;
  }
  return best;
}

function outDim(i: TensorInfo | undefined, hidden: number | null, format: WeightFormat | null): number | null {
  if (!i) return null;
  const d = logicalDims(i.t, i.cls, format);
  if (!d || d.length < 2) return null;
  if (hidden !== null) return otherDim(d, hidden);
  return d[d.length - 2]!;
}

function mismatch(findings: Finding[], key: string, tensors: number, config: number, detail: string): void {
  findings.push({
    severity: "warning",
    code: "TENSOR_CONFIG_MISMATCH",
    key,
    message: `${key}: tensors say ${tensors}, config says ${config} (${detail}); tensors win`,
  });
}

function deriveHeads(
  main: readonly TensorInfo[],
  hidden: number | null,
  format: WeightFormat | null,
  hint: TensorHint,
  features: Partial<Features>,
  scale: Partial<Scale>,
  findings: Finding[],
): void {
  const q = firstOf(main, "attn_q");
  const k = firstOf(main, "attn_k");
  const qkv = firstOf(main, "attn_qkv");
  const qOut = outDim(q, hidden, format);
  const kOut = outDim(k, hidden, format);
  let heads: number | null = null;
  let hd: number | null = null;

  // tensor-only evidence
  const sinks = main.find((i) => i.cls.kind === "attn_sinks" && i.t.shape.length === 1);
  if (sinks) heads = sinks.t.shape[0]!;
  const qn = main.find((i) => i.cls.kind === "attn_q_norm" && i.cls.leaf === "weight");
  if (qn) {
    if (qn.t.shape.length === 2) {
      heads ??= qn.t.shape[0]!; // Cohere: [heads, head_dim]
      hd = qn.t.shape[1]!;
    } else if (qn.t.shape.length === 1 && qOut !== null && qn.t.shape[0]! < qOut && qOut % qn.t.shape[0]! === 0) {
      hd = qn.t.shape[0]!; // per-head norm (Qwen3, Gemma 3); a full-width norm (OLMo 2) says nothing
    }
  }
  if (heads !== null && hd === null && qOut !== null && qOut % heads === 0) hd = qOut / heads;
  if (hd !== null && heads === null && qOut !== null && qOut % hd === 0) heads = qOut / hd;

  // checks against the config hint, then fill from it
  if (heads !== null && hint.heads && heads !== hint.heads) mismatch(findings, "heads", heads, hint.heads, "attention head count");
  if (hd !== null && hint.headDim && hd !== hint.headDim) mismatch(findings, "headDim", hd, hint.headDim, "q/k norm or q_proj rows");
  if (heads === null && hint.heads) heads = hint.heads;
  if (hd === null && heads !== null && qOut !== null) {
    if (qOut % heads === 0) {
      hd = qOut / heads;
      if (hint.headDim && hd !== hint.headDim) mismatch(findings, "headDim", hd, hint.headDim, `q_proj rows ${qOut} / ${heads} heads`);
    }
  }
  if (hd === null && hint.headDim) hd = hint.headDim;

  let kv: number | null = null;
  if (q && k && qOut !== null && kOut !== null) {
    if (hd !== null && kOut % hd === 0) kv = kOut / hd;
    else if (qOut === kOut && heads !== null) kv = heads;
    else if (qOut === kOut) {
      features.kvGrouping = "MHA";
    }
  } else if (qkv && !q) {
    const total = outDim(qkv, hidden, format);
    if (total !== null) {
      if (hd === null && heads !== null && hint.kvHeads) {
        const per = heads + 2 * hint.kvHeads;
        if (total % per === 0) hd = total / per;
      }
      if (hd !== null && heads !== null && total % hd === 0) {
        const rest = total / hd - heads;
        if (rest > 0 && rest % 2 === 0) kv = rest / 2;
      }
    }
  }
  if (kv !== null && hint.kvHeads && kv !== hint.kvHeads) mismatch(findings, "kvHeads", kv, hint.kvHeads, "k_proj rows / head_dim");

  if (hd !== null) features.headDim = hd;
  if (heads !== null) scale.heads = heads;
  if (kv !== null) {
    scale.kvHeads = kv;
    if (heads !== null) features.kvGrouping = kv === heads ? "MHA" : kv === 1 ? "MQA" : "GQA";
  }
}

function deriveMla(
  main: readonly TensorInfo[],
  hidden: number | null,
  format: WeightFormat | null,
  hint: TensorHint,
  features: Partial<Features>,
  scale: Partial<Scale>,
): void {
  const kvNorm = main.find((i) => i.cls.kind === "mla_kv_a_norm" && i.t.shape.length === 1);
  const qNorm = main.find((i) => i.cls.kind === "mla_q_a_norm" && i.t.shape.length === 1);
  const qLora = main.some((i) => i.cls.kind === "mla_q_a");
  if (kvNorm) scale.kvLoraRank = kvNorm.t.shape[0]!;
  if (qNorm) scale.qLoraRank = qNorm.t.shape[0]!;
  const heads = hint.heads ?? null;
  if (heads) scale.heads = heads;
  const kvLora = kvNorm?.t.shape[0] ?? null;
  const kvA = firstOf(main, "mla_kv_a");
  const kvB = firstOf(main, "mla_kv_b");
  const qB = firstOf(main, qLora ? "mla_q_b" : "attn_q");
  const dimsA = kvA ? logicalDims(kvA.t, kvA.cls, format) : null;
  const dimsB = kvB ? logicalDims(kvB.t, kvB.cls, format) : null;
  const dimsQ = qB ? logicalDims(qB.t, qB.cls, format) : null;
  if (!heads || kvLora === null || !dimsA || !dimsB || !dimsQ || hidden === null) return;
  const aOut = otherDim(dimsA, hidden);
  if (aOut === null) return;
  const rope = aOut - kvLora;
  const bOut = dimsB[0]!;
  const qOut = dimsQ[0]!;
  if (rope <= 0 || qOut % heads !== 0 || bOut % heads !== 0) return;
  const nope = qOut / heads - rope;
  const v = bOut / heads - nope;
  if (nope <= 0 || v <= 0) return;
  features.mla = `qk_nope=${nope},qk_rope=${rope},v=${v},q_lora=${qLora ? "yes" : "no"}`;
}

function deriveExperts(main: readonly TensorInfo[], hidden: number | null, format: WeightFormat | null, findings: Finding[]): number | null {
  // distinct expert indices per layer
  const per = new Map<number, Set<number>>();
  for (const i of main) {
    if (i.cls.kind !== "expert" || i.expert === null) continue;
    let s = per.get(i.layer ?? -1);
    if (!s) per.set(i.layer ?? -1, (s = new Set()));
    s.add(i.expert);
  }
  let fromIdx: number | null = null;
  for (const s of per.values()) fromIdx = Math.max(fromIdx ?? 0, s.size);
  // router rows
  let fromRouter: number | null = null;
  const r = main.find((i) => i.cls.kind === "moe_router" && (i.cls.leaf === "weight" || i.cls.leaf === "packed") && i.t.shape.length === 2);
  if (r) {
    const d = logicalDims(r.t, r.cls, format);
    fromRouter = hidden !== null ? otherDim(d, hidden) : d ? d[0]! : null;
  }
  // stacked expert tensors [E, ...]
  let fromStack: number | null = null;
  const st = main.find((i) => i.cls.kind === "expert" && i.expert === null && i.t.shape.length >= 3 && i.cls.leaf !== "quant");
  if (st) fromStack = st.t.shape[0]!;
  const vals = [fromIdx, fromRouter, fromStack].filter((v): v is number => v !== null);
  if (vals.length === 0) return null;
  if (vals.some((v) => v !== vals[0])) {
    findings.push({
      severity: "warning",
      code: "TENSOR_EXPERT_COUNT",
      message: `expert count disagrees between expert indices (${fromIdx ?? "-"}), router rows (${fromRouter ?? "-"}) and stacked expert tensors (${fromStack ?? "-"})`,
    });
  }
  return fromRouter ?? fromIdx ?? fromStack;
}

/** In-layer norm module names of a layer, relative to the layer (e.g. "input_layernorm", "layer.0.layer_norm"). */
function normModules(arr: readonly TensorInfo[]): string[] {
  const out = new Set<string>();
  for (const i of arr) {
    if (i.cls.kind !== "norm") continue;
    out.add(i.rel.slice(0, i.rel.lastIndexOf(".")));
  }
  return [...out].sort();
}

function placementOfLayer(arr: readonly TensorInfo[], stack: string | null, hint: TensorHint): NormPlacementResult {
  const mods = normModules(arr);
  if (mods.length === 0) return null;
  const hasAttn = arr.some((i) => MIXER_OF[i.cls.kind] !== undefined);
  const hasFfn = arr.some((i) => isDenseFfn(i.cls.kind) || i.cls.kind === "expert" || i.cls.kind === "moe_router");
  const names = new Set(mods.map((m) => m.slice(m.lastIndexOf(".") + 1)));
  const has = (s: string) => names.has(s);
  if (has("pre_feedforward_layernorm") && has("post_feedforward_layernorm")) return "sandwich";
  if (has("post_attention_layernorm") && has("post_feedforward_layernorm") && !has("input_layernorm")) return "post";
  if (has("ln_attn") && has("ln_mlp")) return "parallel";
  if (mods.length === 1) {
    if (hasAttn && hasFfn) return "parallel"; // one norm feeds both branches (Falcon-7B, GPT-J, Phi-2, Cohere)
    if (hasAttn !== hasFfn) return "pre"; // single-sublayer blocks (Mamba, Nemotron-H)
    return null;
  }
  if (mods.length === 2 && has("input_layernorm") && has("post_attention_layernorm")) {
    if (hint.parallelResidual === true) return "parallel";
    if (stack !== null && /(?:^|\.)gpt_neox(?:\.|$)/.test(stack)) return null; // use_parallel_residual decides
    if (hint.parallelResidual === false || hint.parallelResidual == null) return "pre"; // Llama: post_attention_layernorm is the pre-MLP norm
  }
  if (mods.length === 2) {
    const pairs: [string, string][] = [
      ["ln_1", "ln_2"],
      ["ln1", "ln2"],
      ["attention_norm", "ffn_norm"],
      ["operator_norm", "ffn_norm"],
      ["attn_norm", "ffn_norm"],
      ["input_layernorm", "pre_ff_layernorm"],
      ["input_layernorm", "pre_feedforward_layernorm"],
    ];
    if (pairs.some(([a, b]) => has(a) && has(b))) return "pre";
    // gpt-oss original: attn.norm + mlp.norm; T5: layer.0.layer_norm + layer.1.layer_norm
    if (mods.every((m) => /(?:^|\.)(?:attn|mlp)\.norm$/.test(m))) return "pre";
    if (mods.every((m) => /^layer\.\d+\.layer_norm$/.test(m))) return "pre";
    // BERT: attention.output.LayerNorm + output.LayerNorm (post-LN)
    if (mods.every((m) => /(?:^|\.)output\.LayerNorm$/.test(m))) return "post";
  }
  if (mods.length === 3 && mods.every((m) => /^layer\.\d+\.layer_norm$/.test(m))) return "pre"; // T5 decoder
  return null;
}
type NormPlacementResult = Features["normPlacement"];

function deriveNormPlacement(mainLayers: readonly (readonly TensorInfo[])[], stack: string | null, hint: TensorHint): NormPlacementResult {
  let result: NormPlacementResult = null;
  for (const arr of mainLayers) {
    const p = placementOfLayer(arr, stack, hint);
    if (p === null) continue;
    if (result === null) result = p;
    else if (result !== p) {
      // hybrids: a single-sublayer "pre" layer does not contradict the attention layers' placement
      if (p === "pre" && result !== "pre") continue;
      if (result === "pre") {
        result = p;
        continue;
      }
      return null;
    }
  }
  return result;
}
