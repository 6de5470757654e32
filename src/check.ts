/**
 * `check`: everything the manifest asks, in one pass — fingerprint every model (one failing model
 * never drops the rest), integrity and expectations, the manifest's pairs, the all-pairs matrix,
 * the multi-fidelity plans, and the gate. Pure analysis is separated from I/O so that sharded runs
 * (fingerprint a slice) and merges (analyze the union) give the same report as one run.
 */
import { ANALYSIS_SCHEMA, analysisAt, analysisKey, loadAnalysis, storeAnalysis, type CachedAnalysis } from "./analysis-cache.js";
import { comparePairs, compareSelected, meetsRequirement, verdictMatrix } from "./compare/index.js";
import type { Comparison, CompareOptions } from "./compare/types.js";
import type { Extras } from "./fingerprint/acquire.js";
import { unknownFingerprint } from "./fingerprint/build.js";
import { fingerprintModel, type FingerprintOptions, type FingerprintRequest } from "./fingerprint/index.js";
import type { Fingerprint } from "./fingerprint/types.js";
import { finishIntegrity, integrityBase, runIntegrity } from "./integrity/checks.js";
import { engineGaps, type EngineGaps } from "./integrity/engine-gaps.js";
import type { ExpectationResult, IntegrityReport } from "./integrity/types.js";
import type { Manifest, ModelSpec } from "./manifest/types.js";
import { mapLimit } from "./net/limiter.js";
import { planAll } from "./plan/plan.js";
import { RESULTS_SCHEMA, type EngineGapResult, type GateFailure, type PairResult, type Results } from "./report/types.js";
import type { RunContext } from "./sources/index.js";
import type { ModelSource, ResolvedModel } from "./sources/types.js";
import { UsageError } from "./util/errors.js";
import { AnalysisPool, defaultWorkerCount } from "./workers/pool.js";

export const VERSION = "0.1.0";

export type FailOn = "none" | "no-substitute" | "partial" | "integrity" | "expectations";
export const FAIL_ON_VALUES: FailOn[] = ["none", "no-substitute", "partial", "integrity", "expectations"];
export const DEFAULT_FAIL_ON: FailOn[] = ["integrity", "expectations"];

/** "integrity,expectations" -> ["integrity","expectations"]; "none" alone; unknown values are usage errors. */
export function parseFailOn(text: string | undefined | null): FailOn[] {
  if (text === undefined || text === null || text.trim() === "") return [...DEFAULT_FAIL_ON];
  const parts = text
    .split(/[\s,]+/)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const bad = parts.filter((p) => !(FAIL_ON_VALUES as string[]).includes(p));
  if (bad.length) throw new UsageError(`fail-on: unknown value(s) ${bad.map((b) => `"${b}"`).join(", ")}`, `use a comma-separated list of ${FAIL_ON_VALUES.join(", ")}`);
  if (parts.includes("none") && parts.length > 1) throw new UsageError(`fail-on: "none" cannot be combined with other values`);
  return [...new Set(parts)] as FailOn[];
}

export interface Shard {
  index: number;
  count: number;
}

/** "2/4" -> {index: 2, count: 4} (1-based). */
export function parseShard(text: string | undefined | null): Shard | null {
  if (!text || !text.trim()) return null;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`shard: "${text}" is not i/n`, "write e.g. 1/4 (slice 1 of 4)");
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (count < 1 || index < 1 || index > count) throw new UsageError(`shard: ${text} is out of range`, "i must be between 1 and n");
  return { index, count };
}

/** Deterministic slice of the zoo: model k goes to shard (k mod n) + 1, so big and small spread evenly. */
export function shardModels<T>(models: readonly T[], shard: Shard | null): T[] {
  if (!shard) return [...models];
  return models.filter((_, k) => k % shard.count === shard.index - 1);
}

export interface CheckOptions {
  failOn?: FailOn[];
  seqLen?: number;
  shard?: Shard | null;
  maxHeaderBytes?: number;
  onnxBudgetBytes?: number;
  modelConcurrency?: number;
  /** Fixed timestamp (tests). */
  now?: Date;
  /** Called after each model is fingerprinted (progress output). */
  onModel?: (fp: Fingerprint) => void;
  /**
   * Id of the running code (src/util/code-id.ts; the CLI and the action pass the build's). With it
   * and a cache dir, a model at an unchanged repo@sha reuses its cached analysis (src/analysis-cache.ts)
   * instead of parsing and building again. Null or absent: never reused.
   */
  codeId?: string | null;
  /**
   * Worker threads that parse and build safetensors models while this thread reads the next ones
   * (src/workers/pool.ts). Default: the cores beside this one, at most 4 (STANDIN_WORKERS overrides);
   * 0: everything on this thread.
   */
  workers?: number;
}

