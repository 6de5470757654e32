/**
 * Op set: the kernels / code paths a model exercises, as a sorted vocabulary of dotted names.
 * Derived from Features (and Scale) only, so it is the same whether the features came from the
 * config or from tensors.
 *
 * Vocabulary (docs/fingerprint-config.md "Op vocabulary"):
 *   attention.mha | attention.gqa | attention.mqa   standard attention by KV grouping
 *   attention.mla, attention.mla.q_lora             multi-head latent attention (+ low-rank q)
 *   attention.sliding                               windowed attention (any layer)
 *   attention.hybrid_window                         windowed and global layers mixed (hybrid KV cache)
 *   attention.softcap | attention.sinks | attention.qk_norm | attention.bias | attention.cross
 *   attention.bidirectional                         encoder self-attention (no causal mask)
 *   rope.<type>                                     rope.default, rope.llama3, rope.yarn, rope.longrope,
 *                                                   rope.linear, rope.dynamic, rope.mrope, rope.mrope-interleaved
 *   rope.partial                                    partial rotary (fraction < 1)
 *   pos.alibi | pos.learned | pos.relative          non-rope positions
 *   ffn.swiglu | ffn.geglu | ffn.swiglu_oai | ffn.glu.<act>   gated MLPs
 *   ffn.gelu | ffn.gelu_tanh | ffn.relu | ffn.relu2 | ffn.silu | ffn.<act>   plain MLPs
 *   ffn.bias
 *   moe.topk, moe.shared, moe.grouped, moe.sigmoid, moe.softmax, moe.dense_prefix
 *   norm.rms | norm.layer, norm.offset, norm.sandwich, norm.post, block.parallel
 *   mamba | mamba2 | conv | linear_attention        non-attention mixers
 *   embed.tied
 *   tower.vision | tower.audio
 *   quant.<weightFormat>                            quantized weights (not for plain bf16/fp16/fp32)
 */
import type { Features, Scale } from "./types.js";

const PLAIN_FORMATS = new Set(["bf16", "fp16", "fp32", "fp64"]);

export function opsFromFeatures(features: Features, _scale: Scale): string[] {
  void _scale;
  const f = features;
  const ops = new Set<string>();
  const kinds = new Set(f.layerKinds ?? []);
  const hasAttention = kinds.has("full_attention") || kinds.has("sliding_attention") || kinds.has("chunked_attention") || kinds.has("cross_attention");

  // attention
  if (f.attentionFamily === "mla") {
    ops.add("attention.mla");
    if (f.mla?.includes("q_lora=yes")) ops.add("attention.mla.q_lora");
  } else if (f.attentionFamily === "standard" && f.kvGrouping) {
    ops.add(`attention.${f.kvGrouping.toLowerCase()}`);
  }
  if (f.slidingWindow && f.slidingWindow !== "none") ops.add("attention.sliding");
  if (f.slidingWindow === "alternating" || f.slidingWindow === "pattern") ops.add("attention.hybrid_window");
  if (f.logitSoftcap) ops.add("attention.softcap");
  if (f.attentionSinks) ops.add("attention.sinks");
  if (f.qkNorm) ops.add("attention.qk_norm");
  if (f.qkvBias || f.outputBias) ops.add("attention.bias");
  if (kinds.has("cross_attention")) ops.add("attention.cross");
  if (f.topology === "encoder-only" || f.topology === "encoder-decoder") ops.add("attention.bidirectional");
  if (kinds.has("chunked_attention")) ops.add("attention.chunked");

  // position
  if (f.positionEncoding === "rope" && hasAttention) {
    ops.add(`rope.${f.ropeType ?? "default"}`);
    if (f.partialRotary !== null && f.partialRotary < 1) ops.add("rope.partial");
  } else if (f.positionEncoding === "alibi") ops.add("pos.alibi");
  else if (f.positionEncoding === "learned") ops.add("pos.learned");
  else if (f.positionEncoding === "relative") ops.add("pos.relative");

  // ffn
  if (f.ffnFamily && f.activation) {
    const a = f.activation;
    if (f.ffnFamily === "gated") {
      if (a === "silu") ops.add("ffn.swiglu");
      else if (a === "gelu" || a === "gelu_tanh") ops.add("ffn.geglu");
      else if (a === "swiglu_oai") ops.add("ffn.swiglu_oai");
      else ops.add(`ffn.glu.${a}`);
    } else {
      ops.add(`ffn.${a}`);
    }
  }
  if (f.mlpBias) ops.add("ffn.bias");

  // moe
  if (f.moe) {
    ops.add("moe.topk");
    if (f.sharedExperts) ops.add("moe.shared");
    if (f.groupedTopK !== null && f.groupedTopK > 1) ops.add("moe.grouped");
    if (f.routerScoring) ops.add(`moe.${f.routerScoring}`);
    if (f.denseLayerPrefix !== null && f.denseLayerPrefix > 0) ops.add("moe.dense_prefix");
  }

  // norm
  if (f.normKind === "rmsnorm") ops.add("norm.rms");
  else if (f.normKind === "layernorm") ops.add("norm.layer");
  if (f.normOffset) ops.add("norm.offset");
  if (f.normPlacement === "sandwich") ops.add("norm.sandwich");
  else if (f.normPlacement === "post") ops.add("norm.post");
  else if (f.normPlacement === "parallel") ops.add("block.parallel");

  // mixers
  for (const k of ["mamba", "mamba2", "conv", "linear_attention"]) if (kinds.has(k)) ops.add(k);

  if (f.tiedEmbeddings) ops.add("embed.tied");
  for (const m of f.modality ?? []) ops.add(`tower.${m}`);
  if (f.weightFormat && !PLAIN_FORMATS.has(f.weightFormat)) ops.add(`quant.${f.weightFormat}`);
  return [...ops].sort();
}
