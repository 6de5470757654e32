/**
 * GPU table, hardware fits and the roofline cost model (src/plan/gpus.ts, fit.ts, cost.ts).
 * Corpus suites use config-only fingerprints of real models (../shared/zoo-corpus).
 */
import { describe, expect, it } from "vitest";
import { describeCorpus, readCorpusJson } from "./support/corpus.js";
import { corpusFingerprint, fingerprintFromConfig, fingerprintFromTensors } from "./support/fingerprints.js";
import { llamaConfig, llamaTensors, QUANT_KINDS } from "./support/tensor-fixtures.js";
import { GPUS, MEMORY_CLASSES, MEMORY_CLASS_NAMES, classCapacityBytes, gpuById, gpusInClass, peakTflops } from "../src/plan/gpus.js";
import { DEFAULT_OVERHEAD, fitHardware, fitModel, perGpuBytes, tpAllowed, weightBytesOf, type FitInput } from "../src/plan/fit.js";
import { causalPairs, computePrecision, costModel, summarizeCost } from "../src/plan/cost.js";
import * as planApi from "../src/plan/index.js";
import { kvBytesAtSeqLen } from "../src/fingerprint/kvcache.js";

const MiB = 2 ** 20;
const GiB = 2 ** 30;
/** usable bytes of a class: 0.9 x driver-reported capacity. */
const usable = (cls: (typeof MEMORY_CLASSES)[number]): number => Math.floor(classCapacityBytes(cls) * 0.9);
/** The documented per-GPU need: (W / TP + KV share) x 1.05 + 1 GiB. */
const need = (w: number, kvShare: number, tp: number): number => Math.ceil((w / tp + kvShare) * 1.05 + GiB);