export function requestFor(m: ModelSpec): FingerprintRequest {
  return { id: m.id, repo: m.repo, local: m.local, revision: m.revision ?? "", source: m.source };
}

export interface ZooScan {
  models: Fingerprint[];
  integrity: IntegrityReport[];
  expectations: ExpectationResult[];
  /** Present when the manifest declares engine.supported. */
  engineGaps?: EngineGapResult[];
}

/** Fingerprint (a shard of) the zoo with integrity and expectations. */
export async function scanZoo(manifest: Manifest, ctx: RunContext, opts: CheckOptions = {}): Promise<ZooScan> {
  const specs = shardModels(manifest.models, opts.shard ?? null);
  const supported = manifest.engine.supported;
  const fpOpts: FingerprintOptions = {
    maxHeaderBytes: opts.maxHeaderBytes,
    onnxBudgetBytes: opts.onnxBudgetBytes,
  };
  // Each model is checked as soon as its fingerprint is built, while the other models' requests are
  // still in flight: its tensors are let go at once (peak memory is the models in flight, not the
  // zoo) and the checks overlap the network. Results keep the manifest's order.
  const codeId = opts.codeId ?? null;
  // Safetensors models are parsed and built in worker threads (src/workers/pool.ts) so that this
  // thread keeps the network busy; the others (ONNX, GGUF, config-only) are built here.
  const pool = AnalysisPool.start(opts.workers ?? defaultWorkerCount());
  // Cache writes wait until the network is done (both cores are busy reading and parsing until
  // then) and go out while the last models are being built.
  ctx.cache.holdWrites();
  const cancelRelease = ctx.layer.afterBusy(() => void ctx.cache.releaseWrites());
  try {
    const checked = await mapLimit(specs, Math.max(1, opts.modelConcurrency ?? specs.length), async (spec) => {
      let ex: Extras | null = null;
      let hit: CachedAnalysis | null = null;
      const repo = spec.local ? null : spec.repo;
      const key =
        codeId && repo && ctx.cache.dir
          ? analysisKey({
              codeId,
              model: spec.id,
              repo,
              revision: spec.revision ?? "",
              source: spec.source,
              maxHeaderBytes: opts.maxHeaderBytes ?? null,
              onnxBudgetBytes: opts.onnxBudgetBytes ?? null,
              supported: supported ?? null,
            })
          : null;
      // Reuse: this revision's analysis, or an earlier revision's when nothing it was built from
      // changed (a README commit upstream; stored again at this revision).
      let carried = false;
      const resume =
        key && repo
          ? async (resolved: ResolvedModel, src: ModelSource) => {
              hit = await loadAnalysis(ctx.cache, repo, resolved.sha, key);
              if (!hit && resolved.sha && src.unchangedSince) {
                const earlier = await src.unchangedSince();
                const old = earlier ? await loadAnalysis(ctx.cache, repo, earlier, key, true) : null;
                if (old) [hit, carried] = [analysisAt(old, resolved.sha), true];
              }
              return hit?.fp ?? null;
            }
          : undefined;
      const session = pool?.session(spec.id, supported ?? null) ?? null;
      let fp: Fingerprint;
      try {
        fp = await fingerprintModel(requestFor(spec), ctx, { ...fpOpts, onRaw: (e) => (ex = e), resume, offload: session });
      } finally {
        session?.close();
      }
      const cached = hit as CachedAnalysis | null;
      const remote = session?.result ?? null;
      const base = cached?.integrity ?? remote?.base ?? integrityBase({ ex, fp });
      const r = finishIntegrity(base, fp, spec.expect);
      let gaps: EngineGaps | null = null;
      if (supported && fp.status === "ok") gaps = cached ? cached.gaps : remote ? remote.gaps : engineGaps(fp, (ex as Extras | null)?.raw.tensors ?? null, supported);
      ex = null;
      if (key && (!cached || carried)) await storeAnalysis(ctx.cache, { schema: ANALYSIS_SCHEMA, key, fp, integrity: base, gaps });
      opts.onModel?.(fp);
      return { fp, r, gap: gaps ? { model: fp.model, ...gaps } : null };
    });
    const gaps = checked.flatMap((c) => (c.gap ? [c.gap] : []));
    return {
      models: checked.map((c) => c.fp),
      integrity: checked.map((c) => c.r.report),
      expectations: checked.flatMap((c) => c.r.expectations),
      ...(supported ? { engineGaps: gaps } : {}),
    };
  } finally {
    await pool?.close();
    cancelRelease();
    await ctx.cache.releaseWrites();
  }
}

