/**
 * ONNX graph reader: walks the protobuf wire format of a `.onnx` file through a RangeReader and
 * keeps only what a fingerprint needs (ops, opsets, initializer names/dims/dtypes, external data
 * references, graph inputs/outputs, metadata). Weights are never read:
 *
 * - `raw_data` and the typed data fields of every TensorProto are skipped by their length prefix;
 *   a skipped field that lies outside the current window costs no bytes at all.
 * - External data files (`*.onnx_data`, one-file-per-tensor exports) are only *named*; the reader
 *   is never asked for another file.
 * - Small files (<= `wholeFileBelow`, default 4 MiB) are read in one request. Bigger files are
 *   range-walked: the first window is 64 KiB, windows restart at 16 KiB after a jump (past
 *   skipped data) and double while reads stay sequential (up to 8 MiB), so a 1 GB single-file
 *   model costs roughly one small request per big initializer plus the graph's own bytes.
 * - More than `budgetBytes` (default 64 MiB) would be read -> FormatError `onnx_budget_exceeded`.
 *
 * Wire walking uses protobufjs' `Reader` (varints, skipping); every length is checked against the
 * enclosing message and the file size before anything is allocated, so hostile lengths cannot
 * cause big allocations. Field numbers follow onnx.proto (ONNX 1.20, IR 13), see
 * docs/hub-protocol.md section 6 and docs/formats-onnx-gguf.md.
 *
 * Fatal problems (FormatError codes):
 * | code                   | when                                                                   |
 * |------------------------|------------------------------------------------------------------------|
 * | onnx_budget_exceeded   | reading on would exceed budgetBytes                                    |
 * | onnx_bad_length        | a length prefix >= 2 GiB, or beyond its message / the end of the file |
 * | onnx_truncated         | a varint or field cut by the end of its message or file; short read   |
 * | onnx_bad_varint        | a varint longer than 10 bytes                                          |
 * | onnx_bad_wire_type     | wire type 3/4 (groups), 6 or 7                                         |
 * | onnx_bad_tag           | field number 0                                                         |
 * | onnx_too_deep          | subgraphs or types nested deeper than 16 levels                        |
 * | onnx_too_many          | > 500k tensors, > 10k distinct op types or > 100k graph inputs/outputs |
 * | onnx_not_a_model       | no graph and no ir_version: not an ONNX ModelProto                     |
 * | onnx_empty             | zero-byte file                                                         |
 */
import protobuf from "protobufjs/minimal.js";
import type { Finding, WeightFormat } from "../fingerprint/types.js";
import type { RangeReader, TensorRecord } from "../sources/types.js";
import { FormatError, StandinError } from "../util/errors.js";
import { ownEntry, setOwn } from "./json-scan.js";

// ---------------------------------------------------------------------------------------------
// Public types

export interface OnnxExternalRef {
  /** `location` key as written (normalised: "./" removed, "\" -> "/"), relative to the .onnx folder. */
  location: string;
  offset: number;
  /** `length` key, or null when the file does not say (then the tensor runs to the end of the data). */
  length: number | null;
}

export type OnnxTensorSource = "initializer" | "sparse_initializer" | "constant" | "attribute";

export interface OnnxInitializer {
  name: string;
  dims: number[];
  /** ONNX DataType name: "FLOAT", "FLOAT16", "BFLOAT16", "INT4", "FLOAT8E4M3FN", ... */
  dataType: string;
  external: OnnxExternalRef | null;
  /** Bytes of inline data (raw_data, or the typed *_data fields) that were skipped. */
  rawDataBytes: number;
  /** Where the tensor was found. Constant-node tensors take the node's output name when unnamed. */
  source: OnnxTensorSource;
  /** Subgraph nesting depth (0 = main graph or a function body). */
  depth: number;
}

export interface OnnxValueInfo {
  name: string;
  /** Tensor element type name ("FLOAT", "INT64"...), or "sequence(...)", "map(...)", "optional(...)", "sparse(...)". */
  elemType: string;
  /** dim_value numbers, dim_param strings, "?" for an unnamed unknown dim; [] for scalars and unknown rank. */
  shape: (number | string)[];
}

export interface OnnxOpCount {
  /** "ai.onnx" for the default domain. */
  domain: string;
  opType: string;
  count: number;
}

export interface OnnxGraph {
  file: string;
  irVersion: number;
  producer: { name: string; version: string };
  opsets: { domain: string; version: number }[];
  /** Sorted by domain then op type; counts include subgraphs and function bodies. */
  ops: OnnxOpCount[];
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  /** Distinct external data locations, relative to the .onnx file's folder, sorted. */
  externalFiles: string[];
  /** Number of subgraphs (If/Loop/Scan bodies...), at any depth. */
  subgraphs: number;
  functions: number;
  metadata: Record<string, string>;
  /**
   * Scalar attributes seen per op ("com.microsoft::MatMulNBits" -> {bits: [4], block_size: [32]}):
   * ints, floats and short strings, at most 8 distinct values per attribute, sorted.
   */
  attributes: Record<string, Record<string, (number | string)[]>>;
  /** Size of the .onnx file. */
  fileSize: number;
  /** "whole" when read in one request, "range" when range-walked. */
  mode: "whole" | "range";
  bytesRead: number;
  requests: number;
  findings: Finding[];
}

export interface ReadOnnxOptions {
  /** Repo path of the .onnx file (used in errors and for external data paths). */
  file: string;
  model?: string;
  /** Max bytes to read (default 64 MiB). */
  budgetBytes?: number;
  /** Read the whole file in one request when its size is <= this (default 4 MiB). */
  wholeFileBelow?: number;
}

export const DEFAULT_ONNX_BUDGET = 64 * 1024 * 1024;
export const DEFAULT_ONNX_WHOLE_FILE_BELOW = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// DataType table

/** ONNX TensorProto.DataType names by value. */
export const ONNX_DATA_TYPES: readonly string[] = [
  "UNDEFINED",
  "FLOAT",
  "UINT8",
  "INT8",
  "UINT16",
  "INT16",
  "INT32",
  "INT64",
  "STRING",
  "BOOL",
  "FLOAT16",
  "DOUBLE",
  "UINT32",
  "UINT64",
  "COMPLEX64",
  "COMPLEX128",
  "BFLOAT16",
  "FLOAT8E4M3FN",
  "FLOAT8E4M3FNUZ",
  "FLOAT8E5M2",
  "FLOAT8E5M2FNUZ",
  "UINT4",
  "INT4",
  "FLOAT4E2M1",
  "FLOAT8E8M0",
  "UINT2",
  "INT2",
];

const DATA_TYPE_BITS: Record<string, number> = {
  FLOAT: 32,
  UINT8: 8,
  INT8: 8,
  UINT16: 16,
  INT16: 16,
  INT32: 32,
  INT64: 64,
  BOOL: 8,
  FLOAT16: 16,
  DOUBLE: 64,
  UINT32: 32,
  UINT64: 64,
  COMPLEX64: 64,
  COMPLEX128: 128,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 8,
  FLOAT8E4M3FNUZ: 8,
  FLOAT8E5M2: 8,
  FLOAT8E5M2FNUZ: 8,
  UINT4: 4,
  INT4: 4,
  FLOAT4E2M1: 4,
  FLOAT8E8M0: 8,
  UINT2: 2,
  INT2: 2,
};

/** ONNX DataType name for an enum value ("UNKNOWN(99)" for values this table does not know). */
export function onnxDataTypeName(value: number): string {
  return ONNX_DATA_TYPES[value] ?? `UNKNOWN(${value})`;
}

/** Bits per element of an ONNX DataType name, null for STRING/UNDEFINED/unknown. */
export function onnxDataTypeBits(name: string): number | null {
  return DATA_TYPE_BITS[name] ?? null;
}

