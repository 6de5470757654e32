/**
 * Hand-built `Results` for report tests: a realistic 13-model zoo (Llama 3.1, Qwen3, Mistral,
 * Mixtral, DeepSeek-V3, gpt-oss, an FP8 copy, a gated model) and a generator for big synthetic zoos
 * (budget tests). Everything is deterministic (fixed timestamps and shas, no randomness), so the
 * rendered example in docs/examples/report.md stays reproducible.
 *
 * Comparisons and plans are built here by a small fixture comparer (feature registry: block-graph
 * difference => NO, other difference => PARTIAL, null => unverified): it does not depend on
 * src/compare or src/plan, which are written separately.
 */
import { emptyScale } from "../../src/fingerprint/build.js";
import type { Comparison, IsomorphismResult, Reason, ScaleRatio, Verdict } from "../../src/compare/types.js";
import { FEATURE_REGISTRY, SCALE_REGISTRY, scaleRatio } from "../../src/fingerprint/features.js";
import type { Features, Finding, Fingerprint, FormatKind, Scale, WeightFormat } from "../../src/fingerprint/types.js";
import { FINGERPRINT_SCHEMA } from "../../src/fingerprint/types.js";
import type { ExpectationResult, IntegrityReport } from "../../src/integrity/types.js";
import type { HardwareFit, Level, PlanEntry, TargetPlan } from "../../src/plan/types.js";
import { RESULTS_SCHEMA, type GateFailure, type MatrixCell, type PairResult, type Results } from "../../src/report/types.js";
import type { ErrorInfo } from "../../src/util/errors.js";
import { renderReport } from "../../src/report/markdown.js";

export const FIXED_TIME = "2026-07-20T06:00:00.000Z";

const LLAMA: Features = {
  architecture: "LlamaForCausalLM",
  topology: "decoder-only",
  layerKinds: ["full_attention"],
  attentionFamily: "standard",
  kvGrouping: "GQA",
  headDim: 128,
  mla: null,
  qkvBias: false,
  outputBias: false,
  qkNorm: false,
  slidingWindow: "none",
  logitSoftcap: false,
  attentionSinks: false,
  positionEncoding: "rope",
  ropeType: "llama3",
  partialRotary: 1,
  ropeStyle: "half",
  nopeLayers: false,
  ffnFamily: "gated",
  activation: "silu",
  mlpBias: false,
  moe: false,
  moeTopK: null,
  sharedExperts: null,
  routerScoring: null,
  groupedTopK: null,
  denseLayerPrefix: null,
  routerTopKNorm: null,
  routerBias: null,
  normKind: "rmsnorm",
  normPlacement: "pre",
  normOffset: false,
  tiedEmbeddings: false,
  weightFormat: "bf16",
  modality: [],
};

const NO_SCALE: Scale = emptyScale();

const QWEN3: Partial<Features> = { architecture: "Qwen3ForCausalLM", qkNorm: true, ropeType: "default" };
const QWEN3_MOE: Partial<Features> = {
  ...QWEN3,
  architecture: "Qwen3MoeForCausalLM",
  moe: true,
  moeTopK: 8,
  sharedExperts: false,
  routerScoring: "softmax",
  groupedTopK: 1,
  denseLayerPrefix: 0,
  routerTopKNorm: true,
  routerBias: false,
};
const GPT_OSS: Partial<Features> = {
  architecture: "GptOssForCausalLM",
  layerKinds: ["full_attention", "sliding_attention"],
  headDim: 64,
  qkvBias: true,
  outputBias: true,
  slidingWindow: "alternating",
  attentionSinks: true,
  ropeType: "yarn",
  activation: "swiglu_oai",
  mlpBias: true,
  moe: true,
  moeTopK: 4,
  sharedExperts: false,
  routerScoring: "softmax",
  groupedTopK: 1,
  denseLayerPrefix: 0,
  routerBias: false,
  weightFormat: "mxfp4",
};

export interface ModelSpecLite {
  id: string;
  tags: string[];
  line: number;
  features?: Partial<Features>;
  scale?: Partial<Scale>;
  params?: number;
  active?: number | null;
  weightBytes?: number;
  estimated?: boolean;
  format?: FormatKind;
  sha?: string | null;
  kvBytesPerToken?: number;
  requests?: number;
  bytes?: number;
  weightFormat?: Partial<WeightFormat>;
  error?: ErrorInfo;
  findings?: Finding[];
}

/** Deterministic fake 40-hex sha from a string. */
export function fakeSha(s: string): string {
  let h1 = 0x811c9dc5;
  let out = "";
  for (let round = 0; out.length < 40; round++) {
    for (const ch of `${round}:${s}`) h1 = Math.imul(h1 ^ ch.charCodeAt(0), 0x01000193) >>> 0;
    out += h1.toString(16).padStart(8, "0");
  }
  return out.slice(0, 40);
}

