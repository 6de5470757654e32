import { existsSync, readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { architectureKeys, buildSignature, countParams, featuresFromTensors } from "../src/fingerprint/tensors.js";
import type { WeightFormat } from "../src/fingerprint/types.js";
import {
  detectWeightFormat,
  detectWeightFormatDetailed,
  formatFromConfig,
  formatFromTensors,
  modulePairsBothWays,
  weightFormatFeature,
} from "../src/fingerprint/weight-format.js";
import { CORPUS_DIR, corpusPath, describeCorpus, readCorpusJson } from "./support/corpus.js";
import {
  deepSeekTensors,
  HeaderBuilder,
  LLAMA_31_8B,
  llamaConfig,
  llamaTensors,
  nameOnly,
  QUANT_KINDS,
  type QuantKind,
} from "./support/tensor-fixtures.js";

/** Expected detection for each crafted quantized copy of Llama-3.1-8B. */
const EXPECTED: Record<QuantKind, Partial<WeightFormat> & { format: string }> = {
  bf16: { format: "bf16", storageDtype: "BF16", bits: null },
  "fp8-block": { format: "fp8-e4m3-block", method: "fp8", bits: 8, blockSize: [128, 128], storageDtype: "F8_E4M3", scaleDtypes: ["F32"] },
  gptq: { format: "gptq-int4", method: "gptq", bits: 4, groupSize: 128, storageDtype: "I32", scaleDtypes: ["F16"] },
  awq: { format: "awq-int4", method: "awq", bits: 4, groupSize: 128, storageDtype: "I32", scaleDtypes: ["F16"] },
  "bnb-int8": { format: "bnb-int8", method: "bitsandbytes", bits: 8, storageDtype: "I8", scaleDtypes: ["F32"] },
  "bnb-nf4": { format: "bnb-nf4", method: "bitsandbytes", bits: 4, groupSize: 64, storageDtype: "U8" },
  "mlx-4bit": { format: "mlx-4bit", method: "mlx", bits: 4, groupSize: 64, storageDtype: "U32", scaleDtypes: ["BF16"] },
  nvfp4: { format: "nvfp4", method: "modelopt", bits: 4, groupSize: 16, storageDtype: "U8", scaleDtypes: ["F32", "F8_E4M3"] },
  "ct-w4a16": { format: "compressed-tensors-w4a16", method: "compressed-tensors", bits: 4, groupSize: 128, storageDtype: "I32", scaleDtypes: ["BF16"] },
};

const LLAMA_8B_PARAMS = 8_030_261_248;
const HINT = { heads: 32, kvHeads: 8, headDim: 128 };

describe("quantized copies of one Llama: same architecture, different weight format", () => {
  const bf16 = llamaTensors("bf16");
  const bf16Keys = architectureKeys(buildSignature(bf16));
  const bf16Features = featuresFromTensors(bf16, buildSignature(bf16), HINT);
  const { weightFormat: _wf, ...bf16Rest } = bf16Features.features;

  describe.each(QUANT_KINDS)("%s", (kind) => {
    const tensors = llamaTensors(kind);
    const config = llamaConfig(kind);
    const exp = EXPECTED[kind];

    it("is detected from the tensors alone", () => {
      expect(formatFromTensors(tensors)).toMatchObject(exp);
    });

    it("is detected from config.json alone (quantization_config is read)", () => {
      const c = formatFromConfig(config)!;
      expect(c.format).toBe(exp.format);
      if (exp.bits) expect(c.bits).toBe(exp.bits);
      if (exp.groupSize) expect(c.groupSize).toBe(exp.groupSize);
      if (exp.blockSize) expect(c.blockSize).toEqual(exp.blockSize);
      expect(detectWeightFormat({ config, tensors: null }).format).toBe(exp.format);
    });

    it("agrees when both are read, with evidence from both and no finding", () => {
      const { format, findings } = detectWeightFormatDetailed({ config, tensors });
      expect(format).toMatchObject(exp);
      expect(format.evidence.some((e) => e.startsWith("tensors:"))).toBe(true);
      expect(format.evidence.some((e) => e.startsWith("config:"))).toBe(true);
      // GPTQ/AWQ copies are F16 while the config's torch_dtype says so too; no conflicts anywhere
      expect(findings).toEqual([]);
    });

    it("has the BF16 model's architecture keys once quant bookkeeping is dropped", () => {
      expect(architectureKeys(buildSignature(tensors))).toEqual(bf16Keys);
    });

    it("has the BF16 model's logical parameter count", () => {
      expect(countParams(tensors).total).toBe(LLAMA_8B_PARAMS);
    });

    it("reveals the same features and scale as the BF16 copy (except the weight format)", () => {
      const f = featuresFromTensors(tensors, buildSignature(tensors), HINT);
      const { weightFormat, ...rest } = f.features;
      expect(weightFormat).toBe(exp.format);
      if (kind === "bnb-nf4") {
        // 4-bit bitsandbytes flattens weights to [n/2, 1]: shape-derived values are left out, never guessed
        for (const [k, v] of Object.entries(rest)) expect(bf16Rest[k as keyof typeof bf16Rest], k).toEqual(v);
        for (const [k, v] of Object.entries(f.scale)) expect(bf16Features.scale[k as keyof typeof f.scale], k).toEqual(v);
        expect(rest.kvGrouping).toBeUndefined();
      } else {
        expect(rest).toEqual(bf16Rest);
        expect(f.scale).toEqual(bf16Features.scale);
      }
      expect(f.findings).toEqual([]);
    });
  });

  it("different formats give different format strings", () => {
    const formats = QUANT_KINDS.map((k) => formatFromTensors(llamaTensors(k))!.format);
    expect(new Set(formats).size).toBe(QUANT_KINDS.length);
  });
});

describe("detectWeightFormat edge cases", () => {
  it("a BF16 model with one stray F32 matrix stays bf16, with a note", () => {
    const t = llamaTensors("bf16", { ...LLAMA_31_8B, layers: 2 }).map((x) =>
      x.name === "model.layers.1.mlp.down_proj.weight" ? { ...x, dtype: "F32" } : x,
    );
    const wf = formatFromTensors(t)!;
    expect(wf.format).toBe("bf16");
    expect(wf.evidence.find((e) => e.startsWith("mixed:"))).toMatch(/1 F32 matrix/);
    expect(detectWeightFormatDetailed({ config: null, tensors: t }).findings.map((f) => f.code)).toEqual(["WEIGHT_MIXED_DTYPES"]);
  });

  it("tensors win over a config that disagrees, with a finding", () => {
    const t = llamaTensors("bf16", { ...LLAMA_31_8B, layers: 2 });
    const r = detectWeightFormatDetailed({ config: llamaConfig("gptq"), tensors: t });
    expect(r.format.format).toBe("bf16");
    expect(r.findings.map((f) => f.code)).toEqual(["WEIGHT_FORMAT_MISMATCH"]);
    expect(r.format.evidence.some((e) => e.startsWith("CONFLICT"))).toBe(true);
  });

  it("quantized tensors with no quantization_config are reported as undeclared", () => {
    const t = llamaTensors("fp8-block", { ...LLAMA_31_8B, layers: 2 });
    const r = detectWeightFormatDetailed({ config: llamaConfig("bf16"), tensors: t });
    expect(r.format.format).toBe("fp8-e4m3-block");
    expect(r.findings.map((f) => f.code)).toEqual(["WEIGHT_FORMAT_UNDECLARED"]);
  });

  it("torch_dtype that disagrees with the stored matrices is an info finding", () => {
    const t = llamaTensors("bf16", { ...LLAMA_31_8B, layers: 2 });
    const r = detectWeightFormatDetailed({ config: { torch_dtype: "float32" }, tensors: t });
    expect(r.format.format).toBe("bf16");
    expect(r.findings.map((f) => [f.code, f.severity])).toEqual([["WEIGHT_DTYPE_MISMATCH", "info"]]);
  });

  it("unknown when nothing says; weightFormatFeature maps it to null", () => {
    const wf = detectWeightFormat({ config: { model_type: "gpt2" }, tensors: null });
    expect(wf.format).toBe("unknown");
    expect(weightFormatFeature(wf)).toBeNull();
    expect(weightFormatFeature(detectWeightFormat({ config: { dtype: "bfloat16" }, tensors: null }))).toBe("bf16");
  });

  it("FP8 per-channel (compressed-tensors float-quantized / RedHat FP8-dynamic)", () => {
    const b = new HeaderBuilder();
    b.add("model.embed_tokens.weight", "BF16", [1000, 256]);
    for (const p of ["q_proj", "k_proj", "v_proj", "o_proj"]) {
      b.add(`model.layers.0.self_attn.${p}.weight`, "F8_E4M3", [256, 256]);
      b.add(`model.layers.0.self_attn.${p}.weight_scale`, "BF16", [256, 1]);
    }
    b.add("model.norm.weight", "BF16", [256]);
    const t = formatFromTensors(b.tensors)!;
    expect(t).toMatchObject({ format: "fp8-e4m3", bits: 8, storageDtype: "F8_E4M3", blockSize: null });
    expect(t.evidence[0]).toMatch(/per-channel/);
    const config = {
      quantization_config: {
        quant_method: "compressed-tensors",
        format: "float-quantized",
        config_groups: { group_0: { targets: ["Linear"], weights: { num_bits: 8, type: "float", strategy: "channel" }, input_activations: { num_bits: 8, type: "float", dynamic: true, strategy: "token" } } },
      },
    };
    expect(formatFromConfig(config)).toMatchObject({ format: "fp8-e4m3", method: "compressed-tensors", bits: 8 });
    expect(detectWeightFormatDetailed({ config, tensors: b.tensors })).toMatchObject({ format: { format: "fp8-e4m3", method: "compressed-tensors" }, findings: [] });
    expect(formatFromConfig({ quantization_config: { quant_method: "fbgemm_fp8", activation_scale_ub: 1200 } })).toMatchObject({ format: "fp8-e4m3", method: "fbgemm_fp8" });
    expect(formatFromConfig({ quantization_config: { quant_method: "fp8", activation_scheme: "static" } })).toMatchObject({ format: "fp8-e4m3", blockSize: null });
  });

  it("FP8 per-tensor with static input scales (ModelOpt FP8)", () => {
    const b = new HeaderBuilder();
    b.add("model.layers.0.mlp.up_proj.weight", "F8_E4M3", [512, 256]);
    b.add("model.layers.0.mlp.up_proj.weight_scale", "F32", []);
    b.add("model.layers.0.mlp.up_proj.input_scale", "F32", []);
    b.add("model.norm.weight", "BF16", [256]);
    expect(formatFromTensors(b.tensors)!.evidence[0]).toMatch(/per-tensor weight_scale, static input_scale/);
    expect(formatFromConfig({}, { quantization: { quant_algo: "FP8", kv_cache_quant_algo: "FP8" } })).toMatchObject({ format: "fp8-e4m3", method: "modelopt" });
  });

  it("compressed-tensors NVFP4 (weight_packed U8 + F8 weight_scale + global scales) and W8A8 int8", () => {
    const b = new HeaderBuilder();
    b.add("model.layers.0.mlp.up_proj.weight_packed", "U8", [512, 128]);
    b.add("model.layers.0.mlp.up_proj.weight_scale", "F8_E4M3", [512, 16]);
    b.add("model.layers.0.mlp.up_proj.weight_global_scale", "F32", [1]);
    b.add("model.layers.0.mlp.up_proj.input_global_scale", "F32", [1]);
    b.add("model.norm.weight", "BF16", [256]);
    expect(formatFromTensors(b.tensors)).toMatchObject({ format: "nvfp4", method: "compressed-tensors", groupSize: 16, storageDtype: "U8" });
    expect(formatFromConfig({ quantization_config: { quant_method: "compressed-tensors", format: "nvfp4-pack-quantized", config_groups: { g: { weights: { num_bits: 4, type: "float", group_size: 16 } } } } })).toMatchObject({
      format: "nvfp4",
      groupSize: 16,
    });
    expect(architectureKeys(buildSignature(b.tensors))).toEqual(["model.layers.{L}.mlp.up_proj.weight", "model.norm.weight"]);

    const w8 = new HeaderBuilder();
    w8.add("model.layers.0.mlp.up_proj.weight", "I8", [512, 256]);
    w8.add("model.layers.0.mlp.up_proj.weight_scale", "BF16", [512, 1]);
    w8.add("model.norm.weight", "BF16", [256]);
    expect(formatFromTensors(w8.tensors)).toMatchObject({ format: "compressed-tensors-w8a8", bits: 8 });
    expect(
      formatFromConfig({ quantization_config: { quant_method: "compressed-tensors", format: "int-quantized", config_groups: { g: { weights: { num_bits: 8, type: "int", strategy: "channel" }, input_activations: { num_bits: 8, type: "int", dynamic: true } } } } })!.format,
    ).toBe("compressed-tensors-w8a8");
  });

  it("GGUF: the dominant ggml type of the matrices", () => {
    const b = new HeaderBuilder();
    b.add("token_embd.weight", "Q4_K", [32000, 4096]);
    for (let l = 0; l < 2; l++) {
      b.add(`blk.${l}.attn_norm.weight`, "F32", [4096]);
      b.add(`blk.${l}.attn_q.weight`, "Q4_K", [4096, 4096]);
      b.add(`blk.${l}.attn_v.weight`, "Q6_K", [1024, 4096]);
      b.add(`blk.${l}.ffn_down.weight`, "Q6_K", [4096, 14336]);
      b.add(`blk.${l}.ffn_up.weight`, "Q4_K", [14336, 4096]);
      b.add(`blk.${l}.ffn_gate.weight`, "Q4_K", [14336, 4096]);
    }
    b.add("output.weight", "Q6_K", [32000, 4096]);
    const wf = formatFromTensors(b.tensors)!;
    expect(wf).toMatchObject({ format: "gguf-Q4_K", method: "gguf", storageDtype: "Q4_K" });
    expect(wf.evidence[0]).toMatch(/also Q6_K/);
    const f16 = new HeaderBuilder().add("blk.0.attn_q.weight", "F16", [64, 64]).add("blk.0.attn_norm.weight", "F32", [64]);
    expect(formatFromTensors(f16.tensors, "gguf")!.format).toBe("gguf-F16");
    // GGUF quant types have logical shapes: no packing multiplier
    expect(countParams(b.tensors).total).toBe(b.tensors.reduce((a, t) => a + t.shape.reduce((x, y) => x * y, 1), 0));
  });

  it("DeepSeek-V3-like FP8: block size from the weight_scale_inv shapes, even for 576-row kv_a", () => {
    const t = deepSeekTensors({ denseLayers: 1, moeLayers: 1, experts: 8, mtp: false, fp8: true });
    expect(formatFromTensors(t)).toMatchObject({ format: "fp8-e4m3-block", blockSize: [128, 128], scaleDtypes: ["F32"], method: "fp8" });
  });

  it("(weight, block scale) pairs come from module ids exactly as from the module map, in any order", () => {
    // Seeded shuffles of names with layers, experts and a module id in the last segment; a module's
    // first tensor may be a third bookkeeping leaf; some modules lack one side; a layer may end in
    // a number; bitsandbytes leaves (another module split) make it use the map.
    let seed = 7;
    const rnd = (n: number): number => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
      return ((x ^ (x >>> 14)) >>> 0) % n;
    };
    let compared = 0;
    for (let round = 0; round < 200; round++) {
      const b = new HeaderBuilder();
      const names: [string, string, number[]][] = [];
      const layers = 1 + rnd(4);
      for (let l = 0; l < layers; l++) {
        for (let e = 0; e < 1 + rnd(12); e++) {
          for (const proj of ["gate_proj", "up_proj", "down_proj"]) {
            const mod = `model.layers.${l}.mlp.experts.${e}.${proj}`;
            const o = 128 * (1 + rnd(3));
            const i = 128 * (1 + rnd(3));
            if (rnd(8) > 0) names.push([`${mod}.weight`, "F8_E4M3", [o, i]]);
            if (rnd(8) > 0) names.push([`${mod}.weight_scale_inv`, "F32", [o / (64 * (1 + rnd(2))), i / 128]]);
            if (rnd(4) === 0) names.push([`${mod}.input_scale`, "F32", []]);
            if (rnd(10) === 0) names.push([`${mod}.bias`, "BF16", [o]]);
          }
        }
        if (rnd(3) === 0) names.push([`model.layers.${l}.mlp.gate.weight`, "BF16", [8, 128]]);
        if (rnd(5) === 0) names.push([`model.layers.${l}.mlp.experts.${l}`, "F32", [4]]);
      }
      if (round % 10 === 9) names.push(["model.layers.0.mlp.experts.0.up_proj.weight.absmax", "F32", [64]]);
      for (let k = names.length - 1; k > 0; k--) {
        const j = rnd(k + 1);
        [names[k], names[j]] = [names[j]!, names[k]!];
      }
      if (round % 2 === 0) names.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
      for (const [n, d, sh] of names) b.add(n, d, sh);
      const { pairs, fromMap } = modulePairsBothWays(b.tensors, "weight", "weight_scale_inv");
      expect(pairs).toEqual(fromMap);
      for (let k = 0; k < pairs.length; k++) expect(pairs[k]![0]).toBe(fromMap[k]![0]);
      compared += pairs.length;
    }
    expect(compared).toBeGreaterThan(2000);
    const ds = deepSeekTensors({ denseLayers: 1, moeLayers: 2, experts: 16, mtp: true, fp8: true });
    const both = modulePairsBothWays(ds, "weight", "weight_scale_inv");
    expect(both.pairs.length).toBeGreaterThan(96);
    expect(both.pairs).toEqual(both.fromMap);
  });

  it("bitsandbytes 4-bit defaults to fp4 when the config omits the quant type (bitsandbytes' default)", () => {
    expect(formatFromConfig({ quantization_config: { load_in_4bit: true } })!.format).toBe("bnb-fp4");
    expect(formatFromConfig({ quantization_config: { load_in_8bit: true } })!.format).toBe("bnb-int8");
  });

  it("reads quantization_config nested in text_config (VLMs), AWQ w_bit spelling, HQQ and EETQ", () => {
    expect(formatFromConfig({ text_config: { quantization_config: { quant_method: "awq", w_bit: 4, q_group_size: 128 } } })).toMatchObject({ format: "awq-int4", groupSize: 128 });
    expect(formatFromConfig({ quantization_config: { quant_method: "hqq", quant_config: { weight_quant_params: { nbits: 4, group_size: 64 } } } })).toMatchObject({ format: "hqq-int4", groupSize: 64 });
    expect(formatFromConfig({ quantization_config: { quant_method: "eetq", weights: "int8" } })!.format).toBe("eetq-int8");
    expect(formatFromConfig({ quantization_config: { quant_method: "gptq", bits: 8, group_size: -1 } })!.format).toBe("gptq-int8");
  });
});

