import { readFileSync, readdirSync, statSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DTYPES,
  dtypeBits,
  dtypeFromTorch,
  isKnownDtype,
  isStandardDtype,
  tensorBytes,
  tensorElements,
  tensorSize,
} from "../src/formats/dtypes.js";
import { scanJson } from "../src/formats/json-scan.js";
import {
  DEFAULT_MAX_HEADER_BYTES,
  headerLengthFromPrefix,
  parseSafetensorsFile,
  parseSafetensorsHeader,
  readHeaderLength,
  validateHeaderLength,
} from "../src/formats/safetensors.js";
import type { Finding } from "../src/fingerprint/types.js";
import { FormatError } from "../src/util/errors.js";
import { corpusPath, describeCorpus, hasCorpus } from "./support/corpus.js";

// ---------------------------------------------------------------------------------------------
// Builders

interface T {
  name: string;
  dtype: string;
  shape: number[];
  /** Explicit offsets; default: contiguous, in the order given, sized from shape and dtype. */
  offsets?: [number, number];
}

interface BuildOpts {
  metadata?: unknown;
  /** Pad the header with spaces to a multiple of 8 (the writer does). Default true. */
  pad?: boolean;
  /** Text before `{`. */
  leading?: string;
  /** Replace the JSON text entirely. */
  rawJson?: string;
  /** Data bytes to write (default: exactly up to the largest end). */
  dataBytes?: number;
}

const enc = new TextEncoder();

function headerObject(tensors: T[], metadata?: unknown): Record<string, unknown> {
  const obj: Record<string, unknown> = {};
  if (metadata !== undefined) obj["__metadata__"] = metadata;
  let at = 0;
  for (const t of tensors) {
    let offsets = t.offsets;
    if (!offsets) {
      const s = tensorSize(t.shape, t.dtype);
      const n = s.ok ? s.bytes : 0;
      offsets = [at, at + n];
      at += n;
    }
    obj[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: offsets };
  }
  return obj;
}

/** A whole safetensors file: 8-byte prefix + JSON (+ space padding) + zero data. */
function build(tensors: T[], opts: BuildOpts = {}): Uint8Array {
  const obj = headerObject(tensors, opts.metadata);
  let json = (opts.leading ?? "") + (opts.rawJson ?? JSON.stringify(obj));
  if (opts.pad !== false) while (enc.encode(json).length % 8 !== 0) json += " ";
  const header = enc.encode(json);
  let end = 0;
  for (const v of Object.values(obj)) {
    const o = (v as { data_offsets?: unknown }).data_offsets;
    if (Array.isArray(o) && typeof o[1] === "number" && Number.isSafeInteger(o[1])) end = Math.max(end, o[1]);
  }
  return withPrefix(header, opts.dataBytes ?? end);
}

function withPrefix(header: Uint8Array, dataBytes: number, n: bigint = BigInt(header.length)): Uint8Array {
  const out = new Uint8Array(8 + header.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, n, true);
  out.set(header, 8);
  return out;
}

const CTX = { file: "model.safetensors", model: "org/tiny" };

function parse(bytes: Uint8Array, fileSize?: number | null) {
  return parseSafetensorsFile(bytes, fileSize === undefined ? CTX : { ...CTX, fileSize });
}

function parseJson(json: string, fileSize: number | null = null) {
  const b = enc.encode(json);
  return parseSafetensorsHeader(b, { ...CTX, headerLength: b.length, fileSize });
}

const codes = (f: Finding[]) => f.map((x) => x.code).sort();

function fatal(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error("expected a FormatError");
}

// ---------------------------------------------------------------------------------------------

