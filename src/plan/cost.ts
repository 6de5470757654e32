/**
 * Roofline cost model of a fingerprint (docs/plan.md "Cost model"): parameters, weight bytes, KV
 * bytes, FLOPs per token for prefill and decode, arithmetic intensity, and per-GPU estimates of
 * prefill time and batch-1 decode speed. Config or headers only; nothing runs.
 *
 * Formulas (n = seqLen, B = batch, c = decode context = seqLen):
 *
 * - matmul FLOPs per token = 2 x P_mm, with P_mm = active parameters minus the input embedding table
 *   (a gather, not a matmul) unless it is tied to the LM head (then the head multiplies by it).
 *   Dense: active = total - buffers - MTP layers; MoE: params.active (k of E routed experts).
 * - attention FLOPs per (query, key) pair and layer: standard 4·H·d (QK^T 2·H·d + AV 2·H·d);
 *   MLA prefill (decompressed heads) 2·H·(d_nope + d_rope) + 2·H·d_v; MLA decode (absorbed, attention
 *   in the latent) 2·H·(r_kv + d_rope) + 2·H·r_kv.
 * - prefill of n tokens, causal: per full-attention layer sum_{t=1..n} t = n(n+1)/2 pairs; per
 *   windowed layer sum_t min(t, W) = W(W+1)/2 + (n - W)·W when n > W.
 *   prefill FLOPs = B·(n·2·P_mm + attention pairs x per-pair FLOPs).
 * - decode of one token at context c: 2·P_mm + per-pair FLOPs x (full layers x c + windowed x min(c, W)).
 * - bytes moved: weights read once per forward pass (the input embedding table is only gathered;
 *   MTP layers are not run; MoE: non-expert weights + the expected fraction of routed experts touched,
 *   1 - (1 - k/E)^tokens, i.e. k/E at batch-1 decode and ~all experts for a long prefill) + the KV cache
 *   (written once in prefill, read once per decode step) + recurrent state. Activations are ignored.
 * - roofline per GPU: time = max(FLOPs / (peak x TP), bytes per GPU / bandwidth) at the smallest TP
 *   that fits that GPU, bytes per GPU = weights / TP + KV / min(TP, KV heads) (an MLA latent is read
 *   whole by every rank); communication ignored; peak at the format's precision where the
 *   GPU has tensor cores for it (FP8 weights use FP8 on Ada/Hopper/Blackwell, BF16 on Ampere; MXFP4 /
 *   NVFP4 use FP4 on Blackwell, else weight-only BF16 math).
 */
import type { Fingerprint } from "../fingerprint/types.js";
import { kvBytesAtSeqLen } from "../fingerprint/kvcache.js";
import { DEFAULT_SEQ_LEN, FLOAT_DTYPES, fitInputOf, humanBytes, smallestTp, tpAllowed, weightBytesOf, type WeightBytes } from "./fit.js";
import { GPUS, TP_DEGREES, gpuBytes, peakTflops, type GpuSpec, type Precision } from "./gpus.js";
import type { FitOverhead } from "./types.js";

export interface CostOptions {
  /** Prompt length for prefill and decode context (default 4096). */
  seqLen?: number;
  /** Sequences per step (default 1). */
  batch?: number;
  overhead?: Partial<FitOverhead>;
  /** GPUs to estimate (default the whole table). */
  gpus?: readonly GpuSpec[];
}

export interface RooflinePhase {
  seconds: number | null;
  computeSeconds: number | null;
  memorySeconds: number | null;
  bound: "compute" | "memory" | null;
  /** Tokens per second (prefill: prompt tokens processed; decode: generated tokens at the batch). */
  tokensPerSecond: number | null;
}

export interface RooflineEntry {
  gpu: string;
  name: string;
  memoryClassGB: number;
  /** Smallest TP that fits this GPU (the estimate's GPU count); when nothing fits, the largest allowed TP. */
  tensorParallel: number;
  fits: boolean;
  /** Precision the estimate uses (the format's, else the GPU's widest fallback). */
  precision: Precision;
  /** Aggregate dense TFLOP/s and GB/s over the TP GPUs. */
  tflops: number;
  bandwidthGBs: number;
  /** Ridge point: FLOPs per byte above which a kernel is compute-bound. */
  ridge: number;
  prefill: RooflinePhase;
  decode: RooflinePhase;
}

