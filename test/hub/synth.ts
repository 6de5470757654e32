/**
 * Tensor lists from config.json, for building realistic repos without real weights.
 *
 * - synthesizeTensors(config): every tensor (name, dtype, shape) of a checkpoint of that config, named
 *   exactly as real Hugging Face checkpoints name them, in module (state_dict) order.
 * - inferShape(name, config) / inferDtype / inferTensor: the shape and dtype of a *real* tensor name
 *   taken from a weight map (llama family, Mistral, Qwen2/2.5/3 (+MoE, VL vision towers), Gemma 1/2/3
 *   (+SigLIP tower), Phi-3 fused projections, Falcon (new and old RW configs), BLOOM, ChatGLM, GPT-2,
 *   gpt-oss MXFP4, Granite (+MoE), DeepSeek V2/V3/R1 and Kimi MLA (+FP8 block scales), Mixtral/WizardLM,
 *   bitsandbytes int8 (SCB, weight_format), MLX 4-bit (packed U32 weight, scales, biases)).
 *
 * synthesizeTensors() produces the names and asks inferTensor() for the shapes, so the two can never
 * disagree.
 */
import { numel } from "./repo-store.js";

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
}

export type Config = Record<string, unknown>;

export interface InferContext {
  /** All tensor names of the checkpoint (lets quantized layouts be detected from sibling names). */
  names?: ReadonlySet<string>;
  /** Base dtype override (otherwise torch_dtype / dtype from the config, else BF16). */
  dtype?: string;
}

export interface SynthOptions {
  /** Base dtype of unquantized tensors (default: from the config, else BF16). */
  dtype?: string;
  /** Name prefix for GPT-2 ("transformer." by default, like GPT2LMHeadModel.save_pretrained; "" like openai-community/gpt2). */
  gpt2Prefix?: string;
  /** Include the vision tower of Qwen2-VL / Qwen3-VL configs (default true). */
  vision?: boolean;
}

// ---------------------------------------------------------------------------------------------
// config helpers

const isObj = (v: unknown): v is Config => typeof v === "object" && v !== null && !Array.isArray(v);

function n(cfg: Config | undefined, ...keys: string[]): number | undefined {
  if (!cfg) return undefined;
  for (const k of keys) {
    const v = cfg[k];
    if (typeof v === "number" && Number.isFinite(v)) return v;
  }
  return undefined;
}

function s(cfg: Config | undefined, key: string): string | undefined {
  const v = cfg?.[key];
  return typeof v === "string" ? v : undefined;
}

function b(cfg: Config | undefined, key: string): boolean | undefined {
  const v = cfg?.[key];
  return typeof v === "boolean" ? v : undefined;
}

/** The language-model part of a config (text_config merged over the top level for multimodal configs). */
export function textConfig(config: Config): Config {
  const tc = config.text_config;
  if (isObj(tc)) {
    const merged: Config = { ...config, ...tc };
    delete merged.text_config;
    delete merged.vision_config;
    // top-level keys that describe the whole checkpoint win when the text config lacks them
    for (const k of ["quantization_config", "quantization", "tie_word_embeddings"]) {
      if (config[k] !== undefined && tc[k] === undefined) merged[k] = config[k];
    }
    return merged;
  }
  return config;
}

const TORCH_TO_ST: Record<string, string> = {
  bfloat16: "BF16",
  float16: "F16",
  half: "F16",
  float32: "F32",
  float: "F32",
  float64: "F64",
  int8: "I8",
  uint8: "U8",
};

/** Base dtype of a config: torch_dtype / dtype (text config first), else `fallback`. */
export function configDtype(config: Config, fallback = "BF16"): string {
  const tc = isObj(config.text_config) ? config.text_config : undefined;
  for (const c of [tc, config]) {
    for (const k of ["torch_dtype", "dtype"]) {
      const v = s(c, k);
      if (v && TORCH_TO_ST[v]) return TORCH_TO_ST[v]!;
    }
  }
  return fallback;
}

export type Family =
  | "llama"
  | "phi3"
  | "mixtral"
  | "qwen2_moe"
  | "qwen3_moe"
  | "deepseek"
  | "gpt2"
  | "gpt_oss"
  | "falcon"
  | "bloom"
  | "chatglm"
  | "granitemoe"
  | "olmo2";

export function modelFamily(config: Config): Family {
  const tc = textConfig(config);
  const mt = (s(tc, "model_type") ?? s(config, "model_type") ?? "").toLowerCase();
  const arch = ((config.architectures as string[] | undefined)?.[0] ?? "").toLowerCase();
  if (/^deepseek_v[23]|^kimi|^deepseek_v32/.test(mt) || n(tc, "kv_lora_rank") !== undefined) return "deepseek";
  if (mt === "mixtral") return "mixtral";
  if (mt === "qwen2_moe") return "qwen2_moe";
  if (mt === "qwen3_moe" || mt === "qwen3_vl_moe_text") return "qwen3_moe";
  if (mt === "gpt2" || arch.startsWith("gpt2")) return "gpt2";
  if (mt === "gpt_oss") return "gpt_oss";
  if (mt === "falcon" || mt === "refinedweb" || mt === "refinedwebmodel" || arch === "rwforcausallm" || arch.startsWith("falcon"))
    return "falcon";
  if (mt === "bloom") return "bloom";
  if (mt === "chatglm" || mt === "glm") return "chatglm";
  if (mt === "granitemoe") return "granitemoe";
  if (mt === "olmo2" || mt === "olmo3") return "olmo2";
  if (mt === "phi3" || mt === "phi4" || arch.startsWith("phi3")) return "phi3";
  return "llama";
}

interface Dims {
  family: Family;
  modelType: string;
  H: number;
  L: number;
  nH: number;
  nKV: number;
  hd: number;
  I: number;
  V: number;
  E: number;
  moeI: number;
  /** qwen2_moe shared_expert_intermediate_size */
  sharedI: number;
  tie: boolean;
  attnBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
  base: string;
  // deepseek MLA
  qLora: number | null;
  kvLora: number;
  nope: number;
  rope: number;
  vHead: number;
  nShared: number;
  firstDense: number;
  moeFreq: number;
  nextn: number;
  // quantization
  quantMethod: string | null;
  blockSize: [number, number];
  bnb8: boolean;
  mlxBits: number | null;
  mlxGroup: number;
  skipModules: string[];
}

