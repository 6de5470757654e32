/**
 * The benchmark's local Hub, in its own process (so that the client under test and the server do
 * not share one event loop or one core). Started with fork(); talks over IPC:
 *
 *   parent -> { cmd: "stats" }            -> { type: "stats", stats }  (server-side counts since the last reset)
 *   parent -> { cmd: "reset" }            -> { type: "ok" }
 *   parent -> { cmd: "latency", ms }      -> { type: "ok" }
 *   parent -> { cmd: "commit", repo }     -> { type: "ok", sha }       (a new commit changing config.json: the PR run)
 *   parent -> { cmd: "readme", repos }    -> { type: "ok" }            (a new commit of each repo changing README.md only: the weekly run)
 *   parent -> { cmd: "close" }            -> exits
 *
 * argv: JSON { root, corpusDir, latencyMs, bandwidthBytesPerSec, exclude }.
 * On start: builds the zoo into `root`, starts the server, sends { type: "ready", url, zoo }.
 */
import { EventEmitter } from "node:events";
import { RepoStore } from "../test/hub/repo-store.js";
import { startHubServer, type HubServer } from "../test/hub/server.js";
import { buildZoo, type Zoo } from "./zoo.js";

export interface HubProcArgs {
  root: string;
  corpusDir: string;
  latencyMs: number;
  bandwidthBytesPerSec: number | null;
  exclude: string[];
}

export interface ServerStats {
  /** Exchanges seen by the Hub listener (model info API + resolve). */
  hub: number;
  /** Of which /api/ calls (the 500 / 5 min anonymous bucket). */
  api: number;
  /** Of which resolve calls (the 3,000 / 5 min anonymous bucket), incl. the 302s to the CDN. */
  resolvers: number;
  /** Of which HEAD requests. */
  heads: number;
  /** Exchanges seen by the CDN listener (LFS bytes after a 302). */
  cdn: number;
  /** Body bytes sent by both listeners (incl. redirect bodies). */
  bytes: number;
  /** Body bytes of ranged (206) answers. */
  rangeBytes: number;
  /** Answers with status >= 400. */
  errors: number;
  /** Most requests in flight at once (both listeners). */
  peakInFlight: number;
  /** CPU time of the Hub process since the last reset (ms). */
  cpuMs: number;
  /** From the first request's arrival to the last response's end (ms): how long the run kept the Hub busy. */
  spanMs: number;
}

export type HubProcMessage =
  | { type: "ready"; url: string; zoo: Zoo; heldBytes: number }
  | { type: "stats"; stats: ServerStats }
  | { type: "ok"; sha?: string }
  | { type: "error"; message: string };

export type HubProcCommand = { cmd: "stats" } | { cmd: "reset" } | { cmd: "latency"; ms: number } | { cmd: "commit"; repo: string } | { cmd: "readme"; repos: string[] } | { cmd: "close" };

let cpuAtReset = process.cpuUsage();

