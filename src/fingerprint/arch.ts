/**
 * Code-path features and scale parameters from a normalized config (verdicts.md "Features" /
 * "Scale parameters").
 *
 * What configs spell out (head counts, rope scaling, biases when a flag exists, experts...) is read
 * from the config. What configs never spell out (norm kind, FFN family, norm placement, hard-coded
 * biases, Gemma's (1 + w) norm scale...) comes from the per-architecture table below; every value
 * taken from the table rather than the config is listed in one `ARCH_CONVENTION` info finding.
 * An architecture missing from the table gets only config-explicit features; the rest stay null
 * with an `ARCH_UNKNOWN` warning (never guessed silently).
 *
 * Layer-kind vocabulary (Features.layerKinds, sorted set):
 *   full_attention      softmax attention over the whole context (the standard transformer block,
 *                       MHA/GQA/MQA or MLA; its FFN may be dense or MoE - that is the `moe` feature)
 *   sliding_attention   windowed attention, listed ONLY when the model mixes windowed and global
 *                       layers (a hybrid KV-cache layout: Gemma-2/3, gpt-oss, OLMo-3). A stack whose
 *                       attention layers are all windowed (Mistral-7B-v0.1, Starcoder2) is
 *                       {full_attention} + slidingWindow "all": one attention kind, one window.
 *   chunked_attention   chunked local attention (Llama-4 style)
 *   cross_attention     layers attending to another stream (Mllama's image layers; encoder-decoder
 *                       decoders)
 *   linear_attention    linear-attention / RWKV time-mixing blocks
 *   mamba, mamba2       selective state-space mixers (Mamba-1 / Mamba-2)
 *   conv                short-convolution mixers (LFM2)
 *   mlp, moe            FFN-only blocks of architectures whose layers are single-op blocks
 *                       (Nemotron-H "-" and "E"); in ordinary blocks MoE is the `moe` feature only.
 */
import type { AttentionFamily, Features, FfnFamily, Finding, KvGrouping, NormKind, NormPlacement, PositionEncoding, Scale, SlidingWindow, Topology } from "./types.js";
import { asBool, asInt, asIntList, asNumber, asString, type NormalizedConfig } from "./config.js";
import { formatFromConfig, weightFormatFeature } from "./weight-format.js";

// ---------------------------------------------------------------------------------------------
// architecture table

export interface ArchProfile {
  /** Family id (the table key). */
  family: string;
  /** Human name for reports. */
  label: string;
  topology: Topology;
  /** Mixer of every layer when the config has no layer pattern. */
  defaultLayerKind: string;
  attentionFamily: AttentionFamily;
  normKind: NormKind;
  normPlacement: NormPlacement;
  normOffset: boolean;
  ffnFamily: FfnFamily;
  /** Normalized activation when the config does not name one. */
  activation: string;
  position: PositionEncoding;
  /** Defaults of the bias / qk-norm switches when the config has no flag for them. */
  qkvBias: boolean;
  outputBias: boolean;
  mlpBias: boolean;
  qkNorm: boolean;
  /** transformers class default of tie_word_embeddings. */
  tied: boolean;
  /** Config keys that switch each bias, in priority order ("!key" = negated). Empty = hard-coded. */
  qkvBiasKeys: string[];
  outputBiasKeys: string[];
  mlpBiasKeys: string[];
  qkNormKeys: string[];
  /** Config keys naming the activation, in priority order. */
  activationKeys: string[];
  /** Rotary fraction when the config does not say (ChatGLM rotates half of each head). */
  partialRotary: number;
  /** Rope applied to interleaved pairs (GPT-J / GLM / Cohere style) rather than rotate-half (NeoX). */
  ropeInterleaved: boolean;
  routerScoring: string | null;
  attentionSinks: boolean;
  /** qk-norm weight shape: per head (head_dim) or over the whole projection (heads*head_dim). */
  qkNormShape: "head" | "full";
  /** Parameter layout hints (params.ts). */
  layout: {
    /** Norm modules per transformer block. */
    normsPerLayer: number;
    /** LayerNorm modules carry a bias. */
    normBias: boolean;
    finalNorm: boolean;
    /** LayerNorm right after the token embedding (BLOOM, BERT). */
    embeddingNorm: boolean;
    lmHeadBias: boolean;
    /** Learned absolute position table rows come from this value. */
    learnedPositions: boolean;
  };
  /** Extra towers implied by the architecture itself (Whisper's audio encoder). */
  modality: string[];
  /** Extra conventions worth a note. */
  notes: string[];
}

const BASE: ArchProfile = {
  family: "llama",
  label: "Llama",
  topology: "decoder-only",
  defaultLayerKind: "full_attention",
  attentionFamily: "standard",
  normKind: "rmsnorm",
  normPlacement: "pre",
  normOffset: false,
  ffnFamily: "gated",
  activation: "silu",
  position: "rope",
  qkvBias: false,
  outputBias: false,
  mlpBias: false,
  qkNorm: false,
  tied: false,
  qkvBiasKeys: ["attention_bias"],
  outputBiasKeys: ["attention_bias"],
  mlpBiasKeys: ["mlp_bias"],
  qkNormKeys: [],
  activationKeys: ["hidden_act"],
  partialRotary: 1,
  ropeInterleaved: false,
  routerScoring: null,
  attentionSinks: false,
  qkNormShape: "head",
  layout: { normsPerLayer: 2, normBias: false, finalNorm: true, embeddingNorm: false, lmHeadBias: false, learnedPositions: false },
  modality: [],
  notes: [],
};

type ProfilePatch = Omit<Partial<ArchProfile>, "layout"> & { layout?: Partial<ArchProfile["layout"]> };

function profile(family: string, label: string, patch: ProfilePatch, base: ArchProfile = BASE): ArchProfile {
  return {
    ...base,
    ...patch,
    family,
    label,
    layout: { ...base.layout, ...(patch.layout ?? {}) },
    notes: patch.notes ?? [],
  } as ArchProfile;
}

const LAYERNORM_PLAIN_GELU: ProfilePatch = {
  normKind: "layernorm",
  ffnFamily: "plain",
  activation: "gelu",
  qkvBias: true,
  outputBias: true,
  mlpBias: true,
  qkvBiasKeys: [],
  outputBiasKeys: [],
  mlpBiasKeys: [],
  activationKeys: ["activation_function", "hidden_act"],
  layout: { normBias: true },
};

