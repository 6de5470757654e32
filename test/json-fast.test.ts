/**
 * The fast header and index readers (src/formats/json-fast.ts) against JSON.parse, which the
 * general path uses. The contract: a reader may give up (null) on anything, but what it returns
 * must be exactly what the general path reads (same records in the same order, same metadata), and
 * it must give up whenever the general path would report something (invalid JSON, a repeated key,
 * a malformed entry). Checked on generated documents, on the same documents mutated byte by byte,
 * on every real index of the corpus, and through the public parsers.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DTYPES } from "../src/formats/dtypes.js";
import { readHeaderFast, readIndexFast } from "../src/formats/json-fast.js";
import { scanJson } from "../src/formats/json-scan.js";
import { parseSafetensorsHeader } from "../src/formats/safetensors.js";
import { parseSafetensorsIndex } from "../src/formats/safetensors-index.js";
import type { TensorRecord } from "../src/sources/types.js";
import { CaseCounter, check, params, runs, same } from "./support/property-runs.js";
import { CORPUS_DIR, hasCorpus } from "./support/corpus-files.js";

const counter = new CaseCounter("fast JSON readers");
afterAll(() => {
  console.log(counter.summary());
});

const FILE = "model-00001-of-00002.safetensors";
const enc = new TextEncoder();

/** No key repeats in the objects `where` selects (JSON.parse would silently keep the last one). */
function noDuplicateKeys(text: string, where: (path: readonly string[]) => boolean = () => true): boolean {
  const scan = scanJson(text, { depthLimit: 100_000, trackKeys: where });
  return !scan.malformed && scan.duplicateCount === 0;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** What the general path reads from a header that has nothing to report; null when it has. */
function referenceHeader(text: string): { tensors: TensorRecord[]; metadata: Record<string, string> | null } | null {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isObject(root) || !noDuplicateKeys(text)) return null;
  const tensors: TensorRecord[] = [];
  let metadata: Record<string, string> | null = null;
  for (const name in root) {
    const e = root[name];
    if (name === "__metadata__") {
      if (e === null) continue;
      if (!isObject(e)) return null;
      metadata = {};
      for (const [k, v] of Object.entries(e)) {
        if (typeof v !== "string") return null;
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    if (!isObject(e) || typeof e["dtype"] !== "string" || !Array.isArray(e["shape"]) || !Array.isArray(e["data_offsets"])) return null;
    const offs = e["data_offsets"] as unknown[];
    if (offs.length !== 2) return null;
    tensors.push({ name, dtype: e["dtype"], shape: e["shape"] as number[], file: FILE, begin: offs[0] as number, end: offs[1] as number });
  }
  return { tensors, metadata };
}

/** What the general path reads from an index that has nothing to report; null when it has. */
function referenceIndex(text: string): { weightMap: Map<string, string>; metadata: unknown; hasMetadata: boolean } | null {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch {
    return null;
  }
  // the general path reports repeated tensors of weight_map (elsewhere the last value counts, as here)
  const inWeightMap = (p: readonly string[]): boolean => p.length === 1 && p[0] === "weight_map";
  if (!isObject(root) || !noDuplicateKeys(text, inWeightMap) || !isObject(root["weight_map"])) return null;
  const weightMap = new Map<string, string>();
  for (const [k, v] of Object.entries(root["weight_map"])) {
    if (typeof v !== "string") return null;
    weightMap.set(k, v);
  }
  return { weightMap, metadata: root["metadata"], hasMetadata: "metadata" in root };
}

// ---------------------------------------------------------------------------------------------
// Generators: documents as the tools write them, with every freedom JSON allows (whitespace, key
// order, awkward names, numbers of every size), then mutated.

const WS = fc.constantFrom("", "", "", " ", "\n", "  ", "\n    ", "\t", "\r\n");
const NAME = fc.oneof(
  { weight: 5, arbitrary: fc.stringMatching(/^model\.layers\.\d{1,3}\.(self_attn|mlp)\.[a-z_]{1,8}\.(weight|bias)$/) },
  { weight: 2, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 8 }) },
  { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "0", "12", "1.5", "é", "😀", "a\"b", "a\\b", "tab\there", "__metadata__") },
);
const NUM = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 70_000 }).map(String) },
  { weight: 2, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 60n }).map(String) },
  { weight: 1, arbitrary: fc.constantFrom("-1", "0", "-0", "1.0", "1e3", "2E2", "1.5", "007", "999999999999999", "9007199254740993", "1e400") },
);
const DTYPE = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...DTYPES.keys()) }, { weight: 1, arbitrary: fc.string({ maxLength: 5 }) });

