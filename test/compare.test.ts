/**
 * Unit tests of src/compare: null handling, engine aliases, directional coverage, UNKNOWN, reason
 * order and formatting, scale ratios, the three-phase isomorphism (head_dim fix, GQA, quantized
 * copies, config-only fallback), the compact matrix against full comparisons cell by cell, and a
 * 1,000-fingerprint matrix timing.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  compareAllPairs,
  compareSelected,
  CompareContext,
  compareFingerprints,
  comparePairs,
  isomorphism,
  meetsRequirement,
  REASON_ORDER,
  verdictMatrix,
  type Comparison,
  type Verdict,
} from "../src/compare/index.js";
import { unknownFingerprint } from "../src/fingerprint/build.js";
import { FEATURE_REGISTRY, SCALE_REGISTRY } from "../src/fingerprint/features.js";
import type { Features, Fingerprint } from "../src/fingerprint/types.js";
import type { MatrixCell } from "../src/report/types.js";
import { synthesizeTensors, tinyConfig } from "./hub/synth.js";
import { corpusModels, describeCorpus, readCorpusJson } from "./support/corpus.js";
import { corpusFingerprint, fingerprintFromConfig, fingerprintFromTensors } from "./support/fingerprints.js";
import { llamaConfig, llamaTensors, QUANT_KINDS } from "./support/tensor-fixtures.js";

const REG_INDEX = new Map(FEATURE_REGISTRY.map((f, i) => [f.key, i]));

function withFeatures(fp: Fingerprint, patch: Partial<Features>, model = fp.model): Fingerprint {
  return { ...fp, model, features: { ...fp.features, ...patch } };
}
function keys(c: Comparison): string[] {
  return c.reasons.map((r) => r.feature);
}
function gated(model: string): Fingerprint {
  return unknownFingerprint(
    model,
    { kind: "hub", repo: model, revision: "main" },
    { code: "gated", message: `gated repo: ${model} requires accepting its license` },
    { requests: 1, bytes: 0, cached: false },
  );
}

const tiny = (model: string, overrides: Record<string, unknown> = {}) => fingerprintFromConfig(model, tinyConfig(overrides));
const BASE = tiny("tiny/base");

/** Reasons are ordered: block graph first, then verdicts.md group (= registry) order. */
function expectOrdered(c: Comparison): void {
  const rank = (k: string) => REASON_ORDER.indexOf(k as keyof Features);
  const ranks = c.reasons.map((r) => rank(r.feature));
  expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
}

describe("verdict basics", () => {
  it("identical fingerprints are FULL with every applicable feature covered", () => {
    const c = compareFingerprints(BASE, tiny("tiny/other"));
    expect(c.verdict).toBe("FULL_SUBSTITUTE");
    expect(c.reasons).toEqual([]);
    expect(c.unverified).toEqual([]);
    expect(c.covered.length).toBe(FEATURE_REGISTRY.length);
    expect(c.isomorphism.verdict).toBe("ISOMORPHIC");
  });

  it("a block-graph difference is NO, any other difference PARTIAL, with registry-formatted values", () => {
    const no = compareFingerprints(withFeatures(BASE, { normKind: "layernorm" }), BASE);
    expect(no.verdict).toBe("NO_SUBSTITUTE");
    expect(no.reasons[0]).toMatchObject({ feature: "normKind", proxy: "LayerNorm", target: "RMSNorm", blockGraph: true, group: "norm", label: "Norm kind" });
    const partial = compareFingerprints(withFeatures(BASE, { tiedEmbeddings: true }), BASE);
    expect(partial.verdict).toBe("PARTIAL_SUBSTITUTE");
    expect(partial.reasons).toEqual([
      { feature: "tiedEmbeddings", group: "embeddings", label: "Tied embeddings", proxy: "tied", target: "untied", blockGraph: false },
    ]);
  });

  it("the quantized-copy reason reads 'Weight format: bf16 vs fp8-e4m3-block'", () => {
    const c = compareFingerprints(BASE, withFeatures(BASE, { weightFormat: "fp8-e4m3-block" }));
    expect(c.reasons.map((r) => `${r.label}: ${r.proxy} vs ${r.target}`)).toEqual(["Weight format: bf16 vs fp8-e4m3-block"]);
  });

  it("orders reasons block graph first, then group order", () => {
    const p = withFeatures(BASE, { weightFormat: "fp16", architecture: "X", ffnFamily: "plain", modality: ["vision"], headDim: 64, normKind: "layernorm" });
    const t = withFeatures(BASE, { modality: ["audio"] });
    const c = compareFingerprints(p, t);
    expect(keys(c)).toEqual(["ffnFamily", "normKind", "architecture", "headDim", "weightFormat", "modality"]);
    expectOrdered(c);
  });

  it("reports every scale parameter as target/proxy", () => {
    const p = tiny("tiny/p");
    const t = tiny("tiny/t", { hidden_size: 256, num_hidden_layers: 5, intermediate_size: 512, num_attention_heads: 16, num_key_value_heads: 8 });
    const c = compareFingerprints(p, t);
    expect(c.scale.map((s) => s.key)).toEqual(SCALE_REGISTRY.map((s) => s.key));
    const by = new Map(c.scale.map((s) => [s.key, s]));
    expect(by.get("hiddenSize")).toMatchObject({ proxy: 64, target: 256, ratio: 4, label: "Hidden size" });
    expect(by.get("layers")!.ratio).toBe(2.5);
    expect(by.get("kvHeads")!.ratio).toBe(4);
    expect(by.get("kvLoraRank")).toMatchObject({ proxy: null, target: null, ratio: null });
    expect(c.verdict).toBe("FULL_SUBSTITUTE"); // scale never changes the verdict
  });
});