const dimsCache = new WeakMap<Config, Dims>();

function dims(config: Config): Dims {
  const cached = dimsCache.get(config);
  if (cached) return cached;
  const c = textConfig(config);
  const family = modelFamily(config);
  const modelType = (s(c, "model_type") ?? "").toLowerCase();
  const H = n(c, "hidden_size", "n_embed", "n_embd", "d_model", "dim") ?? 0;
  const L = n(c, "num_hidden_layers", "n_layer", "num_layers", "n_layers") ?? 0;
  const nH = n(c, "num_attention_heads", "n_head", "n_heads", "num_heads") ?? 1;
  let nKV: number;
  if (family === "falcon") {
    const newArch = b(c, "new_decoder_architecture") ?? (n(c, "n_head_kv") !== undefined && n(c, "n_head_kv")! > 1);
    const kv = n(c, "num_kv_heads", "n_head_kv", "num_key_value_heads");
    if (newArch) nKV = kv ?? nH;
    else nKV = (b(c, "multi_query") ?? false) ? 1 : (kv ?? nH);
  } else if (family === "chatglm") {
    nKV = (b(c, "multi_query_attention") ?? false) ? (n(c, "multi_query_group_num") ?? 1) : nH;
  } else {
    nKV = n(c, "num_key_value_heads", "num_kv_heads", "n_kv_heads") ?? nH;
  }
  const hd = n(c, "head_dim", "kv_channels") ?? Math.floor(H / nH);
  const I =
    n(c, "intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim") ??
    (family === "falcon" || family === "bloom" || family === "gpt2" ? 4 * H : 0);
  const V = n(c, "vocab_size", "padded_vocab_size", "n_vocab") ?? 0;
  const E = n(c, "num_local_experts", "n_routed_experts", "num_experts") ?? 0;
  const moeI = n(c, "moe_intermediate_size") ?? I;
  const tieDefault = ["gemma", "gemma2", "gemma3_text", "gemma3", "smollm3", "gpt2", "bloom", "granite", "granitemoe"].includes(
    modelType,
  )
    ? true
    : family === "gpt2" || family === "bloom";
  const tie = b(c, "tie_word_embeddings") ?? tieDefault;
  let attnBias = b(c, "attention_bias") ?? b(c, "add_qkv_bias") ?? b(c, "qkv_bias") ?? false;
  if (["qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl", "qwen"].includes(modelType) && c.attention_bias === undefined) attnBias = true;
  const oBias = family === "gpt_oss" ? true : ["qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl"].includes(modelType) ? false : attnBias;
  const mlpBias = b(c, "mlp_bias") ?? false;
  const qc = isObj(c.quantization_config) ? c.quantization_config : undefined;
  const mlx = isObj(c.quantization) ? c.quantization : undefined;
  const quantMethod = s(qc, "quant_method") ?? null;
  const bs = qc?.weight_block_size as number[] | undefined;
  const bnb8 = quantMethod === "bitsandbytes" && ((b(qc, "load_in_8bit") ?? false) || (b(qc, "_load_in_8bit") ?? false));
  const mlxBits = n(mlx, "bits") ?? (quantMethod === null && qc && n(qc, "bits") !== undefined && n(qc, "group_size") !== undefined ? n(qc, "bits")! : null);
  const d: Dims = {
    family,
    modelType,
    H,
    L,
    nH,
    nKV,
    hd,
    I,
    V,
    E,
    moeI,
    sharedI: n(c, "shared_expert_intermediate_size") ?? 0,
    tie,
    attnBias,
    oBias,
    mlpBias,
    base: configDtype(config),
    qLora: n(c, "q_lora_rank") ?? null,
    kvLora: n(c, "kv_lora_rank") ?? 0,
    nope: n(c, "qk_nope_head_dim") ?? 0,
    rope: n(c, "qk_rope_head_dim") ?? 0,
    vHead: n(c, "v_head_dim") ?? hd,
    nShared: n(c, "n_shared_experts") ?? 0,
    firstDense: n(c, "first_k_dense_replace") ?? 0,
    moeFreq: n(c, "moe_layer_freq") ?? 1,
    nextn: n(c, "num_nextn_predict_layers") ?? 0,
    quantMethod,
    blockSize: Array.isArray(bs) && bs.length === 2 ? [bs[0]!, bs[1]!] : [128, 128],
    bnb8,
    mlxBits: mlxBits ?? null,
    mlxGroup: n(mlx, "group_size") ?? n(qc, "group_size") ?? 64,
    skipModules: ((qc?.llm_int8_skip_modules ?? qc?.modules_to_not_convert) as string[] | null | undefined) ?? [],
  };
  dimsCache.set(config, d);
  return d;
}

// ---------------------------------------------------------------------------------------------
// inferShape

const LAYER_RE = /^(.*?)(?:layers|h|blocks|block|layer)\.(\d+)\.(.+)$/;

function deepseekMoeLayer(d: Dims, layer: number): boolean {
  return d.E > 0 && layer >= d.firstDense && layer % d.moeFreq === 0;
}

