/**
 * GGUF metadata through `@huggingface/gguf` (0.4.6), over our own fetch.
 *
 * The library reads 2 MB Range chunks but does not check the response status: a gated 401
 * becomes "not a valid gguf file" and a server that ignores Range would make it read the whole
 * file (docs/hub-protocol.md section 5). `strictRangeFetch` fixes both: only a 206 whose
 * Content-Range matches the request goes through; a 200 to a Range request is aborted before
 * its body is read (`range_not_supported`); 401/403/404/416/429 become typed HubErrors naming the
 * model and the file (same classification as the fetch layer, following `hf_raise_for_status`).
 *
 * Then GGUF is mapped into the shapes the rest of standin uses:
 * - `ggufToConfig`: an HF-config-like object (model_type, hidden_size, ...), so the config
 *   normalizer can treat a GGUF file like any config.json;
 * - `ggufTensorsToHf`: tensor records with HF names (`blk.N.attn_q.weight` ->
 *   `model.layers.N.self_attn.q_proj.weight`), torch dim order and ggml type names as dtypes.
 * See docs/formats-onnx-gguf.md for the tables.
 */
import { open, stat } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { gguf, GGUFValueType, GGMLFileQuantizationType } from "@huggingface/gguf";
import type { Finding, WeightFormat } from "../fingerprint/types.js";
import { classifyHttpError, parseContentRange } from "../net/fetch.js";
import type { TensorRecord } from "../sources/types.js";
import { FormatError, HubError, StandinError } from "../util/errors.js";
import { ownEntry, setOwn } from "./json-scan.js";

// ---------------------------------------------------------------------------------------------
// Types

/** A long metadata array, summarised instead of copied (tokenizer vocabularies, merges, scores). */
export interface GgufArraySummary {
  type: "array";
  /** Element type: "string", "int32", "float32", "array", ... */
  elementType: string;
  length: number;
}

export type GgufValue = string | number | boolean | GgufValue[] | GgufArraySummary;

export interface GgufTensor {
  name: string;
  /** GGUF (ggml) dimension order: ne[0] first, the innermost (contiguous) dimension. */
  shape: number[];
  /** ggml type name: F32, F16, BF16, Q8_0, Q4_K, Q6_K, IQ4_XS, MXFP4, ... ("GGML_TYPE_<n>" when unknown). */
  ggmlType: string;
  /** Offset relative to the start of the tensor data section. */
  offset: number;
  /** Bytes of data (blocks x type size), null when the type is unknown. */
  bytes: number | null;
}

export interface GgufInfo {
  file: string;
  version: number;
  /** general.architecture ("llama", "qwen3moe", "deepseek2", "gpt-oss", ...), null when absent. */
  architecture: string | null;
  /**
   * All KV pairs (without version / tensor_count / kv_count). uint64/int64 become numbers (or a
   * decimal string above 2^53). String arrays over 64 items and other arrays over 1024 items
   * (tokenizer vocabularies, scores, merges) are summarised as {type: "array", elementType, length}.
   */
  metadata: Record<string, GgufValue>;
  tensors: GgufTensor[];
  /** Absolute offset of the tensor data section (aligned). */
  tensorDataOffset: number;
  alignment: number;
  /** File size from Content-Range (or stat for a local file), null when unknown. */
  fileSize: number | null;
  /** Bytes transferred (local files: the bytes the parser read, estimated from its 2 MB chunks). */
  bytesRead: number;
  /** HTTP requests (0 for a local file). */
  requests: number;
  findings: Finding[];
}

export interface ReadGgufOptions {
  /** Fetch to use (our fetch layer). Default: global fetch. Ignored for local files. */
  fetch?: typeof fetch;
  /** Extra request headers, e.g. {Authorization: "Bearer hf_..."} (sent via additionalFetchHeaders). */
  headers?: Record<string, string>;
  model?: string;
  /** Repo path of the file, for messages and tensor records. */
  file: string;
}

// ---------------------------------------------------------------------------------------------
// Fetch wrapper

export interface RangeFetchStats {
  requests: number;
  bytes: number;
  /** Total file size from the last Content-Range. */
  total: number | null;
}

const ERROR_BODY_CAP = 8 * 1024;

function requestUrl(input: string | URL | Request): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

function parseRangeHeader(v: string | null): { start: number; end: number | null } | null {
  if (!v) return null;
  const m = /^bytes=(\d+)-(\d*)$/.exec(v.trim());
  if (!m) return null;
  return { start: Number(m[1]), end: m[2] ? Number(m[2]) : null };
}

/** AbortSignal.any (Node >= 20.3) with a fallback for older 20.x. */
function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === "function") return AbortSignal.any([a, b]);
  const c = new AbortController();
  const abort = (s: AbortSignal): void => c.abort(s.reason);
  if (a.aborted) abort(a);
  else if (b.aborted) abort(b);
  else {
    a.addEventListener("abort", () => abort(a), { once: true });
    b.addEventListener("abort", () => abort(b), { once: true });
  }
  return c.signal;
}

async function cancelBody(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    /* already closed */
  }
}

/** Read at most `cap` bytes of a body; null when it is longer (the rest is cancelled, not read). */
async function readCapped(res: Response, cap: number): Promise<Uint8Array | null> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > cap) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(n);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/**
 * A fetch for `@huggingface/gguf` that only lets a correct 206 through:
 * - a 200 answer to a Range request: the body is cancelled and the request aborted without
 *   reading it (HubError `range_not_supported`);
 * - 206 with a Content-Range that does not start where asked, or a body longer than the range:
 *   `bad_range`; shorter than its Content-Range: `truncated`;
 * - 401/403/404/416/429/5xx: typed HubErrors (gated, repo_not_found, bad_token, entry_not_found,
 *   revision_not_found, forbidden, disabled, bad_range, rate_limited, http) naming model and file.
 * 206 bodies are read here (so bytes are counted exactly) and handed on as a fresh Response.
 */
