/**
 * Acquire: read what a fingerprint needs from a source, without weights.
 * safetensors: config.json + index (when sharded) + one ranged header read per shard. With an index,
 * the largest shard is read first and teaches the speculative read size of the others
 * (HeaderSizeLearner), then all other shards in parallel (the fetch layer bounds concurrency and
 * serves a model's metadata before shard reads: REQUEST_PRIORITY). Errors name the model and file;
 * any file that cannot be read makes the whole model UNKNOWN (a partial tensor list would be wrong data).
 */
import { ggufToConfig, ggufTensorsToHf, readGguf, type GgufInfo } from "../formats/gguf.js";
import { chooseOnnxFiles, onnxToTensors, readOnnxGraph, type OnnxGraph } from "../formats/onnx.js";
import { parseSafetensorsHeader, type ParsedSafetensorsHeader } from "../formats/safetensors.js";
import { indexDigest, parseSafetensorsIndex, validateIndexAgainstHeaders, type SafetensorsIndex } from "../formats/safetensors-index.js";
import { REQUEST_PRIORITY } from "../net/fetch.js";
import { mapLimit } from "../net/limiter.js";
import { DEFAULT_MAX_HEADER_BYTES, HeaderSizeLearner, RAW_HEADER_BASE, rawEntryEstimate } from "../sources/st-header.js";
import type { ModelSource, RawModel, ResolvedModel, SafetensorsHeaderBytes, TensorRecord } from "../sources/types.js";
import { FormatError, StandinError } from "../util/errors.js";
import type { FileEntry, Finding, FormatKind, SourceMode } from "./types.js";

export interface AcquireOptions {
  source: SourceMode;
  maxHeaderBytes?: number;
  /** Max shards of one model read at once (the fetch layer bounds the total). Default 64. */
  shardConcurrency?: number;
  /** Byte budget for range-walking one model's ONNX graphs (default 64 MiB). */
  onnxBudgetBytes?: number;
  /**
   * Parse safetensors indexes and headers elsewhere (a worker thread: src/workers/pool.ts).
   * Then this thread only moves bytes: the returned Extras has no tensors but `shardReads`, and the
   * session finishes the model.
   */
  offload?: Offload | null;
}

/** Where the CPU work of a safetensors model goes when it is not done here (src/workers/pool.ts). */
export interface Offload {
  /** A safetensors model is about to be read: get ready for its parses (the pool starts its workers). */
  prepare?(): void;
  /** Parse the index; what the shard reads need to be scheduled. Rejects with the parse error. */
  index(bytes: Uint8Array, file: string): Promise<{ shards: string[]; plan: Record<string, ShardPlan>; findings: Finding[] }>;
  /** Hand over one shard header; settles once it is parsed (rejects with the parse error). */
  header(shard: string, h: SafetensorsHeaderBytes, fileSize: number | null): Promise<void>;
}

const CONFIG_MAX_BYTES = 10 * 1024 * 1024;
const INDEX_MAX_BYTES = 250 * 1024 * 1024;

export interface Extras {
  /** Acquired raw model plus anything format-specific (ONNX graph, GGUF info) for the builder. */
  raw: RawModel;
  index: SafetensorsIndex | null;
  indexFile: string | null;
  /** ONNX graphs read (source onnx). */
  onnx: OnnxGraph[];
  /** GGUF files read (source gguf). */
  gguf: GgufInfo[];
  /** config.json came from GGUF metadata rather than a config.json file. */
  configFromGguf: boolean;
  /** With an offload: the shard headers read, in shard order, for the session to parse and collect. */
  shardReads?: ShardRead[];
}

/** Which format to read, given the request and the repo's files. */
export function chooseFormat(requested: SourceMode, files: readonly string[]): { format: FormatKind; finding?: Finding } {
  const root = files.filter((f) => !f.includes("/"));
  const has = {
    safetensors: root.some((f) => f.endsWith(".safetensors") || f.endsWith(".safetensors.index.json")),
    gguf: files.some((f) => f.toLowerCase().endsWith(".gguf")),
    onnx: files.some((f) => f.toLowerCase().endsWith(".onnx")),
    config: root.includes("config.json"),
  };
  if (requested !== "auto") {
    if (requested === "config" || has[requested]) return { format: requested };
    return {
      format: "config",
      finding: {
        severity: "warning",
        code: "source_fallback_config",
        message: `source: ${requested} was requested but the repo has no ${requested} files; fingerprinted from config.json only`,
      },
    };
  }
  if (has.safetensors) return { format: "safetensors" };
  if (has.gguf && !has.config) return { format: "gguf" };
  if (has.onnx && !has.config) return { format: "onnx" };
  if (has.gguf) return { format: "gguf" };
  if (has.onnx) return { format: "onnx" };
  return {
    format: "config",
    finding: { severity: "info", code: "source_config_only", message: "no weight files found: fingerprinted from config.json only" },
  };
}

