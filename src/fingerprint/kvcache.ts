/**
 * KV-cache pattern from config: what one token costs in cache, per layer kind.
 *
 * - standard attention: 2 * kv_heads * head_dim elements per token per attention layer;
 * - MLA: the compressed latent, kv_lora_rank + qk_rope_head_dim per token per layer (not per head);
 * - sliding layers: same per-token cost, but bounded by the window (kvBytesAtSeqLen applies it);
 * - Mamba / short-conv / RWKV layers: no per-token KV, a constant per-sequence state (reported in
 *   `stateBytesPerSequence`);
 * - cross-attention layers (Mllama image layers, encoder-decoder decoders): cache the other stream's
 *   keys/values once per sequence, not per generated token (noted, not in bytesPerToken);
 * - cross-layer KV sharing (`num_kv_shared_layers`): shared layers keep no cache of their own.
 * Encoder-only models keep no KV cache.
 */
import type { Features, KvCachePattern, Scale } from "./types.js";
import { asInt, asString, type NormalizedConfig } from "./config.js";
import { featuresFromConfig } from "./arch.js";

export interface KvCacheOptions {
  /** Bytes per cached element (default 2: bf16/fp16 cache). */
  cacheDtypeBytes?: number;
}

/** KvCachePattern plus what kvBytesAtSeqLen and reports need (a structural superset: assignable to KvCachePattern). */
export interface KvCacheDetails extends KvCachePattern {
  /** Window of the windowed layers, also when only some layers are windowed (`window` is set only when all are). */
  slidingWindowLength: number | null;
  /** Constant per-sequence state of Mamba / conv / RWKV layers, in bytes (null when none). */
  stateBytesPerSequence: number | null;
  /** Layers without per-token KV (state-space, conv, linear attention). */
  statefulLayers: number;
  /** Cross-attention layers (per-sequence cache of the other stream). */
  crossAttentionLayers: number;
  /** Bytes per cached element used. */
  cacheDtypeBytes: number;
  notes: string[];
}

