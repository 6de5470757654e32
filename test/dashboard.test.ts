/**
 * The HTML dashboard without a browser: document structure and CSP, escaping of hostile data,
 * the compact matrix encoding (round trip against `results.matrix`), history input, module tree,
 * palette contrast and colour-blind separation, sizes and render times for 12 / 200 / 500 models.
 * The browser behaviour is in test/dashboard-browser.test.ts.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { parseHistory, readHistory, renderHtmlOption } from "../src/report/html-file.js";
import { buildSignature } from "../src/fingerprint/tensors.js";
import { CLIENT_SCRIPT } from "../src/report/html-client.js";
import { historyEntryFor, historyEntryProblem, normalizeHistory } from "../src/report/html-history.js";
import { moduleTree, renderModuleTree } from "../src/report/html-sections.js";
import { TEXT_COLORS, VERDICT_COLORS } from "../src/report/html-style.js";
import {
  buildDashboardData,
  CODE_ALPHABET,
  decodeRow,
  displayOrder,
  encodeCell,
  encodingFor,
  HEATMAP_MAX_MODELS,
  jsonForScript,
  majority,
  renderHtml,
  type DashboardData,
  type HistoryEntry,
} from "../src/report/html.js";
import { parseResults, toJson } from "../src/report/json.js";
import type { Results } from "../src/report/types.js";
import { bigZoo, HOSTILE_ID, HOSTILE_REASON, hostileZoo, LLAMA_70B, LLAMA_8B, LLAMA_FP8, realisticZoo, syntheticHistory, zoo12 } from "./dashboard-fixture.js";
import { buildResults, ZOO_SPECS } from "./support/results-fixture.js";
import { LLAMA_31_8B, llamaTensors } from "./support/tensor-fixtures.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "standin-dashboard-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The page without its JSON data blocks (inert script data): what the HTML parser turns into elements. */
function markup(html: string): string {
  return html.replace(/<script type="application\/json"[^>]*>[\s\S]*?<\/script>/g, "");
}

function dataOf(html: string): DashboardData {
  const m = /<script type="application\/json" id="standin-data">([\s\S]*?)<\/script>/.exec(html);
  if (!m) throw new Error("no data block");
  return JSON.parse(m[1]!) as DashboardData;
}

/** Every cell of the decoded matrix equals the results' matrix cell (verdict, uncovered, isomorphism). */
function expectRoundTrip(results: Results, d: DashboardData): void {
  const index = new Map(d.models.map((m, i) => [m, i]));
  const decoded = d.rows.map((r) => decodeRow(r, d.code));
  for (const row of decoded) expect(row).toHaveLength(d.models.length);
  const letter = { FULL_SUBSTITUTE: "F", PARTIAL_SUBSTITUTE: "P", NO_SUBSTITUTE: "N", UNKNOWN: "U" } as const;
  const wrong: string[] = [];
  for (const c of results.matrix) {
    const [l, unc, iso] = d.tuples[decoded[index.get(c.target)!]![index.get(c.proxy)!]!]!;
    if (l !== letter[c.verdict] || unc.map((i) => d.feat.keys[i]).join() !== c.uncovered.join() || d.iso[iso] !== c.isomorphism) wrong.push(`${c.target} <- ${c.proxy}`);
  }
  expect(wrong).toEqual([]);
  expect(d.models.filter((_, i) => d.tuples[decoded[i]![i]!]![0] !== "D")).toEqual([]);
}

