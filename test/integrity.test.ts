/**
 * Integrity checks over the local Hub: every check passes on a clean repo and fails on a repo
 * crafted to break it, fetched through the real pipeline (createRunContext + fingerprintModel with
 * onRaw). Corpus: medgemma's index totals, BLOOM's 72 underscore-named shards.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INTEGRITY_CODES } from "../src/integrity/codes.js";
import { runIntegrity } from "../src/integrity/checks.js";
import { checkFiles } from "../src/integrity/files.js";
import { buildCorpusRepo } from "./hub/corpus-repos.js";
import { rawSafetensors } from "./hub/repo-store.js";
import { synthesizeTensors, tinyConfig, type Config, type TensorSpec } from "./hub/synth.js";
import { describeCorpus, REPO_ROOT } from "./support/corpus.js";
import { drop, edit, FP8, inspect, startLab, tinyDeepseek, tinyMixtral, writeCommit, writeRepo, type Inspected, type Lab } from "./support/integrity-lab.js";

let lab: Lab;
beforeAll(async () => {
  lab = await startLab();
});
afterAll(async () => {
  await lab?.close();
});

let seq = 0;
const nextId = (name: string) => `t${++seq}/${name}`;

/** Repo from config + tensors, inspected. */
async function run(config: Config, tensors?: TensorSpec[], opts: { shards?: number } = {}): Promise<Inspected> {
  const id = nextId(String(config.model_type ?? "m"));
  writeRepo(lab, id, config, tensors, opts);
  return inspect(lab, id);
}

function expectFail(r: Inspected, code: string): void {
  expect(r.fp.status, JSON.stringify(r.fp.error)).toBe("ok");
  expect(r.codes).toContain(code);
  const f = r.report.findings.find((x) => x.code === code)!;
  expect(f.severity).toBe("error");
  expect(r.report.status).toBe("FAIL");
  expect(r.report.reasons?.some((x) => x.startsWith(`${code}: `))).toBe(true);
}

function expectClean(r: Inspected): void {
  expect(r.fp.status, JSON.stringify(r.fp.error)).toBe("ok");
  expect(r.report.findings.filter((f) => f.severity !== "info")).toEqual([]);
  expect(r.report.status).toBe("PASS");
  expect(r.report.reasons).toEqual([]);
}

/** Every finding message names a tensor, a file or a key. */
function expectNamed(r: Inspected): void {
  for (const f of r.report.findings) {
    if (f.severity === "info") continue;
    expect(f.tensor ?? f.file ?? f.key, `${f.code}: ${f.message}`).toBeTruthy();
  }
}

describe("clean repos pass", () => {
  const clean: [string, () => Config][] = [
    ["llama", () => tinyConfig()],
    ["mixtral", () => tinyMixtral()],
    ["deepseek (MLA, shared experts, dense prefix)", () => tinyDeepseek()],
    ["deepseek fp8 block", () => tinyDeepseek(FP8)],
    ["deepseek with an MTP layer", () => tinyDeepseek({ num_nextn_predict_layers: 1 })],
  ];
  for (const [name, cfg] of clean) {
    it(name, async () => {
      const r = await run(cfg(), undefined, { shards: 2 });
      expectClean(r);
      expect(r.report.skipped).toEqual([]);
    });
  }
});

