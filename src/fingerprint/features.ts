/**
 * Feature and scale registries: what comparison and reports need to know about each field of
 * Features / Scale (group, human label, block-graph membership, formatting).
 *
 * blockGraph (verdicts.md "Verdicts"): topology, layer kinds, attention family, dense vs MoE, FFN
 * family and norm kind. A difference there is NO_SUBSTITUTE; any other feature difference is
 * PARTIAL_SUBSTITUTE. Scale parameters never change a verdict.
 */
import type { Features, Scale } from "./types.js";

export type FeatureGroup = "modeling" | "attention" | "position" | "ffn" | "moe" | "norm" | "embeddings" | "weights" | "modality";

export interface FeatureInfo<K extends keyof Features = keyof Features> {
  key: K;
  group: FeatureGroup;
  /** Human label, e.g. "KV grouping". */
  label: string;
  /** Part of the block graph (difference => NO_SUBSTITUTE). */
  blockGraph: boolean;
  /** Human-readable value ("unknown" for null). */
  format: (value: Features[K]) => string;
}

const UNKNOWN = "unknown";

function fmtBool(yes: string, no: string) {
  return (v: boolean | null): string => (v === null ? UNKNOWN : v ? yes : no);
}
function fmtStr(v: string | null): string {
  return v === null ? UNKNOWN : v;
}
function fmtNum(v: number | null): string {
  return v === null ? UNKNOWN : String(v);
}
function fmtList(empty: string) {
  return (v: string[] | null): string => (v === null ? UNKNOWN : v.length === 0 ? empty : `{${v.join(", ")}}`);
}

function entry<K extends keyof Features>(key: K, group: FeatureGroup, label: string, blockGraph: boolean, format: (v: Features[K]) => string): FeatureInfo<K> {
  return { key, group, label, blockGraph, format };
}

/** Every Features key, in report order. */
export const FEATURE_REGISTRY: ReadonlyArray<FeatureInfo> = [
  entry("architecture", "modeling", "Architecture class", false, fmtStr),
  entry("topology", "modeling", "Topology", true, fmtStr),
  entry("layerKinds", "modeling", "Layer kinds", true, fmtList("none")),
  entry("attentionFamily", "attention", "Attention family", true, (v) => (v === null ? UNKNOWN : v === "mla" ? "MLA (latent)" : v === "standard" ? "standard (MHA/GQA/MQA)" : v)),
  entry("kvGrouping", "attention", "KV grouping", false, fmtStr),
  entry("headDim", "attention", "Head dim", false, fmtNum),
  entry("mla", "attention", "MLA dims", false, (v) => (v === null ? "n/a" : v)),
  entry("qkvBias", "attention", "QKV bias", false, fmtBool("yes", "no")),
  entry("outputBias", "attention", "Attention output bias", false, fmtBool("yes", "no")),
  entry("qkNorm", "attention", "Q/K norm", false, fmtBool("yes", "no")),
  entry("slidingWindow", "attention", "Sliding window", false, fmtStr),
  entry("logitSoftcap", "attention", "Attention logit soft-capping", false, fmtBool("yes", "no")),
  entry("attentionSinks", "attention", "Attention sinks", false, fmtBool("yes", "no")),
  entry("positionEncoding", "position", "Position encoding", false, fmtStr),
  entry("ropeType", "position", "RoPE type", false, (v) => (v === null ? "n/a" : v)),
  entry("partialRotary", "position", "Rotary fraction", false, (v) => (v === null ? "n/a" : v === 1 ? "full" : String(v))),
  entry("ropeStyle", "position", "RoPE layout", false, (v) => (v === null ? "n/a" : v === "interleaved" ? "interleaved (rotate every two)" : "rotate half")),
  entry("nopeLayers", "position", "NoPE layers", false, fmtBool("some layers without RoPE", "none")),
  entry("ffnFamily", "ffn", "FFN family", true, (v) => (v === null ? UNKNOWN : v === "gated" ? "gated (gate/up/down)" : "plain (up/down)")),
  entry("activation", "ffn", "Activation", false, fmtStr),
  entry("mlpBias", "ffn", "MLP bias", false, fmtBool("yes", "no")),
  entry("moe", "moe", "MoE", true, fmtBool("MoE", "dense")),
  entry("moeTopK", "moe", "MoE top-k", false, (v) => (v === null ? "n/a" : String(v))),
  entry("sharedExperts", "moe", "Shared experts", false, (v) => (v === null ? "n/a" : v ? "yes" : "no")),
  entry("routerScoring", "moe", "Router scoring", false, (v) => (v === null ? "n/a" : v)),
  entry("groupedTopK", "moe", "Grouped top-k (n_group)", false, (v) => (v === null ? "n/a" : v > 1 ? `${v} groups` : "not grouped")),
  entry("denseLayerPrefix", "moe", "Dense layer prefix", false, (v) => (v === null ? "n/a" : String(v))),
  entry("routerTopKNorm", "moe", "Top-k weight renormalization", false, (v) => (v === null ? "n/a" : v ? "yes" : "no")),
  entry("routerBias", "moe", "Router score correction bias", false, (v) => (v === null ? "n/a" : v ? "yes" : "no")),
  entry("normKind", "norm", "Norm kind", true, (v) => (v === null ? UNKNOWN : v === "rmsnorm" ? "RMSNorm" : "LayerNorm")),
  entry("normPlacement", "norm", "Norm placement", false, fmtStr),
  entry("normOffset", "norm", "Norm (1 + w) scale", false, fmtBool("yes", "no")),
  entry("tiedEmbeddings", "embeddings", "Tied embeddings", false, fmtBool("tied", "untied")),
  entry("weightFormat", "weights", "Weight format", false, fmtStr),
  entry("modality", "modality", "Extra towers", false, fmtList("none")),
] as ReadonlyArray<FeatureInfo>;

