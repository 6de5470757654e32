import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  COMMENT_BUDGET,
  DEFAULT_BUDGET,
  escapeCell,
  mermaidId,
  mermaidLabel,
  renderGateSection,
  renderHeadline,
  renderIntegrity,
  renderMatrix,
  renderMermaid,
  renderModels,
  renderPairTable,
  renderPlans,
  renderReport,
} from "../src/report/markdown.js";
import type { Results } from "../src/report/types.js";
import { REPO_ROOT } from "./support/corpus-files.js";
import {
  bigZooResults,
  buildResults,
  EXAMPLE_REPORT_PATH,
  exampleReport,
  LLAMA_8B,
  LLAMA_FP8,
  QWEN_32B,
  QWEN_MOE,
  zooResults,
  ZOO_PAIRS,
  ZOO_SPECS,
  type ModelSpecLite,
} from "./support/results-fixture.js";

const URL_ = "https://github.com/acme/engine/actions/runs/42";
const MARKER = "<!-- standin:pr-comment v1 -->";
const bytes = (s: string): number => Buffer.byteLength(s, "utf8");

/** Split a GFM table row into cells: a pipe preceded by an odd number of backslashes is content. */
function cells(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let slashes = 0;
  for (const ch of line) {
    if (ch === "|" && slashes % 2 === 0) {
      out.push(cur);
      cur = "";
    } else cur += ch;
    slashes = ch === "\\" ? slashes + 1 : 0;
  }
  out.push(cur);
  return out.slice(1, -1).map((c) => c.trim());
}

/** Every table (consecutive lines starting with "|") is complete: each row has the header's cell count. */
function expectTablesComplete(md: string): number {
  let tables = 0;
  let width = -1;
  const bad: string[] = [];
  for (const line of md.split("\n")) {
    if (!line.startsWith("|")) {
      width = -1;
      continue;
    }
    const n = cells(line).length;
    if (width === -1) {
      width = n;
      tables++;
    } else if (n !== width) bad.push(`${n} cells, want ${width}: ${line.slice(0, 120)}`);
  }
  expect(bad).toEqual([]);
  return tables;
}

/** <details> tags balance and never close before they open; one <summary> per <details>. */
function expectDetailsBalanced(md: string): void {
  let depth = 0;
  let opened = 0;
  let minDepth = 0;
  for (const m of md.matchAll(/<(\/?)details\b[^>]*>/g)) {
    depth += m[1] ? -1 : 1;
    if (!m[1]) opened++;
    minDepth = Math.min(minDepth, depth);
  }
  expect(minDepth).toBe(0);
  expect(depth).toBe(0);
  expect((md.match(/<summary>/g) ?? []).length).toBe(opened);
  expect((md.match(/<\/summary>/g) ?? []).length).toBe(opened);
}

/** Header and body rows of the tables in `md` (delimiter rows left out). */
function tableRows(md: string): string[] {
  return md.split("\n").filter((l) => l.startsWith("| ") && !/^\| -/.test(l));
}

function clone(r: Results): Results {
  return JSON.parse(JSON.stringify(r)) as Results;
}

