/**
 * Realistic repos from the zoo corpus (real configs, weight maps and exact shard sizes) served by the
 * local Hub and read back with the real @huggingface/hub client.
 * The DeepSeek-R1 build (92k tensors, 163 shards) runs only with STANDIN_SLOW_TESTS=1.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { listFiles, parseSafetensorsMetadata } from "@huggingface/hub";
import { afterAll, beforeAll, expect, it } from "vitest";
import { corpusPath, corpusShardSizes, describeCorpus, readCorpusJson } from "../support/corpus.js";
import { CorpusBuildError, buildCorpusRepo, corpusRepoFolders, type CorpusRepoResult } from "./corpus-repos.js";
import { RepoStore } from "./repo-store.js";
import { startHubServer, type HubServer } from "./server.js";

const SLOW = process.env.STANDIN_SLOW_TESTS === "1";

/** Folders that cannot be built, with the reason the builder gives. */
const UNSUPPORTED: Record<string, RegExp> = {
  "rkyadav08__whisper-small-hindi-finetune": /unsupported model_type "whisper"/,
};

let root: string;
let store: RepoStore;
let hub: HubServer;
const built: Record<string, CorpusRepoResult> = {};

const parse = (repo: string, extra: Record<string, unknown> = {}) => {
  const p = { repo, hubUrl: hub.url, xet: false, ...extra };
  return parseSafetensorsMetadata(p);
};

