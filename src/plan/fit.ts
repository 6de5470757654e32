/**
 * Hardware fit: the smallest GPU memory class and tensor-parallel degree that hold a model's
 * weights, its KV cache for one test sequence and the runtime overhead (docs/plan.md "Fit policy").
 *
 * Per GPU at tensor-parallel degree TP:
 *
 *   need(TP) = (weights / TP + kvShare(TP)) x (1 + fraction) + fixedBytesPerGpu
 *   fits     = need(TP) <= usableFraction x driverCapacity(class)
 *
 * - weights / TP: every matrix is sharded (vocab-parallel embeddings included); replicated norms and
 *   biases are small and covered by `fraction`;
 * - kvShare: standard attention splits the cache by KV heads, so one GPU holds KV / min(TP, kvHeads)
 *   (heads are replicated once TP > kvHeads); an MLA latent cache is replicated on every rank (it has
 *   no head axis: vLLM/SGLang keep the full latent per TP rank); unknown -> KV / TP;
 * - defaults: fraction 0.05 (activations of a batch-1 test prompt, allocator slack, replicated small
 *   tensors), fixed 1 GiB per GPU (CUDA context, cuBLAS/NCCL workspaces, CUDA-graph pool),
 *   usableFraction 0.9 (vLLM gpu_memory_utilization default, applied like vLLM to the driver total).
 * - TP must divide the attention heads, and KV heads must divide TP or be divisible by it (the vLLM
 *   constraint); a model whose head count is unknown may use any TP.
 *
 * Candidate order ("min-memory", default): least total GPU memory (TP x class GB), then fewer GPUs.
 * "min-gpus": fewer GPUs, then smaller class. Nothing fits within 8 x 192 GB -> a null fit with a note.
 */
import type { Fingerprint } from "../fingerprint/types.js";
import { kvBytesAtSeqLen } from "../fingerprint/kvcache.js";
import { MEMORY_CLASSES, MEMORY_CLASS_NAMES, TP_DEGREES, classCapacityBytes, isMemoryClass, type MemoryClass } from "./gpus.js";
import type { FitOverhead, FitPolicy, HardwareFit } from "./types.js";

export const DEFAULT_SEQ_LEN = 4096;

/**
 * Decimal bytes for reasons and notes ("16.1 GB", "100 GB", "1.03 TB"). Local on purpose:
 * util/format.ts formatBytes trims the zeros of whole numbers (100 GB prints "1 GB").
 */
export function humanBytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "?";
  const units = ["B", "KB", "MB", "GB", "TB", "PB"];
  let v = n;
  let i = 0;
  while (Math.abs(v) >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const digits = i === 0 || Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  const s = v.toFixed(digits);
  return `${digits > 0 ? s.replace(/\.?0+$/, "") : s} ${units[i]}`;
}

export const DEFAULT_OVERHEAD: FitOverhead = {
  usableFraction: 0.9,
  fraction: 0.05,
  fixedBytesPerGpu: 2 ** 30,
};

export interface FitInput {
  weightBytes: number | null;
  /** KV cache (plus recurrent state) of one sequence of `seqLen` tokens; null = unknown (fit on weights, with a note). */
  kvBytes: number | null;
  seqLen: number;
  overhead?: Partial<FitOverhead>;
  /** Attention heads (TP must divide them); null/undefined = no constraint. */
  heads?: number | null;
  /** KV heads: the KV cache splits over min(TP, kvHeads) ranks; also constrains TP. */
  kvHeads?: number | null;
  /** The KV cache has no head axis (MLA latent): every rank holds all of it. */
  kvReplicated?: boolean;
  weightsEstimated?: boolean;
  /** Memory classes to consider (default all). */
  classes?: readonly number[];
  maxTensorParallel?: number;
  policy?: FitPolicy;
  /** Extra notes to carry into the fit (e.g. "KV cache unknown"). */
  notes?: string[];
}

interface Candidate {
  cls: MemoryClass;
  tp: number;
  perGpu: number;
  usable: number;
}

function overheadOf(o?: Partial<FitOverhead>): FitOverhead {
  return { ...DEFAULT_OVERHEAD, ...(o ?? {}) };
}

/** TP allowed by the head counts (vLLM: heads % TP == 0; kv % TP == 0 or TP % kv == 0). */
export function tpAllowed(tp: number, heads?: number | null, kvHeads?: number | null): boolean {
  if (heads && heads > 0 && heads % tp !== 0) return false;
  if (kvHeads && kvHeads > 0 && kvHeads % tp !== 0 && tp % kvHeads !== 0) return false;
  return true;
}

