/**
 * The fingerprint: everything standin knows about one model, derived without weights.
 * One versioned JSON schema (FINGERPRINT_SCHEMA), documented in docs/fingerprint.md.
 *
 * Conventions:
 * - `null` means "not determined" (e.g. a config that does not say). It is never a silent default:
 *   comparisons treat null as unknown, not as equal.
 * - Feature values are small JSON values (string, number, boolean, sorted string[]), so that two
 *   fingerprints compare with a deep equality and print in a reason as "proxy value vs target value".
 */
import type { ErrorInfo } from "../util/errors.js";

export const FINGERPRINT_SCHEMA = "standin.fingerprint/v1";

export type SourceKind = "hub" | "local" | "endpoint";
/** Which files the fingerprint came from. "config" = config.json only. */
export type FormatKind = "safetensors" | "config" | "onnx" | "gguf";
export type SourceMode = "auto" | FormatKind;

export type Topology = "decoder-only" | "encoder-decoder" | "encoder-only";
/** standard = softmax attention with Q/K/V heads (MHA/GQA/MQA); mla = multi-head latent attention. */
export type AttentionFamily = "standard" | "mla" | "linear" | "none";
export type KvGrouping = "MHA" | "GQA" | "MQA";
export type SlidingWindow = "none" | "all" | "alternating" | "pattern";
export type PositionEncoding = "rope" | "alibi" | "learned" | "relative" | "none";
export type FfnFamily = "gated" | "plain";
export type NormKind = "rmsnorm" | "layernorm";
export type NormPlacement = "pre" | "post" | "sandwich" | "parallel";

/**
 * Code-path features (verdicts.md "Features"): compared exactly between proxy and target.
 * The registry in features.ts gives each one its group, label and whether it belongs to the
 * block graph (a difference there is NO_SUBSTITUTE; elsewhere PARTIAL).
 */
export interface Features {
  // modeling
  /** architectures[0], else model_type (e.g. "LlamaForCausalLM"). */
  architecture: string | null;
  topology: Topology | null;
  /** Sorted set of layer kinds: full_attention, sliding_attention, mamba2, linear_attention, conv, moe, dense... */
  layerKinds: string[] | null;
  // attention
  attentionFamily: AttentionFamily | null;
  /** Within the standard family only; null for MLA / linear. */
  kvGrouping: KvGrouping | null;
  /** Standard attention head_dim; for MLA "nope+rope/v" is in `mla`. */
  headDim: number | null;
  /** MLA sub-dimensions, e.g. "qk_nope=128,qk_rope=64,v=128,q_lora=yes"; null when not MLA. */
  mla: string | null;
  qkvBias: boolean | null;
  outputBias: boolean | null;
  qkNorm: boolean | null;
  slidingWindow: SlidingWindow | null;
  logitSoftcap: boolean | null;
  attentionSinks: boolean | null;
  // position
  positionEncoding: PositionEncoding | null;
  /** "default", "linear", "dynamic", "yarn", "llama3", "longrope", "mrope", ...; null when no rope. */
  ropeType: string | null;
  /** Fraction of head_dim that is rotated (1 = full rotary). */
  partialRotary: number | null;
  /** How rotary pairs are laid out: "interleaved" (GPT-J rotate_every_two) or "half" (NeoX/Llama rotate_half). */
  ropeStyle: "interleaved" | "half" | null;
  /** Some layers skip positional encoding (SmolLM3 NoPE layers). */
  nopeLayers: boolean | null;
  // ffn
  ffnFamily: FfnFamily | null;
  /** "silu", "gelu", "gelu_tanh", "relu", "relu2", ... */
  activation: string | null;
  mlpBias: boolean | null;
  // moe
  moe: boolean | null;
  moeTopK: number | null;
  sharedExperts: boolean | null;
  /** "softmax" | "sigmoid" | ... */
  routerScoring: string | null;
  /** n_group of grouped top-k routing, 1 / null when not grouped. */
  groupedTopK: number | null;
  /** Number of leading dense layers in an MoE model (first_k_dense_replace). */
  denseLayerPrefix: number | null;
  /** Top-k router weights renormalized (norm_topk_prob); null when dense or not stated. */
  routerTopKNorm: boolean | null;
  /** Router score correction bias (DeepSeek-V3 noaux_tc / e_score_correction_bias). */
  routerBias: boolean | null;
  // norm
  normKind: NormKind | null;
  normPlacement: NormPlacement | null;
  /** Gemma-style (1 + w) scale. */
  normOffset: boolean | null;
  // embeddings
  tiedEmbeddings: boolean | null;
  // weights
  /** "bf16", "fp16", "fp32", "fp8-e4m3-block", "mxfp4", "nvfp4", "gptq-int4", "awq-int4", "bnb-int8", "bnb-nf4", "mlx-4bit", "gguf-Q4_K", ... */
  weightFormat: string | null;
  // modality
  /** Sorted extra towers: [] (text only), ["vision"], ["audio"], ["audio","vision"]. */
  modality: string[] | null;
}

