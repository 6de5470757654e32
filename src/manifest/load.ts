/**
 * Loads model-zoo.yaml (version 1): a position-aware walk over the YAML node tree (eemeli/yaml with
 * a LineCounter) that validates everything, collects every problem with its position, the offending
 * key and a hint, and throws one ManifestErrors listing them all (one line per problem).
 *
 * Reference: docs/manifest.md. Schema: json-schema.ts (published as schema/model-zoo.schema.json).
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { Document, LineCounter, Scalar, YAMLMap, YAMLSeq, isAlias, isMap, isScalar, isSeq, parseDocument, visit } from "yaml";
import type { YAMLError } from "yaml";
import type { SourceMode } from "../fingerprint/types.js";
import { ManifestError } from "../util/errors.js";
import {
  ARCHITECTURE_PATTERN,
  HF_REPO_ID_PATTERN,
  REQUIRE_SPELLINGS,
  REVISION_PATTERN,
  SHA_PATTERN,
  SOURCE_MODES,
} from "./json-schema.js";
import type { EngineSpec, Manifest, ManifestDefaults, ModelExpect, ModelSpec, PairSpec, Position, RequiredVerdict } from "./types.js";
import { MANIFEST_VERSION } from "./types.js";
import { UnitError, parseParamCount, parseTolerance } from "./units.js";

// ---------------------------------------------------------------------------------------------
// Public API

/** The aggregate message lists at most this many problems (all stay in `problems`). */
export const MAX_LISTED_PROBLEMS = 100;

/**
 * All problems of one manifest. It is a ManifestError (line/col/key/hint are those of the first
 * problem) whose message has one line per problem, each "path:line:col: key: message (hint)".
 */
export class ManifestErrors extends ManifestError {
  readonly problems: readonly ManifestError[];
  constructor(problems: readonly ManifestError[]) {
    const first = problems[0];
    if (!first) throw new Error("ManifestErrors needs at least one problem");
    const shown = problems.slice(0, MAX_LISTED_PROBLEMS).map((p) => p.describe());
    if (problems.length > MAX_LISTED_PROBLEMS) shown.push(`${first.path}: ... and ${problems.length - MAX_LISTED_PROBLEMS} more problems`);
    super(shown.join("\n"), { path: first.path, line: first.line, col: first.col, key: first.key, hint: first.hint });
    this.problems = problems;
  }
  /** The message already has every problem with its position and hint. */
  override describe(): string {
    return this.message;
  }
}

/** The keys the loader accepts at each level (the schema test walks these against the JSON Schema). */
export const MANIFEST_KEYS = {
  root: ["version", "name", "defaults", "models", "pairs", "engine"],
  defaults: ["revision", "source", "hub"],
  model: ["id", "name", "revision", "source", "expect", "tags"],
  expect: ["params", "layers", "tolerance"],
  pair: ["target", "proxy", "require"],
  engine: ["name", "aliases", "supported"],
} as const;
export type ManifestLevel = keyof typeof MANIFEST_KEYS;

export const DEFAULT_TOLERANCE = 0.01;
export const DEFAULT_REVISION = "main";

/** Read and validate a manifest file. Throws ManifestErrors. */
export async function loadManifest(file: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "file not found" : code === "EISDIR" ? "is a directory" : (err as Error).message;
    throw new ManifestErrors([
      new ManifestError(`cannot read the manifest: ${why}`, {
        path: file,
        line: 1,
        col: 1,
        hint: `check the path (${path.resolve(file)}); relative paths are resolved from the current directory`,
      }),
    ]);
  }
  return parseManifest(text, file);
}

/** Validate manifest text. `file` is used in messages and to resolve `local:` paths. Throws ManifestErrors. */
export function parseManifest(text: string, file: string): Manifest {
  const { manifest, problems } = checkManifest(text, file);
  if (problems.length > 0 || !manifest) throw new ManifestErrors(problems);
  return manifest;
}

/** Like parseManifest, but returns the problems instead of throwing (manifest is null when there are any). */
export function checkManifest(text: string, file: string): { manifest: Manifest | null; problems: ManifestError[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text.startsWith("\uFEFF") ? text.slice(1) : text, {
    lineCounter: lc,
    uniqueKeys: false, // duplicates are reported below, with both positions
    prettyErrors: false,
    keepSourceTokens: false,
  });
  const ctx = new Ctx(file, lc, doc);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) ctx.syntax(e);
  } else {
    try {
      const m = readManifest(ctx);
      if (ctx.problems.length === 0 && m) return { manifest: m, problems: [] };
    } catch (err) {
      if (!(err instanceof AliasBudgetExceeded)) throw err;
    }
  }
  return { manifest: null, problems: ctx.sorted() };
}

/** Find a model by id ("ns/name"), id with its "@sha", or display name. */
export function findModel(manifest: Pick<Manifest, "models">, ref: string): ModelSpec | undefined {
  const r = resolveRef(manifest.models, ref);
  return r.kind === "found" ? r.model : undefined;
}

/** Position of a model's entry in the manifest (for annotations), or null when it is not there. */
export function findModelLine(manifest: Pick<Manifest, "models">, ref: string): Position | null {
  const m = findModel(manifest, ref);
  return m ? { line: m.line, col: m.col } : null;
}

/** Position of a pair's entry, or null. `target`/`proxy` may be ids or names. */
export function findPairLine(manifest: Pick<Manifest, "models" | "pairs">, target: string, proxy: string): Position | null {
  const t = findModel(manifest, target)?.id ?? target;
  const p = findModel(manifest, proxy)?.id ?? proxy;
  const pair = manifest.pairs.find((x) => x.target === t && x.proxy === p);
  return pair ? { line: pair.line, col: pair.col } : null;
}

// ---------------------------------------------------------------------------------------------
// Checks shared with the CLI (and tested directly)

const SHA_RE = new RegExp(SHA_PATTERN);
const REVISION_RE = new RegExp(REVISION_PATTERN);
const HF_REPO_ID_RE = new RegExp(HF_REPO_ID_PATTERN);
const ARCH_RE = new RegExp(ARCHITECTURE_PATTERN);

export function isSha(s: string): boolean {
  return SHA_RE.test(s);
}

interface Complaint {
  message: string;
  hint: string;
}

const REVISION_HINT = "use a branch or tag name as shown on the Hub, such as main, v1.0 or refs/pr/3, or a full 40-hex commit sha";