/** Shape of an unquantized `<module>.weight` inside a decoder layer, with the layer index. */
function layerWeightShape(d: Dims, rest: string, layer: number): number[] | null {
  const { H, nH, nKV, hd, I } = d;
  // --- MLA (DeepSeek V2/V3/R1, Kimi K2)
  if (d.family === "deepseek") {
    const qk = d.nope + d.rope;
    const table: Record<string, number[]> = {
      "self_attn.q_proj": [nH * qk, H],
      "self_attn.q_a_proj": [d.qLora ?? 0, H],
      "self_attn.q_b_proj": [nH * qk, d.qLora ?? 0],
      "self_attn.kv_a_proj_with_mqa": [d.kvLora + d.rope, H],
      "self_attn.kv_b_proj": [nH * (d.nope + d.vHead), d.kvLora],
      "self_attn.o_proj": [H, nH * d.vHead],
      eh_proj: [H, 2 * H],
      embed_tokens: [d.V, H],
      "shared_head.head": [d.V, H],
    };
    if (table[rest]) return table[rest]!;
    const moe = deepseekMoeLayer(d, layer);
    let m = rest.match(/^mlp\.experts\.\d+\.(gate_proj|up_proj|down_proj)$/);
    if (m) return m[1] === "down_proj" ? [H, d.moeI] : [d.moeI, H];
    m = rest.match(/^mlp\.shared_experts\.(gate_proj|up_proj|down_proj)$/);
    if (m) return m[1] === "down_proj" ? [H, d.moeI * d.nShared] : [d.moeI * d.nShared, H];
    if (rest === "mlp.gate") return [d.E, H];
    m = rest.match(/^mlp\.(gate_proj|up_proj|down_proj)$/);
    if (m && !moe) return m[1] === "down_proj" ? [H, I] : [I, H];
  }
  // --- attention
  let m = rest.match(/^(?:self_attn|attn|attention|self_attention)\.(q_proj|k_proj|v_proj|o_proj|wq|wk|wv|wo|dense|out_proj)$/);
  if (m) {
    const p = m[1]!;
    if (p === "q_proj" || p === "wq") return [nH * hd, H];
    if (p === "k_proj" || p === "v_proj" || p === "wk" || p === "wv") return [nKV * hd, H];
    return [H, nH * hd];
  }
  if (/^self_attn\.qkv_proj$/.test(rest)) return [(nH + 2 * nKV) * hd, H];
  if (/^self_attention\.query_key_value$/.test(rest)) {
    if (d.family === "bloom") return [3 * H, H];
    return [(nH + 2 * nKV) * hd, H];
  }
  // --- GPT-2 (Conv1D: [in, out])
  if (rest === "attn.c_attn") return [H, 3 * H];
  if (rest === "attn.c_proj") return [H, H];
  if (rest === "mlp.c_fc") return [H, I];
  if (rest === "mlp.c_proj") return [I, H];
  // --- MoE routers and experts
  if (rest === "block_sparse_moe.gate" || rest === "mlp.gate" || rest === "mlp.router" || rest === "block_sparse_moe.router.layer")
    return [d.E, H];
  if (rest === "mlp.shared_expert_gate") return [1, H];
  m = rest.match(/^block_sparse_moe\.experts\.\d+\.(w1|w2|w3)$/);
  if (m) return m[1] === "w2" ? [H, I] : [I, H];
  m = rest.match(/^mlp\.experts\.\d+\.(gate_proj|up_proj|down_proj)$/);
  if (m) return m[1] === "down_proj" ? [H, d.moeI] : [d.moeI, H];
  m = rest.match(/^mlp\.shared_experts?\.(gate_proj|up_proj|down_proj)$/);
  if (m) {
    const c = d.family === "qwen2_moe" ? d.sharedI : d.moeI * Math.max(1, d.nShared);
    return m[1] === "down_proj" ? [H, c] : [c, H];
  }
  if (rest === "block_sparse_moe.input_linear") return [d.E, 2 * I, H];
  if (rest === "block_sparse_moe.output_linear") return [d.E, H, I];
  // --- dense MLP
  m = rest.match(/^(?:mlp|feed_forward)\.(gate_proj|up_proj|down_proj|w1|w2|w3)$/);
  if (m) return m[1] === "down_proj" || m[1] === "w2" ? [H, I] : [I, H];
  if (rest === "mlp.gate_up_proj") return [2 * I, H];
  if (rest === "mlp.dense_h_to_4h") return d.family === "chatglm" ? [2 * I, H] : [I, H];
  if (rest === "mlp.dense_4h_to_h") return [H, I];
  return null;
}

/** 1-D shapes (norms, biases) inside a decoder layer. */
function layerVectorShape(d: Dims, rest: string, layer: number): number[] | null {
  const { H, nH, nKV, hd } = d;
  if (/^(input_layernorm|post_attention_layernorm|pre_feedforward_layernorm|post_feedforward_layernorm|ln_attn|ln_mlp|ln_1|ln_2|attention_norm|ffn_norm|enorm|hnorm|shared_head\.norm)\.(weight|bias)$/.test(rest))
    return [H];
  if (/^self_attn\.q_norm\.weight$/.test(rest)) return d.family === "olmo2" ? [nH * hd] : [hd];
  if (/^self_attn\.k_norm\.weight$/.test(rest)) return d.family === "olmo2" ? [nKV * hd] : [hd];
  if (rest === "self_attn.q_a_layernorm.weight") return [d.qLora ?? 0];
  if (rest === "self_attn.kv_a_layernorm.weight") return [d.kvLora];
  if (rest === "self_attn.sinks") return [nH];
  if (rest === "mlp.gate.e_score_correction_bias") return [d.E];
  if (rest === "mlp.router.bias") return [d.E];
  // gpt-oss experts
  const I = d.I;
  const m = rest.match(/^mlp\.experts\.(gate_up_proj|down_proj)(_blocks|_scales|_bias)?$/);
  if (m) {
    const gu = m[1] === "gate_up_proj";
    const outDim = gu ? 2 * I : H;
    const inDim = gu ? H : I;
    switch (m[2]) {
      case "_blocks":
        return [d.E, outDim, inDim / 32, 16];
      case "_scales":
        return [d.E, outDim, inDim / 32];
      case "_bias":
        return [d.E, outDim];
      default:
        return [d.E, inDim, outDim];
    }
  }
  // biases of linear layers: first dim of the weight
  const bm = rest.match(/^(.*)\.bias$/);
  if (bm) {
    const w = layerWeightShape(d, bm[1]!, layer);
    if (w) return d.family === "gpt2" ? [w[1]!] : [w[0]!];
  }
  return null;
}