export function strictRangeFetch(
  base: typeof fetch,
  ctx: {
    model?: string;
    file: string;
    stats?: RangeFetchStats;
    /** Called with every 206 body before it is handed on (may throw to stop the parse). */
    inspect?: (start: number, body: Uint8Array, total: number | null) => void;
  },
): typeof fetch {
  const errCtx = { model: ctx.model, file: ctx.file };
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = requestUrl(input);
    const headers = new Headers(init?.headers);
    const range = parseRangeHeader(headers.get("range"));
    const ac = new AbortController();
    const signal = init?.signal ? anySignal(init.signal, ac.signal) : ac.signal;
    let res: Response;
    try {
      res = await base(input, { ...init, signal });
    } catch (e) {
      if (e instanceof StandinError) throw e.withContext(errCtx);
      throw new HubError("network", `request failed: ${(e as Error).message ?? String(e)}`, { ...errCtx, url, cause: e });
    }
    if (ctx.stats) ctx.stats.requests++;
    if (res.status === 206) {
      const cr = parseContentRange(res.headers.get("content-range"));
      if (range && (!cr || cr.start !== range.start)) {
        await cancelBody(res);
        ac.abort();
        throw new HubError("bad_range", `asked for bytes ${range.start}-${range.end ?? ""}, got Content-Range ${res.headers.get("content-range") ?? "(none)"}`, { ...errCtx, url, status: 206 });
      }
      const expected = cr ? cr.end - cr.start + 1 : null;
      const cap = range && range.end !== null ? range.end - range.start + 1 : (expected ?? Number.MAX_SAFE_INTEGER);
      const body = await readCapped(res, cap);
      if (body === null) {
        ac.abort();
        throw new HubError("bad_range", `the server sent more than the ${cap} bytes asked for`, { ...errCtx, url, status: 206 });
      }
      if (ctx.stats) {
        ctx.stats.bytes += body.length;
        if (cr?.total != null) ctx.stats.total = cr.total;
      }
      if (expected !== null && body.length < expected) {
        throw new HubError("truncated", `body has ${body.length} bytes, Content-Range announced ${expected}`, { ...errCtx, url, status: 206 });
      }
      ctx.inspect?.(cr?.start ?? range?.start ?? 0, body, cr?.total ?? null);
      return new Response(body, { status: 206, statusText: res.statusText, headers: res.headers });
    }
    if (res.ok) {
      if (range) {
        // Never read it: a server ignoring Range would send the whole (multi-GB) file.
        await cancelBody(res);
        ac.abort();
        throw new HubError("range_not_supported", `the server answered ${res.status} to a Range request (it would send the whole file); refusing to read it`, {
          ...errCtx,
          url,
          status: res.status,
          hint: "use a server or mirror that supports HTTP Range requests",
        });
      }
      return res;
    }
    const body = (await readCapped(res, ERROR_BODY_CAP)) ?? new Uint8Array(0);
    ac.abort();
    throw classifyHttpError(res.status, res.headers, body, url, errCtx);
  };
  return wrapped as typeof fetch;
}

// ---------------------------------------------------------------------------------------------
// ggml types

interface GgmlType {
  name: string;
  blockSize: number;
  typeSize: number;
}

/** ggml types: [id, name, elements per block, bytes per block] (llama.cpp gguf-py constants). */
const GGML_TYPE_TABLE: [number, string, number, number][] = [
  [0, "F32", 1, 4],
  [1, "F16", 1, 2],
  [2, "Q4_0", 32, 18],
  [3, "Q4_1", 32, 20],
  [6, "Q5_0", 32, 22],
  [7, "Q5_1", 32, 24],
  [8, "Q8_0", 32, 34],
  [9, "Q8_1", 32, 36],
  [10, "Q2_K", 256, 84],
  [11, "Q3_K", 256, 110],
  [12, "Q4_K", 256, 144],
  [13, "Q5_K", 256, 176],
  [14, "Q6_K", 256, 210],
  [15, "Q8_K", 256, 292],
  [16, "IQ2_XXS", 256, 66],
  [17, "IQ2_XS", 256, 74],
  [18, "IQ3_XXS", 256, 98],
  [19, "IQ1_S", 256, 50],
  [20, "IQ4_NL", 32, 18],
  [21, "IQ3_S", 256, 110],
  [22, "IQ2_S", 256, 82],
  [23, "IQ4_XS", 256, 136],
  [24, "I8", 1, 1],
  [25, "I16", 1, 2],
  [26, "I32", 1, 4],
  [27, "I64", 1, 8],
  [28, "F64", 1, 8],
  [29, "IQ1_M", 256, 56],
  [30, "BF16", 1, 2],
  [31, "Q4_0_4_4", 32, 18],
  [32, "Q4_0_4_8", 32, 18],
  [33, "Q4_0_8_8", 32, 18],
  [34, "TQ1_0", 256, 54],
  [35, "TQ2_0", 256, 66],
  [36, "IQ4_NL_4_4", 32, 18],
  [37, "IQ4_NL_4_8", 32, 18],
  [38, "IQ4_NL_8_8", 32, 18],
  [39, "MXFP4", 32, 17],
  [40, "NVFP4", 64, 36],
  [41, "Q1_0", 128, 18],
  [42, "Q2_0", 64, 18],
];

export const GGML_TYPES: ReadonlyMap<number, GgmlType> = new Map(GGML_TYPE_TABLE.map(([id, name, blockSize, typeSize]) => [id, { name, blockSize, typeSize }]));
const GGML_BY_NAME: ReadonlyMap<string, GgmlType> = new Map([...GGML_TYPES.values()].map((t) => [t.name, t]));

