import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { corpusPath, readCorpusJson } from "../support/corpus.js";
import { describeCorpus } from "../support/corpus.js";
import { tensorBytes } from "./repo-store.js";
import { countParameters, inferDtype, inferShape, inferTensor, synthesizeNames, synthesizeTensors, tinyConfig, type TensorSpec } from "./synth.js";

const byName = (ts: TensorSpec[]) => new Map(ts.map((t) => [t.name, t]));

describe("synthesizeTensors", () => {
  it("llama: q/k/v/o from hidden/heads, tied embeddings -> no lm_head, base dtype from torch_dtype", () => {
    const ts = synthesizeTensors(tinyConfig({ tie_word_embeddings: true, torch_dtype: "float16" }));
    const m = byName(ts);
    expect(m.has("lm_head.weight")).toBe(false);
    expect(m.get("model.embed_tokens.weight")!.shape).toEqual([1000, 64]);
    expect(m.get("model.layers.1.self_attn.q_proj.weight")!.shape).toEqual([64, 64]);
    expect(m.get("model.layers.1.self_attn.k_proj.weight")!.shape).toEqual([32, 64]); // 2 kv heads x 16
    expect(m.get("model.layers.0.mlp.down_proj.weight")!.shape).toEqual([64, 128]);
    expect(new Set(ts.map((t) => t.dtype))).toEqual(new Set(["F16"]));
    expect(ts).toHaveLength(1 + 2 * 9 + 1);
    // head_dim from the config wins over hidden/heads
    const m2 = byName(synthesizeTensors(tinyConfig({ head_dim: 32 })));
    expect(m2.get("model.layers.0.self_attn.q_proj.weight")!.shape).toEqual([128, 64]);
    expect(m2.get("model.layers.0.self_attn.o_proj.weight")!.shape).toEqual([64, 128]);
    expect(m2.has("lm_head.weight")).toBe(true);
  });

  it("qwen2 has q/k/v biases (no o bias); qwen3 has q_norm/k_norm of head_dim", () => {
    const q2 = byName(synthesizeTensors(tinyConfig({ model_type: "qwen2" })));
    expect(q2.get("model.layers.0.self_attn.q_proj.bias")!.shape).toEqual([64]);
    expect(q2.get("model.layers.0.self_attn.v_proj.bias")!.shape).toEqual([32]);
    expect(q2.has("model.layers.0.self_attn.o_proj.bias")).toBe(false);
    const q3 = byName(synthesizeTensors(tinyConfig({ model_type: "qwen3", head_dim: 24, attention_bias: false })));
    expect(q3.get("model.layers.1.self_attn.q_norm.weight")!.shape).toEqual([24]);
    expect(q3.get("model.layers.1.self_attn.k_norm.weight")!.shape).toEqual([24]);
    expect(q3.has("model.layers.0.self_attn.q_proj.bias")).toBe(false);
  });

  it("mixtral: block_sparse_moe.gate + experts.{E}.w1/w2/w3", () => {
    const m = byName(synthesizeTensors(tinyConfig({ model_type: "mixtral", num_local_experts: 4 })));
    expect(m.get("model.layers.0.block_sparse_moe.gate.weight")!.shape).toEqual([4, 64]);
    expect(m.get("model.layers.1.block_sparse_moe.experts.3.w1.weight")!.shape).toEqual([128, 64]);
    expect(m.get("model.layers.1.block_sparse_moe.experts.3.w2.weight")!.shape).toEqual([64, 128]);
    expect(m.get("model.layers.1.block_sparse_moe.experts.3.w3.weight")!.shape).toEqual([128, 64]);
    expect(m.has("model.layers.0.mlp.gate_proj.weight")).toBe(false);
  });

  it("qwen3_moe and qwen2_moe experts (qwen2_moe with shared_expert + shared_expert_gate)", () => {
    const q3 = byName(synthesizeTensors(tinyConfig({ model_type: "qwen3_moe", num_experts: 8, moe_intermediate_size: 32, head_dim: 16 })));
    expect(q3.get("model.layers.0.mlp.gate.weight")!.shape).toEqual([8, 64]);
    expect(q3.get("model.layers.0.mlp.experts.7.up_proj.weight")!.shape).toEqual([32, 64]);
    expect(q3.get("model.layers.0.mlp.experts.7.down_proj.weight")!.shape).toEqual([64, 32]);
    const q2 = byName(
      synthesizeTensors(
        tinyConfig({ model_type: "qwen2_moe", num_experts: 4, moe_intermediate_size: 32, shared_expert_intermediate_size: 96 }),
      ),
    );
    expect(q2.get("model.layers.1.mlp.shared_expert.gate_proj.weight")!.shape).toEqual([96, 64]);
    expect(q2.get("model.layers.1.mlp.shared_expert.down_proj.weight")!.shape).toEqual([64, 96]);
    expect(q2.get("model.layers.1.mlp.shared_expert_gate.weight")!.shape).toEqual([1, 64]);
    expect(q2.get("model.layers.1.self_attn.q_proj.bias")!.shape).toEqual([64]);
  });

  it("deepseek_v3: MLA, dense first layers, routed + shared experts, e_score_correction_bias, FP8 block scales, MTP layer", () => {
    const cfg = {
      model_type: "deepseek_v3",
      architectures: ["DeepseekV3ForCausalLM"],
      hidden_size: 256,
      intermediate_size: 512,
      moe_intermediate_size: 128,
      num_hidden_layers: 3,
      first_k_dense_replace: 1,
      num_attention_heads: 4,
      num_key_value_heads: 4,
      q_lora_rank: 96,
      kv_lora_rank: 64,
      qk_nope_head_dim: 32,
      qk_rope_head_dim: 16,
      v_head_dim: 32,
      n_routed_experts: 4,
      n_shared_experts: 2,
      num_nextn_predict_layers: 1,
      topk_method: "noaux_tc",
      vocab_size: 500,
      torch_dtype: "bfloat16",
      quantization_config: { quant_method: "fp8", fmt: "e4m3", weight_block_size: [128, 128], activation_scheme: "dynamic" },
    };
    const m = byName(synthesizeTensors(cfg));
    const shape = (n: string) => m.get(n)?.shape;
    const dtype = (n: string) => m.get(n)?.dtype;
    expect(shape("model.layers.0.self_attn.q_a_proj.weight")).toEqual([96, 256]);
    expect(shape("model.layers.0.self_attn.q_a_layernorm.weight")).toEqual([96]);
    expect(shape("model.layers.0.self_attn.q_b_proj.weight")).toEqual([4 * 48, 96]);
    expect(shape("model.layers.0.self_attn.kv_a_proj_with_mqa.weight")).toEqual([64 + 16, 256]);
    expect(shape("model.layers.0.self_attn.kv_a_layernorm.weight")).toEqual([64]);
    expect(shape("model.layers.0.self_attn.kv_b_proj.weight")).toEqual([4 * (32 + 32), 64]);
    expect(shape("model.layers.0.self_attn.o_proj.weight")).toEqual([256, 4 * 32]);
    expect(shape("model.layers.0.mlp.gate_proj.weight")).toEqual([512, 256]); // dense layer
    expect(m.has("model.layers.0.mlp.gate.weight")).toBe(false);
    expect(shape("model.layers.1.mlp.gate.weight")).toEqual([4, 256]);
    expect(shape("model.layers.1.mlp.gate.e_score_correction_bias")).toEqual([4]);
    expect(dtype("model.layers.1.mlp.gate.e_score_correction_bias")).toBe("F32");
    expect(dtype("model.layers.1.mlp.gate.weight")).toBe("BF16");
    expect(shape("model.layers.2.mlp.experts.3.down_proj.weight")).toEqual([256, 128]);
    expect(dtype("model.layers.2.mlp.experts.3.down_proj.weight")).toBe("F8_E4M3");
    expect(shape("model.layers.2.mlp.experts.3.down_proj.weight_scale_inv")).toEqual([2, 1]);
    expect(dtype("model.layers.2.mlp.experts.3.down_proj.weight_scale_inv")).toBe("F32");
    expect(shape("model.layers.2.mlp.shared_experts.up_proj.weight")).toEqual([256, 256]); // 2 x 128
    expect(shape("model.layers.0.self_attn.q_b_proj.weight_scale_inv")).toEqual([2, 1]);
    // MTP layer after lm_head
    const names = [...m.keys()];
    expect(names.indexOf("model.layers.3.eh_proj.weight")).toBeGreaterThan(names.indexOf("lm_head.weight"));
    expect(shape("model.layers.3.eh_proj.weight")).toEqual([256, 512]);
    expect(shape("model.layers.3.shared_head.head.weight")).toEqual([500, 256]);
    // q_lora_rank null -> plain q_proj
    const m2 = byName(synthesizeTensors({ ...cfg, q_lora_rank: null, quantization_config: undefined, num_nextn_predict_layers: 0 }));
    expect(m2.get("model.layers.0.self_attn.q_proj.weight")!.shape).toEqual([4 * 48, 256]);
    expect(m2.has("model.layers.0.self_attn.q_a_proj.weight")).toBe(false);
  });

  it("gemma2/gemma3 pre/post feedforward norms; gemma3 q/k norms", () => {
    const g2 = byName(synthesizeTensors(tinyConfig({ model_type: "gemma2", head_dim: 32 })));
    expect(g2.has("model.layers.0.pre_feedforward_layernorm.weight")).toBe(true);
    expect(g2.has("model.layers.0.post_feedforward_layernorm.weight")).toBe(true);
    expect(g2.has("lm_head.weight")).toBe(true); // tinyConfig sets tie_word_embeddings: false
    const g3 = byName(synthesizeTensors(tinyConfig({ model_type: "gemma3_text", head_dim: 32, tie_word_embeddings: undefined })));
    expect(g3.get("model.layers.1.self_attn.q_norm.weight")!.shape).toEqual([32]);
    expect(g3.has("lm_head.weight")).toBe(false); // gemma ties by default
  });

  it("gpt2: Conv1D [in, out] shapes", () => {
    const cfg = { model_type: "gpt2", n_embd: 48, n_layer: 2, n_head: 4, vocab_size: 300, n_positions: 64 };
    const m = byName(synthesizeTensors(cfg));
    expect(m.get("transformer.h.0.attn.c_attn.weight")!.shape).toEqual([48, 144]);
    expect(m.get("transformer.h.0.attn.c_attn.bias")!.shape).toEqual([144]);
    expect(m.get("transformer.h.1.mlp.c_fc.weight")!.shape).toEqual([48, 192]);
    expect(m.get("transformer.h.1.mlp.c_proj.weight")!.shape).toEqual([192, 48]);
    expect(m.get("transformer.h.1.mlp.c_proj.bias")!.shape).toEqual([48]);
    expect(m.get("transformer.wpe.weight")!.shape).toEqual([64, 48]);
    expect(m.has("lm_head.weight")).toBe(false);
    expect(synthesizeNames(cfg, { gpt2Prefix: "" })[0]).toBe("wte.weight");
  });

  it("gpt-oss (mxfp4): *_blocks / *_scales U8, router, sinks", () => {
    const cfg = {
      model_type: "gpt_oss",
      hidden_size: 64,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 8,
      num_key_value_heads: 2,
      head_dim: 16,
      num_local_experts: 4,
      vocab_size: 100,
      attention_bias: true,
      quantization_config: { quant_method: "mxfp4" },
    };
    const m = byName(synthesizeTensors(cfg));
    expect(m.get("model.layers.0.mlp.experts.gate_up_proj_blocks")).toEqual({ name: "model.layers.0.mlp.experts.gate_up_proj_blocks", dtype: "U8", shape: [4, 128, 2, 16] });
    expect(m.get("model.layers.0.mlp.experts.gate_up_proj_scales")!.shape).toEqual([4, 128, 2]);
    expect(m.get("model.layers.0.mlp.experts.down_proj_blocks")!.shape).toEqual([4, 64, 2, 16]);
    expect(m.get("model.layers.0.mlp.experts.down_proj_bias")).toMatchObject({ dtype: "BF16", shape: [4, 64] });
    expect(m.get("model.layers.0.mlp.router.weight")!.shape).toEqual([4, 64]);
    expect(m.get("model.layers.0.self_attn.sinks")!.shape).toEqual([8]);
    expect(m.get("model.layers.0.self_attn.o_proj.bias")!.shape).toEqual([64]);
  });

  it("refuses model types it does not know instead of guessing", () => {
    expect(() => synthesizeTensors({ model_type: "whisper", d_model: 8 })).toThrow(/unsupported model_type "whisper"/);
    expect(() => synthesizeTensors({ model_type: "llama" })).toThrow(/lacks/);
  });
});

