import { readFileSync } from "node:fs";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import {
  HF_REPO_ID_PATTERN,
  MANIFEST_JSON_SCHEMA,
  MODEL_ID_PATTERN,
  REVISION_PATTERN,
  renderJsonSchema,
} from "../src/manifest/json-schema.js";
import type { JsonSchema } from "../src/manifest/json-schema.js";
import {
  MANIFEST_KEYS,
  ManifestErrors,
  checkManifest,
  closest,
  findModel,
  findModelLine,
  findPairLine,
  hfIdProblem,
  loadManifest,
  parseManifest,
  revisionProblem,
} from "../src/manifest/load.js";
import { UnitError, formatParamCount, formatTolerance, parseParamCount, parseTolerance } from "../src/manifest/units.js";
import { ManifestError, StandinError } from "../src/util/errors.js";
import { REPO_ROOT } from "./support/corpus.js";

const FIXTURES = path.join(REPO_ROOT, "test/fixtures/manifests");
const fixture = (name: string): string => path.join(FIXTURES, `${name}.yaml`);

async function problemsOf(name: string): Promise<ManifestError[]> {
  try {
    await loadManifest(fixture(name));
  } catch (err) {
    expect(err).toBeInstanceOf(ManifestErrors);
    return [...(err as ManifestErrors).problems];
  }
  throw new Error(`${name}.yaml loaded without problems`);
}

function problemsOfText(text: string, file = "/zoo/model-zoo.yaml"): ManifestError[] {
  const { manifest, problems } = checkManifest(text, file);
  expect(manifest === null).toBe(problems.length > 0);
  return problems;
}

interface Expected {
  line: number;
  col: number;
  key: string | undefined;
  /** Fragments of the message. */
  message: string[];
  /** Fragments of the hint. */
  hint?: string[];
}