describe("null handling", () => {
  it("both n/a (dense routing details, MLA dims of standard attention) is equal and covered, not unverified", () => {
    const c = compareFingerprints(BASE, tiny("tiny/x"));
    for (const k of ["moeTopK", "sharedExperts", "routerScoring", "mla"] as const) {
      expect(BASE.features[k]).toBeNull();
      expect(c.covered).toContain(k);
    }
    expect(c.unverified).toEqual([]);
  });

  it("unknown on one side is unverified and caps the verdict at PARTIAL (never silently FULL)", () => {
    for (const [p, t, note] of [
      [withFeatures(BASE, { weightFormat: null }), BASE, "unknown on the proxy"],
      [BASE, withFeatures(BASE, { weightFormat: null }), "unknown on the target"],
    ] as const) {
      const c = compareFingerprints(p, t);
      expect(c.verdict).toBe("PARTIAL_SUBSTITUTE");
      expect(c.reasons).toEqual([]);
      expect(c.unverified).toEqual([expect.objectContaining({ feature: "weightFormat", note })]);
      expect(c.covered).not.toContain("weightFormat");
    }
  });

  it("unknown on both sides is unverified but does not cap (gpt2 configs carry no dtype)", () => {
    const a = withFeatures(BASE, { weightFormat: null });
    const c = compareFingerprints(a, withFeatures(a, {}, "tiny/b"));
    expect(c.verdict).toBe("FULL_SUBSTITUTE");
    expect(c.unverified).toEqual([expect.objectContaining({ feature: "weightFormat", note: "unknown on both sides", proxy: "unknown", target: "unknown" })]);
  });

  it("a block-graph feature unknown on both sides caps the verdict at PARTIAL", () => {
    const a = withFeatures(BASE, { layerKinds: null });
    const c = compareFingerprints(a, withFeatures(a, {}, "tiny/b"));
    expect(c.verdict).toBe("PARTIAL_SUBSTITUTE");
    expect(c.unverified[0]).toMatchObject({ feature: "layerKinds", note: "unknown on both sides: block graph not verified" });
  });

  it("a known block-graph difference is NO even when other features are unknown", () => {
    const c = compareFingerprints(withFeatures(BASE, { moe: true, moeTopK: null, weightFormat: null }), BASE);
    expect(c.verdict).toBe("NO_SUBSTITUTE");
    expect(keys(c)).toEqual(["moe"]);
  });

  it("dependents of a differing gate fold into the gate's reason (no n/a reasons)", () => {
    const moe = withFeatures(BASE, { moe: true, moeTopK: 8, sharedExperts: false, routerScoring: "softmax", groupedTopK: 1, denseLayerPrefix: 0, routerTopKNorm: true, routerBias: false });
    const c = compareFingerprints(BASE, moe);
    expect(keys(c)).toEqual(["moe"]);
    expect(c.reasons[0]!.note).toContain("MoE top-k 8");
    expect(c.covered).not.toContain("moeTopK");
    // Other direction: the target's routing details are n/a, nothing to cover.
    const r = compareFingerprints(moe, BASE);
    expect(keys(r)).toEqual(["moe"]);
    expect(r.reasons[0]!.note).toBeUndefined();
  });

  it("a value where the proxy is n/a without a differing gate is a reason (inconsistent data is not hidden)", () => {
    const c = compareFingerprints(withFeatures(BASE, { headDim: null, attentionFamily: "linear" }), withFeatures(BASE, { attentionFamily: "linear" }));
    expect(keys(c)).toEqual(["headDim"]);
    expect(c.reasons[0]!.note).toBe("not applicable on the proxy");
  });

  it("never compares an empty fingerprint: UNKNOWN with the reason", () => {
    const empty = withFeatures(BASE, Object.fromEntries(FEATURE_REGISTRY.map((f) => [f.key, null])) as Partial<Features>, "x/empty");
    const c = compareFingerprints(BASE, empty);
    expect(c.verdict).toBe("UNKNOWN");
    expect(c.error).toMatch(/^target x\/empty has an empty fingerprint/);
    expect(isomorphism(BASE, empty).verdict).toBe("UNKNOWN");
    expect(c.isomorphism.verdict).toBe("UNKNOWN");
    // An unrecognized architecture: topology (from ...ForCausalLM) and dense (no experts) are known,
    // nothing about the blocks: still empty, never compared (not a PARTIAL with 20 unverified rows).
    const unknownFamily = fingerprintFromConfig("x/weird", { architectures: ["WeirdNetForCausalLM"], model_type: "weirdnet", hidden_size: 64 });
    expect(unknownFamily.features).toMatchObject({ topology: "decoder-only", moe: false, attentionFamily: null, ffnFamily: null });
    const u = compareFingerprints(unknownFamily, BASE);
    expect(u.verdict).toBe("UNKNOWN");
    expect(u.error).toBe(
      "proxy x/weird has an empty fingerprint: its block structure (layer kinds, attention family, FFN family, norm kind) is unknown (unrecognized architecture WeirdNetForCausalLM?); not compared",
    );
    // One block-structure feature known is enough to compare (the rest is unverified, capped at PARTIAL).
    const partial = compareFingerprints(withFeatures(unknownFamily, { ffnFamily: "gated" }), BASE);
    expect(partial.verdict).toBe("PARTIAL_SUBSTITUTE");
    expect(partial.unverified.length).toBeGreaterThan(10);
  });
});

