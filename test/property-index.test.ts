/**
 * Property tests, sharded safetensors index (issue 6.1): generated indexes round-trip; arbitrary
 * and mutated bytes only raise FormatError; whatever the text says (duplicates, percent-encoding,
 * backslashes, drives, dot segments), every shard name that comes out is a plain relative path
 * inside the repo; the cross-checks against shard headers never throw.
 */
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DTYPES } from "../src/formats/dtypes.js";
import { checkIndexAgainstFileSizes, checkIndexTotals, checkShardNames, parseSafetensorsIndex, validateIndexAgainstHeaders, type ShardHeader } from "../src/formats/safetensors-index.js";
import type { TensorRecord } from "../src/sources/types.js";
import { FormatError } from "../src/util/errors.js";
import { CaseCounter, assertTyped, check, params, runs, same } from "./support/property-runs.js";

const counter = new CaseCounter("safetensors index");
afterAll(() => {
  console.log(counter.summary());
});

const enc = new TextEncoder();
const FILE = "model.safetensors.index.json";
const MODEL = "acme/prop-index";

// ---------------------------------------------------------------------------------------------
// Generators

const tensorName = fc.oneof(
  { weight: 5, arbitrary: fc.string({ unit: "binary", maxLength: 20 }) },
  { weight: 2, arbitrary: fc.constantFrom("__proto__", "constructor", "0", "1", "10", "toString", "", "lm_head.weight") },
  { weight: 3, arbitrary: fc.stringMatching(/^model\.layers\.\d{1,2}\.[a-z_]{1,6}\.weight$/) },
);

/** Shard names that are plain relative paths. */
const safeShard = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), fc.constantFrom("model", "diffusion_pytorch_model", "sub/model", "model_")).map(
    ([i, n, p]) => `${p}${p.endsWith("_") ? "" : "-"}${String(i).padStart(5, "0")}-of-${String(n).padStart(5, "0")}.safetensors`,
  ),
  fc.constantFrom("model.safetensors", "weights/part.safetensors", "a b.safetensors", "é.safetensors", "x..y.safetensors", "...safetensors", "a/.../b.safetensors", "model.bin"),
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,12}(\/[A-Za-z0-9_][A-Za-z0-9_.-]{0,8})?\.safetensors$/),
);

/** Names that could leave the repo or confuse a path join, raw or percent-encoded (once or more). */
const HOSTILE = [
  "../model.safetensors",
  "a/../../b.safetensors",
  "./model.safetensors",
  "a/./b.safetensors",
  "/etc/passwd",
  "\\\\server\\share\\x.safetensors",
  "..\\model.safetensors",
  "C:\\x.safetensors",
  "c:x.safetensors",
  "http://evil.example/x.safetensors",
  "file:x",
  "%2e%2e/model.safetensors",
  "%252e%252e%252fmodel.safetensors",
  "..%2fmodel.safetensors",
  "%2fetc%2fpasswd",
  "a%5c..%5cb",
  "x\u0000.safetensors",
  "x\n.safetensors",
  "\u0085x",
  "..",
  ".",
  "",
  "%",
  "%zz",
  "%25%25%25%25%25%25%25%25",
];
const hostileShard = fc.oneof(fc.constantFrom(...HOSTILE), fc.constantFrom(...HOSTILE).map((h) => encodeURIComponent(h)));

/** True when a repo-relative name cannot leave the repo folder once joined and normalised. */
function staysInside(name: string): boolean {
  for (const form of [name, safeDecode(name)]) {
    if (form === null) return false;
    if (form.includes("\\") || form.startsWith("/") || /^[A-Za-z]:/.test(form)) return false;
    const n = path.posix.normalize(form);
    if (n === ".." || n.startsWith("../") || path.posix.isAbsolute(n)) return false;
    if (form.split("/").some((s) => s === "." || s === "..")) return false;
    // eslint-disable-next-line no-control-regex
    if (/[\u0000-\u001f\u007f-\u009f]/.test(form)) return false;
  }
  return true;
}

function safeDecode(s: string): string | null {
  let cur = s;
  for (let i = 0; i < 6; i++) {
    let next: string;
    try {
      next = decodeURIComponent(cur);
    } catch {
      return null;
    }
    if (next === cur) return cur;
    cur = next;
  }
  return null;
}