describe("files: header validity and index vs headers", () => {
  /** A raw header from specs, offsets contiguous (an unknown dtype takes `bytes`). */
  function header(specs: { name: string; dtype: string; shape: number[]; bytes: number }[], gapAfter?: string): { json: Record<string, unknown>; data: number } {
    const json: Record<string, unknown> = { __metadata__: { format: "pt" } };
    let off = 0;
    for (const s of specs) {
      json[s.name] = { dtype: s.dtype, shape: s.shape, data_offsets: [off, off + s.bytes] };
      off += s.bytes + (s.name === gapAfter ? 16 : 0);
    }
    return { json, data: off };
  }
  const specs = () =>
    synthesizeTensors(tinyConfig()).map((t) => ({ ...t, bytes: (t.shape.reduce((a, b) => a * b, 1) * (t.dtype === "F32" ? 32 : 16)) / 8 }));

  it("st_file_length: trailing bytes after the data (exact length against the served size)", async () => {
    const id = nextId("trailing");
    const h = header(specs());
    writeCommit(lab, id, (c) => {
      c.writeJson("config.json", tinyConfig());
      c.writeRaw("model.safetensors", rawSafetensors(h.json, { dataBytes: h.data + 24 }));
    });
    const r = await inspect(lab, id);
    expectFail(r, "st_file_length");
    expect(r.report.findings.find((f) => f.code === "st_file_length")!.file).toBe("model.safetensors");
    expectNamed(r);
  });

  it("st_offset_gap flows through from the parser", async () => {
    const id = nextId("gap");
    const s = specs();
    const h = header(s, s[3]!.name);
    writeCommit(lab, id, (c) => {
      c.writeJson("config.json", tinyConfig());
      c.writeRaw("model.safetensors", rawSafetensors(h.json, { dataBytes: h.data }));
    });
    const r = await inspect(lab, id);
    expectFail(r, "st_offset_gap");
  });

  it("dtype_unknown: a dtype string outside the safetensors table", async () => {
    const id = nextId("dtype");
    const s = specs().map((t) => (t.name.endsWith("layers.1.mlp.up_proj.weight") ? { ...t, dtype: "Q9" } : t));
    const h = header(s);
    writeCommit(lab, id, (c) => {
      c.writeJson("config.json", tinyConfig());
      c.writeRaw("model.safetensors", rawSafetensors(h.json, { dataBytes: h.data }));
    });
    const r = await inspect(lab, id);
    expectFail(r, "dtype_unknown");
    expect(r.codes).toContain("st_unknown_dtype");
    const f = r.report.findings.find((x) => x.code === "dtype_unknown")!;
    expect(f.message).toContain("model.layers.1.mlp.up_proj.weight");
    expect(f.message).toContain('"Q9"');
  });

  it("index_tensor_wrong_shard: weight_map puts a tensor in the wrong shard", async () => {
    const id = nextId("wrongshard");
    const cfg = tinyConfig();
    writeRepo(lab, id, cfg, undefined, { shards: 2 });
    const clean = await inspect(lab, id);
    expectClean(clean);
    const idx = JSON.parse(lab.store.get(id)!.readFile(clean.fp.source.sha!, "model.safetensors.index.json").toString("utf8")) as {
      metadata: { total_size: number };
      weight_map: Record<string, string>;
    };
    const moved = "model.embed_tokens.weight";
    idx.weight_map[moved] = idx.weight_map[moved] === "model-00001-of-00002.safetensors" ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors";
    writeCommit(lab, id, (c) => c.writeIndex("model.safetensors.index.json", idx.weight_map, { totalSize: idx.metadata.total_size }));
    const r = await inspect(lab, id);
    expectFail(r, "index_tensor_wrong_shard");
    expect(r.report.findings.find((f) => f.code === "index_tensor_wrong_shard")!.tensor).toBe(moved);
  });

  it("index_total_size_exceeds_files: total_size larger than the shard files (checkIndexAgainstFileSizes)", async () => {
    const id = nextId("totalsize");
    writeRepo(lab, id, tinyConfig(), undefined, { shards: 2 });
    const sha = lab.store.get(id)!.resolveRevision("main")!;
    const idx = JSON.parse(lab.store.get(id)!.readFile(sha, "model.safetensors.index.json").toString("utf8")) as { weight_map: Record<string, string> };
    writeCommit(lab, id, (c) => c.writeIndex("model.safetensors.index.json", idx.weight_map, { totalSize: 10_000_000_000 }));
    const r = await inspect(lab, id);
    expectFail(r, "index_total_size_exceeds_files");
    expect(r.codes).toContain("index_total_size_mismatch");
  });

  it("a shard named by the index but absent: the model is unreadable, INTEGRITY FAIL (not UNKNOWN)", async () => {
    const id = nextId("missingshard");
    writeRepo(lab, id, tinyConfig(), undefined, { shards: 2 });
    writeCommit(lab, id, (c) => c.deleteFile("model-00002-of-00002.safetensors"));
    const r = await inspect(lab, id);
    expect(r.fp.status).toBe("unknown");
    expect(r.report.status).toBe("FAIL");
    expect(r.codes).toEqual(["integrity_unreadable"]);
    expect(r.report.reasons![0]).toContain("missing_shard");
  });

  it("file_size_mismatch: the listing and the served size disagree", async () => {
    const id = nextId("sizes");
    writeRepo(lab, id, tinyConfig());
    const r = await inspect(lab, id);
    expectClean(r);
    const ex = r.ex!;
    const listed = ex.raw.resolved.files.find((f) => f.path === "model.safetensors")!;
    const tampered = { ...ex, raw: { ...ex.raw, resolved: { ...ex.raw.resolved, files: [...ex.raw.resolved.files.filter((f) => f !== listed), { ...listed, size: listed.size! + 100 }] } } };
    const findings = checkFiles(tampered, r.fp);
    expect(findings.map((f) => f.code).sort()).toEqual(["file_size_mismatch", "st_file_length"]);
    expect(findings.every((f) => f.file === "model.safetensors" && f.severity === "error")).toBe(true);
  });
});

