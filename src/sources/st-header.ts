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
    // a copy: the header gets a buffer of its own (the analysis pool transfers it to its worker)
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
  return withSlack(rawHeaderEstimate(tensorNames));
}

/** The static estimate from a raw one: 10 % + 512 bytes of slack. */
export function withSlack(raw: number): number {
  return Math.ceil(raw * 1.1) + 512;
}

/** What the raw estimate counts for the header around its entries (braces, `__metadata__`). */
export const RAW_HEADER_BASE = 64;

/** What the raw estimate counts for one entry of this tensor name. */
export function rawEntryEstimate(tensorName: string): number {
  return tensorName.length + 80;
}

/** The header size the tensor names predict before any slack: 64 + sum(name + 80). */
export function rawHeaderEstimate(tensorNames: readonly string[]): number {
  let n = RAW_HEADER_BASE;
  for (const name of tensorNames) n += rawEntryEstimate(name);
  return n;
}

/**
 * Adaptive speculative sizes, learned across the shards of one model. The first shard read uses the
 * static estimate (estimateHeaderBytes: 10 % + 512 bytes of slack); each header read teaches how the
 * real header length N compares with the raw estimate of its entries:
 * - entries smaller than predicted (the common case: over the corpus N is 0.76-0.99x the raw
 *   estimate, within ~2 % between the large shards of one model): later shards ask for
 *   raw x (highest ratio seen) x (1 + MARGIN) + PAD, ~4 % past the header instead of ~14 %;
 * - a header larger than predicted (a big `__metadata__` repeated in every shard, unusual entries):
 *   the excess over the raw estimate is learned as a per-shard constant, so only the first shard
 *   pays a second request.
 */
export class HeaderSizeLearner {
  static readonly MARGIN = 0.03;
  static readonly PAD = 512;
  /** Highest N / raw seen, capped at 1 (beyond 1 the excess is additive). 0 = nothing learned yet. */
  private ratio = 0;
  /** Highest N - raw x min(N / raw, 1) seen: bytes no entry estimate accounts for. */
  private excess = 0;

  get learned(): boolean {
    return this.ratio > 0;
  }

  /** Bytes of header to ask for, for a shard whose index lists these tensor names. */
  estimate(tensorNames: readonly string[]): number {
    return this.estimateRaw(rawHeaderEstimate(tensorNames));
  }

  /** The same, from the raw estimate of the shard's entries (rawHeaderEstimate). */
  estimateRaw(raw: number): number {
    if (!this.learned) return withSlack(raw);
    return Math.ceil(raw * this.ratio * (1 + HeaderSizeLearner.MARGIN) + this.excess) + HeaderSizeLearner.PAD;
  }

  /** Record the real header length N of a shard whose index lists these tensor names. */
  observe(tensorNames: readonly string[], headerLength: number): void {
    this.observeRaw(rawHeaderEstimate(tensorNames), headerLength);
  }

  /** The same, from the raw estimate of the shard's entries. */
  observeRaw(raw: number, headerLength: number): void {
    const r = Math.min(1, headerLength / raw);
    if (!Number.isFinite(r) || r <= 0) return;
    this.ratio = Math.max(this.ratio, r);
    this.excess = Math.max(this.excess, headerLength - raw * r);
  }
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
