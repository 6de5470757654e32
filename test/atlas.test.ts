/**
 * Module atlas: totals equal the header totals exactly, MoE groups (Mixtral-8x7B: 8 experts per
 * layer; DeepSeek-V3: 256 routed experts, first 3 layers dense, MTP layer), folding in skeleton.txt,
 * the inspect files, and the shared module index against normalizeTensorName.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildAtlas, type Atlas } from "../src/atlas/atlas.js";
import { indexTensors, ModuleIndex } from "../src/atlas/module-index.js";
import { skeleton, writeInspect } from "../src/atlas/write.js";
import { countParams, normalizeTensorName } from "../src/fingerprint/tensors.js";
import { runIntegrity } from "../src/integrity/checks.js";
import type { TensorRecord } from "../src/sources/types.js";
import { buildCorpusRepo, buildSyntheticRepo } from "./hub/corpus-repos.js";
import { synthesizeTensors, tinyConfig, type Config } from "./hub/synth.js";
import { CORPUS_DIR, describeCorpus, hasCorpus, readCorpusJson } from "./support/corpus.js";
import { toRecords } from "./support/fingerprints.js";
import { drop, inspect, startLab, tinyDeepseek, tinyMixtral, writeRepo, type Inspected, type Lab } from "./support/integrity-lab.js";

let lab: Lab;
let outDir: string;
beforeAll(async () => {
  lab = await startLab("standin-atlas-");
  outDir = mkdtempSync(path.join(os.tmpdir(), "standin-inspect-"));
});
afterAll(async () => {
  await lab?.close();
  rmSync(outDir, { recursive: true, force: true });
});

function headerElements(ts: readonly TensorRecord[]): number {
  let s = 0;
  for (const t of ts) s += t.shape.reduce((a, b) => a * b, 1);
  return s;
}

function expectExactTotals(a: Atlas, r: Inspected): void {
  const ts = r.ex!.raw.tensors;
  expect(a.checks.find((c) => c.name === "totals")!.ok).toBe(true);
  expect(a.totals).toEqual(a.header);
  expect(a.totals.tensors).toBe(ts.length);
  expect(a.totals.elements).toBe(headerElements(ts));
  expect(a.totals.bytes).toBe(ts.reduce((s, t) => s + (t.end - t.begin), 0));
  expect(a.totals.params).toBe(countParams(ts, r.fp.weightFormat).total);
  expect(a.totals.params).toBe(r.fp.params!.total);
  // the sum of the direct counts over all modules is the total, too
  expect(a.modules.reduce((s, m) => s + m.direct.params, 0)).toBe(a.totals.params);
}

describe("atlas of a small model", () => {
  let r: Inspected;
  let a: Atlas;
  beforeAll(async () => {
    writeRepo(lab, "atlas/tiny-llama", tinyConfig({ num_hidden_layers: 4 }), undefined, { shards: 2 });
    r = await inspect(lab, "atlas/tiny-llama");
    a = buildAtlas(r.ex!.raw.tensors, r.fp);
  });

  it("totals equal the header totals exactly", () => expectExactTotals(a, r));

  it("modules: parent, depth, layer, block kind, direct and total counts", () => {
    const by = new Map(a.modules.map((m) => [m.path, m]));
    expect(a.modules[0]).toMatchObject({ path: "", name: "atlas/tiny-llama", parent: null, depth: 0, blockKind: "model" });
    expect(by.get("model.layers")).toMatchObject({ blockKind: "stack", depth: 2, layer: null, direct: { params: 0 } });
    expect(by.get("model.layers.2")).toMatchObject({ parent: "model.layers", depth: 3, layer: 2, blockKind: "layer" });
    expect(by.get("model.layers.2.self_attn.k_proj")).toMatchObject({ layer: 2, blockKind: "attention", direct: { params: 32 * 64, tensors: 1 }, dtypes: ["BF16"] });
    expect(by.get("model.layers.2.mlp")).toMatchObject({ blockKind: "mlp", total: { params: 3 * 128 * 64 }, isRouter: false, isExpert: false, moeGroup: null });
    expect(by.get("model.embed_tokens")!.blockKind).toBe("embedding");
    expect(by.get("lm_head")!.blockKind).toBe("lm_head");
    expect(by.get("model.norm")!.blockKind).toBe("norm");
    const layer = by.get("model.layers.0")!;
    expect(layer.total.params).toBe(layer.children.reduce((s, c) => s + by.get(c)!.total.params, layer.direct.params));
    expect(a.moeGroups).toEqual([]);
  });

  it("skeleton.txt folds the identical layers and summary.txt ends with INTEGRITY: PASS", () => {
    const sk = skeleton(a);
    expect(sk).toContain("layers.{0..3} x4");
    expect(sk.match(/self_attn/g)).toHaveLength(1);
    const dir = path.join(outDir, "tiny");
    const files = writeInspect(dir, a, r.report, r.fp, { requests: r.fp.network.requests, bytes: r.fp.network.bytes, ms: 12 });
    expect(files.map((f) => path.basename(f)).sort()).toEqual(["experts.csv", "modules.csv", "modules.json", "routers.csv", "skeleton.txt", "summary.json", "summary.txt"]);
    const summary = readFileSync(path.join(dir, "summary.txt"), "utf8").trimEnd().split("\n");
    expect(summary[summary.length - 1]).toBe("INTEGRITY: PASS");
    expect(summary.join("\n")).toContain("atlas totals == header totals: yes");
    const csv = readFileSync(path.join(dir, "modules.csv"), "utf8").trimEnd().split("\n");
    expect(csv).toHaveLength(a.modules.length + 1);
    expect(csv[0]).toBe(
      "path,name,parent,depth,layer,expert,block_kind,is_router,is_expert,is_shared_expert,moe_group,direct_params,total_params,direct_elements,total_elements,total_bytes,direct_tensors,total_tensors,dtypes",
    );
    const json = JSON.parse(readFileSync(path.join(dir, "modules.json"), "utf8")) as { modules: unknown[]; totals: unknown };
    expect(json.modules).toHaveLength(a.modules.length);
    expect(json.totals).toEqual(a.totals);
  });

  it("summary.txt ends with INTEGRITY: FAIL and its reasons on a broken repo", async () => {
    const cfg = tinyConfig();
    writeRepo(lab, "atlas/broken", tinyConfig({ num_hidden_layers: 3 }), synthesizeTensors(cfg));
    const b = await inspect(lab, "atlas/broken");
    const dir = path.join(outDir, "broken");
    writeInspect(dir, buildAtlas(b.ex!.raw.tensors, b.fp), b.report, b.fp);
    const text = readFileSync(path.join(dir, "summary.txt"), "utf8").trimEnd();
    const lines = text.split("\n");
    expect(lines[lines.length - 1]).toBe("INTEGRITY: FAIL (1 error: cfg_layer_count)");
    expect(text).toContain("integrity reasons:\n  - cfg_layer_count: num_hidden_layers is 3");
  });
});

describe("packed quantized weights are counted as countParams counts them", () => {
  it("MLX 4-bit (U32 x 8) and FP8 block scales: params exact, elements = header elements", async () => {
    for (const [id, cfg] of [
      ["atlas/mlx", tinyConfig({ quantization: { group_size: 32, bits: 4 } })],
      ["atlas/fp8", tinyDeepseek({ quantization_config: { quant_method: "fp8", fmt: "e4m3", weight_block_size: [16, 16] } })],
    ] as [string, Config][]) {
      writeRepo(lab, id, cfg);
      const r = await inspect(lab, id);
      const a = buildAtlas(r.ex!.raw.tensors, r.fp);
      expectExactTotals(a, r);
      expect(a.totals.params).toBeLessThan(a.totals.elements * (id === "atlas/mlx" ? 8 : 1) + 1);
      if (id === "atlas/mlx") {
        const up = a.modules.find((m) => m.path === "model.layers.0.mlp.up_proj")!;
        // U32 [128, 8] weight = 128 x 64 logical values; scales and biases count 0
        expect(up.direct.params).toBe(128 * 64);
        expect(up.direct.elements).toBe(128 * 8 + 2 * 128 * 2);
      }
    }
  });
});

describe("MoE groups", () => {
  it("tiny Mixtral: one group per layer (block_sparse_moe) with its router and experts", async () => {
    writeRepo(lab, "atlas/mixtral", tinyMixtral());
    const r = await inspect(lab, "atlas/mixtral");
    const a = buildAtlas(r.ex!.raw.tensors, r.fp);
    expect(a.moeGroups.map((g) => [g.path, g.routers, g.experts, g.ok])).toEqual([
      ["model.layers.0.block_sparse_moe", 1, 4, true],
      ["model.layers.1.block_sparse_moe", 1, 4, true],
    ]);
    const e = a.modules.find((m) => m.path === "model.layers.1.block_sparse_moe.experts.2")!;
    expect(e).toMatchObject({ isExpert: true, expert: 2, layer: 1, moeGroup: "model.layers.1.block_sparse_moe", blockKind: "expert" });
    expect(a.modules.find((m) => m.path === "model.layers.1.block_sparse_moe.gate")).toMatchObject({ isRouter: true, blockKind: "router" });
    expect(a.routers[0]).toMatchObject({ path: "model.layers.0.block_sparse_moe.gate", experts: 4, hidden: 64, dtype: "BF16", bias: false });
    expect(a.checks.find((c) => c.name === "moe_groups")!.ok).toBe(true);
  });

  it("a layer that lost its router: the group check fails (ParamAtlas' at least 1 router and 1 expert)", () => {
    const ts = toRecords(drop(synthesizeTensors(tinyMixtral()), (t) => t.name === "model.layers.1.block_sparse_moe.gate.weight"));
    const a = buildAtlas(ts, { model: "m", weightFormat: null });
    expect(a.moeGroups.map((g) => g.path)).toEqual(["model.layers.0.block_sparse_moe"]);
    // layer 1's experts have no group: the integrity check moe_router_missing reports the layer
    expect(a.modules.find((m) => m.path === "model.layers.1.block_sparse_moe.experts.0")!.moeGroup).toBeNull();
  });

  it("stacked experts with flat (GGUF-style) names: the block is the group, units from the leading dim", () => {
    const ts = toRecords([
      { name: "token_embd.weight", dtype: "F16", shape: [100, 16] },
      { name: "blk.0.attn_q.weight", dtype: "F16", shape: [16, 16] },
      { name: "blk.0.ffn_gate_inp.weight", dtype: "F32", shape: [8, 16] },
      { name: "blk.0.ffn_gate_exps.weight", dtype: "F16", shape: [8, 32, 16] },
      { name: "blk.0.ffn_up_exps.weight", dtype: "F16", shape: [8, 32, 16] },
      { name: "blk.0.ffn_down_exps.weight", dtype: "F16", shape: [8, 16, 32] },
    ]);
    const a = buildAtlas(ts, { model: "gguf", weightFormat: null });
    expect(a.moeGroups).toMatchObject([{ path: "blk.0", routers: 1, experts: 24, ok: true }]);
    expect(a.experts.map((e) => [e.path, e.units])).toEqual([
      ["blk.0.ffn_down_exps", 8],
      ["blk.0.ffn_gate_exps", 8],
      ["blk.0.ffn_up_exps", 8],
    ]);
  });
});

describe("module index", () => {
  it("gives normalizeTensorName's key, layer and expert for every corpus weight-map name and synthesized name", () => {
    const names: string[] = [];
    if (hasCorpus) {
      for (const d of readdirSync(CORPUS_DIR)) {
        for (const f of ["model.safetensors.index.json", "pytorch_model.bin.index.json"]) {
          const p = path.join(CORPUS_DIR, d, f);
          if (!existsSync(p)) continue;
          try {
            names.push(...Object.keys((JSON.parse(readFileSync(p, "utf8")) as { weight_map: Record<string, string> }).weight_map));
          } catch {
            /* a corrupt corpus file is tested elsewhere */
          }
        }
      }
    }
    names.push(...synthesizeTensors(tinyDeepseek({ num_nextn_predict_layers: 1 })).map((t) => t.name));
    names.push("layers.0", "x", "blk.3.ffn_gate_exps.weight", "encoder.block.2.layer.1.DenseReluDense.wi.weight", "a.experts.3.layers.2.w", "h.1.2", "model.layers.012.mlp.weight");
    const ix = new ModuleIndex();
    for (const n of names) {
      const [id, leaf] = ix.split(n);
      expect(ix.normalize(id, leaf), n).toEqual(normalizeTensorName(n));
      expect(ix.key(id, leaf)).toBe(normalizeTensorName(n).key);
    }
    const it = indexTensors(names.map((name) => ({ name, dtype: "BF16" })));
    expect(it.cls.length).toBe(names.length);
  });
});

