/**
 * Sharded safetensors index (`model.safetensors.index.json`) parser and validators (pure functions).
 *
 * Format: `{"metadata": {"total_size": <sum of tensor byte sizes>, ["total_parameters": n]},
 * "weight_map": {"tensor": "model-00001-of-00004.safetensors", ...}}` (docs/hub-protocol.md section 4).
 * `total_size` is the sum of tensor sizes, not of file sizes. Shard names come from a repo file,
 * so they are attacker-controlled and must stay plain relative paths (as in @huggingface/hub's
 * assertSafeShardFilename).
 *
 * Fatal (FormatError):
 *
 * | code                    | when                                                                   |
 * |-------------------------|------------------------------------------------------------------------|
 * | index_too_large         | more bytes than maxBytes (default 250,000,000, the JS client's cap)    |
 * | index_not_utf8          | not valid UTF-8                                                        |
 * | index_too_deep          | JSON nested deeper than 64 levels (the JS client's cap)                |
 * | index_not_json          | not JSON                                                               |
 * | index_not_object        | the JSON is not an object                                              |
 * | index_bad_weight_map    | weight_map missing, not an object, or a value that is not a string     |
 * | index_unsafe_shard_name | a shard name that could leave the repo (names the tensor and shard)    |
 *
 * Findings from parseSafetensorsIndex:
 *
 * | code                              | sev.    | when                                                  |
 * |-----------------------------------|---------|-------------------------------------------------------|
 * | index_metadata_not_object         | warning | `metadata` present but not an object                  |
 * | index_total_size_missing          | warning | no metadata.total_size                                |
 * | index_total_size_not_number       | warning | total_size is not a number (info: numeric string, read) |
 * | index_total_size_invalid          | warning | total_size negative, fractional or above 2^53-1       |
 * | index_total_size_zero             | warning | total_size is 0 with a non-empty weight_map           |
 * | index_total_parameters_not_number | warning | total_parameters not a number (info: numeric string)  |
 * | index_total_parameters_invalid    | warning | total_parameters negative, fractional or unsafe       |
 * | index_empty_weight_map            | error   | weight_map has no entries                             |
 * | index_duplicate_tensor            | warning | a tensor name repeats in weight_map (last one kept)   |
 * | index_shard_not_safetensors       | warning | a *.safetensors.index.json names a non-.safetensors file |
 * | index_shard_set_incomplete        | warning | shards `p-0000i-of-0000n` with some i in 1..n missing |
 * | index_shard_out_of_range          | warning | shard number 0 or above its total                     |
 * | index_shard_pattern_mixed         | warning | shards with different prefixes/totals, or some that do not follow the pattern |
 *
 * Findings from validateIndexAgainstHeaders / checkIndexTotals / checkIndexAgainstFileSizes:
 *
 * | code                            | sev.    | when                                                     |
 * |---------------------------------|---------|----------------------------------------------------------|
 * | index_tensor_missing            | error   | weight_map names a tensor that its shard does not hold   |
 * | index_tensor_wrong_shard        | error   | the tensor is in another shard than weight_map says      |
 * | index_tensor_unlisted           | warning | a shard holds a tensor that weight_map does not list     |
 * | index_tensor_in_multiple_shards | error   | the same tensor name is in two or more shards            |
 * | index_shard_not_read            | warning | weight_map names a shard whose header was not given      |
 * | index_shard_not_listed          | warning | a header was given for a file weight_map does not name   |
 * | index_total_size_mismatch       | warning | total_size != sum of tensor byte sizes (both reported)   |
 * | index_total_parameters_mismatch | warning | total_parameters != element count (both reported)        |
 * | index_totals_inconsistent       | warning | total_size != total_parameters * bits/8 for a stated dtype |
 * | index_total_size_exceeds_files  | error   | total_size + 8 per shard > sum of shard file sizes       |
 * | index_total_size_too_small      | warning | shard files leave more than the header cap per shard     |
 * | index_shard_size_unknown        | info    | no file size for a shard (size check partial)            |
 */
