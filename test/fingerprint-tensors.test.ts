import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  architectureKeys,
  buildSignature,
  classifyRecord,
  classifyTensor,
  classifyTensorDetailed,
  countParams,
  featuresFromTensors,
  keyHash,
  normalizeTensorName,
  tensorIndex,
} from "../src/fingerprint/tensors.js";
import type { TensorKind } from "../src/fingerprint/types.js";
import type { TensorRecord } from "../src/sources/types.js";
import { CORPUS_DIR, corpusPath, describeCorpus } from "./support/corpus.js";
import {
  deepSeekTensors,
  gptOssTensors,
  HeaderBuilder,
  LLAMA_31_8B,
  LLAMA_33_70B,
  llamaTensors,
  nameOnly,
} from "./support/tensor-fixtures.js";

// ---------------------------------------------------------------------------------------------
// Normalization
// ---------------------------------------------------------------------------------------------

describe("normalizeTensorName", () => {
  const cases: [string, string, number | null, number | null][] = [
    ["model.layers.3.mlp.experts.7.gate_proj.weight", "model.layers.{L}.mlp.experts.{E}.gate_proj.weight", 3, 7],
    ["model.layers.12.self_attn.q_proj.weight", "model.layers.{L}.self_attn.q_proj.weight", 12, null],
    ["transformer.h.0.attn.c_attn.weight", "transformer.h.{L}.attn.c_attn.weight", 0, null],
    ["h.10.input_layernorm.weight", "h.{L}.input_layernorm.weight", 10, null],
    ["transformer.h.59.self_attention.query_key_value.weight", "transformer.h.{L}.self_attention.query_key_value.weight", 59, null],
    ["model.encoder.layers.5.self_attn.k_proj.weight", "model.encoder.layers.{L}.self_attn.k_proj.weight", 5, null],
    ["model.decoder.layers.2.encoder_attn.q_proj.weight", "model.decoder.layers.{L}.encoder_attn.q_proj.weight", 2, null],
    ["visual.blocks.31.attn.qkv.weight", "visual.blocks.{L}.attn.qkv.weight", 31, null],
    [
      "vision_tower.vision_model.encoder.layers.26.mlp.fc1.weight",
      "vision_tower.vision_model.encoder.layers.{L}.mlp.fc1.weight",
      26,
      null,
    ],
    ["model.vision_model.encoder.layers.4.layer_norm1.bias", "model.vision_model.encoder.layers.{L}.layer_norm1.bias", 4, null],
    ["bert.encoder.layer.11.attention.self.query.weight", "bert.encoder.layer.{L}.attention.self.query.weight", 11, null],
    ["blk.17.ffn_down.weight", "blk.{L}.ffn_down.weight", 17, null],
    // T5: the sub-layer index after the block index stays literal
    ["encoder.block.3.layer.1.DenseReluDense.wi.weight", "encoder.block.{L}.layer.1.DenseReluDense.wi.weight", 3, null],
    // Sequential sub-indices stay literal
    ["visual.merger.mlp.0.weight", "visual.merger.mlp.0.weight", null, null],
    ["model.visual.deepstack_merger_list.2.norm.weight", "model.visual.deepstack_merger_list.2.norm.weight", null, null],
    ["blocks.0.0.conv.weight", "blocks.{L}.0.conv.weight", 0, null],
    ["0.weight", "0.weight", null, null],
    ["model.layers.10", "model.layers.{L}", 10, null],
    ["model.layers.1.block_sparse_moe.experts.0.w1.weight", "model.layers.{L}.block_sparse_moe.experts.{E}.w1.weight", 1, 0],
    ["lm_head.weight", "lm_head.weight", null, null],
  ];
  it.each(cases)("%s", (name, key, layer, expert) => {
    expect(normalizeTensorName(name)).toEqual({ key, layer, expert });
  });
});

// ---------------------------------------------------------------------------------------------
// Classification by family
// ---------------------------------------------------------------------------------------------