const LLAMA = profile("llama", "Llama", {});
const MISTRAL = profile("mistral", "Mistral", { qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [] });
const QWEN2 = profile("qwen2", "Qwen2", { qkvBias: true, qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [] });
const QWEN3 = profile("qwen3", "Qwen3", { qkNorm: true, mlpBiasKeys: [] });
const GEMMA = profile("gemma", "Gemma", {
  normOffset: true,
  activation: "gelu_tanh",
  tied: true,
  activationKeys: ["hidden_activation"],
  mlpBiasKeys: [],
  notes: ["embeddings scaled by sqrt(hidden_size)"],
});
const DEEPSEEK_V3 = profile("deepseek_v3", "DeepSeek-V3 (MLA + MoE)", { attentionFamily: "mla", routerScoring: "sigmoid", mlpBiasKeys: [] });

export const ARCH_PROFILES: Record<string, ArchProfile> = {
  llama: LLAMA,
  mllama: profile("mllama", "Mllama (Llama 3.2 Vision)", {}),
  smollm3: profile("smollm3", "SmolLM3", { tied: true }),
  mistral: MISTRAL,
  mixtral: profile("mixtral", "Mixtral", { routerScoring: "softmax", qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [] }),
  qwen: profile("qwen", "Qwen (v1, remote code)", {
    qkvBias: true,
    qkvBiasKeys: [],
    outputBiasKeys: ["!no_bias"],
    mlpBiasKeys: ["!no_bias"],
    notes: ["intermediate_size is the sum of both gate branches (each is intermediate_size / 2)", "logn attention scaling when use_logn_attn"],
  }),
  qwen2: QWEN2,
  qwen2_moe: profile("qwen2_moe", "Qwen2-MoE", { routerScoring: "softmax", notes: ["shared expert with a sigmoid gate"] }, QWEN2),
  qwen3: QWEN3,
  qwen3_moe: profile("qwen3_moe", "Qwen3-MoE", { routerScoring: "softmax" }, QWEN3),
  gemma: GEMMA,
  gemma2: profile("gemma2", "Gemma 2", { normPlacement: "sandwich", layout: { normsPerLayer: 4 } }, GEMMA),
  gemma3: profile("gemma3", "Gemma 3", { normPlacement: "sandwich", qkNorm: true, layout: { normsPerLayer: 4 } }, GEMMA),
  phi: profile("phi", "Phi-1/1.5/2", {
    ...LAYERNORM_PLAIN_GELU,
    normPlacement: "parallel",
    activation: "gelu_tanh",
    partialRotary: 0.5,
    layout: { normsPerLayer: 1, normBias: true, lmHeadBias: true },
  }),
  phi3: profile("phi3", "Phi-3/3.5/4", { qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [] }),
  gpt2: profile("gpt2", "GPT-2", {
    ...LAYERNORM_PLAIN_GELU,
    activation: "gelu_tanh",
    position: "learned",
    tied: true,
    layout: { normBias: true, learnedPositions: true },
  }),
  gpt_bigcode: profile("gpt_bigcode", "GPTBigCode", {
    ...LAYERNORM_PLAIN_GELU,
    activation: "gelu_tanh",
    position: "learned",
    tied: true,
    layout: { normBias: true, learnedPositions: true },
  }),
  gptj: profile("gptj", "GPT-J", {
    ...LAYERNORM_PLAIN_GELU,
    normPlacement: "parallel",
    activation: "gelu_tanh",
    qkvBias: false,
    outputBias: false,
    ropeInterleaved: true,
    layout: { normsPerLayer: 1, normBias: true, lmHeadBias: true },
  }),
  gpt_neox: profile("gpt_neox", "GPT-NeoX", {
    ...LAYERNORM_PLAIN_GELU,
    normPlacement: "parallel",
    activationKeys: ["hidden_act"],
    layout: { normBias: true },
  }),
  bloom: profile("bloom", "BLOOM", {
    ...LAYERNORM_PLAIN_GELU,
    activation: "gelu_tanh",
    position: "alibi",
    tied: true,
    layout: { normBias: true, embeddingNorm: true },
    notes: ["bloom_gelu is the tanh approximation"],
  }),
  falcon: profile("falcon", "Falcon", {
    normKind: "layernorm",
    normPlacement: "parallel",
    ffnFamily: "plain",
    activation: "gelu",
    tied: true,
    qkvBiasKeys: ["bias"],
    outputBiasKeys: ["bias"],
    mlpBiasKeys: ["bias"],
    activationKeys: ["activation"],
    layout: { normsPerLayer: 1, normBias: true },
  }),
  baichuan: profile("baichuan", "Baichuan", { qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [], notes: ["NormHead lm_head (normalized rows)"] }),
  internlm: profile("internlm", "InternLM", { qkvBias: true, outputBias: true, qkvBiasKeys: ["bias"], outputBiasKeys: ["bias"], mlpBiasKeys: [] }),
  internlm2: profile("internlm2", "InternLM2", { qkvBiasKeys: ["bias"], outputBiasKeys: ["bias"], mlpBiasKeys: [] }),
  orion: profile("orion", "Orion", {
    normKind: "layernorm",
    qkvBiasKeys: [],
    outputBiasKeys: [],
    mlpBiasKeys: [],
    layout: { normBias: true },
    notes: ["nn.LayerNorm despite the rms_norm_eps key"],
  }),
  minicpm: profile("minicpm", "MiniCPM", {
    tied: true,
    routerScoring: "softmax",
    mlpBiasKeys: [],
    notes: ["muP scaling: scale_emb, scale_depth, dim_model_base"],
  }),
  stablelm: profile("stablelm", "StableLM", {
    normKind: "layernorm",
    qkvBiasKeys: ["use_qkv_bias"],
    outputBiasKeys: [],
    mlpBiasKeys: [],
    qkNormKeys: ["qk_layernorm"],
    qkNormShape: "full",
    layout: { normBias: true },
  }),
  starcoder2: profile("starcoder2", "Starcoder2", {
    normKind: "layernorm",
    ffnFamily: "plain",
    activation: "gelu_tanh",
    qkvBias: true,
    outputBias: true,
    mlpBias: true,
    tied: true,
    qkvBiasKeys: ["use_bias"],
    outputBiasKeys: ["use_bias"],
    mlpBiasKeys: ["use_bias"],
    activationKeys: ["hidden_act", "activation_function"],
    layout: { normBias: true },
  }),
  chatglm: profile("chatglm", "ChatGLM (remote code)", {
    qkvBias: true,
    qkvBiasKeys: ["add_qkv_bias"],
    outputBiasKeys: ["add_bias_linear"],
    mlpBiasKeys: ["add_bias_linear"],
    partialRotary: 0.5,
    ropeInterleaved: true,
  }),
  cohere: profile("cohere", "Cohere", {
    normKind: "layernorm",
    normPlacement: "parallel",
    tied: true,
    qkNormKeys: ["use_qk_norm"],
    qkNormShape: "full",
    mlpBiasKeys: [],
    ropeInterleaved: true,
    layout: { normsPerLayer: 1, normBias: false },
    notes: ["LayerNorm without bias", "logit_scale applied to the output logits"],
  }),
  rwkv: profile("rwkv", "RWKV", {
    defaultLayerKind: "linear_attention",
    attentionFamily: "linear",
    normKind: "layernorm",
    ffnFamily: "plain",
    activation: "relu2",
    position: "none",
    qkvBiasKeys: [],
    outputBiasKeys: [],
    mlpBiasKeys: [],
    activationKeys: [],
    layout: { normBias: true, embeddingNorm: true },
    notes: ["channel mixing: squared-ReLU key, sigmoid receptance gate"],
  }),
  bert: profile("bert", "BERT", {
    ...LAYERNORM_PLAIN_GELU,
    topology: "encoder-only",
    normPlacement: "post",
    position: "learned",
    tied: true,
    activationKeys: ["hidden_act"],
    layout: { normBias: true, finalNorm: false, embeddingNorm: true, learnedPositions: true },
  }),
  roberta: profile("roberta", "RoBERTa", {
    ...LAYERNORM_PLAIN_GELU,
    topology: "encoder-only",
    normPlacement: "post",
    position: "learned",
    tied: true,
    activationKeys: ["hidden_act"],
    layout: { normBias: true, finalNorm: false, embeddingNorm: true, learnedPositions: true },
  }),
  whisper: profile("whisper", "Whisper", {
    ...LAYERNORM_PLAIN_GELU,
    topology: "encoder-decoder",
    position: "learned",
    tied: true,
    layout: { normBias: true, learnedPositions: true },
    modality: ["audio"],
    notes: ["k_proj has no bias", "encoder positions are fixed sinusoids stored as a weight"],
  }),
  olmo2: profile("olmo2", "OLMo 2", {
    normPlacement: "post",
    qkNorm: true,
    qkNormShape: "full",
    mlpBiasKeys: [],
    notes: ["norms apply to each sublayer output before the residual add (no pre-norm)"],
  }),
  olmo3: profile("olmo3", "OLMo 3", { normPlacement: "post", qkNorm: true, qkNormShape: "full", mlpBiasKeys: [] }),
  granite: profile("granite", "Granite", { tied: true, notes: ["muP multipliers (embedding/attention/residual/logits)"] }),
  granitemoe: profile("granitemoe", "Granite-MoE", { tied: true, routerScoring: "softmax", mlpBiasKeys: [], notes: ["muP multipliers (embedding/attention/residual/logits)"] }),
  nemotron_h: profile("nemotron_h", "Nemotron-H (hybrid Mamba-2)", {
    defaultLayerKind: "mamba2",
    ffnFamily: "plain",
    activation: "relu2",
    position: "none",
    routerScoring: "sigmoid",
    activationKeys: ["mlp_hidden_act", "hidden_act"],
    layout: { normsPerLayer: 1 },
    notes: ["attention layers use no positional encoding (Mamba-2 layers carry position)"],
  }),
  lfm2: profile("lfm2", "LFM2 (conv + attention hybrid)", { qkNorm: true, tied: true, qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [] }),
  deepseek: profile("deepseek", "DeepSeek-MoE (v1)", { routerScoring: "softmax", mlpBiasKeys: [] }),
  deepseek_v2: profile("deepseek_v2", "DeepSeek-V2 (MLA + MoE)", { attentionFamily: "mla", routerScoring: "softmax", mlpBiasKeys: [] }),
  deepseek_v3: DEEPSEEK_V3,
  glm4_moe: profile("glm4_moe", "GLM-4.5 (GLM-4 MoE)", {
    qkvBias: true,
    qkvBiasKeys: ["attention_bias"],
    outputBiasKeys: [],
    mlpBiasKeys: [],
    qkNormKeys: ["use_qk_norm"],
    routerScoring: "sigmoid",
    partialRotary: 0.5,
  }),
  gpt_oss: profile("gpt_oss", "gpt-oss", {
    activation: "swiglu_oai",
    qkvBias: true,
    outputBias: true,
    mlpBias: true,
    mlpBiasKeys: [],
    activationKeys: [],
    routerScoring: "softmax",
    attentionSinks: true,
    notes: ["clamped SwiGLU with alpha 1.702 and (up + 1) (swiglu_limit)", "router softmax over the top-k logits"],
  }),
  jamba: profile("jamba", "Jamba (hybrid Mamba)", { defaultLayerKind: "mamba", position: "none", routerScoring: "softmax", mlpBiasKeys: [] }),
  mamba: profile("mamba", "Mamba", { defaultLayerKind: "mamba", attentionFamily: "linear", position: "none", qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [], layout: { normsPerLayer: 1 } }),
  mamba2: profile("mamba2", "Mamba-2", { defaultLayerKind: "mamba2", attentionFamily: "linear", position: "none", qkvBiasKeys: [], outputBiasKeys: [], mlpBiasKeys: [], layout: { normsPerLayer: 1 } }),
};