const ONNX_TO_SAFETENSORS: Record<string, string> = {
  FLOAT: "F32",
  FLOAT16: "F16",
  BFLOAT16: "BF16",
  DOUBLE: "F64",
  UINT8: "U8",
  INT8: "I8",
  UINT16: "U16",
  INT16: "I16",
  UINT32: "U32",
  INT32: "I32",
  UINT64: "U64",
  INT64: "I64",
  BOOL: "BOOL",
  COMPLEX64: "C64",
  FLOAT8E4M3FN: "F8_E4M3",
  FLOAT8E4M3FNUZ: "F8_E4M3FNUZ",
  FLOAT8E5M2: "F8_E5M2",
  FLOAT8E5M2FNUZ: "F8_E5M2FNUZ",
  FLOAT8E8M0: "F8_E8M0",
  FLOAT4E2M1: "F4",
};

/**
 * The safetensors dtype string for an ONNX DataType name ("FLOAT16" -> "F16"), so that ONNX,
 * GGUF and safetensors tensors share dtype names. Types safetensors has no name for (INT4, UINT4,
 * INT2, UINT2, STRING, COMPLEX128) keep their ONNX name.
 */
export function onnxDtypeToSafetensors(name: string): string {
  return ONNX_TO_SAFETENSORS[name] ?? name;
}

// ---------------------------------------------------------------------------------------------
// Byte source: windows over a RangeReader, with a budget

const PROBE_WINDOW = 16 * 1024;
const FIRST_WINDOW = 64 * 1024;
const MAX_WINDOW = 8 * 1024 * 1024;
/** Longest possible tag + length prefix (two 10-byte varints). */
const HEADER_BYTES = 20;
/** A length-delimited field of 2 GiB or more is refused (protobuf's own limit). */
const MAX_FIELD_LENGTH = 2 ** 31 - 1;
const MAX_NESTING = 16;

interface Ctx {
  file: string;
  model?: string;
}

class ByteSource {
  buf: Uint8Array = new Uint8Array(0);
  bufStart = 0;
  bufEnd = 0;
  reader: protobuf.Reader = protobuf.Reader.create(new Uint8Array(0));
  bytesRead = 0;
  requests = 0;
  private lastWindow = 0;

  constructor(
    private readonly rr: RangeReader,
    readonly size: number,
    private readonly budget: number,
    private readonly ctx: Ctx,
  ) {}

  covers(pos: number, n: number): boolean {
    return pos >= this.bufStart && pos + n <= this.bufEnd;
  }

  /** Load the whole file (one request). */
  async loadAll(): Promise<void> {
    const bytes = await this.fetch(0, this.size);
    this.setBuffer(bytes, 0);
  }

  /** Make [pos, pos+n) available (n is clamped to the file end). */
  async ensure(pos: number, n: number): Promise<void> {
    const want = Math.min(n, this.size - pos);
    if (want <= 0 || this.covers(pos, want)) return;
    if (this.requests > 0 && pos >= this.bufStart && pos <= this.bufEnd && this.bufEnd < this.size) {
      // Sequential: keep the tail we have and append a window that doubles each time.
      const keep = this.buf.subarray(pos - this.bufStart);
      const minMore = want - keep.length;
      const window = Math.max(minMore, Math.min(MAX_WINDOW, Math.max(this.lastWindow * 2, PROBE_WINDOW)));
      const more = await this.fetchClamped(this.bufEnd, minMore, window);
      const merged = new Uint8Array(keep.length + more.length);
      merged.set(keep, 0);
      merged.set(more, keep.length);
      this.setBuffer(merged, pos);
    } else {
      // A jump (usually past skipped raw_data): start small again.
      const first = this.requests === 0 ? FIRST_WINDOW : PROBE_WINDOW;
      const bytes = await this.fetchClamped(pos, want, Math.max(want, first));
      this.setBuffer(bytes, pos);
    }
  }

  private async fetchClamped(start: number, minLen: number, len: number): Promise<Uint8Array> {
    const remaining = this.budget - this.bytesRead;
    if (minLen > remaining) this.overBudget(minLen);
    const n = Math.max(minLen, Math.min(len, remaining, this.size - start));
    this.lastWindow = n;
    return this.fetch(start, start + n);
  }

  private overBudget(extra: number): never {
    throw new FormatError(
      "onnx_budget_exceeded",
      `${this.ctx.file}: reading the ONNX graph would take more than the ${fmtBytes(this.budget)} budget ` +
        `(${fmtBytes(this.bytesRead)} read in ${this.requests} requests, ${fmtBytes(extra)} more needed, file is ${fmtBytes(this.size)})`,
      { ...this.ctx, hint: "raise the ONNX byte budget, or point standin at a graph file with external data (model.onnx + model.onnx_data)" },
    );
  }

  private async fetch(start: number, end: number): Promise<Uint8Array> {
    if (this.bytesRead + (end - start) > this.budget) this.overBudget(end - start);
    const bytes = await this.rr.read(start, end);
    this.requests++;
    this.bytesRead += bytes.length;
    if (bytes.length < end - start) {
      throw new FormatError("onnx_truncated", `${this.ctx.file}: short read at ${start}: ${bytes.length} of ${end - start} bytes`, this.ctx);
    }
    return bytes.length === end - start ? bytes : bytes.subarray(0, end - start);
  }

  private setBuffer(bytes: Uint8Array, start: number): void {
    this.buf = bytes;
    this.bufStart = start;
    this.bufEnd = start + bytes.length;
    this.reader = protobuf.Reader.create(bytes);
  }
}

function fmtBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
  return `${n} B`;
}

// ---------------------------------------------------------------------------------------------
// Wire walking

const WT_VARINT = 0;
const WT_I64 = 1;
const WT_LEN = 2;
const WT_I32 = 5;

interface FieldHeader {
  num: number;
  wt: number;
  /** Varint value (wt 0) as a JS number (exact up to 2^53). */
  value: number;
  /** Start of the payload (wt 1/2/5), absolute. */
  start: number;
  /** Payload length for wt 1/2/5. */
  len: number;
  /** Absolute position after the field. */
  next: number;
}

function longToNumber(l: protobuf.Long | number): number {
  if (typeof l === "number") return l;
  return l.high * 4294967296 + (l.low >>> 0);
}

class Walker {
  readonly findings: Finding[] = [];
  private readonly findingCounts = new Map<string, number>();

  constructor(
    readonly src: ByteSource,
    readonly ctx: Ctx,
  ) {}

  fail(code: string, msg: string): never {
    throw new FormatError(code, `${this.ctx.file}: ${msg}`, this.ctx);
  }

  note(severity: Finding["severity"], code: string, message: string, tensor?: string): void {
    const n = (this.findingCounts.get(code) ?? 0) + 1;
    this.findingCounts.set(code, n);
    if (n <= 20) this.findings.push({ severity, code, message, file: this.ctx.file, ...(tensor !== undefined ? { tensor } : {}) });
  }

  summariseFindings(): void {
    for (const [code, n] of this.findingCounts) {
      if (n > 20) this.findings.push({ severity: "info", code, message: `${n - 20} more ${code} findings not listed`, file: this.ctx.file });
    }
  }

