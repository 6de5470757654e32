/**
 * Endpoint discovery (ParamAtlas parity): which model does an OpenAI-compatible server (vLLM,
 * SGLang, TGI's OpenAI layer...) serve, and where can standin fingerprint it from?
 *
 * `GET {base}/v1/models` answers `{object: "list", data: [{id, object: "model", root, max_model_len,
 * owned_by, parent, ...}]}`. The served model is the first id that does not contain "embed" (an
 * embedding model served next to the LLM), or the only one. Its `root` (the path or Hub id the
 * server loaded; `id` is only the served name, e.g. `--served-model-name`) maps to a source:
 *
 *   a Hub id ("meta-llama/Llama-3.1-8B-Instruct", "gpt2")            -> hub source at "main"
 *   a Hugging Face cache snapshot (".../models--org--name/snapshots/<sha>") -> hub source at that sha
 *   another absolute path ("/models/llama")                           -> local source
 *   anything else (a relative path, a free name)                      -> no source (the reason says why)
 *
 * The endpoint's answer is kept verbatim (`raw`) for the report. Errors are typed (EndpointError)
 * and name the URL: endpoint_bad_url, endpoint_unreachable, endpoint_http, endpoint_not_json,
 * endpoint_no_models.
 */
import type { FetchLayer } from "../net/fetch.js";
import { StandinError } from "../util/errors.js";
import type { SourceSpec } from "./index.js";

export type EndpointErrorCode = "endpoint_bad_url" | "endpoint_unreachable" | "endpoint_http" | "endpoint_not_json" | "endpoint_no_models";

export class EndpointError extends StandinError {
  readonly url: string;
  readonly status?: number;
  constructor(code: EndpointErrorCode, message: string, ctx: { url: string; status?: number; hint?: string; cause?: unknown }) {
    super(code, message, { hint: ctx.hint, cause: ctx.cause });
    this.url = ctx.url;
    this.status = ctx.status;
  }
}

export interface EndpointModel {
  id: string;
  root: string | null;
  maxModelLen: number | null;
  ownedBy: string | null;
  parent: string | null;
}

export type EndpointSource = { kind: "hub"; repo: string; revision: string } | { kind: "local"; path: string };

export interface DiscoveredEndpoint {
  /** The /v1/models URL that answered. */
  url: string;
  /** Served model id (the name clients send). */
  id: string;
  /** What the server loaded (Hub id or path), null when the server does not say. */
  root: string | null;
  maxModelLen: number | null;
  /** Every model listed. */
  models: EndpointModel[];
  /** Where to fingerprint the served model from, or null (see `note`). */
  source: EndpointSource | null;
  /** How `source` was derived, or why there is none. */
  note: string;
  /** The endpoint's answer, verbatim. */
  raw: unknown;
}

export interface DiscoverOptions {
  /** Bearer key for servers started with --api-key. */
  apiKey?: string;
  /** Pick this served id instead of the default choice. */
  model?: string;
  /** Response cap (default 4 MiB). */
  maxBytes?: number;
}

/** `http://host:8000`, `.../v1` or `.../v1/models` -> the /v1/models URL. */
export function modelsUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new EndpointError("endpoint_bad_url", `${JSON.stringify(url)} is not a URL`, { url, hint: "give the server's base URL, e.g. http://localhost:8000" });
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    throw new EndpointError("endpoint_bad_url", `${url}: only http(s) endpoints are supported`, { url });
  }
  let p = u.pathname.replace(/\/+$/, "");
  if (p.endsWith("/v1/models")) p = p.slice(0, -"/models".length);
  if (!p.endsWith("/v1")) p = `${p}/v1`;
  u.pathname = `${p}/models`;
  u.hash = "";
  return u.toString();
}

const HF_CACHE = /(?:^|\/)models--([^/]+?)--([^/]+)\/snapshots\/([0-9a-f]{40})(?:\/|$)/;
const HUB_ID = /^[A-Za-z0-9][\w.-]*(?:\/[\w.-]+)?$/;

/** Where a served model's `root` (or id) can be fingerprinted from. */
export function sourceFromRoot(root: string): { source: EndpointSource | null; note: string } {
  const r = root.trim();
  const cache = HF_CACHE.exec(r);
  if (cache) {
    const repo = `${cache[1]}/${cache[2]}`;
    return { source: { kind: "hub", repo, revision: cache[3]! }, note: `root is a Hugging Face cache snapshot: hub ${repo} at ${cache[3]}` };
  }
  if (r.startsWith("/") || /^[A-Za-z]:[\\/]/.test(r)) return { source: { kind: "local", path: r }, note: `root is an absolute path: local source ${r}` };
  if (r.startsWith("~") || r.startsWith("./") || r.startsWith("../") || r.includes("\\")) {
    return { source: null, note: `root ${JSON.stringify(r)} is a path relative to the server: pass the model's Hub id or an absolute path` };
  }
  if (HUB_ID.test(r) && !r.includes("..")) return { source: { kind: "hub", repo: r, revision: "main" }, note: `root is a Hub id: hub ${r}` };
  return { source: null, note: `root ${JSON.stringify(r)} is neither a Hub id nor an absolute path` };
}

