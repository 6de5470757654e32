import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ggufTensorNameToHf, ggufTensorsToHf, ggufToConfig, ggufWeightFormat, readGguf, strictRangeFetch, type GgufInfo } from "../src/formats/gguf.js";
import { FormatError, HubError } from "../src/util/errors.js";
import { deepseek2Like, llamaLike, writeGguf } from "./support/gguf-writer.js";

type Mode = "ok" | "gated401" | "gated403" | "entry404" | "repo401" | "badtoken401" | "norange" | "wrongrange" | "ratelimit";

interface Served {
  bytes: Uint8Array;
  /** For "norange": body length to stream (the file followed by padding). */
  streamLength?: number;
}

interface ServerLog {
  requests: { path: string; range: string | undefined; auth: string | undefined; mode: string }[];
  /** Bytes handed to the socket per request (server side). */
  sent: number[];
  /** Whether the server finished answering each request. */
  finished: boolean[];
}

async function startServer(files: Map<string, Served>): Promise<{ url: string; log: ServerLog; close: () => Promise<void> }> {
  const log: ServerLog = { requests: [], sent: [], finished: [] };
  const server = http.createServer((req, res) => {
    const idxP: { i: number } = { i: -1 };
    void (async () => {
      const u = new URL(req.url ?? "/", "http://x");
      const mode = (u.searchParams.get("mode") ?? "ok") as Mode;
      const range = req.headers.range;
      log.requests.push({ path: u.pathname, range, auth: req.headers.authorization, mode });
      const idx = log.sent.push(0) - 1;
      idxP.i = idx;
      const f = files.get(u.pathname);
      if (mode === "gated401" || mode === "gated403") {
        res.writeHead(mode === "gated401" ? 401 : 403, { "content-type": "text/plain", "x-error-code": "GatedRepo", "x-error-message": "Access to model org/gated is restricted." });
        res.end("Access to model org/gated is restricted. You must have access to it and be authenticated to access it. Please log in.");
        return;
      }
      if (mode === "repo401") {
        res.writeHead(401, { "content-type": "application/json", "www-authenticate": 'Bearer realm="Authentication required"' });
        res.end(JSON.stringify({ error: "Invalid username or password." }));
        return;
      }
      if (mode === "badtoken401") {
        res.writeHead(401, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: "Invalid credentials in Authorization header" }));
        return;
      }
      if (mode === "ratelimit") {
        res.writeHead(429, { ratelimit: '"resolvers";r=0;t=100' });
        res.end();
        return;
      }
      if (!f || mode === "entry404") {
        res.writeHead(404, { "content-type": "text/plain", "x-error-code": "EntryNotFound", "x-error-message": "Entry not found" });
        res.end("Entry not found");
        return;
      }
      const total = f.bytes.length;
      if (mode === "norange") {
        // Ignore Range: stream a huge 200 body with backpressure, counting what the socket took.
        const length = f.streamLength ?? total;
        res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(length) });
        let closed = false;
        res.on("close", () => (closed = true));
        const chunk = 64 * 1024;
        let off = 0;
        while (off < length && !closed) {
          const n = Math.min(chunk, length - off);
          const piece = off < total ? f.bytes.subarray(off, Math.min(off + n, total)) : new Uint8Array(n);
          const ok = res.write(piece);
          log.sent[idx]! += piece.length;
          off += piece.length;
          if (!ok && !closed) {
            await new Promise<void>((resolve) => {
              const done = (): void => {
                res.off("drain", done);
                res.off("close", done);
                resolve();
              };
              res.on("drain", done);
              res.on("close", done);
            });
          }
        }
        if (!closed) res.end();
        return;
      }
      const m = /^bytes=(\d+)-(\d*)$/.exec(range ?? "");
      if (!m) {
        res.writeHead(200, { "content-length": String(total) });
        res.end(f.bytes);
        log.sent[idx] = total;
        return;
      }
      const start = Number(m[1]);
      const end = Math.min(m[2] ? Number(m[2]) : total - 1, total - 1);
      if (start >= total) {
        res.writeHead(416, { "content-range": `bytes */${total}` });
        res.end();
        return;
      }
      const shift = mode === "wrongrange" ? 1 : 0;
      res.writeHead(206, { "content-range": `bytes ${start + shift}-${end}/${total}`, "content-length": String(end - start + 1), "accept-ranges": "bytes" });
      res.end(f.bytes.subarray(start, end + 1));
      log.sent[idx] = end - start + 1;
    })().finally(() => {
      if (idxP.i >= 0) log.finished[idxP.i] = true;
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    log,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

async function expectError<T extends Error>(p: Promise<unknown>, cls: new (...a: never[]) => T, code: string): Promise<T> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(cls);
  expect((e as { code: string }).code).toBe(code);
  return e as T;
}

describe("readGguf over HTTP", () => {
  let srv: Awaited<ReturnType<typeof startServer>>;
  const llama = writeGguf(llamaLike());
  // A 150k-token vocabulary: the header alone spans several 2 MB chunks. No data section.
  const llamaBig = writeGguf({ ...llamaLike({ vocab: 150_000 }), headerOnly: true });
  const ds = writeGguf(deepseek2Like());
  const truncated = writeGguf(llamaLike()).bytes.subarray(0, 2000);

  beforeAll(async () => {
    srv = await startServer(
      new Map<string, Served>([
        ["/org/llama/resolve/main/model-Q4_K_M.gguf", { bytes: llama.bytes, streamLength: 200 * 1024 * 1024 }],
        ["/org/llama-big/resolve/main/model.gguf", { bytes: llamaBig.bytes }],
        ["/org/ds/resolve/main/ds-Q8_0.gguf", { bytes: ds.bytes }],
        ["/org/trunc/resolve/main/t.gguf", { bytes: truncated }],
        ["/org/notgguf/resolve/main/x.gguf", { bytes: new TextEncoder().encode("<html>not a gguf</html>") }],
      ]),
    );
  });
  afterAll(async () => srv.close());

  const read = (p: string, extra: { headers?: Record<string, string>; model?: string } = {}): Promise<GgufInfo> =>
    readGguf(`${srv.url}${p}`, { fetch: globalThis.fetch, file: p.split("?")[0]!.split("/").pop()!, model: extra.model ?? "org/m", ...(extra.headers ? { headers: extra.headers } : {}) });

  it("reads a llama-like file: metadata of every type, arrays summarised, tensors, auth header passed", async () => {
    const info = await read("/org/llama/resolve/main/model-Q4_K_M.gguf", { headers: { Authorization: "Bearer hf_testtoken123" } });
    expect(info.version).toBe(3);
    expect(info.architecture).toBe("llama");
    expect(info.requests).toBe(1);
    expect(info.bytesRead).toBe(llama.bytes.length);
    expect(info.fileSize).toBe(llama.bytes.length);
    expect(info.tensorDataOffset).toBe(llama.dataOffset);
    expect(info.alignment).toBe(32);
    const last = srv.log.requests.at(-1)!;
    expect(last.range).toBe("bytes=0-1999999");
    expect(last.auth).toBe("Bearer hf_testtoken123");
    const md = info.metadata;
    expect(md["tokenizer.ggml.tokens"]).toEqual({ type: "array", elementType: "string", length: 1000 });
    expect(md["tokenizer.ggml.token_type"]).toEqual([...Array(1000)].map(() => 1));
    expect(md["test.small_array"]).toEqual([1, 2, 3]);
    expect(md["test.nested"]).toEqual([[1, -1], [2]]);
    expect(md["test.u8"]).toBe(200);
    expect(md["test.i8"]).toBe(-5);
    expect(md["test.u16"]).toBe(60000);
    expect(md["test.i16"]).toBe(-30000);
    expect(md["test.i32"]).toBe(-7);
    expect(md["test.u64"]).toBe(2 ** 40);
    expect(md["test.u64_huge"]).toBe((1n << 60n).toString());
    expect(md["test.i64"]).toBe(-3);
    expect(md["test.f64"]).toBe(0.25);
    expect(md["tokenizer.ggml.add_bos_token"]).toBe(true);
    expect(md["llama.rope.freq_base"]).toBe(500000);
    expect(md).not.toHaveProperty("version");
    expect(md).not.toHaveProperty("tensor_count");
    expect(info.tensors).toHaveLength(1 + 2 * 9 + 3);
    expect(info.tensors[1]).toEqual({ name: "blk.0.attn_norm.weight", shape: [256], ggmlType: "F32", offset: llama.offsets[1], bytes: 1024 });
    expect(info.tensors.find((t) => t.name === "blk.0.attn_k.weight")).toMatchObject({ shape: [256, 64], ggmlType: "Q4_K", bytes: 64 * 144 });
    expect(info.findings).toEqual([]);
  });

  it("long vocab arrays (150k tokens, several 2 MB chunks) are summarised, never copied out", async () => {
    const info = await read("/org/llama-big/resolve/main/model.gguf");
    expect(llamaBig.bytes.length).toBeGreaterThan(2_000_000);
    expect(info.requests).toBe(Math.ceil(llamaBig.bytes.length / 2_000_000));
    expect(info.bytesRead).toBe(llamaBig.bytes.length);
    expect(info.metadata["tokenizer.ggml.tokens"]).toEqual({ type: "array", elementType: "string", length: 150_000 });
    expect(info.metadata["tokenizer.ggml.token_type"]).toEqual({ type: "array", elementType: "int32", length: 150_000 });
    expect(JSON.stringify(info).length).toBeLessThan(30_000);
    expect(ggufToConfig(info)["vocab_size"]).toBe(150_000);
    // The file stops after its header: every tensor lies beyond the end.
    expect(info.findings.filter((f) => f.code === "gguf_tensor_beyond_eof").length).toBeGreaterThan(0);
  });

  it("ggufToConfig and ggufTensorsToHf for llama", async () => {
    const info = await read("/org/llama/resolve/main/model-Q4_K_M.gguf");
    const cfg = ggufToConfig(info);
    expect(cfg).toMatchObject({
      model_type: "llama",
      architectures: ["LlamaForCausalLM"],
      hidden_size: 256,
      num_hidden_layers: 2,
      num_attention_heads: 8,
      num_key_value_heads: 2,
      intermediate_size: 512,
      max_position_embeddings: 131072,
      rope_theta: 500000,
      vocab_size: 1000,
      tie_word_embeddings: false,
      rope_scaling: { rope_type: "llama3" },
      bos_token_id: 1,
      eos_token_id: 2,
      gguf: { architecture: "llama", file_type: "Q4_K_M", name: "Tiny Llama Test" },
    });
    expect(cfg["rms_norm_eps"]).toBeCloseTo(1e-5, 10);
    expect(cfg).not.toHaveProperty("partial_rotary_factor");
    expect(cfg).not.toHaveProperty("num_local_experts");
    const t = ggufTensorsToHf(info);
    const byName = new Map(t.map((x) => [x.name, x]));
    expect(byName.get("model.embed_tokens.weight")).toMatchObject({ shape: [1000, 256], dtype: "Q6_K" });
    expect(byName.get("model.layers.0.self_attn.q_proj.weight")).toMatchObject({ shape: [256, 256], dtype: "Q4_K" });
    expect(byName.get("model.layers.1.self_attn.k_proj.weight")).toMatchObject({ shape: [64, 256], dtype: "Q4_K", file: "model-Q4_K_M.gguf" });
    expect(byName.get("model.layers.0.mlp.down_proj.weight")).toMatchObject({ shape: [256, 512], dtype: "Q6_K" });
    expect(byName.has("model.layers.0.input_layernorm.weight")).toBe(true);
    expect(byName.has("model.layers.0.post_attention_layernorm.weight")).toBe(true);
    expect(byName.has("model.norm.weight")).toBe(true);
    expect(byName.has("lm_head.weight")).toBe(true);
    const k = byName.get("model.layers.1.self_attn.k_proj.weight")!;
    expect(k.end - k.begin).toBe(64 * 144);
    expect(ggufWeightFormat(info)).toMatchObject({ format: "gguf-Q6_K", method: "gguf", bits: 6.5625, groupSize: 256 });
    const tied = ggufToConfig({ ...info, tensors: info.tensors.filter((x) => x.name !== "output.weight") });
    expect(tied["tie_word_embeddings"]).toBe(true);
  });

  it("deepseek2-like: MLA fields, MoE routing, yarn scaling, stacked experts and shared experts", async () => {
    const info = await read("/org/ds/resolve/main/ds-Q8_0.gguf");
    expect(info.alignment).toBe(64);
    expect(info.tensorDataOffset % 64).toBe(0);
    expect(info.findings).toEqual([]);
    const cfg = ggufToConfig(info);
    expect(cfg).toMatchObject({
      model_type: "deepseek_v3",
      architectures: ["DeepseekV3ForCausalLM"],
      hidden_size: 256,
      num_hidden_layers: 3,
      num_attention_heads: 4,
      intermediate_size: 512,
      kv_lora_rank: 64,
      q_lora_rank: 96,
      qk_rope_head_dim: 32,
      qk_nope_head_dim: 64,
      v_head_dim: 64,
      head_dim: 96,
      num_local_experts: 8,
      n_routed_experts: 8,
      num_experts_per_tok: 2,
      moe_intermediate_size: 128,
      n_shared_experts: 1,
      first_k_dense_replace: 1,
      routed_scaling_factor: 2.5,
      norm_topk_prob: true,
      scoring_func: "sigmoid",
      vocab_size: 512,
      rope_scaling: { rope_type: "yarn", factor: 40, original_max_position_embeddings: 4096 },
    });
    expect((cfg["rope_scaling"] as Record<string, number>)["mscale_all_dim"]).toBeCloseTo(1, 5);
    const t = new Map(ggufTensorsToHf(info).map((x) => [x.name, x]));
    expect(t.get("model.layers.0.self_attn.q_a_proj.weight")?.shape).toEqual([96, 256]);
    expect(t.get("model.layers.0.self_attn.q_a_layernorm.weight")?.shape).toEqual([96]);
    expect(t.get("model.layers.0.self_attn.q_b_proj.weight")?.shape).toEqual([384, 96]);
    expect(t.get("model.layers.0.self_attn.kv_a_proj_with_mqa.weight")?.shape).toEqual([96, 256]);
    expect(t.get("model.layers.0.self_attn.kv_a_layernorm.weight")?.shape).toEqual([64]);
    expect(t.get("model.layers.0.self_attn.kv_b_proj.weight")?.shape).toEqual([512, 64]);
    expect(t.get("model.layers.0.mlp.gate_proj.weight")?.shape).toEqual([512, 256]);
    expect(t.get("model.layers.1.mlp.gate.weight")?.shape).toEqual([8, 256]);
    expect(t.get("model.layers.1.mlp.gate.e_score_correction_bias")?.shape).toEqual([8]);
    expect(t.get("model.layers.1.mlp.experts.gate_proj.weight")).toMatchObject({ shape: [8, 128, 256], dtype: "Q4_K" });
    expect(t.get("model.layers.2.mlp.experts.down_proj.weight")).toMatchObject({ shape: [8, 256, 128], dtype: "Q6_K" });
    expect(t.get("model.layers.2.mlp.shared_experts.up_proj.weight")?.shape).toEqual([128, 256]);
    // In this tiny file the Q8_0 attention matrices outweigh the Q4_K experts.
    expect(ggufWeightFormat(info)).toMatchObject({ format: "gguf-Q8_0", groupSize: 32, bits: 8.5 });
  });

  it("401 GatedRepo is a HubError gated naming model and file (not 'not a valid gguf file')", async () => {
    const e = await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=gated401", { model: "org/gated" }), HubError, "gated");
    expect(e.status).toBe(401);
    expect(e.model).toBe("org/gated");
    expect(e.file).toBe("model-Q4_K_M.gguf");
    expect(e.describe()).toContain("org/gated: model-Q4_K_M.gguf: gated repo");
    expect(e.message).not.toMatch(/valid gguf/i);
    await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=gated403"), HubError, "gated");
  });

  it("404 EntryNotFound, anonymous 401, bad token 401 and 429 are typed", async () => {
    await expectError(read("/org/llama/resolve/main/missing.gguf"), HubError, "entry_not_found");
    await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=entry404"), HubError, "entry_not_found");
    await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=repo401"), HubError, "repo_not_found");
    await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=badtoken401"), HubError, "bad_token");
    await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=ratelimit"), HubError, "rate_limited");
  });

  it("a server ignoring Range gets its 200 aborted: the client never reads the 200 MB body", async () => {
    const before = srv.log.sent.length;
    const e = await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=norange", { model: "org/llama" }), HubError, "range_not_supported");
    expect(e.status).toBe(200);
    expect(e.model).toBe("org/llama");
    // Let the server notice the closed socket.
    for (let i = 0; i < 1000 && !srv.log.finished[before]; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv.log.finished[before]).toBe(true);
    const sent = srv.log.sent[before]!;
    console.log(`[norange] server handed ${sent} of ${200 * 1024 * 1024} bytes to the socket before the client aborted`);
    expect(sent).toBeLessThan(16 * 1024 * 1024);
  });

  it("a 206 with the wrong Content-Range is bad_range", async () => {
    await expectError(read("/org/llama/resolve/main/model-Q4_K_M.gguf?mode=wrongrange"), HubError, "bad_range");
  });

  it("truncated and non-GGUF files are FormatErrors", async () => {
    await expectError(read("/org/trunc/resolve/main/t.gguf"), FormatError, "gguf_truncated");
    await expectError(read("/org/notgguf/resolve/main/x.gguf"), FormatError, "gguf_bad_magic");
  });

  it("strictRangeFetch passes requests without Range through unchanged", async () => {
    const f = strictRangeFetch(globalThis.fetch, { file: "x" });
    const r = await f(`${srv.url}/org/ds/resolve/main/ds-Q8_0.gguf`);
    expect(r.status).toBe(200);
    expect((await r.arrayBuffer()).byteLength).toBe(ds.bytes.length);
  });
});

describe("readGguf on local files", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), "standin-gguf-"));
    writeFileSync(path.join(dir, "m.gguf"), writeGguf(llamaLike({ tied: true })).bytes);
    writeFileSync(path.join(dir, "short.gguf"), writeGguf(llamaLike()).bytes.subarray(0, 3000));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads a local path (allowLocalFile) with no requests", async () => {
    const info = await readGguf(path.join(dir, "m.gguf"), { file: "m.gguf", model: "local:./m" });
    expect(info.requests).toBe(0);
    expect(info.architecture).toBe("llama");
    expect(ggufToConfig(info)["tie_word_embeddings"]).toBe(true);
    expect(info.bytesRead).toBeGreaterThan(0);
    expect(info.bytesRead).toBeLessThanOrEqual(info.fileSize!);
  });

  it("missing and truncated local files are typed errors", async () => {
    await expectError(readGguf(path.join(dir, "nope.gguf"), { file: "nope.gguf" }), HubError, "entry_not_found");
    await expectError(readGguf(path.join(dir, "short.gguf"), { file: "short.gguf" }), FormatError, "gguf_truncated");
  });
});

