/**
 * GPU table for hardware fits and the roofline cost model (docs/plan.md "GPU table").
 *
 * Figures are per GPU, **dense** (no 2:4 sparsity) tensor-core throughput, from the vendor datasheets
 * listed with each entry (datasheets print the sparse figure with an asterisk; dense = sparse / 2).
 * Memory capacity is what the driver reports (nvidia-smi / cudaMemGetInfo total, in MiB): that is
 * the figure vLLM multiplies by gpu_memory_utilization, so fits use it rather than the marketed GB.
 * Driver figures: https://thundergolfer.com/blog/nvidia-gpu-memory-capacity (Modal, NVML readings of
 * H200, H100, A100 80/40, A10, L40S, L4), nvidia-smi logs in public issues for B200 and H100 NVL.
 *
 * Fitting uses memory *classes* (verdicts.md: 24, 40, 48, 80, 96, 141, 192 GB). Each class maps to
 * a representative GPU name for reports and to the smallest driver capacity among its GPUs.
 */

export type Precision = "bf16" | "fp8" | "fp4";

/** Memory classes of verdicts.md, in GB. */
export const MEMORY_CLASSES = [24, 40, 48, 80, 96, 141, 192] as const;
export type MemoryClass = (typeof MEMORY_CLASSES)[number];

/** Tensor-parallel degrees tried by fits. */
export const TP_DEGREES = [1, 2, 4, 8] as const;

export interface GpuSpec {
  id: string;
  /** Display name, e.g. "H100 SXM 80GB". */
  name: string;
  memoryClassGB: MemoryClass;
  /** Marketed capacity in GB. */
  memoryGB: number;
  /** Capacity the driver reports (nvidia-smi total), in MiB. */
  driverMiB: number;
  memoryType: string;
  /** Peak memory bandwidth, GB/s (1e9 bytes/s). */
  bandwidthGBs: number;
  /** Dense tensor-core TFLOP/s per precision; null when the GPU has no tensor-core path for it. */
  tflops: { bf16: number; fp8: number | null; fp4: number | null };
  sources: string[];
  note?: string;
}

const MIB = 2 ** 20;

/**
 * The table. Order: by memory class, then bandwidth.
 */