export function kvCacheFromConfig(features: Features, scale: Scale, norm: NormalizedConfig, opts: KvCacheOptions = {}): KvCacheDetails {
  const B = opts.cacheDtypeBytes ?? 2;
  const notes: string[] = [];
  const arch = featuresFromConfig(norm);
  const L = scale.layers ?? norm.numLayers;
  const kinds = arch.details.perLayerKinds;
  const base = (kind: string, shape: string): KvCacheDetails => ({
    kind,
    cachedLayers: 0,
    elementsPerTokenPerLayer: null,
    bytesPerToken: 0,
    window: null,
    windowedLayers: 0,
    shape,
    slidingWindowLength: null,
    stateBytesPerSequence: null,
    statefulLayers: 0,
    crossAttentionLayers: 0,
    cacheDtypeBytes: B,
    notes,
  });

  if (features.topology === "encoder-only") return base("none", "no KV cache (encoder-only: no autoregressive decoding)");
  if (L === null || !kinds) {
    const d = base("unknown", "layer count unknown");
    d.cachedLayers = null;
    d.bytesPerToken = null;
    return d;
  }

  let full = 0;
  let sliding = 0;
  let cross = 0;
  let stateful = 0;
  const statefulKinds = new Set<string>();
  for (const k of kinds) {
    if (k === "full_attention") full++;
    else if (k === "sliding_attention" || k === "chunked_attention") sliding++;
    else if (k === "cross_attention") cross++;
    else if (k === "mamba" || k === "mamba2" || k === "conv" || k === "linear_attention") {
      stateful++;
      statefulKinds.add(k);
    }
  }
  let window = norm.slidingWindow;
  if (kinds.includes("chunked_attention")) {
    window = asInt(norm.text["attention_chunk_size"]) ?? window;
    notes.push("chunked attention layers cache at most one chunk");
  }
  // the uniform-window case: every attention layer is windowed
  if (window !== null && features.slidingWindow === "all" && sliding === 0) {
    sliding = full;
    full = 0;
  }
  if (window === null && sliding > 0) {
    full += sliding;
    sliding = 0;
  }

  // cross-layer KV sharing (Gemma-3n style): the last N layers reuse earlier caches
  const shared = asInt(norm.text["num_kv_shared_layers"]) ?? 0;
  if (shared > 0) {
    notes.push(`${shared} layers reuse the KV cache of earlier layers (num_kv_shared_layers)`);
    const fromFull = Math.min(full, Math.round((shared * full) / Math.max(1, full + sliding)));
    full -= fromFull;
    sliding -= Math.min(sliding, shared - fromFull);
  }

  const cached = full + sliding;
  const d = base("none", "");
  d.windowedLayers = sliding;
  d.slidingWindowLength = sliding > 0 ? window : null;
  d.window = sliding > 0 && full === 0 ? window : null;
  d.crossAttentionLayers = cross;
  d.statefulLayers = stateful;
  d.cachedLayers = cached;

  let elems: number | null = null;
  let shape = "";
  if (features.attentionFamily === "mla") {
    const kvL = scale.kvLoraRank ?? asInt(norm.text["kv_lora_rank"]);
    const rope = asInt(norm.text["qk_rope_head_dim"]);
    if (kvL !== null && rope !== null) {
      elems = kvL + rope;
      d.kind = "mla-latent";
      shape = `[batch, seq, ${kvL}+${rope}] latent x ${cached} layers`;
    }
    const mtp = arch.details.mtpLayers;
    if (mtp > 0) notes.push(`${mtp} MTP layer(s) not counted (only used for speculative decoding)`);
  } else if (features.attentionFamily === "standard" || cached > 0) {
    const hd = features.headDim ?? norm.headDim;
    const kvPer = norm.kvHeads.perLayer;
    if (hd !== null && kvPer && new Set(kvPer).size > 1) {
      // heterogeneous: exact bytes by summation, no single per-layer figure
      let total = 0;
      kinds.forEach((k, i) => {
        if (k === "full_attention" || k === "sliding_attention") total += 2 * (kvPer[i] ?? 0) * hd;
      });
      d.bytesPerToken = total * B;
      d.elementsPerTokenPerLayer = null;
      d.kind = groupingKind(features);
      d.shape = `[batch, kv_i, seq, ${hd}] x2 (K,V), per-layer kv heads, ${cached} layers`;
      return finish(d, norm, statefulKinds, B, sliding, full, window);
    }
    const kv = scale.kvHeads ?? norm.kvHeads.value;
    if (hd !== null && kv !== null) {
      elems = 2 * kv * hd;
      d.kind = groupingKind(features);
      shape = `[batch, ${kv}, seq, ${hd}] x2 (K,V) x ${cached} layers`;
    }
  } else if (features.attentionFamily === "linear") {
    d.kind = "none";
  }
  if (elems === null && cached > 0) {
    d.kind = "unknown";
    d.bytesPerToken = null;
    d.shape = "attention geometry unknown";
    return finish(d, norm, statefulKinds, B, sliding, full, window);
  }
  d.elementsPerTokenPerLayer = elems;
  d.bytesPerToken = elems !== null ? elems * cached * B : 0;
  d.shape = shape || "no per-token KV cache";
  if (features.topology === "encoder-decoder") {
    notes.push("decoder cross-attention caches the encoder output once per sequence (not per token)");
  }
  return finish(d, norm, statefulKinds, B, sliding, full, window);
}

function groupingKind(features: Features): string {
  return features.kvGrouping ? features.kvGrouping.toLowerCase() : "unknown";
}