/** model_type (lower-cased, or an architecture class reduced to letters/digits) -> family. */
const FAMILY_ALIASES: Record<string, string> = {
  llama: "llama",
  codellama: "llama",
  mllama: "mllama",
  mllama_text_model: "mllama",
  smollm3: "smollm3",
  mistral: "mistral",
  ministral: "mistral",
  ministral3: "mistral",
  mistral3: "mistral",
  mixtral: "mixtral",
  qwen: "qwen",
  qwen2: "qwen2",
  qwen2_vl: "qwen2",
  qwen2_vl_text: "qwen2",
  qwen2_5_vl: "qwen2",
  qwen2_5_vl_text: "qwen2",
  qwen2_moe: "qwen2_moe",
  qwen3: "qwen3",
  qwen3_vl: "qwen3",
  qwen3_vl_text: "qwen3",
  qwen3_moe: "qwen3_moe",
  qwen3_vl_moe: "qwen3_moe",
  qwen3_vl_moe_text: "qwen3_moe",
  gemma: "gemma",
  gemma2: "gemma2",
  gemma3: "gemma3",
  gemma3_text: "gemma3",
  phi: "phi",
  "phi-msft": "phi",
  phi_msft: "phi",
  phi3: "phi3",
  phi3_v: "phi3",
  phi4: "phi3",
  gpt2: "gpt2",
  gpt_bigcode: "gpt_bigcode",
  gptj: "gptj",
  gpt_neox: "gpt_neox",
  bloom: "bloom",
  falcon: "falcon",
  refinedweb: "falcon",
  refinedwebmodel: "falcon",
  rw: "falcon",
  baichuan: "baichuan",
  internlm: "internlm",
  internlm2: "internlm2",
  orion: "orion",
  minicpm: "minicpm",
  stablelm: "stablelm",
  stablelm_epoch: "stablelm",
  starcoder2: "starcoder2",
  chatglm: "chatglm",
  cohere: "cohere",
  rwkv: "rwkv",
  rwkv5: "rwkv",
  rwkv6: "rwkv",
  bert: "bert",
  roberta: "roberta",
  whisper: "whisper",
  olmo2: "olmo2",
  olmo3: "olmo3",
  granite: "granite",
  granitemoe: "granitemoe",
  nemotron_h: "nemotron_h",
  lfm2: "lfm2",
  deepseek: "deepseek",
  deepseek_v2: "deepseek_v2",
  deepseek_v3: "deepseek_v3",
  kimi_k2: "deepseek_v3",
  glm4_moe: "glm4_moe",
  gpt_oss: "gpt_oss",
  jamba: "jamba",
  mamba: "mamba",
  mamba2: "mamba2",
};

