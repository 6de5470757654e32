/**
 * Exact parameter counts from config.json (no weights), per component.
 *
 * Definitions (docs/fingerprint-config.md "Parameter counts"):
 * - `total`: parameters the reference checkpoint stores, i.e. what a safetensors-header count gives:
 *   tied embeddings once, buffers (rotary inv_freq, position_ids) excluded, quantization bookkeeping
 *   (scales, zeros) excluded, packed low-bit weights counted as logical parameters. Tensors a
 *   checkpoint stores twice are counted as stored (Falcon's lm_head; DeepSeek-V3's MTP layer keeps its
 *   own embedding and head copies).
 * - `unique`: `total` minus such duplicates.
 * - `active` (MoE only): parameters used for one token by the main model: everything except the
 *   routed experts that are not selected (top-k of E per MoE layer) and except MTP layers. Input
 *   embedding and LM head are included (Mixtral-8x7B: 12.9B). `activeExcludingEmbedding` drops the
 *   input embedding table (OpenAI's convention: gpt-oss-20b 3.6B).
 * - Vision/audio towers are counted where the config fully determines them (Qwen2-VL, Qwen2.5-VL,
 *   Qwen3-VL, Gemma-3/SigLIP, LLaVA/CLIP); otherwise the text part is counted and a finding says so.
 */
import type { Features, Finding, ParamCount, Scale } from "./types.js";
import { asBool, asInt, asIntList, asNumber, asString, isRecord, type JsonRecord, type NormalizedConfig } from "./config.js";
import { featuresFromConfig, type ArchDetails, type ArchProfile } from "./arch.js";
import { formatFromConfig } from "./weight-format.js";

/** Storage role of a parameter group (decides its dtype when the checkpoint is quantized). */
export type ParamRole = "matrix" | "expert" | "router" | "small" | "embedding" | "lm_head" | "tower";

export interface ParamPart {
  /** Component: embed_tokens, lm_head, positions, attention, ffn, experts, shared_experts, router, norms, mamba, conv, cross_attention, vision, mtp, ... */
  name: string;
  role: ParamRole;
  count: number;
}

export interface ParamBreakdown {
  /** Stored parameters (see module doc); null when the config does not determine them. */
  total: number | null;
  /** total minus tensors the checkpoint stores twice. */
  unique: number | null;
  /** MoE: active parameters per token (see module doc); null for dense models. */
  active: number | null;
  activeExcludingEmbedding: number | null;
  /** Parameters in multi-token-prediction layers (included in total, excluded from active). */
  mtp: number;
  /** Parameters of vision/audio towers + projectors (included in total when counted). */
  tower: number;
  /** false when a tower exists that is not counted. */
  towerCounted: boolean;
  /** Parameters stored twice (in total, not in unique). */
  duplicated: number;
  /**
   * Elements of non-learned buffers the reference checkpoint is known to store (rotary inv_freq of
   * Llama checkpoints saved before transformers 4.32, ChatGLM's inv_freq, GPT-2's causal-mask
   * attn.bias); included in total (a header count includes them), excluded from unique and active.
   */
  buffers: number;
  byDtype: Record<string, number>;
  parts: ParamPart[];
  findings: Finding[];
}

// ---------------------------------------------------------------------------------------------

class Acc {
  parts = new Map<string, ParamPart>();
  /** routed-expert params per MoE layer (main model), for `active`. */
  routed = 0;
  routedActive = 0;
  mtp = 0;
  tower = 0;
  duplicated = 0;
  buffers = 0;
  add(name: string, role: ParamRole, count: number): void {
    if (!Number.isFinite(count) || count === 0) return;
    const key = `${name}\u0000${role}`;
    const p = this.parts.get(key);
    if (p) p.count += count;
    else this.parts.set(key, { name, role, count });
  }
  total(): number {
    let s = 0;
    for (const p of this.parts.values()) s += p.count;
    return s;
  }
}

interface Dims {
  h: number;
  L: number;
  V: number;
  heads: number;
  kv: number;
  hd: number;
  ffn: number | null;
  moeI: number | null;
  E: number;
  k: number;
}

/** Norm params for one norm module of width h under this profile's norm kind. */
function normParams(features: Features, prof: ArchProfile | null, h: number): number {
  if (features.normKind === "layernorm") return prof && !prof.layout.normBias ? h : 2 * h;
  return h;
}

function ffnParams(h: number, i: number, gated: boolean, bias: boolean): number {
  const m = gated ? 3 * h * i : 2 * h * i;
  const b = bias ? (gated ? 2 * i + h : i + h) : 0;
  return m + b;
}

// ---------------------------------------------------------------------------------------------

