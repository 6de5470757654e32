/**
 * The Hugging Face Hub source: `@huggingface/hub` for model info (resolved sha and file list),
 * our own fetch layer for files and ranged safetensors header reads. Every file read is pinned to
 * the resolved commit sha, so results are reproducible and cacheable.
 */
import { modelInfo, pathsInfo } from "@huggingface/hub";
import { decodePack, DiskCache } from "../net/cache.js";
import { REQUEST_PRIORITY, type FetchLayer } from "../net/fetch.js";
import { HubError, StandinError, UsageError } from "../util/errors.js";
import { decodeHeaderCache, encodeHeaderCache, readSafetensorsHeaderBytes, type RangeGet } from "./st-header.js";
import type { HeaderReadOptions, ModelSource, RangeReader, ReadFileOptions, ResolvedModel, SafetensorsHeaderBytes } from "./types.js";

export const DEFAULT_HUB_URL = "https://huggingface.co";
/** Cache pack holding a model's safetensors headers. */
const HEADER_PACK = "safetensors-headers";
/** Cache entry holding the Hub's content ids of the files read at a revision (carryOver). */
const CONTENT_IDS = "content-ids";
/** At most this many files compared by carryOver (one paths-info call per revision; the Hub takes about 2,000). */
const MAX_CARRY_PATHS = 1000;
/** Default cap for whole-file reads (config.json, index): 50 MB. */
export const DEFAULT_MAX_FILE_BYTES = 50 * 1024 * 1024;

export interface HubContext {
  layer: FetchLayer;
  hubUrl: string;
  token?: string;
  cache: DiskCache;
}

interface RecordedIds {
  ids: Map<string, string>;
  files: string[];
  complete: boolean;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  const x = [...a].sort();
  const y = [...b].sort();
  return x.every((v, i) => v === y[i]);
}

export function encodePath(p: string): string {
  return p.split("/").map(encodeURIComponent).join("/");
}

export class HubSource implements ModelSource {
  private resolved: ResolvedModel | null = null;
  private readonly sizes = new Map<string, number>();
  private pack: Promise<Map<string, Uint8Array> | null> | null = null;
  /** Headers read from the network and not yet in the cache (flush() writes them). */
  private readonly unsaved = new Map<string, Uint8Array>();
  /** verifyAccess(): once per source, and not at all once a file came from the Hub with this token. */
  private access: Promise<void> | null = null;
  /** carryOver(): once per source. */
  private carried: Promise<void> | null = null;
  /** path -> "<content id>:<size>" of the files of this revision, as the Hub gave them (reads, paths-info). */
  private readonly ids = new Map<string, string>();
  /** Ids learnt since the cache entry was last written. */
  private idsDirty = false;
  /** A file came from the network without a content id (or through a reader we do not see): the ids are not the whole story. */
  private unknownRead = false;
  /** The earlier revision whose every input to the analysis is the same as this one's (carryOver), or null. */
  private unchangedFrom: string | null = null;

  constructor(
    readonly model: string,
    readonly repo: string,
    readonly revision: string,
    private readonly ctx: HubContext,
  ) {}

  stats(): { requests: number; bytes: number } {
    const c = this.ctx.layer.counters(this.model);
    return { requests: c.requests, bytes: c.bytes };
  }

  async resolve(): Promise<ResolvedModel> {
    if (this.resolved) return this.resolved;
    let info: { sha?: string; filePaths?: string[]; gated?: false | "auto" | "manual" };
    try {
      info = await modelInfo({
        name: this.repo,
        revision: this.revision,
        hubUrl: this.ctx.hubUrl,
        accessToken: this.ctx.token,
        fetch: this.ctx.layer.fetchFor(this.model, { model: this.model, priority: REQUEST_PRIORITY.info }),
        additionalFields: ["sha", "filePaths"],
      });
    } catch (err) {
      throw this.wrap(err);
    }
    if (!info.sha) {
      throw new HubError("http", "the Hub's model info has no commit sha", { model: this.model, hint: "is --hub-url a Hugging Face Hub?" });
    }
    this.resolved = {
      kind: "hub",
      repo: this.repo,
      revision: this.revision,
      sha: info.sha,
      files: (info.filePaths ?? []).map((p) => ({ path: p, size: null })),
      gated: info.gated ?? false,
    };
    return this.resolved;
  }

