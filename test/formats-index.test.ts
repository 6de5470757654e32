import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { dtypeFromTorch } from "../src/formats/dtypes.js";
import { parseSafetensorsFile, parseSafetensorsHeader } from "../src/formats/safetensors.js";
import { indexPlan } from "../src/fingerprint/acquire.js";
import {
  type SafetensorsIndex,
  type ShardHeader,
  assertSafeShardName,
  checkIndexAgainstFileSizes,
  checkIndexTotals,
  checkShardNames,
  indexDigest,
  parseSafetensorsIndex,
  parseShardName,
  shardNameProblem,
  shardNamePattern,
  validateIndexAgainstHeaders,
} from "../src/formats/safetensors-index.js";
import type { Finding } from "../src/fingerprint/types.js";
import type { TensorRecord } from "../src/sources/types.js";
import { FormatError } from "../src/util/errors.js";
import { CORPUS_DIR, corpusPath, corpusShardSizes, describeCorpus, hasCorpus, readCorpusJson } from "./support/corpus.js";

const enc = new TextEncoder();
const CTX = { file: "model.safetensors.index.json", model: "org/big" };
const codes = (f: Finding[]) => f.map((x) => x.code).sort();

function idx(obj: unknown, ctx: { file: string; model?: string; maxBytes?: number } = CTX): SafetensorsIndex {
  return parseSafetensorsIndex(enc.encode(typeof obj === "string" ? obj : JSON.stringify(obj)), ctx);
}

function fatal(fn: () => unknown): FormatError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(FormatError);
    return e as FormatError;
  }
  throw new Error("expected a FormatError");
}

const WM = {
  "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
  "model.layers.0.mlp.up_proj.weight": "model-00001-of-00002.safetensors",
  "lm_head.weight": "model-00002-of-00002.safetensors",
};