export interface CostModel {
  model: string;
  seqLen: number;
  batch: number;
  params: {
    total: number | null;
    /** Parameters one token touches (dense: total - buffers - MTP). */
    active: number | null;
    /** Input embedding table (vocab x hidden). */
    embedding: number | null;
    /** Active parameters in matrix multiplies per token. */
    matmul: number | null;
    mtp: number;
    moe: { experts: number; topK: number; routedExpertParams: number } | null;
  };
  weights: WeightBytes & {
    /** Average storage bytes per parameter. */
    bytesPerParam: number | null;
    embeddingBytes: number | null;
    routedExpertBytes: number | null;
    mtpBytes: number;
  };
  kv: {
    kind: string | null;
    /** Per token over all cached layers, before windows. */
    bytesPerToken: number | null;
    /** One sequence of seqLen tokens: windows applied, recurrent state included. */
    bytesPerSequence: number | null;
    stateBytesPerSequence: number | null;
    cachedLayers: number | null;
    windowedLayers: number;
    window: number | null;
  };
  attention: {
    heads: number | null;
    /** FLOPs per (query, key) pair per layer. */
    perPairPrefill: number | null;
    perPairDecode: number | null;
    fullLayers: number;
    windowedLayers: number;
    window: number | null;
  };
  flops: {
    matmulPerToken: number | null;
    /** Attention FLOPs of the whole prefill (batch x causal pairs). */
    prefillAttention: number | null;
    /** Whole prefill: batch x seqLen tokens. */
    prefill: number | null;
    prefillPerToken: number | null;
    /** One generated token at context seqLen. */
    decodeAttentionPerToken: number | null;
    decodePerToken: number | null;
  };
  bytes: {
    /** Weights read + KV written for the whole prefill. */
    prefill: number | null;
    /** Weights read + KV read for one decode step of the batch. */
    decodePerStep: number | null;
    decodeWeightsPerStep: number | null;
    decodeKvPerStep: number | null;
  };
  /** FLOPs per byte moved. */
  intensity: { prefill: number | null; decode: number | null };
  /** Compute precision the weight format asks for. */
  precision: Precision;
  roofline: RooflineEntry[];
  notes: string[];
}

/** Compute precision of a weight format: FP8 formats -> fp8, MXFP4/NVFP4 -> fp4, else bf16 (weight-only quant dequantizes). */
export function computePrecision(format: string | null): Precision {
  const f = (format ?? "").toLowerCase();
  if (f.startsWith("fp8") || f === "compressed-tensors-w8a8" || f.endsWith("-w8a8")) return "fp8";
  if (f === "mxfp4" || f === "nvfp4") return "fp4";
  return "bf16";
}

/** Causal (query, key) pairs of a prefill of n tokens through one layer, window W (null = full). */
export function causalPairs(n: number, window: number | null): number {
  if (n <= 0) return 0;
  if (window === null || n <= window) return (n * (n + 1)) / 2;
  return (window * (window + 1)) / 2 + (n - window) * window;
}

function parseMla(s: string | null): { nope: number; rope: number; v: number } | null {
  if (!s) return null;
  const get = (k: string): number | null => {
    const m = new RegExp(`${k}=(\\d+)`).exec(s);
    return m ? Number(m[1]) : null;
  };
  const nope = get("qk_nope");
  const rope = get("qk_rope");
  const v = get("v");
  return nope !== null && rope !== null && v !== null ? { nope, rope, v } : null;
}

