import { mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  chooseOnnxFiles,
  onnxOpsFeatures,
  onnxToTensors,
  readOnnxGraph,
  resolveExternalPath,
  type OnnxGraph,
} from "../src/formats/onnx.js";
import { FormatError } from "../src/util/errors.js";
import { CORPUS_DIR, describeCorpus, hasCorpus } from "./support/corpus.js";
import { FileReaderFactory, MemoryRangeReader } from "./support/file-range-reader.js";
import { DT, graph, model, node, tensor, valueInfo } from "./support/onnx-writer.js";

function corpusOnnxFiles(): string[] {
  if (!hasCorpus) return [];
  const out: string[] = [];
  for (const d of readdirSync(CORPUS_DIR).sort()) {
    const dir = path.join(CORPUS_DIR, d);
    if (d.startsWith("_") || !existsSync(dir)) continue;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const f of entries.sort()) if (f.endsWith(".onnx")) out.push(`${d}/${f}`);
  }
  return out;
}

async function readCorpus(rel: string, opts: { wholeFileBelow?: number } = {}): Promise<{ g: OnnxGraph; fac: FileReaderFactory }> {
  const fac = new FileReaderFactory();
  const g = await readOnnxGraph(fac.open(path.join(CORPUS_DIR, rel), rel), { file: rel, model: "corpus", ...opts });
  return { g, fac };
}

const opKeys = (g: OnnxGraph): string[] => g.ops.map((o) => `${o.domain}::${o.opType}`);
const opCount = (g: OnnxGraph, key: string): number => g.ops.find((o) => `${o.domain}::${o.opType}` === key)?.count ?? 0;

async function expectFormatError(p: Promise<unknown>, code: string): Promise<FormatError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(FormatError);
  expect((e as FormatError).code).toBe(code);
  return e as FormatError;
}