/** Every error class: fixture -> the exact problems it must produce (position, key, message, hint). */
const CASES: Array<[string, Expected[]]> = [
  // YAML syntax
  ["syntax-error", [{ line: 5, col: 3, key: undefined, message: ["YAML syntax error", "Flow sequence"], hint: ["`[` or `{` is closed"] }]],
  ["syntax-tab-indent", [{ line: 3, col: 1, key: undefined, message: ["YAML syntax error", "Tabs"], hint: ["indent with spaces"] }]],
  ["multiple-documents", [{ line: 3, col: 1, key: undefined, message: ["YAML syntax error", "multiple documents"], hint: ["remove the `---`"] }]],
  ["duplicate-yaml-key", [{ line: 6, col: 5, key: "models[0].source", message: ["duplicate key `source`"], hint: ["also defined at line 4"] }]],
  // document shape and version
  ["empty", [{ line: 1, col: 1, key: undefined, message: ["the manifest is empty"], hint: ["version: 1"] }]],
  ["root-not-mapping", [{ line: 1, col: 1, key: undefined, message: ["expected a mapping with `version` and `models`", "got a list"] }]],
  ["missing-version", [{ line: 1, col: 1, key: "version", message: ["missing `version`"], hint: ["add `version: 1`"] }]],
  ["unsupported-version", [{ line: 1, col: 10, key: "version", message: ["unsupported manifest version 2"], hint: ["reads version 1"] }]],
  ["version-string", [{ line: 1, col: 10, key: "version", message: ["expected the number 1", 'got the string "1"'], hint: ["without quotes"] }]],
  // unknown keys at every level, with suggestions
  ["unknown-key-root", [{ line: 2, col: 1, key: "modles", message: ["unknown key `modles`"], hint: ["did you mean `models`?", "allowed here: version, name"] }]],
  ["unknown-key-defaults", [{ line: 3, col: 3, key: "defaults.revison", message: ["unknown key `revison`"], hint: ["did you mean `revision`?"] }]],
  ["unknown-key-model", [{ line: 4, col: 5, key: "models[0].revison", message: ["unknown key `revison`"], hint: ["did you mean `revision`?"] }]],
  ["misplaced-key-model", [{ line: 4, col: 5, key: "models[0].params", message: ["unknown key `params`"], hint: ["put it under `expect:`"] }]],
  ["unknown-key-expect", [{ line: 5, col: 7, key: "models[0].expect.param", message: ["unknown key `param`"], hint: ["did you mean `params`?"] }]],
  ["unknown-key-pair", [{ line: 6, col: 5, key: "pairs[0].requires", message: ["unknown key `requires`"], hint: ["did you mean `require`?"] }]],
  ["unknown-key-engine", [{ line: 5, col: 3, key: "engine.suported", message: ["unknown key `suported`"], hint: ["did you mean `supported`?"] }]],
  // wrong types
  ["wrong-type-tags", [{ line: 4, col: 11, key: "models[0].tags", message: ["expected a list of strings", 'got the string "llama"'], hint: ["tags: [llama]"] }]],
  [
    "wrong-type-misc",
    [
      { line: 2, col: 11, key: "defaults", message: ["expected a mapping", 'got the string "main"'] },
      { line: 5, col: 11, key: "models[0].name", message: ["got the number 8"], hint: ['name: "8"'] },
      { line: 6, col: 19, key: "models[0].tags[1]", message: ["expected a list of strings", "the number 2025"], hint: ['quote it: "2025"'] },
      { line: 7, col: 5, key: "models[1]", message: ["expected a model id or a mapping with `id`", "got a list"] },
    ],
  ],
  ["empty-models", [{ line: 2, col: 9, key: "models", message: ["the models list is empty"], hint: ["list at least one model"] }]],
  // model ids
  [
    "duplicate-model-id",
    [
      { line: 5, col: 9, key: "models[2].id", message: ["duplicate model id `Qwen/Qwen3-8B`"], hint: ["also defined at line 3"] },
      { line: 7, col: 5, key: "models[3]", message: ["duplicate model id `qwen/qwen3-0.6b`", "same as `Qwen/Qwen3-0.6B`", "case-insensitive"], hint: ["also defined at line 4"] },
    ],
  ],
  [
    "bad-hf-id",
    [
      { line: 3, col: 5, key: "models[0]", message: ["`meta llama/Llama-3.1-8B` is not a valid Hugging Face id", "contains a space"] },
      { line: 4, col: 5, key: "models[1]", message: ["has 2 `/`"], hint: ['"ns/name"'] },
      { line: 5, col: 9, key: "models[2].id", message: ["starts or ends with `-` or `.`"] },
      { line: 6, col: 9, key: "models[3].id", message: ["it is a URL"], hint: ["`meta-llama/Llama-3.1-8B`"] },
      { line: 7, col: 9, key: "models[4].id", message: ["looks like a path"], hint: ["local:./models/tiny"] },
      { line: 8, col: 9, key: "models[5].id", message: ["`--` and `..` are not allowed"] },
    ],
  ],
  ["hf-id-too-long", [{ line: 3, col: 5, key: "models[0]", message: ["the name is 97 characters", "at most 96"] }]],
  [
    "local-empty",
    [
      { line: 3, col: 9, key: "models[0].id", message: ["`local:` needs a path"], hint: ["relative to the manifest's directory"] },
      { line: 4, col: 5, key: "models[1]", message: ["`local:` needs a path"] },
      { line: 5, col: 5, key: "models[2]", message: ["read as a mapping", "space after `local:`"], hint: ["`- local:./models/tiny`"] },
    ],
  ],
  ["local-with-revision", [{ line: 4, col: 5, key: "models[0].revision", message: ["a local model has no revision"], hint: ["remove `revision:`"] }]],
  // revisions
  [
    "bad-revision",
    [
      { line: 3, col: 13, key: "defaults.revision", message: ["`my branch` is not a valid branch or tag name", "whitespace"], hint: ["40-hex commit sha"] },
      { line: 6, col: 15, key: "models[0].revision", message: ["`release..v2`", "contains `..`"] },
      { line: 8, col: 15, key: "models[1].revision", message: ["`b968826` looks like an abbreviated commit sha"], hint: ["all 40 hex digits"] },
      { line: 10, col: 15, key: "models[2].revision", message: ["cannot end with `.lock`"] },
    ],
  ],
  [
    "id-at-not-sha",
    [
      { line: 3, col: 5, key: "models[0]", message: ["must be followed by a full 40-hex commit sha", "got `main`"], hint: ["`revision: main`"] },
      { line: 4, col: 5, key: "models[1]", message: ["got `b968826`"], hint: ["all 40 hex digits"] },
    ],
  ],
  ["id-sha-conflict", [{ line: 4, col: 15, key: "models[0].revision", message: ["`revision: main` conflicts with `@0e9e39f249a1...`"], hint: ["keep one"] }]],
  // source and expectations
  ["bad-source", [{ line: 4, col: 13, key: "models[0].source", message: ["`safetensor` is not a source mode"], hint: ["did you mean `safetensors`?", "auto, config, safetensors, onnx, gguf"] }]],
  [
    "bad-params",
    [
      { line: 4, col: 23, key: "models[0].expect.params", message: ['"8 billion"', "one-letter suffix"], hint: ["8.03B"] },
      { line: 6, col: 23, key: "models[1].expect.params", message: ["must be positive", '"-3B"'] },
      { line: 8, col: 23, key: "models[2].expect.params", message: ['unknown suffix "X"', '"8X"'], hint: ["B for billion"] },
      { line: 10, col: 23, key: "models[3].expect.params", message: ["8 parameters is implausibly small"], hint: ['did you mean "8B"?'] },
    ],
  ],
  [
    "bad-layers",
    [
      { line: 4, col: 23, key: "models[0].expect.layers", message: ["expected a positive integer", "the number 0"] },
      { line: 6, col: 23, key: "models[1].expect.layers", message: ["the number 2.5"] },
      { line: 8, col: 23, key: "models[2].expect.layers", message: ['the string "64"'], hint: ["`layers: 64` without quotes"] },
    ],
  ],
  [
    "bad-tolerance",
    [
      { line: 4, col: 41, key: "models[0].expect.tolerance", message: ["must not be negative", '"-1%"'] },
      { line: 6, col: 40, key: "models[1].expect.tolerance", message: ['"150%" is more than 100%'] },
      { line: 8, col: 41, key: "models[2].expect.tolerance", message: ['cannot read tolerance "5 percent"'], hint: ['"1%"'] },
      { line: 10, col: 38, key: "models[3].expect.tolerance", message: ["tolerance is NaN"] },
      { line: 12, col: 41, key: "models[4].expect.tolerance", message: ["tolerance 5 is more than 100%"], hint: ['"5%"'] },
    ],
  ],
  // names
  [
    "bad-names",
    [
      { line: 6, col: 11, key: "models[1].name", message: ["duplicate name `qwen`"], hint: ["also used by `Qwen/Qwen3-8B` at line 3"] },
      { line: 8, col: 11, key: "models[2].name", message: ["name `Qwen/Qwen3-8B` is the id of another model"], hint: ["line 3"] },
    ],
  ],
  ["bad-hub", [{ line: 3, col: 8, key: "defaults.hub", message: ["the hub URL contains credentials"], hint: ["HF_TOKEN"] }]],
  // pairs
  [
    "pair-unknown-member",
    [
      { line: 6, col: 13, key: "pairs[0].target", message: ["target `meta-llama/Llama-3.1-70B` is not in `models`"], hint: ["close matches: `meta-llama/Llama-3.1-70B-Instruct`"] },
      { line: 7, col: 12, key: "pairs[0].proxy", message: ["proxy `Llama-3.1-8B-Instruct` is not in `models`"], hint: ["`meta-llama/Llama-3.1-8B-Instruct`"] },
    ],
  ],
  ["pair-self", [{ line: 7, col: 12, key: "pairs[0].proxy", message: ["the proxy is the target itself (`Qwen/Qwen3-8B`)"], hint: ["cannot stand in for itself"] }]],
  [
    "pair-duplicate",
    [
      { line: 8, col: 38, key: "pairs[1].proxy", message: ["proxy `Qwen/Qwen3-0.6B` is not in `models`"] },
      { line: 9, col: 5, key: "pairs[2]", message: ["duplicate pair", "`Qwen/Qwen3-8B` for `Qwen/Qwen3-32B`"], hint: ["also defined at line 7"] },
      { line: 10, col: 5, key: "pairs[3]", message: ["duplicate pair"], hint: ["also defined at line 7"] },
    ],
  ],
  ["pair-sha-mismatch", [{ line: 7, col: 12, key: "pairs[0].proxy", message: ["does not match the revision of `Qwen/Qwen3-8B`"], hint: ["reference it as `Qwen/Qwen3-8B`"] }]],
  [
    "bad-require",
    [
      { line: 4, col: 62, key: "pairs[0].require", message: ["a gate cannot require `NO_SUBSTITUTE`"], hint: ["omit `require`"] },
      { line: 5, col: 64, key: "pairs[1].require", message: ["`Partial` is not an accepted spelling"], hint: ["write `PARTIAL`"] },
      { line: 6, col: 63, key: "pairs[2].require", message: ["`EXACT` is not a verdict to require"], hint: ["FULL or PARTIAL"] },
    ],
  ],
  // engine
  [
    "bad-aliases",
    [
      { line: 6, col: 7, key: "engine.aliases[1]", message: ["needs at least two architecture classes", "got 1"] },
      { line: 7, col: 7, key: "engine.aliases[2]", message: ["expected an alias group", 'got the string "LlamaForCausalLM"'], hint: ["wrap each group in brackets"] },
      { line: 8, col: 26, key: "engine.aliases[3][1]", message: ["duplicate item `Qwen2ForCausalLM`"] },
      { line: 9, col: 29, key: "engine.aliases[4][1]", message: ["`not a class` is not a valid architecture class"] },
      { line: 10, col: 7, key: "engine.aliases[5]", message: ["`MistralForCausalLM` is already in the alias group at line 5"], hint: ["merge the two groups"] },
    ],
  ],
  [
    "bad-aliases-flat",
    [
      { line: 4, col: 12, key: "engine.aliases", message: ["expected a list of alias groups, got a flat list of classes"], hint: ["aliases: [[MistralForCausalLM, LlamaForCausalLM]]"] },
      { line: 5, col: 20, key: "engine.supported[1]", message: ["duplicate item `moe`"] },
    ],
  ],
  // all problems at once, in file order
  [
    "many-problems",
    [
      { line: 3, col: 11, key: "defaults.source", message: ["`safetensor` is not a source mode"] },
      { line: 6, col: 11, key: "models[0].tags", message: ["expected a list of strings"] },
      { line: 7, col: 23, key: "models[0].expect.params", message: ['"8 billion"'] },
      { line: 10, col: 13, key: "pairs[0].target", message: ["`Qwen/Qwen3-32B` is not in `models`"] },
    ],
  ],
];

