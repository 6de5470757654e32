/**
 * The weekly baseline: where last week's results live (issue 5).
 *
 * `branch:<name>[:<dir>]` (default `branch:standin-baseline`): a data branch holding
 *   <dir>/latest.json                the baseline, a compacted results file (compactResults)
 *   <dir>/history/YYYY-MM-DD.json    one compact summary per run (historyEntry), newest N kept
 * Written only through the Git Data API, with optimistic concurrency: blobs -> tree (base_tree =
 * the head's tree) -> commit (parent = the head) -> update the ref with force: false. When another
 * writer moved the branch in between, GitHub answers 422 "Update is not a fast forward" (409 on
 * some paths; plugin-retry resends neither), so the write re-reads the head and rebuilds the tree
 * and commit on top of it (bounded attempts, jittered backoff). Blobs are content-addressed and
 * reused across attempts. A missing branch is created as an orphan (root commit, no parents).
 * Reads go through the contents API (raw media type, up to 100 MB): a missing branch, file or an
 * empty repository is "no baseline" (first run), never a crash.
 *
 * `file:<path>`: a results file versioned in the repository and updated by a reviewed PR (e.g.
 * commit the results.json artifact of a weekly run). Read from the checkout (GITHUB_WORKSPACE),
 * else through the contents API at the default branch. The action never writes it: `write`
 * answers `{ written: false, reason }`, and there is no history.
 *
 * Tokens: reads need contents: read (a fork PR's read-only token is enough); a write with a
 * read-only token gets 403, raised as BaselineError("baseline_forbidden") for the caller to
 * degrade on (report, but keep the old baseline).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Verdict } from "../compare/types.js";
import { parseResults, toJson } from "../report/json.js";
import type { PairResult, Results } from "../report/types.js";
import { StandinError } from "../util/errors.js";
import { isHttpError, type GitHubClient } from "./client.js";
import type { RepoRef } from "./comment.js";
import type { WeeklyDiff } from "./regressions.js";

export const DEFAULT_BASELINE_BRANCH = "standin-baseline";
export const DEFAULT_BASELINE_SPEC = `branch:${DEFAULT_BASELINE_BRANCH}`;
/** History files kept on the data branch (one per run: a year of weekly runs). */
export const DEFAULT_MAX_HISTORY = 52;
export const HISTORY_SCHEMA = "standin.history/v1";

export type BaselineSpec = { kind: "branch"; branch: string; dir: string } | { kind: "file"; path: string };

export type BaselineErrorCode = "baseline_spec" | "baseline_forbidden" | "baseline_conflict" | "baseline_invalid" | "baseline_unavailable";

/** A baseline problem the caller can degrade on (report without a baseline, keep the old one). */
export class BaselineError extends StandinError {
  readonly status?: number;
  constructor(code: BaselineErrorCode, message: string, opts: { status?: number; hint?: string; file?: string; cause?: unknown } = {}) {
    super(code, message, { hint: opts.hint, file: opts.file, cause: opts.cause });
    this.status = opts.status;
  }
}

/** Parse the `baseline` input: `branch:<name>[:<dir>]` or `file:<path>` ("" = the default branch spec). */
export function parseBaselineSpec(input: string): BaselineSpec {
  const s = input.trim();
  const bad = (why: string): never => {
    throw new BaselineError("baseline_spec", `baseline "${input}": ${why}`, { hint: `use branch:<name>[:<dir>] (default ${DEFAULT_BASELINE_SPEC}) or file:<path>` });
  };
  if (s === "") return { kind: "branch", branch: DEFAULT_BASELINE_BRANCH, dir: "" };
  const colon = s.indexOf(":");
  const kind = colon < 0 ? s : s.slice(0, colon);
  const rest = colon < 0 ? "" : s.slice(colon + 1);
  if (kind === "branch") {
    const sep = rest.indexOf(":");
    const branch = (sep < 0 ? rest : rest.slice(0, sep)).trim() || DEFAULT_BASELINE_BRANCH;
    const dir = normalizeDir(sep < 0 ? "" : rest.slice(sep + 1), bad);
    if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.startsWith("/") || branch.endsWith("/") || branch.includes("..") || branch.endsWith(".lock") || branch.startsWith("-")) {
      bad(`"${branch}" is not a valid branch name`);
    }
    return { kind: "branch", branch, dir };
  }
  if (kind === "file") {
    const p = normalizeDir(rest, bad);
    if (p === "") bad("file: needs a path");
    return { kind: "file", path: p };
  }
  return bad(`unknown kind "${kind}"`);
}

