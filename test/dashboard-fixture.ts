/**
 * Dashboard fixtures: the report fixtures (test/support/results-fixture.ts) carry no weight
 * signatures, so the module tree would be empty. `withSignatures` gives every model that was read
 * from tensor headers a signature: the crafted checkpoints of test/support/tensor-fixtures.ts for the
 * Llama and gpt-oss models of the realistic zoo, a synthetic one (from features and scale) for the
 * others. Config-only and unknown models keep `signature: null`, as real results do.
 * Also: a 12-model zoo, a deterministic weekly history, and a hostile model id.
 */
import { buildSignature } from "../src/fingerprint/tensors.js";
import type { AbstractTensor, Fingerprint, TensorKind, WeightSignature } from "../src/fingerprint/types.js";
import { historyEntryFor, type HistoryEntry } from "../src/report/html.js";
import type { Results } from "../src/report/types.js";
import {
  bigZooResults,
  buildResults,
  GATED,
  GPT_OSS_120B,
  GPT_OSS_20B,
  LLAMA_70B,
  LLAMA_8B,
  LLAMA_FP8,
  MIXTRAL,
  MISTRAL,
  ZOO_EXPECTATIONS,
  ZOO_INTEGRITY,
  ZOO_PAIRS,
  ZOO_SPECS,
  zooResults,
} from "./support/results-fixture.js";
import { gptOssTensors, LLAMA_31_8B, LLAMA_33_70B, llamaTensors } from "./support/tensor-fixtures.js";

export { GATED, GPT_OSS_120B, GPT_OSS_20B, LLAMA_70B, LLAMA_8B, LLAMA_FP8, MISTRAL };

const STORAGE: Record<string, string> = { bf16: "BF16", "fp8-e4m3": "F8_E4M3", "fp8-e4m3-block": "F8_E4M3", "gptq-int4": "I32", "awq-int4": "I32", mxfp4: "U8" };

/** A plausible signature from features and scale (no tensors): embeddings, per-layer attention / FFN or experts, norms, head. */
export function syntheticSignature(fp: Fingerprint): WeightSignature {
  const f = fp.features;
  const s = fp.scale;
  const L = s.layers ?? 2;
  const H = s.hiddenSize ?? 1024;
  const heads = s.heads ?? 16;
  const kv = s.kvHeads ?? heads;
  const hd = f.headDim ?? Math.round(H / heads);
  const I = s.intermediateSize ?? 4 * H;
  const V = s.vocabSize ?? 32000;
  const E = s.experts ?? 8;
  const dt = STORAGE[f.weightFormat ?? "bf16"] ?? "BF16";
  const keys: Record<string, AbstractTensor> = {};
  const add = (key: string, shape: number[], kind: TensorKind, count = 1, dtype = "BF16"): void => {
    keys[key] = { shape, dtype, count, kind };
  };
  const p = "model.layers.{L}";
  add("model.embed_tokens.weight", [V, H], "embedding");
  add(`${p}.input_layernorm.weight`, [H], "norm", L);
  add(`${p}.post_attention_layernorm.weight`, [H], "norm", L);
  if (f.attentionFamily === "mla") {
    add(`${p}.self_attn.q_a_proj.weight`, [1536, H], "mla_q_a", L, dt);
    add(`${p}.self_attn.q_a_layernorm.weight`, [1536], "mla_q_a_norm", L);
    add(`${p}.self_attn.q_b_proj.weight`, [heads * 192, 1536], "mla_q_b", L, dt);
    add(`${p}.self_attn.kv_a_proj_with_mqa.weight`, [576, H], "mla_kv_a", L, dt);
    add(`${p}.self_attn.kv_a_layernorm.weight`, [512], "mla_kv_a_norm", L);
    add(`${p}.self_attn.kv_b_proj.weight`, [heads * 256, 512], "mla_kv_b", L, dt);
  } else {
    add(`${p}.self_attn.q_proj.weight`, [heads * hd, H], "attn_q", L, dt);
    add(`${p}.self_attn.k_proj.weight`, [kv * hd, H], "attn_k", L, dt);
    add(`${p}.self_attn.v_proj.weight`, [kv * hd, H], "attn_v", L, dt);
    if (f.qkvBias) for (const x of ["q", "k", "v"] as const) add(`${p}.self_attn.${x}_proj.bias`, [(x === "q" ? heads : kv) * hd], `attn_${x}`, L);
    if (f.qkNorm) {
      add(`${p}.self_attn.q_norm.weight`, [hd], "attn_q_norm", L);
      add(`${p}.self_attn.k_norm.weight`, [hd], "attn_k_norm", L);
    }
    if (f.attentionSinks) add(`${p}.self_attn.sinks`, [heads], "attn_sinks", L);
  }
  add(`${p}.self_attn.o_proj.weight`, [H, heads * hd], "attn_o", L, dt);
  const ffn = (prefix: string, width: number, count: number, kind: TensorKind): void => {
    if (f.ffnFamily !== "plain") add(`${prefix}.gate_proj.weight`, [width, H], kind, count, dt);
    add(`${prefix}.up_proj.weight`, [width, H], kind, count, dt);
    add(`${prefix}.down_proj.weight`, [H, width], kind, count, dt);
  };
  if (f.moe) {
    add(`${p}.mlp.gate.weight`, [E, H], "moe_router", L);
    ffn(`${p}.mlp.experts.{E}`, s.moeIntermediateSize ?? I, L * E, "expert");
    if (f.sharedExperts) ffn(`${p}.mlp.shared_experts`, s.moeIntermediateSize ?? I, L, "shared_expert");
  } else ffn(`${p}.mlp`, I, L, f.ffnFamily === "plain" ? "ffn_up" : "ffn_gate");
  add("model.norm.weight", [H], "final_norm");
  if (!f.tiedEmbeddings) add("lm_head.weight", [V, H], "lm_head");
  const sorted: Record<string, AbstractTensor> = {};
  const kinds: Partial<Record<TensorKind, number>> = {};
  for (const k of Object.keys(keys).sort()) {
    const t = keys[k]!;
    sorted[k] = t;
    kinds[t.kind] = (kinds[t.kind] ?? 0) + t.count;
  }
  return { keys: sorted, kinds };
}

