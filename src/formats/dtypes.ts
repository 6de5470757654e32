/**
 * Safetensors dtypes and tensor sizes.
 *
 * The table follows the Rust reference `enum Dtype` (huggingface/safetensors `tensor.rs`), see
 * docs/hub-protocol.md section 4, plus the non-standard strings that `@huggingface/hub` tolerates
 * (`E8M0`, `UE8`, `FP4`). The reference parser rejects a header that uses a non-standard string;
 * we keep the tensor and report it (see safetensors.ts).
 *
 * Sizes: the header `shape` is the logical element count, so a tensor holds
 * `prod(shape) * bits` bits, which must be a whole number of bytes (F4 `[1,2]` is 1 byte,
 * F4 `[1,3]` is 12 bits and invalid). Scalars (`shape: []`) hold 1 element; a 0 dim means 0 bytes.
 * All arithmetic is done in BigInt so that hostile shapes cannot overflow silently.
 */
import { FormatError } from "../util/errors.js";

export interface DtypeInfo {
  /** The dtype string as written in a safetensors header ("BF16"). */
  name: string;
  /** Bits per logical element. */
  bits: number;
  /** false for strings the reference parser does not know but that appear in the wild. */
  standard: boolean;
  note?: string;
}

function entry(name: string, bits: number, standard = true, note?: string): [string, DtypeInfo] {
  return [name, note === undefined ? { name, bits, standard } : { name, bits, standard, note }];
}

/** Every dtype we know, keyed by its header string (case-sensitive, as the reference parser is). */
export const DTYPES: ReadonlyMap<string, DtypeInfo> = new Map<string, DtypeInfo>([
  entry("BOOL", 8),
  entry("F4", 4, true, "MXFP4 E2M1, two elements per byte; shape is the logical element count"),
  entry("F6_E2M3", 6, true, "MX FP6"),
  entry("F6_E3M2", 6, true, "MX FP6"),
  entry("U8", 8),
  entry("I8", 8),
  entry("F8_E5M2", 8),
  entry("F8_E4M3", 8),
  entry("F8_E8M0", 8, true, "exponent-only, MX block scales"),
  entry("F8_E4M3FNUZ", 8, true, "AMD variant"),
  entry("F8_E5M2FNUZ", 8, true, "AMD variant"),
  entry("I16", 16),
  entry("U16", 16),
  entry("F16", 16),
  entry("BF16", 16),
  entry("I32", 32),
  entry("U32", 32),
  entry("F32", 32),
  entry("C64", 64, true, "complex64"),
  entry("F64", 64),
  entry("I64", 64),
  entry("U64", 64),
  // Non-standard strings tolerated by @huggingface/hub (its Dtype union and SCALE_ONLY_DTYPES).
  entry("E8M0", 8, false, "non-standard spelling of F8_E8M0 (MX block scales)"),
  entry("UE8", 8, false, "non-standard: unsigned E8M0 exponents (gpt-oss MXFP4 scales)"),
  entry("FP4", 4, false, "non-standard spelling of F4; 4 bits per element is assumed, not specified anywhere"),
]);

/** Bits per element, or null when the dtype string is unknown. */
export function dtypeBits(dtype: string): number | null {
  return DTYPES.get(dtype)?.bits ?? null;
}

/** True for every dtype in the table, standard or not. */
export function isKnownDtype(dtype: string): boolean {
  return DTYPES.has(dtype);
}

/** True only for dtypes the reference (Rust) parser accepts. */
export function isStandardDtype(dtype: string): boolean {
  return DTYPES.get(dtype)?.standard === true;
}

const TORCH_TO_SAFETENSORS: ReadonlyMap<string, string> = new Map([
  ["bool", "BOOL"],
  ["uint8", "U8"],
  ["int8", "I8"],
  ["int16", "I16"],
  ["short", "I16"],
  ["uint16", "U16"],
  ["float16", "F16"],
  ["half", "F16"],
  ["bfloat16", "BF16"],
  ["int32", "I32"],
  ["int", "I32"],
  ["uint32", "U32"],
  ["float32", "F32"],
  ["float", "F32"],
  ["float64", "F64"],
  ["double", "F64"],
  ["int64", "I64"],
  ["long", "I64"],
  ["uint64", "U64"],
  ["complex64", "C64"],
  ["float8_e4m3fn", "F8_E4M3"],
  ["float8_e5m2", "F8_E5M2"],
  ["float8_e4m3fnuz", "F8_E4M3FNUZ"],
  ["float8_e5m2fnuz", "F8_E5M2FNUZ"],
  ["float8_e8m0fnu", "F8_E8M0"],
  ["float4_e2m1fn_x2", "F4"],
]);

/**
 * Map a torch dtype name as found in config.json (`torch_dtype` / `dtype`: "bfloat16",
 * "torch.float16") to the safetensors dtype string, or null when unknown.
 */
