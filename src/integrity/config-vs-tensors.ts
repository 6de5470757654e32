/**
 * Config vs tensors: every dimension config.json states is checked against the tensor shapes that
 * carry it. Shapes are logical (packed quantized weights unpacked with `logicalDims`, the same rule
 * the fingerprint uses); 2-D weights match in either orientation (GPT-2's Conv1D stores [in, out]).
 *
 * | check                       | rule                                                                     |
 * |-----------------------------|--------------------------------------------------------------------------|
 * | cfg_embedding_shape         | token embeddings are [vocab_size, hidden_size]                            |
 * | cfg_lm_head_shape           | the output head is [vocab_size, hidden_size]                              |
 * | cfg_hidden_size             | the final norm is [hidden_size]                                           |
 * | cfg_layer_count             | num_hidden_layers == max layer index + 1 (MTP layers excluded)            |
 * | cfg_layer_missing           | no hole in the layer indices                                              |
 * | cfg_mtp_layers              | num_nextn_predict_layers == MTP layers found                              |
 * | cfg_attention_shape         | q: heads*hd x H; k/v: kv*hd x H; o: H x heads*hd; qkv: (heads+2kv)*hd x H |
 * | cfg_mla_shape               | kv_a_proj_with_mqa: (kv_lora+rope) x H; q_a: q_lora x H;                  |
 * |                             | q_b: heads*(nope+rope) x q_lora; kv_b: heads*(nope+v) x kv_lora;          |
 * |                             | o: H x heads*v; kv_a/q_a layernorms: [kv_lora] / [q_lora]                 |
 * | cfg_expert_count            | routed experts per MoE layer == the config's expert count                 |
 * | cfg_router_shape            | router [experts, H] (bias [experts])                                      |
 * | cfg_intermediate_size       | dense gate/up I x H, down H x I, fused gate_up 2I x H                     |
 * | cfg_moe_intermediate_size   | the same for routed experts with moe_intermediate_size                    |
 * | cfg_shared_expert_size      | the same for shared experts                                               |
 * | cfg_tied_lm_head_stored     | tie_word_embeddings: true and an lm_head stored (warning)                 |
 * | cfg_untied_lm_head_missing  | tie_word_embeddings: false and no lm_head                                 |
 * | cfg_tower_missing / _undeclared | vision / audio tower declared vs present                              |
 */
import { asInt, asBool, type Dim } from "../fingerprint/config.js";
import { logicalDims, QUANT_KINDS } from "../fingerprint/tensors.js";
import type { Finding, TensorKind, Topology } from "../fingerprint/types.js";
import { finding } from "./codes.js";
import { moeLayers } from "./moe.js";
import { listSome, matches2d, shapeStr, Violations, type ModelView, type TensorView } from "./view.js";

/** Names of the module that holds a vocabulary projection (the output head proper, not BERT's transform). */
const HEAD_MODULES: ReadonlySet<string> = new Set(["lm_head", "output", "embed_out", "proj_out", "output_layer", "head", "decoder", "unembedding"]);
const SKIP_EMBEDDING = /(?:^|\.)(?:token_type_embeddings|embed_tokens_per_layer|position_embeddings?|wpe|embed_positions)(?:\.|$)/;

function at(d: Dim, layer: number | null): number | null {
  if (layer !== null && d.perLayer && layer < d.perLayer.length) return d.perLayer[layer] ?? d.value;
  return d.value;
}

function moduleName(key: string): string {
  const parts = key.split(".");
  return parts.length >= 2 ? parts[parts.length - 2]! : "";
}

function weightLike(v: TensorView): boolean {
  return v.cls.leaf === "weight" || v.cls.leaf === "packed" || v.cls.leaf === "param";
}

export interface ConfigCheckInput {
  view: ModelView;
  topology: Topology | null;
}

