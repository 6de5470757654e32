/**
 * A local Hugging Face Hub on 127.0.0.1 that speaks the Hub protocol as @huggingface/hub and
 * huggingface_hub see it (docs: ../shared/docs/hub-protocol.md §2): model info, tree (paginated with
 * absolute Link URLs), paths-info, resolve/raw with byte ranges, LFS files redirected (302) to a
 * second "CDN" listener, whoami-v2, the error matrix of §2.6 with the real status codes, X-Error-Code
 * values and content types, rate-limit headers, and deterministic fault injection.
 *
 * Repos come from a RepoStore (repo-store.ts). Every request is logged (never the token itself).
 * Never sends application/vnd.xet-fileinfo+json: there is no fake CAS.
 *
 *   const store = new RepoStore(dir);
 *   buildCorpusRepo(store, "mistralai__Mistral-7B-Instruct-v0.3");
 *   const hub = await startHubServer({ store, tokens: ["hf_test123"], faults: [{ kind: "429", times: 1 }] });
 *   await parseSafetensorsMetadata({ repo: "mistralai/Mistral-7B-Instruct-v0.3", hubUrl: hub.url, ...{ xet: false } });
 *   hub.requests; // [{ listener, method, url, range, auth, status, bytes, errorCode, fault, ... }]
 *   await hub.close();
 *
 * Client facts this server reproduces on purpose (see hub-protocol.md): LFS reads go Hub 302 -> CDN;
 * with `X-Cache: ... cloudfront` on CDN responses (default) @huggingface/hub keeps the CDN URL and
 * sends its Authorization header straight to the CDN on later reads; without it every read is
 * Hub 302 + CDN and the CDN never sees the token (undici drops it on the cross-origin redirect).
 */
import { createHash, createHmac, randomBytes } from "node:crypto";
import { createReadStream } from "node:fs";
import { open as openFile, type FileHandle } from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { once } from "node:events";
import { parse as parseYaml } from "yaml";
import { RepoStore, readSafetensorsHeaderFromDisk, type FileEntry, type Repo } from "./repo-store.js";

// ---------------------------------------------------------------------------------------------
// public types

export type Listener = "hub" | "cdn";

export type FaultKind = "429" | "5xx" | "reset" | "truncate" | "stall" | "ignore-range" | "latency" | "etag-change";

/** What a fault rule's `match` sees. */
export interface FaultRequest {
  listener: Listener;
  method: string;
  /** Path + query as received. */
  url: string;
  /** Decoded path without query. */
  path: string;
  range: string | null;
  auth: boolean;
  headers: IncomingMessage["headers"];
}

export interface FaultRule {
  match?: ((req: FaultRequest) => boolean) | { path?: RegExp; method?: string; listener?: Listener };
  kind: FaultKind;
  /** How many matching requests get the fault (default: all). */
  times?: number;
  /** Chance (0..1) that a matching request gets it, drawn from the seeded PRNG (default 1). */
  probability?: number;
  /** 429: Retry-After seconds (default 1). */
  retryAfter?: number;
  /** 429: seconds in `RateLimit: "<bucket>";r=0;t=N` (default retryAfter). */
  rateLimitReset?: number;
  /** 5xx: status (default 503). */
  status?: 500 | 502 | 503 | 504;
  /** latency: delay in ms (default 100). */
  latencyMs?: number;
}

export interface LogEntry {
  seq: number;
  listener: Listener;
  method: string;
  /** Path + query as received. */
  url: string;
  range: string | null;
  /** Whether an Authorization header arrived (the token itself is never stored). */
  auth: boolean;
  /** Status sent (0 when the connection was reset before a status line). */
  status: number;
  /** Body bytes written. */
  bytes: number;
  /** X-Error-Code of the response, if any. */
  errorCode: string | null;
  fault: FaultKind | null;
  startedAt: number;
  durationMs: number;
}

export interface WhoAmIInfo {
  name: string;
  fullname?: string;
  email?: string;
  role?: "read" | "write" | "contributor" | "admin";
  orgs?: string[];
}

export interface HubServerOptions {
  /** The repo store to serve, or a root directory to open one on. */
  store?: RepoStore;
  root?: string;
  /** Valid access tokens (hf_...). Any other token gets 401 "Invalid credentials in Authorization header". */
  tokens?: string[];
  /** Per-token identity for whoami-v2. */
  users?: Record<string, WhoAmIInfo>;
  /** Renamed repos (old id -> new id), merged with the store's aliases.json. */
  aliases?: Record<string, string>;
  /** Tree page size (default 1000; the Hub uses 50 with expand=true, also capped by this). */
  treePageSize?: number;
  /** Answer resolve of small (non-LFS) files with a 307 to /api/resolve-cache/... (default false). */
  resolveCache?: boolean;
  /** CDN responses carry `X-Cache: Miss from cloudfront` (the JS client then reuses the CDN URL). Default true. */
  cdnCloudfront?: boolean;
  faults?: FaultRule[];
  /** PRNG seed for fault probabilities (default 1). */
  seed?: number;
  /** Delay before every response (ms). */
  latencyMs?: number;
  /** Cap on body bytes per second per response. */
  bandwidthBytesPerSec?: number;
  /** Rate-limit quotas per 5-minute window; with `enforce` the server answers 429 past them. */
  rateLimit?: { api?: number; resolvers?: number; pages?: number; windowSec?: number; enforce?: boolean };
  /** Lifetime of signed CDN URLs in seconds (default 3600). */
  signedUrlTtlSec?: number;
  host?: string;
  port?: number;
  cdnPort?: number;
}