function globalShape(d: Dims, name: string, config: Config): number[] | null {
  const { H, V } = d;
  if (/(^|\.)(embed_tokens|word_embeddings|wte|tok_embeddings|embedding)\.weight$/.test(name)) return [V, H];
  if (/(^|\.)(lm_head|output_layer|output)\.weight$/.test(name)) return [V, H];
  if (/(^|\.)(norm|ln_f|final_layernorm|final_layer_norm|word_embeddings_layernorm)\.(weight|bias)$/.test(name)) return [H];
  if (/(^|\.)wpe\.weight$/.test(name)) return [n(textConfig(config), "n_positions", "max_position_embeddings") ?? 1024, H];
  if (/(^|\.)rotary_pos_emb\.inv_freq$/.test(name)) return [Math.floor((n(textConfig(config), "kv_channels") ?? d.hd) / 4)];
  if (/(^|\.)rotary_emb\.inv_freq$/.test(name)) return [Math.floor(d.hd / 2)];
  return null;
}

// ----- vision towers

function visionShape(config: Config, name: string): number[] | null {
  const vc = isObj(config.vision_config) ? config.vision_config : undefined;
  if (!vc) return null;
  const textH = n(textConfig(config), "hidden_size") ?? 0;
  // Qwen2-VL / Qwen2.5-VL / Qwen3-VL: "visual." or "model.visual."
  let m = name.match(/^(?:model\.)?visual\.(.+)$/);
  if (m) {
    const rest = m[1]!;
    const qwen2 = n(vc, "embed_dim") !== undefined;
    const E = n(vc, "embed_dim", "hidden_size") ?? 0;
    const inCh = n(vc, "in_chans", "in_channels") ?? 3;
    const ps = n(vc, "patch_size", "spatial_patch_size") ?? 14;
    const tps = n(vc, "temporal_patch_size") ?? 2;
    const merge = n(vc, "spatial_merge_size") ?? 2;
    const mergedH = E * merge * merge;
    const out = qwen2 ? (n(vc, "hidden_size") ?? textH) : (n(vc, "out_hidden_size") ?? textH);
    const mlpH = n(vc, "intermediate_size") ?? E * (n(vc, "mlp_ratio") ?? 4);
    if (rest === "patch_embed.proj.weight") return [E, inCh, tps, ps, ps];
    if (rest === "patch_embed.proj.bias") return [E];
    if (rest === "pos_embed.weight") return [n(vc, "num_position_embeddings") ?? 0, E];
    let bm = rest.match(/^blocks\.\d+\.(.+)$/);
    if (bm) {
      const r = bm[1]!;
      if (/^norm[12]\.(weight|bias)$/.test(r)) return [E];
      if (r === "attn.qkv.weight") return [3 * E, E];
      if (r === "attn.qkv.bias") return [3 * E];
      if (r === "attn.proj.weight") return [E, E];
      if (r === "attn.proj.bias") return [E];
      const mm = r.match(/^mlp\.(fc1|fc2|linear_fc1|linear_fc2|gate_proj|up_proj|down_proj)\.(weight|bias)$/);
      if (mm) {
        const down = mm[1] === "fc2" || mm[1] === "linear_fc2" || mm[1] === "down_proj";
        const w = down ? [E, mlpH] : [mlpH, E];
        return mm[2] === "weight" ? w : [w[0]!];
      }
      return null;
    }
    bm = rest.match(/^(merger|deepstack_merger_list\.\d+)\.(.+)$/);
    if (bm) {
      const deep = bm[1] !== "merger";
      const r = bm[2]!;
      if (/^(ln_q|norm)\.(weight|bias)$/.test(r)) return [deep ? mergedH : E];
      const mm = r.match(/^(mlp\.0|mlp\.2|linear_fc1|linear_fc2)\.(weight|bias)$/);
      if (mm) {
        const w = mm[1] === "mlp.0" || mm[1] === "linear_fc1" ? [mergedH, mergedH] : [out, mergedH];
        return mm[2] === "weight" ? w : [w[0]!];
      }
    }
    return null;
  }
  // SigLIP / CLIP towers (Gemma 3, PaliGemma, LLaVA)
  m = name.match(/(?:^|\.)vision_(?:tower|model)\.(?:vision_model\.)?(.+)$/);
  if (m) {
    const rest = m[1]!;
    const E = n(vc, "hidden_size") ?? 0;
    const I = n(vc, "intermediate_size") ?? 4 * E;
    const ps = n(vc, "patch_size") ?? 14;
    const img = n(vc, "image_size") ?? 224;
    const ch = n(vc, "num_channels") ?? 3;
    const clip = (s(vc, "model_type") ?? "").startsWith("clip");
    if (rest === "embeddings.patch_embedding.weight") return [E, ch, ps, ps];
    if (rest === "embeddings.patch_embedding.bias") return [E];
    if (rest === "embeddings.position_embedding.weight") return [(img / ps) ** 2 + (clip ? 1 : 0), E];
    if (rest === "embeddings.class_embedding") return [E];
    if (/^(post_layernorm|pre_layrnorm|pre_layernorm)\.(weight|bias)$/.test(rest)) return [E];
    const lm = rest.match(/^encoder\.layers\.\d+\.(.+)$/);
    if (lm) {
      const r = lm[1]!;
      if (/^layer_norm[12]\.(weight|bias)$/.test(r)) return [E];
      const am = r.match(/^self_attn\.(q_proj|k_proj|v_proj|out_proj)\.(weight|bias)$/);
      if (am) return am[2] === "weight" ? [E, E] : [E];
      if (r === "mlp.fc1.weight") return [I, E];
      if (r === "mlp.fc1.bias") return [I];
      if (r === "mlp.fc2.weight") return [E, I];
      if (r === "mlp.fc2.bias") return [E];
    }
    return null;
  }
  m = name.match(/(?:^|\.)multi_modal_projector\.(.+)$/);
  if (m) {
    const rest = m[1]!;
    const E = n(vc, "hidden_size") ?? 0;
    if (rest === "mm_input_projection_weight") return [E, textH];
    if (rest === "mm_soft_emb_norm.weight") return [E];
    // LLaVA: linear_1 [text, vision], linear_2 [text, text]
    if (rest === "linear_1.weight") return [textH, E];
    if (rest === "linear_2.weight") return [textH, textH];
    if (rest === "linear_1.bias" || rest === "linear_2.bias") return [textH];
  }
  return null;
}