/** Why `rev` is not a valid revision (git ref rules, or an abbreviated sha), or null when it is fine. */
export function revisionProblem(rev: string): Complaint | null {
  if (SHA_RE.test(rev)) return null;
  const bad = (why: string): Complaint => ({ message: `\`${rev}\` is not a valid branch or tag name: ${why}`, hint: REVISION_HINT });
  if (rev === "") return { message: "revision is empty", hint: REVISION_HINT };
  if (/\s/.test(rev)) return bad("it contains whitespace");
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(rev)) return bad("it contains a control character");
  const ch = /[~^:?*[\\]/.exec(rev);
  if (ch) return bad(`it contains \`${ch[0]}\``);
  if (rev === "@") return bad("`@` alone is not a ref name");
  if (rev.includes("..")) return bad("it contains `..`");
  if (rev.includes("@{")) return bad("it contains `@{`");
  if (rev.startsWith("/") || rev.endsWith("/") || rev.includes("//")) return bad("a `/` cannot start or end it or be doubled");
  if (rev.split("/").some((c) => c.startsWith("."))) return bad("a part cannot start with `.`");
  if (rev.split("/").some((c) => c.endsWith(".lock"))) return bad("a part cannot end with `.lock`");
  if (rev.endsWith(".")) return bad("it cannot end with `.`");
  if (/^[0-9a-f]{7,39}$/i.test(rev) && /[a-f]/i.test(rev) && /[0-9]/.test(rev))
    return {
      message: `\`${rev}\` looks like an abbreviated commit sha (${rev.length} hex digits)`,
      hint: "the Hub resolves only full commit shas: write all 40 hex digits",
    };
  if (!REVISION_RE.test(rev)) return bad("it breaks git's ref name rules");
  return null;
}

const HF_ID_HINT = 'a Hub id is "name" or "ns/name" with letters, digits, `-`, `_` and `.`; for a directory on disk write "local:PATH"';

/** Why `id` is not a valid Hugging Face repo id, or null when it is fine. */
export function hfIdProblem(id: string): Complaint | null {
  const bad = (why: string, hint = HF_ID_HINT): Complaint => ({ message: `\`${id}\` is not a valid Hugging Face id: ${why}`, hint });
  if (id === "") return { message: "model id is empty", hint: HF_ID_HINT };
  const url = /^https?:\/\/[^/]+\/(.+?)\/?$/.exec(id);
  if (url) return bad("it is a URL", `write just the repo id, e.g. \`${url[1]!.split("/").slice(0, 2).join("/")}\``);
  if (id.startsWith("/") || id.startsWith("./") || id.startsWith("../") || id.startsWith("~"))
    return bad("it looks like a path", `for a directory on disk write \`local:${id}\``);
  const parts = id.split("/");
  if (parts.length > 2) return bad(`it has ${parts.length - 1} \`/\`; a file or folder inside a repo is not a model`, 'write "ns/name"');
  if (parts.some((p) => p === "")) return bad("a part around `/` is empty");
  const ch = /[^A-Za-z0-9_.\-/]/.exec(id);
  if (ch) return bad(ch[0] === " " ? "it contains a space" : `it contains \`${ch[0]}\``);
  if (id.includes("--") || id.includes("..")) return bad("`--` and `..` are not allowed");
  for (const p of parts) if (/^[-.]|[-.]$/.test(p)) return bad(`\`${p}\` starts or ends with \`-\` or \`.\``);
  if (id.endsWith(".git")) return bad("it ends with `.git`", "drop the `.git` suffix");
  const name = parts[parts.length - 1]!;
  if (name.length > 96) return bad(`the name is ${name.length} characters, the Hub allows at most 96`);
  if (!HF_REPO_ID_RE.test(id)) return bad("it does not match the Hub's id rules");
  return null;
}