describe("UNKNOWN sides", () => {
  it("names the side, the model and why", () => {
    const t = compareFingerprints(BASE, gated("meta-llama/X"));
    expect(t).toMatchObject({ verdict: "UNKNOWN", reasons: [], covered: [], target: "meta-llama/X", proxy: "tiny/base" });
    expect(t.error).toBe("target meta-llama/X could not be fingerprinted: gated repo: meta-llama/X requires accepting its license [gated]");
    expect(t.isomorphism.verdict).toBe("UNKNOWN");
    const p = compareFingerprints(gated("a/p"), BASE);
    expect(p.error).toMatch(/^proxy a\/p could not be fingerprinted: gated repo/);
    const both = compareFingerprints(gated("a/p"), gated("b/t"));
    expect(both.error).toMatch(/^target b\/t .*; proxy a\/p /);
  });

  it("comparePairs gives UNKNOWN for a model id without a fingerprint", () => {
    const [c] = comparePairs([BASE], [{ target: "nobody/none", proxy: "tiny/base" }]);
    expect(c!.verdict).toBe("UNKNOWN");
    expect(c!.error).toContain("target nobody/none could not be fingerprinted: no fingerprint");
  });
});

describe("engine aliases", () => {
  const llama = BASE;
  const mistral = withFeatures(BASE, { architecture: "MistralForCausalLM" }, "x/mistral");
  it("a differing class is a reason without an alias", () => {
    const c = compareFingerprints(mistral, llama);
    expect(c.verdict).toBe("PARTIAL_SUBSTITUTE");
    expect(keys(c)).toEqual(["architecture"]);
  });
  it("within one alias group it is not a reason but an extra 'engine alias'", () => {
    const c = compareFingerprints(mistral, llama, { aliases: [["LlamaForCausalLM", "MistralForCausalLM"]] });
    expect(c.verdict).toBe("FULL_SUBSTITUTE");
    expect(c.covered).toContain("architecture");
    expect(c.extras).toEqual([expect.objectContaining({ feature: "architecture", note: "engine alias", proxy: "MistralForCausalLM", target: "LlamaForCausalLM" })]);
  });
  it("an alias group does not join classes of other groups", () => {
    const c = compareFingerprints(mistral, llama, { aliases: [["LlamaForCausalLM", "X"], ["MistralForCausalLM", "Y"], ["Z"]] });
    expect(keys(c)).toEqual(["architecture"]);
  });
  it("groups sharing a class are joined (one implementation serves all of them)", () => {
    const c = compareFingerprints(mistral, llama, { aliases: [["Y", "MistralForCausalLM"], ["LlamaForCausalLM", "X"], ["X", "Y"]] });
    expect(c.verdict).toBe("FULL_SUBSTITUTE");
  });
});