export function paramBreakdown(norm: NormalizedConfig, features: Features, _scale: Scale): ParamBreakdown {
  void _scale;
  const arch = featuresFromConfig(norm);
  const prof = arch.profile;
  const det = arch.details;
  const findings: Finding[] = [];
  const acc = new Acc();
  const fam = det.family;

  const fail = (why: string): ParamBreakdown => {
    findings.push({ severity: "warning", code: "PARAMS_UNDETERMINED", message: `parameter count not derivable from config.json: ${why}` });
    return { total: null, unique: null, active: null, activeExcludingEmbedding: null, mtp: 0, tower: 0, towerCounted: false, duplicated: 0, buffers: 0, byDtype: {}, parts: [], findings };
  };

  if (!prof) return fail(`architecture ${norm.architecture ?? "?"} is not in the architecture table`);
  const h = norm.hiddenSize;
  const L = norm.numLayers;
  const V = norm.vocabSize;
  if (h === null || L === null || V === null) return fail("hidden_size, num_hidden_layers or vocab_size missing");

  // families with their own layout
  if (fam === "whisper") countWhisper(norm, acc, findings);
  else if (fam === "bert" || fam === "roberta") countBert(norm, fam, acc, findings);
  else if (fam === "rwkv") countRwkv(norm, det, acc, findings);
  else {
    const heads = norm.heads.value ?? 0;
    const kv = norm.kvHeads.value ?? heads;
    const hd = norm.headDim ?? (heads > 0 ? h / heads : 0);
    const ffn = det.ffnWidth;
    const d: Dims = {
      h,
      L,
      V,
      heads,
      kv,
      hd,
      ffn,
      moeI: norm.moeIntermediateSize ?? norm.intermediate.value,
      E: norm.numExperts ?? 0,
      k: norm.expertsPerToken ?? 0,
    };
    if (features.attentionFamily === "standard" && (heads === 0 || !Number.isInteger(hd))) return fail("attention head geometry undetermined");
    if (norm.heads.perLayer || norm.kvHeads.perLayer || norm.intermediate.perLayer) {
      findings.push({ severity: "info", code: "PARAMS_PER_LAYER", message: "per-layer dims: counted layer by layer" });
    }
    const err = countDecoder(norm, features, prof, det, d, acc, findings);
    if (err) return fail(err);
  }

  // towers
  const tower = countTower(norm, fam, acc, findings);
  storedBuffers(norm, features, det, acc, findings);

  const total = acc.total();
  const unique = total - acc.duplicated - acc.buffers;
  let active: number | null = null;
  let activeEx: number | null = null;
  if (features.moe) {
    active = total - acc.buffers - acc.mtp - (acc.routed - acc.routedActive);
    const embed = acc.parts.get(`embed_tokens\u0000embedding`)?.count ?? 0;
    activeEx = active - embed;
  }
  return {
    total,
    unique,
    active,
    activeExcludingEmbedding: activeEx,
    mtp: acc.mtp,
    tower: acc.tower,
    towerCounted: tower,
    duplicated: acc.duplicated,
    buffers: acc.buffers,
    byDtype: byDtype(norm, [...acc.parts.values()], findings),
    parts: [...acc.parts.values()],
    findings,
  };
}

/** ParamCount (types.ts) from config; null when the config does not determine the count. */
export function paramsFromConfig(norm: NormalizedConfig, features: Features, scale: Scale): ParamCount | null {
  const b = paramBreakdown(norm, features, scale);
  if (b.total === null) return null;
  return { total: b.total, byDtype: b.byDtype, active: b.active, from: "config" };
}

// ---------------------------------------------------------------------------------------------
// decoder-only transformer families (and hybrids)

