/**
 * Multi-fidelity plans (src/plan/plan.ts). Unit tests build Comparison objects by hand from feature
 * differences (a small stand-in for src/compare); the last suite plans a realistic corpus zoo with
 * the real compareFingerprints.
 */
import { describe, expect, it } from "vitest";
import { describeCorpus } from "./support/corpus.js";
import { corpusFingerprint } from "./support/fingerprints.js";
import { FEATURE_REGISTRY, formatFeature } from "../src/fingerprint/features.js";
import type { Features, Fingerprint } from "../src/fingerprint/types.js";
import type { Comparison, Reason, Verdict } from "../src/compare/types.js";
import { compareAllPairs } from "../src/compare/index.js";
import { planAll, planTarget } from "../src/plan/plan.js";
import { LEVELS, type Level, type TargetPlan } from "../src/plan/types.js";

// ------------------------------------------------------------------------------------------------
// helpers

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Comparison "proxy -> target" from feature differences: block graph -> NO, any other -> PARTIAL. */
function cmp(proxy: Fingerprint, target: Fingerprint, over: Partial<Comparison> = {}): Comparison {
  const reasons: Reason[] = [];
  const unverified: Reason[] = [];
  const covered: (keyof Features)[] = [];
  for (const info of FEATURE_REGISTRY) {
    const p = proxy.features[info.key];
    const t = target.features[info.key];
    const r: Reason = { feature: info.key, group: info.group, label: info.label, proxy: formatFeature(info.key, p as never), target: formatFeature(info.key, t as never), blockGraph: info.blockGraph };
    if (p === null && t === null) continue;
    if (p === null || t === null) unverified.push(r);
    else if (same(p, t)) covered.push(info.key);
    else reasons.push(r);
  }
  reasons.sort((a, b) => Number(b.blockGraph) - Number(a.blockGraph));
  const verdict: Verdict =
    proxy.status !== "ok" || target.status !== "ok" ? "UNKNOWN" : reasons.some((r) => r.blockGraph) ? "NO_SUBSTITUTE" : reasons.length > 0 ? "PARTIAL_SUBSTITUTE" : "FULL_SUBSTITUTE";
  return {
    target: target.model,
    proxy: proxy.model,
    verdict,
    reasons,
    extras: [],
    unverified,
    covered,
    scale: [],
    isomorphism: { verdict: "UNKNOWN", keyOverlap: null, phases: { keys: null, substructure: null, scaling: null }, notes: [] },
    ...over,
  };
}

/** A copy of a fingerprint under another id, with feature overrides and (optionally) exact header weight bytes. */
function variant(fp: Fingerprint, model: string, features: Partial<Features> = {}, bytes?: number): Fingerprint {
  return {
    ...fp,
    model,
    features: { ...fp.features, ...features },
    weightBytes: bytes === undefined ? fp.weightBytes : { total: bytes, byDtype: { BF16: bytes } },
  };
}

/** Every comparison toward `target` from `proxies`. */
function toward(target: Fingerprint, proxies: readonly Fingerprint[]): Comparison[] {
  return proxies.filter((p) => p.model !== target.model).map((p) => cmp(p, target));
}

function plan(target: Fingerprint, proxies: readonly Fingerprint[], comparisons = toward(target, proxies)): TargetPlan {
  return planTarget(target, { comparisons, fingerprints: new Map([target, ...proxies].map((f) => [f.model, f])) });
}

/** "L1 model, L1 model, ..." in plan order. */
const layout = (p: TargetPlan): string[] => p.entries.map((e) => `${e.level} ${e.model}`);
const at = (p: TargetPlan, level: Level) => p.entries.filter((e) => e.level === level);

const GB = 1e9;

// ------------------------------------------------------------------------------------------------