/** "", ".", "./a/b/", "/a" -> "", "", "a/b", "a"; rejects "..". */
function normalizeDir(d: string, bad: (why: string) => never): string {
  const parts = d
    .trim()
    .replace(/\\/g, "/")
    .split("/")
    .filter((p) => p !== "" && p !== ".");
  if (parts.includes("..")) bad(`"${d}" leaves the repository`);
  return parts.join("/");
}

export function formatBaselineSpec(spec: BaselineSpec): string {
  return spec.kind === "file" ? `file:${spec.path}` : `branch:${spec.branch}${spec.dir ? `:${spec.dir}` : ""}`;
}

// ------------------------------------------------------------------------------------------------
// What is stored

/** Error findings kept per model in the stored copy (counts stay exact). */
const MAX_STORED_FINDINGS = 20;

/**
 * The stored copy of a results file: what the weekly diff and PR mode need, without the bulk.
 * Dropped: the all-pairs `matrix` (n(n-1) cells: ~63 MB of a 500-model run's 100 MB), plan
 * `entries` (per-level hardware fits, recomputed each run), weight signatures, the
 * extras/unverified/covered/scale detail of pair comparisons (reasons and isomorphism stay), and
 * integrity findings other than the first errors (counts and reasons stay). Kept exactly: models'
 * sources, features, scale, weight format, tensor count and params; integrity status; expectations;
 * pair verdicts, requirements and reasons; plan proxies and verdicts; the gate.
 */
export function compactResults(r: Results): Results {
  const pair = (p: PairResult): PairResult => {
    const { notes: _notes, ...rest } = p;
    return { ...rest, extras: [], unverified: [], covered: [], scale: [], isomorphism: { ...p.isomorphism, notes: [] } };
  };
  return {
    ...r,
    models: r.models.map((m) => ({ ...m, signature: null })),
    integrity: r.integrity.map((i) => ({ ...i, findings: i.findings.filter((f) => f.severity === "error").slice(0, MAX_STORED_FINDINGS) })),
    pairs: r.pairs.map(pair),
    matrix: [],
    plans: r.plans.map((p) => ({ ...p, entries: [] })),
  };
}

/** One run, as the HTML dashboard reads it (`history: HistoryPoint[]`). */
export interface HistoryPoint {
  date: string;
  /** Verdict counts over the all-pairs matrix (the manifest pairs when the run has no matrix), as the dashboard's historyEntryFor counts them. */
  verdicts: Record<Verdict, number>;
  integrityFailures: number;
  /** Models whose fingerprint drifted at a new upstream revision in this run. */
  drifted: string[];
}

/** The stored history file (a HistoryPoint plus what a later audit needs). */
export interface HistoryEntry extends HistoryPoint {
  schema: typeof HISTORY_SCHEMA;
  generatedAt: string;
  tool: string;
  zoo: string | null;
  models: number;
  pairs: number;
  /** Verdict counts of the manifest pairs. */
  pairVerdicts: Record<Verdict, number>;
  /** Model -> resolved sha (null: local or not fingerprinted). */
  shas: Record<string, string | null>;
  /** Models that FAIL integrity / could not be fingerprinted. */
  integrityFailed: string[];
  unknown: string[];
  /** Regressions against the baseline in this run (0 on a first run). */
  regressions: number;
  gatePassed: boolean;
}