/** Optimal-string-alignment edit distance (insert, delete, substitute, transpose). */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  const d: number[][] = Array.from({ length: m + 1 }, (_, i) => Array.from({ length: n + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= m; i++)
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  return d[m]![n]!;
}

/** Up to `max` candidates close to `word` (case-insensitive), best first. */
export function closest(word: string, candidates: Iterable<string>, max = 3): string[] {
  const w = word.toLowerCase();
  const wTail = w.slice(w.lastIndexOf("/") + 1);
  const scored: Array<[string, number]> = [];
  for (const c of new Set(candidates)) {
    const l = c.toLowerCase();
    const lTail = l.slice(l.lastIndexOf("/") + 1);
    let score = editDistance(w, l);
    score = Math.min(score, editDistance(wTail, lTail) + 0.5);
    if (wTail.length >= 3 && lTail.length >= 3 && (lTail.includes(wTail) || wTail.includes(lTail))) score = Math.min(score, 1.5);
    const limit = Math.max(2, Math.floor(Math.min(w.length, l.length) / 3));
    if (score <= limit) scored.push([c, score]);
  }
  return scored
    .sort((a, b) => a[1] - b[1] || a[0].localeCompare(b[0]))
    .slice(0, max)
    .map(([c]) => c);
}

// ---------------------------------------------------------------------------------------------
// Model references (pairs, findModel)

type RefResult =
  | { kind: "found"; model: ModelSpec }
  | { kind: "not_found" }
  | { kind: "revision_mismatch"; model: ModelSpec; sha: string };

function resolveRef(models: readonly ModelSpec[], ref: string): RefResult {
  const byId = models.find((m) => m.id === ref);
  if (byId) return { kind: "found", model: byId };
  const byName = models.find((m) => m.name !== undefined && m.name === ref);
  if (byName) return { kind: "found", model: byName };
  const at = ref.indexOf("@");
  if (at > 0 && !ref.startsWith("local:")) {
    const base = ref.slice(0, at);
    const sha = ref.slice(at + 1).toLowerCase();
    const m = models.find((x) => x.id === base);
    if (m) return m.revision === sha ? { kind: "found", model: m } : { kind: "revision_mismatch", model: m, sha };
  }
  return { kind: "not_found" };
}

// ---------------------------------------------------------------------------------------------
// Walking the YAML tree

type YNode = Scalar | YAMLMap | YAMLSeq;

class AliasBudgetExceeded extends Error {}

interface Entry {
  key: string;
  /** Path of this key, e.g. "models[2].expect.params". */
  path: string;
  keyPos: Position;
  /** Dereferenced value (null when the YAML value is empty). */
  value: YNode | null;
  /** Position of the value, or of the key when the value is empty. */
  pos: Position;
}

/** Keys that exist at another level: hint where they go. */
const MISPLACED: Record<ManifestLevel, Record<string, string>> = {
  root: {
    revision: "`revision` goes under `defaults:` or on a model",
    source: "`source` goes under `defaults:` or on a model",
    hub: "`hub` goes under `defaults:`",
    id: "models are listed under `models:`",
    target: "pairs are listed under `pairs:`",
    proxy: "pairs are listed under `pairs:`",
    aliases: "`aliases` goes under `engine:`",
    supported: "`supported` goes under `engine:`",
    expect: "`expect` goes on a model",
    tags: "`tags` goes on a model",
  },
  defaults: {
    id: "`defaults` holds values for every model; list models under `models:`",
    expect: "`expect` is per model",
    tags: "`tags` are per model",
    name: "`name` is per model (or the zoo name at the top level)",
  },
  model: {
    params: "put it under `expect:`, e.g. `expect: { params: 8B }`",
    layers: "put it under `expect:`, e.g. `expect: { layers: 32 }`",
    tolerance: "put it under `expect:`, e.g. `expect: { tolerance: 1% }`",
    hub: "`hub` can only be set in `defaults:`",
    path: "for a directory on disk write `id: local:PATH`",
    local: "for a directory on disk write `id: local:PATH`",
    target: "pairs are listed under the top-level `pairs:`",
    proxy: "pairs are listed under the top-level `pairs:`",
    require: "`require` belongs to a pair under `pairs:`",
  },
  expect: {
    tags: "`tags` goes on the model, next to `expect`",
    revision: "`revision` goes on the model, next to `expect`",
    source: "`source` goes on the model, next to `expect`",
  },
  pair: {
    models: "a pair has one `target` and one `proxy`",
    revision: 'pin the revision on the model (or reference it as "id@sha")',
  },
  engine: {
    models: "list models at the top level",
  },
};

/** Common other words for known keys. */
const SYNONYMS: Record<ManifestLevel, Record<string, string>> = {
  root: { zoo: "name", schema_version: "version", model: "models", pair: "pairs", default: "defaults" },
  defaults: { rev: "revision", branch: "revision", commit: "revision", format: "source", endpoint: "hub", hub_url: "hub", url: "hub" },
  model: {
    repo: "id",
    repo_id: "id",
    model: "id",
    model_id: "id",
    rev: "revision",
    branch: "revision",
    commit: "revision",
    sha: "revision",
    format: "source",
    alias: "name",
    labels: "tags",
    expected: "expect",
    expects: "expect",
    expectations: "expect",
  },
  expect: { parameters: "params", param_count: "params", num_params: "params", num_layers: "layers", num_hidden_layers: "layers", tol: "tolerance" },
  pair: { big: "target", large: "target", model: "target", small: "proxy", substitute: "proxy", standin: "proxy", gate: "require", requires: "require", verdict: "require" },
  engine: { alias: "aliases", kinds: "supported", layer_kinds: "supported", ops: "supported", supports: "supported" },
};

class Ctx {
  readonly problems: ManifestError[] = [];
  /** Key paths that an unknown key was suggested for ("models" for `modles:`): not also reported missing. */
  readonly suggested = new Set<string>();
  private aliasBudget = 10_000;
  /** Anchored nodes by anchor name, in document order (Alias.resolve() scans the whole document per call). */
  private anchors: Map<string, Array<{ offset: number; node: YNode }>> | null = null;

  constructor(
    readonly file: string,
    private readonly lc: LineCounter,
    private readonly doc: Document.Parsed,
  ) {}

  private anchorIndex(): Map<string, Array<{ offset: number; node: YNode }>> {
    if (this.anchors) return this.anchors;
    const index = new Map<string, Array<{ offset: number; node: YNode }>>();
    visit(this.doc, {
      Node: (_key, node) => {
        if (!isAlias(node) && node.anchor && node.range) {
          const list = index.get(node.anchor) ?? [];
          list.push({ offset: node.range[0], node });
          index.set(node.anchor, list);
        }
      },
    });
    this.anchors = index;
    return index;
  }

  pos(offset: number): Position {
    const p = this.lc.linePos(offset);
    return { line: Math.max(1, p.line), col: Math.max(1, p.col) };
  }

  posOf(node: { range?: [number, number, number] | null } | null | undefined, fallback: Position = { line: 1, col: 1 }): Position {
    return node?.range ? this.pos(node.range[0]) : fallback;
  }

  add(at: Position, key: string | undefined, message: string, hint?: string): void {
    this.problems.push(new ManifestError(message, { path: this.file, line: at.line, col: at.col, key, hint }));
  }

  syntax(e: YAMLError): void {
    const at = this.pos(e.pos[0]);
    const first = e.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
    const hints: Partial<Record<YAMLError["code"], string>> = {
      TAB_AS_INDENT: "indent with spaces, not tabs",
      BAD_INDENT: "check the indentation, items of one list or mapping start in the same column, and that every `[` or `{` is closed",
      MISSING_CHAR: "a closing quote or bracket, or a `-` or `:`, is missing",
      MULTIPLE_DOCS: "a manifest is one YAML document: remove the `---` separator",
      DUPLICATE_KEY: "remove one of the two keys",
      BLOCK_AS_IMPLICIT_KEY: "a key must fit on one line; check for a missing `:` or a stray indentation",
      MULTILINE_IMPLICIT_KEY: "a key must fit on one line; check for a missing `:` or a missing closing quote",
      UNEXPECTED_TOKEN: "check the punctuation on this line: `:`, `-`, brackets and quotes",
      BAD_ALIAS: "an alias `*name` must refer to an anchor `&name` defined before it",
    };
    if (/Maximum call stack size exceeded/i.test(first)) {
      // The YAML library recursed too deep (thousands of nested `[`/`{`) and reported its stack overflow.
      this.add(at, undefined, "YAML nested too deeply to read", "a manifest needs a few levels of nesting; check for unbalanced `[` or `{`");
      return;
    }
    this.add(at, undefined, `YAML syntax error: ${first}`, hints[e.code] ?? "fix the YAML syntax at this position");
  }

  /** The document's top-level node. */
  root(): YNode | null {
    return this.deref(this.doc.contents);
  }

  sorted(): ManifestError[] {
    return this.problems
      .map((p, i) => [p, i] as const)
      .sort((a, b) => a[0].line - b[0].line || a[0].col - b[0].col || a[1] - b[1])
      .map(([p]) => p);
  }

  /** Resolve aliases (*name) to their anchored node; null for an empty value. */
  deref(node: unknown): YNode | null {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      if (--this.aliasBudget < 0) {
        this.add(this.posOf(node), undefined, "too many alias (*name) expansions", "simplify the anchors and aliases in the manifest");
        throw new AliasBudgetExceeded();
      }
      // The last node anchored with this name before the alias (YAML's rule).
      const at = node.range?.[0] ?? Number.POSITIVE_INFINITY;
      let target: YNode | null = null;
      for (const a of this.anchorIndex().get(node.source) ?? []) if (a.offset < at) target = a.node;
      return target;
    }
    if (isScalar(node) || isMap(node) || isSeq(node)) return node;
    return null;
  }

  /** Read a mapping: reports non-string keys, duplicate keys and unknown keys (with suggestions). */
  readMap(node: YAMLMap, at: string, level: ManifestLevel): Map<string, Entry> {
    const known: readonly string[] = MANIFEST_KEYS[level];
    const out = new Map<string, Entry>();
    const seen = new Map<string, Position>();
    for (const pair of node.items) {
      const keyNode = this.deref(pair.key);
      const keyPos = this.posOf(keyNode, this.posOf(node));
      if (!keyNode || !isScalar(keyNode) || typeof keyNode.value !== "string") {
        const shown = keyNode && isScalar(keyNode) ? String(keyNode.value) : keyNode ? "a collection" : "an empty key";
        this.add(keyPos, at || undefined, `keys must be plain strings, got ${shown}`, `allowed keys here: ${known.join(", ")}`);
        continue;
      }
      const key = keyNode.value;
      const keyPath = at ? `${at}.${key}` : key;
      const prev = seen.get(key);
      if (prev) {
        this.add(keyPos, keyPath, `duplicate key \`${key}\``, `also defined at line ${prev.line}; keep one`);
        continue;
      }
      seen.set(key, keyPos);
      if (!known.includes(key)) {
        this.add(keyPos, keyPath, `unknown key \`${key}\``, this.unknownKeyHint(key, level, at));
        continue;
      }
      const value = this.deref(pair.value);
      const isEmptyScalar = value !== null && isScalar(value) && value.value === null;
      out.set(key, {
        key,
        path: keyPath,
        keyPos,
        value: isEmptyScalar ? null : value,
        pos: value && !isEmptyScalar ? this.posOf(value, keyPos) : keyPos,
      });
    }
    return out;
  }

  /** Report a missing required key, unless a misspelling of it was already reported. */
  missing(at: Position, keyPath: string, message: string, hint: string): void {
    if (!this.suggested.has(keyPath)) this.add(at, keyPath, message, hint);
  }

  private unknownKeyHint(key: string, level: ManifestLevel, at: string): string {
    const suggest = (k: string): string => {
      this.suggested.add(at ? `${at}.${k}` : k);
      return `did you mean \`${k}\`? ${allowed}`;
    };
    const known: readonly string[] = MANIFEST_KEYS[level];
    const allowed = `allowed here: ${known.join(", ")}`;
    if (key === "<<") return `YAML merge keys are not supported, repeat the keys or use \`defaults:\`; ${allowed}`;
    const misplaced = own(MISPLACED[level], key);
    if (misplaced) return `${misplaced}; ${allowed}`;
    const syn = own(SYNONYMS[level], key.toLowerCase());
    if (syn) return suggest(syn);
    const near = closest(key, known, 1);
    if (near[0] !== undefined) return suggest(near[0]);
    return allowed;
  }

  // --- typed values -----------------------------------------------------------------------------

  /** A non-empty string value; undefined (reported) otherwise. */
  string(e: Entry, what = "a string"): string | undefined {
    const v = e.value;
    if (v && isScalar(v) && typeof v.value === "string") {
      if (v.value.trim() === "") {
        this.add(e.pos, e.path, "is an empty string", `give ${what} or remove \`${e.key}\``);
        return undefined;
      }
      return v.value;
    }
    const quote = v && isScalar(v) && v.value !== null && typeof v.value !== "object" ? `quote it if you meant the text: \`${e.key}: "${v.source ?? String(v.value)}"\`` : undefined;
    this.wrongType(e, what, quote);
    return undefined;
  }

  /** A string, or null when the value is empty/null. */
  nullableString(e: Entry, what = "a string"): string | null | undefined {
    return e.value === null ? null : this.string(e, what);
  }

  /** Required value present? (Empty values are reported as missing values.) */
  present(e: Entry, what: string): boolean {
    if (e.value !== null) return true;
    this.add(e.pos, e.path, "has no value", `give ${what}, or remove \`${e.key}\``);
    return false;
  }

  wrongType(e: Entry, expected: string, hint?: string): void {
    this.add(e.pos, e.path, `expected ${expected}, got ${describeNode(e.value)}`, hint ?? `write ${expected} for \`${e.key}\``);
  }

  /** A list of items (null value = empty list). Returns undefined when not a list (reported). */
  list(e: Entry, expected: string, hint?: string): YAMLSeq | null | undefined {
    if (e.value === null) return null;
    if (isSeq(e.value)) return e.value;
    this.wrongType(e, expected, hint);
    return undefined;
  }

  /** A list of non-empty unique strings. */
  stringList(e: Entry, opts: { what: string; itemWhat?: string; nonEmpty?: boolean; pattern?: RegExp; patternHint?: string }): string[] | null | undefined {
    const expected = `a list of ${opts.what}`;
    const v = e.value;
    const scalarHint = v && isScalar(v) && typeof v.value === "string" ? `write \`${e.key}: [${v.value}]\`` : undefined;
    const seq = this.list(e, expected, scalarHint);
    if (seq === null) return null;
    if (seq === undefined) return undefined;
    if (opts.nonEmpty && seq.items.length === 0) {
      this.add(e.pos, e.path, "is an empty list", `list at least one item, or remove \`${e.key}\``);
      return undefined;
    }
    const out: string[] = [];
    const seen = new Map<string, Position>();
    let ok = true;
    seq.items.forEach((item, i) => {
      const node = this.deref(item);
      const p = this.posOf(node, e.pos);
      const ip = `${e.path}[${i}]`;
      if (!node || !isScalar(node) || typeof node.value !== "string" || node.value.trim() === "") {
        const quote = node && isScalar(node) && node.value !== null && typeof node.value !== "string" ? `; quote it: "${node.source ?? String(node.value)}"` : "";
        this.add(p, ip, `expected ${expected}, item is ${describeNode(node)}`, `each item must be a non-empty string${quote}`);
        ok = false;
        return;
      }
      const s = node.value;
      if (opts.pattern && !opts.pattern.test(s)) {
        this.add(p, ip, `\`${s}\` is not a valid ${opts.itemWhat ?? "item"}`, opts.patternHint ?? "");
        ok = false;
        return;
      }
      const prev = seen.get(s);
      if (prev) {
        this.add(p, ip, `duplicate item \`${s}\``, `also listed at line ${prev.line}; keep one`);
        ok = false;
        return;
      }
      seen.set(s, p);
      out.push(s);
    });
    return ok ? out : undefined;
  }
}