export function makeFingerprint(m: ModelSpecLite): Fingerprint {
  const net = { requests: m.requests ?? 3, bytes: m.bytes ?? 48_000, cached: false };
  const source = {
    kind: "hub" as const,
    repo: m.id,
    revision: m.sha ?? "main",
    sha: m.sha === undefined ? fakeSha(m.id) : m.sha,
    format: m.error ? null : (m.format ?? "safetensors"),
  };
  if (m.error) {
    const empty = Object.fromEntries(Object.keys(LLAMA).map((k) => [k, null])) as unknown as Features;
    return {
      schema: FINGERPRINT_SCHEMA,
      model: m.id,
      status: "unknown",
      error: m.error,
      source,
      files: [],
      tensorCount: null,
      params: null,
      weightBytes: null,
      features: empty,
      scale: { ...NO_SCALE },
      ops: [],
      kvCache: null,
      weightFormat: null,
      signature: null,
      findings: m.findings ?? [],
      network: net,
    };
  }
  const features: Features = { ...LLAMA, ...m.features };
  const scale: Scale = { ...NO_SCALE, ...m.scale };
  const format = features.weightFormat ?? "bf16";
  const params = m.params ?? 1e9;
  const fromTensors = (m.format ?? "safetensors") === "safetensors";
  return {
    schema: FINGERPRINT_SCHEMA,
    model: m.id,
    status: "ok",
    error: null,
    source,
    files: fromTensors
      ? [
          { path: "config.json", kind: "config", size: 900, bytesRead: 900 },
          { path: "model.safetensors.index.json", kind: "index", size: 24_000, bytesRead: 24_000 },
        ]
      : [{ path: "config.json", kind: "config", size: 1_500, bytesRead: 1_500 }],
    tensorCount: fromTensors ? 291 : null,
    params: {
      total: params,
      byDtype: { [format === "bf16" ? "BF16" : format.toUpperCase()]: params },
      active: m.active ?? null,
      from: fromTensors ? "tensors" : "config",
    },
    weightBytes: { total: m.weightBytes ?? params * 2, byDtype: {}, ...(m.estimated ? { estimated: true } : {}) },
    features,
    scale,
    ops: ["attention.gqa", "ffn.swiglu", "norm.rms", `rope.${features.ropeType ?? "default"}`].sort(),
    kvCache: {
      kind: features.attentionFamily === "mla" ? "mla-latent" : "gqa",
      cachedLayers: scale.layers,
      elementsPerTokenPerLayer: null,
      bytesPerToken: m.kvBytesPerToken ?? 131_072,
      window: null,
      windowedLayers: 0,
      shape: `[batch, ${scale.kvHeads ?? "?"}, seq, ${features.headDim ?? "?"}] x2 (K,V) x ${scale.layers ?? "?"} layers`,
    },
    weightFormat: {
      format,
      storageDtype: format === "bf16" ? "BF16" : null,
      method: null,
      bits: null,
      groupSize: null,
      blockSize: null,
      scaleDtypes: [],
      evidence: [fromTensors ? "tensors: dtypes" : "config: torch_dtype"],
      ...m.weightFormat,
    },
    signature: null,
    findings: m.findings ?? [],
    network: net,
  };
}

// ------------------------------------------------------------------------------------------------
// Fixture comparer and planner