describe("dtypes", () => {
  it("knows every reference dtype with its bit size", () => {
    const expected: Record<string, number> = {
      BOOL: 8, F4: 4, F6_E2M3: 6, F6_E3M2: 6, U8: 8, I8: 8, F8_E5M2: 8, F8_E4M3: 8, F8_E8M0: 8,
      F8_E4M3FNUZ: 8, F8_E5M2FNUZ: 8, I16: 16, U16: 16, F16: 16, BF16: 16, I32: 32, U32: 32, F32: 32,
      C64: 64, F64: 64, I64: 64, U64: 64,
    };
    for (const [d, bits] of Object.entries(expected)) {
      expect(dtypeBits(d), d).toBe(bits);
      expect(isStandardDtype(d), d).toBe(true);
    }
    expect([...DTYPES.values()].filter((d) => d.standard)).toHaveLength(Object.keys(expected).length);
  });

  it("marks E8M0, UE8 and FP4 as known but non-standard", () => {
    for (const [d, bits] of [["E8M0", 8], ["UE8", 8], ["FP4", 4]] as const) {
      expect(isKnownDtype(d)).toBe(true);
      expect(isStandardDtype(d)).toBe(false);
      expect(dtypeBits(d)).toBe(bits);
    }
    expect(isKnownDtype("I4")).toBe(false);
    expect(isKnownDtype("bf16")).toBe(false); // case-sensitive, like the reference
    expect(dtypeBits("INT4")).toBeNull();
  });

  it("sizes F4, scalars and empty tensors", () => {
    expect(tensorBytes([1, 2], "F4")).toBe(1);
    expect(fatal(() => tensorBytes([1, 3], "F4")).code).toBe("tensor_misaligned");
    expect(tensorBytes([4], "F6_E2M3")).toBe(3);
    expect(tensorBytes([], "F32")).toBe(4);
    expect(tensorElements([])).toBe(1n);
    expect(tensorBytes([0, 4096], "BF16")).toBe(0);
    expect(tensorBytes([128256, 4096], "BF16")).toBe(1_050_673_152);
  });

  it("uses exact arithmetic and flags overflow beyond 2^53-1 bytes", () => {
    const big = Number.MAX_SAFE_INTEGER;
    const s = tensorSize([big, big], "F32");
    expect(s.ok).toBe(false);
    if (!s.ok) {
      expect(s.reason).toBe("overflow");
      expect(s.elements).toBe(BigInt(big) * BigInt(big));
    }
    expect(fatal(() => tensorBytes([big, big], "F32")).code).toBe("tensor_size_overflow");
    // 2^50 elements of U8 is fine, 2^51 of F32 (2^53 bytes) is not.
    expect(tensorBytes([2 ** 25, 2 ** 25], "U8")).toBe(2 ** 50);
    expect(fatal(() => tensorBytes([2 ** 26, 2 ** 25], "F32")).code).toBe("tensor_size_overflow");
    // a 0 dim wins over huge dims
    expect(tensorBytes([big, 0, big], "F64")).toBe(0);
  });

  it("rejects bad shapes and unknown dtypes", () => {
    expect(fatal(() => tensorBytes([-1, 2], "F32")).code).toBe("tensor_bad_shape");
    expect(fatal(() => tensorBytes([1.5], "F32")).code).toBe("tensor_bad_shape");
    expect(fatal(() => tensorBytes([2], "Q4_K")).code).toBe("tensor_unknown_dtype");
    expect(tensorSize([2, 3], "Q4_K")).toEqual({ ok: false, reason: "unknown_dtype", elements: 6n, bits: null });
  });

  it("maps torch dtype names", () => {
    expect(dtypeFromTorch("bfloat16")).toBe("BF16");
    expect(dtypeFromTorch("torch.float16")).toBe("F16");
    expect(dtypeFromTorch("float32")).toBe("F32");
    expect(dtypeFromTorch("float8_e4m3fn")).toBe("F8_E4M3");
    expect(dtypeFromTorch("float4_e2m1fn_x2")).toBe("F4");
    expect(dtypeFromTorch("auto")).toBeNull();
  });
});