/** rec[key] for own keys only (a key such as "constructor" must not find Object.prototype). */
function own<T>(rec: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(rec, key) ? rec[key] : undefined;
}

function describeNode(v: YNode | null | undefined): string {
  if (v === null || v === undefined) return "an empty value";
  if (isMap(v)) return "a mapping";
  if (isSeq(v)) return "a list";
  const x = v.value;
  if (x === null) return "an empty value";
  if (typeof x === "string") return `the string "${x.length > 60 ? `${x.slice(0, 57)}...` : x}"`;
  if (typeof x === "number") return `the number ${v.source ?? String(x)}`;
  if (typeof x === "boolean") return `the boolean ${String(x)}`;
  return `a ${typeof x}`;
}

// ---------------------------------------------------------------------------------------------
// The manifest

interface ModelRec {
  spec: ModelSpec | null;
  /** The id as written (minus @sha), to silence follow-up errors about an invalid model. */
  rawId: string | null;
  /** Where the id is: "models[3]" (shorthand) or "models[3].id". */
  idKey: string;
  idPos: Position;
  namePos: Position | null;
}


const REVISION_WHAT = "a branch, tag or 40-hex commit sha";

function readManifest(ctx: Ctx): Manifest | null {
  const top: Position = { line: 1, col: 1 };
  const root = ctx.root();
  if (root === null || (isScalar(root) && root.value === null)) {
    ctx.add(top, undefined, "the manifest is empty", "start with `version: 1` and a `models:` list; see docs/manifest.md");
    return null;
  }
  if (!isMap(root)) {
    ctx.add(ctx.posOf(root), undefined, `expected a mapping with \`version\` and \`models\` at the top level, got ${describeNode(root)}`, "see docs/manifest.md for the format");
    return null;
  }
  const rootPos = ctx.posOf(root);
  const keys = ctx.readMap(root, "", "root");

  // version first: another version's manifest is not checked against version 1's rules.
  const v = keys.get("version");
  if (!v) {
    ctx.missing(rootPos, "version", "missing `version`", `add \`version: ${MANIFEST_VERSION}\` at the top of the file`);
  } else if (v.value && isScalar(v.value) && typeof v.value.value === "number") {
    if (v.value.value !== MANIFEST_VERSION) {
      ctx.problems.length = 0;
      ctx.add(v.pos, "version", `unsupported manifest version ${v.value.source ?? String(v.value.value)}`, `this standin reads version ${MANIFEST_VERSION}; upgrade standin, or write the manifest for version ${MANIFEST_VERSION}`);
      return null;
    }
  } else {
    ctx.wrongType(v, `the number ${MANIFEST_VERSION}`, `write \`version: ${MANIFEST_VERSION}\`, a number without quotes`);
  }

  const nameE = keys.get("name");
  const zooName = nameE ? ctx.string(nameE, "a zoo name") : undefined;

  const defaults = readDefaults(ctx, keys.get("defaults"));
  const dir = path.dirname(path.resolve(ctx.file));

  // models
  const recs: ModelRec[] = [];
  const me = keys.get("models");
  if (!me) {
    ctx.missing(rootPos, "models", "missing `models`", "add a `models:` list with at least one model id");
  } else {
    const seq = ctx.list(me, "a list of models", "write `models:` followed by items such as `- Qwen/Qwen3-8B`");
    if (seq === null || (seq && seq.items.length === 0)) {
      ctx.add(me.pos, "models", "the models list is empty", "list at least one model, e.g. `- Qwen/Qwen3-8B`");
    } else if (seq) {
      seq.items.forEach((item, i) => recs.push(readModel(ctx, item, i, defaults, dir, me.pos)));
    }
  }
  checkModelIdentity(ctx, recs);
  const models = recs.flatMap((r) => (r.spec ? [r.spec] : []));
  const invalidRefs = new Set(recs.flatMap((r) => (r.spec ? [] : r.rawId ? [r.rawId] : [])));

  const pairs = readPairs(ctx, keys.get("pairs"), models, invalidRefs);
  const engine = readEngine(ctx, keys.get("engine"));

  if (ctx.problems.length > 0) return null;
  return {
    path: ctx.file,
    version: MANIFEST_VERSION,
    ...(zooName ? { name: zooName } : {}),
    defaults,
    models,
    pairs,
    engine,
  };
}