describe("directional coverage", () => {
  const text = withFeatures(BASE, { modality: [] });
  const vision = withFeatures(BASE, { modality: ["vision"] }, "x/vl");
  const omni = withFeatures(BASE, { modality: ["audio", "vision"] }, "x/omni");
  const audio = withFeatures(BASE, { modality: ["audio"] }, "x/audio");
  it("a vision-language proxy covers a text target; the tower is an extra", () => {
    const c = compareFingerprints(vision, text);
    expect(c.verdict).toBe("FULL_SUBSTITUTE");
    expect(c.covered).toContain("modality");
    expect(c.extras).toEqual([expect.objectContaining({ feature: "modality", note: "proxy has an extra vision tower (not needed by the target)" })]);
  });
  it("the reverse leaves the vision tower uncovered", () => {
    const c = compareFingerprints(text, vision);
    expect(c.verdict).toBe("PARTIAL_SUBSTITUTE");
    expect(c.reasons).toEqual([expect.objectContaining({ feature: "modality", note: "vision tower uncovered", proxy: "none", target: "{vision}" })]);
  });
  it("towers are compared as sets", () => {
    expect(compareFingerprints(omni, vision).verdict).toBe("FULL_SUBSTITUTE");
    const c = compareFingerprints(vision, audio);
    expect(c.reasons[0]!.note).toBe("audio tower uncovered");
    expect(c.extras[0]!.note).toContain("vision");
    expect(compareFingerprints(text, omni).reasons[0]!.note).toBe("audio, vision towers uncovered");
  });
  it("NoPE layers: a proxy with NoPE layers covers an all-RoPE target, not the reverse", () => {
    const nope = withFeatures(BASE, { nopeLayers: true }, "x/nope");
    const c = compareFingerprints(nope, BASE);
    expect(c.verdict).toBe("FULL_SUBSTITUTE");
    expect(c.extras.map((e) => e.feature)).toEqual(["nopeLayers"]);
    expect(keys(compareFingerprints(BASE, nope))).toEqual(["nopeLayers"]);
  });
  it("everything else is exact in both directions (sliding window, biases, weight format, tied embeddings)", () => {
    for (const patch of [{ slidingWindow: "all" }, { qkvBias: true }, { weightFormat: "fp8-e4m3" }, { tiedEmbeddings: true }, { logitSoftcap: true }] as Partial<Features>[]) {
      const other = withFeatures(BASE, patch, "x/o");
      expect(compareFingerprints(other, BASE).verdict).toBe("PARTIAL_SUBSTITUTE");
      expect(compareFingerprints(BASE, other).verdict).toBe("PARTIAL_SUBSTITUTE");
    }
  });
});

describe("code-path identity of numeric features", () => {
  it("rotary 0.5 vs 0.4 is one partial path (a note); full vs partial is a reason", () => {
    const a = withFeatures(BASE, { partialRotary: 0.5 });
    const b = withFeatures(BASE, { partialRotary: 0.4 }, "x/b");
    const c = compareFingerprints(a, b);
    expect(c.verdict).toBe("FULL_SUBSTITUTE");
    expect(c.notes).toEqual(["Rotary fraction: 0.5 vs 0.4: same code path (partial rotary), not a reason"]);
    expect(keys(compareFingerprints(BASE, b))).toEqual(["partialRotary"]);
  });
  it("grouped top-k 4 vs 8 and dense prefix 1 vs 3 are parameters; grouped vs not, prefix vs none are paths", () => {
    const moe = withFeatures(BASE, { moe: true, moeTopK: 8, sharedExperts: true, routerScoring: "sigmoid", groupedTopK: 8, denseLayerPrefix: 3, routerTopKNorm: true, routerBias: true });
    expect(compareFingerprints(withFeatures(moe, { groupedTopK: 4, denseLayerPrefix: 1 }), moe).verdict).toBe("FULL_SUBSTITUTE");
    expect(keys(compareFingerprints(withFeatures(moe, { groupedTopK: 1, denseLayerPrefix: 0 }), moe))).toEqual(["groupedTopK", "denseLayerPrefix"]);
  });
  it("MoE top-k and head_dim stay exact (verdicts.md lists them)", () => {
    const moe = withFeatures(BASE, { moe: true, moeTopK: 8, sharedExperts: false, routerScoring: "softmax", groupedTopK: 1, denseLayerPrefix: 0, routerTopKNorm: true, routerBias: false });
    expect(keys(compareFingerprints(withFeatures(moe, { moeTopK: 6 }), moe))).toEqual(["moeTopK"]);
    expect(keys(compareFingerprints(withFeatures(BASE, { headDim: 64 }), BASE))).toEqual(["headDim"]);
  });
});

describe("meetsRequirement", () => {
  it("follows VERDICT_RANK", () => {
    const all: Verdict[] = ["FULL_SUBSTITUTE", "PARTIAL_SUBSTITUTE", "NO_SUBSTITUTE", "UNKNOWN"];
    expect(all.map((v) => meetsRequirement(v, "FULL"))).toEqual([true, false, false, false]);
    expect(all.map((v) => meetsRequirement(v, "PARTIAL"))).toEqual([true, true, false, false]);
    expect(all.map((v) => meetsRequirement(v, null))).toEqual([true, true, true, true]);
  });
});