function safeDiv(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/** Bytes per parameter of one dtype bucket (weight bytes / params of that dtype). */
function bucketBytesPerParam(w: WeightBytes, fp: Fingerprint, dtype: string): number | null {
  const n = fp.params?.byDtype[dtype];
  const b = w.byDtype[dtype];
  return n && b !== undefined ? b / n : null;
}

export function costModel(fp: Fingerprint, opts: CostOptions = {}): CostModel {
  const n = Math.max(1, Math.floor(opts.seqLen ?? DEFAULT_SEQ_LEN));
  const B = Math.max(1, Math.floor(opts.batch ?? 1));
  const notes: string[] = [];
  const f = fp.features;
  const s = fp.scale;
  const p = fp.params;

  // ---- parameters
  const total = p?.total ?? null;
  const mtp = p?.mtp ?? 0;
  const buffers = p?.buffers ?? 0;
  const moeOn = f.moe === true;
  const active: number | null = total === null ? null : moeOn && p?.active != null ? p.active : total - buffers - mtp;
  if (moeOn && p?.active == null) notes.push("MoE active parameters unknown: all parameters counted as active");
  const embedding = s.vocabSize !== null && s.hiddenSize !== null ? s.vocabSize * s.hiddenSize : null;
  const tied = f.tiedEmbeddings === true;
  let matmul: number | null = active === null ? null : active - (tied || embedding === null ? 0 : embedding);
  if (matmul !== null && matmul <= 0) matmul = active;
  let moe: CostModel["params"]["moe"] = null;
  const E = s.experts;
  const k = f.moeTopK;
  if (moeOn && E && k && E > k && total !== null && active !== null) {
    const routed = Math.max(0, ((total - buffers - mtp - active) * E) / (E - k));
    moe = { experts: E, topK: k, routedExpertParams: Math.round(routed) };
  }

  // ---- weight bytes
  const w = weightBytesOf(fp);
  const bpp = safeDiv(w.total, total);
  const buckets = Object.entries(fp.params?.byDtype ?? {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const dominant = buckets[0]?.[0] ?? null;
  const floatBucket = buckets.find(([d]) => FLOAT_DTYPES.has(d))?.[0] ?? null;
  const bppOf = (d: string | null): number | null => (d ? bucketBytesPerParam(w, fp, d) ?? bpp : bpp);
  const embBpp = bppOf(floatBucket ?? dominant);
  const embeddingBytes = embedding !== null && embBpp !== null ? Math.round(embedding * embBpp) : null;
  const expertBpp = bppOf(dominant);
  const routedExpertBytes = moe && expertBpp !== null ? Math.round(moe.routedExpertParams * expertBpp) : null;
  const mtpBytes = mtp > 0 && expertBpp !== null ? Math.round(mtp * expertBpp) : 0;

  /** Weight bytes read by a forward pass over `tokens` tokens. */
  const weightsRead = (tokens: number): number | null => {
    if (w.total === null) return null;
    let read = w.total - mtpBytes - (tied || embeddingBytes === null ? 0 : embeddingBytes);
    if (moe && routedExpertBytes !== null) {
      const touched = 1 - Math.pow(1 - moe.topK / moe.experts, tokens);
      read -= routedExpertBytes * (1 - touched);
    }
    return Math.max(0, Math.round(read));
  };

  // ---- KV cache
  const kvp = fp.kvCache;
  const kvExt = kvp as (typeof kvp & { slidingWindowLength?: number | null; stateBytesPerSequence?: number | null }) | null;
  const window = kvp ? kvp.window ?? kvExt?.slidingWindowLength ?? null : null;
  const windowedLayers = kvp && window !== null ? kvp.windowedLayers ?? 0 : 0;
  const cachedLayers = kvp?.cachedLayers ?? null;
  const fullLayers = cachedLayers !== null ? Math.max(0, cachedLayers - windowedLayers) : 0;
  const state = kvExt?.stateBytesPerSequence ?? null;
  const kvAt = (len: number): number | null => (kvp ? kvBytesAtSeqLen(kvp, len, { includeState: true }) : null);
  const kvSeq = kvAt(n);

  // ---- attention FLOPs per (query, key) pair
  const H = s.heads;
  let perPairPrefill: number | null = null;
  let perPairDecode: number | null = null;
  if (f.attentionFamily === "mla") {
    const mla = parseMla(f.mla);
    const r = s.kvLoraRank;
    if (H && mla) perPairPrefill = 2 * H * (mla.nope + mla.rope) + 2 * H * mla.v;
    if (H && mla && r) perPairDecode = 2 * H * (r + mla.rope) + 2 * H * r;
    else perPairDecode = perPairPrefill;
  } else {
    const d = f.headDim ?? (s.hiddenSize && H ? s.hiddenSize / H : null);
    if (H && d) perPairPrefill = perPairDecode = 4 * H * d;
  }
  const attnLayersKnown = cachedLayers !== null;
  if (cachedLayers === null || (cachedLayers > 0 && perPairPrefill === null)) notes.push("attention geometry unknown: attention FLOPs not counted");
  if (f.topology === "encoder-only") notes.push("encoder-only: no KV cache; bidirectional attention FLOPs not counted, decode not applicable");
  if ((kvp as { statefulLayers?: number } | null)?.statefulLayers) notes.push("state-space / conv / linear-attention mixers: state-update FLOPs not counted (their projections are in the matmul parameters)");
  if (f.modality && f.modality.length > 0) notes.push(`parameters include the ${f.modality.join("/")} tower(s) where counted: FLOPs and bytes per text token are upper bounds`);

  // ---- FLOPs
  const matmulPerToken = matmul !== null ? 2 * matmul : null;
  const pairsPrefill = fullLayers * causalPairs(n, null) + windowedLayers * causalPairs(n, window);
  const prefillAttention = attnLayersKnown && perPairPrefill !== null ? B * pairsPrefill * perPairPrefill : attnLayersKnown && cachedLayers === 0 ? 0 : null;
  const prefill = matmulPerToken !== null ? B * n * matmulPerToken + (prefillAttention ?? 0) : null;
  const keysDecode = fullLayers * n + windowedLayers * Math.min(n, window ?? n);
  const decodeAttentionPerToken = attnLayersKnown && perPairDecode !== null ? keysDecode * perPairDecode : attnLayersKnown && cachedLayers === 0 ? 0 : null;
  const decodePerToken = matmulPerToken !== null ? matmulPerToken + (decodeAttentionPerToken ?? 0) : null;

  // ---- bytes
  const prefillWeights = weightsRead(B * n);
  const prefillBytes = prefillWeights !== null ? prefillWeights + B * (kvSeq ?? 0) : null;
  const decodeWeights = weightsRead(B);
  const decodeKv = kvSeq !== null ? B * kvSeq : null;
  const decodeBytes = decodeWeights !== null ? decodeWeights + (decodeKv ?? 0) : null;
  if (kvSeq === null) notes.push("KV cache unknown: bytes moved exclude it");

  const intensityPrefill = safeDiv(prefill, prefillBytes);
  const intensityDecode = safeDiv(decodePerToken !== null ? B * decodePerToken : null, decodeBytes);

  // ---- roofline per GPU
  const precision = computePrecision(f.weightFormat);
  const fitIn = fitInputOf(fp, { seqLen: n, overhead: opts.overhead });
  fitIn.kvBytes = fitIn.kvBytes !== null ? fitIn.kvBytes * B : null;
  const maxAllowedTp = [...TP_DEGREES].reverse().find((t) => tpAllowed(t, fitIn.heads, fitIn.kvHeads)) ?? 1;
  const roofline: RooflineEntry[] = (opts.gpus ?? GPUS).map((g) => {
    const tpFit = fitIn.weightBytes !== null ? smallestTp(fitIn, gpuBytes(g)) : null;
    const tp = tpFit ?? maxAllowedTp;
    const pk = peakTflops(g, precision);
    const peak = pk.tflops * 1e12 * tp;
    const bw = g.bandwidthGBs * 1e9 * tp;
    // per GPU: weights / TP + KV / kvShards (an MLA latent is read whole on every rank)
    const kvShards = fitIn.kvReplicated ? 1 : fitIn.kvHeads && fitIn.kvHeads > 0 ? Math.min(tp, fitIn.kvHeads) : tp;
    const perGpuBw = g.bandwidthGBs * 1e9;
    const phase = (flops: number | null, weights: number | null, kv: number | null, tokens: number): RooflinePhase => {
      const cs = flops !== null ? flops / peak : null;
      const ms = weights !== null ? (weights / tp + (kv ?? 0) / kvShards) / perGpuBw : null;
      const sec = cs === null && ms === null ? null : Math.max(cs ?? 0, ms ?? 0);
      return {
        seconds: sec,
        computeSeconds: cs,
        memorySeconds: ms,
        bound: cs === null || ms === null ? null : cs >= ms ? "compute" : "memory",
        tokensPerSecond: sec ? tokens / sec : null,
      };
    };
    return {
      gpu: g.id,
      name: g.name,
      memoryClassGB: g.memoryClassGB,
      tensorParallel: tp,
      fits: tpFit !== null,
      precision: pk.precision,
      tflops: pk.tflops * tp,
      bandwidthGBs: g.bandwidthGBs * tp,
      ridge: peak / bw,
      prefill: phase(prefill, prefillWeights, kvSeq !== null ? B * kvSeq : null, B * n),
      decode: phase(decodePerToken !== null ? B * decodePerToken : null, decodeWeights, decodeKv, B),
    };
  });

  return {
    model: fp.model,
    seqLen: n,
    batch: B,
    params: { total, active, embedding, matmul, mtp, moe },
    weights: { ...w, bytesPerParam: bpp, embeddingBytes, routedExpertBytes, mtpBytes },
    kv: {
      kind: kvp?.kind ?? null,
      bytesPerToken: kvp?.bytesPerToken ?? null,
      bytesPerSequence: kvSeq,
      stateBytesPerSequence: state,
      cachedLayers,
      windowedLayers,
      window,
    },
    attention: { heads: H, perPairPrefill, perPairDecode, fullLayers, windowedLayers, window },
    flops: {
      matmulPerToken,
      prefillAttention,
      prefill,
      prefillPerToken: prefill !== null ? prefill / (B * n) : null,
      decodeAttentionPerToken,
      decodePerToken,
    },
    bytes: { prefill: prefillBytes, decodePerStep: decodeBytes, decodeWeightsPerStep: decodeWeights, decodeKvPerStep: decodeKv },
    intensity: { prefill: intensityPrefill, decode: intensityDecode },
    precision,
    roofline,
    notes,
  };
}

function humanCount(n: number | null): string {
  if (n === null || !Number.isFinite(n)) return "?";
  const units: [number, string][] = [[1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [div, u] of units) {
    if (Math.abs(n) >= div) {
      const v = n / div;
      return `${v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2)}${u}`;
    }
  }
  return n.toFixed(n % 1 === 0 ? 0 : 2);
}

/**
 * Human summary lines of a cost model (for `inspect`): parameters, weights, KV, FLOPs, intensity,
 * and the roofline on a few GPUs (default L4, H100 SXM, B200).
 */
export function summarizeCost(c: CostModel, gpus: readonly string[] = ["l4", "h100-sxm", "b200"]): string[] {
  const b = humanBytes;
  const lines: string[] = [];
  const p = c.params;
  lines.push(`Parameters: ${humanCount(p.total)} total, ${humanCount(p.active)} active per token (${humanCount(p.matmul)} in matmuls)${p.moe ? `, ${p.moe.topK} of ${p.moe.experts} experts` : ""}`);
  const dt = Object.entries(c.weights.byDtype).map(([d, n]) => `${d} ${b(n)}`).join(" + ");
  lines.push(`Weights: ${b(c.weights.total)}${dt ? ` (${dt})` : ""}, ${c.weights.source === "headers" ? "from headers" : c.weights.source === "config-estimate" ? "estimated from config" : "unknown"}`);
  lines.push(`KV cache: ${b(c.kv.bytesPerToken)}/token (${c.kv.kind ?? "?"}), ${b(c.kv.bytesPerSequence)} per ${c.seqLen}-token sequence${c.kv.window !== null && c.kv.windowedLayers > 0 ? ` (${c.kv.windowedLayers} layers windowed at ${c.kv.window})` : ""}`);
  lines.push(`FLOPs per token: prefill ${humanCount(c.flops.prefillPerToken)} (average over ${c.seqLen}), decode ${humanCount(c.flops.decodePerToken)} at context ${c.seqLen}`);
  lines.push(`Arithmetic intensity: prefill ${c.intensity.prefill?.toFixed(0) ?? "?"} FLOP/B, decode ${c.intensity.decode?.toFixed(2) ?? "?"} FLOP/B (batch ${c.batch}, ${c.precision})`);
  for (const id of gpus) {
    const r = c.roofline.find((x) => x.gpu === id);
    if (!r) continue;
    const ms = r.prefill.seconds !== null ? `${(r.prefill.seconds * 1000).toFixed(r.prefill.seconds < 0.1 ? 1 : 0)} ms` : "?";
    lines.push(
      `${r.name} x${r.tensorParallel}${r.fits ? "" : " (does not fit)"}: prefill ${ms} (${r.prefill.bound ?? "?"}-bound), decode ${r.decode.tokensPerSecond?.toFixed(0) ?? "?"} tokens/s (${r.decode.bound ?? "?"}-bound), ${r.precision}`,
    );
  }
  return lines;
}