  /** Read the field header at pos; `end` is the end of the enclosing message. */
  async field(pos: number, end: number): Promise<FieldHeader> {
    const src = this.src;
    const need = Math.min(HEADER_BYTES, end - pos);
    if (!src.covers(pos, need)) await src.ensure(pos, need);
    const r = src.reader;
    r.pos = pos - src.bufStart;
    let tag: number;
    let value = 0;
    let len = 0;
    try {
      tag = r.uint32();
      const wt = tag & 7;
      if (wt === WT_VARINT) value = longToNumber(r.uint64());
      else if (wt === WT_LEN) {
        const l = r.uint64();
        if (l.high !== 0 || l.low < 0) {
          const big = (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
          this.fail("onnx_bad_length", `field ${tag >>> 3} at byte ${pos} declares a length of ${big} bytes (2 GiB or more)`);
        }
        len = l.low;
      } else if (wt === WT_I64) len = 8;
      else if (wt === WT_I32) len = 4;
    } catch (e) {
      if (e instanceof StandinError) throw e;
      if (e instanceof RangeError) this.fail("onnx_truncated", `truncated varint at byte ${pos}`);
      this.fail("onnx_bad_varint", `invalid varint at byte ${pos} (${(e as Error).message})`);
    }
    const start = src.bufStart + r.pos;
    if (start > end) this.fail("onnx_truncated", `field header at byte ${pos} runs past the end of its message (byte ${end})`);
    const num = tag >>> 3;
    const wt = tag & 7;
    if (num === 0) this.fail("onnx_bad_tag", `field number 0 at byte ${pos}`);
    if (wt === 3 || wt === 4) this.fail("onnx_bad_wire_type", `group wire type ${wt} (field ${num}) at byte ${pos} is not supported`);
    if (wt > 5) this.fail("onnx_bad_wire_type", `invalid wire type ${wt} (field ${num}) at byte ${pos}`);
    if (len > MAX_FIELD_LENGTH) this.fail("onnx_bad_length", `field ${num} at byte ${pos} declares a 2 GiB+ length`);
    const next = start + len;
    if (next > end) {
      const what = end === src.size ? "the end of the file" : "its enclosing message";
      this.fail(wt === WT_LEN ? "onnx_bad_length" : "onnx_truncated", `field ${num} at byte ${pos} declares ${len} bytes, beyond ${what} (byte ${end})`);
    }
    return { num, wt, value, start, len, next };
  }

  /** Read a length-delimited payload as UTF-8 (null when longer than cap: it is skipped, not read). */
  async str(f: FieldHeader, cap: number): Promise<string | null> {
    if (f.wt !== WT_LEN) return null;
    if (f.len > cap) return null;
    return decodeUtf8(await this.bytes(f.start, f.len));
  }

  /** Read the first `cap` bytes of a string payload (for metadata values). */
  async strPrefix(f: FieldHeader, cap: number): Promise<{ text: string; truncated: boolean }> {
    const n = Math.min(f.len, cap);
    return { text: decodeUtf8(await this.bytes(f.start, n)), truncated: f.len > cap };
  }

  async bytes(start: number, len: number): Promise<Uint8Array> {
    if (!this.src.covers(start, len)) await this.src.ensure(start, len);
    return this.src.buf.subarray(start - this.src.bufStart, start - this.src.bufStart + len);
  }

  /** Packed repeated varints (int64) in a payload, at most `max` values read. */
  async packedInts(f: FieldHeader, max: number): Promise<number[]> {
    const bytes = await this.bytes(f.start, Math.min(f.len, max * 10));
    const r = protobuf.Reader.create(bytes);
    const out: number[] = [];
    try {
      while (r.pos < r.len && out.length < max) out.push(longToNumber(r.int64()));
    } catch (e) {
      if (e instanceof RangeError) this.fail("onnx_truncated", `truncated packed varint at byte ${f.start}`);
      this.fail("onnx_bad_varint", `invalid packed varint at byte ${f.start}`);
    }
    return out;
  }

  async float32(f: FieldHeader): Promise<number> {
    const b = await this.bytes(f.start, 4);
    return new DataView(b.buffer, b.byteOffset, 4).getFloat32(0, true);
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  return new TextDecoder("utf-8").decode(bytes);
}

// ---------------------------------------------------------------------------------------------
// The model walk

const NAME_CAP = 4096;
const OP_CAP = 256;
const META_CAP = 4096;
const ATTR_STRING_CAP = 128;
const MAX_DIMS = 64;
const MAX_ATTR_VALUES = 8;
/** Count caps: a hostile file of millions of tiny records must not build millions of objects. */
const MAX_TENSORS = 500_000;
const MAX_OP_TYPES = 10_000;
const MAX_IO = 100_000;

interface State {
  w: Walker;
  irVersion: number | null;
  producerName: string;
  producerVersion: string;
  opsets: { domain: string; version: number }[];
  ops: Map<string, { domain: string; opType: string; count: number }>;
  initializers: OnnxInitializer[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  externalFiles: Set<string>;
  externalTensors: number;
  subgraphs: number;
  functions: number;
  metadata: Record<string, string>;
  attributes: Map<string, Map<string, Set<number | string>>>;
  hasGraph: boolean;
}

interface TensorInfo {
  name: string;
  dims: number[];
  dataType: number;
  dataLocation: number;
  entries: { key: string; value: string }[];
  rawDataBytes: number;
  hasRawData: boolean;
}

async function walkModel(st: State, start: number, end: number): Promise<void> {
  const w = st.w;
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    switch (f.num) {
      case 1:
        if (f.wt === WT_VARINT) st.irVersion = f.value;
        break;
      case 2:
        st.producerName = (await w.str(f, OP_CAP)) ?? st.producerName;
        break;
      case 3:
        st.producerVersion = (await w.str(f, OP_CAP)) ?? st.producerVersion;
        break;
      case 7:
        if (f.wt === WT_LEN) {
          st.hasGraph = true;
          await walkGraph(st, f.start, f.next, 0);
        }
        break;
      case 8:
        if (f.wt === WT_LEN) st.opsets.push(await readOpset(w, f.start, f.next));
        break;
      case 14:
        if (f.wt === WT_LEN) {
          const e = await readEntry(w, f.start, f.next, META_CAP);
          if (e.truncated) w.note("info", "onnx_metadata_truncated", `metadata_props "${e.key}" is longer than ${META_CAP} bytes; kept its first ${META_CAP} bytes`);
          if (e.key) setOwn(st.metadata, e.key, e.value);
        }
        break;
      case 20:
        if (f.wt === WT_LEN) w.note("info", "onnx_training_info", "the model carries training_info graphs; they were skipped");
        break;
      case 25:
        if (f.wt === WT_LEN) {
          st.functions++;
          await walkFunction(st, f.start, f.next);
        }
        break;
      default:
        break;
    }
  }
}

async function readOpset(w: Walker, start: number, end: number): Promise<{ domain: string; version: number }> {
  let domain = "";
  let version = 0;
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.num === 1) domain = (await w.str(f, OP_CAP)) ?? domain;
    else if (f.num === 2 && f.wt === WT_VARINT) version = f.value;
  }
  return { domain: normDomain(domain), version };
}

async function readEntry(w: Walker, start: number, end: number, cap: number): Promise<{ key: string; value: string; truncated: boolean }> {
  let key = "";
  let value = "";
  let truncated = false;
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.wt !== WT_LEN) continue;
    if (f.num === 1) key = (await w.strPrefix(f, NAME_CAP)).text;
    else if (f.num === 2) {
      const v = await w.strPrefix(f, cap);
      value = v.text;
      truncated = v.truncated;
    }
  }
  return { key, value, truncated };
}

function normDomain(d: string): string {
  return d === "" || d === "ai.onnx" ? "ai.onnx" : d;
}

async function walkFunction(st: State, start: number, end: number): Promise<void> {
  const w = st.w;
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.num === 7 && f.wt === WT_LEN) await walkNode(st, f.start, f.next, 0);
  }
}

