/**
 * Reading a safetensors header in ONE request in the common case: a speculative range of
 * 8 + (expected header bytes) whose size is estimated by the caller (from the index's tensor names
 * or the config), and a second request only when the header turns out larger.
 * Ranges are inclusive; we compare N against the bytes actually received (the off-by-one that
 * truncated 100,000-byte headers in huggingface_hub#4602 cannot happen here).
 */
import { DEFAULT_MAX_HEADER_BYTES, headerLengthFromPrefix } from "../formats/safetensors.js";
import { FormatError } from "../util/errors.js";
import type { SafetensorsHeaderBytes } from "./types.js";

export { DEFAULT_MAX_HEADER_BYTES };
/** Guess when nothing is known about the file. Most headers of common models are < 100 kB. */
export const DEFAULT_HEADER_GUESS = 100_000;

/** Reads [start, endInclusive]; returns the bytes and the file's total size when the transport knows it. */
export type RangeGet = (start: number, endInclusive: number) => Promise<{ bytes: Uint8Array; total: number | null }>;

export interface StHeaderOptions {
  model?: string;
  file: string;
  expectedHeaderBytes?: number;
  maxHeaderBytes?: number;
  /** File size when already known (listing/stat). */
  knownSize?: number | null;
}

export async function readSafetensorsHeaderBytes(get: RangeGet, opts: StHeaderOptions): Promise<SafetensorsHeaderBytes> {
  const max = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const guess = Math.max(1024, Math.min(opts.expectedHeaderBytes ?? DEFAULT_HEADER_GUESS, max));
  let end = 8 + guess - 1;
  if (opts.knownSize != null && opts.knownSize > 0) end = Math.min(end, opts.knownSize - 1);
  const first = await get(0, end);
  let requests = 1;
  let bytesRead = first.bytes.byteLength;
  const fileSize = first.total ?? opts.knownSize ?? null;
  const n = headerLengthFromPrefix(first.bytes, { model: opts.model, file: opts.file, maxHeaderBytes: max, fileSize });
  let json: Uint8Array;
  if (first.bytes.byteLength >= 8 + n) {
    json = first.bytes.slice(8, 8 + n);
  } else {
    const have = first.bytes.byteLength;
    const rest = await get(have, 8 + n - 1);
    requests++;
    bytesRead += rest.bytes.byteLength;
    if (rest.bytes.byteLength !== 8 + n - have) {
      throw new FormatError("safetensors_truncated", `header announced ${n} bytes but only ${have - 8 + rest.bytes.byteLength} were readable`, {
        model: opts.model,
        file: opts.file,
      });
    }
    json = new Uint8Array(n);
    json.set(first.bytes.subarray(8), 0);
    json.set(rest.bytes, have - 8);
  }
  return { headerLength: n, json, fileSize, bytesRead, requests };
}

/**
 * Estimate the header size of a shard from the tensor names the index puts in it: each entry is
 * `"name":{"dtype":"BF16","shape":[a,b],"data_offsets":[x,y]},` — about 75 bytes plus the name.
 * A little slack keeps the one-request common case without reading much tensor data.
 */
export function estimateHeaderBytes(tensorNames: readonly string[]): number {
  let n = 64; // braces, __metadata__
  for (const name of tensorNames) n += name.length + 80;
  return Math.ceil(n * 1.1) + 512;
}

/** Serialize a header read into one cache blob: u64 N, u64 size (or 2^64-1), then the JSON bytes. */
export function encodeHeaderCache(h: SafetensorsHeaderBytes): Uint8Array {
  const out = new Uint8Array(16 + h.json.byteLength);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(h.headerLength), true);
  dv.setBigUint64(8, h.fileSize === null ? 0xffffffffffffffffn : BigInt(h.fileSize), true);
  out.set(h.json, 16);
  return out;
}

export function decodeHeaderCache(buf: Uint8Array): SafetensorsHeaderBytes | null {
  if (buf.byteLength < 16) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = Number(dv.getBigUint64(0, true));
  const sizeRaw = dv.getBigUint64(8, true);
  if (buf.byteLength !== 16 + n) return null;
  return {
    headerLength: n,
    fileSize: sizeRaw === 0xffffffffffffffffn ? null : Number(sizeRaw),
    json: buf.subarray(16),
    bytesRead: 0,
    requests: 0,
  };
}
