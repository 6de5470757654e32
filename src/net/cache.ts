/**
 * On-disk cache keyed by (repo, commit sha, file, kind). Only immutable revisions (40-hex commit
 * shas) are cached, so a hit is always right. Entries are written atomically (tmp + rename).
 * The action persists the folder with actions/cache; a re-run at the same revisions then makes
 * only the revision look-ups.
 *
 * Small entries of one repo@sha that are always read together (the safetensors headers of a model)
 * go into one pack file: DeepSeek-R1's 163 headers are one file to write, read and persist, not 163.
 *
 * Never stores tokens: keys are repo ids, shas and file paths; values are file bytes.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { mapLimit } from "./limiter.js";

export type CacheKind = "file" | "st-header" | "range" | "pack" | "analysis" | "ids";

const SHA_RE = /^[0-9a-f]{40}$/;
const VERSION = "v1";
const PACK_MAGIC = 0x314b5053; // "SPK1" little-endian

export class DiskCache {
  hits = 0;
  misses = 0;
  /** Folders already created by this run (one mkdir per repo@sha, not one per entry). */
  private readonly made = new Map<string, Promise<void>>();
  /** Repo folder -> the commit shas this run used (read or written). */
  private readonly used = new Map<string, Set<string>>();
  /**
   * Entries written while writes are held (holdWrites): entry path -> bytes, or how to make them
   * (a pack is encoded only when written). Reads see them.
   */
  private held: Map<string, Uint8Array | (() => Uint8Array)> | null = null;
  /** Bytes held (approximately: a replaced entry still counts) and the most to hold (holdWrites). */
  private heldBytes = 0;
  private heldLimit = 0;
  /** Held entries being written (releaseWrites). */
  private releasing: Promise<void> = Promise.resolve();
  /** Entries released from `held` whose write has not finished: reads still see them. */
  private readonly writing = new Map<string, Uint8Array | (() => Uint8Array)>();
  constructor(readonly dir: string | null) {}

  /**
   * Keep writes in memory until releaseWrites. A cold check holds them while its requests are in
   * flight, when both cores are busy reading and parsing, and writes them once the network is
   * done, while the last models are still being built. Reads of held entries are served from memory.
   */
  holdWrites(maxBytes = DiskCache.MAX_HELD_BYTES): void {
    if (!this.dir || this.held) return;
    this.held = new Map();
    this.heldBytes = 0;
    this.heldLimit = maxBytes;
  }

  /** Default bound of holdWrites: past it the held entries are written and writes go out at once. */
  static readonly MAX_HELD_BYTES = 256 * 1024 * 1024;

  /** Count bytes just held; past the bound, write everything now (a large zoo must not hold it all in memory). */
  private countHeld(bytes: number): void {
    this.heldBytes += bytes;
    if (this.heldBytes > this.heldLimit) void this.releaseWrites();
  }

  /**
   * Write the held entries, and write at once from now on. Resolves when every held entry is
   * written, also when another call started the writing. Never throws (as put).
   */
  releaseWrites(): Promise<void> {
    const held = this.held;
    this.held = null;
    if (held && held.size > 0) {
      const before = this.releasing;
      for (const [p, data] of held) this.writing.set(p, data);
      const writes = mapLimit([...held.keys()], 4, async (p) => {
        let bytes = this.writing.get(p);
        if (bytes === undefined) return; // replaced by a direct write since
        if (typeof bytes === "function") this.writing.set(p, (bytes = bytes()));
        try {
          await this.writeEntry(p, bytes);
        } finally {
          if (this.writing.get(p) === bytes) this.writing.delete(p);
        }
      });
      this.releasing = Promise.all([before, writes]).then(() => undefined);
    }
    return this.releasing;
  }

  /** An entry still in memory: held, or released and not written yet. */
  private heldEntry(repo: string, sha: string, file: string, kind: CacheKind): Uint8Array | null {
    if (!this.held && this.writing.size === 0) return null;
    const p = this.entryPath(repo, sha, file, kind);
    const from = this.held?.has(p) ? this.held : this.writing.has(p) ? this.writing : null;
    if (!from) return null;
    let data = from.get(p) as Uint8Array | (() => Uint8Array);
    if (typeof data === "function") from.set(p, (data = data()));
    return data;
  }

  private repoKey(repo: string): string {
    return repo.replace(/[^A-Za-z0-9._-]+/g, "__");
  }

  private touch(repo: string, sha: string): void {
    const k = this.repoKey(repo);
    let set = this.used.get(k);
    if (!set) this.used.set(k, (set = new Set()));
    set.add(sha);
  }

  /**
   * Remove the cached revisions this run has moved past: for every repo the run used, the sha
   * folders other than the ones it used. A cache persisted run after run (actions/cache with
   * restore-keys) then holds each model once, not every revision it ever had. Repos the run did not
   * touch are left alone, so a cache shared with other manifests loses nothing of theirs.
   * Returns the number of folders removed. Never throws: a folder that cannot be removed stays.
   */
  async pruneStaleRevisions(): Promise<number> {
    if (!this.dir) return 0;
    let removed = 0;
    for (const [k, keep] of this.used) {
      const repoDir = path.join(this.dir, VERSION, k);
      let entries: string[];
      try {
        entries = await readdir(repoDir);
      } catch {
        continue;
      }
      for (const e of entries) {
        if (!SHA_RE.test(e) || keep.has(e)) continue;
        try {
          await rm(path.join(repoDir, e), { recursive: true, force: true });
          removed++;
        } catch {
          // left for the next run
        }
      }
    }
    return removed;
  }

  static isCacheableRevision(sha: string | null | undefined): sha is string {
    return !!sha && SHA_RE.test(sha);
  }

  /** `use`: the run uses this revision (pruneStaleRevisions keeps it); false for a look at an earlier one. */
  private entryPath(repo: string, sha: string, file: string, kind: CacheKind, use = true): string {
    if (use) this.touch(repo, sha);
    const repoKey = this.repoKey(repo);
    const fileKey = createHash("sha256").update(`${kind}\0${file}`).digest("hex").slice(0, 32);
    const safeName = file.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-80);
    return path.join(this.dir as string, VERSION, repoKey, sha, `${fileKey}-${safeName}.${kind}`);
  }

  async get(repo: string, sha: string | null, file: string, kind: CacheKind): Promise<Uint8Array | null> {
    if (!this.dir || !DiskCache.isCacheableRevision(sha)) return null;
    const held = this.heldEntry(repo, sha, file, kind);
    if (held) {
      this.hits++;
      return held;
    }
    try {
      const buf = await readFile(this.entryPath(repo, sha, file, kind));
      this.hits++;
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch {
      this.misses++;
      return null;
    }
  }

  /**
   * The entries of a pack (name -> bytes), or null when absent or unreadable. Does not count hits or
   * misses: the caller counts the entries it serves.
   */
  async getPack(repo: string, sha: string | null, name: string): Promise<Map<string, Uint8Array> | null> {
    if (!this.dir || !DiskCache.isCacheableRevision(sha)) return null;
    const held = this.heldEntry(repo, sha, name, "pack");
    if (held) return decodePack(held);
    let buf: Buffer;
    try {
      buf = await readFile(this.entryPath(repo, sha, name, "pack"));
    } catch {
      return null;
    }
    return decodePack(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  }

  /**
   * The most recently written other revision of this repo that holds the pack `name` (from an
   * earlier run), or null. It is not marked as used: a run that moved past it still prunes it.
   */
  async earlierRevision(repo: string, sha: string, name: string): Promise<string | null> {
    if (!this.dir) return null;
    let entries: string[];
    try {
      entries = await readdir(path.join(this.dir, VERSION, this.repoKey(repo)));
    } catch {
      return null;
    }
    let best: string | null = null;
    let bestTime = -Infinity;
    for (const e of entries) {
      if (!SHA_RE.test(e) || e === sha) continue;
      try {
        const st = await stat(this.entryPath(repo, e, name, "pack", false));
        if (st.mtimeMs > bestTime) [best, bestTime] = [e, st.mtimeMs];
      } catch {
        // no such pack in that revision
      }
    }
    return best;
  }

  /** An entry of an earlier revision (earlierRevision), read without marking it used or counting a hit. */
  async peek(repo: string, sha: string, file: string, kind: CacheKind): Promise<Uint8Array | null> {
    if (!this.dir || !DiskCache.isCacheableRevision(sha)) return null;
    try {
      const buf = await readFile(this.entryPath(repo, sha, file, kind, false));
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch {
      return null;
    }
  }

  /**
   * Copy the entries of `files` (kind `kind`) from an earlier revision to `to`: the caller knows
   * their content is the same in both. Counts no hits or misses.
   */
  async carry(repo: string, from: string, to: string, files: readonly string[], kind: CacheKind): Promise<void> {
    for (const f of files) {
      const bytes = await this.peek(repo, from, f, kind);
      if (bytes) await this.put(repo, to, f, kind, bytes);
    }
  }

  /** Write a pack (replacing any previous one). */
  async putPack(repo: string, sha: string | null, name: string, entries: ReadonlyMap<string, Uint8Array>): Promise<void> {
    if (this.held && this.dir && DiskCache.isCacheableRevision(sha)) {
      const own = new Map(entries);
      this.held.set(this.entryPath(repo, sha, name, "pack"), () => encodePack(own));
      let bytes = 0;
      for (const v of own.values()) bytes += v.byteLength;
      this.countHeld(bytes);
      return;
    }
    await this.put(repo, sha, name, "pack", encodePack(entries));
  }

  async put(repo: string, sha: string | null, file: string, kind: CacheKind, data: Uint8Array): Promise<void> {
    if (!this.dir || !DiskCache.isCacheableRevision(sha)) return;
    const p = this.entryPath(repo, sha, file, kind);
    // held: a copy (the caller may hand the bytes on, e.g. transfer them to a worker thread; and
    // a Buffer's slice() is a view, not a copy)
    if (this.held) {
      this.held.set(p, new Uint8Array(data));
      this.countHeld(data.byteLength);
    } else {
      this.writing.delete(p); // an older value still being written must not be read
      await this.writeEntry(p, data);
    }
  }

  private async writeEntry(p: string, data: Uint8Array): Promise<void> {
    try {
      const dir = path.dirname(p);
      let made = this.made.get(dir);
      if (!made) {
        made = mkdir(dir, { recursive: true }).then(() => undefined);
        this.made.set(dir, made);
        made.catch(() => this.made.delete(dir));
      }
      await made;
      const tmp = `${p}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, data);
      await rename(tmp, p);
    } catch {
      // A cache that cannot be written is not an error: the next run fetches again.
    }
  }
}

/** u32 magic, u32 count, then per entry: u32 key length, key (UTF-8), u32 data length, data. */
export function encodePack(entries: ReadonlyMap<string, Uint8Array>): Uint8Array {
  const enc = new TextEncoder();
  const keys = [...entries.keys()].map((k) => enc.encode(k));
  let size = 8;
  let i = 0;
  for (const v of entries.values()) size += 8 + (keys[i++] as Uint8Array).byteLength + v.byteLength;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, PACK_MAGIC, true);
  dv.setUint32(4, entries.size, true);
  let o = 8;
  i = 0;
  for (const v of entries.values()) {
    const k = keys[i++] as Uint8Array;
    dv.setUint32(o, k.byteLength, true);
    out.set(k, o + 4);
    o += 4 + k.byteLength;
    dv.setUint32(o, v.byteLength, true);
    out.set(v, o + 4);
    o += 4 + v.byteLength;
  }
  return out;
}

/** The entries of a pack (views into `buf`), or null when it is not a well-formed pack. */
export function decodePack(buf: Uint8Array): Map<string, Uint8Array> | null {
  if (buf.byteLength < 8) return null;
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(0, true) !== PACK_MAGIC) return null;
  const n = dv.getUint32(4, true);
  const dec = new TextDecoder("utf-8", { fatal: true });
  const out = new Map<string, Uint8Array>();
  let o = 8;
  try {
    for (let i = 0; i < n; i++) {
      if (o + 4 > buf.byteLength) return null;
      const kl = dv.getUint32(o, true);
      if (o + 4 + kl + 4 > buf.byteLength) return null;
      const key = dec.decode(buf.subarray(o + 4, o + 4 + kl));
      o += 4 + kl;
      const vl = dv.getUint32(o, true);
      if (o + 4 + vl > buf.byteLength) return null;
      out.set(key, buf.subarray(o + 4, o + 4 + vl));
      o += 4 + vl;
    }
  } catch {
    return null;
  }
  return o === buf.byteLength ? out : null;
}