function readDefaults(ctx: Ctx, e: Entry | undefined): ManifestDefaults {
  const defaults: ManifestDefaults = { revision: DEFAULT_REVISION, source: "auto", hub: null };
  if (!e || e.value === null) return defaults;
  if (!isMap(e.value)) {
    ctx.wrongType(e, "a mapping (revision, source, hub)", "write `defaults:` followed by indented `revision:`, `source:` or `hub:` lines");
    return defaults;
  }
  const keys = ctx.readMap(e.value, "defaults", "defaults");
  const r = keys.get("revision");
  if (r) {
    const rev = readRevision(ctx, r);
    if (rev !== undefined) defaults.revision = rev;
  }
  const s = keys.get("source");
  if (s) {
    const src = readSource(ctx, s);
    if (src !== undefined) defaults.source = src;
  }
  const h = keys.get("hub");
  if (h) {
    const hub = readHub(ctx, h);
    if (hub !== undefined) defaults.hub = hub;
  }
  return defaults;
}

function readRevision(ctx: Ctx, e: Entry): string | undefined {
  const rev = ctx.string(e, REVISION_WHAT);
  if (rev === undefined) return undefined;
  const p = revisionProblem(rev);
  if (p) {
    ctx.add(e.pos, e.path, p.message, p.hint);
    return undefined;
  }
  return isSha(rev) ? rev.toLowerCase() : rev;
}