const REAL: Record<string, () => WeightSignature> = {
  [LLAMA_8B]: () => buildSignature(llamaTensors("bf16", LLAMA_31_8B)),
  [LLAMA_70B]: () => buildSignature(llamaTensors("bf16", LLAMA_33_70B)),
  [LLAMA_FP8]: () => buildSignature(llamaTensors("fp8-block", LLAMA_31_8B)),
  [MISTRAL]: () => buildSignature(llamaTensors("bf16", { ...LLAMA_31_8B, vocab: 32768 })),
  [GPT_OSS_20B]: () => buildSignature(gptOssTensors(24, 32)),
  [GPT_OSS_120B]: () => buildSignature(gptOssTensors(36, 128)),
};

/** Give every model read from tensor headers a signature (in place; returns the results). */
export function withSignatures(results: Results): Results {
  for (const m of results.models) {
    if (m.status !== "ok" || m.source.format !== "safetensors" || m.signature) continue;
    m.signature = REAL[m.model]?.() ?? syntheticSignature(m);
  }
  return results;
}

/** The realistic zoo (13 models) with signatures. */
export function realisticZoo(): Results {
  return withSignatures(zooResults());
}

/** 12 models: the realistic zoo without Mixtral (gated model, FP8 integrity failure and the FULL pairs kept). */
export function zoo12(): Results {
  const specs = ZOO_SPECS.filter((s) => s.id !== MIXTRAL);
  const pairs = ZOO_PAIRS.filter((p) => p.target !== MIXTRAL && p.proxy !== MIXTRAL);
  return withSignatures(
    buildResults(specs, pairs, {
      aliases: [["MistralForCausalLM", "LlamaForCausalLM"]],
      integrity: ZOO_INTEGRITY,
      expectations: ZOO_EXPECTATIONS.filter((e) => e.model !== MIXTRAL),
    }),
  );
}

export function bigZoo(n: number): Results {
  return withSignatures(bigZooResults(n));
}

/**
 * A deterministic weekly history ending at the results' date: counts wander around the current
 * ones, a model or two drifts every few weeks, integrity failures come and go.
 */
export function syntheticHistory(results: Results, weeks = 16): HistoryEntry[] {
  const now = historyEntryFor(results);
  const end = Date.parse(results.generatedAt.slice(0, 10));
  const ids = results.models.map((m) => m.model);
  const out: HistoryEntry[] = [];
  for (let w = weeks - 1; w >= 0; w--) {
    const date = new Date(end - w * 7 * 86_400_000).toISOString().slice(0, 10);
    const k = weeks - 1 - w;
    const wobble = (x: number, salt: number): number => Math.max(0, Math.round(x * (1 - 0.02 * ((k * 7 + salt) % 5)) - (w > 8 ? x * 0.05 : 0)));
    const drifted = w === 0 ? [] : k % 4 === 1 ? [ids[(k * 5) % ids.length]!] : k % 6 === 3 ? [ids[(k * 3) % ids.length]!, ids[(k * 11 + 1) % ids.length]!] : [];
    out.push({
      date,
      verdicts: {
        FULL_SUBSTITUTE: wobble(now.verdicts.FULL_SUBSTITUTE, 1),
        PARTIAL_SUBSTITUTE: wobble(now.verdicts.PARTIAL_SUBSTITUTE, 2),
        NO_SUBSTITUTE: wobble(now.verdicts.NO_SUBSTITUTE, 3),
        UNKNOWN: now.verdicts.UNKNOWN + (k % 5 === 2 ? 1 : 0),
      },
      integrityFailures: w === 0 ? now.integrityFailures : (k % 3) + (k > 10 ? 1 : 0),
      drifted: [...new Set(drifted)],
    });
  }
  return out;
}

export const HOSTILE_ID = `<img src=x onerror=alert(1)>`;
export const HOSTILE_REASON = `</script><script>alert(2)</script><!-- `;

/** The realistic zoo with a hostile model id (and hostile tag, finding, error) replacing the gated model. */
export function hostileZoo(): Results {
  const specs = ZOO_SPECS.map((s) =>
    s.id === GATED
      ? {
          ...s,
          id: HOSTILE_ID,
          tags: [`"><svg onload=alert(3)>`, ...s.tags.slice(1)],
          error: { code: "gated", message: `${HOSTILE_REASON} is gated`, hint: `<b onmouseover=alert(4)>hint</b>` },
        }
      : s,
  );
  const pairs = ZOO_PAIRS.map((p) => (p.target === GATED ? { ...p, target: HOSTILE_ID } : p));
  const integrity = { ...ZOO_INTEGRITY, [LLAMA_FP8]: [{ severity: "error" as const, code: "ST_OFFSET_GAP", message: HOSTILE_REASON, file: `<i>x</i>.safetensors` }] };
  return withSignatures(buildResults(specs, pairs, { aliases: [["MistralForCausalLM", "LlamaForCausalLM"]], integrity, name: `zoo <b>bold</b>` }));
}