describe("config vs tensors", () => {
  const L = tinyConfig();
  it("cfg_embedding_shape + cfg_lm_head_shape: vocab_size disagrees with the embedding and head", async () => {
    const r = await run(L, synthesizeTensors(tinyConfig({ vocab_size: 1024 })));
    expectFail(r, "cfg_embedding_shape");
    expectFail(r, "cfg_lm_head_shape");
    const f = r.report.findings.find((x) => x.code === "cfg_embedding_shape")!;
    expect(f.tensor).toBe("model.embed_tokens.weight");
    expect(f.message).toContain("[1024, 64]");
    expect(f.message).toContain("vocab_size 1000");
  });

  it("cfg_hidden_size: the final norm is not [hidden_size]", async () => {
    expectFail(await run(L, edit(synthesizeTensors(L), "model.norm.weight", { shape: [32] })), "cfg_hidden_size");
  });

  it("cfg_layer_count: num_hidden_layers 3, tensors for 2 layers", async () => {
    const r = await run(tinyConfig({ num_hidden_layers: 3 }), synthesizeTensors(L));
    expectFail(r, "cfg_layer_count");
    expect(r.report.findings.find((f) => f.code === "cfg_layer_count")!.message).toContain("num_hidden_layers is 3");
  });

  it("cfg_layer_missing: layer 1 of 0..2 has no tensor", async () => {
    const cfg = tinyConfig({ num_hidden_layers: 3 });
    const r = await run(cfg, drop(synthesizeTensors(cfg), (t) => t.name.includes(".layers.1.")));
    expectFail(r, "cfg_layer_missing");
    expect(r.report.findings.find((f) => f.code === "cfg_layer_missing")!.message).toContain("layer(s) 1 ");
  });

  it("cfg_attention_shape: k/v projections built for 4 KV heads, config says 2", async () => {
    const r = await run(L, synthesizeTensors(tinyConfig({ num_key_value_heads: 4 })));
    expectFail(r, "cfg_attention_shape");
    const f = r.report.findings.filter((x) => x.code === "cfg_attention_shape");
    expect(f.map((x) => x.key).sort()).toEqual(["model.layers.{L}.self_attn.k_proj.weight", "model.layers.{L}.self_attn.v_proj.weight"]);
    expect(f[0]!.message).toContain("2 tensors");
    expect(f[0]!.message).toContain("num_key_value_heads 2 x head_dim 16");
  });

  it("cfg_mla_shape: kv_lora_rank in the config differs from the tensors", async () => {
    const r = await run(tinyDeepseek({ kv_lora_rank: 24 }), synthesizeTensors(tinyDeepseek()));
    expectFail(r, "cfg_mla_shape");
    const keys = r.report.findings.filter((x) => x.code === "cfg_mla_shape").map((x) => x.key);
    expect(keys).toContain("model.layers.{L}.self_attn.kv_a_proj_with_mqa.weight");
    expect(keys).toContain("model.layers.{L}.self_attn.kv_b_proj.weight");
    expect(keys).toContain("model.layers.{L}.self_attn.kv_a_layernorm.weight");
  });

  it("cfg_expert_count + cfg_router_shape: config 6 experts, weights 4", async () => {
    const r = await run(tinyMixtral({ num_local_experts: 6 }), synthesizeTensors(tinyMixtral()));
    expectFail(r, "cfg_expert_count");
    expectFail(r, "cfg_router_shape");
    expect(r.report.findings.find((f) => f.code === "cfg_router_shape")!.message).toContain("[6, 64]");
  });

  it("cfg_intermediate_size: dense FFN built 256 wide, config says 128", async () => {
    const r = await run(L, synthesizeTensors(tinyConfig({ intermediate_size: 256 })));
    expectFail(r, "cfg_intermediate_size");
    expect(r.report.findings.filter((f) => f.code === "cfg_intermediate_size")).toHaveLength(3);
  });

  it("cfg_moe_intermediate_size: experts built 48 wide, config says 32", async () => {
    const r = await run(tinyDeepseek(), synthesizeTensors(tinyDeepseek({ moe_intermediate_size: 48 })));
    expectFail(r, "cfg_moe_intermediate_size");
    expectFail(r, "cfg_shared_expert_size");
  });

  it("cfg_shared_expert_size: n_shared_experts 2 in the config, one shared expert in the weights", async () => {
    const r = await run(tinyDeepseek({ n_shared_experts: 2 }), synthesizeTensors(tinyDeepseek()));
    expectFail(r, "cfg_shared_expert_size");
    expect(r.codes).not.toContain("cfg_moe_intermediate_size");
  });

  it("cfg_untied_lm_head_missing / cfg_tied_lm_head_stored", async () => {
    const untied = await run(tinyConfig({ tie_word_embeddings: false }), synthesizeTensors(tinyConfig({ tie_word_embeddings: true })));
    expectFail(untied, "cfg_untied_lm_head_missing");
    const tied = await run(tinyConfig({ tie_word_embeddings: true }), synthesizeTensors(tinyConfig({ tie_word_embeddings: false })));
    expect(tied.report.findings.find((f) => f.code === "cfg_tied_lm_head_stored")).toMatchObject({ severity: "warning", tensor: "lm_head.weight" });
    expect(tied.report.status).toBe("PASS");
    expectClean(await run(tinyConfig({ tie_word_embeddings: true })));
  });

  const vl = (over: Config = {}): Config => ({
    architectures: ["Qwen2VLForConditionalGeneration"],
    model_type: "qwen2_vl",
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 1000,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    vision_config: { depth: 2, embed_dim: 32, hidden_size: 64, num_heads: 4, mlp_ratio: 2, in_chans: 3, patch_size: 14, spatial_merge_size: 2, temporal_patch_size: 2 },
    ...over,
  });
  it("cfg_tower_missing / cfg_tower_undeclared: the vision tower against vision_config", async () => {
    expectClean(await run(vl()));
    const missing = await run(vl(), synthesizeTensors(vl(), { vision: false }));
    expectFail(missing, "cfg_tower_missing");
    expect(missing.report.findings.find((f) => f.code === "cfg_tower_missing")!.message).toContain("vision_config");
    const noVision = vl();
    delete noVision.vision_config;
    const undeclared = await run(noVision, synthesizeTensors(vl()));
    expect(undeclared.report.findings.find((f) => f.code === "cfg_tower_undeclared")?.severity).toBe("warning");
  });

  it("cfg_per_layer_blocks: heterogeneous block_configs skip the width checks, with an info finding", async () => {
    // DeciLM-style: layer 1 has 4 KV heads, layer 0 has 2; the config holds them in block_configs
    const two = synthesizeTensors(L);
    const four = synthesizeTensors(tinyConfig({ num_key_value_heads: 4 }));
    const mixed = two.map((t) => (t.name.startsWith("model.layers.1.") ? four.find((x) => x.name === t.name)! : t));
    const cfg = tinyConfig({ block_configs: [{ attention: { n_heads_in_group: 2 } }, { attention: { n_heads_in_group: 1 } }] });
    const r = await run(cfg, mixed);
    expect(r.report.findings.find((f) => f.code === "cfg_per_layer_blocks")?.severity).toBe("info");
    expect(r.report.status).toBe("PASS");
    expect(r.report.skipped).toEqual(["attention and FFN width checks: heterogeneous layers (block_configs)"]);
    expectFail(await run(L, mixed), "cfg_attention_shape");
  });

  it("cfg_mtp_layers: num_nextn_predict_layers 1 but no MTP layer (warning)", async () => {
    const r = await run(tinyDeepseek({ num_nextn_predict_layers: 1 }), synthesizeTensors(tinyDeepseek()));
    expect(r.report.findings.find((f) => f.code === "cfg_mtp_layers")).toMatchObject({ severity: "warning", key: "num_nextn_predict_layers" });
    expect(r.report.status).toBe("PASS");
  });
});