describe("classifyTensor", () => {
  const table: [string, TensorKind][] = [
    // modelsig mistakes (prior-art 1.3), fixed
    ["model.layers.0.post_attention_layernorm.weight", "norm"],
    ["model.layers.0.self_attn.q_norm.weight", "attn_q_norm"],
    ["model.layers.0.self_attn.k_norm.weight", "attn_k_norm"],
    ["model.layers.0.mlp.experts.3.gate_proj.weight", "expert"],
    ["model.layers.0.mlp.experts.gate_up_proj_blocks", "expert"],
    ["model.layers.0.mlp.gate.weight", "moe_router"],
    ["bert.encoder.layer.0.attention.output.LayerNorm.weight", "norm"],
    ["bert.embeddings.LayerNorm.gamma", "norm"],
    ["h.0.mlp.c_fc.weight", "ffn_up"],
    ["h.0.ln_1.weight", "norm"],
    ["transformer.h.0.attn.c_attn.weight", "attn_qkv"],
    ["model.layers.0.block_sparse_moe.experts.0.w1.weight", "expert"],
    ["model.layers.0.block_sparse_moe.gate.weight", "moe_router"],
    ["model.layers.0.feed_forward.w1.weight", "ffn_gate"],
    ["lm_head.weight", "lm_head"],
    // GPT-2
    ["wte.weight", "embedding"],
    ["wpe.weight", "position_embedding"],
    ["h.0.attn.c_proj.weight", "attn_o"],
    ["h.0.mlp.c_proj.bias", "ffn_down"],
    ["h.0.ln_2.bias", "norm"],
    ["ln_f.weight", "final_norm"],
    ["h.0.attn.bias", "other"], // causal-mask buffer
    ["h.0.attn.masked_bias", "other"],
    // BERT
    ["bert.embeddings.word_embeddings.weight", "embedding"],
    ["bert.embeddings.position_embeddings.weight", "position_embedding"],
    ["bert.embeddings.token_type_embeddings.weight", "embedding"],
    ["bert.encoder.layer.0.attention.self.query.weight", "attn_q"],
    ["bert.encoder.layer.0.attention.self.key.bias", "attn_k"],
    ["bert.encoder.layer.0.attention.self.value.weight", "attn_v"],
    ["bert.encoder.layer.0.attention.output.dense.weight", "attn_o"],
    ["bert.encoder.layer.0.intermediate.dense.weight", "ffn_up"],
    ["bert.encoder.layer.0.output.dense.weight", "ffn_down"],
    ["bert.encoder.layer.0.output.LayerNorm.beta", "norm"],
    ["bert.pooler.dense.weight", "lm_head"],
    ["cls.predictions.transform.LayerNorm.gamma", "lm_head"],
    ["cls.predictions.bias", "lm_head"],
    ["roberta.embeddings.position_ids", "other"],
    ["lm_head.layer_norm.weight", "lm_head"],
    // T5
    ["shared.weight", "embedding"],
    ["encoder.block.0.layer.0.SelfAttention.q.weight", "attn_q"],
    ["encoder.block.0.layer.0.SelfAttention.o.weight", "attn_o"],
    ["encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", "position_embedding"],
    ["encoder.block.0.layer.0.layer_norm.weight", "norm"],
    ["encoder.block.0.layer.1.DenseReluDense.wi_0.weight", "ffn_gate"],
    ["encoder.block.0.layer.1.DenseReluDense.wi_1.weight", "ffn_up"],
    ["encoder.block.0.layer.1.DenseReluDense.wo.weight", "ffn_down"],
    ["decoder.block.0.layer.1.EncDecAttention.k.weight", "attn_k"],
    ["encoder.final_layer_norm.weight", "final_norm"],
    // Whisper
    ["model.encoder.conv1.weight", "audio"],
    ["model.encoder.embed_positions.weight", "position_embedding"],
    ["model.encoder.layers.0.self_attn.out_proj.weight", "attn_o"],
    ["model.encoder.layers.0.self_attn_layer_norm.weight", "norm"],
    ["model.encoder.layers.0.final_layer_norm.weight", "norm"],
    ["model.encoder.layer_norm.weight", "final_norm"],
    ["model.decoder.layers.0.encoder_attn.v_proj.weight", "attn_v"],
    ["proj_out.weight", "lm_head"],
    // GPT-J / GPT-NeoX / Phi-2 / OPT / Qwen v1 / Baichuan / InternLM2 / Mistral consolidated
    ["transformer.h.0.mlp.fc_in.weight", "ffn_up"],
    ["transformer.h.0.attn.out_proj.weight", "attn_o"],
    ["gpt_neox.embed_in.weight", "embedding"],
    ["gpt_neox.layers.0.attention.query_key_value.weight", "attn_qkv"],
    ["gpt_neox.layers.0.attention.dense.weight", "attn_o"],
    ["gpt_neox.layers.0.attention.rotary_emb.inv_freq", "other"],
    ["gpt_neox.final_layer_norm.weight", "final_norm"],
    ["embed_out.weight", "lm_head"],
    ["model.layers.0.self_attn.dense.weight", "attn_o"],
    ["model.final_layernorm.weight", "final_norm"],
    ["model.decoder.embed_positions.weight", "position_embedding"],
    ["transformer.h.0.mlp.w1.weight", "ffn_up"],
    ["transformer.h.0.mlp.w2.weight", "ffn_gate"],
    ["transformer.h.0.mlp.c_proj.weight", "ffn_down"],
    ["model.layers.0.self_attn.W_pack.weight", "attn_qkv"],
    ["model.tok_embeddings.weight", "embedding"],
    ["model.layers.0.attention.wqkv.weight", "attn_qkv"],
    ["model.layers.0.attention.wo.weight", "attn_o"],
    ["model.layers.0.attention_norm.weight", "norm"],
    ["model.layers.0.feed_forward.w2.weight", "ffn_down"],
    ["model.layers.0.feed_forward.w3.weight", "ffn_up"],
    ["output.weight", "lm_head"],
    ["layers.0.attention.wk.weight", "attn_k"],
    ["tok_embeddings.weight", "embedding"],
    ["norm.weight", "final_norm"],
    // ChatGLM: fused SwiGLU in dense_h_to_4h
    ["transformer.encoder.layers.0.mlp.dense_h_to_4h.weight", "ffn_gate_up"],
    ["transformer.h.0.mlp.dense_h_to_4h.weight", "ffn_up"],
    // DeepSeek MLA + MoE
    ["model.layers.0.self_attn.q_a_proj.weight", "mla_q_a"],
    ["model.layers.0.self_attn.q_a_layernorm.weight", "mla_q_a_norm"],
    ["model.layers.0.self_attn.q_b_proj.weight", "mla_q_b"],
    ["model.layers.0.self_attn.kv_a_proj_with_mqa.weight", "mla_kv_a"],
    ["model.layers.0.self_attn.kv_a_layernorm.weight", "mla_kv_a_norm"],
    ["model.layers.0.self_attn.kv_b_proj.weight", "mla_kv_b"],
    ["model.layers.3.mlp.gate.e_score_correction_bias", "moe_router_bias"],
    ["model.layers.3.mlp.shared_experts.down_proj.weight", "shared_expert"],
    ["model.layers.3.mlp.experts.12.down_proj.weight_scale_inv", "quant_scale"],
    ["model.layers.61.eh_proj.weight", "other"],
    ["model.layers.61.enorm.weight", "norm"],
    ["model.layers.61.shared_head.head.weight", "lm_head"],
    ["model.layers.0.self_attn.indexer.wk.weight", "other"],
    // Qwen2-MoE / Llama 4 / Granite MoE / Jamba / DBRX
    ["model.layers.0.mlp.shared_expert.gate_proj.weight", "shared_expert"],
    ["model.layers.0.mlp.shared_expert_gate.weight", "shared_expert"],
    ["model.layers.0.feed_forward.experts.gate_up_proj", "expert"],
    ["model.layers.0.feed_forward.router.weight", "moe_router"],
    ["model.layers.0.feed_forward.shared_expert.down_proj.weight", "shared_expert"],
    ["model.layers.0.block_sparse_moe.input_linear.weight", "expert"],
    ["model.layers.0.block_sparse_moe.router.layer.weight", "moe_router"],
    ["model.layers.0.shared_mlp.output_linear.weight", "shared_expert"],
    ["transformer.blocks.0.ffn.experts.mlp.w1", "expert"],
    ["transformer.blocks.0.ffn.router.layer.weight", "moe_router"],
    // gpt-oss (HF and original)
    ["model.layers.0.self_attn.sinks", "attn_sinks"],
    ["model.layers.0.mlp.router.bias", "moe_router"],
    ["model.layers.0.mlp.experts.down_proj_bias", "expert"],
    ["model.layers.0.mlp.experts.down_proj_scales", "quant_scale"],
    ["block.0.attn.qkv.weight", "attn_qkv"],
    ["block.0.attn.out.weight", "attn_o"],
    ["block.0.attn.norm.scale", "norm"],
    ["block.0.attn.sinks", "attn_sinks"],
    ["block.0.mlp.gate.weight", "moe_router"],
    ["block.0.mlp.mlp1_weight.blocks", "expert"],
    ["block.0.mlp.mlp1_weight.scales", "quant_scale"],
    ["block.0.mlp.mlp2_bias", "expert"],
    ["embedding.weight", "embedding"],
    ["unembedding.weight", "lm_head"],
    ["norm.scale", "final_norm"],
    // Mamba / Nemotron-H / Jamba / Falcon-H1
    ["backbone.embeddings.weight", "embedding"],
    ["backbone.layers.0.mixer.in_proj.weight", "mamba"],
    ["backbone.layers.0.mixer.conv1d.bias", "mamba"],
    ["backbone.layers.0.mixer.A_log", "mamba"],
    ["backbone.layers.0.mixer.D", "mamba"],
    ["backbone.layers.0.mixer.dt_bias", "mamba"],
    ["backbone.layers.0.mixer.norm.weight", "mamba"],
    ["backbone.layers.0.mixer.out_proj.weight", "mamba"],
    ["backbone.layers.1.mixer.q_proj.weight", "attn_q"],
    ["backbone.layers.1.mixer.o_proj.weight", "attn_o"],
    ["backbone.layers.2.mixer.up_proj.weight", "ffn_up"],
    ["backbone.layers.3.mixer.experts.5.down_proj.weight", "expert"],
    ["backbone.layers.3.mixer.gate.weight", "moe_router"],
    ["backbone.layers.3.mixer.gate.e_score_correction_bias", "moe_router_bias"],
    ["backbone.layers.3.mixer.shared_experts.up_proj.weight", "shared_expert"],
    ["backbone.layers.0.norm.weight", "norm"],
    ["backbone.norm_f.weight", "final_norm"],
    ["model.layers.0.mamba.x_proj.weight", "mamba"],
    ["model.layers.0.mamba.dt_proj.bias", "mamba"],
    ["model.layers.0.mamba.dt_layernorm.weight", "mamba"],
    ["model.layers.0.pre_ff_layernorm.weight", "norm"],
    // Qwen3-Next linear attention, RWKV
    ["model.layers.0.linear_attn.in_proj_qkvz.weight", "linear_attention"],
    ["model.layers.0.linear_attn.A_log", "linear_attention"],
    ["model.layers.0.linear_attn.conv1d.weight", "linear_attention"],
    ["model.layers.0.linear_attn.norm.weight", "linear_attention"],
    ["mtp.fc.weight", "other"],
    ["rwkv.blocks.0.attention.time_decay", "linear_attention"],
    ["rwkv.blocks.0.feed_forward.time_mix_key", "linear_attention"],
    ["time_text_embed.timestep_embedder.linear_1.weight", "other"], // diffusion, not RWKV
    ["rwkv.blocks.0.attention.receptance.weight", "linear_attention"],
    ["rwkv.blocks.0.attention.key.weight", "linear_attention"],
    ["rwkv.blocks.0.feed_forward.key.weight", "ffn_up"],
    ["rwkv.blocks.0.feed_forward.value.weight", "ffn_down"],
    ["rwkv.blocks.0.feed_forward.receptance.weight", "linear_attention"], // output gate, not a GLU gate
    ["rwkv.blocks.0.ln1.weight", "norm"],
    ["rwkv.embeddings.weight", "embedding"],
    ["rwkv.ln_out.weight", "final_norm"],
    ["head.weight", "lm_head"],
    // LFM2 short conv
    ["model.layers.0.conv.conv.weight", "conv"],
    ["model.layers.0.conv.in_proj.weight", "conv"],
    ["model.layers.0.conv.out_proj.weight", "conv"],
    ["model.layers.2.self_attn.out_proj.weight", "attn_o"],
    ["model.layers.2.self_attn.q_layernorm.weight", "attn_q_norm"],
    ["model.layers.0.operator_norm.weight", "norm"],
    ["model.embedding_norm.weight", "final_norm"],
    // Towers and projectors
    ["visual.blocks.0.attn.qkv.weight", "vision"],
    ["visual.merger.mlp.0.weight", "projector"],
    ["model.visual.deepstack_merger_list.0.linear_fc1.weight", "projector"],
    ["vision_tower.vision_model.encoder.layers.0.self_attn.q_proj.weight", "vision"],
    ["multi_modal_projector.mm_input_projection_weight", "projector"],
    ["multi_modal_projector.linear_1.weight", "projector"],
    ["model.vision_embed_tokens.img_projection.0.weight", "projector"],
    ["model.vision_embed_tokens.glb_GN", "vision"],
    ["vision_model.transformer.layers.0.self_attn.q_proj.weight", "vision"],
    ["audio_tower.layers.0.self_attn.q_proj.weight", "audio"],
    ["model.connector.modality_projection.proj.weight", "projector"],
    ["mlp1.1.weight", "projector"],
    // Quantization bookkeeping
    ["model.layers.0.self_attn.q_proj.qweight", "attn_q"],
    ["model.layers.0.self_attn.q_proj.qzeros", "quant_zero"],
    ["model.layers.0.self_attn.q_proj.scales", "quant_scale"],
    ["model.layers.0.self_attn.q_proj.g_idx", "quant_aux"],
    ["model.layers.0.mlp.down_proj.weight_packed", "ffn_down"],
    ["model.layers.0.mlp.down_proj.weight_shape", "quant_aux"],
    ["model.layers.0.mlp.down_proj.weight_zero_point", "quant_zero"],
    ["model.layers.0.mlp.down_proj.weight_scale", "quant_scale"],
    ["model.layers.0.mlp.down_proj.weight_scale_2", "quant_scale"],
    ["model.layers.0.mlp.down_proj.input_scale", "quant_scale"],
    ["model.layers.0.mlp.down_proj.weight_global_scale", "quant_scale"],
    ["model.layers.0.self_attn.k_scale", "quant_scale"],
    ["model.layers.0.mlp.down_proj.SCB", "quant_scale"],
    ["model.layers.0.mlp.down_proj.weight_format", "quant_aux"],
    ["model.layers.0.mlp.down_proj.weight.absmax", "quant_scale"],
    ["model.layers.0.mlp.down_proj.weight.nested_absmax", "quant_scale"],
    ["model.layers.0.mlp.down_proj.weight.quant_map", "quant_aux"],
    ["model.layers.0.mlp.down_proj.weight.quant_state.bitsandbytes__nf4", "quant_aux"],
    ["model.layers.0.mlp.down_proj.biases", "quant_zero"],
    ["model.embed_tokens.scales", "quant_scale"],
    // GGUF
    ["token_embd.weight", "embedding"],
    ["output_norm.weight", "final_norm"],
    ["blk.0.attn_q.weight", "attn_q"],
    ["blk.0.attn_output.weight", "attn_o"],
    ["blk.0.attn_norm.weight", "norm"],
    ["blk.0.ffn_gate_inp.weight", "moe_router"],
    ["blk.0.ffn_down_exps.weight", "expert"],
    ["blk.0.ffn_up_shexp.weight", "shared_expert"],
    ["blk.0.exp_probs_b.bias", "moe_router_bias"],
    ["blk.0.attn_kv_a_mqa.weight", "mla_kv_a"],
    ["blk.0.ssm_conv1d.weight", "mamba"],
    ["v.blk.0.attn_q.weight", "vision"],
    ["rope_freqs.weight", "other"],
    // Mllama cross-attention layers: projections are attention, the scalar tanh gates have no kind
    ["language_model.model.layers.3.cross_attn.q_proj.weight", "attn_q"],
    ["language_model.model.layers.3.cross_attn_attn_gate", "other"],
    // nn.MultiheadAttention, Hunyuan router
    ["model.layers.0.self_attn.in_proj_weight", "attn_qkv"],
    ["model.layers.0.mlp.gate.wg.weight", "moe_router"],
  ];
  it.each(table)("%s -> %s", (name, kind) => {
    expect(classifyTensor(name)).toBe(kind);
  });

  it("gives experts and quant bookkeeping the role of their module", () => {
    expect(classifyTensorDetailed("model.layers.0.block_sparse_moe.experts.1.w2.weight")).toEqual({ kind: "expert", role: "ffn_down", leaf: "weight" });
    expect(classifyTensorDetailed("model.layers.0.mlp.experts.gate_up_proj_blocks")).toEqual({ kind: "expert", role: "ffn_gate_up", leaf: "packed" });
    expect(classifyTensorDetailed("model.layers.0.self_attn.k_proj.qzeros")).toEqual({ kind: "quant_zero", role: "attn_k", leaf: "quant" });
    expect(classifyTensorDetailed("model.layers.0.mlp.up_proj.weight.absmax").role).toBe("ffn_up");
    expect(classifyTensorDetailed("visual.blocks.0.attn.qkv.weight").role).toBe("attn_qkv");
  });

  it("classifies normalized keys like raw names", () => {
    expect(classifyTensor("model.layers.{L}.mlp.experts.{E}.up_proj.weight")).toBe("expert");
    expect(classifyTensor("model.layers.{L}.input_layernorm.weight")).toBe("norm");
    expect(classifyTensor("model.layers.{L}.self_attn.q_proj.g_idx")).toBe("quant_aux");
  });

  it("treats exponent-only dtypes as scales whatever the name", () => {
    expect(classifyRecord({ name: "model.layers.0.attn.wkv.scale", dtype: "F8_E8M0" }).kind).toBe("quant_scale");
    expect(classifyRecord({ name: "block.0.attn.norm.scale", dtype: "BF16" }).kind).toBe("norm");
  });
});

