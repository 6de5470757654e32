/**
 * An in-memory `fetch` that serves byte ranges of files the way the Hub's resolve endpoint does
 * (206 + Content-Range, 416 past the end, 404 for unknown paths), so format readers that take a
 * fetch (readGguf) can be driven by property tests without sockets. Counts requests and bytes.
 */

export interface MemoryFetchStats {
  requests: number;
  bytes: number;
  /** Largest inclusive end byte asked for. */
  maxEnd: number;
}

export function memoryRangeFetch(files: ReadonlyMap<string, Uint8Array>, stats: MemoryFetchStats = { requests: 0, bytes: 0, maxEnd: -1 }): { fetch: typeof fetch; stats: MemoryFetchStats } {
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    stats.requests++;
    const data = files.get(new URL(url).pathname);
    if (!data) return new Response("Entry not found", { status: 404, headers: { "x-error-code": "EntryNotFound" } });
    const range = new Headers(init?.headers).get("range");
    const m = range ? /^bytes=(\d+)-(\d*)$/.exec(range) : null;
    if (!m) {
      stats.bytes += data.length;
      return new Response(data.slice(), { status: 200, headers: { "content-length": String(data.length) } });
    }
    const start = Number(m[1]);
    const end = Math.min(m[2] ? Number(m[2]) : data.length - 1, data.length - 1);
    stats.maxEnd = Math.max(stats.maxEnd, m[2] ? Number(m[2]) : data.length - 1);
    if (start >= data.length) return new Response("", { status: 416, headers: { "content-range": `bytes */${data.length}` } });
    const body = data.slice(start, end + 1);
    stats.bytes += body.length;
    return new Response(body, { status: 206, headers: { "content-range": `bytes ${start}-${end}/${data.length}`, "content-length": String(body.length) } });
  };
  return { fetch: f as typeof fetch, stats };
}
