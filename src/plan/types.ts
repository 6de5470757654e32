/**
 * Multi-fidelity test plans (verdicts.md "Multi-fidelity plan") and the hardware they fit on.
 */
import type { Verdict, Reason } from "../compare/types.js";

export type Level = "L1" | "L2" | "L3" | "L4";

export const LEVELS: Record<Level, string> = {
  L1: "structure: load, tensor shapes, dtypes, weight format",
  L2: "numerical: logits vs reference, cosine similarity, perplexity",
  L3: "runtime: prefill/decode speed, KV cache behaviour, batching",
  L4: "canary: the target itself, peak memory, tensor/expert parallel correctness",
};

/** Smallest hardware that holds weights + KV cache at the test sequence length. */
export interface HardwareFit {
  /** Memory of one GPU in GB (one of 24, 40, 48, 80, 96, 141, 192), null when nothing fits (> 8 x 192 GB) or unknown. */
  gpuMemoryGB: number | null;
  /** GPU class name for that memory (e.g. "L4/A10G 24GB", "H100 80GB"). */
  gpuClass: string | null;
  /** Tensor-parallel degree (number of GPUs): 1, 2, 4 or 8. */
  tensorParallel: number | null;
  weightBytes: number | null;
  /** KV cache for one sequence of `seqLen` tokens. */
  kvBytes: number | null;
  /** weights + KV + runtime overhead. */
  totalBytes: number | null;
  seqLen: number;
  /** Why the fit is unknown or approximate. */
  note?: string;
  /** Bytes one GPU must hold at the chosen tensor-parallel degree (weights/TP + KV share + overhead). */
  perGpuBytes?: number | null;
  /** Usable bytes of one GPU of the chosen class (driver capacity x usable fraction). */
  usableBytesPerGpu?: number | null;
  /** Weight bytes come from the config estimate, not from headers. */
  weightsEstimated?: boolean;
  /** The smallest tensor-parallel degree that fits on each memory class (classes where nothing fits are omitted). */
  alternatives?: { gpuMemoryGB: number; gpuClass: string; tensorParallel: number }[];
}

/** Runtime overhead of a fit (docs/plan.md "Fit policy"). */
export interface FitOverhead {
  /** Fraction of one GPU's driver-reported memory the engine may use (vLLM gpu_memory_utilization). Default 0.9. */
  usableFraction: number;
  /** Activations, allocator slack, replicated small tensors: fraction of the per-GPU weights + KV. Default 0.05. */
  fraction: number;
  /** Per-GPU fixed bytes: CUDA context, cuBLAS/NCCL workspaces, CUDA-graph pool. Default 1 GiB. */
  fixedBytesPerGpu: number;
}

/**
 * Order of candidate fits: "min-memory" (default) = least total GPU memory (TP x class GB), then
 * fewer GPUs; "min-gpus" = fewer GPUs, then smaller memory class.
 */
export type FitPolicy = "min-memory" | "min-gpus";

export interface PlanEntry {
  level: Level;
  /** Model that runs this level (the target or a proxy). */
  model: string;
  /** Why this model runs this level. */
  reason: string;
  /** Target features this entry exercises (for uncovered features: the feature keys). */
  features: string[];
  hardware: HardwareFit;
}

export interface TargetPlan {
  target: string;
  /** The cheapest covering proxy (FULL by fewest weight bytes, else PARTIAL by fewest uncovered features), or null. */
  proxy: string | null;
  proxyVerdict: Verdict | null;
  /** Target features the chosen proxy does not cover. */
  uncovered: Reason[];
  entries: PlanEntry[];
  /** The target could not be planned (UNKNOWN fingerprint). */
  error?: string;
  /** Weight bytes of the target and of the chosen proxy (headers, else config estimate). */
  targetWeightBytes?: number | null;
  proxyWeightBytes?: number | null;
  /** Decisions worth reading: proxies skipped (not cheaper, unknown size), unknown sizes, ... */
  notes?: string[];
}

export interface PlanOptions {
  /** Test sequence length for KV cache sizing (default 4096). */
  seqLen?: number;
  /** Memory classes to consider (default all: 24, 40, 48, 80, 96, 141, 192). */
  gpuClasses?: number[];
  /** Largest tensor-parallel degree (default 8). */
  maxTensorParallel?: number;
  overhead?: Partial<FitOverhead>;
  fitPolicy?: FitPolicy;
}
