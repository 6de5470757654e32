/**
 * Safetensors header parser and validator (pure functions, no I/O).
 *
 * Layout (docs/hub-protocol.md section 4): 8 bytes N (u64 little-endian), N bytes of UTF-8 JSON
 * `{"name": {"dtype", "shape", "data_offsets": [begin, end]}, ..., "__metadata__": {str: str}}`,
 * then the data section; offsets are relative to byte 8+N.
 *
 * Fatal problems throw FormatError: nothing sensible can be read.
 *
 * | code                              | when                                                                 |
 * |-----------------------------------|----------------------------------------------------------------------|
 * | safetensors_header_too_small      | fewer than 8 bytes for the length prefix (reference: HeaderTooSmall)  |
 * | safetensors_header_empty          | N = 0                                                                |
 * | safetensors_header_too_large      | N above the cap (default 100,000,000, the reference MAX_HEADER_SIZE) |
 * | safetensors_header_length_invalid | 8+N exceeds the known file size (reference: InvalidHeaderLength)     |
 * | safetensors_header_truncated      | fewer than N header bytes were supplied                              |
 * | safetensors_not_utf8              | header bytes are not UTF-8 (reference: InvalidHeader)                |
 * | safetensors_too_deep              | JSON nested deeper than 128 levels (serde_json's recursion limit)    |
 * | safetensors_not_json              | header is not JSON (reference: InvalidHeaderDeserialization)         |
 * | safetensors_not_object            | header JSON is not an object                                         |
 * | safetensors_bad_entry             | a tensor entry is not {dtype: string, shape: number[],               |
 * |                                   | data_offsets: [number, number]}; the message names the tensor        |
 *
 * Findings: the reference parser would reject the file, but the tensor list is still readable.
 * All have severity "error" unless stated.
 *
 * | code                   | when                                                                        |
 * |------------------------|-----------------------------------------------------------------------------|
 * | st_offset_start        | the first tensor (by offset) does not begin at 0                            |
 * | st_offset_gap          | unused bytes between two tensors                                            |
 * | st_offset_overlap      | a tensor begins before the previous one ends                                |
 * | st_offset_invalid      | an offset is not a non-negative safe integer, or end < begin                |
 * | st_size_mismatch       | end-begin != prod(shape)*bits/8 (warning for a non-standard dtype)          |
 * | st_misaligned          | prod(shape)*bits is not a multiple of 8 (e.g. F4 with an odd element count) |
 * | st_size_overflow       | prod(shape)*bits/8 exceeds 2^53-1 (reference: ValidationOverflow)           |
 * | st_negative_dim        | a dim is negative                                                           |
 * | st_dim_not_integer     | a dim is fractional or above 2^53-1                                         |
 * | st_file_length         | file size != 8 + N + end of the data (trailing bytes or short file)         |
 * | st_unknown_dtype       | warning: dtype string not in the table; the tensor is kept as is            |
 * | st_nonstandard_dtype   | warning: E8M0 / UE8 / FP4, tolerated by the JS client, not by the reference |
 * | st_metadata_not_object | `__metadata__` is not an object (metadata is then null)                     |
 * | st_metadata_not_string | a `__metadata__` value is not a string (kept as its JSON text)              |
 * | st_duplicate_tensor    | a tensor name appears twice (JSON.parse keeps the last entry)               |
 * | st_duplicate_key       | a key repeats inside a tensor entry or `__metadata__`, or `__metadata__` twice |
 * | st_invalid_unicode     | a tensor name holds an unpaired surrogate escape (serde_json rejects it)    |
 *
 * Accepted as the reference does: leading JSON whitespace before `{` (since safetensors 96305fc),
 * trailing space padding, unknown extra keys in a tensor entry, no particular tensor order.
 * At most 50 findings per code are listed, plus one summary finding per code above that.
 */
import type { Finding } from "../fingerprint/types.js";
import type { TensorRecord } from "../sources/types.js";
import { FormatError } from "../util/errors.js";
import { DTYPES, isSafeNonNegativeInteger, tensorBytesFast, tensorSize } from "./dtypes.js";
import { namesDigest, readHeaderFast, type ShardDigest } from "./json-fast.js";
import { FindingSink, decodeUtf8Strict, parseOrError, isPlainObject, jsonType, preview, quickScan, scanJson, setOwn, where } from "./json-scan.js";