/** What the per-tensor shape checks read from the config, worked out once per model. */
interface ShapeCtx {
  view: ModelView;
  norm: NonNullable<ModelView["norm"]>;
  viol: Violations;
  H: number | null;
  V: number | null;
  kvLora: number | null;
  isMla: boolean;
  qLora: number | null;
  nope: number | null;
  rope: number | null;
  vHead: number | null;
  outputGate: boolean;
  /** Qwen (v1) states intermediate_size as the sum of its two MLP branches. */
  interScale: number;
  moeI: number | null;
  sharedI: number | null;
  blocks: boolean;
}

export function checkConfigVsTensors({ view, topology }: ConfigCheckInput): Finding[] {
  const norm = view.norm;
  if (!norm) return [];
  const out: Finding[] = [];
  const t = norm.text;
  const kvLora = asInt(t["kv_lora_rank"]);
  // DeciLM / Nemotron-NAS: per-layer attention groups and FFN multipliers live in block_configs
  const blocks = Array.isArray(norm.raw["block_configs"]) || Array.isArray(t["block_configs"]);
  if (blocks) out.push(finding("cfg_per_layer_blocks", "config.json describes its layers in block_configs: attention and FFN width checks skipped", { key: "block_configs" }));
  const c: ShapeCtx = {
    view,
    norm,
    viol: new Violations(),
    H: norm.hiddenSize,
    V: norm.vocabSize,
    kvLora,
    isMla: kvLora !== null && kvLora > 0,
    qLora: asInt(t["q_lora_rank"]),
    nope: asInt(t["qk_nope_head_dim"]),
    rope: asInt(t["qk_rope_head_dim"]),
    vHead: asInt(t["v_head_dim"]),
    outputGate: asBool(t["attn_output_gate"]) === true,
    interScale: (norm.textModelType ?? "").toLowerCase() === "qwen" ? 0.5 : 1,
    moeI: norm.moeIntermediateSize ?? norm.intermediate.value,
    sharedI:
      norm.sharedExpertIntermediateSize ??
      (norm.moeIntermediateSize !== null && norm.numSharedExperts !== null && norm.numSharedExperts > 0 ? norm.moeIntermediateSize * norm.numSharedExperts : null),
    blocks,
  };
  // One small function per tensor and per kind of check: V8 optimizes each on its own, and a
  // model that reaches a branch no earlier model did recompiles only that small function.
  for (const v of view.tensors) checkTensorShape(c, v);
  out.push(...c.viol.findings());

  out.push(...checkLayers(view));
  out.push(...checkExperts(view));
  out.push(...checkTied(view, topology));
  out.push(...checkTowers(view));
  return out;
}

/**
 * Null when the weight's `dims` are {o, i} (either order) or the bias' last dimension is `o` (or a
 * bound is unknown); else what is wrong, without the reason (the caller adds it).
 */
function mismatch(v: TensorView, dims: readonly number[], isBias: boolean, o: number | null, i: number | null): string | null {
  if (o === null || i === null || o <= 0 || i <= 0) return null;
  if (isBias) return dims[dims.length - 1] !== o ? `bias has shape ${shapeStr(v.t.shape)} but config gives [${o}]` : null;
  if (matches2d(dims, o, i)) return null;
  return `shape ${shapeStr(dims)}${dims !== v.t.shape && dims.join() !== v.t.shape.join() ? ` (stored ${v.t.dtype} ${shapeStr(v.t.shape)})` : ""} but config gives [${o}, ${i}]`;
}