import type { Finding } from "../fingerprint/types.js";
import type { TensorRecord } from "../sources/types.js";
import { FormatError } from "../util/errors.js";
import { dtypeBits, isSafeNonNegativeInteger, tensorElements, tensorElementsNumber } from "./dtypes.js";
import { emptyDigest, namesDigest, readIndexDigest, readIndexFast, sameDigest, type IndexDigest, type ShardDigest } from "./json-fast.js";
import { FindingSink, decodeUtf8Strict, parseOrError, isPlainObject, jsonType, preview, quickScan, scanJson, where } from "./json-scan.js";
import { DEFAULT_MAX_HEADER_BYTES } from "./safetensors.js";

/** The JS client's cap on index bytes. */
export const DEFAULT_MAX_INDEX_BYTES = 250_000_000;
/** The JS client's cap on index nesting. */
export const INDEX_MAX_DEPTH = 64;

export interface IndexContext {
  file: string;
  model?: string;
  /** Refuse larger indexes (default DEFAULT_MAX_INDEX_BYTES). */
  maxBytes?: number;
  maxFindingsPerCode?: number;
}

export interface SafetensorsIndex {
  /** The index file name, as given in the context. */
  file: string;
  /** Tensor name -> shard file name (relative to the index's directory). */
  weightMap: Map<string, string>;
  /** Distinct shard names in first-seen order. */
  shards: string[];
  /** metadata.total_size, or null when absent or unusable. */
  totalSize: number | null;
  /** metadata.total_parameters (numeric strings are read), or null. */
  totalParameters: number | null;
  /** The raw `metadata` object ({} when absent). */
  metadata: Record<string, unknown>;
  findings: Finding[];
}

/** `prefix-00001-of-00004.safetensors` (5 or 6 digits) and BLOOM's `model_00001-of-00072.safetensors`. */
export const shardNamePattern = /^(.*?)([_-])(\d{5,6})-of-(\d{5,6})\.safetensors$/;

export interface ShardName {
  /** Everything before the separator ("model", "sub/model"; may be ""). */
  prefix: string;
  separator: "-" | "_";
  index: number;
  total: number;
}

export function parseShardName(name: string): ShardName | null {
  const m = shardNamePattern.exec(name);
  if (!m) return null;
  return { prefix: m[1] ?? "", separator: m[2] === "_" ? "_" : "-", index: Number(m[3]), total: Number(m[4]) };
}

/**
 * Why a shard name is unsafe, or null when it is a plain relative path. Rules of
 * @huggingface/hub's assertSafeShardFilename: percent-decode up to 5 times (stricter here: still
 * changing after 5 rounds is refused), then for the raw and decoded forms refuse control
 * characters, backslashes, a leading `/`, a Windows drive (`C:`), a colon in the first segment
 * (`scheme:`), and `.` / `..` segments.
 */
export function shardNameProblem(name: string): string | null {
  if (!name) return "empty name";
  let decoded = name;
  for (let i = 0; ; i++) {
    let next: string;
    try {
      next = decodeURIComponent(decoded);
    } catch {
      return "malformed percent-encoding";
    }
    if (next === decoded) break;
    if (i === 5) return "percent-encoded more than 5 times";
    decoded = next;
  }
  for (const c of new Set([name, decoded])) {
    for (let i = 0; i < c.length; i++) {
      const code = c.charCodeAt(i);
      if (code <= 0x1f || (code >= 0x7f && code <= 0x9f)) return "control character";
    }
    if (c.includes("\\")) return "backslash";
    if (c.startsWith("/")) return "absolute path";
    if (/^[A-Za-z]:/.test(c)) return "absolute Windows path";
    const slash = c.indexOf("/");
    if ((slash === -1 ? c : c.slice(0, slash)).includes(":")) return "scheme-like first path segment";
    for (const seg of c.split("/")) if (seg === "." || seg === "..") return "dot segment";
  }
  return null;
}

