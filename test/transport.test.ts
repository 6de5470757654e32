/**
 * The default transport (src/net/transport.ts: undici dispatch over keep-alive connections) against a real server on
 * 127.0.0.1: what it sends, what it leaves to the fetch layer (redirects), connection reuse, and
 * how a body ends (complete, aborted, cut). The fetch layer's retries, timeouts and caps over it are
 * covered by test/faults.test.ts and test/perf-network.test.ts, which use this transport.
 */
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FetchLayer } from "../src/net/fetch.js";
import { undiciTransport, type Exchange } from "../src/net/transport.js";

let server: http.Server;
let base = "";
const seen: { url: string; headers: http.IncomingHttpHeaders; socket: Socket }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", headers: req.headers, socket: req.socket });
    if (req.url === "/redirect") {
      res.writeHead(302, { location: "/bytes" });
      res.end("see /bytes");
    } else if (req.url === "/bytes") {
      res.writeHead(200, { "content-type": "application/octet-stream", "x-answer": "42" });
      res.write(Buffer.alloc(3, 1));
      setTimeout(() => res.end(Buffer.alloc(2, 2)), 20);
    } else if (req.url === "/cut") {
      res.writeHead(200, { "content-length": "100" });
      res.write(Buffer.alloc(10));
      setTimeout(() => res.socket?.destroy(), 20);
    } else if (req.url === "/slow") {
      res.writeHead(200);
      res.write("a");
      // never ends: the client aborts
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

async function readAll(ex: Exchange): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for (;;) {
    const r = await ex.read();
    if (r.done) return Buffer.concat(parts);
    parts.push(r.value);
  }
}

const init = (signal = new AbortController().signal) => ({ method: "GET", headers: { "user-agent": "standin-test" }, signal });

describe("default transport (undici)", () => {
  it("returns status, headers and the whole body in chunks; sends only the headers asked for (no Accept-Encoding)", async () => {
    seen.length = 0;
    const ex = await undiciTransport(`${base}/bytes`, init());
    expect(ex.status).toBe(200);
    expect(ex.headers.get("x-answer")).toBe("42");
    expect(ex.url).toBe(`${base}/bytes`);
    expect([...(await readAll(ex))]).toEqual([1, 1, 1, 2, 2]);
    expect(seen[0]?.headers["user-agent"]).toBe("standin-test");
    expect(seen[0]?.headers["accept-encoding"]).toBeUndefined();
  });

  it("does not follow redirects (the fetch layer does, hop by hop), and the fetch layer over it does", async () => {
    const ex = await undiciTransport(`${base}/redirect`, init());
    expect(ex.status).toBe(302);
    expect(ex.headers.get("location")).toBe("/bytes");
    await ex.cancel();
    const layer = new FetchLayer({ concurrency: 2 });
    const r = await layer.request(`${base}/redirect`);
    expect(r.status).toBe(200);
    expect([...r.body]).toEqual([1, 1, 1, 2, 2]);
    expect(layer.total.redirects).toBe(1);
  });

  it("reuses one keep-alive connection for requests in sequence", async () => {
    seen.length = 0;
    for (let i = 0; i < 3; i++) await readAll(await undiciTransport(`${base}/bytes`, init()));
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => s.socket)).size).toBe(1);
  });

  it("runs concurrent requests on connections of their own, then reuses them (no new connection per request)", async () => {
    seen.length = 0;
    await Promise.all([0, 1, 2].map(async () => readAll(await undiciTransport(`${base}/bytes`, init()))));
    const first = new Set(seen.map((s) => s.socket));
    expect(first.size).toBe(3);
    for (let i = 0; i < 4; i++) await readAll(await undiciTransport(`${base}/bytes`, init()));
    expect(seen).toHaveLength(7);
    // the sequential ones went over the warm connections, and over one of them only
    expect(seen.slice(3).every((s) => first.has(s.socket))).toBe(true);
    expect(new Set(seen.slice(3).map((s) => s.socket)).size).toBe(1);
  });

  it("a connection cut in a body is not reused: the next request gets a working one", async () => {
    await expect(readAll(await undiciTransport(`${base}/cut`, init()))).rejects.toThrow();
    const ex = await undiciTransport(`${base}/bytes`, init());
    expect(ex.status).toBe(200);
    expect([...(await readAll(ex))]).toEqual([1, 1, 1, 2, 2]);
  });

  it("a body cut by the server rejects the read (never a short body taken as whole)", async () => {
    const ex = await undiciTransport(`${base}/cut`, init());
    await expect(readAll(ex)).rejects.toThrow();
  });

  it("an abort rejects a pending read, and the fetch layer reports a typed network error", async () => {
    const ctrl = new AbortController();
    const ex = await undiciTransport(`${base}/slow`, init(ctrl.signal));
    const pending = readAll(ex);
    setTimeout(() => ctrl.abort(new Error("stop")), 30);
    await expect(pending).rejects.toThrow();
    const layer = new FetchLayer({ concurrency: 1, stallTimeoutMs: 100, retries: 0 });
    await expect(layer.request(`${base}/slow`)).rejects.toMatchObject({ code: "timeout" });
  });
});

describe("FetchLayer.afterBusy", () => {
  it("resolves once requests have run and none is left, not between two requests chained one after the other", async () => {
    const layer = new FetchLayer({ concurrency: 2, retries: 0 });
    let idle = false;
    let cancelled = false;
    const done = new Promise<void>((resolve) =>
      layer.afterBusy(() => {
        idle = true;
        resolve();
      }),
    );
    layer.afterBusy(() => (cancelled = true))();
    await new Promise((r) => setTimeout(r, 30));
    expect(idle).toBe(false); // no request yet: not "after busy"
    const chain = (async () => {
      for (let i = 0; i < 3; i++) {
        await layer.request(`${base}/bytes`);
        expect(idle).toBe(false);
      }
    })();
    await Promise.all([chain, layer.request(`${base}/bytes`)]);
    await done;
    expect(idle).toBe(true);
    expect(cancelled).toBe(false); // a cancelled call never comes
  });
});

