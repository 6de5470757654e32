/**
 * Config-side fingerprint: normalization, features, scale, exact parameter counts, KV cache, ops.
 * Corpus suites read the real configs in ../shared/zoo-corpus (skipped with a notice when absent).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpusModels, corpusPath, corpusShardSizes, describeCorpus, readCorpusJson } from "./support/corpus.js";
import { findDuplicateKeys, normalizeConfig, normalizeConfigText, type NormalizedConfig } from "../src/fingerprint/config.js";
import { featuresFromConfig, resolveFamily } from "../src/fingerprint/arch.js";
import { paramBreakdown, paramsFromConfig } from "../src/fingerprint/params.js";
import { kvBytesAtSeqLen, kvCacheFromConfig } from "../src/fingerprint/kvcache.js";
import { opsFromFeatures } from "../src/fingerprint/ops.js";
import { BLOCK_GRAPH_KEYS, FEATURE_REGISTRY, SCALE_REGISTRY, formatFeature } from "../src/fingerprint/features.js";
import type { Features, Scale } from "../src/fingerprint/types.js";

function corpus(folder: string, file = "config.json"): NormalizedConfig {
  return normalizeConfigText(readFileSync(corpusPath(folder, file), "utf8"), { model: folder });
}
function all(norm: NormalizedConfig) {
  const arch = featuresFromConfig(norm);
  const params = paramBreakdown(norm, arch.features, arch.scale);
  const kv = kvCacheFromConfig(arch.features, arch.scale, norm);
  const ops = opsFromFeatures(arch.features, arch.scale);
  return { ...arch, params, kv, ops };
}
const of = (folder: string) => all(corpus(folder));
const crafted = (raw: Record<string, unknown>) => all(normalizeConfig(raw));

// ------------------------------------------------------------------------------------------------
// known configs that are not in the corpus (published HF config.json values)

const BERT_BASE_UNCASED = {
  architectures: ["BertForMaskedLM"],
  attention_probs_dropout_prob: 0.1,
  gradient_checkpointing: false,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-12,
  max_position_embeddings: 512,
  model_type: "bert",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 0,
  position_embedding_type: "absolute",
  transformers_version: "4.6.0.dev0",
  type_vocab_size: 2,
  use_cache: true,
  vocab_size: 30522,
};
const GEMMA_7B = {
  architectures: ["GemmaForCausalLM"],
  attention_bias: false,
  bos_token_id: 2,
  eos_token_id: 1,
  head_dim: 256,
  hidden_act: "gelu",
  hidden_size: 3072,
  initializer_range: 0.02,
  intermediate_size: 24576,
  max_position_embeddings: 8192,
  model_type: "gemma",
  num_attention_heads: 16,
  num_hidden_layers: 28,
  num_key_value_heads: 16,
  pad_token_id: 0,
  rms_norm_eps: 1e-6,
  rope_scaling: null,
  rope_theta: 10000.0,
  torch_dtype: "bfloat16",
  transformers_version: "4.38.0.dev0",
  use_cache: true,
  vocab_size: 256000,
};
const ROBERTA_BASE = {
  architectures: ["RobertaForMaskedLM"],
  attention_probs_dropout_prob: 0.1,
  bos_token_id: 0,
  eos_token_id: 2,
  hidden_act: "gelu",
  hidden_dropout_prob: 0.1,
  hidden_size: 768,
  initializer_range: 0.02,
  intermediate_size: 3072,
  layer_norm_eps: 1e-5,
  max_position_embeddings: 514,
  model_type: "roberta",
  num_attention_heads: 12,
  num_hidden_layers: 12,
  pad_token_id: 1,
  type_vocab_size: 1,
  vocab_size: 50265,
};

// ------------------------------------------------------------------------------------------------

describeCorpus("config fingerprint: every corpus config", () => {
  const models = corpusModels();
  it("finds the corpus", () => {
    expect(models.length).toBeGreaterThan(100);
  });
  it.each(models)("%s normalizes, gets features, scale, ops and a KV pattern without throwing", (m) => {
    const r = of(m);
    expect(r.features.architecture).not.toBeNull();
    expect(r.scale.layers === null || r.scale.layers > 0).toBe(true);
    for (const k of Object.keys(r.features)) expect(FEATURE_REGISTRY.some((f) => f.key === k)).toBe(true);
    expect(r.ops).toEqual([...r.ops].sort());
    // every corpus config is a model we know: no unknown architecture, a parameter count
    expect(r.findings.filter((f) => f.code === "ARCH_UNKNOWN")).toEqual([]);
    expect(r.params.total).not.toBeNull();
  });
  it("alternative copies of configs (config.<source>.json) agree with config.json on every feature", () => {
    const pairs: Array<[string, string]> = [
      ["THUDM__chatglm3-6b", "config.mlc-preset.json"],
      ["deepseek-ai__DeepSeek-V2-Lite-Chat", "config.ktransformers.json"],
      ["deepseek-ai__DeepSeek-V3", "config.tt-metal-copy-tf4.46.3.json"],
      ["google__gemma-2-9b-it", "config.mlc-preset.json"],
      ["google__gemma-2b-it", "config.mlc-preset.json"],
      ["meta-llama__Llama-3.1-8B", "config.trtllm-test.json"],
      ["mistralai__Mixtral-8x7B-v0.1", "config.trtllm-test.json"],
      ["microsoft__Phi-3.5-mini-instruct", "config.mlc-preset.json"],
    ];
    for (const [m, alt] of pairs) {
      const a = of(m);
      const b = all(corpus(m, alt));
      expect(b.features, `${m} vs ${alt}`).toEqual(a.features);
      expect(b.params.total, `${m} vs ${alt}`).toBe(a.params.total);
    }
  });
});

// ------------------------------------------------------------------------------------------------
// Expected features written from the architectures (not from the output)

type Exp = Partial<Features>;
const LLAMA3: Exp = {
  architecture: "LlamaForCausalLM",
  topology: "decoder-only",
  layerKinds: ["full_attention"],
  attentionFamily: "standard",
  kvGrouping: "GQA",
  headDim: 128,
  mla: null,
  qkvBias: false,
  outputBias: false,
  qkNorm: false,
  slidingWindow: "none",
  logitSoftcap: false,
  attentionSinks: false,
  positionEncoding: "rope",
  ropeType: "llama3",
  partialRotary: 1,
  ffnFamily: "gated",
  activation: "silu",
  mlpBias: false,
  moe: false,
  moeTopK: null,
  normKind: "rmsnorm",
  normPlacement: "pre",
  normOffset: false,
  tiedEmbeddings: false,
  modality: [],
};

const EXPECTED: Record<string, Exp> = {
  "meta-llama__Llama-3.1-8B": { ...LLAMA3, weightFormat: "bf16" },
  "meta-llama__Llama-3.1-70B-Instruct": LLAMA3,
  "meta-llama__Llama-3.2-1B-Instruct": { ...LLAMA3, headDim: 64, tiedEmbeddings: true },
  "meta-llama__Llama-3.2-3B": { ...LLAMA3, tiedEmbeddings: true },
  "meta-llama__Llama-2-7b-chat-hf": { ...LLAMA3, kvGrouping: "MHA", ropeType: "default", weightFormat: "fp16" },
  "meta-llama__Llama-2-70b-chat-hf": { ...LLAMA3, kvGrouping: "GQA", ropeType: "default" },
  "meta-llama__Llama-3.2-90B-Vision-Instruct": {
    ...LLAMA3,
    architecture: "MllamaForConditionalGeneration",
    layerKinds: ["cross_attention", "full_attention"],
    modality: ["vision"],
  },
  "llava-hf__llava-1.5-7b-hf": { ...LLAMA3, architecture: "LlavaForConditionalGeneration", kvGrouping: "MHA", ropeType: "default", modality: ["vision"] },
  "mistralai__Mistral-7B-Instruct-v0.1": { ...LLAMA3, architecture: "MistralForCausalLM", ropeType: "default", slidingWindow: "all" },
  "mistralai__Mistral-Nemo-Base-2407": { ...LLAMA3, architecture: "MistralForCausalLM", ropeType: "default", headDim: 128 },
  "mistralai__Ministral-3-3B-Instruct-2512": {
    ...LLAMA3,
    architecture: "Mistral3ForConditionalGeneration",
    ropeType: "yarn",
    tiedEmbeddings: true,
    modality: ["vision"],
  },
  "mistralai__Mixtral-8x7B-v0.1": {
    ...LLAMA3,
    architecture: "MixtralForCausalLM",
    ropeType: "default",
    moe: true,
    moeTopK: 2,
    sharedExperts: false,
    routerScoring: "softmax",
    groupedTopK: 1,
    denseLayerPrefix: 0,
  },
  "microsoft__WizardLM-2-8x22B": { architecture: "MixtralForCausalLM", moe: true, moeTopK: 2, kvGrouping: "GQA", headDim: 128 },
  "Qwen__Qwen2.5-7B": { ...LLAMA3, architecture: "Qwen2ForCausalLM", ropeType: "default", qkvBias: true, outputBias: false, slidingWindow: "none" },
  "Qwen__Qwen2-0.5B-Instruct": { architecture: "Qwen2ForCausalLM", kvGrouping: "GQA", headDim: 64, qkvBias: true, tiedEmbeddings: true, slidingWindow: "none" },
  "Qwen__Qwen3-8B": { ...LLAMA3, architecture: "Qwen3ForCausalLM", ropeType: "default", qkNorm: true, qkvBias: false },
  "Qwen__Qwen3-30B-A3B": {
    architecture: "Qwen3MoeForCausalLM",
    qkNorm: true,
    moe: true,
    moeTopK: 8,
    sharedExperts: false,
    routerScoring: "softmax",
    denseLayerPrefix: 0,
    headDim: 128,
    kvGrouping: "GQA",
  },
  "Qwen__Qwen1.5-MoE-A2.7B-Chat": { architecture: "Qwen2MoeForCausalLM", moe: true, moeTopK: 4, sharedExperts: true, qkvBias: true, kvGrouping: "MHA" },
  "Qwen__Qwen2.5-VL-7B-Instruct": { architecture: "Qwen2_5_VLForConditionalGeneration", ropeType: "mrope", qkvBias: true, modality: ["vision"], kvGrouping: "GQA" },
  "nvidia__Cosmos-Reason2-8B": { architecture: "Qwen3VLForConditionalGeneration", ropeType: "mrope-interleaved", qkNorm: true, modality: ["vision"] },
  "Qwen__Qwen-1_8B-Chat": { architecture: "QWenLMHeadModel", kvGrouping: "MHA", headDim: 128, qkvBias: true, outputBias: false, ropeType: "dynamic", normKind: "rmsnorm" },
  "google__gemma-2b-it": {
    architecture: "GemmaForCausalLM",
    kvGrouping: "MQA",
    headDim: 256,
    activation: "gelu_tanh",
    ffnFamily: "gated",
    normOffset: true,
    normPlacement: "pre",
    tiedEmbeddings: true,
    logitSoftcap: false,
    slidingWindow: "none",
  },
  "google__gemma-2-9b-it": {
    architecture: "Gemma2ForCausalLM",
    layerKinds: ["full_attention", "sliding_attention"],
    slidingWindow: "alternating",
    logitSoftcap: true,
    normPlacement: "sandwich",
    normOffset: true,
    headDim: 256,
    activation: "gelu_tanh",
    kvGrouping: "GQA",
  },
  "google__gemma-3-1b-it": {
    architecture: "Gemma3ForCausalLM",
    layerKinds: ["full_attention", "sliding_attention"],
    slidingWindow: "pattern",
    logitSoftcap: false,
    qkNorm: true,
    normPlacement: "sandwich",
    kvGrouping: "MQA",
    headDim: 256,
  },
  "google__medgemma-27b-it": {
    architecture: "Gemma3ForConditionalGeneration",
    layerKinds: ["full_attention", "sliding_attention"],
    slidingWindow: "pattern",
    ropeType: "linear",
    headDim: 128,
    modality: ["vision"],
  },
  "microsoft__phi-1_5": {
    architecture: "PhiForCausalLM",
    normKind: "layernorm",
    normPlacement: "parallel",
    ffnFamily: "plain",
    activation: "gelu_tanh",
    partialRotary: 0.5,
    qkvBias: true,
    mlpBias: true,
    kvGrouping: "MHA",
  },
  "microsoft__phi-2": { architecture: "PhiForCausalLM", normPlacement: "parallel", partialRotary: 0.4, headDim: 80 },
  "microsoft__Phi-3.5-mini-instruct": { architecture: "Phi3ForCausalLM", ropeType: "longrope", kvGrouping: "MHA", headDim: 96, slidingWindow: "none" },
  "YouriLalain__3PRYMMAL-PHI3-3B-SLERP": { architecture: "Phi3ForCausalLM", slidingWindow: "all", ropeType: "default" },
  "microsoft__Phi-4-mini-instruct": { architecture: "Phi3ForCausalLM", ropeType: "longrope", partialRotary: 0.75, kvGrouping: "GQA", tiedEmbeddings: true },
  "microsoft__Phi-3.5-vision-instruct": { architecture: "Phi3VForCausalLM", ropeType: "longrope", modality: ["vision"] },
  "openai-community__gpt2": {
    architecture: "GPT2LMHeadModel",
    positionEncoding: "learned",
    ropeType: null,
    partialRotary: null,
    normKind: "layernorm",
    ffnFamily: "plain",
    activation: "gelu_tanh",
    kvGrouping: "MHA",
    qkvBias: true,
    tiedEmbeddings: true,
  },
  "bigcode__gpt_bigcode-santacoder": { architecture: "GPTBigCodeForCausalLM", kvGrouping: "MQA", positionEncoding: "learned", normKind: "layernorm" },
  "EleutherAI__gpt-j-6b": { architecture: "GPTJForCausalLM", normPlacement: "parallel", partialRotary: 0.25, qkvBias: false, mlpBias: true, tiedEmbeddings: false },
  "togethercomputer__RedPajama-INCITE-Chat-3B-v1": { architecture: "GPTNeoXForCausalLM", normKind: "layernorm", normPlacement: "pre", ffnFamily: "plain", qkvBias: true },
  "bigscience__bloom": { architecture: "BloomForCausalLM", positionEncoding: "alibi", ropeType: null, normKind: "layernorm", kvGrouping: "MHA", tiedEmbeddings: true },
  "tiiuae__falcon-7b-instruct": { architecture: "FalconForCausalLM", kvGrouping: "MQA", normPlacement: "parallel", positionEncoding: "rope", qkvBias: false, ffnFamily: "plain" },
  "tiiuae__falcon-40b": { architecture: "RWForCausalLM", kvGrouping: "GQA", normPlacement: "parallel", headDim: 64 },
  "tiiuae__falcon-180B-chat": { architecture: "FalconForCausalLM", kvGrouping: "GQA", normPlacement: "parallel" },
  "deepseek-ai__deepseek-moe-16b-chat": {
    architecture: "DeepseekForCausalLM",
    attentionFamily: "standard",
    kvGrouping: "MHA",
    moe: true,
    moeTopK: 6,
    sharedExperts: true,
    denseLayerPrefix: 1,
    routerScoring: "softmax",
  },
  "deepseek-ai__DeepSeek-V2-Lite-Chat": {
    architecture: "DeepseekV2ForCausalLM",
    attentionFamily: "mla",
    kvGrouping: null,
    headDim: null,
    mla: "qk_nope=128,qk_rope=64,v=128,q_lora=no",
    moe: true,
    moeTopK: 6,
    sharedExperts: true,
    denseLayerPrefix: 1,
    routerScoring: "softmax",
    groupedTopK: 1,
    ropeType: "yarn",
  },
  "deepseek-ai__DeepSeek-V3": {
    architecture: "DeepseekV3ForCausalLM",
    attentionFamily: "mla",
    kvGrouping: null,
    mla: "qk_nope=128,qk_rope=64,v=128,q_lora=yes",
    moe: true,
    moeTopK: 8,
    sharedExperts: true,
    routerScoring: "sigmoid",
    groupedTopK: 8,
    denseLayerPrefix: 3,
    ropeType: "yarn",
    weightFormat: "fp8-e4m3-block",
  },
  "moonshotai__Kimi-K2-Instruct": { attentionFamily: "mla", moe: true, moeTopK: 8, routerScoring: "sigmoid", groupedTopK: 1, denseLayerPrefix: 1 },
  "zai-org__GLM-4.5": {
    architecture: "Glm4MoeForCausalLM",
    attentionFamily: "standard",
    kvGrouping: "GQA",
    headDim: 128,
    qkvBias: true,
    outputBias: false,
    qkNorm: true,
    partialRotary: 0.5,
    moe: true,
    moeTopK: 8,
    sharedExperts: true,
    routerScoring: "sigmoid",
    denseLayerPrefix: 3,
  },
  "openai__gpt-oss-20b": {
    architecture: "GptOssForCausalLM",
    layerKinds: ["full_attention", "sliding_attention"],
    slidingWindow: "alternating",
    attentionSinks: true,
    qkvBias: true,
    outputBias: true,
    headDim: 64,
    kvGrouping: "GQA",
    ropeType: "yarn",
    moe: true,
    moeTopK: 4,
    sharedExperts: false,
    mlpBias: true,
    weightFormat: "mxfp4",
  },
  "allenai__OLMo-2-1124-7B-Instruct": { architecture: "Olmo2ForCausalLM", normPlacement: "post", qkNorm: true, kvGrouping: "MHA", normKind: "rmsnorm" },
  "allenai__Olmo-3.1-32B-Instruct": {
    architecture: "Olmo3ForCausalLM",
    layerKinds: ["full_attention", "sliding_attention"],
    slidingWindow: "pattern",
    normPlacement: "post",
    qkNorm: true,
    ropeType: "yarn",
  },
  "ibm-granite__granite-3.1-1b-a400m-instruct": { architecture: "GraniteMoeForCausalLM", moe: true, moeTopK: 8, sharedExperts: false, tiedEmbeddings: true },
  "ibm-granite__granite-3b-code-instruct-128k": { architecture: "LlamaForCausalLM", qkvBias: true, outputBias: true, mlpBias: true, kvGrouping: "MHA", tiedEmbeddings: true },
  "nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16": {
    architecture: "NemotronHForCausalLM",
    layerKinds: ["full_attention", "mamba2", "moe"],
    attentionFamily: "standard",
    kvGrouping: "GQA",
    positionEncoding: "none",
    ropeType: null,
    ffnFamily: "plain",
    activation: "relu2",
    moe: true,
    moeTopK: 6,
    sharedExperts: true,
    routerScoring: "sigmoid",
  },
  "LiquidAI__LFM2-1.2B": { architecture: "Lfm2ForCausalLM", layerKinds: ["conv", "full_attention"], qkNorm: true, kvGrouping: "GQA", tiedEmbeddings: true },
  "rkyadav08__whisper-small-hindi-finetune": {
    architecture: "WhisperForConditionalGeneration",
    topology: "encoder-decoder",
    positionEncoding: "learned",
    normKind: "layernorm",
    ffnFamily: "plain",
    activation: "gelu",
    kvGrouping: "MHA",
    headDim: 64,
    modality: ["audio"],
    weightFormat: "fp32",
  },
  "Snowflake__snowflake-arctic-embed-m": {
    architecture: "BertModel",
    topology: "encoder-only",
    positionEncoding: "learned",
    normKind: "layernorm",
    normPlacement: "post",
    ffnFamily: "plain",
    activation: "gelu",
    qkvBias: true,
  },
  "internlm__internlm-chat-7b": { architecture: "InternLMForCausalLM", qkvBias: true, outputBias: true, kvGrouping: "MHA" },
  "internlm__internlm2_5-7b-chat": { architecture: "InternLM2ForCausalLM", qkvBias: false, kvGrouping: "GQA", ropeType: "dynamic" },
  "baichuan-inc__Baichuan2-7B-Chat": { architecture: "BaichuanForCausalLM", positionEncoding: "rope", kvGrouping: "MHA", normKind: "rmsnorm" },
  "OrionStarAI__Orion-14B-Chat": { architecture: "OrionForCausalLM", normKind: "layernorm", ffnFamily: "gated", kvGrouping: "MHA" },
  "openbmb__MiniCPM-MoE-8x2B": { architecture: "MiniCPMForCausalLM", moe: true, moeTopK: 2, sharedExperts: false, tiedEmbeddings: true },
  "stabilityai__stablelm-2-zephyr-1_6b": { architecture: "StableLmForCausalLM", normKind: "layernorm", partialRotary: 0.25, qkvBias: true, ffnFamily: "gated" },
  "bigcode__starcoder2-7b": { architecture: "Starcoder2ForCausalLM", normKind: "layernorm", ffnFamily: "plain", activation: "gelu_tanh", slidingWindow: "all", qkvBias: true, mlpBias: true },
  "THUDM__chatglm3-6b": { architecture: "ChatGLMModel", kvGrouping: "GQA", headDim: 128, partialRotary: 0.5, qkvBias: true, outputBias: false, normKind: "rmsnorm" },
  "RWKV__rwkv-5-world-3b": { architecture: "RwkvForCausalLM", attentionFamily: "linear", layerKinds: ["linear_attention"], kvGrouping: null, positionEncoding: "none" },
  "HuggingFaceTB__SmolLM3-3B": { architecture: "SmolLM3ForCausalLM", kvGrouping: "GQA", tiedEmbeddings: true, slidingWindow: "none" },
  "CohereForAI__aya-23-8B": { architecture: "CohereForCausalLM", normKind: "layernorm", normPlacement: "parallel", tiedEmbeddings: true, qkNorm: false },
  "allenai__olmOCR-7B-0225-preview": { architecture: "Qwen2VLForConditionalGeneration", ropeType: "mrope", modality: ["vision"], slidingWindow: "none" },
  "derivative__Qwen3-14B-MLX-4bit": { architecture: "Qwen3ForCausalLM", weightFormat: "mlx-4bit", qkNorm: true },
  "jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy": { ...LLAMA3, weightFormat: "bnb-int8" },
};

describeCorpus("config fingerprint: features of real configs", () => {
  it("covers at least 30 models", () => {
    expect(Object.keys(EXPECTED).length).toBeGreaterThanOrEqual(30);
  });
  it.each(Object.entries(EXPECTED))("%s", (m, exp) => {
    expect(of(m).features).toMatchObject(exp);
  });
});

// ------------------------------------------------------------------------------------------------

describeCorpus("config fingerprint: pairs and invariants from verdicts.md", () => {
  it("Qwen2.5-7B and Qwen2.5-32B share every feature (head_dim 128 both); only scale differs", () => {
    const a = of("Qwen__Qwen2.5-7B");
    const b = of("Qwen__Qwen2.5-32B");
    expect(a.features).toEqual(b.features);
    expect(a.features.headDim).toBe(128);
    expect(a.scale.hiddenSize).toBe(3584);
    expect(b.scale.hiddenSize).toBe(5120);
  });
  it("Llama-3.1-8B and Llama-3.1-70B share every feature", () => {
    expect(of("meta-llama__Llama-3.1-8B").features).toEqual({ ...of("meta-llama__Llama-3.1-70B-Instruct").features });
  });
  it("gpt2 and gpt2-medium share every feature", () => {
    expect(of("openai-community__gpt2").features).toEqual(of("openai-community__gpt2-medium").features);
  });
  it("Llama-2-7b is MHA, Llama-2-70b GQA, with the same block graph", () => {
    const a = of("meta-llama__Llama-2-7b-chat-hf").features;
    const b = of("meta-llama__Llama-2-70b-chat-hf").features;
    expect(a.kvGrouping).toBe("MHA");
    expect(b.kvGrouping).toBe("GQA");
    for (const k of BLOCK_GRAPH_KEYS) expect(a[k]).toEqual(b[k]);
  });
  it("Mistral-7B-v0.1 has a sliding window on all layers, Llama-3.1 none; same block graph", () => {
    const m = of("mistralai__Mistral-7B-Instruct-v0.1");
    const l = of("meta-llama__Llama-3.1-8B");
    expect(m.features.slidingWindow).toBe("all");
    expect(m.scale.windowLength).toBe(4096);
    expect(l.features.slidingWindow).toBe("none");
    expect(l.scale.windowLength).toBeNull();
    for (const k of BLOCK_GRAPH_KEYS) expect(m.features[k]).toEqual(l.features[k]);
  });
  it("Qwen2 with use_sliding_window:false has no window", () => {
    const q = of("Qwen__Qwen2-7B-Instruct");
    expect(q.features.slidingWindow).toBe("none");
    expect(q.scale.windowLength).toBeNull();
    expect(q.findings.concat(corpus("Qwen__Qwen2-7B-Instruct").findings).some((f) => f.code === "CONFIG_WINDOW_DISABLED")).toBe(true);
  });
  it("Phi-3.5 window (262144) >= max positions (131072) is no window", () => {
    expect(of("microsoft__Phi-3.5-mini-instruct").features.slidingWindow).toBe("none");
  });
  it("Qwen3-8B vs Qwen3-30B-A3B differ in the block graph (dense vs MoE)", () => {
    expect(of("Qwen__Qwen3-8B").features.moe).toBe(false);
    expect(of("Qwen__Qwen3-30B-A3B").features.moe).toBe(true);
  });
  it("Mixtral-8x7B vs Mistral-7B: MoE vs dense", () => {
    expect(of("mistralai__Mixtral-8x7B-v0.1").features.moe).toBe(true);
    expect(of("mistralai__Mistral-7B-Instruct-v0.3").features.moe).toBe(false);
  });
  it("a model and its MLX 4-bit / bnb copy differ only in the weight format", () => {
    const pairs: Array<[string, string]> = [
      ["meta-llama__Llama-3.1-8B-Instruct", "jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy"],
      ["Qwen__Qwen3-14B", "derivative__Qwen3-14B-MLX-4bit"],
    ];
    for (const [a, b] of pairs) {
      const fa = of(a).features;
      const fb = of(b).features;
      const diff = (Object.keys(fa) as Array<keyof Features>).filter((k) => JSON.stringify(fa[k]) !== JSON.stringify(fb[k]));
      expect(diff).toEqual(["weightFormat"]);
    }
  });
  it("DeepSeek-V3 MLA KV cache = (512 + 64) * 61 layers * 2 bytes per token", () => {
    const d = of("deepseek-ai__DeepSeek-V3");
    expect(d.kv.kind).toBe("mla-latent");
    expect(d.kv.cachedLayers).toBe(61);
    expect(d.kv.elementsPerTokenPerLayer).toBe(576);
    expect(d.kv.bytesPerToken).toBe((512 + 64) * 61 * 2);
    expect(kvBytesAtSeqLen(d.kv, 1000)).toBe(576 * 61 * 2 * 1000);
  });
  it("Llama-3.1-8B KV: GQA 8 x 128 x 2 per layer, 32 layers", () => {
    const k = of("meta-llama__Llama-3.1-8B").kv;
    expect(k).toMatchObject({ kind: "gqa", cachedLayers: 32, elementsPerTokenPerLayer: 2048, bytesPerToken: 2048 * 32 * 2, window: null, windowedLayers: 0 });
    expect(kvCacheFromConfig(of("meta-llama__Llama-3.1-8B").features, of("meta-llama__Llama-3.1-8B").scale, corpus("meta-llama__Llama-3.1-8B"), { cacheDtypeBytes: 1 }).bytesPerToken).toBe(2048 * 32);
  });
  it("gpt-oss alternates sliding (128) and full layers; KV bytes stop growing on windowed layers", () => {
    const g = of("openai__gpt-oss-20b");
    expect(g.features.slidingWindow).toBe("alternating");
    expect(g.scale.windowLength).toBe(128);
    expect(g.kv).toMatchObject({ cachedLayers: 24, windowedLayers: 12, window: null, slidingWindowLength: 128, elementsPerTokenPerLayer: 1024 });
    const perLayer = 1024 * 2;
    expect(kvBytesAtSeqLen(g.kv, 100)).toBe(24 * perLayer * 100);
    expect(kvBytesAtSeqLen(g.kv, 4096)).toBe(12 * perLayer * 4096 + 12 * perLayer * 128);
  });
  it("Mistral-7B-v0.1: every layer windowed, the cache is bounded by the window", () => {
    const k = of("mistralai__Mistral-7B-Instruct-v0.1").kv;
    expect(k).toMatchObject({ kind: "sliding", window: 4096, windowedLayers: 32 });
    expect(kvBytesAtSeqLen(k, 32768)).toBe(kvBytesAtSeqLen(k, 4096));
  });
  it("Gemma-3: every 6th layer global, the rest windowed at 512", () => {
    const g = of("google__gemma-3-1b-it");
    expect(g.kv).toMatchObject({ windowedLayers: 22, slidingWindowLength: 512, cachedLayers: 26 });
    expect(g.details.perLayerKinds?.[5]).toBe("full_attention");
    expect(g.details.perLayerKinds?.[0]).toBe("sliding_attention");
  });
  it("Nemotron-H layer kinds from hybrid_override_pattern; Mamba layers hold constant state, no KV", () => {
    const n = of("nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16");
    expect(n.features.layerKinds).toEqual(["full_attention", "mamba2", "moe"]);
    const kinds = n.details.perLayerKinds ?? [];
    expect(kinds.length).toBe(52);
    expect(kinds.filter((k) => k === "full_attention").length).toBe(6);
    expect(n.kv.kind).toBe("hybrid");
    expect(n.kv.cachedLayers).toBe(6);
    expect(n.kv.bytesPerToken).toBe(6 * 2 * 2 * 128 * 2);
    expect(n.kv.stateBytesPerSequence).toBeGreaterThan(0);
    expect(n.ops).toEqual(expect.arrayContaining(["mamba2", "moe.sigmoid", "moe.shared", "ffn.relu2"]));
  });
  it("LFM2 conv layers from full_attn_idxs", () => {
    const l = of("LiquidAI__LFM2-1.2B");
    expect(l.details.perLayerKinds?.filter((k) => k === "full_attention").length).toBe(6);
    expect(l.kv).toMatchObject({ kind: "hybrid", cachedLayers: 6, statefulLayers: 10 });
  });
  it("Whisper is encoder-decoder; BERT encoder-only with no KV cache", () => {
    const w = of("rkyadav08__whisper-small-hindi-finetune");
    expect(w.features.topology).toBe("encoder-decoder");
    expect(w.scale.layers).toBe(12);
    expect(w.scale.maxPositions).toBe(448);
    const b = of("Snowflake__snowflake-arctic-embed-m");
    expect(b.features.topology).toBe("encoder-only");
    expect(b.kv).toMatchObject({ kind: "none", cachedLayers: 0, bytesPerToken: 0 });
    expect(b.ops).toContain("attention.bidirectional");
  });
  it("Mllama cross-attention layers are a layer kind and are not per-token KV", () => {
    const m = of("meta-llama__Llama-3.2-90B-Vision-Instruct");
    expect(m.details.perLayerKinds?.filter((k) => k === "cross_attention").length).toBe(20);
    expect(m.kv.cachedLayers).toBe(80);
    expect(m.kv.crossAttentionLayers).toBe(20);
    expect(m.params.towerCounted).toBe(false);
    expect(m.params.findings.some((f) => f.code === "PARAMS_TOWER_NOT_COUNTED")).toBe(true);
  });
  it("Mistral-Nemo keeps head_dim 128 from the config (hidden/heads would be 160)", () => {
    const n = of("mistralai__Mistral-Nemo-Base-2407");
    expect(n.features.headDim).toBe(128);
    expect(corpus("mistralai__Mistral-Nemo-Base-2407").headDimSource).toBe("config");
  });
  it("MoE is detected from n_routed_experts (DeepSeek-V3, Kimi-K2, GLM-4.5, Nemotron-H)", () => {
    for (const m of ["deepseek-ai__DeepSeek-V3", "moonshotai__Kimi-K2-Instruct", "zai-org__GLM-4.5", "nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16"]) {
      expect(of(m).features.moe, m).toBe(true);
    }
    expect(of("deepseek-ai__DeepSeek-V3").scale.experts).toBe(256);
    expect(of("moonshotai__Kimi-K2-Instruct").scale.experts).toBe(384);
  });
  it("MTP layers are a finding, not a layer", () => {
    const d = of("deepseek-ai__DeepSeek-V3");
    expect(d.scale.layers).toBe(61);
    expect(d.findings.some((f) => f.code === "ARCH_MTP")).toBe(true);
  });
  it("remote-code configs report auto_map and are never followed", () => {
    for (const m of ["tiiuae__falcon-40b", "THUDM__chatglm3-6b", "microsoft__phi-2", "Qwen__Qwen-1_8B-Chat"]) {
      expect(corpus(m).findings.some((f) => f.code === "CONFIG_REMOTE_CODE"), m).toBe(true);
    }
  });
  it("the Llama-3 config with a duplicated key is reported", () => {
    const n = corpus("meta-llama__Meta-Llama-3-8B-Instruct");
    expect(n.duplicateKeys).toEqual(["_name_or_path"]);
    expect(n.findings.some((f) => f.code === "CONFIG_DUPLICATE_KEY")).toBe(true);
  });
  it("transformers 5 configs: dtype key and rope_parameters", () => {
    const w = corpus("rkyadav08__whisper-small-hindi-finetune");
    expect(w.dtype).toBe("float32");
    expect(w.dtypeKey).toBe("dtype");
    const m = corpus("mistralai__Ministral-3-3B-Instruct-2512");
    expect(m.rope).toMatchObject({ type: "yarn", factor: 16, theta: 1000000, scalingKey: "rope_parameters" });
    expect(m.textConfigPath).toBe("text_config");
  });
  it("quantization_config is kept verbatim", () => {
    expect(corpus("openai__gpt-oss-20b").quantizationConfig).toEqual(readCorpusJson("openai__gpt-oss-20b")["quantization_config"]);
    expect(corpus("derivative__Qwen3-14B-MLX-4bit").quantizationConfig).toEqual({ group_size: 64, bits: 4 });
  });
  it("ops: representative vocabularies", () => {
    expect(of("meta-llama__Llama-3.1-8B").ops).toEqual(["attention.gqa", "ffn.swiglu", "norm.rms", "rope.llama3"]);
    expect(of("deepseek-ai__DeepSeek-V3").ops).toEqual(
      expect.arrayContaining(["attention.mla", "moe.grouped", "moe.sigmoid", "moe.shared", "moe.topk", "rope.yarn", "quant.fp8-e4m3-block"]),
    );
    expect(of("google__gemma-2-9b-it").ops).toEqual(expect.arrayContaining(["attention.softcap", "attention.sliding", "ffn.geglu", "norm.offset", "norm.sandwich"]));
    expect(of("bigscience__bloom").ops).toContain("pos.alibi");
    expect(of("openai__gpt-oss-20b").ops).toEqual(expect.arrayContaining(["attention.sinks", "quant.mxfp4", "ffn.swiglu_oai"]));
  });
});

// ------------------------------------------------------------------------------------------------
// exact parameter counts

/** PARAM_COUNTS.md A1 and the figures it quotes from A2/A3, plus metadata.total_parameters. */
const EXACT: Array<[string, number, string]> = [
  ["meta-llama__Llama-3.1-8B", 8_030_261_248, "A1 (bnb-4bit copy = Llama-3.1-8B true size)"],
  ["openai__gpt-oss-20b", 20_914_757_184, "A1 (mxfp4 as logical params, scales excluded)"],
  ["meta-llama__Llama-2-7b-chat-hf", 6_738_417_664, "B/A2 (header count incl. 2,048 stored rotary inv_freq)"],
  ["tiiuae__falcon-180B-chat", 179_522_565_120, "B/A2"],
  ["bigscience__bloom", 176_247_271_424, "A1"],
  ["HuggingFaceTB__SmolLM3-3B", 3_075_098_624, "B/A2 (and index metadata.total_parameters)"],
  ["LiquidAI__LFM2-1.2B", 1_170_340_608, "B/A3 (model_files.json header total)"],
  ["meta-llama__Llama-3.1-70B-Instruct", 70_553_706_496, "A1 (Llama-3.3-70B w4a16 = Llama-3.x-70B true size)"],
  ["mistralai__Devstral-Small-2507", 23_572_403_200, "index metadata.total_parameters / consolidated header total"],
];