describe("header length", () => {
  const prefix = (n: bigint) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, n, true);
    return b;
  };

  it("reads a little-endian u64", () => {
    expect(readHeaderLength(new Uint8Array([0x80, 0, 0, 0, 0, 0, 0, 0]))).toBe(128n);
    expect(readHeaderLength(new Uint8Array([0x10, 0x27, 0, 0, 0, 0, 0, 0, 0xff]))).toBe(10_000n);
    // a view into a larger buffer at an odd offset
    const big = new Uint8Array(16);
    big.set([0x90, 0, 0, 0, 0, 0, 0, 0], 3);
    expect(readHeaderLength(big.subarray(3, 11))).toBe(144n);
  });

  it("needs 8 bytes", () => {
    const e = fatal(() => readHeaderLength(new Uint8Array(7), CTX));
    expect(e.code).toBe("safetensors_header_too_small");
    expect(e.message).toContain("model.safetensors");
    expect(e.message).toContain("org/tiny");
  });

  it("rejects a hostile 2^63 length without allocating", () => {
    const p = prefix(2n ** 63n);
    expect(readHeaderLength(p)).toBe(9223372036854775808n);
    const e = fatal(() => headerLengthFromPrefix(p, { ...CTX, fileSize: null }));
    expect(e.code).toBe("safetensors_header_too_large");
    expect(e.message).toContain("9223372036854775808");
    // and through the whole-file entry point: the 8-byte "file" is refused on N alone
    expect(fatal(() => parse(p)).code).toBe("safetensors_header_too_large");
    expect(fatal(() => headerLengthFromPrefix(prefix(2n ** 64n - 1n), { ...CTX })).code).toBe("safetensors_header_too_large");
  });

  it("applies the cap (default 100 MB, configurable)", () => {
    expect(validateHeaderLength(BigInt(DEFAULT_MAX_HEADER_BYTES), { ...CTX })).toBe(100_000_000);
    expect(fatal(() => validateHeaderLength(100_000_001n, { ...CTX })).code).toBe("safetensors_header_too_large");
    expect(fatal(() => validateHeaderLength(25_000_001n, { ...CTX, maxHeaderBytes: 25_000_000 })).code).toBe(
      "safetensors_header_too_large",
    );
  });

  it("rejects N = 0 and N beyond the file", () => {
    expect(fatal(() => validateHeaderLength(0n, { ...CTX })).code).toBe("safetensors_header_empty");
    expect(fatal(() => validateHeaderLength(100n, { ...CTX, fileSize: 107 })).code).toBe("safetensors_header_length_invalid");
    expect(validateHeaderLength(100n, { ...CTX, fileSize: 108 })).toBe(100);
    expect(fatal(() => parse(withPrefix(enc.encode("{}      "), 0, 9n))).code).toBe("safetensors_header_length_invalid");
  });

  it("refuses a non-integer headerLength in the context", () => {
    const b = enc.encode("{}");
    expect(fatal(() => parseSafetensorsHeader(b, { ...CTX, headerLength: 1.5, fileSize: null })).code).toBe(
      "safetensors_header_length_invalid",
    );
  });
});

