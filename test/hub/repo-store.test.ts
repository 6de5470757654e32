import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  RepoStore,
  dtypeBits,
  encodeSafetensorsHeader,
  gitBlobOid,
  globToRegExp,
  lfsPointer,
  readSafetensorsHeaderFromDisk,
  tensorBytes,
} from "./repo-store.js";

let root: string;
let store: RepoStore;

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "standin-store-"));
  store = new RepoStore(root);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("safetensors encoding", () => {
  it("uses the dtype bit sizes of the format (F4=4, F6=6, 8/16/32/64)", () => {
    expect(dtypeBits("F4")).toBe(4);
    expect(dtypeBits("F6_E2M3")).toBe(6);
    for (const d of ["BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2", "F8_E8M0"]) expect(dtypeBits(d)).toBe(8);
    for (const d of ["F16", "BF16", "I16", "U16"]) expect(dtypeBits(d)).toBe(16);
    for (const d of ["F32", "I32", "U32"]) expect(dtypeBits(d)).toBe(32);
    for (const d of ["F64", "I64", "U64", "C64"]) expect(dtypeBits(d)).toBe(64);
    expect(() => dtypeBits("I4")).toThrow(/unknown/);
    expect(tensorBytes({ dtype: "F4", shape: [1, 2] })).toBe(1);
    expect(() => tensorBytes({ dtype: "F4", shape: [1, 3] })).toThrow(/whole number/);
    expect(tensorBytes({ dtype: "F6_E3M2", shape: [4] })).toBe(3);
    expect(tensorBytes({ dtype: "BF16", shape: [] })).toBe(2); // rank-0 scalar = 1 element
    expect(tensorBytes({ dtype: "F32", shape: [0, 5] })).toBe(0);
  });

  it("writes __metadata__ first, contiguous offsets in order, space padding to a multiple of 8", () => {
    const enc = encodeSafetensorsHeader(
      [
        { name: "b", dtype: "BF16", shape: [3] },
        { name: "a", dtype: "F32", shape: [2, 2] },
      ],
      {},
    );
    const n = Number(enc.bytes.readBigUInt64LE(0));
    expect(n).toBe(enc.headerLength);
    expect(n % 8).toBe(0);
    const text = enc.bytes.subarray(8).toString("utf8");
    expect(text.startsWith('{"__metadata__":{"format":"pt"},"b":')).toBe(true);
    expect(text.trimEnd().length).toBe(enc.jsonLength);
    expect(/^ *$/.test(text.slice(enc.jsonLength))).toBe(true);
    const h = JSON.parse(text) as Record<string, { data_offsets: number[] }>;
    expect(h.b!.data_offsets).toEqual([0, 6]);
    expect(h.a!.data_offsets).toEqual([6, 22]);
    expect(enc.dataBytes).toBe(22);
  });

  it("hits an exact file size by padding the header, and refuses sizes that cannot hold the JSON", () => {
    const t = [{ name: "w", dtype: "BF16", shape: [4, 4] }];
    const enc = encodeSafetensorsHeader(t, { fileSize: 1001 });
    expect(8 + enc.headerLength + enc.dataBytes).toBe(1001);
    expect(enc.headerLength % 8).not.toBe(0); // exact sizes need not be aligned
    expect(() => encodeSafetensorsHeader(t, { fileSize: 60 })).toThrow(/header JSON needs/);
    const noMd = encodeSafetensorsHeader(t, { metadata: null });
    expect(noMd.bytes.subarray(8).toString().startsWith('{"w":')).toBe(true);
  });
});