function compareOptions(manifest: Manifest | null): CompareOptions {
  return { aliases: manifest?.engine.aliases ?? [] };
}

/** Effective requirement of a manifest pair under fail-on. */
export function effectiveRequirement(require: "FULL" | "PARTIAL" | null, failOn: FailOn[]): "FULL" | "PARTIAL" | null {
  if (failOn.includes("none")) return null;
  if (require) return require;
  if (failOn.includes("partial")) return "FULL";
  if (failOn.includes("no-substitute")) return "PARTIAL";
  return null;
}

/** Pure analysis of a scan: pairs, matrix, plans, gate. Same input, same output. */
export function analyze(manifest: Manifest | null, scan: ZooScan, opts: CheckOptions & { network?: Results["network"] } = {}): Results {
  const failOn = opts.failOn ?? [...DEFAULT_FAIL_ON];
  const copts = compareOptions(manifest);
  const fps = scan.models;
  const byId = new Map(fps.map((f) => [f.model, f]));

  const pairSpecs = manifest?.pairs ?? [];
  const comps = comparePairs(fps, pairSpecs, copts);
  const pairs: PairResult[] = pairSpecs.map((p, i) => {
    const c = comps[i] as Comparison;
    const req = effectiveRequirement(p.require, failOn);
    return { ...c, require: p.require, ok: meetsRequirement(c.verdict, req), line: p.line, col: p.col };
  });

  const matrix = verdictMatrix(fps, copts);
  // Plans need full comparisons only where a proxy can cover a target (each fingerprint prepared once).
  const covering: [string, string][] = [];
  for (const cell of matrix) {
    if (cell.verdict !== "FULL_SUBSTITUTE" && cell.verdict !== "PARTIAL_SUBSTITUTE") continue;
    if (byId.has(cell.proxy) && byId.has(cell.target)) covering.push([cell.proxy, cell.target]);
  }
  const planComps = compareSelected(fps, covering, copts);
  const plans = planAll(fps, planComps, { seqLen: opts.seqLen });

  const lines: Record<string, number> = {};
  const tags: Record<string, string[]> = {};
  for (const m of manifest?.models ?? []) {
    lines[m.id] = m.line;
    tags[m.id] = m.tags;
  }
  const failures = gateFailures({ pairs, integrity: scan.integrity, expectations: scan.expectations, failOn, lines });

  return {
    schema: RESULTS_SCHEMA,
    tool: { name: "standin", version: VERSION },
    generatedAt: (opts.now ?? new Date()).toISOString(),
    manifest: manifest
      ? {
          path: manifest.path,
          name: manifest.name ?? null,
          engine: { name: manifest.engine.name, aliases: manifest.engine.aliases, supported: manifest.engine.supported },
          lines,
          tags,
        }
      : null,
    models: fps,
    integrity: scan.integrity,
    expectations: scan.expectations,
    pairs,
    matrix,
    plans,
    ...(scan.engineGaps ? { engineGaps: scan.engineGaps } : {}),
    gate: { failOn, failures, passed: failures.length === 0 },
    network: opts.network ?? { requests: 0, bytes: 0, retries: 0, cacheHits: 0 },
    shard: null,
  };
}

export function gateFailures(input: {
  pairs: PairResult[];
  integrity: IntegrityReport[];
  expectations: ExpectationResult[];
  failOn: FailOn[];
  lines: Record<string, number>;
}): GateFailure[] {
  const { failOn } = input;
  if (failOn.includes("none")) return [];
  const out: GateFailure[] = [];
  for (const p of input.pairs) {
    if (p.ok) continue;
    const req = effectiveRequirement(p.require, failOn);
    const reason = p.verdict === "PARTIAL_SUBSTITUTE" ? "partial" : p.verdict === "UNKNOWN" ? "unknown" : "no-substitute";
    const why = p.verdict === "UNKNOWN" ? (p.error ?? "a side could not be fingerprinted") : p.reasons.slice(0, 3).map((r) => `${r.label}: ${r.proxy} vs ${r.target}`).join("; ");
    out.push({
      reason,
      subject: `${p.target} <- ${p.proxy}`,
      message: `${p.verdict}, requires ${req ?? "?"}${why ? `: ${why}` : ""}`,
      line: p.line,
      col: p.col,
    });
  }
  if (failOn.includes("integrity")) {
    for (const r of input.integrity) {
      if (r.status === "PASS") continue;
      const first = r.findings.find((f) => f.severity === "error") ?? r.findings[0];
      out.push({
        reason: r.status === "UNKNOWN" ? "unknown" : "integrity",
        subject: r.model,
        message: r.status === "UNKNOWN" ? (first?.message ?? "the model could not be fingerprinted") : `integrity FAIL (${r.counts.error} error(s))${first ? `: ${first.message}` : ""}`,
        line: input.lines[r.model],
      });
    }
  }
  if (failOn.includes("expectations")) {
    for (const e of input.expectations) {
      if (e.ok) continue;
      out.push({ reason: "expectations", subject: e.model, message: e.message, line: input.lines[e.model] });
    }
  }
  return out;
}