describe("parseSafetensorsIndex", () => {
  it("reads weight_map, distinct shards in first-seen order, totals and metadata", () => {
    const r = idx({ metadata: { total_size: 100, total_parameters: 50, format: "pt" }, weight_map: { ...WM, "x.bias": "model-00001-of-00002.safetensors" } });
    expect(r.weightMap.size).toBe(4);
    expect(r.weightMap.get("lm_head.weight")).toBe("model-00002-of-00002.safetensors");
    expect(r.shards).toEqual(["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]);
    expect(r.totalSize).toBe(100);
    expect(r.totalParameters).toBe(50);
    expect(r.metadata).toEqual({ total_size: 100, total_parameters: 50, format: "pt" });
    expect(r.findings).toEqual([]);
    expect(r.file).toBe(CTX.file);
  });

  it("keeps first-seen shard order even when later shards come first", () => {
    const r = idx({ metadata: { total_size: 1 }, weight_map: { a: "m-00002-of-00002.safetensors", b: "m-00001-of-00002.safetensors", c: "m-00002-of-00002.safetensors" } });
    expect(r.shards).toEqual(["m-00002-of-00002.safetensors", "m-00001-of-00002.safetensors"]);
  });

  describe("fatal errors", () => {
    it("index_too_large", () => {
      const e = fatal(() => idx({ weight_map: WM }, { ...CTX, maxBytes: 10 }));
      expect(e.code).toBe("index_too_large");
    });
    it("index_not_utf8", () => {
      expect(fatal(() => parseSafetensorsIndex(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]), CTX)).code).toBe("index_not_utf8");
    });
    it("index_not_json", () => {
      const e = fatal(() => idx("{weight_map: {}}"));
      expect(e.code).toBe("index_not_json");
      expect(e.message).toContain('"model.safetensors.index.json" (model org/big)');
      expect(e.model).toBe("org/big");
      expect(fatal(() => idx("")).code).toBe("index_not_json");
    });
    it("index_not_object", () => {
      for (const j of ["[]", "null", "1", '"x"']) expect(fatal(() => idx(j)).code).toBe("index_not_object");
    });
    it("index_too_deep", () => {
      const deep = "[".repeat(100_000) + "]".repeat(100_000);
      expect(fatal(() => idx(`{"weight_map": {}, "metadata": ${deep}}`)).code).toBe("index_too_deep");
    });
    it("index_bad_weight_map", () => {
      expect(fatal(() => idx({ metadata: {} })).message).toContain("weight_map is missing");
      for (const wm of [null, [], "x", 3]) expect(fatal(() => idx({ weight_map: wm })).code).toBe("index_bad_weight_map");
      const e = fatal(() => idx({ weight_map: { "a.weight": "m.safetensors", "b.weight": 7 } }));
      expect(e.code).toBe("index_bad_weight_map");
      expect(e.message).toContain('"b.weight"');
      expect(fatal(() => idx({ weight_map: { a: null } })).code).toBe("index_bad_weight_map");
    });
    it("index_unsafe_shard_name names the tensor and the shard", () => {
      const e = fatal(() => idx({ weight_map: { "a.weight": "ok.safetensors", "b.weight": "../victim/model.safetensors" } }));
      expect(e.code).toBe("index_unsafe_shard_name");
      expect(e.message).toContain('tensor "b.weight"');
      expect(e.message).toContain('"../victim/model.safetensors"');
      expect(e.message).toContain("dot segment");
    });
  });

  describe("shard name safety", () => {
    it("accepts plain relative names", () => {
      for (const n of [
        "model-00001-of-00002.safetensors",
        "unet/diffusion_pytorch_model.safetensors",
        "sub.dir/model..safetensors",
        "model with spaces.safetensors",
        "model-00001-model.layers.0.input_layernorm.weight.safetensors",
        "weights/ünïcode.safetensors",
      ]) {
        expect(shardNameProblem(n), n).toBeNull();
      }
    });

    it("rejects traversal, absolute, remote, Windows and encoded forms", () => {
      const cases: [string, string][] = [
        ["", "empty name"],
        ["../victim/private/resolve/main/model.safetensors", "dot segment"],
        ["./model.safetensors", "dot segment"],
        ["a/../../b.safetensors", "dot segment"],
        ["a/..", "dot segment"],
        ["/etc/passwd", "absolute path"],
        ["//evil.example/model.safetensors", "absolute path"],
        ["https://evil.example/model.safetensors", "scheme-like first path segment"],
        ["file:model.safetensors", "scheme-like first path segment"],
        ["..\\model.safetensors", "backslash"],
        ["\\\\server\\share\\model.safetensors", "backslash"],
        ["C:\\models\\model.safetensors", "backslash"],
        ["C:/models/model.safetensors", "absolute Windows path"],
        ["c:model.safetensors", "absolute Windows path"],
        ["model\u0000.safetensors", "control character"],
        ["model\n.safetensors", "control character"],
        ["model\u007f.safetensors", "control character"],
        ["model\u0085.safetensors", "control character"],
        ["%2e%2e/%2e%2e/victim/private/resolve/main/model.safetensors", "dot segment"],
        ["%2E%2E/model.safetensors", "dot segment"],
        [".%2e/model.safetensors", "dot segment"],
        ["%2e/model.safetensors", "dot segment"],
        ["%252e%252e/model.safetensors", "dot segment"],
        ["%2F%2Fevil/model.safetensors", "absolute path"],
        ["https%3A%2F%2Fevil.example/model.safetensors", "scheme-like first path segment"],
        ["a%5C..%5Cb.safetensors", "backslash"],
        ["model%00.safetensors", "control character"],
        ["model%zz.safetensors", "malformed percent-encoding"],
        ["C%3A/x.safetensors", "absolute Windows path"],
        // like the JS client: an encoded literal "%" decodes to a malformed escape
        ["100%25 real.safetensors", "malformed percent-encoding"],
      ];
      for (const [n, why] of cases) expect(shardNameProblem(n), JSON.stringify(n)).toBe(why);
    });

    it("decodes up to 5 times and refuses deeper nesting", () => {
      let n = "..";
      for (let i = 0; i < 5; i++) n = encodeURIComponent(n).replace(/\./g, "%2E");
      // 5 layers: decoded and caught as a dot segment
      expect(shardNameProblem(`${n}/m.safetensors`)).toBe("dot segment");
      // a harmless name encoded 6 times is refused as suspicious
      let six = "a b.safetensors";
      for (let i = 0; i < 6; i++) six = encodeURIComponent(six);
      expect(shardNameProblem(six)).toBe("percent-encoded more than 5 times");
    });

    it("assertSafeShardName throws index_unsafe_shard_name", () => {
      expect(() => assertSafeShardName("ok.safetensors", { file: "i.json" })).not.toThrow();
      const e = fatal(() => assertSafeShardName("/abs", { file: "i.json", model: "m", tensor: "t" }));
      expect(e.code).toBe("index_unsafe_shard_name");
      expect(e.message).toBe('"i.json" (model m): unsafe shard name "/abs" for tensor "t" (absolute path)');
    });
  });

  describe("findings", () => {
    it("index_total_size_missing (also without any metadata)", () => {
      expect(codes(idx({ weight_map: WM }).findings)).toEqual(["index_total_size_missing"]);
      expect(codes(idx({ metadata: {}, weight_map: WM }).findings)).toEqual(["index_total_size_missing"]);
    });

    it("index_total_size_not_number: warning, or info for a numeric string that is read", () => {
      const r = idx({ metadata: { total_size: "abc" }, weight_map: WM });
      expect(r.findings).toEqual([expect.objectContaining({ severity: "warning", code: "index_total_size_not_number", key: "total_size" })]);
      expect(r.totalSize).toBeNull();
      const s = idx({ metadata: { total_size: "1234" }, weight_map: WM });
      expect(s.findings).toEqual([expect.objectContaining({ severity: "info", code: "index_total_size_not_number" })]);
      expect(s.totalSize).toBe(1234);
      expect(idx({ metadata: { total_size: null }, weight_map: WM }).totalSize).toBeNull();
    });

    it("index_total_size_invalid", () => {
      for (const v of [-1, 1.5, 2 ** 60]) {
        const r = idx({ metadata: { total_size: v }, weight_map: WM });
        expect(codes(r.findings), String(v)).toEqual(["index_total_size_invalid"]);
        expect(r.totalSize).toBeNull();
      }
    });

    it("index_total_size_zero", () => {
      expect(codes(idx({ metadata: { total_size: 0 }, weight_map: WM }).findings)).toEqual(["index_total_size_zero"]);
    });

    it("index_total_parameters_not_number / _invalid", () => {
      const r = idx({ metadata: { total_size: 1, total_parameters: [1] }, weight_map: WM });
      expect(codes(r.findings)).toEqual(["index_total_parameters_not_number"]);
      expect(r.totalParameters).toBeNull();
      const s = idx({ metadata: { total_size: 1, total_parameters: "28842036848" }, weight_map: WM });
      expect(s.totalParameters).toBe(28842036848);
      expect(s.findings[0]).toMatchObject({ severity: "info", code: "index_total_parameters_not_number" });
      expect(codes(idx({ metadata: { total_size: 1, total_parameters: -3 }, weight_map: WM }).findings)).toEqual(["index_total_parameters_invalid"]);
    });

    it("index_empty_weight_map", () => {
      const r = idx({ metadata: { total_size: 0 }, weight_map: {} });
      expect(r.findings).toEqual([expect.objectContaining({ severity: "error", code: "index_empty_weight_map" })]);
      expect(r.shards).toEqual([]);
    });

    it("index_metadata_not_object", () => {
      const r = idx({ metadata: [1], weight_map: WM });
      expect(codes(r.findings)).toEqual(["index_metadata_not_object", "index_total_size_missing"]);
      expect(r.metadata).toEqual({});
    });

    it("index_duplicate_tensor", () => {
      const r = idx('{"metadata":{"total_size":1},"weight_map":{"a":"m1.safetensors","a":"m2.safetensors","b":"m1.safetensors"}}');
      expect(r.findings).toEqual([expect.objectContaining({ code: "index_duplicate_tensor", tensor: "a" })]);
      expect(r.findings[0]?.message).toContain("(m1.safetensors, m2.safetensors)");
      expect(r.weightMap.get("a")).toBe("m2.safetensors");
      // the shadowed shard name is still checked for safety (a streaming reader would see it)
      const e = fatal(() => idx('{"weight_map":{"a":"../x.safetensors","a":"m2.safetensors"}}'));
      expect(e.code).toBe("index_unsafe_shard_name");
      expect(e.message).toContain('tensor "a"');
    });

    it("index_shard_not_safetensors (only for a *.safetensors.index.json)", () => {
      const wm = { a: "pytorch_model-00001-of-00001.bin" };
      expect(codes(idx({ metadata: { total_size: 1 }, weight_map: wm }).findings)).toEqual(["index_shard_not_safetensors"]);
      expect(idx({ metadata: { total_size: 1 }, weight_map: wm }, { file: "pytorch_model.bin.index.json" }).findings).toEqual([]);
    });

    it("index_shard_set_incomplete from the parse", () => {
      const r = idx({ metadata: { total_size: 1 }, weight_map: { a: "model-00001-of-00004.safetensors", b: "model-00002-of-00004.safetensors", c: "model-00004-of-00004.safetensors" } });
      expect(r.findings).toEqual([expect.objectContaining({ severity: "warning", code: "index_shard_set_incomplete" })]);
      expect(r.findings[0]?.message).toContain("1 of 4 shard(s) not named in weight_map (3)");
    });
  });
});

