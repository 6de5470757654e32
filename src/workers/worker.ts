/**
 * The analysis worker: parses the safetensors index and headers the main thread read, then builds
 * the fingerprint, the integrity base and the engine gaps of each model, and sends back only those
 * (a model's tensors never cross the thread boundary). Never touches the network or the disk.
 *
 * Tasks run one at a time, yielding between them so new messages are seen: index parses first (the
 * main thread waits for their shard lists to schedule reads), then headers and builds in arrival order.
 */
import { parentPort } from "node:worker_threads";
import { collectShards, indexPlan, type Extras } from "../fingerprint/acquire.js";
import { fingerprintFromExtras } from "../fingerprint/index.js";
import { parseSafetensorsHeader, type ParsedSafetensorsHeader } from "../formats/safetensors.js";
import { parseSafetensorsIndex, type SafetensorsIndex } from "../formats/safetensors-index.js";
import { integrityBase } from "../integrity/checks.js";
import { engineGaps } from "../integrity/engine-gaps.js";
import { lowerThreadPriority } from "./nice.js";
import { serializeError, type FromWorker, type ToWorker } from "./protocol.js";

interface Session {
  index: SafetensorsIndex | null;
  parsed: Map<string, ParsedSafetensorsHeader>;
}

export function runAnalysisWorker(): void {
  const port = parentPort;
  if (!port) throw new Error("runAnalysisWorker: not in a worker thread");
  lowerThreadPriority();
  const sessions = new Map<number, Session>();
  const session = (sid: number): Session => {
    let s = sessions.get(sid);
    if (!s) sessions.set(sid, (s = { index: null, parsed: new Map() }));
    return s;
  };
  /** Sessions the main thread gave up (the model failed while reading): their late tasks are skipped. */
  const dropped = new Set<number>();
  const urgent: ToWorker[] = [];
  const queue: ToWorker[] = [];
  let head = 0;
  let scheduled = false;
  const send = (m: FromWorker): void => port.postMessage(m);

  const run = (m: ToWorker): void => {
    switch (m.t) {
      case "index": {
        if (dropped.has(m.sid)) return;
        try {
          const index = parseSafetensorsIndex(m.bytes, { file: m.file, model: m.model });
          session(m.sid).index = index;
          send({ t: "index", sid: m.sid, ok: true, shards: index.shards, plan: indexPlan(index), findings: index.findings });
        } catch (err) {
          send({ t: "index", sid: m.sid, ok: false, error: serializeError(err) });
        }
        return;
      }
      case "header": {
        if (dropped.has(m.sid)) return;
        try {
          const p = parseSafetensorsHeader(m.json, { file: m.shard, model: m.model, headerLength: m.headerLength, fileSize: m.fileSize });
          session(m.sid).parsed.set(m.shard, p);
          send({ t: "parsed", sid: m.sid, shard: m.shard, ok: true, tensors: p.tensors.length });
        } catch (err) {
          send({ t: "parsed", sid: m.sid, shard: m.shard, ok: false, error: serializeError(err) });
        }
        return;
      }
      case "finish": {
        const s = session(m.sid);
        sessions.delete(m.sid);
        try {
          const ex: Extras = m.ex;
          ex.index = s.index;
          const reads = ex.shardReads ?? [];
          delete ex.shardReads;
          collectShards(
            ex,
            reads.map((read) => {
              const parsed = s.parsed.get(read.path);
              if (!parsed) throw new Error(`analysis worker: shard ${read.path} was not handed over`);
              return { read, parsed };
            }),
          );
          const fp = fingerprintFromExtras(ex.raw.model, m.meta, ex, m.net);
          const base = integrityBase({ ex, fp });
          const gaps = m.supported && fp.status === "ok" ? engineGaps(fp, ex.raw.tensors, m.supported) : null;
          send({ t: "done", sid: m.sid, ok: true, fp, base, gaps });
        } catch (err) {
          send({ t: "done", sid: m.sid, ok: false, error: serializeError(err) });
        }
        return;
      }
      case "drop":
        return;
    }
  };

  const step = (): void => {
    scheduled = false;
    const m = urgent.length > 0 ? urgent.shift() : head < queue.length ? queue[head++] : undefined;
    if (head > 1024 && head * 2 > queue.length) {
      queue.splice(0, head);
      head = 0;
    }
    if (m === undefined) return;
    run(m);
    schedule();
  };
  const schedule = (): void => {
    if (scheduled || (urgent.length === 0 && head >= queue.length)) return;
    scheduled = true;
    setImmediate(step);
  };
  port.on("message", (m: ToWorker) => {
    if (m.t === "drop") {
      // Let go of the session now; later tasks of it find nothing to add to.
      sessions.delete(m.sid);
      dropped.add(m.sid);
      return;
    }
    (m.t === "index" ? urgent : queue).push(m);
    schedule();
  });
}
