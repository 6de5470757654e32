import { describe, expect, it } from "vitest";
import { parseResults, toJson } from "../src/report/json.js";
import { RESULTS_SCHEMA, type Results } from "../src/report/types.js";
import { StandinError } from "../src/util/errors.js";
import { zooResults } from "./support/results-fixture.js";

describe("results JSON", () => {
  const results = zooResults();

  it("round-trips through toJson and parseResults", () => {
    const text = toJson(results);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.split("\n")[1]).toBe(`  "schema": "${RESULTS_SCHEMA}",`);
    expect(parseResults(text, "results.json")).toEqual(JSON.parse(JSON.stringify(results)));
    expect(toJson(parseResults(text, "results.json"))).toBe(text);
  });

  it("is canonical: key order follows the types whatever order the object was built in", () => {
    const reverse = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverse)
        : v && typeof v === "object"
          ? Object.fromEntries(Object.entries(v as Record<string, unknown>).reverse().map(([k, x]) => [k, reverse(x)]))
          : v;
    const shuffled = reverse(results) as Results;
    expect(Object.keys(shuffled)[0]).toBe("shard");
    expect(toJson(shuffled)).toBe(toJson(results));
    const parsed = JSON.parse(toJson(shuffled)) as Record<string, unknown>;
    expect(Object.keys(parsed)).toEqual(["schema", "tool", "generatedAt", "manifest", "models", "integrity", "expectations", "pairs", "matrix", "plans", "gate", "network", "shard"]);
    const pair = (parsed.pairs as Record<string, unknown>[])[0]!;
    expect(Object.keys(pair)).toEqual(["target", "proxy", "verdict", "reasons", "extras", "unverified", "covered", "scale", "isomorphism", "require", "ok", "line", "col"]);
    const model = (parsed.models as Record<string, Record<string, unknown>>[])[0]!;
    expect(Object.keys(model.features!).slice(0, 4)).toEqual(["architecture", "topology", "layerKinds", "attentionFamily"]);
    // records are sorted by key
    const lines = Object.keys((parsed.manifest as { lines: Record<string, number> }).lines);
    expect(lines).toEqual([...lines].sort());
  });

  it("keeps unknown keys, sorted after the known ones, and drops undefined", () => {
    const r = JSON.parse(JSON.stringify(results)) as Results & { zExtra?: number; aExtra?: number };
    r.zExtra = 1;
    r.aExtra = 2;
    (r.tool as { version: string; note?: string }).note = undefined;
    const keys = Object.keys(JSON.parse(toJson(r)) as object);
    expect(keys.slice(-3)).toEqual(["shard", "aExtra", "zExtra"]);
    expect(toJson(r)).not.toContain('"note"');
  });

  const bad = (text: string): StandinError => {
    try {
      parseResults(text, "out/results.json");
    } catch (e) {
      expect(e).toBeInstanceOf(StandinError);
      return e as StandinError;
    }
    throw new Error("parseResults accepted a bad file");
  };

  it("throws a typed error naming the file, with a hint, on a file that is not a results file", () => {
    const notJson = bad("{ nope");
    expect(notJson.code).toBe("results_invalid");
    expect(notJson.file).toBe("out/results.json");
    expect(notJson.message).toMatch(/^out\/results\.json: not valid JSON/);
    expect(notJson.hint).toMatch(/standin check --json/);
    expect(bad("[1, 2]").message).toContain("not a standin results file");
    expect(bad('{"models": []}').message).toContain("no `schema` field");
    expect(bad('{"schema": "standin.fingerprint/v1", "model": "x"}').message).toContain('this is a "standin.fingerprint/v1" file, not a results file');
    expect(bad('{"schema": "other/v1"}').message).toContain('not a standin results file (schema "other/v1")');
  });

  it("names an unknown version and a broken shape", () => {
    const v2 = bad(JSON.stringify({ ...results, schema: "standin.results/v2" }));
    expect(v2.message).toContain('unknown results version "standin.results/v2" (this standin reads "standin.results/v1")');
    expect(v2.hint).toMatch(/upgrade standin/);
    const { pairs: _pairs, ...noPairs } = JSON.parse(JSON.stringify(results)) as Results;
    expect(bad(JSON.stringify(noPairs)).message).toContain("`pairs` is missing or not an array");
    const brokenGate = { ...results, gate: { failures: [] } };
    expect(bad(JSON.stringify(brokenGate)).message).toContain("`gate` must have failOn, failures and passed");
    const brokenPair = JSON.parse(JSON.stringify(results)) as Results;
    delete (brokenPair.pairs[2] as Partial<Results["pairs"][number]>).verdict;
    expect(bad(JSON.stringify(brokenPair)).message).toContain("pairs[2] has no `verdict`");
    expect(bad(JSON.stringify(brokenPair)).describe()).toMatch(/^out\/results\.json: pairs\[2\] has no `verdict` \(/);
  });

  it("accepts a byte-order mark", () => {
    expect(parseResults(`\uFEFF${toJson(results)}`, "r.json").schema).toBe(RESULTS_SCHEMA);
  });
});