export const GPUS: readonly GpuSpec[] = [
  {
    id: "a10g",
    name: "A10G 24GB",
    memoryClassGB: 24,
    memoryGB: 24,
    driverMiB: 23028,
    memoryType: "GDDR6",
    bandwidthGBs: 600,
    // A10G is AWS-only (EC2 G5); NVIDIA publishes no A10G datasheet. 70 TFLOP/s dense FP16/BF16
    // tensor (the PCIe A10 is 125): AWS/Baseten spec comparison. No FP8 (Ampere).
    tflops: { bf16: 70, fp8: null, fp4: null },
    sources: [
      "https://aws.amazon.com/ec2/instance-types/g5/",
      "https://www.baseten.co/blog/nvidia-a10-vs-a10g-for-ml-model-inference/",
      "https://www.nvidia.com/en-us/data-center/products/a10-gpu/",
    ],
    note: "AWS variant of the A10; tensor figure from AWS/Baseten, not an NVIDIA datasheet",
  },
  {
    id: "l4",
    name: "L4 24GB",
    memoryClassGB: 24,
    memoryGB: 24,
    driverMiB: 23034,
    memoryType: "GDDR6",
    bandwidthGBs: 300,
    // datasheet: BF16 242 TFLOPS*, FP8 485 TFLOPS* (* with sparsity)
    tflops: { bf16: 121, fp8: 242.5, fp4: null },
    sources: ["https://www.nvidia.com/en-us/data-center/l4/", "https://resources.nvidia.com/en-us-data-center-overview/l4-gpu-datasheet"],
  },
  {
    id: "a100-40gb",
    name: "A100 SXM 40GB",
    memoryClassGB: 40,
    memoryGB: 40,
    driverMiB: 40960,
    memoryType: "HBM2",
    bandwidthGBs: 1555,
    // datasheet: BF16 312 | 624* TFLOPS; no FP8 (Ampere: FP8 checkpoints run weight-only, BF16 math)
    tflops: { bf16: 312, fp8: null, fp4: null },
    sources: ["https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"],
  },
  {
    id: "l40s",
    name: "L40S 48GB",
    memoryClassGB: 48,
    memoryGB: 48,
    driverMiB: 46068,
    memoryType: "GDDR6 (ECC)",
    bandwidthGBs: 864,
    // datasheet: BF16 362.05 | 733*, FP8 733 | 1,466*
    tflops: { bf16: 362.05, fp8: 733, fp4: null },
    sources: ["https://www.nvidia.com/en-us/data-center/l40s/", "https://resources.nvidia.com/en-us-l40s/l40s-datasheet-28413"],
  },
  {
    id: "a100-80gb",
    name: "A100 SXM 80GB",
    memoryClassGB: 80,
    memoryGB: 80,
    driverMiB: 81920,
    memoryType: "HBM2e",
    bandwidthGBs: 2039,
    tflops: { bf16: 312, fp8: null, fp4: null },
    sources: ["https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf"],
  },
  {
    id: "h100-sxm",
    name: "H100 SXM 80GB",
    memoryClassGB: 80,
    memoryGB: 80,
    driverMiB: 81559,
    memoryType: "HBM3",
    bandwidthGBs: 3350,
    // datasheet: BF16 1,979*, FP8 3,958* TFLOPS
    tflops: { bf16: 989.4, fp8: 1978.9, fp4: null },
    sources: ["https://www.nvidia.com/en-us/data-center/h100/", "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"],
  },
  {
    id: "h100-nvl",
    name: "H100 NVL 94GB",
    // Decision: the 96 GB class of verdicts.md. The NVL board carries 6 HBM3 stacks (96 GB
    // physical) of which 94 GB are enabled; fits use the driver figure (95,830 MiB ≈ 93.6 GiB).
    memoryClassGB: 96,
    memoryGB: 94,
    driverMiB: 95830,
    memoryType: "HBM3",
    bandwidthGBs: 3900,
    // datasheet: BF16 1,671*, FP8 3,341* TFLOPS
    tflops: { bf16: 835.5, fp8: 1670.5, fp4: null },
    sources: ["https://www.nvidia.com/en-us/data-center/h100/", "https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet"],
    note: "94 GB enabled of 96 GB physical HBM3; in the 96 GB class",
  },
  {
    id: "h200",
    name: "H200 SXM 141GB",
    memoryClassGB: 141,
    memoryGB: 141,
    driverMiB: 143771,
    memoryType: "HBM3e",
    bandwidthGBs: 4800,
    tflops: { bf16: 989.4, fp8: 1978.9, fp4: null },
    sources: ["https://www.nvidia.com/en-us/data-center/h200/"],
  },
  {
    id: "b200",
    name: "B200 192GB",
    // Decision: 192 GB class. B200 carries 8 HBM3e stacks = 192 GB; HGX/DGX B200 list "180 GB" per
    // GPU (1,440 GB per 8-GPU system). Both name the same memory: the driver reports 183,359 MiB
    // = 179 GiB = 192.3e9 bytes, so "192 GB" is the decimal and "180 GB" the binary rounding.
    // Fits use the driver figure.
    memoryClassGB: 192,
    memoryGB: 192,
    driverMiB: 183359,
    memoryType: "HBM3e",
    // HGX B200: 7.7 TB/s per GPU (DGX B200 marketing: 64 TB/s per 8 GPUs = 8 TB/s)
    bandwidthGBs: 7700,
    // HGX B200 per GPU: FP4 18*, FP8/FP6 9*, FP16/BF16 4.5* PFLOPS
    tflops: { bf16: 2250, fp8: 4500, fp4: 9000 },
    sources: ["https://www.nvidia.com/en-us/data-center/hgx/", "https://www.nvidia.com/en-us/data-center/dgx-b200/"],
    note: "HGX B200 (1,000 W) figures; 192 GB physical = the 180 GB (GiB) of HGX/DGX listings",
  },
];

/** Representative GPU class name per memory class (reports). */
export const MEMORY_CLASS_NAMES: Record<MemoryClass, string> = {
  24: "L4/A10G 24GB",
  40: "A100 40GB",
  48: "L40S 48GB",
  80: "A100/H100 80GB",
  96: "H100 NVL 94GB",
  141: "H200 141GB",
  192: "B200 192GB",
};

export function gpuById(id: string): GpuSpec | undefined {
  return GPUS.find((g) => g.id === id);
}

export function gpusInClass(cls: MemoryClass): GpuSpec[] {
  return GPUS.filter((g) => g.memoryClassGB === cls);
}

/** Driver-reported bytes of one GPU. */
export function gpuBytes(g: GpuSpec): number {
  return g.driverMiB * MIB;
}

/** Capacity of a memory class: the smallest driver capacity among its GPUs (bytes). */
export function classCapacityBytes(cls: MemoryClass): number {
  const gs = gpusInClass(cls);
  return Math.min(...gs.map(gpuBytes));
}

export function isMemoryClass(n: number): n is MemoryClass {
  return (MEMORY_CLASSES as readonly number[]).includes(n);
}

/** Dense TFLOP/s at a precision, falling back to the next wider precision the GPU runs natively. */
export function peakTflops(g: GpuSpec, precision: Precision): { precision: Precision; tflops: number } {
  if (precision === "fp4" && g.tflops.fp4 !== null) return { precision: "fp4", tflops: g.tflops.fp4 };
  if (precision === "fp8" && g.tflops.fp8 !== null) return { precision: "fp8", tflops: g.tflops.fp8 };
  return { precision: "bf16", tflops: g.tflops.bf16 };
}
