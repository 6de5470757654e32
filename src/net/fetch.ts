/**
 * The one fetch layer under everything: a concurrency limit per origin, request priorities, redirects
 * followed hop by hop (a Hub resolve's 302 to the CDN gives its slot back before the CDN hop waits
 * for a CDN slot), retries with backoff that honour
 * Retry-After / RateLimit on 429 and retry 5xx, timeouts and connection resets, per-request
 * timeouts (headers and body stalls), strict Range verification, body size caps, and counters of
 * requests and bytes per scope (model) and per run.
 *
 * Every wait is bounded: header timeout, body stall timeout, a cap on Retry-After waits, and a
 * bounded number of attempts.
 */
import { HubError, type HubErrorCode, redact } from "../util/errors.js";
import { Limiter } from "./limiter.js";
import { fetchTransport, undiciTransport, type Exchange, type Transport } from "./transport.js";

export type FetchFn = typeof fetch;

/** Default max requests in flight. */
export const DEFAULT_CONCURRENCY = 16;

export interface FetchLayerOptions {
  /**
   * Underlying fetch (injectable for tests). Default: none, the exchanges go over undici's
   * keep-alive connections (src/net/transport.ts).
   */
  fetch?: FetchFn;
  /**
   * Max requests in flight per origin (the Hub and its CDN each get this many). Default 16.
   * A redirected request holds one slot of one origin at a time.
   */
  concurrency?: number;
  /** Retries after the first attempt for retryable failures. Default 5. */
  retries?: number;
  /** Max wait for response headers, per attempt. Default 30 s. */
  timeoutMs?: number;
  /** Max gap between two body chunks, per attempt. Default 30 s. */
  stallTimeoutMs?: number;
  /** Max time for a whole attempt (all hops, headers and body): a body trickling in just under the stall timeout is cut too. Default 300 s. */
  deadlineMs?: number;
  /** Exponential backoff base and cap. Defaults 250 ms and 20 s. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A Retry-After / RateLimit reset longer than this is not waited for: rate_limited error. Default 300 s. */
  maxRetryAfterMs?: number;
  /** Bearer token, sent only to `authOrigin` (never to a CDN or any other host). */
  token?: string;
  /** Origin the token may be sent to (the Hub URL). */
  authOrigin?: string;
  /** Injectable sleep (tests). */
  sleep?: (ms: number) => Promise<void>;
  userAgent?: string;
}

export interface RequestOptions {
  /** Counter scope, usually the model id. */
  scope?: string;
  method?: "GET" | "HEAD" | "POST";
  headers?: Record<string, string>;
  body?: string;
  /** Inclusive byte range [start, end]. The answer must be a 206 whose Content-Range matches. */
  range?: [number, number];
  /** Refuse a body larger than this (typed too_large error) without reading it all. */
  maxBytes?: number;
  /** Error context. */
  model?: string;
  file?: string;
  /** When false, non-2xx responses are returned instead of thrown (body capped at 64 KiB). */
  throwOnError?: boolean;
  /**
   * Scheduling priority when requests wait for a slot: lower goes first, FIFO within a priority
   * (default 0). See REQUEST_PRIORITY.
   */
  priority?: number;
}

/**
 * Priorities used by the sources: a model's metadata (info, config, index) before shard headers, so
 * that with a whole zoo in flight every model reaches its shard list early and shard reads keep all
 * slots busy to the end instead of a long tail of serial metadata round trips.
 */
export const REQUEST_PRIORITY = { info: 0, config: 1, index: 2, header: 3, other: 4 } as const;

/** Most redirects followed for one request (fetch's own limit). */
export const MAX_REDIRECTS = 20;
const REDIRECT_STATUS = new Set([301, 302, 303, 307, 308]);

export interface HttpResult {
  status: number;
  headers: Headers;
  body: Uint8Array;
  /** Final URL after redirects. */
  url: string;
  /** Parsed Content-Range for 206 answers. */
  contentRange: { start: number; end: number; total: number | null } | null;
  /**
   * The Hub's id of the file's content, when it said: `X-Linked-Etag` of a hop (an LFS resolve's
   * 302 to the CDN carries the sha256), else the `ETag` of an answer from the origin asked (a
   * small file's git blob id); never a CDN's own ETag. Without quotes or `W/`.
   */
  contentId?: string | null;
}