/** Scan + analyze (or a partial result for a shard: no pairs/matrix/plans, those come at merge). */
export async function runCheck(manifest: Manifest, ctx: RunContext, opts: CheckOptions = {}): Promise<Results> {
  const scan = await scanZoo(manifest, ctx, opts);
  const network = { requests: ctx.layer.total.requests, bytes: ctx.layer.total.bytes, retries: ctx.layer.total.retries, cacheHits: ctx.cache.hits };
  if (opts.shard) {
    const partial = analyze(manifest, { models: [], integrity: [], expectations: [] }, { ...opts, network });
    return { ...partial, models: scan.models, integrity: scan.integrity, expectations: scan.expectations, ...(scan.engineGaps ? { engineGaps: scan.engineGaps } : {}), gate: { failOn: partial.gate.failOn, failures: [], passed: true }, shard: `${opts.shard.index}/${opts.shard.count}` };
  }
  return analyze(manifest, scan, { ...opts, network });
}

/** Merge partial (shard) results into one scan, in manifest order; duplicates keep the first. */
export function mergeScans(manifest: Manifest | null, parts: Results[]): { scan: ZooScan; network: Results["network"] } {
  const fpBy = new Map<string, Fingerprint>();
  const intBy = new Map<string, IntegrityReport>();
  const expBy = new Map<string, ExpectationResult[]>();
  const gapBy = new Map<string, EngineGapResult>();
  let anyGaps = false;
  const network = { requests: 0, bytes: 0, retries: 0, cacheHits: 0 };
  for (const r of parts) {
    for (const fp of r.models) if (!fpBy.has(fp.model)) fpBy.set(fp.model, fp);
    for (const i of r.integrity) if (!intBy.has(i.model)) intBy.set(i.model, i);
    if (r.engineGaps) anyGaps = true;
    for (const g of r.engineGaps ?? []) if (!gapBy.has(g.model)) gapBy.set(g.model, g);
    for (const e of r.expectations) {
      const list = expBy.get(e.model) ?? [];
      if (!expBy.has(e.model) || list.some((x) => x.key !== e.key)) list.push(e);
      expBy.set(e.model, list);
    }
    network.requests += r.network.requests;
    network.bytes += r.network.bytes;
    network.retries += r.network.retries;
    network.cacheHits += r.network.cacheHits;
  }
  // A manifest model that no shard reported is UNKNOWN with the reason, never silently dropped.
  for (const m of manifest?.models ?? []) {
    if (fpBy.has(m.id)) continue;
    const error = { code: "missing_shard_result", message: "no shard result contains this model (a shard job failed or its artifact is missing)", model: m.id };
    const fp = unknownFingerprint(m.id, { kind: m.local ? "local" : "hub", repo: m.local ?? m.repo ?? m.id, revision: m.revision }, error, { requests: 0, bytes: 0, cached: false });
    fpBy.set(m.id, fp);
    intBy.set(m.id, runIntegrity({ ex: null, fp, expect: m.expect }).report);
  }
  const order = manifest ? manifest.models.map((m) => m.id) : [...fpBy.keys()];
  const extra = [...fpBy.keys()].filter((k) => !order.includes(k));
  const ids = [...order, ...extra].filter((id) => fpBy.has(id));
  return {
    scan: {
      models: ids.map((id) => fpBy.get(id) as Fingerprint),
      integrity: ids.flatMap((id) => (intBy.has(id) ? [intBy.get(id) as IntegrityReport] : [])),
      expectations: ids.flatMap((id) => expBy.get(id) ?? []),
      ...(anyGaps ? { engineGaps: ids.flatMap((id) => (gapBy.has(id) ? [gapBy.get(id) as EngineGapResult] : [])) } : {}),
    },
    network,
  };
}