function str(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

/** The served model: the requested one, else the first id without "embed", else the only one. */
export function chooseServedModel(models: readonly EndpointModel[], wanted?: string): EndpointModel | null {
  if (wanted) return models.find((m) => m.id === wanted) ?? null;
  if (models.length === 1) return models[0]!;
  return models.find((m) => !m.id.toLowerCase().includes("embed")) ?? null;
}

export async function discoverEndpoint(url: string, layer: FetchLayer, opts: DiscoverOptions = {}): Promise<DiscoveredEndpoint> {
  const target = modelsUrl(url);
  const headers: Record<string, string> = { accept: "application/json" };
  if (opts.apiKey) headers["authorization"] = `Bearer ${opts.apiKey}`;
  let res;
  try {
    res = await layer.request(target, { headers, throwOnError: false, maxBytes: opts.maxBytes ?? 4 * 1024 * 1024, scope: "endpoint" });
  } catch (err) {
    const e = err instanceof StandinError ? err : null;
    const status = (err as { status?: number }).status;
    if (status !== undefined) {
      throw new EndpointError("endpoint_http", `${target} answered HTTP ${status}${e ? ` (${e.message})` : ""}`, { url: target, status, cause: err });
    }
    throw new EndpointError("endpoint_unreachable", `${target} is unreachable${e ? `: ${e.message}` : err instanceof Error ? `: ${err.message}` : ""}`, {
      url: target,
      hint: "check the server URL and that the server is up",
      cause: err,
    });
  }
  if (res.status < 200 || res.status >= 300) {
    throw new EndpointError("endpoint_http", `${target} answered HTTP ${res.status}`, {
      url: target,
      status: res.status,
      hint: res.status === 401 || res.status === 403 ? "the server needs an API key" : res.status === 404 ? "is this an OpenAI-compatible server?" : undefined,
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8").decode(res.body));
  } catch (err) {
    throw new EndpointError("endpoint_not_json", `${target} did not answer JSON (${(err as Error).message})`, { url: target, cause: err, hint: "is this an OpenAI-compatible server?" });
  }
  const data = raw !== null && typeof raw === "object" && !Array.isArray(raw) ? (raw as Record<string, unknown>)["data"] : undefined;
  if (!Array.isArray(data)) {
    throw new EndpointError("endpoint_no_models", `${target} answered JSON without a "data" list of models`, { url: target });
  }
  const models: EndpointModel[] = [];
  for (const d of data) {
    if (d === null || typeof d !== "object" || Array.isArray(d)) continue;
    const o = d as Record<string, unknown>;
    const id = str(o["id"]);
    if (!id) continue;
    const len = o["max_model_len"] ?? o["context_length"] ?? o["max_context_length"];
    models.push({
      id,
      root: str(o["root"]),
      maxModelLen: typeof len === "number" && Number.isSafeInteger(len) && len > 0 ? len : null,
      ownedBy: str(o["owned_by"]),
      parent: str(o["parent"]),
    });
  }
  if (models.length === 0) throw new EndpointError("endpoint_no_models", `${target} lists no models`, { url: target, hint: "is a model loaded?" });
  const chosen = chooseServedModel(models, opts.model);
  if (!chosen) {
    throw new EndpointError(
      "endpoint_no_models",
      opts.model ? `${target} does not serve ${JSON.stringify(opts.model)} (it lists ${models.map((m) => m.id).join(", ")})` : `${target} lists only embedding models (${models.map((m) => m.id).join(", ")})`,
      { url: target },
    );
  }
  const { source, note } = sourceFromRoot(chosen.root ?? chosen.id);
  return {
    url: target,
    id: chosen.id,
    root: chosen.root,
    maxModelLen: chosen.maxModelLen,
    models,
    source,
    note: chosen.root ? note : `the server gives no root; ${note.replace(/^root/, "the served id")}`,
    raw,
  };
}

/** A SourceSpec (for createSource) from a discovered endpoint; null when it has no source. */
export function endpointSourceSpec(d: DiscoveredEndpoint, id = d.id): SourceSpec | null {
  if (!d.source) return null;
  if (d.source.kind === "local") return { id, repo: null, local: d.source.path, revision: "main" };
  return { id, repo: d.source.repo, local: null, revision: d.source.revision };
}