export interface CompareFixtureOptions {
  aliases?: string[][];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export function compareFixture(target: Fingerprint, proxy: Fingerprint, opts: CompareFixtureOptions = {}): Comparison {
  const iso = (verdict: IsomorphismResult["verdict"], notes: string[] = []): IsomorphismResult => ({
    verdict,
    keyOverlap: null,
    phases: { keys: null, substructure: null, scaling: null },
    notes,
  });
  const scale: ScaleRatio[] = SCALE_REGISTRY.map((s) => ({
    key: s.key,
    label: s.label,
    proxy: proxy.scale[s.key],
    target: target.scale[s.key],
    ratio: scaleRatio(target.scale[s.key], proxy.scale[s.key]),
  }));
  if (target.status !== "ok" || proxy.status !== "ok") {
    const side = target.status !== "ok" ? target : proxy;
    return {
      target: target.model,
      proxy: proxy.model,
      verdict: "UNKNOWN",
      reasons: [],
      extras: [],
      unverified: [],
      covered: [],
      scale,
      isomorphism: iso("UNKNOWN", [`${side.model} could not be fingerprinted`]),
      error: `${side.model}: ${side.error?.message ?? "not fingerprinted"}`,
    };
  }
  const reasons: Reason[] = [];
  const extras: Reason[] = [];
  const unverified: Reason[] = [];
  const covered: (keyof Features)[] = [];
  const aliased = (a: string | null, b: string | null): boolean =>
    a !== null && b !== null && (opts.aliases ?? []).some((g) => g.includes(a) && g.includes(b));
  // Sub-features of a differing block (dense vs MoE, attention family) are not compared (as src/compare does).
  const masked = new Set<keyof Features>();
  if (!same(target.features.moe, proxy.features.moe))
    for (const k of ["moeTopK", "sharedExperts", "routerScoring", "groupedTopK", "denseLayerPrefix", "routerTopKNorm", "routerBias"] as const) masked.add(k);
  if (!same(target.features.attentionFamily, proxy.features.attentionFamily)) for (const k of ["kvGrouping", "headDim", "mla"] as const) masked.add(k);
  for (const f of FEATURE_REGISTRY) {
    if (masked.has(f.key)) continue;
    const t = target.features[f.key];
    const p = proxy.features[f.key];
    const r: Reason = { feature: f.key, group: f.group, label: f.label, proxy: f.format(p as never), target: f.format(t as never), blockGraph: f.blockGraph };
    if (t === null || p === null) {
      if (!(t === null && p === null && !f.blockGraph)) unverified.push(r);
      continue;
    }
    if (same(t, p)) {
      covered.push(f.key);
      continue;
    }
    if (f.key === "architecture" && aliased(t as string, p as string)) {
      covered.push(f.key);
      continue;
    }
    if (f.key === "modality" && Array.isArray(t) && Array.isArray(p) && t.length === 0) {
      extras.push({ ...r, note: `proxy has an extra ${p.join("/")} tower` });
      continue;
    }
    reasons.push(r);
  }
  reasons.sort((a, b) => Number(b.blockGraph) - Number(a.blockGraph));
  const verdict: Verdict = reasons.some((r) => r.blockGraph) ? "NO_SUBSTITUTE" : reasons.length > 0 ? "PARTIAL_SUBSTITUTE" : "FULL_SUBSTITUTE";
  const archDiffers = reasons.some((r) => r.blockGraph || r.feature === "architecture");
  const scaleSame = scale.every((s) => s.ratio === null || s.ratio === 1);
  const isoVerdict = archDiffers ? "DIFFERENT_ARCH" : scaleSame ? "ISOMORPHIC" : "SCALE_ONLY";
  return {
    target: target.model,
    proxy: proxy.model,
    verdict,
    reasons,
    extras,
    unverified,
    covered,
    scale,
    isomorphism: iso(isoVerdict, isoVerdict === "SCALE_ONLY" && target.features.headDim === proxy.features.headDim ? ["head_dim unchanged (allowed)"] : []),
  };
}

const GPUS: [number, string][] = [
  [24, "L4/A10G 24GB"],
  [40, "A100 40GB"],
  [48, "L40S 48GB"],
  [80, "H100 80GB"],
  [96, "RTX PRO 6000 96GB"],
  [141, "H200 141GB"],
  [192, "B200 192GB"],
];

export function hardwareFit(fp: Fingerprint, seqLen = 4096): HardwareFit {
  const weightBytes = fp.weightBytes?.total ?? null;
  const kvBytes = fp.kvCache?.bytesPerToken != null ? fp.kvCache.bytesPerToken * seqLen : null;
  if (weightBytes === null) {
    return { gpuMemoryGB: null, gpuClass: null, tensorParallel: null, weightBytes, kvBytes, totalBytes: null, seqLen, note: "weights unknown" };
  }
  const totalBytes = Math.round((weightBytes + (kvBytes ?? 0)) * 1.1 + 1.5e9);
  for (const tp of [1, 2, 4, 8]) {
    for (const [gb, cls] of GPUS) {
      if (totalBytes / tp <= gb * 1e9 * 0.92) return { gpuMemoryGB: gb, gpuClass: cls, tensorParallel: tp, weightBytes, kvBytes, totalBytes, seqLen };
    }
  }
  return { gpuMemoryGB: null, gpuClass: null, tensorParallel: null, weightBytes, kvBytes, totalBytes, seqLen, note: "does not fit on 8 x 192 GB" };
}

/** Plan for one target, given its comparisons against every other model. */
export function planFixture(target: Fingerprint, candidates: readonly { proxy: Fingerprint; cmp: Comparison }[]): TargetPlan {
  if (target.status !== "ok") {
    return { target: target.model, proxy: null, proxyVerdict: null, uncovered: [], entries: [], error: target.error?.message ?? "not fingerprinted" };
  }
  const bytes = (f: Fingerprint): number => f.weightBytes?.total ?? Number.POSITIVE_INFINITY;
  const smaller = candidates.filter((c) => bytes(c.proxy) < bytes(target));
  const full = smaller.filter((c) => c.cmp.verdict === "FULL_SUBSTITUTE").sort((a, b) => bytes(a.proxy) - bytes(b.proxy));
  const partial = smaller
    .filter((c) => c.cmp.verdict === "PARTIAL_SUBSTITUTE")
    .sort((a, b) => a.cmp.reasons.length - b.cmp.reasons.length || bytes(a.proxy) - bytes(b.proxy));
  const best = full[0] ?? partial[0] ?? null;
  const entry = (level: Level, fp: Fingerprint, reason: string, features: string[] = []): PlanEntry => ({ level, model: fp.model, reason, features, hardware: hardwareFit(fp) });
  const entries: PlanEntry[] = [];
  if (!best) {
    entries.push(entry("L1", target, "no smaller covering proxy: the target runs every level"));
    entries.push(entry("L2", target, "no smaller covering proxy"));
    entries.push(entry("L3", target, "no smaller covering proxy"));
  } else {
    const p = best.proxy;
    const uncovered = best.cmp.reasons.map((r) => r.feature);
    entries.push(entry("L1", p, `cheapest ${best.cmp.verdict === "FULL_SUBSTITUTE" ? "FULL" : "PARTIAL"} proxy: load, shapes, dtypes`));
    if (uncovered.includes("weightFormat")) entries.push(entry("L1", target, "weight format differs: load the target's format", ["weightFormat"]));
    entries.push(entry("L2", p, "numerics of the covered features"));
    if (uncovered.length > 0) entries.push(entry("L2", target, `uncovered: ${best.cmp.reasons.map((r) => r.label).join(", ")}`, uncovered));
    const attn = best.cmp.reasons.filter((r) => r.group === "attention" || r.group === "position");
    if (attn.length > 0) entries.push(entry("L3", target, `attention/KV features differ: ${attn.map((r) => r.label).join(", ")}`, attn.map((r) => r.feature)));
    else entries.push(entry("L3", p, "same attention and KV cache code paths"));
  }
  entries.push(entry("L4", target, "canary: peak memory, tensor/expert parallel correctness"));
  return {
    target: target.model,
    proxy: best?.proxy.model ?? null,
    proxyVerdict: best?.cmp.verdict ?? null,
    uncovered: best?.cmp.reasons ?? [],
    entries,
  };
}

// ------------------------------------------------------------------------------------------------
// Assembling results

export interface PairSpecLite {
  target: string;
  proxy: string;
  require: "FULL" | "PARTIAL" | null;
  line: number;
}

export interface BuildOptions {
  manifestPath?: string;
  name?: string;
  aliases?: string[][];
  failOn?: string[];
  /** Integrity overrides by model (default PASS with no findings). */
  integrity?: Record<string, Finding[]>;
  expectations?: ExpectationResult[];
  /** Compute the full matrix (n * (n - 1) cells); models sharing a profile key reuse results. */
  profileKey?: (fp: Fingerprint) => string;
  shard?: string | null;
}

const RANK: Record<Verdict, number> = { FULL_SUBSTITUTE: 3, PARTIAL_SUBSTITUTE: 2, NO_SUBSTITUTE: 1, UNKNOWN: 0 };

export function buildResults(specs: readonly ModelSpecLite[], pairSpecs: readonly PairSpecLite[], opts: BuildOptions = {}): Results {
  const models = specs.map(makeFingerprint);
  const byId = new Map(models.map((m) => [m.model, m]));
  const get = (id: string): Fingerprint => {
    const fp = byId.get(id);
    if (!fp) throw new Error(`fixture: unknown model ${id}`);
    return fp;
  };
  const cmpOpts = { aliases: opts.aliases ?? [] };
  const key = opts.profileKey;
  // profile key -> small integer, so that the cache key stays short
  const ids = new Map<string, number>();
  const keys = new Map(
    key
      ? models.map((m) => {
          const k = key(m);
          if (!ids.has(k)) ids.set(k, ids.size);
          return [m, ids.get(k)];
        })
      : [],
  );
  const cache = new Map<string, Comparison>();
  const compare = (t: Fingerprint, p: Fingerprint): Comparison => {
    if (!key) return compareFixture(t, p, cmpOpts);
    const k = `${keys.get(t)}:${keys.get(p)}`;
    let c = cache.get(k);
    if (!c) {
      c = compareFixture(t, p, cmpOpts);
      cache.set(k, c);
    }
    return { ...c, target: t.model, proxy: p.model };
  };

  const matrix: MatrixCell[] = [];
  const plans: TargetPlan[] = [];
  for (const t of models) {
    const cands: { proxy: Fingerprint; cmp: Comparison }[] = [];
    for (const p of models) {
      if (p === t) continue;
      const cmp = compare(t, p);
      cands.push({ proxy: p, cmp });
      matrix.push({ target: t.model, proxy: p.model, verdict: cmp.verdict, uncovered: cmp.reasons.map((r) => r.feature), isomorphism: cmp.isomorphism.verdict });
    }
    plans.push(planFixture(t, cands));
  }

  const pairs: PairResult[] = pairSpecs.map((ps) => {
    const cmp = compare(get(ps.target), get(ps.proxy));
    const need = ps.require === "FULL" ? RANK.FULL_SUBSTITUTE : ps.require === "PARTIAL" ? RANK.PARTIAL_SUBSTITUTE : 0;
    return { ...cmp, require: ps.require, ok: ps.require === null || RANK[cmp.verdict] >= need, line: ps.line, col: 5 };
  });

  const integrity: IntegrityReport[] = models.map((m) => {
    const findings = opts.integrity?.[m.model] ?? [];
    const counts = { error: 0, warning: 0, info: 0 };
    for (const f of findings) counts[f.severity]++;
    const status = m.status !== "ok" ? "UNKNOWN" : counts.error > 0 ? "FAIL" : "PASS";
    return { model: m.model, status, findings, counts };
  });

  const failOn = opts.failOn ?? ["no-substitute", "partial", "integrity", "expectations"];
  const lines = Object.fromEntries(specs.map((s) => [s.id, s.line]));
  const failures: GateFailure[] = [];
  for (const p of pairs) {
    if (p.ok) continue;
    const reason = p.verdict === "UNKNOWN" ? "unknown" : p.verdict === "NO_SUBSTITUTE" ? "no-substitute" : "partial";
    if (!failOn.includes(reason)) continue;
    const top = p.reasons[0];
    failures.push({
      reason,
      subject: `${p.target} <- ${p.proxy}`,
      message: `${p.verdict}, requires ${p.require}${top ? `: ${top.label}: ${top.proxy} vs ${top.target}` : p.error ? `: ${p.error}` : ""}`,
      line: p.line,
      col: 5,
    });
  }
  for (const r of integrity) {
    if (r.status === "FAIL" && failOn.includes("integrity")) {
      const e = r.findings.find((f) => f.severity === "error");
      failures.push({ reason: "integrity", subject: r.model, message: `${r.counts.error} integrity error(s): ${e?.code}: ${e?.message}`, line: lines[r.model], col: 5 });
    }
    if (r.status === "UNKNOWN" && failOn.includes("unknown")) {
      failures.push({ reason: "unknown", subject: r.model, message: get(r.model).error?.message ?? "not fingerprinted", line: lines[r.model], col: 5 });
    }
  }
  const expectations = opts.expectations ?? [];
  for (const e of expectations) {
    if (!e.ok && failOn.includes("expectations")) failures.push({ reason: "expectations", subject: e.model, message: e.message, line: lines[e.model], col: 5 });
  }

  const network = models.reduce(
    (acc, m) => ({ requests: acc.requests + m.network.requests, bytes: acc.bytes + m.network.bytes, retries: acc.retries, cacheHits: acc.cacheHits }),
    { requests: 0, bytes: 0, retries: 2, cacheHits: 4 },
  );

  return {
    schema: RESULTS_SCHEMA,
    tool: { name: "standin", version: "0.1.0" },
    generatedAt: FIXED_TIME,
    manifest: {
      path: opts.manifestPath ?? "model-zoo.yaml",
      name: opts.name ?? "engine-ci-zoo",
      engine: { name: "vllm", aliases: cmpOpts.aliases, supported: null },
      lines,
      tags: Object.fromEntries(specs.map((s) => [s.id, s.tags])),
    },
    models,
    integrity,
    expectations,
    pairs,
    matrix,
    plans,
    gate: { failOn, failures, passed: failures.length === 0 },
    network,
    shard: opts.shard ?? null,
  };
}

// ------------------------------------------------------------------------------------------------
// The 13-model zoo

export const LLAMA_8B = "meta-llama/Llama-3.1-8B-Instruct";
export const LLAMA_70B = "meta-llama/Llama-3.1-70B-Instruct";
export const LLAMA_FP8 = "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8";
export const QWEN_06B = "Qwen/Qwen3-0.6B";
export const QWEN_8B = "Qwen/Qwen3-8B";
export const QWEN_32B = "Qwen/Qwen3-32B";
export const QWEN_MOE = "Qwen/Qwen3-30B-A3B";
export const MIXTRAL = "mistralai/Mixtral-8x7B-Instruct-v0.1";
export const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.3";
export const DEEPSEEK = "deepseek-ai/DeepSeek-V3";
export const GPT_OSS_20B = "openai/gpt-oss-20b";
export const GPT_OSS_120B = "openai/gpt-oss-120b";
export const GATED = "google/gemma-3-27b-it";

export const ZOO_SPECS: ModelSpecLite[] = [
  {
    id: QWEN_06B,
    tags: ["qwen3", "dense", "small"],
    line: 21,
    features: { ...QWEN3, tiedEmbeddings: true },
    scale: { layers: 28, hiddenSize: 1024, intermediateSize: 3072, heads: 16, kvHeads: 8, vocabSize: 151936, maxPositions: 40960, ropeTheta: 1e6, normEps: 1e-6 },
    params: 751_632_384,
    weightBytes: 1_503_264_768,
    kvBytesPerToken: 114_688,
    sha: "c1899de289a04d12100db370d81485cdf75e47ca",
    requests: 3,
    bytes: 36_211,
  },
  {
    id: QWEN_8B,
    tags: ["qwen3", "dense", "medium"],
    line: 24,
    features: QWEN3,
    scale: { layers: 36, hiddenSize: 4096, intermediateSize: 12288, heads: 32, kvHeads: 8, vocabSize: 151936, maxPositions: 40960, ropeTheta: 1e6, normEps: 1e-6 },
    params: 8_190_735_360,
    weightBytes: 16_381_470_720,
    kvBytesPerToken: 147_456,
    sha: "b968826d9c46dd6066d109eabc6255188de91218",
    requests: 7,
    bytes: 112_930,
  },
  {
    id: QWEN_32B,
    tags: ["qwen3", "dense", "large"],
    line: 28,
    features: QWEN3,
    scale: { layers: 64, hiddenSize: 5120, intermediateSize: 25600, heads: 64, kvHeads: 8, vocabSize: 151936, maxPositions: 40960, ropeTheta: 1e6, normEps: 1e-6 },
    params: 32_762_123_264,
    weightBytes: 65_524_246_528,
    kvBytesPerToken: 262_144,
    requests: 19,
    bytes: 301_554,
  },
  {
    id: QWEN_MOE,
    tags: ["qwen3", "moe", "medium"],
    line: 34,
    features: QWEN3_MOE,
    scale: { layers: 48, hiddenSize: 2048, intermediateSize: 6144, moeIntermediateSize: 768, heads: 32, kvHeads: 4, experts: 128, vocabSize: 151936, maxPositions: 40960, ropeTheta: 1e6, normEps: 1e-6 },
    params: 30_532_122_624,
    active: 3_353_032_704,
    weightBytes: 61_064_245_248,
    kvBytesPerToken: 98_304,
    sha: "ad44e777bcd18fa416d9da3bd8f70d33ebb85d39",
    requests: 18,
    bytes: 4_630_118,
  },
  {
    id: LLAMA_8B,
    tags: ["llama", "dense", "medium"],
    line: 47,
    scale: { layers: 32, hiddenSize: 4096, intermediateSize: 14336, heads: 32, kvHeads: 8, vocabSize: 128256, maxPositions: 131072, ropeTheta: 500000, ropeScalingFactor: 8, normEps: 1e-5 },
    params: 8_030_261_248,
    weightBytes: 16_060_522_496,
    sha: "0e9e39f249a16976918f6564b8830bc894c89659",
    requests: 8,
    bytes: 118_344,
  },
  {
    id: LLAMA_70B,
    tags: ["llama", "dense", "large"],
    line: 53,
    scale: { layers: 80, hiddenSize: 8192, intermediateSize: 28672, heads: 64, kvHeads: 8, vocabSize: 128256, maxPositions: 131072, ropeTheta: 500000, ropeScalingFactor: 8, normEps: 1e-5 },
    params: 70_553_706_496,
    weightBytes: 141_107_412_992,
    kvBytesPerToken: 327_680,
    requests: 33,
    bytes: 812_006,
  },
  {
    id: LLAMA_FP8,
    tags: ["llama", "dense", "medium", "quantized", "fp8"],
    line: 63,
    features: { weightFormat: "fp8-e4m3" },
    scale: { layers: 32, hiddenSize: 4096, intermediateSize: 14336, heads: 32, kvHeads: 8, vocabSize: 128256, maxPositions: 131072, ropeTheta: 500000, ropeScalingFactor: 8, normEps: 1e-5 },
    params: 8_030_261_248,
    weightBytes: 9_081_063_424,
    weightFormat: { storageDtype: "F8_E4M3", method: "compressed-tensors", bits: 8, scaleDtypes: ["BF16"], evidence: ["tensors: F8_E4M3 matrices", "config: quantization_config.quant_method compressed-tensors"] },
    requests: 6,
    bytes: 96_120,
    findings: [],
  },
  {
    id: MISTRAL,
    tags: ["mistral", "dense", "medium"],
    line: 75,
    features: { architecture: "MistralForCausalLM", ropeType: "default" },
    scale: { layers: 32, hiddenSize: 4096, intermediateSize: 14336, heads: 32, kvHeads: 8, vocabSize: 32768, maxPositions: 32768, ropeTheta: 1e6, normEps: 1e-5 },
    params: 7_248_023_552,
    weightBytes: 14_496_047_104,
    requests: 6,
    bytes: 88_412,
  },
  {
    id: MIXTRAL,
    tags: ["mixtral", "moe", "large"],
    line: 77,
    features: { architecture: "MixtralForCausalLM", ropeType: "default", moe: true, moeTopK: 2, sharedExperts: false, routerScoring: "softmax", groupedTopK: 1, denseLayerPrefix: 0, routerBias: false },
    scale: { layers: 32, hiddenSize: 4096, intermediateSize: 14336, moeIntermediateSize: 14336, heads: 32, kvHeads: 8, experts: 8, vocabSize: 32000, maxPositions: 32768, ropeTheta: 1e6, normEps: 1e-5 },
    params: 46_702_792_704,
    active: 12_879_925_248,
    weightBytes: 93_405_585_408,
    requests: 22,
    bytes: 690_512,
  },
  {
    id: DEEPSEEK,
    tags: ["deepseek", "moe", "mla", "fp8", "xlarge"],
    line: 96,
    features: {
      architecture: "DeepseekV3ForCausalLM",
      attentionFamily: "mla",
      kvGrouping: null,
      headDim: null,
      mla: "qk_nope=128,qk_rope=64,v=128,q_lora=yes",
      ropeType: "yarn",
      moe: true,
      moeTopK: 8,
      sharedExperts: true,
      routerScoring: "sigmoid",
      groupedTopK: 8,
      denseLayerPrefix: 3,
      routerTopKNorm: true,
      routerBias: true,
      weightFormat: "fp8-e4m3-block",
    },
    scale: { layers: 61, hiddenSize: 7168, intermediateSize: 18432, moeIntermediateSize: 2048, heads: 128, experts: 256, vocabSize: 129280, maxPositions: 163840, ropeTheta: 10000, ropeScalingFactor: 40, normEps: 1e-6, kvLoraRank: 512, qLoraRank: 1536 },
    params: 684_489_845_504,
    active: 37_552_297_472,
    weightBytes: 688_408_520_192,
    estimated: true,
    format: "config",
    kvBytesPerToken: 70_272,
    weightFormat: { storageDtype: "F8_E4M3", method: "fp8", bits: 8, blockSize: [128, 128], scaleDtypes: ["F32"], evidence: ["config: quantization_config fp8 weight_block_size [128, 128]"] },
    requests: 2,
    bytes: 6_912,
  },
  {
    id: GPT_OSS_20B,
    tags: ["gpt-oss", "moe", "mxfp4", "medium"],
    line: 106,
    features: GPT_OSS,
    scale: { layers: 24, hiddenSize: 2880, intermediateSize: 2880, moeIntermediateSize: 2880, heads: 64, kvHeads: 8, experts: 32, vocabSize: 201088, maxPositions: 131072, ropeTheta: 150000, ropeScalingFactor: 32, normEps: 1e-5, windowLength: 128 },
    params: 20_914_757_184,
    active: 4_187_440_704,
    weightBytes: 13_761_300_000,
    kvBytesPerToken: 49_152,
    sha: "6cee5e81ee83917806bbde320786a8fb61efebee",
    weightFormat: { storageDtype: "U8", method: "mxfp4", bits: 4, groupSize: 32, scaleDtypes: ["U8"], evidence: ["tensors: *_blocks / *_scales (U8)", "config: quantization_config.quant_method mxfp4"] },
    requests: 5,
    bytes: 71_334,
  },
  {
    id: GPT_OSS_120B,
    tags: ["gpt-oss", "moe", "mxfp4", "large"],
    line: 110,
    features: GPT_OSS,
    scale: { layers: 36, hiddenSize: 2880, intermediateSize: 2880, moeIntermediateSize: 2880, heads: 64, kvHeads: 8, experts: 128, vocabSize: 201088, maxPositions: 131072, ropeTheta: 150000, ropeScalingFactor: 32, normEps: 1e-5, windowLength: 128 },
    params: 116_829_156_672,
    active: 5_130_000_000,
    weightBytes: 65_248_815_744,
    kvBytesPerToken: 73_728,
    weightFormat: { storageDtype: "U8", method: "mxfp4", bits: 4, groupSize: 32, scaleDtypes: ["U8"], evidence: ["tensors: *_blocks / *_scales (U8)"] },
    requests: 17,
    bytes: 402_118,
  },
  {
    id: GATED,
    tags: ["gemma3", "dense", "large", "vision"],
    line: 89,
    sha: null,
    error: {
      code: "gated",
      message: "google/gemma-3-27b-it is gated: the token has not accepted its licence",
      model: GATED,
      hint: "accept the licence on https://huggingface.co/google/gemma-3-27b-it and pass a token with read access (HF_TOKEN)",
    },
    requests: 1,
    bytes: 0,
  },
];

export const ZOO_PAIRS: PairSpecLite[] = [
  { target: LLAMA_70B, proxy: LLAMA_8B, require: "FULL", line: 118 },
  { target: QWEN_32B, proxy: QWEN_8B, require: "FULL", line: 121 },
  { target: QWEN_32B, proxy: QWEN_06B, require: "PARTIAL", line: 122 },
  { target: QWEN_MOE, proxy: QWEN_8B, require: "PARTIAL", line: 124 },
  { target: MIXTRAL, proxy: MISTRAL, require: null, line: 126 },
  { target: MISTRAL, proxy: LLAMA_8B, require: "PARTIAL", line: 128 },
  { target: DEEPSEEK, proxy: QWEN_MOE, require: null, line: 130 },
  { target: GPT_OSS_120B, proxy: GPT_OSS_20B, require: "FULL", line: 132 },
  { target: LLAMA_FP8, proxy: LLAMA_8B, require: "PARTIAL", line: 134 },
  { target: GATED, proxy: QWEN_06B, require: null, line: 136 },
];

export const ZOO_INTEGRITY: Record<string, Finding[]> = {
  [LLAMA_FP8]: [
    {
      severity: "error",
      code: "ST_OFFSET_GAP",
      message: "model-00002-of-00002.safetensors: 4096 bytes between model.layers.17.mlp.down_proj.weight and model.layers.17.mlp.down_proj.weight_scale are not covered by any tensor",
      file: "model-00002-of-00002.safetensors",
      tensor: "model.layers.17.mlp.down_proj.weight",
    },
    {
      severity: "warning",
      code: "INDEX_EXTRA_FILE",
      message: "model-00003-of-00002.safetensors is in the repo but not in model.safetensors.index.json",
      file: "model-00003-of-00002.safetensors",
    },
  ],
  [DEEPSEEK]: [{ severity: "warning", code: "CONFIG_ONLY", message: "fingerprinted from config.json only (source: config): tensors were not checked", file: "config.json" }],
};

export const ZOO_EXPECTATIONS: ExpectationResult[] = [
  { model: QWEN_8B, key: "params", expected: 8.19e9, actual: 8_190_735_360, tolerance: 0.01, ok: true, message: "params 8.19B as declared" },
  { model: QWEN_8B, key: "layers", expected: 36, actual: 36, tolerance: 0, ok: true, message: "36 layers as declared" },
  { model: QWEN_32B, key: "params", expected: 32.8e9, actual: 32_762_123_264, tolerance: 0.01, ok: true, message: "params 32.76B within 1% of 32.8B" },
  { model: QWEN_MOE, key: "params", expected: 30.5e9, actual: 30_532_122_624, tolerance: 0.01, ok: true, message: "params 30.53B within 1% of 30.5B" },
  { model: LLAMA_8B, key: "params", expected: 8.03e9, actual: 8_030_261_248, tolerance: 0.01, ok: true, message: "params 8.03B as declared" },
  { model: LLAMA_70B, key: "layers", expected: 80, actual: 80, tolerance: 0, ok: true, message: "80 layers as declared" },
  { model: MIXTRAL, key: "params", expected: 46.7e9, actual: 46_702_792_704, tolerance: 0.01, ok: true, message: "params 46.7B as declared" },
  { model: DEEPSEEK, key: "layers", expected: 61, actual: 61, tolerance: 0, ok: true, message: "61 layers as declared" },
  { model: GPT_OSS_20B, key: "params", expected: 20.9e9, actual: 20_914_757_184, tolerance: 0.01, ok: true, message: "params 20.91B within 1% of 20.9B" },
];

/** The realistic 13-model results: 2 gate failures (a pair below PARTIAL, an FP8 copy failing integrity). */
export function zooResults(): Results {
  return buildResults(ZOO_SPECS, ZOO_PAIRS, {
    aliases: [["MistralForCausalLM", "LlamaForCausalLM"]],
    integrity: ZOO_INTEGRITY,
    expectations: ZOO_EXPECTATIONS,
  });
}

/** The committed example (docs/examples/report.md): the 13-model results as a job summary. */
export const EXAMPLE_REPORT_PATH = "docs/examples/report.md";
export const EXAMPLE_DETAILS_URL = "https://github.com/acme/engine/actions/runs/1234567890";

export function exampleReport(): string {
  return renderReport(zooResults(), { detailsUrl: EXAMPLE_DETAILS_URL });
}

// ------------------------------------------------------------------------------------------------
// Big synthetic zoos

const FAMILY_TEMPLATES: { name: string; features: Partial<Features>; moe: boolean }[] = [
  { name: "llama", features: {}, moe: false },
  { name: "qwen3", features: QWEN3, moe: false },
  { name: "qwen3-moe", features: QWEN3_MOE, moe: true },
  { name: "mistral", features: { architecture: "MistralForCausalLM", ropeType: "default" }, moe: false },
  { name: "gpt-oss", features: GPT_OSS, moe: true },
  { name: "gemma2", features: { architecture: "Gemma2ForCausalLM", layerKinds: ["full_attention", "sliding_attention"], slidingWindow: "alternating", logitSoftcap: true, activation: "gelu_tanh", normPlacement: "sandwich", normOffset: true, tiedEmbeddings: true, headDim: 256, ropeType: "default" }, moe: false },
  { name: "phi3", features: { architecture: "Phi3ForCausalLM", kvGrouping: "MHA", ropeType: "longrope", headDim: 96 }, moe: false },
  { name: "olmo2", features: { architecture: "Olmo2ForCausalLM", kvGrouping: "MHA", qkNorm: true, normPlacement: "post", ropeType: "default" }, moe: false },
  { name: "falcon", features: { architecture: "FalconForCausalLM", kvGrouping: "MQA", ffnFamily: "plain", activation: "gelu", normKind: "layernorm", normPlacement: "parallel", headDim: 64, ropeType: "default" }, moe: false },
  { name: "gpt2", features: { architecture: "GPT2LMHeadModel", kvGrouping: "MHA", positionEncoding: "learned", ropeType: null, partialRotary: null, ropeStyle: null, ffnFamily: "plain", activation: "gelu_new", normKind: "layernorm", qkvBias: true, outputBias: true, mlpBias: true, headDim: 64, tiedEmbeddings: true }, moe: false },
  { name: "deepseek", features: { architecture: "DeepseekV3ForCausalLM", attentionFamily: "mla", kvGrouping: null, headDim: null, mla: "qk_nope=128,qk_rope=64,v=128,q_lora=yes", ropeType: "yarn", moe: true, moeTopK: 8, sharedExperts: true, routerScoring: "sigmoid", groupedTopK: 8, denseLayerPrefix: 3, routerTopKNorm: true, routerBias: true }, moe: true },
];
const QUANTS = ["bf16", "bf16", "bf16", "fp8-e4m3", "gptq-int4", "awq-int4", "mxfp4"];
const SIZES: [string, number][] = [
  ["0.5B", 0.5e9],
  ["1B", 1.2e9],
  ["3B", 3.2e9],
  ["7B", 7.2e9],
  ["14B", 14.7e9],
  ["32B", 32.5e9],
  ["70B", 70.6e9],
];

/**
 * A synthetic zoo of `n` models in ~`n / 9` families (family = first tag), each family a chain of
 * sizes and quantized copies. Manifest pairs: every member of a family against its family's
 * smallest model (some required FULL and failing), plus cross-family pairs (`extraPairsPerModel`
 * more per model for heavy manifests). Deterministic.
 */
export function bigZooResults(n: number, opts: { extraPairsPerModel?: number } = {}): Results {
  const specs: ModelSpecLite[] = [];
  const perFamily = 9;
  const families = Math.ceil(n / perFamily);
  for (let i = 0; i < n; i++) {
    const fam = Math.floor(i / perFamily);
    const k = i % perFamily;
    const tpl = FAMILY_TEMPLATES[fam % FAMILY_TEMPLATES.length]!;
    const [sizeName, params] = SIZES[k % SIZES.length]!;
    const quant = QUANTS[(k + fam) % QUANTS.length]!;
    const famName = `${tpl.name}-g${fam}`;
    const features: Partial<Features> = { ...tpl.features, ...(quant === "bf16" ? {} : { weightFormat: quant }) };
    if (k === 4 && fam % 3 === 0) features.tiedEmbeddings = true;
    const layers = 16 + 8 * (k % SIZES.length);
    specs.push({
      id: `org-${fam}/${famName}-${sizeName}${k >= SIZES.length ? `-v${k}` : ""}${quant === "bf16" ? "" : `-${quant}`}`,
      tags: [famName, tpl.moe ? "moe" : "dense", sizeName],
      line: 10 + i * 3,
      features,
      scale: { layers, hiddenSize: 1024 * (1 + (k % SIZES.length)), heads: 16, kvHeads: 8, vocabSize: 128256 },
      params,
      weightBytes: quant === "bf16" ? params * 2 : params * (quant === "fp8-e4m3" ? 1.05 : 0.55),
      requests: 4 + (i % 9),
      bytes: 30_000 + ((i * 7919) % 200_000),
      ...(i % 97 === 50 ? { error: { code: "gated", message: `org-${fam}/${famName} is gated`, hint: "accept the licence and pass a token" } } : {}),
    });
  }
  const pairs: PairSpecLite[] = [];
  for (let f = 0; f < families; f++) {
    const members = specs.slice(f * perFamily, (f + 1) * perFamily);
    const proxy = members[0];
    if (!proxy) continue;
    members.slice(1).forEach((t, j) => pairs.push({ target: t.id, proxy: proxy.id, require: j % 3 === 0 ? "FULL" : j % 3 === 1 ? "PARTIAL" : null, line: 5000 + pairs.length }));
    const other = specs[((f + 1) * perFamily + 3) % specs.length];
    if (other && other.id !== proxy.id) pairs.push({ target: other.id, proxy: proxy.id, require: null, line: 5000 + pairs.length });
  }
  // Heavy manifests: each model also targeted by proxies from other families (long reasons).
  for (let k = 1; k <= (opts.extraPairsPerModel ?? 0); k++) {
    specs.forEach((t, i) => {
      const p = specs[(i + k * perFamily + k) % specs.length];
      if (p && p.id !== t.id) pairs.push({ target: t.id, proxy: p.id, require: null, line: 9000 + pairs.length });
    });
  }
  const integrity: Record<string, Finding[]> = {};
  specs.forEach((s, i) => {
    if (i % 37 === 5)
      integrity[s.id] = [
        { severity: "error", code: "ST_OFFSET_GAP", message: `model-00001-of-00004.safetensors: gap before tensor ${i}`, file: "model-00001-of-00004.safetensors" },
        { severity: "error", code: "INDEX_MISSING_TENSOR", message: `model.layers.${i % 30}.self_attn.q_proj.weight is in the index but in no shard`, tensor: `model.layers.${i % 30}.self_attn.q_proj.weight` },
        { severity: "warning", code: "DTYPE_MIX", message: "mixed BF16/F16 matrices" },
      ];
  });
  const profile = (fp: Fingerprint): string => `${fp.status}:${JSON.stringify(fp.features)}`;
  return buildResults(specs, pairs, { integrity, profileKey: profile, name: `synthetic-${n}` });
}
