/**
 * Property test: normalization, features, params, KV cache and ops never throw, whatever the values
 * under real config keys (configs are untrusted data).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { normalizeConfig, normalizeConfigText } from "../src/fingerprint/config.js";
import { featuresFromConfig } from "../src/fingerprint/arch.js";
import { paramBreakdown } from "../src/fingerprint/params.js";
import { kvBytesAtSeqLen, kvCacheFromConfig } from "../src/fingerprint/kvcache.js";
import { opsFromFeatures } from "../src/fingerprint/ops.js";

const KEYS = [
  "model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
  "head_dim", "intermediate_size", "vocab_size", "max_position_embeddings", "sliding_window", "use_sliding_window",
  "layer_types", "hybrid_override_pattern", "full_attn_idxs", "rope_scaling", "rope_parameters", "rope_theta",
  "num_experts", "n_routed_experts", "num_experts_per_tok", "first_k_dense_replace", "kv_lora_rank", "q_lora_rank",
  "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim", "tie_word_embeddings", "torch_dtype", "dtype",
  "quantization_config", "text_config", "vision_config", "n_embd", "n_head", "n_layer", "multi_query",
  "new_decoder_architecture", "sliding_window_pattern", "mamba_num_heads", "ssm_state_size", "conv_kernel",
  "is_encoder_decoder", "encoder_layers", "decoder_layers", "no_rope_layers", "attention_bias", "num_nextn_predict_layers",
];
const MODEL_TYPES = ["llama", "qwen2", "qwen3_moe", "gemma2", "gemma3", "deepseek_v3", "nemotron_h", "lfm2", "whisper", "bert", "falcon", "gpt_oss", "mllama", "rwkv", "bogus"];

const value = fc.oneof(
  fc.constantFrom(...MODEL_TYPES),
  fc.integer({ min: -4, max: 70000 }),
  fc.constantFrom(0, 1, 2, 3, 4, 8, 64, 128, 4096, null, true, false, "M*-E", "full_attention"),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom("full_attention", "sliding_attention", "mamba", "conv")), { maxLength: 6 }),
  fc.anything({ maxDepth: 2 }),
);
const config = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 24 });

describe("config fingerprint: arbitrary configs never throw", () => {
  it("normalize -> features -> params -> kv -> ops", () => {
    fc.assert(
      fc.property(config, fc.option(config, { nil: undefined }), (raw, nested) => {
        const r: Record<string, unknown> = nested ? { ...raw, text_config: nested } : raw;
        const norm = normalizeConfig(r);
        const a = featuresFromConfig(norm);
        const p = paramBreakdown(norm, a.features, a.scale);
        const kv = kvCacheFromConfig(a.features, a.scale, norm);
        const ops = opsFromFeatures(a.features, a.scale);
        expect(Array.isArray(ops)).toBe(true);
        expect(p.total === null || Number.isFinite(p.total)).toBe(true);
        const b = kvBytesAtSeqLen(kv, 1024);
        expect(b === null || Number.isFinite(b)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });
  it("absurd layer counts are refused, not materialized", () => {
    const norm = normalizeConfig({ model_type: "llama", num_hidden_layers: 1e9, hidden_size: 4096, num_attention_heads: 32, vocab_size: 10 });
    expect(norm.numLayers).toBeNull();
    expect(norm.findings.some((f) => f.code === "CONFIG_BAD_VALUE")).toBe(true);
    const a = featuresFromConfig(norm);
    expect(paramBreakdown(norm, a.features, a.scale).total).toBeNull();
  });
  it("normalizeConfigText: valid JSON objects of any shape", () => {
    fc.assert(
      fc.property(config, (raw) => {
        const n = normalizeConfigText(JSON.stringify(raw));
        expect(n.duplicateKeys).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });
});
