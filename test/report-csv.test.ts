import { describe, expect, it } from "vitest";
import { csvField, matrixCsv, MATRIX_COLUMNS, modelsCsv, MODELS_COLUMNS, pairsCsv, PAIRS_COLUMNS, toCsv } from "../src/report/csv.js";
import type { Results } from "../src/report/types.js";
import { DEEPSEEK, LLAMA_8B, LLAMA_FP8, zooResults } from "./support/results-fixture.js";

/** A tiny RFC 4180 parser: CRLF (or LF) records, quoted fields with doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i++;
      } else {
        field += c;
        i++;
      }
      continue;
    }
    if (c === '"' && field === "") {
      quoted = true;
      i++;
    } else if (c === ",") {
      row.push(field);
      field = "";
      i++;
    } else if (c === "\r" || c === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
    } else {
      if (c === '"') throw new Error(`bare quote inside an unquoted field at ${i}`);
      field += c;
      i++;
    }
  }
  if (quoted) throw new Error("unterminated quoted field");
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

describe("CSV fields", () => {
  it("quotes quotes, commas and line breaks (RFC 4180)", () => {
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField("line1\nline2")).toBe('"line1\nline2"');
    expect(csvField("cr\rlf")).toBe('"cr\rlf"');
    expect(csvField("plain")).toBe("plain");
    expect(csvField(null)).toBe("");
    expect(csvField(undefined)).toBe("");
    expect(csvField(true)).toBe("true");
    expect(csvField(8_030_261_248)).toBe("8030261248");
  });

  it("neutralizes formula injection in text cells but writes numbers as numbers", () => {
    expect(csvField("=HYPERLINK(\"http://x\")")).toBe("\"'=HYPERLINK(\"\"http://x\"\")\"");
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("-2+3")).toBe("'-2+3");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvField("\tcmd")).toBe("'\tcmd");
    expect(csvField(-5)).toBe("-5");
    expect(csvField("a=b")).toBe("a=b");
  });

  it("ends every record with CRLF and round-trips through a parser", () => {
    const rows = [
      ["a", 'b "q"', "c,d"],
      ["multi\nline", "", "=1+1"],
    ];
    const text = toCsv(["x", "y", "z"], rows);
    expect(text.endsWith("\r\n")).toBe(true);
    expect(text.split("\r\n")).toHaveLength(4);
    expect(parseCsv(text)).toEqual([["x", "y", "z"], ["a", 'b "q"', "c,d"], ["multi\nline", "", "'=1+1"]]);
  });
});

describe("results CSVs", () => {
  const results = zooResults();

  it("pairsCsv: header, stable columns, one row per pair", () => {
    const rows = parseCsv(pairsCsv(results));
    expect(rows[0]).toEqual([...PAIRS_COLUMNS]);
    expect(rows).toHaveLength(1 + results.pairs.length);
    for (const r of rows) expect(r).toHaveLength(PAIRS_COLUMNS.length);
    const fp8 = rows.find((r) => r[0] === LLAMA_FP8)!;
    const col = (name: (typeof PAIRS_COLUMNS)[number]): string => fp8[PAIRS_COLUMNS.indexOf(name)]!;
    expect(col("proxy")).toBe(LLAMA_8B);
    expect(col("verdict")).toBe("PARTIAL_SUBSTITUTE");
    expect(col("require")).toBe("PARTIAL");
    expect(col("ok")).toBe("true");
    expect(col("reasons")).toBe("Weight format: bf16 → fp8-e4m3");
    expect(col("reason_features")).toBe("weightFormat");
    expect(col("manifest_line")).toBe("134");
    const ds = rows.find((r) => r[0] === DEEPSEEK)!;
    expect(ds[PAIRS_COLUMNS.indexOf("reasons")]!.split("; ")).toHaveLength(10);
  });

  it("pairsCsv survives hostile ids and reasons (quotes, commas, newlines, formulas)", () => {
    const r = JSON.parse(JSON.stringify(results)) as Results;
    const p = r.pairs.find((x) => x.verdict === "NO_SUBSTITUTE")!;
    p.target = '=cmd|" /C calc"!A0';
    p.proxy = "org,with,commas/model";
    p.reasons = [{ ...p.reasons[0]!, label: 'A "label"', note: "line1\r\nline2" }];
    const rows = parseCsv(pairsCsv(r));
    expect(rows).toHaveLength(1 + r.pairs.length);
    const row = rows[1 + r.pairs.indexOf(p)]!;
    expect(row[0]).toBe(`'=cmd|" /C calc"!A0`);
    expect(row[1]).toBe("org,with,commas/model");
    expect(row[7]).toBe('A "label": dense → MoE (line1\r\nline2)');
  });

  it("matrixCsv: one row per ordered pair", () => {
    const rows = parseCsv(matrixCsv(results));
    expect(rows[0]).toEqual([...MATRIX_COLUMNS]);
    expect(rows).toHaveLength(1 + 13 * 12);
    const cell = rows.find((r) => r[0] === "meta-llama/Llama-3.1-70B-Instruct" && r[1] === LLAMA_8B)!;
    expect(cell).toEqual(["meta-llama/Llama-3.1-70B-Instruct", LLAMA_8B, "FULL_SUBSTITUTE", "SCALE_ONLY", ""]);
    const moe = rows.find((r) => r[0] === "Qwen/Qwen3-30B-A3B" && r[1] === "Qwen/Qwen3-8B")!;
    expect(moe[4]).toBe("moe architecture");
  });

  it("modelsCsv: one row per model, numbers unformatted", () => {
    const rows = parseCsv(modelsCsv(results));
    expect(rows[0]).toEqual([...MODELS_COLUMNS]);
    expect(rows).toHaveLength(1 + 13);
    const at = (row: string[], k: (typeof MODELS_COLUMNS)[number]): string => row[MODELS_COLUMNS.indexOf(k)]!;
    const ds = rows.find((r) => r[0] === DEEPSEEK)!;
    expect(at(ds, "params")).toBe("684489845504");
    expect(at(ds, "active_params")).toBe("37552297472");
    expect(at(ds, "weight_bytes_estimated")).toBe("true");
    expect(at(ds, "source_format")).toBe("config");
    expect(at(ds, "weight_format")).toBe("fp8-e4m3-block");
    const fp8 = rows.find((r) => r[0] === LLAMA_FP8)!;
    expect(at(fp8, "integrity")).toBe("FAIL");
    expect(at(fp8, "integrity_errors")).toBe("1");
    const gated = rows.find((r) => r[0] === "google/gemma-3-27b-it")!;
    expect(at(gated, "status")).toBe("unknown");
    expect(at(gated, "params")).toBe("");
    expect(at(gated, "error")).toMatch(/^gated: google\/gemma-3-27b-it is gated/);
  });
});
