/**
 * What a model source (hub | local | endpoint) delivers. Fingerprinting only ever talks to these
 * interfaces, so tests and benchmarks can count every request and byte.
 */
import type { FileEntry, Finding, FormatKind, SourceKind } from "../fingerprint/types.js";

export interface RepoFile {
  /** Path inside the repo, "/"-separated (e.g. "onnx/model.onnx"). */
  path: string;
  /** Size in bytes when the listing gives it, else null (learned later from Content-Range). */
  size: number | null;
}

export interface ResolvedModel {
  kind: SourceKind;
  /** Hub repo id or local directory (absolute). */
  repo: string;
  /** Requested revision (null for local). */
  revision: string | null;
  /** Resolved commit sha (null for local). */
  sha: string | null;
  files: RepoFile[];
  /** Hub "gated" flag (false | "auto" | "manual"). */
  gated?: false | string;
}

/** Reads byte ranges of one file. `end` is exclusive. Implementations verify the range was honoured. */
export interface RangeReader {
  readonly path: string;
  /** Total file size when known (before or after the first read). */
  size(): number | null;
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface ReadFileOptions {
  /** Refuse (typed "too_large" error) instead of reading more than this many bytes. */
  maxBytes?: number;
  /** Scheduling priority in the fetch layer (REQUEST_PRIORITY; lower first). */
  priority?: number;
}

export interface SafetensorsHeaderBytes {
  /** N: the header length from the 8-byte little-endian prefix. */
  headerLength: number;
  /**
   * The N header bytes (UTF-8 JSON): a buffer of their own when read from the network or a file
   * (the analysis pool then transfers it to its worker, leaving this empty), or a view into a
   * cache pack.
   */
  json: Uint8Array;
  /** Full file size (from Content-Range or stat). */
  fileSize: number | null;
  /** Bytes transferred (0 when served from cache). */
  bytesRead: number;
  requests: number;
}

export interface HeaderReadOptions {
  /** First speculative read size guess (bytes of header expected). */
  expectedHeaderBytes?: number;
  /** Header cap (default 100 MB, the reference limit). */
  maxHeaderBytes: number;
  /** Scheduling priority in the fetch layer (default REQUEST_PRIORITY.header). */
  priority?: number;
}

export interface ModelSource {
  /** The manifest id of the model, used in every error message. */
  readonly model: string;
  resolve(): Promise<ResolvedModel>;
  /** A whole (small) file: config.json, an index, a small .onnx. */
  readFile(path: string, opts?: ReadFileOptions): Promise<Uint8Array>;
  /** A ranged reader over one file. */
  rangeReader(path: string, knownSize?: number | null): RangeReader;
  /** The header of a safetensors file, in one request in the common case. */
  readSafetensorsHeader(path: string, opts: HeaderReadOptions): Promise<SafetensorsHeaderBytes>;
  /** Where a GGUF reader (@huggingface/gguf) finds a file: a resolve URL and the fetch to use, or a local path. */
  ggufLocation(path: string): { url: string; fetch?: typeof fetch };
  /** Requests and bytes made by this source so far. */
  stats(): { requests: number; bytes: number };
  /** Persist what was read to the disk cache (headers are packed per model and written once). */
  flush?(): Promise<void>;
  /**
   * Before anything of a gated repo is served from the cache: prove, with one small request, that
   * the token still has access (a cache must not hide a model that became gated or lost access).
   * Throws the Hub's typed error (gated, bad_token...). A no-op for other repos and sources.
   */
  verifyAccess?(): Promise<void>;
  /**
   * An earlier cached revision of this repo from which nothing the analysis reads has changed (the
   * same file list, the same content for every file read), or null. Hub sources only.
   */
  unchangedSince?(): Promise<string | null>;
}

/** One concrete tensor as listed in a safetensors header (offsets relative to the data section). */
export interface TensorRecord {
  name: string;
  dtype: string;
  shape: number[];
  /** File the tensor lives in. */
  file: string;
  /** [begin, end) relative to byte 8+N of the file. */
  begin: number;
  end: number;
}

/** Everything read for one model, before it becomes a fingerprint. */
export interface RawModel {
  model: string;
  resolved: ResolvedModel;
  format: FormatKind;
  /** Parsed config.json (raw, not normalized), null when the repo has none. */
  config: Record<string, unknown> | null;
  files: FileEntry[];
  /** All tensors of all safetensors files (or the ONNX initializers / GGUF tensors mapped to HF-like records). */
  tensors: TensorRecord[];
  findings: Finding[];
}