describe("isomorphism", () => {
  const llamaCfg = (kind: (typeof QUANT_KINDS)[number]) => ({
    ...llamaConfig(kind),
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: 8,
    vocab_size: 128256,
    max_position_embeddings: 131072,
    rms_norm_eps: 1e-5,
    rope_theta: 500000,
    tie_word_embeddings: false,
  });
  const crafted = (kind: (typeof QUANT_KINDS)[number]) => fingerprintFromTensors(`crafted/${kind}`, llamaCfg(kind), llamaTensors(kind));

  it("quantized copies with headers are ISOMORPHIC with key overlap 1 (prior tool: DIFFERENT_ARCH)", () => {
    const bf16 = crafted("bf16");
    for (const kind of QUANT_KINDS.filter((k) => k !== "bf16")) {
      const r = isomorphism(bf16, crafted(kind));
      expect(r, kind).toMatchObject({ verdict: "ISOMORPHIC", keyOverlap: 1, phases: { keys: true, substructure: true, scaling: true } });
    }
  });

  it("config-only falls back to the block graph and leaves keyOverlap null", () => {
    const r = isomorphism(BASE, tiny("tiny/big", { hidden_size: 128, intermediate_size: 256, num_attention_heads: 8, num_key_value_heads: 4 }));
    expect(r.verdict).toBe("ISOMORPHIC");
    expect(r.keyOverlap).toBeNull();
    expect(r.notes[0]).toContain("fallback = same block graph: yes");
    const mixed = isomorphism(crafted("bf16"), fingerprintFromConfig("c/llama", llamaCfg("bf16")));
    expect(mixed.keyOverlap).toBeNull();
    expect(mixed.notes[0]).toContain("no comparable tensor names on the target");
    expect(mixed.verdict).toBe("ISOMORPHIC");
  });

  it("phase 1 fails on different tensor names; phase 2 on different substructure", () => {
    const gpt2Cfg = { architectures: ["GPT2LMHeadModel"], model_type: "gpt2", n_embd: 64, n_layer: 2, n_head: 4, vocab_size: 1000, n_positions: 128, torch_dtype: "float32" };
    const gpt2 = fingerprintFromTensors("t/gpt2", gpt2Cfg, synthesizeTensors(gpt2Cfg));
    const llama = fingerprintFromTensors("t/llama", tinyConfig(), synthesizeTensors(tinyConfig()));
    const r = isomorphism(gpt2, llama);
    expect(r.verdict).toBe("DIFFERENT_ARCH");
    expect(r.keyOverlap).toBeLessThan(0.8);
    const q3 = isomorphism(BASE, withFeatures(BASE, { qkNorm: true }));
    expect(q3.phases.substructure).toBe(false);
    expect(q3.notes.join(" ")).toContain("differs (qkNorm)");
  });

  it("phase 2 counts fused q/k/v and gate/up projections as their parts", () => {
    const phi3Cfg = { ...tinyConfig({ architectures: ["Phi3ForCausalLM"], model_type: "phi3" }) };
    const phi3 = fingerprintFromTensors("t/phi3", phi3Cfg, synthesizeTensors(phi3Cfg));
    const llama = fingerprintFromTensors("t/llama", tinyConfig(), synthesizeTensors(tinyConfig()));
    expect(Object.keys(phi3.signature!.kinds)).toContain("attn_qkv");
    expect(isomorphism(phi3, llama).phases.substructure).toBe(true);
  });

  it("phase 3: unchanged head_dim while hidden grows passes (the head_dim fix), KV heads may differ inside GQA", () => {
    // Qwen2.5-7B -> 72B shapes (the prior tool's SCALE_ONLY example: ratios 2.29 / 1.56 / 1.00, GQA 7 vs 8).
    const q7 = tiny("q/7b", { hidden_size: 3584, intermediate_size: 18944, num_attention_heads: 28, num_key_value_heads: 4, num_hidden_layers: 28 });
    const q72 = tiny("q/72b", { hidden_size: 8192, intermediate_size: 29568, num_attention_heads: 64, num_key_value_heads: 8, num_hidden_layers: 80 });
    const r = isomorphism(q7, q72);
    expect(r).toMatchObject({ verdict: "ISOMORPHIC", phases: { scaling: true } });
    expect(r.notes.join(" ")).toContain("head_dim unchanged (128): allowed");
  });

  it("phase 3 fails on a head_dim change unrelated to the hidden size, a KV-grouping change, or a reshaped FFN", () => {
    const a = tiny("a", { hidden_size: 2048, intermediate_size: 8192, num_attention_heads: 16, num_key_value_heads: 4 }); // hd 128
    const hd = tiny("b", { hidden_size: 4096, intermediate_size: 16384, num_attention_heads: 64, num_key_value_heads: 8 }); // hd 64
    expect(isomorphism(a, hd)).toMatchObject({ verdict: "SCALE_ONLY", phases: { scaling: false } });
    const mha = tiny("c", { hidden_size: 4096, intermediate_size: 16384, num_attention_heads: 32, num_key_value_heads: 32 });
    expect(isomorphism(a, mha).notes.join(" ")).toContain("KV grouping changes (GQA -> MHA)");
    const ffn = tiny("d", { hidden_size: 4096, intermediate_size: 4096, num_attention_heads: 32, num_key_value_heads: 8 });
    expect(isomorphism(a, ffn).notes.join(" ")).toContain("FFN width x0.5 vs hidden x2");
    // head_dim scaling with the hidden size (phi-1.5 -> phi-2 style) passes.
    const grown = tiny("e", { hidden_size: 2560, intermediate_size: 10240, num_attention_heads: 16, num_key_value_heads: 4 });
    expect(isomorphism(a, grown).phases.scaling).toBe(true);
  });

  it("is UNKNOWN when a side is unknown", () => {
    expect(isomorphism(BASE, gated("g/x"))).toMatchObject({ verdict: "UNKNOWN", keyOverlap: null, phases: { keys: null, substructure: null, scaling: null } });
  });
});