function countDecoder(
  norm: NormalizedConfig,
  features: Features,
  prof: ArchProfile,
  det: ArchDetails,
  d: Dims,
  acc: Acc,
  findings: Finding[],
): string | null {
  const t = norm.text;
  const fam = prof.family;
  const { h, L, V } = d;
  const gated = features.ffnFamily === "gated";
  const nrm = (w: number) => normParams(features, prof, w);
  const kinds = det.perLayerKinds ?? Array.from({ length: L }, () => prof.defaultLayerKind);
  const moeLayers = det.moeLayers;

  // --- embeddings
  let embedRows = V;
  if (fam === "mllama") {
    embedRows = V + 8;
    findings.push({ severity: "info", code: "PARAMS_NOTE", message: "Mllama text embedding has vocab_size + 8 rows (image tokens)" });
  }
  acc.add("embed_tokens", "embedding", embedRows * h);
  if (prof.layout.learnedPositions) {
    const P = norm.maxPositions;
    if (P === null) return "learned position table size (n_positions) missing";
    acc.add("positions", "embedding", P * h);
  }
  if (prof.layout.embeddingNorm) acc.add("norms", "small", nrm(h));

  // --- per-layer
  const attn = (i: number, cross = false): number => {
    const heads = norm.heads.perLayer?.[i] ?? d.heads;
    const kv = norm.kvHeads.perLayer?.[i] ?? (norm.kvHeadsSource === "default-mha" ? heads : d.kv);
    const hd = d.hd;
    const q = heads * hd;
    const kvd = kv * hd;
    let n = h * q + 2 * h * kvd + q * h;
    if (features.qkvBias && !cross) n += q + 2 * kvd;
    if (features.outputBias && !cross) n += h;
    if (cross) n += 2 * hd; // Mllama cross-attention q_norm / k_norm
    else if (features.qkNorm) n += det.qkNormShape === "full" ? q + kvd : 2 * hd;
    if (features.attentionSinks) n += heads;
    return n;
  };
  const mla = (): number => {
    const nope = asInt(t["qk_nope_head_dim"]) ?? 0;
    const rope = asInt(t["qk_rope_head_dim"]) ?? 0;
    const v = asInt(t["v_head_dim"]) ?? 0;
    const qL = asInt(t["q_lora_rank"]);
    const kvL = asInt(t["kv_lora_rank"]) ?? 0;
    const H = d.heads;
    let n = 0;
    if (qL !== null && qL > 0) n += h * qL + qL + qL * H * (nope + rope);
    else n += h * H * (nope + rope);
    n += h * (kvL + rope) + kvL + kvL * H * (nope + v) + H * v * h;
    return n;
  };
  const denseFfn = (i: number): number => {
    const w = norm.intermediate.perLayer?.[i] ?? d.ffn;
    if (w === null) return NaN;
    return ffnParams(h, w, gated, features.mlpBias === true);
  };
  const expertBias = fam === "gpt_oss";
  const correctionBias = fam === "deepseek_v3" || fam === "glm4_moe" || fam === "nemotron_h" || asString(t["topk_method"]) === "noaux_tc";
  const moeBlock = (isMain: boolean): { total: number; routed: number; routedActive: number; router: number } => {
    const E = d.E;
    const I = d.moeI ?? 0;
    const perExpertW = ffnParams(h, I, gated, false);
    const perExpertB = expertBias ? (gated ? 2 * I + h : I + h) : 0;
    const perExpert = perExpertW + perExpertB;
    let n = 0;
    const router = E * h + (fam === "gpt_oss" ? E : 0) + (correctionBias ? E : 0);
    const shared =
      fam === "qwen2_moe" || (fam === "qwen3_moe" && norm.sharedExpertIntermediateSize)
        ? ffnParams(h, norm.sharedExpertIntermediateSize ?? 0, gated, false) + h
        : fam === "nemotron_h"
          ? ffnParams(h, (norm.sharedExpertIntermediateSize ?? 0) * Math.max(1, norm.numSharedExperts ?? 1), gated, false)
          : (norm.numSharedExperts ?? 0) > 0
            ? ffnParams(h, I * (norm.numSharedExperts ?? 0), gated, false)
            : 0;
    n += router + shared + E * perExpert;
    if (isMain) {
      acc.add("router", "router", router);
      acc.add("shared_experts", "matrix", shared);
      acc.add("experts", "expert", E * perExpertW);
      acc.add("expert_bias", "small", E * perExpertB);
    }
    return { total: n, routed: E * perExpert, routedActive: d.k * perExpert, router };
  };

  const normsPerLayer =
    fam === "falcon" ? (det.flags["newDecoderArchitecture"] ? 2 : 1) : fam === "stablelm" && features.normPlacement === "parallel" ? 1 : prof.layout.normsPerLayer;

  const singleOpBlocks = fam === "nemotron_h";
  for (let i = 0; i < L; i++) {
    const kind = kinds[i] ?? prof.defaultLayerKind;
    const isMoe = moeLayers?.[i] === true;
    // token mixer
    switch (kind) {
      case "mamba2": {
        const m = mambaMixer(norm, h);
        if (m === null) return "Mamba-2 mixer dims missing (mamba_num_heads / ssm_state_size / conv_kernel)";
        acc.add("mamba", "matrix", m.matrix);
        acc.add("mamba", "small", m.small);
        break;
      }
      case "mamba":
        return "Mamba-1 mixer layout not covered";
      case "linear_attention":
        return "linear-attention layer layout not covered";
      case "conv": {
        // LFM2 short-conv block: in_proj (h -> 3h), depthwise conv (h x L_cache), out_proj
        const Lc = asInt(t["conv_L_cache"]) ?? 3;
        const bias = asBool(t["conv_bias"]) === true;
        acc.add("conv", "matrix", h * 3 * h + h * h + (bias ? 3 * h + h : 0));
        acc.add("conv", "small", h * Lc + (bias ? h : 0));
        break;
      }
      case "cross_attention":
        acc.add("cross_attention", "matrix", attn(i, true));
        acc.add("cross_attention", "small", 2); // attn / mlp tanh gates
        break;
      case "mlp":
      case "moe":
        break; // FFN-only block (Nemotron-H)
      default:
        if (features.attentionFamily === "mla") acc.add("attention", "matrix", mla());
        else acc.add("attention", "matrix", attn(i));
    }
    // FFN
    const ffnKind = kind === "moe" ? "moe" : kind === "mlp" ? "dense" : singleOpBlocks ? "none" : isMoe ? "moe" : "dense";
    if (ffnKind === "moe") {
      const m = moeBlock(true);
      acc.routed += m.routed;
      acc.routedActive += m.routedActive;
    } else if (ffnKind === "dense") {
      // DeepSeek dense prefix layers use intermediate_size, not moe_intermediate_size
      const n = denseFfn(i);
      if (Number.isNaN(n)) return "intermediate_size missing";
      acc.add("ffn", "matrix", n);
    }
    acc.add("norms", "small", (singleOpBlocks ? 1 : normsPerLayer) * nrm(h));
  }

  // --- final norm + head
  if (prof.layout.finalNorm) acc.add("norms", "small", nrm(h));
  const tied = features.tiedEmbeddings === true;
  if (!tied) {
    acc.add("lm_head", "lm_head", V * h);
    if (prof.layout.lmHeadBias) acc.add("lm_head", "small", V);
  } else if (prof.layout.lmHeadBias) {
    acc.add("lm_head", "small", V);
  }
  if (fam === "falcon" && tied) {
    acc.add("lm_head", "lm_head", V * h);
    acc.duplicated += V * h;
    findings.push({
      severity: "info",
      code: "PARAMS_DUPLICATE",
      message: "Falcon checkpoints store lm_head.weight although it is tied to the embedding: counted as stored (unique excludes it)",
    });
  }

  // --- MTP layers (DeepSeek-V3 / GLM-4.5 style)
  if (det.mtpLayers > 0) {
    for (let j = 0; j < det.mtpLayers; j++) {
      // enorm, hnorm, eh_proj (BF16 even in FP8 checkpoints), shared_head.norm, the block's norms
      const small = 2 * h + 2 * h * h + h + normsPerLayer * h;
      const mixer = features.attentionFamily === "mla" ? mla() : attn(L);
      const m = moeBlock(false);
      const router = d.E > 0 ? m.router : 0;
      const ffn = d.E > 0 ? m.total - m.routed - m.router : denseFfn(L);
      const routed = d.E > 0 ? m.routed : 0;
      const copies = 2 * V * h; // embed_tokens + shared_head.head stored with the MTP layer
      const n = small + mixer + router + ffn + routed + copies;
      acc.add("mtp", "small", small);
      acc.add("mtp", "router", router);
      acc.add("mtp", "matrix", mixer + ffn);
      acc.add("mtp", "expert", routed);
      acc.add("mtp", "embedding", copies);
      acc.mtp += n;
      acc.duplicated += 2 * V * h;
    }
    findings.push({
      severity: "info",
      code: "PARAMS_MTP",
      message: `total includes ${det.mtpLayers} MTP layer(s) as the checkpoint stores them (with their own embedding and head copies${fam === "deepseek_v3" ? "" : "; layout assumed like DeepSeek-V3"}): ${acc.mtp.toLocaleString("en-US")} parameters; active excludes them`,
    });
  }
  return null;
}

