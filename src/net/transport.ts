/**
 * One HTTP exchange, below the fetch layer (src/net/fetch.ts), which does everything else (limits,
 * redirects, retries, timeouts, Range checks, caps, counters).
 *
 * Two transports:
 * - nodeTransport (the default): node:http / node:https with keep-alive agents. A whole zoo is
 *   thousands of small exchanges, and the WHATWG fetch machinery (Request and Response objects,
 *   web streams, abort signal plumbing) cost about 1 ms of CPU per exchange on the benchmark's
 *   machine, as much as everything else the main thread does per shard.
 * - fetchTransport(fetch): any fetch function (an injected one in tests, or `fetch` itself).
 *
 * Both follow no redirect, add no header (no Accept-Encoding: bodies arrive as stored) and leave
 * the body unread until asked.
 */
import http from "node:http";
import https from "node:https";

export interface ExchangeInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
}

export interface Exchange {
  status: number;
  headers: Headers;
  /** The URL asked for (no redirect is followed here). */
  url: string;
  /** The next body chunk; done at the end. Rejects when the connection fails or the signal aborts. */
  read(): Promise<{ done: true; value?: undefined } | { done: false; value: Uint8Array }>;
  /** Stop reading: frees the connection (an unread body is dropped). */
  cancel(): Promise<void>;
}

export type Transport = (url: string, init: ExchangeInit) => Promise<Exchange>;

/** A transport over a fetch function (redirect: manual). */
export function fetchTransport(f: typeof fetch): Transport {
  return async (url, init) => {
    const res = await f(url, { method: init.method, headers: init.headers, body: init.body, redirect: "manual", signal: init.signal });
    const reader = res.body?.getReader() ?? null;
    return {
      status: res.status,
      headers: res.headers,
      url: res.url || url,
      read: async () => {
        if (!reader) return { done: true };
        const r = await reader.read();
        return r.done ? { done: true } : { done: false, value: r.value };
      },
      cancel: async () => {
        try {
          await reader?.cancel();
        } catch {
          /* ignore */
        }
      },
    };
  };
}

const agents = {
  http: new http.Agent({ keepAlive: true, scheduling: "lifo" }),
  https: new https.Agent({ keepAlive: true, scheduling: "lifo" }),
};

/** The default transport: node:http / node:https with keep-alive. */
export const nodeTransport: Transport = (url, init) =>
  new Promise<Exchange>((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      reject(new TypeError(`invalid URL ${url}`, { cause: err }));
      return;
    }
    const secure = u.protocol === "https:";
    if (!secure && u.protocol !== "http:") {
      reject(new TypeError(`unsupported protocol ${u.protocol}`));
      return;
    }
    let req: http.ClientRequest;
    try {
      req = (secure ? https : http).request(u, {
        method: init.method,
        headers: init.body !== undefined ? { ...init.headers, "content-length": String(Buffer.byteLength(init.body)) } : init.headers,
        agent: secure ? agents.https : agents.http,
        signal: init.signal,
      });
    } catch (err) {
      // invalid header values and the like: refused before anything is sent
      reject(err);
      return;
    }
    req.on("error", reject);
    req.once("response", (res) => {
      const headers = new Headers();
      const raw = res.rawHeaders;
      for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
      // Chunks are queued as they arrive (the stream flows), so a slow reader never stalls the socket.
      const chunks: Uint8Array[] = [];
      let ended = false;
      let failed: unknown = null;
      let wake: (() => void) | null = null;
      const notify = (): void => {
        const w = wake;
        wake = null;
        w?.();
      };
      res.on("data", (c: Buffer) => {
        chunks.push(c);
        notify();
      });
      res.once("end", () => {
        ended = true;
        notify();
      });
      res.on("error", (err) => {
        failed = err;
        notify();
      });
      res.once("close", () => {
        if (!ended && failed === null) failed = Object.assign(new Error("the connection closed before the body ended"), { code: "ECONNRESET" });
        notify();
      });
      let head = 0;
      const read = async (): Promise<{ done: true } | { done: false; value: Uint8Array }> => {
        for (;;) {
          if (head < chunks.length) {
            const value = chunks[head] as Uint8Array;
            chunks[head++] = EMPTY;
            return { done: false, value };
          }
          if (failed !== null) throw failed;
          if (ended) return { done: true };
          await new Promise<void>((r) => (wake = r));
        }
      };
      resolve({
        status: res.statusCode ?? 0,
        headers,
        url,
        read,
        cancel: async () => {
          if (!ended) res.destroy();
        },
      });
    });
    req.end(init.body);
  });

const EMPTY = new Uint8Array(0);