export function ggmlTypeName(id: number): string {
  return GGML_TYPES.get(id)?.name ?? `GGML_TYPE_${id}`;
}

/** Bytes of a tensor of this ggml type and element count, null for unknown types or partial blocks. */
export function ggmlTensorBytes(type: string, shape: readonly number[]): number | null {
  const t = GGML_BY_NAME.get(type);
  if (!t) return null;
  let n = 1;
  for (const d of shape) n *= d;
  if (!Number.isSafeInteger(n) || n % t.blockSize !== 0) return null;
  const bytes = (n / t.blockSize) * t.typeSize;
  return Number.isSafeInteger(bytes) ? bytes : null;
}

/** Bits per weight of a ggml type (Q4_K -> 4.5), null when unknown. */
export function ggmlBitsPerWeight(type: string): number | null {
  const t = GGML_BY_NAME.get(type);
  return t ? (t.typeSize * 8) / t.blockSize : null;
}

// ---------------------------------------------------------------------------------------------
// readGguf

/**
 * Refuse a GGUF whose declared counts cannot fit in the file, before the parser walks them: the
 * parser zero-fills its 2 MB window past the end of a short file, so a 100-byte file declaring a
 * million tensors would otherwise be "read" from zeros (up to 2 MB of work, then a late error).
 * Smallest encodings: v2/v3 header 24 bytes, a KV 8+4+1 = 13 bytes, a tensor info 8+4+4+8 = 24
 * bytes; v1 (u32 sizes): header 16, KV 4+4+1 = 9, tensor info 4+4+4+8 = 20.
 */
export function checkGgufCounts(first: Uint8Array, total: number, ctx: { file: string; model?: string }): void {
  if (first.length < 8 || first[0] !== 0x47 || first[1] !== 0x47 || first[2] !== 0x55 || first[3] !== 0x46) return;
  const dv = new DataView(first.buffer, first.byteOffset, first.byteLength);
  const le = (dv.getUint32(4, true) & 0xffff) !== 0;
  const version = dv.getUint32(4, le);
  const headerBytes = version === 1 ? 16 : version === 2 || version === 3 ? 24 : 0;
  if (total < headerBytes) {
    throw new FormatError("gguf_truncated", `${ctx.file}: the file has ${total} bytes, fewer than the ${headerBytes}-byte GGUF v${version} header`, {
      file: ctx.file,
      ...(ctx.model !== undefined ? { model: ctx.model } : {}),
      hint: "the file is truncated or not a GGUF file",
    });
  }
  let tensors: bigint;
  let kvs: bigint;
  let need: bigint;
  if (first.length < headerBytes) return;
  if (version === 1) {
    tensors = BigInt(dv.getUint32(8, le));
    kvs = BigInt(dv.getUint32(12, le));
    need = 16n + 9n * kvs + 20n * tensors;
  } else if ((version === 2 || version === 3) && first.length >= 24) {
    tensors = dv.getBigUint64(8, le);
    kvs = dv.getBigUint64(16, le);
    need = 24n + 13n * kvs + 24n * tensors;
  } else return;
  if (need > BigInt(total)) {
    throw new FormatError(
      "gguf_truncated",
      `${ctx.file}: the GGUF header declares ${tensors} tensor(s) and ${kvs} metadata entries, which need at least ${need} bytes, but the file has ${total}`,
      { file: ctx.file, ...(ctx.model !== undefined ? { model: ctx.model } : {}), hint: "the file is truncated or not a GGUF file" },
    );
  }
}

const STRING_ARRAY_KEEP = 64;
const OTHER_ARRAY_KEEP = 1024;
const GGUF_CHUNK = 2_000_000;
const GGUF_LEEWAY = 500_000;

const VALUE_TYPE_NAMES: Record<number, string> = {
  [GGUFValueType.UINT8]: "uint8",
  [GGUFValueType.INT8]: "int8",
  [GGUFValueType.UINT16]: "uint16",
  [GGUFValueType.INT16]: "int16",
  [GGUFValueType.UINT32]: "uint32",
  [GGUFValueType.INT32]: "int32",
  [GGUFValueType.FLOAT32]: "float32",
  [GGUFValueType.BOOL]: "bool",
  [GGUFValueType.STRING]: "string",
  [GGUFValueType.ARRAY]: "array",
  [GGUFValueType.UINT64]: "uint64",
  [GGUFValueType.INT64]: "int64",
  [GGUFValueType.FLOAT64]: "float64",
};

type RawValue = string | number | bigint | boolean | RawValue[];

function convertValue(v: RawValue, subType?: number): GgufValue {
  if (typeof v === "bigint") return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(v) : v.toString();
  if (Array.isArray(v)) {
    const elementType = subType !== undefined ? (VALUE_TYPE_NAMES[subType] ?? `type_${subType}`) : guessElementType(v);
    const keep = elementType === "string" || elementType === "array" ? STRING_ARRAY_KEEP : OTHER_ARRAY_KEEP;
    if (v.length > keep) return { type: "array", elementType, length: v.length };
    return v.map((x) => convertValue(x));
  }
  return v;
}

function guessElementType(v: RawValue[]): string {
  const x = v[0];
  return x === undefined ? "unknown" : Array.isArray(x) ? "array" : typeof x === "string" ? "string" : typeof x === "boolean" ? "bool" : "number";
}

function isLocalPath(url: string): boolean {
  return !/^https?:\/\//i.test(url);
}

/**
 * Read a GGUF file's metadata and tensor infos (never its tensor data). `url` is a full
 * `.../resolve/{rev}/{file}` URL, or a local path / file: URL (read with allowLocalFile).
 */