function mambaMixer(norm: NormalizedConfig, h: number): { matrix: number; small: number } | null {
  const t = norm.text;
  const nheads = asInt(t["mamba_num_heads"]) ?? asInt(t["num_heads"]);
  const headDim = asInt(t["mamba_head_dim"]) ?? asInt(t["head_dim"]);
  const expand = asNumber(t["expand"]) ?? asNumber(t["mamba_expand"]) ?? 2;
  const dInner = nheads !== null && headDim !== null ? nheads * headDim : Math.round(expand * h);
  const nGroups = asInt(t["n_groups"]) ?? asInt(t["mamba_n_groups"]) ?? 1;
  const dState = asInt(t["ssm_state_size"]) ?? asInt(t["mamba_d_state"]) ?? asInt(t["state_size"]);
  const kConv = asInt(t["conv_kernel"]) ?? asInt(t["mamba_d_conv"]);
  if (dState === null || kConv === null || nheads === null) return null;
  const projBias = asBool(t["mamba_proj_bias"]) ?? asBool(t["use_bias"]) ?? false;
  const convBias = asBool(t["use_conv_bias"]) ?? true;
  const convDim = dInner + 2 * nGroups * dState;
  const inProj = h * (2 * dInner + 2 * nGroups * dState + nheads) + (projBias ? 2 * dInner + 2 * nGroups * dState + nheads : 0);
  const outProj = dInner * h + (projBias ? h : 0);
  const small = convDim * kConv + (convBias ? convDim : 0) + 3 * nheads + dInner;
  return { matrix: inProj + outProj, small };
}