const COMPACT_ALIASES: Record<string, string> = Object.fromEntries(
  Object.entries(FAMILY_ALIASES).map(([k, v]) => [k.replace(/[^a-z0-9]/g, ""), v]),
);

function familyOfClass(cls: string): string | null {
  const base = cls
    .replace(/(ForCausalLM|ForConditionalGeneration|LMHeadModel|ForMaskedLM|ForPreTraining|ForSequenceClassification|ForTokenClassification|ForQuestionAnswering|Model)$/, "")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "");
  return COMPACT_ALIASES[base] ?? null;
}

export interface FamilyResolution {
  family: string | null;
  via: "text_model_type" | "model_type" | "architecture" | null;
}

export function resolveFamily(norm: NormalizedConfig): FamilyResolution {
  const byType = (t: string | null) => (t ? FAMILY_ALIASES[t.toLowerCase()] ?? COMPACT_ALIASES[t.toLowerCase().replace(/[^a-z0-9]/g, "")] ?? null : null);
  if (norm.textModelType && norm.textModelType !== norm.modelType) {
    const f = byType(norm.textModelType);
    if (f) return { family: f, via: "text_model_type" };
  }
  const f = byType(norm.modelType);
  if (f) return { family: f, via: "model_type" };
  for (const cls of norm.architectures) {
    const g = familyOfClass(cls);
    if (g) return { family: g, via: "architecture" };
  }
  return { family: null, via: null };
}

// ---------------------------------------------------------------------------------------------
// result types

/** Everything arch.ts derives beyond Features/Scale, for params.ts, kvcache.ts and reports. */
export interface ArchDetails {
  family: string | null;
  familyLabel: string | null;
  familyVia: FamilyResolution["via"];
  /** Per-layer kinds (length = layers) when the layer count is known. */
  perLayerKinds: string[] | null;
  /** Per layer: does its FFN route to experts? (null when dense or unknown) */
  moeLayers: boolean[] | null;
  /** Layers that skip rope (SmolLM3). */
  nopeLayers: number[] | null;
  attnLogitSoftcap: number | null;
  finalLogitSoftcap: number | null;
  ropeInterleaved: boolean | null;
  /** Renormalize the top-k router weights (norm_topk_prob). */
  normTopKProb: boolean | null;
  routedScalingFactor: number | null;
  /** Multi-token-prediction layers shipped with the checkpoint (num_nextn_predict_layers). */
  mtpLayers: number;
  qkNormShape: "head" | "full" | null;
  /** Effective dense FFN width used for counting (after conventions). */
  ffnWidth: number | null;
  /** Falcon-style flags etc. */
  flags: Record<string, boolean>;
  multipliers: Record<string, number>;
  notes: string[];
}

export interface ArchResult {
  features: Features;
  scale: Scale;
  findings: Finding[];
  details: ArchDetails;
  profile: ArchProfile | null;
}

// ---------------------------------------------------------------------------------------------
// helpers

/** Families whose routers always carry e_score_correction_bias, whatever the config says. */
const ROUTER_BIAS_FAMILIES = new Set(["glm4_moe", "nemotron_h"]);
/** Families that always renormalize the top-k router weights (norm_topk_prob is not a config key). */
const TOPK_NORM_FAMILIES = new Set(["mixtral"]);

/** DeepSeek-V3 style router with a score-correction bias (topk_method noaux_tc, GLM-4.5, Nemotron-H). */
function routerBiasFrom(t: Record<string, unknown>, family: string | null): boolean | null {
  if (family && ROUTER_BIAS_FAMILIES.has(family)) return true;
  const m = asString(t["topk_method"]);
  if (m === null) return false;
  return m.toLowerCase() === "noaux_tc";
}

function routerTopKNormFrom(t: Record<string, unknown>, family: string | null): boolean | null {
  const v = asBool(t["norm_topk_prob"]);
  if (v !== null) return v;
  return family && TOPK_NORM_FAMILIES.has(family) ? true : null;
}

function normalizeActivation(a: string): string {
  const s = a.toLowerCase();
  if (s === "silu" || s === "swish" || s === "swiglu") return "silu";
  if (s === "gelu_new" || s === "gelu_pytorch_tanh" || s === "gelu_fast" || s === "gelu_tanh" || s === "bloom_gelu" || s === "gelu_approx" || s === "tanh_gelu")
    return "gelu_tanh";
  if (s === "gelu" || s === "gelu_python" || s === "gelu_accurate" || s === "geglu") return "gelu";
  if (s === "relu2" || s === "relu_squared" || s === "squared_relu" || s === "relu²") return "relu2";
  return s;
}

function readFlag(text: Record<string, unknown>, keys: string[]): { value: boolean; key: string } | null {
  for (const k of keys) {
    const neg = k.startsWith("!");
    const key = neg ? k.slice(1) : k;
    const v = asBool(text[key]);
    if (v !== null) return { value: neg ? !v : v, key };
  }
  return null;
}