/** The reference parser's MAX_HEADER_SIZE. */
export const DEFAULT_MAX_HEADER_BYTES = 100_000_000;
/** The cap of @huggingface/hub and huggingface_hub (Python): larger headers fail there. */
export const CLIENT_MAX_HEADER_BYTES = 25_000_000;
/** serde_json's default recursion limit; a header nested deeper fails in the reference parser. */
export const SAFETENSORS_MAX_DEPTH = 128;

export interface SafetensorsContext {
  /** File name used in messages and findings. */
  file: string;
  /** Manifest model id, used in error messages when given. */
  model?: string;
}

export interface HeaderLengthOptions extends SafetensorsContext {
  /** Cap on N (default DEFAULT_MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
  /** Full file size when known. */
  fileSize?: number | null;
}

export interface ParseHeaderContext extends SafetensorsContext {
  /** N, from the 8-byte prefix. */
  headerLength: number;
  /** Full file size when known (enables the exact file-length rule). */
  fileSize: number | null;
  /** Cap on N (default DEFAULT_MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
  /** Findings listed per code before summarising (default 50). */
  maxFindingsPerCode?: number;
}

export interface ParsedSafetensorsHeader {
  /** Tensors sorted by begin (then end, then name). */
  tensors: TensorRecord[];
  /** `__metadata__`, or null when absent or not an object. Non-string values are kept as JSON text. */
  metadata: Record<string, string> | null;
  findings: Finding[];
  /** End of the data as the header describes it: the largest valid `end` (0 without tensors). */
  dataEnd: number;
  /** The tensor names added up as an index digest adds them (for validateIndexAgainstHeaders). */
  names: ShardDigest;
}

/** Read N from the first 8 bytes (u64 little-endian). Throws `safetensors_header_too_small`. */
export function readHeaderLength(prefix8: Uint8Array, ctx?: SafetensorsContext): bigint {
  if (prefix8.length < 8) {
    throw new FormatError(
      "safetensors_header_too_small",
      `${ctx ? `${where(ctx)}: ` : ""}safetensors file needs an 8-byte length prefix, got ${prefix8.length} byte(s)`,
      { file: ctx?.file, model: ctx?.model },
    );
  }
  return new DataView(prefix8.buffer, prefix8.byteOffset, 8).getBigUint64(0, true);
}

/**
 * Check N against 0 < N <= cap and, when the file size is known, 8+N <= size. Returns N as a number.
 * Works on the BigInt, so a hostile N (2^63) is refused before anything is allocated.
 */
export function validateHeaderLength(n: bigint, opts: HeaderLengthOptions): number {
  const cap = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const fail = (code: string, msg: string, hint?: string): never => {
    throw new FormatError(code, `${where(opts)}: ${msg}`, { file: opts.file, model: opts.model, hint });
  };
  if (n <= 0n) fail("safetensors_header_empty", "safetensors header length is 0");
  if (n > BigInt(cap)) {
    fail(
      "safetensors_header_too_large",
      `safetensors header length ${n} exceeds the cap of ${cap} bytes`,
      n > BigInt(DEFAULT_MAX_HEADER_BYTES) ? "the file is corrupt or not a safetensors file" : "raise the header cap",
    );
  }
  const size = opts.fileSize;
  if (size !== undefined && size !== null && 8n + n > BigInt(size)) {
    fail("safetensors_header_length_invalid", `safetensors header length ${n} does not fit in a file of ${size} bytes`);
  }
  return Number(n);
}

/** readHeaderLength + validateHeaderLength. */
export function headerLengthFromPrefix(prefix8: Uint8Array, opts: HeaderLengthOptions): number {
  return validateHeaderLength(readHeaderLength(prefix8, opts), opts);
}

/**
 * Parse the N header bytes. `json` may be longer than N (only the first N bytes are used), not shorter.
 */