// ---------------------------------------------------------------------------------------------
// encoder families

function countWhisper(norm: NormalizedConfig, acc: Acc, findings: Finding[]): void {
  const t = norm.text;
  const d = norm.hiddenSize ?? 0;
  const ed = norm.encoderDecoder;
  const E = ed?.encoderLayers ?? 0;
  const D = ed?.decoderLayers ?? 0;
  const effn = ed?.encoderFfn ?? 0;
  const dffn = ed?.decoderFfn ?? 0;
  const mel = asInt(t["num_mel_bins"]) ?? 80;
  const src = ed?.encoderPositions ?? 1500;
  const tgt = ed?.decoderPositions ?? 448;
  const V = norm.vocabSize ?? 0;
  const attn = 4 * d * d + 3 * d; // q/v/o biases, k_proj has none
  const ffn = (f: number) => d * f + f + f * d + d;
  acc.add("conv_frontend", "small", d * mel * 3 + d + d * d * 3 + d);
  acc.add("positions", "embedding", src * d + tgt * d);
  acc.add("encoder", "matrix", E * (attn + ffn(effn)));
  acc.add("encoder", "small", E * 4 * d + 2 * d);
  acc.add("embed_tokens", "embedding", V * d);
  acc.add("decoder", "matrix", D * (2 * attn + ffn(dffn)));
  acc.add("decoder", "small", D * 6 * d + 2 * d);
  if (norm.tieWordEmbeddings === false) acc.add("lm_head", "lm_head", V * d);
  findings.push({ severity: "info", code: "PARAMS_NOTE", message: "Whisper: encoder sinusoidal positions are stored as a weight and counted; proj_out tied to the decoder embedding" });
}

function countBert(norm: NormalizedConfig, fam: string, acc: Acc, findings: Finding[]): void {
  const t = norm.text;
  const h = norm.hiddenSize ?? 0;
  const L = norm.numLayers ?? 0;
  const i = norm.intermediate.value ?? 4 * h;
  const V = norm.vocabSize ?? 0;
  const P = norm.maxPositions ?? 512;
  const T = asInt(t["type_vocab_size"]) ?? 2;
  acc.add("embed_tokens", "embedding", V * h);
  acc.add("positions", "embedding", P * h + T * h);
  acc.add("norms", "small", 2 * h);
  acc.add("attention", "matrix", L * (4 * h * h + 4 * h));
  acc.add("ffn", "matrix", L * (2 * h * i + i + h));
  acc.add("norms", "small", L * 4 * h);
  const arch = norm.architecture ?? "";
  const mlm = /ForMaskedLM$|ForPreTraining$/.test(arch);
  const google = fam === "bert" && mlm;
  const pooler = /Model$/.test(arch) || google || /ForSequenceClassification$|ForMultipleChoice$|ForNextSentencePrediction$/.test(arch);
  if (pooler) acc.add("pooler", "matrix", h * h + h);
  if (mlm) {
    acc.add("mlm_head", "matrix", h * h + h + 2 * h);
    acc.add("mlm_head", "small", V);
  }
  if (google) {
    acc.add("nsp_head", "small", 2 * h + 2);
    findings.push({
      severity: "info",
      code: "PARAMS_NOTE",
      message: `${arch}: counted with pooler, MLM transform + decoder bias and the next-sentence head, the layout of Google's converted BERT checkpoints (e.g. bert-base-uncased); a transformers-saved fine-tune may lack pooler/NSP`,
    });
  }
  if (!pooler && !mlm) {
    findings.push({ severity: "info", code: "PARAMS_NOTE", message: `${arch}: task head not counted (its size depends on the label set)` });
  }
}