/** Scale parameters (verdicts.md): may differ in any verdict; reported as target/proxy ratios. */
export interface Scale {
  layers: number | null;
  hiddenSize: number | null;
  intermediateSize: number | null;
  moeIntermediateSize: number | null;
  heads: number | null;
  kvHeads: number | null;
  experts: number | null;
  vocabSize: number | null;
  maxPositions: number | null;
  ropeTheta: number | null;
  ropeScalingFactor: number | null;
  normEps: number | null;
  windowLength: number | null;
  kvLoraRank: number | null;
  qLoraRank: number | null;
}

/** Role of a tensor in the model. */
export type TensorKind =
  | "embedding"
  | "position_embedding"
  | "lm_head"
  | "attn_q"
  | "attn_k"
  | "attn_v"
  | "attn_qkv"
  | "attn_o"
  | "attn_q_norm"
  | "attn_k_norm"
  | "attn_sinks"
  | "mla_q_a"
  | "mla_q_b"
  | "mla_q_a_norm"
  | "mla_kv_a"
  | "mla_kv_b"
  | "mla_kv_a_norm"
  | "ffn_gate"
  | "ffn_up"
  | "ffn_gate_up"
  | "ffn_down"
  | "moe_router"
  | "moe_router_bias"
  | "expert"
  | "shared_expert"
  | "norm"
  | "final_norm"
  | "vision"
  | "audio"
  | "projector"
  | "mamba"
  | "linear_attention"
  | "conv"
  | "quant_scale"
  | "quant_zero"
  | "quant_aux"
  | "buffer"
  | "mtp"
  | "attn_indexer"
  | "cross_attn_gate"
  | "other";

export interface AbstractTensor {
  /** Shape of the first tensor seen for this key (layer 0, expert 0). */
  shape: number[];
  dtype: string;
  /** Number of concrete tensors folded into this key. */
  count: number;
  kind: TensorKind;
}

/** Static weight signature: normalized tensor names ({L} layer index, {E} expert index). */
export interface WeightSignature {
  /** Abstract key -> shape/dtype/count/kind; keys sorted. */
  keys: Record<string, AbstractTensor>;
  /** Number of concrete tensors per kind. */
  kinds: Partial<Record<TensorKind, number>>;
}

export interface KvCachePattern {
  /** "mha" | "gqa" | "mqa" | "mla-latent" | "sliding" | "hybrid" | "none" */
  kind: string;
  /** Layers that keep a KV cache (attention layers; MLA layers cache the latent). */
  cachedLayers: number | null;
  /** Elements per token per cached layer (2*kv*head_dim, or kv_lora_rank+qk_rope for MLA). */
  elementsPerTokenPerLayer: number | null;
  /** Bytes per token across all layers at the cache dtype (bf16 unless stated). */
  bytesPerToken: number | null;
  /** Window length when every cached layer is windowed (bounds the cache), else null. */
  window: number | null;
  /** Layers whose cache is bounded by a sliding window. */
  windowedLayers: number | null;
  /** Human readable shape, e.g. "[batch, 8, seq, 128] x2 x32 layers". */
  shape: string;
}