export async function readGguf(url: string, opts: ReadGgufOptions): Promise<GgufInfo> {
  const ctx = opts.model !== undefined ? { model: opts.model, file: opts.file } : { file: opts.file };
  const local = isLocalPath(url);
  const stats: RangeFetchStats = { requests: 0, bytes: 0, total: null };
  let parsed: Awaited<ReturnType<typeof gguf>> & { typedMetadata: Record<string, { value: RawValue; type: number; subType?: number }> };
  let localPath = "";
  try {
    if (local) {
      localPath = url.startsWith("file:") ? fileURLToPath(url) : url;
      stats.total = (await stat(localPath)).size;
      const fh = await open(localPath, "r");
      try {
        const head = new Uint8Array(24);
        const { bytesRead } = await fh.read(head, 0, 24, 0);
        checkGgufCounts(head.subarray(0, bytesRead), stats.total, ctx);
      } finally {
        await fh.close();
      }
      parsed = await gguf(localPath, { allowLocalFile: true, typedMetadata: true });
    } else {
      const inspect = (start: number, body: Uint8Array, total: number | null): void => {
        if (start === 0 && total !== null) checkGgufCounts(body, total, ctx);
      };
      const f = strictRangeFetch(opts.fetch ?? globalThis.fetch.bind(globalThis), { ...ctx, stats, inspect });
      parsed = await gguf(url, { fetch: f, typedMetadata: true, ...(opts.headers ? { additionalFetchHeaders: opts.headers } : {}) });
    }
  } catch (e) {
    if (e instanceof HubError && e.code === "bad_range" && e.status === 416) {
      if (stats.total !== null) {
        throw new FormatError("gguf_truncated", `${opts.file}: the GGUF header runs past the end of the ${stats.total}-byte file`, { ...ctx, cause: e });
      }
      if (stats.bytes === 0) {
        // The very first read (bytes=0-...) was not satisfiable: there is no byte 0.
        throw new FormatError("gguf_empty", `${opts.file}: the file is empty (0 bytes), not a GGUF file`, { ...ctx, cause: e });
      }
    }
    if (e instanceof StandinError) throw e.withContext(ctx);
    if (local && (e as NodeJS.ErrnoException)?.code === "ENOENT") {
      throw new HubError("entry_not_found", `${opts.file}: file not found`, { ...ctx, cause: e });
    }
    const msg = e instanceof Error ? e.message : String(e);
    if (e instanceof RangeError) {
      throw new FormatError("gguf_truncated", `${opts.file}: the GGUF header is truncated or larger than the parser's 50 MB limit (${msg})`, { ...ctx, cause: e });
    }
    throw new FormatError(/magic/i.test(msg) ? "gguf_bad_magic" : "gguf_invalid", `${opts.file}: ${msg}`, { ...ctx, cause: e });
  }

  const findings: Finding[] = [];
  const fileSize = stats.total;
  const headerEnd = parsed.tensorInfoByteRange[1];
  if (fileSize !== null && headerEnd > fileSize) {
    // The parser zero-fills past the end of a short chunk, so a truncated header "parses".
    throw new FormatError("gguf_truncated", `${opts.file}: the GGUF header needs ${headerEnd} bytes but the file has ${fileSize}`, ctx);
  }

  const metadata: Record<string, GgufValue> = {};
  for (const [key, entry] of Object.entries(parsed.typedMetadata)) {
    if (key === "version" || key === "tensor_count" || key === "kv_count") continue;
    setOwn(metadata, key, convertValue(entry.value, entry.type === GGUFValueType.ARRAY ? entry.subType : undefined));
  }
  const alignRaw = metadata["general.alignment"];
  const alignment = typeof alignRaw === "number" ? alignRaw : 32;
  const tensorDataOffset = Number(parsed.tensorDataOffset);
  const tensors: GgufTensor[] = parsed.tensorInfos.map((t) => {
    const shape = t.shape.map((d) => Number(d));
    const ggmlType = ggmlTypeName(t.dtype);
    return { name: t.name, shape, ggmlType, offset: Number(t.offset), bytes: ggmlTensorBytes(ggmlType, shape) };
  });

  checkTensorLayout(tensors, { tensorDataOffset, alignment, fileSize, file: opts.file }, findings);

  const bytesRead = local ? Math.min(stats.total ?? 0, Math.ceil((headerEnd + GGUF_LEEWAY) / GGUF_CHUNK) * GGUF_CHUNK) : stats.bytes;
  const arch = metadata["general.architecture"];
  return {
    file: opts.file,
    version: parsed.metadata.version,
    architecture: typeof arch === "string" ? arch : null,
    metadata,
    tensors,
    tensorDataOffset,
    alignment,
    fileSize,
    bytesRead,
    requests: local ? 0 : stats.requests,
    findings,
  };
}