// ---------------------------------------------------------------------------------------------
// Every tensor of every corpus weight map
// ---------------------------------------------------------------------------------------------

/** Tensors allowed to stay "other", with the reason. */
const ALLOWED_OTHER: Record<string, string> = {
  "transformer.rotary_pos_emb.inv_freq": "ChatGLM3 rotary inverse-frequency buffer (not a learned weight)",
};

function weightMaps(): { folder: string; file: string; names: string[] }[] {
  const out: { folder: string; file: string; names: string[] }[] = [];
  for (const folder of readdirSync(CORPUS_DIR).sort()) {
    for (const file of ["model.safetensors.index.json", "pytorch_model.bin.index.json"]) {
      const p = corpusPath(folder, file);
      if (!existsSync(p)) continue;
      const j = JSON.parse(readFileSync(p, "utf8")) as { weight_map?: Record<string, string> };
      out.push({ folder, file, names: Object.keys(j.weight_map ?? {}) });
    }
  }
  return out;
}

/** Tensor entries (name, dtype, shape) from model_files.json "sample_tensors" listings. */
function sampleTensors(folder: string): TensorRecord[] {
  const p = corpusPath(folder, "model_files.json");
  if (!existsSync(p)) return [];
  const text = readFileSync(p, "utf8");
  const out = new Map<string, TensorRecord>();
  const re = /- ([\w.]+): shape=\[([\d,]*)\], dtype=(\w+)/g;
  for (const m of text.matchAll(re)) {
    const shape = m[2] ? m[2].split(",").map(Number) : [];
    out.set(m[1]!, { name: m[1]!, dtype: m[3]!, shape, file: "x", begin: 0, end: 0 });
  }
  return [...out.values()];
}

function kindsOf(names: readonly string[]): Map<string, TensorKind> {
  const m = new Map<string, TensorKind>();
  for (const n of names) m.set(normalizeTensorName(n).key, classifyTensor(n));
  return m;
}