describe("document", () => {
  const results = realisticZoo();
  const html = renderHtml(results, { history: syntheticHistory(results) });

  it("is one self-contained document: CSP default-src 'none', the script allowed by its hash, no external URL", () => {
    expect(html.startsWith("<!doctype html>\n<html lang=\"en\">")).toBe(true);
    const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(html)?.[1] ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-eval");
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const hash = createHash("sha256").update(scripts[0]!, "utf8").digest("base64");
    expect(csp).toContain(`script-src 'sha256-${hash}'`);
    // No resource is loaded from anywhere: no src/href/url()/@import pointing off the page.
    const refs = [...html.matchAll(/\b(?:src|href|action|poster|data)\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
    expect(refs.filter((r) => !r.startsWith("#") && r !== "data:,")).toEqual([]);
    expect(html).not.toMatch(/url\(\s*['"]?(?!#)[a-z]+:/i);
    expect(html).not.toMatch(/@import|<link(?![^>]*rel="icon" href="data:,")|<iframe|<object|<embed/i);
    // URLs from the data (an error hint, say) are text, never attributes
    const attrs = [...html.matchAll(/<[a-z][^>]*>/gi)].map((m) => m[0]).filter((t) => /https?:\/\//.test(t));
    expect(attrs).toEqual([]);
  });

  it("has the sections, landmarks and a static heatmap readable without JavaScript", () => {
    for (const id of ["summary", "heatmap", "history", "targets", "models"]) expect(html).toContain(`<section id="${id}"`);
    expect(html).toContain('<main id="main">');
    expect(html).toContain('<a class="skip" href="#heatmap">');
    expect(html).toContain('id="hm-static"');
    // filters and heatmap tools only work with the script: hidden until it runs
    expect(html).toMatch(/<nav class="filters" id="filters" aria-label="Filters" hidden>/);
    expect(html).toMatch(/<div class="hm-tools" id="hm-tools" hidden>/);
  });

  it("renders the static heatmap in display order with the matrix letters", () => {
    const d = dataOf(html);
    const table = html.slice(html.indexOf('<table class="hm" id="hm-static">'), html.indexOf("</table>", html.indexOf('id="hm-static"')));
    const rows = [...table.matchAll(/<tr(?: class="fs")?><th scope="row">[\s\S]*?<\/th>([\s\S]*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td class="[^"]*">([^<]*)<\/td>/g)].map((x) => x[1]));
    expect(rows).toHaveLength(d.models.length);
    const t = d.models.indexOf(LLAMA_70B);
    const p = d.models.indexOf(LLAMA_8B);
    expect(rows[t]![p]).toBe("F");
    expect(rows[d.models.indexOf(LLAMA_FP8)]![p]).toBe("P");
  });

  it("is deterministic", () => {
    expect(renderHtml(results, { history: syntheticHistory(results) })).toBe(html);
  });

  it("orders models by family, then size", () => {
    const { models, families } = displayOrder(results);
    expect(families).toEqual(["deepseek", "gemma3", "gpt-oss", "llama", "mistral", "mixtral", "qwen3"]);
    const llama = models.filter((m) => results.manifest?.tags[m.model]?.[0] === "llama").map((m) => m.model);
    expect(llama).toEqual([LLAMA_FP8, LLAMA_8B, LLAMA_70B]);
    const qwen = models.filter((m) => results.manifest?.tags[m.model]?.[0] === "qwen3").map((m) => m.model);
    expect(qwen).toEqual(["Qwen/Qwen3-0.6B", "Qwen/Qwen3-8B", "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-32B"]);
  });

  it("the client script parses, and cannot end its script element", () => {
    expect(() => new Function(CLIENT_SCRIPT)).not.toThrow();
    expect(CLIENT_SCRIPT).not.toMatch(/<\/script|<!--/i);
  });
});

describe("escaping", () => {
  const results = hostileZoo();
  const html = renderHtml(results);

  it("renders a hostile model id, tag, error, finding and zoo name as text", () => {
    const page = markup(html);
    expect(page).not.toContain(HOSTILE_ID);
    expect(page).not.toContain("<svg onload");
    expect(page).not.toContain("<b onmouseover");
    expect(page).not.toContain("<b>bold</b>");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
    // no tag carries an event-handler attribute (quoted attribute values blanked first)
    expect(page.replace(/"[^"]*"/g, '""').match(/<[a-z][^>]*\son[a-z]+\s*=/i)).toBeNull();
    // only the data block and the script end script elements (the hostile `</script>` is escaped)
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain("<!--");
  });

  it("escapes values of the wrong type too (a results file is checked for shape, not every value)", () => {
    const r = structuredClone(realisticZoo()); // fixture findings are shared objects: mutate a copy
    const bad = "<b class=typed>x</b>";
    const fp = r.models.find((m) => m.model === LLAMA_FP8)!;
    Object.assign(fp, { tensorCount: bad });
    Object.assign(fp.weightFormat!, { bits: bad, groupSize: bad });
    Object.assign(fp.signature!.keys["model.norm.weight"]!, { count: bad });
    const integ = r.integrity.find((x) => x.model === LLAMA_FP8)!;
    Object.assign(integ.findings[0]!, { severity: bad });
    Object.assign(integ.counts, { warning: bad });
    Object.assign(r.plans[0]!.entries[0]!, { level: bad });
    Object.assign(r.gate.failures[0]!, { line: bad });
    const page = markup(renderHtml(r));
    expect(page).not.toContain("<b class=typed>");
    expect(page).toContain("&lt;b class=typed&gt;");
  });

  it("keeps the data intact through the JSON block", () => {
    const d = dataOf(html);
    expect(d.models).toContain(HOSTILE_ID);
    expect(d.errors.some((e) => e?.includes(HOSTILE_REASON))).toBe(true);
    expect(d.families).toContain(`"><svg onload=alert(3)>`);
  });

  it("jsonForScript escapes </ and <!-- and line separators, and round-trips", () => {
    const v = { a: "</script><script>x</script>", b: "<!-- c -->", c: "\u2028\u2029", d: "\\</" };
    const s = jsonForScript(v);
    expect(s).not.toMatch(/<\/|<!--|\u2028|\u2029/);
    expect(JSON.parse(s)).toEqual(v);
  });

  it("escapes lazily inserted card bodies too (big zoos)", () => {
    const big = bigZoo(90);
    big.models[3]!.model = HOSTILE_ID;
    big.plans[3]!.target = HOSTILE_ID;
    const page = renderHtml(big);
    expect(page).toContain('id="standin-bodies"');
    expect(markup(page)).not.toContain(HOSTILE_ID);
    const bodies = JSON.parse(/id="standin-bodies">([\s\S]*?)<\/script>/.exec(page)![1]!) as Record<string, string>;
    expect(Object.values(bodies).join("")).not.toContain(HOSTILE_ID);
    expect(Object.values(bodies).join("")).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});

describe("matrix encoding", () => {
  it("round-trips the realistic zoo (one character per cell)", () => {
    const results = realisticZoo();
    const d = buildDashboardData(results);
    expect(d.code.width).toBe(1);
    expect(d.rows.every((r) => r.length === d.models.length)).toBe(true);
    expectRoundTrip(results, d);
  });

  it("round-trips a 200-model zoo and aggregates it", () => {
    const results = bigZoo(200);
    const d = buildDashboardData(results);
    expect(d.aggregate).toBe(true);
    expectRoundTrip(results, d);
  });

  it("encodes every code of every width and decodes it back", () => {
    const A = CODE_ALPHABET.length;
    expect(A).toBeGreaterThanOrEqual(80);
    expect(CODE_ALPHABET).not.toMatch(/[<>&'"\\]/);
    for (const count of [1, A, A + 1, 2000, A * A, A * A * 3]) {
      const enc = encodingFor(count, A);
      const code = { alphabet: CODE_ALPHABET, ...enc };
      const codes = [...Array(count).keys()].filter((i) => i < 50 || i > count - 50 || i % 97 === 0);
      const row = codes.map((c) => encodeCell(c, enc, CODE_ALPHABET)).join("");
      expect(decodeRow(row, code)).toEqual(codes);
      expect(enc.width).toBe(count <= A ? 1 : count <= A * A - A + 1 ? 2 : 3);
    }
  });

  it("gives the frequent cells the short codes", () => {
    const d = buildDashboardData(bigZoo(500));
    expect(d.code.width).toBe(2);
    const chars = d.rows.reduce((a, r) => a + r.length, 0);
    // 250k cells in < 1.2 characters each
    expect(chars / (500 * 500)).toBeLessThan(1.2);
  });

  it("majority: most frequent verdict, ties to the stronger one", () => {
    expect(majority({ F: 1, P: 3, N: 2, U: 0 })).toBe("P");
    expect(majority({ F: 2, P: 2, N: 2, U: 2 })).toBe("F");
    expect(majority({ F: 0, P: 0, N: 4, U: 4 })).toBe("N");
    expect(majority({ F: 0, P: 0, N: 0, U: 0 })).toBeNull();
  });

  it("fills manifest pairs missing from a sharded matrix", () => {
    const results = realisticZoo();
    const sharded = { ...results, matrix: [], shard: "1/2" };
    const d = buildDashboardData(sharded);
    const decoded = d.rows.map((r) => decodeRow(r, d.code));
    const t = d.models.indexOf(LLAMA_70B);
    const p = d.models.indexOf(LLAMA_8B);
    expect(d.tuples[decoded[t]![p]!]![0]).toBe("F");
    expect(d.tuples[decoded[p]![t]!]![0]).toBe("M");
  });
});

describe("sizes", () => {
  it("renders 1 and 0 models", () => {
    const one = buildResults([ZOO_SPECS[0]!], []);
    const h1 = renderHtml(one);
    expect(dataOf(h1).rows).toEqual([expect.any(String)]);
    expect(h1).toContain("1 model");
    const none = { ...one, models: [], matrix: [], plans: [], integrity: [], pairs: [] };
    expect(renderHtml(none)).toContain("No models in these results.");
  });

  it("stays light for 12, 200 and 500 models (sizes and render times printed)", () => {
    const lines: string[] = [];
    for (const [name, make, maxBytes] of [
      ["12", zoo12, 400_000],
      ["200", () => bigZoo(200), 3_000_000],
      ["500", () => bigZoo(500), 7_000_000],
    ] as const) {
      const results = make();
      const t0 = performance.now();
      const html = renderHtml(results, { history: syntheticHistory(results) });
      const ms = performance.now() - t0;
      const bytes = Buffer.byteLength(html);
      const gz = gzipSync(html).length;
      const data = Buffer.byteLength(/id="standin-data">([\s\S]*?)<\/script>/.exec(html)![1]!);
      lines.push(`${name} models: ${(bytes / 1e6).toFixed(2)} MB (${(gz / 1e3).toFixed(0)} KB gzip), data block ${(data / 1e3).toFixed(0)} KB, rendered in ${ms.toFixed(0)} ms`);
      expect(bytes).toBeLessThan(maxBytes);
      if (results.models.length > HEATMAP_MAX_MODELS) expect(html).toContain('id="standin-bodies"');
    }
    console.log(`[dashboard sizes]\n  ${lines.join("\n  ")}`);
  });
});

describe("history", () => {
  const entry = (date: string, f = 1, integrityFailures = 0, drifted: string[] = []): HistoryEntry => ({
    date,
    verdicts: { FULL_SUBSTITUTE: f, PARTIAL_SUBSTITUTE: 2, NO_SUBSTITUTE: 3, UNKNOWN: 0 },
    integrityFailures,
    drifted,
  });

  it("validates entries and says what is wrong", () => {
    expect(historyEntryProblem(entry("2026-07-20"))).toBeNull();
    expect(historyEntryProblem({ ...entry("2026-07-20"), date: "2026-07-20T06:00:00.000Z" })).toBeNull();
    expect(historyEntryProblem({ ...entry("2026-07-20"), date: "last week" })).toMatch(/date must be an ISO date/);
    expect(historyEntryProblem({ ...entry("2026-07-20"), verdicts: { FULL: 1 } })).toMatch(/unknown verdict "FULL"/);
    expect(historyEntryProblem({ ...entry("2026-07-20"), verdicts: { NO_SUBSTITUTE: -1 } })).toMatch(/non-negative integer/);
    expect(historyEntryProblem({ ...entry("2026-07-20"), integrityFailures: 1.5 })).toMatch(/integrityFailures/);
    expect(historyEntryProblem({ ...entry("2026-07-20"), drifted: "a" })).toMatch(/drifted/);
    expect(historyEntryProblem([])).toMatch(/object/);
  });

  it("normalizes: sorted by date, one entry per date (the last), missing counts are 0", () => {
    const partial = { date: "2026-07-06", verdicts: { NO_SUBSTITUTE: 4 }, integrityFailures: 0, drifted: ["a", "a"] } as unknown as HistoryEntry;
    const out = normalizeHistory([entry("2026-07-20", 1), partial, entry("2026-07-20", 9), entry("2026-06-29T06:00:00Z")]);
    expect(out.map((e) => e.date)).toEqual(["2026-06-29", "2026-07-06", "2026-07-20"]);
    expect(out[2]!.verdicts.FULL_SUBSTITUTE).toBe(9);
    expect(out[1]!.verdicts).toEqual({ FULL_SUBSTITUTE: 0, PARTIAL_SUBSTITUTE: 0, NO_SUBSTITUTE: 4, UNKNOWN: 0 });
    expect(out[1]!.drifted).toEqual(["a"]);
  });

  it("historyEntryFor counts the matrix verdicts and integrity failures of a results file", () => {
    const r = realisticZoo();
    const e = historyEntryFor(r, [LLAMA_8B]);
    expect(e.date).toBe("2026-07-20");
    expect(Object.values(e.verdicts).reduce((a, b) => a + b, 0)).toBe(r.matrix.length);
    expect(e.integrityFailures).toBe(1);
    expect(e.drifted).toEqual([LLAMA_8B]);
  });

  it("reads a file, a single entry, or a directory (skipping files that are not history)", async () => {
    const file = path.join(tmp, "history.json");
    writeFileSync(file, JSON.stringify([entry("2026-07-13"), entry("2026-07-06", 1, 2, [LLAMA_8B])]));
    expect((await readHistory(file)).entries.map((e) => e.date)).toEqual(["2026-07-06", "2026-07-13"]);
    const dir = path.join(tmp, "history");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "2026-07-06.json"), JSON.stringify(entry("2026-07-06")));
    writeFileSync(path.join(dir, "2026-07-13.json"), JSON.stringify([entry("2026-07-13")]));
    writeFileSync(path.join(dir, "results.json"), toJson(realisticZoo()));
    writeFileSync(path.join(dir, "notes.txt"), "not json");
    const { entries, warnings } = await readHistory(dir);
    expect(entries.map((e) => e.date)).toEqual(["2026-07-06", "2026-07-13"]);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/skipped .*results\.json: .*entry 1: date must be an ISO date/);
    expect(() => parseHistory("{", "h.json")).toThrow(/h\.json: not JSON/);
    expect(() => parseHistory('[{"date":"2026-01-01"}]', "h.json")).toThrow(/h\.json: entry 1: 2026-01-01: verdicts must be an object/);
    await expect(readHistory(path.join(tmp, "missing.json"))).rejects.toThrow(/cannot read history/);
  });

  it("renders charts, the drift list and the data table", () => {
    const r = realisticZoo();
    const h = syntheticHistory(r, 12);
    const html = renderHtml(r, { history: h });
    expect(html.match(/<svg role="img"/g)).toHaveLength(2);
    expect(html).toContain("History data (12 runs)");
    const drifted = h.filter((e) => e.drifted.length > 0);
    expect(drifted.length).toBeGreaterThan(0);
    for (const e of drifted) expect(html).toContain(`<li><b>${e.date}</b>: `);
    expect(renderHtml(r)).not.toContain('<section id="history"');
  });
});

describe("CLI", () => {
  it("renderHtmlOption writes the page from a results file and a history directory", async () => {
    const results = parseResults(toJson(realisticZoo()), "results.json");
    const dir = path.join(tmp, "cli-history");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "history.json"), JSON.stringify(syntheticHistory(results, 8)));
    const out = path.join(tmp, "out", "nested", "zoo.html");
    const r = await renderHtmlOption(results, out, dir);
    expect(r).toMatchObject({ file: out, history: 8, warnings: [] });
    const html = readFileSync(out, "utf8");
    expect(Buffer.byteLength(html)).toBe(r.bytes);
    expect(html).toContain('<section id="history"');
    const plain = await renderHtmlOption(results, path.join(tmp, "plain.html"));
    expect(plain.history).toBe(0);
  });
});

describe("module tree", () => {
  const sig = buildSignature(llamaTensors("bf16", LLAMA_31_8B));

  it("builds the tree from the normalized keys", () => {
    const root = moduleTree(sig);
    expect(root.keys).toBe(Object.keys(sig.keys).length);
    expect(root.tensors).toBe(2 + 32 * 9 + 1);
    const layer = root.children.get("model")!.children.get("layers")!.children.get("{L}")!;
    expect([...layer.children.keys()]).toEqual(["input_layernorm", "mlp", "post_attention_layernorm", "self_attn"]);
    expect(layer.children.get("self_attn")!.children.get("q_proj")!.children.get("weight")!.leaf).toMatchObject({ shape: [4096, 4096], dtype: "BF16", count: 32, kind: "attn_q" });
  });

  it("renders collapsible, with single-child chains merged", () => {
    const html = renderModuleTree(sig);
    expect(html).toMatch(/^<details class="mt"><summary>Module tree: 12 normalized keys, 291 tensors/);
    expect(html).toContain("<code>layers.{L}</code>");
    expect(html).toContain('<code>q_proj.weight</code> <span class="s">4096×4096 BF16 ×32 · attn_q</span>');
    expect(renderModuleTree(null)).toContain("No module tree");
  });
});

describe("palette", () => {
  const lin = (c: number): number => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  const rgb = (hex: string): number[] => [1, 3, 5].map((i) => lin(parseInt(hex.slice(i, i + 2), 16)));
  const lum = (hex: string): number => {
    const [r, g, b] = rgb(hex) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a: string, b: string): number => {
    const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p) as [number, number];
    return (x + 0.05) / (y + 0.05);
  };

  it("every letter and text colour meets WCAG AA (4.5:1)", () => {
    for (const s of Object.values(VERDICT_COLORS)) expect(contrast(s.fg, s.bg)).toBeGreaterThanOrEqual(4.5);
    for (const c of Object.values(TEXT_COLORS)) expect(contrast(c, "#FFFFFF")).toBeGreaterThanOrEqual(4.5);
    // faded (filtered-out) cells, diagonal and band text
    expect(contrast("#767676", "#FFFFFF")).toBeGreaterThanOrEqual(4.5);
    expect(contrast("#595959", "#F1F1F1")).toBeGreaterThanOrEqual(4.5);
    expect(contrast(TEXT_COLORS.text, "#EEF0F3")).toBeGreaterThanOrEqual(4.5);
  });

  it("verdict fills stay apart under protanopia, deuteranopia and tritanopia (Machado 2009, CIELAB ΔE ≥ 15)", () => {
    const M: Record<string, number[][]> = {
      normal: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
      protan: [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
      deutan: [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.01182, 0.04294, 0.968881]],
      tritan: [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.3039]],
    };
    const lab = (v: number[]): number[] => {
      const [r, g, b] = v as [number, number, number];
      const f = (t: number): number => (t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116);
      const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
      const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
      return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
    };
    const fills = Object.values(VERDICT_COLORS).map((s) => s.bg);
    for (const m of Object.values(M)) {
      const sim = fills.map((hex) => lab(m.map((row) => Math.min(1, Math.max(0, row.reduce((a, k, i) => a + k * rgb(hex)[i]!, 0))))));
      for (let i = 0; i < sim.length; i++)
        for (let j = i + 1; j < sim.length; j++) {
          const [a, b] = [sim[i]!, sim[j]!];
          expect(Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!)).toBeGreaterThanOrEqual(15);
        }
    }
  });
});