function stats(hub: HubServer): ServerStats {
  const cpu = process.cpuUsage(cpuAtReset);
  const s: ServerStats = { hub: 0, api: 0, resolvers: 0, heads: 0, cdn: 0, bytes: 0, rangeBytes: 0, errors: 0, peakInFlight: 0, cpuMs: (cpu.user + cpu.system) / 1000, spanMs: 0 };
  const edges: [number, number][] = [];
  for (const r of hub.requests) {
    if (r.listener === "cdn") s.cdn++;
    else {
      s.hub++;
      if (r.url.startsWith("/api/")) s.api++;
      else if (/\/(resolve|raw)\//.test(r.url)) s.resolvers++;
    }
    if (r.method === "HEAD") s.heads++;
    s.bytes += r.bytes;
    if (r.status === 206) s.rangeBytes += r.bytes;
    if (r.status >= 400) s.errors++;
    edges.push([r.startedAt, 1], [r.startedAt + Math.max(r.durationMs, 0), -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (edges.length) s.spanMs = edges[edges.length - 1]![0] - edges[0]![0];
  let cur = 0;
  for (const [, d] of edges) {
    cur += d;
    if (cur > s.peakInFlight) s.peakInFlight = cur;
  }
  return s;
}

async function main(): Promise<void> {
  // The bandwidth-capped writer races "drain" against "close" on each chunk: harmless, but noisy.
  EventEmitter.defaultMaxListeners = 0;
  const args = JSON.parse(process.argv[2] ?? "{}") as HubProcArgs;
  const send = (m: HubProcMessage): void => {
    process.send?.(m);
  };
  const store = new RepoStore(args.root);
  const zoo = buildZoo(store, args.corpusDir, { exclude: args.exclude });
  const hub = await startHubServer({
    store,
    latencyMs: args.latencyMs,
    bandwidthBytesPerSec: args.bandwidthBytesPerSec ?? undefined,
  });
  // The Hub's CDN serves hot objects from memory; opening and reading 1,538 sparse files per phase
  // cost this process (on the client's two cores) ~0.7 s of CPU. Every shard's header and 64 KiB
  // beyond it (more than any reader asks for ahead) are held in memory; longer reads use the file.
  const held: { path: string; bytes: number }[] = [];
  for (const m of zoo.models) {
    const repo = store.get(m.id);
    const sha = repo?.resolveRevision("main");
    if (!repo || !sha) continue;
    for (const sh of m.shards) held.push({ path: repo.filePath(sha, sh.file), bytes: 8 + sh.headerLength + 64 * 1024 });
  }
  const heldBytes = await hub.preload(held);
  process.on("message", (raw: HubProcCommand) => {
    void (async () => {
      try {
        switch (raw.cmd) {
          case "stats":
            send({ type: "stats", stats: stats(hub) });
            break;
          case "reset":
            hub.resetLog();
            cpuAtReset = process.cpuUsage();
            send({ type: "ok" });
            break;
          case "latency":
            hub.setLatency(raw.ms);
            send({ type: "ok" });
            break;
          case "commit": {
            const repo = store.get(raw.repo);
            if (!repo) throw new Error(`no repo ${raw.repo}`);
            const sha0 = repo.resolveRevision("main");
            if (!sha0) throw new Error(`${raw.repo} has no main`);
            const config = JSON.parse(repo.readFile(sha0, "config.json").toString("utf8")) as Record<string, unknown>;
            const c = repo.commit({ message: "Update config.json (benchmark PR run)" });
            c.writeJson("config.json", { ...config, max_position_embeddings: 2 * Number(config["max_position_embeddings"] ?? 4096) });
            const sha = c.finish({ ref: "main" });
            send({ type: "ok", sha });
            break;
          }
          case "readme": {
            for (const id of raw.repos) {
              const repo = store.get(id);
              if (!repo) throw new Error(`no repo ${id}`);
              const sha0 = repo.resolveRevision("main");
              if (!sha0) throw new Error(`${id} has no main`);
              const old = repo.files(sha0)["README.md"] ? repo.readFile(sha0, "README.md").toString("utf8") : `# ${id}\n`;
              const c = repo.commit({ message: "Update README.md (benchmark weekly run)" });
              c.writeFile("README.md", `${old}\nUpdated for the weekly benchmark run.\n`);
              c.finish({ ref: "main" });
            }
            send({ type: "ok" });
            break;
          }
          case "close":
            await hub.close();
            process.exit(0);
        }
      } catch (e) {
        send({ type: "error", message: (e as Error).message });
      }
    })();
  });
  process.on("disconnect", () => {
    void hub.close().then(() => process.exit(0));
  });
  send({ type: "ready", url: hub.url, zoo, heldBytes });
}

main().catch((e: unknown) => {
  process.send?.({ type: "error", message: (e as Error).stack ?? String(e) } satisfies HubProcMessage);
  process.exit(1);
});
