/**
 * Property tests, ONNX graph reader (issue 6.1): generated models round-trip (initializers, ops,
 * opsets, metadata, inputs/outputs), read whole or range-walked; arbitrary and mutated bytes and
 * hostile length prefixes only raise FormatError; no read ever goes past the end of the file or
 * past the byte budget, whatever the lengths in the file say.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { nominalBytes, onnxDataTypeName, onnxOpsFeatures, onnxToTensors, readOnnxGraph, type OnnxGraph } from "../src/formats/onnx.js";
import type { RangeReader } from "../src/sources/types.js";
import { FormatError } from "../src/util/errors.js";
import { graph, model, node, tensor, valueInfo, type AttrSpec } from "./support/onnx-writer.js";
import { CaseCounter, assertTyped, check, params, runs, same } from "./support/property-runs.js";

const counter = new CaseCounter("onnx graph");
afterAll(() => {
  console.log(counter.summary());
});

const FILE = "onnx/model.onnx";
const MODEL = "acme/prop-onnx";

/** A RangeReader over bytes that fails the property on any out-of-file request and counts bytes. */
class StrictReader implements RangeReader {
  readonly path = FILE;
  bytes = 0;
  requests = 0;
  constructor(
    private readonly data: Uint8Array,
    private readonly sizeKnown = true,
  ) {}
  size(): number | null {
    return this.sizeKnown || this.requests > 0 ? this.data.length : null;
  }
  async read(start: number, end: number): Promise<Uint8Array> {
    this.requests++;
    check(Number.isSafeInteger(start) && Number.isSafeInteger(end) && start >= 0 && end >= start, `bad range ${start}-${end}`);
    // With an unknown size the first read may ask beyond the end (an HTTP server clamps it).
    if (this.sizeKnown || this.requests > 1) check(end <= this.data.length, `read past the end: ${start}-${end} of ${this.data.length}`);
    const out = this.data.slice(start, Math.min(end, this.data.length));
    this.bytes += out.length;
    return out;
  }
}

async function readAny(bytes: Uint8Array, opts: { budget?: number; wholeFileBelow?: number; sizeKnown?: boolean } = {}): Promise<OnnxGraph | FormatError> {
  const r = new StrictReader(bytes, opts.sizeKnown ?? true);
  try {
    const g = await readOnnxGraph(r, { file: FILE, model: MODEL, ...(opts.budget !== undefined ? { budgetBytes: opts.budget } : {}), ...(opts.wholeFileBelow !== undefined ? { wholeFileBelow: opts.wholeFileBelow } : {}) });
    check(g.bytesRead === r.bytes, `bytesRead ${g.bytesRead} != ${r.bytes}`);
    return g;
  } catch (e) {
    if (e instanceof Error && /^(bad range|read past the end)/.test(e.message)) throw e;
    assertTyped(e, [FormatError], "readOnnxGraph");
    const fe = e as FormatError;
    check(/^onnx_/.test(fe.code) && fe.file === FILE && fe.model === MODEL && fe.message.includes(FILE), `FormatError without code prefix, file or model: ${fe.code} ${fe.message}`);
    return fe;
  } finally {
    // The budget bounds every byte read, whatever the file declares.
    if (opts.budget !== undefined) check(r.bytes <= opts.budget, `read ${r.bytes} bytes with a budget of ${opts.budget}`);
    check(r.bytes <= Math.max(bytes.length, 64 * 1024), `read ${r.bytes} bytes of a ${bytes.length}-byte file`);
  }
}

// ---------------------------------------------------------------------------------------------
// Generators

const DATA_TYPES = [1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26];
const name = fc.oneof({ weight: 4, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 16 }) }, { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "w", "model.embed_tokens.weight") });

const genInit = fc.record({
  name,
  dims: fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 4 }),
  dataType: fc.constantFrom(...DATA_TYPES),
  storage: fc.constantFrom("nominal", "none", "external", "external-nolength"),
  packed: fc.boolean(),
  location: fc.constantFrom("model.onnx_data", "weights/part.bin", "./model.onnx_data"),
  offset: fc.nat({ max: 1 << 30 }),
});