function countRwkv(norm: NormalizedConfig, det: ArchDetails, acc: Acc, findings: Finding[]): void {
  const h = norm.hiddenSize ?? 0;
  const L = norm.numLayers ?? 0;
  const V = norm.vocabSize ?? 0;
  const a = asInt(norm.text["attention_hidden_size"]) ?? h;
  const i = det.ffnWidth ?? 0;
  acc.add("embed_tokens", "embedding", V * h);
  acc.add("norms", "small", 2 * h); // ln0
  // time mixing: 4 mix vectors, decay + faaaa, r/k/v/g (h -> a), output (a -> h), ln_x GroupNorm
  acc.add("time_mixing", "matrix", L * (4 * h * a + a * h));
  acc.add("time_mixing", "small", L * (4 * h + 2 * a + 2 * a));
  // channel mixing: 2 mix vectors, key (h -> i), receptance (h -> h), value (i -> h)
  acc.add("channel_mixing", "matrix", L * (h * i + h * h + i * h));
  acc.add("channel_mixing", "small", L * 2 * h);
  acc.add("norms", "small", L * 4 * h + 2 * h);
  acc.add("lm_head", "lm_head", V * h);
  if (norm.tieWordEmbeddings === true) {
    findings.push({ severity: "info", code: "PARAMS_NOTE", message: "RWKV checkpoints store head.weight separately: counted although the config says tie_word_embeddings" });
  }
  findings.push({ severity: "info", code: "PARAMS_UNVERIFIED", message: "RWKV-5 count follows the RWKV-5 module layout; not verified against real headers" });
}

// ---------------------------------------------------------------------------------------------
// towers

/** Counts the vision/audio tower when the config determines it. Returns whether every tower is counted. */
function countTower(norm: NormalizedConfig, fam: string | null, acc: Acc, findings: Finding[]): boolean {
  const vc = norm.towers.vision;
  if (norm.towers.audio) {
    findings.push({ severity: "warning", code: "PARAMS_TOWER_NOT_COUNTED", message: "audio tower present in the config but not counted (text part only)" });
  }
  if (!vc) return norm.towers.audio === null;
  const before = acc.total();
  const mt = (norm.modelType ?? "").toLowerCase();
  const textH = norm.hiddenSize ?? 0;
  let ok = false;
  if (mt === "qwen2_vl") ok = qwen2vlVision(vc, acc);
  else if (mt === "qwen2_5_vl") ok = qwen25vlVision(vc, acc);
  else if (mt === "qwen3_vl" || mt === "qwen3_vl_moe") ok = qwen3vlVision(vc, acc);
  else if (mt === "gemma3") ok = siglipVision(vc, acc, { gemma3TextHidden: textH });
  else if (mt === "llava") ok = clipVision(vc, acc, norm, textH);
  void fam;
  acc.tower += acc.total() - before;
  if (!ok) {
    findings.push({
      severity: "warning",
      code: "PARAMS_TOWER_NOT_COUNTED",
      message: `vision tower (${norm.towers.sources.join(", ")}) not counted: its layout is not derivable from this config; total covers the text model only`,
    });
  }
  return ok;
}

function vint(vc: JsonRecord, ...keys: string[]): number | null {
  for (const k of keys) {
    const v = asInt(vc[k]);
    if (v !== null) return v;
  }
  return null;
}

function qwen2vlVision(vc: JsonRecord, acc: Acc): boolean {
  const D = vint(vc, "embed_dim");
  const depth = vint(vc, "depth");
  const out = vint(vc, "hidden_size");
  const p = vint(vc, "patch_size", "spatial_patch_size") ?? 14;
  const tp = vint(vc, "temporal_patch_size") ?? 2;
  const c = vint(vc, "in_chans", "in_channels") ?? 3;
  const m = vint(vc, "spatial_merge_size") ?? 2;
  const ratio = asNumber(vc["mlp_ratio"]) ?? 4;
  if (D === null || depth === null || out === null) return false;
  const I = Math.round(D * ratio);
  acc.add("vision", "tower", D * c * tp * p * p);
  acc.add("vision", "tower", depth * (4 * D + 3 * D * D + 3 * D + D * D + D + D * I + I + I * D + D));
  const M = D * m * m;
  acc.add("vision", "tower", 2 * D + M * M + M + M * out + out);
  return true;
}