export interface HubServer {
  /** http://127.0.0.1:PORT, to pass as hubUrl. */
  readonly url: string;
  /** http://127.0.0.1:PORT2, the LFS "CDN". */
  readonly cdnUrl: string;
  readonly store: RepoStore;
  /** Live log (emptied in place by resetLog()). */
  readonly requests: LogEntry[];
  resetLog(): void;
  setFaults(rules: FaultRule[]): void;
  setLatency(ms: number): void;
  setBandwidth(bytesPerSec: number | undefined): void;
  /** Add or replace a rename alias. */
  setAlias(from: string, to: string): void;
  /**
   * Hold the first `bytes` bytes of each file in memory (as a CDN's cache holds hot objects):
   * ranged reads inside a held prefix are answered without touching the file. Files must not change
   * afterwards (repo files are per commit). Returns the bytes held.
   */
  preload(files: readonly { path: string; bytes: number }[]): Promise<number>;
  /** Number of faults injected so far (all kinds). */
  readonly faultsInjected: number;
  /** Faults injected per kind. */
  readonly faultCounts: Partial<Record<FaultKind, number>>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// helpers

const EXPOSE_HEADERS =
  "X-Repo-Commit,X-Request-Id,X-Error-Code,X-Error-Message,X-Total-Count,ETag,Link,Accept-Ranges,Content-Range,X-Linked-Size,X-Linked-ETag,X-Xet-Hash";

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Up to `n` bytes of a file from `pos`, by positional reads (fewer only at the end of the file). */
async function readAt(fh: FileHandle, pos: number, n: number): Promise<Buffer> {
  const b = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(b, got, n - got, pos + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got === n ? b : b.subarray(0, got);
}

type RangeResult = { kind: "none" } | { kind: "range"; start: number; end: number } | { kind: "unsatisfiable" };

/** Single byte range per RFC 9110 (inclusive). Multiple ranges or garbage -> ignored (full body). */
export function parseRange(header: string | undefined | null, size: number): RangeResult {
  if (!header) return { kind: "none" };
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === "" && m[2] === "")) return { kind: "none" };
  if (m[1] === "") {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return { kind: "unsatisfiable" };
    return { kind: "range", start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  let end = m[2] === "" ? size - 1 : Number(m[2]);
  if (m[2] !== "" && end < start) return { kind: "none" };
  if (start >= size) return { kind: "unsatisfiable" };
  end = Math.min(end, size - 1);
  return { kind: "range", start, end };
}

function contentTypeFor(file: string, lfs: boolean): string {
  if (lfs) return "application/octet-stream";
  if (/\.(json|md|txt|ya?ml|py|jinja|model|tiktoken|csv|cfg|ini|gitattributes)$|(^|\/)\.gitattributes$/i.test(file))
    return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

function encodePath(p: string): string {
  return p.split("/").map(encodeURIComponent).join("/");
}

function mongoId(s: string): string {
  return createHash("sha1").update(s).digest("hex").slice(0, 24);
}

function requestId(): string {
  return `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString("hex")}`;
}

const REVISION_PREFIXES = new Set(["pr", "convert", "heads", "tags"]);

/** Split "<rev>/<path>" when the revision may be unencoded "refs/pr/1". Segments are already decoded. */
function splitRevAndPath(segs: string[]): { rev: string; path: string } | null {
  if (!segs.length) return null;
  if (segs[0] === "refs" && segs.length >= 3 && REVISION_PREFIXES.has(segs[1]!)) {
    return { rev: segs.slice(0, 3).join("/"), path: segs.slice(3).join("/") };
  }
  return { rev: segs[0]!, path: segs.slice(1).join("/") };
}

interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  listener: Listener;
  entry: LogEntry;
  fault: FaultRule | null;
  token: string | null;
  authHeader: boolean;
  tokenValid: boolean;
  bucket: "api" | "resolvers" | "pages" | null;
}

interface CdnObject {
  file: string;
  size: number;
  oid: string;
  name: string;
}

interface SendBody {
  file: string;
  start: number;
  end: number; // inclusive
}

// ---------------------------------------------------------------------------------------------

export async function startHubServer(opts: HubServerOptions): Promise<HubServer> {
  const store = opts.store ?? (opts.root ? new RepoStore(opts.root) : null);
  if (!store) throw new Error("startHubServer: pass `store` or `root`");
  const tokens = new Set(opts.tokens ?? []);
  const aliases: Record<string, string> = { ...(opts.aliases ?? {}) };
  let faults: { rule: FaultRule; left: number }[] = [];
  const setFaults = (rules: FaultRule[]) => {
    faults = rules.map((rule) => ({ rule, left: rule.times ?? Infinity }));
  };
  setFaults(opts.faults ?? []);
  const rand = mulberry32(opts.seed ?? 1);
  let latencyMs = opts.latencyMs ?? 0;
  let bandwidth = opts.bandwidthBytesPerSec;
  const faultCounts: Partial<Record<FaultKind, number>> = {};
  let faultsInjected = 0;
  let etagChanges = 0;
  const requests: LogEntry[] = [];
  let seq = 0;
  const secret = randomBytes(16);
  const cdnObjects = new Map<string, CdnObject>();
  const sockets = new Set<Socket>();
  const stInfoCache = new Map<string, { parameters: Record<string, number>; total: number } | null>();
  const rlWindow = opts.rateLimit?.windowSec ?? 300;
  const rlCounts = new Map<string, number>();
  let rlWindowStart = Date.now();
  // free-user quotas per 5 minutes (hub-docs rate-limits.md); anonymous callers get the lower tier
  const quotas = { api: opts.rateLimit?.api ?? 1000, resolvers: opts.rateLimit?.resolvers ?? 5000, pages: opts.rateLimit?.pages ?? 200 };
  const anonQuotas = {
    api: opts.rateLimit?.api ?? 500,
    resolvers: opts.rateLimit?.resolvers ?? 3000,
    pages: opts.rateLimit?.pages ?? 100,
  };
  const quotaFor = (bucket: "api" | "resolvers" | "pages", authed: boolean) => (authed ? quotas[bucket] : anonQuotas[bucket]);

  let hubUrl = "";
  let cdnUrl = "";

  // ---------------- auth / errors

  const parseAuth = (req: IncomingMessage): { header: boolean; token: string | null; valid: boolean } => {
    const h = req.headers.authorization;
    if (h === undefined) return { header: false, token: null, valid: true };
    const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
    const token = m ? m[1]! : null;
    return { header: true, token, valid: token !== null && tokens.has(token) };
  };

  const baseHeaders = (ctx: Ctx): Record<string, string | number> => {
    const h: Record<string, string | number> = {};
    if (ctx.listener === "hub") {
      h["X-Request-Id"] = requestId();
      h["Access-Control-Allow-Origin"] = "*";
      h["Access-Control-Expose-Headers"] = EXPOSE_HEADERS;
      h["Vary"] = "Origin";
      if (ctx.bucket) {
        const now = Date.now();
        if (now - rlWindowStart >= rlWindow * 1000) {
          rlWindowStart = now;
          rlCounts.clear();
        }
        const q = quotaFor(ctx.bucket, !!ctx.token && ctx.tokenValid);
        const used = rlCounts.get(`${ctx.bucket}:${ctx.token ?? ""}`) ?? 0;
        const t = Math.max(1, Math.ceil((rlWindowStart + rlWindow * 1000 - now) / 1000));
        h["RateLimit"] = `"${ctx.bucket}";r=${Math.max(0, q - used)};t=${t}`;
        h["RateLimit-Policy"] = `"fixed window";"${ctx.bucket}";q=${q};w=${rlWindow}`;
      }
    }
    return h;
  };

  const sendError = (
    ctx: Ctx,
    status: number,
    message: string,
    o: { code?: string; json?: boolean; headers?: Record<string, string | number>; body?: string } = {},
  ): void => {
    const json = o.json ?? false;
    const body = o.body ?? (json ? JSON.stringify({ error: message }) : message);
    const h: Record<string, string | number> = {
      ...baseHeaders(ctx),
      "Content-Type": json ? "application/json; charset=utf-8" : "text/plain; charset=utf-8",
      "X-Error-Message": message,
      ...(o.code ? { "X-Error-Code": o.code } : {}),
      ...(o.headers ?? {}),
    };
    void send(ctx, status, h, Buffer.from(body));
  };

  const badToken = (ctx: Ctx) => sendError(ctx, 401, "Invalid credentials in Authorization header", { json: true });

  /** 401 (anonymous) or 404 (authenticated) RepoNotFound, as the Hub answers for missing and private repos. */
  const repoNotFound = (ctx: Ctx) => {
    if (!ctx.token) {
      sendError(ctx, 401, "Invalid username or password.", {
        json: true,
        code: "RepoNotFound",
        headers: { "WWW-Authenticate": 'Bearer realm="Authentication required", charset="UTF-8"' },
      });
    } else sendError(ctx, 404, "Repository not found", { json: true, code: "RepoNotFound" });
  };

  const authorized = (repo: Repo, ctx: Ctx) => !!ctx.token && ctx.tokenValid && repo.json().authorized.includes(ctx.token);

  /** Checks shared by every repo route. Returns the repo, or null after answering. */
  const checkRepo = (ctx: Ctx, id: string, kind: "meta" | "file", api: boolean): Repo | null => {
    const repo = store.get(id);
    if (!repo) {
      repoNotFound(ctx);
      return null;
    }
    const j = repo.json();
    if (j.private && !authorized(repo, ctx)) {
      repoNotFound(ctx);
      return null;
    }
    if (j.disabled) {
      sendError(ctx, 403, "Access to this resource is disabled.", { json: api });
      return null;
    }
    if (kind === "file" && j.gated && !authorized(repo, ctx)) {
      if (!ctx.token)
        sendError(
          ctx,
          401,
          `Access to model ${id} is restricted. You must have access to it and be authenticated to access it. Please log in.`,
          { code: "GatedRepo" },
        );
      else
        sendError(
          ctx,
          403,
          `Access to model ${id} is restricted and you are not in the authorized list. Visit https://huggingface.co/${id} to ask for access.`,
          { code: "GatedRepo" },
        );
      return null;
    }
    return repo;
  };

  const resolveRev = (ctx: Ctx, repo: Repo, rev: string, api: boolean): string | null => {
    const sha = repo.resolveRevision(rev);
    if (!sha) sendError(ctx, 404, `Invalid rev id: ${rev}`, { code: "RevisionNotFound", json: api });
    return sha;
  };

  // ---------------- sending

  const count = (ctx: Ctx, n: number) => {
    ctx.entry.bytes += n;
  };

  // Open files kept for ranged reads (a CDN serves from memory; opening and closing a file per
  // request cost this process a third of its CPU on a zoo of sparse shards). At most FILES_OPEN,
  // the least recently used idle one closed first; all closed by close().
  const FILES_OPEN = 512;
  /** File prefixes held in memory (preload). */
  const prefixes = new Map<string, Buffer>();
  const files = new Map<string, { fh: Promise<FileHandle>; users: number }>();
  const withFile = async <T>(file: string, use: (fh: FileHandle) => Promise<T>): Promise<T> => {
    let e = files.get(file);
    if (e) files.delete(file);
    else e = { fh: openFile(file, "r"), users: 0 };
    files.set(file, e);
    e.users++;
    try {
      return await use(await e.fh);
    } catch (err) {
      if (files.get(file) === e) files.delete(file);
      throw err;
    } finally {
      e.users--;
      if (files.size > FILES_OPEN) {
        for (const [k, v] of files) {
          if (files.size <= FILES_OPEN) break;
          if (v.users > 0) continue;
          files.delete(k);
          void v.fh.then((h) => h.close()).catch(() => undefined);
        }
      }
    }
  };
  const closeFiles = async (): Promise<void> => {
    const all = [...files.values()];
    files.clear();
    await Promise.all(all.map((v) => v.fh.then((h) => h.close()).catch(() => undefined)));
  };

  const writeChunk = async (ctx: Ctx, chunk: Buffer): Promise<boolean> => {
    const { res } = ctx;
    if (res.destroyed) return false;
    const bps = bandwidth;
    if (bps && bps > 0) {
      const step = Math.max(1024, Math.floor(bps / 20));
      for (let i = 0; i < chunk.length; i += step) {
        const part = chunk.subarray(i, i + step);
        if (res.destroyed) return false;
        count(ctx, part.length);
        if (!res.write(part)) await Promise.race([once(res, "drain"), once(res, "close")]);
        await sleep((part.length / bps) * 1000);
      }
      return !res.destroyed;
    }
    count(ctx, chunk.length);
    if (!res.write(chunk)) await Promise.race([once(res, "drain"), once(res, "close")]);
    return !res.destroyed;
  };

  /** Send a response, applying the request's body-level fault (truncate, stall, etag-change). */
  const send = async (
    ctx: Ctx,
    status: number,
    headers: Record<string, string | number>,
    body: Buffer | SendBody | null,
  ): Promise<void> => {
    const { res, req } = ctx;
    const fault = ctx.fault?.kind;
    if (fault === "etag-change") {
      for (const k of ["ETag", "X-Linked-Etag"]) {
        const v = headers[k];
        if (typeof v === "string") headers[k] = `"${createHash("sha256").update(`${v}:${++etagChanges}`).digest("hex")}"`;
      }
    }
    const length = body === null ? 0 : Buffer.isBuffer(body) ? body.length : body.end - body.start + 1;
    headers["Content-Length"] = length;
    if (typeof headers["X-Error-Code"] === "string") ctx.entry.errorCode = headers["X-Error-Code"];
    if (res.destroyed) return;
    res.writeHead(status, headers);
    ctx.entry.status = status; // available as soon as the client sees the status line
    const head = req.method === "HEAD";
    if (fault === "stall") {
      res.flushHeaders();
      return; // nothing more; the client gives up or close() destroys the socket
    }
    if (head || body === null || length === 0) {
      res.end();
      return;
    }
    const limit = fault === "truncate" ? Math.floor(length / 2) : length;
    if (Buffer.isBuffer(body)) {
      if (!(await writeChunk(ctx, body.subarray(0, limit)))) return;
    } else {
      let remaining = limit;
      const held = prefixes.get(body.file);
      if (remaining > 0 && held && body.start + remaining <= held.length) {
        if (!(await writeChunk(ctx, held.subarray(body.start, body.start + remaining)))) return;
        remaining = 0;
      }
      if (remaining > 0 && remaining <= 16 * 1024 * 1024) {
        // headers and other small ranges: one positional read on a kept file
        let buf: Buffer;
        try {
          buf = await withFile(body.file, (fh) => readAt(fh, body.start, remaining));
        } catch {
          res.destroy();
          return;
        }
        if (!(await writeChunk(ctx, buf))) return;
        remaining = 0;
      }
      if (remaining > 0) {
        const stream = createReadStream(body.file, { start: body.start, end: body.start + remaining - 1, highWaterMark: 256 * 1024 });
        try {
          for await (const chunk of stream as AsyncIterable<Buffer>) {
            remaining -= chunk.length;
            if (!(await writeChunk(ctx, chunk))) break;
          }
        } catch {
          res.destroy();
          return;
        } finally {
          stream.destroy();
        }
      }
    }
    if (fault === "truncate") {
      // headers promised the full Content-Length: cut the connection mid-body
      await new Promise<void>((r) => res.write("", () => r()));
      res.socket?.destroy();
      return;
    }
    res.end();
  };

  const sendJson = (ctx: Ctx, status: number, value: unknown, extra: Record<string, string | number> = {}) =>
    send(ctx, status, { ...baseHeaders(ctx), "Content-Type": "application/json; charset=utf-8", ...extra }, Buffer.from(JSON.stringify(value)));

  /** Serve bytes of a file with Range support. */
  const serveBytes = (
    ctx: Ctx,
    headers: Record<string, string | number>,
    source: { file: string; size: number } | Buffer,
  ): Promise<void> => {
    const size = Buffer.isBuffer(source) ? source.length : source.size;
    headers["Accept-Ranges"] = "bytes";
    const rangeHeader = ctx.fault?.kind === "ignore-range" ? null : (ctx.req.headers.range ?? null);
    const r = parseRange(rangeHeader, size);
    if (r.kind === "unsatisfiable") {
      return send(ctx, 416, { ...headers, "Content-Range": `bytes */${size}`, "Content-Type": "text/plain; charset=utf-8" }, null);
    }
    const start = r.kind === "range" ? r.start : 0;
    const end = r.kind === "range" ? r.end : size - 1;
    const status = r.kind === "range" ? 206 : 200;
    if (r.kind === "range") headers["Content-Range"] = `bytes ${start}-${end}/${size}`;
    if (size === 0) return send(ctx, 200, headers, null);
    const body: Buffer | SendBody = Buffer.isBuffer(source) ? source.subarray(start, end + 1) : { file: source.file, start, end };
    return send(ctx, status, headers, body);
  };

  // ---------------- repo JSON

  const safetensorsInfo = (repo: Repo, sha: string): { parameters: Record<string, number>; total: number } | null => {
    const key = `${repo.id}@${sha}`;
    if (stInfoCache.has(key)) return stInfoCache.get(key)!;
    const files = repo.files(sha);
    let shards: string[] = [];
    if (files["model.safetensors.index.json"]) {
      try {
        const idx = JSON.parse(repo.readFile(sha, "model.safetensors.index.json").toString("utf8")) as { weight_map?: Record<string, string> };
        shards = [...new Set(Object.values(idx.weight_map ?? {}))].filter((f) => files[f]);
      } catch {
        shards = [];
      }
    } else if (files["model.safetensors"]) shards = ["model.safetensors"];
    let info: { parameters: Record<string, number>; total: number } | null = null;
    if (shards.length) {
      const parameters: Record<string, number> = {};
      let total = 0;
      let ok = true;
      for (const f of shards) {
        const h = readSafetensorsHeaderFromDisk(repo.filePath(sha, f));
        if (!h) {
          ok = false;
          break;
        }
        for (const [name, t] of Object.entries(h)) {
          if (name === "__metadata__" || !t || typeof t !== "object") continue;
          const { dtype, shape } = t as { dtype?: unknown; shape?: unknown };
          if (typeof dtype !== "string" || !Array.isArray(shape)) continue;
          const n = (shape as number[]).reduce((a, b) => a * b, 1);
          parameters[dtype] = (parameters[dtype] ?? 0) + n;
          total += n;
        }
      }
      if (ok) info = { parameters, total };
    }
    stInfoCache.set(key, info);
    return info;
  };

  const readJsonFile = (repo: Repo, sha: string, file: string): Record<string, unknown> | null => {
    if (!repo.files(sha)[file] || repo.files(sha)[file]!.lfs) return null;
    try {
      const v: unknown = JSON.parse(repo.readFile(sha, file).toString("utf8"));
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };

  const cardData = (repo: Repo, sha: string): Record<string, unknown> | undefined => {
    const f = repo.files(sha)["README.md"];
    if (!f || f.lfs) return undefined;
    const text = repo.readFile(sha, "README.md").toString("utf8");
    const m = /^---\r?\n([\s\S]*?)\r?\n---(\r?\n|$)/.exec(text);
    if (!m) return undefined;
    try {
      const v: unknown = parseYaml(m[1]!);
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };

  const modelJson = (repo: Repo, sha: string, query: URLSearchParams): Record<string, unknown> => {
    const j = repo.json();
    const commit = repo.commitInfo(sha);
    const files = commit.files;
    const paths = Object.keys(files);
    const config = readJsonFile(repo, sha, "config.json");
    const card = cardData(repo, sha);
    const meta = j.meta ?? {};
    const arch = (config?.architectures as string[] | undefined)?.[0];
    const causal = !!arch && /ForCausalLM$/.test(arch);
    const pipeline =
      meta.pipeline_tag !== undefined
        ? meta.pipeline_tag
        : typeof card?.pipeline_tag === "string"
          ? card.pipeline_tag
          : causal
            ? "text-generation"
            : arch && /ForConditionalGeneration$/.test(arch)
              ? "image-text-to-text"
              : undefined;
    const library =
      meta.library_name !== undefined ? meta.library_name : typeof card?.library_name === "string" ? card.library_name : config ? "transformers" : undefined;
    const tags = new Set<string>();
    if (library) tags.add(library);
    if (paths.some((p) => p.endsWith(".safetensors"))) tags.add("safetensors");
    if (paths.some((p) => p.endsWith(".gguf"))) tags.add("gguf");
    if (paths.some((p) => p.endsWith(".onnx"))) tags.add("onnx");
    if (typeof config?.model_type === "string") tags.add(config.model_type);
    if (pipeline) tags.add(pipeline);
    for (const t of (card?.tags as string[] | undefined) ?? []) if (typeof t === "string") tags.add(t);
    if (typeof card?.license === "string") tags.add(`license:${card.license}`);
    for (const b of ([] as unknown[]).concat(card?.base_model ?? [])) if (typeof b === "string") tags.add(`base_model:${b}`);
    for (const t of meta.tags ?? []) tags.add(t);
    tags.add("region:us");
    const tokCfg = readJsonFile(repo, sha, "tokenizer_config.json");
    const cfgSubset: Record<string, unknown> | undefined = config
      ? {
          ...(config.architectures ? { architectures: config.architectures } : {}),
          ...(config.model_type ? { model_type: config.model_type } : {}),
          ...(config.quantization_config ? { quantization_config: config.quantization_config } : {}),
          ...(tokCfg
            ? {
                tokenizer_config: Object.fromEntries(
                  ["bos_token", "eos_token", "pad_token", "unk_token", "chat_template"].filter((k) => k in tokCfg).map((k) => [k, tokCfg[k]]),
                ),
              }
            : {}),
        }
      : undefined;
    const blobs = query.get("blobs") === "true" || query.get("blobs") === "1";
    const siblings = paths.map((p) => {
      const e = files[p]!;
      return blobs
        ? { rfilename: p, size: e.size, blobId: e.oid, ...(e.lfs ? { lfs: { sha256: e.lfs.oid, size: e.lfs.size, pointerSize: e.lfs.pointerSize } } : {}) }
        : { rfilename: p };
    });
    const st = safetensorsInfo(repo, sha);
    const full: Record<string, unknown> = {
      _id: mongoId(repo.id),
      id: repo.id,
      modelId: repo.id,
      author: meta.author ?? repo.id.split("/")[0],
      sha,
      lastModified: commit.date,
      createdAt: j.createdAt,
      private: j.private,
      gated: j.gated,
      disabled: j.disabled,
      downloads: meta.downloads ?? 0,
      downloadsAllTime: meta.downloads ?? 0,
      likes: meta.likes ?? 0,
      library_name: library ?? undefined,
      tags: [...tags],
      pipeline_tag: pipeline ?? undefined,
      ...(cfgSubset ? { config: cfgSubset } : {}),
      ...(causal ? { transformersInfo: { auto_model: "AutoModelForCausalLM", pipeline_tag: "text-generation", processor: "AutoTokenizer" } } : {}),
      ...(card ? { cardData: card } : {}),
      "model-index": null,
      spaces: [],
      siblings,
      ...(st ? { safetensors: st } : {}),
      usedStorage: paths.reduce((a, p) => a + files[p]!.size, 0),
      gitalyUid: mongoId(`gitaly:${repo.id}`),
      xetEnabled: false,
    };
    const expand = query.getAll("expand");
    if (!expand.length) return full;
    const out: Record<string, unknown> = { _id: full._id, id: full.id };
    for (const k of expand) {
      if (k === "inferenceProviderMapping") out[k] = [];
      else if (k in full) out[k] = full[k];
    }
    return out;
  };

  // ---------------- tree / paths-info entries

  const dirOid = (sha: string, dir: string) => createHash("sha1").update(`tree ${sha}:${dir}`).digest("hex");

  const fileEntryJson = (repo: Repo, sha: string, p: string, e: FileEntry, expand: boolean) => {
    const out: Record<string, unknown> = { type: "file", oid: e.oid, size: e.size, path: p };
    if (e.lfs) out.lfs = { oid: e.lfs.oid, size: e.lfs.size, pointerSize: e.lfs.pointerSize };
    if (expand) {
      const c = repo.lastCommitOf(sha, p);
      out.lastCommit = { id: c.sha, title: c.message, date: c.date };
      out.securityFileStatus = { status: "safe", avScan: { status: "safe", virusNames: null }, pickleImportScan: null };
    }
    return out;
  };

  const dirEntryJson = (repo: Repo, sha: string, p: string, expand: boolean) => {
    const out: Record<string, unknown> = { type: "directory", oid: dirOid(sha, p), size: 0, path: p };
    if (expand) {
      const c = repo.commitInfo(sha);
      out.lastCommit = { id: c.sha, title: c.message, date: c.date };
    }
    return out;
  };

  /** Directory listing entries (pre-order, sorted by name) under `dir` ("" = root). Null if dir does not exist. */
  const listTree = (repo: Repo, sha: string, dir: string, recursive: boolean): { path: string; dir: boolean }[] | null => {
    const files = Object.keys(repo.files(sha));
    const prefix = dir ? `${dir}/` : "";
    if (dir && !files.some((f) => f.startsWith(prefix))) return null;
    const children = new Map<string, { dir: boolean }>();
    for (const f of files) {
      if (!f.startsWith(prefix)) continue;
      const rest = f.slice(prefix.length);
      const first = rest.split("/")[0]!;
      const isDir = rest.includes("/");
      if (!children.has(first) || isDir) children.set(first, { dir: isDir });
    }
    const out: { path: string; dir: boolean }[] = [];
    for (const name of [...children.keys()].sort()) {
      const p = prefix + name;
      const isDir = children.get(name)!.dir;
      out.push({ path: p, dir: isDir });
      if (isDir && recursive) out.push(...(listTree(repo, sha, p, true) ?? []));
    }
    return out;
  };

  // ---------------- route handlers

  const handleModelApi = async (ctx: Ctx, url: URL, segs: string[]): Promise<void> => {
    // segs: after /api/models/
    const method = ctx.req.method ?? "GET";
    // renamed repos: 307 to the canonical id (relative Location)
    const all = { ...store.aliases(), ...aliases };
    for (const k of [segs.slice(0, 2).join("/"), segs[0] ?? ""]) {
      if (k && all[k] && !store.get(k)) {
        const rest = segs.slice(k.split("/").length).map(encodeURIComponent);
        const loc = `/api/models/${all[k]}${rest.length ? "/" + rest.join("/") : ""}${url.search}`;
        return send(ctx, 307, { ...baseHeaders(ctx), Location: loc, "Content-Type": "text/plain; charset=utf-8" }, Buffer.from(`Temporary Redirect. Redirecting to ${loc}`));
      }
    }
    if (segs.length < 2) return sendError(ctx, 404, "Repository not found", { json: true, code: "RepoNotFound" });
    const id = `${segs[0]}/${segs[1]}`;
    const rest = segs.slice(2);
    const op = rest[0];
    if (op === undefined || op === "revision") {
      if (method !== "GET" && method !== "HEAD") return sendError(ctx, 405, "Method not allowed", { json: true });
      const repo = checkRepo(ctx, id, "meta", true);
      if (!repo) return;
      const rev = op === undefined ? "main" : rest.slice(1).join("/");
      if (op === "revision" && !rev) return sendError(ctx, 404, "Invalid rev id: ", { json: true, code: "RevisionNotFound" });
      const sha = resolveRev(ctx, repo, rev, true);
      if (!sha) return;
      return sendJson(ctx, 200, modelJson(repo, sha, url.searchParams));
    }
    if (op === "tree") {
      const repo = checkRepo(ctx, id, "meta", true);
      if (!repo) return;
      const rp = splitRevAndPath(rest.slice(1));
      if (!rp) return sendError(ctx, 404, "Invalid rev id: ", { json: true, code: "RevisionNotFound" });
      const sha = resolveRev(ctx, repo, rp.rev, true);
      if (!sha) return;
      const dir = rp.path.replace(/\/+$/, "");
      const recursive = ["true", "1"].includes(url.searchParams.get("recursive") ?? "");
      const expand = ["true", "1"].includes(url.searchParams.get("expand") ?? "");
      const entries = listTree(repo, sha, dir, recursive);
      if (!entries) return sendError(ctx, 404, "Entry not found", { json: true, code: "EntryNotFound" });
      const maxPage = Math.max(1, expand ? Math.min(50, opts.treePageSize ?? 1000) : (opts.treePageSize ?? 1000));
      const limitParam = Number(url.searchParams.get("limit") ?? NaN);
      const pageSize = Number.isFinite(limitParam) && limitParam > 0 ? Math.min(limitParam, maxPage) : maxPage;
      let offset = 0;
      const cursor = url.searchParams.get("cursor");
      if (cursor) {
        try {
          offset = Number((JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")) as { o: number }).o) || 0;
        } catch {
          return sendError(ctx, 400, "Invalid cursor", { json: true });
        }
      }
      const files = repo.files(sha);
      const page = entries.slice(offset, offset + pageSize).map((e) => (e.dir ? dirEntryJson(repo, sha, e.path, expand) : fileEntryJson(repo, sha, e.path, files[e.path]!, expand)));
      const extra: Record<string, string> = {};
      if (offset + pageSize < entries.length) {
        const next = new URLSearchParams(url.searchParams);
        next.set("cursor", Buffer.from(JSON.stringify({ o: offset + pageSize, file_name: entries[offset + pageSize]!.path })).toString("base64url"));
        const host = ctx.req.headers.host ?? new URL(hubUrl).host;
        extra["Link"] = `<http://${host}${url.pathname}?${next.toString()}>; rel="next"`;
      }
      return sendJson(ctx, 200, page, extra);
    }
    if (op === "paths-info") {
      if (method !== "POST") return sendError(ctx, 405, "Method not allowed", { json: true });
      const repo = checkRepo(ctx, id, "meta", true);
      if (!repo) return;
      const rev = rest.slice(1).join("/");
      const sha = resolveRev(ctx, repo, rev || "main", true);
      if (!sha) return;
      const raw = await readBody(ctx.req, 10 * 1024 * 1024);
      let paths: string[] = [];
      let expand = false;
      const ct = ctx.req.headers["content-type"] ?? "";
      try {
        if (ct.includes("application/x-www-form-urlencoded")) {
          const f = new URLSearchParams(raw.toString("utf8"));
          paths = f.getAll("paths");
          expand = ["true", "1", "True"].includes(f.get("expand") ?? "");
        } else {
          const body = JSON.parse(raw.toString("utf8") || "{}") as { paths?: unknown; expand?: unknown };
          paths = Array.isArray(body.paths) ? body.paths.filter((p): p is string => typeof p === "string") : [];
          expand = body.expand === true;
        }
      } catch {
        return sendError(ctx, 400, "Invalid JSON body", { json: true });
      }
      const files = repo.files(sha);
      const all2 = Object.keys(files);
      const out: unknown[] = [];
      for (const p0 of paths) {
        const p = p0.replace(/^\/+|\/+$/g, "");
        if (files[p]) out.push(fileEntryJson(repo, sha, p, files[p]!, expand));
        else if (p && all2.some((f) => f.startsWith(`${p}/`))) out.push(dirEntryJson(repo, sha, p, expand));
      }
      return sendJson(ctx, 200, out);
    }
    if (op === "refs") {
      const repo = checkRepo(ctx, id, "meta", true);
      if (!repo) return;
      const refs = repo.json().refs;
      const branches = Object.entries(refs)
        .filter(([n]) => !n.startsWith("refs/") && !n.startsWith("v"))
        .map(([name, sha]) => ({ name, ref: `refs/heads/${name}`, targetCommit: sha }));
      const tags = Object.entries(refs)
        .filter(([n]) => /^v\d/.test(n))
        .map(([name, sha]) => ({ name, ref: `refs/tags/${name}`, targetCommit: sha }));
      const converts = Object.entries(refs)
        .filter(([n]) => n.startsWith("refs/convert/"))
        .map(([name, sha]) => ({ name: name.slice(13), ref: name, targetCommit: sha }));
      return sendJson(ctx, 200, { branches, tags, converts });
    }
    if (op === "commits") {
      const repo = checkRepo(ctx, id, "meta", true);
      if (!repo) return;
      const sha = resolveRev(ctx, repo, rest.slice(1).join("/") || "main", true);
      if (!sha) return;
      return sendJson(
        ctx,
        200,
        repo.history(sha).map((c) => ({ id: c.sha, title: c.message, message: "", authors: [{ user: repo.id.split("/")[0] }], date: c.date, parents: c.parent ? [c.parent] : [] })),
      );
    }
    return sendError(ctx, 404, "Not Found", { json: true });
  };

  const handleResolve = (ctx: Ctx, id: string, kind: "resolve" | "raw" | "cache", segs: string[]): Promise<void> | void => {
    const repo = checkRepo(ctx, id, "file", false);
    if (!repo) return;
    const rp = kind === "cache" ? { rev: segs[0] ?? "", path: segs.slice(1).join("/") } : splitRevAndPath(segs);
    if (!rp) return sendError(ctx, 404, "Invalid rev id: ", { code: "RevisionNotFound" });
    const sha = resolveRev(ctx, repo, rp.rev, false);
    if (!sha) return;
    const entry = repo.files(sha)[rp.path];
    if (!entry) return sendError(ctx, 404, "Entry not found", { code: "EntryNotFound", headers: { "X-Repo-Commit": sha } });
    const name = rp.path.split("/").pop()!;
    const disposition = `inline; filename*=UTF-8''${encodeURIComponent(name)}; filename="${name.replace(/"/g, "")}";`;
    const common = { ...baseHeaders(ctx), "X-Repo-Commit": sha };
    if (kind === "raw") {
      if (entry.lfs) {
        const pointer = Buffer.from(`version https://git-lfs.github.com/spec/v1\noid sha256:${entry.lfs.oid}\nsize ${entry.lfs.size}\n`);
        return serveBytes(ctx, { ...common, ETag: `"${entry.oid}"`, "Content-Type": "text/plain; charset=utf-8" }, pointer);
      }
      return serveBytes(ctx, { ...common, ETag: `"${entry.oid}"`, "Content-Type": contentTypeFor(rp.path, false) }, { file: repo.filePath(sha, rp.path), size: entry.size });
    }
    if (entry.lfs && kind === "resolve") {
      const oid = entry.lfs.oid;
      cdnObjects.set(oid, { file: repo.filePath(sha, rp.path), size: entry.size, oid, name });
      const expires = Math.floor(Date.now() / 1000) + (opts.signedUrlTtlSec ?? 3600);
      const sig = createHmac("sha256", secret).update(`${oid}:${expires}`).digest("hex");
      const q = new URLSearchParams({
        "response-content-disposition": disposition,
        "x-id": "GetObject",
        Expires: String(expires),
        Signature: sig,
        "Key-Pair-Id": "K3RPWS32NSSJCE",
      });
      const location = `${cdnUrl}/repos/${oid.slice(0, 2)}/${oid.slice(2, 4)}/${oid}?${q.toString()}`;
      return send(
        ctx,
        302,
        {
          ...common,
          Location: location,
          "X-Linked-Size": entry.size,
          "X-Linked-Etag": `"${oid}"`,
          ETag: `"${entry.oid}"`,
          "Content-Type": "text/plain; charset=utf-8",
        },
        Buffer.from(`Found. Redirecting to ${location}`),
      );
    }
    if (kind === "resolve" && opts.resolveCache) {
      const loc = `/api/resolve-cache/models/${id}/${sha}/${encodePath(rp.path)}`;
      return send(
        ctx,
        307,
        { ...common, Location: loc, "X-Linked-Size": entry.size, "X-Linked-Etag": `"${entry.oid}"`, "Content-Type": "text/plain; charset=utf-8" },
        Buffer.from(`Temporary Redirect. Redirecting to ${loc}`),
      );
    }
    return serveBytes(
      ctx,
      { ...common, ETag: `"${entry.oid}"`, "Content-Type": contentTypeFor(rp.path, !!entry.lfs), "Content-Disposition": disposition },
      { file: repo.filePath(sha, rp.path), size: entry.size },
    );
  };

  const handleWhoami = (ctx: Ctx) => {
    if (!ctx.token) return sendError(ctx, 401, "Invalid username or password.", { json: true });
    const u = opts.users?.[ctx.token] ?? { name: "standin-test" };
    return sendJson(ctx, 200, {
      type: "user",
      id: mongoId(`user:${u.name}`),
      name: u.name,
      fullname: u.fullname ?? u.name,
      email: u.email ?? `${u.name}@example.invalid`,
      emailVerified: true,
      canPay: false,
      isPro: false,
      periodEnd: null,
      billingMode: "prepaid",
      avatarUrl: "/avatars/standin.svg",
      orgs: (u.orgs ?? []).map((o) => ({
        type: "org",
        id: mongoId(`org:${o}`),
        name: o,
        fullname: o,
        email: null,
        canPay: false,
        avatarUrl: "/avatars/org.svg",
        periodEnd: null,
        roleInOrg: "read",
      })),
      auth: {
        type: "access_token",
        accessToken: { displayName: `${u.name}-token`, role: u.role ?? "read", createdAt: "2025-01-01T00:00:00.000Z" },
      },
    });
  };

  // ---------------- request entry points

  const pickFault = (info: FaultRequest): { latency: number; rule: FaultRule | null } => {
    let latency = 0;
    let rule: FaultRule | null = null;
    for (const f of faults) {
      if (f.left <= 0) continue;
      const m = f.rule.match;
      const hit =
        !m ||
        (typeof m === "function"
          ? m(info)
          : (!m.path || m.path.test(info.url)) &&
            (!m.method || m.method.toUpperCase() === info.method) &&
            (!m.listener || m.listener === info.listener));
      if (!hit) continue;
      if (f.rule.kind !== "latency" && rule) continue;
      if (f.rule.probability !== undefined && rand() >= f.rule.probability) continue;
      f.left--;
      faultsInjected++;
      faultCounts[f.rule.kind] = (faultCounts[f.rule.kind] ?? 0) + 1;
      if (f.rule.kind === "latency") latency += f.rule.latencyMs ?? 100;
      else rule = f.rule;
    }
    return { latency, rule };
  };

  const handle = async (listener: Listener, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const auth = parseAuth(req);
    const entry: LogEntry = {
      seq: ++seq,
      listener,
      method: req.method ?? "GET",
      url: req.url ?? "/",
      range: typeof req.headers.range === "string" ? req.headers.range : null,
      auth: auth.header,
      status: 0,
      bytes: 0,
      errorCode: null,
      fault: null,
      startedAt: started,
      durationMs: 0,
    };
    requests.push(entry);
    res.on("close", () => {
      entry.status = res.headersSent ? res.statusCode : 0;
      entry.durationMs = Date.now() - started;
    });
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "http://local");
    } catch {
      res.writeHead(400).end();
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      pathname = url.pathname;
    }
    const bucket: Ctx["bucket"] =
      listener === "cdn" ? null : url.pathname.startsWith("/api/") && !url.pathname.startsWith("/api/resolve-cache/") ? "api" : /\/(resolve|raw)\//.test(url.pathname) || url.pathname.startsWith("/api/resolve-cache/") ? "resolvers" : "pages";
    const ctx: Ctx = { req, res, listener, entry, fault: null, token: auth.token, authHeader: auth.header, tokenValid: auth.valid, bucket };
    if (bucket) rlCounts.set(`${bucket}:${ctx.token ?? ""}`, (rlCounts.get(`${bucket}:${ctx.token ?? ""}`) ?? 0) + 1);

    if (latencyMs > 0) await sleep(latencyMs);
    const f = pickFault({ listener, method: entry.method, url: entry.url, path: pathname, range: entry.range, auth: auth.header, headers: req.headers });
    if (f.latency > 0) {
      entry.fault = "latency";
      await sleep(f.latency);
    }
    if (f.rule) {
      ctx.fault = f.rule;
      entry.fault = f.rule.kind;
      switch (f.rule.kind) {
        case "reset":
          req.socket.destroy();
          return;
        case "429": {
          const retry = f.rule.retryAfter ?? 1;
          const reset = f.rule.rateLimitReset ?? retry;
          const b = bucket ?? "resolvers";
          return send(
            ctx,
            429,
            {
              ...baseHeaders(ctx),
              "Retry-After": retry,
              RateLimit: `"${b}";r=0;t=${reset}`,
              "RateLimit-Policy": `"fixed window";"${b}";q=${quotas[b]};w=${rlWindow}`,
              "Content-Type": "text/plain; charset=utf-8",
            },
            Buffer.from("Too Many Requests"),
          );
        }
        case "5xx": {
          const status = f.rule.status ?? 503;
          const text = { 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout" }[status];
          return send(ctx, status, { ...baseHeaders(ctx), "Content-Type": "text/plain; charset=utf-8" }, Buffer.from(text));
        }
        default:
          break; // body-level faults are applied by send()/serveBytes()
      }
    }

    if (listener === "cdn") return handleCdn(ctx, url);

    if (opts.rateLimit?.enforce && bucket) {
      const q = quotaFor(bucket, !!ctx.token && ctx.tokenValid);
      if ((rlCounts.get(`${bucket}:${ctx.token ?? ""}`) ?? 0) > q) {
        const t = Math.max(1, Math.ceil((rlWindowStart + rlWindow * 1000 - Date.now()) / 1000));
        return send(ctx, 429, { ...baseHeaders(ctx), "Retry-After": t, "Content-Type": "text/plain; charset=utf-8" }, Buffer.from("Too Many Requests"));
      }
    }
    if (auth.header && !auth.valid) return badToken(ctx);

    // split the still-encoded path so that "refs%2Fpr%2F1" stays one segment
    const rawSegs = url.pathname
      .split("/")
      .slice(1)
      .map((s) => {
        try {
          return decodeURIComponent(s);
        } catch {
          return s;
        }
      });
    if (rawSegs[0] === "api") {
      if (rawSegs[1] === "whoami-v2") return handleWhoami(ctx);
      if (rawSegs[1] === "models") return handleModelApi(ctx, url, rawSegs.slice(2).filter((s) => s !== ""));
      if (rawSegs[1] === "resolve-cache" && rawSegs[2] === "models" && rawSegs.length >= 7) {
        if (req.method !== "GET" && req.method !== "HEAD") return sendError(ctx, 405, "Method not allowed");
        return handleResolve(ctx, `${rawSegs[3]}/${rawSegs[4]}`, "cache", rawSegs.slice(5));
      }
      return sendError(ctx, 404, "Not Found", { json: true });
    }
    // /{ns}/{name}/(resolve|raw)/{rev}/{path}  or legacy /{name}/(resolve|raw)/...
    const all = { ...store.aliases(), ...aliases };
    let id: string | null = null;
    let rest: string[] = [];
    let kind: "resolve" | "raw" | null = null;
    if (rawSegs.length >= 4 && (rawSegs[2] === "resolve" || rawSegs[2] === "raw")) {
      id = `${rawSegs[0]}/${rawSegs[1]}`;
      kind = rawSegs[2];
      rest = rawSegs.slice(3);
    } else if (rawSegs.length >= 3 && (rawSegs[1] === "resolve" || rawSegs[1] === "raw")) {
      id = rawSegs[0]!;
      kind = rawSegs[1];
      rest = rawSegs.slice(2);
    }
    if (id && kind) {
      if (req.method !== "GET" && req.method !== "HEAD") return sendError(ctx, 405, "Method not allowed");
      if (!store.get(id) && all[id]) id = all[id]!; // resolve serves the canonical repo directly
      return handleResolve(ctx, id, kind, rest);
    }
    return sendError(ctx, 404, "Not Found");
  };

  const handleCdn = (ctx: Ctx, url: URL): Promise<void> | void => {
    const m = /^\/repos\/[0-9a-f]{2}\/[0-9a-f]{2}\/([0-9a-f]{64})$/.exec(url.pathname);
    const deny = (msg: string) =>
      send(
        ctx,
        403,
        { "Content-Type": "application/xml" },
        Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${msg}</Message></Error>`),
      );
    if (!m) return deny("Access denied");
    const oid = m[1]!;
    const expires = Number(url.searchParams.get("Expires") ?? 0);
    const sig = url.searchParams.get("Signature") ?? "";
    if (sig !== createHmac("sha256", secret).update(`${oid}:${expires}`).digest("hex")) return deny("Invalid signature");
    if (expires < Date.now() / 1000) return deny("Request has expired");
    const obj = cdnObjects.get(oid);
    if (!obj) return deny("Access denied");
    if (ctx.req.method !== "GET" && ctx.req.method !== "HEAD") return deny("Method not allowed");
    const headers: Record<string, string | number> = {
      "Content-Type": "application/octet-stream",
      ETag: `"${oid}"`,
      "Content-Disposition": url.searchParams.get("response-content-disposition") ?? `inline; filename="${obj.name}"`,
      "Last-Modified": new Date("2025-01-01T00:00:00Z").toUTCString(),
      "Access-Control-Allow-Origin": "*",
    };
    if (opts.cdnCloudfront ?? true) {
      headers["X-Cache"] = "Miss from cloudfront";
      headers["Via"] = "1.1 standin.cloudfront.net (CloudFront)";
    }
    return serveBytes(ctx, headers, { file: obj.file, size: obj.size });
  };

  const makeServer = (listener: Listener) => {
    const srv = http.createServer((req, res) => {
      handle(listener, req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
          res.end(`Internal Server Error: ${(err as Error)?.message ?? String(err)}`);
        } else res.destroy();
      });
    });
    srv.keepAliveTimeout = 5000;
    srv.on("connection", (s: Socket) => {
      sockets.add(s);
      s.on("close", () => sockets.delete(s));
    });
    return srv;
  };

  const hub = makeServer("hub");
  const cdn = makeServer("cdn");
  const host = opts.host ?? "127.0.0.1";
  await new Promise<void>((r) => hub.listen(opts.port ?? 0, host, r));
  await new Promise<void>((r) => cdn.listen(opts.cdnPort ?? 0, host, r));
  hubUrl = `http://${host}:${(hub.address() as AddressInfo).port}`;
  cdnUrl = `http://${host}:${(cdn.address() as AddressInfo).port}`;

  let closed: Promise<void> | null = null;
  const server: HubServer = {
    url: hubUrl,
    cdnUrl,
    store,
    requests,
    resetLog: () => {
      requests.length = 0;
    },
    setFaults,
    setLatency: (ms) => {
      latencyMs = ms;
    },
    setBandwidth: (bps) => {
      bandwidth = bps;
    },
    setAlias: (from, to) => {
      aliases[from] = to;
    },
    preload: async (list) => {
      let total = 0;
      for (const { path: file, bytes } of list) {
        const fh = await openFile(file, "r");
        try {
          const buf = await readAt(fh, 0, Math.max(0, Math.min(bytes, (await fh.stat()).size)));
          prefixes.set(file, buf);
          total += buf.length;
        } finally {
          await fh.close();
        }
      }
      return total;
    },
    get faultsInjected() {
      return faultsInjected;
    },
    get faultCounts() {
      return { ...faultCounts };
    },
    close: () => {
      if (!closed) {
        closed = Promise.all(
          [hub, cdn].map(
            (s) =>
              new Promise<void>((r) => {
                s.close(() => r());
              }),
          ),
        )
          .then(closeFiles)
          .then(() => undefined);
        for (const s of sockets) s.destroy();
        hub.closeAllConnections();
        cdn.closeAllConnections();
      }
      return closed;
    },
  };
  return server;
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw new Error("body too large");
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}