function isVisionName(name: string): boolean {
  return /(^|\.)(visual|vision_tower|vision_model|multi_modal_projector)\./.test(name);
}

/** Shape of the unquantized weight `<base>.weight` (any position), or null. */
function weightShapeOf(config: Config, base: string): number[] | null {
  const d = dims(config);
  const vs = isVisionName(base) ? visionShape(config, `${base}.weight`) : null;
  if (vs) return vs;
  const lm = base.match(LAYER_RE);
  if (lm && !isVisionName(base)) {
    const w = layerWeightShape(d, lm[3]!, Number(lm[2]));
    if (w) return w;
  }
  return globalShape(d, `${base}.weight`, config);
}

function isMlxQuantized(d: Dims, base: string, ctx: InferContext | undefined): boolean {
  if (d.mlxBits === null) return false;
  if (ctx?.names) return ctx.names.has(`${base}.scales`);
  return true;
}

/**
 * Shape of a real tensor name from a weight map, or null when the name is not understood.
 * `ctx.names` (all names of the checkpoint) refines quantized layouts.
 */
export function inferShape(name: string, config: Config, ctx?: InferContext): number[] | null {
  const d = dims(config);
  if (isVisionName(name)) return visionShape(config, name);

  // --- quantization bookkeeping tensors
  let m = name.match(/^(.*)\.(SCB|weight_format|weight_scale_inv|scales|biases|qweight|qzeros|g_idx)$/);
  if (m) {
    const base = m[1]!;
    const suffix = m[2]!;
    const w = weightShapeOf(config, base);
    if (w && w.length === 2) {
      const [out, inn] = w as [number, number];
      switch (suffix) {
        case "SCB":
          return [out];
        case "weight_format":
          return [];
        case "weight_scale_inv":
          return [Math.ceil(out / d.blockSize[0]), Math.ceil(inn / d.blockSize[1])];
        case "scales":
        case "biases":
          if (d.mlxBits !== null) return [out, inn / d.mlxGroup];
          if (suffix === "scales") return [inn / d.mlxGroup, out]; // GPTQ
          break;
        case "qweight":
          return [(inn * (d.mlxBits ?? 4)) / 32, out];
        case "qzeros":
          return [inn / d.mlxGroup, (out * (d.mlxBits ?? 4)) / 32];
        case "g_idx":
          return [inn];
      }
    }
    // fall through: not a quantization tensor after all (e.g. a "biases" parameter)
  }

  // --- weights (possibly MLX-packed)
  m = name.match(/^(.*)\.weight$/);
  if (m) {
    const w = weightShapeOf(config, m[1]!);
    if (w) {
      if (w.length === 2 && isMlxQuantized(d, m[1]!, ctx)) return [w[0]!, (w[1]! * d.mlxBits!) / 32];
      return w;
    }
  }

  const lm = name.match(LAYER_RE);
  if (lm) {
    const v = layerVectorShape(d, lm[3]!, Number(lm[2]));
    if (v) return v;
  }
  return globalShape(d, name, config);
}

// ---------------------------------------------------------------------------------------------
// dtypes

function isLayerLinearWeight(name: string): boolean {
  if (!/\.weight$/.test(name) || isVisionName(name)) return false;
  const lm = name.match(LAYER_RE);
  if (!lm) return false;
  const rest = lm[3]!.replace(/\.weight$/, "");
  if (/norm|layernorm|ln_/.test(rest)) return false;
  if (/^(mlp\.gate|block_sparse_moe\.gate|mlp\.router|mlp\.shared_expert_gate|embed_tokens|shared_head\.head|eh_proj)$/.test(rest)) return false;
  return /(proj|dense|query_key_value|w[123]|c_attn|c_fc|c_proj|wq|wk|wv|wo|_linear|fc\d)/.test(rest);
}

/** dtype of a real tensor name (from torch_dtype and quantization hints in the config and the name). */
export function inferDtype(name: string, config: Config, ctx?: InferContext): string {
  const d = dims(config);
  const base = ctx?.dtype ?? d.base;
  const skipped = d.skipModules.some((mod) => name.startsWith(mod.replace(/\.\*$/, "")) || globMatch(mod, name));
  // bitsandbytes int8
  if (/\.SCB$/.test(name)) return "F32";
  if (/\.weight_format$/.test(name)) return "U8";
  // FP8 block quantization
  if (/\.weight_scale_inv$/.test(name)) return "F32";
  if (/\.e_score_correction_bias$/.test(name)) return "F32";
  // MXFP4 (gpt-oss)
  if (/_blocks$|_scales$/.test(name)) return "U8";
  // MLX
  if (d.mlxBits !== null && /\.(scales|biases)$/.test(name)) return base;
  if (/\.(qweight|qzeros|g_idx)$/.test(name)) return "I32";
  if (/\.weight$/.test(name)) {
    const mod = name.slice(0, -".weight".length);
    if (isMlxQuantized(d, mod, ctx) && (ctx?.names ? true : isLayerLinearWeight(name) || /embed_tokens|lm_head/.test(name)))
      return "U32";
    if (d.bnb8) {
      if (ctx?.names ? ctx.names.has(`${mod}.SCB`) : isLayerLinearWeight(name) && !skipped) return "I8";
    }
    if (d.quantMethod === "fp8") {
      if (ctx?.names ? ctx.names.has(`${mod}.weight_scale_inv`) : isLayerLinearWeight(name) && !skipped) return "F8_E4M3";
    }
  }
  return base;
}

function globMatch(glob: string, name: string): boolean {
  const re = new RegExp("^" + glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^.]+") + "(\\.|$)");
  return re.test(name);
}

/** Shape and dtype of a real tensor name, or null when the shape cannot be inferred. */
export function inferTensor(name: string, config: Config, ctx?: InferContext): TensorSpec | null {
  const shape = inferShape(name, config, ctx);
  if (!shape || shape.some((x) => !Number.isInteger(x) || x < 0)) return null;
  return { name, dtype: inferDtype(name, config, ctx), shape };
}