describeCorpus("isomorphism on real configs", () => {
  it.each([
    ["meta-llama__Llama-3.1-8B", "meta-llama__Llama-3.1-70B-Instruct"],
    ["Qwen__Qwen2.5-7B", "Qwen__Qwen2.5-32B"],
    ["Qwen__Qwen3-0.6B", "Qwen__Qwen3-32B"],
    ["Qwen__Qwen3-0.6B", "Qwen__Qwen3-14B"],
    ["Qwen__Qwen2.5-3B", "Qwen__Qwen2.5-14B"],
    ["openai-community__gpt2", "openai-community__gpt2-medium"],
    ["google__gemma-2-2b-it", "google__gemma-2-9b-it"],
  ])("%s -> %s passes phase 3 (config-only and with headers)", (p, t) => {
    expect(isomorphism(corpusFingerprint(p), corpusFingerprint(t))).toMatchObject({ verdict: "ISOMORPHIC", phases: { scaling: true } });
    const hp = readCorpusJson(p);
    const ht = readCorpusJson(t);
    const withHeaders = isomorphism(fingerprintFromTensors(p, hp, synthesizeTensors(hp)), fingerprintFromTensors(t, ht, synthesizeTensors(ht)));
    expect(withHeaders.verdict).toBe("ISOMORPHIC");
    expect(withHeaders.keyOverlap).toBeGreaterThanOrEqual(0.8);
  });
});

// ---------------------------------------------------------------------------------------------
// Matrix

function expectCellMatches(cell: MatrixCell, full: Comparison): void {
  expect({ target: cell.target, proxy: cell.proxy, verdict: cell.verdict, uncovered: cell.uncovered, iso: cell.isomorphism }).toEqual({
    target: full.target,
    proxy: full.proxy,
    verdict: full.verdict,
    uncovered: full.reasons.map((r) => r.feature),
    iso: full.isomorphism.verdict,
  });
}

describeCorpus("matrix == full comparisons on the corpus zoo", () => {
  it("agrees cell by cell (config-only corpus + headers + unknown sides, with an alias)", () => {
    const fps: Fingerprint[] = corpusModels().map((m) => corpusFingerprint(m));
    for (const m of ["Qwen__Qwen3-14B", "derivative__Qwen3-14B-MLX-4bit", "meta-llama__Llama-3.1-8B-Instruct", "openai-community__gpt2"]) {
      const c = readCorpusJson(m);
      fps.push(fingerprintFromTensors(`headers:${m}`, c, synthesizeTensors(c)));
    }
    fps.push(gated("gated/one"));
    const opts = { aliases: [["FalconForCausalLM", "RWForCausalLM"]] };
    const matrix = verdictMatrix(fps, opts);
    const full = compareAllPairs(fps, opts);
    // compareSelected (one context for all pairs, as check's plans use it) == compareFingerprints pair by pair
    const some = matrix.filter((_, k) => k % 97 === 0).map((c) => [c.proxy, c.target] as const);
    const byId = new Map(fps.map((f) => [f.model, f]));
    expect(compareSelected(fps, some, opts)).toEqual(some.map(([p, t]) => compareFingerprints(byId.get(p)!, byId.get(t)!, opts)));
    expect(matrix.length).toBe(fps.length * (fps.length - 1));
    expect(full.length).toBe(matrix.length);
    matrix.forEach((cell, i) => expectCellMatches(cell, full[i]!));
    for (const c of full) expectOrdered(c);
    // The direct path (no class memo tables, as for zoos with > 2,048 classes) gives the same cells.
    const ctx = new CompareContext(opts);
    const prepared = fps.map((f) => ctx.prepare(f));
    const direct = ctx.cells(0);
    let i = 0;
    for (const t of prepared)
      for (const p of prepared) {
        if (p === t) continue;
        const c = direct(p, t);
        expect({ verdict: c.verdict, uncovered: c.uncovered, isomorphism: c.isomorphism }).toEqual({ verdict: matrix[i]!.verdict, uncovered: matrix[i]!.uncovered, isomorphism: matrix[i]!.isomorphism });
        i++;
      }
    const counts = new Map<string, number>();
    for (const c of matrix) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
    console.log(`corpus zoo: ${fps.length} fingerprints, ${matrix.length} cells:`, Object.fromEntries(counts));
    expect([...counts.keys()].sort()).toEqual(["FULL_SUBSTITUTE", "NO_SUBSTITUTE", "PARTIAL_SUBSTITUTE", "UNKNOWN"]);
  });
});

