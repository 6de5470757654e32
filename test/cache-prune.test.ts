/**
 * DiskCache.pruneStaleRevisions: a cache persisted run after run keeps, for every repo the run used,
 * only the revisions it used; repos the run did not touch, and anything that is not a sha folder,
 * are left alone.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DiskCache } from "../src/net/cache.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "standin-prune-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const SHA = (c: string): string => c.repeat(40);
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("DiskCache.pruneStaleRevisions", () => {
  it("drops the old revisions of the repos this run used, and nothing else", async () => {
    const dir = path.join(tmp, "c1");
    const earlier = new DiskCache(dir);
    await earlier.put("org/model-a", SHA("1"), "config.json", "file", bytes("old a"));
    await earlier.put("org/model-a", SHA("2"), "config.json", "file", bytes("new a"));
    await earlier.putPack("org/model-a", SHA("1"), "headers", new Map([["x.safetensors", bytes("h")]]));
    await earlier.put("org/model-b", SHA("3"), "config.json", "file", bytes("b"));
    const repoA = path.join(dir, "v1", "org__model-a");
    mkdirSync(path.join(repoA, "not-a-sha"));
    writeFileSync(path.join(repoA, "not-a-sha", "keep"), "x");

    const run = new DiskCache(dir);
    expect(await run.get("org/model-a", SHA("2"), "config.json", "file")).toEqual(bytes("new a"));
    expect(await run.pruneStaleRevisions()).toBe(1);
    expect(readdirSync(repoA).sort()).toEqual([SHA("2"), "not-a-sha"]);
    expect(existsSync(path.join(dir, "v1", "org__model-b", SHA("3")))).toBe(true); // not used by this run: kept
    expect(await run.get("org/model-a", SHA("2"), "config.json", "file")).toEqual(bytes("new a"));
    expect(await new DiskCache(dir).get("org/model-a", SHA("1"), "config.json", "file")).toBeNull();
  });

  it("a run that wrote a new revision keeps it, and a cache without a folder prunes nothing", async () => {
    const dir = path.join(tmp, "c2");
    await new DiskCache(dir).put("org/m", SHA("a"), "config.json", "file", bytes("1"));
    const run = new DiskCache(dir);
    await run.put("org/m", SHA("b"), "config.json", "file", bytes("2"));
    expect(await run.pruneStaleRevisions()).toBe(1);
    expect(readdirSync(path.join(dir, "v1", "org__m"))).toEqual([SHA("b")]);
    expect(await new DiskCache(null).pruneStaleRevisions()).toBe(0);
    expect(await new DiskCache(path.join(tmp, "absent")).pruneStaleRevisions()).toBe(0);
  });
});

describe("DiskCache held writes (a cold check writes once the network is done)", () => {
  const files = (dir: string): string[] => {
    const out: string[] = [];
    const walk = (d: string): void => {
      if (!existsSync(d)) return;
      for (const e of readdirSync(d, { withFileTypes: true })) {
        if (e.isDirectory()) walk(path.join(d, e.name));
        else out.push(e.name);
      }
    };
    walk(dir);
    return out.sort();
  };

  it("keeps entries in memory (reads see them, no file yet), then writes them all on release; later writes go out at once", async () => {
    const dir = path.join(tmp, "held1");
    const c = new DiskCache(dir);
    c.holdWrites();
    const body = bytes("config bytes");
    await c.put("org/m", SHA("a"), "config.json", "file", body);
    await c.putPack("org/m", SHA("a"), "headers", new Map([["model.safetensors", bytes("hdr")]]));
    expect(files(dir)).toEqual([]);
    // the caller hands its buffer on (a transfer to a worker detaches it): the held copy is unaffected,
    // also for a Buffer (whose slice() is a view)
    const buf = Buffer.alloc(4, 7);
    await c.put("org/m", SHA("a"), "index.json", "file", buf);
    structuredClone(body.buffer, { transfer: [body.buffer as ArrayBuffer] });
    structuredClone(buf.buffer, { transfer: [buf.buffer as ArrayBuffer] });
    expect(body.byteLength).toBe(0);
    expect(buf.byteLength).toBe(0);
    expect(await c.get("org/m", SHA("a"), "index.json", "file")).toEqual(new Uint8Array([7, 7, 7, 7]));
    expect(await c.get("org/m", SHA("a"), "config.json", "file")).toEqual(bytes("config bytes"));
    expect(await c.getPack("org/m", SHA("a"), "headers")).toEqual(new Map([["model.safetensors", bytes("hdr")]]));
    expect(await new DiskCache(dir).get("org/m", SHA("a"), "config.json", "file")).toBeNull();

    await c.releaseWrites();
    const after = new DiskCache(dir);
    expect(await after.get("org/m", SHA("a"), "config.json", "file")).toEqual(bytes("config bytes"));
    expect(await after.getPack("org/m", SHA("a"), "headers")).toEqual(new Map([["model.safetensors", bytes("hdr")]]));
    expect(files(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);

    await c.put("org/m", SHA("a"), "other.json", "file", bytes("now"));
    expect(await new DiskCache(dir).get("org/m", SHA("a"), "other.json", "file")).toEqual(bytes("now"));
  });

  it("a second release (the end of the run) waits for the writing the first one started; the last put of an entry wins", async () => {
    const dir = path.join(tmp, "held2");
    const c = new DiskCache(dir);
    c.holdWrites();
    for (let i = 0; i < 40; i++) await c.put("org/m", SHA("b"), `f${i}.json`, "file", bytes(`v${i}`));
    await c.put("org/m", SHA("b"), "f0.json", "file", bytes("last"));
    void c.releaseWrites();
    await c.releaseWrites();
    const after = new DiskCache(dir);
    for (let i = 1; i < 40; i++) expect(await after.get("org/m", SHA("b"), `f${i}.json`, "file")).toEqual(bytes(`v${i}`));
    expect(await after.get("org/m", SHA("b"), "f0.json", "file")).toEqual(bytes("last"));
  });

  it("past its bound (holdWrites(maxBytes)) everything held is written and later writes go out at once", async () => {
    const dir = path.join(tmp, "held3");
    const c = new DiskCache(dir);
    c.holdWrites(10);
    await c.put("org/m", SHA("d"), "a.json", "file", bytes("12345"));
    expect(files(dir)).toEqual([]);
    await c.putPack("org/m", SHA("d"), "headers", new Map([["x.safetensors", bytes("123456")]])); // 11 bytes held: over
    // no longer holding: the next write is on disk when put returns
    await c.put("org/m", SHA("d"), "b.json", "file", bytes("b"));
    expect(await new DiskCache(dir).get("org/m", SHA("d"), "b.json", "file")).toEqual(bytes("b"));
    await c.releaseWrites(); // waits for the writing the bound started
    const after = new DiskCache(dir);
    expect(await after.get("org/m", SHA("d"), "a.json", "file")).toEqual(bytes("12345"));
    expect(await after.getPack("org/m", SHA("d"), "headers")).toEqual(new Map([["x.safetensors", bytes("123456")]]));
  });

  it("entries being written after a release are still read from memory (no miss between release and rename)", async () => {
    const dir = path.join(tmp, "held4");
    const c = new DiskCache(dir);
    c.holdWrites();
    for (let i = 0; i < 200; i++) await c.put("org/m", SHA("e"), `f${i}.json`, "file", bytes(`v${i}`));
    await c.putPack("org/m", SHA("e"), "headers", new Map([["x.safetensors", bytes("hdr")]]));
    const released = c.releaseWrites(); // 4 writes at a time: most entries are not on disk yet
    const reads = await Promise.all(Array.from({ length: 200 }, (_, i) => c.get("org/m", SHA("e"), `f${i}.json`, "file")));
    expect(reads.map((r) => (r ? Buffer.from(r).toString() : null))).toEqual(Array.from({ length: 200 }, (_, i) => `v${i}`));
    expect(await c.getPack("org/m", SHA("e"), "headers")).toEqual(new Map([["x.safetensors", bytes("hdr")]]));
    await released;
    // a direct write replaces what was being written
    await c.put("org/m", SHA("e"), "f1.json", "file", bytes("new"));
    expect(await c.get("org/m", SHA("e"), "f1.json", "file")).toEqual(bytes("new"));
    expect(await new DiskCache(dir).get("org/m", SHA("e"), "f199.json", "file")).toEqual(bytes("v199"));
  });

  it("a cache without a folder holds nothing", async () => {
    const c = new DiskCache(null);
    c.holdWrites();
    await c.put("org/m", SHA("c"), "config.json", "file", bytes("x"));
    expect(await c.get("org/m", SHA("c"), "config.json", "file")).toBeNull();
    await c.releaseWrites();
  });
});