const BY_KEY = new Map(FEATURE_REGISTRY.map((f) => [f.key, f]));

export function featureInfo<K extends keyof Features>(key: K): FeatureInfo<K> {
  const f = BY_KEY.get(key);
  if (!f) throw new Error(`unknown feature ${String(key)}`);
  return f as unknown as FeatureInfo<K>;
}

/** Formats one feature value for a reason line. */
export function formatFeature<K extends keyof Features>(key: K, value: Features[K]): string {
  return featureInfo(key).format(value);
}

/** Keys of the block graph (verdicts.md). */
export const BLOCK_GRAPH_KEYS: ReadonlyArray<keyof Features> = FEATURE_REGISTRY.filter((f) => f.blockGraph).map((f) => f.key);

export interface ScaleInfo {
  key: keyof Scale;
  label: string;
  /** Unit suffix for reports ("tokens", "" ...). */
  unit: string;
  format: (v: number | null) => string;
}

function scaleEntry(key: keyof Scale, label: string, unit = ""): ScaleInfo {
  return {
    key,
    label,
    unit,
    format: (v) => (v === null ? "n/a" : `${Number.isInteger(v) ? v.toLocaleString("en-US") : String(v)}${unit ? ` ${unit}` : ""}`),
  };
}

/** Every Scale key, in report order. */
export const SCALE_REGISTRY: ReadonlyArray<ScaleInfo> = [
  scaleEntry("layers", "Layers"),
  scaleEntry("hiddenSize", "Hidden size"),
  scaleEntry("intermediateSize", "FFN width"),
  scaleEntry("moeIntermediateSize", "Expert FFN width"),
  scaleEntry("heads", "Attention heads"),
  scaleEntry("kvHeads", "KV heads"),
  scaleEntry("experts", "Experts"),
  scaleEntry("vocabSize", "Vocabulary"),
  scaleEntry("maxPositions", "Max positions", "tokens"),
  scaleEntry("ropeTheta", "RoPE theta"),
  scaleEntry("ropeScalingFactor", "RoPE scaling factor"),
  scaleEntry("normEps", "Norm epsilon"),
  scaleEntry("windowLength", "Window length", "tokens"),
  scaleEntry("kvLoraRank", "KV LoRA rank (MLA)"),
  scaleEntry("qLoraRank", "Q LoRA rank (MLA)"),
];

const SCALE_BY_KEY = new Map(SCALE_REGISTRY.map((s) => [s.key, s]));

export function scaleInfo(key: keyof Scale): ScaleInfo {
  const s = SCALE_BY_KEY.get(key);
  if (!s) throw new Error(`unknown scale parameter ${String(key)}`);
  return s;
}

/** target / proxy, null when either side is null or the proxy is 0. */
export function scaleRatio(target: number | null, proxy: number | null): number | null {
  if (target === null || proxy === null || proxy === 0) return null;
  return target / proxy;
}
