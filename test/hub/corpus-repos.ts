/**
 * Realistic repos for the local Hub, built from the shared zoo corpus (../shared/zoo-corpus):
 * the real config.json, the real weight map (model.safetensors.index.json, written verbatim) and the
 * exact upstream shard sizes (lfs_pointer_sizes.tsv, else model_files.json). Every tensor's shape and
 * dtype is inferred from its real name (synth.ts), each shard gets its tensors in weight_map order and
 * its exact upstream byte size (header space-padded so that 8 + N + data == size), data sparse.
 *
 * Also buildSyntheticRepo(): a single-file or sharded repo from synthesizeTensors(config).
 *
 * Deliberately independent of vitest (benchmarks and the offline demo import it).
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  encodeSafetensorsHeader,
  headerJson,
  tensorBytes,
  type CommitBuilder,
  type RepoOptions,
  type RepoStore,
  type SafetensorsWriteResult,
  type TensorDesc,
} from "./repo-store.js";
import { inferTensor, sortLikeSafetensors, synthesizeTensors, countParameters, type Config, type TensorSpec } from "./synth.js";

export const CORPUS_DIR =
  process.env.STANDIN_CORPUS ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../shared/zoo-corpus");

export interface ShardReport {
  file: string;
  /** File size on the served repo. */
  size: number;
  /** Upstream size when known (equal to size when exact). */
  upstreamSize: number | null;
  headerLength: number;
  jsonLength: number;
  dataBytes: number;
  tensorCount: number;
}

export interface CorpusRepoResult {
  repoId: string;
  folder: string;
  sha: string;
  /** Where the weight map came from. */
  source: "safetensors-index" | "bin-index" | "synthesized";
  indexFile: string | null;
  shards: ShardReport[];
  /** Sum of tensor bytes (== index metadata.total_size when the check applies). */
  totalSize: number;
  /** Sum of shard file sizes. */
  fileBytes: number;
  tensorCount: number;
  parameters: { byDtype: Record<string, number>; total: number };
  /** Every shard has its exact upstream size. */
  exactSizes: boolean;
  notes: string[];
}

export interface CorpusBuildOptions {
  /** Repo id on the local Hub (default: folder with "__" -> "/"). */
  repoId?: string;
  corpusDir?: string;
  /** repo.json options (gated, private, authorized...). */
  repo?: RepoOptions;
  /** Ref to move (default "main"). */
  ref?: string;
  message?: string;
  /** Tensor order inside a shard: "weight_map" (default) or "safetensors" (dtype then name, like the reference writer). */
  order?: "weight_map" | "safetensors";
  /** `__metadata__` of each shard (default {format:"pt"}; dropped automatically when it does not fit). */
  metadata?: Record<string, string> | null;
  /**
   * Also write the tsv's other LFS files (consolidated.safetensors gets a real Mistral-native header;
   * anything else, e.g. a .gguf or .bin, becomes a zero-filled sparse file of the exact size). Default false.
   */
  extras?: boolean;
  /** README.md text (default: a small model card; false for none). */
  readme?: string | false;
  /** Max header padding beyond the JSON before the build is considered wrong (default 256 KiB). */
  maxPadding?: number;
}

export class CorpusBuildError extends Error {
  constructor(folder: string, message: string) {
    super(`corpus repo ${folder}: ${message}`);
    this.name = "CorpusBuildError";
  }
}

// ---------------------------------------------------------------------------------------------
// corpus readers

export function corpusFile(folder: string, file: string, corpusDir = CORPUS_DIR): string {
  return path.join(corpusDir, folder, file);
}

/** Exact upstream sizes from lfs_pointer_sizes.tsv (file -> bytes). */
export function readShardSizes(folder: string, corpusDir = CORPUS_DIR): Map<string, number> {
  const out = new Map<string, number>();
  const p = corpusFile(folder, "lfs_pointer_sizes.tsv", corpusDir);
  if (existsSync(p)) {
    for (const line of readFileSync(p, "utf8").split("\n")) {
      if (!line || line.startsWith("#")) continue;
      const [file, size] = line.split("\t");
      if (file && size && /^\d+$/.test(size)) out.set(file, Number(size));
    }
  }
  return out;
}