function qwen25vlVision(vc: JsonRecord, acc: Acc): boolean {
  const D = vint(vc, "hidden_size");
  const depth = vint(vc, "depth");
  const I = vint(vc, "intermediate_size");
  const out = vint(vc, "out_hidden_size");
  const p = vint(vc, "patch_size", "spatial_patch_size") ?? 14;
  const tp = vint(vc, "temporal_patch_size") ?? 2;
  const c = vint(vc, "in_chans", "in_channels") ?? 3;
  const m = vint(vc, "spatial_merge_size") ?? 2;
  if (D === null || depth === null || I === null || out === null) return false;
  acc.add("vision", "tower", D * c * tp * p * p);
  // RMSNorm x2, qkv + proj with bias, gated MLP with bias
  acc.add("vision", "tower", depth * (2 * D + 3 * D * D + 3 * D + D * D + D + 2 * (D * I + I) + I * D + D));
  const M = D * m * m;
  acc.add("vision", "tower", D + M * M + M + M * out + out);
  return true;
}

function qwen3vlVision(vc: JsonRecord, acc: Acc): boolean {
  const D = vint(vc, "hidden_size");
  const depth = vint(vc, "depth");
  const I = vint(vc, "intermediate_size");
  const out = vint(vc, "out_hidden_size");
  const p = vint(vc, "patch_size") ?? 16;
  const tp = vint(vc, "temporal_patch_size") ?? 2;
  const c = vint(vc, "in_channels", "in_chans") ?? 3;
  const m = vint(vc, "spatial_merge_size") ?? 2;
  const npos = vint(vc, "num_position_embeddings");
  const deep = asIntList(vc["deepstack_visual_indexes"])?.length ?? 0;
  if (D === null || depth === null || I === null || out === null || npos === null) return false;
  acc.add("vision", "tower", D * c * tp * p * p + D + npos * D);
  acc.add("vision", "tower", depth * (4 * D + 3 * D * D + 3 * D + D * D + D + D * I + I + I * D + D));
  const M = D * m * m;
  const merger = (normW: number) => 2 * normW + M * M + M + M * out + out;
  acc.add("vision", "tower", merger(D) + deep * merger(M));
  return true;
}

function siglipVision(vc: JsonRecord, acc: Acc, o: { gemma3TextHidden: number }): boolean {
  const D = vint(vc, "hidden_size");
  const L = vint(vc, "num_hidden_layers");
  const I = vint(vc, "intermediate_size");
  const img = vint(vc, "image_size");
  const p = vint(vc, "patch_size");
  const c = vint(vc, "num_channels") ?? 3;
  if (D === null || L === null || I === null || img === null || p === null) return false;
  if (asBool(vc["vision_use_head"]) === true) return false;
  const npos = (img / p) ** 2;
  acc.add("vision", "tower", D * c * p * p + D + npos * D);
  acc.add("vision", "tower", L * (4 * D + 4 * (D * D + D) + D * I + I + I * D + D) + 2 * D);
  acc.add("projector", "tower", D + D * o.gemma3TextHidden);
  return true;
}

function clipVision(vc: JsonRecord, acc: Acc, norm: NormalizedConfig, textH: number): boolean {
  const D = vint(vc, "hidden_size");
  const L = vint(vc, "num_hidden_layers");
  const I = vint(vc, "intermediate_size");
  const img = vint(vc, "image_size");
  const p = vint(vc, "patch_size");
  const c = vint(vc, "num_channels") ?? 3;
  const mt = asString(vc["model_type"]);
  if (D === null || L === null || I === null || img === null || p === null || (mt !== null && mt !== "clip_vision_model")) return false;
  const npos = (img / p) ** 2 + 1;
  acc.add("vision", "tower", D + D * c * p * p + npos * D + 2 * D);
  acc.add("vision", "tower", L * (4 * D + 4 * (D * D + D) + D * I + I + I * D + D) + 2 * D);
  const bias = asBool(norm.raw["multimodal_projector_bias"]) ?? true;
  acc.add("projector", "tower", D * textH + textH * textH + (bias ? 2 * textH : 0));
  return true;
}

// ---------------------------------------------------------------------------------------------
// stored buffers