/** Join members with generated whitespace. */
function obj(members: string[], ws: string[]): string {
  const w = (i: number): string => ws[i % ws.length] ?? "";
  return `{${w(0)}${members.map((m, i) => m + w(i + 1)).join(`,${w(2)}`)}}`;
}

const entry = fc
  .record({
    dtype: DTYPE,
    shape: fc.array(NUM, { maxLength: 4 }),
    offsets: fc.array(NUM, { minLength: 1, maxLength: 3 }),
    order: fc.constantFrom([0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 1, 2, 0], [0, 2]),
    extra: fc.constantFrom(null, null, null, '"x": 1'),
    ws: fc.array(WS, { minLength: 3, maxLength: 3 }),
  })
  .map((e) => {
    const parts = [
      `"dtype":${e.ws[0]}${JSON.stringify(e.dtype)}`,
      `"shape":${e.ws[1]}[${e.shape.join(`,${e.ws[2]}`)}]`,
      `"data_offsets":[${e.offsets.join(",")}]`,
    ];
    const members = e.order.map((i) => parts[i] as string);
    if (e.extra) members.push(e.extra);
    return obj(members, e.ws);
  });

const metadataValue = fc.oneof(
  fc.constant("null"),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 10 }), { maxKeys: 3 }).map((d) => JSON.stringify(d)),
  fc.constantFrom('{"format":"pt"}', '{"a": 1}', "[]", '"pt"', '{"a":"b","a":"c"}'),
);

const header = fc
  .record({
    entries: fc.array(fc.tuple(NAME, entry), { maxLength: 6 }),
    metadata: fc.option(metadataValue, { nil: null }),
    metaAt: fc.nat(),
    ws: fc.array(WS, { minLength: 3, maxLength: 3 }),
    pad: fc.constantFrom("", "", "   ", "\n", "x"),
  })
  .map((h) => {
    const members = h.entries.map(([n, e]) => `${JSON.stringify(n)}:${e}`);
    if (h.metadata !== null) members.splice(h.metaAt % (members.length + 1), 0, `"__metadata__":${h.metadata}`);
    return obj(members, h.ws) + h.pad;
  });

/** Byte-level mutations: delete, insert or replace one character by a JSON-significant one. */
const mutation = fc.record({
  kind: fc.constantFrom("delete", "insert", "replace"),
  at: fc.nat(),
  ch: fc.constantFrom('"', "{", "}", "[", "]", ",", ":", "0", "1", "-", ".", "e", "\\", " ", "\n", "\u0001", "\u007f", "é", "n"),
});
function mutate(text: string, m: { kind: string; at: number; ch: string }): string {
  const i = text.length === 0 ? 0 : m.at % text.length;
  if (m.kind === "delete") return text.slice(0, i) + text.slice(i + 1);
  if (m.kind === "insert") return text.slice(0, i) + m.ch + text.slice(i);
  return text.slice(0, i) + m.ch + text.slice(i + 1);
}

function checkHeader(text: string): "fast" | "general" {
  const fast = readHeaderFast(text, FILE);
  if (fast === null) return "general";
  const ref = referenceHeader(text);
  check(ref !== null, `the fast reader accepted what the general path reports: ${JSON.stringify(text).slice(0, 300)}`);
  same({ tensors: fast.tensors, metadata: fast.metadata }, ref, `fast header of ${JSON.stringify(text).slice(0, 300)}`);
  return "fast";
}