function checkTensorShape(c: ShapeCtx, v: TensorView): void {
  if (v.tower || QUANT_KINDS.has(v.cls.kind) || v.cls.leaf === "buffer") return;
  const k = v.cls.kind;
  const isBias = v.cls.leaf === "bias";
  if (!isBias && !weightLike(v)) return;
  const dims = isBias ? v.t.shape : logicalDims(v.t, v.cls, c.view.wf);
  if (!dims || dims.length === 0) return;
  const { H, V, viol } = c;

  // ---- embeddings, head, final norm (any stack, outside towers)
  if (k === "embedding" && !isBias && dims.length === 2 && !SKIP_EMBEDDING.test(v.key)) {
    if (V !== null && H !== null && (dims[0] !== V || dims[1] !== H)) {
      viol.add("cfg_embedding_shape", v, `shape ${shapeStr(dims)} but config gives [vocab_size ${V}, hidden_size ${H}]`);
    }
    return;
  }
  if (k === "lm_head" && !isBias && dims.length === 2 && HEAD_MODULES.has(moduleName(v.key))) {
    if (V !== null && H !== null && !matches2d(dims, V, H)) {
      viol.add("cfg_lm_head_shape", v, `shape ${shapeStr(dims)} but config gives [vocab_size ${V}, hidden_size ${H}]`);
    }
    return;
  }
  if (k === "final_norm" && !isBias && dims.length === 1 && v.layer === null) {
    if (H !== null && dims[0] !== H) viol.add("cfg_hidden_size", v, `shape ${shapeStr(dims)} but hidden_size is ${H}`);
    return;
  }
  if (v.layer === null || c.blocks) return;

  const inMain = v.stack === c.view.stack;
  if (k === "expert" || k === "shared_expert") {
    const role = v.cls.role;
    if (role === "ffn_gate" || role === "ffn_up" || role === "ffn_down" || role === "ffn_gate_up") checkFfnWidth(c, v, dims, isBias, k, role, inMain);
    return;
  }
  if (c.isMla) checkMlaShape(c, v, dims, isBias, k, inMain);
  else checkAttentionShape(c, v, dims, isBias, k, inMain);
  if (k === "ffn_gate" || k === "ffn_up" || k === "ffn_down" || k === "ffn_gate_up") checkFfnWidth(c, v, dims, isBias, k, k, inMain);
}

function headsOf(c: ShapeCtx, v: TensorView, inMain: boolean): number | null {
  const enc = c.norm.encoderDecoder;
  return enc && !inMain ? (enc.encoderHeads ?? at(c.norm.heads, null)) : at(c.norm.heads, v.layer);
}

function checkMlaShape(c: ShapeCtx, v: TensorView, dims: readonly number[], isBias: boolean, k: TensorKind, inMain: boolean): void {
  if (
    k !== "mla_kv_a" &&
    k !== "mla_q_a" &&
    k !== "mla_q_b" &&
    k !== "attn_q" &&
    k !== "mla_kv_b" &&
    k !== "attn_o" &&
    k !== "mla_kv_a_norm" &&
    k !== "mla_q_a_norm"
  ) {
    return;
  }
  const { H, kvLora, qLora, nope, rope, vHead } = c;
  const heads = headsOf(c, v, inMain);
  const qk = nope !== null && rope !== null ? nope + rope : null;
  let o: number | null;
  let i: number | null;
  let why: () => string;
  const hds = () => `heads ${heads} x (qk_nope ${nope} + qk_rope ${rope})`;
  switch (k) {
    case "mla_kv_a":
      o = rope !== null ? kvLora! + rope : null;
      i = H;
      why = () => `kv_lora_rank ${kvLora} + qk_rope_head_dim ${rope} by hidden_size ${H}`;
      break;
    case "mla_q_a":
      o = qLora;
      i = H;
      why = () => `q_lora_rank ${qLora} by hidden_size ${H}`;
      break;
    case "mla_q_b":
      o = heads !== null && qk !== null ? heads * qk : null;
      i = qLora;
      why = () => `${hds()} by q_lora_rank ${qLora}`;
      break;
    case "attn_q":
      o = heads !== null && qk !== null ? heads * qk : null;
      i = H;
      why = () => `${hds()} by hidden_size ${H}`;
      break;
    case "mla_kv_b":
      o = heads !== null && nope !== null && vHead !== null ? heads * (nope + vHead) : null;
      i = kvLora;
      why = () => `heads ${heads} x (qk_nope ${nope} + v_head_dim ${vHead}) by kv_lora_rank ${kvLora}`;
      break;
    case "attn_o":
      o = H;
      i = heads !== null && vHead !== null ? heads * vHead : null;
      why = () => `hidden_size ${H} by heads ${heads} x v_head_dim ${vHead}`;
      break;
    case "mla_kv_a_norm":
      if (!isBias && dims.length === 1 && dims[0] !== kvLora) c.viol.add("cfg_mla_shape", v, `shape ${shapeStr(dims)} but kv_lora_rank is ${kvLora}`);
      return;
    default: // mla_q_a_norm
      if (!isBias && dims.length === 1 && qLora !== null && dims[0] !== qLora) c.viol.add("cfg_mla_shape", v, `shape ${shapeStr(dims)} but q_lora_rank is ${qLora}`);
      return;
  }
  const bad = mismatch(v, dims, isBias, o, i);
  if (bad !== null) c.viol.add("cfg_mla_shape", v, `${bad} (${why()})`);
}