function transformersVersion(norm: NormalizedConfig): [number, number] | null {
  const v = asString(norm.raw["transformers_version"]) ?? asString(norm.text["transformers_version"]);
  const m = v ? /^(\d+)\.(\d+)/.exec(v) : null;
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Buffers the reference checkpoint stores (a header count includes them). */
function storedBuffers(norm: NormalizedConfig, features: Features, det: ArchDetails, acc: Acc, findings: Finding[]): void {
  const L = norm.numLayers ?? 0;
  const hd = norm.headDim ?? 0;
  const v = transformersVersion(norm);
  let n = 0;
  let what = "";
  if (det.family === "llama" && features.positionEncoding === "rope" && v !== null && (v[0] < 4 || (v[0] === 4 && v[1] < 32))) {
    const rot = Math.round(hd * (features.partialRotary ?? 1));
    n = L * (rot / 2);
    what = `rotary inv_freq (${L} x ${rot / 2}, persistent before transformers 4.32; saved with ${v.join(".")})`;
  } else if (det.family === "chatglm") {
    n = hd / 4;
    what = `rotary_pos_emb.inv_freq (${hd / 4})`;
  } else if (det.family === "gpt2" && v === null && norm.maxPositions !== null) {
    n = L * norm.maxPositions * norm.maxPositions;
    what = `causal-mask attn.bias (${L} x ${norm.maxPositions}^2) of the original GPT-2 checkpoints (config has no transformers_version)`;
  }
  if (n > 0) {
    acc.add("buffers", "small", n);
    acc.buffers += n;
    findings.push({
      severity: "info",
      code: "PARAMS_BUFFERS",
      message: `total includes ${n.toLocaleString("en-US")} elements of stored buffers: ${what}; unique/active exclude them`,
    });
  }
}

// ---------------------------------------------------------------------------------------------
// dtype split

const TORCH_TO_ST: Record<string, string> = {
  bfloat16: "BF16",
  float16: "F16",
  half: "F16",
  float32: "F32",
  float: "F32",
  float64: "F64",
};

/**
 * Logical parameters by storage dtype, in safetensors dtype names (what a header count reports).
 * Quantized checkpoints: block matrices (and routed experts) take the quantized container dtype
 * (F8_E4M3, U8 for MXFP4/NVFP4/bnb-4bit, I8 for bnb-int8, U32 for MLX, I32 for GPTQ/AWQ packs),
 * honouring modules_to_not_convert; embeddings, router, norms and biases keep torch_dtype.
 */
function byDtype(norm: NormalizedConfig, parts: ParamPart[], findings: Finding[]): Record<string, number> {
  const wf = formatFromConfig(norm.raw);
  const f = wf?.format ?? "";
  let base = norm.dtype ? TORCH_TO_ST[norm.dtype.toLowerCase()] ?? norm.dtype.toUpperCase() : "UNKNOWN";
  if (!norm.dtype && f === "mxfp4") {
    base = "BF16";
    findings.push({ severity: "info", code: "PARAMS_DTYPE_ASSUMED", message: "no torch_dtype: the unquantized tensors of an MXFP4 checkpoint are taken as BF16" });
  } else if (!norm.dtype) {
    findings.push({ severity: "info", code: "PARAMS_DTYPE_UNKNOWN", message: "config has no torch_dtype/dtype: byDtype reports UNKNOWN" });
  }
  let q: string | null = null;
  if (f.startsWith("fp8-e5m2")) q = "F8_E5M2";
  else if (f.startsWith("fp8")) q = "F8_E4M3";
  else if (f === "mxfp4" || f === "nvfp4" || f.startsWith("bnb-nf4") || f.startsWith("bnb-fp4")) q = "U8";
  else if (f === "bnb-int8") q = "I8";
  else if (f.startsWith("mlx-")) q = "U32";
  else if (f.startsWith("gptq") || f.startsWith("awq") || f.startsWith("compressed-tensors-w4") || f.startsWith("compressed-tensors-w8")) q = "I32";
  const out: Record<string, number> = {};
  const put = (k: string, n: number) => {
    if (n > 0) out[k] = (out[k] ?? 0) + n;
  };
  if (!q) {
    for (const p of parts) put(base, p.count);
    return out;
  }
  const qc = norm.quantizationConfig ?? {};
  const skip = [
    ...(Array.isArray(qc["modules_to_not_convert"]) ? qc["modules_to_not_convert"] : []),
    ...(Array.isArray(qc["ignore"]) ? qc["ignore"] : []),
    ...(Array.isArray(qc["llm_int8_skip_modules"]) ? qc["llm_int8_skip_modules"] : []),
  ].filter((s): s is string => typeof s === "string");
  const attnSkipped = skip.some((s) => /self_attn|attention|attn/.test(s));
  const mlx = f.startsWith("mlx-");
  for (const p of parts) {
    const quantized =
      (p.role === "expert" ||
        (p.role === "matrix" && !(attnSkipped && (p.name === "attention" || p.name === "cross_attention")) && !(f === "mxfp4" && p.name !== "experts" && p.name !== "mtp")) ||
        (mlx && (p.role === "embedding" || p.role === "lm_head"))) &&
      p.name !== "positions";
    put(quantized ? q : base, p.count);
  }
  if (!isRecord(qc) || Object.keys(qc).length === 0) return out;
  findings.push({ severity: "info", code: "PARAMS_QUANT_SPLIT", message: `byDtype: quantized block matrices as ${q} (logical parameters, ${f}); the rest as ${base}` });
  return out;
}
