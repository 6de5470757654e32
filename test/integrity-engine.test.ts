/**
 * Engine support gaps (Mantile parity): the kinds a model needs, from the fingerprint's features,
 * and what an engine's `supported` list lacks, with example tensor keys.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalKind, engineGaps, ENGINE_KINDS, neededKinds, quantKind } from "../src/integrity/engine-gaps.js";
import { synthesizeTensors, tinyConfig } from "./hub/synth.js";
import { describeCorpus } from "./support/corpus.js";
import { corpusFingerprint, fingerprintFromConfig, fingerprintFromTensors } from "./support/fingerprints.js";
import { FP8, inspect, startLab, tinyDeepseek, writeRepo, type Inspected, type Lab } from "./support/integrity-lab.js";

describe("vocabulary", () => {
  it("canonical kinds and accepted op names / spellings", () => {
    expect(canonicalKind("attention.gqa")).toBe("gqa");
    expect(canonicalKind("GQA")).toBe("gqa");
    expect(canonicalKind("moe.shared")).toBe("shared_experts");
    expect(canonicalKind("shared-experts")).toBe("shared_experts");
    expect(canonicalKind("tower.vision")).toBe("vision");
    expect(canonicalKind("quant.fp8-e4m3-block")).toBe("fp8");
    expect(canonicalKind("quant.gptq-int4")).toBe("gptq");
    expect(canonicalKind("rope.yarn")).toBe("rope.yarn");
    expect(canonicalKind("rope")).toBe("rope.*");
    expect(canonicalKind("pos.alibi")).toBe("alibi");
    expect(canonicalKind("sliding_window")).toBe("sliding_attention");
    expect(canonicalKind("mamba2")).toBe("mamba2");
    expect(canonicalKind("flash_attention_4")).toBeNull();
    for (const k of ENGINE_KINDS) expect(canonicalKind(k)).toBe(k);
  });

  it("weight formats map to quant kinds; plain floats need nothing", () => {
    expect(["bf16", "fp16", "fp32", "gguf-F16"].map(quantKind)).toEqual([null, null, null, null]);
    expect(["fp8-e4m3-block", "mxfp4", "nvfp4", "gptq-int4", "awq-int4", "bnb-nf4", "mlx-4bit", "gguf-Q4_K", "compressed-tensors-w4a16"].map(quantKind)).toEqual([
      "fp8",
      "mxfp4",
      "nvfp4",
      "gptq",
      "awq",
      "bitsandbytes",
      "mlx",
      "gguf",
      "compressed-tensors",
    ]);
  });
});

describeCorpus("needed kinds of corpus models (config-only fingerprints)", () => {
  const cases: [string, string[]][] = [
    ["deepseek-ai__DeepSeek-V3", ["full_attention", "mla", "rope.yarn", "moe", "shared_experts", "grouped_topk", "fp8"]],
    ["meta-llama__Llama-3.1-8B", ["full_attention", "gqa", "rope.llama3"]],
    ["google__gemma-2-9b-it", ["full_attention", "sliding_attention", "gqa", "softcap", "rope.default"]],
    ["openai__gpt-oss-20b", ["full_attention", "sliding_attention", "gqa", "sinks", "rope.yarn", "moe", "mxfp4"]],
    ["nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", ["full_attention", "mamba2", "gqa", "moe", "shared_experts"]],
    ["Qwen__Qwen2.5-VL-7B-Instruct", ["full_attention", "gqa", "rope.mrope", "vision"]],
    ["bigscience__bloom", ["full_attention", "mha", "alibi"]],
    ["LiquidAI__LFM2-1.2B", ["full_attention", "conv", "gqa", "qk_norm", "rope.default"]],
    ["RWKV__rwkv-5-world-3b", ["linear_attention"]],
    ["rkyadav08__whisper-small-hindi-finetune", ["full_attention", "cross_attention", "mha", "learned_positions", "audio"]],
    ["derivative__Qwen3-14B-MLX-4bit", ["full_attention", "gqa", "qk_norm", "rope.default", "mlx"]],
  ];
  for (const [folder, kinds] of cases) {
    it(folder, () => expect(neededKinds(corpusFingerprint(folder))).toEqual(kinds));
  }

  it("an engine declaring op names covers DeepSeek-V3; a plain GQA engine misses MLA, MoE, fp8 and yarn", () => {
    const fp = corpusFingerprint("deepseek-ai__DeepSeek-V3");
    const full = engineGaps(fp, null, ["full_attention", "attention.mla", "moe.topk", "moe.shared", "moe.grouped", "quant.fp8-e4m3-block", "rope.*"]);
    expect(full.missing).toEqual([]);
    const plain = engineGaps(fp, null, ["full_attention", "gqa", "rope.default", "rope.llama3"]);
    expect(plain.missing.map((m) => m.kind)).toEqual(["mla", "rope.yarn", "moe", "shared_experts", "grouped_topk", "fp8"]);
    // config-only: no tensors to show
    expect(plain.missing.every((m) => m.tensors.length === 0)).toBe(true);
  });
});

describe("gaps with example tensors, through the pipeline", () => {
  let lab: Lab;
  let r: Inspected;
  beforeAll(async () => {
    lab = await startLab("standin-gaps-");
    writeRepo(lab, "gaps/deepseek-fp8", tinyDeepseek(FP8));
    r = await inspect(lab, "gaps/deepseek-fp8");
  });
  afterAll(async () => {
    await lab?.close();
  });

  it("missing kinds name up to 5 abstract tensor keys each", () => {
    const g = engineGaps(r.fp, r.ex!.raw.tensors, ["full_attention", "gqa", "rope.default", "moe"]);
    expect(g.needed).toEqual(["full_attention", "mla", "rope.default", "moe", "shared_experts", "grouped_topk", "fp8"]);
    const by = Object.fromEntries(g.missing.map((m) => [m.kind, m.tensors]));
    expect(Object.keys(by)).toEqual(["mla", "shared_experts", "grouped_topk", "fp8"]);
    expect(by.mla).toContain("model.layers.{L}.self_attn.kv_a_proj_with_mqa.weight");
    expect(by.mla!.length).toBeLessThanOrEqual(5);
    expect(by.shared_experts!.every((k) => k.includes(".shared_experts."))).toBe(true);
    expect(by.grouped_topk).toContain("model.layers.{L}.mlp.gate.e_score_correction_bias");
    expect(by.fp8!.length).toBe(5);
    expect(by.fp8!.every((k) => k.includes("{L}"))).toBe(true);
  });

  it("the same examples from the raw tensors when the fingerprint has no signature", () => {
    const withSig = engineGaps(r.fp, null, ["gqa"]);
    const raw = engineGaps({ ...r.fp, signature: null }, r.ex!.raw.tensors, ["gqa"]);
    expect(raw.missing.map((m) => m.kind)).toEqual(withSig.missing.map((m) => m.kind));
    expect(raw.missing.find((m) => m.kind === "mla")!.tensors.length).toBeGreaterThan(0);
  });

  it("config-only and header fingerprints of one model need the same kinds", () => {
    expect(neededKinds(fingerprintFromConfig("x", tinyDeepseek(FP8)))).toEqual(neededKinds(r.fp));
    const cfg = tinyConfig();
    expect(neededKinds(fingerprintFromConfig("x", cfg))).toEqual(neededKinds(fingerprintFromTensors("x", cfg, synthesizeTensors(cfg))));
  });

  it("supported: null checks nothing; unrecognized entries are reported, not silently ignored", () => {
    expect(engineGaps(r.fp, null, null)).toEqual({ needed: engineGaps(r.fp, null, []).needed, missing: [], unrecognized: [] });
    const g = engineGaps(r.fp, null, ["mla", "moe", "shared_experts", "grouped_topk", "fp8", "rope", "full_attention", "flash-mla-v9"]);
    expect(g.missing).toEqual([]);
    expect(g.unrecognized).toEqual(["flash-mla-v9"]);
  });
});