describe("shard names", () => {
  it("parseShardName", () => {
    expect(parseShardName("model-00001-of-00004.safetensors")).toEqual({ prefix: "model", separator: "-", index: 1, total: 4 });
    expect(parseShardName("model_00072-of-00072.safetensors")).toEqual({ prefix: "model", separator: "_", index: 72, total: 72 });
    expect(parseShardName("model-000163-of-000163.safetensors")).toEqual({ prefix: "model", separator: "-", index: 163, total: 163 });
    expect(parseShardName("text_encoder/model-00001-of-00002.safetensors")).toEqual({ prefix: "text_encoder/model", separator: "-", index: 1, total: 2 });
    expect(parseShardName("diffusion_pytorch_model-00001-of-00003.safetensors")?.prefix).toBe("diffusion_pytorch_model");
    expect(parseShardName("model-0001-of-0004.safetensors")).toBeNull();
    expect(parseShardName("model-0000001-of-0000004.safetensors")).toBeNull();
    expect(parseShardName("model.safetensors")).toBeNull();
    expect(parseShardName("model-00001-of-00004.bin")).toBeNull();
    expect(parseShardName("model-00001-model.layers.0.input_layernorm.weight.safetensors")).toBeNull();
    expect(shardNamePattern.test("model-00000-of-00002.safetensors")).toBe(true);
  });

  it("checkShardNames: complete sets give nothing", () => {
    expect(checkShardNames(["m-00002-of-00002.safetensors", "m-00001-of-00002.safetensors"])).toEqual([]);
    expect(checkShardNames(["a.safetensors", "b.safetensors"])).toEqual([]);
    expect(checkShardNames([])).toEqual([]);
  });

  it("checkShardNames: holes, out of range, mixed", () => {
    const holes = checkShardNames(["m-00001-of-00005.safetensors", "m-00005-of-00005.safetensors"]);
    expect(codes(holes)).toEqual(["index_shard_set_incomplete"]);
    expect(holes[0]?.message).toContain("3 of 5 shard(s) not named in weight_map (2, 3, 4)");

    const zero = checkShardNames(["m-00000-of-00002.safetensors", "m-00001-of-00002.safetensors", "m-00002-of-00002.safetensors"]);
    expect(codes(zero)).toEqual(["index_shard_out_of_range"]);
    expect(zero[0]?.message).toContain("0 outside 1..2");

    const mixed = checkShardNames(["m-00001-of-00002.safetensors", "m-00002-of-00002.safetensors", "m-00001-of-00003.safetensors"]);
    expect(codes(mixed)).toEqual(["index_shard_pattern_mixed", "index_shard_set_incomplete"]);

    const some = checkShardNames(["m-00001-of-00001.safetensors", "extra.safetensors"]);
    expect(codes(some)).toEqual(["index_shard_pattern_mixed"]);
  });

  it("checkShardNames: a hostile total stays bounded", () => {
    const f = checkShardNames(["m-00001-of-999999.safetensors"]);
    expect(codes(f)).toEqual(["index_shard_set_incomplete"]);
    expect(f[0]?.message).toContain("999998 of 999999");
    expect(f[0]!.message.length).toBeLessThan(200);
  });
});