/** An entity tag without its weak prefix and quotes. */
export function bareEtag(v: string | null): string | null {
  if (v === null) return null;
  const t = v.trim().replace(/^W\//, "").replace(/^"(.*)"$/, "$1");
  return t === "" ? null : t;
}

export interface Counters {
  /** Requests (attempts): one per request, however many redirect hops it took. */
  requests: number;
  bytes: number;
  retries: number;
  errors: number;
  /** Redirect hops followed (each Hub 302 to the CDN is one). */
  redirects: number;
}

const RETRYABLE_STATUS = new Set([408, 425, 429, 500, 502, 503, 504]);
/** Headers a cross-origin redirect must not carry on (the fetch standard removes Authorization). */
const CREDENTIAL_HEADERS = new Set(["authorization", "cookie", "proxy-authorization"]);
const ERROR_BODY_CAP = 64 * 1024;

function emptyCounters(): Counters {
  return { requests: 0, bytes: 0, retries: 0, errors: 0, redirects: 0 };
}

export class FetchLayer {
  readonly opts: Required<Omit<FetchLayerOptions, "token" | "authOrigin" | "fetch">> & {
    token?: string;
    authOrigin?: string;
  };
  private readonly transport: Transport;
  /** One limiter per origin (the Hub, its CDN). */
  private readonly limiters = new Map<string, Limiter>();
  readonly total: Counters = emptyCounters();
  private readonly scopes = new Map<string, Counters>();
  /** After a 429 with a wait, every request holds off until then (the limit is per client). */
  private pausedUntil = 0;
  /** Requests started and not yet settled (retries and waits included). */
  private busy = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(options: FetchLayerOptions = {}) {
    this.transport = options.fetch ? fetchTransport(options.fetch) : undiciTransport;
    this.opts = {
      concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
      retries: options.retries ?? 5,
      timeoutMs: options.timeoutMs ?? 30_000,
      stallTimeoutMs: options.stallTimeoutMs ?? 30_000,
      deadlineMs: options.deadlineMs ?? 300_000,
      backoffBaseMs: options.backoffBaseMs ?? 250,
      backoffMaxMs: options.backoffMaxMs ?? 20_000,
      maxRetryAfterMs: options.maxRetryAfterMs ?? 120_000,
      sleep: options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
      userAgent: options.userAgent ?? "standin",
      token: options.token,
      authOrigin: options.authOrigin ? new URL(options.authOrigin).origin : undefined,
    };
    if (!Number.isInteger(this.opts.concurrency) || this.opts.concurrency < 1) {
      throw new RangeError(`concurrency must be a positive integer, got ${this.opts.concurrency}`);
    }
  }

  private limiterFor(url: string): Limiter {
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = "";
    }
    let l = this.limiters.get(origin);
    if (!l) {
      l = new Limiter(this.opts.concurrency);
      this.limiters.set(origin, l);
    }
    return l;
  }

  /** Counters for one scope (model). */
  counters(scope: string): Counters {
    let c = this.scopes.get(scope);
    if (!c) {
      c = emptyCounters();
      this.scopes.set(scope, c);
    }
    return c;
  }

  allScopes(): Map<string, Counters> {
    return this.scopes;
  }

  private count(scope: string | undefined, field: keyof Counters, n = 1): void {
    this.total[field] += n;
    if (scope) this.counters(scope)[field] += n;
  }

  /**
   * Calls `cb` once, when requests have run and none is left (checked a turn of the event loop
   * after the last one settles, so that a chain that starts its next request at once is not taken
   * for idle). Returns a function that cancels the call.
   */
  afterBusy(cb: () => void): () => void {
    this.idleWaiters.push(cb);
    return () => {
      this.idleWaiters = this.idleWaiters.filter((w) => w !== cb);
    };
  }

  /** One HTTP exchange with retries; returns the whole (capped) body. */
  async request(url: string, ro: RequestOptions = {}): Promise<HttpResult> {
    this.busy++;
    try {
      return await this.requestRetrying(url, ro);
    } finally {
      if (--this.busy === 0 && this.idleWaiters.length > 0) {
        setImmediate(() => {
          if (this.busy !== 0) return;
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        });
      }
    }
  }

  private async requestRetrying(url: string, ro: RequestOptions): Promise<HttpResult> {
    const { retries } = this.opts;
    let attempt = 0;
    for (;;) {
      try {
        return await this.attempt(url, ro);
      } catch (err) {
        const retry = err instanceof RetryableError ? err : null;
        if (!retry) {
          this.count(ro.scope, "errors");
          throw err;
        }
        if (attempt >= retries) {
          this.count(ro.scope, "errors");
          throw retry.final;
        }
        const delay = retry.delayMs ?? this.backoff(attempt);
        if (retry.delayMs !== undefined) this.pausedUntil = Math.max(this.pausedUntil, Date.now() + Math.min(retry.delayMs, this.opts.maxRetryAfterMs));
        if (delay > this.opts.maxRetryAfterMs) {
          this.count(ro.scope, "errors");
          throw new HubError("rate_limited", `rate limited: the server asks to wait ${Math.ceil(delay / 1000)} s, more than the ${Math.ceil(this.opts.maxRetryAfterMs / 1000)} s allowed`, {
            model: ro.model,
            file: ro.file,
            status: 429,
            url,
            hint: "set HF_TOKEN for higher Hub rate limits, or run again later",
          });
        }
        attempt++;
        this.count(ro.scope, "retries");
        await this.opts.sleep(delay);
      }
    }
  }

  private backoff(attempt: number): number {
    const exp = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** attempt);
    // full jitter in [exp/2, exp]
    return Math.round(exp / 2 + Math.random() * (exp / 2));
  }

  /** Request headers for one hop. After a cross-origin redirect, credentials the caller set are dropped (as fetch does). */
  private headersFor(url: string, ro: RequestOptions, crossOrigin = false): Record<string, string> {
    const h: Record<string, string> = { "user-agent": this.opts.userAgent };
    for (const [k, v] of Object.entries(ro.headers ?? {})) {
      if (crossOrigin && CREDENTIAL_HEADERS.has(k.toLowerCase())) continue;
      h[k] = v;
    }
    if (ro.range) h["range"] = `bytes=${ro.range[0]}-${ro.range[1]}`;
    if (this.opts.token && this.opts.authOrigin) {
      let origin: string | null = null;
      try {
        origin = new URL(url).origin;
      } catch {
        origin = null;
      }
      if (origin === this.opts.authOrigin && !hasHeader(h, "authorization")) h["authorization"] = `Bearer ${this.opts.token}`;
    }
    return h;
  }

  private async attempt(url: string, ro: RequestOptions): Promise<HttpResult> {
    const wait = this.pausedUntil - Date.now();
    if (wait > 0) await this.opts.sleep(Math.min(wait, this.opts.maxRetryAfterMs));
    const ctrl = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const arm = (ms: number, what: "headers" | "body"): void => {
      clearTimeout(timer);
      timer = setTimeout(() => ctrl.abort(new TimeoutSignal(what)), ms);
    };
    this.count(ro.scope, "requests");
    let release: (() => void) | null = null;
    try {
      // Redirects are followed here, hop by hop: each hop holds a slot of its own origin only, so a
      // Hub resolve that answers 302 frees its Hub slot while the CDN hop waits for a CDN slot.
      let res: Exchange;
      let hopUrl = url;
      let method: string = ro.method ?? "GET";
      let reqBody = ro.body;
      let crossOrigin = false;
      let linked: string | null = null;
      for (let hop = 0; ; hop++) {
        clearTimeout(timer);
        release = await this.limiterFor(hopUrl).acquire(ro.priority ?? 0);
        if (deadline === undefined) deadline = setTimeout(() => ctrl.abort(new TimeoutSignal("deadline")), this.opts.deadlineMs);
        arm(this.opts.timeoutMs, "headers");
        try {
          res = await this.transport(hopUrl, {
            method,
            headers: this.headersFor(hopUrl, ro, crossOrigin),
            body: reqBody,
            signal: ctrl.signal,
          });
        } catch (err) {
          throw this.networkError(err, ctrl, hopUrl, ro);
        }
        const location = REDIRECT_STATUS.has(res.status) ? res.headers.get("location") : null;
        if (!crossOrigin) linked ??= bareEtag(res.headers.get("x-linked-etag"));
        if (location === null) break;
        await cancelBody(res);
        release();
        release = null;
        if (hop >= MAX_REDIRECTS) {
          throw new HubError("redirect", `too many redirects (more than ${MAX_REDIRECTS})`, { model: ro.model, file: ro.file, url, hint: "the server redirects in a loop" });
        }
        let next: URL;
        try {
          next = new URL(location, hopUrl);
        } catch {
          throw new HubError("redirect", `the server redirected to an invalid location`, { model: ro.model, file: ro.file, url });
        }
        if (next.protocol !== "http:" && next.protocol !== "https:") {
          throw new HubError("redirect", `the server redirected to a ${next.protocol} URL`, { model: ro.model, file: ro.file, url });
        }
        if (next.origin !== new URL(hopUrl).origin) crossOrigin = true;
        if ((res.status === 303 && method !== "HEAD") || ((res.status === 301 || res.status === 302) && method === "POST")) {
          method = "GET";
          reqBody = undefined;
        }
        this.count(ro.scope, "redirects");
        hopUrl = next.href;
      }

      const status = res.status;
      if (RETRYABLE_STATUS.has(status)) {
        const body = await this.readBody(res, ctrl, arm, ro, ERROR_BODY_CAP, true).catch(() => new Uint8Array());
        const final = classifyHttpError(status, res.headers, body, url, ro);
        throw new RetryableError(final, retryDelayMs(res.headers));
      }
      if (ro.range && status === 200) {
        // The server ignored Range: never read what may be a multi-GB body.
        await cancelBody(res);
        throw new HubError(
          "range_not_supported",
          `the server ignored the byte range request (answered 200 instead of 206); aborted without reading the body`,
          { model: ro.model, file: ro.file, status, url, hint: "use a Hub or proxy that supports HTTP Range requests" },
        );
      }
      if (status < 200 || status >= 300) {
        const body = await this.readBody(res, ctrl, arm, ro, ERROR_BODY_CAP, true).catch(() => new Uint8Array());
        if (ro.throwOnError === false) {
          return { status, headers: res.headers, body, url: res.url || url, contentRange: null };
        }
        throw classifyHttpError(status, res.headers, body, url, ro);
      }

      let contentRange: HttpResult["contentRange"] = null;
      if (ro.range) {
        contentRange = parseContentRange(res.headers.get("content-range"));
        const [s, e] = ro.range;
        if (status !== 206 || !contentRange || contentRange.start !== s || contentRange.end > e || contentRange.end < s) {
          await cancelBody(res);
          throw new HubError("bad_range", `asked for bytes ${s}-${e}, the server answered ${status} with Content-Range "${res.headers.get("content-range") ?? "(none)"}"`, {
            model: ro.model,
            file: ro.file,
            status,
            url,
          });
        }
      }

      const cap = ro.range ? ro.range[1] - ro.range[0] + 1 : ro.maxBytes;
      const body = ro.method === "HEAD" ? new Uint8Array() : await this.readBody(res, ctrl, arm, ro, cap, false);
      if (contentRange && body.length !== contentRange.end - contentRange.start + 1) {
        throw new RetryableError(
          new HubError("truncated", `range body has ${body.length} bytes, Content-Range announced ${contentRange.end - contentRange.start + 1}`, {
            model: ro.model,
            file: ro.file,
            url,
          }),
        );
      }
      const contentId = linked ?? (crossOrigin ? null : bareEtag(res.headers.get("etag")));
      return { status, headers: res.headers, body, url: res.url || url, contentRange, contentId };
    } finally {
      clearTimeout(timer);
      clearTimeout(deadline);
      release?.();
    }
  }

  /** Read a body fully, enforcing a byte cap and a stall timeout; counts bytes as they arrive. */
  private async readBody(
    res: Exchange,
    ctrl: AbortController,
    arm: (ms: number, what: "headers" | "body") => void,
    ro: RequestOptions,
    cap: number | undefined,
    lenient: boolean,
  ): Promise<Uint8Array> {
    const declared = Number(res.headers.get("content-length"));
    if (cap !== undefined && Number.isFinite(declared) && declared > cap && !lenient) {
      await cancelBody(res);
      throw new HubError("too_large", `the response is ${declared} bytes, more than the ${cap} allowed`, {
        model: ro.model,
        file: ro.file,
        url: res.url,
        hint: "this file is larger than standin reads without downloading weights",
      });
    }
    const chunks: Uint8Array[] = [];
    let got = 0;
    try {
      for (;;) {
        arm(this.opts.stallTimeoutMs, "body");
        const r = await res.read();
        if (r.done) break;
        const value = r.value;
        got += value.byteLength;
        this.count(ro.scope, "bytes", value.byteLength);
        if (cap !== undefined && got > cap) {
          if (lenient) {
            chunks.push(value);
            break;
          }
          throw new HubError("too_large", `the response exceeds the ${cap} bytes allowed`, {
            model: ro.model,
            file: ro.file,
            url: res.url,
          });
        }
        chunks.push(value);
      }
    } catch (err) {
      await res.cancel();
      if (err instanceof HubError) throw err;
      throw this.networkError(err, ctrl, res.url, ro);
    }
    if (!lenient && Number.isFinite(declared) && res.headers.has("content-length") && got < declared && !res.headers.get("content-encoding")) {
      throw new RetryableError(new HubError("truncated", `body ended after ${got} of ${declared} bytes`, { model: ro.model, file: ro.file, url: res.url }));
    }
    return concat(chunks, got);
  }

  private networkError(err: unknown, ctrl: AbortController, url: string, ro: RequestOptions): Error {
    const reason = ctrl.signal.aborted ? ctrl.signal.reason : undefined;
    if (reason instanceof TimeoutSignal) {
      const secs = (ms: number): number => Math.max(1, Math.round(ms / 1000));
      const what =
        reason.what === "deadline"
          ? `the transfer did not finish within ${secs(this.opts.deadlineMs)} s`
          : `no ${reason.what === "headers" ? "response" : "data"} within ${secs(reason.what === "headers" ? this.opts.timeoutMs : this.opts.stallTimeoutMs)} s`;
      return new RetryableError(
        new HubError("timeout", what, {
          model: ro.model,
          file: ro.file,
          url,
        }),
      );
    }
    const msg = describeCause(err);
    if (/redirect/i.test(msg)) {
      return new HubError("redirect", `too many redirects (${msg})`, { model: ro.model, file: ro.file, url, hint: "the server redirects in a loop" });
    }
    return new RetryableError(new HubError("network", `network error: ${msg}`, { model: ro.model, file: ro.file, url, cause: err }));
  }

  /**
   * A fetch function for libraries (`@huggingface/hub`): goes through the same limit, retries and
   * counters, buffers the (small) body, and throws our classified HubError on HTTP errors so that
   * the library never has to guess (it cannot see X-Error-Code).
   */
  fetchFor(scope: string, ctx: { model?: string; file?: string; priority?: number } = {}): FetchFn {
    const fn = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
      const url = typeof input === "string" ? input : input instanceof URL ? input.toString() : input.url;
      const headers: Record<string, string> = {};
      new Headers(init?.headers).forEach((v, k) => {
        // never advertise xet: plain Range reads only
        if (k === "accept") v = v.replace(/application\/vnd\.xet-fileinfo\+json,?\s*/g, "") || "*/*";
        headers[k] = v;
      });
      const method = (init?.method ?? "GET").toUpperCase() as RequestOptions["method"];
      // A byte range goes through our strict Range handling (206 + Content-Range verified).
      let range: [number, number] | undefined;
      const m = /^bytes=(\d+)-(\d+)$/.exec(headers["range"] ?? "");
      if (m) {
        range = [Number(m[1]), Number(m[2])];
        delete headers["range"];
      }
      const r = await this.request(url, {
        scope,
        method,
        headers,
        range,
        body: typeof init?.body === "string" ? init.body : undefined,
        maxBytes: 64 * 1024 * 1024,
        model: ctx.model ?? scope,
        file: ctx.file,
        priority: ctx.priority,
      });
      const res = new Response(method === "HEAD" || r.status === 204 ? null : r.body, { status: r.status, headers: r.headers });
      Object.defineProperty(res, "url", { value: r.url });
      return res;
    };
    return fn as FetchFn;
  }
}