/** Throw `index_unsafe_shard_name` when shardNameProblem() finds a problem. */
export function assertSafeShardName(name: string, ctx: { file: string; model?: string; tensor?: string }): void {
  const problem = shardNameProblem(name);
  if (problem === null) return;
  throw new FormatError(
    "index_unsafe_shard_name",
    `${where(ctx)}: unsafe shard name ${JSON.stringify(name)}${ctx.tensor !== undefined ? ` for tensor ${JSON.stringify(ctx.tensor)}` : ""} (${problem})`,
    { file: ctx.file, model: ctx.model, hint: "shard names must be plain relative paths inside the repo" },
  );
}

export function parseSafetensorsIndex(bytes: Uint8Array, ctx: IndexContext): SafetensorsIndex {
  const fatal = (code: string, msg: string, cause?: unknown): never => {
    throw new FormatError(code, `${where(ctx)}: ${msg}`, { file: ctx.file, model: ctx.model, cause });
  };
  const maxBytes = ctx.maxBytes ?? DEFAULT_MAX_INDEX_BYTES;
  if (bytes.length > maxBytes) fatal("index_too_large", `index is ${bytes.length} bytes, above the cap of ${maxBytes}`);
  const text = decodeUtf8Strict(bytes);
  if (text === null) fatal("index_not_utf8", "index is not valid UTF-8");
  const src = text as string;

  const sink = new FindingSink(ctx.file, ctx.maxFindingsPerCode);
  let weightMap: Map<string, string> | null = null;
  let digest: IndexDigest | null = null;
  let shards: string[];
  let metadataValue: unknown;
  // The exact fast reader for the common index, first without the weight map (made when asked for);
  // anything outside its subset takes the general path.
  const quick = readIndexDigest(src) ?? readIndexFast(src);
  if (quick !== null) {
    for (let i = 0; i < quick.shards.length; i++) {
      assertSafeShardName(quick.shards[i] as string, { file: ctx.file, model: ctx.model, tensor: quick.firstTensors[i] as string });
    }
    if ("digest" in quick) digest = quick.digest;
    else weightMap = quick.weightMap;
    shards = quick.shards;
    metadataValue = quick.hasMetadata ? quick.metadata : undefined;
  } else {
    const general = readIndexGeneral(bytes, src, ctx, sink, fatal);
    weightMap = general.weightMap;
    shards = general.shards;
    metadataValue = general.metadata;
  }
  const entries = digest !== null ? digest.entries : (weightMap as Map<string, string>).size;
  if (entries === 0) sink.add("error", "index_empty_weight_map", "weight_map is empty");

  let metadata: Record<string, unknown> = {};
  if (metadataValue !== undefined && metadataValue !== null) {
    if (isPlainObject(metadataValue)) metadata = metadataValue;
    else sink.add("warning", "index_metadata_not_object", `metadata is a JSON ${jsonType(metadataValue)}, not an object`);
  }

  let totalSize: number | null = null;
  if (!("total_size" in metadata)) {
    sink.add("warning", "index_total_size_missing", "metadata.total_size is missing", { key: "total_size" });
  } else {
    totalSize = readCount(metadata["total_size"], "total_size", sink);
    if (totalSize === 0 && entries > 0) {
      sink.add("warning", "index_total_size_zero", `metadata.total_size is 0 although weight_map lists ${entries} tensor(s)`, { key: "total_size" });
    }
  }
  const totalParameters = "total_parameters" in metadata ? readCount(metadata["total_parameters"], "total_parameters", sink) : null;

  if (/\.safetensors\.index\.json$/.test(ctx.file)) {
    const odd = shards.filter((s) => !s.endsWith(".safetensors"));
    if (odd.length > 0) {
      sink.add("warning", "index_shard_not_safetensors", `a safetensors index names ${odd.length} file(s) that are not .safetensors, e.g. ${JSON.stringify(odd[0])}`);
    }
  }
  for (const f of checkShardNames(shards)) sink.add(f.severity, f.code, f.message);

  const out = { file: ctx.file, weightMap, shards, totalSize, totalParameters, metadata, findings: sink.done() };
  if (digest === null) return out as SafetensorsIndex;
  // Kept until then: the bytes (outside the JS heap), not the decoded text.
  return withDigest(out, digest, () => {
    // the same subset as readIndexDigest, which found no repeated name: readIndexFast reads it
    const again = readIndexFast(decodeUtf8Strict(bytes) ?? "");
    if (again === null || again.weightMap.size !== entries) throw new Error(`${where(ctx)}: internal: the index read differently the second time`);
    return again.weightMap;
  });
}