describe("parseSafetensorsHeader: valid files", () => {
  it("parses a writer-style file with zero findings, tensors sorted by begin", () => {
    const file = build(
      [
        { name: "b.weight", dtype: "F32", shape: [2, 2] },
        { name: "a.weight", dtype: "BF16", shape: [3] },
        { name: "c.scale", dtype: "F8_E8M0", shape: [4] },
      ],
      { metadata: { format: "pt" } },
    );
    // Output follows the offsets, not the names (b < a < c by offset).
    const r = parse(file);
    expect(r.findings).toEqual([]);
    expect(r.metadata).toEqual({ format: "pt" });
    expect(r.headerLength % 8).toBe(0);
    expect(r.tensors.map((t) => [t.name, t.begin, t.end])).toEqual([
      ["b.weight", 0, 16],
      ["a.weight", 16, 22],
      ["c.scale", 22, 26],
    ]);
    expect(r.tensors[0]).toEqual({ name: "b.weight", dtype: "F32", shape: [2, 2], file: "model.safetensors", begin: 0, end: 16 });
    expect(r.dataEnd).toBe(26);
  });

  it("sorts by begin even when the JSON lists tensors in reverse", () => {
    const json = JSON.stringify({
      z: { dtype: "U8", shape: [1], data_offsets: [2, 3] },
      y: { dtype: "U8", shape: [1], data_offsets: [1, 2] },
      x: { dtype: "U8", shape: [1], data_offsets: [0, 1] },
    });
    const r = parseJson(json, 8 + enc.encode(json).length + 3);
    expect(r.tensors.map((t) => t.name)).toEqual(["x", "y", "z"]);
    expect(r.findings).toEqual([]);
  });

  it("accepts leading whitespace before { and trailing space padding", () => {
    const t: T[] = [{ name: "w", dtype: "F16", shape: [4] }];
    for (const leading of ["    ", "\n", "\t \r\n", " ".repeat(4096)]) {
      const r = parse(build(t, { leading }));
      expect(r.findings, JSON.stringify(leading)).toEqual([]);
      expect(r.tensors).toHaveLength(1);
    }
    const r = parse(build(t, { pad: false }));
    expect(r.findings).toEqual([]);
  });

  it("accepts an empty header and a metadata-only header", () => {
    expect(parse(build([])).tensors).toEqual([]);
    const r = parse(build([], { metadata: { format: "pt" } }));
    expect(r.findings).toEqual([]);
    expect(r.dataEnd).toBe(0);
    expect(parseJson('{"__metadata__": null}').metadata).toBeNull();
  });

  it("handles F4: [1,2] is 1 byte, [1,3] is not byte-aligned", () => {
    const ok = parse(build([{ name: "w", dtype: "F4", shape: [1, 2] }]));
    expect(ok.findings).toEqual([]);
    expect(ok.tensors[0]).toMatchObject({ begin: 0, end: 1 });

    const bad = parse(build([{ name: "w", dtype: "F4", shape: [1, 3], offsets: [0, 2] }]));
    expect(codes(bad.findings)).toEqual(["st_misaligned"]);
    expect(bad.findings[0]).toMatchObject({ severity: "error", tensor: "w", file: "model.safetensors" });
    expect(bad.findings[0]?.message).toContain("12 bits");
  });

  it("handles scalars (shape [] = 1 element) and empty tensors (a 0 dim = 0 bytes)", () => {
    const r = parse(
      build([
        { name: "scale", dtype: "F32", shape: [] },
        { name: "empty", dtype: "BF16", shape: [0, 4096] },
        { name: "w", dtype: "BF16", shape: [2] },
        { name: "empty2", dtype: "F32", shape: [3, 0] },
      ]),
    );
    expect(r.findings).toEqual([]);
    expect(r.tensors.map((t) => [t.name, t.begin, t.end])).toEqual([
      ["scale", 0, 4],
      ["empty", 4, 4],
      ["w", 4, 8],
      ["empty2", 8, 8],
    ]);
    // a scalar that claims 0 bytes is wrong
    expect(codes(parse(build([{ name: "s", dtype: "F32", shape: [], offsets: [0, 0] }])).findings)).toEqual(["st_size_mismatch"]);
  });

  it("ignores unknown extra keys in a tensor entry (serde does)", () => {
    const r = parseJson(JSON.stringify({ w: { dtype: "U8", shape: [1], data_offsets: [0, 1], extra: { nested: [1, [2]] } } }));
    expect(r.findings).toEqual([]);
  });

  it("accepts a tensor named __proto__ and escaped names", () => {
    const r = parseJson('{"__proto__": {"dtype":"U8","shape":[1],"data_offsets":[0,1]}, "a\\u00e9\\"b": {"dtype":"U8","shape":[1],"data_offsets":[1,2]}}');
    expect(r.tensors.map((t) => t.name)).toEqual(["__proto__", 'aé"b']);
    expect(r.findings).toEqual([]);
  });

  it("round-trips any contiguous layout with zero findings (property)", () => {
    const dtypes = [...DTYPES.values()].filter((d) => d.standard && d.bits % 8 === 0).map((d) => d.name);
    const tensorArb = fc.record({
      dtype: fc.constantFrom(...dtypes),
      shape: fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 3 }),
    });
    fc.assert(
      fc.property(fc.array(tensorArb, { maxLength: 12 }), fc.string({ maxLength: 10 }), (ts, meta) => {
        const tensors = ts.map((t, i) => ({ name: `t${i}.${meta}`, ...t }));
        const r = parse(build(tensors, { metadata: { note: meta } }));
        expect(r.findings).toEqual([]);
        expect(r.tensors).toHaveLength(tensors.length);
        for (let i = 1; i < r.tensors.length; i++) expect(r.tensors[i]!.begin).toBeGreaterThanOrEqual(r.tensors[i - 1]!.end);
      }),
      { numRuns: 200 },
    );
  });
});