describe("MoE consistency", () => {
  const M = tinyMixtral();
  const D = tinyDeepseek();
  it("moe_router_missing: layer 1 lost its router", async () => {
    const r = await run(M, drop(synthesizeTensors(M), (t) => t.name === "model.layers.1.block_sparse_moe.gate.weight"));
    expectFail(r, "moe_router_missing");
    expect(r.report.findings.find((f) => f.code === "moe_router_missing")!.message).toContain("model.layers.1");
  });

  it("moe_experts_missing: a router without experts", async () => {
    const r = await run(M, drop(synthesizeTensors(M), (t) => t.name.startsWith("model.layers.1.block_sparse_moe.experts.")));
    expectFail(r, "moe_experts_missing");
  });

  it("moe_expert_count_uneven + moe_router_expert_mismatch: layer 1 has 3 experts", async () => {
    const r = await run(M, drop(synthesizeTensors(M), (t) => t.name.startsWith("model.layers.1.block_sparse_moe.experts.3.")));
    expectFail(r, "moe_expert_count_uneven");
    expectFail(r, "moe_router_expert_mismatch");
    expectFail(r, "cfg_expert_count");
  });

  it("moe_expert_incomplete: expert 2 of layer 0 lacks its down projection", async () => {
    const r = await run(M, drop(synthesizeTensors(M), (t) => t.name === "model.layers.0.block_sparse_moe.experts.2.w2.weight"));
    expectFail(r, "moe_expert_incomplete");
    const f = r.report.findings.find((x) => x.code === "moe_expert_incomplete")!;
    expect(f.message).toContain("model.layers.0.block_sparse_moe.experts.{E}.w2.weight missing for expert(s) 2");
  });

  it("moe_shared_missing: n_shared_experts 1 but layer 2 has no shared expert", async () => {
    const r = await run(D, drop(synthesizeTensors(D), (t) => t.name.startsWith("model.layers.2.mlp.shared_experts.")));
    expectFail(r, "moe_shared_missing");
    expect(r.report.findings.find((f) => f.code === "moe_shared_missing")!.message).toContain("model.layers.2");
  });

  it("moe_shared_unexpected: n_shared_experts 0 with shared expert tensors (warning)", async () => {
    const r = await run(tinyDeepseek({ n_shared_experts: 0 }), synthesizeTensors(D));
    expect(r.report.findings.find((f) => f.code === "moe_shared_unexpected")?.severity).toBe("warning");
  });

  it("moe_layer_pattern: first_k_dense_replace 1 but layer 0 is MoE", async () => {
    const r = await run(D, synthesizeTensors(tinyDeepseek({ first_k_dense_replace: 0 })));
    expectFail(r, "moe_layer_pattern");
    expect(r.report.findings.find((f) => f.code === "moe_layer_pattern")!.message).toContain("model.layers.0 is MoE but the config makes it dense");
  });
});