function readSource(ctx: Ctx, e: Entry): SourceMode | undefined {
  const s = ctx.string(e, `one of ${SOURCE_MODES.join(", ")}`);
  if (s === undefined) return undefined;
  if ((SOURCE_MODES as readonly string[]).includes(s)) return s as SourceMode;
  const lower = s.toLowerCase();
  const near = (SOURCE_MODES as readonly string[]).includes(lower) ? [lower] : closest(s, SOURCE_MODES, 1);
  ctx.add(
    e.pos,
    e.path,
    `\`${s}\` is not a source mode`,
    `${near.length > 0 ? `did you mean \`${near[0]}\`? ` : ""}use one of ${SOURCE_MODES.join(", ")}`,
  );
  return undefined;
}

function readHub(ctx: Ctx, e: Entry): string | null | undefined {
  const s = ctx.nullableString(e, "a hub URL such as https://huggingface.co");
  if (s === null || s === undefined) return s;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    ctx.add(e.pos, e.path, `\`${s}\` is not a URL`, "write the hub's base URL, e.g. https://huggingface.co or https://hf-mirror.com");
    return undefined;
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    ctx.add(e.pos, e.path, `the hub URL must use https (or http), not ${url.protocol.replace(/:$/, "")}`, "write the hub's base URL, e.g. https://huggingface.co");
    return undefined;
  }
  if (url.username || url.password) {
    // Never echo the URL: it holds credentials.
    ctx.add(e.pos, e.path, "the hub URL contains credentials", "remove them from the manifest; pass a token through the environment, e.g. HF_TOKEN, instead");
    return undefined;
  }
  if (url.search || url.hash || /[?#]/.test(s)) {
    ctx.add(e.pos, e.path, "the hub URL has a query or fragment", "write only the base URL, e.g. https://huggingface.co");
    return undefined;
  }
  return s.replace(/\/+$/, "");
}

interface ParsedId {
  kind: "hub" | "local";
  id: string;
  repo: string | null;
  local: string | null;
  sha: string | null;
}

function parseModelId(ctx: Ctx, raw: string, at: Position, key: string, dir: string): ParsedId | undefined {
  if (raw.startsWith("local:")) {
    const p = raw.slice("local:".length).trim();
    if (p === "") {
      ctx.add(at, key, "`local:` needs a path", "write a directory relative to the manifest's directory, e.g. `local:./models/tiny`, or an absolute path");
      return undefined;
    }
    return { kind: "local", id: raw, repo: null, local: path.resolve(dir, p), sha: null };
  }
  const atSign = raw.indexOf("@");
  const base = atSign >= 0 ? raw.slice(0, atSign) : raw;
  let ok = true;
  let sha: string | null = null;
  if (atSign >= 0) {
    const suffix = raw.slice(atSign + 1);
    if (isSha(suffix)) {
      sha = suffix.toLowerCase();
    } else {
      ok = false;
      const hint =
        suffix === ""
          ? "write the full 40-hex commit sha after `@`, or drop the `@`"
          : revisionProblem(suffix) === null
            ? `for a branch or tag write \`id: ${base}\` and \`revision: ${suffix}\``
            : "write all 40 hex digits of the commit after `@`";
      ctx.add(at, key, `\`@\` in a model id must be followed by a full 40-hex commit sha, got \`${suffix}\``, hint);
    }
  }
  const p = hfIdProblem(base);
  if (p) {
    ctx.add(at, key, p.message, p.hint);
    ok = false;
  }
  return ok ? { kind: "hub", id: base, repo: base, local: null, sha } : undefined;
}

function readModel(ctx: Ctx, item: unknown, i: number, defaults: ManifestDefaults, dir: string, listPos: Position): ModelRec {
  const at = `models[${i}]`;
  const node = ctx.deref(item);
  const pos = ctx.posOf(node, listPos);
  const failed = (rawId: string | null, idKey: string, idPos: Position): ModelRec => ({ spec: null, rawId, idKey, idPos, namePos: null });

  let raw: string | undefined;
  let idPos = pos;
  let idKey = at;
  let keys = new Map<string, Entry>();
  if (node && isScalar(node) && typeof node.value === "string") {
    raw = node.value;
    if (raw.trim() === "") {
      ctx.add(pos, at, "model id is empty", "write a Hub id such as `Qwen/Qwen3-8B`, or `local:PATH`");
      return failed(null, at, pos);
    }
  } else if (node && isMap(node)) {
    const keyIs = (k: string) => node.items.some((p) => isScalar(p.key) && p.key.value === k);
    const localPair = keyIs("id") ? undefined : node.items.find((p) => isScalar(p.key) && p.key.value === "local");
    if (localPair) {
      // `- local:` and `- local: ./dir` parse as a mapping with the key "local".
      const v = ctx.deref(localPair.value);
      const dirText = v && isScalar(v) && v.value !== null ? String(v.value) : "";
      if (dirText.trim() === "") ctx.add(pos, at, "`local:` needs a path", "write a directory relative to the manifest's directory, e.g. `- local:./models/tiny`, or an absolute path");
      else
        ctx.add(pos, at, `\`local: ${dirText}\` is read as a mapping because of the space after \`local:\``, `write \`- local:${dirText}\` without a space, or \`- id: local:${dirText}\``);
      return failed(dirText ? `local:${dirText}` : null, at, pos);
    }
    keys = ctx.readMap(node, at, "model");
    idKey = `${at}.id`;
    const idE = keys.get("id");
    if (!idE) {
      ctx.missing(pos, idKey, "missing `id`", "every model needs `id: ns/name` or `id: local:PATH`");
    } else {
      idPos = idE.pos;
      raw = ctx.string(idE, "a model id such as Qwen/Qwen3-8B");
    }
  } else {
    ctx.add(pos, at, `expected a model id or a mapping with \`id\`, got ${describeNode(node)}`, "write `- ns/name` or `- id: ns/name`");
    return failed(null, at, pos);
  }

  const parsed = raw === undefined ? undefined : parseModelId(ctx, raw, idPos, idKey, dir);
  const rawBase = raw === undefined ? null : raw.startsWith("local:") ? raw : raw.split("@")[0]!;

  // revision
  let revision: string | null = null;
  const revE = keys.get("revision");
  let revOk = true;
  if (revE) {
    if (parsed?.kind === "local" || (parsed === undefined && raw?.startsWith("local:"))) {
      ctx.add(revE.keyPos, revE.path, "a local model has no revision", "remove `revision:`; a local directory is read as it is");
      revOk = false;
    } else {
      const rev = readRevision(ctx, revE);
      if (rev === undefined) revOk = false;
      else if (parsed?.sha && rev !== parsed.sha) {
        ctx.add(revE.pos, revE.path, `\`revision: ${rev}\` conflicts with \`@${parsed.sha.slice(0, 12)}...\` in the id`, "keep one: remove `revision:` or the `@sha` suffix of the id");
        revOk = false;
      } else revision = rev;
    }
  }
  if (parsed?.kind === "hub") revision = parsed.sha ?? revision ?? defaults.revision;

  // source
  let source = defaults.source;
  const srcE = keys.get("source");
  if (srcE) {
    const s = readSource(ctx, srcE);
    if (s !== undefined) source = s;
  }

  const expect = readExpect(ctx, keys.get("expect"));

  let tags: string[] = [];
  const tagsE = keys.get("tags");
  let tagsOk = true;
  if (tagsE) {
    const t = ctx.stringList(tagsE, { what: "strings" });
    if (t === undefined) tagsOk = false;
    else tags = t ?? [];
  }

  let name: string | undefined;
  let namePos: Position | null = null;
  const nameE = keys.get("name");
  let nameOk = true;
  if (nameE) {
    name = ctx.string(nameE, "a display name");
    if (name === undefined) nameOk = false;
    namePos = nameE.pos;
  }

  if (!parsed || !revOk || !expect || !tagsOk || !nameOk) return failed(rawBase, idKey, idPos);
  const spec: ModelSpec = {
    id: parsed.id,
    kind: parsed.kind,
    repo: parsed.repo,
    local: parsed.local,
    revision,
    pinned: revision !== null && isSha(revision),
    source,
    expect,
    tags,
    ...(name !== undefined ? { name } : {}),
    line: pos.line,
    col: pos.col,
  };
  return { spec, rawId: rawBase, idKey, idPos, namePos };
}