function checkAttentionShape(c: ShapeCtx, v: TensorView, dims: readonly number[], isBias: boolean, k: TensorKind, inMain: boolean): void {
  if (k !== "attn_q" && k !== "attn_k" && k !== "attn_v" && k !== "attn_qkv" && k !== "attn_o") return;
  const { H, norm } = c;
  const enc = norm.encoderDecoder;
  const heads = headsOf(c, v, inMain);
  const kv = enc && !inMain ? (enc.encoderHeads ?? at(norm.kvHeads, null)) : (at(norm.kvHeads, v.layer) ?? heads);
  const hd = norm.headDim ?? (H !== null && heads ? H / heads : null);
  if (!(heads !== null && heads > 0 && hd !== null && Number.isInteger(hd))) return;
  const kvN = kv ?? heads;
  let bad: string | null;
  switch (k) {
    case "attn_q": {
      const o = heads * hd;
      const ok = c.outputGate && !isBias ? matches2d(dims, 2 * o, H ?? -1) : false;
      if (!ok && (bad = mismatch(v, dims, isBias, o, H)) !== null) {
        c.viol.add("cfg_attention_shape", v, `${bad} (num_attention_heads ${heads} x head_dim ${hd} by hidden_size ${H})`);
      }
      break;
    }
    case "attn_k":
    case "attn_v":
      if (kvN > 0 && (bad = mismatch(v, dims, isBias, kvN * hd, H)) !== null) {
        c.viol.add("cfg_attention_shape", v, `${bad} (num_key_value_heads ${kvN} x head_dim ${hd} by hidden_size ${H})`);
      }
      break;
    case "attn_qkv":
      if ((bad = mismatch(v, dims, isBias, (heads + 2 * kvN) * hd, H)) !== null) {
        c.viol.add("cfg_attention_shape", v, `${bad} ((num_attention_heads ${heads} + 2 x num_key_value_heads ${kvN}) x head_dim ${hd} by hidden_size ${H})`);
      }
      break;
    default: // attn_o
      if ((bad = mismatch(v, dims, isBias, H, heads * hd)) !== null) {
        c.viol.add("cfg_attention_shape", v, `${bad} (hidden_size ${H} by num_attention_heads ${heads} x head_dim ${hd})`);
      }
      break;
  }
}