class TimeoutSignal {
  constructor(readonly what: "headers" | "body" | "deadline") {}
}

/** Internal marker: this failure may be retried; `final` is thrown when attempts run out. */
class RetryableError extends Error {
  constructor(
    readonly final: HubError,
    readonly delayMs?: number,
  ) {
    super(final.message);
  }
}

function hasHeader(h: Record<string, string>, name: string): boolean {
  return Object.keys(h).some((k) => k.toLowerCase() === name);
}

async function cancelBody(res: Exchange): Promise<void> {
  try {
    await res.cancel();
  } catch {
    /* ignore */
  }
}

function concat(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(total);
  let o = 0;
  for (const c of chunks) {
    out.set(c.subarray(0, Math.min(c.byteLength, total - o)), o);
    o += c.byteLength;
    if (o >= total) break;
  }
  return out;
}

function describeCause(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 4 && e; i++) {
    if (e instanceof Error) {
      const code = (e as { code?: string }).code;
      parts.push(code ? `${e.message} (${code})` : e.message);
      e = e.cause;
    } else {
      parts.push(String(e));
      break;
    }
  }
  return redact(parts.join(": "));
}

export function parseContentRange(v: string | null): { start: number; end: number; total: number | null } | null {
  if (!v) return null;
  const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(v.trim());
  if (!m) return null;
  const start = Number(m[1]);
  const end = Number(m[2]);
  const total = m[3] === "*" ? null : Number(m[3]);
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || end < start) return null;
  if (total !== null && (!Number.isSafeInteger(total) || end >= total)) return null;
  return { start, end, total };
}