describe("parseSafetensorsHeader: fatal errors", () => {
  it("not UTF-8", () => {
    const h = new Uint8Array([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d, 0x20]);
    const e = fatal(() => parse(withPrefix(h, 0)));
    expect(e.code).toBe("safetensors_not_utf8");
    expect(e.message).toContain("model.safetensors");
    expect(e.file).toBe("model.safetensors");
    expect(e.model).toBe("org/tiny");
  });

  it("not JSON, a BOM, NUL padding", () => {
    expect(fatal(() => parseJson("{not json")).code).toBe("safetensors_not_json");
    expect(fatal(() => parseJson('\ufeff{"a":1}')).code).toBe("safetensors_not_json");
    expect(fatal(() => parseJson("{}\u0000\u0000")).code).toBe("safetensors_not_json");
    const e = fatal(() => parseJson('{"w": {"dtype": "F32",'));
    expect(e.message).toMatch(/^"model\.safetensors" \(model org\/tiny\): safetensors header is not valid JSON/);
  });

  it("not an object", () => {
    for (const j of ["[]", "null", "42", '"{}"', "true"]) expect(fatal(() => parseJson(j)).code, j).toBe("safetensors_not_object");
  });

  it("a truncated header", () => {
    const b = enc.encode('{"a":1}');
    expect(fatal(() => parseSafetensorsHeader(b, { ...CTX, headerLength: 100, fileSize: null })).code).toBe("safetensors_header_truncated");
  });

  it("entries of the wrong shape, naming the tensor", () => {
    const cases: [string, unknown][] = [
      ["entry is a JSON array", []],
      ["entry is a JSON string", "F32"],
      ["dtype is missing", { shape: [1], data_offsets: [0, 4] }],
      ["dtype is a JSON number", { dtype: 32, shape: [1], data_offsets: [0, 4] }],
      ["shape is missing", { dtype: "F32", data_offsets: [0, 4] }],
      ["shape is a JSON number", { dtype: "F32", shape: 1, data_offsets: [0, 4] }],
      ["holds a non-number", { dtype: "F32", shape: ["1"], data_offsets: [0, 4] }],
      ["holds a non-number", { dtype: "F32", shape: [null], data_offsets: [0, 4] }],
      ["data_offsets is missing", { dtype: "F32", shape: [1] }],
      ["data_offsets is a JSON object", { dtype: "F32", shape: [1], data_offsets: { begin: 0 } }],
      ["is not a pair of numbers", { dtype: "F32", shape: [1], data_offsets: [0, 4, 8] }],
      ["is not a pair of numbers", { dtype: "F32", shape: [1], data_offsets: ["0", "4"] }],
    ];
    for (const [msg, entry] of cases) {
      const e = fatal(() => parseJson(JSON.stringify({ "layers.0.w": entry })));
      expect(e.code, msg).toBe("safetensors_bad_entry");
      expect(e.message).toContain('tensor "layers.0.w"');
      expect(e.message).toContain(msg);
      expect(e.message).toContain('"model.safetensors" (model org/tiny)');
    }
  });

  it("deeply nested JSON: JSON.parse copes (V8 is iterative), the guard refuses before it", () => {
    const depth = 100_000;
    const deep = "[".repeat(depth) + "]".repeat(depth);
    // Verify the claim in json-scan.ts: V8's JSON.parse does not recurse, JSON.stringify does.
    const parsed: unknown = JSON.parse(deep);
    expect(Array.isArray(parsed)).toBe(true);
    expect(() => JSON.stringify(parsed)).toThrow(RangeError);

    expect(fatal(() => parseJson(`{"w": ${deep}}`)).code).toBe("safetensors_too_deep");
    expect(fatal(() => parseJson(deep)).code).toBe("safetensors_too_deep");
    const objDeep = '{"a":'.repeat(depth) + "1" + "}".repeat(depth);
    expect(fatal(() => parseJson(objDeep)).code).toBe("safetensors_too_deep");
    // 128 levels are fine (an ignored extra key nested 126 deep inside a tensor entry)
    const ok = `{"w": {"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":${"[".repeat(126)}${"]".repeat(126)}}}`;
    expect(parseJson(ok).findings).toEqual([]);
    const tooDeep = `{"w": {"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":${"[".repeat(127)}${"]".repeat(127)}}}`;
    expect(fatal(() => parseJson(tooDeep)).code).toBe("safetensors_too_deep");
  });
});

