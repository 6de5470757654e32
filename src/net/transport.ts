/**
 * One HTTP exchange, below the fetch layer (src/net/fetch.ts), which does everything else (limits,
 * redirects, retries, timeouts, Range checks, caps, counters).
 *
 * Two transports:
 * - undiciTransport (the default): undici's `dispatch` over keep-alive connections. A whole zoo is
 *   thousands of small exchanges. The WHATWG fetch machinery (Request and Response objects, web
 *   streams, abort signal plumbing) cost about 1 ms of CPU per exchange on the benchmark's machine,
 *   and node:http (request and response objects, streams, events) about half of that again.
 * - fetchTransport(fetch): any fetch function (an injected one in tests, or `fetch` itself).
 *
 * Both follow no redirect, add no header (no Accept-Encoding: bodies arrive as stored) and leave
 * the body unread until asked.
 */
import { Client, type Dispatcher } from "undici";

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

/**
 * Keep-alive connections per origin, one undici `Client` (one connection, no pipelining) each.
 * `dispatch` hands the status, raw headers and body chunks straight to callbacks: no request or
 * response object, no stream, no event emitter per exchange. On the benchmark's 3,300 exchanges
 * that is about half the CPU of node:http. TLS goes through node:tls (NODE_EXTRA_CA_CERTS applies).
 *
 * The pool is ours, not undici's Agent: an exchange whose body has ended gives its connection to
 * the next one at once. undici's own pool frees a connection a few event-loop turns after the body
 * ended, so a request sent right then opened a new connection (a new TLS handshake) every time.
 */
class Connections {
  private readonly byOrigin = new Map<string, { client: Client; busy: boolean }[]>();

  take(origin: string): { client: Client; busy: boolean } {
    let list = this.byOrigin.get(origin);
    if (!list) this.byOrigin.set(origin, (list = []));
    // most recently used first (LIFO): the connections that stay warm are the fewest needed
    for (let i = list.length - 1; i >= 0; i--) {
      const c = list[i]!;
      if (!c.busy) {
        list.splice(i, 1);
        list.push(c);
        c.busy = true;
        return c;
      }
    }
    const c = { client: new Client(origin, { keepAliveTimeout: 4_000, keepAliveMaxTimeout: 60_000 }), busy: true };
    list.push(c);
    return c;
  }
}

const connections = new Connections();

/** The default transport: undici's dispatch over a keep-alive pool. */
export const undiciTransport: Transport = (url, init) =>
  new Promise<Exchange>((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      reject(new TypeError(`invalid URL ${url}`, { cause: err }));
      return;
    }
    if (u.protocol !== "https:" && u.protocol !== "http:") {
      reject(new TypeError(`unsupported protocol ${u.protocol}`));
      return;
    }
    const signal = init.signal;
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    // Chunks are queued as they arrive (the body flows), so a slow reader never stalls the socket.
    const chunks: Uint8Array[] = [];
    let head = 0;
    let ended = false;
    let failed: unknown = null;
    let wake: (() => void) | null = null;
    let abort: ((reason?: Error) => void) | null = null;
    const notify = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    const onAbort = (): void => abort?.(signal.reason as Error);
    signal.addEventListener("abort", onAbort, { once: true });
    const conn = connections.take(u.origin);
    const done = (): void => {
      // the connection takes the next exchange (undici queues it until this one has finished)
      conn.busy = false;
      signal.removeEventListener("abort", onAbort);
    };
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
    const handler: Dispatcher.DispatchHandlers = {
      onConnect(a) {
        abort = a;
        if (signal.aborted) a(signal.reason as Error);
      },
      onError(err) {
        done();
        reject(err); // no-op once the headers have resolved the exchange: the pending read rejects
        failed = err;
        notify();
      },
      onHeaders(status, raw) {
        const headers = new Headers();
        for (let i = 0; i + 1 < raw.length; i += 2) headers.append((raw[i] as Buffer).toString("latin1"), (raw[i + 1] as Buffer).toString("latin1"));
        resolve({
          status,
          headers,
          url,
          read,
          cancel: async () => {
            if (!ended && failed === null) abort?.(new Error("body not wanted"));
          },
        });
        return true;
      },
      onData(chunk) {
        chunks.push(chunk);
        notify();
        return true;
      },
      onComplete() {
        done();
        ended = true;
        notify();
      },
    };
    try {
      conn.client.dispatch({ path: u.pathname + u.search, method: init.method as Dispatcher.HttpMethod, headers: init.headers, body: init.body }, handler);
    } catch (err) {
      // invalid header values and the like: refused before anything is sent
      done();
      reject(err);
    }
  });

const EMPTY = new Uint8Array(0);