describe("escapeCell", () => {
  it("escapes pipes and backslashes so a model id with | stays in one cell", () => {
    expect(escapeCell("a|b")).toBe("a\\|b");
    expect(escapeCell("a\\b")).toBe("a\\\\b");
    // a backslash right before a pipe: the pipe stays escaped (odd number of backslashes before it)
    expect(escapeCell("a\\|b")).toBe("a\\\\\\|b");
    expect(cells(`| ${escapeCell("x|y\\|z\\")} | two |`)).toHaveLength(2);
  });

  it("turns newlines into <br> and neutralizes HTML", () => {
    expect(escapeCell("line1\nline2\r\nline3\rline4")).toBe("line1<br>line2<br>line3<br>line4");
    expect(escapeCell("<script>alert(1)</script>")).toBe("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(escapeCell("a & b <!-- c -->")).toBe("a &amp; b &lt;!-- c --&gt;");
    expect(escapeCell("tab\there\u0007bell")).toBe("tab\there bell");
  });

  it("escapes inline and leading markdown markers but keeps ordinary ids readable", () => {
    expect(escapeCell("**bold** `code` [x](y) ~~s~~")).toBe("\\*\\*bold\\*\\* \\`code\\` \\[x\\](y) \\~\\~s\\~\\~");
    expect(escapeCell("# heading")).toBe("\\# heading");
    expect(escapeCell("- item")).toBe("\\- item");
    expect(escapeCell("1. item")).toBe("1\\. item");
    expect(escapeCell("---")).toBe("\\---");
    expect(escapeCell("_x_")).toBe("\\_x\\_");
    expect(escapeCell("Qwen/Qwen-1_8B-Chat")).toBe("Qwen/Qwen-1_8B-Chat");
    expect(escapeCell("meta-llama/Llama-3.1-8B")).toBe("meta-llama/Llama-3.1-8B");
    expect(escapeCell("standin 0.1.0")).toBe("standin 0.1.0");
  });
});

describe("renderReport: the 13-model zoo", () => {
  const results = zooResults();
  const md = renderReport(results, { detailsUrl: URL_, marker: MARKER });

  it("starts with the one-line headline: gate result and counts", () => {
    const [first, , second] = md.split("\n");
    expect(first).toBe("### ❌ standin: 2 gate failures — 1 pair below its required verdict, 1 model failed integrity");
    expect(second).toContain("🟢 3 FULL · 🟡 3 PARTIAL · 🔴 3 NO · ⚪ 1 UNKNOWN");
    expect(second).toContain("✅ 11 PASS · ❌ 1 FAIL · ⚪ 1 UNKNOWN");
  });

  it("orders the sections most important first", () => {
    const marks = [
      "### ❌ standin",
      "#### ❌ Gate failures (2)",
      "#### Pairs (10)",
      "📋 Test plans",
      "#### Integrity:",
      "🔢 Verdict matrix",
      "🕸️ Proxy graph",
      "📦 Models (13)",
      "<sub>🌐",
      MARKER,
    ];
    const at = marks.map((m) => md.indexOf(m));
    for (const [i, pos] of at.entries()) expect(pos, marks[i]).toBeGreaterThanOrEqual(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(md.trimEnd().endsWith(MARKER)).toBe(true);
  });

  it("lists each gate failure with subject, reason and manifest line", () => {
    const gates = renderGateSection(results);
    expect(gates).toContain(`**${QWEN_MOE} ← Qwen/Qwen3-8B** (pair below its requirement): NO_SUBSTITUTE, requires PARTIAL`);
    expect(gates).toContain("model-zoo.yaml:124");
    expect(gates).toContain(`**${LLAMA_FP8}** (integrity)`);
    expect(gates).toContain("model-zoo.yaml:63");
    expect(renderGateSection({ ...results, gate: { ...results.gate, failures: [], passed: true } })).toBe("");
  });

  it("renders the pair table: verdict with emoji and word, required, short reasons, isomorphism", () => {
    const t = renderPairTable(results);
    const rows = tableRows(t);
    expect(cells(rows[0]!)).toEqual(["Target", "Proxy", "Verdict", "Required", "Why (proxy → target)", "Isomorphism"]);
    // failing pair first
    expect(cells(rows[1]!)).toEqual([
      QWEN_MOE,
      "Qwen/Qwen3-8B",
      "🔴 NO",
      "❌ PARTIAL",
      "MoE: dense → MoE<br>Architecture class: Qwen3ForCausalLM → Qwen3MoeForCausalLM",
      "DIFFERENT_ARCH",
    ]);
    const fp8 = rows.map(cells).find((c) => c[0] === LLAMA_FP8);
    expect(fp8).toEqual([LLAMA_FP8, LLAMA_8B, "🟡 PARTIAL", "✅ PARTIAL", "Weight format: bf16 → fp8-e4m3", "ISOMORPHIC"]);
    const full = rows.map(cells).find((c) => c[1] === LLAMA_8B && c[2] === "🟢 FULL");
    expect(full?.[4]).toBe("scale only: Layers 2.5x, Hidden size 2x, FFN width 2x");
    // DeepSeek has 10 reasons: three shown, the rest counted and listed in the fold
    expect(t).toContain("+7 more");
    expect(t).toContain("<summary>All reasons (1 pair)</summary>");
    expect(t).toContain("- Weight format: bf16 → fp8-e4m3-block");
    expectTablesComplete(t);
  });

  it("lists extras, unverified features and notes in the reasons fold", () => {
    const r = clone(results);
    const p = r.pairs.find((x) => x.target === LLAMA_FP8)!;
    const base = p.reasons[0]!;
    p.extras = [{ ...base, feature: "modality", label: "Extra towers", proxy: "{vision}", target: "none", note: "proxy has an extra vision tower" }];
    p.unverified = [{ ...base, feature: "ropeStyle", label: "RoPE layout", proxy: "rotate half", target: "unknown" }];
    p.notes = ["Rotary fraction: 0.5 vs 0.4, both partial rotary"];
    const t = renderPairTable(r);
    expect(t).toContain("<summary>All reasons (2 pairs)</summary>");
    expect(t).toContain(`**${LLAMA_FP8} ← ${LLAMA_8B}** (🟡 PARTIAL)\n\n- Weight format: bf16 → fp8-e4m3\n- extra in the proxy: Extra towers: {vision} → none (proxy has an extra vision tower)\n- unverified: RoPE layout: rotate half → unknown\n- note: Rotary fraction: 0.5 vs 0.4, both partial rotary`);
  });

  it("folds the plans, lists L1–L4 with GPU × TP", () => {
    const p = renderPlans(results);
    expect(p.startsWith("<details>\n<summary>📋 Test plans (13 targets)")).toBe(true);
    expect(p).toContain(`**${"meta-llama/Llama-3.1-70B-Instruct"}** ← ${LLAMA_8B} (🟢 FULL)`);
    expect(p).toMatch(/\| L4 canary \| meta-llama\/Llama-3\.1-70B-Instruct \| .* \| 1 × B200 192GB \(158 GB\) \|/);
    expect(p).toContain("**google/gemma-3-27b-it**: not planned");
    const compact = renderPlans(results, { compact: true });
    expect(compact).toContain("| Target | Proxy | Verdict | Target runs | L4 on |");
    expectDetailsBalanced(p);
    expectDetailsBalanced(compact);
  });

  it("puts FAIL models first with their findings folded, then UNKNOWN ones and the expectations", () => {
    const i = renderIntegrity(results);
    expect(i.startsWith("#### Integrity: ✅ 11 PASS · ❌ 1 FAIL · ⚪ 1 UNKNOWN")).toBe(true);
    const fail = i.indexOf(`<summary>❌ FAIL ${LLAMA_FP8}: 1 error, 1 warning</summary>`);
    const unknown = i.indexOf("⚪ **google/gemma-3-27b-it** UNKNOWN — gated:");
    expect(fail).toBeGreaterThan(0);
    expect(unknown).toBeGreaterThan(fail);
    expect(i).toContain("| error | ST_OFFSET_GAP |");
    expect(i).toContain("**Expectations:** ✅ 9 of 9 checks pass.");
    const bad = clone(results);
    bad.expectations[0] = { ...bad.expectations[0]!, ok: false, actual: 7.6e9, message: "params 7.6B, declared 8.19B (off by 7.2%)" };
    expect(renderIntegrity(bad)).toContain("| Qwen/Qwen3-8B | params | 8.19B | 7.6B | params 7.6B, declared 8.19B (off by 7.2%) |");
  });

  it("renders the verdict matrix with single-letter cells", () => {
    const m = renderMatrix(results);
    expect(m).toContain("🔢 Verdict matrix: 13 models, 156 ordered pairs");
    const rows = tableRows(m);
    expect(cells(rows[0]!)).toHaveLength(2 + 13);
    const llama70 = rows.map(cells).find((c) => c[1] === "meta-llama/Llama-3.1-70B-Instruct")!;
    expect(llama70[2 + 4]).toBe("🟢 F"); // column 5 = Llama-3.1-8B
    expect(llama70[2 + 5]).toBe("·");
    expect(llama70[2 + 12]).toBe("⚪ ?");
    expectTablesComplete(m);
  });

  it("draws FULL (solid) and PARTIAL (dashed) proxy → target edges in mermaid", () => {
    const g = renderMermaid(results);
    expect(g).toContain("```mermaid\nflowchart LR");
    expect(g).toContain("m_meta_llama_Llama_3_1_8B_Instruct -->|FULL| m_meta_llama_Llama_3_1_70B_Instruct");
    expect(g).toContain("m_Qwen_Qwen3_0_6B -.->|PARTIAL| m_Qwen_Qwen3_32B");
    // NO and UNKNOWN pairs are not edges
    expect(g).not.toContain("m_Qwen_Qwen3_8B -.->|PARTIAL| m_Qwen_Qwen3_30B_A3B");
    expect(g).not.toMatch(/gemma/);
  });

  it("folds the models table: revision, source, params, weights, format, integrity, requests", () => {
    const m = renderModels(results);
    expect(m).toContain("| Qwen/Qwen3-30B-A3B | ad44e77 | safetensors | 30.5B (3.35B active) | 61.1 GB | bf16 | ✅ PASS | 18 |");
    expect(m).toContain("| deepseek-ai/DeepSeek-V3 | 31f678c | config | 684B (37.6B active) | ≈688 GB | fp8-e4m3-block | ✅ PASS | 2 |");
    expect(m).toContain("| google/gemma-3-27b-it | main | — | ? | ? | ? | ⚪ UNKNOWN (gated) | 1 |");
  });

  it("ends with network figures, tool version, the details link and the marker", () => {
    expect(md).toContain(`<sub>🌐 147 requests, 7.37 MB read, 2 retries, 4 cache hits · zoo engine-ci-zoo · standin 0.1.0 · 2026-07-20 06:00:00 UTC · [full report](${URL_})</sub>`);
    expect(md.endsWith(`${MARKER}\n`)).toBe(true);
    expectDetailsBalanced(md);
    expect(expectTablesComplete(md)).toBeGreaterThan(10);
  });

  it("says when the gate passes", () => {
    const ok = clone(results);
    ok.pairs = ok.pairs.filter((p) => p.ok);
    ok.gate = { ...ok.gate, failures: [], passed: true };
    expect(renderHeadline(ok)).toBe("### ✅ standin: all 9 pairs meet their requirement");
    const notGated = clone(results);
    notGated.gate = { failOn: ["integrity"], failures: [], passed: true };
    expect(renderHeadline(notGated, "engine zoo")).toBe("### ✅ engine zoo: gate passed — 1 pair below its required verdict, not gated (fail-on: integrity)");
    const noPairs = { ...ok, pairs: [] };
    expect(renderHeadline(noPairs)).toBe("### ✅ standin: gate passed — 13 models, no manifest pairs");
    expect(renderHeadline({ ...ok, shard: "2/4" })).toBe("### ✅ standin: all 9 pairs meet their requirement (shard 2/4)");
  });

  it("fits in one sentence per gate reason", () => {
    const r = clone(results);
    r.gate.failures.push(
      { reason: "expectations", subject: QWEN_32B, message: "layers 60, declared 64" },
      { reason: "expectations", subject: LLAMA_8B, message: "params 9B, declared 8.03B" },
      { reason: "unknown", subject: "google/gemma-3-27b-it", message: "gated" },
    );
    expect(renderHeadline(r)).toBe(
      "### ❌ standin: 5 gate failures — 1 pair below its required verdict, 1 model failed integrity, 2 expectation checks failed, 1 model could not be fingerprinted",
    );
  });
});

describe("touched models", () => {
  const results = zooResults();
  const md = renderReport(results, { touched: [LLAMA_FP8], detailsUrl: URL_ });

  it("puts pairs of touched models first and folds the rest of the zoo", () => {
    const pairs = renderPairTable(results, { touched: [LLAMA_FP8] });
    const fold = pairs.indexOf("<summary>Other pairs in the zoo (9):");
    expect(fold).toBeGreaterThan(0);
    expect(pairs.indexOf(`| ${LLAMA_FP8} | ${LLAMA_8B} |`)).toBeLessThan(fold);
    expect(pairs.indexOf(`| ${QWEN_MOE} |`)).toBeGreaterThan(fold);
    expectDetailsBalanced(pairs);
  });

  it("orders models, plans and gate failures touched-first", () => {
    const models = renderModels(results, { touched: [LLAMA_FP8] });
    const fold = models.indexOf("<summary>Other models in the zoo (12)</summary>");
    expect(models.indexOf(`| ${LLAMA_FP8} |`)).toBeLessThan(fold);
    expect(models.indexOf("| Qwen/Qwen3-0.6B |")).toBeGreaterThan(fold);
    const plans = renderPlans(results, { touched: [LLAMA_FP8] });
    expect(plans.indexOf(`**${LLAMA_FP8}** ←`)).toBeLessThan(plans.indexOf("<summary>Other targets in the zoo (12)</summary>"));
    const gates = renderGateSection(results, { touched: [LLAMA_FP8] });
    expect(gates.indexOf(LLAMA_FP8)).toBeLessThan(gates.indexOf(QWEN_MOE));
    expectDetailsBalanced(md);
  });

  it("says so when no pair involves a touched model", () => {
    expect(renderPairTable(results, { touched: ["someone/else"] })).toContain("_No manifest pair involves a model this change touches._");
    expect(renderModels(results, { touched: [] })).toContain("_No model of the zoo is touched by this change._");
  });
});

describe("hostile model ids and reasons", () => {
  const evil = "evil|org/mo<script>alert(1)</script>del";
  const specs: ModelSpecLite[] = [
    ...ZOO_SPECS.filter((s) => s.id !== LLAMA_FP8),
    { id: evil, tags: ["e|vil", "dense"], line: 200, features: { weightFormat: "fp8-e4m3" }, scale: { layers: 32, hiddenSize: 4096 }, params: 8e9, weightBytes: 9e9 },
    { id: 'quote"d end', tags: ["end"], line: 201, scale: { layers: 64, hiddenSize: 8192 }, params: 70e9, weightBytes: 141e9 },
  ];
  const pairs = [
    ...ZOO_PAIRS.filter((p) => p.target !== LLAMA_FP8),
    { target: evil, proxy: LLAMA_8B, require: "FULL" as const, line: 300 },
    { target: 'quote"d end', proxy: LLAMA_8B, require: "FULL" as const, line: 301 },
  ];
  const results = buildResults(specs, pairs, { aliases: [["MistralForCausalLM", "LlamaForCausalLM"]] });
  const evilPair = results.pairs.find((p) => p.target === evil)!;
  evilPair.reasons[0] = { ...evilPair.reasons[0]!, note: "first line\nsecond | line <!-- x -->" };
  const md = renderReport(results, { detailsUrl: URL_, marker: MARKER });

  it("never emits raw HTML from data", () => {
    expect(md).not.toContain("<script");
    expect(md).not.toContain("<!-- x");
    expect(md).toContain("evil\\|org/mo&lt;script&gt;alert(1)&lt;/script&gt;del");
    expectDetailsBalanced(md);
  });

  it("keeps every table row at its column count", () => {
    expectTablesComplete(md);
    const row = md.split("\n").find((l) => l.startsWith("| evil"))!;
    const c = cells(row);
    expect(c).toHaveLength(6);
    expect(c[4]).toBe("Weight format: bf16 → fp8-e4m3 (first line<br>second \\| line &lt;!-- x --&gt;)");
  });

  it("sanitizes mermaid ids and labels", () => {
    const g = renderMermaid(results);
    const ids = [...g.matchAll(/^ {2}(\S+)\["/gm)].map((m) => m[1]!);
    expect(ids.length).toBeGreaterThan(3);
    for (const id of ids) expect(id).toMatch(/^m_[A-Za-z0-9_]+$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(g).toContain('m_quote_d_end["quote#quot;d end"]');
    expect(g).toContain('["evil|org/mo#lt;script#gt;alert(1)#lt;/script#gt;del"]');
    expect(mermaidId("end")).toBe("m_end");
    expect(mermaidId("a/b c.d")).toBe("m_a_b_c_d");
    expect(mermaidLabel("a#b`c\nd")).toBe("a#35;b#96;c d");
  });

  it("keeps ids that sanitize alike apart", () => {
    const twins: ModelSpecLite[] = [
      { id: "a/b", tags: ["t"], line: 1, scale: { layers: 2 }, params: 1e6, weightBytes: 2e6 },
      { id: "a_b", tags: ["t"], line: 2, scale: { layers: 4 }, params: 2e6, weightBytes: 4e6 },
    ];
    const g = renderMermaid(buildResults(twins, [{ target: "a_b", proxy: "a/b", require: null, line: 3 }]));
    expect(g).toContain('m_a_b["a/b"]');
    expect(g).toContain('m_a_b_2["a_b"]');
    expect(g).toContain("m_a_b -->|FULL| m_a_b_2");
  });
});

describe("big zoos and budgets", () => {
  const zoos = [200, 500].map((n) => ({ n, results: bigZooResults(n) }));

  it("summarizes the matrix per family above 30 models and says so", () => {
    const m = renderMatrix(zoos[0]!.results);
    expect(m).toContain("🔢 Verdict matrix by family: 200 models in 23 families, 39800 ordered pairs");
    expect(m).toContain("so the matrix is summarized per family (family = first manifest tag, else architecture class)");
    const rows = tableRows(m);
    expect(rows).toHaveLength(1 + 23);
    expect(cells(rows[0]!)).toHaveLength(4);
  });

  it("leaves the mermaid graph out past 60 edges with a note", () => {
    const g = renderMermaid(zoos[0]!.results);
    expect(g).not.toContain("```mermaid");
    expect(g).toMatch(/^_🕸️ The proxy graph has \d+ edges \(more than 60\), so it is left out/);
  });

  for (const budget of [COMMENT_BUDGET, DEFAULT_BUDGET]) {
    for (const n of [200, 500]) {
      it(`a ${n}-model zoo fits ${budget} bytes`, () => {
        const { results } = zoos.find((z) => z.n === n)!;
        const touched = [results.models[20]!.model, results.models[21]!.model];
        const unbounded = renderReport(results, { budget: Number.POSITIVE_INFINITY, detailsUrl: URL_, marker: MARKER, touched });
        const md = renderReport(results, { budget, detailsUrl: URL_, marker: MARKER, touched });
        expect(bytes(md)).toBeLessThanOrEqual(budget);
        expect(md.length).toBeLessThanOrEqual(budget);
        expect(md.startsWith("### ❌ standin: ")).toBe(true);
        expect(md.endsWith(`${MARKER}\n`)).toBe(true);
        expectDetailsBalanced(md);
        expectTablesComplete(md);
        const note = `Some sections were left out to fit; see the [full report](${URL_}).`;
        if (bytes(unbounded) > budget) {
          expect(md).toContain(note);
          // every gate failure is still counted in the headline and the section is there
          expect(md).toContain("#### ❌ Gate failures");
        } else {
          expect(md).toBe(unbounded);
          expect(md).not.toContain(note);
        }
      });
    }
  }

  it("a heavy 500-model manifest (2000 pairs) is cut to the 1 MB summary budget with the note", () => {
    const results = bigZooResults(500, { extraPairsPerModel: 3 });
    const md = renderReport(results, { detailsUrl: URL_ });
    expect(bytes(renderReport(results, { budget: Number.POSITIVE_INFINITY }))).toBeGreaterThan(DEFAULT_BUDGET);
    expect(bytes(md)).toBeLessThanOrEqual(DEFAULT_BUDGET);
    expect(md).toContain(`Some sections were left out to fit; see the [full report](${URL_}).`);
    // the pair table keeps its 2000 rows; its "All reasons" fold is what goes
    expect(md).toContain("(shortened: pairs)");
    expect(md).not.toContain("<summary>All reasons");
    expect(tableRows(md.slice(md.indexOf("#### Pairs"), md.indexOf("📋 Test plans"))).length).toBe(1 + 2000);
    // and at the PR comment budget the table itself is cut to a stated number of rows
    const comment = renderReport(results, { budget: COMMENT_BUDGET, detailsUrl: URL_ });
    expect(bytes(comment)).toBeLessThanOrEqual(COMMENT_BUDGET);
    expect(comment).toMatch(/_Showing \d+ of 2000 pairs \(failing first\); all of them are in the \[full report\]/);
    expectDetailsBalanced(md);
    expectTablesComplete(md);
  });

  it("drops whole sections, never a part of a table, down to tiny budgets", () => {
    const results = zooResults();
    const full = renderReport(results, { marker: MARKER });
    for (const budget of [15_000, 8_000, 3_000, 1_200, 400, 120]) {
      const md = renderReport(results, { budget, detailsUrl: URL_, marker: MARKER });
      expect(bytes(md), `budget ${budget}`).toBeLessThanOrEqual(budget);
      expect(md.endsWith(`${MARKER}\n`)).toBe(true);
      expectDetailsBalanced(md);
      expectTablesComplete(md);
      expect(md.length).toBeLessThan(full.length);
    }
    // the models table (bottom) goes before the gate failures (top)
    const mid = renderReport(results, { budget: 8_000, detailsUrl: URL_ });
    expect(mid).toContain("#### ❌ Gate failures (2)");
    expect(mid).toContain("left out:");
    expect(() => renderReport(results, { budget: 10, marker: MARKER })).toThrow(RangeError);
  });
});

describe("docs/examples/report.md", () => {
  it("is up to date with the renderer (run `npx tsx scripts/render-example-report.ts`)", () => {
    const committed = readFileSync(path.join(REPO_ROOT, EXAMPLE_REPORT_PATH), "utf8");
    expect(committed).toBe(exampleReport());
  });
});
