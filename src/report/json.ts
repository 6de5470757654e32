/**
 * The results file as JSON: canonical output (2-space indent, keys in the order of the types in
 * report/types.ts and the contracts it includes, record keys sorted, unknown keys after the
 * known ones in sorted order, a final newline) and a validating reader that says which file is
 * wrong and what to do.
 */
import { FEATURE_REGISTRY, SCALE_REGISTRY } from "../fingerprint/features.js";
import { StandinError } from "../util/errors.js";
import { RESULTS_SCHEMA, type Results } from "./types.js";

type Shape =
  | { kind: "object"; keys: readonly string[]; fields?: Readonly<Record<string, Shape>> }
  | { kind: "array"; items: Shape }
  | { kind: "record"; values: Shape }
  | { kind: "any" };

const ANY: Shape = { kind: "any" };
const obj = (keys: readonly string[], fields: Record<string, Shape> = {}): Shape => ({ kind: "object", keys, fields });
const arr = (items: Shape): Shape => ({ kind: "array", items });
const rec = (values: Shape = ANY): Shape => ({ kind: "record", values });

const ERROR_INFO = obj(["code", "message", "model", "file", "hint"]);
const FINDING = obj(["severity", "code", "message", "file", "tensor", "key"]);
const REASON = obj(["feature", "group", "label", "proxy", "target", "blockGraph", "note"]);
const SCALE_RATIO = obj(["key", "label", "proxy", "target", "ratio"]);
const ISOMORPHISM = obj(["verdict", "keyOverlap", "phases", "notes"], { phases: obj(["keys", "substructure", "scaling"]) });
const COMPARISON_KEYS = ["target", "proxy", "verdict", "reasons", "extras", "unverified", "covered", "scale", "isomorphism", "error", "notes"];
const COMPARISON_FIELDS = { reasons: arr(REASON), extras: arr(REASON), unverified: arr(REASON), scale: arr(SCALE_RATIO), isomorphism: ISOMORPHISM };

const FINGERPRINT = obj(
  ["schema", "model", "status", "error", "source", "files", "tensorCount", "params", "weightBytes", "features", "scale", "ops", "kvCache", "weightFormat", "signature", "findings", "network"],
  {
    error: ERROR_INFO,
    source: obj(["kind", "repo", "revision", "sha", "format"]),
    files: arr(obj(["path", "kind", "size", "bytesRead", "headerLength", "tensorCount"])),
    params: obj(["total", "byDtype", "active", "from", "activeExcludingEmbedding", "buffers", "mtp"], { byDtype: rec() }),
    weightBytes: obj(["total", "byDtype", "estimated"], { byDtype: rec() }),
    features: obj(FEATURE_REGISTRY.map((f) => f.key)),
    scale: obj(SCALE_REGISTRY.map((s) => s.key)),
    kvCache: obj(["kind", "cachedLayers", "elementsPerTokenPerLayer", "bytesPerToken", "window", "windowedLayers", "shape"]),
    weightFormat: obj(["format", "storageDtype", "method", "bits", "groupSize", "blockSize", "scaleDtypes", "evidence", "options"], { options: rec() }),
    signature: obj(["keys", "kinds"], { keys: rec(obj(["shape", "dtype", "count", "kind"])), kinds: rec() }),
    findings: arr(FINDING),
    network: obj(["requests", "bytes", "cached"]),
  },
);

const HARDWARE = obj(
  ["gpuMemoryGB", "gpuClass", "tensorParallel", "weightBytes", "kvBytes", "totalBytes", "seqLen", "note", "perGpuBytes", "usableBytesPerGpu", "weightsEstimated", "alternatives"],
  { alternatives: arr(obj(["gpuMemoryGB", "gpuClass", "tensorParallel"])) },
);