describe("RepoStore", () => {
  it("creates repo.json with defaults and commit dirs", () => {
    const repo = store.repo("acme/defaults");
    const j = repo.json();
    expect(j).toMatchObject({ gated: false, private: false, disabled: false, authorized: [], refs: {} });
    expect(j.lfs).toEqual(["*.safetensors", "*.gguf", "*.onnx_data", "*.bin", "*.onnx"]);
    expect(JSON.parse(readFileSync(path.join(root, "acme/defaults/repo.json"), "utf8")).gated).toBe(false);
    store.repo("acme/defaults", { gated: "manual", authorized: ["hf_x"] });
    expect(repo.json().gated).toBe("manual");
    expect(store.list()).toContain("acme/defaults");
    expect(store.get("acme/nope")).toBeNull();
    expect(() => store.repo("../evil")).toThrow(/invalid repo id/);
  });

  it("writes sparse multi-GB safetensors that cost nothing on disk", () => {
    const repo = store.repo("acme/sparse");
    const c = repo.commit();
    const r = c.writeSafetensors("model.safetensors", [{ name: "w", dtype: "BF16", shape: [65536, 65536] }], { fileSize: 8_589_934_592 + 8 + 200 });
    const sha = c.finish();
    const file = repo.filePath(sha, "model.safetensors");
    const st = statSync(file);
    expect(st.size).toBe(8_589_934_592 + 208);
    expect(st.blocks * 512).toBeLessThan(1024 * 1024);
    expect(r.headerLength).toBe(200);
    const h = readSafetensorsHeaderFromDisk(file)!;
    expect((h.w as { shape: number[] }).shape).toEqual([65536, 65536]);
    const e = repo.files(sha)["model.safetensors"]!;
    expect(e.lfs?.size).toBe(st.size);
    expect(e.lfs?.oid).toMatch(/^[0-9a-f]{64}$/);
    // the git oid of an LFS file is the sha1 of its pointer text
    expect(e.oid).toBe(gitBlobOid(Buffer.from(lfsPointer(e.lfs!.oid, e.size))));
    expect(e.lfs?.pointerSize).toBe(Buffer.byteLength(lfsPointer(e.lfs!.oid, e.size)));
  });

  it("uses real git blob oids for small files and carries parent files into new commits", () => {
    const repo = store.repo("acme/history");
    const c1 = repo.commit({ message: "first" });
    c1.writeFile("README.md", "hello\n");
    c1.writeJson("config.json", { model_type: "llama" });
    const s1 = c1.finish();
    expect(repo.files(s1)["README.md"]!.oid).toBe("ce013625030ba8dba906f756967f9e9ca394464a"); // git hash-object
    const c2 = repo.commit({ message: "second" });
    c2.writeFile("README.md", "changed\n");
    c2.writeRaw("weird.safetensors", Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]));
    const s2 = c2.finish({ tags: ["v1.0"] });
    expect(repo.commitInfo(s2).parent).toBe(s1);
    expect(Object.keys(repo.files(s2)).sort()).toEqual(["README.md", "config.json", "weird.safetensors"]);
    expect(repo.readFile(s1, "README.md").toString()).toBe("hello\n"); // parent untouched (no write through hard links)
    expect(repo.readFile(s2, "README.md").toString()).toBe("changed\n");
    expect(repo.lastCommitOf(s2, "config.json").sha).toBe(s1);
    expect(repo.lastCommitOf(s2, "README.md").sha).toBe(s2);
    repo.setRef("refs/pr/1", s1);
    expect(repo.resolveRevision("HEAD")).toBe(s2);
    expect(repo.resolveRevision("main")).toBe(s2);
    expect(repo.resolveRevision("v1.0")).toBe(s2);
    expect(repo.resolveRevision("refs/pr/1")).toBe(s1);
    expect(repo.resolveRevision(s1)).toBe(s1);
    expect(repo.resolveRevision("nope")).toBeNull();
    expect(repo.history(s2).map((c) => c.message)).toEqual(["second", "first"]);
  });

  it("derives deterministic commit shas from the content", () => {
    const mk = (dir: string) => {
      const s = new RepoStore(dir);
      const c = s.repo("acme/det").commit();
      c.writeJson("config.json", { a: 1 });
      return c.finish();
    };
    const d1 = mkdtempSync(path.join(os.tmpdir(), "standin-det-"));
    const d2 = mkdtempSync(path.join(os.tmpdir(), "standin-det-"));
    try {
      expect(mk(d1)).toBe(mk(d2));
    } finally {
      rmSync(d1, { recursive: true, force: true });
      rmSync(d2, { recursive: true, force: true });
    }
  });

  it("matches LFS globs like .gitattributes", () => {
    expect(globToRegExp("*.safetensors").test("sub/dir/model.safetensors")).toBe(true);
    expect(globToRegExp("*.bin").test("model.binx")).toBe(false);
    expect(globToRegExp("onnx/*.onnx").test("onnx/model.onnx")).toBe(true);
    expect(globToRegExp("onnx/*.onnx").test("x/onnx/model.onnx")).toBe(false);
  });
});