describe("proxy choice", () => {
  const base = corpusFingerprint("meta-llama__Llama-3.1-8B");
  const T = variant(base, "T", {}, 100 * GB);

  it("takes the FULL proxy with the fewest weight bytes; L1-L3 on it, L4 on the target", () => {
    const a = variant(base, "full-a", {}, 20 * GB);
    const b = variant(base, "full-b", {}, 10 * GB);
    const c = variant(base, "partial-tiny", { qkvBias: true }, 1 * GB);
    const p = plan(T, [a, b, c]);
    expect(p.proxy).toBe("full-b");
    expect(p.proxyVerdict).toBe("FULL_SUBSTITUTE");
    expect(p.uncovered).toEqual([]);
    expect(layout(p)).toEqual(["L1 full-b", "L2 full-b", "L3 full-b", "L4 T"]);
    expect(p.proxyWeightBytes).toBe(10 * GB);
    expect(p.targetWeightBytes).toBe(100 * GB);
    expect(at(p, "L1")[0]!.reason).toMatch(/FULL_SUBSTITUTE, 10 GB of weights vs 100 GB/);
  });

  it("among PARTIAL proxies: fewest uncovered features, then fewest bytes, then id", () => {
    const one = variant(base, "one-diff", { qkvBias: true }, 30 * GB);
    const oneCheaper = variant(base, "one-diff-cheaper", { mlpBias: true }, 20 * GB);
    const two = variant(base, "two-diffs", { qkvBias: true, mlpBias: true }, 1 * GB);
    const p = plan(T, [one, oneCheaper, two]);
    expect(p.proxy).toBe("one-diff-cheaper");
    expect(p.uncovered.map((r) => r.feature)).toEqual(["mlpBias"]);
    const tie = plan(T, [variant(base, "b", { qkvBias: true }, 5 * GB), variant(base, "a", { mlpBias: true }, 5 * GB)]);
    expect(tie.proxy).toBe("a");
  });

  it("never picks a NO or UNKNOWN proxy, nor the target itself", () => {
    const moe = variant(base, "moe", { moe: true }, 1 * GB);
    const unknown = { ...variant(base, "gated", {}, 1 * GB), status: "unknown" as const };
    const comparisons = [...toward(T, [moe, unknown]), cmp(T, T)];
    expect(comparisons.map((c) => c.verdict)).toEqual(["NO_SUBSTITUTE", "UNKNOWN", "FULL_SUBSTITUTE"]);
    const p = plan(T, [moe, unknown], comparisons);
    expect(p.proxy).toBeNull();
    expect(layout(p)).toEqual(["L1 T", "L2 T", "L3 T", "L4 T"]);
    expect(at(p, "L1")[0]!.reason).toMatch(/no model covers it: 1 NO_SUBSTITUTE \(block graph differs: MoE\), 1 UNKNOWN/);
  });

  it("a covering proxy must be strictly cheaper: otherwise the target covers itself (noted)", () => {
    const equal = variant(base, "same-size", {}, 100 * GB);
    const bigger = variant(base, "bigger", { qkvBias: true }, 200 * GB);
    const p = plan(T, [equal, bigger]);
    expect(p.proxy).toBeNull();
    expect(layout(p)).toEqual(["L1 T", "L2 T", "L3 T", "L4 T"]);
    expect(p.notes?.join(" ")).toMatch(/not cheaper than the target \(100 GB\): bigger \(PARTIAL, 200 GB\), same-size \(FULL, 100 GB\)/);
    expect(at(p, "L1")[0]!.reason).toMatch(/no covering model is cheaper/);
  });

  it("skips a covering proxy without a fingerprint (noted)", () => {
    const ghost = variant(base, "ghost", {}, 1 * GB);
    const p = planTarget(T, { comparisons: [cmp(ghost, T)], fingerprints: new Map([[T.model, T]]) });
    expect(p.proxy).toBeNull();
    expect(p.notes?.join(" ")).toMatch(/weight size unknown \(skipped\): ghost/);
  });

  it("an UNKNOWN target gets a plan with an error and no entries", () => {
    const gated = { ...T, status: "unknown" as const, error: { code: "gated", message: "401: gated model, accept the licence" } };
    const p = plan(gated, [variant(base, "p", {}, 1 * GB)]);
    expect(p.error).toMatch(/not fingerprinted: 401: gated model/);
    expect(p.entries).toEqual([]);
    expect(p.proxy).toBeNull();
  });
});

