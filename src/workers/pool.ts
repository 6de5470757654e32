/**
 * Analysis workers: the CPU work of a safetensors model (parsing its index and headers, building the
 * fingerprint, integrity and engine gaps) runs in worker threads while the main thread keeps the
 * network busy. On a 2-core runner that is one worker next to the main thread; the main thread
 * never waits for a parse except for an index's shard list.
 *
 * One session per model (scanZoo opens it, fingerprintModel feeds it through acquire's `offload`).
 * Bytes are copied once into a buffer of their own and transferred, never cloned. A worker that
 * dies fails its open sessions with a typed error (the models become UNKNOWN with the reason), and
 * the pool carries on with the others.
 */
import { createRequire } from "node:module";
import os from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import type { Extras, Offload, ShardPlan } from "../fingerprint/acquire.js";
import type { NetStats, SourceMeta } from "../fingerprint/build.js";
import { unknownFingerprint } from "../fingerprint/build.js";
import type { Finding, Fingerprint } from "../fingerprint/types.js";
import type { IntegrityBase } from "../integrity/checks.js";
import type { EngineGaps } from "../integrity/engine-gaps.js";
import type { SafetensorsHeaderBytes } from "../sources/types.js";
import { StandinError, toStandinError } from "../util/errors.js";
import { deserializeError, WORKER_MARK, type FromWorker, type ToWorker } from "./protocol.js";

let bundleEntry: URL | null = null;

/** A bundle (dist/index.js, dist/cli/index.js) runs its own file as the worker: it says which file that is. */
export function setWorkerEntry(url: string | URL): void {
  bundleEntry = new URL(url);
}

/** How to start a worker: a file, or (from TypeScript sources) a bootstrap that registers tsx first. */
function workerScript(): { script: string | URL; eval: boolean } {
  if (bundleEntry) return { script: bundleEntry, eval: false };
  // Compiled JS: the entry next to this file. Sources (tests, tsx): hooks registered on the main
  // thread do not reach a worker, so the worker registers tsx itself, then imports the entry.
  // (The file name is built at run time: a bundler must not copy the entry into dist/.)
  const self = import.meta.url;
  const ts = self.endsWith(".ts");
  const entry = siblingUrl(self, `entry${ts ? ".ts" : ".js"}`);
  if (!ts) return { script: entry, eval: false };
  // require.resolve finds the CommonJS build of tsx's API; the worker needs its ESM twin.
  const tsx = pathToFileURL(createRequire(self).resolve("tsx/esm/api")).href.replace(/\.cjs$/, ".mjs");
  return { script: `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`, eval: true };
}

function siblingUrl(base: string, file: string): URL {
  return new URL(file, base);
}

/** Default worker count: the cores beside the main thread (1 on a 2-core runner), at most 4. */
export function defaultWorkerCount(): number {
  const env = process.env["STANDIN_WORKERS"];
  if (env !== undefined && env.trim() !== "" && Number.isInteger(Number(env)) && Number(env) >= 0) return Number(env);
  const cores = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(4, cores - 1));
}

/** What the worker built for one model. */
export interface RemoteAnalysis {
  base: IntegrityBase;
  gaps: EngineGaps | null;
}

interface Pending {
  resolve(m: FromWorker): void;
}

interface Slot {
  worker: Worker;
  open: Set<number>;
  /** Bytes handed to this worker for models not finished yet: its backlog, roughly. */
  load: number;
  dead: StandinError | null;
}

export class AnalysisPool {
  private readonly slots: Slot[] = [];
  private readonly waiting = new Map<string, Pending>();
  private nextSid = 1;
  private closed = false;

  private constructor(private readonly size: number) {}