export function parseSafetensorsHeader(json: Uint8Array, ctx: ParseHeaderContext): ParsedSafetensorsHeader {
  const fatal = (code: string, msg: string, cause?: unknown): never => {
    throw new FormatError(code, `${where(ctx)}: ${msg}`, { file: ctx.file, model: ctx.model, cause });
  };
  if (!Number.isSafeInteger(ctx.headerLength)) fatal("safetensors_header_length_invalid", `header length ${ctx.headerLength} is not an integer`);
  const n = validateHeaderLength(BigInt(ctx.headerLength), ctx);
  if (json.length < n) fatal("safetensors_header_truncated", `got ${json.length} of the ${n} header bytes`);

  const text = decodeUtf8Strict(json.length === n ? json : json.subarray(0, n));
  if (text === null) fatal("safetensors_not_utf8", "safetensors header is not valid UTF-8");
  const src = text as string;

  // The exact fast reader for the common header; anything outside its subset takes the general
  // path (JSON.parse, the duplicate-key scanners, typed errors for malformed entries).
  const quick = readHeaderFast(src, ctx.file);
  const sink = new FindingSink(ctx.file, ctx.maxFindingsPerCode);
  let metadata: Record<string, string> | null;
  let tensors: TensorRecord[];
  if (quick !== null) {
    metadata = quick.metadata;
    tensors = quick.tensors;
  } else {
    const general = readHeaderGeneral(json.length === n ? json : json.subarray(0, n), src, ctx, sink, fatal);
    metadata = general.metadata;
    tensors = general.tensors;
  }

  // Checks per tensor. The loop allocates nothing in the common case (no finding objects, closures
  // or BigInts per tensor): headers of MoE checkpoints hold 10^5 entries.
  /** Tensors whose offsets are valid, for the layout checks. */
  const placed: TensorRecord[] = [];
  for (let t = 0; t < tensors.length; t++) {
    const rec = tensors[t] as TensorRecord;
    const name = rec.name;
    // (no lone surrogate can come out of the fast reader: it refuses escapes, and the text is valid UTF-8)
    if (quick === null && LONE_SURROGATE.test(name)) sink.add("error", "st_invalid_unicode", `tensor name ${JSON.stringify(name)} holds an unpaired UTF-16 surrogate`, { tensor: name });

    let shapeOk = true;
    for (let i = 0; i < rec.shape.length; i++) {
      const d = rec.shape[i] as number;
      if (d < 0) {
        sink.add("error", "st_negative_dim", `tensor ${JSON.stringify(name)} has a negative dim in shape ${preview(rec.shape)}`, { tensor: name });
        shapeOk = false;
        break;
      }
      if (!Number.isSafeInteger(d)) {
        sink.add("error", "st_dim_not_integer", `tensor ${JSON.stringify(name)} has a dim that is not a safe integer in shape ${preview(rec.shape)}`, { tensor: name });
        shapeOk = false;
        break;
      }
    }

    const offsetsOk = isSafeNonNegativeInteger(rec.begin) && isSafeNonNegativeInteger(rec.end) && rec.end >= rec.begin;
    if (offsetsOk) {
      placed.push(rec);
    } else {
      sink.add(
        "error",
        "st_offset_invalid",
        `tensor ${JSON.stringify(name)} has data_offsets ${preview([rec.begin, rec.end])}: ${
          rec.end < rec.begin ? "end is before begin" : "offsets must be non-negative integers below 2^53"
        }`,
        { tensor: name },
      );
    }

    const info = DTYPES.get(rec.dtype);
    if (!info) {
      sink.add("warning", "st_unknown_dtype", `tensor ${JSON.stringify(name)} has unknown dtype ${JSON.stringify(rec.dtype)}`, { tensor: name });
      continue;
    }
    if (!info.standard) {
      sink.add(
        "warning",
        "st_nonstandard_dtype",
        `tensor ${JSON.stringify(name)} has non-standard dtype ${rec.dtype} (${info.note ?? "not in the reference parser"}); the reference parser rejects it`,
        { tensor: name },
      );
    }
    if (!shapeOk) continue;
    // The common case in plain numbers; tensorSize (BigInt) only to say what is wrong.
    const fast = tensorBytesFast(rec.shape, info.bits);
    if (fast !== null && (!offsetsOk || rec.end - rec.begin === fast)) continue;
    const size = tensorSize(rec.shape, rec.dtype);
    if (!size.ok) {
      if (size.reason === "misaligned") {
        sink.add(
          "error",
          "st_misaligned",
          `tensor ${JSON.stringify(name)}: ${size.elements} element(s) of ${rec.dtype} make ${size.bits} bits, not a whole number of bytes`,
          { tensor: name },
        );
      } else if (size.reason === "overflow") {
        sink.add("error", "st_size_overflow", `tensor ${JSON.stringify(name)}: shape ${preview(rec.shape)} of ${rec.dtype} is larger than 2^53-1 bytes`, { tensor: name });
      }
      continue;
    }
    if (offsetsOk && rec.end - rec.begin !== size.bytes) {
      sink.add(
        info.standard ? "error" : "warning",
        "st_size_mismatch",
        `tensor ${JSON.stringify(name)}: data_offsets span ${rec.end - rec.begin} bytes but shape ${preview(rec.shape)} of ${rec.dtype} needs ${size.bytes}${
          info.standard ? "" : ` (assuming ${info.bits} bits per element)`
        }`,
        { tensor: name },
      );
    }
  }

  // Layout: contiguous from 0, no gaps, no overlaps (the reference sorts by data_offsets).
  placed.sort(byOffsets);
  let expected = 0;
  let prev: TensorRecord | null = null;
  for (const r of placed) {
    if (r.begin > expected) {
      if (prev === null) {
        sink.add("error", "st_offset_start", `the first tensor ${JSON.stringify(r.name)} begins at ${r.begin}, not 0`, { tensor: r.name });
      } else {
        sink.add(
          "error",
          "st_offset_gap",
          `${r.begin - expected} unused byte(s) between the end of ${JSON.stringify(prev.name)} (${expected}) and tensor ${JSON.stringify(r.name)} (${r.begin})`,
          { tensor: r.name },
        );
      }
    } else if (r.begin < expected && prev !== null) {
      sink.add(
        "error",
        "st_offset_overlap",
        `tensor ${JSON.stringify(r.name)} [${r.begin}, ${r.end}) overlaps ${JSON.stringify(prev.name)}, which ends at ${expected}`,
        { tensor: r.name },
      );
    }
    if (r.end >= expected) {
      expected = r.end;
      prev = r;
    }
  }
  const dataEnd = expected;

  if (ctx.fileSize !== null && ctx.fileSize !== undefined) {
    const want = 8 + n + dataEnd;
    if (ctx.fileSize !== want) {
      sink.add(
        "error",
        "st_file_length",
        ctx.fileSize > want
          ? `file has ${ctx.fileSize - want} trailing byte(s): size ${ctx.fileSize}, header says 8 + ${n} + ${dataEnd} = ${want}`
          : `file is ${want - ctx.fileSize} byte(s) short: size ${ctx.fileSize}, header says 8 + ${n} + ${dataEnd} = ${want}`,
      );
    }
  }

  // When every tensor is placed, `placed` already holds them in this order.
  const sorted = placed.length === tensors.length ? placed : tensors.sort(byOffsets);
  // the names' digest: the fast reader adds it up as it reads
  return { tensors: sorted, metadata, findings: sink.done(), dataEnd, names: quick !== null ? quick.names : namesDigest(tensors) };
}