describeCorpus("corpus weight maps", () => {
  const maps = weightMaps();

  it("finds the weight maps", () => {
    expect(maps.length).toBeGreaterThanOrEqual(20);
  });

  it("classifies every tensor of every weight map (no unexplained 'other')", () => {
    const unexplained: string[] = [];
    let total = 0;
    for (const { folder, file, names } of maps) {
      for (const n of names) {
        total++;
        if (classifyTensor(n) === "other" && !(n in ALLOWED_OTHER)) unexplained.push(`${folder}/${file}: ${n}`);
      }
    }
    expect(total).toBeGreaterThan(10_000);
    expect(unexplained).toEqual([]);
  });

  it("classifies the sample tensors of model_files.json and gpt-oss original/dtypes.json", () => {
    const names: string[] = [];
    for (const f of ["LiquidAI__LFM2-1.2B", "HuggingFaceTB__SmolLM3-3B", "mistralai__Devstral-Small-2507"]) {
      names.push(...sampleTensors(f).map((t) => t.name));
    }
    const dtypes = JSON.parse(readFileSync(corpusPath("openai__gpt-oss-20b", "original__dtypes.json"), "utf8")) as Record<string, string>;
    names.push(...Object.keys(dtypes));
    expect(names.length).toBeGreaterThan(100);
    expect(names.filter((n) => classifyTensor(n) === "other")).toEqual([]);
    expect(classifyTensor("model.layers.0.conv.conv.weight")).toBe("conv");
    expect(classifyTensor("layers.0.attention.wo.weight")).toBe("attn_o");
  });

  const byFolder = (folder: string) => {
    const m = maps.find((x) => x.folder === folder && x.file === "model.safetensors.index.json") ?? maps.find((x) => x.folder === folder);
    if (!m) throw new Error(`no weight map for ${folder}`);
    return m.names;
  };

  it("Llama (Reflection-70B): plain decoder kinds only", () => {
    const k = kindsOf(byFolder("mattshumer__Reflection-Llama-3.1-70B"));
    expect(new Set(k.values())).toEqual(
      new Set<TensorKind>(["embedding", "lm_head", "final_norm", "norm", "attn_q", "attn_k", "attn_v", "attn_o", "ffn_gate", "ffn_up", "ffn_down"]),
    );
    const f = featuresFromTensors(nameOnly(byFolder("mattshumer__Reflection-Llama-3.1-70B")), buildSignature(nameOnly([])));
    expect(f.features).toMatchObject({ attentionFamily: "standard", moe: false, ffnFamily: "gated", normPlacement: "pre", tiedEmbeddings: false, qkvBias: false, qkNorm: false, modality: [] });
    expect(f.scale.layers).toBe(80);
  });

  it("Qwen2-VL (olmOCR): vision tower and merger projector", () => {
    const names = byFolder("allenai__olmOCR-7B-0225-preview");
    const k = kindsOf(names);
    expect(k.get("visual.blocks.{L}.attn.qkv.weight")).toBe("vision");
    expect(k.get("visual.merger.mlp.0.weight")).toBe("projector");
    expect(k.get("visual.patch_embed.proj.weight")).toBe("vision");
    const f = featuresFromTensors(nameOnly(names), buildSignature([]));
    expect(f.features.modality).toEqual(["vision"]);
    expect(f.features.qkvBias).toBe(true);
    expect(f.features.outputBias).toBe(false);
    expect(f.scale.layers).toBe(28);
    expect(f.facts.stack).toBe("model.layers");
  });

  it("gpt-oss-20b: sinks, router, MXFP4 experts", () => {
    const names = byFolder("openai__gpt-oss-20b");
    const k = kindsOf(names);
    expect(k.get("model.layers.{L}.self_attn.sinks")).toBe("attn_sinks");
    expect(k.get("model.layers.{L}.mlp.router.weight")).toBe("moe_router");
    expect(k.get("model.layers.{L}.mlp.experts.gate_up_proj_blocks")).toBe("expert");
    expect(k.get("model.layers.{L}.mlp.experts.gate_up_proj_scales")).toBe("quant_scale");
    expect(k.get("model.layers.{L}.mlp.experts.gate_up_proj_bias")).toBe("expert");
    const f = featuresFromTensors(nameOnly(names), buildSignature([]));
    expect(f.features).toMatchObject({ attentionSinks: true, moe: true, sharedExperts: false, denseLayerPrefix: 0, mlpBias: true, qkvBias: true, outputBias: true, ffnFamily: "gated" });
    expect(f.features.weightFormat).toBe("mxfp4");
    expect(f.scale.layers).toBe(24);
  });

  it("WizardLM-2-8x22B (Mixtral): 8 experts per layer, block_sparse_moe.gate router", () => {
    const names = byFolder("microsoft__WizardLM-2-8x22B");
    const k = kindsOf(names);
    expect(k.get("model.layers.{L}.block_sparse_moe.gate.weight")).toBe("moe_router");
    expect(k.get("model.layers.{L}.block_sparse_moe.experts.{E}.w2.weight")).toBe("expert");
    const f = featuresFromTensors(nameOnly(names), buildSignature([]));
    expect(f.facts.expertsPerLayer).toBe(8);
    expect(f.features).toMatchObject({ moe: true, sharedExperts: false, denseLayerPrefix: 0, ffnFamily: "gated", mlpBias: false });
    expect(f.scale.layers).toBe(56);
  });

  it("BLOOM: fused qkv, dense as output projection, LayerNorm with bias, embedding norm", () => {
    const names = byFolder("bigscience__bloom");
    const k = kindsOf(names);
    expect(k.get("h.{L}.self_attention.query_key_value.weight")).toBe("attn_qkv");
    expect(k.get("h.{L}.self_attention.dense.weight")).toBe("attn_o");
    expect(k.get("word_embeddings_layernorm.weight")).toBe("norm");
    expect(k.get("ln_f.weight")).toBe("final_norm");
    const f = featuresFromTensors(nameOnly(names), buildSignature([]));
    expect(f.features).toMatchObject({ normKind: "layernorm", normPlacement: "pre", ffnFamily: "plain", qkvBias: true, outputBias: true, mlpBias: true, tiedEmbeddings: true });
    expect(f.features.positionEncoding).toBeUndefined(); // ALiBi has no tensors: unknown, not guessed
    expect(f.scale.layers).toBe(70);
  });

  it("Falcon: parallel attention/MLP (one norm in 7B, ln_attn + ln_mlp in 40B/180B)", () => {
    for (const folder of ["tiiuae__falcon-7b-instruct", "tiiuae__falcon-40b", "tiiuae__falcon-180B-chat"]) {
      const f = featuresFromTensors(nameOnly(byFolder(folder)), buildSignature([]));
      expect(f.features.normPlacement, folder).toBe("parallel");
      expect(f.features.normKind, folder).toBe("layernorm");
      expect(f.features.ffnFamily, folder).toBe("plain");
    }
  });

  it("Phi-3: fused qkv_proj and gate_up_proj", () => {
    const names = byFolder("microsoft__Phi-3.5-mini-instruct");
    const k = kindsOf(names);
    expect(k.get("model.layers.{L}.self_attn.qkv_proj.weight")).toBe("attn_qkv");
    expect(k.get("model.layers.{L}.mlp.gate_up_proj.weight")).toBe("ffn_gate_up");
    expect(featuresFromTensors(nameOnly(names), buildSignature([])).features.ffnFamily).toBe("gated");
  });

  it("bnb int8 Llama copy: SCB / weight_format are bookkeeping, architecture keys = plain Llama", () => {
    const names = byFolder("jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy");
    const k = kindsOf(names);
    expect(k.get("model.layers.{L}.mlp.down_proj.SCB")).toBe("quant_scale");
    expect(k.get("model.layers.{L}.mlp.down_proj.weight_format")).toBe("quant_aux");
    const sig = buildSignature(nameOnly(names, (n) => (n.endsWith(".SCB") ? "F32" : n.endsWith("weight_format") ? "U8" : "I8")));
    const ref = buildSignature(nameOnly(byFolder("mattshumer__Reflection-Llama-3.1-70B")));
    expect(architectureKeys(sig)).toEqual(architectureKeys(ref));
  });

  it("MLX 4-bit Qwen3-14B: scales / biases are bookkeeping, architecture keys = MLX bf16 Qwen3", () => {
    const names = byFolder("derivative__Qwen3-14B-MLX-4bit");
    const k = kindsOf(names);
    expect(k.get("model.layers.{L}.mlp.down_proj.scales")).toBe("quant_scale");
    expect(k.get("model.layers.{L}.mlp.down_proj.biases")).toBe("quant_zero");
    const q = architectureKeys(buildSignature(nameOnly(names)));
    const plain = architectureKeys(buildSignature(nameOnly(byFolder("derivative__Qwen3-1.7B-MLX"))));
    // the 14B has an untied lm_head; the 1.7B ties it
    expect(q.filter((x) => x !== "lm_head.weight")).toEqual(plain);
    const f = featuresFromTensors(nameOnly(names, (n) => (n.endsWith(".weight") && !/norm/.test(n) ? "U32" : "BF16")), buildSignature([]));
    expect(f.features.qkNorm).toBe(true);
    expect(f.features.weightFormat?.startsWith("mlx")).toBe(true);
  });

  it("medgemma (Gemma 3 + SigLIP): vision tower, projector, sandwich norms", () => {
    const names = byFolder("google__medgemma-27b-it");
    const k = kindsOf(names);
    expect(k.get("multi_modal_projector.mm_input_projection_weight")).toBe("projector");
    expect(k.get("multi_modal_projector.mm_soft_emb_norm.weight")).toBe("projector");
    expect(k.get("vision_tower.vision_model.encoder.layers.{L}.self_attn.out_proj.weight")).toBe("vision");
    expect(k.get("language_model.model.layers.{L}.pre_feedforward_layernorm.weight")).toBe("norm");
    const f = featuresFromTensors(nameOnly(names), buildSignature([]));
    expect(f.features).toMatchObject({ modality: ["vision"], normPlacement: "sandwich", qkNorm: true, tiedEmbeddings: true });
    expect(f.facts.towers).toEqual(["projector", "vision"]);
    expect(f.scale.layers).toBe(62);
  });

  it("Cosmos-Reason2 (Qwen3-VL): deepstack mergers are projectors", () => {
    const k = kindsOf(byFolder("nvidia__Cosmos-Reason2-8B"));
    expect(k.get("model.visual.deepstack_merger_list.1.linear_fc2.weight")).toBe("projector");
    expect(k.get("model.visual.blocks.{L}.mlp.linear_fc1.weight")).toBe("vision");
    expect(k.get("model.language_model.norm.weight")).toBe("final_norm");
  });

  it("ChatGLM3: fused gate/up, pre norm, rope from the inv_freq buffer", () => {
    const names = maps.find((m) => m.folder === "THUDM__chatglm3-6b")!.names;
    const f = featuresFromTensors(nameOnly(names), buildSignature([]));
    expect(f.features).toMatchObject({ ffnFamily: "gated", normPlacement: "pre", positionEncoding: "rope", qkvBias: true, outputBias: false });
  });

  it("LFM2 sample tensors: short-conv layers with real shapes", () => {
    const t = sampleTensors("LiquidAI__LFM2-1.2B");
    expect(t.find((x) => x.name === "model.layers.0.conv.conv.weight")?.shape).toEqual([2048, 1, 3]);
    expect(classifyTensor("model.layers.0.conv.in_proj.weight")).toBe("conv");
  });
});

// ---------------------------------------------------------------------------------------------
// Signature
// ---------------------------------------------------------------------------------------------

