/**
 * Property tests, config.json normalizer (issue 6.1): generated configs round-trip through every
 * alias spelling, top level or nested, whatever decoys sit next to them ("__proto__" keys, other
 * towers); arbitrary text raises FormatError only; arbitrary objects under real keys never throw,
 * down to features, parameter counts, KV cache and ops.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { featuresFromConfig } from "../src/fingerprint/arch.js";
import { normalizeConfig, normalizeConfigText } from "../src/fingerprint/config.js";
import { kvBytesAtSeqLen, kvCacheFromConfig } from "../src/fingerprint/kvcache.js";
import { opsFromFeatures } from "../src/fingerprint/ops.js";
import { paramBreakdown } from "../src/fingerprint/params.js";
import { FormatError } from "../src/util/errors.js";
import { CaseCounter, assertTyped, check, params, runs, same } from "./support/property-runs.js";

const counter = new CaseCounter("config normalizer");
afterAll(() => {
  console.log(counter.summary());
});

const MODEL = "acme/prop-config";

/** Canonical key -> the spellings a config may use (decoder_* aliases only apply to encoder-decoders). */
const SPELLINGS = {
  hidden_size: ["hidden_size", "n_embd", "n_embed", "d_model", "dim", "model_dim"],
  num_hidden_layers: ["num_hidden_layers", "n_layer", "n_layers", "num_layers"],
  num_attention_heads: ["num_attention_heads", "n_head", "n_heads", "num_heads"],
  num_key_value_heads: ["num_key_value_heads", "num_kv_heads", "n_head_kv", "n_kv_heads"],
  intermediate_size: ["intermediate_size", "n_inner", "ffn_dim", "d_ff", "hidden_dim", "ffn_hidden_size"],
  vocab_size: ["vocab_size", "padded_vocab_size", "n_vocab"],
  max_position_embeddings: ["max_position_embeddings", "n_positions", "seq_length", "max_sequence_length", "context_length", "n_ctx"],
} as const;
type Canon = keyof typeof SPELLINGS;
const RANGES: Record<Canon, [number, number]> = {
  hidden_size: [1, 16384],
  num_hidden_layers: [1, 200],
  num_attention_heads: [1, 128],
  num_key_value_heads: [1, 128],
  intermediate_size: [1, 65536],
  vocab_size: [1, 300_000],
  max_position_embeddings: [1, 1 << 20],
};
/** Families without class defaults, not encoder-decoders, no Falcon KV rules. */
const MODEL_TYPES = ["qwen2", "qwen3", "mistral", "phi3", "gemma", "starcoder2", "olmo2", "granite", "custom_model"];

const dimValue = (c: Canon) => fc.integer({ min: RANGES[c][0], max: RANGES[c][1] });
const oneDim = (c: Canon) => fc.option(fc.record({ spelling: fc.constantFrom(...SPELLINGS[c]), value: dimValue(c) }), { nil: undefined, freq: 4 });

const decoy = fc.dictionary(
  fc.constantFrom("hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size", "n_embd", "intermediate_size", "max_position_embeddings"),
  fc.integer({ min: 1, max: 1 << 20 }),
  { minKeys: 1, maxKeys: 6 },
);