const RESULTS = obj(["schema", "tool", "generatedAt", "manifest", "models", "integrity", "expectations", "pairs", "matrix", "plans", "gate", "network", "shard"], {
  tool: obj(["name", "version"]),
  manifest: obj(["path", "name", "engine", "lines", "tags"], {
    engine: obj(["name", "aliases", "supported"]),
    lines: rec(),
    tags: rec(),
  }),
  models: arr(FINGERPRINT),
  integrity: arr(obj(["model", "status", "findings", "counts", "reasons", "skipped"], { findings: arr(FINDING), counts: obj(["error", "warning", "info"]) })),
  expectations: arr(obj(["model", "key", "expected", "actual", "tolerance", "ok", "message"])),
  pairs: arr(obj([...COMPARISON_KEYS, "require", "ok", "line", "col"], COMPARISON_FIELDS)),
  matrix: arr(obj(["target", "proxy", "verdict", "uncovered", "isomorphism"])),
  plans: arr(
    obj(["target", "proxy", "proxyVerdict", "uncovered", "entries", "error", "targetWeightBytes", "proxyWeightBytes", "notes"], {
      uncovered: arr(REASON),
      entries: arr(obj(["level", "model", "reason", "features", "hardware"], { hardware: HARDWARE })),
    }),
  ),
  gate: obj(["failOn", "failures", "passed"], { failures: arr(obj(["reason", "subject", "message", "line", "col"])) }),
  network: obj(["requests", "bytes", "retries", "cacheHits"]),
});

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function sortedKeys(o: Record<string, unknown>): string[] {
  return Object.keys(o).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** A copy of `v` whose object keys follow `shape` (unknown keys sorted after the known ones). */
function canonical(v: unknown, shape: Shape): unknown {
  if (Array.isArray(v)) {
    const items = shape.kind === "array" ? shape.items : ANY;
    return v.map((x) => canonical(x, items));
  }
  if (!isPlainObject(v)) return v;
  const out: Record<string, unknown> = {};
  if (shape.kind === "object") {
    for (const k of shape.keys) if (k in v && v[k] !== undefined) out[k] = canonical(v[k], shape.fields?.[k] ?? ANY);
    const known = new Set(shape.keys);
    for (const k of sortedKeys(v)) if (!known.has(k) && v[k] !== undefined) out[k] = canonical(v[k], ANY);
    return out;
  }
  const values = shape.kind === "record" ? shape.values : ANY;
  for (const k of sortedKeys(v)) if (v[k] !== undefined) out[k] = canonical(v[k], values);
  return out;
}

/** Canonical pretty JSON of a results file (stable: same results, same bytes). */
export function toJson(results: Results): string {
  return `${JSON.stringify(canonical(results, RESULTS), null, 2)}\n`;
}

const ARRAYS = ["models", "integrity", "expectations", "pairs", "matrix", "plans"] as const;

/**
 * Parse and check a results file: the `schema` string and the basic shape. Throws a StandinError
 * (code "results_invalid") naming the file, with a hint, when it is not a standin results file
 * or has a version this standin does not read.
 */
export function parseResults(text: string, file: string): Results {
  const fail = (message: string, hint: string): never => {
    throw new StandinError("results_invalid", `${file}: ${message}`, { file, hint });
  };
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ""));
  } catch (e) {
    return fail(`not valid JSON (${(e as Error).message})`, "pass the results file written by `standin check --json` or the action's report-path");
  }
  if (!isPlainObject(data)) return fail("not a standin results file (the top level is not an object)", "pass the results file written by `standin check --json`");
  const schema = data.schema;
  if (typeof schema !== "string") return fail("not a standin results file (no `schema` field)", "pass the results file written by `standin check --json`");
  if (schema !== RESULTS_SCHEMA) {
    if (schema.startsWith("standin.results/")) {
      return fail(`unknown results version "${schema}" (this standin reads "${RESULTS_SCHEMA}")`, "re-run the check with this version of standin, or upgrade standin to read newer files");
    }
    if (schema.startsWith("standin.")) {
      return fail(`this is a "${schema}" file, not a results file`, "pass the results file written by `standin check --json`, not a fingerprint");
    }
    return fail(`not a standin results file (schema "${schema}")`, "pass the results file written by `standin check --json`");
  }
  const where = (k: string): string => `\`${k}\``;
  for (const k of ARRAYS) if (!Array.isArray(data[k])) fail(`${where(k)} is missing or not an array`, "the file is truncated or was edited; re-run the check");
  const tool = data.tool;
  if (!isPlainObject(tool) || typeof tool.version !== "string") fail(`${where("tool")} is missing or has no version`, "re-run the check");
  if (typeof data.generatedAt !== "string") fail(`${where("generatedAt")} is missing`, "re-run the check");
  if (data.manifest !== null && !isPlainObject(data.manifest)) fail(`${where("manifest")} must be an object or null`, "re-run the check");
  const gate = data.gate;
  if (!isPlainObject(gate) || !Array.isArray(gate.failures) || typeof gate.passed !== "boolean" || !Array.isArray(gate.failOn)) {
    fail(`${where("gate")} must have failOn, failures and passed`, "re-run the check");
  }
  const net = data.network;
  if (!isPlainObject(net) || typeof net.requests !== "number" || typeof net.bytes !== "number") fail(`${where("network")} is missing or malformed`, "re-run the check");
  if (data.shard !== null && typeof data.shard !== "string") fail(`${where("shard")} must be a string or null`, "re-run the check");
  const checkItems = (k: (typeof ARRAYS)[number], required: readonly string[]): void => {
    (data as Record<string, unknown[]>)[k]!.forEach((x, i) => {
      if (!isPlainObject(x)) fail(`${k}[${i}] is not an object`, "the file is truncated or was edited; re-run the check");
      for (const f of required) if (!(f in (x as Record<string, unknown>))) fail(`${k}[${i}] has no \`${f}\``, "the file is truncated or was edited; re-run the check");
    });
  };
  checkItems("models", ["model", "status", "source", "features"]);
  checkItems("integrity", ["model", "status", "findings"]);
  checkItems("pairs", ["target", "proxy", "verdict", "reasons", "require", "ok"]);
  checkItems("matrix", ["target", "proxy", "verdict"]);
  checkItems("plans", ["target", "entries"]);
  return data as unknown as Results;
}