function checkTensorLayout(tensors: GgufTensor[], o: { tensorDataOffset: number; alignment: number; fileSize: number | null; file: string }, findings: Finding[]): void {
  const counts = new Map<string, number>();
  const add = (severity: Finding["severity"], code: string, message: string, tensor?: string): void => {
    const n = (counts.get(code) ?? 0) + 1;
    counts.set(code, n);
    if (n <= 20) findings.push({ severity, code, message, file: o.file, ...(tensor ? { tensor } : {}) });
  };
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) add("error", "gguf_duplicate_tensor", `tensor "${t.name}" is listed twice`, t.name);
    names.add(t.name);
    if (t.bytes === null) add("warning", "gguf_unknown_type", `tensor "${t.name}" has type ${t.ggmlType} whose size standin does not know (or a partial block)`, t.name);
    if (t.offset % o.alignment !== 0) add("warning", "gguf_misaligned_tensor", `tensor "${t.name}" offset ${t.offset} is not a multiple of the ${o.alignment}-byte alignment`, t.name);
    if (o.fileSize !== null && t.bytes !== null && o.tensorDataOffset + t.offset + t.bytes > o.fileSize) {
      add("error", "gguf_tensor_beyond_eof", `tensor "${t.name}" ends at byte ${o.tensorDataOffset + t.offset + t.bytes}, past the end of the ${o.fileSize}-byte file`, t.name);
    }
  }
  const sorted = tensors.filter((t) => t.bytes !== null).sort((a, b) => a.offset - b.offset);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    const cur = sorted[i]!;
    if (prev.offset + prev.bytes! > cur.offset) add("error", "gguf_tensor_overlap", `tensors "${prev.name}" and "${cur.name}" overlap`, cur.name);
  }
  for (const [code, n] of counts) if (n > 20) findings.push({ severity: "info", code, message: `${n - 20} more ${code} findings not listed`, file: o.file });
}

// ---------------------------------------------------------------------------------------------
// GGUF -> HF config

/** llama.cpp architecture names -> HF model_type. */
export const GGUF_ARCH_TO_MODEL_TYPE: Record<string, string> = {
  llama: "llama",
  llama4: "llama4_text",
  deci: "nemotron-nas",
  mistral3: "mistral3",
  qwen: "qwen",
  qwen2: "qwen2",
  qwen2moe: "qwen2_moe",
  qwen2vl: "qwen2_vl",
  qwen3: "qwen3",
  qwen3moe: "qwen3_moe",
  qwen3next: "qwen3_next",
  gemma: "gemma",
  gemma2: "gemma2",
  gemma3: "gemma3_text",
  gemma3n: "gemma3n_text",
  phi2: "phi",
  phi3: "phi3",
  phimoe: "phimoe",
  deepseek: "deepseek",
  deepseek2: "deepseek_v2",
  "gpt-oss": "gpt_oss",
  gpt_oss: "gpt_oss",
  falcon: "falcon",
  "falcon-h1": "falcon_h1",
  bloom: "bloom",
  gpt2: "gpt2",
  gptj: "gptj",
  gptneox: "gpt_neox",
  mpt: "mpt",
  starcoder: "gpt_bigcode",
  starcoder2: "starcoder2",
  stablelm: "stablelm",
  mamba: "mamba",
  mamba2: "mamba2",
  jamba: "jamba",
  rwkv6: "rwkv6",
  rwkv7: "rwkv7",
  "command-r": "cohere",
  cohere2: "cohere2",
  olmo: "olmo",
  olmo2: "olmo2",
  olmoe: "olmoe",
  internlm2: "internlm2",
  chatglm: "chatglm",
  glm4: "glm4",
  glm4moe: "glm4_moe",
  minicpm: "minicpm",
  minicpm3: "minicpm3",
  granite: "granite",
  granitemoe: "granitemoe",
  granitehybrid: "granitemoehybrid",
  exaone: "exaone",
  exaone4: "exaone4",
  nemotron: "nemotron",
  dbrx: "dbrx",
  arctic: "arctic",
  orion: "orion",
  baichuan: "baichuan",
  plamo: "plamo",
  plamo2: "plamo2",
  smollm3: "smollm3",
  lfm2: "lfm2",
  ernie4_5: "ernie4_5",
  "ernie4_5-moe": "ernie4_5_moe",
  "hunyuan-moe": "hunyuan_v1_moe",
  "hunyuan-dense": "hunyuan_v1_dense",
  bailingmoe: "bailing_moe",
  dots1: "dots1",
  arcee: "arcee",
  t5: "t5",
  t5encoder: "t5",
  bert: "bert",
  "nomic-bert": "nomic_bert",
  "jina-bert-v2": "jina_bert",
  "nomic-bert-moe": "nomic_bert",
  grok: "grok-1",
  xverse: "xverse",
  codeshell: "codeshell",
  openelm: "openelm",
  bitnet: "bitnet",
  seed_oss: "seed_oss",
  apertus: "apertus",
};

const MODEL_TYPE_TO_ARCHITECTURE: Record<string, string> = {
  llama: "LlamaForCausalLM",
  mixtral: "MixtralForCausalLM",
  qwen2: "Qwen2ForCausalLM",
  qwen2_moe: "Qwen2MoeForCausalLM",
  qwen3: "Qwen3ForCausalLM",
  qwen3_moe: "Qwen3MoeForCausalLM",
  gemma: "GemmaForCausalLM",
  gemma2: "Gemma2ForCausalLM",
  gemma3_text: "Gemma3ForCausalLM",
  phi: "PhiForCausalLM",
  phi3: "Phi3ForCausalLM",
  phimoe: "PhimoeForCausalLM",
  deepseek_v2: "DeepseekV2ForCausalLM",
  deepseek_v3: "DeepseekV3ForCausalLM",
  gpt_oss: "GptOssForCausalLM",
  falcon: "FalconForCausalLM",
  bloom: "BloomForCausalLM",
  gpt2: "GPT2LMHeadModel",
  gptj: "GPTJForCausalLM",
  gpt_neox: "GPTNeoXForCausalLM",
  gpt_bigcode: "GPTBigCodeForCausalLM",
  starcoder2: "Starcoder2ForCausalLM",
  stablelm: "StableLmForCausalLM",
  mamba: "MambaForCausalLM",
  mamba2: "Mamba2ForCausalLM",
  cohere: "CohereForCausalLM",
  cohere2: "Cohere2ForCausalLM",
  olmo: "OlmoForCausalLM",
  olmo2: "Olmo2ForCausalLM",
  olmoe: "OlmoeForCausalLM",
  granite: "GraniteForCausalLM",
  granitemoe: "GraniteMoeForCausalLM",
  smollm3: "SmolLM3ForCausalLM",
  lfm2: "Lfm2ForCausalLM",
  starcoder: "GPTBigCodeForCausalLM",
  internlm2: "InternLM2ForCausalLM",
  minicpm: "MiniCPMForCausalLM",
  nemotron: "NemotronForCausalLM",
  jamba: "JambaForCausalLM",
  mpt: "MptForCausalLM",
};