/** Bytes one GPU must hold at tensor-parallel degree `tp`. */
export function perGpuBytes(input: FitInput, tp: number): number | null {
  if (input.weightBytes === null) return null;
  const o = overheadOf(input.overhead);
  const kv = input.kvBytes ?? 0;
  const kvShards = input.kvReplicated ? 1 : input.kvHeads && input.kvHeads > 0 ? Math.min(tp, input.kvHeads) : tp;
  const shard = input.weightBytes / tp + kv / kvShards;
  return Math.ceil(shard * (1 + o.fraction) + o.fixedBytesPerGpu);
}

/** Usable bytes of one GPU with `capacityBytes` of driver-reported memory. */
export function usableBytes(capacityBytes: number, overhead?: Partial<FitOverhead>): number {
  return Math.floor(capacityBytes * overheadOf(overhead).usableFraction);
}

/** Smallest allowed TP (within maxTensorParallel) at which the model fits a GPU of `capacityBytes`; null when none. */
export function smallestTp(input: FitInput, capacityBytes: number): number | null {
  const usable = usableBytes(capacityBytes, input.overhead);
  for (const tp of TP_DEGREES) {
    if (tp > (input.maxTensorParallel ?? 8)) break;
    if (!tpAllowed(tp, input.heads, input.kvHeads)) continue;
    const need = perGpuBytes(input, tp);
    if (need !== null && need <= usable) return tp;
  }
  return null;
}

function order(policy: FitPolicy) {
  return (a: Candidate, b: Candidate): number =>
    policy === "min-gpus" ? a.tp - b.tp || a.cls - b.cls : a.tp * a.cls - b.tp * b.cls || a.tp - b.tp || a.cls - b.cls;
}

/** The smallest GPU memory class and TP degree that hold weights + KV + overhead. */
export function fitHardware(input: FitInput): HardwareFit {
  const notes = [...(input.notes ?? [])];
  const base: HardwareFit = {
    gpuMemoryGB: null,
    gpuClass: null,
    tensorParallel: null,
    weightBytes: input.weightBytes,
    kvBytes: input.kvBytes,
    totalBytes: null,
    seqLen: input.seqLen,
    perGpuBytes: null,
    usableBytesPerGpu: null,
    weightsEstimated: input.weightsEstimated ?? false,
  };
  if (input.weightBytes === null || !Number.isFinite(input.weightBytes)) {
    notes.unshift("weight bytes unknown: no fit");
    return { ...base, weightBytes: null, note: notes.join("; ") };
  }
  if (input.weightsEstimated) notes.push("weights estimated from config.json (no headers read)");
  if (input.kvBytes === null) notes.push("KV cache unknown: fit on weights only");

  const classes = (input.classes ?? MEMORY_CLASSES).filter(isMemoryClass).slice().sort((a, b) => a - b);
  const cands: Candidate[] = [];
  const alternatives: NonNullable<HardwareFit["alternatives"]> = [];
  for (const cls of classes) {
    const cap = classCapacityBytes(cls);
    const tp = smallestTp(input, cap);
    if (tp === null) continue;
    alternatives.push({ gpuMemoryGB: cls, gpuClass: MEMORY_CLASS_NAMES[cls], tensorParallel: tp });
    // every allowed TP that fits is a candidate (a larger TP on a smaller class may win on total memory)
    for (const t of TP_DEGREES) {
      if (t < tp || t > (input.maxTensorParallel ?? 8) || !tpAllowed(t, input.heads, input.kvHeads)) continue;
      const need = perGpuBytes(input, t);
      const usable = usableBytes(cap, input.overhead);
      if (need !== null && need <= usable) cands.push({ cls, tp: t, perGpu: need, usable });
    }
  }
  if (cands.length === 0) {
    const maxTp = Math.min(8, input.maxTensorParallel ?? 8);
    const top = classes[classes.length - 1] ?? 192;
    const need = perGpuBytes(input, 1);
    notes.unshift(`does not fit on ${maxTp} x ${top} GB (needs ${humanBytes(need)} on one GPU, ${humanBytes(perGpuBytes(input, maxTp))} per GPU at TP ${maxTp})`);
    return { ...base, totalBytes: need, alternatives, note: notes.join("; ") };
  }
  cands.sort(order(input.policy ?? "min-memory"));
  const best = cands[0]!;
  const fit: HardwareFit = {
    ...base,
    gpuMemoryGB: best.cls,
    gpuClass: MEMORY_CLASS_NAMES[best.cls],
    tensorParallel: best.tp,
    totalBytes: best.perGpu * best.tp,
    perGpuBytes: best.perGpu,
    usableBytesPerGpu: best.usable,
    alternatives,
  };
  if (notes.length > 0) fit.note = notes.join("; ");
  return fit;
}