describe("buildSignature", () => {
  it("takes the first-seen shape by layer / expert number, not file order", () => {
    const b = new HeaderBuilder();
    b.add("model.layers.10.mlp.down_proj.weight", "BF16", [64, 999]);
    b.add("model.layers.2.mlp.down_proj.weight", "BF16", [64, 128]);
    b.add("model.layers.2.mlp.experts.10.up_proj.weight", "BF16", [7, 7]);
    b.add("model.layers.2.mlp.experts.2.up_proj.weight", "F32", [32, 64]);
    b.add("model.layers.1.mlp.experts.9.up_proj.weight", "BF16", [16, 64]);
    const sig = buildSignature(b.tensors);
    expect(sig.keys["model.layers.{L}.mlp.down_proj.weight"]).toEqual({ shape: [64, 128], dtype: "BF16", count: 2, kind: "ffn_down" });
    expect(sig.keys["model.layers.{L}.mlp.experts.{E}.up_proj.weight"]).toEqual({ shape: [16, 64], dtype: "BF16", count: 3, kind: "expert" });
    expect(Object.keys(sig.keys)).toEqual([...Object.keys(sig.keys)].sort());
  });

  it("DeepSeek-like MoE: 3 dense layers, 256 experts, MLA, FP8 block scales", () => {
    const t = deepSeekTensors({ denseLayers: 3, moeLayers: 2, experts: 256, mtp: true, fp8: true, reverse: true });
    const sig = buildSignature(t);
    expect(sig.keys["model.layers.{L}.mlp.experts.{E}.gate_proj.weight"]).toEqual({ shape: [2048, 7168], dtype: "F8_E4M3", count: 3 * 256, kind: "expert" });
    expect(sig.keys["model.layers.{L}.mlp.experts.{E}.down_proj.weight_scale_inv"]).toEqual({ shape: [56, 16], dtype: "F32", count: 3 * 256, kind: "quant_scale" });
    expect(sig.keys["model.layers.{L}.mlp.gate_proj.weight"]).toEqual({ shape: [18432, 7168], dtype: "F8_E4M3", count: 3, kind: "ffn_gate" });
    expect(sig.keys["model.layers.{L}.mlp.gate.weight"]).toEqual({ shape: [256, 7168], dtype: "BF16", count: 3, kind: "moe_router" });
    expect(sig.keys["model.layers.{L}.mlp.gate.e_score_correction_bias"]?.kind).toBe("moe_router_bias");
    expect(sig.keys["model.layers.{L}.mlp.shared_experts.up_proj.weight"]?.kind).toBe("shared_expert");
    expect(sig.keys["model.layers.{L}.self_attn.kv_a_proj_with_mqa.weight"]).toEqual({ shape: [576, 7168], dtype: "F8_E4M3", count: 6, kind: "mla_kv_a" });
    expect(sig.keys["model.layers.{L}.self_attn.q_a_layernorm.weight"]?.kind).toBe("mla_q_a_norm");
    expect(sig.keys["model.layers.{L}.eh_proj.weight"]?.kind).toBe("other");
    expect(sig.kinds.expert).toBe(3 * 256 * 3);
    expect(sig.kinds.quant_scale).toBe(t.filter((x) => x.name.endsWith("weight_scale_inv")).length);
    expect(sig.kinds.mla_kv_b).toBe(6);

    const f = featuresFromTensors(t, sig, { heads: 128 });
    expect(f.features).toMatchObject({
      attentionFamily: "mla",
      mla: "qk_nope=128,qk_rope=64,v=128,q_lora=yes",
      moe: true,
      sharedExperts: true,
      denseLayerPrefix: 3,
      ffnFamily: "gated",
      mlpBias: false,
      normPlacement: "pre",
      qkNorm: false,
      tiedEmbeddings: false,
      weightFormat: "fp8-e4m3-block",
      modality: [],
    });
    expect(f.features.kvGrouping).toBeUndefined();
    expect(f.features.headDim).toBeUndefined();
    expect(f.scale).toMatchObject({ layers: 5, hiddenSize: 7168, vocabSize: 129280, experts: 256, intermediateSize: 18432, moeIntermediateSize: 2048, kvLoraRank: 512, qLoraRank: 1536, heads: 128 });
    expect(f.facts).toMatchObject({ mtpLayers: 1, expertsPerLayer: 256, layerFfn: ["dense", "dense", "dense", "moe", "moe"], layerMixers: ["mla", "mla", "mla", "mla", "mla"] });
    // the MTP glue is the only unclassified key, and it is explained (not flagged as unknown role)
    expect(f.facts.unclassified).toEqual(["model.layers.{L}.eh_proj.weight"]);
  });
});

// ---------------------------------------------------------------------------------------------
// Features from tensors with real shapes
// ---------------------------------------------------------------------------------------------

describe("featuresFromTensors", () => {
  it("Llama-3.1-8B: GQA 8 with the config's heads, head_dim 128", () => {
    const t = llamaTensors("bf16");
    const f = featuresFromTensors(t, buildSignature(t), { heads: 32, kvHeads: 8, headDim: 128 });
    expect(f.features).toMatchObject({ attentionFamily: "standard", kvGrouping: "GQA", headDim: 128, qkvBias: false, outputBias: false, mlpBias: false, ffnFamily: "gated", moe: false, tiedEmbeddings: false, weightFormat: "bf16" });
    expect(f.scale).toEqual({ layers: 32, hiddenSize: 4096, vocabSize: 128256, intermediateSize: 14336, heads: 32, kvHeads: 8 });
    expect(f.findings).toEqual([]);
  });

  it("reports a config that disagrees with the tensors (tensors win)", () => {
    const t = llamaTensors("bf16");
    const f = featuresFromTensors(t, buildSignature(t), { heads: 32, kvHeads: 4, headDim: 128 });
    expect(f.scale.kvHeads).toBe(8);
    expect(f.findings.map((x) => [x.code, x.key])).toEqual([["TENSOR_CONFIG_MISMATCH", "kvHeads"]]);
  });

  it("without config heads, only what tensors decide: MHA when q and k rows match, else nothing", () => {
    const t = llamaTensors("bf16");
    const f = featuresFromTensors(t, buildSignature(t));
    expect(f.features.kvGrouping).toBeUndefined();
    expect(f.features.headDim).toBeUndefined();
    const mha = llamaTensors("bf16", { ...LLAMA_31_8B, kvHeads: 32, layers: 2 });
    expect(featuresFromTensors(mha, buildSignature(mha)).features.kvGrouping).toBe("MHA");
  });

  it("Qwen3-style per-head q_norm gives head_dim without the config", () => {
    const b = new HeaderBuilder();
    b.add("model.embed_tokens.weight", "BF16", [151936, 4096]);
    b.add("model.layers.0.input_layernorm.weight", "BF16", [4096]);
    b.add("model.layers.0.post_attention_layernorm.weight", "BF16", [4096]);
    b.add("model.layers.0.self_attn.q_proj.weight", "BF16", [4096, 4096]);
    b.add("model.layers.0.self_attn.k_proj.weight", "BF16", [1024, 4096]);
    b.add("model.layers.0.self_attn.v_proj.weight", "BF16", [1024, 4096]);
    b.add("model.layers.0.self_attn.o_proj.weight", "BF16", [4096, 4096]);
    b.add("model.layers.0.self_attn.q_norm.weight", "BF16", [128]);
    b.add("model.layers.0.self_attn.k_norm.weight", "BF16", [128]);
    b.add("model.layers.0.mlp.gate_proj.weight", "BF16", [12288, 4096]);
    b.add("model.layers.0.mlp.up_proj.weight", "BF16", [12288, 4096]);
    b.add("model.layers.0.mlp.down_proj.weight", "BF16", [4096, 12288]);
    b.add("model.norm.weight", "BF16", [4096]);
    const f = featuresFromTensors(b.tensors, buildSignature(b.tensors));
    expect(f.features).toMatchObject({ headDim: 128, kvGrouping: "GQA", qkNorm: true, tiedEmbeddings: true });
    expect(f.scale).toMatchObject({ heads: 32, kvHeads: 8, intermediateSize: 12288 });
    // config claiming head_dim 64 is contradicted by the q_norm width
    const g = featuresFromTensors(b.tensors, buildSignature(b.tensors), { heads: 32, headDim: 64 });
    expect(g.features.headDim).toBe(128);
    expect(g.findings.some((x) => x.key === "headDim")).toBe(true);
  });

  it("gpt-oss: heads from the sinks, GQA 8 x 64 from tensors alone", () => {
    const t = gptOssTensors(2, 32);
    const f = featuresFromTensors(t, buildSignature(t));
    expect(f.features).toMatchObject({ attentionSinks: true, headDim: 64, kvGrouping: "GQA", moe: true, weightFormat: "mxfp4", mlpBias: true });
    expect(f.scale).toMatchObject({ heads: 64, kvHeads: 8, experts: 32, moeIntermediateSize: 2880, hiddenSize: 2880, vocabSize: 201088 });
  });

  it("GPT-2 (Conv1D layout): learned positions, tied, fused qkv with config heads", () => {
    const b = new HeaderBuilder();
    b.add("wte.weight", "F32", [50257, 768]);
    b.add("wpe.weight", "F32", [1024, 768]);
    for (let l = 0; l < 2; l++) {
      b.add(`h.${l}.ln_1.weight`, "F32", [768]).add(`h.${l}.ln_1.bias`, "F32", [768]);
      b.add(`h.${l}.attn.bias`, "F32", [1, 1, 1024, 1024]);
      b.add(`h.${l}.attn.c_attn.weight`, "F32", [768, 2304]).add(`h.${l}.attn.c_attn.bias`, "F32", [2304]);
      b.add(`h.${l}.attn.c_proj.weight`, "F32", [768, 768]).add(`h.${l}.attn.c_proj.bias`, "F32", [768]);
      b.add(`h.${l}.ln_2.weight`, "F32", [768]).add(`h.${l}.ln_2.bias`, "F32", [768]);
      b.add(`h.${l}.mlp.c_fc.weight`, "F32", [768, 3072]).add(`h.${l}.mlp.c_fc.bias`, "F32", [3072]);
      b.add(`h.${l}.mlp.c_proj.weight`, "F32", [3072, 768]).add(`h.${l}.mlp.c_proj.bias`, "F32", [768]);
    }
    b.add("ln_f.weight", "F32", [768]).add("ln_f.bias", "F32", [768]);
    const f = featuresFromTensors(b.tensors, buildSignature(b.tensors), { heads: 12, kvHeads: 12, headDim: 64 });
    expect(f.features).toMatchObject({
      positionEncoding: "learned",
      tiedEmbeddings: true,
      normKind: "layernorm",
      normPlacement: "pre",
      ffnFamily: "plain",
      qkvBias: true,
      outputBias: true,
      mlpBias: true,
      kvGrouping: "MHA",
      headDim: 64,
      weightFormat: "fp32",
    });
    expect(f.scale).toMatchObject({ layers: 2, hiddenSize: 768, intermediateSize: 3072, vocabSize: 50257, kvHeads: 12 });
    expect(f.facts.unclassified).toEqual(["h.{L}.attn.bias"]);
    expect(f.findings.filter((x) => x.code === "TENSOR_UNCLASSIFIED")).toEqual([]); // a buffer, explained
  });

  it("T5: encoder-decoder with relative position bias, decoder stack is the main one", () => {
    const b = new HeaderBuilder();
    b.add("shared.weight", "F32", [32128, 512]);
    for (const side of ["encoder", "decoder"]) {
      for (let l = 0; l < 2; l++) {
        const p = `${side}.block.${l}.layer`;
        b.add(`${p}.0.SelfAttention.q.weight`, "F32", [512, 512]).add(`${p}.0.SelfAttention.k.weight`, "F32", [512, 512]);
        b.add(`${p}.0.SelfAttention.v.weight`, "F32", [512, 512]).add(`${p}.0.SelfAttention.o.weight`, "F32", [512, 512]);
        if (l === 0) b.add(`${p}.0.SelfAttention.relative_attention_bias.weight`, "F32", [32, 8]);
        b.add(`${p}.0.layer_norm.weight`, "F32", [512]);
        let ff = 1;
        if (side === "decoder") {
          b.add(`${p}.1.EncDecAttention.q.weight`, "F32", [512, 512]).add(`${p}.1.EncDecAttention.k.weight`, "F32", [512, 512]);
          b.add(`${p}.1.EncDecAttention.v.weight`, "F32", [512, 512]).add(`${p}.1.EncDecAttention.o.weight`, "F32", [512, 512]);
          b.add(`${p}.1.layer_norm.weight`, "F32", [512]);
          ff = 2;
        }
        b.add(`${p}.${ff}.DenseReluDense.wi.weight`, "F32", [2048, 512]).add(`${p}.${ff}.DenseReluDense.wo.weight`, "F32", [512, 2048]);
        b.add(`${p}.${ff}.layer_norm.weight`, "F32", [512]);
      }
      b.add(`${side}.final_layer_norm.weight`, "F32", [512]);
    }
    const f = featuresFromTensors(b.tensors, buildSignature(b.tensors));
    expect(f.features).toMatchObject({ topology: "encoder-decoder", positionEncoding: "relative", normPlacement: "pre", ffnFamily: "plain", tiedEmbeddings: true });
    expect(f.facts.stack).toBe("decoder.block");
    expect(f.facts.stacks).toEqual({ "encoder.block": 2, "decoder.block": 2 });
  });

  it("norm placement: Gemma sandwich, OLMo 2 post, BERT post, single norm parallel, GPT-NeoX left to config", () => {
    const layer = (norms: string[], prefix = "model.layers") => {
      const b = new HeaderBuilder();
      for (const n of norms) b.add(`${prefix}.0.${n}.weight`, "BF16", [64]);
      b.add(`${prefix}.0.self_attn.q_proj.weight`, "BF16", [64, 64]).add(`${prefix}.0.mlp.up_proj.weight`, "BF16", [128, 64]);
      return featuresFromTensors(b.tensors, buildSignature(b.tensors)).features.normPlacement;
    };
    expect(layer(["input_layernorm", "post_attention_layernorm", "pre_feedforward_layernorm", "post_feedforward_layernorm"])).toBe("sandwich");
    expect(layer(["post_attention_layernorm", "post_feedforward_layernorm"])).toBe("post");
    expect(layer(["input_layernorm", "post_attention_layernorm"])).toBe("pre");
    expect(layer(["input_layernorm"])).toBe("parallel");
    expect(layer(["input_layernorm", "post_attention_layernorm"], "gpt_neox.layers")).toBeUndefined();
    expect(layer(["self_attn_layer_norm", "final_layer_norm"])).toBeUndefined(); // Whisper (pre) and BART (post) share names
    expect(layer(["attention.output.LayerNorm", "output.LayerNorm"], "bert.encoder.layer")).toBe("post");
  });

  it("flags layer gaps and counts layers as max index + 1", () => {
    const t = llamaTensors("bf16", { ...LLAMA_31_8B, layers: 4 }).filter((x) => !x.name.startsWith("model.layers.2."));
    const f = featuresFromTensors(t, buildSignature(t));
    expect(f.scale.layers).toBe(4);
    expect(f.findings.map((x) => x.code)).toContain("TENSOR_LAYER_GAP");
  });

  it("does not derive bias features from AutoGPTQ zero biases", () => {
    const t = llamaTensors("gptq", { ...LLAMA_31_8B, layers: 2 }, { gptqBias: true });
    const f = featuresFromTensors(t, buildSignature(t), { heads: 32, kvHeads: 8, headDim: 128 });
    expect(f.facts.quantizerBiases).toBe(true);
    expect(f.features.qkvBias).toBeUndefined();
    expect(f.features.mlpBias).toBeUndefined();
    expect(f.features.kvGrouping).toBe("GQA");
  });
});