describe("levels", () => {
  const base = corpusFingerprint("meta-llama__Llama-3.1-8B");

  it("L1 on the target too when the weight format differs or is unverified", () => {
    const T = variant(base, "T-fp8", { weightFormat: "fp8-e4m3-block" }, 9 * GB);
    const P = variant(base, "P-bf16", {}, 2 * GB);
    const p = plan(T, [P]);
    expect(layout(p)).toEqual(["L1 P-bf16", "L1 T-fp8", "L2 P-bf16", "L3 P-bf16", "L4 T-fp8"]);
    expect(at(p, "L1")[1]!.features).toEqual(["weightFormat"]);
    expect(at(p, "L1")[1]!.reason).toMatch(/Weight format differs \(target fp8-e4m3-block, proxy bf16\)/);
    const U = variant(base, "P-unknown-format", { weightFormat: null }, 2 * GB);
    const q = plan(T, [U]);
    expect(layout(q)).toEqual(["L1 P-unknown-format", "L1 T-fp8", "L2 P-unknown-format", "L3 P-unknown-format", "L4 T-fp8"]);
    expect(at(q, "L1")[1]!.reason).toMatch(/Weight format unverified/);
  });

  it("L2 routes each uncovered feature to the cheapest covering proxy that has it, grouped by model", () => {
    // target: MLP bias + (1 + w) norm + untied; the main proxy lacks all three, nothing else differs
    const T = variant(base, "T", { mlpBias: true, normOffset: true }, 100 * GB);
    const P = variant(base, "P", { tiedEmbeddings: true }, 1 * GB);
    // H1 has MLP bias and the norm offset (but another rope type and tied embeddings): one entry, both features
    const H1 = variant(base, "H1", { mlpBias: true, normOffset: true, ropeType: "yarn", tiedEmbeddings: true, activation: "gelu" }, 4 * GB);
    // H2 has the untied embeddings
    const H2 = variant(base, "H2", { ropeType: "default", activation: "gelu", partialRotary: 0.5, normPlacement: "sandwich" }, 3 * GB);
    // a bigger model covering all three is cheaper than T but costs more bytes per feature
    const big = variant(base, "big-all", { mlpBias: true, normOffset: true, ropeType: "yarn", activation: "gelu", normPlacement: "post" }, 90 * GB);
    const p = plan(T, [P, H1, H2, big]);
    expect(p.proxy).toBe("P");
    expect(p.uncovered.map((r) => r.feature).sort()).toEqual(["mlpBias", "normOffset", "tiedEmbeddings"]);
    const l2 = at(p, "L2");
    expect(l2.map((e) => `${e.model}:${e.features.join("+")}`)).toEqual([`P:${p.entries[0]!.features.join("+")}`, "H2:tiedEmbeddings", "H1:mlpBias+normOffset"]);
    expect(l2[2]!.reason).toMatch(/^Covers MLP bias \(yes\), Norm \(1 \+ w\) scale \(yes\) that P lacks \(PARTIAL toward the target, 4 GB of weights\)/);
    // no attention feature differs between P and T -> L3 on P
    expect(at(p, "L3").map((e) => e.model)).toEqual(["P"]);
  });

  it("L2 leaves to the target what no cheaper proxy has; weighted set cover prefers cheap specialists", () => {
    const T = variant(base, "T", { qkvBias: true, mlpBias: true, outputBias: true }, 100 * GB);
    const P = variant(base, "P", { qkvBias: false, mlpBias: false, outputBias: false }, 1 * GB);
    // A covers qkvBias alone for 2 GB; B covers qkvBias + mlpBias for 60 GB (30 GB per feature)
    const A = variant(base, "A", { qkvBias: true, mlpBias: false, outputBias: false, ropeType: "yarn", qkNorm: true }, 2 * GB);
    const B = variant(base, "B", { qkvBias: true, mlpBias: true, outputBias: false, ropeType: "yarn", qkNorm: true, headDim: 64 }, 60 * GB);
    const p = plan(T, [P, A, B]);
    const l2 = at(p, "L2").map((e) => `${e.model}:${e.features.join("+")}`);
    expect(l2.slice(1)).toEqual(["A:qkvBias", "B:mlpBias", "T:outputBias"]);
    expect(at(p, "L2")[3]!.reason).toMatch(/No cheaper covering proxy has Attention output bias \(yes\): the target checks its numerics itself/);
    // outputBias is an attention feature -> L3 on the target
    expect(at(p, "L3").map((e) => `${e.model}:${e.features.join("+")}`)).toEqual(["T:qkvBias+outputBias"]);
  });

  it("L3 on the target when an attention or KV-cache feature differs, else the proxy", () => {
    for (const [f, v] of [
      ["kvGrouping", "MHA"],
      ["headDim", 64],
      ["slidingWindow", "all"],
      ["qkNorm", true],
      ["logitSoftcap", true],
    ] as const) {
      const T = variant(base, "T", {}, 100 * GB);
      const P = variant(base, "P", { [f]: v } as Partial<Features>, 1 * GB);
      const p = plan(T, [P]);
      expect(at(p, "L3").map((e) => e.model), f).toEqual(["T"]);
      expect(at(p, "L3")[0]!.features).toEqual([f]);
      // the target's own fit: 100 GB of weights -> 1 x 141 GB
      expect(at(p, "L3")[0]!.hardware.gpuMemoryGB).toBe(141);
    }
    const T = variant(base, "T", {}, 100 * GB);
    const P = variant(base, "P", { ropeType: "yarn", activation: "gelu" }, 1 * GB);
    const p = plan(T, [P]);
    expect(at(p, "L3").map((e) => e.model)).toEqual(["P"]);
    expect(at(p, "L3")[0]!.reason).toMatch(/No attention or KV-cache feature differs \(other differences: RoPE type, Activation\)/);
  });

  it("notes features unknown on one side (not routed)", () => {
    const T = variant(base, "T", {}, 100 * GB);
    const P = variant(base, "P", { logitSoftcap: null }, 1 * GB);
    const p = plan(T, [P]);
    expect(p.proxyVerdict).toBe("FULL_SUBSTITUTE");
    expect(p.notes?.join(" ")).toMatch(/not routed: Attention logit soft-capping \(target no, proxy unknown\)/);
    expect(layout(p)).toEqual(["L1 P", "L2 P", "L3 P", "L4 T"]);
  });

  it("every entry names its model, a reason, features and a hardware fit", () => {
    const T = variant(base, "T", {}, 100 * GB);
    const p = plan(T, [variant(base, "P", { qkvBias: true }, 1 * GB)]);
    for (const e of p.entries) {
      expect(Object.keys(LEVELS)).toContain(e.level);
      expect(e.reason.length).toBeGreaterThan(20);
      expect(e.features.length).toBeGreaterThan(0);
      expect(e.hardware.seqLen).toBe(4096);
    }
    const l4 = at(p, "L4")[0]!;
    expect(l4.model).toBe("T");
    // 100 GB of weights: 1 x 141 GB is the least total memory
    expect([l4.hardware.tensorParallel, l4.hardware.gpuMemoryGB]).toEqual([1, 141]);
    expect(l4.reason).toMatch(/Canary on the target itself at the smallest fit, 1 x H200 141GB: peak memory/);
  });

  it("output does not depend on the order of the comparisons", () => {
    const T = variant(base, "T", { qkvBias: true, mlpBias: true }, 100 * GB);
    const ps = [
      variant(base, "P", { qkvBias: false, mlpBias: false }, 1 * GB),
      variant(base, "Q", { qkvBias: true, mlpBias: false, ropeType: "yarn" }, 2 * GB),
      variant(base, "R", { qkvBias: false, mlpBias: true, headDim: 64 }, 2 * GB),
      variant(base, "S", { qkvBias: true, mlpBias: true, headDim: 64, ropeType: "yarn" }, 3 * GB),
    ];
    const cs = toward(T, ps);
    const a = plan(T, ps, cs);
    const b = plan(T, [...ps].reverse(), [...cs].reverse());
    expect(b).toEqual(a);
    // S covers both features for 3 GB (1.5 GB per feature) and beats Q and R (2 GB each);
    // qkvBias is an attention feature -> L3 on the target
    expect(layout(a)).toEqual(["L1 P", "L2 P", "L2 S", "L3 T", "L4 T"]);
  });

  it("planAll: one plan per fingerprint, in input order, comparisons in any order", () => {
    const small = variant(base, "small", {}, 2 * GB);
    const mid = variant(base, "mid", {}, 16 * GB);
    const gated = { ...variant(base, "gated", {}, 1 * GB), status: "unknown" as const, error: { code: "gated", message: "gated" } };
    const big = variant(base, "big", {}, 141 * GB);
    const fps = [big, gated, mid, small];
    const comparisons = fps.flatMap((t) => fps.filter((p) => p !== t).map((p) => cmp(p, t)));
    const plans = planAll(fps, comparisons.reverse());
    expect(plans.map((p) => p.target)).toEqual(["big", "gated", "mid", "small"]);
    expect(plans.map((p) => p.proxy)).toEqual(["small", null, "small", null]);
    expect(plans[1]!.error).toMatch(/gated/);
    expect(at(plans[0]!, "L4")[0]!.hardware).toMatchObject({ tensorParallel: 2, gpuMemoryGB: 80 });
  });
});