// ------------------------------------------------------------------------------------------------
// Footprint of a fingerprint: weight bytes (headers or refined config estimate) and KV bytes

export type WeightSource = "headers" | "config-estimate" | "unknown";

export interface WeightBytes {
  total: number | null;
  /** By storage dtype (headers exact; config estimate per dtype). Empty when unknown. */
  byDtype: Record<string, number>;
  estimated: boolean;
  source: WeightSource;
  note?: string;
}

export const FLOAT_DTYPES = new Set(["BF16", "F16", "F32", "F64"]);

/**
 * Weight bytes of a model: header bytes when tensors were read, else the fingerprint's per-dtype
 * estimate from the config (fingerprint/weight-bytes.ts).
 */
export function weightBytesOf(fp: Fingerprint): WeightBytes {
  const wb = fp.weightBytes;
  if (wb && Number.isFinite(wb.total)) {
    const estimated = wb.estimated ?? false;
    return { total: wb.total, byDtype: { ...wb.byDtype }, estimated, source: estimated ? "config-estimate" : "headers" };
  }
  return { total: null, byDtype: {}, estimated: false, source: "unknown" };
}

export interface KvFootprint {
  /** KV (+ recurrent state) bytes of one sequence of seqLen tokens; null unknown. */
  bytes: number | null;
  /** The cache has no head axis (MLA latent): replicated on every TP rank. */
  replicated: boolean;
  kvHeads: number | null;
  note?: string;
}

export function kvFootprint(fp: Fingerprint, seqLen: number): KvFootprint {
  const kv = fp.kvCache;
  const kvHeads = fp.features.attentionFamily === "standard" ? fp.scale.kvHeads : null;
  if (!kv) return { bytes: null, replicated: false, kvHeads, note: "no KV-cache pattern (no config.json)" };
  const bytes = kvBytesAtSeqLen(kv, seqLen, { includeState: true });
  return {
    bytes,
    replicated: kv.kind === "mla-latent",
    kvHeads,
    note: bytes === null ? "KV-cache geometry unknown" : undefined,
  };
}

export interface ModelFitOptions {
  seqLen?: number;
  overhead?: Partial<FitOverhead>;
  classes?: readonly number[];
  maxTensorParallel?: number;
  policy?: FitPolicy;
}

/** The fit input of a fingerprint at a test sequence length. */
export function fitInputOf(fp: Fingerprint, opts: ModelFitOptions = {}): FitInput {
  const seqLen = opts.seqLen ?? DEFAULT_SEQ_LEN;
  const w = weightBytesOf(fp);
  const kv = kvFootprint(fp, seqLen);
  const notes: string[] = [];
  if (fp.features.weightFormat === "fp32") notes.push("fp32 checkpoint: engines that cast to 16-bit on load (vLLM dtype=auto) need half the weight memory");
  return {
    weightBytes: w.total,
    kvBytes: kv.bytes,
    seqLen,
    overhead: opts.overhead,
    heads: fp.scale.heads,
    kvHeads: kv.kvHeads,
    kvReplicated: kv.replicated,
    weightsEstimated: w.estimated,
    classes: opts.classes,
    maxTensorParallel: opts.maxTensorParallel,
    policy: opts.policy,
    notes,
  };
}

/** fitHardware for a fingerprint: weights (headers or config estimate) + KV at seqLen (windows, MLA latent, state). */
export function fitModel(fp: Fingerprint, opts: ModelFitOptions = {}): HardwareFit {
  if (fp.status !== "ok") {
    return {
      gpuMemoryGB: null,
      gpuClass: null,
      tensorParallel: null,
      weightBytes: null,
      kvBytes: null,
      totalBytes: null,
      seqLen: opts.seqLen ?? DEFAULT_SEQ_LEN,
      note: `not fingerprinted${fp.error?.message ? `: ${fp.error.message}` : ""}`,
    };
  }
  return fitHardware(fitInputOf(fp, opts));
}