// ---- FFN widths
function checkFfnWidth(c: ShapeCtx, v: TensorView, dims: readonly number[], isBias: boolean, k: TensorKind, role: TensorKind, inMain: boolean): void {
  const { norm, H } = c;
  let code: "cfg_intermediate_size" | "cfg_moe_intermediate_size" | "cfg_shared_expert_size";
  let width: number | null;
  let i: number | null = null;
  if (k === "expert") {
    code = "cfg_moe_intermediate_size";
    width = c.moeI;
  } else if (k === "shared_expert") {
    code = "cfg_shared_expert_size";
    width = c.sharedI;
  } else {
    code = "cfg_intermediate_size";
    const enc = norm.encoderDecoder;
    i = enc && !inMain ? (enc.encoderFfn ?? at(norm.intermediate, null)) : at(norm.intermediate, v.layer);
    width = i !== null ? i * c.interScale : null;
  }
  if (width === null || !Number.isInteger(width) || width <= 0) return;
  const down = role === "ffn_down";
  const o = down ? H : role === "ffn_gate_up" ? 2 * width : width;
  const bad = mismatch(v, dims, isBias, o, down ? width : H);
  if (bad === null) return;
  let label: string;
  if (k === "expert") label = norm.moeIntermediateSize !== null ? `moe_intermediate_size ${c.moeI}` : `intermediate_size ${c.moeI}`;
  else if (k === "shared_expert") label = norm.sharedExpertIntermediateSize !== null ? `shared_expert_intermediate_size ${c.sharedI}` : `moe_intermediate_size x n_shared_experts = ${c.sharedI}`;
  else label = c.interScale !== 1 ? `intermediate_size ${i} / 2 (Qwen v1 states both branches)` : `intermediate_size ${i}`;
  const why = down ? `hidden_size ${H} by ${label}` : role === "ffn_gate_up" ? `2 x ${label} by hidden_size ${H}` : `${label} by hidden_size ${H}`;
  c.viol.add(code, v, `${bad} (${why})`);
}

function checkLayers(view: ModelView): Finding[] {
  const norm = view.norm!;
  const out: Finding[] = [];
  const count = (idx: readonly number[]) => (idx.length > 0 ? idx[idx.length - 1]! + 1 : 0);
  const holes = (idx: readonly number[]): number[] => {
    const present = new Set(idx);
    const missing: number[] = [];
    for (let l = 0; l < count(idx); l++) if (!present.has(l)) missing.push(l);
    return missing;
  };
  const stacks: { name: string; idx: number[]; expected: number | null; key: string }[] = [];
  const enc = norm.encoderDecoder;
  if (view.stack !== null) {
    stacks.push({ name: view.stack, idx: view.mainIdx, expected: enc ? (enc.decoderLayers ?? norm.numLayers) : norm.numLayers, key: enc ? "decoder_layers" : "num_hidden_layers" });
  }
  if (enc) {
    for (const [name, set] of view.stacks) {
      if (name === view.stack || !/(?:^|\.)encoder(?:\.|$)/.test(name)) continue;
      stacks.push({ name, idx: [...set].sort((a, b) => a - b), expected: enc.encoderLayers ?? norm.numLayers, key: "encoder_layers" });
    }
  }
  for (const s of stacks) {
    const n = count(s.idx);
    if (s.expected !== null && n !== s.expected) {
      out.push(finding("cfg_layer_count", `${s.key} is ${s.expected} but layer stack ${s.name} has indices 0..${n - 1} (${n} layers)`, { key: s.name }));
    }
    const miss = holes(s.idx);
    if (miss.length > 0) {
      out.push(
        finding("cfg_layer_missing", `layer stack ${s.name} has no tensor for layer(s) ${listSome(miss, 10)} of 0..${n - 1}`, { key: `${s.name}.${miss[0]}` }),
      );
    }
  }
  const nextn = asInt(norm.text["num_nextn_predict_layers"]);
  if (nextn !== null && nextn !== view.mtpIdx.length) {
    out.push(
      finding(
        "cfg_mtp_layers",
        `num_nextn_predict_layers is ${nextn} but the weights hold ${view.mtpIdx.length} multi-token-prediction layer(s)${view.mtpIdx.length > 0 ? ` (${view.stack}.${listSome(view.mtpIdx)})` : ""}`,
        { key: "num_nextn_predict_layers" },
      ),
    );
  }
  return out;
}

