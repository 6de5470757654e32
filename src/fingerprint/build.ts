/**
 * Assemble a Fingerprint from what acquire() read. Config and tensors are merged feature by
 * feature: tensors win where they disagree, and the disagreement is a finding (verdicts.md).
 * ONNX graphs contribute their op set and weight format; their initializer names are often
 * anonymous, so they do not override config features.
 */
import { onnxOpsFeatures } from "../formats/onnx.js";
import type { ErrorInfo } from "../util/errors.js";
import type { Extras } from "./acquire.js";
import { featuresFromConfig } from "./arch.js";
import { normalizeConfig, type NormalizedConfig } from "./config.js";
import { formatFeature, scaleInfo } from "./features.js";
import { kvCacheFromConfig } from "./kvcache.js";
import { opsFromFeatures } from "./ops.js";
import { paramBreakdown, paramsFromConfig } from "./params.js";
import { buildSignature, countParams, featuresFromTensors } from "./tensors.js";
import {
  FINGERPRINT_SCHEMA,
  type Features,
  type Finding,
  type Fingerprint,
  type FormatKind,
  type ParamCount,
  type Scale,
  type SourceKind,
  type WeightFormat,
} from "./types.js";
import { detectWeightFormatDetailed, weightFormatFeature } from "./weight-format.js";
import { estimateWeightBytes } from "./weight-bytes.js";

export function emptyFeatures(): Features {
  return {
    architecture: null,
    topology: null,
    layerKinds: null,
    attentionFamily: null,
    kvGrouping: null,
    headDim: null,
    mla: null,
    qkvBias: null,
    outputBias: null,
    qkNorm: null,
    slidingWindow: null,
    logitSoftcap: null,
    attentionSinks: null,
    positionEncoding: null,
    ropeType: null,
    partialRotary: null,
    ropeStyle: null,
    nopeLayers: null,
    ffnFamily: null,
    activation: null,
    mlpBias: null,
    moe: null,
    moeTopK: null,
    sharedExperts: null,
    routerScoring: null,
    groupedTopK: null,
    denseLayerPrefix: null,
    routerTopKNorm: null,
    routerBias: null,
    normKind: null,
    normPlacement: null,
    normOffset: null,
    tiedEmbeddings: null,
    weightFormat: null,
    modality: null,
  };
}

export function emptyScale(): Scale {
  return {
    layers: null,
    hiddenSize: null,
    intermediateSize: null,
    moeIntermediateSize: null,
    heads: null,
    kvHeads: null,
    experts: null,
    vocabSize: null,
    maxPositions: null,
    ropeTheta: null,
    ropeScalingFactor: null,
    normEps: null,
    windowLength: null,
    kvLoraRank: null,
    qLoraRank: null,
  };
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return false;
}

/** Approximate storage bits per parameter of a weight format (for config-only weight bytes). */
export function bitsPerParam(format: string | null): number {
  if (!format) return 16;
  const f = format.toLowerCase();
  if (f === "fp32") return 32;
  if (f === "bf16" || f === "fp16") return 16;
  if (f.startsWith("fp8")) return 8.1;
  if (f === "mxfp4") return 4.25;
  if (f === "nvfp4") return 4.5;
  if (f.startsWith("gguf-")) {
    const t = f.slice(5);
    const m = /^(?:i?q)(\d)/.exec(t);
    if (t === "f32") return 32;
    if (t === "f16" || t === "bf16") return 16;
    if (m) return Number(m[1]) + 0.5;
    return 8.5;
  }
  const bits = /(?:int|w|-)(\d{1,2})(?:bit|a|$)/.exec(f);
  if (bits) return Number(bits[1]) + 0.25;
  if (f.includes("nf4") || f.includes("fp4")) return 4.5;
  if (f.includes("int8")) return 8;
  return 16;
}

export interface NetStats {
  requests: number;
  bytes: number;
  cached: boolean;
}

export interface SourceMeta {
  kind: SourceKind;
  repo: string;
  revision: string | null;
}

/** The fingerprint of a model that could not be read: UNKNOWN with the reason, never empty data. */
export function unknownFingerprint(model: string, source: SourceMeta & { sha?: string | null; format?: FormatKind | null }, error: ErrorInfo, net: NetStats): Fingerprint {
  return {
    schema: FINGERPRINT_SCHEMA,
    model,
    status: "unknown",
    error,
    source: { kind: source.kind, repo: source.repo, revision: source.revision, sha: source.sha ?? null, format: source.format ?? null },
    files: [],
    tensorCount: null,
    params: null,
    weightBytes: null,
    features: emptyFeatures(),
    scale: emptyScale(),
    ops: [],
    kvCache: null,
    weightFormat: null,
    signature: null,
    findings: [],
    network: net,
  };
}