/** File sizes listed in model_files.json (a scraped listing), when present. */
export function readListedSizes(folder: string, corpusDir = CORPUS_DIR): Map<string, number> {
  const out = new Map<string, number>();
  const p = corpusFile(folder, "model_files.json", corpusDir);
  if (!existsSync(p)) return out;
  try {
    const j = JSON.parse(readFileSync(p, "utf8")) as { model_files?: { name?: string; size?: number }[] };
    for (const f of j.model_files ?? []) if (f.name && typeof f.size === "number") out.set(f.name, f.size);
  } catch {
    /* ignore */
  }
  return out;
}

/** Corpus folders that have a config.json and a weight map or exact shard sizes (candidates for buildCorpusRepo). */
export function corpusRepoFolders(corpusDir = CORPUS_DIR): string[] {
  if (!existsSync(corpusDir)) return [];
  return readdirSync(corpusDir)
    .filter((d) => !d.startsWith("_") && existsSync(path.join(corpusDir, d, "config.json")))
    .filter((d) =>
      ["model.safetensors.index.json", "pytorch_model.bin.index.json", "lfs_pointer_sizes.tsv"].some((f) =>
        existsSync(path.join(corpusDir, d, f)),
      ),
    )
    .sort();
}

interface IndexJson {
  metadata?: { total_size?: number; total_parameters?: number } & Record<string, unknown>;
  weight_map: Record<string, string>;
}

// ---------------------------------------------------------------------------------------------
// shard writing

interface PlannedShard {
  file: string;
  tensors: TensorSpec[];
  /** Exact size to hit, or undefined for natural size (header padded to 8). */
  size?: number;
  /** Upstream size when known but not kept (inexact packing). */
  upstream?: number;
}

/** Write one shard, trying weight_map order, then reference order, then no metadata, to fit an exact size. */
function writeShard(
  c: CommitBuilder,
  folder: string,
  shard: PlannedShard,
  opts: CorpusBuildOptions,
  notes: string[],
): ShardReport {
  const metadata = opts.metadata === undefined ? { format: "pt" } : opts.metadata;
  let sorted: TensorSpec[] | null = null;
  const ordered = (i: number) => (opts.order === "safetensors" || i === 1 ? (sorted ??= sortLikeSafetensors(shard.tensors)) : shard.tensors);
  const orderCount = opts.order === "safetensors" ? 1 : 2;
  const attempts: { order: number; metadata: Record<string, string> | null }[] = [];
  for (const md of metadata ? [metadata, null] : [null]) for (let o = 0; o < orderCount; o++) attempts.push({ order: o, metadata: md });
  const report = (r: SafetensorsWriteResult, upstream: number | null): ShardReport => ({
    file: shard.file,
    size: r.fileSize,
    upstreamSize: upstream,
    headerLength: r.headerLength,
    jsonLength: r.jsonLength,
    dataBytes: r.dataBytes,
    tensorCount: r.tensors.length,
  });
  if (shard.size !== undefined) {
    const dataBytes = shard.tensors.reduce((a, t) => a + tensorBytes(t), 0);
    const room = shard.size - 8 - dataBytes;
    if (room <= 0) {
      throw new CorpusBuildError(
        folder,
        `${shard.file}: the inferred tensors need ${dataBytes} data bytes but the upstream file is ${shard.size} bytes (shape/dtype inference is wrong)`,
      );
    }
    let minJson = Infinity;
    for (const [i, a] of attempts.entries()) {
      const enc = encodeSafetensorsHeader(ordered(a.order), { metadata: a.metadata });
      minJson = Math.min(minJson, enc.jsonLength);
      if (enc.jsonLength > room) continue;
      if (opts.maxPadding !== Infinity && room - enc.jsonLength > (opts.maxPadding ?? 256 * 1024)) {
        throw new CorpusBuildError(
          folder,
          `${shard.file}: ${room - enc.jsonLength} bytes of header padding (JSON ${enc.jsonLength}, room ${room}): the inferred shapes do not add up to the upstream size`,
        );
      }
      if (i > 0)
        notes.push(
          `${shard.file}: header written ${a.metadata ? "" : "without __metadata__ "}in ${a.order === 0 && opts.order !== "safetensors" ? "weight_map" : "reference (dtype, name)"} order to fit the upstream size`,
        );
      const exact = encodeSafetensorsHeader(ordered(a.order), { metadata: a.metadata, fileSize: shard.size });
      return report(c.writeEncodedSafetensors(shard.file, exact), shard.size);
    }
    throw new CorpusBuildError(
      folder,
      `${shard.file}: header JSON needs ${minJson} bytes but only ${room} fit in the upstream size ${shard.size}`,
    );
  }
  const a = attempts[0]!;
  return report(c.writeEncodedSafetensors(shard.file, encodeSafetensorsHeader(ordered(a.order), { metadata: a.metadata })), shard.upstream ?? null);
}