// ---------------------------------------------------------------------------------------------
// Parameter counts (PARAM_COUNTS.md A1, huggingface.js figures) on crafted header lists
// ---------------------------------------------------------------------------------------------

describe("countParams reproduces the huggingface.js A1 figures", () => {
  it("openai/gpt-oss-20b: BF16 1,804,459,584 + U8 blocks x2 19,110,297,600 = 20,914,757,184", () => {
    const t = gptOssTensors(24, 32);
    const c = countParams(t);
    expect(c.byDtype).toEqual({ BF16: 1_804_459_584, U8: 19_110_297_600 });
    expect(c.total).toBe(20_914_757_184);
    // real bytes include the UE8 scales: the index's metadata.total_size
    expect(c.bytes.total).toBe(13_761_264_768);
    expect(c.routedExpert).toBe(19_110_297_600 + 24 * 32 * (2880 + 5760));
  });

  it("openai/gpt-oss-120b: 116,829,156,672", () => {
    const c = countParams(gptOssTensors(36, 128));
    expect(c.byDtype).toEqual({ BF16: 2_167_371_072, U8: 114_661_785_600 });
    expect(c.total).toBe(116_829_156_672);
  });

  it("unsloth/Meta-Llama-3.1-8B-Instruct-bnb-4bit: 8,030,261,248 (absmax / quant_map / quant_state excluded)", () => {
    const c = countParams(llamaTensors("bnb-nf4"));
    expect(c.byDtype).toEqual({ BF16: 1_050_939_392, U8: 6_979_321_856 });
    expect(c.total).toBe(8_030_261_248);
  });

  it("RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16 (GPTQ + per-linear F16 bias): 8,031,637,504", () => {
    const c = countParams(llamaTensors("gptq", LLAMA_31_8B, { gptqBias: true }));
    expect(c.byDtype).toEqual({ I32: 6_979_321_856, F16: 1_052_315_648 });
    expect(c.total).toBe(8_031_637_504);
  });

  it("RedHatAI/Llama-3.3-70B-Instruct-quantized.w4a16 (compressed-tensors): 70,553,706,496", () => {
    const t = llamaTensors("ct-w4a16", LLAMA_33_70B).map((x) => (x.name === "lm_head.weight" ? x : x));
    const c = countParams(t);
    expect(c.byDtype).toEqual({ I32: 68_451_041_280, BF16: 2_102_665_216 });
    expect(c.total).toBe(70_553_706_496);
  });

  it("google-bert/bert-base-uncased: F32 110,106,428", () => {
    const b = new HeaderBuilder();
    const ln = (p: string) => b.add(`${p}.gamma`, "F32", [768]).add(`${p}.beta`, "F32", [768]);
    const lin = (p: string, o: number, i: number) => b.add(`${p}.weight`, "F32", [o, i]).add(`${p}.bias`, "F32", [o]);
    b.add("bert.embeddings.word_embeddings.weight", "F32", [30522, 768]);
    b.add("bert.embeddings.position_embeddings.weight", "F32", [512, 768]);
    b.add("bert.embeddings.token_type_embeddings.weight", "F32", [2, 768]);
    ln("bert.embeddings.LayerNorm");
    for (let l = 0; l < 12; l++) {
      const p = `bert.encoder.layer.${l}`;
      lin(`${p}.attention.self.query`, 768, 768);
      lin(`${p}.attention.self.key`, 768, 768);
      lin(`${p}.attention.self.value`, 768, 768);
      lin(`${p}.attention.output.dense`, 768, 768);
      ln(`${p}.attention.output.LayerNorm`);
      lin(`${p}.intermediate.dense`, 3072, 768);
      lin(`${p}.output.dense`, 768, 3072);
      ln(`${p}.output.LayerNorm`);
    }
    lin("bert.pooler.dense", 768, 768);
    b.add("cls.predictions.bias", "F32", [30522]);
    lin("cls.predictions.transform.dense", 768, 768);
    ln("cls.predictions.transform.LayerNorm");
    lin("cls.seq_relationship", 2, 768);
    expect(b.tensors.find((x) => x.name === "bert.embeddings.LayerNorm.beta")).toMatchObject({ dtype: "F32", shape: [768], begin: 93_763_584 + 1_572_864 + 6_144 + 3_072, end: 93_763_584 + 1_572_864 + 6_144 + 6_144 });
    const c = countParams(b.tensors);
    expect(c.byDtype).toEqual({ F32: 110_106_428 });
    const f = featuresFromTensors(b.tensors, buildSignature(b.tensors), { heads: 12, kvHeads: 12, headDim: 64 });
    expect(f.features).toMatchObject({ positionEncoding: "learned", normPlacement: "post", normKind: "layernorm", ffnFamily: "plain", kvGrouping: "MHA" });
    expect(f.features.tiedEmbeddings).toBeUndefined(); // encoder-only naming: not decided from tensors
  });

  it("roberta-base: F32 124,697,433 + I64 514 (the position_ids buffer, counted as huggingface.js does)", () => {
    const b = new HeaderBuilder();
    const ln = (p: string) => b.add(`${p}.weight`, "F32", [768]).add(`${p}.bias`, "F32", [768]);
    const lin = (p: string, o: number, i: number) => b.add(`${p}.weight`, "F32", [o, i]).add(`${p}.bias`, "F32", [o]);
    b.add("roberta.embeddings.word_embeddings.weight", "F32", [50265, 768]);
    b.add("roberta.embeddings.position_embeddings.weight", "F32", [514, 768]);
    b.add("roberta.embeddings.token_type_embeddings.weight", "F32", [1, 768]);
    b.add("roberta.embeddings.position_ids", "I64", [1, 514]);
    ln("roberta.embeddings.LayerNorm");
    for (let l = 0; l < 12; l++) {
      const p = `roberta.encoder.layer.${l}`;
      lin(`${p}.attention.self.query`, 768, 768);
      lin(`${p}.attention.self.key`, 768, 768);
      lin(`${p}.attention.self.value`, 768, 768);
      lin(`${p}.attention.output.dense`, 768, 768);
      ln(`${p}.attention.output.LayerNorm`);
      lin(`${p}.intermediate.dense`, 3072, 768);
      lin(`${p}.output.dense`, 768, 3072);
      ln(`${p}.output.LayerNorm`);
    }
    lin("lm_head.dense", 768, 768);
    ln("lm_head.layer_norm");
    b.add("lm_head.bias", "F32", [50265]);
    const c = countParams(b.tensors);
    expect(c.byDtype).toEqual({ F32: 124_697_433, I64: 514 });
    expect(c.total).toBe(124_697_947);
    expect(c.buffers).toBe(514);
  });

  it("bigscience/bloom: BF16 176,247,271,424", () => {
    const b = new HeaderBuilder();
    const H = 14336;
    b.add("word_embeddings.weight", "BF16", [250880, H]);
    b.add("word_embeddings_layernorm.weight", "BF16", [H]).add("word_embeddings_layernorm.bias", "BF16", [H]);
    for (let l = 0; l < 70; l++) {
      const p = `h.${l}`;
      b.add(`${p}.input_layernorm.weight`, "BF16", [H]).add(`${p}.input_layernorm.bias`, "BF16", [H]);
      b.add(`${p}.self_attention.query_key_value.weight`, "BF16", [3 * H, H]).add(`${p}.self_attention.query_key_value.bias`, "BF16", [3 * H]);
      b.add(`${p}.self_attention.dense.weight`, "BF16", [H, H]).add(`${p}.self_attention.dense.bias`, "BF16", [H]);
      b.add(`${p}.post_attention_layernorm.weight`, "BF16", [H]).add(`${p}.post_attention_layernorm.bias`, "BF16", [H]);
      b.add(`${p}.mlp.dense_h_to_4h.weight`, "BF16", [4 * H, H]).add(`${p}.mlp.dense_h_to_4h.bias`, "BF16", [4 * H]);
      b.add(`${p}.mlp.dense_4h_to_h.weight`, "BF16", [H, 4 * H]).add(`${p}.mlp.dense_4h_to_h.bias`, "BF16", [H]);
    }
    b.add("ln_f.weight", "BF16", [H]).add("ln_f.bias", "BF16", [H]);
    expect(countParams(b.tensors).byDtype).toEqual({ BF16: 176_247_271_424 });
    const f = featuresFromTensors(b.tensors, buildSignature(b.tensors), { heads: 112, kvHeads: 112, headDim: 128 });
    expect(f.features).toMatchObject({ kvGrouping: "MHA", headDim: 128, tiedEmbeddings: true });
    expect(f.scale).toMatchObject({ layers: 70, hiddenSize: H, intermediateSize: 4 * H, vocabSize: 250880 });
  });

  it("gemma-7b copy (ALAI-gemma-7b): BF16 8,537,680,896", () => {
    const t = llamaTensors("bf16", { vocab: 256000, hidden: 3072, layers: 28, heads: 12, kvHeads: 16, inter: 24576, tied: true }).map((x) => {
      // Gemma-7B: 16 heads x 256 = 4096 for q/k/v/o (llamaTensors assumes hidden/heads = 256 with heads 12)
      if (/self_attn\.(q|k|v)_proj/.test(x.name)) return { ...x, shape: [4096, 3072] };
      if (/self_attn\.o_proj/.test(x.name)) return { ...x, shape: [3072, 4096] };
      return x;
    });
    expect(countParams(t, null).byDtype).toEqual({ BF16: 8_537_680_896 });
  });
});