describe("dtype and quantization consistency", () => {
  it("dtype_stray_matrix: one F32 down_proj in a BF16 model (warning)", async () => {
    const cfg = tinyConfig();
    const r = await run(cfg, edit(synthesizeTensors(cfg), "model.layers.1.mlp.down_proj.weight", { dtype: "F32" }));
    const f = r.report.findings.find((x) => x.code === "dtype_stray_matrix")!;
    expect(f).toMatchObject({ severity: "warning", tensor: "model.layers.1.mlp.down_proj.weight" });
    expect(f.message).toContain("F32");
    expect(f.message).toContain("BF16");
  });

  const F = tinyDeepseek(FP8);
  it("fp8: quant_scale_missing (weight without weight_scale_inv), quant_scale_orphan, quant_scale_shape", async () => {
    const ts = synthesizeTensors(F);
    const missing = await run(F, drop(ts, (t) => t.name === "model.layers.1.self_attn.o_proj.weight_scale_inv"));
    expectFail(missing, "quant_scale_missing");
    expect(missing.report.findings.find((f) => f.code === "quant_scale_missing")!.tensor).toBe("model.layers.1.self_attn.o_proj.weight");
    const orphan = await run(F, drop(ts, (t) => t.name === "model.layers.2.mlp.experts.3.up_proj.weight"));
    expectFail(orphan, "quant_scale_orphan");
    expect(orphan.report.findings.find((f) => f.code === "quant_scale_orphan")!.tensor).toBe("model.layers.2.mlp.experts.3.up_proj.weight_scale_inv");
    const shape = await run(F, edit(ts, "model.layers.0.mlp.down_proj.weight_scale_inv", { shape: [4, 4] }));
    expectFail(shape, "quant_scale_shape");
    expect(shape.report.findings.find((f) => f.code === "quant_scale_shape")!.message).toContain("expected [4, 8]");
  });

  /** GPTQ layout by hand: qweight [in/8, out] I32, qzeros [in/g, out/8] I32, scales [in/g, out] F16, g_idx [in]. */
  function gptq(cfg: Config): TensorSpec[] {
    const out: TensorSpec[] = [];
    for (const t of synthesizeTensors(cfg)) {
      const m = /^(model\.layers\.\d+\.(?:self_attn|mlp)\.\w+_proj)\.weight$/.exec(t.name);
      if (!m) {
        out.push({ ...t, dtype: "F16" });
        continue;
      }
      const [o, i] = t.shape as [number, number];
      out.push({ name: `${m[1]}.qweight`, dtype: "I32", shape: [i / 8, o] });
      out.push({ name: `${m[1]}.qzeros`, dtype: "I32", shape: [i / 32, o / 8] });
      out.push({ name: `${m[1]}.scales`, dtype: "F16", shape: [i / 32, o] });
      out.push({ name: `${m[1]}.g_idx`, dtype: "I32", shape: [i] });
    }
    return out;
  }
  it("GPTQ: qweight without scales / qzeros; scales without qweight", async () => {
    const cfg = tinyConfig({ torch_dtype: "float16", quantization_config: { quant_method: "gptq", bits: 4, group_size: 32, desc_act: false, sym: true } });
    const ts = gptq(cfg);
    const clean = await run(cfg, ts);
    expectClean(clean);
    expect(clean.fp.weightFormat?.format).toBe("gptq-int4");
    const missing = await run(cfg, drop(ts, (t) => t.name === "model.layers.0.mlp.up_proj.scales"));
    expectFail(missing, "quant_scale_missing");
    expect(missing.report.findings.find((f) => f.code === "quant_scale_missing")!.message).toContain("qweight without scales");
    const orphan = await run(cfg, drop(ts, (t) => t.name === "model.layers.1.self_attn.q_proj.qweight"));
    expectFail(orphan, "quant_scale_orphan");
  });

  const oss: Config = {
    architectures: ["GptOssForCausalLM"],
    model_type: "gpt_oss",
    hidden_size: 64,
    intermediate_size: 64,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    head_dim: 16,
    vocab_size: 1000,
    num_local_experts: 4,
    num_experts_per_tok: 2,
    sliding_window: 128,
    layer_types: ["sliding_attention", "full_attention"],
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    quantization_config: { quant_method: "mxfp4", modules_to_not_convert: ["model.layers.*.self_attn", "model.layers.*.mlp.router", "model.embed_tokens", "lm_head"] },
  };
  it("MXFP4 (gpt-oss): _blocks without _scales, _scales without _blocks, scale shape", async () => {
    const ts = synthesizeTensors(oss);
    expectClean(await run(oss, ts));
    const missing = await run(oss, drop(ts, (t) => t.name === "model.layers.1.mlp.experts.down_proj_scales"));
    expectFail(missing, "quant_scale_missing");
    expect(missing.report.findings.find((f) => f.code === "quant_scale_missing")!.tensor).toBe("model.layers.1.mlp.experts.down_proj_blocks");
    const orphan = await run(oss, drop(ts, (t) => t.name === "model.layers.0.mlp.experts.gate_up_proj_blocks"));
    expectFail(orphan, "quant_scale_orphan");
    const scales = ts.find((t) => t.name === "model.layers.0.mlp.experts.gate_up_proj_scales")!;
    const shape = await run(oss, edit(ts, scales.name, { shape: [...scales.shape.slice(0, -1), scales.shape[scales.shape.length - 1]! + 1] }));
    expectFail(shape, "quant_scale_shape");
  });

  /** ModelOpt NVFP4 by hand: U8 weight [out, in/2], F8_E4M3 weight_scale [out, in/16], F32 weight_scale_2 [], input_scale []. */
  function nvfp4(cfg: Config): TensorSpec[] {
    const out: TensorSpec[] = [];
    for (const t of synthesizeTensors(cfg)) {
      const m = /^(model\.layers\.\d+\.(?:self_attn|mlp)\.\w+_proj)\.weight$/.exec(t.name);
      if (!m) {
        out.push(t);
        continue;
      }
      const [o, i] = t.shape as [number, number];
      out.push({ name: `${m[1]}.weight`, dtype: "U8", shape: [o, i / 2] });
      out.push({ name: `${m[1]}.weight_scale`, dtype: "F8_E4M3", shape: [o, i / 16] });
      out.push({ name: `${m[1]}.weight_scale_2`, dtype: "F32", shape: [] });
      out.push({ name: `${m[1]}.input_scale`, dtype: "F32", shape: [] });
    }
    return out;
  }
  it("NVFP4: U8 weight without weight_scale_2; weight_scale without weight; scale shape", async () => {
    const cfg = tinyConfig({ quantization_config: { quant_method: "modelopt", quant_algo: "NVFP4", group_size: 16 } });
    const ts = nvfp4(cfg);
    const clean = await run(cfg, ts);
    expectClean(clean);
    expect(clean.fp.weightFormat?.format).toBe("nvfp4");
    const missing = await run(cfg, drop(ts, (t) => t.name === "model.layers.1.mlp.gate_proj.weight_scale_2"));
    expectFail(missing, "quant_scale_missing");
    expect(missing.report.findings.find((f) => f.code === "quant_scale_missing")!.message).toContain("weight_scale_2");
    const orphan = await run(cfg, drop(ts, (t) => t.name === "model.layers.0.self_attn.k_proj.weight"));
    expectFail(orphan, "quant_scale_orphan");
    const shape = await run(cfg, edit(ts, "model.layers.0.mlp.down_proj.weight_scale", { shape: [64, 4] }));
    expectFail(shape, "quant_scale_shape");
  });

  it("MLX: U32 weight without scales / biases", async () => {
    const cfg = tinyConfig({ quantization: { group_size: 32, bits: 4 } });
    const ts = synthesizeTensors(cfg);
    const clean = await run(cfg, ts);
    expectClean(clean);
    expect(clean.fp.weightFormat?.format).toBe("mlx-4bit");
    const missing = await run(cfg, drop(ts, (t) => t.name === "model.layers.0.mlp.up_proj.biases"));
    expectFail(missing, "quant_scale_missing");
    expect(missing.report.findings.find((f) => f.code === "quant_scale_missing")!.message).toContain("without biases");
    const orphan = await run(cfg, drop(ts, (t) => t.name === "model.layers.0.mlp.up_proj.weight"));
    expectFail(orphan, "quant_scale_orphan");
  });
});