describe("parseSafetensorsHeader: findings", () => {
  const u8 = (name: string, begin: number, end: number, shape = [end - begin]) => ({ name, dtype: "U8", shape, offsets: [begin, end] as [number, number] });

  it("st_offset_gap", () => {
    const r = parse(build([u8("a", 0, 4), u8("b", 6, 8)]));
    expect(codes(r.findings)).toEqual(["st_offset_gap"]);
    expect(r.findings[0]).toMatchObject({ severity: "error", tensor: "b" });
    expect(r.findings[0]?.message).toContain("2 unused byte(s)");
  });

  it("st_offset_overlap", () => {
    const r = parse(build([u8("a", 0, 4), u8("b", 2, 6)]));
    expect(codes(r.findings)).toEqual(["st_offset_overlap"]);
    expect(r.findings[0]?.tensor).toBe("b");
    // an empty tensor inside another one overlaps too (the reference rejects it)
    expect(codes(parse(build([u8("a", 0, 4), u8("e", 2, 2, [0])])).findings)).toEqual(["st_offset_overlap"]);
    // two tensors at the same offsets
    expect(codes(parse(build([u8("a", 0, 4), u8("b", 0, 4)])).findings)).toEqual(["st_offset_overlap"]);
  });

  it("st_offset_start", () => {
    const r = parse(build([u8("a", 2, 4), u8("b", 4, 6)]));
    expect(codes(r.findings)).toEqual(["st_offset_start"]);
    expect(r.findings[0]?.message).toContain("begins at 2");
  });

  it("st_size_mismatch", () => {
    const r = parse(build([{ name: "w", dtype: "F32", shape: [2, 3], offsets: [0, 20] }]));
    expect(codes(r.findings)).toEqual(["st_size_mismatch"]);
    expect(r.findings[0]?.message).toContain("span 20 bytes");
    expect(r.findings[0]?.message).toContain("needs 24");
  });

  it("st_file_length: trailing bytes and a short file", () => {
    const good = build([u8("a", 0, 8)]);
    const trailing = parse(good, good.length + 5);
    expect(codes(trailing.findings)).toEqual(["st_file_length"]);
    expect(trailing.findings[0]?.message).toContain("5 trailing byte(s)");

    const withExtra = new Uint8Array(good.length + 3);
    withExtra.set(good);
    expect(codes(parse(withExtra).findings)).toEqual(["st_file_length"]);

    const short = parse(good.subarray(0, good.length - 2), good.length - 2);
    expect(codes(short.findings)).toEqual(["st_file_length"]);
    expect(short.findings[0]?.message).toContain("2 byte(s) short");
    // unknown size: no check
    expect(parse(good.subarray(0, good.length - 2), null).findings).toEqual([]);
  });

  it("st_unknown_dtype: warning, the tensor is kept with its dtype", () => {
    const r = parse(build([{ name: "q", dtype: "Q4_K", shape: [32], offsets: [0, 18] }, u8("b", 18, 20)]));
    expect(r.findings).toEqual([
      { severity: "warning", code: "st_unknown_dtype", message: expect.stringContaining('"Q4_K"'), file: "model.safetensors", tensor: "q" },
    ]);
    expect(r.tensors[0]).toMatchObject({ name: "q", dtype: "Q4_K", shape: [32], begin: 0, end: 18 });
  });

  it("st_nonstandard_dtype: UE8 / E8M0 / FP4 are warnings, sizes still checked", () => {
    const r = parse(
      build([
        { name: "s", dtype: "UE8", shape: [4] },
        { name: "e", dtype: "E8M0", shape: [2] },
        { name: "b", dtype: "FP4", shape: [2, 4] },
      ]),
    );
    expect(codes(r.findings)).toEqual(["st_nonstandard_dtype", "st_nonstandard_dtype", "st_nonstandard_dtype"]);
    expect(r.findings.every((f) => f.severity === "warning")).toBe(true);
    const wrong = parse(build([{ name: "b", dtype: "FP4", shape: [2, 4], offsets: [0, 8] }]));
    expect(wrong.findings.find((f) => f.code === "st_size_mismatch")).toMatchObject({ severity: "warning" });
  });

  it("st_metadata_not_string and st_metadata_not_object", () => {
    const r = parse(build([u8("a", 0, 1)], { metadata: { format: "pt", total_parameters: 123, nested: { a: 1 } } }));
    expect(codes(r.findings)).toEqual(["st_metadata_not_string", "st_metadata_not_string"]);
    expect(r.metadata).toEqual({ format: "pt", total_parameters: "123", nested: '{"a":1}' });
    expect(r.findings.map((f) => f.key).sort()).toEqual(["nested", "total_parameters"]);

    const o = parse(build([u8("a", 0, 1)], { metadata: ["format", "pt"] }));
    expect(codes(o.findings)).toEqual(["st_metadata_not_object"]);
    expect(o.metadata).toBeNull();
  });

  it("st_duplicate_tensor: JSON.parse keeps the last, the raw scan still sees both", () => {
    const json = '{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"w":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}';
    const r = parseJson(json, 8 + json.length + 8);
    expect(r.tensors).toHaveLength(1);
    expect(r.tensors[0]).toMatchObject({ begin: 4, end: 8 });
    expect(codes(r.findings)).toEqual(["st_duplicate_tensor", "st_offset_start"]);
    expect(r.findings.find((f) => f.code === "st_duplicate_tensor")).toMatchObject({ severity: "error", tensor: "w" });
    // escaped spellings of the same key are duplicates too
    const esc = parseJson('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"\\u0077":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}');
    expect(codes(esc.findings)).toEqual(["st_duplicate_tensor"]);
    // the same name in different objects is not a duplicate
    const nested = parseJson('{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":{"w":"x"}}');
    expect(nested.findings).toEqual([]);
  });

  it("st_duplicate_key inside an entry or __metadata__", () => {
    const r = parseJson('{"w":{"dtype":"F32","dtype":"U8","shape":[1],"data_offsets":[0,1]},"__metadata__":{"a":"1","a":"2"}}');
    expect(codes(r.findings)).toEqual(["st_duplicate_key", "st_duplicate_key"]);
    expect(r.tensors[0]?.dtype).toBe("U8");
    expect(r.metadata).toEqual({ a: "2" });
    expect(r.findings.find((f) => f.tensor === "w")?.key).toBe("dtype");
    const twice = parseJson('{"__metadata__":{"a":"1"},"__metadata__":{"b":"2"}}');
    expect(twice.findings).toEqual([expect.objectContaining({ code: "st_duplicate_key", key: "__metadata__" })]);
    expect(twice.metadata).toEqual({ b: "2" });
  });

  it("st_offset_invalid: not safe integers, negative, end before begin", () => {
    const cases: [number, number, string][] = [
      [0, 2 ** 60, "non-negative integers below 2^53"],
      [0.5, 4, "non-negative integers below 2^53"],
      [-4, 0, "non-negative integers below 2^53"],
      [8, 4, "end is before begin"],
    ];
    for (const [b, e, msg] of cases) {
      const r = parseJson(JSON.stringify({ w: { dtype: "U8", shape: [4], data_offsets: [b, e] } }));
      expect(codes(r.findings), `${b},${e}`).toEqual(["st_offset_invalid"]);
      expect(r.findings[0]?.message).toContain(msg);
      expect(r.tensors[0]).toMatchObject({ begin: b, end: e });
    }
    // a JSON integer beyond 2^53 loses precision in JSON.parse; still flagged
    const r = parseJson('{"w":{"dtype":"U8","shape":[4],"data_offsets":[0,18446744073709551615]}}');
    expect(codes(r.findings)).toEqual(["st_offset_invalid"]);
  });

  it("st_negative_dim and st_dim_not_integer", () => {
    const neg = parseJson(JSON.stringify({ w: { dtype: "F32", shape: [-1, 4], data_offsets: [0, 16] } }));
    expect(codes(neg.findings)).toEqual(["st_negative_dim"]);
    expect(neg.tensors[0]?.shape).toEqual([-1, 4]);
    const frac = parseJson(JSON.stringify({ w: { dtype: "F32", shape: [1.5], data_offsets: [0, 6] } }));
    expect(codes(frac.findings)).toEqual(["st_dim_not_integer"]);
    const huge = parseJson(JSON.stringify({ w: { dtype: "U8", shape: [2 ** 54], data_offsets: [0, 0] } }));
    expect(codes(huge.findings)).toEqual(["st_dim_not_integer"]);
  });

  it("st_size_overflow", () => {
    const big = Number.MAX_SAFE_INTEGER;
    const r = parseJson(JSON.stringify({ w: { dtype: "F64", shape: [big, big], data_offsets: [0, 8] } }));
    expect(codes(r.findings)).toEqual(["st_size_overflow"]);
  });

  it("st_invalid_unicode", () => {
    const r = parseJson('{"w\\ud800":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}');
    expect(codes(r.findings)).toEqual(["st_invalid_unicode"]);
    // a proper pair is fine
    expect(parseJson('{"w\\ud83d\\ude00":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}').findings).toEqual([]);
  });

  it("caps findings per code with a summary", () => {
    const tensors: T[] = [];
    for (let i = 0; i < 120; i++) tensors.push({ name: `t${i}`, dtype: "F32", shape: [1], offsets: [i * 3, i * 3 + 3] });
    const r = parse(build(tensors));
    const mism = r.findings.filter((f) => f.code === "st_size_mismatch");
    expect(mism).toHaveLength(51);
    expect(mism[50]?.message).toContain("70 more st_size_mismatch finding(s) not listed (120 in all)");
    expect(r.tensors).toHaveLength(120);
  });
});