function defaultReadme(repoId: string, config: Config): string {
  const arch = (config.architectures as string[] | undefined)?.[0];
  return [
    "---",
    "library_name: transformers",
    "pipeline_tag: text-generation",
    "tags:",
    "- standin-test-fixture",
    "---",
    "",
    `# ${repoId}`,
    "",
    `Local test fixture: real config and weight map${arch ? ` of a ${arch}` : ""}, sparse (all-zero) weights.`,
    "",
  ].join("\n");
}

function binToSafetensorsName(file: string): string {
  return file.replace(/^pytorch_model/, "model").replace(/\.bin$/, ".safetensors");
}

// ---------------------------------------------------------------------------------------------
// packing tensors into shards of exact sizes (when no weight map exists)

/** Length of one header entry `"name":{...},` (with its trailing comma). */
function entryLength(t: TensorSpec, begin: number, end: number): number {
  return (
    Buffer.byteLength(JSON.stringify(t.name)) +
    `:{"dtype":"${t.dtype}","shape":${JSON.stringify(t.shape)},"data_offsets":[${begin},${end}]},`.length
  );
}

/**
 * Distribute tensors (in module order) over shards of known upstream sizes, sequentially: each shard
 * takes the next tensors while they fit exactly (headers in module order and without __metadata__,
 * like the real DeepSeek-R1 shards). When the next tensor misses by a few bytes of header, equal-size
 * tensors with shorter names are swapped in from further on (e.g. an `up_proj` for a `gate_proj`) to
 * make room. A shard keeps its exact upstream size when at most `tolerance` bytes of header padding
 * are left; otherwise (the real checkpoint orders that stretch differently) it gets its natural size.
 * The last shard takes the rest.
 */