function checkExperts(view: ModelView): Finding[] {
  const norm = view.norm!;
  const out: Finding[] = [];
  const E = norm.numExperts;
  const H = norm.hiddenSize;
  const layers = moeLayers(view);
  const moe = [...layers.values()].filter((l) => l.experts > 0);
  // num_experts 0 / 1 is a dense placeholder in some configs
  const declared = E !== null && E > 1;
  if (declared && moe.length === 0 && view.layers.size > 0) {
    out.push(finding("cfg_expert_count", `config declares ${E} experts but the weights hold no routed expert tensor`, { key: "num_experts" }));
  } else if (!declared && moe.length > 0) {
    const l = moe[0]!;
    out.push(
      finding("cfg_expert_count", `the weights hold routed experts (${l.experts} in ${l.prefix}) but config.json declares no expert count (num_local_experts / n_routed_experts / num_experts)`, {
        key: l.prefix,
      }),
    );
  } else if (declared) {
    const bad = moe.filter((l) => l.experts !== E);
    if (bad.length > 0) {
      out.push(
        finding("cfg_expert_count", `config declares ${E} experts per layer but ${bad.length} MoE layer(s) hold another number: ${listSome(bad, 5, (l) => `${l.prefix} has ${l.experts}`)}`, {
          key: bad[0]!.prefix,
        }),
      );
    }
  }
  if (declared && H !== null) {
    const viol = new Violations();
    for (const l of layers.values()) {
      for (const r of l.routers) {
        const s = r.t.shape;
        if (r.cls.leaf === "bias") {
          if (s.length !== 1 || s[0] !== E) viol.add("cfg_router_shape", r, `router bias has shape ${shapeStr(s)} but config gives [${E}] (experts)`);
        } else if (s.length !== 2 || !matches2d(s, E, H)) {
          viol.add("cfg_router_shape", r, `router has shape ${shapeStr(s)} but config gives [${E}, ${H}] (experts by hidden_size)`);
        }
      }
    }
    out.push(...viol.findings());
  }
  return out;
}

function checkTied(view: ModelView, topology: Topology | null): Finding[] {
  const norm = view.norm!;
  const tie = norm.tieWordEmbeddings;
  if (tie === null || topology === "encoder-only") return [];
  let head: TensorView | null = null;
  let emb = false;
  for (const v of view.tensors) {
    if (v.tower || v.layer !== null || v.cls.leaf !== "weight" && v.cls.leaf !== "packed") continue;
    if (v.cls.kind === "embedding") emb = true;
    else if (v.cls.kind === "lm_head" && head === null && HEAD_MODULES.has(moduleName(v.key))) head = v;
  }
  if (tie && head) {
    return [
      finding("cfg_tied_lm_head_stored", `tie_word_embeddings is true but ${head.t.name} is stored in ${head.t.file}: engines that tie ignore it, others load it`, {
        tensor: head.t.name,
        key: "tie_word_embeddings",
        file: head.t.file,
      }),
    ];
  }
  if (!tie && !head && emb && view.layers.size > 0) {
    return [finding("cfg_untied_lm_head_missing", "tie_word_embeddings is false but the weights hold no lm_head: the output head would be left uninitialised", { key: "tie_word_embeddings" })];
  }
  return [];
}

function checkTowers(view: ModelView): Finding[] {
  const norm = view.norm!;
  if (view.format !== "safetensors") return [];
  const out: Finding[] = [];
  const present = new Map<string, TensorView>();
  for (const v of view.tensors) {
    if ((v.cls.kind === "vision" || v.cls.kind === "audio") && !present.has(v.cls.kind)) present.set(v.cls.kind, v);
  }
  for (const tower of ["vision", "audio"] as const) {
    const declared = norm.modality.includes(tower);
    const t = present.get(tower);
    const where = tower === "vision" ? (norm.towers.sources.filter((s) => !/audio/.test(s))[0] ?? "vision_config") : (norm.towers.sources.find((s) => /audio/.test(s)) ?? "audio_config");
    if (declared && !t) out.push(finding("cfg_tower_missing", `config.json declares a ${tower} tower (${where}) but the weights hold no ${tower} tensor`, { key: where }));
    if (!declared && t) {
      out.push(finding("cfg_tower_undeclared", `${t.t.name} belongs to a ${tower} tower that config.json does not declare`, { tensor: t.t.name, file: t.t.file }));
    }
  }
  return out;
}
