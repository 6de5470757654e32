/**
 * Every source and format through the whole fingerprint pipeline over real HTTP:
 * - local: directories give the same fingerprint as the same repo on the Hub;
 * - ONNX repos (real corpus graphs) fingerprint with their op set, and external data is never read;
 * - GGUF repos fingerprint from metadata through @huggingface/gguf over our fetch layer; a gated
 *   GGUF is an auth error, not "invalid gguf".
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintModel } from "../src/fingerprint/index.js";
import type { Fingerprint } from "../src/fingerprint/types.js";
import { createRunContext } from "../src/sources/index.js";
import { buildSyntheticRepo } from "./hub/corpus-repos.js";
import { RepoStore } from "./hub/repo-store.js";
import { startHubServer, type HubServer } from "./hub/server.js";
import { tinyConfig } from "./hub/synth.js";
import { corpusPath, describeCorpus, hasCorpus } from "./support/corpus.js";
import { llamaLike, writeGguf } from "./support/gguf-writer.js";

const TOKEN = "hf_formatsTestTokenDDDDDDDDDDDDDDDDDDDD";
let root: string;
let store: RepoStore;
let hub: HubServer;

function fp(id: string, opts: { local?: string; token?: string } = {}): Promise<Fingerprint> {
  const ctx = createRunContext({ hubUrl: hub.url, token: opts.token ?? null, cacheDir: null, backoffBaseMs: 5, env: {} });
  return fingerprintModel({ id: opts.local ? `local:${id}` : id, repo: opts.local ? null : id, local: opts.local ?? null, revision: "main", source: "auto" }, ctx);
}

/** Everything that describes the model (not where it came from or what it cost). */
function essence(f: Fingerprint) {
  return {
    status: f.status,
    format: f.source.format,
    tensorCount: f.tensorCount,
    params: f.params,
    weightBytes: f.weightBytes,
    features: f.features,
    scale: f.scale,
    ops: f.ops,
    kvCache: f.kvCache,
    weightFormat: f.weightFormat,
    signature: f.signature,
    files: f.files.map((x) => ({ path: x.path, kind: x.kind, size: x.size, headerLength: x.headerLength, tensorCount: x.tensorCount })),
  };
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "standin-formats-"));
  store = new RepoStore(root);
  buildSyntheticRepo(store, "tiny/sharded", tinyConfig({}), { shards: 3 });
  buildSyntheticRepo(store, "tiny/single", tinyConfig({ tie_word_embeddings: true }), {});
  // GGUF repos: one public, one gated
  const gguf = writeGguf(llamaLike({}));
  for (const [id, gated] of [["tiny/gguf", false], ["tiny/gguf-gated", "manual"]] as const) {
    const c = store.repo(id, { gated, authorized: [TOKEN] }).commit();
    c.writeRaw("model-Q4_K_M.gguf", gguf.bytes);
    c.writeFile("README.md", "# gguf\n");
    c.finish({ ref: "main" });
  }
  if (hasCorpus) {
    const silero = store.repo("snakers4/silero-vad").commit();
    silero.writeRaw("src/silero_vad/data/silero_vad.onnx", readFileSync(corpusPath("snakers4__silero-vad", "silero_vad_v5.onnx")));
    silero.finish({ ref: "main" });
    const gpt2 = store.repo("hf-internal-testing/tiny-random-gpt2-onnx").commit();
    gpt2.writeRaw("onnx/model.onnx", readFileSync(corpusPath("hf-internal-testing__tiny-random-gpt2__ORT-GenAI-fp32-export", "past.onnx")));
    // an external-data file next to the graph: it must never be requested
    gpt2.writeSparse("onnx/model.onnx_data", new Uint8Array(16), 2_000_000_000);
    gpt2.finish({ ref: "main" });
  }
  hub = await startHubServer({ store, tokens: [TOKEN] });
}, 60_000);

afterAll(async () => {
  await hub?.close();
  rmSync(root, { recursive: true, force: true });
});

describe("local: directories", () => {
  for (const id of ["tiny/sharded", "tiny/single"]) {
    it(`${id}: the same fingerprint from files on disk as from the Hub`, async () => {
      const repo = store.get(id)!;
      const sha = repo.json().refs.main!;
      const dir = path.dirname(repo.filePath(sha, "config.json"));
      const fromHub = await fp(id);
      const fromDisk = await fp(dir, { local: dir });
      expect(fromHub.status).toBe("ok");
      expect(fromDisk.status).toBe("ok");
      expect(fromDisk.source.kind).toBe("local");
      expect(essence(fromDisk)).toEqual(essence(fromHub));
    });
  }

  it("a missing local directory is UNKNOWN with a clear reason", async () => {
    const f = await fp("/no/such/dir", { local: "/no/such/dir" });
    expect(f.status).toBe("unknown");
    expect(f.error?.message).toMatch(/does not exist/);
  });
});

describeCorpus("ONNX repos (real corpus graphs)", () => {
  it("Silero VAD fingerprints from its graph with its op set", async () => {
    hub.resetLog();
    const f = await fp("snakers4/silero-vad");
    expect(f.status, JSON.stringify(f.error)).toBe("ok");
    expect(f.source.format).toBe("onnx");
    expect(f.ops).toEqual(["onnx.act.relu", "onnx.act.sigmoid", "onnx.control.if", "onnx.conv", "onnx.lstm"]);
  });

  it("the tiny GPT-2 export: attention/layer-norm ops; the 2 GB external data file is never requested", async () => {
    hub.resetLog();
    const f = await fp("hf-internal-testing/tiny-random-gpt2-onnx");
    expect(f.status, JSON.stringify(f.error)).toBe("ok");
    expect(f.source.format).toBe("onnx");
    expect(f.ops).toEqual(["onnx.act.gelu", "onnx.attention.mha", "onnx.matmul", "onnx.norm.layer"]);
    expect(hub.requests.some((r) => r.url.includes("onnx_data"))).toBe(false);
    const data = f.files.find((x) => x.kind === "onnx_data");
    expect(data?.bytesRead ?? 0).toBe(0);
    expect(f.network.bytes).toBeLessThan(1_000_000);
  });
});

describe("GGUF repos", () => {
  it("fingerprints from GGUF metadata: config from metadata, tensors mapped to HF names, format gguf-<type>", async () => {
    const f = await fp("tiny/gguf");
    expect(f.status, JSON.stringify(f.error)).toBe("ok");
    expect(f.source.format).toBe("gguf");
    expect(f.features.architecture ?? "").toMatch(/llama/i);
    expect(f.features.weightFormat).toMatch(/^gguf-/);
    expect(f.tensorCount).toBeGreaterThan(5);
    expect(f.scale.layers).toBeGreaterThan(0);
  });

  it("a gated GGUF repo is an auth error (gated), not 'invalid gguf'", async () => {
    const f = await fp("tiny/gguf-gated");
    expect(f.status).toBe("unknown");
    expect(f.error?.code).toBe("gated");
    expect(f.error?.message).not.toMatch(/magic/i);
    const ok = await fp("tiny/gguf-gated", { token: TOKEN });
    expect(ok.status).toBe("ok");
  });
});