function sortedSet(xs: Iterable<string>): string[] {
  return [...new Set(xs)].sort();
}

function grouping(heads: number, kv: number): KvGrouping | null {
  if (kv <= 0 || heads <= 0 || kv > heads) return null;
  if (kv === heads) return "MHA";
  if (kv === 1) return "MQA";
  return "GQA";
}

/** Families whose config class has num_key_value_heads (absent = MHA). */
const KV_PARAM_FAMILIES = new Set(["llama", "mistral", "qwen2", "internlm", "internlm2", "orion", "minicpm", "baichuan", "olmo2", "phi3", "phi", "stablelm", "gemma", "deepseek"]);

const ATTENTION_KINDS = new Set(["full_attention", "sliding_attention", "chunked_attention"]);

// ---------------------------------------------------------------------------------------------
// main

export function featuresFromConfig(norm: NormalizedConfig): ArchResult {
  const findings: Finding[] = [];
  const conventions: string[] = [];
  const t = norm.text;
  const { family, via } = resolveFamily(norm);
  const prof = family ? ARCH_PROFILES[family] ?? null : null;
  const mt = (norm.textModelType ?? norm.modelType ?? "").toLowerCase();

  if (!prof) {
    findings.push({
      severity: "warning",
      code: "ARCH_UNKNOWN",
      message: `architecture ${norm.architecture ?? "(none)"} (model_type ${norm.modelType ?? "null"}) is not in the architecture table: only features the config states are set, the rest stay null`,
    });
  } else if (via === "architecture") {
    findings.push({ severity: "info", code: "ARCH_FROM_CLASS", message: `family ${prof.family} resolved from the architecture class ${norm.architectures[0]} (model_type did not name it)` });
  }

  // ---------------- layer kinds
  const L = norm.numLayers;
  let perLayer: string[] | null = norm.layerTypes ? [...norm.layerTypes] : null;
  if (!perLayer && prof && L !== null) perLayer = Array.from({ length: L }, () => prof.defaultLayerKind);
  if (perLayer && norm.layerTypesSource === null && prof) conventions.push(`every layer is ${prof.defaultLayerKind}`);
  let layerKinds: string[] | null = null;
  if (perLayer) {
    const s = new Set(perLayer);
    // whisper/encoder-decoder decoders cross-attend in every layer
    if (prof?.topology === "encoder-decoder" || norm.topologyHint === "encoder-decoder") s.add("cross_attention");
    if (s.has("sliding_attention") && !s.has("full_attention")) {
      s.delete("sliding_attention");
      s.add("full_attention");
    }
    layerKinds = sortedSet(s);
  } else if (prof) {
    layerKinds = [prof.defaultLayerKind];
  }

  // ---------------- topology
  let topology: Topology | null = norm.topologyHint ?? prof?.topology ?? null;
  if (!topology && norm.architecture && /(ForCausalLM|LMHeadModel)$/.test(norm.architecture)) {
    topology = "decoder-only";
    findings.push({ severity: "info", code: "ARCH_CONVENTION", message: `topology decoder-only inferred from the class name ${norm.architecture}` });
  }

  // ---------------- attention family
  const kvLoraRank = asInt(t["kv_lora_rank"]);
  const isMla = kvLoraRank !== null && kvLoraRank > 0;
  let attentionFamily: AttentionFamily | null = null;
  if (isMla) attentionFamily = "mla";
  else if (layerKinds && layerKinds.some((k) => ATTENTION_KINDS.has(k) || k === "cross_attention")) attentionFamily = "standard";
  else if (layerKinds && layerKinds.length > 0) attentionFamily = "linear";
  else if (prof) attentionFamily = prof.attentionFamily;
  if (prof?.attentionFamily === "mla" && !isMla) {
    findings.push({ severity: "warning", code: "ARCH_MLA_MISSING", message: `${prof.label} normally uses MLA but kv_lora_rank is absent: treated as standard attention` });
  }
  const standard = attentionFamily === "standard";

  // ---------------- heads / grouping
  const heads = norm.heads.value;
  const kv = norm.kvHeads.value;
  let kvGrouping: KvGrouping | null = null;
  if (standard && heads !== null && kv !== null) {
    if (norm.heads.perLayer || norm.kvHeads.perLayer) {
      const hs = norm.heads.perLayer ?? [];
      const ks = norm.kvHeads.perLayer ?? [];
      const n = Math.max(hs.length, ks.length);
      const gs = new Set<KvGrouping | null>();
      for (let i = 0; i < n; i++) {
        const h = hs[i] ?? heads;
        const k = ks[i] ?? (norm.kvHeadsSource === "default-mha" ? h : kv);
        if (h === 0 && k === 0) continue; // attention-free layer (heterogeneous NAS models)
        gs.add(grouping(h, k));
      }
      const list = [...gs].filter((g): g is KvGrouping => g !== null);
      kvGrouping = list.length === 1 ? list[0] : grouping(heads, kv);
      if (list.length > 1) {
        findings.push({ severity: "info", code: "ARCH_MIXED_KV_GROUPING", message: `per-layer head counts give several KV groupings (${list.join(", ")}); reported ${kvGrouping}` });
      }
    } else {
      kvGrouping = grouping(heads, kv);
      if (kvGrouping === null) {
        findings.push({ severity: "warning", code: "ARCH_BAD_KV_HEADS", message: `num_key_value_heads ${kv} is not a divisor-compatible count for ${heads} heads` });
      } else if (heads % kv !== 0) {
        findings.push({ severity: "warning", code: "ARCH_BAD_KV_HEADS", message: `num_attention_heads ${heads} is not a multiple of num_key_value_heads ${kv}` });
      }
    }
    if (norm.kvHeadsSource === "default-mha" && prof && KV_PARAM_FAMILIES.has(prof.family)) {
      conventions.push("num_key_value_heads absent: kv = heads (MHA, class default)");
    }
  }

  const headDim = standard ? norm.headDim : null;
  let mla: string | null = null;
  if (isMla) {
    const nope = asInt(t["qk_nope_head_dim"]);
    const ropeHd = asInt(t["qk_rope_head_dim"]);
    const v = asInt(t["v_head_dim"]);
    const qLora = asInt(t["q_lora_rank"]);
    mla = `qk_nope=${nope ?? "?"},qk_rope=${ropeHd ?? "?"},v=${v ?? "?"},q_lora=${qLora !== null && qLora > 0 ? "yes" : "no"}`;
  }

  // ---------------- biases / qk-norm
  const flag = (keys: string[] | undefined, def: boolean | undefined, what: string): boolean | null => {
    const f = keys ? readFlag(t, keys) : null;
    if (f) return f.value;
    if (prof && def !== undefined) {
      if (keys && keys.length > 0) conventions.push(`${what} ${def} (class default; ${keys.map((k) => k.replace(/^!/, "")).join("/")} absent)`);
      else conventions.push(`${what} ${def}`);
      return def;
    }
    // unknown family: accept the common flags
    const generic = readFlag(t, ["attention_bias", "bias", "use_bias"]);
    return what.startsWith("qkv") || what.startsWith("output") ? generic?.value ?? null : null;
  };
  const qkvBias = flag(prof?.qkvBiasKeys, prof?.qkvBias, "qkv bias");
  const outputBias = flag(prof?.outputBiasKeys, prof?.outputBias, "output bias");
  let mlpBias: boolean | null = prof ? flag(prof.mlpBiasKeys, prof.mlpBias, "mlp bias") : asBool(t["mlp_bias"]);
  if (prof?.family === "nemotron_h") mlpBias = asBool(t["mlp_bias"]) ?? false;
  let qkNorm: boolean | null = null;
  if (prof) {
    const f = readFlag(t, prof.qkNormKeys);
    qkNorm = f ? f.value : prof.qkNorm;
    if (!f && prof.qkNorm) conventions.push("q/k norm (architecture)");
  } else {
    qkNorm = asBool(t["use_qk_norm"]) ?? asBool(t["qk_layernorm"]) ?? null;
  }

  // ---------------- sliding window
  const window = norm.slidingWindow;
  let slidingWindow: SlidingWindow | null = null;
  if (window === null) {
    slidingWindow = prof || norm.slidingWindowRaw !== null || norm.layerTypes ? "none" : null;
  } else if (perLayer) {
    const att = perLayer.filter((k) => k === "full_attention" || k === "sliding_attention");
    const s = att.filter((k) => k === "sliding_attention").length;
    if (s === 0) slidingWindow = "none";
    else if (s === att.length) slidingWindow = "all";
    else {
      let alternating = true;
      for (let i = 1; i < att.length; i++) if (att[i] === att[i - 1]) alternating = false;
      slidingWindow = alternating ? "alternating" : "pattern";
    }
  } else {
    slidingWindow = "all";
  }

  // ---------------- soft-capping / sinks
  const attnSoftcap = asNumber(t["attn_logit_softcapping"]);
  const finalSoftcap = asNumber(t["final_logit_softcapping"]);
  let logitSoftcap: boolean | null;
  if (attnSoftcap !== null) logitSoftcap = attnSoftcap > 0;
  else if (prof?.family === "gemma2" && !("attn_logit_softcapping" in t)) {
    logitSoftcap = true;
    conventions.push("attention logit soft-capping 50 (Gemma 2 class default)");
  } else logitSoftcap = prof ? false : null;
  const attentionSinks: boolean | null = prof ? prof.attentionSinks : null;
  if (prof?.attentionSinks) conventions.push("attention sinks (learned per-head sink logits)");

  // ---------------- position
  let positionEncoding: PositionEncoding | null = prof ? prof.position : null;
  if (prof?.family === "falcon") {
    positionEncoding = asBool(t["alibi"]) === true ? "alibi" : "rope";
  } else if (prof?.family === "baichuan") {
    // Baichuan 7B uses rope, 13B alibi; the config does not say which
    positionEncoding = norm.hiddenSize !== null && norm.hiddenSize >= 5120 ? "alibi" : "rope";
    conventions.push(`position ${positionEncoding} (Baichuan ${positionEncoding === "alibi" ? "13B" : "7B"} convention, from hidden_size)`);
  } else if (prof?.family === "lfm2" && asBool(t["use_pos_enc"]) === false) {
    positionEncoding = "none";
  } else if (!prof) {
    if (norm.rope.scaling || norm.rope.theta !== null) positionEncoding = "rope";
    else if (asBool(t["alibi"]) === true) positionEncoding = "alibi";
  }
  if (prof?.family === "nemotron_h") conventions.push("attention layers without positional encoding");
  const rope = positionEncoding === "rope";
  let ropeType: string | null = null;
  let partialRotary: number | null = null;
  if (rope) {
    ropeType = norm.rope.type ?? "default";
    partialRotary = norm.rope.partialRotary ?? prof?.partialRotary ?? 1;
    if (norm.rope.partialRotary === null && prof && prof.partialRotary !== 1) conventions.push(`rotary fraction ${prof.partialRotary} (architecture)`);
    if (mt === "qwen" && asBool(t["use_logn_attn"]) === true) findings.push({ severity: "info", code: "ARCH_NOTE", message: "Qwen v1 logn attention scaling (use_logn_attn) and dynamic NTK rope" });
  }

  // ---------------- ffn
  let ffnFamily: FfnFamily | null = prof ? prof.ffnFamily : null;
  if (prof?.family === "lfm2" && asBool(t["block_use_swiglu"]) === false) ffnFamily = "plain";
  if (prof?.family === "starcoder2" && asString(t["mlp_type"]) === "gated") ffnFamily = "gated";
  let activation: string | null = null;
  if (prof) {
    for (const k of prof.activationKeys) {
      const a = asString(t[k]);
      if (a) {
        activation = normalizeActivation(a);
        break;
      }
    }
    if (activation === null) {
      activation = prof.activation;
      if (prof.family === "gemma" && asString(t["hidden_act"]) === "gelu") {
        conventions.push("activation gelu_tanh: Gemma ignores the legacy hidden_act \"gelu\" (hidden_activation defaults to gelu_pytorch_tanh)");
      } else if (prof.family === "gpt_oss") {
        conventions.push("activation swiglu_oai (clamped SwiGLU; config says silu)");
      } else {
        conventions.push(`activation ${prof.activation}`);
      }
    }
  } else {
    const a = asString(t["hidden_act"]) ?? asString(t["activation_function"]) ?? asString(t["hidden_activation"]);
    activation = a ? normalizeActivation(a) : null;
  }

  // ---------------- MoE
  const experts = norm.numExperts;
  let moe = (experts !== null && experts > 1) || (perLayer?.includes("moe") ?? false);
  if (experts === 0) moe = false;
  const moeLayers = moe && L !== null ? computeMoeLayers(norm, prof, perLayer, L) : null;
  let moeTopK: number | null = null;
  let sharedExperts: boolean | null = null;
  let routerScoring: string | null = null;
  let groupedTopK: number | null = null;
  let denseLayerPrefix: number | null = null;
  if (moe) {
    moeTopK = norm.expertsPerToken;
    if (moeTopK === null) findings.push({ severity: "warning", code: "ARCH_MOE_TOPK_MISSING", message: "MoE model without num_experts_per_tok (or alias): top-k unknown" });
    sharedExperts = (norm.numSharedExperts ?? 0) > 0 || (norm.sharedExpertIntermediateSize ?? 0) > 0;
    const sf = asString(t["scoring_func"]);
    routerScoring = sf ? sf.toLowerCase() : prof?.routerScoring ?? null;
    if (!sf && prof?.routerScoring) conventions.push(`router scoring ${prof.routerScoring}`);
    const nGroup = asInt(t["n_group"]);
    groupedTopK = nGroup ?? 1;
    if (moeLayers) {
      let k = 0;
      while (k < moeLayers.length && !moeLayers[k]) k++;
      denseLayerPrefix = perLayer?.includes("moe") ? 0 : k;
      const afterPrefix = moeLayers.slice(k);
      if (!perLayer?.includes("moe") && afterPrefix.some((x) => !x)) {
        findings.push({
          severity: "info",
          code: "ARCH_MOE_PATTERN",
          message: `MoE and dense FFN layers interleave after the first ${k} layer(s) (${moeLayers.filter((x) => x).length}/${moeLayers.length} MoE layers)`,
        });
      }
    } else {
      denseLayerPrefix = asInt(t["first_k_dense_replace"]) ?? 0;
    }
  }

  // ---------------- norm
  let normKind: NormKind | null = prof ? prof.normKind : null;
  if (prof?.family === "chatglm" && asBool(t["rmsnorm"]) === false) normKind = "layernorm";
  if (prof?.family === "starcoder2") {
    const nt = asString(t["norm_type"]);
    if (nt) normKind = nt.toLowerCase().includes("rms") ? "rmsnorm" : "layernorm";
  }
  if (prof && normKind === prof.normKind && !(prof.family === "starcoder2" && asString(t["norm_type"]))) conventions.push(`norm ${prof.normKind}`);
  let normPlacement: NormPlacement | null = prof ? prof.normPlacement : null;
  const flags: Record<string, boolean> = {};
  if (prof?.family === "falcon") {
    const parallel = asBool(t["parallel_attn"]) ?? true;
    const newArch = asBool(t["new_decoder_architecture"]) ?? mt === "refinedweb";
    flags["newDecoderArchitecture"] = newArch;
    flags["parallelAttn"] = parallel;
    normPlacement = parallel || newArch ? "parallel" : "pre";
    if (!("new_decoder_architecture" in t) && mt === "refinedweb") conventions.push("RefinedWeb (remote-code Falcon-40B) = new_decoder_architecture");
  } else if (prof?.family === "gpt_neox") {
    normPlacement = (asBool(t["use_parallel_residual"]) ?? true) ? "parallel" : "pre";
  } else if (prof?.family === "stablelm") {
    normPlacement = asBool(t["use_parallel_residual"]) === true ? "parallel" : "pre";
  } else if (prof && normPlacement !== null) {
    conventions.push(`norm placement ${normPlacement}`);
  }
  if (asBool(t["apply_residual_connection_post_layernorm"]) === true) {
    findings.push({ severity: "info", code: "ARCH_NOTE", message: "apply_residual_connection_post_layernorm: the residual branches from the normalized input" });
  }
  const normOffset: boolean | null = prof ? prof.normOffset : null;
  if (prof?.normOffset) conventions.push("norm scale (1 + w)");

  // ---------------- embeddings
  let tiedEmbeddings: boolean | null = norm.tieWordEmbeddings;
  if (tiedEmbeddings === null && prof) {
    tiedEmbeddings = prof.tied;
    conventions.push(`tie_word_embeddings ${prof.tied} (class default)`);
  }

  // ---------------- modality
  const modality = sortedSet([...norm.modality, ...(prof?.modality ?? [])]);

  const features: Features = {
    architecture: norm.architecture,
    topology,
    layerKinds,
    attentionFamily,
    kvGrouping,
    headDim,
    mla,
    qkvBias: attentionFamily === "linear" ? null : qkvBias,
    outputBias: attentionFamily === "linear" ? null : outputBias,
    qkNorm: attentionFamily === "linear" ? null : qkNorm,
    slidingWindow,
    logitSoftcap,
    attentionSinks,
    positionEncoding,
    ropeType,
    partialRotary,
    ropeStyle: positionEncoding === "rope" ? (prof ? (prof.ropeInterleaved ? "interleaved" : "half") : null) : null,
    nopeLayers: positionEncoding === "rope" ? (norm.noRopeLayers ? norm.noRopeLayers.length > 0 : false) : null,
    ffnFamily,
    activation,
    mlpBias,
    moe,
    moeTopK,
    sharedExperts,
    routerScoring,
    groupedTopK,
    denseLayerPrefix,
    routerTopKNorm: moe ? routerTopKNormFrom(t, family) : null,
    routerBias: moe ? routerBiasFrom(t, family) : null,
    normKind,
    normPlacement,
    normOffset,
    tiedEmbeddings,
    // config-only view of the weight format (weight-format.ts owns the detection; tensors refine it)
    weightFormat: weightFormatFeature(formatFromConfig(norm.raw)),
    modality,
  };

  // ---------------- scale
  const ffnWidth = effectiveFfnWidth(norm, prof, conventions);
  let ropeTheta: number | null = null;
  if (rope) {
    ropeTheta = norm.rope.theta;
    if (ropeTheta === null && prof) {
      ropeTheta = 10000;
      conventions.push("rope_theta 10000 (class default)");
    }
  }
  const scale: Scale = {
    layers: L,
    hiddenSize: norm.hiddenSize,
    intermediateSize: ffnWidth,
    moeIntermediateSize: moe ? norm.moeIntermediateSize ?? norm.intermediate.value : null,
    heads: attentionFamily === "linear" ? null : heads,
    kvHeads: standard ? kv : null,
    experts: moe ? experts : null,
    vocabSize: norm.vocabSize,
    maxPositions: norm.maxPositions,
    ropeTheta,
    ropeScalingFactor: rope ? norm.rope.factor : null,
    normEps: norm.normEps,
    windowLength: window,
    kvLoraRank: isMla ? kvLoraRank : null,
    qLoraRank: isMla ? asInt(t["q_lora_rank"]) : null,
  };

  // ---------------- details / notes
  const multipliers: Record<string, number> = {};
  for (const k of ["embedding_multiplier", "attention_multiplier", "residual_multiplier", "logits_scaling", "scale_emb", "scale_depth", "dim_model_base", "logit_scale", "routed_scaling_factor", "query_pre_attn_scalar"]) {
    const v = asNumber(t[k]);
    if (v !== null) multipliers[k] = v;
  }
  const multNames = Object.keys(multipliers).filter((k) => k !== "routed_scaling_factor" && k !== "query_pre_attn_scalar");
  if (multNames.length > 0) {
    findings.push({ severity: "info", code: "ARCH_MULTIPLIERS", message: `scaling multipliers: ${multNames.map((k) => `${k}=${multipliers[k]}`).join(", ")}` });
  }
  const mtpLayers = asInt(t["num_nextn_predict_layers"]) ?? 0;
  if (mtpLayers > 0) {
    findings.push({
      severity: "info",
      code: "ARCH_MTP",
      message: `${mtpLayers} multi-token-prediction layer(s) ship with the checkpoint (num_nextn_predict_layers); they are not part of the decoder stack`,
    });
  }
  if (norm.noRopeLayers) {
    findings.push({
      severity: "info",
      code: "ARCH_NOPE_LAYERS",
      message: `${norm.noRopeLayers.length} of ${L ?? "?"} layers skip rope (no_rope_layers): a NoPE/RoPE mix that Features cannot express yet`,
    });
  }
  if (finalSoftcap !== null && finalSoftcap > 0) {
    findings.push({ severity: "info", code: "ARCH_NOTE", message: `final logit soft-capping ${finalSoftcap}` });
  }
  if (perLayer?.includes("cross_attention") && prof?.topology !== "encoder-decoder") {
    findings.push({ severity: "info", code: "ARCH_NOTE", message: `${perLayer.filter((k) => k === "cross_attention").length} cross-attention layers interleaved in the text stack` });
  }
  if (prof && conventions.length > 0) {
    findings.push({
      severity: "info",
      code: "ARCH_CONVENTION",
      message: `${prof.label}: from architecture conventions (not stated in the config): ${[...new Set(conventions)].join("; ")}`,
    });
  }
  for (const n of prof?.notes ?? []) findings.push({ severity: "info", code: "ARCH_NOTE", message: `${prof?.label}: ${n}` });

  const details: ArchDetails = {
    family: prof?.family ?? null,
    familyLabel: prof?.label ?? null,
    familyVia: via,
    perLayerKinds: perLayer,
    moeLayers,
    nopeLayers: norm.noRopeLayers,
    attnLogitSoftcap: attnSoftcap ?? (logitSoftcap && prof?.family === "gemma2" ? 50 : null),
    finalLogitSoftcap: finalSoftcap,
    ropeInterleaved: rope ? prof?.ropeInterleaved ?? null : null,
    normTopKProb: moe ? asBool(t["norm_topk_prob"]) : null,
    routedScalingFactor: moe ? asNumber(t["routed_scaling_factor"]) : null,
    mtpLayers,
    qkNormShape: qkNorm ? prof?.qkNormShape ?? null : null,
    ffnWidth,
    flags,
    multipliers,
    notes: prof?.notes ?? [],
  };
  return { features, scale, findings, details, profile: prof };
}

