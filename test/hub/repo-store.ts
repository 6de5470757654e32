/**
 * On-disk store of Hugging Face-like model repos for the local Hub server (test/hub/server.ts).
 *
 * Layout under a root directory:
 *
 *   <root>/aliases.json                          renamed repos: { "old-id": "ns/new-name" }
 *   <root>/<ns>/<name>/repo.json                 refs, flags (gated/private/disabled), LFS globs, tokens
 *   <root>/<ns>/<name>/commits/<sha>.json        commit manifest: parent, message, date, files (size, oids)
 *   <root>/<ns>/<name>/commits/<sha>/<files...>  the files of that commit (hard links to unchanged parents)
 *
 * Big files are written sparse (header bytes, then ftruncate), so multi-GB shards cost nothing on disk.
 * The git blob oid of small files is the real `sha1("blob <size>\0" + content)`; LFS files get a
 * sha256 oid (the real one up to REAL_HASH_LIMIT bytes, otherwise a stable hash of the written
 * prefix + size) and the blob oid of their LFS pointer text, as the Hub reports them.
 */
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  existsSync,
  ftruncateSync,
  linkSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";

export type Gated = false | "auto" | "manual";

export const DEFAULT_LFS_GLOBS = ["*.safetensors", "*.gguf", "*.onnx_data", "*.bin", "*.onnx"];

/** Files above this size get a pseudo sha256 (hash of the written prefix + size) instead of a real one. */
export const REAL_HASH_LIMIT = 16 * 1024 * 1024;

/** Optional Hub metadata that is not derived from the files. */
export interface RepoMeta {
  pipeline_tag?: string | null;
  library_name?: string | null;
  /** Extra tags, added to the derived ones. */
  tags?: string[];
  downloads?: number;
  likes?: number;
  author?: string;
}

export interface RepoJson {
  refs: Record<string, string>;
  gated: Gated;
  private: boolean;
  disabled: boolean;
  lfs: string[];
  /** Tokens allowed to read this repo when it is gated or private. */
  authorized: string[];
  createdAt: string;
  lastModified: string;
  meta?: RepoMeta;
}

export type RepoOptions = Partial<Omit<RepoJson, "refs">>;

export interface LfsInfo {
  /** sha256 (hex) of the content. */
  oid: string;
  size: number;
  /** Size of the LFS pointer text. */
  pointerSize: number;
}

export interface FileEntry {
  size: number;
  /** git blob sha1 (of the content, or of the LFS pointer text for LFS files). */
  oid: string;
  lfs?: LfsInfo;
}

export interface CommitJson {
  sha: string;
  parent: string | null;
  message: string;
  date: string;
  files: Record<string, FileEntry>;
}

export interface TensorDesc {
  name: string;
  dtype: string;
  shape: number[];
}

export interface SafetensorsWriteOptions {
  /** `__metadata__` string map (default {format:"pt"}; pass null for none). */
  metadata?: Record<string, string> | null;
  /** Exact total file size: the header is space-padded so that 8 + N + data == fileSize. */
  fileSize?: number;
  /** Default true: the data section is a hole (zeros) made with ftruncate. */
  dataSparse?: boolean;
  /** Pad the header to a multiple of this (default 8) when no fileSize is given. */
  align?: number;
}

export interface SafetensorsWriteResult {
  path: string;
  /** N, the header length (after padding). */
  headerLength: number;
  /** Length of the header JSON before padding. */
  jsonLength: number;
  dataBytes: number;
  fileSize: number;
  tensors: (TensorDesc & { data_offsets: [number, number] })[];
}

// ---------------------------------------------------------------------------------------------
// safetensors encoding