// ---------------------------------------------------------------------------------------------
// synthesizeTensors

/** Every tensor name of a checkpoint of this config, in module order. */
export function synthesizeNames(config: Config, opts: SynthOptions = {}): string[] {
  const top = String(config.model_type ?? "").toLowerCase();
  if (!SUPPORTED.has(top)) {
    throw new Error(`synthesizeTensors: unsupported model_type ${JSON.stringify(config.model_type)} (supported: ${[...SUPPORTED].join(", ")})`);
  }
  const d = dims(config);
  if (!d.H || !d.L || !d.V) {
    throw new Error(`synthesizeTensors: config lacks hidden_size / num_hidden_layers / vocab_size (model_type ${top})`);
  }
  const c = textConfig(config);
  const names: string[] = [];
  const push = (...xs: string[]) => names.push(...xs);
  const linear = (p: string, bias: boolean) => {
    push(`${p}.weight`);
    if (bias) push(`${p}.bias`);
  };
  const fp8 = d.quantMethod === "fp8";
  const qlin = (p: string, bias = false) => {
    push(`${p}.weight`);
    if (fp8) push(`${p}.weight_scale_inv`);
    if (d.bnb8) push(`${p}.SCB`, `${p}.weight_format`);
    if (d.mlxBits !== null) push(`${p}.scales`, `${p}.biases`);
    if (bias) push(`${p}.bias`);
  };
  const mlxEmb = (p: string) => {
    push(`${p}.weight`);
    if (d.mlxBits !== null) push(`${p}.scales`, `${p}.biases`);
  };

  switch (d.family) {
    case "gpt2": {
      const pre = opts.gpt2Prefix ?? "transformer.";
      push(`${pre}wte.weight`, `${pre}wpe.weight`);
      for (let l = 0; l < d.L; l++) {
        const p = `${pre}h.${l}`;
        push(`${p}.ln_1.weight`, `${p}.ln_1.bias`);
        linear(`${p}.attn.c_attn`, true);
        linear(`${p}.attn.c_proj`, true);
        push(`${p}.ln_2.weight`, `${p}.ln_2.bias`);
        linear(`${p}.mlp.c_fc`, true);
        linear(`${p}.mlp.c_proj`, true);
      }
      push(`${pre}ln_f.weight`, `${pre}ln_f.bias`);
      if (!d.tie) push("lm_head.weight");
      return names;
    }
    case "bloom": {
      push("word_embeddings.weight", "word_embeddings_layernorm.weight", "word_embeddings_layernorm.bias");
      for (let l = 0; l < d.L; l++) {
        const p = `h.${l}`;
        push(`${p}.input_layernorm.weight`, `${p}.input_layernorm.bias`);
        linear(`${p}.self_attention.query_key_value`, true);
        linear(`${p}.self_attention.dense`, true);
        push(`${p}.post_attention_layernorm.weight`, `${p}.post_attention_layernorm.bias`);
        linear(`${p}.mlp.dense_h_to_4h`, true);
        linear(`${p}.mlp.dense_4h_to_h`, true);
      }
      push("ln_f.weight", "ln_f.bias");
      return names;
    }
    case "falcon": {
      const bias = b(c, "bias") ?? false;
      const newArch = b(c, "new_decoder_architecture") ?? (n(c, "n_head_kv") !== undefined && n(c, "n_head_kv")! > 1);
      const parallel = b(c, "parallel_attn") ?? true;
      push("transformer.word_embeddings.weight");
      for (let l = 0; l < d.L; l++) {
        const p = `transformer.h.${l}`;
        if (newArch) push(`${p}.ln_attn.weight`, `${p}.ln_attn.bias`, `${p}.ln_mlp.weight`, `${p}.ln_mlp.bias`);
        else {
          push(`${p}.input_layernorm.weight`, `${p}.input_layernorm.bias`);
          if (!parallel) push(`${p}.post_attention_layernorm.weight`, `${p}.post_attention_layernorm.bias`);
        }
        linear(`${p}.self_attention.query_key_value`, bias);
        linear(`${p}.self_attention.dense`, bias);
        linear(`${p}.mlp.dense_h_to_4h`, bias);
        linear(`${p}.mlp.dense_4h_to_h`, bias);
      }
      push("transformer.ln_f.weight", "transformer.ln_f.bias");
      if (!(b(c, "tie_word_embeddings") ?? false)) push("lm_head.weight");
      return names;
    }
    case "chatglm": {
      push("transformer.embedding.word_embeddings.weight", "transformer.rotary_pos_emb.inv_freq");
      for (let l = 0; l < d.L; l++) {
        const p = `transformer.encoder.layers.${l}`;
        push(`${p}.input_layernorm.weight`);
        linear(`${p}.self_attention.query_key_value`, d.attnBias);
        linear(`${p}.self_attention.dense`, b(c, "add_bias_linear") ?? false);
        push(`${p}.post_attention_layernorm.weight`);
        linear(`${p}.mlp.dense_h_to_4h`, b(c, "add_bias_linear") ?? false);
        linear(`${p}.mlp.dense_4h_to_h`, b(c, "add_bias_linear") ?? false);
      }
      push("transformer.encoder.final_layernorm.weight", "transformer.output_layer.weight");
      return names;
    }
    default:
      break;
  }

  // llama-style decoders ("model.layers.N....")
  const vlText = d.modelType === "qwen3_vl" || d.modelType === "qwen3_vl_text";
  const gemma3mm = s(config, "model_type") === "gemma3" && isObj(config.vision_config);
  const pre = vlText ? "model.language_model" : gemma3mm ? "language_model.model" : "model";
  if (opts.vision !== false) names.push(...visionNames(config));
  mlxEmb(`${pre}.embed_tokens`);
  const total = d.L + (d.family === "deepseek" ? d.nextn : 0);
  const mlpOnly = new Set((c.mlp_only_layers as number[] | undefined) ?? []);
  const sparseStep = n(c, "decoder_sparse_step") ?? 1;
  const layer = (l: number) => {
    const p = `${pre}.layers.${l}`;
    const mtp = l >= d.L;
    if (mtp) push(`${p}.embed_tokens.weight`, `${p}.enorm.weight`, `${p}.hnorm.weight`, `${p}.eh_proj.weight`);
    // DeepSeek's module order: attention, mlp, then the two norms (matches the real shard boundaries)
    if (d.family !== "olmo2" && d.family !== "deepseek") push(`${p}.input_layernorm.weight`);
    // attention
    if (d.family === "deepseek") {
      if (d.qLora) {
        qlin(`${p}.self_attn.q_a_proj`);
        push(`${p}.self_attn.q_a_layernorm.weight`);
        qlin(`${p}.self_attn.q_b_proj`);
      } else qlin(`${p}.self_attn.q_proj`);
      qlin(`${p}.self_attn.kv_a_proj_with_mqa`);
      push(`${p}.self_attn.kv_a_layernorm.weight`);
      qlin(`${p}.self_attn.kv_b_proj`);
      qlin(`${p}.self_attn.o_proj`);
    } else if (d.family === "phi3") {
      qlin(`${p}.self_attn.qkv_proj`, d.attnBias);
      qlin(`${p}.self_attn.o_proj`, d.oBias);
    } else {
      qlin(`${p}.self_attn.q_proj`, d.attnBias);
      qlin(`${p}.self_attn.k_proj`, d.attnBias);
      qlin(`${p}.self_attn.v_proj`, d.attnBias);
      qlin(`${p}.self_attn.o_proj`, d.oBias);
      if (["qwen3", "qwen3_moe", "qwen3_vl", "qwen3_vl_text", "olmo2", "olmo3", "gemma3", "gemma3_text"].includes(d.modelType) || d.family === "olmo2")
        push(`${p}.self_attn.q_norm.weight`, `${p}.self_attn.k_norm.weight`);
      if (d.family === "gpt_oss") push(`${p}.self_attn.sinks`);
    }
    // mlp
    const gemmaNorms = /^gemma[23]/.test(d.modelType);
    if (d.family !== "olmo2" && d.family !== "deepseek") push(`${p}.post_attention_layernorm.weight`);
    if (gemmaNorms) push(`${p}.pre_feedforward_layernorm.weight`);
    switch (d.family) {
      case "mixtral":
        push(`${p}.block_sparse_moe.gate.weight`);
        for (let e = 0; e < d.E; e++) for (const w of ["w1", "w2", "w3"]) qlin(`${p}.block_sparse_moe.experts.${e}.${w}`);
        break;
      case "granitemoe":
        push(
          `${p}.block_sparse_moe.input_linear.weight`,
          `${p}.block_sparse_moe.output_linear.weight`,
          `${p}.block_sparse_moe.router.layer.weight`,
        );
        break;
      case "gpt_oss":
        push(`${p}.mlp.router.weight`, `${p}.mlp.router.bias`);
        if (d.quantMethod === "mxfp4")
          push(
            `${p}.mlp.experts.gate_up_proj_blocks`,
            `${p}.mlp.experts.gate_up_proj_scales`,
            `${p}.mlp.experts.gate_up_proj_bias`,
            `${p}.mlp.experts.down_proj_blocks`,
            `${p}.mlp.experts.down_proj_scales`,
            `${p}.mlp.experts.down_proj_bias`,
          );
        else
          push(
            `${p}.mlp.experts.gate_up_proj`,
            `${p}.mlp.experts.gate_up_proj_bias`,
            `${p}.mlp.experts.down_proj`,
            `${p}.mlp.experts.down_proj_bias`,
          );
        break;
      case "qwen2_moe":
      case "qwen3_moe": {
        const sparse = d.E > 0 && !mlpOnly.has(l) && (l + 1) % sparseStep === 0;
        if (!sparse) {
          for (const w of ["gate_proj", "up_proj", "down_proj"]) qlin(`${p}.mlp.${w}`);
          break;
        }
        push(`${p}.mlp.gate.weight`);
        for (let e = 0; e < d.E; e++) for (const w of ["gate_proj", "up_proj", "down_proj"]) qlin(`${p}.mlp.experts.${e}.${w}`);
        if (d.family === "qwen2_moe" && d.sharedI > 0) {
          for (const w of ["gate_proj", "up_proj", "down_proj"]) qlin(`${p}.mlp.shared_expert.${w}`);
          push(`${p}.mlp.shared_expert_gate.weight`);
        }
        break;
      }
      case "deepseek":
        if (deepseekMoeLayer(d, l)) {
          push(`${p}.mlp.gate.weight`);
          if (s(c, "topk_method") === "noaux_tc") push(`${p}.mlp.gate.e_score_correction_bias`);
          for (let e = 0; e < d.E; e++) for (const w of ["gate_proj", "up_proj", "down_proj"]) qlin(`${p}.mlp.experts.${e}.${w}`);
          if (d.nShared > 0) for (const w of ["gate_proj", "up_proj", "down_proj"]) qlin(`${p}.mlp.shared_experts.${w}`);
        } else for (const w of ["gate_proj", "up_proj", "down_proj"]) qlin(`${p}.mlp.${w}`);
        break;
      case "phi3":
        qlin(`${p}.mlp.gate_up_proj`, d.mlpBias);
        qlin(`${p}.mlp.down_proj`, d.mlpBias);
        break;
      default:
        for (const w of ["gate_proj", "up_proj", "down_proj"]) qlin(`${p}.mlp.${w}`, d.mlpBias);
    }
    if (gemmaNorms) push(`${p}.post_feedforward_layernorm.weight`);
    if (d.family === "olmo2") push(`${p}.post_attention_layernorm.weight`, `${p}.post_feedforward_layernorm.weight`);
    if (d.family === "deepseek") push(`${p}.input_layernorm.weight`, `${p}.post_attention_layernorm.weight`);
    if (mtp) push(`${p}.shared_head.norm.weight`, `${p}.shared_head.head.weight`);
  };
  for (let l = 0; l < d.L; l++) layer(l);
  push(`${pre}.norm.weight`);
  if (!d.tie) mlxEmb("lm_head");
  for (let l = d.L; l < total; l++) layer(l); // DeepSeek multi-token-prediction layers come after lm_head
  return names;
}