async function walkGraph(st: State, start: number, end: number, depth: number): Promise<void> {
  const w = st.w;
  if (depth > MAX_NESTING) w.fail("onnx_too_deep", `subgraphs nested deeper than ${MAX_NESTING} levels`);
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.wt !== WT_LEN) continue;
    switch (f.num) {
      case 1:
        await walkNode(st, f.start, f.next, depth);
        break;
      case 5: {
        const t = await walkTensor(st, f.start, f.next);
        addTensor(st, t, "initializer", depth, t.name);
        break;
      }
      case 15:
        await walkSparse(st, f.start, f.next, "sparse_initializer", depth, "");
        break;
      case 11:
      case 12:
        if (depth === 0) {
          const list = f.num === 11 ? st.inputs : st.outputs;
          if (list.length >= MAX_IO) w.fail("onnx_too_many", `more than ${MAX_IO} graph ${f.num === 11 ? "inputs" : "outputs"}`);
          list.push(await walkValueInfo(st, f.start, f.next));
        }
        break;
      default:
        // name(2), doc_string(10), value_info(13), quantization_annotation(14), metadata_props(16):
        // nothing a fingerprint needs; skipped by length.
        break;
    }
  }
}

async function walkNode(st: State, start: number, end: number, depth: number): Promise<void> {
  const w = st.w;
  let opType = "";
  let domain = "";
  let firstOutput: string | null = null;
  let nodeName = "";
  const tensors: { t: TensorInfo; attr: string }[] = [];
  const sparse: { start: number; end: number; attr: string }[] = [];
  const scalars: { name: string; value: number | string }[] = [];
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.wt !== WT_LEN) continue;
    switch (f.num) {
      case 2:
        if (firstOutput === null) firstOutput = (await w.str(f, NAME_CAP)) ?? "";
        break;
      case 3:
        nodeName = (await w.str(f, NAME_CAP)) ?? "";
        break;
      case 4:
        opType = (await w.str(f, OP_CAP)) ?? "<op_type too long>";
        break;
      case 5:
        await walkAttribute(st, f.start, f.next, depth, tensors, sparse, scalars);
        break;
      case 7:
        domain = (await w.str(f, OP_CAP)) ?? "<domain too long>";
        break;
      default:
        break;
    }
  }
  const d = normDomain(domain);
  const key = `${d}::${opType}`;
  const op = st.ops.get(key);
  if (op) op.count++;
  else {
    if (st.ops.size >= MAX_OP_TYPES) st.w.fail("onnx_too_many", `more than ${MAX_OP_TYPES} distinct op types`);
    st.ops.set(key, { domain: d, opType, count: 1 });
  }
  const fallback = firstOutput || nodeName;
  for (const { t, attr } of tensors) {
    const isConstant = opType === "Constant" && d === "ai.onnx" && attr === "value";
    addTensor(st, t, isConstant ? "constant" : "attribute", depth, t.name || (isConstant ? fallback : `${fallback}:${attr}`));
  }
  for (const s of sparse) {
    const isConstant = opType === "Constant" && d === "ai.onnx";
    await walkSparse(st, s.start, s.end, isConstant ? "constant" : "attribute", depth, isConstant ? fallback : `${fallback}:${s.attr}`);
  }
  if (scalars.length > 0) {
    let attrs = st.attributes.get(key);
    if (!attrs) st.attributes.set(key, (attrs = new Map()));
    for (const s of scalars) {
      let set = attrs.get(s.name);
      if (!set) attrs.set(s.name, (set = new Set()));
      if (set.size < MAX_ATTR_VALUES) set.add(s.value);
    }
  }
}

async function walkAttribute(
  st: State,
  start: number,
  end: number,
  depth: number,
  tensors: { t: TensorInfo; attr: string }[],
  sparse: { start: number; end: number; attr: string }[],
  scalars: { name: string; value: number | string }[],
): Promise<void> {
  const w = st.w;
  let name = "";
  let scalar: number | string | null = null;
  const pendingTensors: TensorInfo[] = [];
  const pendingSparse: { start: number; end: number }[] = [];
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    switch (f.num) {
      case 1:
        name = (await w.str(f, OP_CAP)) ?? "";
        break;
      case 2:
        if (f.wt === WT_I32) scalar = await w.float32(f);
        break;
      case 3:
        if (f.wt === WT_VARINT) scalar = f.value;
        break;
      case 4:
        if (f.wt === WT_LEN && f.len <= ATTR_STRING_CAP) scalar = (await w.str(f, ATTR_STRING_CAP)) ?? null;
        break;
      case 5:
      case 10:
        if (f.wt === WT_LEN) pendingTensors.push(await walkTensor(st, f.start, f.next));
        break;
      case 6:
      case 11:
        if (f.wt === WT_LEN) {
          st.subgraphs++;
          await walkGraph(st, f.start, f.next, depth + 1);
        }
        break;
      case 22:
      case 23:
        if (f.wt === WT_LEN) pendingSparse.push({ start: f.start, end: f.next });
        break;
      default:
        break;
    }
  }
  for (const t of pendingTensors) tensors.push({ t, attr: name });
  for (const s of pendingSparse) sparse.push({ ...s, attr: name });
  if (scalar !== null && name) scalars.push({ name, value: typeof scalar === "number" && !Number.isInteger(scalar) ? roundFloat(scalar) : scalar });
}

function roundFloat(x: number): number {
  return Number(x.toPrecision(7));
}

async function walkTensor(st: State, start: number, end: number): Promise<TensorInfo> {
  const w = st.w;
  const t: TensorInfo = { name: "", dims: [], dataType: 0, dataLocation: 0, entries: [], rawDataBytes: 0, hasRawData: false };
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    switch (f.num) {
      case 1:
        if (t.dims.length >= MAX_DIMS) break;
        if (f.wt === WT_VARINT) t.dims.push(f.value);
        else if (f.wt === WT_LEN) t.dims.push(...(await w.packedInts(f, MAX_DIMS - t.dims.length)));
        break;
      case 2:
        if (f.wt === WT_VARINT) t.dataType = f.value;
        break;
      case 8:
        if (f.wt === WT_LEN) t.name = (await w.str(f, NAME_CAP)) ?? `<name of ${f.len} bytes>`;
        break;
      case 9: // raw_data: skipped by its length, never read
        if (f.wt === WT_LEN) {
          t.rawDataBytes += f.len;
          t.hasRawData = true;
        }
        break;
      case 4: // float_data
      case 5: // int32_data
      case 6: // string_data
      case 7: // int64_data
      case 10: // double_data
      case 11: // uint64_data
        t.rawDataBytes += f.wt === WT_VARINT ? 0 : f.len;
        break;
      case 13:
        if (f.wt === WT_LEN) {
          const e = await readEntry(w, f.start, f.next, NAME_CAP);
          t.entries.push({ key: e.key, value: e.value });
        }
        break;
      case 14:
        if (f.wt === WT_VARINT) t.dataLocation = f.value;
        break;
      default:
        break;
    }
  }
  return t;
}

async function walkSparse(st: State, start: number, end: number, source: OnnxTensorSource, depth: number, fallbackName: string): Promise<void> {
  const w = st.w;
  let values: TensorInfo | null = null;
  let indices: TensorInfo | null = null;
  const dims: number[] = [];
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.num === 1 && f.wt === WT_LEN) values = await walkTensor(st, f.start, f.next);
    else if (f.num === 2 && f.wt === WT_LEN) indices = await walkTensor(st, f.start, f.next);
    else if (f.num === 3 && dims.length < MAX_DIMS) {
      if (f.wt === WT_VARINT) dims.push(f.value);
      else if (f.wt === WT_LEN) dims.push(...(await w.packedInts(f, MAX_DIMS - dims.length)));
    }
  }
  if (values) {
    const merged: TensorInfo = { ...values, dims, rawDataBytes: values.rawDataBytes + (indices?.rawDataBytes ?? 0) };
    addTensor(st, merged, source, depth, values.name || fallbackName);
  }
  if (indices && (indices.dataLocation === 1 || indices.entries.length > 0)) {
    addTensor(st, indices, source, depth, indices.name || `${values?.name || fallbackName}:indices`);
  }
}