function num(v: GgufValue | undefined): number | null {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (Array.isArray(v)) {
    const ns = v.filter((x): x is number => typeof x === "number");
    return ns.length ? Math.max(...ns) : null;
  }
  return null;
}

function arrLength(v: GgufValue | undefined): number | null {
  if (Array.isArray(v)) return v.length;
  if (v && typeof v === "object" && "length" in v) return v.length;
  return null;
}

/**
 * An HF-config-like object from GGUF metadata (and tensor infos, for vocab size, tied embeddings
 * and biases). Keys are only set when GGUF says something; nothing is defaulted. Per-layer arrays
 * (head_count_kv, feed_forward_length...) give their max, and are kept under `gguf.per_layer`.
 * Provenance goes under the `gguf` key (file_type, name, architecture, ...).
 */
export function ggufToConfig(info: GgufInfo): Record<string, unknown> {
  const m = info.metadata;
  const arch = info.architecture ?? "";
  const k = (suffix: string): GgufValue | undefined => m[`${arch}.${suffix}`];
  const kn = (suffix: string): number | null => num(k(suffix));
  const cfg: Record<string, unknown> = {};
  const set = (key: string, v: unknown): void => {
    if (v !== null && v !== undefined) cfg[key] = v;
  };
  const tensorNames = new Set(info.tensors.map((t) => t.name));
  const hasTensor = (re: RegExp): boolean => info.tensors.some((t) => re.test(t.name));

  const expertCount = kn("expert_count");
  let modelType = ownEntry(GGUF_ARCH_TO_MODEL_TYPE, arch) ?? arch.replace(/-/g, "_");
  if (arch === "llama" && expertCount && expertCount > 1) modelType = "mixtral";
  if (arch === "deepseek2") {
    // llama.cpp uses deepseek2 for V2, V3, R1 and Kimi K2; V3 routing is sigmoid with a bias.
    const gating = kn("expert_gating_func");
    if (gating === 2 || hasTensor(/\.exp_probs_b(\.|$)/)) modelType = "deepseek_v3";
  }
  set("model_type", modelType || null);
  const archClass = ownEntry(MODEL_TYPE_TO_ARCHITECTURE, modelType);
  if (archClass) set("architectures", [archClass]);

  set("hidden_size", kn("embedding_length"));
  set("num_hidden_layers", kn("block_count"));
  set("num_attention_heads", kn("attention.head_count"));
  set("num_key_value_heads", kn("attention.head_count_kv"));
  const ffn = kn("feed_forward_length");
  const expertFfn = kn("expert_feed_forward_length");
  set("intermediate_size", ffn ?? (modelType === "gpt_oss" ? expertFfn : null));
  set("max_position_embeddings", kn("context_length"));
  set("rope_theta", kn("rope.freq_base"));
  set("rms_norm_eps", kn("attention.layer_norm_rms_epsilon"));
  set("layer_norm_epsilon", kn("attention.layer_norm_epsilon"));

  // Vocabulary: the tokenizer array, else {arch}.vocab_size, else the embedding's rows.
  const embd = info.tensors.find((t) => t.name === "token_embd.weight");
  set("vocab_size", arrLength(m["tokenizer.ggml.tokens"]) ?? kn("vocab_size") ?? (embd && embd.shape.length === 2 ? embd.shape[1] : null));

  // Attention dims.
  const keyLen = kn("attention.key_length");
  const valLen = kn("attention.value_length");
  const ropeDim = kn("rope.dimension_count");
  const kvLora = kn("attention.kv_lora_rank");
  const qLora = kn("attention.q_lora_rank");
  const isMla = kvLora !== null && kvLora > 0;
  if (isMla) {
    const keyMla = kn("attention.key_length_mla") ?? keyLen;
    const valMla = kn("attention.value_length_mla") ?? valLen;
    set("kv_lora_rank", kvLora);
    set("q_lora_rank", qLora && qLora > 0 ? qLora : null);
    set("qk_rope_head_dim", ropeDim);
    if (keyMla !== null && ropeDim !== null) set("qk_nope_head_dim", keyMla - ropeDim);
    set("v_head_dim", valMla);
    if (keyMla !== null) set("head_dim", keyMla);
  } else {
    set("head_dim", keyLen);
    if (valLen !== null && valLen !== keyLen) set("v_head_dim", valLen);
    const hidden = kn("embedding_length");
    const heads = kn("attention.head_count");
    const headDim = keyLen ?? (hidden && heads ? hidden / heads : null);
    if (ropeDim !== null && headDim && ropeDim > 0 && ropeDim < headDim) set("partial_rotary_factor", ropeDim / headDim);
  }
  set("sliding_window", kn("attention.sliding_window"));
  const swPattern = k("attention.sliding_window_pattern");
  if (swPattern !== undefined) set("sliding_window_pattern", swPattern);
  set("attn_logit_softcapping", kn("attn_logit_softcapping"));
  set("final_logit_softcapping", kn("final_logit_softcapping"));

  // Rope scaling.
  const scalingType = k("rope.scaling.type");
  const scalingFactor = kn("rope.scaling.factor");
  if ((typeof scalingType === "string" && scalingType !== "none") || (scalingFactor !== null && scalingFactor !== 1 && scalingFactor !== 0)) {
    const rs: Record<string, unknown> = {};
    const t = typeof scalingType === "string" ? scalingType : "linear";
    rs["rope_type"] = t;
    rs["type"] = t;
    if (scalingFactor !== null) rs["factor"] = scalingFactor;
    const orig = kn("rope.scaling.original_context_length");
    if (orig !== null) rs["original_max_position_embeddings"] = orig;
    const yarnLog = kn("rope.scaling.yarn_log_multiplier");
    if (yarnLog !== null) rs["mscale_all_dim"] = yarnLog / 0.1;
    const attnFactor = kn("rope.scaling.attn_factor");
    if (attnFactor !== null) rs["attention_factor"] = attnFactor;
    set("rope_scaling", rs);
  } else if (tensorNames.has("rope_freqs.weight") && (arch === "llama" || arch === "deci")) {
    // Llama 3.1+ stores its frequency factors as a tensor; the factor itself is not in the file.
    set("rope_scaling", { rope_type: "llama3", type: "llama3" });
  } else if (tensorNames.has("rope_factors_long.weight")) {
    set("rope_scaling", { rope_type: "longrope", type: "longrope" });
  }

  // MoE.
  if (expertCount !== null && expertCount > 0) {
    set("num_local_experts", expertCount);
    if (modelType === "deepseek_v2" || modelType === "deepseek_v3" || modelType === "deepseek") set("n_routed_experts", expertCount);
    if (["qwen2_moe", "qwen3_moe", "olmoe", "granitemoe", "qwen3_next", "glm4_moe", "ernie4_5_moe", "bailing_moe"].includes(modelType)) set("num_experts", expertCount);
    set("num_experts_per_tok", kn("expert_used_count"));
    set("moe_intermediate_size", modelType === "gpt_oss" ? null : expertFfn);
    const shared = kn("expert_shared_count");
    if (shared !== null) set("n_shared_experts", shared);
    const sharedFfn = kn("expert_shared_feed_forward_length");
    if (sharedFfn !== null) set("shared_expert_intermediate_size", sharedFfn);
    set("first_k_dense_replace", kn("leading_dense_block_count"));
    set("routed_scaling_factor", kn("expert_weights_scale"));
    const norm = k("expert_weights_norm");
    if (typeof norm === "boolean") set("norm_topk_prob", norm);
    const gating = kn("expert_gating_func");
    if (gating !== null) set("scoring_func", gating === 2 ? "sigmoid" : gating === 1 ? "softmax" : `gating_${gating}`);
    set("n_group", kn("expert_group_count"));
    set("topk_group", kn("expert_group_used_count"));
  }

  // State-space models.
  set("conv_kernel", kn("ssm.conv_kernel"));
  set("state_size", kn("ssm.state_size"));
  if (kn("ssm.inner_size") !== null) set("ssm_inner_size", kn("ssm.inner_size"));
  set("time_step_rank", kn("ssm.time_step_rank"));
  set("ssm_group_count", kn("ssm.group_count"));

  // From tensors (only when the file lists tensors).
  if (info.tensors.length > 0) {
    set("tie_word_embeddings", !tensorNames.has("output.weight"));
    if (hasTensor(/^blk\.\d+\.attn_(q|k|v|qkv)\.bias$/)) set("attention_bias", true);
  }

  set("bos_token_id", num(m["tokenizer.ggml.bos_token_id"]));
  set("eos_token_id", num(m["tokenizer.ggml.eos_token_id"]));

  // Provenance and per-layer arrays.
  const perLayer: Record<string, unknown> = {};
  for (const s of ["attention.head_count", "attention.head_count_kv", "feed_forward_length", "attention.sliding_window_pattern"]) {
    const v = k(s);
    if (Array.isArray(v)) perLayer[s] = v;
  }
  const fileType = num(m["general.file_type"]);
  const gg: Record<string, unknown> = { architecture: arch || null, version: info.version };
  if (fileType !== null) gg["file_type"] = GGMLFileQuantizationType[fileType] ?? `FILE_TYPE_${fileType}`;
  for (const key of ["general.name", "general.basename", "general.size_label", "general.quantization_version", "tokenizer.ggml.model", "tokenizer.ggml.pre"]) {
    const v = m[key];
    if (v !== undefined) gg[key.split(".").slice(1).join("_")] = v;
  }
  if (Object.keys(perLayer).length) gg["per_layer"] = perLayer;
  cfg["gguf"] = gg;
  return cfg;
}