describe("declared vs counted (manifest expect)", () => {
  let r: Inspected;
  let total: number;
  beforeAll(async () => {
    const id = nextId("expect");
    writeRepo(lab, id, tinyConfig());
    r = await inspect(lab, id);
    total = r.fp.params!.total;
  });
  const check = (expect: { params?: number | null; layers?: number | null; tolerance?: number }) => runIntegrity({ ex: r.ex, fp: r.fp, expect });

  it("params within the default 1% pass, outside fail with both numbers", () => {
    const ok = check({ params: Math.round(total * 1.009) });
    expect(ok.expectations).toMatchObject([{ key: "params", ok: true, actual: total, tolerance: 0.01 }]);
    expect(ok.report.status).toBe("PASS");
    const bad = check({ params: Math.round(total * 1.05) });
    expect(bad.expectations[0]!.ok).toBe(false);
    expect(bad.report.status).toBe("FAIL");
    const f = bad.report.findings.find((x) => x.code === "expect_params_mismatch")!;
    expect(f.message).toContain(String(total));
    expect(f.message).toContain(String(Math.round(total * 1.05)));
    expect(check({ params: Math.round(total * 1.05), tolerance: 0.1 }).expectations[0]!.ok).toBe(true);
  });

  it("layers are exact", () => {
    expect(check({ layers: 2 }).expectations).toMatchObject([{ key: "layers", ok: true, actual: 2, expected: 2, tolerance: 0 }]);
    const bad = check({ layers: 3 });
    expect(bad.expectations[0]!.ok).toBe(false);
    expect(bad.report.findings.map((f) => f.code)).toContain("expect_layers_mismatch");
  });

  it("config-only models: tensor checks skipped with an info finding, expectations from the config count", async () => {
    const id = nextId("configonly");
    writeCommit(lab, id, (c) => c.writeJson("config.json", tinyConfig()));
    const c = await inspect(lab, id, { params: total, layers: 2, tolerance: 0.01 });
    expect(c.fp.source.format).toBe("config");
    expect(c.codes).toContain("integrity_no_tensors");
    expect(c.report.findings.find((f) => f.code === "integrity_no_tensors")!.message).toMatch(/config vs tensors, MoE consistency, dtype/);
    expect(c.report.skipped!.length).toBeGreaterThan(0);
    expect(c.report.status).toBe("PASS");
    expect(c.expectations.map((e) => e.ok)).toEqual([true, true]);
  });

  it("a model that cannot be read is UNKNOWN, and its expectations unverified", async () => {
    const id = nextId("gated");
    writeRepo(lab, id, tinyConfig());
    lab.store.get(id)!.update({ gated: "manual" });
    const g = await inspect(lab, id, { params: 1000, layers: null, tolerance: 0.01 });
    expect(g.fp.status).toBe("unknown");
    expect(g.report.status).toBe("UNKNOWN");
    expect(g.codes).toContain("integrity_not_checked");
    expect(g.codes).toContain("expect_unverified");
    expect(g.expectations).toMatchObject([{ key: "params", ok: false, actual: null }]);
  });
});

