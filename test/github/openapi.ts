/**
 * GitHub's published OpenAPI description (@octokit/openapi, api.github.com.json, OpenAPI 3.0.3) as a
 * request/response validator for the local GitHub server (server.ts) and for webhook payloads
 * (events.ts).
 *
 *   const v = new OpenApiValidator();            // the spec is loaded once per process, lazily
 *   v.match("GET", "/repos/o/r/issues/1/comments") // { operationId: "issues/list-comments", params }
 *   v.validateRequest({ method, path, query, body });
 *   v.validateResponse({ method, path }, { status, contentType, body });
 *   v.violations;                                // [{ operationId, where, errors }]
 *
 * OpenAPI 3.0 is not JSON Schema. Each schema is translated before ajv (8, draft-07) sees it:
 * - `nullable: true` becomes `type: [t, "null"]` (and `null` joins an `enum`); on a `$ref` or a
 *   composition without `type` it becomes `anyOf: [schema, {type: "null"}]`;
 * - `oneOf` becomes `anyOf` by default: GitHub's `oneOf`s overlap (the 409 of
 *   repos/create-or-update-file-contents is `oneOf: [basic-error, repository-rule-violation-error]`,
 *   neither has required properties, so every body matches both and a real `oneOf` always fails);
 * - `example`, `discriminator`, `xml`, `externalDocs`, `x-*`, `title`, `description` are dropped;
 * - `$ref: "#/components/schemas/x"` points at a per-component ajv schema added on first use, so
 *   compiling is lazy per operation and each compiled validator is cached;
 * - `x-github-breaking-changes` (JSON merge patches or JSON Patch arrays) are applied for the
 *   selected API version (`2026-03-10` removes e.g. `issue.assignee` and `repository.has_downloads`).
 *
 * Checks beyond what GitHub itself enforces (unknown query parameters, unknown top-level request
 * body fields, a body sent to an operation without requestBody) are reported as issues with
 * `lenient: true`: GitHub silently ignores them, which is exactly why a test should notice.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";

// ---------------------------------------------------------------------------------------------
// JSON types

export type Json = null | boolean | number | string | Json[] | JsonObject;
export interface JsonObject {
  [key: string]: Json;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function str(value: Json | undefined): string | undefined {
  return typeof value === "string" ? value : undefined;
}

function obj(value: Json | undefined): JsonObject | undefined {
  return isJsonObject(value) ? value : undefined;
}

function clone<T extends Json>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------------------------------------
// spec loading (once per process)

const require = createRequire(import.meta.url);
let specCache: JsonObject | undefined;

/** The parsed api.github.com description (~13 MB), loaded on first use and shared. */
export function loadSpec(): JsonObject {
  if (!specCache) {
    const file = require.resolve("@octokit/openapi/generated/api.github.com.json");
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    if (!isJsonObject(parsed) || !isJsonObject(parsed.paths)) throw new Error(`${file} is not an OpenAPI document`);
    specCache = parsed;
  }
  return specCache;
}

export const DEFAULT_API_VERSION = "2022-11-28";
/** Versions the description knows about: the default plus every `x-github-breaking-changes` version. */
export const API_VERSIONS: readonly string[] = [DEFAULT_API_VERSION, "2026-03-10"];

/** Follow a local `$ref` ("#/components/responses/not_found") through the spec. */
export function resolvePointer(ref: string): Json {
  if (!ref.startsWith("#/")) throw new Error(`unsupported $ref ${ref}`);
  let cur: Json = loadSpec();
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) cur = cur[Number(key)] ?? null;
    else if (isJsonObject(cur)) cur = cur[key] ?? null;
    else cur = null;
    if (cur === null) throw new Error(`dangling $ref ${ref}`);
  }
  return cur;
}

function deref(value: Json | undefined): Json | undefined {
  let cur = value;
  for (let i = 0; i < 10 && isJsonObject(cur) && typeof cur.$ref === "string"; i++) cur = resolvePointer(cur.$ref);
  return cur;
}