// ---------------------------------------------------------------------------------------------
// GGUF tensor names -> HF names

const GLOBAL_NAMES: Record<string, string> = {
  token_embd: "model.embed_tokens",
  token_embd_norm: "model.embed_layernorm",
  token_types: "model.token_type_embeddings",
  position_embd: "model.embed_positions",
  output: "lm_head",
  output_norm: "model.norm",
  rope_freqs: "model.rope_freqs",
  rope_factors_long: "model.rope_factors_long",
  rope_factors_short: "model.rope_factors_short",
};

const BLOCK_NAMES: Record<string, string> = {
  attn_norm: "input_layernorm",
  attn_norm_2: "input_layernorm_2",
  attn_q: "self_attn.q_proj",
  attn_k: "self_attn.k_proj",
  attn_v: "self_attn.v_proj",
  attn_qkv: "self_attn.qkv_proj",
  attn_output: "self_attn.o_proj",
  attn_q_norm: "self_attn.q_norm",
  attn_k_norm: "self_attn.k_norm",
  attn_sinks: "self_attn.sinks",
  attn_rot_embd: "self_attn.rotary_emb.inv_freq",
  attn_q_a: "self_attn.q_a_proj",
  attn_q_a_norm: "self_attn.q_a_layernorm",
  attn_q_b: "self_attn.q_b_proj",
  attn_kv_a_mqa: "self_attn.kv_a_proj_with_mqa",
  attn_kv_a_norm: "self_attn.kv_a_layernorm",
  attn_kv_b: "self_attn.kv_b_proj",
  attn_k_b: "self_attn.k_b_proj",
  attn_v_b: "self_attn.v_b_proj",
  attn_output_norm: "self_attn.output_norm",
  post_attention_norm: "post_attention_layernorm",
  post_ffw_norm: "post_feedforward_layernorm",
  layer_output_norm: "output_layernorm",
  ffn_gate: "mlp.gate_proj",
  ffn_up: "mlp.up_proj",
  ffn_down: "mlp.down_proj",
  ffn_gate_inp: "mlp.gate",
  ffn_gate_exps: "mlp.experts.gate_proj",
  ffn_up_exps: "mlp.experts.up_proj",
  ffn_down_exps: "mlp.experts.down_proj",
  ffn_gate_up_exps: "mlp.experts.gate_up_proj",
  ffn_gate_inp_shexp: "mlp.shared_expert_gate",
  ssm_in: "mixer.in_proj",
  ssm_conv1d: "mixer.conv1d",
  ssm_x: "mixer.x_proj",
  ssm_dt: "mixer.dt_proj",
  ssm_a: "mixer.A_log",
  ssm_d: "mixer.D",
  ssm_norm: "mixer.norm",
  ssm_out: "mixer.out_proj",
  "shortconv.conv": "conv.conv",
  "shortconv.in_proj": "conv.in_proj",
  "shortconv.out_proj": "conv.out_proj",
};