describeCorpus("config fingerprint: exact parameter counts", () => {
  it.each(EXACT)("%s = %d (%s)", (m, n) => {
    expect(of(m).params.total).toBe(n);
  });
  it("bert-base-uncased (BertForMaskedLM, Google layout: pooler, MLM head, NSP) = 110,106,428", () => {
    const b = crafted(BERT_BASE_UNCASED);
    expect(b.params.total).toBe(110_106_428);
    expect(b.features).toMatchObject({ topology: "encoder-only", normPlacement: "post", positionEncoding: "learned" });
  });
  it("gemma-7b (Gemma family logic, checked on gemma-2b-it too) = 8,537,680,896", () => {
    expect(crafted(GEMMA_7B).params.total).toBe(8_537_680_896);
  });
  it("roberta-base (RobertaForMaskedLM) = 124,697,433 learned parameters (+514 I64 position_ids in the A1 header count)", () => {
    expect(crafted(ROBERTA_BASE).params.total).toBe(124_697_947 - 514);
  });
  it("Llama-2-7b: unique parameters exclude the stored inv_freq buffers", () => {
    const p = of("meta-llama__Llama-2-7b-chat-hf").params;
    expect(p.buffers).toBe(32 * 64);
    expect(p.unique).toBe(6_738_415_616);
  });
  it("gpt-oss-20b byDtype matches the header split (BF16 + U8 logical FP4)", () => {
    expect(of("openai__gpt-oss-20b").params.byDtype).toEqual({ BF16: 1_804_459_584, U8: 19_110_297_600 });
  });

  /** index metadata.total_size / bytes-per-param for single-dtype checkpoints. */
  const FROM_INDEX: Array<[string, string, number]> = [
    ["mattshumer__Reflection-Llama-3.1-70B", "model.safetensors.index.json", 4],
    ["PANDASANG1231__llama-3.2-3B-per-tensor-shards", "model.safetensors.index.json", 2],
    ["google__gemma-2b-it", "model.safetensors.index.json", 2],
    ["tiiuae__falcon-40b", "pytorch_model.bin.index.json", 2],
    ["tiiuae__falcon-7b-instruct", "pytorch_model.bin.index.json", 2],
    ["tiiuae__falcon-180B-chat", "model.safetensors.index.json", 2],
    ["bigscience__bloom", "model.safetensors.index.json", 2],
    ["mistralai__Mistral-7B-Instruct-v0.3", "model.safetensors.index.json", 2],
    ["microsoft__WizardLM-2-8x22B", "model.safetensors.index.json", 2],
    ["YouriLalain__3PRYMMAL-PHI3-3B-SLERP", "model.safetensors.index.json", 2],
    ["microsoft__Phi-3.5-mini-instruct", "model.safetensors.index.json", 2],
    ["ibm-granite__granite-3b-code-instruct-128k", "model.safetensors.index.json", 2],
    ["THUDM__chatglm3-6b", "pytorch_model.bin.index.json", 2],
    ["allenai__olmOCR-7B-0225-preview", "model.safetensors.index.json", 2],
    ["google__medgemma-27b-it", "model.safetensors.index.json", 2],
    ["derivative__Qwen3-1.7B-MLX", "model.safetensors.index.json", 2],
    ["HuggingFaceTB__SmolLM3-3B", "model.safetensors.index.json", 2],
    ["mistralai__Devstral-Small-2507", "model.safetensors.index.json", 2],
  ];
  it.each(FROM_INDEX)("%s = %s total_size / %d", (m, index, bytes) => {
    const meta = readCorpusJson<{ metadata: { total_size: number } }>(m, index).metadata;
    expect(meta.total_size % bytes).toBe(0);
    expect(of(m).params.total).toBe(meta.total_size / bytes);
  });

  it("towers counted where the config determines them (olmOCR = Qwen2-VL vision, medgemma = SigLIP)", () => {
    expect(of("allenai__olmOCR-7B-0225-preview").params).toMatchObject({ towerCounted: true, tower: 675_759_104 });
    expect(of("google__medgemma-27b-it").params.towerCounted).toBe(true);
    expect(of("llava-hf__llava-1.5-7b-hf").params.total).toBe(7_063_427_072);
  });

  /** Single-file checkpoints: LFS size = 8 + header + data; headers are tens of kB. */
  const FROM_FILE_SIZE: Array<[string, number]> = [
    ["rkyadav08__whisper-small-hindi-finetune", 4],
    ["ibm-granite__granite-3.1-1b-a400m-instruct", 2],
    ["nvidia__Cosmos-Reason2-8B", 2],
  ];
  it.each(FROM_FILE_SIZE)("%s: shard bytes - params x %d = a plausible header", (m, bytes) => {
    const sizes = [...corpusShardSizes(m).entries()].filter(([f]) => f.endsWith(".safetensors"));
    const sum = sizes.reduce((a, [, s]) => a + s, 0);
    const total = of(m).params.total ?? 0;
    const header = sum - total * bytes;
    expect(header).toBeGreaterThan(0);
    expect(header).toBeLessThan(250 * 1024 * sizes.length);
  });
  /** Hub model-page parameter counts (header totals) known to the author; not in PARAM_COUNTS.md. */
  const HUB_PAGE: Array<[string, number]> = [
    ["google__gemma-2-2b-it", 2_614_341_888],
    ["google__gemma-2-9b-it", 9_241_705_984],
    ["google__gemma-2-27b-it", 27_227_128_320],
    ["google__gemma-3-1b-it", 999_885_952],
    ["Qwen__Qwen3-0.6B", 596_049_920],
    ["Qwen__Qwen3-4B", 4_022_468_096],
    ["Qwen__Qwen3-8B", 8_190_735_360],
    ["Qwen__Qwen2-0.5B-Instruct", 494_032_768],
    ["Qwen__Qwen2.5-3B", 3_085_938_688],
    ["Qwen__Qwen2.5-7B", 7_615_616_512],
    ["mistralai__Mistral-Nemo-Base-2407", 12_247_782_400],
    ["mistralai__Mixtral-8x7B-v0.1", 46_702_792_704],
    ["microsoft__phi-4", 14_659_507_200],
    ["microsoft__Phi-4-mini-instruct", 3_836_021_760],
    ["allenai__OLMo-2-1124-7B-Instruct", 7_298_617_344],
    ["meta-llama__Llama-3.2-1B-Instruct", 1_235_814_400],
    ["TinyLlama__TinyLlama-1.1B-Chat-v1.0", 1_100_048_384],
    ["HuggingFaceTB__SmolLM2-135M-Instruct", 134_515_008],
    ["codellama__CodeLlama-7b-hf", 6_738_546_688],
  ];
  it.each(HUB_PAGE)("%s = %d (Hub model page)", (m, n) => {
    expect(of(m).params.total).toBe(n);
  });

  it("whisper-small = 241,734,912", () => {
    expect(of("rkyadav08__whisper-small-hindi-finetune").params.total).toBe(241_734_912);
  });

  it("DeepSeek-R1 (V3 config): predicted FP8 tensor bytes incl. the MTP layer match the 163 shard sizes", () => {
    const sizes = [...corpusShardSizes("deepseek-ai__DeepSeek-R1").values()];
    expect(sizes.length).toBe(163);
    const sum = sizes.reduce((a, b) => a + b, 0);
    // enumerate the checkpoint from the config dims: FP8 e4m3 weights + F32 128x128 block scales, BF16 rest
    const h = 7168, V = 129280, H = 128, n = 128, r = 64, v = 128, qL = 1536, kvL = 512, I = 18432, mI = 2048, E = 256;
    const c = (x: number) => Math.ceil(x / 128);
    let bytes = 0;
    let params = 0;
    let tensors = 0;
    const bf = (x: number): void => {
      bytes += 2 * x;
      params += x;
      tensors += 1;
    };
    const f32 = (x: number): void => {
      bytes += 4 * x;
      params += x;
      tensors += 1;
    };
    const f8 = (o: number, i: number): void => {
      bytes += o * i + c(o) * c(i) * 4;
      params += o * i;
      tensors += 2;
    };
    const layer = (i: number): void => {
      [h, h].forEach(bf);
      f8(qL, h);
      bf(qL);
      f8(H * (n + r), qL);
      f8(kvL + r, h);
      bf(kvL);
      f8(H * (n + v), kvL);
      f8(h, H * v);
      const ffn = i < 3 ? I : mI;
      const mlps = i < 3 ? 1 : E + 1; // dense prefix; else routed + shared
      if (i >= 3) {
        bf(E * h);
        f32(E);
      }
      for (let e = 0; e < mlps; e++) {
        f8(ffn, h);
        f8(ffn, h);
        f8(h, ffn);
      }
    };
    [V * h, V * h, h].forEach(bf);
    for (let i = 0; i < 61; i++) layer(i);
    layer(61); // MTP: a full MoE layer + enorm, hnorm, eh_proj (BF16), shared_head.norm, embed + head copies
    [h, h, 2 * h * h, h, V * h, V * h].forEach(bf);
    const header = sum - bytes;
    expect(header).toBeGreaterThan(0);
    expect(header / tensors).toBeLessThan(160); // ~130 bytes of header JSON per tensor
    expect(of("deepseek-ai__DeepSeek-R1").params.total).toBe(params);
    expect(of("deepseek-ai__DeepSeek-V3").params.total).toBe(params);
  });

  it("published (rounded) figures: MoE totals and active parameters", () => {
    const round = (x: number | null, unit: number) => (x === null ? null : Math.round(x / unit));
    const mix = of("mistralai__Mixtral-8x7B-v0.1").params;
    expect(round(mix.total, 1e8)).toBe(467); // 46.7B
    expect(round(mix.active, 1e8)).toBe(129); // 12.9B active
    const q = of("Qwen__Qwen3-30B-A3B").params;
    expect(round(q.total, 1e8)).toBe(305); // 30.5B
    expect(round(q.active, 1e8)).toBe(34); // 3.3B activated (3.35B)
    const ds = of("deepseek-ai__DeepSeek-V3").params;
    expect(round((ds.total ?? 0) - ds.mtp, 1e9)).toBe(671); // 671B main model
    expect(round(ds.total, 1e9)).toBe(684); // HF shows 685B (684.49B)
    expect(round(ds.active, 1e9)).toBe(38); // 37B activated (37.55B)
    const oss = of("openai__gpt-oss-20b").params;
    expect(round(oss.activeExcludingEmbedding, 1e7)).toBe(361); // OpenAI: 3.61B active (no input embedding)
    const nem = of("nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16").params;
    expect(round(nem.total, 1e8)).toBe(316); // ~31.6B
    expect(round(nem.active, 1e8)).toBe(36); // 3.6B incl. embeddings
    expect(round(of("moonshotai__Kimi-K2-Instruct").params.active, 1e9)).toBe(33); // 32B activated (32.86B)
    expect(round(of("deepseek-ai__DeepSeek-V2-Lite-Chat").params.total, 1e8)).toBe(157); // 15.7B
    expect(round(of("Qwen__Qwen1.5-MoE-A2.7B-Chat").params.active, 1e8)).toBe(27); // A2.7B
  });
});