function readExpect(ctx: Ctx, e: Entry | undefined): ModelExpect | undefined {
  const out: ModelExpect = { params: null, layers: null, tolerance: DEFAULT_TOLERANCE };
  if (!e || e.value === null) return out;
  if (!isMap(e.value)) {
    ctx.wrongType(e, "a mapping (params, layers, tolerance)", "write e.g. `expect: { params: 8.03B, layers: 32 }`");
    return undefined;
  }
  const keys = ctx.readMap(e.value, e.path, "expect");
  let ok = true;

  const pe = keys.get("params");
  if (pe && pe.value !== null) {
    const v = pe.value;
    if (isScalar(v) && (typeof v.value === "number" || typeof v.value === "string")) {
      try {
        const n = parseParamCount(v.value);
        const bare = typeof v.value === "number" || /^\s*[\d.]+\s*$/.test(v.value);
        if (n < 1000 && bare) {
          ctx.add(pe.pos, pe.path, `${n} parameters is implausibly small`, `did you mean "${v.source ?? String(v.value)}B"? counts without a suffix are exact`);
          ok = false;
        } else out.params = n;
      } catch (err) {
        if (!(err instanceof UnitError)) throw err;
        ctx.add(pe.pos, pe.path, err.message, err.hint);
        ok = false;
      }
    } else {
      ctx.wrongType(pe, "a parameter count such as 8B, 8.03B or 8030261248");
      ok = false;
    }
  }

  const le = keys.get("layers");
  if (le && le.value !== null) {
    const v = le.value;
    if (isScalar(v) && typeof v.value === "number" && Number.isInteger(v.value) && v.value >= 1) out.layers = v.value;
    else {
      const quoted = isScalar(v) && typeof v.value === "string" && /^\s*\d+\s*$/.test(v.value);
      ctx.wrongType(le, "a positive integer", quoted ? `write \`layers: ${String(v.value).trim()}\` without quotes` : "write the number of layers, e.g. `layers: 32`");
      ok = false;
    }
  }

  const te = keys.get("tolerance");
  if (te) {
    const v = te.value;
    if (v === null) {
      ctx.present(te, 'a tolerance such as "1%"');
      ok = false;
    } else if (isScalar(v) && (typeof v.value === "number" || typeof v.value === "string")) {
      try {
        out.tolerance = parseTolerance(v.value);
      } catch (err) {
        if (!(err instanceof UnitError)) throw err;
        ctx.add(te.pos, te.path, err.message, err.hint);
        ok = false;
      }
    } else {
      ctx.wrongType(te, 'a tolerance such as "1%" or 0.01');
      ok = false;
    }
  }
  return ok ? out : undefined;
}

function checkModelIdentity(ctx: Ctx, recs: ModelRec[]): void {
  const full = recs;
  const byKey = new Map<string, ModelRec>();
  for (const rec of full) {
    const s = rec.spec;
    if (!s) continue;
    const k = s.kind === "hub" ? `hub:${s.id.toLowerCase()}` : `local:${s.local ?? ""}`;
    const prev = byKey.get(k);
    if (prev?.spec) {
      const why =
        prev.spec.id !== s.id ? (s.kind === "hub" ? `, same as \`${prev.spec.id}\`: Hub ids are case-insensitive` : `, same directory as \`${prev.spec.id}\``) : "";
      ctx.add(rec.idPos, rec.idKey, `duplicate model id \`${s.id}\`${why}`, `also defined at line ${prev.spec.line}; list each model once`);
      rec.spec = null;
      continue;
    }
    byKey.set(k, rec);
  }
  const ids = new Map(full.flatMap((r) => (r.spec ? [[r.spec.id, r] as const] : [])));
  const names = new Map<string, ModelRec>();
  for (const rec of full) {
    const s = rec.spec;
    if (!s || s.name === undefined) continue;
    const at = rec.namePos ?? rec.idPos;
    const key = rec.idKey.replace(/\.id$/, "") + ".name";
    const other = ids.get(s.name);
    if (other && other !== rec && other.spec) {
      ctx.add(at, key, `name \`${s.name}\` is the id of another model`, `that model is at line ${other.spec.line}; choose a different name`);
      continue;
    }
    const prev = names.get(s.name);
    if (prev?.spec) {
      ctx.add(at, key, `duplicate name \`${s.name}\``, `also used by \`${prev.spec.id}\` at line ${prev.spec.line}; names must be unique`);
      continue;
    }
    names.set(s.name, rec);
  }
}

