/**
 * Renders results assembled from the real pipeline pieces: config-only fingerprints of corpus
 * models, src/compare (pairs and matrix), src/plan (planAll) and src/integrity (runIntegrity).
 */
import { expect, it } from "vitest";
import { comparePairs, compareAllPairs, meetsRequirement, verdictMatrix } from "../src/compare/index.js";
import { unknownFingerprint } from "../src/fingerprint/build.js";
import { runIntegrity } from "../src/integrity/checks.js";
import { planAll } from "../src/plan/plan.js";
import { pairsCsv } from "../src/report/csv.js";
import { parseResults, toJson } from "../src/report/json.js";
import { COMMENT_BUDGET, renderReport } from "../src/report/markdown.js";
import { plainStyle } from "../src/report/table.js";
import { renderCheckTerminal, renderPlanTerminal } from "../src/report/terminal.js";
import { RESULTS_SCHEMA, type GateFailure, type PairResult, type Results } from "../src/report/types.js";
import { describeCorpus } from "./support/corpus.js";
import { corpusFingerprint } from "./support/fingerprints.js";
import { FIXED_TIME } from "./support/results-fixture.js";

const FOLDERS = [
  "Qwen__Qwen3-0.6B",
  "Qwen__Qwen3-8B",
  "Qwen__Qwen3-32B",
  "Qwen__Qwen3-30B-A3B",
  "meta-llama__Llama-3.1-8B-Instruct",
  "meta-llama__Llama-3.1-70B-Instruct",
  "jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy",
  "mistralai__Mistral-7B-Instruct-v0.3",
  "mistralai__Mixtral-8x7B-v0.1",
  "deepseek-ai__DeepSeek-V3",
  "openai__gpt-oss-20b",
];
const GATED = "google/gemma-3-27b-it";

function realResults(): Results {
  const fps = [
    ...FOLDERS.map((f) => corpusFingerprint(f)),
    unknownFingerprint(GATED, { kind: "hub", repo: GATED, revision: "main" }, { code: "gated", message: `${GATED} is gated`, hint: "accept the licence" }, { requests: 1, bytes: 0, cached: false }),
  ];
  const id = (folder: string): string => folder.replace("__", "/");
  const specs: { target: string; proxy: string; require: "FULL" | "PARTIAL" | null }[] = [
    { target: id("meta-llama__Llama-3.1-70B-Instruct"), proxy: id("meta-llama__Llama-3.1-8B-Instruct"), require: "FULL" },
    { target: id("Qwen__Qwen3-32B"), proxy: id("Qwen__Qwen3-8B"), require: "FULL" },
    { target: id("Qwen__Qwen3-32B"), proxy: id("Qwen__Qwen3-0.6B"), require: "PARTIAL" },
    { target: id("Qwen__Qwen3-30B-A3B"), proxy: id("Qwen__Qwen3-8B"), require: "PARTIAL" },
    { target: id("mistralai__Mixtral-8x7B-v0.1"), proxy: id("mistralai__Mistral-7B-Instruct-v0.3"), require: null },
    { target: id("mistralai__Mistral-7B-Instruct-v0.3"), proxy: id("meta-llama__Llama-3.1-8B-Instruct"), require: "PARTIAL" },
    { target: id("jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy"), proxy: id("meta-llama__Llama-3.1-8B-Instruct"), require: "PARTIAL" },
    { target: GATED, proxy: id("Qwen__Qwen3-0.6B"), require: null },
  ];
  const aliases = [["MistralForCausalLM", "LlamaForCausalLM"]];
  const pairs: PairResult[] = comparePairs(fps, specs, { aliases }).map((c, i) => {
    const s = specs[i]!;
    return { ...c, require: s.require, ok: meetsRequirement(c.verdict, s.require), line: 100 + i, col: 5 };
  });
  const integrity = fps.map((fp) => runIntegrity({ ex: null, fp }).report);
  const failures: GateFailure[] = pairs
    .filter((p) => !p.ok)
    .map((p) => ({
      reason: p.verdict === "NO_SUBSTITUTE" ? ("no-substitute" as const) : ("partial" as const),
      subject: `${p.target} <- ${p.proxy}`,
      message: `${p.verdict}, requires ${p.require}`,
      line: p.line,
      col: p.col,
    }));
  return {
    schema: RESULTS_SCHEMA,
    tool: { name: "standin", version: "0.0.0-test" },
    generatedAt: FIXED_TIME,
    manifest: { path: "model-zoo.yaml", name: "corpus", engine: { name: "vllm", aliases, supported: null }, lines: {}, tags: {} },
    models: fps,
    integrity,
    expectations: [],
    pairs,
    matrix: verdictMatrix(fps, { aliases }),
    plans: planAll(fps, compareAllPairs(fps, { aliases })),
    gate: { failOn: ["no-substitute", "partial", "integrity"], failures, passed: failures.length === 0 },
    network: { requests: 0, bytes: 0, retries: 0, cacheHits: 0 },
    shard: null,
  };
}

describeCorpus("report of real results (compare + plan + integrity)", () => {
  const results = realResults();

  it("renders the verdicts of verdicts.md's worked examples, headline first", () => {
    const md = renderReport(results, { budget: COMMENT_BUDGET, detailsUrl: "https://example.test/run", marker: "<!-- standin:pr-comment v1 -->" });
    expect(md.split("\n")[0]).toBe("### ❌ standin: 1 gate failure — 1 pair below its required verdict");
    expect(md.length).toBeLessThanOrEqual(COMMENT_BUDGET);
    expect(md).toMatch(/\| meta-llama\/Llama-3\.1-70B-Instruct \| meta-llama\/Llama-3\.1-8B-Instruct \| 🟢 FULL \| ✅ FULL \| scale only: /);
    expect(md).toMatch(/\| Qwen\/Qwen3-30B-A3B \| Qwen\/Qwen3-8B \| 🔴 NO \| ❌ PARTIAL \| MoE: dense → MoE/);
    expect(md).toMatch(/\| mistralai\/Mixtral-8x7B-v0\.1 \| mistralai\/Mistral-7B-Instruct-v0\.3 \| 🔴 NO \| — \| MoE: dense → MoE/);
    expect(md).toMatch(/\| jeevanchaps\/Llama-3\.1-8B-Instruct-quantized-copy \| meta-llama\/Llama-3\.1-8B-Instruct \| 🟡 PARTIAL \| ✅ PARTIAL \| Weight format: bf16 → /);
    expect(md).toMatch(/\| google\/gemma-3-27b-it \| Qwen\/Qwen3-0\.6B \| ⚪ UNKNOWN \| — \|/);
    expect(md).toContain("📋 Test plans (12 targets)");
    expect(md).toContain("🔢 Verdict matrix: 12 models, 132 ordered pairs");
    expect(md).toContain("```mermaid");
    expect(md.trimEnd().endsWith("<!-- standin:pr-comment v1 -->")).toBe(true);
  });

  it("round-trips JSON and renders CSV and terminal output", () => {
    const text = toJson(results);
    expect(toJson(parseResults(text, "results.json"))).toBe(text);
    expect(pairsCsv(results).split("\r\n")).toHaveLength(1 + results.pairs.length + 1);
    const check = renderCheckTerminal(results, plainStyle);
    expect(check.split("\n")[0]).toBe("✗ standin: 1 gate failure — 1 pair below its required verdict");
    expect(renderPlanTerminal(results.plans, plainStyle)).toContain("meta-llama/Llama-3.1-70B-Instruct ← meta-llama/Llama-3.1-8B-Instruct (FULL)");
  });
});