describeCorpus("readOnnxGraph over the zoo corpus", () => {
  const files = corpusOnnxFiles();

  it("finds the 20 corpus .onnx files", () => {
    expect(files.length).toBe(20);
  });

  for (const rel of files) {
    it(`parses ${rel} (whole and range-walked give the same graph, only the .onnx is read)`, async () => {
      const { g, fac } = await readCorpus(rel);
      expect(g.mode).toBe("whole");
      expect(g.requests).toBe(1);
      expect(g.bytesRead).toBe(g.fileSize);
      expect(g.irVersion).toBeGreaterThan(0);
      expect(g.opsets.length).toBeGreaterThan(0);
      expect(g.inputs.length).toBeGreaterThan(0);
      expect(g.outputs.length).toBeGreaterThan(0);
      // No corpus file references external data.
      expect(g.externalFiles).toEqual([]);
      expect(g.initializers.every((t) => t.external === null)).toBe(true);
      expect(fac.paths()).toEqual([rel]);

      const r = await readCorpus(rel, { wholeFileBelow: 0 });
      expect(r.g.mode).toBe("range");
      const strip = (x: OnnxGraph) => ({ ...x, mode: "", bytesRead: 0, requests: 0, findings: x.findings.filter((f) => f.code !== "onnx_range_walk") });
      expect(strip(r.g)).toEqual(strip(g));
      expect(r.fac.paths()).toEqual([rel]);
    });
  }

  it("Silero VAD v4 (legacy): If subgraphs, LSTM and Conv, no STFT op", async () => {
    const { g } = await readCorpus("snakers4__silero-vad/silero_vad_legacy.onnx");
    expect(g.producer).toEqual({ name: "pytorch", version: "1.12.0" });
    expect(opCount(g, "ai.onnx::If")).toBe(9);
    expect(opCount(g, "ai.onnx::LSTM")).toBe(8);
    expect(opCount(g, "ai.onnx::Conv")).toBe(36);
    expect(opKeys(g)).not.toContain("ai.onnx::STFT");
    expect(g.subgraphs).toBe(18);
    expect(g.initializers.filter((t) => t.source === "initializer")).toHaveLength(259);
    expect(g.attributes["ai.onnx::LSTM"]).toMatchObject({ hidden_size: [64], direction: ["forward"] });
    const f = onnxOpsFeatures(g);
    expect(f.ops).toEqual(["act.relu", "act.sigmoid", "control.if", "conv", "lstm"]);
    expect(f.weightFormat?.format).toBe("fp32");
  });

  it("Silero VAD v5/v6: weights live in Constant nodes inside If branches", async () => {
    for (const v of ["v5", "v6"]) {
      const { g } = await readCorpus(`snakers4__silero-vad/silero_vad_${v}.onnx`);
      expect(g.producer.name).toBe("spox");
      expect(opCount(g, "ai.onnx::If")).toBe(25);
      expect(opCount(g, "ai.onnx::LSTM")).toBe(4);
      expect(opCount(g, "ai.onnx::Conv")).toBe(12);
      expect(opCount(g, "ai.onnx::Constant")).toBe(341);
      expect(g.subgraphs).toBe(50);
      expect(g.initializers.filter((t) => t.source === "initializer")).toHaveLength(0);
      expect(g.initializers.filter((t) => t.source === "constant")).toHaveLength(341);
      // Only the 2+-dim Constant tensors (the weights) become tensor records.
      const tensors = onnxToTensors(g);
      expect(tensors).toHaveLength(16);
      expect(tensors.every((t) => t.dtype === "F32" && t.shape.length >= 2 && t.end > 0)).toBe(true);
      expect(g.inputs.map((i) => i.name)).toEqual(["input", "state", "sr"]);
      expect(g.inputs[1]).toEqual({ name: "state", elemType: "FLOAT", shape: [2, "?", 128] });
    }
  });

  it("tiny GPT-2 ORT GenAI exports: com.microsoft Attention / EmbedLayerNormalization / FastGelu / SkipLayerNormalization", async () => {
    const fp32 = (await readCorpus("hf-internal-testing__tiny-random-gpt2__ORT-GenAI-fp32-export/past.onnx")).g;
    const fp16 = (await readCorpus("hf-internal-testing__tiny-random-gpt2__ORT-GenAI-fp16-export/past.onnx")).g;
    for (const g of [fp32, fp16]) {
      expect(g.producer.name).toBe("onnxruntime.transformers");
      expect(g.opsets).toEqual([
        { domain: "ai.onnx", version: 11 },
        { domain: "com.microsoft", version: 1 },
      ]);
      expect(opCount(g, "com.microsoft::Attention")).toBe(5);
      expect(opCount(g, "com.microsoft::EmbedLayerNormalization")).toBe(1);
      expect(opCount(g, "com.microsoft::FastGelu")).toBe(5);
      expect(opCount(g, "com.microsoft::SkipLayerNormalization")).toBe(10);
      expect(opCount(g, "ai.onnx::MatMul")).toBe(16);
      expect(g.initializers).toHaveLength(27);
      expect(g.attributes["com.microsoft::Attention"]).toMatchObject({ num_heads: [4], unidirectional: [1] });
      expect(onnxOpsFeatures(g).ops).toEqual(["act.gelu", "attention.mha", "matmul", "norm.layer"]);
    }
    expect(opKeys(fp32)).toContain("ai.onnx::Cast");
    expect(opKeys(fp16)).not.toContain("ai.onnx::Cast");
    expect(onnxOpsFeatures(fp32).weightFormat?.format).toBe("fp32");
    expect(onnxOpsFeatures(fp16).weightFormat?.format).toBe("fp16");
    expect(fp16.inputs.find((i) => i.name === "past_0")).toEqual({ name: "past_0", elemType: "FLOAT16", shape: [2, "batch_size", 4, "past_seq_len", 8] });
    const tensors = onnxToTensors(fp16);
    expect(tensors).toHaveLength(27);
    expect(new Set(tensors.map((t) => t.dtype))).toEqual(new Set(["F16"]));
  });

  it("tiny Qwen3.5 export: GroupQueryAttention with kv_num_heads=2, num_heads=4", async () => {
    const { g } = await readCorpus("hf-internal-testing__tiny-qwen35__ORT-GenAI-export/decoder.onnx");
    expect(opCount(g, "com.microsoft::GroupQueryAttention")).toBe(2);
    expect(opCount(g, "com.microsoft::SkipLayerNormalization")).toBe(4);
    expect(g.attributes["com.microsoft::GroupQueryAttention"]).toEqual({ kv_num_heads: [2], num_heads: [4] });
    expect(onnxOpsFeatures(g).ops).toEqual(["act.relu", "attention.gqa", "matmul", "norm.layer"]);
  });

  it("tiny LFM2 export and the dummy ORT GenAI graphs", async () => {
    const lfm2 = (await readCorpus("hf-internal-testing__tiny-random-lfm2__ORT-GenAI-export/decoder.onnx")).g;
    expect(opKeys(lfm2)).toEqual(["ai.onnx::Concat", "ai.onnx::Gather", "ai.onnx::Identity", "ai.onnx::MatMul", "ai.onnx::Reshape", "ai.onnx::Transpose"]);
    // The Whisper / Qwen2.5-VL dummies have initializers but no nodes at all.
    for (const rel of ["ort-genai-test__whisper-dummy/dummy_decoder.onnx", "ort-genai-test__qwen2.5-vl-dummy/dummy_text.onnx"]) {
      const { g } = await readCorpus(rel);
      expect(g.ops).toEqual([]);
      expect(g.initializers.length).toBeGreaterThan(0);
    }
  });

  it("ONNX model-zoo light CNNs: weights replaced by ConstantOfShape, shapes in attribute tensors", async () => {
    const { g } = await readCorpus("onnx-model-zoo__resnet50-light/light_resnet50.onnx");
    expect(g.irVersion).toBe(3);
    expect(opCount(g, "ai.onnx::Conv")).toBe(53);
    expect(opCount(g, "ai.onnx::ConstantOfShape")).toBe(239);
    expect(onnxOpsFeatures(g).ops).toEqual(["act.relu", "conv", "matmul", "norm.batch", "pool.avg", "pool.max", "softmax"]);
  });
});