// ---------------------------------------------------------------------------------------------
// Performance
// ---------------------------------------------------------------------------------------------

describe("performance", () => {
  it("classifies 100k DeepSeek-V3-sized tensor names well under a second", () => {
    const names: string[] = [];
    for (let l = 0; names.length < 100_000; l++) {
      for (let e = 0; e < 256; e++) {
        for (const p of ["gate_proj", "up_proj", "down_proj"]) {
          names.push(`model.layers.${l}.mlp.experts.${e}.${p}.weight`, `model.layers.${l}.mlp.experts.${e}.${p}.weight_scale_inv`);
        }
      }
    }
    names.length = 100_000;
    const t0 = performance.now();
    let experts = 0;
    let scales = 0;
    for (const n of names) {
      const k = classifyTensor(n);
      if (k === "expert") experts++;
      else if (k === "quant_scale") scales++;
    }
    const classifyMs = performance.now() - t0;
    expect(experts).toBe(50_000);
    expect(scales).toBe(50_000);

    const records = nameOnly(names, (n) => (n.endsWith("inv") ? "F32" : "F8_E4M3"));
    const t1 = performance.now();
    const sig = buildSignature(records);
    const sigMs = performance.now() - t1;
    expect(Object.keys(sig.keys)).toHaveLength(6);
    console.log(`[perf] classifyTensor x100k: ${classifyMs.toFixed(1)} ms; buildSignature x100k: ${sigMs.toFixed(1)} ms`);
    expect(classifyMs).toBeLessThan(2000); // generous bound for slow CI; typically ~100 ms
  });
});

describe("heterogeneous layers", () => {
  it("reports keys whose shape changes across layers (first-seen shape would hide it)", () => {
    const t = llamaTensors("bf16", { ...LLAMA_31_8B, layers: 3 }).map((x) =>
      x.name === "model.layers.2.mlp.down_proj.weight" ? { ...x, shape: [4096, 7168] } : x,
    );
    const f = featuresFromTensors(t, buildSignature(t));
    expect(f.facts.varyingKeys).toEqual(["model.layers.{L}.mlp.down_proj.weight"]);
    expect(f.findings.map((x) => x.code)).toContain("TENSOR_VARYING_SHAPES");
    expect(buildSignature(t).keys["model.layers.{L}.mlp.down_proj.weight"]?.shape).toEqual([4096, 14336]);
  });
});

