/**
 * Property tests, safetensors header (issue 6.1): generated files round-trip exactly; arbitrary and
 * mutated bytes, hostile length fields and arbitrary JSON only ever raise FormatError; the ranged
 * header reader never asks for more than 8 + the header cap, nor past the end of the file.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { DTYPES, tensorSize } from "../src/formats/dtypes.js";
import {
  DEFAULT_MAX_HEADER_BYTES,
  parseSafetensorsFile,
  parseSafetensorsHeader,
  readHeaderLength,
  validateHeaderLength,
} from "../src/formats/safetensors.js";
import { readSafetensorsHeaderBytes } from "../src/sources/st-header.js";
import type { TensorRecord } from "../src/sources/types.js";
import { FormatError } from "../src/util/errors.js";
import { CaseCounter, assertTyped, check, params, runs, same } from "./support/property-runs.js";

const counter = new CaseCounter("safetensors header");
afterAll(() => {
  console.log(counter.summary());
});

const enc = new TextEncoder();
const FILE = "model-00001-of-00002.safetensors";
const MODEL = "acme/prop-model";

// ---------------------------------------------------------------------------------------------
// Generators

const DTYPE_NAMES = [...DTYPES.keys()];
/** Names that are awkward for JavaScript objects or for the scanner. */
const NASTY_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "", " ", '"', "\\", "a\\\"b", "\u0000", "é", "😀", "model.layers.0.weight"];

const tensorName = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 2, arbitrary: fc.constantFrom(...NASTY_NAMES) },
  { weight: 2, arbitrary: fc.stringMatching(/^model\.layers\.\d{1,3}\.(self_attn|mlp)\.[a-z_]{1,8}\.weight$/) },
).filter((n) => n !== "__metadata__");

const dims = fc.array(fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 9, arbitrary: fc.integer({ min: 1, max: 48 }) }), { maxLength: 4 });

interface GenTensor {
  name: string;
  dtype: string;
  shape: number[];
}

const genTensor: fc.Arbitrary<GenTensor> = fc
  .record({ name: tensorName, dtype: fc.constantFrom(...DTYPE_NAMES), shape: dims })
  .filter((t) => tensorSize(t.shape, t.dtype).ok);

interface GenFile {
  tensors: GenTensor[];
  /** Order of the data (offsets) and of the JSON keys, as permutations of tensors. */
  dataOrder: number[];
  keyOrder: number[];
  metadata: Record<string, string> | null;
  metadataFirst: boolean;
  leading: string;
  pad: number;
  indent: boolean;
}

const genFile: fc.Arbitrary<GenFile> = fc
  .uniqueArray(genTensor, { selector: (t) => t.name, maxLength: 10 })
  .chain((tensors) => {
    const idx = tensors.map((_, i) => i);
    return fc.record({
      tensors: fc.constant(tensors),
      dataOrder: fc.shuffledSubarray(idx, { minLength: idx.length, maxLength: idx.length }),
      keyOrder: fc.shuffledSubarray(idx, { minLength: idx.length, maxLength: idx.length }),
      metadata: fc.option(fc.dictionary(fc.oneof(fc.string({ unit: "binary", maxLength: 8 }), fc.constantFrom("__proto__", "format", "constructor")), fc.string({ unit: "binary", maxLength: 12 }), { maxKeys: 4 }), { nil: null }),
      metadataFirst: fc.boolean(),
      leading: fc.constantFrom("", " ", "\n", "\t "),
      pad: fc.integer({ min: 0, max: 16 }),
      indent: fc.boolean(),
    });
  });

function bytesOf(t: GenTensor): number {
  const s = tensorSize(t.shape, t.dtype);
  if (!s.ok) throw new Error("generator produced an invalid tensor");
  return s.bytes;
}