  private wrap(err: unknown): StandinError {
    if (err instanceof StandinError) return err.withContext({ model: this.model });
    if (err instanceof TypeError && /access token must start with 'hf_'/.test(err.message)) {
      return new UsageError("the Hugging Face token must start with 'hf_'", "check HF_TOKEN / --token / the hf-token input");
    }
    const msg = err instanceof Error ? err.message : String(err);
    return new HubError("http", msg, { model: this.model, cause: err });
  }

  private sha(): string {
    if (!this.resolved?.sha) throw new Error("resolve() must be called first");
    return this.resolved.sha;
  }

  fileUrl(path: string): string {
    return `${this.ctx.hubUrl}/${this.repo}/resolve/${encodeURIComponent(this.sha())}/${encodePath(path)}`;
  }

  async verifyAccess(): Promise<void> {
    const resolved = await this.resolve();
    if (this.access) return this.access;
    if (!resolved.gated) return;
    const names = resolved.files.map((f) => f.path);
    const probe = names.includes("config.json") ? "config.json" : names[0];
    if (probe === undefined) return;
    this.access = this.ctx.layer
      .request(this.fileUrl(probe), { scope: this.model, model: this.model, file: probe, range: [0, 0], priority: REQUEST_PRIORITY.config })
      .then(() => undefined);
    await this.access;
  }

  async readFile(path: string, opts: ReadFileOptions = {}): Promise<Uint8Array> {
    const sha = this.sha();
    await this.carryOver();
    const cached = await this.ctx.cache.get(this.repo, sha, path, "file");
    if (cached) {
      await this.verifyAccess();
      return cached;
    }
    const r = await this.ctx.layer.request(this.fileUrl(path), {
      scope: this.model,
      model: this.model,
      file: path,
      maxBytes: opts.maxBytes ?? DEFAULT_MAX_FILE_BYTES,
      priority: opts.priority ?? REQUEST_PRIORITY.other,
    });
    await this.ctx.cache.put(this.repo, sha, path, "file", r.body);
    this.access ??= Promise.resolve(); // a file came from the Hub with this token: access is proven
    this.learnId(path, r.contentId ?? null, r.body.byteLength);
    return r.body;
  }

  private rangeGet(path: string, priority: number = REQUEST_PRIORITY.other): RangeGet {
    return async (start, end) => {
      const r = await this.ctx.layer.request(this.fileUrl(path), {
        scope: this.model,
        model: this.model,
        file: path,
        range: [start, end],
        priority,
      });
      const total = r.contentRange?.total ?? null;
      if (total !== null) this.sizes.set(path, total);
      this.learnId(path, r.contentId ?? null, total ?? -1);
      this.access ??= Promise.resolve(); // access is proven
      return { bytes: r.body, total };
    };
  }

  rangeReader(path: string, knownSize: number | null = null): RangeReader {
    if (knownSize !== null) this.sizes.set(path, knownSize);
    const get = this.rangeGet(path);
    return {
      path,
      size: () => this.sizes.get(path) ?? null,
      read: async (start: number, end: number) => {
        if (end <= start) return new Uint8Array();
        const size = this.sizes.get(path);
        const last = size !== undefined ? Math.min(end, size) - 1 : end - 1;
        if (last < start) return new Uint8Array();
        return (await get(start, last)).bytes;
      },
    };
  }

  ggufLocation(path: string): { url: string; fetch: typeof fetch } {
    this.unknownRead = true; // the GGUF reader fetches on its own: what it reads has no recorded id
    return { url: this.fileUrl(path), fetch: this.ctx.layer.fetchFor(this.model, { model: this.model, file: path }) };
  }