async function walkValueInfo(st: State, start: number, end: number): Promise<OnnxValueInfo> {
  const w = st.w;
  const vi: OnnxValueInfo = { name: "", elemType: "UNDEFINED", shape: [] };
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.wt !== WT_LEN) continue;
    if (f.num === 1) vi.name = (await w.str(f, NAME_CAP)) ?? "";
    else if (f.num === 2) {
      const t = await walkType(st, f.start, f.next, 0);
      vi.elemType = t.elemType;
      vi.shape = t.shape;
    }
  }
  return vi;
}

async function walkType(st: State, start: number, end: number, depth: number): Promise<{ elemType: string; shape: (number | string)[] }> {
  const w = st.w;
  if (depth > MAX_NESTING) w.fail("onnx_too_deep", `types nested deeper than ${MAX_NESTING} levels`);
  let out: { elemType: string; shape: (number | string)[] } = { elemType: "UNDEFINED", shape: [] };
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.wt !== WT_LEN) continue;
    if (f.num === 1 || f.num === 8) {
      const t = await walkTensorType(st, f.start, f.next);
      out = f.num === 1 ? t : { elemType: `sparse(${t.elemType})`, shape: t.shape };
    } else if (f.num === 4 || f.num === 9) {
      const inner = await walkInnerType(st, f.start, f.next, 1, depth);
      out = { elemType: `${f.num === 4 ? "sequence" : "optional"}(${inner})`, shape: [] };
    } else if (f.num === 5) {
      let key = "UNDEFINED";
      let value = "UNDEFINED";
      let p = f.start;
      while (p < f.next) {
        const g = await w.field(p, f.next);
        p = g.next;
        if (g.num === 1 && g.wt === WT_VARINT) key = onnxDataTypeName(g.value);
        else if (g.num === 2 && g.wt === WT_LEN) value = (await walkType(st, g.start, g.next, depth + 1)).elemType;
      }
      out = { elemType: `map(${key},${value})`, shape: [] };
    }
  }
  return out;
}

async function walkInnerType(st: State, start: number, end: number, fieldNum: number, depth: number): Promise<string> {
  const w = st.w;
  let inner = "UNDEFINED";
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.num === fieldNum && f.wt === WT_LEN) inner = (await walkType(st, f.start, f.next, depth + 1)).elemType;
  }
  return inner;
}

async function walkTensorType(st: State, start: number, end: number): Promise<{ elemType: string; shape: (number | string)[] }> {
  const w = st.w;
  let elemType = "UNDEFINED";
  const shape: (number | string)[] = [];
  let pos = start;
  while (pos < end) {
    const f = await w.field(pos, end);
    pos = f.next;
    if (f.num === 1 && f.wt === WT_VARINT) elemType = onnxDataTypeName(f.value);
    else if (f.num === 2 && f.wt === WT_LEN) {
      let p = f.start;
      while (p < f.next) {
        const g = await w.field(p, f.next);
        p = g.next;
        if (g.num !== 1 || g.wt !== WT_LEN || shape.length >= MAX_DIMS) continue;
        let dim: number | string = "?";
        let q = g.start;
        while (q < g.next) {
          const h = await w.field(q, g.next);
          q = h.next;
          if (h.num === 1 && h.wt === WT_VARINT) dim = h.value;
          else if (h.num === 2 && h.wt === WT_LEN) dim = (await w.str(h, OP_CAP)) ?? "?";
        }
        shape.push(dim);
      }
    }
  }
  return { elemType, shape };
}

function addTensor(st: State, t: TensorInfo, source: OnnxTensorSource, depth: number, name: string): void {
  const w = st.w;
  if (st.initializers.length >= MAX_TENSORS) w.fail("onnx_too_many", `more than ${MAX_TENSORS} tensors`);
  const dataType = onnxDataTypeName(t.dataType);
  let external: OnnxExternalRef | null = null;
  const hasEntries = t.entries.length > 0;
  if (t.dataLocation === 1 || hasEntries) {
    if (t.dataLocation !== 1) w.note("warning", "onnx_external_flag_mismatch", `tensor "${name}" has external_data entries but data_location is not EXTERNAL`, name);
    const kv = new Map(t.entries.map((e) => [e.key, e.value] as const));
    const loc = kv.get("location");
    if (!loc) {
      w.note("error", "onnx_external_no_location", `tensor "${name}" is marked EXTERNAL but has no location`, name);
    } else {
      const location = normaliseLocation(loc);
      if (location.startsWith("/") || /^[A-Za-z]:/.test(location) || location.split("/").includes("..")) {
        w.note("warning", "onnx_external_path_escapes", `tensor "${name}" points outside the model folder: ${JSON.stringify(loc)}`, name);
      }
      const offset = parseDecimal(kv.get("offset"), 0);
      const length = parseDecimal(kv.get("length"), null);
      if (offset === undefined || length === undefined) {
        w.note("warning", "onnx_external_bad_offset", `tensor "${name}" has a non-numeric external offset/length (${kv.get("offset")}, ${kv.get("length")})`, name);
      }
      external = { location, offset: offset ?? 0, length: length ?? null };
      st.externalFiles.add(location);
      st.externalTensors++;
    }
    if (t.rawDataBytes > 0) w.note("warning", "onnx_external_with_inline_data", `tensor "${name}" is EXTERNAL but also carries ${t.rawDataBytes} inline bytes`, name);
  }
  const expected = nominalBytes(dataType, t.dims);
  if (expected !== null && dataType !== "STRING") {
    const stored = external ? external.length : t.rawDataBytes > 0 ? t.rawDataBytes : null;
    // Typed fields (int32_data holding fp16, int64_data...) are varint encoded, so only raw_data
    // and external lengths are compared with the nominal size.
    if (stored !== null && stored !== expected && (external !== null || t.hasRawData)) {
      w.note("warning", "onnx_tensor_size_mismatch", `tensor "${name}" ${dataType}${JSON.stringify(t.dims)} should hold ${expected} bytes but has ${stored}`, name);
    }
  }
  st.initializers.push({ name, dims: t.dims, dataType, external, rawDataBytes: t.rawDataBytes, source, depth });
}

function normaliseLocation(loc: string): string {
  let s = loc.replace(/\\/g, "/");
  while (s.startsWith("./")) s = s.slice(2);
  return s;
}

/** Decimal string -> number; `dflt` when absent; undefined when malformed. */
function parseDecimal(s: string | undefined, dflt: number | null): number | null | undefined {
  if (s === undefined || s === "") return dflt;
  if (!/^\d{1,16}$/.test(s.trim())) return undefined;
  const n = Number(s.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Bytes a tensor of this type and shape holds (packed sub-byte types rounded up), null when unknown. */
export function nominalBytes(dataType: string, dims: number[]): number | null {
  const bits = onnxDataTypeBits(dataType);
  if (bits === null) return null;
  let n = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) return null;
    n *= d;
  }
  if (!Number.isSafeInteger(n)) return null;
  return Math.ceil((n * bits) / 8);
}

// ---------------------------------------------------------------------------------------------
// Entry point

/**
 * Read an ONNX graph without its weights. See the file comment for the budget and window rules.
 * Only `reader` is ever read from; external data files are listed in `externalFiles`, not opened.
 */