describe("validateIndexAgainstHeaders", () => {
  const rec = (name: string, file: string, begin: number, end: number, shape: number[], dtype = "BF16"): TensorRecord => ({ name, dtype, shape, file, begin, end });
  const S1 = "model-00001-of-00002.safetensors";
  const S2 = "model-00002-of-00002.safetensors";
  const headers = (): ShardHeader[] => [
    { file: S1, tensors: [rec("model.embed_tokens.weight", S1, 0, 32, [4, 4]), rec("model.layers.0.mlp.up_proj.weight", S1, 32, 48, [8])] },
    { file: S2, tensors: [rec("lm_head.weight", S2, 0, 32, [4, 4])] },
  ];
  const index = (meta: Record<string, unknown> = { total_size: 80, total_parameters: 40 }, wm: Record<string, string> = WM) => idx({ metadata: meta, weight_map: wm });

  it("a consistent index gives no findings", () => {
    expect(validateIndexAgainstHeaders(index(), headers())).toEqual([]);
  });

  it("index_tensor_missing", () => {
    const h = headers();
    h[0]!.tensors.pop();
    const f = validateIndexAgainstHeaders(index({}), h);
    expect(f).toEqual([expect.objectContaining({ severity: "error", code: "index_tensor_missing", tensor: "model.layers.0.mlp.up_proj.weight", file: S1 })]);
  });

  it("index_tensor_wrong_shard", () => {
    const h = headers();
    const moved = h[0]!.tensors.pop()!;
    h[1]!.tensors.push({ ...moved, file: S2, begin: 32, end: 48 });
    const f = validateIndexAgainstHeaders(index({}), h);
    expect(codes(f)).toEqual(["index_tensor_wrong_shard"]);
    expect(f[0]?.message).toContain(`puts tensor "model.layers.0.mlp.up_proj.weight" in ${S1} but it is in ${S2}`);
  });

  it("index_tensor_unlisted", () => {
    const h = headers();
    h[1]!.tensors.push(rec("extra.bias", S2, 32, 34, [1]));
    const f = validateIndexAgainstHeaders(index({}), h);
    expect(f).toEqual([expect.objectContaining({ severity: "warning", code: "index_tensor_unlisted", tensor: "extra.bias", file: S2 })]);
  });

  it("index_tensor_in_multiple_shards", () => {
    const h = headers();
    h[1]!.tensors.push(rec("model.embed_tokens.weight", S2, 32, 64, [4, 4]));
    const f = validateIndexAgainstHeaders(index({}), h);
    expect(codes(f)).toEqual(["index_tensor_in_multiple_shards"]);
    expect(f[0]?.message).toContain(`in 2 shards: ${S1}, ${S2}`);
  });

  it("index_shard_not_read and index_shard_not_listed; totals are then not compared", () => {
    const h = headers().slice(0, 1);
    h.push({ file: "stray.safetensors", tensors: [] });
    const f = validateIndexAgainstHeaders(index({ total_size: 1, total_parameters: 1 }), h);
    expect(codes(f)).toEqual(["index_shard_not_listed", "index_shard_not_read"]);
    expect(f.find((x) => x.code === "index_shard_not_read")?.file).toBe(S2);
    expect(f.find((x) => x.code === "index_shard_not_listed")?.file).toBe("stray.safetensors");
  });

  it("index_total_size_mismatch reports both numbers", () => {
    const f = validateIndexAgainstHeaders(index({ total_size: 100 }), headers());
    expect(codes(f)).toEqual(["index_total_size_mismatch"]);
    expect(f[0]?.message).toBe("metadata.total_size is 100 but the tensors of the 2 shard header(s) hold 80 bytes (difference 20)");
  });

  it("the shortcut for clean indexes is exact: random damage always gives the brute-force tensor findings", () => {
    // Brute force: which tensor-level codes a (weight_map, headers) pair must produce.
    const expected = (wm: Map<string, string>, hs: ShardHeader[]): string[] => {
      const read = new Set(hs.map((h) => h.file));
      const where = new Map<string, string[]>();
      for (const h of hs) for (const t of h.tensors) where.set(t.name, [...(where.get(t.name) ?? []), h.file]);
      const out = new Set<string>();
      for (const files of where.values()) if (files.length > 1) out.add("index_tensor_in_multiple_shards");
      for (const [t, s] of wm) {
        if (!read.has(s) || where.get(t)?.includes(s)) continue;
        out.add(where.has(t) ? "index_tensor_wrong_shard" : "index_tensor_missing");
      }
      for (const t of where.keys()) if (!wm.has(t)) out.add("index_tensor_unlisted");
      return [...out].sort();
    };
    const TENSOR_CODES = new Set(["index_tensor_in_multiple_shards", "index_tensor_wrong_shard", "index_tensor_missing", "index_tensor_unlisted"]);
    let seed = 7;
    const rnd = (n: number): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    let clean = 0;
    for (let round = 0; round < 3000; round++) {
      const shards = ["a.safetensors", "b.safetensors", "c.safetensors"].slice(0, 1 + rnd(3));
      const wm: Record<string, string> = {};
      const hs: ShardHeader[] = shards.map((f) => ({ file: f, tensors: [] }));
      const n = 1 + rnd(6);
      for (let i = 0; i < n; i++) {
        const k = rnd(shards.length);
        wm[`t${i}`] = shards[k]!;
        hs[k]!.tensors.push(rec(`t${i}`, shards[k]!, 0, 2, [1]));
      }
      // up to two kinds of damage
      for (let d = rnd(3); d > 0; d--) {
        const h = hs[rnd(hs.length)]!;
        const other = hs[rnd(hs.length)]!;
        switch (rnd(5)) {
          case 0: // drop a tensor from its header
            h.tensors.splice(rnd(h.tensors.length + 1), 1);
            break;
          case 1: // move a tensor to another header
            if (h.tensors.length && other !== h) other.tensors.push({ ...h.tensors.splice(rnd(h.tensors.length), 1)[0]!, file: other.file });
            break;
          case 2: // copy a tensor into another header
            if (h.tensors.length && other !== h && !other.tensors.some((t) => t.name === h.tensors[0]!.name)) other.tensors.push({ ...h.tensors[0]!, file: other.file });
            break;
          case 3: // an unlisted tensor
            h.tensors.push(rec(`u${rnd(3)}x${h.file}`, h.file, 0, 2, [1]));
            break;
          case 4: // a header not read
            if (hs.length > 1) hs.splice(rnd(hs.length), 1);
            break;
        }
      }
      const ix = idx({ metadata: {}, weight_map: wm });
      expect(indexDigest(ix)).not.toBeNull();
      const findings = validateIndexAgainstHeaders(ix, hs);
      // a copy has no digest: the weight map decides, with the very same findings
      expect(indexDigest({ ...ix })).toBeNull();
      expect(validateIndexAgainstHeaders({ ...ix }, hs)).toEqual(findings);
      const got = [...new Set(codes(findings).filter((c) => TENSOR_CODES.has(c)))].sort();
      const want = expected(ix.weightMap, hs);
      if (want.length === 0) clean++;
      expect(got, JSON.stringify({ wm, hs: hs.map((h) => [h.file, h.tensors.map((t) => t.name)]) })).toEqual(want);
    }
    expect(clean).toBeGreaterThan(300);
    expect(clean).toBeLessThan(2700);
  });

  it("the index digest: made for the common index, the same plan and lazy weight map, equal to the headers' own", () => {
    const wm: Record<string, string> = {};
    const names: string[][] = [[], [], []];
    for (let i = 0; i < 300; i++) {
      const k = (i * 7) % 3;
      const name = `model.layers.${i % 30}.mlp.experts.${i}.${["gate", "up", "down"][k]}_proj.weight`;
      wm[name] = `model-0000${k + 1}-of-00003.safetensors`;
      names[k]!.push(name);
    }
    const ix = idx({ metadata: { total_size: 1 }, weight_map: wm });
    const digest = indexDigest(ix);
    expect(digest?.entries).toBe(300);
    // the plan from the digest is the plan from the weight map (a copy has no digest)
    expect(indexPlan(ix)).toEqual(indexPlan({ ...ix }));
    expect(ix.weightMap).toEqual(new Map(Object.entries(wm)));
    // parseSafetensorsHeader adds the names up the same way, on the fast path and the general one
    for (const [k, list] of names.entries()) {
      const file = `model-0000${k + 1}-of-00003.safetensors`;
      const header: Record<string, unknown> = {};
      list.forEach((n, i) => (header[n] = { dtype: "BF16", shape: [1], data_offsets: [2 * i, 2 * i + 2] }));
      const parse = (text: string) => {
        const bytes = enc.encode(text);
        return parseSafetensorsHeader(bytes, { file, headerLength: bytes.length, fileSize: null });
      };
      const fast = parse(JSON.stringify(header));
      const general = parse(JSON.stringify(header).replace("model.", "model\\u002e"));
      expect(fast.names).toEqual(digest?.shards.get(file));
      expect(general.names).toEqual(fast.names);
    }
    // an index outside the fast subset (an escape) has no digest, and one repeated name neither
    expect(indexDigest(idx(JSON.stringify({ weight_map: wm }).replace("model.", "model\\u002e")))).toBeNull();
    expect(indexDigest(idx('{"weight_map": {"a": "m1.safetensors", "a": "m2.safetensors"}}'))).toBeNull();
  });

  it("index_total_parameters_mismatch reports both numbers and a tensor of the same size", () => {
    const f = validateIndexAgainstHeaders(index({ total_size: 80, total_parameters: 56 }), headers());
    expect(codes(f)).toEqual(["index_total_parameters_mismatch"]);
    expect(f[0]?.message).toBe('metadata.total_parameters is 56 but the shard headers hold 40 elements (difference 16, the element count of "model.embed_tokens.weight")');
  });
});