// ------------------------------------------------------------------------------------------------
// crafted configs: edge cases

describe("config fingerprint: edge cases (crafted configs)", () => {
  it("model_type null resolves from architectures, with a finding", () => {
    const r = crafted({ ...GEMMA_7B, model_type: null });
    expect(r.details.family).toBe("gemma");
    expect(r.details.familyVia).toBe("architecture");
    expect(r.findings.some((f) => f.code === "ARCH_FROM_CLASS")).toBe(true);
    expect(normalizeConfig({ ...GEMMA_7B, model_type: null }).findings.some((f) => f.code === "CONFIG_MODEL_TYPE_MISSING")).toBe(true);
    expect(r.params.total).toBe(8_537_680_896);
  });
  it("no model_type, no architectures, unknown keys: nulls and findings, no crash", () => {
    const r = crafted({ model_type: null, hidden_size: 512, num_hidden_layers: 4, num_attention_heads: 8 });
    expect(r.features.architecture).toBeNull();
    expect(r.features.normKind).toBeNull();
    expect(r.features.ffnFamily).toBeNull();
    // the attention family is unknown, so is the grouping within it; the head count is still scale
    expect(r.features.attentionFamily).toBeNull();
    expect(r.features.kvGrouping).toBeNull();
    expect(r.scale.heads).toBe(8);
    expect(r.findings.some((f) => f.code === "ARCH_UNKNOWN")).toBe(true);
    expect(r.params.total).toBeNull();
    expect(r.params.findings.some((f) => f.code === "PARAMS_UNDETERMINED")).toBe(true);
    expect(paramsFromConfig(normalizeConfig({ model_type: null }), r.features, r.scale)).toBeNull();
  });
  it("an empty config does not throw", () => {
    const r = crafted({});
    expect(r.scale.layers).toBeNull();
    expect(r.kv.cachedLayers).toBeNull();
    expect(normalizeConfig({}).findings.map((f) => f.code)).toEqual(expect.arrayContaining(["CONFIG_MODEL_TYPE_MISSING", "CONFIG_MISSING_FIELD"]));
  });
  it("garbage values are ignored, not trusted", () => {
    const r = crafted({ model_type: 42, architectures: "LlamaForCausalLM", hidden_size: "4096", num_hidden_layers: -1, num_attention_heads: 1.5 });
    expect(r.scale.hiddenSize).toBeNull();
    expect(r.scale.layers).toBeNull();
    expect(r.scale.heads).toBeNull();
  });
  it("list-valued heads and widths: lists kept, max as scale, heterogeneity noted, counted per layer", () => {
    const raw = {
      architectures: ["LlamaForCausalLM"],
      model_type: "llama",
      hidden_size: 1024,
      head_dim: 64,
      num_hidden_layers: 4,
      num_attention_heads: [8, 8, 16, 16],
      num_key_value_heads: [2, 2, 4, 4],
      intermediate_size: [2048, 2048, 4096, 4096],
      vocab_size: 1000,
      tie_word_embeddings: true,
      torch_dtype: "bfloat16",
    };
    const norm = normalizeConfig(raw);
    expect(norm.heads).toEqual({ value: 16, perLayer: [8, 8, 16, 16] });
    expect(norm.findings.filter((f) => f.code === "CONFIG_PER_LAYER_DIM").length).toBe(3);
    const r = all(norm);
    expect(r.scale).toMatchObject({ heads: 16, kvHeads: 4, intermediateSize: 4096 });
    expect(r.features.kvGrouping).toBe("GQA");
    // per layer: q/o 2*h*heads*hd, k/v 2*h*kv*hd, mlp 3*h*i, 2 norms
    const layer = (hq: number, kv: number, i: number) => 2 * 1024 * hq * 64 + 2 * 1024 * kv * 64 + 3 * 1024 * i + 2 * 1024;
    const expected = 1000 * 1024 + 2 * layer(8, 2, 2048) + 2 * layer(16, 4, 4096) + 1024;
    expect(r.params.total).toBe(expected);
    const perLayerKv = 2 * 64 * 2;
    expect(r.kv.bytesPerToken).toBe(2 * (2 * 2 + 2 * 4) * 64 * 2);
    expect(r.kv.elementsPerTokenPerLayer).toBeNull();
    expect(perLayerKv).toBeGreaterThan(0);
  });
  it("Qwen2 use_sliding_window:true with max_window_layers: windowed upper layers", () => {
    const r = crafted({
      architectures: ["Qwen2ForCausalLM"],
      model_type: "qwen2",
      hidden_size: 256,
      num_hidden_layers: 4,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      intermediate_size: 512,
      vocab_size: 100,
      max_position_embeddings: 32768,
      sliding_window: 1024,
      use_sliding_window: true,
      max_window_layers: 2,
    });
    expect(r.details.perLayerKinds).toEqual(["full_attention", "full_attention", "sliding_attention", "sliding_attention"]);
    expect(r.features.slidingWindow).toBe("pattern");
    expect(r.features.layerKinds).toEqual(["full_attention", "sliding_attention"]);
  });
  it("a window not smaller than max_position_embeddings is no window", () => {
    const r = crafted({ model_type: "mistral", hidden_size: 256, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 512, vocab_size: 100, max_position_embeddings: 4096, sliding_window: 4096 });
    expect(r.features.slidingWindow).toBe("none");
  });
  it("Gemma 2 without layer_types alternates, starting with a sliding layer", () => {
    const r = crafted({ model_type: "gemma2", hidden_size: 256, head_dim: 64, num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 2, intermediate_size: 512, vocab_size: 100, sliding_window: 4096, max_position_embeddings: 8192 });
    expect(r.details.perLayerKinds).toEqual(["sliding_attention", "full_attention", "sliding_attention", "full_attention"]);
    expect(r.features.logitSoftcap).toBe(true); // Gemma 2 class default
  });
  it("transformers 5 per-layer-type rope_parameters", () => {
    const norm = normalizeConfig({
      model_type: "gemma3_text",
      hidden_size: 256,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      rope_parameters: { full_attention: { rope_type: "linear", factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: "default", rope_theta: 1e4 } },
    });
    expect(norm.rope).toMatchObject({ type: "linear", factor: 8, theta: 1e6, localTheta: 1e4 });
  });
  it("rope type spellings: `type` vs `rope_type`, su -> longrope", () => {
    expect(normalizeConfig({ rope_scaling: { type: "su", short_factor: [1], long_factor: [1] } }).rope.type).toBe("longrope");
    expect(normalizeConfig({ rope_scaling: { rope_type: "llama3", factor: 8 } }).rope).toMatchObject({ type: "llama3", factor: 8 });
    expect(normalizeConfig({ rope_scaling: { type: "mrope", mrope_section: [16, 24, 24] } }).rope.type).toBe("mrope");
  });
  it("old Falcon RW config: n_head_kv, RefinedWeb = new decoder architecture", () => {
    const n = normalizeConfig({ model_type: "RefinedWeb", n_head: 128, n_head_kv: 8, n_layer: 60, hidden_size: 8192 });
    expect(n.kvHeads.value).toBe(8);
    const m = normalizeConfig({ model_type: "RefinedWebModel", n_head: 71, n_layer: 32, hidden_size: 4544, multi_query: true });
    expect(m.kvHeads.value).toBe(1);
  });
  it("nested thinker_config.text_config (omni models): text flattened, audio + vision kept aside", () => {
    const n = normalizeConfig({
      architectures: ["Qwen2_5OmniModel"],
      model_type: "qwen2_5_omni",
      thinker_config: {
        audio_config: { d_model: 1280, encoder_layers: 32 },
        vision_config: { depth: 32, hidden_size: 1280 },
        text_config: { model_type: "qwen2_5_omni_text", hidden_size: 3584, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4 },
      },
    });
    expect(n.textConfigPath).toBe("thinker_config.text_config");
    expect(n.hiddenSize).toBe(3584);
    expect(n.modality).toEqual(["audio", "vision"]);
  });
  it("nested/top-level disagreement is a warning; the nested value wins", () => {
    const n = normalizeConfig({ model_type: "llava", hidden_size: 1024, text_config: { model_type: "llama", hidden_size: 4096 } });
    expect(n.hiddenSize).toBe(4096);
    expect(n.findings.some((f) => f.code === "CONFIG_NESTED_CONFLICT")).toBe(true);
  });
  it("sparse Llava text_config is completed from the transformers Llama defaults, with a finding", () => {
    const n = normalizeConfig({ architectures: ["LlavaForConditionalGeneration"], model_type: "llava", text_config: { model_type: "llama", vocab_size: 32064 } });
    expect(n.hiddenSize).toBe(4096);
    expect(n.numLayers).toBe(32);
    expect(n.findings.some((f) => f.code === "CONFIG_CLASS_DEFAULT")).toBe(true);
  });
  it("MoE top_k alias only counts when there are experts (Mllama dumps have a sampling top_k)", () => {
    expect(normalizeConfig({ model_type: "llama", top_k: 50 }).expertsPerToken).toBeNull();
    expect(normalizeConfig({ model_type: "x", num_experts: 8, top_k: 2 }).expertsPerToken).toBe(2);
  });
  it("findDuplicateKeys sees nested duplicates and ignores strings that look like keys", () => {
    expect(findDuplicateKeys('{"a":1,"b":{"c":1,"c":2},"a":3,"s":"a\\":"}')).toEqual(["b.c", "a"]);
    expect(findDuplicateKeys('{"a":[{"x":1},{"x":2}]}')).toEqual([]);
  });
  it("family resolution: text model type first, then model_type, then class", () => {
    expect(resolveFamily(normalizeConfig({ model_type: "llava", text_config: { model_type: "mistral" } })).family).toBe("mistral");
    expect(resolveFamily(normalizeConfig({ model_type: "kimi_k2" })).family).toBe("deepseek_v3");
    expect(resolveFamily(normalizeConfig({ architectures: ["Qwen2_5_VLForConditionalGeneration"] })).family).toBe("qwen2");
  });
  it("Whisper count from a transformers-5 style config without num_hidden_layers", () => {
    const r = crafted({
      architectures: ["WhisperForConditionalGeneration"],
      model_type: "whisper",
      d_model: 384,
      encoder_layers: 4,
      decoder_layers: 4,
      encoder_attention_heads: 6,
      decoder_attention_heads: 6,
      encoder_ffn_dim: 1536,
      decoder_ffn_dim: 1536,
      num_mel_bins: 80,
      max_source_positions: 1500,
      max_target_positions: 448,
      vocab_size: 51865,
      is_encoder_decoder: true,
    });
    expect(r.params.total).toBe(37_760_640); // whisper-tiny
    expect(r.scale.layers).toBe(4);
  });
});