  /** The model's cached headers (one pack per repo@sha), loaded once. */
  private headerPack(): Promise<Map<string, Uint8Array> | null> {
    if (!this.pack) this.pack = this.ctx.cache.getPack(this.repo, this.sha(), HEADER_PACK);
    return this.pack;
  }

  async readSafetensorsHeader(path: string, opts: HeaderReadOptions): Promise<SafetensorsHeaderBytes> {
    const sha = this.sha();
    await this.carryOver();
    const packed = (await this.headerPack())?.get(path);
    const decoded = packed ? decodeHeaderCache(packed) : null;
    if (decoded) {
      await this.verifyAccess();
      this.ctx.cache.hits++;
      return decoded;
    }
    if (DiskCache.isCacheableRevision(sha) && this.ctx.cache.dir) this.ctx.cache.misses++;
    const h = await readSafetensorsHeaderBytes(this.rangeGet(path, opts.priority ?? REQUEST_PRIORITY.header), {
      model: this.model,
      file: path,
      expectedHeaderBytes: opts.expectedHeaderBytes,
      maxHeaderBytes: opts.maxHeaderBytes,
      knownSize: this.sizes.get(path) ?? null,
    });
    this.unsaved.set(path, encodeHeaderCache(h));
    return h;
  }

  /**
   * A new commit of a repo whose earlier revision is in the cache (an upstream README edit, a PR
   * that changed config.json): the files whose content is the same in both revisions are carried
   * over from the cache instead of read again. Content is compared by the Hub's own ids (the LFS
   * sha256 of a shard, the git blob id of a small file, with the size): the earlier revision's as
   * its run recorded them when the files came in (else one `paths-info` call), the new one's from
   * one `paths-info` call. A README commit then costs 1 API call instead of a config, an index and
   * one read per shard. Anything that goes wrong here (no earlier revision, a failed call, ids that
   * do not match) only means the files are read as usual.
   */
  private carryOver(): Promise<void> {
    return (this.carried ??= this.carryOverNow().catch(() => undefined));
  }

  private async carryOverNow(): Promise<void> {
    const sha = this.sha();
    const cache = this.ctx.cache;
    if (!cache.dir || !DiskCache.isCacheableRevision(sha) || !this.resolved) return;
    const earlier = await cache.earlierRevision(this.repo, sha, HEADER_PACK);
    if (!earlier || (await this.headerPack())) return; // nothing earlier, or this revision is cached already
    const packed = await cache.peek(this.repo, earlier, HEADER_PACK, "pack");
    const old = packed ? decodePack(packed) : null;
    if (!old || old.size === 0) return;
    const listed = new Set(this.resolved.files.map((f) => f.path));
    const small = [...listed].filter((p) => p === "config.json" || p.endsWith(".safetensors.index.json"));
    // the earlier revision's ids as its run recorded them (one call fewer), else asked for
    const recorded = await this.recordedIds(earlier);
    const paths = [...new Set([...old.keys(), ...small, ...(recorded?.ids.keys() ?? [])])].filter((p) => listed.has(p));
    if (paths.length === 0 || paths.length > MAX_CARRY_PATHS) return;
    const [before, now] = await Promise.all([recorded?.ids ?? this.contentIds(earlier, paths), this.contentIds(sha, paths)]);
    for (const [p, id] of now) this.ids.set(p, id);
    this.idsDirty = now.size > 0;
    const same = (p: string) => before.get(p) !== undefined && before.get(p) === now.get(p);
    // Everything the earlier analysis was built from is the same here: the file list (format and
    // layout are chosen from it) and the content of every file its run read, all with known ids.
    const unchanged = !!recorded?.complete && recorded.ids.size > 0 && sameList(recorded.files, [...listed]) && [...recorded.ids.keys()].every(same);
    const entries = new Map<string, Uint8Array>();
    for (const [p, bytes] of old) if (same(p)) entries.set(p, bytes);
    if (entries.size > 0) {
      await cache.putPack(this.repo, sha, HEADER_PACK, entries);
      this.pack = Promise.resolve(entries);
    }
    await cache.carry(this.repo, earlier, sha, small.filter(same), "file");
    if (!unchanged) return;
    // Said only once the files are carried (the next commit carries from this revision). An
    // analysis carried over reads nothing, so no flush follows: record this revision's ids now.
    await this.saveIds();
    this.unchangedFrom = earlier;
  }