function decodeJson(bytes: Uint8Array, ctx: { model: string; file: string }): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError("config_not_utf8", "config.json is not valid UTF-8", ctx);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new FormatError("config_not_json", `config.json is not valid JSON (${(e as Error).message})`, ctx);
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) {
    throw new FormatError("config_not_object", "config.json is not a JSON object", ctx);
  }
  return v as Record<string, unknown>;
}

/** Pick the safetensors index and shard list from the repo listing. */
export function safetensorsLayout(files: readonly string[]): { index: string | null; shards: string[] } {
  const root = files.filter((f) => !f.includes("/"));
  const indexes = root.filter((f) => f.endsWith(".safetensors.index.json"));
  const index = indexes.includes("model.safetensors.index.json") ? "model.safetensors.index.json" : (indexes.sort()[0] ?? null);
  if (index) return { index, shards: [] };
  let shards = root.filter((f) => f.endsWith(".safetensors")).sort();
  // Mistral repos ship consolidated.safetensors next to the HF files: prefer the HF layout.
  if (shards.length > 1 && shards.includes("consolidated.safetensors")) shards = shards.filter((s) => s !== "consolidated.safetensors");
  return { index: null, shards };
}

/** Header size guess for a single-file model from its config (layers x tensors per layer). */
export function estimateFromConfig(config: Record<string, unknown> | null): number {
  if (!config) return 100_000;
  const num = (k: string): number => {
    const tc = (config["text_config"] ?? {}) as Record<string, unknown>;
    const v = config[k] ?? tc[k];
    return typeof v === "number" && Number.isFinite(v) ? v : 0;
  };
  const layers = num("num_hidden_layers") || num("n_layer") || num("num_layers") || 32;
  const experts = num("num_local_experts") || num("num_experts") || num("n_routed_experts");
  const perLayer = 12 + 3 * experts;
  return Math.min(50_000_000, Math.max(16_384, (layers * perLayer + 16) * 150));
}