describeCorpus("weight formats of corpus models", () => {
  const cfg = (folder: string) => readCorpusJson(folder);

  it("config-only: FP8 block DeepSeek-R1 / V3 / Kimi-K2", () => {
    for (const folder of ["deepseek-ai__DeepSeek-R1", "deepseek-ai__DeepSeek-V3", "moonshotai__Kimi-K2-Instruct"]) {
      expect(detectWeightFormat({ config: cfg(folder), tensors: null }), folder).toMatchObject({ format: "fp8-e4m3-block", blockSize: [128, 128], method: "fp8", bits: 8 });
    }
  });

  it("config-only: MLX 4-bit (quantization block without quant_method), bnb int8, gpt-oss mxfp4, fp32 Reflection", () => {
    expect(detectWeightFormat({ config: cfg("derivative__Qwen3-14B-MLX-4bit"), tensors: null })).toMatchObject({ format: "mlx-4bit", bits: 4, groupSize: 64 });
    expect(detectWeightFormat({ config: cfg("jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy"), tensors: null })).toMatchObject({ format: "bnb-int8", bits: 8 });
    expect(detectWeightFormat({ config: cfg("openai__gpt-oss-20b"), tensors: null })).toMatchObject({ format: "mxfp4", bits: 4, groupSize: 32 });
    expect(detectWeightFormat({ config: cfg("mattshumer__Reflection-Llama-3.1-70B"), tensors: null }).format).toBe("fp32");
    expect(detectWeightFormat({ config: cfg("meta-llama__Llama-3.1-8B"), tensors: null }).format).toBe("bf16");
  });

  it("config-only never throws and never hides a quantization block", () => {
    let quantized = 0;
    for (const folder of readdirSync(CORPUS_DIR).sort()) {
      const p = corpusPath(folder, "config.json");
      if (!existsSync(p)) continue;
      const c = JSON.parse(readFileSync(p, "utf8")) as Record<string, unknown>;
      const wf = detectWeightFormat({ config: c, tensors: null });
      const hasQuant = c.quantization_config !== undefined || c.quantization !== undefined;
      if (hasQuant) {
        quantized++;
        expect(["bf16", "fp16", "fp32", "unknown"], folder).not.toContain(wf.format);
      }
    }
    expect(quantized).toBe(6);
  });

  const weightMap = (folder: string) =>
    Object.keys((readCorpusJson(folder, "model.safetensors.index.json") as { weight_map: Record<string, string> }).weight_map);

  it("bnb int8 copy from its weight map (names + conventional dtypes) and config", () => {
    const names = weightMap("jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy");
    const t = nameOnly(names, (n) => (n.endsWith(".SCB") ? "F32" : n.endsWith(".weight_format") ? "U8" : /_proj\.weight$/.test(n) ? "I8" : "F16"));
    const r = detectWeightFormatDetailed({ config: cfg("jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy"), tensors: t });
    expect(r.format).toMatchObject({ format: "bnb-int8", method: "bitsandbytes", storageDtype: "I8", scaleDtypes: ["F32"] });
    expect(r.findings).toEqual([]);
  });

  it("MLX 4-bit from its weight map: tensors show MLX, the config supplies bits when shapes are unknown", () => {
    const names = weightMap("derivative__Qwen3-14B-MLX-4bit");
    const t = nameOnly(names, (n) => (/(proj|embed_tokens|lm_head)\.weight$/.test(n) ? "U32" : "BF16"));
    expect(formatFromTensors(t)!.format).toBe("mlx-?bit");
    expect(detectWeightFormat({ config: cfg("derivative__Qwen3-14B-MLX-4bit"), tensors: t })).toMatchObject({ format: "mlx-4bit", bits: 4, groupSize: 64 });
  });

  it("gpt-oss from its weight map: MXFP4 _blocks / _scales", () => {
    const names = weightMap("openai__gpt-oss-20b");
    const t = nameOnly(names, (n) => (/_(blocks|scales)$/.test(n) ? "U8" : "BF16"));
    const r = detectWeightFormatDetailed({ config: cfg("openai__gpt-oss-20b"), tensors: t });
    expect(r.format).toMatchObject({ format: "mxfp4", method: "mxfp4", bits: 4, groupSize: 32, storageDtype: "U8" });
    expect(r.findings).toEqual([]);
  });

  it("plain BF16 weight maps detect as bf16", () => {
    for (const folder of ["HuggingFaceTB__SmolLM3-3B", "google__medgemma-27b-it", "microsoft__WizardLM-2-8x22B"]) {
      const t = nameOnly(weightMap(folder).map((n) => n));
      expect(detectWeightFormat({ config: cfg(folder), tensors: t }).format, folder).toBe("bf16");
    }
  });
});