describe("verdict invariants (property)", () => {
  // Small value pools per feature, null included, to explore gates, unknowns, directions and aliases.
  const POOLS: { [K in keyof Features]: Features[K][] } = {
    architecture: ["A", "B", "C", null],
    topology: ["decoder-only", "encoder-decoder", null],
    layerKinds: [["full_attention"], ["full_attention", "sliding_attention"], null],
    attentionFamily: ["standard", "mla", "linear", null],
    kvGrouping: ["GQA", "MHA", null],
    headDim: [64, 128, null],
    mla: ["qk_nope=128,qk_rope=64,v=128,q_lora=yes", null],
    qkvBias: [true, false, null],
    outputBias: [false, null],
    qkNorm: [true, false, null],
    slidingWindow: ["none", "all", null],
    logitSoftcap: [false, true],
    attentionSinks: [false, true],
    positionEncoding: ["rope", "learned", null],
    ropeType: ["default", "llama3", null],
    partialRotary: [1, 0.5, 0.25, null],
    ropeStyle: ["half", null],
    nopeLayers: [false, true, null],
    ffnFamily: ["gated", "plain", null],
    activation: ["silu", "gelu", null],
    mlpBias: [false, true],
    moe: [false, true, null],
    moeTopK: [2, 8, null],
    sharedExperts: [true, false, null],
    routerScoring: ["softmax", "sigmoid", null],
    groupedTopK: [1, 4, 8, null],
    denseLayerPrefix: [0, 1, 3, null],
    routerTopKNorm: [true, null],
    routerBias: [false, true, null],
    normKind: ["rmsnorm", "layernorm", null],
    normPlacement: ["pre", "post", null],
    normOffset: [false, true],
    tiedEmbeddings: [false, true, null],
    weightFormat: ["bf16", "fp8-e4m3-block", null],
    modality: [[], ["vision"], ["audio", "vision"], null],
  };
  const arbFeatures = fc.record(
    Object.fromEntries(Object.entries(POOLS).map(([k, pool]) => [k, fc.constantFrom(...(pool as unknown[]))])) as { [K in keyof Features]: fc.Arbitrary<Features[K]> },
  );
  const opts = { aliases: [["A", "B"]] };

  it("verdict follows reasons / unverified; matrix cells equal full comparisons; reasons ordered", () => {
    fc.assert(
      fc.property(fc.array(arbFeatures, { minLength: 2, maxLength: 5 }), (feats) => {
        const fps = feats.map((f, i) => ({ ...BASE, model: `m/${i}`, features: f }));
        const matrix = verdictMatrix(fps, opts);
        const full = compareAllPairs(fps, opts);
        matrix.forEach((cell, i) => expectCellMatches(cell, full[i]!));
        for (const c of full) {
          expectOrdered(c);
          if (c.verdict === "UNKNOWN") continue;
          const block = c.reasons.some((r) => r.blockGraph);
          const oneSided = c.unverified.some((u) => u.note !== "unknown on both sides");
          const expected = block ? "NO_SUBSTITUTE" : c.reasons.length > 0 || oneSided || c.unverified.some((u) => u.blockGraph) ? "PARTIAL_SUBSTITUTE" : "FULL_SUBSTITUTE";
          expect(c.verdict).toBe(expected);
          // No contradictory outputs: a block-graph difference is always DIFFERENT_ARCH.
          if (c.verdict === "NO_SUBSTITUTE") expect(c.isomorphism.verdict).toBe("DIFFERENT_ARCH");
          // A feature is never both covered and a reason / unverified.
          const covered = new Set(c.covered);
          for (const r of [...c.reasons, ...c.unverified]) expect(covered.has(r.feature)).toBe(false);
          for (const k of c.covered) expect(REG_INDEX.has(k)).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a renamed copy of a fingerprint has no reasons; it is FULL unless a block-graph feature is unknown", () => {
    fc.assert(
      fc.property(arbFeatures, (f) => {
        const a = { ...BASE, model: "a", features: f };
        const c = compareFingerprints(a, { ...a, model: "b" });
        if (c.verdict === "UNKNOWN") return;
        expect(c.reasons).toEqual([]);
        expect(c.verdict).toBe(c.unverified.some((u) => u.blockGraph) ? "PARTIAL_SUBSTITUTE" : "FULL_SUBSTITUTE");
      }),
      { numRuns: 300 },
    );
  });
});

describe("1,000-fingerprint matrix", () => {
  it("runs all ordered pairs well under 10 s with modest memory", () => {
    // A synthetic zoo from tiny configs with varied code-path features and scales; some with headers.
    const base: Fingerprint[] = [];
    const families = [
      {},
      { architectures: ["MistralForCausalLM"], model_type: "mistral", sliding_window: 64 },
      { architectures: ["Qwen2ForCausalLM"], model_type: "qwen2" },
      { architectures: ["Qwen3ForCausalLM"], model_type: "qwen3", head_dim: 32 },
      { architectures: ["GPT2LMHeadModel"], model_type: "gpt2", n_embd: 64, n_layer: 2, n_head: 4, n_positions: 128 },
      { architectures: ["MixtralForCausalLM"], model_type: "mixtral", num_local_experts: 4, num_experts_per_tok: 2 },
      { architectures: ["Gemma2ForCausalLM"], model_type: "gemma2", head_dim: 16, sliding_window: 64 },
      { tie_word_embeddings: true, rope_scaling: { rope_type: "llama3", factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 } },
    ];
    const formats = ["bf16", "fp8-e4m3-block", "gptq-int4", "mlx-4bit", null];
    const towers: string[][] = [[], [], ["vision"], ["audio", "vision"]];
    for (let i = 0; i < 1000; i++) {
      const fam = families[i % families.length]!;
      const width = 64 * (1 + (i % 7));
      const cfg = tinyConfig({ hidden_size: width, intermediate_size: width * (2 + (i % 3)), num_hidden_layers: 2 + (i % 5), ...fam });
      let fp: Fingerprint;
      if (i < 40) fp = fingerprintFromTensors(`zoo/h${i}`, cfg, synthesizeTensors(cfg));
      else fp = fingerprintFromConfig(`zoo/m${i}`, cfg);
      base.push(withFeatures(fp, { weightFormat: formats[i % formats.length]!, modality: towers[(i >> 3) % towers.length]! }));
    }
    // Warm up the JIT on a small slice (first-call costs are not the steady state a CI run sees).
    verdictMatrix(base.slice(0, 50));
    if (global.gc) global.gc();
    const rss0 = process.memoryUsage().rss;
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const matrix = verdictMatrix(base, { aliases: [["LlamaForCausalLM", "MistralForCausalLM"]] });
    const ms = performance.now() - t0;
    const mem = process.memoryUsage();
    console.log(
      `verdictMatrix: 1,000 fingerprints, ${matrix.length.toLocaleString("en-US")} cells in ${ms.toFixed(0)} ms; ` +
        `rss ${(mem.rss / 2 ** 20).toFixed(0)} MB (+${((mem.rss - rss0) / 2 ** 20).toFixed(0)} MB), heap +${((mem.heapUsed - heap0) / 2 ** 20).toFixed(0)} MB; ` +
        `distinct uncovered lists: ${new Set(matrix.map((c) => c.uncovered)).size}`,
    );
    expect(matrix.length).toBe(999_000);
    expect(ms).toBeLessThan(10_000);
    // Worst case: no class memo (every fingerprint distinct, or > 2,048 classes): direct comparisons.
    const ctx = new CompareContext({ aliases: [["LlamaForCausalLM", "MistralForCausalLM"]] });
    const prepared = base.map((f) => ctx.prepare(f));
    const direct = ctx.cells(0);
    const t1 = performance.now();
    let n = 0;
    let mismatches = 0;
    for (const t of prepared)
      for (const p of prepared) {
        if (p === t) continue;
        const c = direct(p, t);
        const m = matrix[n++]!;
        if (c.verdict !== m.verdict || c.uncovered.join() !== m.uncovered.join() || c.isomorphism !== m.isomorphism) mismatches++;
      }
    const msDirect = performance.now() - t1;
    expect(mismatches).toBe(0);
    console.log(`  direct path (no class memo): ${msDirect.toFixed(0)} ms for the same 999,000 cells (classes: ${JSON.stringify(ctx.classCounts)})`);
    expect(msDirect).toBeLessThan(10_000);
    // Correctness: sampled cells equal full comparisons.
    const byId = new Map(base.map((f) => [f.model, f]));
    const opts = { aliases: [["LlamaForCausalLM", "MistralForCausalLM"]] };
    for (let k = 0; k < 3000; k++) {
      const cell = matrix[(k * 7919 * 31 + k) % matrix.length]!;
      expectCellMatches(cell, compareFingerprints(byId.get(cell.proxy)!, byId.get(cell.target)!, opts));
    }
    const counts = new Map<string, number>();
    for (const c of matrix) counts.set(c.verdict, (counts.get(c.verdict) ?? 0) + 1);
    expect(counts.size).toBeGreaterThanOrEqual(3);
    expect(Object.isFrozen(matrix[0]!.uncovered)).toBe(true);
  }, 60_000);
});
