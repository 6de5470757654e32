import { describe, expect, it } from "vitest";
import { ansiStyle, plainStyle, visibleLength } from "../src/report/table.js";
import { renderCheckTerminal, renderCompareTerminal, renderPlanTerminal, verdictWord } from "../src/report/terminal.js";
import type { Results } from "../src/report/types.js";
import { DEEPSEEK, LLAMA_8B, LLAMA_FP8, QWEN_MOE, zooResults } from "./support/results-fixture.js";

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[/;

describe("terminal output", () => {
  const results = zooResults();

  it("has no ANSI codes with the plain style", () => {
    for (const text of [renderCheckTerminal(results, plainStyle), renderCompareTerminal(results.pairs, plainStyle), renderPlanTerminal(results.plans, plainStyle)]) {
      expect(text).not.toMatch(ANSI);
    }
  });

  it("colours the verdict column only with the ANSI style, and always spells the verdict", () => {
    expect(verdictWord("FULL_SUBSTITUTE", ansiStyle)).toBe("\u001b[32mFULL\u001b[39m");
    expect(verdictWord("PARTIAL_SUBSTITUTE", ansiStyle)).toBe("\u001b[33mPARTIAL\u001b[39m");
    expect(verdictWord("NO_SUBSTITUTE", ansiStyle)).toBe("\u001b[31mNO\u001b[39m");
    expect(verdictWord("UNKNOWN", ansiStyle)).toBe("\u001b[2mUNKNOWN\u001b[22m");
    expect(verdictWord("NO_SUBSTITUTE", plainStyle)).toBe("NO");
    const text = renderCheckTerminal(results, ansiStyle);
    expect(text).toContain("\u001b[32mFULL\u001b[39m");
    expect(text).toContain("\u001b[2mUNKNOWN\u001b[22m");
  });

  it("check: headline first, gate failures with their manifest line, reasons under each pair", () => {
    const lines = renderCheckTerminal(results, plainStyle).split("\n");
    expect(lines[0]).toBe("✗ standin: 2 gate failures — 1 pair below its required verdict, 1 model failed integrity");
    expect(lines).toContain(`  ✗ model-zoo.yaml:124  ${QWEN_MOE} ← Qwen/Qwen3-8B`);
    const row = lines.findIndex((l) => l.startsWith(QWEN_MOE) && l.includes("NO"));
    expect(lines[row]).toMatch(/NO\s+PARTIAL ✗\s+DIFFERENT_ARCH$/);
    expect(lines[row + 1]).toBe("    ↳ MoE: dense → MoE [block graph]");
    expect(lines[row + 2]).toBe("    ↳ Architecture class: Qwen3ForCausalLM → Qwen3MoeForCausalLM");
    const fp8 = lines.findIndex((l) => l.startsWith(LLAMA_FP8));
    expect(lines[fp8 + 1]).toBe("    ↳ Weight format: bf16 → fp8-e4m3");
    const ds = lines.findIndex((l) => l.startsWith(DEEPSEEK));
    expect(lines[ds + 4]).toBe("    ↳ … 7 more");
    expect(lines).toContain("Integrity: 11 PASS, 1 FAIL, 1 UNKNOWN");
    expect(lines).toContain("Expectations: 9 of 9 pass");
    expect(lines.at(-1)).toBe("13 models · 147 requests, 7.37 MB read, 2 retries, 4 cache hits · standin 0.1.0");
  });

  it("check: a passing gate", () => {
    const ok = JSON.parse(JSON.stringify(results)) as Results;
    ok.pairs = ok.pairs.filter((p) => p.ok);
    ok.gate = { ...ok.gate, failures: [], passed: true };
    const text = renderCheckTerminal(ok, plainStyle);
    expect(text.split("\n")[0]).toBe("✓ standin: all 9 pairs meet their requirement");
    expect(text).not.toContain("Gate failures");
  });

  it("keeps reason lines within the width, cutting long ones with …", () => {
    const r = JSON.parse(JSON.stringify(results)) as Results;
    const p = r.pairs.find((x) => x.target === LLAMA_FP8)!;
    p.reasons[0] = { ...p.reasons[0]!, note: "x".repeat(400) };
    for (const width of [60, 80, 120]) {
      const lines = renderCheckTerminal(r, plainStyle, { width }).split("\n");
      const reasonLines = lines.filter((l) => l.startsWith("    ↳") || l.startsWith("    ?") || l.startsWith("      "));
      expect(reasonLines.length).toBeGreaterThan(10);
      for (const l of reasonLines) expect(visibleLength(l), l).toBeLessThanOrEqual(width);
      expect(lines.find((l) => l.includes("Weight format: bf16 → fp8-e4m3 (xxx"))).toMatch(/x…$/);
    }
  });

  it("strips control characters and escapes from data", () => {
    const r = JSON.parse(JSON.stringify(results)) as Results;
    r.pairs[0]!.target = "evil\u001b[31mred\nnext";
    r.pairs[0]!.reasons = [{ ...r.pairs[3]!.reasons[0]!, note: "a\nb\u001b]0;title\u0007" }];
    const text = renderCheckTerminal(r, plainStyle);
    expect(text).not.toMatch(ANSI);
    expect(text).not.toContain("\u0007");
    expect(text).toContain("evil [31mred next");
  });

  it("compare: every reason of a single comparison, extras and unverified features", () => {
    const ds = results.pairs.find((p) => p.target === DEEPSEEK)!;
    const lines = renderCompareTerminal([ds], plainStyle).split("\n");
    expect(lines[0]).toMatch(/^Target\s+Proxy\s+Verdict\s+Isomorphism$/);
    expect(lines[2]).toMatch(/^deepseek-ai\/DeepSeek-V3\s+Qwen\/Qwen3-30B-A3B\s+NO\s+DIFFERENT_ARCH$/);
    expect(lines.filter((l) => l.startsWith("    ↳"))).toHaveLength(10);
    expect(lines.at(-1)).toBe("    ↳ Weight format: bf16 → fp8-e4m3-block");
    const fp8 = JSON.parse(JSON.stringify(results.pairs.find((p) => p.target === LLAMA_FP8)!)) as Results["pairs"][number];
    fp8.extras = [{ ...fp8.reasons[0]!, feature: "modality", label: "Extra towers", proxy: "{vision}", target: "none" }];
    fp8.unverified = [{ ...fp8.reasons[0]!, feature: "ropeStyle", label: "RoPE layout", proxy: "rotate half", target: "unknown" }];
    fp8.notes = ["Rotary fraction: 0.5 vs 0.4, both partial rotary"];
    expect(renderCompareTerminal([fp8], plainStyle).split("\n").slice(2)).toEqual([
      expect.stringMatching(/^RedHatAI\/Meta-Llama-3\.1-8B-Instruct-FP8\s+meta-llama\/Llama-3\.1-8B-Instruct\s+PARTIAL\s+ISOMORPHIC$/),
      "    ↳ Weight format: bf16 → fp8-e4m3",
      "    + extra in the proxy: Extra towers: {vision} → none",
      "    ? unverified: RoPE layout",
      "    i Rotary fraction: 0.5 vs 0.4, both partial rotary",
    ]);
    const full = results.pairs.find((p) => p.target === "meta-llama/Llama-3.1-70B-Instruct")!;
    expect(renderCompareTerminal([full], plainStyle)).toContain("    ↳ scale only: Layers 2.5x, Hidden size 2x, FFN width 2x, Attention heads 2x");
    const unknown = results.pairs.find((p) => p.verdict === "UNKNOWN")!;
    expect(renderCompareTerminal([unknown], plainStyle)).toContain("    ? google/gemma-3-27b-it: google/gemma-3-27b-it is gated");
    expect(renderCompareTerminal([], plainStyle)).toBe("no comparisons");
  });

  it("plan: per target, the proxy, L1–L4 with GPU × TP", () => {
    const plan = results.plans.find((p) => p.target === "meta-llama/Llama-3.1-70B-Instruct")!;
    const lines = renderPlanTerminal([plan], plainStyle).split("\n");
    expect(lines[0]).toBe(`meta-llama/Llama-3.1-70B-Instruct ← ${LLAMA_8B} (FULL)`);
    expect(lines[1]).toMatch(/^ {2}Level\s+Model\s+Why\s+GPU × TP$/);
    expect(lines.slice(3).map((l) => l.trim().slice(0, 2))).toEqual(["L1", "L2", "L3", "L4"]);
    expect(lines.at(-1)).toMatch(/^ {2}L4\s+meta-llama\/Llama-3\.1-70B-Instruct\s+canary: .*1 × B200 192GB \(158 GB\)$/);
    const all = renderPlanTerminal(results.plans, plainStyle);
    expect(all).toContain("google/gemma-3-27b-it  not planned: google/gemma-3-27b-it is gated");
    expect(all).toContain("Qwen/Qwen3-0.6B  no smaller covering proxy: the target runs every level");
    expect(all).toContain("  uncovered: Weight format");
    for (const l of all.split("\n")) expect(visibleLength(l), l).toBeLessThanOrEqual(120);
  });
});