const genConfig = fc.record({
  modelType: fc.constantFrom(...MODEL_TYPES),
  dims: fc.record(Object.fromEntries((Object.keys(SPELLINGS) as Canon[]).map((c) => [c, oneDim(c)])) as { [K in Canon]: ReturnType<typeof oneDim> }),
  nested: fc.constantFrom(null, "text_config", "llm_config", "language_config", "thinker_config.text_config"),
  protoDecoy: fc.option(decoy, { nil: undefined }),
  nestedDecoy: fc.option(decoy, { nil: undefined }),
  vision: fc.option(fc.record({ hidden_size: fc.integer({ min: 1, max: 4096 }), num_hidden_layers: fc.integer({ min: 1, max: 64 }) }), { nil: undefined }),
  extra: fc.dictionary(fc.constantFrom("torch_dtype", "tie_word_embeddings", "rope_theta", "bos_token_id", "architectures"), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
});

function holdsFunction(v: unknown, depth: number): boolean {
  if (typeof v === "function") return true;
  if (v === null || typeof v !== "object" || depth > 6) return false;
  for (const x of Object.values(v)) if (holdsFunction(x, depth + 1)) return true;
  return false;
}

function own(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

// ---------------------------------------------------------------------------------------------

describe("config normalizer: properties", () => {
  it("generated configs round-trip every dimension, whatever the spelling, nesting and decoys", async () => {
    await counter.measure("round-trip of generated configs", () =>
      fc.assert(
        fc.property(genConfig, fc.boolean(), (g, viaText) => {
          counter.hit();
          const dims: Record<string, unknown> = {};
          for (const c of Object.keys(SPELLINGS) as Canon[]) {
            const d = g.dims[c];
            if (d) dims[d.spelling] = d.value;
          }
          if (g.nestedDecoy) own(dims, "__proto__", g.nestedDecoy);
          const raw: Record<string, unknown> = { ...g.extra, model_type: g.modelType };
          if (g.nested === null) Object.assign(raw, dims);
          else if (g.nested === "thinker_config.text_config") raw["thinker_config"] = { text_config: { model_type: g.modelType, ...dims } };
          else raw[g.nested] = { model_type: g.modelType, ...dims };
          if (g.nestedDecoy) {
            const target = g.nested === null ? raw : g.nested === "thinker_config.text_config" ? ((raw["thinker_config"] as Record<string, unknown>)["text_config"] as Record<string, unknown>) : (raw[g.nested] as Record<string, unknown>);
            own(target, "__proto__", g.nestedDecoy);
          }
          if (g.protoDecoy) own(raw, "__proto__", g.protoDecoy);
          if (g.vision) raw["vision_config"] = g.vision;
          const n = viaText ? normalizeConfigText(JSON.stringify(raw), { model: MODEL }) : normalizeConfig(raw, { model: MODEL });
          const want = (c: Canon): number | null => g.dims[c]?.value ?? null;
          same(n.hiddenSize, want("hidden_size"), "hidden_size");
          same(n.numLayers, want("num_hidden_layers"), "num_hidden_layers");
          same(n.heads.value, want("num_attention_heads"), "num_attention_heads");
          // no KV heads in the config: MHA by class semantics (= the attention heads)
          same(n.kvHeads.value, want("num_key_value_heads") ?? want("num_attention_heads"), "num_key_value_heads");
          same(n.intermediate.value, want("intermediate_size"), "intermediate_size");
          same(n.vocabSize, want("vocab_size"), "vocab_size");
          same(n.maxPositions, want("max_position_embeddings"), "max_position_embeddings");
          same(n.modelType, g.modelType, "model_type");
          same(n.modality, g.vision ? ["vision"] : [], "modality");
          // the flattened text config never has a prototype other than Object's
          check(Object.getPrototypeOf(n.text) === Object.prototype, "the flattened config's prototype was replaced");
          if (viaText) same(n.duplicateKeys, [], "duplicate keys");
        }),
        params("config-roundtrip"),
      ),
    );
  });

  it("arbitrary and mutated config.json text: a result or FormatError (config_not_json / config_not_object)", async () => {
    const valid = fc.record({ model_type: fc.constantFrom(...MODEL_TYPES), hidden_size: fc.nat(), num_hidden_layers: fc.nat(), text_config: fc.jsonValue({ maxDepth: 2 }) }).map((o) => JSON.stringify(o, null, 2));
    const text = fc.oneof(
      fc.string({ unit: "binary", maxLength: 64 }),
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.tuple(valid, fc.nat(), fc.constantFrom("{", "}", "[", "]", '"', ",", ":", "\\", "\u0000", "NaN", "1e999", "")).map(([t, at, ins]) => t.slice(0, at % (t.length + 1)) + ins + t.slice(at % (t.length + 1))),
      fc.nat({ max: 3000 }).map((d) => `{"model_type":"llama","x":${"[".repeat(d)}${"]".repeat(d)}}`),
      fc.nat({ max: 3000 }).map((d) => `${'{"a":'.repeat(d)}1${"}".repeat(d)}`),
      fc.constantFrom("", "null", "[]", '"x"', "1", '{"__proto__":{"hidden_size":4096}}', '{"a":1,"a":2}'),
    );
    await counter.measure("arbitrary config text", () =>
      fc.assert(
        fc.property(text, (t) => {
          counter.hit();
          try {
            const n = normalizeConfigText(t, { model: MODEL });
            check(Array.isArray(n.findings), "findings");
          } catch (e) {
            assertTyped(e, [FormatError], "normalizeConfigText");
            const fe = e as FormatError;
            check((fe.code === "config_not_json" || fe.code === "config_not_object") && fe.model === MODEL && fe.file === "config.json", `bad error ${fe.code}`);
          }
        }),
        params("config-text"),
      ),
    );
  });

  it("arbitrary values under real keys never throw, down to features, params, KV cache and ops", async () => {
    const KEYS = [
      "model_type", "architectures", "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim",
      "intermediate_size", "vocab_size", "max_position_embeddings", "sliding_window", "use_sliding_window", "layer_types",
      "hybrid_override_pattern", "full_attn_idxs", "rope_scaling", "rope_parameters", "rope_theta", "num_experts", "n_routed_experts",
      "num_experts_per_tok", "first_k_dense_replace", "kv_lora_rank", "q_lora_rank", "qk_rope_head_dim", "qk_nope_head_dim",
      "v_head_dim", "tie_word_embeddings", "torch_dtype", "dtype", "quantization_config", "text_config", "vision_config", "audio_config",
      "n_embd", "n_head", "n_layer", "multi_query", "new_decoder_architecture", "sliding_window_pattern", "mamba_num_heads",
      "ssm_state_size", "conv_kernel", "is_encoder_decoder", "encoder_layers", "decoder_layers", "no_rope_layers", "attention_bias",
      "num_nextn_predict_layers", "__proto__", "constructor", "auto_map", "thinker_config", "cross_attention_layers", "attn_layer_period",
      "attn_layer_offset", "max_window_layers", "partial_rotary_factor", "rotary_dim", "top_k", "decoder_attention_heads", "d_model",
    ];
    const value = fc.oneof(
      fc.constantFrom("llama", "qwen2", "qwen3_moe", "gemma2", "gemma3", "deepseek_v3", "nemotron_h", "lfm2", "whisper", "falcon", "gpt_oss", "mllama", "jamba", "bogus"),
      // table lookups keyed by model_type / class names must not find Object.prototype members
      fc.constantFrom("constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"),
      fc.integer({ min: -4, max: 70000 }),
      fc.constantFrom(0, 1, 2, 3, 4, 8, 64, 128, 4096, 1e9, 2 ** 53, -0, 0.5, null, true, false, "M*-E", "full_attention", "1024"),
      fc.array(fc.oneof(fc.integer({ min: -1, max: 64 }), fc.constantFrom("full_attention", "sliding_attention", "mamba", "conv", "attention", null)), { maxLength: 8 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const config = fc.dictionary(fc.constantFrom(...KEYS), value, { maxKeys: 24 });
    await counter.measure("arbitrary objects, down to features/params/kv/ops", () =>
      fc.assert(
        fc.property(config, fc.option(config, { nil: undefined }), (raw0, nested) => {
          counter.hit();
          // fc.dictionary may create "__proto__" through the setter: rebuild with own properties
          const raw: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(raw0)) own(raw, k, v);
          if (nested) own(raw, "text_config", nested);
          const norm = normalizeConfig(raw, { model: MODEL });
          const a = featuresFromConfig(norm);
          const p = paramBreakdown(norm, a.features, a.scale);
          const kv = kvCacheFromConfig(a.features, a.scale, norm);
          const ops = opsFromFeatures(a.features, a.scale);
          check(Array.isArray(ops) && ops.every((o) => typeof o === "string"), "ops");
          check(norm.architecture === null || typeof norm.architecture === "string", "architecture");
          // nothing derived from the config holds a function (a table lookup that hit Object.prototype)
          for (const [what, v] of [["features", a.features], ["scale", a.scale], ["kv", kv], ["params", p], ["text", norm.text]] as const) check(!holdsFunction(v, 0), `${what} holds a function`);
          check(p.total === null || Number.isFinite(p.total), `params ${p.total}`);
          const b = kvBytesAtSeqLen(kv, 4096);
          check(b === null || Number.isFinite(b), `kv bytes ${b}`);
          check(norm.numLayers === null || norm.numLayers <= 10_000, "unbounded layers");
          // per-layer kinds describe num_hidden_layers layers, or say that they do not
          check(
            norm.layerTypes === null || norm.numLayers === null || norm.layerTypes.length === norm.numLayers || norm.findings.some((f) => f.code === "CONFIG_LAYER_PATTERN_LENGTH"),
            "layer types length differs from num_hidden_layers without a finding",
          );
        }),
        params("config-objects", runs(3_000)),
      ),
    );
  });

  it(`ran at least ${runs().toLocaleString("en-US")} cases`, () => {
    expect(counter.total).toBeGreaterThanOrEqual(runs());
  });
});