describe("hybrid stacks", () => {
  it("LFM2: short-conv and attention layers, pre norm, per-layer mixers in facts", () => {
    const b = new HeaderBuilder();
    b.add("model.embed_tokens.weight", "BF16", [65536, 2048]);
    for (let l = 0; l < 4; l++) {
      const p = `model.layers.${l}`;
      b.add(`${p}.operator_norm.weight`, "BF16", [2048]).add(`${p}.ffn_norm.weight`, "BF16", [2048]);
      if (l % 2 === 0) {
        b.add(`${p}.conv.conv.weight`, "BF16", [2048, 1, 3]).add(`${p}.conv.in_proj.weight`, "BF16", [6144, 2048]).add(`${p}.conv.out_proj.weight`, "BF16", [2048, 2048]);
      } else {
        b.add(`${p}.self_attn.q_proj.weight`, "BF16", [2048, 2048]).add(`${p}.self_attn.k_proj.weight`, "BF16", [512, 2048]);
        b.add(`${p}.self_attn.v_proj.weight`, "BF16", [512, 2048]).add(`${p}.self_attn.out_proj.weight`, "BF16", [2048, 2048]);
        b.add(`${p}.self_attn.q_layernorm.weight`, "BF16", [64]).add(`${p}.self_attn.k_layernorm.weight`, "BF16", [64]);
      }
      b.add(`${p}.feed_forward.w1.weight`, "BF16", [8192, 2048]).add(`${p}.feed_forward.w3.weight`, "BF16", [8192, 2048]).add(`${p}.feed_forward.w2.weight`, "BF16", [2048, 8192]);
    }
    b.add("model.embedding_norm.weight", "BF16", [2048]);
    const f = featuresFromTensors(b.tensors, buildSignature(b.tensors));
    expect(f.facts.layerMixers).toEqual(["conv", "attention", "conv", "attention"]);
    expect(f.features).toMatchObject({ attentionFamily: "standard", headDim: 64, kvGrouping: "GQA", qkNorm: true, normPlacement: "pre", ffnFamily: "gated", tiedEmbeddings: true });
    expect(f.scale).toMatchObject({ layers: 4, hiddenSize: 2048, intermediateSize: 8192, heads: 32, kvHeads: 8 });
  });

  it("Nemotron-H: one mixer per layer (mamba / attention / MLP / MoE), single-sublayer blocks are pre-norm", () => {
    const b = new HeaderBuilder();
    b.add("backbone.embeddings.weight", "BF16", [1000, 256]);
    const kinds = ["mamba", "attention", "mlp", "mamba", "moe"];
    kinds.forEach((k, l) => {
      const p = `backbone.layers.${l}`;
      b.add(`${p}.norm.weight`, "BF16", [256]);
      if (k === "mamba") {
        b.add(`${p}.mixer.in_proj.weight`, "BF16", [1024, 256]).add(`${p}.mixer.conv1d.weight`, "BF16", [512, 1, 4]);
        b.add(`${p}.mixer.A_log`, "F32", [8]).add(`${p}.mixer.D`, "F32", [8]).add(`${p}.mixer.dt_bias`, "F32", [8]);
        b.add(`${p}.mixer.norm.weight`, "BF16", [512]).add(`${p}.mixer.out_proj.weight`, "BF16", [256, 512]);
      } else if (k === "attention") {
        for (const q of ["q_proj", "o_proj"]) b.add(`${p}.mixer.${q}.weight`, "BF16", [256, 256]);
        for (const q of ["k_proj", "v_proj"]) b.add(`${p}.mixer.${q}.weight`, "BF16", [64, 256]);
      } else if (k === "mlp") {
        b.add(`${p}.mixer.up_proj.weight`, "BF16", [1024, 256]).add(`${p}.mixer.down_proj.weight`, "BF16", [256, 1024]);
      } else {
        b.add(`${p}.mixer.gate.weight`, "BF16", [4, 256]).add(`${p}.mixer.gate.e_score_correction_bias`, "F32", [4]);
        for (let e = 0; e < 4; e++) b.add(`${p}.mixer.experts.${e}.up_proj.weight`, "BF16", [128, 256]).add(`${p}.mixer.experts.${e}.down_proj.weight`, "BF16", [256, 128]);
        b.add(`${p}.mixer.shared_experts.up_proj.weight`, "BF16", [256, 256]).add(`${p}.mixer.shared_experts.down_proj.weight`, "BF16", [256, 256]);
      }
    });
    b.add("backbone.norm_f.weight", "BF16", [256]);
    b.add("lm_head.weight", "BF16", [1000, 256]);
    const f = featuresFromTensors(b.tensors, buildSignature(b.tensors), { heads: 4, kvHeads: 1, headDim: 64 });
    expect(f.facts.layerMixers).toEqual(["mamba", "attention", "none", "mamba", "none"]);
    expect(f.facts.layerFfn).toEqual(["none", "none", "dense", "none", "moe"]);
    expect(f.features).toMatchObject({ attentionFamily: "standard", kvGrouping: "MQA", normPlacement: "pre", moe: true, sharedExperts: true, denseLayerPrefix: 1, ffnFamily: "plain" });
    expect(f.scale).toMatchObject({ experts: 4, moeIntermediateSize: 128, intermediateSize: 1024, layers: 5 });
  });
});

describe("tensorIndex: normalized names without a string per tensor", () => {
  it("gives normalizeTensorName's key, layer and expert and classifyRecord's class for every name (generated names, collisions included)", () => {
    const segs = ["model", "layers", "layer", "h", "blocks", "experts", "local_experts", "mlp", "0", "1", "17", "007", "{L}", "{E}", "", "weight", "weight_scale_inv", "gate_proj", "é", "1234567890123456"];
    let seed = 11;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    const names: string[] = [];
    for (let i = 0; i < 20_000; i++) {
      const n = 1 + rnd(7);
      const parts: string[] = [];
      for (let j = 0; j < n; j++) parts.push(rnd(5) === 0 ? String(rnd(300)) : segs[rnd(segs.length)]!);
      names.push(parts.join("."));
    }
    // the same names again, so that most are found in the table rather than built
    const tensors: TensorRecord[] = [...names, ...names].map((name, i) => ({ name, dtype: i % 3 === 0 ? "F8_E8M0" : "BF16", shape: [1], file: "f", begin: 0, end: 2 }));
    const ix = tensorIndex(tensors);
    tensors.forEach((t, i) => {
      const want = normalizeTensorName(t.name);
      const info = ix.infos[i]!;
      expect(info.t, t.name).toBe(t);
      expect({ key: info.key, layer: info.layer, expert: info.expert }, t.name).toEqual(want);
      const cls = classifyRecord({ name: want.key, dtype: t.dtype });
      expect(info.cls, t.name).toEqual(cls);
      expect(info.nameCls, t.name).toEqual(classifyRecord({ name: want.key, dtype: "BF16" }));
      // the split at the layer and the leaf, made once per key, are those of this very name
      const li = want.key.indexOf(".{L}");
      expect([info.stack, info.rel], t.name).toEqual(want.layer === null || li < 0 ? [null, want.key] : [want.key.slice(0, li), want.key.slice(li + 5)]);
      expect(info.leaf, t.name).toBe(t.name.slice(t.name.lastIndexOf(".") + 1));
      expect(info.tower, t.name).toBe(["vision", "audio", "projector"].some((k) => k === cls.kind || k === cls.role));
    });
    // module ids: equal exactly when the module paths (the name before its last dot) are equal
    const idOfPath = new Map<string, number>();
    const pathOfId = new Map<number, string>();
    tensors.forEach((t, i) => {
      const dot = t.name.lastIndexOf(".");
      const p = dot < 0 ? "" : t.name.slice(0, dot);
      const id = ix.infos[i]!.mod;
      expect(idOfPath.get(p) ?? id, t.name).toBe(id);
      expect(pathOfId.get(id) ?? p, t.name).toBe(p);
      idOfPath.set(p, id);
      pathOfId.set(id, p);
    });
    expect(idOfPath.size).toBeGreaterThan(1000);
  });

  it("module ids: one per module path, also where numbers are written with leading zeros, {E} comes before {L} or the leaf is a number", () => {
    const names = [
      "model.layers.7.mlp.weight",
      "model.layers.007.mlp.weight",
      "model.layers.7.mlp.bias",
      "model.layers.07.mlp.bias",
      "model.layers.7.mlp.experts.3.w.weight",
      "model.layers.7.mlp.experts.03.w.weight",
      "model.layers.7.mlp.experts.3.w.scale",
      "model.layers.7.mlp.experts.3",
      "model.layers.7.mlp.experts.3.weight",
      "model.layers.7.mlp.experts.4",
      "model.layers.7.mlp.experts.weight",
      "experts.3.layers.5.w",
      "experts.3.layers.5.b",
      "experts.3.layers.6.w",
      "model.layers.99999.x.weight",
      "model.layers.99998.x.weight",
      "model.layers.900000000000000.x.weight",
      "model.layers.900000000000001.x.weight",
      "model.layers.1.mlp.experts.900000000000000.w",
      "model.layers.1.mlp.experts.900000000000001.w",
      "model.layers.1.mlp.experts.65536.w",
      "model.layers.2.mlp.experts.0.w",
      "model.layers.140737488355328.mlp.experts.1.w",
      "model.layers.140737488355328.mlp.experts.2.w",
      "model.layers.5",
      "model.layers.weight",
      "model.layers.{L}.mlp.weight",
      "norm",
      "norm.weight",
    ];
    const tensors: TensorRecord[] = names.map((name) => ({ name, dtype: "BF16", shape: [1], file: "f", begin: 0, end: 2 }));
    const ix = tensorIndex(tensors);
    for (let i = 0; i < names.length; i++) {
      for (let j = 0; j < names.length; j++) {
        const pi = names[i]!.includes(".") ? names[i]!.slice(0, names[i]!.lastIndexOf(".")) : "";
        const pj = names[j]!.includes(".") ? names[j]!.slice(0, names[j]!.lastIndexOf(".")) : "";
        expect(ix.infos[i]!.mod === ix.infos[j]!.mod, `${names[i]} / ${names[j]}`).toBe(pi === pj);
      }
    }
  });

  it("two names whose keys share a hash still get their own keys (the table compares characters)", () => {
    let seed = 5;
    const seen = new Map<number, string>();
    let pair: [string, string] | null = null;
    while (pair === null) {
      let w = "";
      for (let k = 0; k < 7; k++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        w += String.fromCharCode(97 + ((seed >>> 8) % 26));
      }
      const h = keyHash(w);
      const other = seen.get(h);
      if (other !== undefined && other !== w) pair = [other, w];
      else seen.set(h, w);
    }
    const [a, b] = pair;
    const tensors: TensorRecord[] = [a, b, `model.layers.3.${a}`, `model.layers.4.${b}`].map((name) => ({ name, dtype: "BF16", shape: [1], file: "f", begin: 0, end: 2 }));
    expect(keyHash(`model.layers.{L}.${a}`)).toBe(keyHash(`model.layers.{L}.${b}`));
    expect(tensorIndex(tensors).infos.map((n) => n.key)).toEqual([a, b, `model.layers.{L}.${a}`, `model.layers.{L}.${b}`]);
  });
});