function finish(d: KvCacheDetails, norm: NormalizedConfig, statefulKinds: Set<string>, B: number, sliding: number, full: number, window: number | null): KvCacheDetails {
  if (sliding > 0) {
    d.shape += `; ${sliding} layer(s) windowed at ${window}`;
    if (full === 0 && d.kind !== "unknown" && d.kind !== "mla-latent") d.kind = "sliding";
  }
  if (d.crossAttentionLayers > 0 && norm.topologyHint !== "encoder-decoder") {
    d.notes.push(`${d.crossAttentionLayers} cross-attention layer(s) cache the image/encoder tokens once per sequence (not per token)`);
  }
  if (d.statefulLayers > 0) {
    const state = stateBytes(norm, statefulKinds, B);
    d.stateBytesPerSequence = state;
    const kinds = [...statefulKinds].join("/");
    d.notes.push(`${d.statefulLayers} ${kinds} layer(s) keep a constant per-sequence state instead of a KV cache${state !== null ? ` (${state.toLocaleString("en-US")} bytes per sequence)` : ""}`);
    d.shape += `; ${d.statefulLayers} ${kinds} layer(s) with constant state`;
    if (d.cachedLayers && d.cachedLayers > 0) d.kind = "hybrid";
    else d.kind = "none";
  }
  return d;
}

/** Constant per-sequence state of the stateful layers (bytes). */
function stateBytes(norm: NormalizedConfig, kinds: Set<string>, B: number): number | null {
  const t = norm.text;
  const h = norm.hiddenSize;
  const layers = norm.layerTypes ?? [];
  let total = 0;
  for (const k of kinds) {
    const n = layers.filter((x) => x === k).length || (norm.layerTypes === null ? norm.numLayers ?? 0 : 0);
    if (k === "mamba2") {
      const nheads = asInt(t["mamba_num_heads"]);
      const hd = asInt(t["mamba_head_dim"]);
      const dState = asInt(t["ssm_state_size"]);
      const groups = asInt(t["n_groups"]) ?? 1;
      const kConv = asInt(t["conv_kernel"]);
      if (nheads === null || hd === null || dState === null || kConv === null) return null;
      const dInner = nheads * hd;
      const ssmBytes = asString(t["mamba_ssm_cache_dtype"]) === "float32" ? 4 : B;
      const conv = (dInner + 2 * groups * dState) * (kConv - 1) * B;
      const ssm = nheads * hd * dState * ssmBytes;
      total += n * (conv + ssm);
    } else if (k === "conv") {
      const Lc = asInt(t["conv_L_cache"]);
      if (h === null || Lc === null) return null;
      total += n * h * Lc * B;
    } else if (k === "linear_attention" && (norm.textModelType ?? "").toLowerCase().startsWith("rwkv")) {
      const hs = asInt(t["head_size"]) ?? 64;
      const a = asInt(t["attention_hidden_size"]) ?? h;
      if (h === null || a === null) return null;
      total += n * (2 * h * B + (a / hs) * hs * hs * 4);
    } else {
      return null;
    }
  }
  return total;
}

/**
 * KV-cache bytes for one sequence of `seqLen` tokens: full-attention layers grow with seqLen,
 * windowed layers stop at the window. Uniform per-layer size is assumed (exact unless per-layer KV
 * heads differ, when it is the average). Constant recurrent state is added when `includeState`.
 */
export function kvBytesAtSeqLen(
  pattern: KvCachePattern & { slidingWindowLength?: number | null; stateBytesPerSequence?: number | null },
  seqLen: number,
  opts: { includeState?: boolean } = {},
): number | null {
  if (pattern.bytesPerToken === null || pattern.cachedLayers === null) return null;
  const n = Math.max(0, Math.floor(seqLen));
  const state = opts.includeState ? pattern.stateBytesPerSequence ?? 0 : 0;
  if (pattern.cachedLayers === 0) return state;
  const perLayer = pattern.bytesPerToken / pattern.cachedLayers;
  const windowed = pattern.windowedLayers ?? 0;
  const window = pattern.window ?? pattern.slidingWindowLength ?? null;
  const full = pattern.cachedLayers - (window !== null ? windowed : 0);
  const win = window !== null ? windowed : 0;
  return Math.round(full * perLayer * n + win * perLayer * Math.min(n, window ?? n)) + state;
}