export async function readOnnxGraph(reader: RangeReader, opts: ReadOnnxOptions): Promise<OnnxGraph> {
  const ctx: Ctx = opts.model !== undefined ? { file: opts.file, model: opts.model } : { file: opts.file };
  const budget = opts.budgetBytes ?? DEFAULT_ONNX_BUDGET;
  const wholeBelow = opts.wholeFileBelow ?? DEFAULT_ONNX_WHOLE_FILE_BELOW;
  try {
    let size = reader.size();
    let pre: Uint8Array | null = null;
    let preReq = 0;
    if (size === null) {
      // Unknown size: the first window tells us (readers clamp to the end of the file).
      const n = Math.min(FIRST_WINDOW, budget);
      pre = await reader.read(0, n);
      preReq = 1;
      size = reader.size() ?? (pre.length < n ? pre.length : null);
      if (size === null) {
        throw new FormatError("onnx_unknown_size", `${opts.file}: the file size is unknown, cannot range-walk it`, ctx);
      }
    }
    if (size === 0) throw new FormatError("onnx_empty", `${opts.file}: the file is empty`, ctx);
    const src = new ByteSource(reader, size, budget, ctx);
    let mode: "whole" | "range" = "range";
    if (pre !== null) {
      src.bytesRead = pre.length;
      src.requests = preReq;
      if (pre.length > size) pre = pre.subarray(0, size);
      src.buf = pre;
      src.bufStart = 0;
      src.bufEnd = pre.length;
      src.reader = protobuf.Reader.create(pre);
      if (pre.length === size) mode = "whole";
    } else if (size <= wholeBelow && size <= budget) {
      await src.loadAll();
      mode = "whole";
    }
    const w = new Walker(src, ctx);
    const st: State = {
      w,
      irVersion: null,
      producerName: "",
      producerVersion: "",
      opsets: [],
      ops: new Map(),
      initializers: [],
      inputs: [],
      outputs: [],
      externalFiles: new Set(),
      externalTensors: 0,
      subgraphs: 0,
      functions: 0,
      metadata: {},
      attributes: new Map(),
      hasGraph: false,
    };
    await walkModel(st, 0, size);
    if (!st.hasGraph && st.irVersion === null) {
      throw new FormatError("onnx_not_a_model", `${opts.file}: not an ONNX model (no graph, no ir_version)`, ctx);
    }
    if (!st.hasGraph) w.note("warning", "onnx_no_graph", "the model has no graph");
    if (st.opsets.length === 0) w.note("warning", "onnx_no_opset", "the model declares no opset_import");
    if (st.externalFiles.size > 0) {
      w.note(
        "info",
        "onnx_external_data",
        `${st.externalTensors} tensors keep their data in ${st.externalFiles.size} external file(s): ${[...st.externalFiles].sort().slice(0, 5).join(", ")}${st.externalFiles.size > 5 ? ", ..." : ""} (not read)`,
      );
    }
    if (mode === "range") {
      w.note("info", "onnx_range_walk", `range-walked a ${fmtBytes(size)} file: read ${fmtBytes(src.bytesRead)} in ${src.requests} requests`);
    }
    w.summariseFindings();
    const ops = [...st.ops.values()].sort((a, b) => cmp(a.domain, b.domain) || cmp(a.opType, b.opType));
    const attributes: Record<string, Record<string, (number | string)[]>> = {};
    for (const key of [...st.attributes.keys()].sort(cmp)) {
      const rec: Record<string, (number | string)[]> = {};
      const m = st.attributes.get(key)!;
      for (const name of [...m.keys()].sort(cmp)) setOwn(rec, name, [...m.get(name)!].sort((a, b) => cmp(String(a), String(b))));
      attributes[key] = rec;
    }
    return {
      file: opts.file,
      irVersion: st.irVersion ?? 0,
      producer: { name: st.producerName, version: st.producerVersion },
      opsets: st.opsets,
      ops,
      initializers: st.initializers,
      inputs: st.inputs,
      outputs: st.outputs,
      externalFiles: [...st.externalFiles].sort(cmp),
      subgraphs: st.subgraphs,
      functions: st.functions,
      metadata: st.metadata,
      attributes,
      fileSize: size,
      mode,
      bytesRead: src.bytesRead,
      requests: src.requests,
      findings: w.findings,
    };
  } catch (e) {
    if (e instanceof StandinError) throw e.withContext(ctx);
    if (e instanceof RangeError) {
      throw new FormatError("onnx_truncated", `${opts.file}: ${e.message}`, { ...ctx, cause: e });
    }
    throw e;
  }
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// Derived views

/** Repo path of an external data location ("onnx/model.onnx" + "model.onnx_data" -> "onnx/model.onnx_data"). */
export function resolveExternalPath(onnxFile: string, location: string): string {
  const dir = onnxFile.includes("/") ? onnxFile.slice(0, onnxFile.lastIndexOf("/")) : "";
  const parts = (dir ? `${dir}/${location}` : location).split("/");
  const out: string[] = [];
  for (const p of parts) {
    if (p === "" || p === ".") continue;
    if (p === "..") out.pop();
    else out.push(p);
  }
  return out.join("/");
}

/**
 * Tensor records for the rest of standin. Graph initializers (any depth), sparse initializers and
 * attribute tensors of 2+ dims are kept; small Constant scalars/vectors (shape plumbing) are not.
 * dtype uses safetensors names (F32, F16, BF16, U8, I4 stays "INT4"...). Inline tensors:
 * file = the .onnx, [begin, end) = [0, rawDataBytes) (nominal size when the data is in typed
 * fields). External tensors: file = the data file's repo path, [begin, end) = [offset,
 * offset + length) (length = nominal size when the file does not say).
 */
export function onnxToTensors(graph: OnnxGraph): TensorRecord[] {
  const out: TensorRecord[] = [];
  for (const t of graph.initializers) {
    if ((t.source === "constant" || t.source === "attribute") && t.dims.length < 2) continue;
    const nominal = nominalBytes(t.dataType, t.dims);
    const shape = t.dims.slice();
    const dtype = onnxDtypeToSafetensors(t.dataType);
    if (t.external) {
      const len = t.external.length ?? nominal ?? 0;
      out.push({ name: t.name, dtype, shape, file: resolveExternalPath(graph.file, t.external.location), begin: t.external.offset, end: t.external.offset + len });
    } else {
      out.push({ name: t.name, dtype, shape, file: graph.file, begin: 0, end: t.rawDataBytes > 0 ? t.rawDataBytes : (nominal ?? 0) });
    }
  }
  return out;
}

export interface OnnxOpsFeatures {
  /** Canonical op names, sorted ("attention.gqa", "matmul.nbits", "norm.rms", "rope", "conv", ...). */
  ops: string[];
  /** Raw "domain::OpType" set, sorted ("ai.onnx::MatMul", "com.microsoft::GroupQueryAttention"). */
  rawOps: string[];
  /** Weight format from quantization ops and initializer dtypes; null when the graph has no weights. */
  weightFormat: WeightFormat | null;
}

/** Canonical op names by op type (any domain unless keyed "domain::OpType"). */
const CANONICAL_OPS: Record<string, string> = {
  "com.microsoft::GroupQueryAttention": "attention.gqa",
  "com.microsoft::MultiHeadAttention": "attention.mha",
  "com.microsoft::Attention": "attention.mha",
  "com.microsoft::DecoderMaskedMultiHeadAttention": "attention.mha",
  "com.microsoft::DecoderMaskedSelfAttention": "attention.mha",
  "com.microsoft::PackedMultiHeadAttention": "attention.mha",
  "com.microsoft::PackedAttention": "attention.mha",
  "com.microsoft::QAttention": "attention.mha",
  "com.microsoft::SparseAttention": "attention.sparse",
  "com.microsoft::PagedAttention": "attention.paged",
  "com.microsoft::LongformerAttention": "attention.sparse",
  "com.microsoft::RelativePositionBias": "position.relative_bias",
  "com.microsoft::GatedRelativePositionBias": "position.relative_bias",
  MatMulNBits: "matmul.nbits",
  MatMulBnb4: "matmul.bnb4",
  MatMulFpQ4: "matmul.nbits",
  MatMulInteger: "matmul.int8",
  MatMulIntegerToFloat: "matmul.int8",
  DynamicQuantizeMatMul: "matmul.int8",
  QLinearMatMul: "matmul.qlinear",
  QGemm: "matmul.qlinear",
  MatMul: "matmul",
  Gemm: "matmul",
  FusedMatMul: "matmul",
  GatherBlockQuantized: "embedding.quantized",
  DequantizeLinear: "quant.dequantize",
  QuantizeLinear: "quant.quantize",
  DynamicQuantizeLinear: "quant.dynamic",
  SimplifiedLayerNormalization: "norm.rms",
  SkipSimplifiedLayerNormalization: "norm.rms",
  RMSNormalization: "norm.rms",
  LayerNormalization: "norm.layer",
  SkipLayerNormalization: "norm.layer",
  EmbedLayerNormalization: "norm.layer",
  GroupNormalization: "norm.group",
  GroupNorm: "norm.group",
  SkipGroupNorm: "norm.group",
  BatchNormalization: "norm.batch",
  InstanceNormalization: "norm.instance",
  LpNormalization: "norm.lp",
  RotaryEmbedding: "rope",
  Conv: "conv",
  QLinearConv: "conv",
  ConvInteger: "conv",
  FusedConv: "conv",
  NhwcConv: "conv",
  ConvTranspose: "conv.transpose",
  LSTM: "lstm",
  GRU: "gru",
  RNN: "rnn",
  "com.microsoft::MoE": "moe",
  "com.microsoft::QMoE": "moe",
  "com.microsoft::SparseMoE": "moe",
  Gelu: "act.gelu",
  FastGelu: "act.gelu",
  BiasGelu: "act.gelu",
  QuickGelu: "act.quick_gelu",
  Relu: "act.relu",
  LeakyRelu: "act.relu",
  Sigmoid: "act.sigmoid",
  Tanh: "act.tanh",
  Softplus: "act.softplus",
  Mish: "act.mish",
  Swish: "act.silu",
  HardSwish: "act.hardswish",
  Softmax: "softmax",
  If: "control.if",
  Loop: "control.loop",
  Scan: "control.scan",
  STFT: "signal.stft",
  DFT: "signal.dft",
  MelWeightMatrix: "signal.mel",
  MaxPool: "pool.max",
  AveragePool: "pool.avg",
  GlobalAveragePool: "pool.avg",
  GlobalMaxPool: "pool.max",
  Einsum: "einsum",
  Attention: "attention", // ai.onnx opset 23; refined below from its attributes
  CausalConvWithState: "conv.causal",
  LinearAttention: "attention.linear",
};

/** Canonical name for one op, or null when it is not one we name. */
export function canonicalOnnxOp(domain: string, opType: string): string | null {
  const d = normDomain(domain);
  // ownEntry: op types come from the file ("constructor" must not find Object's constructor).
  return ownEntry(CANONICAL_OPS, `${d}::${opType}`) ?? (d === "ai.onnx" || d === "com.microsoft" ? (ownEntry(CANONICAL_OPS, opType) ?? null) : null);
}

/** Canonical op set, raw op set and a weight-format hint for an ONNX graph. */
export function onnxOpsFeatures(graph: OnnxGraph): OnnxOpsFeatures {
  const canon = new Set<string>();
  const raw = new Set<string>();
  for (const op of graph.ops) {
    const key = `${op.domain}::${op.opType}`;
    raw.add(key);
    let c = canonicalOnnxOp(op.domain, op.opType);
    if (c === "attention") {
      const a = graph.attributes[key] ?? {};
      const q = a["q_num_heads"]?.[0];
      const kv = a["kv_num_heads"]?.[0];
      c = typeof q === "number" && typeof kv === "number" ? (kv === 1 ? "attention.mqa" : kv < q ? "attention.gqa" : "attention.mha") : "attention.sdpa";
    }
    if (c) canon.add(c);
  }
  return { ops: [...canon].sort(cmp), rawOps: [...raw].sort(cmp), weightFormat: onnxWeightFormat(graph) };
}

function onnxWeightFormat(graph: OnnxGraph): WeightFormat | null {
  const evidence: string[] = [];
  const bytesByType = new Map<string, number>();
  for (const t of graph.initializers) {
    if (t.dims.length < 2) continue;
    const b = t.external?.length ?? (t.rawDataBytes || nominalBytes(t.dataType, t.dims) || 0);
    bytesByType.set(t.dataType, (bytesByType.get(t.dataType) ?? 0) + b);
  }
  const total = [...bytesByType.values()].reduce((a, b) => a + b, 0);
  const dominant = [...bytesByType.entries()].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))[0]?.[0] ?? null;
  const floats = ["FLOAT16", "BFLOAT16", "FLOAT"].filter((t) => bytesByType.has(t));
  const scaleDtypes = floats.map(onnxDtypeToSafetensors);
  const opAttr = (key: string): Record<string, (number | string)[]> | null => graph.attributes[key] ?? null;
  const hasOp = (domain: string, opType: string): boolean => graph.ops.some((o) => o.domain === domain && o.opType === opType);
  const storage = dominant ? onnxDtypeToSafetensors(dominant) : null;

  if (hasOp("com.microsoft", "MatMulNBits")) {
    const a = opAttr("com.microsoft::MatMulNBits") ?? {};
    const bits = numOr(a["bits"], 4);
    const block = numOr(a["block_size"], null);
    evidence.push(`com.microsoft::MatMulNBits bits=${(a["bits"] ?? [4]).join("/")} block_size=${(a["block_size"] ?? ["?"]).join("/")}`);
    if (floats.length) evidence.push(`float initializers: ${floats.join(", ")}`);
    return {
      format: `onnx-int${bits}${block ? `-block${block}` : ""}`,
      storageDtype: storage,
      method: "onnx-matmulnbits",
      bits,
      groupSize: block,
      blockSize: block ? [block] : null,
      scaleDtypes,
      evidence,
    };
  }
  if (hasOp("com.microsoft", "MatMulBnb4")) {
    const a = opAttr("com.microsoft::MatMulBnb4") ?? {};
    const qt = numOr(a["quant_type"], 1);
    const block = numOr(a["block_size"], null);
    evidence.push(`com.microsoft::MatMulBnb4 quant_type=${qt} block_size=${block ?? "?"}`);
    return { format: qt === 0 ? "onnx-bnb-fp4" : "onnx-bnb-nf4", storageDtype: storage, method: "onnx-bnb4", bits: 4, groupSize: block, blockSize: block ? [block] : null, scaleDtypes, evidence };
  }
  const lowBit = ["INT4", "UINT4", "INT2", "UINT2", "FLOAT4E2M1", "FLOAT8E4M3FN", "FLOAT8E4M3FNUZ", "FLOAT8E5M2", "FLOAT8E5M2FNUZ"].find((t) => bytesByType.has(t));
  if (lowBit) {
    const fmt: Record<string, string> = {
      INT4: "onnx-int4",
      UINT4: "onnx-int4",
      INT2: "onnx-int2",
      UINT2: "onnx-int2",
      FLOAT4E2M1: "onnx-fp4",
      FLOAT8E4M3FN: "onnx-fp8-e4m3",
      FLOAT8E4M3FNUZ: "onnx-fp8-e4m3fnuz",
      FLOAT8E5M2: "onnx-fp8-e5m2",
      FLOAT8E5M2FNUZ: "onnx-fp8-e5m2fnuz",
    };
    evidence.push(`${lowBit} initializers (${bytesByType.get(lowBit)} bytes)`);
    const a = opAttr("ai.onnx::DequantizeLinear");
    const block = numOr(a?.["block_size"], null);
    if (block) evidence.push(`DequantizeLinear block_size=${block}`);
    return { format: fmt[lowBit]!, storageDtype: onnxDtypeToSafetensors(lowBit), method: "onnx-qdq", bits: onnxDataTypeBits(lowBit), groupSize: block, blockSize: block ? [block] : null, scaleDtypes, evidence };
  }
  const int8Ops = graph.ops.filter((o) => ["MatMulInteger", "DynamicQuantizeMatMul", "MatMulIntegerToFloat", "QLinearMatMul", "QLinearConv", "ConvInteger", "QAttention", "QGemm", "DequantizeLinear"].includes(o.opType));
  if (int8Ops.length > 0 && (bytesByType.has("INT8") || bytesByType.has("UINT8")) && (dominant === "INT8" || dominant === "UINT8")) {
    evidence.push(`int8 ops: ${int8Ops.map((o) => `${o.domain}::${o.opType}`).join(", ")}`);
    return { format: "onnx-int8", storageDtype: storage, method: "onnx-int8", bits: 8, groupSize: null, blockSize: null, scaleDtypes, evidence };
  }
  if (!dominant || total === 0) return null;
  const plain: Record<string, string> = { FLOAT: "fp32", FLOAT16: "fp16", BFLOAT16: "bf16", DOUBLE: "fp64" };
  evidence.push(`dominant initializer dtype ${dominant} (${Math.round((100 * (bytesByType.get(dominant) ?? 0)) / total)}% of ${total} bytes)`);
  return { format: plain[dominant] ?? `onnx-${dominant.toLowerCase()}`, storageDtype: storage, method: null, bits: onnxDataTypeBits(dominant), groupSize: null, blockSize: null, scaleDtypes: [], evidence };
}