describe("docs/integrity.md", () => {
  it("documents every code standin emits, and the parser codes that flow through", () => {
    const doc = readFileSync(`${REPO_ROOT}/docs/integrity.md`, "utf8");
    const parser = [
      ...readFileSync(`${REPO_ROOT}/src/formats/safetensors.ts`, "utf8").matchAll(/"(st_[a-z_]+)"/g),
      ...readFileSync(`${REPO_ROOT}/src/formats/safetensors-index.ts`, "utf8").matchAll(/"(index_[a-z_]+)"/g),
    ].map((m) => m[1]!);
    for (const code of [...Object.keys(INTEGRITY_CODES), ...parser, "index_total_size_not_number", "index_total_parameters_not_number"]) {
      expect(doc, code).toContain(`\`${code}\``);
    }
  });
});

describeCorpus("corpus", () => {
  it("medgemma-27b-it: total_parameters vs total_size / 2 is reported with both numbers", async () => {
    const built = buildCorpusRepo(lab.store, "google__medgemma-27b-it", { repoId: "corpus/medgemma-27b-it" });
    const r = await inspect(lab, built.repoId);
    expect(r.fp.status).toBe("ok");
    const totals = r.report.findings.find((f) => f.code === "index_totals_inconsistent")!;
    expect(totals.severity).toBe("warning");
    expect(totals.message).toContain("28842036848");
    expect(totals.message).toContain("54864813280");
    expect(totals.message).toContain("27432406640");
    const headers = r.report.findings.find((f) => f.code === "index_total_parameters_mismatch")!;
    // the difference is exactly the tied embedding (262208 x 5376): total_parameters counts lm_head twice
    expect(headers.message).toContain("difference 1409630208");
    expect(headers.message).toContain("language_model.model.embed_tokens.weight");
    expect(r.report.status).toBe("PASS");
    expect(r.report.findings.filter((f) => f.severity === "error")).toEqual([]);
    // the vision tower is declared (vision_config) and present
    expect(r.codes).not.toContain("cfg_tower_missing");
  });

  it("BLOOM: 72 underscore-named shards pass", async () => {
    const built = buildCorpusRepo(lab.store, "bigscience__bloom", { repoId: "corpus/bloom" });
    expect(built.shards.map((s) => s.file)).toContain("model_00072-of-00072.safetensors");
    const r = await inspect(lab, built.repoId);
    expect(r.fp.files.filter((f) => f.kind === "safetensors")).toHaveLength(72);
    expect(r.report.findings).toEqual([]);
    expect(r.report.status).toBe("PASS");
    expect(r.fp.params!.total).toBe(176_247_271_424);
  });
});