const DATE_RE = /^\d{4}-\d{2}-\d{2}$/;

function toDate(d: string | Date | undefined, results: Results): string {
  if (d instanceof Date) return d.toISOString().slice(0, 10);
  const s = d ?? results.generatedAt.slice(0, 10);
  if (!DATE_RE.test(s)) throw new BaselineError("baseline_spec", `history date "${s}" is not YYYY-MM-DD`);
  return s;
}

/** The compact per-run summary stored under history/. */
export function historyEntry(results: Results, date: string, diff?: WeeklyDiff): HistoryEntry {
  const count = (cells: readonly { verdict: Verdict }[]): Record<Verdict, number> => {
    const c: Record<Verdict, number> = { FULL_SUBSTITUTE: 0, PARTIAL_SUBSTITUTE: 0, NO_SUBSTITUTE: 0, UNKNOWN: 0 };
    for (const x of cells) c[x.verdict]++;
    return c;
  };
  const verdicts = count(results.matrix.length > 0 ? results.matrix : results.pairs);
  const failed = results.integrity.filter((i) => i.status === "FAIL").map((i) => i.model);
  const shas: Record<string, string | null> = {};
  for (const m of [...results.models].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0))) shas[m.model] = m.source.sha;
  return {
    schema: HISTORY_SCHEMA,
    date,
    verdicts,
    integrityFailures: failed.length,
    drifted: diff ? diff.regressions.filter((r) => r.kind === "fingerprint_drift").map((r) => r.model) : [],
    generatedAt: results.generatedAt,
    tool: `${results.tool.name} ${results.tool.version}`,
    zoo: results.manifest?.name ?? null,
    models: results.models.length,
    pairs: results.pairs.length,
    pairVerdicts: count(results.pairs),
    shas,
    integrityFailed: failed,
    unknown: results.models.filter((m) => m.status !== "ok").map((m) => m.model),
    regressions: diff?.regressions.length ?? 0,
    gatePassed: results.gate.passed,
  };
}

function parseHistory(text: string): HistoryEntry | null {
  try {
    const v = JSON.parse(text) as Partial<HistoryEntry>;
    if (v.schema !== HISTORY_SCHEMA || typeof v.date !== "string" || typeof v.verdicts !== "object" || v.verdicts === null) return null;
    return { ...v, drifted: Array.isArray(v.drifted) ? v.drifted : [], integrityFailures: typeof v.integrityFailures === "number" ? v.integrityFailures : 0 } as HistoryEntry;
  } catch {
    return null;
  }
}

// ------------------------------------------------------------------------------------------------
// The store

export interface WriteOptions {
  /** Date of the history file (YYYY-MM-DD or a Date); default: the results' generatedAt date. */
  date?: string | Date;
  /** What becomes latest.json (default `results`): the ratcheted baseline (regressions.ts nextBaseline). */
  latest?: Results;
  /** This run's diff: fills the history entry's drifted models and regression count. */
  diff?: WeeklyDiff;
  /** Commit message (default "standin baseline <date> (...)"). */
  message?: string;
}

export type WriteResult =
  | {
      written: true;
      branch: string;
      commit: string;
      /** Attempts it took (1 without a concurrent writer). */
      attempts: number;
      /** The branch did not exist: an orphan root commit created it. */
      created: boolean;
      /** History files deleted past the bound. */
      pruned: string[];
      /** Bytes of the stored latest.json and history file. */
      bytes: { latest: number; history: number };
    }
  | { written: false; reason: string };

export interface BaselineStore {
  readonly spec: BaselineSpec;
  /** "branch standin-baseline (latest.json)" / "file baselines/zoo.json" */
  describe(): string;
  /** The baseline, or null when there is none yet (first run). Throws BaselineError (invalid file, 403). */
  read(): Promise<Results | null>;
  /** Store this run (latest.json + a history file). Throws BaselineError (403, conflicts that outlast the retries). */
  write(results: Results, opts?: WriteOptions): Promise<WriteResult>;
  /** Stored history, oldest first ([] without a data branch). */
  readHistory(): Promise<HistoryEntry[]>;
}