// ---------------------------------------------------------------------------------------------
// x-github-breaking-changes

function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isJsonObject(patch)) return clone(patch);
  const out: JsonObject = isJsonObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function jsonPatch(doc: Json, ops: Json[]): Json {
  const root = clone(doc);
  for (const op of ops) {
    if (!isJsonObject(op)) continue;
    const path = str(op.path);
    const kind = str(op.op);
    if (path === undefined || kind === undefined) continue;
    const parts = path.split("/").slice(1).map((p) => p.replace(/~1/g, "/").replace(/~0/g, "~"));
    const last = parts.pop();
    if (last === undefined) continue;
    let parent: Json | undefined = root;
    for (const p of parts) parent = Array.isArray(parent) ? parent[Number(p)] : isJsonObject(parent) ? parent[p] : undefined;
    if (Array.isArray(parent)) {
      const index = last === "-" ? parent.length : Number(last);
      if (kind === "remove") parent.splice(index, 1);
      else if (kind === "replace" && op.value !== undefined) parent[index] = clone(op.value);
      else if (kind === "add" && op.value !== undefined) parent.splice(index, 0, clone(op.value));
    } else if (isJsonObject(parent)) {
      if (kind === "remove") delete parent[last];
      else if ((kind === "replace" || kind === "add") && op.value !== undefined) parent[last] = clone(op.value);
    }
  }
  return root;
}