describe("scanJson", () => {
  const all = () => true;
  it("reports duplicates only in tracked objects, with their path", () => {
    const s = scanJson('{"a":{"x":1,"x":2},"b":[{"y":1,"y":2}],"a":3}', { depthLimit: 10, trackKeys: all });
    expect(s.duplicates).toEqual([
      { path: ["a"], key: "x" },
      { path: ["b", "[]"], key: "y" },
      { path: [], key: "a" },
    ]);
    expect(s.maxDepth).toBe(3);
    const top = scanJson('{"a":{"x":1,"x":2},"a":3}', { depthLimit: 10, trackKeys: (p) => p.length === 0 });
    expect(top.duplicates).toEqual([{ path: [], key: "a" }]);
  });

  it("is not fooled by quotes, braces and backslashes inside strings", () => {
    const s = scanJson('{"k\\"{[":"v\\\\","k\\"{[":"}]\\"","z":"\\\\\\""}', { depthLimit: 1, trackKeys: all });
    expect(s.tooDeep).toBe(false);
    expect(s.malformed).toBe(false);
    expect(s.duplicates).toEqual([{ path: [], key: 'k"{[' }]);
  });

  it("hands every string value of a tracked object to onStringValue, duplicates included", () => {
    const seen: string[] = [];
    scanJson('{"weight_map":{"a":"x\\u0031","a":"y","b":["z"],"c":{"d":"w"}},"other":{"e":"v"}}', {
      depthLimit: 10,
      trackKeys: (p) => p.length === 1 && p[0] === "weight_map",
      onStringValue: (p, k, v) => seen.push(`${p.join(".")}:${k}=${v}`),
    });
    expect(seen).toEqual(["weight_map:a=x1", "weight_map:a=y"]);
  });

  it("flags malformed input without throwing", () => {
    expect(scanJson('{"a', { depthLimit: 5, trackKeys: all }).malformed).toBe(true);
    expect(scanJson("}", { depthLimit: 5, trackKeys: all }).malformed).toBe(true);
  });
});