describe("checkIndexTotals / checkIndexAgainstFileSizes", () => {
  it("checkIndexTotals", () => {
    const ok = idx({ metadata: { total_size: 200, total_parameters: 100 }, weight_map: WM });
    expect(checkIndexTotals(ok, "BF16")).toEqual([]);
    expect(checkIndexTotals(ok, "F32")).toEqual([expect.objectContaining({ code: "index_totals_inconsistent", severity: "warning" })]);
    expect(checkIndexTotals(ok, "nope")).toEqual([]);
    expect(checkIndexTotals(idx({ metadata: { total_size: 200 }, weight_map: WM }), "BF16")).toEqual([]);
  });

  it("checkIndexAgainstFileSizes", () => {
    const i = idx({ metadata: { total_size: 80 }, weight_map: WM });
    const S1 = "model-00001-of-00002.safetensors";
    const S2 = "model-00002-of-00002.safetensors";
    expect(checkIndexAgainstFileSizes(i, new Map([[S1, 8 + 200 + 48], [S2, 8 + 100 + 32]]))).toEqual([]);
    expect(codes(checkIndexAgainstFileSizes(i, new Map([[S1, 50], [S2, 20]])))).toEqual(["index_total_size_exceeds_files"]);
    expect(codes(checkIndexAgainstFileSizes(i, new Map([[S1, 10_000], [S2, 100]]), { maxHeaderBytes: 1000 }))).toEqual(["index_total_size_too_small"]);
    expect(codes(checkIndexAgainstFileSizes(i, new Map([[S1, 10_000]])))).toEqual(["index_shard_size_unknown"]);
  });
});