/** Delay asked by the server: Retry-After (seconds or HTTP date), else RateLimit "...;r=0;t=N". */
export function retryDelayMs(headers: Headers, now = Date.now()): number | undefined {
  const ra = headers.get("retry-after");
  if (ra) {
    if (/^\d+(\.\d+)?$/.test(ra.trim())) return Math.round(Number(ra) * 1000);
    const t = Date.parse(ra);
    if (!Number.isNaN(t)) return Math.max(0, t - now);
  }
  const rl = headers.get("ratelimit");
  if (rl) {
    const r = /(?:^|;)\s*r=(\d+)/.exec(rl);
    const t = /(?:^|;)\s*t=(\d+)/.exec(rl);
    if (r && t && Number(r[1]) === 0) return Number(t[1]) * 1000 + 1000;
  }
  return undefined;
}

/** Map an HTTP error to a typed HubError following huggingface_hub's hf_raise_for_status. */
export function classifyHttpError(status: number, headers: Headers, body: Uint8Array, url: string, ro: RequestOptions = {}): HubError {
  const errorCode = headers.get("x-error-code") ?? "";
  const errorMessage = headers.get("x-error-message") ?? "";
  const text = safeText(body);
  let serverMsg = errorMessage || text;
  if ((headers.get("content-type") ?? "").includes("json")) {
    try {
      const j = JSON.parse(text) as { error?: unknown; message?: unknown };
      const m = j.error ?? j.message;
      if (typeof m === "string") serverMsg = m;
    } catch {
      /* not JSON */
    }
  }
  const repo = ro.model;
  const ctx = { model: ro.model, file: ro.file, status, url };
  let code: HubErrorCode = "http";
  let message = `HTTP ${status}${serverMsg ? `: ${serverMsg.slice(0, 300)}` : ""}`;
  let hint: string | undefined;
  if (errorCode === "RevisionNotFound") {
    code = "revision_not_found";
    message = `revision not found${serverMsg ? ` (${serverMsg.slice(0, 200)})` : ""}`;
    hint = "check the revision (branch, tag or 40-hex commit sha) in model-zoo.yaml";
  } else if (errorCode === "EntryNotFound") {
    code = "entry_not_found";
    message = `file not found in the repo`;
  } else if (errorCode === "GatedRepo") {
    code = "gated";
    message = `gated repo: access is restricted (${status})`;
    hint = status === 401 ? `accept the licence on the model page and set HF_TOKEN` : `the token has no access yet: request access on the model page`;
  } else if (/Access to this resource is disabled/i.test(serverMsg)) {
    code = "disabled";
    message = "the repo is disabled on the Hub";
  } else if (errorCode === "RepoNotFound" || (status === 401 && !/Invalid credentials in Authorization header/i.test(serverMsg))) {
    code = "repo_not_found";
    message = `repository not found${status === 401 ? " (or private: the Hub answers 401 to anonymous callers)" : ""}`;
    hint = status === 401 ? "check the model id; for a private repo set HF_TOKEN" : "check the model id";
  } else if (status === 401) {
    code = "bad_token";
    message = "the Hub rejected the token (invalid credentials)";
    hint = "check HF_TOKEN / --token";
  } else if (status === 403) {
    code = "forbidden";
    message = `forbidden (403)${serverMsg ? `: ${serverMsg.slice(0, 200)}` : ""}`;
  } else if (status === 429) {
    code = "rate_limited";
    message = "rate limited by the Hub (429), retries exhausted";
    hint = "set HF_TOKEN for higher limits, lower --concurrency, or run later";
  } else if (status === 416) {
    code = "bad_range";
    message = `range not satisfiable (416, Content-Range ${headers.get("content-range") ?? "?"})`;
  } else if (status >= 500) {
    message = `server error ${status}, retries exhausted`;
  }
  void repo;
  return new HubError(code, message, { ...ctx, hint });
}

function safeText(body: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: false }).decode(body.subarray(0, 2048)).trim();
  } catch {
    return "";
  }
}