/** Which layers route their FFN to experts. */
function computeMoeLayers(norm: NormalizedConfig, prof: ArchProfile | null, perLayer: string[] | null, L: number): boolean[] {
  const t = norm.text;
  if (perLayer?.includes("moe")) return perLayer.map((k) => k === "moe");
  const fam = prof?.family ?? "";
  const firstK = asInt(t["first_k_dense_replace"]);
  if (firstK !== null || fam.startsWith("deepseek") || fam === "glm4_moe") {
    const k = firstK ?? 0;
    const freq = asInt(t["moe_layer_freq"]) ?? 1;
    return Array.from({ length: L }, (_, i) => i >= k && i % Math.max(1, freq) === 0);
  }
  const step = asInt(t["decoder_sparse_step"]);
  const mlpOnly = new Set(asIntList(t["mlp_only_layers"]) ?? []);
  if (step !== null || mlpOnly.size > 0) {
    const s = Math.max(1, step ?? 1);
    return Array.from({ length: L }, (_, i) => !mlpOnly.has(i) && (i + 1) % s === 0);
  }
  const period = asInt(t["expert_layer_period"]);
  const offset = asInt(t["expert_layer_offset"]);
  if (period !== null && period > 0) return Array.from({ length: L }, (_, i) => i % period === (offset ?? 0));
  return Array.from({ length: L }, () => true);
}