export interface StoreOptions {
  /** Checkout directory for file: baselines (default GITHUB_WORKSPACE). */
  workspace?: string;
  /** History files kept (default 52). */
  maxHistory?: number;
  /** Write attempts against concurrent writers (default 5). */
  maxAttempts?: number;
  /** Backoff between attempts: attempt * backoffMs * (0.5 .. 1.5) (default 500 ms). */
  backoffMs?: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export function createBaselineStore(client: GitHubClient, repoRef: RepoRef, spec: string | BaselineSpec, opts: StoreOptions = {}): BaselineStore {
  const s = typeof spec === "string" ? parseBaselineSpec(spec) : spec;
  const repo = { owner: repoRef.owner, repo: repoRef.repo }; // only these two reach the API
  return s.kind === "file" ? new FileBaseline(client, repo, s, opts) : new BranchBaseline(client, repo, s, opts);
}

const sleeper = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function forbidden(e: unknown, what: string, repo: RepoRef): BaselineError | null {
  if (!isHttpError(e, 403)) return null;
  return new BaselineError("baseline_forbidden", `${what} in ${repo.owner}/${repo.repo}: ${e.message}`, {
    status: 403,
    cause: e,
    hint: "the token cannot write contents (a fork pull request's GITHUB_TOKEN is read-only): give the weekly workflow `permissions: contents: write`",
  });
}

async function readRaw(client: GitHubClient, repo: RepoRef, file: string, ref: string | undefined): Promise<string | null> {
  try {
    const res = await client.rest.repos.getContent({ ...repo, path: file, ...(ref ? { ref } : {}), mediaType: { format: "raw" } });
    const data: unknown = res.data;
    if (typeof data === "string") return data;
    // a directory listing (the path is a folder) or an unexpected shape: not a baseline file
    if (Array.isArray(data)) throw new BaselineError("baseline_invalid", `${file} is a directory, not a results file`, { file });
    return Buffer.isBuffer(data) ? data.toString("utf8") : JSON.stringify(data);
  } catch (e) {
    if (e instanceof BaselineError) throw e;
    // 404: no such branch/ref or file; 409: "Git Repository is empty."
    if (isHttpError(e, 404) || isHttpError(e, 409)) return null;
    if (isHttpError(e, 403) || isHttpError(e, 401)) {
      throw new BaselineError("baseline_unavailable", `cannot read ${file} in ${repo.owner}/${repo.repo}: ${e.message}`, { status: e.status, cause: e, file, hint: "the token needs contents: read" });
    }
    throw e;
  }
}

function parseBaseline(text: string, where: string): Results {
  try {
    return parseResults(text, where);
  } catch (e) {
    throw new BaselineError("baseline_invalid", e instanceof Error ? e.message : String(e), {
      file: where,
      cause: e,
      hint: "fix or delete the file (a deleted baseline makes the next weekly run a first run)",
    });
  }
}

class FileBaseline implements BaselineStore {
  constructor(
    private readonly client: GitHubClient,
    private readonly repo: RepoRef,
    readonly spec: { kind: "file"; path: string },
    private readonly opts: StoreOptions,
  ) {}

  describe(): string {
    return `file ${this.spec.path}`;
  }

  async read(): Promise<Results | null> {
    const ws = this.opts.workspace ?? (this.opts.env ?? process.env).GITHUB_WORKSPACE;
    if (ws) {
      const local = path.join(ws, this.spec.path);
      if (existsSync(local)) return parseBaseline(readFileSync(local, "utf8"), this.spec.path);
    }
    const text = await readRaw(this.client, this.repo, this.spec.path, undefined);
    return text === null ? null : parseBaseline(text, this.spec.path);
  }