// ------------------------------------------------------------------------------------------------

describe("feature / scale registries", () => {
  const sample: Features = crafted(GEMMA_7B).features;
  const scale: Scale = crafted(GEMMA_7B).scale;
  it("every Features key is registered exactly once, with the verdicts.md block graph", () => {
    expect(FEATURE_REGISTRY.map((f) => f.key).sort()).toEqual(Object.keys(sample).sort());
    expect([...BLOCK_GRAPH_KEYS].sort()).toEqual(["attentionFamily", "ffnFamily", "layerKinds", "moe", "normKind", "topology"]);
  });
  it("every Scale key is registered", () => {
    expect(SCALE_REGISTRY.map((s) => s.key).sort()).toEqual(Object.keys(scale).sort());
  });
  it("formats values for reasons", () => {
    expect(formatFeature("kvGrouping", "GQA")).toBe("GQA");
    expect(formatFeature("moe", true)).toBe("MoE");
    expect(formatFeature("layerKinds", ["full_attention", "sliding_attention"])).toBe("{full_attention, sliding_attention}");
    expect(formatFeature("headDim", null)).toBe("unknown");
    expect(formatFeature("partialRotary", 1)).toBe("full");
  });
  it("ops are sorted and derive only from features", () => {
    const ops = opsFromFeatures(sample, scale);
    expect(ops).toEqual([...ops].sort());
    expect(ops).toEqual(expect.arrayContaining(["attention.mha", "ffn.geglu", "norm.offset", "norm.rms", "rope.default", "embed.tied"]));
  });
});