// ---------------------------------------------------------------------------------------------
// The real corpus

function findIndexes(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .filter((p) => /\.index\.json$/.test(p))
    .map((p) => path.join(dir, p))
    .sort();
}

/** Non-empty finding codes expected for real indexes (all others parse with zero findings). */
const EXPECTED_FINDINGS: Record<string, string[]> = {
  // metadata.total_size is 0 in the upstream file
  "nvidia__Cosmos-Reason2-8B": ["index_total_size_zero"],
  // shards are numbered 00000, 00001, 00002 "of-00002"
  "openai__gpt-oss-20b": ["index_shard_out_of_range"],
};

describeCorpus("real indexes in the zoo corpus", () => {
  // Collection runs even for a skipped suite: read nothing when the corpus is absent.
  const all = hasCorpus ? findIndexes(CORPUS_DIR) : [];
  const st = all.filter((p) => p.endsWith("model.safetensors.index.json"));

  it("finds the safetensors indexes", () => {
    expect(st.length).toBeGreaterThanOrEqual(19);
  });

  for (const p of all) {
    const folder = path.basename(path.dirname(p));
    const name = `${folder}/${path.basename(p)}`;
    it(`${name} parses with plausible counts`, () => {
      const r = parseSafetensorsIndex(new Uint8Array(readFileSync(p)), { file: path.basename(p), model: folder });
      expect(r.weightMap.size).toBeGreaterThanOrEqual(100);
      expect(r.weightMap.size).toBeLessThan(10_000);
      expect(r.shards.length).toBeGreaterThanOrEqual(1);
      expect(r.shards.length).toBeLessThanOrEqual(r.weightMap.size);
      expect(r.totalSize).not.toBeNull();
      expect(new Set(r.weightMap.values()).size).toBe(r.shards.length);
      if (p.endsWith("model.safetensors.index.json")) {
        expect(codes(r.findings)).toEqual(EXPECTED_FINDINGS[folder] ?? []);
        // numbered shards form one complete set, except the known oddities
        const parsed = r.shards.map(parseShardName);
        if (parsed.every((x) => x !== null)) {
          const totals = new Set(parsed.map((x) => x!.total));
          expect(totals.size).toBe(1);
        }
        // bytes per tensor element are in a sane range for every index whose total_size is set
        if (r.totalSize) expect(r.totalSize / r.weightMap.size).toBeGreaterThan(1000);
      } else {
        expect(r.findings.filter((f) => f.severity === "error")).toEqual([]);
      }
    });
  }

  it("spot checks: tensor and shard counts", () => {
    const counts = (folder: string) => {
      const r = parseSafetensorsIndex(new Uint8Array(readFileSync(corpusPath(folder, "model.safetensors.index.json"))), { file: "model.safetensors.index.json" });
      return [r.weightMap.size, r.shards.length];
    };
    expect(counts("bigscience__bloom")).toEqual([845, 72]);
    expect(counts("mattshumer__Reflection-Llama-3.1-70B")).toEqual([723, 162]);
    expect(counts("microsoft__WizardLM-2-8x22B")).toEqual([1739, 59]);
    expect(counts("google__medgemma-27b-it")).toEqual([1247, 12]);
    expect(counts("openai__gpt-oss-20b")).toEqual([459, 3]);
    expect(counts("PANDASANG1231__llama-3.2-3B-per-tensor-shards")).toEqual([254, 254]);
  });

  it("BLOOM's 72 underscore shards are one complete set", () => {
    const r = parseSafetensorsIndex(new Uint8Array(readFileSync(corpusPath("bigscience__bloom", "model.safetensors.index.json"))), {
      file: "model.safetensors.index.json",
    });
    const parsed = r.shards.map(parseShardName);
    expect(parsed.every((x) => x !== null && x.separator === "_" && x.prefix === "model" && x.total === 72)).toBe(true);
    expect(new Set(parsed.map((x) => x!.index)).size).toBe(72);
    expect(checkShardNames(r.shards)).toEqual([]);
    expect(r.findings).toEqual([]);
  });

  it("SmolLM3 and Devstral: per-shard tensor counts match the third-party header summaries", () => {
    for (const folder of ["HuggingFaceTB__SmolLM3-3B", "mistralai__Devstral-Small-2507"]) {
      const r = parseSafetensorsIndex(new Uint8Array(readFileSync(corpusPath(folder, "model.safetensors.index.json"))), { file: "model.safetensors.index.json" });
      const summary = readCorpusJson<{ model_files: { name: string; tensor_count?: number }[] }>(folder, "model_files.json");
      const perShard = new Map<string, number>();
      for (const s of r.weightMap.values()) perShard.set(s, (perShard.get(s) ?? 0) + 1);
      for (const s of r.shards) expect(perShard.get(s), `${folder} ${s}`).toBe(summary.model_files.find((f) => f.name === s)?.tensor_count);
    }
  });

  it("medgemma: total_parameters disagrees with total_size / 2 by exactly one vocab x hidden matrix", () => {
    const folder = "google__medgemma-27b-it";
    const r = parseSafetensorsIndex(new Uint8Array(readFileSync(corpusPath(folder, "model.safetensors.index.json"))), {
      file: "model.safetensors.index.json",
      model: "google/medgemma-27b-it",
    });
    expect(r.totalParameters).toBe(28_842_036_848);
    expect(r.totalSize).toBe(54_864_813_280);
    const config = readCorpusJson<{ torch_dtype: string; text_config: { vocab_size: number; hidden_size: number } }>(folder);
    const dtype = dtypeFromTorch(config.torch_dtype);
    expect(dtype).toBe("BF16");
    const f = checkIndexTotals(r, dtype!);
    expect(f).toEqual([
      {
        severity: "warning",
        code: "index_totals_inconsistent",
        message:
          "metadata.total_parameters is 28842036848 but total_size 54864813280 / 2 bytes per BF16 element = 27432406640; difference 1409630208",
        file: "model.safetensors.index.json",
        key: "total_parameters",
      },
    ]);
    // 1,409,630,208 = 262,208 x 5,376: the text embedding (tied lm_head) counted once more than stored.
    expect(config.text_config.vocab_size * config.text_config.hidden_size).toBe(1_409_630_208);
    // SmolLM3 and Devstral, the other indexes with total_parameters, are exact BF16
    for (const other of ["HuggingFaceTB__SmolLM3-3B", "mistralai__Devstral-Small-2507"]) {
      const o = parseSafetensorsIndex(new Uint8Array(readFileSync(corpusPath(other, "model.safetensors.index.json"))), { file: "i" });
      expect(checkIndexTotals(o, "BF16"), other).toEqual([]);
    }
  });

  it("total_size against the exact shard sizes (lfs_pointer_sizes.tsv)", () => {
    const results: Record<string, string[]> = {};
    for (const p of st) {
      const folder = path.basename(path.dirname(p));
      const sizes = corpusShardSizes(folder);
      if (sizes.size === 0) continue;
      const r = parseSafetensorsIndex(new Uint8Array(readFileSync(p)), { file: "model.safetensors.index.json" });
      results[folder] = codes(checkIndexAgainstFileSizes(r, sizes));
    }
    expect(Object.keys(results).length).toBeGreaterThanOrEqual(10);
    for (const [folder, c] of Object.entries(results)) {
      // Cosmos-Reason2's total_size of 0 would leave 17.5 GB of "headers" in 4 shards
      expect(c, folder).toEqual(folder === "nvidia__Cosmos-Reason2-8B" ? ["index_total_size_too_small"] : []);
    }
  });

  it("PANDASANG1231: the 4 real shard headers agree with the index", () => {
    const folder = "PANDASANG1231__llama-3.2-3B-per-tensor-shards";
    const r = parseSafetensorsIndex(new Uint8Array(readFileSync(corpusPath(folder, "model.safetensors.index.json"))), { file: "model.safetensors.index.json" });
    const files = readdirSync(corpusPath(folder)).filter((f) => f.endsWith(".safetensors"));
    const headers = files.map((f) => ({ file: f, tensors: parseSafetensorsFile(new Uint8Array(readFileSync(corpusPath(folder, f))), { file: f }).tensors }));
    const f = validateIndexAgainstHeaders(r, headers);
    // Only the 250 shards we do not have; nothing is missing, misplaced or unlisted.
    expect(new Set(codes(f))).toEqual(new Set(["index_shard_not_read"]));
    expect(f.filter((x) => x.severity === "error")).toEqual([]);
    expect(f.at(-1)?.message).toContain("250 in all");
    // The same check restricted to the 4 shards we have is clean.
    const sub = { ...r, shards: r.shards.filter((s) => files.includes(s)), weightMap: new Map([...r.weightMap].filter(([, s]) => files.includes(s))), totalSize: null };
    expect(validateIndexAgainstHeaders(sub, headers)).toEqual([]);
  });
});