export function buildFingerprint(ex: Extras, net: NetStats): Fingerprint {
  const { raw } = ex;
  const findings: Finding[] = [...raw.findings];
  let features = emptyFeatures();
  let scale = emptyScale();
  let norm: NormalizedConfig | null = null;

  if (raw.config) {
    norm = normalizeConfig(raw.config, { model: raw.model });
    findings.push(...norm.findings);
    const arch = featuresFromConfig(norm);
    features = { ...arch.features };
    scale = { ...arch.scale };
    findings.push(...arch.findings);
  }

  const tensors = raw.tensors;
  let weightFormat: WeightFormat | null = null;
  let params: ParamCount | null = null;
  let weightBytes: Fingerprint["weightBytes"] = null;
  let signature: Fingerprint["signature"] = null;
  const ops = new Set<string>();

  if (tensors.length > 0) {
    const wf = detectWeightFormatDetailed({ config: raw.config, tensors, source: raw.format });
    weightFormat = wf.format;
    findings.push(...wf.findings);
    if (raw.format === "onnx") {
      for (const g of ex.onnx) {
        const of = onnxOpsFeatures(g);
        for (const o of of.ops) ops.add(`onnx.${o}`);
        if (of.weightFormat && of.weightFormat.format !== "unknown") weightFormat = of.weightFormat;
      }
    }
    signature = buildSignature(tensors);
    if (raw.format !== "onnx") {
      const tf = featuresFromTensors(tensors, signature, {
        heads: norm?.heads.value ?? null,
        kvHeads: norm?.kvHeads.value ?? null,
        headDim: norm?.headDim ?? null,
        parallelResidual: features.normPlacement === "parallel" ? true : null,
        format: weightFormat,
      });
      findings.push(...tf.findings);
      mergeInto(features, tf.features, "feature", findings, raw.config !== null);
      mergeInto(scale, tf.scale, "scale", findings, raw.config !== null);
      if ((signature.kinds.moe_router_bias ?? 0) > 0 && features.moe) features.routerBias = true;
    }
    const wff = weightFormatFeature(weightFormat);
    if (wff) features.weightFormat = wff;
    const cp = countParams(tensors, weightFormat);
    let active: number | null = null;
    if (features.moe && cp.routedExpert > 0 && features.moeTopK && scale.experts) {
      active = Math.round(cp.total - cp.routedExpert + (features.moeTopK * cp.routedExpert) / scale.experts);
    }
    params = { total: cp.total, byDtype: cp.byDtype, active, from: "tensors", buffers: cp.buffers };
    weightBytes = { total: cp.bytes.total, byDtype: cp.bytes.byDtype };
  } else if (norm) {
    const wf = detectWeightFormatDetailed({ config: raw.config, tensors: null, source: "config" });
    weightFormat = wf.format;
    findings.push(...wf.findings);
    const wff = weightFormatFeature(weightFormat);
    if (wff) features.weightFormat = wff;
    params = paramsFromConfig(norm, features, scale);
    if (params) {
      const b = paramBreakdown(norm, features, scale);
      params = { ...params, activeExcludingEmbedding: b.activeExcludingEmbedding, mtp: b.mtp, buffers: b.buffers };
      const est = estimateWeightBytes(params.byDtype, weightFormat);
      weightBytes = est
        ? { ...est, estimated: true }
        : { total: Math.round((params.total * bitsPerParam(features.weightFormat)) / 8), byDtype: {}, estimated: true };
    }
  }

  const kvCache = norm ? kvCacheFromConfig(features, scale, norm) : null;
  for (const o of opsFromFeatures(features, scale)) ops.add(o);

  return {
    schema: FINGERPRINT_SCHEMA,
    model: raw.model,
    status: "ok",
    error: null,
    source: {
      kind: raw.resolved.kind,
      repo: raw.resolved.repo,
      revision: raw.resolved.revision,
      sha: raw.resolved.sha,
      format: raw.format,
    },
    files: raw.files,
    tensorCount: tensors.length > 0 ? tensors.length : null,
    params,
    weightBytes,
    features,
    scale,
    ops: [...ops].sort(),
    kvCache,
    weightFormat,
    signature,
    findings,
    network: net,
  };
}

/**
 * Tensor-derived values override config values; a disagreement becomes a warning finding that
 * names the feature and both values.
 */
function mergeInto<T extends object>(target: T, from: Partial<T>, what: "feature" | "scale", findings: Finding[], hasConfig: boolean): void {
  const t = target as Record<string, unknown>;
  for (const [k, v] of Object.entries(from as Record<string, unknown>)) {
    if (v === undefined || v === null) continue;
    const cur = t[k];
    if (hasConfig && cur !== null && cur !== undefined && !sameValue(cur, v)) {
      const label = what === "feature" ? k : scaleInfo(k as keyof Scale).label;
      const show = (x: unknown): string => (what === "feature" ? formatFeature(k as keyof Features, x as never) : String(x));
      findings.push({
        severity: "warning",
        code: what === "feature" ? "config_tensor_feature_mismatch" : "config_tensor_scale_mismatch",
        key: k,
        message: `config.json and the tensors disagree on ${label}: config says ${show(cur)}, tensors say ${show(v)} (tensors win)`,
      });
    }
    t[k] = v;
  }
}