const attr: fc.Arbitrary<AttrSpec> = fc.oneof(
  fc.record({ name: fc.constantFrom("bits", "block_size", "axis", "__proto__", "alpha"), i: fc.integer({ min: -1000, max: 1000 }) }),
  fc.record({ name: fc.constantFrom("epsilon", "alpha"), f: fc.constantFrom(0.5, 1e-5, 2, -1) }),
  fc.record({ name: fc.constantFrom("mode", "direction"), s: fc.string({ maxLength: 10 }) }),
);
const genNode = fc.record({
  opType: fc.oneof(
    fc.constantFrom("MatMul", "Add", "Gelu", "GroupQueryAttention", "MatMulNBits", "RotaryEmbedding", "SimplifiedLayerNormalization", "Constant", "Softmax", "Attention"),
    fc.constantFrom("constructor", "toString", "__proto__", "valueOf", "hasOwnProperty"),
    fc.string({ minLength: 1, maxLength: 12 }),
  ),
  domain: fc.constantFrom("", "ai.onnx", "com.microsoft", "custom.domain"),
  outputs: fc.array(fc.string({ minLength: 1, maxLength: 6 }), { maxLength: 2 }),
  attributes: fc.array(attr, { maxLength: 2 }),
});
const genModel = fc.record({
  irVersion: fc.integer({ min: 3, max: 13 }),
  inits: fc.uniqueArray(genInit, { selector: (t) => t.name, maxLength: 6 }),
  nodes: fc.array(genNode, { maxLength: 6 }),
  opsets: fc.uniqueArray(fc.tuple(fc.constantFrom("", "com.microsoft", "ai.onnx.ml", "x.y"), fc.integer({ min: 1, max: 25 })), { selector: ([d]) => (d === "" ? "ai.onnx" : d), maxLength: 3 }),
  metadata: fc.dictionary(fc.oneof(fc.string({ minLength: 1, maxLength: 8 }), fc.constantFrom("__proto__", "constructor")), fc.string({ unit: "binary", maxLength: 20 }), { maxKeys: 3 }),
  inputs: fc.array(fc.tuple(fc.string({ minLength: 1, maxLength: 6 }), fc.constantFrom(1, 7, 10), fc.array(fc.oneof(fc.integer({ min: 1, max: 4096 }), fc.constantFrom("batch", "seq")), { maxLength: 3 })), { maxLength: 3 }),
});
type GenModel = typeof genModel extends fc.Arbitrary<infer T> ? T : never;

function encodeModel(g: GenModel): Uint8Array {
  const inits = g.inits.map((t) => {
    const nominal = nominalBytes(onnxDataTypeName(t.dataType), t.dims) ?? 0;
    if (t.storage === "nominal") return tensor({ name: t.name, dims: t.dims, dataType: t.dataType, raw: nominal, packedDims: t.packed });
    if (t.storage === "none") return tensor({ name: t.name, dims: t.dims, dataType: t.dataType, packedDims: t.packed });
    return tensor({ name: t.name, dims: t.dims, dataType: t.dataType, packedDims: t.packed, external: { location: t.location, offset: t.offset, ...(t.storage === "external" ? { length: nominal } : {}) } });
  });
  const nodes = g.nodes.map((n) => node({ opType: n.opType, ...(n.domain ? { domain: n.domain } : {}), outputs: n.outputs, attributes: n.attributes }));
  const inputs = g.inputs.map(([n, t, shape]) => valueInfo(n, t, shape));
  // metadata keys go through the wire as strings: an own "__proto__" key included
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(g.metadata)) Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
  return model({ irVersion: g.irVersion, graph: graph({ nodes, initializers: inits, inputs }), opsets: g.opsets, metadata });
}

// ---------------------------------------------------------------------------------------------