function readPairs(ctx: Ctx, e: Entry | undefined, models: ModelSpec[], invalidRefs: Set<string>): PairSpec[] {
  const out: PairSpec[] = [];
  if (!e) return out;
  const seq = ctx.list(e, "a list of pairs (mappings with `target` and `proxy`)", "write items such as `- { target: big/model, proxy: small/model }`");
  if (!seq) return out;
  const seen = new Map<string, PairSpec>();
  const candidates = models.flatMap((m) => (m.name !== undefined ? [m.id, m.name] : [m.id]));

  seq.items.forEach((item, i) => {
    const at = `pairs[${i}]`;
    const node = ctx.deref(item);
    const pos = ctx.posOf(node, e.pos);
    if (!node || !isMap(node)) {
      ctx.add(pos, at, `expected a mapping with \`target\` and \`proxy\`, got ${describeNode(node)}`, "write `- { target: big/model, proxy: small/model, require: FULL }`");
      return;
    }
    const keys = ctx.readMap(node, at, "pair");
    const member = (role: "target" | "proxy"): ModelSpec | null | undefined => {
      const me = keys.get(role);
      if (!me) {
        ctx.missing(pos, `${at}.${role}`, `missing \`${role}\``, "a pair needs `target: <big model>` and `proxy: <small model>`, both listed in `models`");
        return undefined;
      }
      const ref = ctx.string(me, "a model id or name from `models`");
      if (ref === undefined) return undefined;
      const r = resolveRef(models, ref);
      if (r.kind === "found") return r.model;
      const base = ref.startsWith("local:") ? ref : ref.split("@")[0]!;
      if (invalidRefs.has(ref) || invalidRefs.has(base)) return null; // that model's own problem is reported
      if (r.kind === "revision_mismatch") {
        ctx.add(
          me.pos,
          me.path,
          `\`${ref}\` does not match the revision of \`${r.model.id}\` in \`models\` (${r.model.revision ?? "none"})`,
          `reference it as \`${r.model.id}\`, or pin the model at line ${r.model.line} to this sha`,
        );
        return undefined;
      }
      const near = closest(base, candidates, 3);
      ctx.add(
        me.pos,
        me.path,
        `${role} \`${ref}\` is not in \`models\``,
        `${near.length > 0 ? `close matches: ${near.map((c) => `\`${c}\``).join(", ")}; ` : ""}add it to \`models\` or fix the reference`,
      );
      return undefined;
    };
    const target = member("target");
    const proxy = member("proxy");

    let require: RequiredVerdict | null = null;
    let requireOk = true;
    const re = keys.get("require");
    if (re && re.value !== null) {
      const s = ctx.string(re, "FULL or PARTIAL");
      if (s === undefined) requireOk = false;
      else if (own(REQUIRE_SPELLINGS, s)) require = own(REQUIRE_SPELLINGS, s)!;
      else {
        requireOk = false;
        const canonical = own(REQUIRE_SPELLINGS, s.toUpperCase());
        if (canonical) ctx.add(re.pos, re.path, `\`${s}\` is not an accepted spelling`, `write \`${canonical}\``);
        else if (["NO", "NO_SUBSTITUTE", "NONE"].includes(s.toUpperCase()))
          ctx.add(re.pos, re.path, `a gate cannot require \`${s}\``, "omit `require` to report the verdict without gating");
        else ctx.add(re.pos, re.path, `\`${s}\` is not a verdict to require`, "use FULL or PARTIAL; FULL_SUBSTITUTE, PARTIAL_SUBSTITUTE and lowercase spellings are accepted too");
      }
    }

    if (!target || !proxy || !requireOk) return;
    if (target.id === proxy.id) {
      const pe = keys.get("proxy")!;
      ctx.add(pe.pos, pe.path, `the proxy is the target itself (\`${target.id}\`)`, "a model cannot stand in for itself; pick a smaller model");
      return;
    }
    const k = `${target.id}\u0000${proxy.id}`;
    const prev = seen.get(k);
    if (prev) {
      ctx.add(pos, at, `duplicate pair: \`${proxy.id}\` for \`${target.id}\``, `also defined at line ${prev.line}; keep one`);
      return;
    }
    const pair: PairSpec = { target: target.id, proxy: proxy.id, require, line: pos.line, col: pos.col };
    seen.set(k, pair);
    out.push(pair);
  });
  return out;
}

function readEngine(ctx: Ctx, e: Entry | undefined): EngineSpec {
  const engine: EngineSpec = { name: null, aliases: [], supported: null };
  if (!e || e.value === null) return engine;
  if (!isMap(e.value)) {
    ctx.wrongType(e, "a mapping (name, aliases, supported)", "write `engine:` followed by indented `name:`, `aliases:` or `supported:` lines");
    return engine;
  }
  const keys = ctx.readMap(e.value, "engine", "engine");

  const ne = keys.get("name");
  if (ne) engine.name = ctx.nullableString(ne, "a label such as vllm") ?? null;

  const ae = keys.get("aliases");
  if (ae) {
    const seq = ctx.list(ae, "a list of alias groups", "write `aliases: [[MistralForCausalLM, LlamaForCausalLM]]`");
    const groupOf = new Map<string, Position>();
    const flat = seq && seq.items.length > 0 && seq.items.every((item) => {
      const n = ctx.deref(item);
      return n !== null && isScalar(n) && typeof n.value === "string";
    });
    if (flat) {
      const names = seq.items.map((item) => String((ctx.deref(item) as Scalar).value));
      ctx.add(ae.pos, ae.path, "expected a list of alias groups, got a flat list of classes", `wrap each group in brackets: \`aliases: [[${names.join(", ")}]]\``);
    } else seq?.items.forEach((item, i) => {
      const node = ctx.deref(item);
      const gp = ctx.posOf(node, ae.pos);
      const g: Entry = { key: `aliases[${i}]`, path: `engine.aliases[${i}]`, keyPos: gp, value: node && isScalar(node) && node.value === null ? null : node, pos: gp };
      if (!node || !isSeq(node)) {
        const shown = describeNode(node);
        ctx.add(gp, g.path, `expected an alias group (a list of at least two architecture classes), got ${shown}`, "wrap each group in brackets: `aliases: [[MistralForCausalLM, LlamaForCausalLM]]`");
        return;
      }
      const classes = ctx.stringList(g, {
        what: "architecture classes",
        pattern: ARCH_RE,
        itemWhat: "architecture class",
        patternHint: "an architecture class is an identifier such as `LlamaForCausalLM`, as in config.json `architectures`, or a model_type",
      });
      if (!classes) return;
      if (classes.length < 2) {
        ctx.add(gp, g.path, `an alias group needs at least two architecture classes, got ${classes.length}`, "list the classes the engine serves with one implementation, e.g. [MistralForCausalLM, LlamaForCausalLM]");
        return;
      }
      let ok = true;
      for (const c of classes) {
        const prev = groupOf.get(c);
        if (prev) {
          ctx.add(gp, g.path, `\`${c}\` is already in the alias group at line ${prev.line}`, "merge the two groups into one");
          ok = false;
        }
      }
      if (!ok) return;
      for (const c of classes) groupOf.set(c, gp);
      engine.aliases.push(classes);
    });
  }

  const se = keys.get("supported");
  if (se) {
    const s = ctx.stringList(se, { what: "strings", nonEmpty: true });
    if (s !== undefined) engine.supported = s;
  }
  return engine;
}