describeCorpus("real safetensors files (PANDASANG1231 per-tensor shards)", () => {
  const folder = "PANDASANG1231__llama-3.2-3B-per-tensor-shards";
  // Collection runs even for a skipped suite: read nothing when the corpus is absent.
  const files = hasCorpus ? readdirSync(corpusPath(folder)).filter((f) => f.endsWith(".safetensors")).sort() : [];

  it("has the 4 tiny real files", () => {
    expect(files).toHaveLength(4);
  });

  for (const f of files) {
    it(`${f}: header + exact file length, zero findings`, () => {
      const bytes = new Uint8Array(readFileSync(corpusPath(folder, f)));
      expect(bytes.length).toBe(statSync(corpusPath(folder, f)).size);
      const r = parseSafetensorsFile(bytes, { file: f, model: "PANDASANG1231/llama_3.2-3B-huggingface-shard0" });
      expect(r.findings).toEqual([]);
      expect(r.metadata).toEqual({ format: "pt" });
      expect(r.tensors).toHaveLength(1);
      const t = r.tensors[0]!;
      expect(t).toMatchObject({ dtype: "BF16", shape: [3072], begin: 0, end: 6144, file: f });
      expect(f).toContain(t.name);
      expect(8 + r.headerLength + r.dataEnd).toBe(bytes.length);
      // 128 bytes unpadded, or 144 with the writer's space padding
      expect([128, 144]).toContain(r.headerLength);
      // and from only the first 8+N bytes with the size known from elsewhere
      const fromPrefix = parseSafetensorsFile(bytes.subarray(0, 8 + r.headerLength), { file: f, fileSize: bytes.length });
      expect(fromPrefix.findings).toEqual([]);
    });
  }
});