export async function acquire(src: ModelSource, opts: AcquireOptions): Promise<Extras> {
  const resolved: ResolvedModel = await src.resolve();
  const names = resolved.files.map((f) => f.path);
  const { format, finding } = chooseFormat(opts.source, names);
  // the parses' worker loads while the config and the index are read
  if (format === "safetensors") opts.offload?.prepare?.();
  const findings: Finding[] = finding ? [finding] : [];
  const files: FileEntry[] = [];
  const model = src.model;
  const sizeOf = (p: string): number | null => resolved.files.find((f) => f.path === p)?.size ?? null;

  let config: Record<string, unknown> | null = null;
  if (names.includes("config.json")) {
    const before = src.stats().bytes;
    const bytes = await src.readFile("config.json", { maxBytes: CONFIG_MAX_BYTES, priority: REQUEST_PRIORITY.config });
    config = decodeJson(bytes, { model, file: "config.json" });
    files.push({ path: "config.json", kind: "config", size: bytes.byteLength, bytesRead: src.stats().bytes - before });
  } else if (format === "config") {
    throw new StandinError("no_config", "the repo has neither weight files nor a config.json: nothing to fingerprint", {
      model,
      hint: "check the model id and revision",
    });
  }

  const raw: RawModel = { model, resolved, format, config, files, tensors: [], findings };
  const out: Extras = { raw, index: null, indexFile: null, onnx: [], gguf: [], configFromGguf: false };
  if (format === "onnx") {
    await acquireOnnx(src, out, opts);
    return out;
  }
  if (format === "gguf") {
    await acquireGguf(src, out);
    return out;
  }
  if (format !== "safetensors") return out;

  const maxHeaderBytes = opts.maxHeaderBytes ?? DEFAULT_MAX_HEADER_BYTES;
  const layout = safetensorsLayout(names);
  const offload = opts.offload ?? null;
  let shards = layout.shards;
  /** Per shard listed by the index: its entry count and the raw header estimate of their names. */
  let plan: Record<string, ShardPlan> | null = null;
  if (layout.index) {
    const before = src.stats().bytes;
    const bytes = await src.readFile(layout.index, { maxBytes: INDEX_MAX_BYTES, priority: REQUEST_PRIORITY.index });
    let listed: string[];
    if (offload) {
      const p = await offload.index(bytes, layout.index);
      findings.push(...p.findings);
      listed = p.shards;
      plan = p.plan;
    } else {
      const index = parseSafetensorsIndex(bytes, { file: layout.index, model });
      out.index = index;
      findings.push(...index.findings);
      listed = index.shards;
      plan = indexPlan(index);
    }
    out.indexFile = layout.index;
    files.push({ path: layout.index, kind: "index", size: bytes.byteLength, bytesRead: src.stats().bytes - before });
    shards = [...listed].sort().filter((s) => {
      if (names.includes(s)) return true;
      findings.push({
        severity: "error",
        code: "index_missing_shard",
        message: `the index lists shard ${s} but the repo has no such file`,
        file: s,
      });
      return false;
    });
    if (shards.length !== listed.length) {
      throw new StandinError("missing_shard", `${listed.length - shards.length} shard(s) named by ${layout.index} are missing from the repo`, {
        model,
        file: layout.index,
        hint: "the upload is incomplete; pin a complete revision",
      });
    }
  }
  if (shards.length === 0) {
    throw new StandinError("no_safetensors", "no safetensors files to read", { model });
  }
  const single = estimateFromConfig(config);
  const learner = new HeaderSizeLearner();
  const priority = headerPriority(plan);
  /** Parses handed to the worker (offload): awaited once every shard is read. */
  const pending: Promise<void>[] = [];
  const readShard = async (shard: string) => {
    const entry = plan?.[shard];
    const h = await src.readSafetensorsHeader(shard, {
      expectedHeaderBytes: entry ? learner.estimateRaw(entry.raw) : single,
      maxHeaderBytes,
      priority,
    });
    if (entry) learner.observeRaw(entry.raw, h.headerLength);
    const fileSize = h.fileSize ?? sizeOf(shard);
    let p: ParsedSafetensorsHeader | null = null;
    if (offload) {
      const parsed = offload.header(shard, h, fileSize);
      parsed.catch(() => undefined); // surfaced by Promise.all below
      pending.push(parsed);
    } else {
      p = parseSafetensorsHeader(h.json, { file: shard, model, headerLength: h.headerLength, fileSize });
    }
    return { shard, h, p };
  };
  // With an index and several shards: the shard with the most entries first (the steadiest ratio),
  // then the others with the learned size. Single files and index-less shards: the config estimate.
  const done = new Map<string, Awaited<ReturnType<typeof readShard>>>();
  if (plan && shards.length > 1) {
    const count = (s: string): number => plan?.[s]?.count ?? 0;
    const lead = shards.reduce((a, b) => (count(b) > count(a) ? b : a));
    done.set(lead, await readShard(lead));
  }
  const rest = await mapLimit(
    shards.filter((s) => !done.has(s)),
    opts.shardConcurrency ?? 64,
    readShard,
  );
  for (const r of rest) done.set(r.shard, r);
  await src.flush?.();
  await Promise.all(pending);
  const reads = shards.map((s) => done.get(s) as Awaited<ReturnType<typeof readShard>>);
  const shardReads: ShardRead[] = reads.map(({ shard, h }) => ({ path: shard, size: h.fileSize, bytesRead: h.bytesRead, headerLength: h.headerLength }));
  if (offload) out.shardReads = shardReads;
  else collectShards(out, shardReads.map((read, i) => ({ read, parsed: reads[i]!.p as ParsedSafetensorsHeader })));
  return out;
}

/**
 * The priority of a model's shard reads: the more tensors its index lists, the sooner (largest job
 * first). A zoo's wall time ends with the build of its largest models (10^5 tensors take a second),
 * so their headers are read first and their builds overlap the reads of the small models, instead
 * of running after the network is done. Always after every info, config and index request.
 */
export function headerPriority(plan: Record<string, ShardPlan> | null): number {
  let tensors = 0;
  if (plan) for (const k in plan) tensors += (plan[k] as ShardPlan).count;
  return REQUEST_PRIORITY.header - (0.5 * tensors) / (tensors + 100_000);
}

/** A shard as the index lists it: entries, and the raw header estimate of their names (rawHeaderEstimate). */
export interface ShardPlan {
  count: number;
  raw: number;
}

/** What scheduling the shard reads needs from an index. */
export function indexPlan(index: SafetensorsIndex): Record<string, ShardPlan> {
  const plan: Record<string, ShardPlan> = Object.create(null) as Record<string, ShardPlan>;
  const digest = indexDigest(index);
  if (digest !== null) {
    // the same sums without the weight map: rawEntryEstimate is linear in the name's length
    const perEntry = rawEntryEstimate("");
    for (const [shard, d] of digest.shards) plan[shard] = { count: d.count, raw: RAW_HEADER_BASE + d.chars + d.count * perEntry };
    return plan;
  }
  for (const [tensor, shard] of index.weightMap) {
    const e = plan[shard];
    if (e) {
      e.count++;
      e.raw += rawEntryEstimate(tensor);
    } else plan[shard] = { count: 1, raw: RAW_HEADER_BASE + rawEntryEstimate(tensor) };
  }
  return plan;
}