export interface ParseFileContext extends SafetensorsContext {
  /** Full file size; defaults to bytes.length (the whole file was given). */
  fileSize?: number | null;
  maxHeaderBytes?: number;
  maxFindingsPerCode?: number;
}

/**
 * Parse a safetensors file from its first bytes (the whole file, or at least 8+N bytes with
 * `fileSize` giving the real size). Returns the header length along with the parsed header.
 */
export function parseSafetensorsFile(
  bytes: Uint8Array,
  ctx: ParseFileContext,
): ParsedSafetensorsHeader & { headerLength: number } {
  const fileSize = ctx.fileSize === undefined ? bytes.length : ctx.fileSize;
  const headerLength = headerLengthFromPrefix(bytes, { ...ctx, fileSize });
  const parsed = parseSafetensorsHeader(bytes.subarray(8, 8 + headerLength), { ...ctx, headerLength, fileSize });
  return { ...parsed, headerLength };
}

/**
 * The general reader: JSON.parse, then the duplicate-key proof (quickScan, or the full scanner to
 * name the duplicates), typed errors for malformed entries, findings for duplicates and metadata.
 */
function readHeaderGeneral(
  headerBytes: Uint8Array,
  src: string,
  ctx: ParseHeaderContext,
  sink: FindingSink,
  fatal: (code: string, msg: string, cause?: unknown) => never,
): { tensors: TensorRecord[]; metadata: Record<string, string> | null } {
  const { value: root, error: parseError } = parseOrError(src);
  // The exact fast path when it can prove there is nothing to report; else the full scanner.
  const scan =
    (parseError === null ? quickScan(headerBytes, root, SAFETENSORS_MAX_DEPTH) : null) ??
    scanJson(headerBytes, { depthLimit: SAFETENSORS_MAX_DEPTH, trackKeys: (p) => p.length <= 1 });
  if (scan.tooDeep) fatal("safetensors_too_deep", `safetensors header JSON is nested deeper than ${SAFETENSORS_MAX_DEPTH} levels`);
  if (parseError !== null) {
    const err = parseError;
    fatal("safetensors_not_json", `safetensors header is not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (!isPlainObject(root)) fatal("safetensors_not_object", `safetensors header is a JSON ${jsonType(root)}, not an object`);
  const obj = root as Record<string, unknown>;

  for (const d of scan.duplicates) {
    if (d.path.length === 0 && d.key !== "__metadata__") {
      sink.add("error", "st_duplicate_tensor", `tensor ${JSON.stringify(d.key)} is listed more than once; only the last entry is read`, {
        tensor: d.key,
      });
    } else {
      const inMeta = d.path[0] === "__metadata__";
      const place = d.path.length === 0 ? "the header" : inMeta ? "__metadata__" : `the entry of tensor ${JSON.stringify(d.path[0])}`;
      sink.add(
        "error",
        "st_duplicate_key",
        `key ${JSON.stringify(d.key)} repeats inside ${place}`,
        d.path.length === 0 || inMeta ? { key: d.key } : { tensor: d.path[0], key: d.key },
      );
    }
  }
  if (scan.duplicateCount > scan.duplicates.length) {
    sink.add("error", "st_duplicate_key", `${scan.duplicateCount - scan.duplicates.length} more duplicate key(s) not listed`);
  }

  // __metadata__
  let metadata: Record<string, string> | null = null;
  if ("__metadata__" in obj) {
    const m = obj["__metadata__"];
    if (isPlainObject(m)) {
      metadata = {};
      for (const [k, v] of Object.entries(m)) {
        if (typeof v === "string") {
          setOwn(metadata, k, v);
        } else {
          setOwn(metadata, k, preview(v));
          sink.add("error", "st_metadata_not_string", `__metadata__ value of ${JSON.stringify(k)} is a ${jsonType(v)}, not a string`, { key: k });
        }
      }
    } else if (m !== null) {
      sink.add("error", "st_metadata_not_object", `__metadata__ is a JSON ${jsonType(m)}, not an object of strings`);
    }
  }

  // Tensors: typed errors for malformed entries, records for the rest (checked by the caller).
  const tensors: TensorRecord[] = [];
  // One closure for the loop (not one per tensor): `name` is the entry being read.
  let name = "";
  const bad = (what: string): never => fatal("safetensors_bad_entry", `tensor ${JSON.stringify(name)}: ${what}`);
  for (const entryName in obj) {
    if (entryName === "__metadata__") continue;
    name = entryName;
    const e = obj[entryName];
    if (!isPlainObject(e)) bad(`entry is a JSON ${jsonType(e)}, not an object`);
    const entry = e as Record<string, unknown>;
    const dtype = entry["dtype"];
    const shape = entry["shape"];
    const offsets = entry["data_offsets"];
    if (typeof dtype !== "string") bad(`dtype is ${dtype === undefined ? "missing" : `a JSON ${jsonType(dtype)}, not a string`}`);
    if (!Array.isArray(shape)) bad(`shape is ${shape === undefined ? "missing" : `a JSON ${jsonType(shape)}, not an array`}`);
    const dims = shape as unknown[];
    for (let i = 0; i < dims.length; i++) {
      const d = dims[i];
      if (typeof d !== "number" || !Number.isFinite(d)) bad(`shape ${preview(shape)} holds a non-number`);
    }
    if (!Array.isArray(offsets)) {
      bad(`data_offsets is ${offsets === undefined ? "missing" : `a JSON ${jsonType(offsets)}, not an array`}`);
    }
    const offs = offsets as unknown[];
    const o0 = offs[0];
    const o1 = offs[1];
    if (offs.length !== 2 || typeof o0 !== "number" || !Number.isFinite(o0) || typeof o1 !== "number" || !Number.isFinite(o1)) {
      bad(`data_offsets ${preview(offsets)} is not a pair of numbers`);
    }
    const rec: TensorRecord = {
      name,
      dtype: dtype as string,
      shape: dims as number[],
      file: ctx.file,
      begin: o0 as number,
      end: o1 as number,
    };
    tensors.push(rec);
  }
  return { tensors, metadata };
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function byOffsets(a: TensorRecord, b: TensorRecord): number {
  return a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
}