/** model_types whose checkpoints use the plain llama layout (model.layers.N.self_attn.q_proj...). */
const LLAMA_LIKE = new Set([
  "llama",
  "mistral",
  "ministral",
  "qwen2",
  "qwen3",
  "qwen2_vl",
  "qwen3_vl",
  "qwen3_vl_text",
  "gemma",
  "gemma2",
  "gemma3",
  "gemma3_text",
  "granite",
  "smollm3",
  "helium",
]);

const SUPPORTED = new Set([
  ...LLAMA_LIKE,
  "mixtral",
  "qwen2_moe",
  "qwen3_moe",
  "deepseek_v2",
  "deepseek_v3",
  "kimi_k2",
  "gpt2",
  "gpt_oss",
  "falcon",
  "refinedweb",
  "refinedwebmodel",
  "bloom",
  "chatglm",
  "granitemoe",
  "olmo2",
  "olmo3",
  "phi3",
]);

function visionNames(config: Config): string[] {
  const vc = isObj(config.vision_config) ? config.vision_config : undefined;
  const mt = (s(config, "model_type") ?? "").toLowerCase();
  if (!vc) return [];
  const out: string[] = [];
  if (mt === "qwen2_vl") {
    out.push("visual.patch_embed.proj.weight");
    for (let i = 0; i < (n(vc, "depth") ?? 0); i++) {
      const p = `visual.blocks.${i}`;
      for (const x of ["norm1", "norm2", "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2"]) out.push(`${p}.${x}.weight`, `${p}.${x}.bias`);
    }
    out.push("visual.merger.ln_q.weight", "visual.merger.ln_q.bias");
    for (const x of ["mlp.0", "mlp.2"]) out.push(`visual.merger.${x}.weight`, `visual.merger.${x}.bias`);
  } else if (mt === "gemma3") {
    const p = "vision_tower.vision_model";
    out.push(`${p}.embeddings.patch_embedding.weight`, `${p}.embeddings.patch_embedding.bias`, `${p}.embeddings.position_embedding.weight`);
    for (let i = 0; i < (n(vc, "num_hidden_layers") ?? 0); i++) {
      const q = `${p}.encoder.layers.${i}`;
      for (const x of ["layer_norm1", "layer_norm2", "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "mlp.fc1", "mlp.fc2"])
        out.push(`${q}.${x}.weight`, `${q}.${x}.bias`);
    }
    out.push(`${p}.post_layernorm.weight`, `${p}.post_layernorm.bias`);
    out.push("multi_modal_projector.mm_input_projection_weight", "multi_modal_projector.mm_soft_emb_norm.weight");
  } else if (mt === "qwen3_vl") {
    out.push("model.visual.patch_embed.proj.weight", "model.visual.patch_embed.proj.bias", "model.visual.pos_embed.weight");
    for (let i = 0; i < (n(vc, "depth") ?? 0); i++) {
      const p = `model.visual.blocks.${i}`;
      for (const x of ["norm1", "norm2", "attn.qkv", "attn.proj", "mlp.linear_fc1", "mlp.linear_fc2"]) out.push(`${p}.${x}.weight`, `${p}.${x}.bias`);
    }
    for (const m of ["model.visual.merger", ...((vc.deepstack_visual_indexes as number[] | undefined) ?? []).map((_, i) => `model.visual.deepstack_merger_list.${i}`)])
      for (const x of ["norm", "linear_fc1", "linear_fc2"]) out.push(`${m}.${x}.weight`, `${m}.${x}.bias`);
  }
  return out;
}

/**
 * Every tensor (name, dtype, shape) of a checkpoint of this config. Throws when a shape cannot be
 * inferred (unsupported family).
 */
export function synthesizeTensors(config: Config, opts: SynthOptions = {}): TensorSpec[] {
  const names = synthesizeNames(config, opts);
  const set = new Set(names);
  const ctx: InferContext = { names: set, dtype: opts.dtype };
  return names.map((name) => {
    const t = inferTensor(name, config, ctx);
    if (!t) throw new Error(`synthesizeTensors: cannot infer the shape of ${name} (model_type ${String(config.model_type)})`);
    return t;
  });
}

/** Elements per dtype (raw header counts, no quantization adjustment). */
export function countParameters(tensors: readonly { dtype: string; shape: readonly number[] }[]): {
  byDtype: Record<string, number>;
  total: number;
} {
  const byDtype: Record<string, number> = {};
  let total = 0;
  for (const t of tensors) {
    const k = numel(t.shape);
    byDtype[t.dtype] = (byDtype[t.dtype] ?? 0) + k;
    total += k;
  }
  return { byDtype, total };
}

/** Safetensors writer order: larger dtypes first (enum order reversed), then by name. */
const DTYPE_ORDER = [
  "BOOL",
  "F4",
  "F6_E2M3",
  "F6_E3M2",
  "U8",
  "I8",
  "F8_E5M2",
  "F8_E4M3",
  "F8_E8M0",
  "F8_E4M3FNUZ",
  "F8_E5M2FNUZ",
  "I16",
  "U16",
  "F16",
  "BF16",
  "I32",
  "U32",
  "F32",
  "C64",
  "F64",
  "I64",
  "U64",
];

export function sortLikeSafetensors<T extends { name: string; dtype: string }>(tensors: readonly T[]): T[] {
  const rank = (dt: string) => DTYPE_ORDER.indexOf(dt);
  return [...tensors].sort((a, b2) => rank(b2.dtype) - rank(a.dtype) || (a.name < b2.name ? -1 : a.name > b2.name ? 1 : 0));
}

/** A tiny llama-family config for fast tests (override any key). */
export function tinyConfig(overrides: Config = {}): Config {
  return {
    architectures: ["LlamaForCausalLM"],
    model_type: "llama",
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 1000,
    max_position_embeddings: 2048,
    rms_norm_eps: 1e-5,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    ...overrides,
  };
}
