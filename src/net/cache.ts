/**
 * On-disk cache keyed by (repo, commit sha, file, kind). Only immutable revisions (40-hex commit
 * shas) are cached, so a hit is always right. Entries are written atomically (tmp + rename).
 * The action persists the folder with actions/cache; a re-run at the same revisions then makes
 * only the revision look-ups.
 *
 * Never stores tokens: keys are repo ids, shas and file paths; values are file bytes.
 */
import { createHash } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

export type CacheKind = "file" | "st-header" | "range";

const SHA_RE = /^[0-9a-f]{40}$/;
const VERSION = "v1";

export class DiskCache {
  hits = 0;
  misses = 0;
  constructor(readonly dir: string | null) {}

  static isCacheableRevision(sha: string | null | undefined): sha is string {
    return !!sha && SHA_RE.test(sha);
  }

  private entryPath(repo: string, sha: string, file: string, kind: CacheKind): string {
    const repoKey = repo.replace(/[^A-Za-z0-9._-]+/g, "__");
    const fileKey = createHash("sha256").update(`${kind}\0${file}`).digest("hex").slice(0, 32);
    const safeName = file.replace(/[^A-Za-z0-9._-]+/g, "_").slice(-80);
    return path.join(this.dir as string, VERSION, repoKey, sha, `${fileKey}-${safeName}.${kind}`);
  }

  async get(repo: string, sha: string | null, file: string, kind: CacheKind): Promise<Uint8Array | null> {
    if (!this.dir || !DiskCache.isCacheableRevision(sha)) return null;
    try {
      const buf = await readFile(this.entryPath(repo, sha, file, kind));
      this.hits++;
      return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch {
      this.misses++;
      return null;
    }
  }

  async put(repo: string, sha: string | null, file: string, kind: CacheKind, data: Uint8Array): Promise<void> {
    if (!this.dir || !DiskCache.isCacheableRevision(sha)) return;
    const p = this.entryPath(repo, sha, file, kind);
    try {
      await mkdir(path.dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
      await writeFile(tmp, data);
      await rename(tmp, p);
    } catch {
      // A cache that cannot be written is not an error: the next run fetches again.
    }
  }
}