/** Serialize a generated file: returns the bytes and the tensors the parser must return. */
function build(g: GenFile): { bytes: Uint8Array; fileSize: number; expected: TensorRecord[]; dataEnd: number; headerLength: number } {
  const offsets = new Map<number, [number, number]>();
  let at = 0;
  for (const i of g.dataOrder) {
    const n = bytesOf(g.tensors[i]!);
    offsets.set(i, [at, at + n]);
    at += n;
  }
  const sep = g.indent ? "\n  " : "";
  const parts: string[] = [];
  // JSON.stringify of an object with an own "__proto__" key keeps it as a key.
  const meta = g.metadata === null ? null : `${JSON.stringify("__metadata__")}:${JSON.stringify(Object.fromEntries(Object.entries(g.metadata)))}`;
  if (meta && g.metadataFirst) parts.push(meta);
  for (const i of g.keyOrder) {
    const t = g.tensors[i]!;
    const [b, e] = offsets.get(i)!;
    parts.push(`${JSON.stringify(t.name)}:${g.indent ? " " : ""}{"dtype":${JSON.stringify(t.dtype)},"shape":${JSON.stringify(t.shape)},"data_offsets":[${b},${e}]}`);
  }
  if (meta && !g.metadataFirst) parts.push(meta);
  const json = enc.encode(`${g.leading}{${sep}${parts.join(`,${sep}`)}${g.indent ? "\n" : ""}}${" ".repeat(g.pad)}`);
  // The data section is not materialized (it can be tens of MB): `fileSize` says where it ends.
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  const expected: TensorRecord[] = g.tensors.map((t, i) => ({ name: t.name, dtype: t.dtype, shape: t.shape, file: FILE, begin: offsets.get(i)![0], end: offsets.get(i)![1] }));
  expected.sort((a, b) => a.begin - b.begin || a.end - b.end || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { bytes: out, fileSize: 8 + json.length + at, expected, dataEnd: at, headerLength: json.length };
}

/** Parse anything; only FormatError may escape, and it must name the file. */
function parseAny(bytes: Uint8Array, fileSize?: number | null): ReturnType<typeof parseSafetensorsFile> | FormatError {
  try {
    return parseSafetensorsFile(bytes, { file: FILE, model: MODEL, ...(fileSize !== undefined ? { fileSize } : {}) });
  } catch (e) {
    assertTyped(e, [FormatError], "parseSafetensorsFile");
    const fe = e as FormatError;
    // plain checks: vitest's expect() is too slow for 10,000 cases of a cheap parser
    if (!/^safetensors_/.test(fe.code) || fe.file !== FILE || fe.model !== MODEL || !fe.message.includes(FILE)) {
      throw new Error(`FormatError without its code prefix, file or model: ${fe.code} ${fe.message}`);
    }
    return fe;
  }
}

/** Findings are bounded: at most 50 per code plus one summary line per code. */
function checkFindingsBounded(findings: { code: string }[]): void {
  const per = new Map<string, number>();
  for (const f of findings) per.set(f.code, (per.get(f.code) ?? 0) + 1);
  for (const [code, n] of per) if (n > 51) throw new Error(`${n} findings of ${code}: not bounded`);
}

function u64(n: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
}

// ---------------------------------------------------------------------------------------------

describe("safetensors header: properties", () => {
  it("generated files round-trip: same tensors, metadata and data end, no error findings", async () => {
    await counter.measure("round-trip of generated files", () =>
      fc.assert(
        fc.property(genFile, (g) => {
          counter.hit();
          const { bytes, fileSize, expected, dataEnd, headerLength } = build(g);
          const r = parseSafetensorsFile(bytes, { file: FILE, model: MODEL, fileSize });
          same(r.headerLength, headerLength, "header length");
          same(r.tensors, expected, "tensors");
          same(r.dataEnd, dataEnd, "data end");
          if (g.metadata === null) same(r.metadata, null, "metadata");
          else {
            check(r.metadata !== null, "metadata lost");
            // own keys, "__proto__" included (never swallowed by the prototype setter)
            same(Object.keys(r.metadata!).sort(), Object.keys(g.metadata).sort(), "metadata keys");
            for (const [k, v] of Object.entries(g.metadata)) same(Object.getOwnPropertyDescriptor(r.metadata, k)?.value, v, `metadata ${k}`);
          }
          same(r.findings.filter((f) => f.severity === "error"), [], "error findings");
          // the pure header parser agrees when given more bytes than N
          const longer = new Uint8Array(bytes.length - 8 + 16);
          longer.set(bytes.subarray(8), 0);
          const again = parseSafetensorsHeader(longer, { file: FILE, model: MODEL, headerLength, fileSize });
          same(again.tensors, expected, "tensors (header parser)");
        }),
        params("st-roundtrip"),
      ),
    );
  });

  it("arbitrary bytes: a result or a FormatError naming the file, never anything else", async () => {
    await counter.measure("arbitrary bytes", () =>
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 96 }), fc.option(fc.integer({ min: 0, max: 1 << 20 }), { nil: undefined }), (bytes, size) => {
          counter.hit();
          const r = parseAny(bytes, size);
          if (!(r instanceof FormatError)) checkFindingsBounded(r.findings);
        }),
        params("st-bytes"),
      ),
    );
  });

  it("mutated valid files (byte edits, truncation, hostile length fields): typed errors only", async () => {
    const hostileLength = fc.oneof(
      fc.constantFrom(0n, 1n, 7n, 2n ** 63n, 2n ** 64n - 1n, 2n ** 53n, 2n ** 53n + 1n, BigInt(DEFAULT_MAX_HEADER_BYTES), BigInt(DEFAULT_MAX_HEADER_BYTES) + 1n, 2n ** 32n),
      fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    );
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("edit" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      fc.record({ kind: fc.constant("length" as const), value: hostileLength }),
      fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), text: fc.constantFrom("{", "}", "[", "]", '"', "\\", ",", ":", "-1", "1e999", "null", "\u00ff") }),
    );
    await counter.measure("mutated valid files", () =>
      fc.assert(
        fc.property(genFile, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.constantFrom("exact", "unknown", "header-only"), (g, muts, sizeMode) => {
          counter.hit();
          const built = build(g);
          let bytes = built.bytes;
          for (const m of muts) {
            if (m.kind === "edit" && bytes.length > 0) {
              bytes = bytes.slice();
              bytes[m.at % bytes.length] = m.value;
            } else if (m.kind === "truncate") bytes = bytes.subarray(0, m.at % (bytes.length + 1));
            else if (m.kind === "length" && bytes.length >= 8) {
              bytes = bytes.slice();
              bytes.set(u64(m.value), 0);
            } else if (m.kind === "insert") {
              const at = Math.min(bytes.length, 8 + (m.at % Math.max(1, bytes.length - 7)));
              const t = enc.encode(m.text);
              const next = new Uint8Array(bytes.length + t.length);
              next.set(bytes.subarray(0, at), 0);
              next.set(t, at);
              next.set(bytes.subarray(at), at + t.length);
              bytes = next;
            }
          }
          const size = sizeMode === "exact" ? built.fileSize - built.bytes.length + bytes.length : sizeMode === "unknown" ? null : undefined;
          const r = parseAny(bytes, size);
          if (!(r instanceof FormatError)) checkFindingsBounded(r.findings);
        }),
        params("st-mutated"),
      ),
    );
  });

  it("arbitrary JSON headers and hostile entry values: typed errors, bounded findings", async () => {
    const weird = fc.oneof(
      fc.constantFrom(-1, 0.5, 2 ** 53, 2 ** 64, Number.MAX_VALUE, -0, 1e-300, "1", null, true, [], {}),
      fc.integer({ min: -10, max: 1 << 20 }),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const entry = fc.oneof(
      { weight: 3, arbitrary: fc.record({ dtype: fc.oneof(fc.constantFrom(...DTYPE_NAMES), weird), shape: fc.oneof(fc.array(weird, { maxLength: 4 }), weird), data_offsets: fc.oneof(fc.tuple(weird, weird), fc.array(weird, { maxLength: 3 }), weird) }, { requiredKeys: [] }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
    );
    const header = fc.oneof(
      { weight: 4, arbitrary: fc.dictionary(fc.oneof(tensorName, fc.constant("__metadata__")), entry, { maxKeys: 8 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
    );
    await counter.measure("arbitrary JSON headers", () =>
      fc.assert(
        fc.property(header, fc.constantFrom("", " ", "\n"), fc.option(fc.nat({ max: 1 << 16 }), { nil: null }), (h, lead, size) => {
          counter.hit();
          const json = enc.encode(lead + JSON.stringify(h));
          if (json.length === 0) return;
          try {
            const r = parseSafetensorsHeader(json, { file: FILE, model: MODEL, headerLength: json.length, fileSize: size === null ? null : 8 + json.length + size });
            checkFindingsBounded(r.findings);
            for (const t of r.tensors) check(typeof t.name === "string", "tensor name is not a string");
          } catch (e) {
            assertTyped(e, [FormatError], "parseSafetensorsHeader");
          }
        }),
        params("st-json"),
      ),
    );
  });

  it("the length field: 0 < N <= cap and 8 + N <= size, decided on the BigInt before anything is allocated", async () => {
    await counter.measure("length field validation", () =>
      fc.assert(
        fc.property(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.integer({ min: 1, max: DEFAULT_MAX_HEADER_BYTES }), fc.option(fc.nat(), { nil: null }), (n, cap, size) => {
          counter.hit();
          const prefix = u64(n);
          same(readHeaderLength(prefix), n, "N");
          let got: number | null = null;
          try {
            got = validateHeaderLength(n, { file: FILE, model: MODEL, maxHeaderBytes: cap, fileSize: size });
          } catch (e) {
            assertTyped(e, [FormatError], "validateHeaderLength");
          }
          const ok = n > 0n && n <= BigInt(cap) && (size === null || 8n + n <= BigInt(size));
          same(got !== null, ok, `accepted N=${n} cap=${cap} size=${size}`);
          if (got !== null) same(BigInt(got), n, "N as a number");
        }),
        params("st-length"),
      ),
    );
  });

  it("the ranged header reader never reads past 8 + cap or past the end of the file, whatever N says", async () => {
    await counter.measure("ranged reader bounds", () =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), fc.bigInt({ min: 0n, max: 4096n }), fc.constantFrom(2n ** 63n, 99_000_000n, 100_000_000n, 100_000_001n)),
          fc.integer({ min: 0, max: 1 << 40 }),
          fc.integer({ min: 1024, max: 4096 }),
          fc.integer({ min: 1, max: 200_000_000 }),
          fc.boolean(),
          async (n, fileSize, cap, guess, sizeKnown) => {
            counter.hit();
            const reads: [number, number][] = [];
            let transferred = 0;
            const prefix = u64(n);
            // A virtual file of `fileSize` bytes: the prefix, then "{}" padding; reads are clamped like HTTP.
            const get = async (start: number, endIncl: number) => {
              check(endIncl >= start, `empty range ${start}-${endIncl}`);
              reads.push([start, endIncl]);
              const last = Math.min(endIncl, fileSize - 1);
              const len = Math.max(0, last - start + 1);
              if (len > 64 * 1024 * 1024) throw new Error(`asked for ${len} bytes`);
              const out = new Uint8Array(len);
              for (let i = 0; i < len; i++) {
                const p = start + i;
                out[i] = p < 8 ? prefix[p]! : p === 8 ? 0x7b : p === 9 ? 0x7d : 0x20;
              }
              transferred += len;
              return { bytes: out, total: sizeKnown ? fileSize : null };
            };
            try {
              const h = await readSafetensorsHeaderBytes(get, { file: FILE, model: MODEL, maxHeaderBytes: cap, expectedHeaderBytes: guess, knownSize: sizeKnown ? fileSize : null });
              same(BigInt(h.headerLength), n, "N");
              same(h.json.length, h.headerLength, "header bytes");
            } catch (e) {
              assertTyped(e, [FormatError], "readSafetensorsHeaderBytes");
            }
            check(transferred <= 8 + cap, `read ${transferred} bytes with a cap of ${cap}`);
            if (sizeKnown) check(transferred <= fileSize, `read ${transferred} bytes of a ${fileSize}-byte file`);
            for (const [, e] of reads) check(e < 8 + cap, `asked for byte ${e} with a cap of ${cap}`);
            check(reads.length <= 2, `${reads.length} requests`);
          },
        ),
        params("st-reader", runs(2_000)),
      ),
    );
  });

  it(`ran at least ${runs().toLocaleString("en-US")} cases`, () => {
    expect(counter.total).toBeGreaterThanOrEqual(runs());
  });
});