describe("GPU table", () => {
  it("covers every memory class of verdicts.md with a named representative", () => {
    expect([...MEMORY_CLASSES]).toEqual([24, 40, 48, 80, 96, 141, 192]);
    for (const cls of MEMORY_CLASSES) {
      expect(gpusInClass(cls).length).toBeGreaterThan(0);
      expect(MEMORY_CLASS_NAMES[cls]).toMatch(/\d+GB$/);
    }
    expect(GPUS.map((g) => g.id).sort()).toEqual(["a100-40gb", "a100-80gb", "a10g", "b200", "h100-nvl", "h100-sxm", "h200", "l4", "l40s"]);
  });

  it("lists dense datasheet figures with sources", () => {
    for (const g of GPUS) {
      expect(g.sources.length).toBeGreaterThan(0);
      for (const s of g.sources) expect(s).toMatch(/^https:\/\//);
      expect(g.bandwidthGBs).toBeGreaterThan(0);
      // FP8 is twice BF16 and FP4 twice FP8 where supported (dense tensor cores)
      if (g.tflops.fp8 !== null) expect(g.tflops.fp8 / g.tflops.bf16).toBeCloseTo(2, 1);
      if (g.tflops.fp4 !== null) expect(g.tflops.fp4 / (g.tflops.fp8 ?? 0)).toBeCloseTo(2, 5);
    }
    const h100 = gpuById("h100-sxm")!;
    expect(h100.tflops).toEqual({ bf16: 989.4, fp8: 1978.9, fp4: null });
    expect(h100.bandwidthGBs).toBe(3350);
    expect(gpuById("a100-80gb")!.tflops.fp8).toBeNull(); // Ampere: no FP8 tensor cores
    expect(gpuById("b200")!.tflops.fp4).toBe(9000);
  });

  it("uses driver-reported capacities (B200 192 GB decimal = 179 GiB, H100 NVL in the 96 GB class)", () => {
    expect(classCapacityBytes(192)).toBe(183359 * MiB);
    expect(classCapacityBytes(192) / 1e9).toBeCloseTo(192.27, 2);
    expect(classCapacityBytes(192) / GiB).toBeCloseTo(179.06, 2);
    expect(gpuById("h100-nvl")!.memoryClassGB).toBe(96);
    // a class is as large as its smallest member: 80 GB = H100 (81,559 MiB) not A100 (81,920 MiB)
    expect(classCapacityBytes(80)).toBe(81559 * MiB);
    expect(classCapacityBytes(24)).toBe(23028 * MiB);
  });

  it("falls back to BF16 math where a precision has no tensor cores", () => {
    expect(peakTflops(gpuById("a100-80gb")!, "fp8")).toEqual({ precision: "bf16", tflops: 312 });
    expect(peakTflops(gpuById("h100-sxm")!, "fp4")).toEqual({ precision: "bf16", tflops: 989.4 });
    expect(peakTflops(gpuById("l4")!, "fp8")).toEqual({ precision: "fp8", tflops: 242.5 });
    expect(computePrecision("fp8-e4m3-block")).toBe("fp8");
    expect(computePrecision("mxfp4")).toBe("fp4");
    expect(computePrecision("gptq-int4")).toBe("bf16");
    expect(computePrecision(null)).toBe("bf16");
  });
});

describe("fitHardware", () => {
  const base = (w: number, kv = 0, extra: Partial<FitInput> = {}): FitInput => ({ weightBytes: w, kvBytes: kv, seqLen: 4096, ...extra });

  it("documents its defaults", () => {
    expect(DEFAULT_OVERHEAD).toEqual({ usableFraction: 0.9, fraction: 0.05, fixedBytesPerGpu: GiB });
    expect(perGpuBytes(base(10e9, 2e9), 2)).toBe(need(10e9, 1e9, 2));
  });

  it("prefers least total memory, then fewer GPUs; min-gpus prefers fewer GPUs", () => {
    // 60 GB of weights: 1 x 80 (80 GB) beats 2 x 40 (80 GB, more GPUs) and 4 x 24 (96 GB)
    const f = fitHardware(base(60e9));
    expect([f.tensorParallel, f.gpuMemoryGB]).toEqual([1, 80]);
    // 100 GB: 1 x 141 (141) beats 4 x 40 (160), 2 x 80 (160), 1 x 192
    const g = fitHardware(base(100e9));
    expect([g.tensorParallel, g.gpuMemoryGB, g.gpuClass]).toEqual([1, 141, "H200 141GB"]);
    expect(g.alternatives?.map((a) => `${a.tensorParallel}x${a.gpuMemoryGB}`)).toEqual(["8x24", "4x40", "4x48", "2x80", "2x96", "1x141", "1x192"]);
    const h = fitHardware(base(150e9, 0, { policy: "min-gpus" }));
    expect([h.tensorParallel, h.gpuMemoryGB]).toEqual([1, 192]);
  });

  it("respects head divisibility for TP (vLLM: heads % TP, kv % TP or TP % kv)", () => {
    expect(tpAllowed(8, 28, 4)).toBe(false); // Qwen2.5-7B
    expect(tpAllowed(4, 28, 4)).toBe(true);
    expect(tpAllowed(8, 64, 8)).toBe(true);
    expect(tpAllowed(8, 64, 2)).toBe(true); // KV heads replicated
    expect(tpAllowed(4, 40, 10)).toBe(false); // phi-4: 10 KV heads
    expect(tpAllowed(2, 71, 1)).toBe(false); // falcon-7b: 71 heads -> TP 1 only
    // 30 GB of weights with 71 heads: no 2 x 24; one 40 GB GPU
    const f = fitHardware(base(30e9, 0, { heads: 71, kvHeads: 1 }));
    expect([f.tensorParallel, f.gpuMemoryGB]).toEqual([1, 40]);
  });

  it("splits KV by KV heads (replicated beyond), keeps an MLA latent whole on every rank", () => {
    const kv = 8e9;
    expect(perGpuBytes(base(0, kv, { kvHeads: 2 }), 8)).toBe(need(0, kv / 2, 8));
    expect(perGpuBytes(base(0, kv, { kvHeads: 8 }), 8)).toBe(need(0, kv / 8, 8));
    expect(perGpuBytes(base(0, kv, { kvReplicated: true }), 8)).toBe(need(0, kv, 8));
    expect(perGpuBytes(base(0, kv), 4)).toBe(need(0, kv / 4, 4));
  });

  it("gives a null fit with a note beyond 8 x 192 GB or without weight bytes", () => {
    const big = fitHardware(base(2e12));
    expect(big.gpuMemoryGB).toBeNull();
    expect(big.tensorParallel).toBeNull();
    expect(big.note).toMatch(/does not fit on 8 x 192 GB/);
    const unknown = fitHardware({ weightBytes: null, kvBytes: null, seqLen: 4096 });
    expect(unknown.gpuClass).toBeNull();
    expect(unknown.note).toMatch(/weight bytes unknown/);
    const noKv = fitHardware({ weightBytes: 1e9, kvBytes: null, seqLen: 4096 });
    expect(noKv.gpuMemoryGB).toBe(24);
    expect(noKv.note).toMatch(/KV cache unknown/);
  });

  it("honours class and TP restrictions", () => {
    const f = fitHardware(base(60e9, 0, { classes: [24, 48] }));
    expect([f.tensorParallel, f.gpuMemoryGB]).toEqual([2, 48]);
    const g = fitHardware(base(60e9, 0, { classes: [24], maxTensorParallel: 2 }));
    expect(g.gpuMemoryGB).toBeNull();
  });
});

describeCorpus("fits of real models (config-only fingerprints)", () => {
  it("Llama-3.1-8B bf16 at 4k fits one 24 GB GPU", () => {
    const fp = corpusFingerprint("meta-llama__Llama-3.1-8B");
    const f = fitModel(fp);
    // weights 8,030,261,248 params x 2 B = 16,060,522,496; KV 32 layers x 2 (K,V) x 8 heads x 128 x 2 B
    // = 131,072 B/token x 4096 = 536,870,912. Need (16.06e9 + 0.54e9) x 1.05 + 1 GiB = 18.50e9
    // <= 0.9 x 23,028 MiB = 21.73e9 -> 1 x 24 GB (L4/A10G).
    expect(f.weightBytes).toBe(16_060_522_496);
    expect(f.kvBytes).toBe(536_870_912);
    expect(f.perGpuBytes).toBe(need(16_060_522_496, 536_870_912, 1));
    expect(f.perGpuBytes! / 1e9).toBeCloseTo(18.5, 2);
    expect(f.usableBytesPerGpu).toBe(usable(24));
    expect([f.tensorParallel, f.gpuMemoryGB, f.gpuClass]).toEqual([1, 24, "L4/A10G 24GB"]);
    expect(f.weightsEstimated).toBe(true);
    expect(f.note).toMatch(/estimated from config/);
  });

  it("Llama-3.1-70B bf16: 2 x 80 GB (least total memory); 1 x 192 GB under min-gpus", () => {
    const fp = corpusFingerprint("meta-llama__Llama-3.1-70B-Instruct");
    const f = fitModel(fp);
    // W = 70,553,706,496 x 2 = 141,107,412,992; KV = 80 x 2 x 8 x 128 x 2 x 4096 = 1,342,177,280.
    // TP 2: (70.55e9 + 0.67e9 (KV over min(2, 8 KV heads))) x 1.05 + 1 GiB = 75.86e9 <= 76.97e9
    // (0.9 x 81,559 MiB) -> 2 x 80 = 160 GB total, less than 4 x 48 = 192, 1 x 192 = 192, 2 x 96 = 192.
    expect(f.weightBytes).toBe(141_107_412_992);
    expect(f.kvBytes).toBe(1_342_177_280);
    expect(f.perGpuBytes).toBe(need(141_107_412_992, 1_342_177_280 / 2, 2));
    expect(f.perGpuBytes!).toBeLessThanOrEqual(usable(80));
    expect([f.tensorParallel, f.gpuMemoryGB]).toEqual([2, 80]);
    expect(f.alternatives).toContainEqual({ gpuMemoryGB: 48, gpuClass: "L40S 48GB", tensorParallel: 4 });
    // 1 x 141: 150.6e9 > 135.7e9 usable
    expect(f.alternatives?.find((a) => a.gpuMemoryGB === 141)?.tensorParallel).toBe(2);
    const g = fitModel(fp, { policy: "min-gpus" });
    expect([g.tensorParallel, g.gpuMemoryGB]).toEqual([1, 192]);
  });

  it("DeepSeek-V3 FP8 needs 8 x 141 GB (MLA latent replicated per rank)", () => {
    const fp = corpusFingerprint("deepseek-ai__DeepSeek-V3");
    const f = fitModel(fp);
    // W = BF16 3,918,674,688 x 2 + F8 680,571,170,816 x 1 = 688,408,520,192 (MTP layer included);
    // KV = MLA latent (512 + 64) x 61 layers x 2 B = 70,272 B/token x 4096 = 287,834,112, whole on
    // every rank. TP 8: (86.05e9 + 0.29e9) x 1.05 + 1 GiB = 91.73e9: over 8 x 96 (90.44e9 usable),
    // within 8 x 141 (135.7e9); 4 x 192 needs 182.1e9 > 173.0e9.
    expect(f.weightBytes).toBe(688_408_520_192);
    expect(f.kvBytes).toBe(287_834_112);
    expect(f.perGpuBytes).toBe(need(688_408_520_192, 287_834_112, 8));
    expect(f.perGpuBytes!).toBeGreaterThan(usable(96));
    expect([f.tensorParallel, f.gpuMemoryGB]).toEqual([8, 141]);
    expect(f.alternatives?.map((a) => `${a.tensorParallel}x${a.gpuMemoryGB}`)).toEqual(["8x141", "8x192"]);
  });

  it("gpt-oss-20b MXFP4 fits one 24 GB GPU", () => {
    const fp = corpusFingerprint("openai__gpt-oss-20b");
    const f = fitModel(fp);
    // BF16 1,804,459,584 x 2 + MXFP4 19,110,297,600 x (4 + 8/32 bits) / 8 = 13,761,264,768
    // (= the header bytes: 9,555,148,800 packed + 597,196,800 UE8 scales + BF16); KV: 12 full layers
    // x 4096 + 12 windowed layers x 128 tokens, 2,048 B/token/layer = 103,809,024.
    expect(f.weightBytes).toBe(13_761_264_768);
    expect(f.kvBytes).toBe(103_809_024);
    expect([f.tensorParallel, f.gpuMemoryGB]).toEqual([1, 24]);
  });

  it("Mixtral-8x7B bf16 fits one H200; Kimi-K2 FP8 needs 8 x 192 GB", () => {
    expect([fitModel(corpusFingerprint("mistralai__Mixtral-8x7B-v0.1")).tensorParallel, fitModel(corpusFingerprint("mistralai__Mixtral-8x7B-v0.1")).gpuMemoryGB]).toEqual([1, 141]);
    const k = fitModel(corpusFingerprint("moonshotai__Kimi-K2-Instruct"));
    expect([k.tensorParallel, k.gpuMemoryGB]).toEqual([8, 192]);
  });

  it("falcon-7b (71 heads) cannot shard; BLOOM-176B fits 4 x 141", () => {
    const f = fitModel(corpusFingerprint("tiiuae__falcon-7b-instruct"));
    expect(f.tensorParallel).toBe(1);
    const b = fitModel(corpusFingerprint("bigscience__bloom"));
    expect([b.tensorParallel, b.gpuMemoryGB]).toEqual([4, 141]);
  });

  it("bounds a sliding-window KV cache at long sequence lengths; a full-attention cache grows", () => {
    const mistral = corpusFingerprint("mistralai__Mistral-7B-Instruct-v0.1");
    const llama = corpusFingerprint("meta-llama__Llama-3.1-8B");
    // Mistral-7B-v0.1: every layer windowed at 4096 -> 32 x 131,072 / 32 x 4096 at any length >= 4096
    expect(fitModel(mistral, { seqLen: 4096 }).kvBytes).toBe(536_870_912);
    expect(fitModel(mistral, { seqLen: 32768 }).kvBytes).toBe(536_870_912);
    expect(fitModel(llama, { seqLen: 32768 }).kvBytes).toBe(8 * 536_870_912);
    expect(fitModel(llama, { seqLen: 131072 }).gpuMemoryGB).toBe(40); // 17.2 GB of KV: no longer 24 GB
    expect(fitModel(mistral, { seqLen: 131072 }).gpuMemoryGB).toBe(24);
  });

  it("uses the MLA latent and hybrid state", () => {
    const ds = corpusFingerprint("deepseek-ai__DeepSeek-V3");
    expect(ds.kvCache?.kind).toBe("mla-latent");
    expect(ds.kvCache?.bytesPerToken).toBe((512 + 64) * 61 * 2);
    // an MHA cache of the same model would be 2 x 128 heads x (128 + 64) ... x 61 layers: 45x larger
    const nemo = corpusFingerprint("nvidia__NVIDIA-Nemotron-3-Nano-30B-A3B-BF16");
    const f = fitModel(nemo);
    const state = (nemo.kvCache as { stateBytesPerSequence?: number | null }).stateBytesPerSequence ?? 0;
    expect(state).toBeGreaterThan(0);
    expect(f.kvBytes).toBe(kvBytesAtSeqLen(nemo.kvCache!, 4096)! + state);
  });

  it("notes fp32 checkpoints (engines may cast to 16-bit on load)", () => {
    const f = fitModel(corpusFingerprint("mattshumer__Reflection-Llama-3.1-70B"));
    expect(f.weightBytes).toBe(282_215_219_200);
    expect(f.note).toMatch(/fp32 checkpoint/);
  });

  it("gives an UNKNOWN fingerprint a null fit", () => {
    const fp = { ...corpusFingerprint("meta-llama__Llama-3.1-8B"), status: "unknown" as const, error: { code: "gated", message: "gated repo" } };
    const f = fitModel(fp);
    expect(f.gpuMemoryGB).toBeNull();
    expect(f.note).toMatch(/gated repo/);
  });
});

describeCorpus("weight bytes", () => {
  it("config estimates per dtype match header bytes of the same checkpoint within 0.5%", () => {
    const base = readCorpusJson("meta-llama__Llama-3.1-8B");
    for (const kind of QUANT_KINDS) {
      const cfg = { ...base, ...llamaConfig(kind) };
      const est = weightBytesOf(fingerprintFromConfig("x", cfg));
      const hdr = weightBytesOf(fingerprintFromTensors("x", cfg, llamaTensors(kind)));
      expect(est.source, kind).toBe("config-estimate");
      expect(hdr.source, kind).toBe("headers");
      expect(Math.abs(est.total! / hdr.total! - 1), kind).toBeLessThan(0.005);
    }
  });

  it("prices each dtype bucket of a quantized config", () => {
    const q = weightBytesOf(corpusFingerprint("jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy"));
    // bnb-int8: F16 1,050,939,392 x 2 (embeddings, head, norms) + I8 6,979,321,856 x 1
    expect(q.byDtype).toEqual({ F16: 2_101_878_784, I8: 6_979_321_856 });
    expect(q.total).toBe(9_081_200_640);
    const mlx = weightBytesOf(corpusFingerprint("derivative__Qwen3-14B-MLX-4bit"));
    // MLX 4-bit, group 64: 4 + 32/64 bits per logical parameter (BF16 scale + bias per group)
    expect(mlx.byDtype.U32).toBe(Math.round((14_767_892_480 * 4.5) / 8));
  });
});

describe("cost model formulas", () => {
  it("counts causal attention pairs with windows", () => {
    expect(causalPairs(4, null)).toBe(10);
    expect(causalPairs(4, 2)).toBe(3 + 2 * 2);
    expect(causalPairs(4096, 4096)).toBe(causalPairs(4096, null));
    expect(causalPairs(0, null)).toBe(0);
  });
});

describeCorpus("cost model of real models", () => {
  it("Llama-3.1-8B: params, FLOPs and bytes per token", () => {
    const fp = corpusFingerprint("meta-llama__Llama-3.1-8B");
    const c = costModel(fp);
    const emb = 128256 * 4096; // untied input embedding: a gather, not a matmul
    expect(c.params.total).toBe(8_030_261_248);
    expect(c.params.active).toBe(8_030_261_248);
    expect(c.params.matmul).toBe(8_030_261_248 - emb);
    expect(c.flops.matmulPerToken).toBe(2 * (8_030_261_248 - emb));
    // attention per (query, key) pair and layer: 4 x 32 heads x 128 = 16,384; 32 layers
    expect(c.attention.perPairPrefill).toBe(16384);
    expect(c.flops.decodeAttentionPerToken).toBe(32 * 4096 * 16384);
    expect(c.flops.prefillAttention).toBe(32 * ((4096 * 4097) / 2) * 16384);
    expect(c.flops.prefill).toBe(4096 * c.flops.matmulPerToken! + c.flops.prefillAttention!);
    // decode reads every weight except the input embedding table, plus the KV cache at 4k
    expect(c.weights.embeddingBytes).toBe(emb * 2);
    expect(c.bytes.decodePerStep).toBe(16_060_522_496 - emb * 2 + 536_870_912);
    expect(c.kv.bytesPerSequence).toBe(536_870_912);
    expect(c.precision).toBe("bf16");
  });

  it("decode at batch 1 is memory-bound: tokens/s = bandwidth / bytes per GPU per token", () => {
    for (const m of ["meta-llama__Llama-3.1-8B", "meta-llama__Llama-3.1-70B-Instruct", "deepseek-ai__DeepSeek-V3", "openai__gpt-oss-20b"]) {
      const fp = corpusFingerprint(m);
      const c = costModel(fp);
      expect(c.intensity.decode!).toBeLessThan(10);
      for (const r of c.roofline) {
        expect(r.decode.bound, `${m} ${r.gpu}`).toBe("memory");
        const tp = r.tensorParallel;
        // weights split over TP; KV over min(TP, KV heads); an MLA latent is read whole by every rank
        const shards = c.kv.kind === "mla-latent" ? 1 : Math.min(tp, fp.scale.kvHeads!);
        const perGpu = c.bytes.decodeWeightsPerStep! / tp + c.bytes.decodeKvPerStep! / shards;
        expect(r.decode.tokensPerSecond!).toBeCloseTo((r.bandwidthGBs / tp) * 1e9 / perGpu, 6);
        if (shards === tp) expect(r.decode.tokensPerSecond!).toBeCloseTo((r.bandwidthGBs * 1e9) / c.bytes.decodePerStep!, 6);
      }
    }
    // H100 SXM, Llama-3.1-8B: 3.35e12 / 15.55e9 B = ~215 tokens/s
    const h100 = costModel(corpusFingerprint("meta-llama__Llama-3.1-8B")).roofline.find((r) => r.gpu === "h100-sxm")!;
    expect(h100.tensorParallel).toBe(1);
    expect(h100.decode.tokensPerSecond!).toBeGreaterThan(200);
    expect(h100.decode.tokensPerSecond!).toBeLessThan(230);
  });

  it("prefill of a long prompt is compute-bound, of a short one memory-bound", () => {
    const fp = corpusFingerprint("meta-llama__Llama-3.1-8B");
    const long = costModel(fp, { seqLen: 4096 });
    for (const r of long.roofline) expect(r.prefill.bound, r.gpu).toBe("compute");
    const h100 = long.roofline.find((r) => r.gpu === "h100-sxm")!;
    expect(h100.prefill.seconds!).toBeCloseTo(long.flops.prefill! / (989.4e12), 9);
    expect(long.intensity.prefill!).toBeGreaterThan(h100.ridge);
    const short = costModel(fp, { seqLen: 16 });
    expect(short.roofline.find((r) => r.gpu === "h100-sxm")!.prefill.bound).toBe("memory");
  });

  it("batching raises decode intensity and throughput", () => {
    const fp = corpusFingerprint("meta-llama__Llama-3.1-8B");
    const b1 = costModel(fp, { batch: 1 });
    const b64 = costModel(fp, { batch: 64 });
    expect(b64.intensity.decode!).toBeGreaterThan(b1.intensity.decode! * 10);
    const t1 = b1.roofline.find((r) => r.gpu === "h100-sxm")!.decode.tokensPerSecond!;
    const t64 = b64.roofline.find((r) => r.gpu === "h100-sxm")!.decode.tokensPerSecond!;
    expect(t64).toBeGreaterThan(t1 * 10);
  });

  it("sliding windows bound attention FLOPs and KV reads", () => {
    const fp = corpusFingerprint("mistralai__Mistral-7B-Instruct-v0.1");
    const a = costModel(fp, { seqLen: 4096 });
    const b = costModel(fp, { seqLen: 32768 });
    expect(b.flops.decodeAttentionPerToken).toBe(a.flops.decodeAttentionPerToken);
    expect(b.kv.bytesPerSequence).toBe(a.kv.bytesPerSequence);
    // prefill: 4096(4097)/2 pairs for the first window, then 4096 per further token
    expect(b.flops.prefillAttention).toBe(32 * causalPairs(32768, 4096) * a.attention.perPairPrefill!);
  });

  it("MLA: decompressed heads for prefill, absorbed latent attention for decode", () => {
    const c = costModel(corpusFingerprint("deepseek-ai__DeepSeek-V3"));
    expect(c.attention.perPairPrefill).toBe(2 * 128 * (128 + 64) + 2 * 128 * 128);
    expect(c.attention.perPairDecode).toBe(2 * 128 * (512 + 64) + 2 * 128 * 512);
    expect(c.flops.decodeAttentionPerToken).toBe(61 * 4096 * c.attention.perPairDecode!);
    expect(c.kv.kind).toBe("mla-latent");
    expect(c.precision).toBe("fp8");
    // FP8 math where the GPU has it
    expect(c.roofline.find((r) => r.gpu === "h200")!.precision).toBe("fp8");
    expect(c.roofline.find((r) => r.gpu === "a100-80gb")!.precision).toBe("bf16");
    // fits: 8 x H200, not 8 x H100
    expect(c.roofline.find((r) => r.gpu === "h200")).toMatchObject({ fits: true, tensorParallel: 8 });
    expect(c.roofline.find((r) => r.gpu === "h100-sxm")!.fits).toBe(false);
  });

  it("MoE: batch-1 decode reads only the active experts; a long prefill touches them all", () => {
    const c = costModel(corpusFingerprint("mistralai__Mixtral-8x7B-v0.1"));
    expect(c.params.active).toBe(12_879_925_248);
    expect(c.params.moe).toMatchObject({ experts: 8, topK: 2 });
    const w = c.weights.total!;
    const emb = c.weights.embeddingBytes!;
    // routed experts 45.1B params; 6 of 8 idle per token at batch 1
    expect(c.bytes.decodeWeightsPerStep!).toBeCloseTo(w - emb - c.weights.routedExpertBytes! * 0.75, -3);
    // 4096 tokens x top-2 of 8: every expert is used (1 - (6/8)^4096 = 1)
    expect(c.bytes.prefill!).toBe(w - emb + c.kv.bytesPerSequence!);
    // gpt-oss: MXFP4 experts, BF16 attention; FP4 math only on B200
    const g = costModel(corpusFingerprint("openai__gpt-oss-20b"));
    expect(g.roofline.find((r) => r.gpu === "b200")!.precision).toBe("fp4");
    expect(g.roofline.find((r) => r.gpu === "h100-sxm")!.precision).toBe("bf16");
    expect(g.bytes.decodeWeightsPerStep!).toBeLessThan(g.weights.total! / 3);
  });

  it("summarizes for inspect", () => {
    const lines = summarizeCost(costModel(corpusFingerprint("openai__gpt-oss-20b")));
    expect(lines[0]).toBe("Parameters: 20.9G total, 4.19G active per token (3.61G in matmuls), 4 of 32 experts");
    expect(lines[1]).toBe("Weights: 13.8 GB (BF16 3.61 GB + U8 10.2 GB), estimated from config");
    expect(lines[2]).toMatch(/^KV cache: 49.2 KB\/token \(gqa\), 104 MB per 4096-token sequence \(12 layers windowed at 128\)$/);
    expect(lines.some((l) => /^B200 192GB x1: .*decode \d+ tokens\/s \(memory-bound\), fp4$/.test(l))).toBe(true);
    expect(planApi.summarizeCost).toBe(summarizeCost);
    expect(typeof planApi.planAll).toBe("function");
  });

  it("reports what it leaves out", () => {
    const c = costModel(corpusFingerprint("Qwen__Qwen2.5-VL-7B-Instruct"));
    expect(c.notes.join(" ")).toMatch(/vision tower/);
    const lfm = costModel(corpusFingerprint("LiquidAI__LFM2-1.2B"));
    expect(lfm.notes.join(" ")).toMatch(/state-update FLOPs/);
  });
});

describe("cost model without a config", () => {
  it("works from headers alone (no KV pattern: bytes exclude it, with a note)", () => {
    const fp = fingerprintFromTensors("tiny", null, [
      { name: "model.embed_tokens.weight", dtype: "BF16", shape: [256, 64] },
      { name: "model.layers.0.self_attn.q_proj.weight", dtype: "BF16", shape: [64, 64] },
      { name: "model.layers.0.mlp.down_proj.weight", dtype: "BF16", shape: [64, 128] },
      { name: "lm_head.weight", dtype: "BF16", shape: [256, 64] },
    ]);
    const w = weightBytesOf(fp);
    expect(w.source).toBe("headers");
    expect(w.total).toBe((256 * 64 * 2 + 64 * 64 + 64 * 128) * 2);
    const f = fitModel(fp);
    expect(f.gpuMemoryGB).toBe(24);
    expect(f.note).toMatch(/KV cache unknown/);
    const c = costModel(fp);
    expect(c.notes.join(" ")).toMatch(/KV cache unknown/);
  });
});
