/**
 * Storage bytes of weights when only the config is known: per-dtype parameter counts priced at
 * their storage bits, packed formats including their scales / zeros / biases per group.
 * (Within 0.5% of header bytes across nine quantized formats; see test/plan-cost.test.ts.)
 */
import { dtypeBits } from "../formats/dtypes.js";
import type { WeightFormat } from "./types.js";

/**
 * Storage bits per *logical* parameter of a dtype bucket of a config-estimated checkpoint
 * (paramsFromConfig counts packed low-bit weights as logical parameters): the container plus its
 * scales / zeros / biases per group. null when the bucket cannot be priced.
 */
export function bitsPerLogicalParam(dtype: string, wf: WeightFormat | null): number | null {
  const fmt = (wf?.format ?? "").toLowerCase();
  const bits = wf?.bits ?? null;
  const g = wf?.groupSize && wf.groupSize > 0 ? wf.groupSize : null;
  switch (dtype) {
    case "U8": // packed 4-bit floats / bnb 4-bit
      if (fmt === "mxfp4") return 4 + 8 / (g ?? 32); // E8M0 scale per 32
      if (fmt === "nvfp4") return 4 + 8 / (g ?? 16); // FP8 scale per 16 (+ a per-tensor FP32 scale)
      if (fmt.startsWith("bnb")) {
        // FP32 absmax per 64-block; double quant stores it as 8 bits (+ a small nested table)
        const dq = wf?.evidence.some((e) => e.includes("double quant")) ?? false;
        return 4 + (dq ? 8 : 32) / (g ?? 64);
      }
      return (bits ?? 4) + 16 / (g ?? 32);
    case "I32": // GPTQ / AWQ / compressed-tensors packed ints: FP16 scale + packed zero per group
      return (bits ?? 4) + (g ? (16 + (bits ?? 4)) / g : 0);
    case "U32": // MLX: BF16 scale + BF16 bias per group
      return (bits ?? 4) + 32 / (g ?? 64);
    default: {
      const b = dtypeBits(dtype);
      return b === null || dtype === "UNKNOWN" ? null : b;
    }
  }
}


/** Estimated weight bytes by dtype from a parameter split; null when a bucket cannot be priced. */
export function estimateWeightBytes(byDtypeParams: Record<string, number>, wf: WeightFormat | null): { total: number; byDtype: Record<string, number> } | null {
  const entries = Object.entries(byDtypeParams).filter(([, n]) => n > 0);
  if (entries.length === 0) return null;
  const byDtype: Record<string, number> = {};
  for (const [d, n] of entries) {
    const b = bitsPerLogicalParam(d, wf);
    if (b === null) return null;
    byDtype[d] = Math.round((n * b) / 8);
  }
  return { total: Object.values(byDtype).reduce((a, b) => a + b, 0), byDtype };
}