describeCorpus("corpus MoE groups and totals", () => {
  it("Mixtral-8x7B (corpus config, synthesized headers): 32 groups of 8 experts, routers [8, 4096]", async () => {
    const cfg = readCorpusJson("mistralai__Mixtral-8x7B-v0.1");
    buildSyntheticRepo(lab.store, "corpus/mixtral-8x7b", cfg, { shards: 4, readme: false });
    const r = await inspect(lab, "corpus/mixtral-8x7b");
    expect(r.report.status).toBe("PASS");
    expect(r.report.findings.filter((f) => f.severity !== "info")).toEqual([]);
    const a = buildAtlas(r.ex!.raw.tensors, r.fp);
    expectExactTotals(a, r);
    expect(a.moeGroups).toHaveLength(32);
    expect(a.moeGroups.every((g) => g.experts === 8 && g.routers === 1 && g.ok)).toBe(true);
    expect(a.moeGroups[5]!.path).toBe("model.layers.5.block_sparse_moe");
    expect(a.routers.every((x) => x.experts === 8 && x.hidden === 4096)).toBe(true);
    expect(a.experts).toHaveLength(256);
    expect(skeleton(a)).toContain("layers.{0..31} x32");
    expect(skeleton(a)).toContain("experts.{0..7} x8");
    expect(r.fp.params!.total).toBe(46_702_792_704);
  });

  it(
    "DeepSeek-V3 (corpus config, 91,991 synthesized tensors): 256 routed experts per MoE layer, first 3 layers dense, MTP layer; timings",
    async () => {
      const cfg = readCorpusJson("deepseek-ai__DeepSeek-V3");
      let t = performance.now();
      buildSyntheticRepo(lab.store, "corpus/deepseek-v3", cfg, { shards: 8, readme: false });
      const build = performance.now() - t;
      t = performance.now();
      const r = await inspect(lab, "corpus/deepseek-v3");
      const fetchAndCheck = performance.now() - t;
      expect(r.fp.tensorCount).toBe(91_991);
      t = performance.now();
      const again = runIntegrity({ ex: r.ex, fp: r.fp });
      const integrityMs = performance.now() - t;
      t = performance.now();
      const a = buildAtlas(r.ex!.raw.tensors, r.fp);
      const atlasMs = performance.now() - t;
      t = performance.now();
      writeInspect(path.join(outDir, "deepseek-v3"), a, r.report, r.fp);
      const writeMs = performance.now() - t;
      console.log(
        `DeepSeek-V3 (91,991 tensors): repo build ${build.toFixed(0)} ms, fetch+fingerprint+integrity ${fetchAndCheck.toFixed(0)} ms, runIntegrity ${integrityMs.toFixed(0)} ms, buildAtlas ${atlasMs.toFixed(0)} ms, writeInspect ${writeMs.toFixed(0)} ms, ${a.modules.length} modules`,
      );
      expect(again.report.status).toBe("PASS");
      expect(r.report.findings.filter((f) => f.severity !== "info")).toEqual([]);
      expectExactTotals(a, r);
      // 58 MoE layers (3..60) + the MTP layer 61
      expect(a.moeGroups).toHaveLength(59);
      expect(a.moeGroups.map((g) => g.layer)).toEqual([...Array.from({ length: 58 }, (_, i) => i + 3), 61]);
      expect(a.moeGroups.every((g) => g.experts === 256 && g.routers === 1 && g.sharedExperts === 1 && g.ok)).toBe(true);
      expect(a.moeGroups[0]!.path).toBe("model.layers.3.mlp");
      for (const l of [0, 1, 2]) {
        const mlp = a.modules.find((m) => m.path === `model.layers.${l}.mlp`)!;
        expect(mlp).toMatchObject({ blockKind: "mlp", moeGroup: null, isExpert: false });
      }
      expect(a.routers).toHaveLength(59);
      expect(a.routers[0]).toMatchObject({ path: "model.layers.3.mlp.gate", experts: 256, hidden: 7168, dtype: "BF16", bias: true });
      expect(a.experts.reduce((s, e) => s + e.units, 0)).toBe(59 * 256);
      const sk = skeleton(a);
      expect(sk).toContain("layers.{0..2} x3");
      expect(sk).toContain("layers.{3..60} x58");
      expect(sk).toContain("layers.61");
      expect(sk).toContain("experts.{0..255} x256");
      // linear-ish: well under the time budget even on a loaded CI machine
      expect(integrityMs).toBeLessThan(15_000);
      expect(atlasMs).toBeLessThan(15_000);
    },
    180_000,
  );

  it("BLOOM: atlas totals equal the header totals exactly (176,247,271,424 parameters)", async () => {
    buildCorpusRepo(lab.store, "bigscience__bloom", { repoId: "corpus/bloom-atlas" });
    const r = await inspect(lab, "corpus/bloom-atlas");
    expect(r.fp.error).toBeNull();
    const a = buildAtlas(r.ex!.raw.tensors, r.fp);
    expectExactTotals(a, r);
    expect(a.totals.params).toBe(176_247_271_424);
    expect(a.totals.elements).toBe(176_247_271_424);
    expect(skeleton(a)).toContain("h.{0..69} x70");
  });
});