describeCorpus("plans of real models (hand-built comparisons)", () => {
  it("a quantized copy: L1 on both, L2/L3 on the copy, L4 on the original", () => {
    const T = corpusFingerprint("meta-llama__Llama-3.1-8B-Instruct");
    const Q = corpusFingerprint("jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy");
    const p = plan(T, [Q]);
    expect(p.proxy).toBe(Q.model);
    expect(p.proxyVerdict).toBe("PARTIAL_SUBSTITUTE");
    expect(p.uncovered.map((r) => r.feature)).toEqual(["weightFormat"]);
    expect(layout(p)).toEqual([`L1 ${Q.model}`, `L1 ${T.model}`, `L2 ${Q.model}`, `L3 ${Q.model}`, `L4 ${T.model}`]);
    // bnb-int8: F16 2.10 GB + I8 6.98 GB = 9.08 GB vs 16.06 GB
    expect(p.proxyWeightBytes).toBe(9_081_200_640);
    expect(at(p, "L2")[0]!.reason).toMatch(/the target's bf16 weights are loaded at L1 and run by the L4 canary/);
    expect(at(p, "L3")[0]!.reason).toMatch(/other differences: Weight format/);
    for (const e of p.entries) expect(e.hardware.gpuMemoryGB).toBe(24);
  });

  it("MoE target with dense models only: NO everywhere, the target runs every level", () => {
    const T = corpusFingerprint("Qwen__Qwen3-30B-A3B");
    const dense = ["Qwen__Qwen3-8B", "Qwen__Qwen3-0.6B", "Qwen__Qwen3-4B"].map((m) => corpusFingerprint(m));
    const p = plan(T, dense);
    expect(p.proxy).toBeNull();
    expect(layout(p)).toEqual(["L1", "L2", "L3", "L4"].map((l) => `${l} Qwen/Qwen3-30B-A3B`));
    expect(at(p, "L1")[0]!.reason).toMatch(/3 NO_SUBSTITUTE \(block graph differs: MoE\)/);
    expect(at(p, "L4")[0]!.reason).toMatch(/MoE routing/);
    // 61.1 GB bf16 + 0.4 GB KV -> one 80 GB GPU
    expect(at(p, "L4")[0]!.hardware).toMatchObject({ tensorParallel: 1, gpuMemoryGB: 80 });
  });

  it("Llama-2-70b: the MHA 7b proxy, GQA routed to a GQA model, runtime on the target", () => {
    const T = corpusFingerprint("meta-llama__Llama-2-70b-chat-hf");
    const P = corpusFingerprint("meta-llama__Llama-2-7b-chat-hf");
    const G = corpusFingerprint("meta-llama__Llama-3.2-1B-Instruct");
    const p = plan(T, [P, G]);
    expect(p.proxy).toBe(P.model);
    expect(p.uncovered.map((r) => r.feature)).toEqual(["kvGrouping"]);
    expect(layout(p)).toEqual([`L1 ${P.model}`, `L2 ${P.model}`, `L2 ${G.model}`, `L3 ${T.model}`, `L4 ${T.model}`]);
    expect(at(p, "L2")[1]!.features).toEqual(["kvGrouping"]);
    expect(at(p, "L3")[0]!.reason).toMatch(/KV grouping \(target GQA, proxy MHA\)/);
    expect(at(p, "L4")[0]!.hardware).toMatchObject({ tensorParallel: 2, gpuMemoryGB: 80 });
  });
});

describeCorpus("plans of a realistic zoo (compareFingerprints)", () => {
  const ids = [
    "meta-llama__Llama-3.1-8B",
    "meta-llama__Llama-3.1-70B-Instruct",
    "meta-llama__Llama-3.2-1B-Instruct",
    "meta-llama__Llama-3.2-3B",
    "meta-llama__Llama-2-7b-chat-hf",
    "meta-llama__Llama-2-70b-chat-hf",
    "mistralai__Mistral-7B-Instruct-v0.1",
    "mistralai__Mixtral-8x7B-v0.1",
    "Qwen__Qwen3-0.6B",
    "Qwen__Qwen3-8B",
    "Qwen__Qwen3-30B-A3B",
    "deepseek-ai__DeepSeek-V2-Lite-Chat",
    "deepseek-ai__DeepSeek-V3",
    "openai__gpt-oss-20b",
    "google__gemma-2-2b-it",
    "google__gemma-2-9b-it",
    "jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy",
  ];
  const fps = ids.map((m) => corpusFingerprint(m));
  const plans = planAll(fps, compareAllPairs(fps));
  const byId = new Map(plans.map((p) => [p.target, p]));
  const get = (id: string): TargetPlan => byId.get(id.replace("__", "/"))!;

  it("plans every model, in input order", () => {
    expect(plans.map((p) => p.target)).toEqual(ids.map((i) => i.replace("__", "/")));
    for (const p of plans) {
      expect(p.error).toBeUndefined();
      expect(at(p, "L4").map((e) => e.model)).toEqual([p.target]);
      if (p.proxy) expect(p.proxy).not.toBe(p.target);
      if (p.proxy) expect(p.proxyWeightBytes!).toBeLessThan(p.targetWeightBytes!);
    }
  });

  it("Llama-3.1-70B: FULL by Llama-3.1-8B on one 24 GB GPU, canary on 2 x 80 GB", () => {
    const p = get("meta-llama__Llama-3.1-70B-Instruct");
    expect([p.proxy, p.proxyVerdict]).toEqual(["meta-llama/Llama-3.1-8B", "FULL_SUBSTITUTE"]);
    expect(layout(p)).toEqual(["L1 meta-llama/Llama-3.1-8B", "L2 meta-llama/Llama-3.1-8B", "L3 meta-llama/Llama-3.1-8B", "L4 meta-llama/Llama-3.1-70B-Instruct"]);
    expect(at(p, "L1")[0]!.hardware).toMatchObject({ tensorParallel: 1, gpuMemoryGB: 24 });
    expect(at(p, "L4")[0]!.hardware).toMatchObject({ tensorParallel: 2, gpuMemoryGB: 80 });
  });

  it("gemma-2-9b: FULL by gemma-2-2b", () => {
    expect(get("google__gemma-2-9b-it").proxyVerdict).toBe("FULL_SUBSTITUTE");
    expect(get("google__gemma-2-9b-it").proxy).toBe("google/gemma-2-2b-it");
  });

  it("DeepSeek-V3: the V2-Lite proxy; FP8 loads and MLA runtime on the target (8 x 141 GB)", () => {
    const p = get("deepseek-ai__DeepSeek-V3");
    expect(p.proxy).toBe("deepseek-ai/DeepSeek-V2-Lite-Chat");
    expect(p.uncovered.map((r) => r.feature)).toContain("weightFormat");
    expect(at(p, "L1").map((e) => e.model)).toEqual(["deepseek-ai/DeepSeek-V2-Lite-Chat", "deepseek-ai/DeepSeek-V3"]);
    expect(at(p, "L3").map((e) => e.model)).toEqual(["deepseek-ai/DeepSeek-V3"]);
    expect(at(p, "L4")[0]!.hardware).toMatchObject({ tensorParallel: 8, gpuMemoryGB: 141 });
  });

  it("gpt-oss-20b and the smallest models have no cheaper cover: every level on the target", () => {
    for (const id of ["openai__gpt-oss-20b", "Qwen__Qwen3-0.6B"]) {
      const p = get(id);
      expect(p.proxy).toBeNull();
      expect(p.entries.map((e) => e.level)).toEqual(["L1", "L2", "L3", "L4"]);
    }
  });
});