describeCorpus("corpus repos on the local Hub", () => {
  beforeAll(async () => {
    root = mkdtempSync(path.join(os.tmpdir(), "standin-corpus-hub-"));
    store = new RepoStore(root);
    for (const f of [
      "mistralai__Mistral-7B-Instruct-v0.3",
      "mattshumer__Reflection-Llama-3.1-70B",
      "bigscience__bloom",
      "openai__gpt-oss-20b",
      "tiiuae__falcon-40b",
    ]) {
      built[f] = buildCorpusRepo(store, f, { extras: f.startsWith("mistralai") });
    }
    hub = await startHubServer({ store });
  });

  afterAll(async () => {
    await hub?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("Mistral-7B-Instruct-v0.3: exact upstream shard sizes, total_size, verbatim index, parsed back by the client", async () => {
    const r = built["mistralai__Mistral-7B-Instruct-v0.3"]!;
    const tsv = corpusShardSizes("mistralai__Mistral-7B-Instruct-v0.3");
    expect(r.exactSizes).toBe(true);
    expect(r.shards.map((s) => [s.file, s.size])).toEqual([...tsv].filter(([f]) => f.startsWith("model-")));
    for (const s of r.shards) expect(s.headerLength).toBeGreaterThanOrEqual(s.jsonLength);
    const index = readCorpusJson<{ metadata: { total_size: number }; weight_map: Record<string, string> }>(
      "mistralai__Mistral-7B-Instruct-v0.3",
      "model.safetensors.index.json",
    );
    expect(r.totalSize).toBe(index.metadata.total_size);
    const repo = store.get(r.repoId)!;
    expect(repo.readFile(r.sha, "model.safetensors.index.json").equals(readFileSync(corpusPath("mistralai__Mistral-7B-Instruct-v0.3", "model.safetensors.index.json")))).toBe(true);
    expect(statSync(repo.filePath(r.sha, "model-00001-of-00003.safetensors")).size).toBe(4_949_453_792);

    const sizes = new Map<string, number>();
    for await (const f of listFiles({ repo: r.repoId, hubUrl: hub.url })) sizes.set(f.path, f.size);
    for (const [f, size] of tsv) expect(sizes.get(f)).toBe(size); // incl. consolidated.safetensors (extras)

    const parsed = await parse(r.repoId);
    if (!parsed.sharded) throw new Error("expected sharded");
    const names = Object.values(parsed.headers).flatMap((h) => Object.keys(h).filter((k) => k !== "__metadata__"));
    expect(names.length).toBe(Object.keys(index.weight_map).length);
    expect(names.length).toBe(291);
    expect(parsed.headers["model-00001-of-00003.safetensors"]!["model.embed_tokens.weight"]).toMatchObject({ dtype: "BF16", shape: [32768, 4096] });
    // Mistral-native consolidated file (extras) with its exact upstream size
    const cons = await parse(r.repoId, { path: "consolidated.safetensors" });
    if (cons.sharded) throw new Error("expected single");
    expect(cons.header["layers.31.feed_forward.w2.weight"]).toMatchObject({ dtype: "BF16", shape: [4096, 14336] });
    expect(Object.keys(cons.header).filter((k) => k !== "__metadata__")).toHaveLength(291);
  });

  it("Reflection-Llama-3.1-70B: 162 fp32 shards with exact sizes, all headers parsed", async () => {
    const r = built["mattshumer__Reflection-Llama-3.1-70B"]!;
    expect(r.shards).toHaveLength(162);
    expect(r.exactSizes).toBe(true);
    expect(r.fileBytes).toBe([...corpusShardSizes("mattshumer__Reflection-Llama-3.1-70B").values()].reduce((a, b) => a + b, 0));
    const parsed = await parse(r.repoId);
    if (!parsed.sharded) throw new Error("expected sharded");
    expect(Object.keys(parsed.headers)).toHaveLength(162);
    const tensors = Object.values(parsed.headers).flatMap((h) => Object.entries(h).filter(([k]) => k !== "__metadata__"));
    expect(tensors).toHaveLength(723);
    expect(new Set(tensors.map(([, t]) => (t as { dtype: string }).dtype))).toEqual(new Set(["F32"]));
  });

  it("BLOOM (underscore shard names) and gpt-oss-20b (MXFP4) reproduce the client's published parameter counts", async () => {
    const bloom = built["bigscience__bloom"]!;
    expect(bloom.exactSizes).toBe(true);
    expect(bloom.shards[0]!.file).toBe("model_00001-of-00072.safetensors");
    const pb = await parse(bloom.repoId, { computeParametersCount: true });
    expect(pb.parameterCount).toEqual({ BF16: 176_247_271_424 }); // huggingface.js spec @ bigscience/bloom
    const oss = built["openai__gpt-oss-20b"]!;
    expect(oss.exactSizes).toBe(true);
    const po = await parse(oss.repoId, { computeParametersCount: true });
    // huggingface.js spec @ openai/gpt-oss-20b: BF16 1,804,459,584 + U8 (FP4 packed x2) 19,110,297,600
    expect(po.parameterCount).toEqual({ BF16: 1_804_459_584, U8: 19_110_297_600 });
  });

  it("falcon-40b has only a .bin index upstream: safetensors equivalents with natural sizes", () => {
    const r = built["tiiuae__falcon-40b"]!;
    expect(r.source).toBe("bin-index");
    expect(r.exactSizes).toBe(false);
    expect(r.shards.map((s) => s.file)).toContain("model-00001-of-00009.safetensors");
    expect(r.totalSize).toBe(83_671_941_120);
    expect(r.notes.join("\n")).toMatch(/only a pytorch \.bin index/);
  });

  it("every corpus folder with a weight map or shard sizes builds (or fails with a clear reason)", () => {
    const results: Record<string, string> = {};
    for (const folder of corpusRepoFolders()) {
      if (folder === "deepseek-ai__DeepSeek-R1" && !SLOW) continue;
      if (built[folder]) continue;
      let r: CorpusRepoResult;
      try {
        r = buildCorpusRepo(store, folder);
      } catch (e) {
        expect(e).toBeInstanceOf(CorpusBuildError);
        results[folder] = `error: ${(e as Error).message}`;
        continue;
      }
      results[folder] = r.exactSizes ? "exact" : "built";
      const upstream = corpusShardSizes(folder);
      for (const s of r.shards) {
        expect(s.headerLength).toBeGreaterThanOrEqual(s.jsonLength);
        if (s.size === s.upstreamSize && upstream.has(s.file)) expect(upstream.get(s.file)).toBe(s.size);
      }
    }
    for (const [folder, why] of Object.entries(UNSUPPORTED)) expect(results[folder]).toMatch(why);
    const failures = Object.entries(results).filter(([f, r]) => r.startsWith("error") && !UNSUPPORTED[f]);
    expect(failures).toEqual([]);
    for (const f of ["YouriLalain__3PRYMMAL-PHI3-3B-SLERP", "allenai__olmOCR-7B-0225-preview", "google__gemma-2b-it", "microsoft__WizardLM-2-8x22B", "nvidia__Cosmos-Reason2-8B", "ibm-granite__granite-3.1-1b-a400m-instruct", "jeevanchaps__Llama-3.1-8B-Instruct-quantized-copy"]) {
      expect(results[f]).toBe("exact");
    }
  });

  it.runIf(SLOW)("DeepSeek-R1 (no index upstream): synthesized FP8 weight map packed into the 163 upstream shard sizes", async () => {
    const r = buildCorpusRepo(store, "deepseek-ai__DeepSeek-R1", { repoId: "deepseek-ai/DeepSeek-R1-slow" });
    expect(r.source).toBe("synthesized");
    expect(r.shards).toHaveLength(163);
    expect(r.shards.filter((s) => s.size === s.upstreamSize).length).toBeGreaterThanOrEqual(160);
    const parsed = await parse(r.repoId);
    if (!parsed.sharded) throw new Error("expected sharded");
    const n = Object.values(parsed.headers).reduce((a, h) => a + Object.keys(h).filter((k) => k !== "__metadata__").length, 0);
    expect(n).toBe(91_991);
  }, 120_000);
});