function numOr<T extends number | null>(v: (number | string)[] | undefined, dflt: T): number | T {
  const x = v?.find((e) => typeof e === "number");
  return typeof x === "number" ? x : dflt;
}

// ---------------------------------------------------------------------------------------------
// File choice

export interface OnnxFileChoice {
  /** Graph files to read, in order. */
  primary: string[];
  /** Their external data files (listed, never read). */
  externalData: string[];
  reason: string;
}

/** Variant suffixes in preference order (transformers.js dtype suffixes; "" = fp32 default). */
export const ONNX_VARIANT_ORDER = ["", "_fp32", "_fp16", "_q4f16", "_q4", "_quantized", "_int8", "_uint8", "_bnb4", "_q8"] as const;
const VARIANT_RE = /^(.*?)(_fp32|_fp16|_q4f16|_q4|_quantized|_int8|_uint8|_bnb4|_q8)$/;
/** Components of multi-part exports, in the order they are returned. */
const COMPONENT_ORDER = ["model", "encoder_model", "vision_encoder", "audio_encoder", "embed_tokens", "decoder_model_merged", "decoder_model", "decoder_with_past_model"];
/** "Small" graph files are read whole in one request; they win over preferred-but-big variants. */
const SMALL_GRAPH = DEFAULT_ONNX_WHOLE_FILE_BELOW;