function checkIndex(text: string): "fast" | "general" {
  const fast = readIndexFast(text);
  if (fast === null) return "general";
  const ref = referenceIndex(text);
  check(ref !== null, `the fast reader accepted what the general path reports: ${JSON.stringify(text).slice(0, 300)}`);
  same(fast.weightMap, ref?.weightMap, "weight map");
  same([...fast.weightMap.keys()], [...(ref?.weightMap.keys() ?? [])], "weight map order");
  same(fast.hasMetadata, ref?.hasMetadata, "metadata presence");
  same(fast.metadata, ref?.metadata, "metadata");
  const shards = [...new Set(fast.weightMap.values())];
  same(fast.shards, shards, "shards in first-seen order");
  same(
    fast.firstTensors,
    shards.map((s) => [...fast.weightMap].find(([, v]) => v === s)?.[0]),
    "first tensor of each shard",
  );
  return "fast";
}

describe("fast safetensors header reader", () => {
  it("reads exactly what JSON.parse reads, or gives up (generated and mutated headers)", async () => {
    const taken = { fast: 0, general: 0 };
    await counter.measure("header: generated", () =>
      fc.assert(
        fc.property(header, (text) => {
          counter.hit();
          taken[checkHeader(text)]++;
        }),
        params("fast header generated", runs()),
      ),
    );
    await counter.measure("header: mutated", () =>
      fc.assert(
        fc.property(header, mutation, (text, m) => {
          counter.hit();
          taken[checkHeader(mutate(text, m))]++;
        }),
        params("fast header mutated", runs()),
      ),
    );
    // both ways are really exercised
    expect(taken.fast).toBeGreaterThan(runs() / 10);
    expect(taken.general).toBeGreaterThan(runs() / 10);
  });

  it("takes the fast way for headers as the writers produce them, and gives up on each thing outside its subset", () => {
    const canonical = '{"__metadata__":{"format":"pt"},"model.embed_tokens.weight":{"dtype":"BF16","shape":[128256,4096],"data_offsets":[0,1050673152]},"lm_head.weight":{"dtype":"BF16","shape":[128256,4096],"data_offsets":[1050673152,2101346304]}}    ';
    const r = readHeaderFast(canonical, FILE);
    expect(r?.tensors.map((t) => [t.name, t.dtype, t.shape, t.begin, t.end])).toEqual([
      ["model.embed_tokens.weight", "BF16", [128256, 4096], 0, 1050673152],
      ["lm_head.weight", "BF16", [128256, 4096], 1050673152, 2101346304],
    ]);
    expect(r?.metadata).toEqual({ format: "pt" });
    expect(readHeaderFast("{}", FILE)?.tensors).toEqual([]);
    for (const outside of [
      canonical.replace("lm_head", "lm\\u005fhead"), // an escape
      canonical.replace("model.embed_tokens.weight", "lm_head.weight"), // a repeated tensor
      canonical.replace('"model.embed', '"0model.embed'), // a name that could be an array index
      canonical.replace("[0,1050673152]", "[-1,1050673152]"), // negative
      canonical.replace("[128256,4096]", "[128256,4096.0]"), // fraction
      canonical.replace("[128256,4096]", "[128256,4e3]"), // exponent
      canonical.replace("[128256,4096]", "[128256,0004096]"), // leading zeros (not JSON)
      canonical.replace("[128256,4096]", "[128256,1234567890123456]"), // 16 digits
      canonical.replace('"dtype":"BF16",', ""), // missing key
      canonical.replace('"dtype":"BF16",', '"dtype":"BF16","dtype":"F32",'), // repeated key
      canonical.replace('"dtype":"BF16",', '"dtype":"BF16","extra":1,'), // unknown key
      canonical.replace('{"format":"pt"}', '{"format":1}'), // non-string metadata
      `${canonical}x`, // trailing garbage
      canonical.replace("lm_head", "lm\u0001head"), // control character in a string
    ]) {
      expect(readHeaderFast(outside, FILE), outside).toBeNull();
    }
  });

  it("gives the public parser's result either way (fast and general paths agree on real-shaped headers)", () => {
    const json = '{"b.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[24,48]},"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}';
    // the same header with one escape takes the general path
    const general = json.replace('"format"', '"form\\u0061t"');
    expect(readHeaderFast(json, FILE)).not.toBeNull();
    expect(readHeaderFast(general, FILE)).toBeNull();
    const parse = (s: string) => parseSafetensorsHeader(enc.encode(s), { file: FILE, headerLength: enc.encode(s).length, fileSize: null });
    expect(parse(json)).toEqual(parse(general));
  });
});