describe("readOnnxGraph range walking over a big inline-weights model", () => {
  let dir: string;
  let file: string;
  let size: number;
  const BIG = 10 * 1024 * 1024;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "standin-onnx-"));
    file = path.join(dir, "model_q4f16.onnx");
    const nodes = [];
    for (let i = 0; i < 4; i++) {
      nodes.push(node({ opType: "MatMulNBits", domain: "com.microsoft", inputs: [`h${i}`, `w${i}`, `s${i}`], outputs: [`h${i + 1}`], attributes: [{ name: "bits", i: 4 }, { name: "block_size", i: 32 }, { name: "K", i: 4096 }, { name: "N", i: 5120 }] }));
      nodes.push(node({ opType: "SimplifiedLayerNormalization", inputs: [`h${i + 1}`, `n${i}`], outputs: [`x${i}`], attributes: [{ name: "epsilon", f: 1e-6 }] }));
    }
    const initializers = [];
    for (let i = 0; i < 4; i++) {
      initializers.push(tensor({ name: `w${i}`, dims: [5120, 128, 16], dataType: DT.UINT8, raw: BIG }));
      initializers.push(tensor({ name: `s${i}`, dims: [5120, 128], dataType: DT.FLOAT16, raw: 5120 * 128 * 2 }));
      initializers.push(tensor({ name: `n${i}`, dims: [4096], dataType: DT.FLOAT16, raw: 8192 }));
    }
    const bytes = model({
      graph: graph({ nodes, initializers, inputs: [valueInfo("h0", DT.FLOAT16, ["batch", "seq", 4096])], outputs: [valueInfo("x3", DT.FLOAT16, ["batch", "seq", 4096])] }),
      opsets: [
        ["", 21],
        ["com.microsoft", 1],
      ],
      metadata: { "onnx.convert": "test" },
    });
    writeFileSync(file, bytes);
    size = bytes.length;
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads < 1 MB of a ~47 MB file in a handful of requests, and only the .onnx", async () => {
    expect(size).toBeGreaterThan(45 * 1024 * 1024);
    const fac = new FileReaderFactory();
    const g = await readOnnxGraph(fac.open(file, "onnx/model_q4f16.onnx"), { file: "onnx/model_q4f16.onnx", budgetBytes: 1024 * 1024 });
    expect(g.mode).toBe("range");
    expect(g.bytesRead).toBeLessThan(1024 * 1024);
    expect(g.bytesRead).toBe(fac.bytes);
    expect(g.requests).toBe(fac.requests);
    expect(g.requests).toBeLessThanOrEqual(12);
    expect(fac.paths()).toEqual(["onnx/model_q4f16.onnx"]);
    expect(g.initializers).toHaveLength(12);
    expect(g.initializers[0]).toEqual({ name: "w0", dims: [5120, 128, 16], dataType: "UINT8", external: null, rawDataBytes: BIG, source: "initializer", depth: 0 });
    expect(g.opsets).toEqual([
      { domain: "ai.onnx", version: 21 },
      { domain: "com.microsoft", version: 1 },
    ]);
    expect(g.metadata).toEqual({ "onnx.convert": "test" });
    expect(g.outputs).toEqual([{ name: "x3", elemType: "FLOAT16", shape: ["batch", "seq", 4096] }]);
    const f = onnxOpsFeatures(g);
    expect(f.ops).toEqual(["matmul.nbits", "norm.rms"]);
    expect(f.rawOps).toEqual(["ai.onnx::SimplifiedLayerNormalization", "com.microsoft::MatMulNBits"]);
    expect(f.weightFormat).toMatchObject({ format: "onnx-int4-block32", method: "onnx-matmulnbits", bits: 4, groupSize: 32, storageDtype: "U8", scaleDtypes: ["F16"] });
    expect(g.findings.find((x) => x.code === "onnx_range_walk")?.message).toMatch(/read .* in \d+ requests/);
    console.log(`[range-walk] ${size} byte file: ${g.bytesRead} bytes in ${g.requests} requests: ${fac.log.map((r) => `${r.start}+${r.bytes}`).join(", ")}`);
  });

  it("also works when the size is unknown before the first read", async () => {
    const fac = new FileReaderFactory();
    const g = await readOnnxGraph(fac.open(file, "m.onnx", { sizeKnown: false }), { file: "m.onnx", budgetBytes: 1024 * 1024 });
    expect(g.initializers).toHaveLength(12);
    expect(g.bytesRead).toBeLessThan(1024 * 1024);
  });

  it("stops with onnx_budget_exceeded naming the file and the budget", async () => {
    const fac = new FileReaderFactory();
    const e = await expectFormatError(readOnnxGraph(fac.open(file, "onnx/model_q4f16.onnx"), { file: "onnx/model_q4f16.onnx", model: "org/m", budgetBytes: 20_000 }), "onnx_budget_exceeded");
    expect(e.message).toContain("onnx/model_q4f16.onnx");
    expect(e.message).toContain("19.5 KiB");
    expect(e.model).toBe("org/m");
    expect(fac.bytes).toBeLessThanOrEqual(20_000);
  });

  it("tensor records: dtype names like safetensors, [0, rawDataBytes)", async () => {
    const g = await readOnnxGraph(new FileReaderFactory().open(file, "onnx/model_q4f16.onnx"), { file: "onnx/model_q4f16.onnx" });
    const t = onnxToTensors(g);
    expect(t[0]).toEqual({ name: "w0", dtype: "U8", shape: [5120, 128, 16], file: "onnx/model_q4f16.onnx", begin: 0, end: BIG });
    expect(t[1]).toMatchObject({ name: "s0", dtype: "F16", shape: [5120, 128] });
  });
});