describe("inferShape on real names", () => {
  it("falcon: new decoder architecture vs old multi-query (RW) configs", () => {
    const rw40 = { model_type: "RefinedWeb", architectures: ["RWForCausalLM"], hidden_size: 8192, n_head: 128, n_head_kv: 8, n_layer: 60, vocab_size: 65024 };
    expect(inferShape("transformer.h.3.self_attention.query_key_value.weight", rw40)).toEqual([9216, 8192]);
    expect(inferShape("transformer.h.3.ln_mlp.bias", rw40)).toEqual([8192]);
    const f7 = { model_type: "falcon", hidden_size: 4544, num_attention_heads: 71, multi_query: true, new_decoder_architecture: false, num_hidden_layers: 32, vocab_size: 65024 };
    expect(inferShape("transformer.h.0.self_attention.query_key_value.weight", f7)).toEqual([4672, 4544]);
    expect(inferShape("transformer.h.0.mlp.dense_h_to_4h.weight", f7)).toEqual([18176, 4544]);
  });

  it("bloom, phi3 fused projections, granite biases", () => {
    const bloom = { model_type: "bloom", n_embed: 64, n_layer: 2, num_attention_heads: 4, vocab_size: 100 };
    expect(inferShape("h.1.self_attention.query_key_value.weight", bloom)).toEqual([192, 64]);
    expect(inferShape("h.1.self_attention.query_key_value.bias", bloom)).toEqual([192]);
    expect(inferShape("word_embeddings_layernorm.bias", bloom)).toEqual([64]);
    const phi3 = { model_type: "phi3", hidden_size: 3072, intermediate_size: 8192, num_attention_heads: 32, num_key_value_heads: 32, num_hidden_layers: 32, vocab_size: 32064 };
    expect(inferShape("model.layers.0.self_attn.qkv_proj.weight", phi3)).toEqual([9216, 3072]);
    expect(inferShape("model.layers.0.mlp.gate_up_proj.weight", phi3)).toEqual([16384, 3072]);
    expect(inferShape("model.layers.0.mlp.unknown_proj.weight", phi3)).toBeNull();
  });

  it("bitsandbytes int8 (SCB, weight_format) and MLX 4-bit (packed U32 weight, scales, biases)", () => {
    const bnb = tinyConfig({ torch_dtype: "float16", quantization_config: { quant_method: "bitsandbytes", load_in_8bit: true } });
    const names = new Set(["model.layers.0.mlp.up_proj.weight", "model.layers.0.mlp.up_proj.SCB", "model.layers.0.mlp.up_proj.weight_format"]);
    expect(inferTensor("model.layers.0.mlp.up_proj.weight", bnb, { names })).toEqual({ name: "model.layers.0.mlp.up_proj.weight", dtype: "I8", shape: [128, 64] });
    expect(inferTensor("model.layers.0.mlp.up_proj.SCB", bnb, { names })).toMatchObject({ dtype: "F32", shape: [128] });
    expect(inferTensor("model.layers.0.mlp.up_proj.weight_format", bnb, { names })).toMatchObject({ dtype: "U8", shape: [] });
    expect(inferDtype("model.norm.weight", bnb)).toBe("F16");
    const mlx = tinyConfig({ model_type: "qwen3", quantization: { group_size: 32, bits: 4 } });
    expect(inferTensor("model.layers.0.self_attn.q_proj.weight", mlx)).toMatchObject({ dtype: "U32", shape: [64, 8] });
    expect(inferTensor("model.layers.0.self_attn.q_proj.scales", mlx)).toMatchObject({ dtype: "BF16", shape: [64, 2] });
    expect(inferTensor("model.layers.0.self_attn.q_proj.biases", mlx)).toMatchObject({ dtype: "BF16", shape: [64, 2] });
  });
});