describe("fast index reader", () => {
  const indexDoc = fc
    .record({
      entries: fc.array(fc.tuple(NAME, fc.oneof(fc.constantFrom("model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"), fc.string({ maxLength: 6 }))), { maxLength: 8 }),
      metadata: fc.option(fc.constantFrom('{"total_size": 123}', '{"total_size":4,"total_parameters":"2"}', '{"a":{"b":[1,2,{"c":null}]}}', "null", "[1]", "7", '"x"', "true", '{"a":1,"a":2}', "{"), { nil: null }),
      other: fc.constantFrom(null, null, null, '"other": 1'),
      wmFirst: fc.boolean(),
      ws: fc.array(WS, { minLength: 3, maxLength: 3 }),
    })
    .map((d) => {
      const wm = obj(
        d.entries.map(([n, s]) => `${JSON.stringify(n)}:${d.ws[1]}${JSON.stringify(s)}`),
        d.ws,
      );
      const members = [`"weight_map":${d.ws[0]}${wm}`];
      if (d.metadata !== null) members[d.wmFirst ? "push" : "unshift"](`"metadata":${d.ws[2]}${d.metadata}`);
      if (d.other) members.push(d.other);
      return obj(members, d.ws);
    });

  it("reads exactly what JSON.parse reads, or gives up (generated and mutated indexes)", async () => {
    const taken = { fast: 0, general: 0 };
    await counter.measure("index: generated", () =>
      fc.assert(
        fc.property(indexDoc, (text) => {
          counter.hit();
          taken[checkIndex(text)]++;
        }),
        params("fast index generated", runs()),
      ),
    );
    await counter.measure("index: mutated", () =>
      fc.assert(
        fc.property(indexDoc, mutation, (text, m) => {
          counter.hit();
          taken[checkIndex(mutate(text, m))]++;
        }),
        params("fast index mutated", runs()),
      ),
    );
    expect(taken.fast).toBeGreaterThan(runs() / 10);
    expect(taken.general).toBeGreaterThan(runs() / 10);
  });

  const indexes = hasCorpus
    ? readdirSync(CORPUS_DIR)
        .map((d) => path.join(CORPUS_DIR, d, "model.safetensors.index.json"))
        .filter((p) => existsSync(p))
    : [];
  it.skipIf(!hasCorpus)(`takes the fast way for every real index of the corpus and reads them as JSON.parse does (${indexes.length} files)`, () => {
    expect(indexes.length).toBeGreaterThan(10);
    for (const p of indexes) {
      const text = readFileSync(p, "utf8");
      expect(checkIndex(text), p).toBe("fast");
      const parsed = parseSafetensorsIndex(enc.encode(text), { file: "model.safetensors.index.json" });
      expect(parsed.weightMap.size, p).toBe(Object.keys((JSON.parse(text) as { weight_map: object }).weight_map).length);
    }
  });

  it("gives up on each thing outside its subset", () => {
    const good = '{\n  "metadata": {\n    "total_size": 16\n  },\n  "weight_map": {\n    "a.weight": "model-00001-of-00002.safetensors",\n    "b.weight": "model-00002-of-00002.safetensors"\n  }\n}\n';
    const r = readIndexFast(good);
    expect(r && [...r.weightMap]).toEqual([
      ["a.weight", "model-00001-of-00002.safetensors"],
      ["b.weight", "model-00002-of-00002.safetensors"],
    ]);
    expect(r?.shards).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(r?.metadata).toEqual({ total_size: 16 });
    for (const outside of [
      good.replace('"b.weight"', '"a.weight"'), // repeated tensor
      good.replace('"metadata"', '"weight_map": {},\n  "metadata"'), // repeated weight_map
      good.replace('"metadata"', '"other": 1,\n  "metadata"'), // unknown top-level key
      good.replace('"model-00002-of-00002.safetensors"', "2"), // non-string shard
      good.replace("a.weight", "a\\u002eweight"), // escape
      good.replace('"weight_map": {', '"weight_map": ['), // not an object
      '{"metadata": {}}', // no weight_map
      `${good}}`, // trailing garbage
    ]) {
      expect(readIndexFast(outside), outside).toBeNull();
    }
  });
});