/** The dense FFN width the model really builds (several families encode it indirectly). */
function effectiveFfnWidth(norm: NormalizedConfig, prof: ArchProfile | null, conventions: string[]): number | null {
  const t = norm.text;
  const h = norm.hiddenSize;
  const i = norm.intermediate.value;
  const fam = prof?.family;
  if (fam === "qwen" && i !== null) {
    conventions.push(`FFN width ${i / 2} per branch (intermediate_size ${i} / 2)`);
    return i / 2;
  }
  if (fam === "lfm2") {
    let ff = asInt(t["block_ff_dim"]) ?? i;
    if (ff !== null && asBool(t["block_auto_adjust_ff_dim"]) === true) {
      ff = Math.floor((2 * ff) / 3);
      const mult = asNumber(t["block_ffn_dim_multiplier"]);
      if (mult !== null) ff = Math.floor(mult * ff);
      const mo = asInt(t["block_multiple_of"]) ?? 256;
      ff = mo * Math.ceil(ff / mo);
      conventions.push(`FFN width ${ff} (block_ff_dim auto-adjusted: 2/3, multiplier, multiple_of)`);
    }
    return ff;
  }
  if (fam === "rwkv" && i === null && h !== null) {
    const ff = Math.floor((h * 3.5) / 32) * 32;
    conventions.push(`FFN width ${ff} (RWKV default int(hidden*3.5 // 32 * 32))`);
    return ff;
  }
  if (i === null && h !== null && (fam === "gpt2" || fam === "gpt_bigcode" || fam === "gptj" || fam === "bloom" || fam === "falcon" || fam === "phi" || fam === "gpt_neox")) {
    conventions.push(`FFN width 4 x hidden_size = ${4 * h}`);
    return 4 * h;
  }
  return i;
}