/** Corpus folders with a weight map: every real tensor name is understood and the bytes add up. */
describeCorpus("inferShape against real weight maps (zoo corpus)", () => {
  const folders = [
    "HuggingFaceTB__SmolLM3-3B",
    "PANDASANG1231__llama-3.2-3B-per-tensor-shards",
    "THUDM__chatglm3-6b",
    "YouriLalain__3PRYMMAL-PHI3-3B-SLERP",
    "allenai__olmOCR-7B-0225-preview",
    "bigscience__bloom",
    "derivative__Qwen3-1.7B-MLX",
    "derivative__Qwen3-14B-MLX-4bit",
    "google__gemma-2b-it",
    "google__medgemma-27b-it",
    "ibm-granite__granite-3b-code-instruct-128k",
    "jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy",
    "mattshumer__Reflection-Llama-3.1-70B",
    "microsoft__Phi-3.5-mini-instruct",
    "microsoft__WizardLM-2-8x22B",
    "mistralai__Devstral-Small-2507",
    "mistralai__Mistral-7B-Instruct-v0.3",
    "openai__gpt-oss-20b",
    "tiiuae__falcon-180B-chat",
    "tiiuae__falcon-40b",
    "tiiuae__falcon-7b-instruct",
  ];
  for (const folder of folders) {
    it(`${folder}: sum of inferred tensor bytes == metadata.total_size, and synthesizeTensors names the same tensors`, () => {
      const idxFile = existsSync(corpusPath(folder, "model.safetensors.index.json")) ? "model.safetensors.index.json" : "pytorch_model.bin.index.json";
      const idx = readCorpusJson<{ metadata: { total_size: number }; weight_map: Record<string, string> }>(folder, idxFile);
      const config = readCorpusJson(folder);
      const names = Object.keys(idx.weight_map);
      const set = new Set(names);
      const failed = names.filter((n) => !inferTensor(n, config, { names: set }));
      expect(failed).toEqual([]);
      const total = names.reduce((a, n) => a + tensorBytes(inferTensor(n, config, { names: set })!), 0);
      expect(total).toBe(idx.metadata.total_size);
      const synth = synthesizeTensors(config, { gpt2Prefix: "" });
      expect(new Set(synth.map((t) => t.name))).toEqual(set);
    });
  }

  it("reproduces exact parameter counts published for real checkpoints (PARAM_COUNTS.md)", () => {
    const count = (folder: string) => countParameters(synthesizeTensors(readCorpusJson(folder)));
    expect(count("meta-llama__Llama-3.1-8B").total).toBe(8_030_261_248);
    expect(count("tiiuae__falcon-180B-chat").total).toBe(179_522_565_120);
    expect(count("bigscience__bloom").byDtype).toEqual({ BF16: 176_247_271_424 });
    expect(count("HuggingFaceTB__SmolLM3-3B").total).toBe(3_075_098_624);
    const oss = count("openai__gpt-oss-20b").byDtype;
    expect(oss.BF16).toBe(1_804_459_584);
    // U8: 2x blocks (FP4 packed) = 19,110,297,600 params, plus the UE8 scales (597,196,800 elements)
    expect(oss.U8).toBe(19_110_297_600 / 2 + 597_196_800);
  });

  it("DeepSeek-R1 (no index upstream): the synthesized FP8 checkpoint fills the 163 upstream shards to within their headers", () => {
    const folder = "deepseek-ai__DeepSeek-R1";
    const ts = synthesizeTensors(readCorpusJson(folder));
    const data = ts.reduce((a, t) => a + tensorBytes(t), 0);
    const sizes = readFileSync(corpusPath(folder, "lfs_pointer_sizes.tsv"), "utf8")
      .split("\n")
      .filter((l) => l && !l.startsWith("#"))
      .map((l) => Number(l.split("\t")[1]));
    const headers = sizes.reduce((a, b) => a + b, 0) - data - 8 * sizes.length;
    expect(sizes).toHaveLength(163);
    // ~92k tensors x ~130 bytes of header JSON each: the tensor bytes are right to the header
    expect(ts.length).toBe(91_991);
    expect(headers / ts.length).toBeGreaterThan(100);
    expect(headers / ts.length).toBeLessThan(160);
  });
});