/** Bits per element of each safetensors dtype (hub-protocol.md §4), plus the non-standard aliases. */
export const DTYPE_BITS: Record<string, number> = {
  BOOL: 8,
  F4: 4,
  FP4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  E8M0: 8,
  UE8: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

export function dtypeBits(dtype: string): number {
  const bits = DTYPE_BITS[dtype];
  if (bits === undefined) throw new Error(`unknown safetensors dtype ${JSON.stringify(dtype)}`);
  return bits;
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Bytes of one tensor: prod(shape) * bits / 8 (throws when that is not a whole number of bytes). */
export function tensorBytes(t: { dtype: string; shape: readonly number[] }): number {
  const bits = numel(t.shape) * dtypeBits(t.dtype);
  if (bits % 8 !== 0) throw new Error(`tensor of ${t.dtype}${JSON.stringify(t.shape)} is not a whole number of bytes`);
  return bits / 8;
}

export interface EncodedHeader {
  /** 8-byte length prefix + padded JSON header. */
  bytes: Buffer;
  headerLength: number;
  jsonLength: number;
  dataBytes: number;
  tensors: (TensorDesc & { data_offsets: [number, number] })[];
}

/** Compact header JSON with `__metadata__` first and contiguous offsets in the given order. */
export function headerJson(
  tensors: readonly TensorDesc[],
  metadata: Record<string, string> | null | undefined,
): { json: string; dataBytes: number; tensors: (TensorDesc & { data_offsets: [number, number] })[] } {
  const parts: string[] = [];
  if (metadata) parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  let offset = 0;
  const out: (TensorDesc & { data_offsets: [number, number] })[] = [];
  for (const t of tensors) {
    const bytes = tensorBytes(t);
    const data_offsets: [number, number] = [offset, offset + bytes];
    parts.push(
      `${JSON.stringify(t.name)}:{"dtype":${JSON.stringify(t.dtype)},"shape":${JSON.stringify(t.shape)},"data_offsets":[${offset},${offset + bytes}]}`,
    );
    out.push({ ...t, data_offsets });
    offset += bytes;
  }
  return { json: `{${parts.join(",")}}`, dataBytes: offset, tensors: out };
}

/** Byte length of the header JSON that headerJson() would produce. */
export function headerJsonLength(tensors: readonly TensorDesc[], metadata: Record<string, string> | null | undefined): number {
  return Buffer.byteLength(headerJson(tensors, metadata).json);
}

export function encodeSafetensorsHeader(tensors: readonly TensorDesc[], opts: SafetensorsWriteOptions = {}): EncodedHeader {
  const metadata = opts.metadata === undefined ? { format: "pt" } : opts.metadata;
  const { json, dataBytes, tensors: placed } = headerJson(tensors, metadata);
  const jsonLength = Buffer.byteLength(json);
  let headerLength: number;
  if (opts.fileSize !== undefined) {
    headerLength = opts.fileSize - 8 - dataBytes;
    if (headerLength < jsonLength) {
      throw new Error(
        `safetensors: requested file size ${opts.fileSize} leaves ${headerLength} header bytes, but the header JSON needs ${jsonLength} (data ${dataBytes})`,
      );
    }
  } else {
    const align = opts.align ?? 8;
    headerLength = Math.ceil(jsonLength / align) * align;
  }
  const bytes = Buffer.alloc(8 + headerLength, 0x20);
  bytes.writeBigUInt64LE(BigInt(headerLength), 0);
  bytes.write(json, 8, "utf8");
  return { bytes, headerLength, jsonLength, dataBytes, tensors: placed };
}

/**
 * Bytes of a crafted (possibly hostile) safetensors file: any header text (invalid JSON, wrong
 * offsets...), a declared length N that may lie (huge, zero, beyond the file), and `dataBytes` zero bytes.
 * Write it with CommitBuilder.writeRaw().
 */
export function rawSafetensors(header: string | object, opts: { declaredLength?: number | bigint; dataBytes?: number; padTo?: number } = {}): Buffer {
  let json = Buffer.from(typeof header === "string" ? header : JSON.stringify(header), "utf8");
  if (opts.padTo && json.length < opts.padTo) json = Buffer.concat([json, Buffer.alloc(opts.padTo - json.length, 0x20)]);
  const out = Buffer.alloc(8 + json.length + (opts.dataBytes ?? 0));
  out.writeBigUInt64LE(BigInt(opts.declaredLength ?? json.length), 0);
  json.copy(out, 8);
  return out;
}

// ---------------------------------------------------------------------------------------------
// hashing helpers

export function gitBlobOid(content: Uint8Array): string {
  return createHash("sha1").update(`blob ${content.length}\0`).update(content).digest("hex");
}

export function lfsPointer(oid: string, size: number): string {
  return `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;
}

function hashFile(file: string, size: number, algo: "sha256" | "sha1", prefix?: string): string {
  const h = createHash(algo);
  if (prefix) h.update(prefix);
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(1 << 20);
    let pos = 0;
    while (pos < size) {
      const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
      if (n <= 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

export function globToRegExp(glob: string): RegExp {
  let re = "";
  for (const ch of glob) {
    if (ch === "*") re += "[^/]*";
    else if (ch === "?") re += "[^/]";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  // Like .gitattributes: a pattern without "/" matches the basename anywhere.
  return glob.includes("/") ? new RegExp(`^${re}$`) : new RegExp(`(^|/)${re}$`);
}

export function isLfsPath(globs: readonly string[], filePath: string): boolean {
  return globs.some((g) => globToRegExp(g).test(filePath));
}

function assertRepoPath(p: string): void {
  if (!p || p.startsWith("/") || p.includes("\\") || p.split("/").some((s) => s === "" || s === "." || s === "..")) {
    throw new Error(`invalid repo file path ${JSON.stringify(p)}`);
  }
}

export function assertRepoId(id: string): void {
  if (!/^[A-Za-z0-9][\w.-]*\/[\w.-]+$/.test(id) || id.includes("..")) throw new Error(`invalid repo id ${JSON.stringify(id)}`);
}

const HEX40 = /^[0-9a-f]{40}$/;

// ---------------------------------------------------------------------------------------------

export class RepoStore {
  readonly root: string;
  private repos = new Map<string, Repo>();

  constructor(root: string) {
    this.root = path.resolve(root);
    mkdirSync(this.root, { recursive: true });
  }

  /** Get or create a repo; the given options are merged into repo.json. */
  repo(id: string, opts?: RepoOptions): Repo {
    assertRepoId(id);
    let repo = this.repos.get(id);
    if (!repo) {
      repo = new Repo(this, id);
      this.repos.set(id, repo);
    }
    repo.ensure(opts);
    return repo;
  }

  /** An existing repo, or null. */
  get(id: string): Repo | null {
    if (!/^[\w.-]+\/[\w.-]+$/.test(id) || id.includes("..")) return null;
    const cached = this.repos.get(id);
    if (cached) return cached.exists() ? cached : null;
    if (!existsSync(path.join(this.root, id, "repo.json"))) return null;
    const repo = new Repo(this, id);
    this.repos.set(id, repo);
    return repo;
  }

  list(): string[] {
    const out: string[] = [];
    for (const ns of safeReaddir(this.root)) {
      for (const name of safeReaddir(path.join(this.root, ns))) {
        if (existsSync(path.join(this.root, ns, name, "repo.json"))) out.push(`${ns}/${name}`);
      }
    }
    return out.sort();
  }

  delete(id: string): void {
    rmSync(path.join(this.root, id), { recursive: true, force: true });
    this.repos.delete(id);
  }

  /** Renamed repos: the Hub answers /api routes of `from` with a 307 to `to`. */
  aliases(): Record<string, string> {
    const p = path.join(this.root, "aliases.json");
    return existsSync(p) ? (JSON.parse(readFileSync(p, "utf8")) as Record<string, string>) : {};
  }

  alias(from: string, to: string): void {
    const all = this.aliases();
    all[from] = to;
    writeFileSync(path.join(this.root, "aliases.json"), JSON.stringify(all, null, 2));
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
  } catch {
    return [];
  }
}

export class Repo {
  readonly store: RepoStore;
  readonly id: string;
  readonly dir: string;
  private commitCache = new Map<string, CommitJson>();
  private jsonCache: RepoJson | null = null;
  private jsonStamp = "";

  constructor(store: RepoStore, id: string) {
    this.store = store;
    this.id = id;
    this.dir = path.join(store.root, id);
  }

  exists(): boolean {
    return existsSync(path.join(this.dir, "repo.json"));
  }

  ensure(opts?: RepoOptions): void {
    if (!this.exists()) {
      const now = (opts?.createdAt ?? new Date("2025-01-01T00:00:00.000Z").toISOString()) as string;
      const json: RepoJson = {
        refs: {},
        gated: false,
        private: false,
        disabled: false,
        lfs: [...DEFAULT_LFS_GLOBS],
        authorized: [],
        createdAt: now,
        lastModified: now,
        ...opts,
      };
      mkdirSync(path.join(this.dir, "commits"), { recursive: true });
      this.writeJson(json);
    } else if (opts && Object.keys(opts).length > 0) {
      this.update(opts);
    }
  }

  /** The parsed repo.json (cached; update() refreshes). */
  json(): RepoJson {
    const p = path.join(this.dir, "repo.json");
    // re-read when another RepoStore on the same root (a CLI, a second process) changed it
    const st = statSync(p);
    const stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    if (!this.jsonCache || stamp !== this.jsonStamp) {
      this.jsonCache = JSON.parse(readFileSync(p, "utf8")) as RepoJson;
      this.jsonStamp = stamp;
    }
    return this.jsonCache;
  }

  update(patch: Partial<RepoJson>): RepoJson {
    const next = { ...this.json(), ...patch };
    this.writeJson(next);
    return next;
  }

  private writeJson(json: RepoJson): void {
    // write-then-rename so concurrent readers never see a half-written file
    const p = path.join(this.dir, "repo.json");
    const tmp = `${p}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(tmp, JSON.stringify(json, null, 2));
    renameSync(tmp, p);
    this.jsonCache = null;
  }

  /** Point a branch or tag at a commit. */
  setRef(ref: string, sha: string): void {
    if (!this.hasCommit(sha)) throw new Error(`${this.id}: unknown commit ${sha}`);
    const json = this.json();
    const commit = this.commitInfo(sha);
    this.update({ refs: { ...json.refs, [ref]: sha }, lastModified: commit.date });
  }

  deleteRef(ref: string): void {
    const refs = { ...this.json().refs };
    delete refs[ref];
    this.update({ refs });
  }

  /** Start a new commit. The parent defaults to the current `main` (its files are carried over). */
  commit(opts: { message?: string; parent?: string | null; date?: string } = {}): CommitBuilder {
    const parent = opts.parent === undefined ? (this.json().refs.main ?? null) : opts.parent;
    if (parent && !this.hasCommit(parent)) throw new Error(`${this.id}: unknown parent commit ${parent}`);
    return new CommitBuilder(this, parent, opts.message ?? "Upload folder using huggingface_hub", opts.date);
  }

  hasCommit(sha: string): boolean {
    return HEX40.test(sha) && existsSync(path.join(this.dir, "commits", `${sha}.json`));
  }

  /** Resolve HEAD, a branch, a tag or a full sha (refs/pr/N and refs/convert/... are plain ref names). */
  resolveRevision(rev: string): string | null {
    const refs = this.json().refs;
    if (rev === "HEAD") return refs.main ?? null;
    if (refs[rev]) return refs[rev];
    if (rev.startsWith("refs/heads/") && refs[rev.slice(11)]) return refs[rev.slice(11)];
    if (rev.startsWith("refs/tags/") && refs[rev.slice(10)]) return refs[rev.slice(10)];
    if (this.hasCommit(rev)) return rev;
    return null;
  }

  commitInfo(sha: string): CommitJson {
    let c = this.commitCache.get(sha);
    if (!c) {
      c = JSON.parse(readFileSync(path.join(this.dir, "commits", `${sha}.json`), "utf8")) as CommitJson;
      this.commitCache.set(sha, c);
    }
    return c;
  }

  files(sha: string): Record<string, FileEntry> {
    return this.commitInfo(sha).files;
  }

  /** Absolute path of a file of a commit on disk. */
  filePath(sha: string, file: string): string {
    assertRepoPath(file);
    return path.join(this.dir, "commits", sha, ...file.split("/"));
  }

  readFile(sha: string, file: string): Buffer {
    return readFileSync(this.filePath(sha, file));
  }

  /** Commits from `sha` back to the root. */
  history(sha: string): CommitJson[] {
    const out: CommitJson[] = [];
    let cur: string | null = sha;
    while (cur) {
      const c = this.commitInfo(cur);
      out.push(c);
      cur = c.parent;
    }
    return out;
  }

  /** The last commit (at or before `sha`) that changed `file`. */
  lastCommitOf(sha: string, file: string): CommitJson {
    const hist = this.history(sha);
    const oid = hist[0]?.files[file]?.oid;
    let last = hist[0]!;
    for (const c of hist) {
      if (c.files[file]?.oid !== oid) break;
      last = c;
    }
    return last;
  }

  isLfs(file: string): boolean {
    return isLfsPath(this.json().lfs, file);
  }
}

export class CommitBuilder {
  readonly repo: Repo;
  readonly parent: string | null;
  readonly message: string;
  readonly date: string;
  private tmpDir: string;
  private files: Record<string, FileEntry> = {};
  private finished = false;

  constructor(repo: Repo, parent: string | null, message: string, date?: string) {
    this.repo = repo;
    this.parent = parent;
    this.message = message;
    const parentDate = parent ? Date.parse(repo.commitInfo(parent).date) : Date.parse(repo.json().createdAt);
    // Deterministic dates: one hour after the parent unless given.
    this.date = date ?? new Date(parentDate + 3600_000).toISOString();
    this.tmpDir = path.join(repo.dir, "commits", `.tmp-${randomBytes(6).toString("hex")}`);
    mkdirSync(this.tmpDir, { recursive: true });
    if (parent) {
      for (const [file, entry] of Object.entries(repo.files(parent))) {
        const dst = this.target(file);
        const src = repo.filePath(parent, file);
        try {
          linkSync(src, dst);
        } catch {
          copyFileSync(src, dst);
        }
        this.files[file] = entry;
      }
    }
  }

  private target(file: string): string {
    assertRepoPath(file);
    if (this.finished) throw new Error("commit already finished");
    const p = path.join(this.tmpDir, ...file.split("/"));
    mkdirSync(path.dirname(p), { recursive: true });
    rmSync(p, { force: true }); // never write through a hard link shared with the parent
    return p;
  }

  /** Write a file (LFS-tracked when it matches the repo's LFS globs, or `opts.lfs`). */
  writeFile(file: string, data: string | Uint8Array, opts: { lfs?: boolean } = {}): FileEntry {
    const buf = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    const p = this.target(file);
    writeFileSync(p, buf);
    return this.record(file, p, buf.length, opts.lfs, buf);
  }

  /** Raw bytes, for crafted or hostile files (wrong offsets, huge N, truncated...). */
  writeRaw(file: string, data: Uint8Array, opts: { lfs?: boolean } = {}): FileEntry {
    return this.writeFile(file, data, opts);
  }

  writeJson(file: string, value: unknown, opts: { indent?: number; lfs?: boolean } = {}): FileEntry {
    return this.writeFile(file, JSON.stringify(value, null, opts.indent ?? 2) + "\n", { lfs: opts.lfs });
  }

  /** A file of `size` bytes whose first bytes are `prefix` and the rest a hole (zeros). */
  writeSparse(file: string, prefix: Uint8Array, size: number, opts: { lfs?: boolean } = {}): FileEntry {
    if (size < prefix.length) throw new Error(`${file}: size ${size} < prefix ${prefix.length}`);
    const p = this.target(file);
    const fd = openSync(p, "w");
    try {
      if (prefix.length) writeSync(fd, prefix, 0, prefix.length, 0);
      ftruncateSync(fd, size);
    } finally {
      closeSync(fd);
    }
    return this.record(file, p, size, opts.lfs, size <= REAL_HASH_LIMIT ? undefined : Buffer.from(prefix));
  }

  /**
   * A safetensors file: 8-byte LE N, the JSON header (tensors contiguous from 0 in the given order),
   * space padding (to a multiple of 8, or to hit `fileSize` exactly), then a sparse data section.
   */
  writeSafetensors(file: string, tensors: readonly TensorDesc[], opts: SafetensorsWriteOptions = {}): SafetensorsWriteResult {
    return this.writeEncodedSafetensors(file, encodeSafetensorsHeader(tensors, opts), opts);
  }

  /** Write a header produced by encodeSafetensorsHeader() followed by its (sparse) data section. */
  writeEncodedSafetensors(file: string, enc: EncodedHeader, opts: { dataSparse?: boolean } = {}): SafetensorsWriteResult {
    const fileSize = 8 + enc.headerLength + enc.dataBytes;
    if (opts.dataSparse === false && fileSize <= 256 * 1024 * 1024) {
      const full = Buffer.alloc(fileSize);
      enc.bytes.copy(full);
      this.writeFile(file, full, { lfs: true });
    } else {
      this.writeSparse(file, enc.bytes, fileSize);
    }
    return {
      path: file,
      headerLength: enc.headerLength,
      jsonLength: enc.jsonLength,
      dataBytes: enc.dataBytes,
      fileSize,
      tensors: enc.tensors,
    };
  }

  /** model.safetensors.index.json: {metadata:{total_size[, total_parameters]}, weight_map}. */
  writeIndex(
    file: string,
    weightMap: Record<string, string>,
    opts: { totalSize: number; totalParameters?: number; metadata?: Record<string, unknown>; indent?: number },
  ): FileEntry {
    const metadata: Record<string, unknown> = { ...(opts.metadata ?? {}) };
    if (opts.totalParameters !== undefined) metadata.total_parameters = opts.totalParameters;
    metadata.total_size = opts.totalSize;
    return this.writeJson(file, { metadata, weight_map: weightMap }, { indent: opts.indent ?? 2 });
  }

  /** Copy a file from disk as is. */
  copyFrom(file: string, src: string, opts: { lfs?: boolean } = {}): FileEntry {
    const p = this.target(file);
    copyFileSync(src, p);
    const size = statSync(p).size;
    return this.record(file, p, size, opts.lfs);
  }

  deleteFile(file: string): void {
    assertRepoPath(file);
    rmSync(path.join(this.tmpDir, ...file.split("/")), { force: true });
    delete this.files[file];
  }

  has(file: string): boolean {
    return file in this.files;
  }

  private record(file: string, p: string, size: number, lfs: boolean | undefined, content?: Buffer): FileEntry {
    const isLfs = lfs ?? this.repo.isLfs(file);
    let entry: FileEntry;
    if (!isLfs) {
      const buf = content && content.length === size ? content : readFileSync(p);
      entry = { size, oid: gitBlobOid(buf) };
    } else {
      let sha256: string;
      if (content && content.length === size) sha256 = createHash("sha256").update(content).digest("hex");
      else if (size <= REAL_HASH_LIMIT) sha256 = hashFile(p, size, "sha256");
      else {
        // Pseudo content hash: stable for the same written prefix and size (the rest is zeros).
        sha256 = createHash("sha256")
          .update(`sparse:${size}:`)
          .update(content ?? Buffer.alloc(0))
          .digest("hex");
      }
      const pointer = lfsPointer(sha256, size);
      entry = { size, oid: gitBlobOid(Buffer.from(pointer)), lfs: { oid: sha256, size, pointerSize: Buffer.byteLength(pointer) } };
    }
    this.files[file] = entry;
    return entry;
  }

  /** Seal the commit (sha derived from parent, message, date and file oids) and move `ref` to it. */
  finish(opts: { ref?: string | null; tags?: string[] } = {}): string {
    if (this.finished) throw new Error("commit already finished");
    const sorted = Object.keys(this.files).sort();
    const h = createHash("sha1");
    h.update(`parent ${this.parent ?? ""}\ndate ${this.date}\nmessage ${this.message}\n`);
    for (const f of sorted) h.update(`${f}\0${this.files[f]!.oid}\n`);
    let sha = h.digest("hex");
    // Same content as an existing commit (e.g. an empty commit twice): salt until unique.
    let salt = 0;
    while (this.repo.hasCommit(sha)) sha = createHash("sha1").update(`${sha}:${++salt}`).digest("hex");
    const files: Record<string, FileEntry> = {};
    for (const f of sorted) files[f] = this.files[f]!;
    const commit: CommitJson = { sha, parent: this.parent, message: this.message, date: this.date, files };
    const commitsDir = path.join(this.repo.dir, "commits");
    renameSync(this.tmpDir, path.join(commitsDir, sha));
    writeFileSync(path.join(commitsDir, `${sha}.json`), JSON.stringify(commit));
    this.finished = true;
    const ref = opts.ref === undefined ? "main" : opts.ref;
    if (ref) this.repo.setRef(ref, sha);
    for (const t of opts.tags ?? []) this.repo.setRef(t, sha);
    return sha;
  }

  /** Throw away an unfinished commit. */
  abort(): void {
    if (!this.finished) rmSync(this.tmpDir, { recursive: true, force: true });
    this.finished = true;
  }
}

/** Read the N header bytes of a safetensors file on disk (null if it is not a sane safetensors file). */
export function readSafetensorsHeaderFromDisk(file: string): Record<string, unknown> | null {
  const fd = openSync(file, "r");
  try {
    const size = statSync(file).size;
    if (size < 8) return null;
    const lenBuf = Buffer.alloc(8);
    readSync(fd, lenBuf, 0, 8, 0);
    const n = lenBuf.readBigUInt64LE(0);
    if (n <= 0n || n > 100_000_000n || Number(n) + 8 > size) return null;
    const buf = Buffer.alloc(Number(n));
    readSync(fd, buf, 0, buf.length, 8);
    const parsed: unknown = JSON.parse(buf.toString("utf8"));
    return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