export function packIntoShards(
  tensors: readonly TensorSpec[],
  targets: readonly { file: string; size: number }[],
  metadata: Record<string, string> | null,
  tolerance = 4096,
): PlannedShard[] {
  const seq = [...tensors];
  const bytesOf = (t: TensorSpec) => tensorBytes(t);
  const shapeStr = (t: TensorSpec) => JSON.stringify(t.shape);
  const mdLen = metadata ? `"__metadata__":${JSON.stringify(metadata)},`.length : 0;
  const out: PlannedShard[] = [];
  let next = 0;
  for (const [si, target] of targets.entries()) {
    const start = next;
    if (si === targets.length - 1) next = seq.length;
    else {
      // exact incremental header length: "{" + md + entries joined by "," + "}"
      let data = 0;
      let json = 2 + mdLen; // braces (+ metadata with its comma)
      const fits = (t: TensorSpec, extra = 0) => {
        const b = bytesOf(t);
        const e = entryLength(t, data, data + b) - 1 + (next > start ? 1 : 0); // comma before all but the first
        return 8 + json + e - extra + data + b <= target.size ? e : -1;
      };
      for (;;) {
        if (next >= seq.length) break;
        const t = seq[next]!;
        let e = fits(t);
        if (e < 0) {
          // try to make room by swapping in equal-size tensors with shorter names from further on
          const b = bytesOf(t);
          const need = 8 + json + (entryLength(t, data, data + b) - 1 + (next > start ? 1 : 0)) + data + b - target.size;
          if (need > 0 && need <= 1024 && next > start) {
            const swaps: [number, number, number][] = [];
            let saved = 0;
            const used = new Set<number>();
            for (let i = next - 1; i >= start && saved < need; i--) {
              const ti = seq[i]!;
              const bi = bytesOf(ti);
              const si2 = shapeStr(ti);
              for (let j = next + 1; j < Math.min(seq.length, next + 4000); j++) {
                if (used.has(j)) continue;
                const tj = seq[j]!;
                const gain = Buffer.byteLength(JSON.stringify(ti.name)) - Buffer.byteLength(JSON.stringify(tj.name));
                if (gain > 0 && tj.dtype === ti.dtype && bytesOf(tj) === bi && shapeStr(tj).length === si2.length) {
                  swaps.push([i, j, gain]);
                  used.add(j);
                  saved += gain;
                  break;
                }
              }
            }
            if (saved >= need) {
              for (const [i, j, gain] of swaps) {
                [seq[i], seq[j]] = [seq[j]!, seq[i]!];
                json -= gain;
              }
              e = fits(t);
            }
          }
          if (e < 0) break;
        }
        json += e;
        data += bytesOf(t);
        next++;
      }
      // always make progress, even when one tensor is larger than the target
      if (next === start && next < seq.length) next++;
    }
    const list = seq.slice(start, next);
    const data = list.reduce((a, t) => a + tensorBytes(t), 0);
    const gap = target.size - 8 - data - Buffer.byteLength(headerJson(list, metadata).json);
    const exact = gap >= 0 && gap <= tolerance;
    out.push({ file: target.file, tensors: list, size: exact ? target.size : undefined, upstream: target.size });
    if (next >= seq.length) break; // fewer tensors than shards: the remaining shards are not written
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// buildCorpusRepo

/**
 * Build a repo from a corpus folder (e.g. "mistralai__Mistral-7B-Instruct-v0.3").
 * Throws CorpusBuildError with the reason when a shape cannot be inferred or sizes do not add up.
 */
export function buildCorpusRepo(store: RepoStore, folder: string, opts: CorpusBuildOptions = {}): CorpusRepoResult {
  const dir = opts.corpusDir ?? CORPUS_DIR;
  const cfgPath = corpusFile(folder, "config.json", dir);
  if (!existsSync(cfgPath)) throw new CorpusBuildError(folder, `no config.json in ${path.join(dir, folder)}`);
  const configText = readFileSync(cfgPath);
  let config: Config;
  try {
    config = JSON.parse(configText.toString("utf8")) as Config;
  } catch (e) {
    throw new CorpusBuildError(folder, `config.json is not valid JSON (${(e as Error).message})`);
  }
  const repoId = opts.repoId ?? folder.replace("__", "/");
  const notes: string[] = [];
  const tsv = readShardSizes(folder, dir);
  const listed = readListedSizes(folder, dir);
  const sizeOf = (file: string): number | undefined => tsv.get(file) ?? listed.get(file);

  const stIndexPath = corpusFile(folder, "model.safetensors.index.json", dir);
  const binIndexPath = corpusFile(folder, "pytorch_model.bin.index.json", dir);
  let source: CorpusRepoResult["source"];
  let weightMap: Record<string, string>;
  let indexMeta: IndexJson["metadata"] = {};
  let indexVerbatim: Buffer | null = null;
  let planned: PlannedShard[];

  const infer = (names: string[]): TensorSpec[] => {
    const set = new Set(names);
    const out: TensorSpec[] = [];
    const failed: string[] = [];
    for (const name of names) {
      const t = inferTensor(name, config, { names: set });
      if (t) out.push(t);
      else failed.push(name);
    }
    if (failed.length) {
      throw new CorpusBuildError(
        folder,
        `cannot infer the shape of ${failed.length} tensor(s) for model_type ${JSON.stringify(config.model_type)}: ${failed.slice(0, 5).join(", ")}${failed.length > 5 ? ", ..." : ""}`,
      );
    }
    return out;
  };

  if (existsSync(stIndexPath) || existsSync(binIndexPath)) {
    const bin = !existsSync(stIndexPath);
    const raw = readFileSync(bin ? binIndexPath : stIndexPath);
    const idx = JSON.parse(raw.toString("utf8")) as IndexJson;
    if (!idx.weight_map || typeof idx.weight_map !== "object") throw new CorpusBuildError(folder, "index has no weight_map");
    source = bin ? "bin-index" : "safetensors-index";
    indexMeta = idx.metadata ?? {};
    weightMap = {};
    for (const [k, v] of Object.entries(idx.weight_map)) weightMap[k] = bin ? binToSafetensorsName(v) : v;
    if (bin) notes.push("only a pytorch .bin index upstream: built safetensors equivalents (model-XXXXX-of-YYYYY.safetensors) with natural sizes");
    else indexVerbatim = raw;
    const tensors = infer(Object.keys(weightMap));
    const byShard = new Map<string, TensorSpec[]>();
    for (const t of tensors) {
      const f = weightMap[t.name]!;
      if (!byShard.has(f)) byShard.set(f, []);
      byShard.get(f)!.push(t);
    }
    planned = [...byShard.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([file, ts]) => ({ file, tensors: ts, size: bin ? undefined : sizeOf(file) }));
    const missing = planned.filter((p) => p.size === undefined).length;
    if (!bin && missing) notes.push(`${missing}/${planned.length} shard size(s) unknown upstream: natural sizes used`);
  } else {
    // No weight map: synthesize it from the config and distribute over the upstream shard sizes.
    const targets = [...tsv.entries()]
      .filter(([f]) => /\.safetensors$/.test(f) && !/^consolidated/.test(f))
      .map(([file, size]) => ({ file, size }))
      .sort((a, b) => (a.file < b.file ? -1 : 1));
    if (!targets.length) throw new CorpusBuildError(folder, "no weight map and no safetensors shard sizes");
    let tensors: TensorSpec[];
    try {
      tensors = synthesizeTensors(config);
    } catch (e) {
      throw new CorpusBuildError(folder, `no weight map, and the config cannot be synthesized: ${(e as Error).message}`);
    }
    source = "synthesized";
    notes.push(`no weight map upstream: synthesized ${tensors.length} tensors from config.json and packed them into ${targets.length} shard(s) of the exact upstream sizes`);
    // Real multi-shard checkpoints without an index here (DeepSeek-R1) carry no __metadata__ and keep module order.
    const metadata = opts.metadata === undefined ? (targets.length === 1 ? { format: "pt" } : null) : opts.metadata;
    opts = { ...opts, metadata };
    planned = targets.length === 1 ? [{ file: targets[0]!.file, tensors, size: targets[0]!.size }] : packIntoShards(tensors, targets, metadata);
    weightMap = {};
    for (const p of planned) for (const t of p.tensors) weightMap[t.name] = p.file;
  }

  // Self-check: total tensor bytes vs the index.
  const allTensors = planned.flatMap((p) => p.tensors);
  const totalSize = allTensors.reduce((a, t) => a + tensorBytes(t), 0);
  const declared = typeof indexMeta?.total_size === "number" ? indexMeta.total_size : undefined;
  if (declared !== undefined && declared > 0 && declared !== totalSize) {
    throw new CorpusBuildError(
      folder,
      `inferred tensors add up to ${totalSize} bytes but the index says metadata.total_size = ${declared} (difference ${totalSize - declared})`,
    );
  }
  if (declared === 0) notes.push("index metadata.total_size is 0 upstream: checked against the shard sizes only");

  const repo = store.repo(repoId, opts.repo);
  const c = repo.commit({ message: opts.message ?? `Upload ${repoId} (standin corpus fixture)` });
  try {
    c.writeFile("config.json", configText);
    for (const [src, dst] of [
      ["params.json", "params.json"],
      ["generation_config.json", "generation_config.json"],
      ["original__config.json", "original/config.json"],
      ["original__dtypes.json", "original/dtypes.json"],
    ] as const) {
      const p = corpusFile(folder, src, dir);
      if (existsSync(p)) c.copyFrom(dst, p);
    }
    if (opts.readme !== false) c.writeFile("README.md", opts.readme ?? defaultReadme(repoId, config));
    const shards: ShardReport[] = [];
    for (const p of planned) shards.push(writeShard(c, folder, p, opts, notes));
    const multi = planned.length > 1 || source !== "synthesized";
    let indexFile: string | null = null;
    if (multi) {
      indexFile = "model.safetensors.index.json";
      if (indexVerbatim) c.writeFile(indexFile, indexVerbatim);
      else {
        const sorted: Record<string, string> = {};
        for (const k of Object.keys(weightMap).sort()) sorted[k] = weightMap[k]!;
        c.writeIndex(indexFile, sorted, { totalSize });
      }
    }
    if (opts.extras) writeExtras(c, folder, config, tsv, new Set(planned.map((p) => p.file)), notes);
    const sha = c.finish({ ref: opts.ref ?? "main" });
    const exactSizes = shards.every((s) => s.upstreamSize !== null && s.size === s.upstreamSize);
    const withUpstream = shards.filter((s) => s.upstreamSize !== null);
    const inexact = withUpstream.filter((s) => s.size !== s.upstreamSize);
    if (inexact.length)
      notes.push(
        `${withUpstream.length - inexact.length}/${withUpstream.length} shards have their exact upstream size; natural size for ${inexact.map((s) => s.file).join(", ")}`,
      );
    return {
      repoId,
      folder,
      sha,
      source,
      indexFile,
      shards,
      totalSize,
      fileBytes: shards.reduce((a, s) => a + s.size, 0),
      tensorCount: allTensors.length,
      parameters: countParameters(allTensors),
      exactSizes,
      notes,
    };
  } catch (e) {
    c.abort();
    throw e;
  }
}

/** Mistral-native names of consolidated.safetensors (tok_embeddings, layers.N.attention.wq, ...). */
function mistralNativeTensors(config: Config): TensorDesc[] {
  const hf = synthesizeTensors(config);
  const map: [RegExp, string][] = [
    [/^model\.embed_tokens\.weight$/, "tok_embeddings.weight"],
    [/^model\.norm\.weight$/, "norm.weight"],
    [/^lm_head\.weight$/, "output.weight"],
    [/^model\.layers\.(\d+)\.self_attn\.q_proj\.weight$/, "layers.$1.attention.wq.weight"],
    [/^model\.layers\.(\d+)\.self_attn\.k_proj\.weight$/, "layers.$1.attention.wk.weight"],
    [/^model\.layers\.(\d+)\.self_attn\.v_proj\.weight$/, "layers.$1.attention.wv.weight"],
    [/^model\.layers\.(\d+)\.self_attn\.o_proj\.weight$/, "layers.$1.attention.wo.weight"],
    [/^model\.layers\.(\d+)\.mlp\.gate_proj\.weight$/, "layers.$1.feed_forward.w1.weight"],
    [/^model\.layers\.(\d+)\.mlp\.down_proj\.weight$/, "layers.$1.feed_forward.w2.weight"],
    [/^model\.layers\.(\d+)\.mlp\.up_proj\.weight$/, "layers.$1.feed_forward.w3.weight"],
    [/^model\.layers\.(\d+)\.input_layernorm\.weight$/, "layers.$1.attention_norm.weight"],
    [/^model\.layers\.(\d+)\.post_attention_layernorm\.weight$/, "layers.$1.ffn_norm.weight"],
  ];
  return hf.map((t) => {
    for (const [re, to] of map) if (re.test(t.name)) return { ...t, name: t.name.replace(re, to) };
    return t;
  });
}

function writeExtras(c: CommitBuilder, folder: string, config: Config, tsv: Map<string, number>, done: Set<string>, notes: string[]): void {
  for (const [file, size] of tsv) {
    if (done.has(file) || file.includes("..")) continue;
    if (/^consolidated.*\.safetensors$/.test(file) && /^(mistral|llama)$/.test(String(config.model_type))) {
      const tensors = sortLikeSafetensors(mistralNativeTensors(config));
      for (const md of [{ format: "pt" }, null]) {
        const room = size - 8 - tensors.reduce((a, t) => a + tensorBytes(t), 0);
        if (Buffer.byteLength(headerJson(tensors, md).json) <= room) {
          c.writeSafetensors(file, tensors, { metadata: md, fileSize: size });
          notes.push(`${file}: Mistral-native names, exact upstream size`);
          break;
        }
      }
      if (c.has(file)) continue;
    }
    c.writeSparse(file, new Uint8Array(0), size);
    notes.push(`${file}: zero-filled sparse placeholder of the exact upstream size (${size} bytes)`);
  }
}

// ---------------------------------------------------------------------------------------------
// buildSyntheticRepo

export interface SyntheticRepoOptions {
  /** Base dtype (default from the config, else BF16). */
  dtype?: string;
  /** Number of shards (default 1 = model.safetensors, unless maxShardBytes splits it). */
  shards?: number;
  /** Split into shards of at most this many data bytes (like save_pretrained's max_shard_size). */
  maxShardBytes?: number;
  repo?: RepoOptions;
  ref?: string;
  message?: string;
  readme?: string | false;
  metadata?: Record<string, string> | null;
  /** Write metadata.total_parameters in the index (and __metadata__.total_parameters for a single file). */
  totalParameters?: boolean;
  /** Extra files to add (path -> content). */
  files?: Record<string, string | Uint8Array>;
  /** Tensors to use instead of synthesizeTensors(config). */
  tensors?: TensorSpec[];
  /** Use synthesizeTensors' gpt2 prefix. */
  gpt2Prefix?: string;
}

export interface SyntheticRepoResult {
  repoId: string;
  sha: string;
  files: string[];
  shards: ShardReport[];
  tensors: TensorSpec[];
  totalSize: number;
  parameters: { byDtype: Record<string, number>; total: number };
  indexFile: string | null;
}

export function buildSyntheticRepo(store: RepoStore, repoId: string, config: Config, opts: SyntheticRepoOptions = {}): SyntheticRepoResult {
  const tensors = opts.tensors ?? synthesizeTensors(config, { dtype: opts.dtype, gpt2Prefix: opts.gpt2Prefix });
  const totalSize = tensors.reduce((a, t) => a + tensorBytes(t), 0);
  const params = countParameters(tensors);
  let groups: TensorSpec[][];
  if (opts.maxShardBytes) {
    groups = [[]];
    let cur = 0;
    for (const t of tensors) {
      const b = tensorBytes(t);
      if (cur > 0 && cur + b > opts.maxShardBytes) {
        groups.push([]);
        cur = 0;
      }
      groups[groups.length - 1]!.push(t);
      cur += b;
    }
  } else {
    const k = Math.max(1, Math.min(opts.shards ?? 1, tensors.length));
    const per = totalSize / k;
    groups = Array.from({ length: k }, () => [] as TensorSpec[]);
    let acc = 0;
    for (const t of tensors) {
      const g = Math.min(k - 1, Math.floor(acc / per));
      groups[g]!.push(t);
      acc += tensorBytes(t);
    }
    groups = groups.filter((g) => g.length > 0);
  }
  const repo = store.repo(repoId, opts.repo);
  const c = repo.commit({ message: opts.message });
  const files: string[] = [];
  const shards: ShardReport[] = [];
  const baseMd = opts.metadata === undefined ? { format: "pt" } : opts.metadata;
  try {
    c.writeJson("config.json", config);
    files.push("config.json");
    if (opts.readme !== false) {
      c.writeFile("README.md", opts.readme ?? defaultReadme(repoId, config));
      files.push("README.md");
    }
    let indexFile: string | null = null;
    const weightMap: Record<string, string> = {};
    const n = groups.length;
    for (const [i, g] of groups.entries()) {
      const file = n === 1 ? "model.safetensors" : `model-${String(i + 1).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.safetensors`;
      const md = n === 1 && opts.totalParameters && baseMd ? { ...baseMd, total_parameters: String(params.total) } : baseMd;
      const r = c.writeSafetensors(file, g, { metadata: md });
      shards.push({
        file,
        size: r.fileSize,
        upstreamSize: null,
        headerLength: r.headerLength,
        jsonLength: r.jsonLength,
        dataBytes: r.dataBytes,
        tensorCount: g.length,
      });
      files.push(file);
      for (const t of g) weightMap[t.name] = file;
    }
    if (n > 1) {
      indexFile = "model.safetensors.index.json";
      const sorted: Record<string, string> = {};
      for (const k of Object.keys(weightMap).sort()) sorted[k] = weightMap[k]!;
      c.writeIndex(indexFile, sorted, { totalSize, totalParameters: opts.totalParameters ? params.total : undefined });
      files.push(indexFile);
    }
    for (const [p, content] of Object.entries(opts.files ?? {})) {
      c.writeFile(p, content);
      files.push(p);
    }
    const sha = c.finish({ ref: opts.ref ?? "main" });
    return { repoId, sha, files, shards, tensors, totalSize, parameters: params, indexFile };
  } catch (e) {
    c.abort();
    throw e;
  }
}