describe("manifest errors (fixtures)", () => {
  it.each(CASES)("%s.yaml", async (name, expected) => {
    const problems = await problemsOf(name);
    const got = problems.map((p) => ({ line: p.line, col: p.col, key: p.key, message: p.message, hint: p.hint }));
    expect(got.map(({ line, col, key }) => ({ line, col, key }))).toEqual(expected.map(({ line, col, key }) => ({ line, col, key })));
    expected.forEach((e, i) => {
      const p = got[i]!;
      for (const f of e.message) expect(p.message).toContain(f);
      for (const f of e.hint ?? []) expect(p.hint).toContain(f);
      // every problem says what to do
      expect(p.hint ?? "").not.toBe("");
      expect(problems[i]!.path).toBe(fixture(name));
    });
  });

  it("every fixture is covered by a case", async () => {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync(FIXTURES).filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, ""));
    expect(files.sort()).toEqual(CASES.map(([n]) => n).sort());
  });

  it("throws one ManifestErrors whose message has one `path:line:col: key: message (hint)` line per problem", async () => {
    const err = await loadManifest(fixture("many-problems")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestErrors);
    expect(err).toBeInstanceOf(ManifestError);
    expect(err).toBeInstanceOf(StandinError);
    const e = err as ManifestErrors;
    expect(e.code).toBe("manifest");
    const lines = e.message.split("\n");
    expect(lines).toHaveLength(e.problems.length);
    expect(lines).toEqual(e.problems.map((p) => p.describe()));
    const file = fixture("many-problems");
    expect(lines[0]).toBe(
      `${file}:3:11: defaults.source: \`safetensor\` is not a source mode (did you mean \`safetensors\`? use one of auto, config, safetensors, onnx, gguf)`,
    );
    for (const l of lines) expect(l).toMatch(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: \\S`));
    expect(e.describe()).toBe(e.message);
    // the aggregate carries the first problem's position
    expect([e.line, e.col, e.key]).toEqual([3, 11, "defaults.source"]);
  });

  it("a missing file is a ManifestErrors too", async () => {
    const err = await loadManifest(path.join(FIXTURES, "no-such-file.yaml")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ManifestErrors);
    expect((err as ManifestErrors).message).toContain("file not found");
  });

  it("a misspelled required key is reported once, not also as missing", () => {
    const p = problemsOfText("version: 1\nmodels:\n  - idd: Qwen/Qwen3-8B\n");
    expect(p.map((x) => x.key)).toEqual(["models[0].idd"]);
    expect(p[0]!.hint).toContain("did you mean `id`?");
  });

  it("suggests the right key for synonyms and misplaced keys", () => {
    const p = problemsOfText("version: 1\nrevision: main\nmodels:\n  - repo: Qwen/Qwen3-8B\n    id: Qwen/Qwen3-8B\n");
    expect(p.map((x) => [x.key, x.hint?.split(";")[0]])).toEqual([
      ["revision", "`revision` goes under `defaults:` or on a model"],
      ["models[0].repo", "did you mean `id`? allowed here: id, name, revision, source, expect, tags"],
    ]);
  });

  it("is not fooled by keys that exist on Object.prototype", () => {
    const p = problemsOfText("version: 1\nconstructor: 1\nmodels:\n  - id: gpt2\n    toString: x\n  - a/b\npairs:\n  - { target: gpt2, proxy: a/b, require: constructor }\n");
    expect(p.map((x) => [x.key, x.message])).toEqual([
      ["constructor", "unknown key `constructor`"],
      ["models[0].toString", "unknown key `toString`"],
      ["pairs[0].require", "`constructor` is not a verdict to require"],
    ]);
  });

  it("does not echo credentials of a hub URL", () => {
    const p = problemsOfText("version: 1\ndefaults: { hub: 'https://me:hunter22@hub.example' }\nmodels: [gpt2]\n");
    expect(p).toHaveLength(1);
    expect(p[0]!.describe()).not.toContain("hunter22");
  });

  it("does not cascade: a pair naming an invalid model reports only the model", () => {
    const p = problemsOfText("version: 1\nmodels:\n  - id: Qwen/Qwen3-8B\n    revision: 'a b'\n  - Qwen/Qwen3-32B\npairs:\n  - { target: Qwen/Qwen3-32B, proxy: Qwen/Qwen3-8B }\n");
    expect(p.map((x) => x.key)).toEqual(["models[0].revision"]);
  });

  it("stops alias (*name) bombs", () => {
    const items = Array.from({ length: 10_050 }, () => "*t").join(", ");
    const p = problemsOfText(`version: 1\nmodels:\n  - id: gpt2\n    name: &t x\n    tags: [${items}]\n`);
    expect(p.some((x) => x.message.includes("too many alias"))).toBe(true);
  });
});

describe("the repo's model-zoo.yaml", () => {
  it("loads without problems", async () => {
    const m = await loadManifest(path.join(REPO_ROOT, "model-zoo.yaml"));
    expect(m.version).toBe(1);
    expect(m.models.length).toBeGreaterThanOrEqual(20);
    expect(m.pairs.length).toBeGreaterThanOrEqual(10);
    const llama = findModel(m, "meta-llama/Llama-3.1-8B-Instruct")!;
    expect(llama).toMatchObject({
      revision: "0e9e39f249a16976918f6564b8830bc894c89659",
      pinned: true,
      source: "safetensors",
      expect: { params: 8_030_000_000, layers: 32, tolerance: 0.01 },
      name: "llama-8b",
    });
    expect(findModel(m, "openai/gpt-oss-20b")!.expect.params).toBe(20_900_000_000);
    // pairs written with names resolve to ids
    expect(m.pairs).toContainEqual(expect.objectContaining({ target: "meta-llama/Llama-3.1-70B-Instruct", proxy: "meta-llama/Llama-3.1-8B-Instruct", require: "FULL" }));
    expect(m.pairs).toContainEqual(expect.objectContaining({ target: "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8", proxy: "meta-llama/Llama-3.1-8B-Instruct", require: "PARTIAL" }));
    expect(m.pairs).toContainEqual(expect.objectContaining({ target: "Qwen/Qwen3-235B-A22B", proxy: "Qwen/Qwen3-30B-A3B", require: "FULL" }));
    for (const p of m.pairs) {
      expect(findModel(m, p.target)).toBeDefined();
      expect(findModel(m, p.proxy)).toBeDefined();
    }
    expect(m.engine.aliases).toEqual([["MistralForCausalLM", "LlamaForCausalLM"]]);
    expect(m.engine.supported).toContain("mla");
  });

  it("validates against the published JSON schema", () => {
    const data: unknown = parseYaml(readFileSync(path.join(REPO_ROOT, "model-zoo.yaml"), "utf8"));
    expect(validate(MANIFEST_JSON_SCHEMA, data)).toEqual([]);
  });
});

describe("parsing", () => {
  const SHA = "0E9E39F249A16976918F6564B8830BC894C89659";

  it("splits id@sha into id and a lowercased pinned revision", () => {
    const m = parseManifest(`version: 1\nmodels:\n  - meta-llama/Llama-3.1-8B-Instruct@${SHA}\n  - id: Qwen/Qwen3-8B\n    revision: v1.0\n`, "/z/m.yaml");
    expect(m.models[0]).toMatchObject({
      id: "meta-llama/Llama-3.1-8B-Instruct",
      repo: "meta-llama/Llama-3.1-8B-Instruct",
      kind: "hub",
      revision: SHA.toLowerCase(),
      pinned: true,
    });
    expect(m.models[1]).toMatchObject({ id: "Qwen/Qwen3-8B", revision: "v1.0", pinned: false });
  });

  it("accepts id@sha with the same sha in revision", () => {
    const m = parseManifest(`version: 1\nmodels:\n  - id: gpt2@${SHA}\n    revision: ${SHA.toLowerCase()}\n`, "/z/m.yaml");
    expect(m.models[0]!.revision).toBe(SHA.toLowerCase());
  });

  it("applies defaults to shorthand entries", () => {
    const m = parseManifest("version: 1\ndefaults: { revision: refs/pr/3, source: config, hub: 'https://hf-mirror.com/' }\nmodels:\n  - gpt2\n  - Qwen/Qwen3-8B\n", "/z/m.yaml");
    expect(m.defaults).toEqual({ revision: "refs/pr/3", source: "config", hub: "https://hf-mirror.com" });
    expect(m.models.map((x) => [x.id, x.revision, x.source, x.tags, x.expect])).toEqual([
      ["gpt2", "refs/pr/3", "config", [], { params: null, layers: null, tolerance: 0.01 }],
      ["Qwen/Qwen3-8B", "refs/pr/3", "config", [], { params: null, layers: null, tolerance: 0.01 }],
    ]);
    expect(m.models[1]).toMatchObject({ line: 5, col: 5 });
    expect(m.pairs).toEqual([]);
    expect(m.engine).toEqual({ name: null, aliases: [], supported: null });
    expect(m.name).toBeUndefined();
  });

  it("defaults: revision main, source auto, no hub", () => {
    const m = parseManifest("version: 1\nmodels: [gpt2]\n", "m.yaml");
    expect(m.defaults).toEqual({ revision: "main", source: "auto", hub: null });
  });

  it("resolves local: paths against the manifest's directory", async () => {
    const m = parseManifest("version: 1\nmodels:\n  - local:./models/tiny\n  - id: local:../shared/big\n  - local:/abs/dir\n", "/work/repo/ci/model-zoo.yaml");
    expect(m.models.map((x) => [x.id, x.kind, x.local, x.repo, x.revision, x.pinned])).toEqual([
      ["local:./models/tiny", "local", "/work/repo/ci/models/tiny", null, null, false],
      ["local:../shared/big", "local", "/work/repo/shared/big", null, null, false],
      ["local:/abs/dir", "local", "/abs/dir", null, null, false],
    ]);
    // relative manifest paths resolve from the current directory
    const rel = parseManifest("version: 1\nmodels: [local:tiny]\n", "ci/zoo.yaml");
    expect(rel.models[0]!.local).toBe(path.resolve("ci/tiny"));
    // two spellings of one directory are one model
    const p = problemsOfText("version: 1\nmodels: [local:./tiny, local:tiny]\n");
    expect(p[0]!.message).toContain("same directory as `local:./tiny`");
  });

  it("resolves pair members by id, id@sha and name", () => {
    const text = [
      "version: 1",
      "models:",
      "  - Qwen/Qwen3-32B",
      "  - id: Qwen/Qwen3-8B",
      `    revision: ${SHA}`,
      "    name: qwen-8b",
      "  - Qwen/Qwen3-0.6B",
      "pairs:",
      "  - { target: Qwen/Qwen3-32B, proxy: qwen-8b, require: full_substitute }",
      `  - { target: Qwen/Qwen3-8B@${SHA.toLowerCase()}, proxy: Qwen/Qwen3-0.6B, require: PARTIAL_SUBSTITUTE }`,
      "  - { target: Qwen/Qwen3-32B, proxy: Qwen/Qwen3-0.6B, require: partial }",
      "  - { target: Qwen/Qwen3-0.6B, proxy: Qwen/Qwen3-32B }",
    ].join("\n");
    const m = parseManifest(text, "/z/m.yaml");
    expect(m.pairs.map((p) => [p.target, p.proxy, p.require, p.line])).toEqual([
      ["Qwen/Qwen3-32B", "Qwen/Qwen3-8B", "FULL", 9],
      ["Qwen/Qwen3-8B", "Qwen/Qwen3-0.6B", "PARTIAL", 10],
      ["Qwen/Qwen3-32B", "Qwen/Qwen3-0.6B", "PARTIAL", 11],
      ["Qwen/Qwen3-0.6B", "Qwen/Qwen3-32B", null, 12], // reverse direction is a different pair
    ]);
    expect(findModelLine(m, "qwen-8b")).toEqual({ line: 4, col: 5 });
    expect(findModelLine(m, `Qwen/Qwen3-8B@${SHA}`)).toEqual({ line: 4, col: 5 });
    expect(findModelLine(m, "Qwen/Qwen3-8B@0000000000000000000000000000000000000000")).toBeNull();
    expect(findModelLine(m, "nope/nope")).toBeNull();
    expect(findPairLine(m, "Qwen/Qwen3-32B", "qwen-8b")).toEqual({ line: 9, col: 5 });
  });

  it("treats empty collections as empty and keeps explicit nulls where allowed", () => {
    const m = parseManifest("version: 1\nname: ci\ndefaults:\nmodels:\n  - id: gpt2\n    tags:\n    expect:\n      params: ~\npairs:\nengine:\n  name: ~\n  aliases:\n", "/z/m.yaml");
    expect(m.name).toBe("ci");
    expect(m.models[0]!.tags).toEqual([]);
    expect(m.models[0]!.expect).toEqual({ params: null, layers: null, tolerance: 0.01 });
    expect(m.pairs).toEqual([]);
    expect(m.engine).toEqual({ name: null, aliases: [], supported: null });
  });

  it("follows YAML anchors and aliases, and strips a BOM; CRLF line ends keep positions", () => {
    const text = "\uFEFFversion: 1\r\nmodels:\r\n  - id: gpt2\r\n    tags: &t [small, gpt2]\r\n  - id: openai-community/gpt2-medium\r\n    tags: *t\r\n";
    const m = parseManifest(text, "/z/m.yaml");
    expect(m.models[1]).toMatchObject({ tags: ["small", "gpt2"], line: 5, col: 5 });
  });

  it("accepts every key the schema lists", () => {
    const text = `
version: 1
name: all-keys
defaults: { revision: main, source: auto, hub: https://huggingface.co }
models:
  - id: a/b
    name: ab
    revision: v1
    source: gguf
    expect: { params: "8,030,261,248", layers: 1, tolerance: 0.5% }
    tags: [x]
  - c/d
pairs:
  - { target: ab, proxy: c/d, require: FULL }
engine: { name: vllm, aliases: [[A, B]], supported: [moe] }
`;
    const m = parseManifest(text, "/z/m.yaml");
    expect(m.models[0]!.expect).toEqual({ params: 8_030_261_248, layers: 1, tolerance: 0.005 });
    expect(validate(MANIFEST_JSON_SCHEMA, parseYaml(text))).toEqual([]);
  });
});

describe("checks", () => {
  it("revisions follow git's ref rules", () => {
    for (const ok of ["main", "v1.0", "refs/pr/3", "refs/convert/parquet", "release-2024", "2024", "deadbeef", "a".repeat(40), "0e9e39f249a16976918f6564b8830bc894c89659"])
      expect(revisionProblem(ok), ok).toBeNull();
    for (const bad of ["", "a b", "a..b", "a~1", "a^", "a:b", "a?", "a*", "a[b", "a\\b", "/a", "a/", "a//b", ".a", "a/.b", "a.lock", "a.", "@", "a@{b", "b968826", "0e9e39f2"])
      expect(revisionProblem(bad), bad).not.toBeNull();
  });

  it("Hugging Face ids follow the Hub's rules", () => {
    for (const ok of ["gpt2", "Qwen/Qwen3-8B", "RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16", "a_b/c.d-e", `o/${"a".repeat(96)}`])
      expect(hfIdProblem(ok), ok).toBeNull();
    for (const bad of ["", "a b", "a/b/c", "/a", "a/", "-a/b", "a/b-", "a/.b", "a/b--c", "a/b..c", "a/b.git", "a/b:c", "a/b@c", `o/${"a".repeat(97)}`, "https://huggingface.co/a/b"])
      expect(hfIdProblem(bad), bad).not.toBeNull();
  });

  it("the schema's patterns agree with the loader's checks", () => {
    const rev = new RegExp(REVISION_PATTERN);
    const samples = ["main", "v1.0", "refs/pr/3", "a b", "a..b", "a~1", "/a", "a/", "a.lock", "a.", "@", "a@{b", ".a", "a" + "b".repeat(39), "0e9e39f249a16976918f6564b8830bc894c89659"];
    for (const s of samples) expect(rev.test(s), s).toBe(revisionProblem(s) === null);
    // abbreviated shas: valid ref names for git (the schema), rejected by the loader with a hint
    expect(rev.test("b968826")).toBe(true);
    const hf = new RegExp(HF_REPO_ID_PATTERN);
    const ids = ["gpt2", "Qwen/Qwen3-8B", "a b", "a/b/c", "-a/b", "a/b--c", "a/b.git", "a/b:c", `o/${"a".repeat(96)}`, `o/${"a".repeat(97)}`, "a_b/c.d"];
    for (const s of ids) expect(hf.test(s), s).toBe(hfIdProblem(s) === null);
    const mid = new RegExp(MODEL_ID_PATTERN);
    expect(["gpt2", "a/b@0e9e39f249a16976918f6564b8830bc894c89659", "local:./x", "local:/abs"].every((s) => mid.test(s))).toBe(true);
    expect(["a/b@main", "local:", "local:  ", "a b", "a/b.git@0e9e39f249a16976918f6564b8830bc894c89659"].some((s) => mid.test(s))).toBe(false);
  });

  it("closest() finds near keys and ids", () => {
    expect(closest("revison", MANIFEST_KEYS.model)).toEqual(["revision"]);
    expect(closest("Llama-3.1-8B-Instruct", ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B"])).toEqual(["meta-llama/Llama-3.1-8B-Instruct"]);
    expect(closest("zzz", ["models", "pairs"])).toEqual([]);
  });
});

describe("units", () => {
  it("parses parameter counts", () => {
    const cases: Array<[string | number, number]> = [
      ["8B", 8e9],
      ["8.03B", 8_030_000_000],
      ["410M", 410_000_000],
      ["1.2T", 1.2e12],
      ["70k", 70_000],
      ["70K", 70_000],
      ["8b", 8e9],
      ["0.6B", 600_000_000],
      [".5B", 500_000_000],
      ["135 M", 135_000_000],
      [8030261248, 8_030_261_248],
      ["8030261248", 8_030_261_248],
      ["8,030,261,248", 8_030_261_248],
      ["8_030_261_248", 8_030_261_248],
      ["20.9B", 20_900_000_000],
      ["116.83B", 116_830_000_000],
    ];
    for (const [input, want] of cases) expect(parseParamCount(input), String(input)).toBe(want);
  });

  it("rejects what is not a count", () => {
    for (const bad of ["8 billion", "-3B", "8X", "", "B", "8BB", "8,03", "1,0000", "0", "0B", "8.5", "abc", -1, 0, 8.5, Number.NaN, Infinity, 1e300])
      expect(() => parseParamCount(bad), String(bad)).toThrow(UnitError);
  });

  it("formats parameter counts", () => {
    expect(formatParamCount(8_030_261_248)).toBe("8.03B");
    expect(formatParamCount(70_553_706_496)).toBe("70.6B");
    expect(formatParamCount(410_000_000)).toBe("410M");
    expect(formatParamCount(1.2e12)).toBe("1.2T");
    expect(formatParamCount(70_000)).toBe("70k");
    expect(formatParamCount(999_700_000)).toBe("1B");
    expect(formatParamCount(999)).toBe("999");
    expect(formatParamCount(20_914_757_184)).toBe("20.9B");
    expect(formatParamCount(671e9)).toBe("671B");
  });

  it("round-trips: parse(format(n)) is within format's rounding, format(parse(s)) is s", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1000, max: 5e12 }), (n) => {
        const back = parseParamCount(formatParamCount(n));
        expect(Math.abs(back - n) / n).toBeLessThanOrEqual(0.005);
      }),
    );
    for (const s of ["8.03B", "410M", "1.2T", "70k", "8B", "671B", "1.24B", "135M"]) expect(formatParamCount(parseParamCount(s))).toBe(s);
  });

  it("parses tolerances", () => {
    expect(parseTolerance("1%")).toBe(0.01);
    expect(parseTolerance("0.5%")).toBe(0.005);
    expect(parseTolerance(0.01)).toBe(0.01);
    expect(parseTolerance("0.02")).toBe(0.02);
    expect(parseTolerance("100%")).toBe(1);
    expect(parseTolerance(0)).toBe(0);
    expect(parseTolerance("1.1%")).toBe(0.011);
    for (const bad of ["-1%", "150%", "5 percent", Number.NaN, -0.1, 1.5, "abc", "%"]) expect(() => parseTolerance(bad), String(bad)).toThrow(UnitError);
    expect(formatTolerance(0.01)).toBe("1%");
    expect(formatTolerance(parseTolerance("0.5%"))).toBe("0.5%");
  });
});

describe("JSON schema", () => {
  it("the committed schema/model-zoo.schema.json is the generated one (run: npx tsx scripts/gen-schema.ts)", () => {
    expect(readFileSync(path.join(REPO_ROOT, "schema/model-zoo.schema.json"), "utf8")).toBe(renderJsonSchema());
  });

  it("is draft-07 and every property has a description and examples", () => {
    expect(MANIFEST_JSON_SCHEMA.$schema).toBe("http://json-schema.org/draft-07/schema#");
    const missing: string[] = [];
    walkSchema(MANIFEST_JSON_SCHEMA, "", (p, s) => {
      if (!s.description) missing.push(`${p}: description`);
      if (!s.examples?.length) missing.push(`${p}: examples`);
      if (s.properties && s.additionalProperties !== false) missing.push(`${p}: additionalProperties`);
    });
    expect(missing).toEqual([]);
  });

  it("lists exactly the keys the loader accepts, at the same places", () => {
    const fromSchema = new Set<string>();
    walkSchema(MANIFEST_JSON_SCHEMA, "", (p, _s, isProperty) => {
      if (isProperty) fromSchema.add(p);
    });
    const where: Record<keyof typeof MANIFEST_KEYS, string> = {
      root: "",
      defaults: "defaults.",
      model: "models[].",
      expect: "models[].expect.",
      pair: "pairs[].",
      engine: "engine.",
    };
    const fromLoader = new Set(Object.entries(MANIFEST_KEYS).flatMap(([level, keys]) => keys.map((k) => `${where[level as keyof typeof MANIFEST_KEYS]}${k}`)));
    expect([...fromSchema].sort()).toEqual([...fromLoader].sort());
  });

  it("rejects what the loader rejects for shape problems", async () => {
    for (const name of ["unknown-key-root", "unknown-key-model", "unknown-key-expect", "unknown-key-pair", "unknown-key-engine", "wrong-type-tags", "bad-source", "bad-require", "empty-models", "bad-hf-id", "id-at-not-sha", "missing-version", "unsupported-version", "bad-aliases-flat", "local-empty"]) {
      const data: unknown = parseYaml(readFileSync(fixture(name), "utf8"));
      expect(validate(MANIFEST_JSON_SCHEMA, data), name).not.toEqual([]);
    }
    expect(validate(MANIFEST_JSON_SCHEMA, { version: 1, models: ["gpt2", { id: "a/b", tags: ["x"] }] })).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// A small draft-07 validator for the keywords json-schema.ts uses (no new dependency).

/** Visit every schema node; `path` uses "a.b", "models[]" for items; isProperty marks named properties. */
function walkSchema(s: JsonSchema, p: string, visit: (p: string, s: JsonSchema, isProperty: boolean) => void, isProperty = false): void {
  visit(p, s, isProperty);
  for (const [k, sub] of Object.entries(s.properties ?? {})) walkSchema(sub, p ? `${p}.${k}` : k, visit, true);
  if (s.items) walkSchema(s.items, `${p}[]`, visit);
  for (const sub of s.anyOf ?? []) walkSchema(sub, p, (pp, ss, isProp) => (pp === p && !isProp ? undefined : visit(pp, ss, isProp)));
}

function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number";
  return typeof v;
}

function validate(s: JsonSchema, v: unknown, at = "$"): string[] {
  const errs: string[] = [];
  if (s.anyOf) {
    const branches = s.anyOf.map((b) => validate(b, v, at));
    if (!branches.some((b) => b.length === 0)) errs.push(`${at}: no anyOf branch matches (${branches.map((b) => b[0]).join(" | ")})`);
  }
  if (s.type) {
    const types = Array.isArray(s.type) ? s.type : [s.type];
    const t = typeOf(v);
    if (!types.some((x) => x === t || (x === "number" && t === "integer"))) return [...errs, `${at}: expected ${types.join("|")}, got ${t}`];
  }
  if (s.const !== undefined && v !== s.const) errs.push(`${at}: expected ${JSON.stringify(s.const)}`);
  if (s.enum && !s.enum.includes(v as never)) errs.push(`${at}: not in enum`);
  if (typeof v === "string") {
    if (s.pattern && !new RegExp(s.pattern).test(v)) errs.push(`${at}: does not match ${s.pattern}`);
    if (s.minLength !== undefined && v.length < s.minLength) errs.push(`${at}: too short`);
  }
  if (typeof v === "number") {
    if (s.minimum !== undefined && v < s.minimum) errs.push(`${at}: < ${s.minimum}`);
    if (s.maximum !== undefined && v > s.maximum) errs.push(`${at}: > ${s.maximum}`);
  }
  if (Array.isArray(v)) {
    if (s.minItems !== undefined && v.length < s.minItems) errs.push(`${at}: fewer than ${s.minItems} items`);
    if (s.uniqueItems && new Set(v.map((x) => JSON.stringify(x))).size !== v.length) errs.push(`${at}: duplicate items`);
    if (s.items) v.forEach((x, i) => errs.push(...validate(s.items!, x, `${at}[${i}]`)));
  }
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const o = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in o)) errs.push(`${at}: missing ${r}`);
    for (const [k, x] of Object.entries(o)) {
      const sub = s.properties?.[k];
      if (sub) errs.push(...validate(sub, x, `${at}.${k}`));
      else if (s.additionalProperties === false) errs.push(`${at}: unknown ${k}`);
    }
  }
  return errs;
}