  /**
   * Workers start with the first model that will need one (`warm`, called as a safetensors model's
   * reading begins) or at the first hand-over, whichever comes first; a warm run, all from the
   * cache, starts none.
   */
  private startWorkers(): void {
    const { script, eval: evalScript } = workerScript();
    for (let i = 0; i < this.size; i++) {
      const worker = new Worker(script, {
        workerData: { [WORKER_MARK]: true },
        eval: evalScript,
        // A larger young generation: parsing allocates ~10^5 short-lived objects per big header;
        // V8's default (16 MB semi-spaces on 64-bit) promotes many of them and collects often.
        resourceLimits: { maxYoungGenerationSizeMb: Number(process.env["STANDIN_WORKER_YOUNG_MB"] ?? 64) },
      });
      const slot: Slot = { worker, open: new Set(), load: 0, dead: null };
      worker.on("message", (m: FromWorker) => this.onMessage(m));
      const fail = (why: string): void => {
        if (slot.dead) return;
        slot.dead = new StandinError("analysis_worker_failed", `the analysis worker stopped: ${why}`, {
          hint: "run again; if it repeats, run with STANDIN_WORKERS=0 (no worker threads) and report the model",
        });
        for (const sid of slot.open) this.failSession(sid, slot.dead);
      };
      worker.on("error", (e) => fail(e instanceof Error ? e.message : String(e)));
      worker.on("exit", (code) => {
        if (!this.closed) fail(`exit code ${code}`);
      });
      this.slots.push(slot);
    }
  }

  /** A pool of `size` workers (defaultWorkerCount()), or null for 0: everything runs on this thread. */
  static start(size = defaultWorkerCount()): AnalysisPool | null {
    return size > 0 ? new AnalysisPool(size) : null;
  }

  /** A session for one model; `supported` = the manifest's engine.supported (engine gaps), or null. */
  session(model: string, supported: readonly string[] | null): PoolSession {
    return new PoolSession(this, this.nextSid++, model, supported);
  }

  /**
   * Start the workers now if they have not started: a worker takes a few hundred ms to load the
   * analysis code, and the first index to parse arrives a few round trips after the model's
   * reading begins. Assigns nothing: a session still gets its worker at its first hand-over.
   */
  warm(): void {
    if (this.slots.length === 0) this.startWorkers();
  }

  /** Workers started so far. */
  get started(): number {
    return this.slots.length;
  }

  /**
   * @internal The worker of a session, chosen when it first needs one: the one with the smallest
   * backlog (bytes of unfinished models), so that the big models spread over the workers and no
   * worker is left with a long tail while the others idle.
   */
  assign(sid: number): Slot {
    this.warm();
    const live = this.slots.filter((s) => !s.dead);
    const slot = (live.length > 0 ? live : this.slots).reduce((a, b) => (b.load < a.load ? b : a));
    slot.open.add(sid);
    return slot;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  /** @internal */
  post(slot: Slot, m: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (slot.dead) return;
    slot.worker.postMessage(m, transfer);
  }

  /** @internal Wait for a reply; a dead worker answers with its error. */
  reply(slot: Slot, key: string): Promise<FromWorker> {
    if (slot.dead) return Promise.reject(slot.dead);
    return new Promise((resolve) => this.waiting.set(key, { resolve }));
  }

  /** @internal The session is over (its `bytes` leave the worker's backlog): no more replies are awaited. */
  release(slot: Slot, sid: number, bytes: number): void {
    slot.open.delete(sid);
    slot.load -= bytes;
    for (const key of [...this.waiting.keys()]) if (key.startsWith(`${sid}:`)) this.waiting.delete(key);
  }

  private onMessage(m: FromWorker): void {
    const key = m.t === "parsed" ? `${m.sid}:p:${m.shard}` : `${m.sid}:${m.t}`;
    const w = this.waiting.get(key);
    if (!w) return;
    this.waiting.delete(key);
    w.resolve(m);
  }

  private failSession(sid: number, err: StandinError): void {
    const error = { kind: "standin" as const, code: err.code, message: err.message, hint: err.hint };
    for (const [key, w] of [...this.waiting]) {
      if (!key.startsWith(`${sid}:`)) continue;
      this.waiting.delete(key);
      const [, t, shard] = key.split(":");
      w.resolve({ t: t === "p" ? "parsed" : (t as "index" | "done"), sid, shard, ok: false, error });
    }
  }
}

/** A copy of the bytes in a buffer of their own, to transfer (a view may share a large buffer). */
function own(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Whether the view is all of a (transferable) buffer. */
function wholeBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer;
}

export class PoolSession implements Offload {
  private finished = false;
  private worker: Slot | null = null;
  /** Bytes handed over so far (the index and the headers). */
  private bytes = 0;
  /** Set once finish() returns: the integrity base and engine gaps built with the fingerprint. */
  result: RemoteAnalysis | null = null;
  /** Tensors in the headers parsed so far. */
  tensorCount = 0;