/** The digest of an index read by readIndexDigest (not copied by a spread: a changed copy has none). */
const DIGEST = Symbol("standin.indexDigest");

/**
 * The index with its digest, and its weight map made on first use (a model whose headers match
 * their index never needs it: see validateIndexAgainstHeaders).
 */
function withDigest(out: Omit<SafetensorsIndex, "weightMap"> & { weightMap: unknown }, digest: IndexDigest, make: () => Map<string, string>): SafetensorsIndex {
  let made: Map<string, string> | null = null;
  Object.defineProperty(out, "weightMap", {
    enumerable: true,
    configurable: true,
    get: () => (made ??= make()),
    set: (v: Map<string, string>) => {
      made = v;
    },
  });
  Object.defineProperty(out, DIGEST, { value: digest, enumerable: false });
  return out as SafetensorsIndex;
}

/** The digest behind an index, or null (read by the general path, or a copy). */
export function indexDigest(index: SafetensorsIndex): IndexDigest | null {
  return ((index as unknown as Record<symbol, IndexDigest | undefined>)[DIGEST] ?? null);
}

/**
 * The general reader: JSON.parse, the duplicate-key proof (quickScan, or the full scanner, which
 * also sees the shard names of repeated entries), typed errors, duplicate findings.
 */
function readIndexGeneral(
  bytes: Uint8Array,
  src: string,
  ctx: IndexContext,
  sink: FindingSink,
  fatal: (code: string, msg: string, cause?: unknown) => never,
): { weightMap: Map<string, string>; shards: string[]; metadata: unknown } {
  // Every (tensor, shard) pair as written, duplicates included: JSON.parse keeps only the last
  // value of a repeated key, but a streaming reader (like the JS client's) sees them all, so every
  // shard name in the text is checked for safety.
  const rawShards = new Map<string, string>();
  const rawFirstTensor = new Map<string, string>();
  const shadowed = new Map<string, string[]>();
  const { value: root, error: parseError } = parseOrError(src);
  // The exact fast path when it proves there is no duplicate key; else the full scanner, which also
  // sees the shard names of duplicate entries (JSON.parse drops them, a streaming reader does not).
  const scan =
    (parseError === null ? quickScan(bytes, root, INDEX_MAX_DEPTH) : null) ??
    scanJson(bytes, {
      depthLimit: INDEX_MAX_DEPTH,
      trackKeys: (p) => p.length === 1 && p[0] === "weight_map",
      onStringValue: (p, tensor, shard) => {
        if (p.length !== 1) return;
        if (!rawFirstTensor.has(shard)) rawFirstTensor.set(shard, tensor);
        const before = rawShards.get(tensor);
        if (before !== undefined) {
          const list = shadowed.get(tensor);
          if (list) list.push(before);
          else shadowed.set(tensor, [before]);
        }
        rawShards.set(tensor, shard);
      },
    });
  if (scan.tooDeep) fatal("index_too_deep", `index JSON is nested deeper than ${INDEX_MAX_DEPTH} levels`);
  if (parseError !== null) {
    const err = parseError;
    fatal("index_not_json", `index is not valid JSON (${err instanceof Error ? err.message : String(err)})`, err);
  }
  if (!isPlainObject(root)) fatal("index_not_object", `index is a JSON ${jsonType(root)}, not an object`);
  const obj = root as Record<string, unknown>;

  const wm = obj["weight_map"];
  if (!isPlainObject(wm)) {
    fatal("index_bad_weight_map", `weight_map is ${wm === undefined ? "missing" : `a JSON ${jsonType(wm)}, not an object`}`);
  }
  for (const [shard, tensor] of rawFirstTensor) assertSafeShardName(shard, { file: ctx.file, model: ctx.model, tensor });
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  const seenShards = new Set<string>();
  const entries = wm as Record<string, unknown>;
  let lastShard: string | null = null;
  for (const tensor in entries) {
    const shard = entries[tensor];
    if (typeof shard !== "string") {
      fatal("index_bad_weight_map", `weight_map entry of tensor ${JSON.stringify(tensor)} is a JSON ${jsonType(shard)} (${preview(shard)}), not a file name`);
    }
    const s = shard as string;
    // consecutive entries mostly name the same shard: compare with the last one before hashing
    if (s !== lastShard && !seenShards.has(s)) {
      assertSafeShardName(s, { file: ctx.file, model: ctx.model, tensor });
      seenShards.add(s);
      shards.push(s);
    }
    lastShard = s;
    weightMap.set(tensor, s);
  }

  for (const d of scan.duplicates) {
    const earlier = shadowed.get(d.key) ?? [];
    sink.add(
      "warning",
      "index_duplicate_tensor",
      `tensor ${JSON.stringify(d.key)} is listed more than once in weight_map (${[...earlier, weightMap.get(d.key) ?? "?"].join(", ")}); the last entry is used`,
      { tensor: d.key },
    );
    shadowed.delete(d.key);
  }
  return { weightMap, shards, metadata: "metadata" in obj ? obj["metadata"] : undefined };
}