describe("readOnnxGraph external data", () => {
  it("records external references (initializers, Constant nodes, subgraphs, functions) without reading them", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "standin-onnx-ext-"));
    try {
      const then = graph({
        name: "then",
        initializers: [tensor({ name: "sub_w", dims: [8, 8], dataType: DT.FLOAT, external: { location: "model.onnx_data", offset: 8192, length: 256 } })],
        outputs: [valueInfo("y", DT.FLOAT, [8, 8])],
      });
      const g = graph({
        nodes: [
          node({ opType: "Constant", outputs: ["Constant_7_output_0"], attributes: [{ name: "value", t: tensor({ name: "", dims: [16, 4], dataType: DT.FLOAT16, external: { location: "./Constant_7_attr__value", length: 128 } }) }] }),
          node({ opType: "If", inputs: ["cond"], outputs: ["y"], attributes: [{ name: "then_branch", g: then }, { name: "else_branch", g: graph({ name: "else" }) }] }),
          node({ opType: "GroupQueryAttention", domain: "com.microsoft", attributes: [{ name: "num_heads", i: 32 }, { name: "kv_num_heads", i: 8 }] }),
        ],
        initializers: [
          tensor({ name: "embed", dims: [1000, 64], dataType: DT.BFLOAT16, external: { location: "model.onnx_data", offset: 0, length: 128000 }, packedDims: true }),
          tensor({ name: "lm_head", dims: [1000, 64], dataType: DT.BFLOAT16, external: { location: "model.onnx_data", offset: 131072, length: 128000 } }),
        ],
        inputs: [valueInfo("cond", 9, [])],
        outputs: [valueInfo("y", DT.FLOAT, [8, 8])],
      });
      const bytes = model({
        graph: g,
        opsets: [
          ["", 18],
          ["com.microsoft", 1],
          ["custom", 1],
        ],
        functions: [{ name: "MyFn", domain: "custom", nodes: [node({ opType: "RotaryEmbedding", domain: "com.microsoft" }), node({ opType: "MatMul" })] }],
      });
      const onnxPath = path.join(dir, "model.onnx");
      writeFileSync(onnxPath, bytes);
      writeFileSync(path.join(dir, "model.onnx_data"), new Uint8Array(300_000));
      writeFileSync(path.join(dir, "Constant_7_attr__value"), new Uint8Array(128));
      const fac = new FileReaderFactory();
      const graphOut = await readOnnxGraph(fac.open(onnxPath, "onnx/model.onnx"), { file: "onnx/model.onnx" });
      expect(fac.paths()).toEqual(["onnx/model.onnx"]);
      expect(graphOut.externalFiles).toEqual(["Constant_7_attr__value", "model.onnx_data"]);
      expect(graphOut.subgraphs).toBe(2);
      expect(graphOut.functions).toBe(1);
      const byName = new Map(graphOut.initializers.map((t) => [t.name, t]));
      expect(byName.get("embed")).toMatchObject({ dims: [1000, 64], dataType: "BFLOAT16", external: { location: "model.onnx_data", offset: 0, length: 128000 }, rawDataBytes: 0 });
      expect(byName.get("sub_w")).toMatchObject({ depth: 1, external: { location: "model.onnx_data", offset: 8192, length: 256 } });
      expect(byName.get("Constant_7_output_0")).toMatchObject({ source: "constant", dataType: "FLOAT16", external: { location: "Constant_7_attr__value", offset: 0, length: 128 } });
      expect(graphOut.findings.map((f) => f.code)).toContain("onnx_external_data");
      expect(graphOut.findings.filter((f) => f.severity !== "info")).toEqual([]);
      const tensors = onnxToTensors(graphOut);
      expect(tensors.find((t) => t.name === "lm_head")).toEqual({ name: "lm_head", dtype: "BF16", shape: [1000, 64], file: "onnx/model.onnx_data", begin: 131072, end: 259072 });
      expect(tensors.find((t) => t.name === "Constant_7_output_0")?.file).toBe("onnx/Constant_7_attr__value");
      const f = onnxOpsFeatures(graphOut);
      expect(f.ops).toEqual(["attention.gqa", "control.if", "matmul", "rope"]);
      expect(f.rawOps).toContain("com.microsoft::RotaryEmbedding");
      expect(f.weightFormat?.format).toBe("bf16");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("flags external paths that escape the folder and size mismatches", async () => {
    const bytes = model({
      graph: graph({
        initializers: [
          tensor({ name: "a", dims: [4, 4], dataType: DT.FLOAT, external: { location: "../../etc/passwd", length: 64 } }),
          tensor({ name: "b", dims: [4, 4], dataType: DT.FLOAT, raw: 10 }),
          tensor({ name: "c", dims: [4, 4], dataType: DT.FLOAT, external: { location: "x.bin", offset: 0, length: 60 } }),
        ],
      }),
    });
    const g = await readOnnxGraph(new MemoryRangeReader(bytes), { file: "model.onnx" });
    const codes = g.findings.map((f) => f.code);
    expect(codes).toContain("onnx_external_path_escapes");
    expect(codes.filter((c) => c === "onnx_tensor_size_mismatch")).toHaveLength(2);
    expect(resolveExternalPath("onnx/model.onnx", "../../etc/passwd")).toBe("etc/passwd");
  });
});