describe("onnx graph reader: properties", () => {
  it("generated models round-trip, read whole or range-walked", async () => {
    await counter.measure("round-trip of generated models", () =>
      fc.assert(
        fc.asyncProperty(genModel, fc.constantFrom("whole", "range", "unknown-size"), async (g, mode) => {
          counter.hit();
          const bytes = encodeModel(g);
          const r = await readAny(bytes, mode === "range" ? { wholeFileBelow: 0 } : mode === "unknown-size" ? { sizeKnown: false } : {});
          if (r instanceof FormatError) throw r;
          same(r.irVersion, g.irVersion, "ir_version");
          same(r.fileSize, bytes.length, "file size");
          same(
            r.initializers.map((t) => [t.name, t.dims, t.dataType, t.source]),
            g.inits.map((t) => [t.name, t.dims, onnxDataTypeName(t.dataType), "initializer"]),
            "initializers",
          );
          for (const [i, t] of g.inits.entries()) {
            const got = r.initializers[i]!;
            const nominal = nominalBytes(onnxDataTypeName(t.dataType), t.dims) ?? 0;
            if (t.storage === "nominal") same([got.rawDataBytes, got.external], [nominal, null], `inline ${t.name}`);
            else if (t.storage === "none") same([got.rawDataBytes, got.external], [0, null], `no data ${t.name}`);
            else same(got.external, { location: t.location.replace(/^\.\//, ""), offset: t.offset, length: t.storage === "external" ? nominal : null }, `external ${t.name}`);
          }
          const ops = new Map<string, number>();
          for (const n of g.nodes) {
            const k = `${n.domain === "" ? "ai.onnx" : n.domain}::${n.opType}`;
            ops.set(k, (ops.get(k) ?? 0) + 1);
          }
          same(new Map(r.ops.map((o) => [`${o.domain}::${o.opType}`, o.count])), ops, "ops");
          same(r.opsets, g.opsets.map(([d, v]) => ({ domain: d === "" ? "ai.onnx" : d, version: v })), "opsets");
          same(Object.keys(r.metadata).sort(), Object.keys(g.metadata).sort(), "metadata keys");
          for (const [k, v] of Object.entries(g.metadata)) same(Object.getOwnPropertyDescriptor(r.metadata, k)?.value, v, `metadata ${k}`);
          same(r.inputs.map((i) => i.name), g.inputs.map(([n]) => n), "inputs");
          same(r.inputs.map((i) => i.shape), g.inputs.map(([, , s]) => s), "input shapes");
          // the derived views never throw on what the reader returns, and name ops with strings only
          onnxToTensors(r);
          const feats = onnxOpsFeatures(r);
          for (const o of [...feats.ops, ...feats.rawOps]) check(typeof o === "string", `op ${String(o)} is not a string`);
        }),
        params("onnx-roundtrip", runs(6_000)),
      ),
    );
  });

  it("arbitrary bytes, mutated models and hostile length prefixes: FormatError only, reads within the file and the budget", async () => {
    const varint = (v: bigint): number[] => {
      const out: number[] = [];
      let x = v;
      do {
        let b = Number(x & 127n);
        x >>= 7n;
        if (x > 0n) b |= 128;
        out.push(b);
      } while (x > 0n);
      return out;
    };
    const hostileLen = fc.oneof(fc.constantFrom(2n ** 31n - 1n, 2n ** 31n, 2n ** 32n, 2n ** 63n, 2n ** 64n - 1n, 0n, 1n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant("edit" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
      // a length-delimited field (graph, node, tensor, string...) declaring a hostile length
      fc.record({ kind: fc.constant("length" as const), at: fc.nat(), field: fc.constantFrom(1, 2, 5, 7, 8, 9, 11, 13, 14, 25), len: hostileLen }),
      fc.record({ kind: fc.constant("varint" as const), at: fc.nat(), bytes: fc.array(fc.constantFrom(0x80, 0xff), { minLength: 9, maxLength: 12 }) }),
    );
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 256 }).map((b) => ({ bytes: b })),
      fc.tuple(genModel, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([g, muts]) => {
        let b = encodeModel(g);
        for (const m of muts) {
          const at = b.length === 0 ? 0 : m.at % (b.length + 1);
          if (m.kind === "edit") {
            if (b.length === 0) continue;
            b = b.slice();
            b[m.at % b.length] = m.value;
          } else if (m.kind === "truncate") b = b.subarray(0, at);
          else {
            const ins = m.kind === "length" ? [(m.field << 3) | 2, ...varint(m.len)] : m.bytes;
            const next = new Uint8Array(b.length + ins.length);
            next.set(b.subarray(0, at), 0);
            next.set(ins, at);
            next.set(b.subarray(at), at + ins.length);
            b = next;
          }
        }
        return { bytes: b };
      }),
    );
    await counter.measure("arbitrary and mutated bytes", () =>
      fc.assert(
        fc.asyncProperty(input, fc.constantFrom("whole", "range", "unknown-size"), fc.option(fc.integer({ min: 16, max: 4096 }), { nil: undefined }), async ({ bytes }, mode, budget) => {
          counter.hit();
          const r = await readAny(bytes, { ...(mode === "range" ? { wholeFileBelow: 0 } : mode === "unknown-size" ? { sizeKnown: false } : {}), ...(budget !== undefined ? { budget } : {}) });
          if (!(r instanceof FormatError)) {
            onnxToTensors(r);
            onnxOpsFeatures(r);
            check(r.findings.length <= 200, `${r.findings.length} findings`);
          }
        }),
        params("onnx-hostile"),
      ),
    );
  });

  it(`ran at least ${runs().toLocaleString("en-US")} cases`, () => {
    expect(counter.total).toBeGreaterThanOrEqual(runs());
  });
});