  async write(): Promise<WriteResult> {
    return {
      written: false,
      reason: `the baseline is the versioned file ${this.spec.path}: the action does not write it; update it by a reviewed pull request (commit this run's results.json there)`,
    };
  }

  async readHistory(): Promise<HistoryEntry[]> {
    return [];
  }
}

class BranchBaseline implements BaselineStore {
  private readonly maxHistory: number;
  private readonly maxAttempts: number;

  constructor(
    private readonly client: GitHubClient,
    private readonly repo: RepoRef,
    readonly spec: { kind: "branch"; branch: string; dir: string },
    private readonly opts: StoreOptions,
  ) {
    this.maxHistory = Math.max(1, opts.maxHistory ?? DEFAULT_MAX_HISTORY);
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
  }

  private file(name: string): string {
    return this.spec.dir ? `${this.spec.dir}/${name}` : name;
  }

  describe(): string {
    return `branch ${this.spec.branch} (${this.file("latest.json")})`;
  }

  async read(): Promise<Results | null> {
    const text = await readRaw(this.client, this.repo, this.file("latest.json"), this.spec.branch);
    return text === null ? null : parseBaseline(text, `${this.spec.branch}:${this.file("latest.json")}`);
  }

  async readHistory(): Promise<HistoryEntry[]> {
    let list: { name: string; sha: string; type: string }[];
    try {
      const res = await this.client.rest.repos.getContent({ ...this.repo, path: this.file("history"), ref: this.spec.branch });
      list = Array.isArray(res.data) ? res.data.map((e) => ({ name: e.name, sha: e.sha, type: e.type })) : [];
    } catch (e) {
      if (isHttpError(e, 404) || isHttpError(e, 409)) return [];
      throw e;
    }
    const files = list.filter((e) => e.type === "file" && /^\d{4}-\d{2}-\d{2}\.json$/.test(e.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
    const out: (HistoryEntry | null)[] = new Array<HistoryEntry | null>(files.length).fill(null);
    const CONCURRENCY = 8;
    for (let i = 0; i < files.length; i += CONCURRENCY) {
      await Promise.all(
        files.slice(i, i + CONCURRENCY).map(async (f, j) => {
          const blob = await this.client.rest.git.getBlob({ ...this.repo, file_sha: f.sha });
          out[i + j] = parseHistory(Buffer.from(blob.data.content, "base64").toString("utf8"));
        }),
      );
    }
    return out.filter((x): x is HistoryEntry => x !== null);
  }

  async write(results: Results, wo: WriteOptions = {}): Promise<WriteResult> {
    const date = toDate(wo.date, results);
    const latestText = toJson(compactResults(wo.latest ?? results));
    const history = historyEntry(results, date, wo.diff);
    const historyText = `${JSON.stringify(history)}\n`;
    const latestPath = this.file("latest.json");
    const historyDir = this.file("history");
    const historyPath = `${historyDir}/${date}.json`;
    const message = wo.message ?? `standin baseline ${date} (${results.models.length} models, ${results.pairs.length} pairs${wo.diff ? `, ${wo.diff.regressions.length} regressions` : ""})`;
    const ref = `heads/${this.spec.branch}`;
    const log = this.opts.log ?? (() => undefined);
    const sleep = this.opts.sleep ?? sleeper;
    const random = this.opts.random ?? Math.random;
    const backoff = this.opts.backoffMs ?? 500;
    const blobs = new Map<string, string>();
    const blob = async (text: string): Promise<string> => {
      const known = blobs.get(text);
      if (known) return known;
      const res = await this.client.rest.git.createBlob({ ...this.repo, content: Buffer.from(text, "utf8").toString("base64"), encoding: "base64" });
      blobs.set(text, res.data.sha);
      return res.data.sha;
    };

    let lastError: unknown = null;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        const head = await this.head();
        let baseTree: string | null = null;
        const existing: string[] = [];
        if (head) {
          baseTree = (await this.client.rest.git.getCommit({ ...this.repo, commit_sha: head })).data.tree.sha;
          const tree = await this.client.rest.git.getTree({ ...this.repo, tree_sha: baseTree, recursive: "1" });
          for (const e of tree.data.tree) {
            const p = e.path ?? "";
            if (e.type === "blob" && p.startsWith(`${historyDir}/`) && /^\d{4}-\d{2}-\d{2}\.json$/.test(p.slice(historyDir.length + 1))) existing.push(p);
          }
        }
        const keep = new Set([...new Set([...existing, historyPath])].sort().reverse().slice(0, this.maxHistory));
        const pruned = existing.filter((p) => !keep.has(p)).sort();
        const entries: { path: string; mode: "100644"; type: "blob"; sha: string | null }[] = [
          { path: latestPath, mode: "100644", type: "blob", sha: await blob(latestText) },
          ...(keep.has(historyPath) ? [{ path: historyPath, mode: "100644" as const, type: "blob" as const, sha: await blob(historyText) }] : []),
          ...pruned.map((p) => ({ path: p, mode: "100644" as const, type: "blob" as const, sha: null })),
        ];
        const tree = await this.client.rest.git.createTree({ ...this.repo, tree: entries, ...(baseTree ? { base_tree: baseTree } : {}) });
        const commit = await this.client.rest.git.createCommit({ ...this.repo, message, tree: tree.data.sha, parents: head ? [head] : [] });
        if (head) await this.client.rest.git.updateRef({ ...this.repo, ref, sha: commit.data.sha, force: false });
        else await this.client.rest.git.createRef({ ...this.repo, ref: `refs/${ref}`, sha: commit.data.sha });
        return {
          written: true,
          branch: this.spec.branch,
          commit: commit.data.sha,
          attempts: attempt,
          created: head === null,
          pruned,
          bytes: { latest: Buffer.byteLength(latestText), history: Buffer.byteLength(historyText) },
        };
      } catch (e) {
        const denied = forbidden(e, `cannot write the baseline branch ${this.spec.branch}`, this.repo);
        if (denied) throw denied;
        if (isHttpError(e, 409) && /repository is empty/i.test(e.message)) {
          throw new BaselineError("baseline_unavailable", `cannot write the baseline branch ${this.spec.branch}: ${this.repo.owner}/${this.repo.repo} has no commits yet`, {
            status: 409,
            cause: e,
            hint: "push a first commit to the repository",
          });
        }
        // 422: not a fast forward / reference already exists / vanished; 409: conflict
        if (!(isHttpError(e, 422) || isHttpError(e, 409))) throw e;
        lastError = e;
        if (attempt < this.maxAttempts) {
          const wait = Math.round(attempt * backoff * (0.5 + random()));
          log(`baseline branch ${this.spec.branch} moved under us (${(e as { message: string }).message}); retrying in ${wait} ms (attempt ${attempt + 1}/${this.maxAttempts})`);
          await sleep(wait);
        }
      }
    }
    throw new BaselineError(
      "baseline_conflict",
      `could not update the baseline branch ${this.spec.branch} after ${this.maxAttempts} attempts: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
      { cause: lastError, ...(isHttpError(lastError) ? { status: lastError.status } : {}), hint: "another job keeps writing the branch: run the weekly job alone (concurrency: zoo-weekly)" },
    );
  }

  /** Head commit of the branch, or null when it does not exist (or the repository is empty). */
  private async head(): Promise<string | null> {
    try {
      const res = await this.client.rest.git.getRef({ ...this.repo, ref: `heads/${this.spec.branch}` });
      return res.data.object.sha;
    } catch (e) {
      if (isHttpError(e, 404) || isHttpError(e, 409)) return null;
      const denied = forbidden(e, `cannot read the baseline branch ${this.spec.branch}`, this.repo);
      if (denied) throw denied;
      throw e;
    }
  }
}