describe("readOnnxGraph hostile input", () => {
  const read = (bytes: Uint8Array, extra: { budgetBytes?: number; wholeFileBelow?: number } = {}) => readOnnxGraph(new MemoryRangeReader(bytes), { file: "evil.onnx", model: "m", ...extra });

  it("a length prefix of 2 GiB or more is onnx_bad_length, without a big read", async () => {
    const r = new MemoryRangeReader(new Uint8Array([0x3a, 0x80, 0x80, 0x80, 0x80, 0x08, 0x00]));
    await expectFormatError(readOnnxGraph(r, { file: "evil.onnx" }), "onnx_bad_length");
    expect(r.bytes).toBeLessThan(100);
    // A 2^40 length hidden in a 10-byte varint is not silently truncated to 32 bits.
    await expectFormatError(read(new Uint8Array([0x3a, 0x85, 0x80, 0x80, 0x80, 0x80, 0x20, 0x00])), "onnx_bad_length");
  });

  it("a length beyond the end of the file (or of its message) is onnx_bad_length", async () => {
    await expectFormatError(read(new Uint8Array([0x3a, 0xe8, 0x07, 0x0a, 0x00])), "onnx_bad_length");
    // raw_data of an initializer claiming 1 GB inside a tiny graph.
    const t = new Uint8Array([0x4a, 0x80, 0x80, 0x80, 0x80, 0x04]);
    const init = new Uint8Array([0x2a, t.length, ...t]);
    const bytes = new Uint8Array([0x08, 0x08, 0x3a, init.length, ...init]);
    await expectFormatError(read(bytes), "onnx_bad_length");
    await expectFormatError(read(bytes, { wholeFileBelow: 0 }), "onnx_bad_length");
  });

  it("truncated varints are onnx_truncated", async () => {
    await expectFormatError(read(new Uint8Array([0x08, 0x80])), "onnx_truncated");
    await expectFormatError(read(new Uint8Array([0x08, 0x80]), { wholeFileBelow: 0 }), "onnx_truncated");
    await expectFormatError(read(new Uint8Array([0x3a, 0x02, 0x08, 0xff])), "onnx_truncated");
  });

  it("group wire types, bad tags, empty files and non-models are typed errors", async () => {
    await expectFormatError(read(new Uint8Array([0x0b, 0x0c])), "onnx_bad_wire_type");
    await expectFormatError(read(new Uint8Array([0x0e])), "onnx_bad_wire_type");
    await expectFormatError(read(new Uint8Array([0x00, 0x00])), "onnx_bad_tag");
    await expectFormatError(read(new Uint8Array(0)), "onnx_empty");
    await expectFormatError(read(new TextEncoder().encode('{"model_type": "llama"}')), "onnx_bad_wire_type");
    // Valid protobuf that is not a ModelProto (only an unknown field).
    await expectFormatError(read(new Uint8Array([0x98, 0x01, 0x01])), "onnx_not_a_model");
  });

  it("deeply nested subgraphs are onnx_too_deep, not a stack overflow", async () => {
    let g = graph({ name: "leaf" });
    for (let i = 0; i < 40; i++) g = graph({ nodes: [node({ opType: "If", attributes: [{ name: "then_branch", g }] })] });
    await expectFormatError(read(model({ graph: g })), "onnx_too_deep");
    // 16 levels are fine.
    let ok = graph({ name: "leaf" });
    for (let i = 0; i < 16; i++) ok = graph({ nodes: [node({ opType: "Loop", attributes: [{ name: "body", g: ok }] })] });
    const res = await read(model({ graph: ok }));
    expect(res.subgraphs).toBe(16);
  });

  it("millions of tiny records are capped (onnx_too_many), not turned into millions of objects", async () => {
    // 500,001 empty initializers: 2 bytes each.
    const n = 500_001;
    const g = new Uint8Array(n * 2);
    for (let i = 0; i < n; i++) g[i * 2] = 0x2a;
    const lenBytes: number[] = [];
    for (let v = g.length; ; v = Math.floor(v / 128)) {
      if (v < 128) {
        lenBytes.push(v);
        break;
      }
      lenBytes.push((v & 127) | 128);
    }
    const bytes = new Uint8Array([0x3a, ...lenBytes, ...g]);
    await expectFormatError(read(bytes), "onnx_too_many");
    const ops = Array.from({ length: 10_001 }, (_, i) => node({ opType: `Op${i}` }));
    await expectFormatError(read(model({ graph: graph({ nodes: ops }) })), "onnx_too_many");
  });

  it("random garbage never crashes: it parses or fails with a typed onnx_* error", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 512 }), fc.boolean(), async (bytes, ranged) => {
        try {
          await read(bytes, ranged ? { wholeFileBelow: 0 } : {});
        } catch (e) {
          if (!(e instanceof FormatError) || !e.code.startsWith("onnx_")) throw e;
        }
      }),
      { numRuns: 400, seed: 42 },
    );
  });

  it("random corruption of a real graph never crashes", async () => {
    const base = model({
      graph: graph({
        nodes: [node({ opType: "MatMul", inputs: ["a", "w"], outputs: ["b"] }), node({ opType: "If", attributes: [{ name: "then_branch", g: graph({ nodes: [node({ opType: "Relu" })] }) }] })],
        initializers: [tensor({ name: "w", dims: [4, 4], dataType: DT.FLOAT, raw: 64 })],
        inputs: [valueInfo("a", DT.FLOAT, ["n", 4])],
      }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), async (edits) => {
        const b = base.slice();
        for (const [i, v] of edits) b[i] = v;
        try {
          await read(b);
        } catch (e) {
          if (!(e instanceof FormatError) || !e.code.startsWith("onnx_")) throw e;
        }
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});

describe("chooseOnnxFiles", () => {
  it("onnx-community layout: onnx/model.onnx + its data, never *.onnx_data, small graph beats inline q4f16", () => {
    const c = chooseOnnxFiles([
      { path: "config.json", size: 700 },
      { path: "onnx/model.onnx", size: 520_000 },
      { path: "onnx/model.onnx_data", size: 2_090_000_000 },
      { path: "onnx/model.onnx_data_1", size: 306_000_000 },
      { path: "onnx/model_fp16.onnx", size: 600_000 },
      { path: "onnx/model_fp16.onnx_data", size: 1_200_000_000 },
      { path: "onnx/model_q4f16.onnx", size: 483_000_000 },
      { path: "onnx/model_quantized.onnx", size: 614_000 },
    ]);
    expect(c.primary).toEqual(["onnx/model.onnx"]);
    expect(c.externalData).toEqual(["onnx/model.onnx_data", "onnx/model.onnx_data_1"]);
    expect(c.reason).toContain("onnx/");
  });

  it("only inline-weight variants: the smallest file", () => {
    const c = chooseOnnxFiles([
      { path: "onnx/model_q4.onnx", size: 1_200_000_000 },
      { path: "onnx/model_q4f16.onnx", size: 1_108_730_338 },
      { path: "onnx/model_fp16.onnx", size: 3_400_000_000 },
    ]);
    expect(c.primary).toEqual(["onnx/model_q4f16.onnx"]);
    expect(c.externalData).toEqual([]);
    expect(c.reason).toContain("range-walked");
  });

  it("prefers fp32, then fp16, q4f16... among small graph files", () => {
    const c = chooseOnnxFiles([
      { path: "onnx/model_q4f16.onnx", size: 200_000 },
      { path: "onnx/model_q4f16.onnx_data", size: 255_000_000 },
      { path: "onnx/model_fp16.onnx", size: 210_000 },
      { path: "onnx/model_fp16.onnx_data", size: 700_000_000 },
    ]);
    expect(c.primary).toEqual(["onnx/model_fp16.onnx"]);
    expect(c.externalData).toEqual(["onnx/model_fp16.onnx_data"]);
  });

  it("encoder-decoder: encoder_model + decoder_model_merged (not decoder_model / decoder_with_past_model)", () => {
    const c = chooseOnnxFiles([
      { path: "onnx/encoder_model.onnx", size: 80_000_000 },
      { path: "onnx/encoder_model_fp16.onnx", size: 40_000_000 },
      { path: "onnx/encoder_model_quantized.onnx", size: 20_000_000 },
      { path: "onnx/decoder_model.onnx", size: 150_000_000 },
      { path: "onnx/decoder_with_past_model.onnx", size: 140_000_000 },
      { path: "onnx/decoder_model_merged.onnx", size: 150_500_000 },
      { path: "onnx/decoder_model_merged_quantized.onnx", size: 38_000_000 },
    ]);
    expect(c.primary).toEqual(["onnx/encoder_model_quantized.onnx", "onnx/decoder_model_merged_quantized.onnx"]);
  });

  it("multimodal: vision_encoder + embed_tokens + decoder_model_merged", () => {
    const c = chooseOnnxFiles([
      { path: "onnx/decoder_model_merged_q4f16.onnx", size: 300_000 },
      { path: "onnx/decoder_model_merged_q4f16.onnx_data", size: 900_000_000 },
      { path: "onnx/embed_tokens_fp16.onnx", size: 1_000 },
      { path: "onnx/embed_tokens_fp16.onnx_data", size: 300_000_000 },
      { path: "onnx/vision_encoder_fp16.onnx", size: 900_000 },
      { path: "onnx/vision_encoder_fp16.onnx_data", size: 800_000_000 },
    ]);
    expect(c.primary).toEqual(["onnx/vision_encoder_fp16.onnx", "onnx/embed_tokens_fp16.onnx", "onnx/decoder_model_merged_q4f16.onnx"]);
    expect(c.externalData).toHaveLength(3);
  });

  it("root files, ORT GenAI folders, and repos without graphs", () => {
    expect(chooseOnnxFiles([{ path: "model.onnx", size: 1000 }, { path: "model.onnx.data", size: 10 ** 9 }])).toMatchObject({ primary: ["model.onnx"], externalData: ["model.onnx.data"] });
    expect(
      chooseOnnxFiles([
        { path: "cpu-int4-rtn-block-32/phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx", size: 250_000 },
        { path: "cpu-int4-rtn-block-32/phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx.data", size: 2_700_000_000 },
      ]).primary,
    ).toEqual(["cpu-int4-rtn-block-32/phi3-mini-4k-instruct-cpu-int4-rtn-block-32.onnx"]);
    expect(chooseOnnxFiles([{ path: "model.safetensors", size: 10 }]).primary).toEqual([]);
    expect(chooseOnnxFiles([{ path: "onnx/model.onnx_data", size: 10 }]).primary).toEqual([]);
  });

  it.runIf(hasCorpus)("the corpus Qwen2.5-VL dummy folder: every component", () => {
    const c = chooseOnnxFiles(
      ["dummy_embedding.onnx", "dummy_text.onnx", "dummy_vision.onnx", "genai_config.json"].map((p) => ({ path: p, size: 1000 })),
    );
    expect(c.primary).toEqual(["dummy_embedding.onnx", "dummy_text.onnx", "dummy_vision.onnx"]);
  });
});
