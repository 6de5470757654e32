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
}

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
}

export interface PlanOptions {
  /** Test sequence length for KV cache sizing (default 4096). */
  seqLen?: number;
}