describe("GGUF name mapping", () => {
  it("maps block, global and architecture-specific names", () => {
    expect(ggufTensorNameToHf("blk.3.attn_output.weight")).toBe("model.layers.3.self_attn.o_proj.weight");
    expect(ggufTensorNameToHf("blk.3.attn_q.bias")).toBe("model.layers.3.self_attn.q_proj.bias");
    expect(ggufTensorNameToHf("blk.0.ffn_norm.weight", { sandwichNorm: true })).toBe("model.layers.0.pre_feedforward_layernorm.weight");
    expect(ggufTensorNameToHf("blk.0.post_attention_norm.weight")).toBe("model.layers.0.post_attention_layernorm.weight");
    expect(ggufTensorNameToHf("blk.0.post_ffw_norm.weight")).toBe("model.layers.0.post_feedforward_layernorm.weight");
    expect(ggufTensorNameToHf("blk.1.ffn_up_shexp.weight", { architecture: "qwen2moe" })).toBe("model.layers.1.mlp.shared_expert.up_proj.weight");
    expect(ggufTensorNameToHf("blk.1.ffn_gate_inp_shexp.weight")).toBe("model.layers.1.mlp.shared_expert_gate.weight");
    expect(ggufTensorNameToHf("blk.2.attn_sinks.weight")).toBe("model.layers.2.self_attn.sinks.weight");
    expect(ggufTensorNameToHf("blk.2.ssm_a")).toBe("model.layers.2.mixer.A_log");
    expect(ggufTensorNameToHf("blk.2.shortconv.in_proj.weight")).toBe("model.layers.2.conv.in_proj.weight");
    expect(ggufTensorNameToHf("blk.2.something_new.weight")).toBe("model.layers.2.something_new.weight");
    expect(ggufTensorNameToHf("token_embd.weight")).toBe("model.embed_tokens.weight");
    expect(ggufTensorNameToHf("output_norm.bias")).toBe("model.norm.bias");
    expect(ggufTensorNameToHf("mm.0.weight")).toBe("mm.0.weight");
  });

  it("maps architectures (mixtral-as-llama, gemma3, gpt-oss, qwen3moe) and per-layer arrays", () => {
    const base = (arch: string, md: Record<string, GgufInfo["metadata"][string]>): GgufInfo => ({
      file: "x.gguf",
      version: 3,
      architecture: arch,
      metadata: { "general.architecture": arch, ...md },
      tensors: [],
      tensorDataOffset: 0,
      alignment: 32,
      fileSize: null,
      bytesRead: 0,
      requests: 0,
      findings: [],
    });
    expect(ggufToConfig(base("llama", { "llama.expert_count": 8, "llama.expert_used_count": 2 }))).toMatchObject({ model_type: "mixtral", architectures: ["MixtralForCausalLM"], num_local_experts: 8, num_experts_per_tok: 2 });
    expect(ggufToConfig(base("gemma3", { "gemma3.attention.sliding_window": 512, "gemma3.attention.key_length": 256 }))).toMatchObject({ model_type: "gemma3_text", sliding_window: 512, head_dim: 256 });
    expect(ggufToConfig(base("gpt-oss", { "gpt-oss.expert_count": 32, "gpt-oss.expert_feed_forward_length": 2880 }))).toMatchObject({ model_type: "gpt_oss", intermediate_size: 2880, num_local_experts: 32 });
    expect(ggufToConfig(base("qwen3moe", { "qwen3moe.expert_count": 128, "qwen3moe.expert_feed_forward_length": 768 }))).toMatchObject({ model_type: "qwen3_moe", num_experts: 128, moe_intermediate_size: 768 });
    expect(ggufToConfig(base("deepseek2", { "deepseek2.attention.kv_lora_rank": 512, "deepseek2.expert_gating_func": 1 }))["model_type"]).toBe("deepseek_v2");
    const lfm = ggufToConfig(base("lfm2", { "lfm2.attention.head_count_kv": [0, 0, 8, 0, 8], "lfm2.embedding_length": 1024 }));
    expect(lfm["num_key_value_heads"]).toBe(8);
    expect((lfm["gguf"] as Record<string, unknown>)["per_layer"]).toEqual({ "attention.head_count_kv": [0, 0, 8, 0, 8] });
    const phi2 = ggufToConfig(base("phi2", { "phi2.embedding_length": 2560, "phi2.attention.head_count": 32, "phi2.rope.dimension_count": 32, "phi2.attention.layer_norm_epsilon": 1e-5 }));
    expect(phi2).toMatchObject({ model_type: "phi", partial_rotary_factor: 0.4, layer_norm_epsilon: 1e-5 });
  });
});