function readCount(v: unknown, key: "total_size" | "total_parameters", sink: FindingSink): number | null {
  let n: number;
  if (typeof v === "number") {
    n = v;
  } else if (typeof v === "string" && /^\d+$/.test(v.trim())) {
    n = Number(v.trim());
    sink.add("info", `index_${key}_not_number`, `metadata.${key} is the string ${JSON.stringify(v)}; read as ${n}`, { key });
  } else {
    sink.add("warning", `index_${key}_not_number`, `metadata.${key} is a JSON ${jsonType(v)} (${preview(v)}), not a number`, { key });
    return null;
  }
  if (!isSafeNonNegativeInteger(n)) {
    sink.add("warning", `index_${key}_invalid`, `metadata.${key} = ${preview(v)} is not a non-negative integer below 2^53`, { key });
    return null;
  }
  return n;
}

/**
 * Numbering checks over shard names that follow shardNamePattern: holes in 1..total, numbers out
 * of range, and mixed patterns. Names that do not follow the pattern at all (e.g. one tensor per
 * file) are not checked unless they sit next to names that do.
 */
export function checkShardNames(shards: readonly string[]): Finding[] {
  const groups = new Map<string, { prefix: string; sep: string; total: number; indices: Set<number> }>();
  const unmatched: string[] = [];
  const out: Finding[] = [];
  for (const s of shards) {
    const p = parseShardName(s);
    if (!p) {
      unmatched.push(s);
      continue;
    }
    const key = `${p.prefix}\u0000${p.separator}\u0000${p.total}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { prefix: p.prefix, sep: p.separator, total: p.total, indices: new Set() }));
    g.indices.add(p.index);
  }
  if (groups.size === 0) return out;
  if (groups.size > 1 || unmatched.length > 0) {
    const names = [...groups.values()].map((g) => `${g.prefix}${g.sep}NNNNN-of-${g.total}`);
    out.push({
      severity: "warning",
      code: "index_shard_pattern_mixed",
      message: `shard names follow ${groups.size} pattern(s) (${names.join(", ")})${unmatched.length > 0 ? ` and ${unmatched.length} name(s) follow none, e.g. ${JSON.stringify(unmatched[0])}` : ""}`,
    });
  }
  for (const g of groups.values()) {
    const label = `${g.prefix}${g.sep}*-of-${String(g.total).padStart(5, "0")}`;
    const out0 = [...g.indices].filter((i) => i < 1 || i > g.total).sort((a, b) => a - b);
    if (out0.length > 0) {
      out.push({
        severity: "warning",
        code: "index_shard_out_of_range",
        message: `${label}: shard number(s) ${out0.join(", ")} outside 1..${g.total}`,
      });
    }
    const missing: number[] = [];
    let missingCount = 0;
    // Bounded: a hostile total of 999999 with two shards must not build a huge list.
    for (let i = 1; i <= g.total; i++) {
      if (!g.indices.has(i)) {
        missingCount++;
        if (missing.length < 10) missing.push(i);
      }
    }
    if (missingCount > 0) {
      out.push({
        severity: "warning",
        code: "index_shard_set_incomplete",
        message: `${label}: ${missingCount} of ${g.total} shard(s) not named in weight_map (${missing.join(", ")}${missingCount > missing.length ? ", ..." : ""})`,
      });
    }
  }
  return out;
}

export interface ShardHeader {
  /** The shard's name as weight_map writes it. */
  file: string;
  /** As parseSafetensorsHeader returns them: a name appears at most once in one header. */
  tensors: TensorRecord[];
  /** Their names added up (parseSafetensorsHeader's `names`), when at hand. */
  names?: ShardDigest | null;
}

/**
 * Cross-check an index with the headers of its shards: every weight_map entry is in its shard and
 * every shard tensor is in weight_map, no tensor in two shards, shards listed vs read, and
 * total_size / total_parameters against the sums over the headers (both numbers reported).
 * The totals are only compared when every listed shard was read.
 */
export function validateIndexAgainstHeaders(index: SafetensorsIndex, headers: readonly ShardHeader[], opts: { maxFindingsPerCode?: number } = {}): Finding[] {
  const sink = new FindingSink(index.file, opts.maxFindingsPerCode);
  const listed = new Set(index.shards);
  /** Files whose header was read. */
  const read = new Set<string>();
  /** tensor -> the file holding it, or the files when more than one does (rare: an error). */
  const holders = new Map<string, string | string[]>();
  // Sums in plain numbers while exact, in BigInt past 2^53 (allocation-free in the common case).
  let bytesN = 0;
  let bytesBig = 0n;
  let elementsN = 0;
  let elementsBig = 0n;
  let elementsKnown = true;
  let bytesKnown = true;
  const byElements = new Map<bigint, string>();
  const seenElements = new Set<number>();

  for (const h of headers) {
    read.add(h.file);
    if (!listed.has(h.file)) {
      sink.add("warning", "index_shard_not_listed", `shard ${JSON.stringify(h.file)} was read but weight_map names no tensor in it`, { file: h.file });
    }
    for (const t of h.tensors) {
      if (isSafeNonNegativeInteger(t.begin) && isSafeNonNegativeInteger(t.end) && t.end >= t.begin) {
        const x = t.end - t.begin;
        if (bytesN + x > Number.MAX_SAFE_INTEGER) {
          bytesBig += BigInt(bytesN);
          bytesN = 0;
        }
        bytesN += x;
      } else bytesKnown = false;
      const n = tensorElementsNumber(t.shape);
      if (n !== null) {
        if (elementsN + n > Number.MAX_SAFE_INTEGER) {
          elementsBig += BigInt(elementsN);
          elementsN = 0;
        }
        elementsN += n;
        if (n > 0 && !seenElements.has(n)) {
          seenElements.add(n);
          const e = BigInt(n);
          if (!byElements.has(e)) byElements.set(e, t.name);
        }
        continue;
      }
      const e = tensorElements(t.shape);
      if (e === null) elementsKnown = false;
      else {
        elementsBig += e;
        if (e > 0n && !byElements.has(e)) byElements.set(e, t.name);
      }
    }
  }
  const notRead = index.shards.filter((s) => !read.has(s));
  // Nothing to report tensor by tensor when every read shard holds exactly the names weight_map
  // puts in it: from the index's digest when it has one (equal sets of names always give equal
  // digests), else from the weight map.
  const digest = indexDigest(index);
  const clean = digest !== null && read.size === headers.length ? headersMatchDigest(digest, headers) : matchesWeightMap(index, headers, read, notRead);
  const bytes = bytesBig + BigInt(bytesN);
  const elements = elementsBig + BigInt(elementsN);

  for (const s of notRead) {
    sink.add("warning", "index_shard_not_read", `shard ${JSON.stringify(s)} is named in weight_map but its header was not read`, { file: s });
  }

  if (!clean) {
    for (const h of headers) {
      for (const t of h.tensors) {
        const files = holders.get(t.name);
        if (files === undefined) holders.set(t.name, h.file);
        else if (typeof files === "string") holders.set(t.name, [files, h.file]);
        else files.push(h.file);
      }
    }
    const holding = (tensor: string): string[] | undefined => {
      const f = holders.get(tensor);
      return f === undefined ? undefined : typeof f === "string" ? [f] : f;
    };
    for (const [tensor, files] of holders) {
      if (typeof files !== "string" && files.length > 1) {
        sink.add("error", "index_tensor_in_multiple_shards", `tensor ${JSON.stringify(tensor)} is in ${files.length} shards: ${files.join(", ")}`, { tensor });
      }
    }

    for (const [tensor, shard] of index.weightMap) {
      if (!read.has(shard)) continue;
      const f = holders.get(tensor);
      if (f === shard || (f !== undefined && typeof f !== "string" && f.includes(shard))) continue;
      const elsewhere = holding(tensor);
      if (elsewhere) {
        sink.add("error", "index_tensor_wrong_shard", `weight_map puts tensor ${JSON.stringify(tensor)} in ${shard} but it is in ${elsewhere.join(", ")}`, {
          tensor,
          file: shard,
        });
      } else {
        sink.add("error", "index_tensor_missing", `weight_map puts tensor ${JSON.stringify(tensor)} in ${shard} but that shard does not hold it`, { tensor, file: shard });
      }
    }
    for (const [tensor, f] of holders) {
      if (!index.weightMap.has(tensor)) {
        const files = typeof f === "string" ? [f] : f;
        sink.add("warning", "index_tensor_unlisted", `tensor ${JSON.stringify(tensor)} in ${files.join(", ")} is not listed in weight_map`, { tensor, file: files[0] });
      }
    }
  }

  if (notRead.length === 0) {
    if (index.totalSize !== null && bytesKnown && BigInt(index.totalSize) !== bytes) {
      const diff = BigInt(index.totalSize) - bytes;
      sink.add(
        "warning",
        "index_total_size_mismatch",
        `metadata.total_size is ${index.totalSize} but the tensors of the ${read.size} shard header(s) hold ${bytes} bytes (difference ${diff})`,
        { key: "total_size" },
      );
    }
    if (index.totalParameters !== null && elementsKnown && BigInt(index.totalParameters) !== elements) {
      const diff = BigInt(index.totalParameters) - elements;
      const abs = diff < 0n ? -diff : diff;
      const same = byElements.get(abs);
      sink.add(
        "warning",
        "index_total_parameters_mismatch",
        `metadata.total_parameters is ${index.totalParameters} but the shard headers hold ${elements} elements (difference ${diff}${
          same !== undefined ? `, the element count of ${JSON.stringify(same)}` : ""
        })`,
        { key: "total_parameters" },
      );
    }
  }
  return sink.done();
}

/** Whether each header holds the very names the digest's entries for its file add up to. */
function headersMatchDigest(digest: IndexDigest, headers: readonly ShardHeader[]): boolean {
  const none = emptyDigest();
  for (const h of headers) {
    if (!sameDigest(h.names ?? namesDigest(h.tensors), digest.shards.get(h.file) ?? none)) return false;
  }
  return true;
}

/**
 * Exact, with the weight map: every header tensor is where weight_map says, and as many weight_map
 * entries name a read shard (a name in two shards, or listed elsewhere, or missing, or unlisted,
 * makes one of the counts differ). A name appears at most once per header, so each match is a
 * distinct weight_map entry.
 */
function matchesWeightMap(index: SafetensorsIndex, headers: readonly ShardHeader[], read: ReadonlySet<string>, notRead: readonly string[]): boolean {
  const weightMap = index.weightMap;
  let matched = 0;
  let total = 0;
  for (const h of headers) {
    total += h.tensors.length;
    for (const t of h.tensors) if (weightMap.get(t.name) === h.file) matched++;
  }
  if (matched !== total) return false;
  let entriesInRead = 0;
  if (notRead.length === 0) entriesInRead = weightMap.size;
  else for (const shard of weightMap.values()) if (read.has(shard)) entriesInRead++;
  return entriesInRead === total;
}

/**
 * Self-consistency of the index totals for a model stored in one dtype (e.g. BF16 from
 * config.json `torch_dtype`): total_size should be total_parameters * bits / 8. Returns [] when a
 * total is missing or the dtype unknown. Mixed-dtype checkpoints (quantized, fp32 norms) legitimately
 * fail this, so the finding is a warning.
 */
export function checkIndexTotals(index: SafetensorsIndex, dtype: string): Finding[] {
  const bits = dtypeBits(dtype);
  if (bits === null || index.totalSize === null || index.totalParameters === null) return [];
  const expectedBits = BigInt(index.totalParameters) * BigInt(bits);
  const sizeBits = BigInt(index.totalSize) * 8n;
  if (expectedBits === sizeBits) return [];
  const paramsFromSize = sizeBits / BigInt(bits);
  const exact = sizeBits % BigInt(bits) === 0n;
  const diff = BigInt(index.totalParameters) - paramsFromSize;
  return [
    {
      severity: "warning",
      code: "index_totals_inconsistent",
      message: `metadata.total_parameters is ${index.totalParameters} but total_size ${index.totalSize} / ${bits / 8} bytes per ${dtype} element = ${paramsFromSize}${
        exact ? "" : " (not exact)"
      }; difference ${diff}`,
      file: index.file,
      key: "total_parameters",
    },
  ];
}

/**
 * Compare total_size with the shard file sizes (e.g. from the repo tree): each shard is
 * 8 + N + its tensor bytes, so sum(sizes) - 8*shards - total_size is the total header bytes and
 * must be >= 0, and at most `maxHeaderBytes` per shard.
 */
export function checkIndexAgainstFileSizes(
  index: SafetensorsIndex,
  sizes: ReadonlyMap<string, number>,
  opts: { maxHeaderBytes?: number } = {},
): Finding[] {
  const out: Finding[] = [];
  if (index.totalSize === null || index.shards.length === 0) return out;
  const unknown = index.shards.filter((s) => !sizes.has(s));
  if (unknown.length > 0) {
    out.push({
      severity: "info",
      code: "index_shard_size_unknown",
      message: `no file size for ${unknown.length} of ${index.shards.length} shard(s), e.g. ${JSON.stringify(unknown[0])}; total_size not checked against file sizes`,
      file: index.file,
    });
    return out;
  }
  let sum = 0n;
  for (const s of index.shards) sum += BigInt(sizes.get(s) ?? 0);
  const n = BigInt(index.shards.length);
  const headerBytes = sum - 8n * n - BigInt(index.totalSize);
  const cap = BigInt(opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES);
  if (headerBytes < 0n) {
    out.push({
      severity: "error",
      code: "index_total_size_exceeds_files",
      message: `metadata.total_size ${index.totalSize} + 8 bytes per shard exceeds the ${index.shards.length} shard file(s) (${sum} bytes) by ${-headerBytes}`,
      file: index.file,
      key: "total_size",
    });
  } else if (headerBytes > cap * n) {
    out.push({
      severity: "warning",
      code: "index_total_size_too_small",
      message: `metadata.total_size ${index.totalSize} leaves ${headerBytes} bytes of the ${index.shards.length} shard file(s) (${sum} bytes) for headers, more than ${cap} per shard`,
      file: index.file,
      key: "total_size",
    });
  }
  return out;
}