export function dtypeFromTorch(name: string): string | null {
  const n = name.trim().toLowerCase().replace(/^torch\./, "");
  return TORCH_TO_SAFETENSORS.get(n) ?? null;
}

export const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** True when `d` is an integer with 0 <= d <= 2^53-1. */
export function isSafeNonNegativeInteger(d: unknown): d is number {
  return typeof d === "number" && Number.isSafeInteger(d) && d >= 0;
}

/** prod(shape) as a BigInt (1 for a scalar), or null when a dim is not a non-negative safe integer. */
export function tensorElements(shape: readonly number[]): bigint | null {
  let n = 1n;
  for (const d of shape) {
    if (!isSafeNonNegativeInteger(d)) return null;
    n *= BigInt(d);
  }
  return n;
}

/**
 * prod(shape) as a plain number when it is exact (every dim a non-negative safe integer and the
 * product <= 2^53-1), else null: the allocation-free common case of tensorElements.
 */
export function tensorElementsNumber(shape: readonly number[]): number | null {
  let n = 1;
  for (let i = 0; i < shape.length; i++) {
    const d = shape[i] as number;
    if (!isSafeNonNegativeInteger(d)) return null;
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return null;
  }
  return n;
}

/** The byte size of tensorSize when it is ok and every step fits a plain number; else null (ask tensorSize why). */
export function tensorBytesFast(shape: readonly number[], bits: number): number | null {
  const n = tensorElementsNumber(shape);
  if (n === null) return null;
  const b = n * bits;
  return b <= Number.MAX_SAFE_INTEGER && b % 8 === 0 ? b / 8 : null;
}

export type TensorSizeProblem = "unknown_dtype" | "bad_shape" | "misaligned" | "overflow";

export type TensorSize =
  | { ok: true; elements: bigint; bits: bigint; bytes: number }
  | { ok: false; reason: TensorSizeProblem; elements: bigint | null; bits: bigint | null };

/**
 * Size of a tensor, never throwing:
 * - `unknown_dtype`: the dtype is not in the table (`elements` is still given when the shape is fine);
 * - `bad_shape`: a dim is negative, fractional or above 2^53-1;
 * - `misaligned`: `prod(shape) * bits` is not a multiple of 8 (e.g. F4 with an odd element count);
 * - `overflow`: the byte size exceeds Number.MAX_SAFE_INTEGER.
 */
export function tensorSize(shape: readonly number[], dtype: string): TensorSize {
  // Fast path in plain numbers: exact as long as every partial product stays <= 2^53-1.
  const b0 = dtypeBits(dtype);
  if (b0 !== null) {
    let n = 1;
    let fast = true;
    for (const d of shape) {
      if (!isSafeNonNegativeInteger(d)) {
        fast = false;
        break;
      }
      n *= d;
      if (n > Number.MAX_SAFE_INTEGER) {
        fast = false;
        break;
      }
    }
    const bits = n * b0;
    if (fast && bits <= Number.MAX_SAFE_INTEGER && bits % 8 === 0) {
      return { ok: true, elements: BigInt(n), bits: BigInt(bits), bytes: bits / 8 };
    }
  }
  const elements = tensorElements(shape);
  if (elements === null) return { ok: false, reason: "bad_shape", elements: null, bits: null };
  const b = dtypeBits(dtype);
  if (b === null) return { ok: false, reason: "unknown_dtype", elements, bits: null };
  const bits = elements * BigInt(b);
  if (bits % 8n !== 0n) return { ok: false, reason: "misaligned", elements, bits };
  const bytes = bits / 8n;
  if (bytes > MAX_SAFE) return { ok: false, reason: "overflow", elements, bits };
  return { ok: true, elements, bits, bytes: Number(bytes) };
}

/**
 * Byte size of a tensor. Throws FormatError (`tensor_unknown_dtype`, `tensor_bad_shape`,
 * `tensor_misaligned`, `tensor_size_overflow`) when it cannot be given exactly.
 */
export function tensorBytes(shape: readonly number[], dtype: string): number {
  const s = tensorSize(shape, dtype);
  if (s.ok) return s.bytes;
  const what = `tensor of dtype ${JSON.stringify(dtype)} and shape ${JSON.stringify(shape)}`;
  switch (s.reason) {
    case "unknown_dtype":
      throw new FormatError("tensor_unknown_dtype", `unknown dtype for ${what}`);
    case "bad_shape":
      throw new FormatError("tensor_bad_shape", `dims must be non-negative safe integers: ${what}`);
    case "misaligned":
      throw new FormatError("tensor_misaligned", `${what} holds ${s.bits} bits, not a whole number of bytes`);
    case "overflow":
      throw new FormatError("tensor_size_overflow", `${what} is larger than 2^53-1 bytes`);
  }
}