function parseAny(bytes: Uint8Array): ReturnType<typeof parseSafetensorsIndex> | FormatError {
  try {
    return parseSafetensorsIndex(bytes, { file: FILE, model: MODEL });
  } catch (e) {
    assertTyped(e, [FormatError], "parseSafetensorsIndex");
    const fe = e as FormatError;
    check(/^index_/.test(fe.code) && fe.file === FILE && fe.model === MODEL && fe.message.includes(FILE), `FormatError without code prefix, file or model: ${fe.code} ${fe.message}`);
    return fe;
  }
}

function checkSafe(r: ReturnType<typeof parseSafetensorsIndex>): void {
  for (const s of r.shards) check(staysInside(s), `unsafe shard name came out: ${JSON.stringify(s)}`);
  for (const s of r.weightMap.values()) check(staysInside(s), `unsafe shard name in weightMap: ${JSON.stringify(s)}`);
}

// ---------------------------------------------------------------------------------------------

describe("safetensors index: properties", () => {
  it("generated indexes round-trip: weight map, shards, totals", async () => {
    const gen = fc.record({
      entries: fc.uniqueArray(fc.tuple(tensorName, safeShard), { selector: ([t]) => t, minLength: 1, maxLength: 16 }),
      totalSize: fc.option(fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)), { nil: undefined }),
      totalParameters: fc.option(fc.nat(), { nil: undefined }),
      extra: fc.dictionary(fc.constantFrom("format", "note"), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }),
      indent: fc.constantFrom(0, 1, 2, "\t"),
      metadataLast: fc.boolean(),
    });
    await counter.measure("round-trip of generated indexes", () =>
      fc.assert(
        fc.property(gen, (g) => {
          counter.hit();
          const metadata: Record<string, unknown> = { ...g.extra };
          if (g.totalSize !== undefined) metadata["total_size"] = g.totalSize;
          if (g.totalParameters !== undefined) metadata["total_parameters"] = g.totalParameters;
          const wm: Record<string, string> = {};
          for (const [t, s] of g.entries) Object.defineProperty(wm, t, { value: s, enumerable: true, writable: true, configurable: true });
          const doc = g.metadataLast ? { weight_map: wm, metadata } : { metadata, weight_map: wm };
          const r = parseSafetensorsIndex(enc.encode(JSON.stringify(doc, null, g.indent)), { file: FILE, model: MODEL });
          same(new Map([...r.weightMap].sort()), new Map(g.entries.map(([t, s]) => [t, s] as [string, string]).sort()), "weight map");
          same([...r.shards].sort(), [...new Set(g.entries.map(([, s]) => s))].sort(), "shards");
          same(r.shards.length, new Set(r.shards).size, "shards are distinct");
          same(r.totalSize, g.totalSize ?? null, "total_size");
          same(r.totalParameters, g.totalParameters ?? null, "total_parameters");
          check(!r.findings.some((f) => f.code === "index_duplicate_tensor" || f.code === "index_empty_weight_map"), "spurious findings");
          checkSafe(r);
        }),
        params("index-roundtrip"),
      ),
    );
  });

  it("hostile shard names (also behind duplicate keys, encoded, mixed with safe ones) are refused, never returned", async () => {
    const gen = fc.record({
      entries: fc.array(fc.tuple(fc.constantFrom("a.weight", "b.weight", "c.weight", "__proto__", "d"), fc.oneof(safeShard, hostileShard)), { minLength: 1, maxLength: 8 }),
      total: fc.nat(),
    });
    let refused = 0;
    await counter.measure("hostile shard names", () =>
      fc.assert(
        fc.property(gen, (g) => {
          counter.hit();
          // Written by hand: duplicate keys are kept in the text (JSON.parse keeps the last one only).
          const wm = g.entries.map(([t, s]) => `${JSON.stringify(t)}: ${JSON.stringify(s)}`).join(",\n");
          const text = `{"metadata": {"total_size": ${g.total}}, "weight_map": {${wm}}}`;
          const r = parseAny(enc.encode(text));
          const anyHostile = g.entries.some(([, s]) => !staysInside(s));
          if (r instanceof FormatError) {
            if (r.code === "index_unsafe_shard_name") {
              refused++;
              check(r.hint !== undefined && r.message.includes("unsafe shard name"), "no hint");
            }
            return;
          }
          check(!anyHostile, `a hostile name was accepted: ${text}`);
          checkSafe(r);
        }),
        params("index-hostile"),
      ),
    );
    expect(refused).toBeGreaterThan(1000);
  });

  it("arbitrary JSON documents and arbitrary / mutated bytes raise FormatError only", async () => {
    const doc = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }),
      fc.record({ metadata: fc.jsonValue({ maxDepth: 2 }), weight_map: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.dictionary(tensorName, fc.oneof(safeShard, hostileShard, fc.jsonValue({ maxDepth: 1 })), { maxKeys: 6 })) }, { requiredKeys: [] }),
    );
    const input = fc.oneof(
      doc.map((d) => enc.encode(JSON.stringify(d))),
      fc.uint8Array({ maxLength: 128 }),
      fc.tuple(doc, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([d, at, v]) => {
        const b = enc.encode(JSON.stringify(d));
        if (b.length > 0) b[at % b.length] = v;
        return b;
      }),
      fc.nat({ max: 200 }).map((depth) => enc.encode(`{"weight_map": ${"[".repeat(depth)}${"]".repeat(depth)}}`)),
    );
    await counter.measure("arbitrary documents and bytes", () =>
      fc.assert(
        fc.property(input, (bytes) => {
          counter.hit();
          const r = parseAny(bytes);
          if (!(r instanceof FormatError)) checkSafe(r);
        }),
        params("index-any"),
      ),
    );
  });

  it("cross-checks against shard headers, totals and file sizes never throw on any input", async () => {
    const rec = fc.record({
      name: fc.constantFrom("a", "b", "c", "__proto__", "lm_head.weight"),
      dtype: fc.constantFrom(...DTYPES.keys(), "Q4_K", ""),
      shape: fc.array(fc.oneof(fc.integer({ min: -2, max: 4096 }), fc.constantFrom(0.5, 2 ** 53, Number.NaN)), { maxLength: 3 }),
      begin: fc.oneof(fc.nat(), fc.constantFrom(-1, 2 ** 60, Number.NaN)),
      end: fc.oneof(fc.nat(), fc.constantFrom(-1, 2 ** 60)),
    });
    const gen = fc.record({
      entries: fc.array(fc.tuple(fc.constantFrom("a", "b", "c", "d", "__proto__"), safeShard), { maxLength: 6 }),
      totalSize: fc.option(fc.nat(), { nil: undefined }),
      totalParameters: fc.option(fc.nat(), { nil: undefined }),
      headers: fc.array(fc.record({ file: safeShard, tensors: fc.array(rec, { maxLength: 5 }) }), { maxLength: 4 }),
      sizes: fc.array(fc.tuple(safeShard, fc.oneof(fc.nat(), fc.constant(2 ** 52))), { maxLength: 6 }),
      dtype: fc.constantFrom("BF16", "F32", "F4", "nope"),
    });
    await counter.measure("cross-checks", () =>
      fc.assert(
        fc.property(gen, (g) => {
          counter.hit();
          const metadata: Record<string, unknown> = {};
          if (g.totalSize !== undefined) metadata["total_size"] = g.totalSize;
          if (g.totalParameters !== undefined) metadata["total_parameters"] = g.totalParameters;
          const wm: Record<string, string> = {};
          for (const [t, s] of g.entries) Object.defineProperty(wm, t, { value: s, enumerable: true, writable: true, configurable: true });
          const r = parseAny(enc.encode(JSON.stringify({ metadata, weight_map: wm })));
          if (r instanceof FormatError) return;
          const headers: ShardHeader[] = g.headers.map((h) => ({ file: h.file, tensors: h.tensors.map((t): TensorRecord => ({ ...t, file: h.file })) }));
          const f1 = validateIndexAgainstHeaders(r, headers);
          const f2 = checkIndexTotals(r, g.dtype);
          const f3 = checkIndexAgainstFileSizes(r, new Map(g.sizes));
          const f4 = checkShardNames(r.shards);
          for (const f of [...f1, ...f2, ...f3, ...f4]) check(typeof f.code === "string" && typeof f.message === "string", "malformed finding");
        }),
        params("index-cross"),
      ),
    );
  });

  it(`ran at least ${runs().toLocaleString("en-US")} cases`, () => {
    expect(counter.total).toBeGreaterThanOrEqual(runs());
  });
});
