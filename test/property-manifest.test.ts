/**
 * Property tests, model-zoo.yaml (issue 6.1): generated manifests round-trip (ids, revisions,
 * sources, expectations, tags, names, pairs by id or name, engine); arbitrary text, mutated
 * manifests and YAML alias bombs only raise ManifestErrors, each problem with a position in the file.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { ManifestErrors, parseManifest } from "../src/manifest/load.js";
import type { Manifest } from "../src/manifest/types.js";
import { ManifestError } from "../src/util/errors.js";
import { CaseCounter, assertTyped, check, params, runs, same } from "./support/property-runs.js";

const counter = new CaseCounter("manifest");
afterAll(() => {
  console.log(counter.summary());
});

const FILE = "/zoo/model-zoo.yaml";

// ---------------------------------------------------------------------------------------------
// Generators

const part = fc.stringMatching(/^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,10}[A-Za-z0-9_])?$/).filter((s) => !s.includes("--") && !s.includes("..") && !s.endsWith(".git"));
const repoId = fc.tuple(fc.option(part, { nil: undefined }), part).map(([ns, n]) => (ns ? `${ns}/${n}` : n));
const sha = fc.stringMatching(/^[0-9a-f]{40}$/);
const branch = fc.oneof(fc.constantFrom("main", "v1.0", "refs/pr/3", "release-2", "dev/feature_x"), fc.stringMatching(/^[a-z][a-z0-9_-]{0,10}$/));
const SOURCES = ["auto", "config", "safetensors", "onnx", "gguf"] as const;

const genModel = fc.record({
  id: repoId,
  rev: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: branch }, { weight: 1, arbitrary: sha.map((s) => ({ sha: s })) }),
  source: fc.option(fc.constantFrom(...SOURCES), { nil: undefined }),
  params: fc.option(fc.oneof(fc.integer({ min: 1_000_000, max: 2_000_000_000_000 }), fc.constantFrom("8B", "8.03B", "70.6B", "135M", "1.5T", "600K")), { nil: undefined }),
  layers: fc.option(fc.integer({ min: 1, max: 512 }), { nil: undefined }),
  tolerance: fc.option(fc.constantFrom("1%", "0.5%", 0.02, "5%"), { nil: undefined }),
  tags: fc.option(fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { maxLength: 3 }), { nil: undefined }),
  name: fc.option(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/), { nil: undefined }),
  short: fc.boolean(),
});
type GenModel = typeof genModel extends fc.Arbitrary<infer T> ? T : never;

const genManifest = fc
  .record({
    models: fc.uniqueArray(genModel, { selector: (m) => m.id.toLowerCase(), minLength: 1, maxLength: 5 }),
    name: fc.option(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,10}$/), { nil: undefined }),
    defaults: fc.record({ revision: fc.option(branch, { nil: undefined }), source: fc.option(fc.constantFrom(...SOURCES), { nil: undefined }) }),
    pairSeeds: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom("FULL", "PARTIAL", "full", "partial_substitute", null), fc.boolean()), { maxLength: 5 }),
    engine: fc.option(fc.record({ name: fc.constantFrom("vllm", "sglang"), supported: fc.uniqueArray(fc.constantFrom("full_attention", "gqa", "rope.default", "moe"), { minLength: 1, maxLength: 3 }) }), { nil: undefined }),
  })
  .map((g) => {
    // names must be unique and must not be another model's id
    const ids = new Set(g.models.map((m) => m.id));
    const seen = new Set<string>();
    const models = g.models.map((m) => {
      if (m.name === undefined || seen.has(m.name) || ids.has(m.name)) return { ...m, name: undefined };
      seen.add(m.name);
      return m;
    });
    return { ...g, models };
  });
type GenManifest = typeof genManifest extends fc.Arbitrary<infer T> ? T : never;

function modelDoc(m: GenModel): unknown {
  const rev = typeof m.rev === "object" ? undefined : m.rev;
  const idText = typeof m.rev === "object" ? `${m.id}@${m.rev.sha}` : m.id;
  const simple = m.short && rev === undefined && m.source === undefined && m.params === undefined && m.layers === undefined && m.tags === undefined && m.name === undefined;
  if (simple) return idText;
  const out: Record<string, unknown> = { id: idText };
  if (rev !== undefined) out["revision"] = rev;
  if (m.source !== undefined) out["source"] = m.source;
  if (m.params !== undefined || m.layers !== undefined || m.tolerance !== undefined) {
    const e: Record<string, unknown> = {};
    if (m.params !== undefined) e["params"] = m.params;
    if (m.layers !== undefined) e["layers"] = m.layers;
    if (m.tolerance !== undefined) e["tolerance"] = m.tolerance;
    out["expect"] = e;
  }
  if (m.tags !== undefined) out["tags"] = m.tags;
  if (m.name !== undefined) out["name"] = m.name;
  return out;
}

function pairsOf(g: GenManifest): { target: string; proxy: string; require: string | null; byName: boolean }[] {
  const out: { target: string; proxy: string; require: string | null; byName: boolean }[] = [];
  const seen = new Set<string>();
  for (const [a, b, req, byName] of g.pairSeeds) {
    const t = g.models[a % g.models.length]!;
    const p = g.models[b % g.models.length]!;
    if (t.id === p.id || seen.has(`${t.id}\u0000${p.id}`)) continue;
    seen.add(`${t.id}\u0000${p.id}`);
    out.push({ target: byName && t.name ? t.name : t.id, proxy: byName && p.name ? p.name : p.id, require: req, byName });
  }
  return out;
}

const UNIT: Record<string, number> = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
function paramValue(p: number | string): number {
  if (typeof p === "number") return p;
  return Math.round(Number(p.slice(0, -1)) * UNIT[p.slice(-1)]!);
}

function check0(e: unknown): ManifestErrors {
  assertTyped(e, [ManifestErrors], "parseManifest");
  const me = e as ManifestErrors;
  check(me.problems.length > 0, "no problems listed");
  for (const p of me.problems) {
    check(p instanceof ManifestError, "a problem is not a ManifestError");
    check(p.path === FILE && Number.isInteger(p.line) && p.line >= 1 && Number.isInteger(p.col) && p.col >= 1, `bad position ${p.path}:${p.line}:${p.col}`);
    check(p.message.length > 0, "empty message");
  }
  return me;
}

function parseAny(text: string): Manifest | ManifestErrors {
  try {
    return parseManifest(text, FILE);
  } catch (e) {
    return check0(e);
  }
}

// ---------------------------------------------------------------------------------------------

describe("manifest: properties", () => {
  it("generated manifests round-trip", async () => {
    await counter.measure("round-trip of generated manifests", () =>
      fc.assert(
        fc.property(genManifest, fc.constantFrom("block", "flow"), (g, style) => {
          counter.hit();
          const pairs = pairsOf(g);
          const doc: Record<string, unknown> = { version: 1 };
          if (g.name !== undefined) doc["name"] = g.name;
          const defaults: Record<string, unknown> = {};
          if (g.defaults.revision !== undefined) defaults["revision"] = g.defaults.revision;
          if (g.defaults.source !== undefined) defaults["source"] = g.defaults.source;
          if (Object.keys(defaults).length) doc["defaults"] = defaults;
          doc["models"] = g.models.map(modelDoc);
          if (pairs.length) doc["pairs"] = pairs.map((p) => (p.require === null ? { target: p.target, proxy: p.proxy } : { target: p.target, proxy: p.proxy, require: p.require }));
          if (g.engine) doc["engine"] = g.engine;
          const text = stringify(doc, style === "flow" ? { collectionStyle: "flow" } : {});
          const r = parseAny(text);
          if (r instanceof ManifestErrors) throw new Error(`a valid manifest was refused:\n${text}\n${r.message}`);
          same(r.models.map((m) => m.id), g.models.map((m) => m.id), "ids");
          for (const [i, m] of g.models.entries()) {
            const got = r.models[i]!;
            const wantRev = typeof m.rev === "object" ? m.rev.sha : (m.rev ?? g.defaults.revision ?? "main");
            same(got.revision, wantRev, `revision of ${m.id}`);
            same(got.pinned, typeof m.rev === "object", `pinned ${m.id}`);
            same(got.repo, m.id, `repo ${m.id}`);
            same(got.source, m.source ?? g.defaults.source ?? "auto", `source ${m.id}`);
            same(got.tags, m.tags ?? [], `tags ${m.id}`);
            same(got.name, m.name, `name ${m.id}`);
            same(got.expect.layers, m.layers ?? null, `layers ${m.id}`);
            if (m.params !== undefined) check(Math.abs(got.expect.params! - paramValue(m.params)) <= 1, `params ${m.id}: ${got.expect.params} vs ${m.params}`);
            check(got.line >= 1 && got.col >= 1, "position");
          }
          const byNameToId = new Map(g.models.flatMap((m) => (m.name ? [[m.name, m.id] as const] : [])));
          same(
            r.pairs.map((p) => [p.target, p.proxy, p.require]),
            pairs.map((p) => [byNameToId.get(p.target) ?? p.target, byNameToId.get(p.proxy) ?? p.proxy, p.require === null ? null : p.require.toUpperCase().startsWith("FULL") ? "FULL" : "PARTIAL"]),
            "pairs",
          );
          same(r.engine.supported, g.engine?.supported ?? null, "engine.supported");
        }),
        params("manifest-roundtrip", runs(3_000)),
      ),
    );
  });

  it("arbitrary text, mutated manifests and alias bombs: ManifestErrors only, every problem positioned", async () => {
    const valid = genManifest.map((g) => stringify({ version: 1, models: g.models.slice(0, 3).map(modelDoc), pairs: pairsOf(g).filter((p) => g.models.slice(0, 3).some((m) => m.id === p.target || m.name === p.target)).map((p) => ({ target: p.target, proxy: p.proxy })) }));
    const edit = fc.record({ at: fc.nat(), del: fc.integer({ min: 0, max: 4 }), ins: fc.constantFrom("", ":", "- ", "[", "]", "{", "}", "\t", "&a ", "*a", "!!binary ", "? ", "|", ">", "'", '"', "\n  ", "\n", "---\n", "%YAML 1.2\n", "@", "\u0000", "\ufeff", "~", "<<: *a\n") });
    const bomb = fc.integer({ min: 2, max: 12 }).map((depth) => {
      const lines = ["version: 1", 'a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]'];
      for (let i = 1; i <= depth; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(", ")}]`);
      lines.push(`models: *a${depth}`);
      return lines.join("\n");
    });
    const text = fc.oneof(
      { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 80 }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => stringify(v)) },
      { weight: 5, arbitrary: fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 3 })).map(([t, edits]) => edits.reduce((s, e) => s.slice(0, e.at % (s.length + 1)) + e.ins + s.slice((e.at % (s.length + 1)) + e.del), t)) },
      { weight: 1, arbitrary: bomb },
      // deeper nesting (thousands of levels) is in hostile.test.ts: it costs ~25 ms a case
      { weight: 1, arbitrary: fc.nat({ max: 300 }).map((d) => `version: 1\nmodels: ${"[".repeat(d)}${"]".repeat(d)}`) },
    );
    await counter.measure("arbitrary and mutated text", () =>
      fc.assert(
        fc.property(text, (t) => {
          counter.hit();
          const t0 = performance.now();
          const r = parseAny(t);
          check(performance.now() - t0 < 2_000, "parse took more than 2 s");
          if (!(r instanceof ManifestErrors)) check(r.models.length >= 1, "a manifest without models was accepted");
        }),
        params("manifest-hostile", runs(7_000)),
      ),
    );
  }, 120_000);

  it(`ran at least ${runs().toLocaleString("en-US")} cases`, () => {
    expect(counter.total).toBeGreaterThanOrEqual(runs());
  });
});