function isGraphFile(p: string): boolean {
  const lower = p.toLowerCase();
  return lower.endsWith(".onnx");
}

function isExternalDataFile(p: string): boolean {
  return /\.onnx[._]data(_\d+)?$/i.test(p) || /\.onnx\.data$/i.test(p) || /_data(_\d+)?$/.test(p);
}

/**
 * Pick the .onnx graph files to read, following transformers.js / onnx-community conventions.
 *
 * 1. Candidates are `*.onnx` files (never `*.onnx_data*` / `*.onnx.data`).
 * 2. Folder: `onnx/` first, then the repo root, then other folders (alphabetically); the first
 *    folder holding a graph wins.
 * 3. Component: the name without its variant suffix. `model` alone if present; otherwise every
 *    component of a multi-part export (`encoder_model`, `vision_encoder`, `audio_encoder`,
 *    `embed_tokens`, `decoder_model_merged`, other names), where `decoder_model_merged` replaces
 *    `decoder_model` + `decoder_with_past_model`, and `decoder_model` replaces `decoder_with_past_model`.
 * 4. Variant per component: among files of at most 4 MiB (read whole in one request) the first
 *    in ONNX_VARIANT_ORDER ("", _fp32, _fp16, _q4f16, _q4, _quantized, _int8, _uint8, _bnb4, _q8,
 *    then others alphabetically); when every variant is bigger (inline weights), the smallest file,
 *    ties broken by that order. Unknown sizes count as big.
 * 5. externalData: files next to a chosen graph named `<graph>_data`, `<graph>_data_N`,
 *    `<graph>.data`, plus any other `*.onnx_data*` sibling sharing the graph's stem.
 */
export function chooseOnnxFiles(files: { path: string; size: number | null }[]): OnnxFileChoice {
  const graphs = files.filter((f) => isGraphFile(f.path) && !isExternalDataFile(f.path));
  if (graphs.length === 0) return { primary: [], externalData: [], reason: "no .onnx graph files" };
  const folderOf = (p: string): string => (p.includes("/") ? p.slice(0, p.lastIndexOf("/")) : "");
  const folders = [...new Set(graphs.map((g) => folderOf(g.path)))].sort((a, b) => folderRank(a) - folderRank(b) || cmp(a, b));
  const folder = folders[0]!;
  const inFolder = graphs.filter((g) => folderOf(g.path) === folder);
  const byComponent = new Map<string, { path: string; size: number | null; variant: string }[]>();
  for (const g of inFolder) {
    const base = g.path.slice(folder ? folder.length + 1 : 0).replace(/\.onnx$/i, "");
    const m = VARIANT_RE.exec(base);
    const component = m ? m[1]! : base;
    const variant = m ? m[2]! : "";
    const list = byComponent.get(component) ?? [];
    list.push({ ...g, variant });
    byComponent.set(component, list);
  }
  let components = [...byComponent.keys()];
  if (components.includes("model")) components = ["model"];
  else {
    if (components.includes("decoder_model_merged")) components = components.filter((c) => c !== "decoder_model" && c !== "decoder_with_past_model");
    else if (components.includes("decoder_model")) components = components.filter((c) => c !== "decoder_with_past_model");
  }
  components.sort((a, b) => compRank(a) - compRank(b) || cmp(a, b));
  const primary: string[] = [];
  const notes: string[] = [];
  for (const c of components) {
    const cands = byComponent.get(c)!;
    const small = cands.filter((x) => x.size !== null && x.size <= SMALL_GRAPH).sort((a, b) => variantRank(a.variant) - variantRank(b.variant) || cmp(a.variant, b.variant));
    let pick = small[0];
    let why = "small graph file, preferred variant";
    if (!pick) {
      pick = [...cands].sort((a, b) => (a.size ?? Infinity) - (b.size ?? Infinity) || variantRank(a.variant) - variantRank(b.variant) || cmp(a.variant, b.variant))[0]!;
      why = "no small graph file: smallest one (range-walked)";
    }
    primary.push(pick.path);
    notes.push(`${pick.path} (${why}${cands.length > 1 ? `, ${cands.length} variants` : ""})`);
  }
  const externalData: string[] = [];
  for (const p of primary) {
    const dir = folderOf(p);
    const stem = p.slice(dir ? dir.length + 1 : 0).replace(/\.onnx$/i, "");
    for (const f of files) {
      if (folderOf(f.path) !== dir) continue;
      const name = f.path.slice(dir ? dir.length + 1 : 0);
      if (name === `${stem}.onnx_data` || name.startsWith(`${stem}.onnx_data_`) || name === `${stem}.onnx.data` || name === `${stem}.onnx_data.bin` || name === `${stem}_data` || /^(.+)\.onnx_data(_\d+)?$/.exec(name)?.[1] === stem) {
        if (!externalData.includes(f.path)) externalData.push(f.path);
      }
    }
  }
  externalData.sort(cmp);
  const where = folder ? `${folder}/` : "the repo root";
  return { primary, externalData, reason: `graphs from ${where}: ${notes.join("; ")}` };
}

function folderRank(f: string): number {
  return f === "onnx" ? 0 : f === "" ? 1 : 2;
}

function compRank(c: string): number {
  const i = COMPONENT_ORDER.indexOf(c);
  return i === -1 ? COMPONENT_ORDER.length : i;
}

function variantRank(v: string): number {
  const i = (ONNX_VARIANT_ORDER as readonly string[]).indexOf(v);
  return i === -1 ? ONNX_VARIANT_ORDER.length : i;
}