/** One shard header as read (its bytes are parsed where the CPU work runs). */
export interface ShardRead {
  path: string;
  size: number | null;
  bytesRead: number;
  headerLength: number;
}

/**
 * The end of acquire for safetensors, wherever the headers were parsed: file entries, tensors and
 * findings in shard order, then the index checked against the headers.
 */
export function collectShards(out: Extras, shards: readonly { read: ShardRead; parsed: ParsedSafetensorsHeader }[]): void {
  const { raw } = out;
  const tensors: TensorRecord[] = [];
  for (const { read, parsed } of shards) {
    raw.files.push({
      path: read.path,
      kind: "safetensors",
      size: read.size,
      bytesRead: read.bytesRead,
      headerLength: read.headerLength,
      tensorCount: parsed.tensors.length,
    });
    for (const t of parsed.tensors) tensors.push(t);
    raw.findings.push(...parsed.findings);
  }
  raw.tensors = tensors;
  if (out.index) {
    raw.findings.push(...validateIndexAgainstHeaders(out.index, shards.map(({ read, parsed }) => ({ file: read.path, tensors: parsed.tensors, names: parsed.names }))));
  }
}

/** ONNX: read the chosen graph files (never their external data), within the byte budget. */
async function acquireOnnx(src: ModelSource, out: Extras, opts: AcquireOptions): Promise<void> {
  const { raw } = out;
  const choice = chooseOnnxFiles(raw.resolved.files);
  if (choice.primary.length === 0) throw new StandinError("no_onnx", `no ONNX graph to read (${choice.reason})`, { model: raw.model });
  let budget = opts.onnxBudgetBytes ?? 64 * 1024 * 1024;
  for (const file of choice.primary) {
    const size = raw.resolved.files.find((f) => f.path === file)?.size ?? null;
    const graph = await readOnnxGraph(src.rangeReader(file, size), { file, model: raw.model, budgetBytes: budget });
    budget -= graph.bytesRead;
    out.onnx.push(graph);
    raw.files.push({ path: file, kind: "onnx", size: graph.fileSize, bytesRead: graph.bytesRead, tensorCount: graph.initializers.length });
    raw.findings.push(...graph.findings);
    for (const t of onnxToTensors(graph)) raw.tensors.push(t);
  }
  for (const ext of choice.externalData) {
    raw.files.push({ path: ext, kind: "onnx_data", size: raw.resolved.files.find((f) => f.path === ext)?.size ?? null, bytesRead: 0 });
  }
  raw.findings.push({ severity: "info", code: "onnx_files", message: `ONNX graph(s) ${choice.primary.join(", ")} read (${choice.reason}); external data never read` });
}

/** Prefer a common 4-bit quantization, then 8-bit, then the first name; all shards of a split file. */
export function chooseGgufFiles(files: readonly string[]): string[] {
  const ggufs = files.filter((f) => f.toLowerCase().endsWith(".gguf")).sort();
  if (ggufs.length === 0) return [];
  const prefs = [/q4_k_m/i, /q4_k_s/i, /q4_0/i, /q5_k_m/i, /q8_0/i, /bf16/i, /f16/i];
  let pick = ggufs[0] as string;
  for (const re of prefs) {
    const hit = ggufs.find((f) => re.test(f));
    if (hit) {
      pick = hit;
      break;
    }
  }
  const split = /^(.*)-(\d{5})-of-(\d{5})\.gguf$/i.exec(pick);
  if (!split) return [pick];
  return ggufs.filter((f) => f.startsWith(`${split[1]}-`) && /-\d{5}-of-\d{5}\.gguf$/i.test(f));
}

/** GGUF: metadata and tensor infos of the chosen file(s); config from metadata when no config.json. */
async function acquireGguf(src: ModelSource, out: Extras): Promise<void> {
  const { raw } = out;
  const files = chooseGgufFiles(raw.resolved.files.map((f) => f.path));
  if (files.length === 0) throw new StandinError("no_gguf", "no .gguf file to read", { model: raw.model });
  for (const file of files) {
    const loc = src.ggufLocation(file);
    const info = await readGguf(loc.url, { fetch: loc.fetch, model: raw.model, file });
    out.gguf.push(info);
    raw.files.push({ path: file, kind: "gguf", size: info.fileSize, bytesRead: info.bytesRead, tensorCount: info.tensors.length });
    raw.findings.push(...info.findings);
    for (const t of ggufTensorsToHf(info)) raw.tensors.push(t);
  }
  if (!raw.config && out.gguf[0]) {
    raw.config = ggufToConfig(out.gguf[0]);
    out.configFromGguf = true;
  }
}