  /**
   * The earlier cached revision of this repo from which nothing the analysis depends on has
   * changed (a README commit), or null: its analysis then stands for this revision's. Only known
   * once the files are carried over (carryOver), which this waits for.
   */
  async unchangedSince(): Promise<string | null> {
    await this.resolve();
    await this.carryOver();
    return this.unchangedFrom;
  }

  private learnId(path: string, id: string | null, size: number): void {
    if (id === null || id.length < 40 || size < 0) {
      this.unknownRead = true;
      return;
    }
    const v = `${id}:${size}`;
    if (this.ids.get(path) === v) return;
    this.ids.set(path, v);
    this.idsDirty = true;
  }

  /** What a revision's run recorded: the ids of the files it read, the repo's file list, and whether every read had an id. */
  private async recordedIds(sha: string): Promise<RecordedIds | null> {
    const bytes = await this.ctx.cache.peek(this.repo, sha, CONTENT_IDS, "ids");
    if (!bytes) return null;
    try {
      const obj = JSON.parse(new TextDecoder().decode(bytes)) as { ids?: unknown; files?: unknown; complete?: unknown };
      if (!obj || typeof obj !== "object" || !obj.ids || typeof obj.ids !== "object" || !Array.isArray(obj.files)) return null;
      const ids = new Map<string, string>();
      for (const [k, v] of Object.entries(obj.ids as Record<string, unknown>)) if (typeof v === "string") ids.set(k, v);
      return { ids, files: obj.files.filter((f): f is string => typeof f === "string"), complete: obj.complete === true };
    } catch {
      return null;
    }
  }

  private async saveIds(): Promise<void> {
    if (!this.idsDirty || !this.resolved) return;
    this.idsDirty = false;
    const byName = ([a]: [string, string], [b]: [string, string]) => (a < b ? -1 : a > b ? 1 : 0);
    const entry = {
      ids: Object.fromEntries([...this.ids].sort(byName)),
      files: this.resolved.files.map((f) => f.path).sort(),
      complete: !this.unknownRead,
    };
    await this.ctx.cache.put(this.repo, this.sha(), CONTENT_IDS, "ids", new TextEncoder().encode(JSON.stringify(entry)));
  }

  /** path -> the Hub's content id and size of each file at this revision (absent: not there). */
  private async contentIds(revision: string, paths: string[]): Promise<Map<string, string>> {
    const entries = await pathsInfo({
      repo: { type: "model", name: this.repo },
      paths,
      revision,
      expand: false,
      hubUrl: this.ctx.hubUrl,
      accessToken: this.ctx.token,
      fetch: this.ctx.layer.fetchFor(this.model, { model: this.model, priority: REQUEST_PRIORITY.info }),
    });
    const out = new Map<string, string>();
    for (const e of entries) {
      const id = e.lfs?.oid ?? e.oid;
      if (e.type === "file" && typeof id === "string" && id.length >= 40) out.set(e.path, `${id}:${e.lfs?.size ?? e.size}`);
    }
    return out;
  }

  /** Write the headers read since the last flush into the model's pack (with those already in it). */
  async flush(): Promise<void> {
    await this.saveIds();
    if (this.unsaved.size === 0 || !this.resolved) return;
    const entries = new Map(await this.headerPack());
    for (const [k, v] of this.unsaved) entries.set(k, v);
    this.unsaved.clear();
    this.pack = Promise.resolve(entries);
    await this.ctx.cache.putPack(this.repo, this.sha(), HEADER_PACK, entries);
  }
}