export interface WeightFormat {
  /** Same value as features.weightFormat. */
  format: string;
  /** Dominant storage dtype of the matrices ("BF16", "F8_E4M3", "U8", "I32", ...). */
  storageDtype: string | null;
  /** Quantization method from quantization_config (e.g. "fp8", "gptq", "awq", "bitsandbytes", "mxfp4", "modelopt", "compressed-tensors", "mlx"). */
  method: string | null;
  bits: number | null;
  groupSize: number | null;
  /** e.g. [128, 128] for fp8 block quantization. */
  blockSize: number[] | null;
  scaleDtypes: string[];
  /** Where the answer came from. */
  evidence: string[];
  /** Further method options (desc_act, sym, activation scheme, double quant, activation bits...). */
  options?: Record<string, string | number | boolean>;
}

export type Severity = "error" | "warning" | "info";

/** An integrity finding (issue 4) or a fingerprinting note. */
export interface Finding {
  severity: Severity;
  /** Stable code, e.g. "ST_OFFSET_GAP", "INDEX_MISSING_TENSOR". */
  code: string;
  message: string;
  file?: string;
  tensor?: string;
  key?: string;
}

export interface FileEntry {
  path: string;
  kind: "config" | "safetensors" | "index" | "onnx" | "onnx_data" | "gguf" | "other";
  /** Full file size in bytes when known (Content-Range total, tree size or stat). */
  size: number | null;
  /** Bytes of this file actually transferred for this fingerprint (0 when served from cache). */
  bytesRead: number;
  /** safetensors: N from the 8-byte prefix. */
  headerLength?: number;
  tensorCount?: number;
}

export interface ParamCount {
  total: number;
  byDtype: Record<string, number>;
  /** Active parameters per token for MoE (null when dense or unknown). */
  active: number | null;
  /** "tensors" = counted from headers/graph; "config" = computed from config.json. */
  from: "tensors" | "config";
  /** Active parameters without embeddings and head (OpenAI's convention), MoE only. */
  activeExcludingEmbedding?: number | null;
  /** Stored non-learned buffers included in total (rotary inv_freq, position_ids, masks). */
  buffers?: number;
  /** Parameters of multi-token-prediction layers (in total, not in active). */
  mtp?: number;
}

export interface Fingerprint {
  schema: typeof FINGERPRINT_SCHEMA;
  /** The manifest's id for the model. */
  model: string;
  status: "ok" | "unknown";
  /** Why status is unknown (gated, missing, unreadable...). */
  error: ErrorInfo | null;
  source: {
    kind: SourceKind;
    /** Hub repo id, or local directory. */
    repo: string;
    /** Requested revision (branch, tag or sha), null for local. */
    revision: string | null;
    /** Resolved commit sha, null for local. */
    sha: string | null;
    format: FormatKind | null;
  };
  files: FileEntry[];
  tensorCount: number | null;
  params: ParamCount | null;
  /** Bytes of weights (tensor data), by dtype. */
  weightBytes: { total: number; byDtype: Record<string, number>; estimated?: boolean } | null;
  features: Features;
  scale: Scale;
  /** Sorted op set, e.g. ["attention.gqa","ffn.swiglu","norm.rms","rope.llama3","moe.topk"]. */
  ops: string[];
  kvCache: KvCachePattern | null;
  weightFormat: WeightFormat | null;
  signature: WeightSignature | null;
  findings: Finding[];
  network: { requests: number; bytes: number; cached: boolean };
}