/** Apply the `x-github-breaking-changes` of `node` up to `version` and drop the extension. */
export function applyBreakingChanges(node: Json, version: string): Json {
  if (!isJsonObject(node)) return node;
  const changes = node["x-github-breaking-changes"];
  if (!Array.isArray(changes)) return node;
  let out: Json = { ...node };
  delete (out as JsonObject)["x-github-breaking-changes"];
  for (const change of changes) {
    if (!isJsonObject(change)) continue;
    const v = str(change.version);
    if (v === undefined || v > version) continue;
    const patch = change.patch;
    if (Array.isArray(patch)) out = jsonPatch(out, patch);
    else if (patch !== undefined) out = mergePatch(out, patch);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// OpenAPI 3.0 schema -> JSON Schema (draft-07 for ajv)

const SCHEMA_BASE = "https://openapi.github.test/components/schemas/";
const DROPPED_KEYWORDS = new Set(["example", "examples", "discriminator", "xml", "externalDocs", "nullable", "title", "description"]);
const SCHEMA_MAP_KEYWORDS = new Set(["properties", "patternProperties", "definitions"]);
const SCHEMA_KEYWORDS = new Set(["items", "additionalProperties", "not", "additionalItems", "contains", "propertyNames"]);
const SCHEMA_ARRAY_KEYWORDS = new Set(["allOf", "anyOf", "oneOf"]);

export interface TranslateOptions {
  /** Keep `oneOf` as `oneOf` (GitHub's overlap, see the header) instead of relaxing it to `anyOf`. */
  strictOneOf?: boolean;
}

/** Translate one OpenAPI 3.0 schema node; component `$ref`s are collected into `refs`. */
export function translateSchema(node: Json, refs: Set<string>, opts: TranslateOptions = {}): Json {
  if (Array.isArray(node)) return node.map((n) => translateSchema(n, refs, opts));
  if (!isJsonObject(node)) return node;
  if (typeof node.$ref === "string") {
    const m = /^#\/components\/schemas\/(.+)$/.exec(node.$ref);
    if (!m) throw new Error(`unsupported schema $ref ${node.$ref}`);
    const name = m[1] ?? "";
    refs.add(name);
    const ref: JsonObject = { $ref: SCHEMA_BASE + encodeURIComponent(name) };
    return node.nullable === true ? { anyOf: [ref, { type: "null" }] } : ref;
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("x-") || DROPPED_KEYWORDS.has(key)) continue;
    if (SCHEMA_MAP_KEYWORDS.has(key) && isJsonObject(value)) {
      const mapped: JsonObject = {};
      for (const [k, v] of Object.entries(value)) mapped[k] = translateSchema(v, refs, opts);
      out[key] = mapped;
    } else if (SCHEMA_KEYWORDS.has(key)) {
      out[key] = typeof value === "boolean" ? value : translateSchema(value, refs, opts);
    } else if (SCHEMA_ARRAY_KEYWORDS.has(key) && Array.isArray(value)) {
      const branches = value.map((v) => translateSchema(v, refs, opts));
      if (key === "oneOf" && !opts.strictOneOf) {
        // relaxed to anyOf; if the node also has an anyOf of its own, keep both constraints
        if (Array.isArray(node.anyOf)) out.allOf = [...(Array.isArray(out.allOf) ? out.allOf : []), { anyOf: branches }];
        else out.anyOf = branches;
      } else {
        out[key] = branches;
      }
    } else {
      out[key] = clone(value);
    }
  }
  if (node.nullable === true) {
    if (typeof out.type === "string") {
      out.type = [out.type, "null"];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...out.enum, null];
    } else if (out.type === undefined) {
      return { anyOf: [out, { type: "null" }] };
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// operations and path matching

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS";
const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"] as const;

export interface OperationInfo {
  operationId: string;
  method: string;
  /** e.g. "/repos/{owner}/{repo}/issues/{issue_number}/comments" */
  pathTemplate: string;
  /** `externalDocs.url` of the operation (what GitHub puts in `documentation_url`). */
  docsUrl: string | undefined;
}

interface OperationEntry extends OperationInfo {
  regex: RegExp;
  paramNames: string[];
  literalSegments: number;
  multiSegmentParams: number;
  op: JsonObject;
  pathParameters: Json[];
}

export interface OperationMatch extends OperationInfo {
  /** Decoded path parameters (multi-segment ones may contain "/"). */
  params: Record<string, string>;
}

let operationIndex: { byMethod: Map<string, OperationEntry[]>; byId: Map<string, OperationEntry> } | undefined;

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function isMultiSegment(param: Json | undefined): boolean {
  const p = obj(deref(param));
  return p !== undefined && (p["x-multi-segment"] === true || obj(p.schema)?.["x-multi-segment"] === true);
}

function buildIndex(): NonNullable<typeof operationIndex> {
  const spec = loadSpec();
  const byMethod = new Map<string, OperationEntry[]>();
  const byId = new Map<string, OperationEntry>();
  for (const [pathTemplate, itemRaw] of Object.entries(obj(spec.paths) ?? {})) {
    const item = obj(itemRaw);
    if (!item) continue;
    const pathParameters = Array.isArray(item.parameters) ? item.parameters : [];
    for (const m of METHODS) {
      const op = obj(item[m]);
      if (!op) continue;
      const operationId = str(op.operationId) ?? `${m.toUpperCase()} ${pathTemplate}`;
      const params = [...pathParameters, ...(Array.isArray(op.parameters) ? op.parameters : [])];
      const multi = new Set<string>();
      for (const p of params) {
        const d = obj(deref(p));
        if (d && d.in === "path" && typeof d.name === "string" && isMultiSegment(p)) multi.add(d.name);
      }
      const paramNames: string[] = [];
      let literalSegments = 0;
      const pattern = pathTemplate
        .split("/")
        .map((segment) => {
          let hasParam = false;
          const re = segment.replace(/\{([^}]+)\}|([^{]+)/g, (_all, name: string | undefined, literal: string | undefined) => {
            if (name !== undefined) {
              hasParam = true;
              paramNames.push(name);
              return multi.has(name) ? "(.+)" : "([^/]+)";
            }
            return escapeRegex(literal ?? "");
          });
          if (!hasParam && segment !== "") literalSegments++;
          return re;
        })
        .join("/");
      const entry: OperationEntry = {
        operationId,
        method: m.toUpperCase(),
        pathTemplate,
        docsUrl: str(obj(op.externalDocs)?.url),
        regex: new RegExp(`^${pattern}/?$`),
        paramNames,
        literalSegments,
        multiSegmentParams: multi.size,
        op,
        pathParameters,
      };
      const list = byMethod.get(entry.method) ?? [];
      list.push(entry);
      byMethod.set(entry.method, list);
      byId.set(operationId, entry);
    }
  }
  // most specific first: more literal segments, then fewer multi-segment params, then more segments
  for (const list of byMethod.values()) {
    list.sort(
      (a, b) =>
        b.literalSegments - a.literalSegments ||
        a.multiSegmentParams - b.multiSegmentParams ||
        b.pathTemplate.split("/").length - a.pathTemplate.split("/").length,
    );
  }
  return { byMethod, byId };
}

function index(): NonNullable<typeof operationIndex> {
  operationIndex ??= buildIndex();
  return operationIndex;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Match a request path (still percent-encoded, no query) to an operation of the description. */
export function matchOperation(method: string, rawPath: string): OperationMatch | null {
  const list = index().byMethod.get(method.toUpperCase()) ?? [];
  for (const entry of list) {
    const m = entry.regex.exec(rawPath);
    if (!m) continue;
    const params: Record<string, string> = {};
    entry.paramNames.forEach((name, i) => {
      params[name] = safeDecode(m[i + 1] ?? "");
    });
    return { operationId: entry.operationId, method: entry.method, pathTemplate: entry.pathTemplate, docsUrl: entry.docsUrl, params };
  }
  return null;
}

export function operationById(operationId: string): OperationInfo | undefined {
  const e = index().byId.get(operationId);
  return e && { operationId: e.operationId, method: e.method, pathTemplate: e.pathTemplate, docsUrl: e.docsUrl };
}

// ---------------------------------------------------------------------------------------------
// validator

export type IssueLocation = "operation" | "path" | "query" | "body" | "status" | "content-type" | "schema";

export interface ValidationIssue {
  location: IssueLocation;
  message: string;
  /** Something GitHub itself accepts silently (unknown parameter or field): still a violation. */
  lenient?: boolean;
}

export interface Violation {
  operationId: string | null;
  where: "request" | "response" | "webhook";
  method: string;
  path: string;
  status?: number;
  errors: string[];
  issues: ValidationIssue[];
}

export class OpenApiViolationError extends Error {
  constructor(readonly violation: Violation) {
    super(formatViolation(violation));
    this.name = "OpenApiViolationError";
  }
}

export function formatViolation(v: Violation): string {
  const head = `${v.where} ${v.method} ${v.path}${v.status !== undefined ? ` -> ${v.status}` : ""} (${v.operationId ?? "no operation"})`;
  return [head, ...v.errors.map((e) => `  - ${e}`)].join("\n");
}

export interface ValidatorOptions extends TranslateOptions {
  /** Throw an OpenApiViolationError (after recording) on the first violation. */
  strict?: boolean;
  /** Report unknown query parameters / top-level body fields (default true). */
  reportUnknown?: boolean;
  /**
   * Status codes any operation may answer with even when the operation does not declare them,
   * validated against `basic-error` (default: 400 401 403 404 429 500 502 503 504).
   */
  standardErrorStatuses?: number[];
  /** Non-JSON media types accepted for an operation although its `content` map lacks them. */
  extraMediaTypes?: Record<string, string[]>;
  /** Cap on errors kept per violation (default 25). */
  maxErrors?: number;
}

export interface RequestInput {
  method: string;
  /** Percent-encoded path without query. */
  path: string;
  query?: URLSearchParams | Record<string, string | string[]>;
  /** Request Content-Type, if any. */
  contentType?: string;
  /** Parsed JSON body (undefined: no body). */
  body?: unknown;
  apiVersion?: string;
}

export interface ResponseInput {
  status: number;
  contentType?: string;
  /** Raw body text ("" for none). */
  body: string;
}

export interface RequestValidation {
  match: OperationMatch | null;
  issues: ValidationIssue[];
}

const DEFAULT_STANDARD_ERRORS = [400, 401, 403, 404, 429, 500, 502, 503, 504];
/**
 * Documented in the operations' descriptions ("custom media types") but missing from their
 * `content` maps.
 */
const DEFAULT_EXTRA_MEDIA: Record<string, string[]> = {
  "repos/get-content": ["application/vnd.github.raw", "application/vnd.github.html", "application/vnd.github.raw+json"],
  "git/get-blob": ["application/vnd.github.raw", "application/vnd.github.raw+json"],
};

interface VersionContext {
  ajv: Ajv;
  added: Set<string>;
  validators: Map<string, ValidateFunction>;
  ops: Map<string, JsonObject>;
}

const addFormats = addFormatsModule.default;

function isJsonMedia(mime: string): boolean {
  return mime === "application/json" || /^application\/[\w.-]+\+json$/.test(mime) || mime === "application/vnd.github.object";
}

function mimeOf(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

function describeError(e: ErrorObject, location: string): string {
  const where = `${location}${e.instancePath || ""}`;
  const p = e.params as Record<string, unknown>;
  let detail = "";
  if (e.keyword === "additionalProperties") detail = ` (${String(p.additionalProperty)})`;
  else if (e.keyword === "enum") detail = ` (${JSON.stringify(p.allowedValues)})`;
  return `${where} ${e.message ?? e.keyword}${detail}`;
}

function filterErrors(errors: ErrorObject[]): ErrorObject[] {
  // drop the noise of the {type: "null"} branches added for `nullable`
  const useful = errors.filter((e) => !(e.keyword === "type" && (e.params as Record<string, unknown>).type === "null"));
  return useful.length > 0 ? useful : errors;
}

function coerce(raw: string[], schema: Json | undefined): Json {
  const s = obj(schema);
  const type = s?.type;
  const one = raw[raw.length - 1] ?? "";
  const scalar = (t: Json | undefined, v: string): Json => {
    if ((t === "integer" || t === "number") && /^-?\d+(\.\d+)?$/.test(v)) return Number(v);
    if (t === "boolean" && (v === "true" || v === "false")) return v === "true";
    return v;
  };
  if (type === "array") {
    const items = obj(s?.items)?.type;
    const values = raw.length === 1 ? one.split(",") : raw;
    return values.map((v) => scalar(items, v));
  }
  return scalar(type, one);
}

export class OpenApiValidator {
  readonly violations: Violation[] = [];
  private readonly versions = new Map<string, VersionContext>();
  private readonly standard: Set<number>;
  private readonly extraMedia: Record<string, string[]>;

  constructor(readonly options: ValidatorOptions = {}) {
    this.standard = new Set(options.standardErrorStatuses ?? DEFAULT_STANDARD_ERRORS);
    this.extraMedia = { ...DEFAULT_EXTRA_MEDIA, ...options.extraMediaTypes };
  }

  match(method: string, path: string): OperationMatch | null {
    return matchOperation(method, path);
  }

  clear(): void {
    this.violations.length = 0;
  }

  /** Throw if anything was recorded (for afterEach hooks). */
  assertNoViolations(): void {
    if (this.violations.length > 0) {
      throw new Error(`${this.violations.length} OpenAPI violation(s):\n${this.violations.map(formatViolation).join("\n")}`);
    }
  }

  // -------------------------------------------------------------------------------------------
  // requests

  validateRequest(input: RequestInput): RequestValidation {
    const method = input.method.toUpperCase();
    const match = matchOperation(method, input.path);
    if (!match) {
      const issues: ValidationIssue[] = [{ location: "operation", message: `no operation of the description matches ${method} ${input.path}` }];
      this.record({ operationId: null, where: "request", method, path: input.path }, issues);
      return { match, issues };
    }
    const version = input.apiVersion ?? DEFAULT_API_VERSION;
    const op = this.operation(match.operationId, version);
    const issues: ValidationIssue[] = [];
    const params = this.parameters(match.operationId, op);

    for (const p of params.filter((x) => x.in === "path")) {
      const value = match.params[p.name];
      if (value === undefined) continue;
      issues.push(...this.check(version, `${match.operationId}:path:${p.name}`, p.schema, coerce([value], p.schema), `path.${p.name}`, "path"));
    }

    const query = new Map<string, string[]>();
    if (input.query instanceof URLSearchParams) {
      for (const [k, v] of input.query) query.set(k, [...(query.get(k) ?? []), v]);
    } else if (input.query) {
      for (const [k, v] of Object.entries(input.query)) query.set(k, Array.isArray(v) ? v : [v]);
    }
    const declared = new Set<string>();
    for (const p of params.filter((x) => x.in === "query")) {
      declared.add(p.name);
      const raw = query.get(p.name) ?? query.get(`${p.name}[]`);
      if (raw === undefined) {
        if (p.required) issues.push({ location: "query", message: `query.${p.name} is required` });
        continue;
      }
      issues.push(...this.check(version, `${match.operationId}:query:${p.name}`, p.schema, coerce(raw, p.schema), `query.${p.name}`, "query"));
    }
    if (this.options.reportUnknown !== false) {
      for (const k of query.keys()) {
        if (!declared.has(k) && !declared.has(k.replace(/\[\]$/, ""))) {
          issues.push({ location: "query", message: `query.${k} is not a parameter of ${match.operationId}`, lenient: true });
        }
      }
    }

    const requestBody = obj(deref(op.requestBody));
    const hasBody = input.body !== undefined;
    if (requestBody) {
      const content = obj(requestBody.content) ?? {};
      const schema = obj(content["application/json"])?.schema ?? Object.values(content).map((c) => obj(c)?.schema).find((s) => s !== undefined);
      if (!hasBody) {
        if (requestBody.required === true) issues.push({ location: "body", message: "request body is required" });
      } else {
        const mime = mimeOf(input.contentType);
        if (input.contentType !== undefined && mime !== "" && !isJsonMedia(mime) && content[mime] === undefined) {
          issues.push({ location: "content-type", message: `request content-type ${mime} is not declared (${Object.keys(content).join(", ")})` });
        }
        if (schema !== undefined) {
          issues.push(...this.check(version, `${match.operationId}:body`, schema, input.body as Json, "body", "body"));
          if (this.options.reportUnknown !== false) issues.push(...this.unknownFields(schema, input.body));
        }
      }
    } else if (hasBody && !(isJsonObject(input.body) && Object.keys(input.body).length === 0)) {
      issues.push({ location: "body", message: `${match.operationId} takes no request body`, lenient: true });
    }

    this.record({ operationId: match.operationId, where: "request", method, path: input.path }, issues);
    return { match, issues };
  }

  // -------------------------------------------------------------------------------------------
  // responses

  validateResponse(request: { method: string; path: string; apiVersion?: string; accept?: string }, response: ResponseInput): ValidationIssue[] {
    const method = request.method.toUpperCase();
    const match = matchOperation(method, request.path);
    if (!match) return [];
    const version = request.apiVersion ?? DEFAULT_API_VERSION;
    const op = this.operation(match.operationId, version);
    const responses = obj(op.responses) ?? {};
    const status = response.status;
    const issues: ValidationIssue[] = [];
    let declared = obj(deref(responses[String(status)] ?? responses[`${Math.floor(status / 100)}XX`] ?? responses.default));
    let standard = false;
    if (!declared) {
      if (this.standard.has(status)) {
        standard = true;
        declared = { content: { "application/json": { schema: { $ref: "#/components/schemas/basic-error" } } } };
      } else {
        issues.push({ location: "status", message: `status ${status} is not declared for ${match.operationId} (declared: ${Object.keys(responses).join(", ")})` });
      }
    }
    const mime = mimeOf(response.contentType);
    const body = response.body;
    if (declared) {
      const content = obj(declared.content);
      if (!content || Object.keys(content).length === 0) {
        if (body.length > 0) issues.push({ location: "body", message: `status ${status} declares no content but a ${body.length}-byte body was sent` });
      } else if (body.length === 0) {
        issues.push({ location: "body", message: `status ${status} declares content (${Object.keys(content).join(", ")}) but the body is empty` });
      } else if (isJsonMedia(mime)) {
        const acceptMime = mimeOf(request.accept);
        const key =
          (acceptMime && content[acceptMime] !== undefined && isJsonMedia(acceptMime) ? acceptMime : undefined) ??
          (content["application/json"] !== undefined ? "application/json" : Object.keys(content).find(isJsonMedia));
        if (key === undefined) {
          issues.push({ location: "content-type", message: `JSON body but status ${status} declares only ${Object.keys(content).join(", ")}` });
        } else {
          let parsed: unknown;
          try {
            parsed = JSON.parse(body);
          } catch {
            issues.push({ location: "body", message: `response body is not valid JSON` });
          }
          const schema = obj(content[key])?.schema;
          if (parsed !== undefined && schema !== undefined) {
            issues.push(...this.check(version, `${match.operationId}:${status}:${key}`, schema, parsed as Json, "body", "body"));
          }
        }
      } else if (!(standard && status >= 500) && content[mime] === undefined && !(this.extraMedia[match.operationId] ?? []).includes(mime)) {
        issues.push({ location: "content-type", message: `content-type "${mime || "(none)"}" is not declared for status ${status} (${Object.keys(content).join(", ")})` });
      }
    }
    this.record({ operationId: match.operationId, where: "response", method, path: request.path, status }, issues);
    return issues;
  }

  // -------------------------------------------------------------------------------------------
  // webhooks and single schemas

  /** Validate a webhook payload against `x-webhooks[name]` ("pull-request-opened", "workflow-run-completed"). */
  validateWebhook(name: string, payload: unknown, apiVersion = DEFAULT_API_VERSION): ValidationIssue[] {
    const hooks = obj(loadSpec()["x-webhooks"]) ?? {};
    const post = obj(obj(hooks[name])?.post);
    if (!post) throw new Error(`x-webhooks has no ${name} (known: ${Object.keys(hooks).slice(0, 5).join(", ")}, ...)`);
    const schema = obj(obj(obj(deref(post.requestBody))?.content)?.["application/json"])?.schema;
    const issues = schema === undefined ? [] : this.check(apiVersion, `webhook:${name}`, schema, payload as Json, "payload", "body");
    this.record({ operationId: `webhook:${name}`, where: "webhook", method: "POST", path: name }, issues);
    return issues;
  }

  /** Validate a value against `#/components/schemas/<name>` (no recording). */
  validateComponent(name: string, value: unknown, apiVersion = DEFAULT_API_VERSION): ValidationIssue[] {
    return this.check(apiVersion, `component:${name}`, { $ref: `#/components/schemas/${name}` }, value as Json, name, "schema");
  }

  // -------------------------------------------------------------------------------------------
  // internals

  private record(base: Omit<Violation, "errors" | "issues">, issues: ValidationIssue[]): void {
    if (issues.length === 0) return;
    const max = this.options.maxErrors ?? 25;
    const errors = issues.slice(0, max).map((i) => `${i.location}: ${i.message}${i.lenient ? " [ignored by GitHub]" : ""}`);
    if (issues.length > max) errors.push(`... ${issues.length - max} more`);
    const violation: Violation = { ...base, errors, issues };
    this.violations.push(violation);
    if (this.options.strict) throw new OpenApiViolationError(violation);
  }

  private context(version: string): VersionContext {
    let ctx = this.versions.get(version);
    if (!ctx) {
      const ajv = new Ajv({
        strict: true,
        strictTypes: false,
        strictTuples: false,
        strictRequired: false,
        allowUnionTypes: true,
        allErrors: true,
        validateSchema: false,
        addUsedSchema: false,
      });
      addFormats(ajv);
      ajv.addFormat("repo.nwo", true);
      ctx = { ajv, added: new Set(), validators: new Map(), ops: new Map() };
      this.versions.set(version, ctx);
    }
    return ctx;
  }

  private operation(operationId: string, version: string): JsonObject {
    const ctx = this.context(version);
    let op = ctx.ops.get(operationId);
    if (!op) {
      const entry = index().byId.get(operationId);
      if (!entry) throw new Error(`unknown operation ${operationId}`);
      op = obj(applyBreakingChanges(entry.op, version)) ?? entry.op;
      ctx.ops.set(operationId, op);
    }
    return op;
  }

  private parameters(operationId: string, op: JsonObject): { name: string; in: string; required: boolean; schema: Json | undefined }[] {
    const entry = index().byId.get(operationId);
    const all = [...(entry?.pathParameters ?? []), ...(Array.isArray(op.parameters) ? op.parameters : [])];
    const byKey = new Map<string, { name: string; in: string; required: boolean; schema: Json | undefined }>();
    for (const raw of all) {
      const p = obj(deref(raw));
      if (!p || typeof p.name !== "string" || typeof p.in !== "string") continue;
      byKey.set(`${p.in}:${p.name}`, { name: p.name, in: p.in, required: p.required === true, schema: p.schema });
    }
    return [...byKey.values()];
  }

  private ensureComponent(ctx: VersionContext, name: string, version: string): void {
    if (ctx.added.has(name)) return;
    ctx.added.add(name);
    const schemas = obj(obj(loadSpec().components)?.schemas) ?? {};
    const raw = schemas[name];
    if (raw === undefined) throw new Error(`unknown component schema ${name}`);
    const refs = new Set<string>();
    const translated = translateSchema(applyBreakingChanges(raw, version), refs, this.options);
    ctx.ajv.addSchema({ $id: SCHEMA_BASE + encodeURIComponent(name), allOf: [translated] });
    for (const r of refs) this.ensureComponent(ctx, r, version);
  }

  private validator(version: string, key: string, schema: Json): ValidateFunction {
    const ctx = this.context(version);
    let v = ctx.validators.get(key);
    if (!v) {
      const refs = new Set<string>();
      const translated = translateSchema(schema, refs, this.options);
      for (const r of refs) this.ensureComponent(ctx, r, version);
      v = ctx.ajv.compile(isJsonObject(translated) || typeof translated === "boolean" ? translated : {});
      ctx.validators.set(key, v);
    }
    return v;
  }

  private check(version: string, key: string, schema: Json | undefined, value: Json, label: string, location: IssueLocation): ValidationIssue[] {
    if (schema === undefined) return [];
    const v = this.validator(version, key, schema);
    if (v(value)) return [];
    return filterErrors(v.errors ?? []).map((e) => ({ location, message: describeError(e, label) }));
  }

  /** Top-level body fields a plain object schema does not list (GitHub ignores them). */
  private unknownFields(schema: Json, body: unknown): ValidationIssue[] {
    const s = obj(deref(schema));
    if (!s || !isJsonObject(body)) return [];
    const props = obj(s.properties);
    if (!props || s.additionalProperties !== undefined || s.allOf || s.anyOf || s.oneOf) return [];
    return Object.keys(body)
      .filter((k) => !(k in props))
      .map((k) => ({ location: "body" as const, message: `body.${k} is not a field of the request body`, lenient: true }));
  }
}