const SHARED_EXPERT_SINGULAR = new Set(["qwen2moe", "qwen3next"]);

/** The HF name of one GGUF tensor name (unknown names keep their GGUF spelling under model.layers.N). */
export function ggufTensorNameToHf(name: string, opts: { architecture?: string | null; sandwichNorm?: boolean } = {}): string {
  // `s` flag: tensor names come from the file and may hold newlines; `.` must match them too.
  const blk = /^blk\.(\d+)\.(.+?)(?:\.(weight|bias|scale))?$/s.exec(name);
  if (!blk) {
    const g = /^(.*?)(?:\.(weight|bias))?$/s.exec(name);
    const mapped = g ? ownEntry(GLOBAL_NAMES, g[1] ?? "") : undefined;
    return g && mapped ? `${mapped}${g[2] ? `.${g[2]}` : ""}` : name;
  }
  const layer = blk[1]!;
  const base = blk[2]!;
  const suffix = blk[3];
  const prefix = `model.layers.${layer}.`;
  if (base === "exp_probs_b") return `${prefix}mlp.gate.e_score_correction_bias`;
  let hf: string | undefined;
  if (base === "ffn_norm") hf = opts.sandwichNorm ? "pre_feedforward_layernorm" : "post_attention_layernorm";
  else if (/^ffn_(gate|up|down)_shexp$/.test(base)) {
    const which = base.slice(4, base.indexOf("_shexp"));
    hf = `mlp.${SHARED_EXPERT_SINGULAR.has(opts.architecture ?? "") ? "shared_expert" : "shared_experts"}.${which}_proj`;
  } else hf = ownEntry(BLOCK_NAMES, base);
  if (!hf) return `${prefix}${base}${suffix ? `.${suffix}` : ""}`;
  // ssm_a / ssm_d have no suffix in GGUF and none in HF either.
  return `${prefix}${hf}${suffix ? `.${suffix}` : ""}`;
}

/**
 * Tensor records with HF names and torch dim order (GGUF lists ne[0], the innermost dim, first;
 * torch lists it last). dtype = the ggml type name; [begin, end) relative to the tensor data
 * section (end = begin when the type's size is unknown).
 */
export function ggufTensorsToHf(info: GgufInfo): TensorRecord[] {
  const sandwichNorm = info.tensors.some((t) => /^blk\.\d+\.post_attention_norm\./.test(t.name)) && info.tensors.some((t) => /^blk\.\d+\.ffn_norm\./.test(t.name));
  return info.tensors.map((t) => ({
    name: ggufTensorNameToHf(t.name, { architecture: info.architecture, sandwichNorm }),
    dtype: t.ggmlType,
    shape: [...t.shape].reverse(),
    file: info.file,
    begin: t.offset,
    end: t.offset + (t.bytes ?? 0),
  }));
}

/** Weight format of a GGUF file: the ggml type holding most matrix bytes ("gguf-Q4_K", "gguf-BF16"...). */
export function ggufWeightFormat(info: GgufInfo): WeightFormat | null {
  const bytesByType = new Map<string, number>();
  for (const t of info.tensors) {
    if (t.shape.filter((d) => d > 1).length < 2) continue;
    bytesByType.set(t.ggmlType, (bytesByType.get(t.ggmlType) ?? 0) + (t.bytes ?? 0));
  }
  const sorted = [...bytesByType.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const dominant = sorted[0]?.[0];
  if (!dominant) return null;
  const t = GGML_BY_NAME.get(dominant);
  const evidence = [`matrix bytes by ggml type: ${sorted.map(([n, b]) => `${n}=${b}`).join(", ")}`];
  const fileType = num(info.metadata["general.file_type"]);
  if (fileType !== null) evidence.push(`general.file_type=${GGMLFileQuantizationType[fileType] ?? fileType}`);
  return {
    format: `gguf-${dominant}`,
    storageDtype: dominant,
    method: "gguf",
    bits: ggmlBitsPerWeight(dominant),
    groupSize: t && t.blockSize > 1 ? t.blockSize : null,
    blockSize: t && t.blockSize > 1 ? [t.blockSize] : null,
    scaleDtypes: [],
    evidence,
  };
}
