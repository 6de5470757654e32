/**
 * Fingerprint models: acquire (network or disk) then build. One failing model never drops the rest:
 * it becomes an UNKNOWN fingerprint carrying the reason.
 */
import { mapLimit } from "../net/limiter.js";
import { createSource, type RunContext, type SourceSpec } from "../sources/index.js";
import type { ModelSource, ResolvedModel } from "../sources/types.js";
import { toStandinError } from "../util/errors.js";
import { acquire, type AcquireOptions, type Extras, type Offload } from "./acquire.js";
import { buildFingerprint, unknownFingerprint, type NetStats, type SourceMeta } from "./build.js";
import type { Fingerprint, SourceMode } from "./types.js";

export interface FingerprintRequest extends SourceSpec {
  source: SourceMode;
}

export interface FingerprintOptions extends Omit<AcquireOptions, "source" | "offload"> {
  /**
   * Parse and build safetensors models in a worker thread (src/workers/pool.ts): this thread reads
   * the bytes, the session parses them and returns the fingerprint. `onRaw` is not called for those.
   */
  offload?: (Offload & { finish(ex: Extras, net: NetStats, meta: SourceMeta): Promise<Fingerprint> }) | null;
  /**
   * Models fingerprinted at once. Default: all of them. The fetch layer bounds the requests in
   * flight per origin and serves every model's metadata (info, config, index) before shard reads,
   * so with the whole zoo in flight every slot stays busy until the last shard (with a few models
   * at a time, their serial metadata round trips leave slots idle).
   */
  modelConcurrency?: number;
  /** Called with each model's raw data (integrity checks and the module atlas need the tensors). */
  onRaw?: (ex: Extras, fp: Fingerprint) => void;
  /**
   * Called once the revision is resolved (before any file is read): a fingerprint built earlier for
   * this exact repo@sha and these options, or null to read and build. A returned fingerprint is
   * used as is, with this run's network figures and no bytes read per file.
   */
  resume?: (resolved: ResolvedModel, src: ModelSource) => Promise<Fingerprint | null>;
}

export async function fingerprintModel(req: FingerprintRequest, ctx: RunContext, opts: FingerprintOptions = {}): Promise<Fingerprint> {
  const src = createSource(req, ctx);
  const net = (): NetStats => {
    const s = src.stats();
    return { requests: s.requests, bytes: s.bytes, cached: false };
  };
  const meta = sourceMeta(req);
  let ex: Extras;
  try {
    if (opts.resume) {
      const earlier = await opts.resume(await src.resolve(), src);
      if (earlier) {
        await src.verifyAccess?.();
        const s = src.stats();
        return { ...earlier, files: earlier.files.map((f) => ({ ...f, bytesRead: 0 })), network: { requests: s.requests, bytes: s.bytes, cached: true } };
      }
    }
    ex = await acquire(src, { ...opts, source: req.source });
  } catch (err) {
    const e = toStandinError(err, { model: req.id });
    return unknownFingerprint(req.id, meta, e.toJSON(), net());
  }
  // Headers parsed in a worker: the model is built there too (its tensors never come back).
  if (ex.shardReads && opts.offload) return opts.offload.finish(ex, net(), meta);
  const fp = fingerprintFromExtras(req.id, meta, ex, net());
  if (fp.status === "ok") opts.onRaw?.(ex, fp);
  return fp;
}

/** Where the fingerprint says the model came from, before anything is read. */
export function sourceMeta(req: FingerprintRequest): SourceMeta {
  return { kind: req.local ? "local" : "hub", repo: req.local ?? req.repo ?? req.id, revision: req.local ? null : req.revision };
}

/** Build from what acquire() read; a failing build is an UNKNOWN fingerprint with the reason. */
export function fingerprintFromExtras(model: string, meta: SourceMeta, ex: Extras, n: NetStats): Fingerprint {
  try {
    const readFiles = ex.raw.files.filter((f) => f.kind !== "onnx_data");
    n.cached = meta.kind === "hub" && readFiles.length > 0 && readFiles.every((f) => f.bytesRead === 0);
    return buildFingerprint(ex, n);
  } catch (err) {
    const e = toStandinError(err, { model });
    return unknownFingerprint(model, { ...meta, sha: ex.raw.resolved.sha, format: ex.raw.format }, e.toJSON(), n);
  }
}

export async function fingerprintModels(reqs: readonly FingerprintRequest[], ctx: RunContext, opts: FingerprintOptions = {}): Promise<Fingerprint[]> {
  return mapLimit(reqs, Math.max(1, opts.modelConcurrency ?? reqs.length), (r) => fingerprintModel(r, ctx, opts));
}