  constructor(
    private readonly pool: AnalysisPool,
    private readonly sid: number,
    private readonly model: string,
    private readonly supported: readonly string[] | null,
  ) {}

  /** The model is about to be read (safetensors): the pool's workers start loading now. */
  prepare(): void {
    if (!this.finished) this.pool.warm();
  }

  private get slot(): Slot {
    return (this.worker ??= this.pool.assign(this.sid));
  }

  private handOver(n: number): Slot {
    const slot = this.slot;
    this.bytes += n;
    slot.load += n;
    return slot;
  }

  async index(bytes: Uint8Array, file: string): Promise<{ shards: string[]; plan: Record<string, ShardPlan>; findings: Finding[] }> {
    const copy = own(bytes);
    const slot = this.handOver(copy.byteLength);
    const reply = this.pool.reply(slot, `${this.sid}:index`);
    this.pool.post(slot, { t: "index", sid: this.sid, model: this.model, file, bytes: copy }, [copy.buffer as ArrayBuffer]);
    const m = await reply;
    if (!m.ok) throw deserializeError(m.error);
    if (m.t !== "index") throw new Error("analysis worker: unexpected reply");
    return { shards: m.shards, plan: m.plan, findings: m.findings };
  }

  /**
   * Hand over one header. Bytes read from the network or a file are a buffer of their own
   * (readSafetensorsHeaderBytes copies them out of the response): that buffer is transferred as
   * it is, and `h.json` is empty afterwards. A view into something larger (a cache pack) is copied.
   */
  async header(shard: string, h: SafetensorsHeaderBytes, fileSize: number | null): Promise<void> {
    const json = wholeBuffer(h.json) ? h.json : own(h.json);
    const slot = this.handOver(json.byteLength);
    const reply = this.pool.reply(slot, `${this.sid}:p:${shard}`);
    this.pool.post(slot, { t: "header", sid: this.sid, model: this.model, shard, headerLength: h.headerLength, fileSize, json }, [json.buffer as ArrayBuffer]);
    const m = await reply;
    if (!m.ok) throw deserializeError(m.error);
    if (m.t === "parsed") this.tensorCount += m.tensors;
  }

  /** Build the model in the worker; its integrity base and engine gaps land in `result`. */
  async finish(ex: Extras, net: NetStats, meta: SourceMeta): Promise<Fingerprint> {
    this.finished = true;
    const slot = this.slot;
    try {
      const reply = this.pool.reply(slot, `${this.sid}:done`);
      this.pool.post(slot, { t: "finish", sid: this.sid, ex, net, meta, supported: this.supported });
      const m = await reply;
      if (!m.ok) throw deserializeError(m.error);
      if (m.t !== "done") throw new Error("analysis worker: unexpected reply");
      this.result = { base: m.base, gaps: m.gaps };
      return m.fp;
    } catch (err) {
      const e = toStandinError(err, { model: this.model });
      return unknownFingerprint(this.model, { ...meta, sha: ex.raw.resolved.sha, format: ex.raw.format }, e.toJSON(), net);
    } finally {
      this.pool.release(slot, this.sid, this.bytes);
    }
  }

  /** Done with the model: a session that never finished (the read failed) is dropped in the worker. */
  close(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.worker === null) return; // never reached a worker
    this.pool.post(this.worker, { t: "drop", sid: this.sid });
    this.pool.release(this.worker, this.sid, this.bytes);
  }
}
