/**
 * A local GitHub REST API on 127.0.0.1 for standin's tests: real HTTP (so undici fetch, Octokit,
 * @actions/github's getOctokit and its plugins all run unmodified), GitHub's response shapes, its
 * error bodies and status codes, rate-limit headers, and every exchange validated against GitHub's
 * published OpenAPI description (openapi.ts). Tests assert `server.violations` is empty.
 *
 *   const gh = await startGitHubServer({
 *     repos: [{ owner: "acme", name: "zoo" }],
 *     tokens: [actionsToken("ghs_write"), forkPullRequestToken("ghs_read")],
 *   });
 *   const pr = gh.state.createPullRequest("acme/zoo", { title: "Bump", head: { ref: "bump" } });
 *   const octokit = new (Octokit.plugin(retry, throttling))({ baseUrl: gh.url, auth: "ghs_write", ... });
 *   await octokit.rest.issues.createComment({ owner: "acme", repo: "zoo", issue_number: pr.number, body: "hi" });
 *   gh.state.comments("acme/zoo", pr.number);   // [{ body: "hi", user: { login: "github-actions[bot]" } }]
 *   gh.requests;                                // [{ method, path, query, status, login, operationId, ... }]
 *   gh.violations;                              // [] (OpenAPI request/response violations)
 *   await gh.close();
 *
 * In-memory state: users and bots (github-actions[bot] is always there, id 41898282, type Bot),
 * repos (owner/name, default branch, private, fork) each with a git object store (git-store.ts:
 * real git shas), issues and PRs sharing one number sequence (PR issues carry `pull_request`),
 * issue comments, labels, and tokens mapping to an identity with `contents`/`issues`/`pull_requests`
 * permissions (a fork-PR GITHUB_TOKEN is read-only: writes get 403 "Resource not accessible by
 * integration").
 *
 * Faults, GitHub-style: secondary rate limit (403 + retry-after, "You have exceeded a secondary rate
 * limit"), primary rate limit (403/429 + x-ratelimit-remaining: 0), 5xx bursts (JSON or the HTML
 * "Unicorn" page), a concurrent writer that moves a ref (or branch) just before the request is
 * handled (so a `force: false` ref update really is non-fast-forward, and a contents PUT really has
 * a stale sha), latency and connection resets.
 *
 * Link headers use `/repositories/{id}/...` URLs like api.github.com does (octokit.paginate must
 * follow them verbatim); such paths are accepted and mapped back to `/repos/{owner}/{repo}/...`.
 */
import { once } from "node:events";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { EMPTY_TREE_SHA, GitError, GitStore, isSha, type CommitObject, type GitSignature, type TreeChange, type TreeEntryType, type TreeMode } from "./git-store.js";
import {
  DEFAULT_API_VERSION,
  OpenApiValidator,
  formatViolation,
  isJsonObject,
  matchOperation,
  type Json,
  type JsonObject,
  type OperationMatch,
  type ValidatorOptions,
  type Violation,
} from "./openapi.js";

// ---------------------------------------------------------------------------------------------
// public types

export type Access = "none" | "read" | "write";
export type Resource = "contents" | "issues" | "pull_requests" | "metadata";
export type TokenPermissions = Partial<Record<Resource, Access>>;
/** installation: GITHUB_TOKEN / app installation token; pat: personal access token; app: app JWT. */
export type TokenKind = "installation" | "pat" | "app";
export type UserType = "User" | "Bot" | "Organization";

export interface UserInit {
  login: string;
  id?: number;
  type?: UserType;
  name?: string | null;
  email?: string | null;
}

export interface TokenInit {
  token: string;
  /** Identity the token acts as (created as a User when unknown). */
  login: string;
  kind?: TokenKind;
  permissions?: TokenPermissions;
  /** Full names the token may act on (GITHUB_TOKEN: only its own repo); default: every repo. */
  repositories?: string[];
  /** x-ratelimit-limit (defaults: installation 1000, pat/app 5000). */
  rateLimit?: number;
}

export interface RepoInit {
  owner: string;
  name: string;
  defaultBranch?: string;
  private?: boolean;
  /** Full name of the parent: this repo is a fork sharing the parent's objects and refs. */
  fork?: string;
  description?: string | null;
  /** No commits at all (git endpoints answer 409 "Git Repository is empty."). */
  empty?: boolean;
  /** Files of the initial commit (default: a README.md). */
  files?: Record<string, string>;
  collaborators?: string[];
  id?: number;
}

export interface IssueInit {
  title: string;
  body?: string | null;
  /** Author login (default: the repo owner). */
  user?: string;
  labels?: string[];
  state?: "open" | "closed";
  stateReason?: StateReason | null;
}

export interface PullFileInit {
  filename: string;
  status?: "added" | "removed" | "modified" | "renamed";
  /** New content (committed on the head branch); null for removed files. */
  content?: string | null;
  previousFilename?: string;
  patch?: string;
  additions?: number;
  deletions?: number;
}

export interface PullRequestInit extends IssueInit {
  head: { ref: string; sha?: string; /** fork full name */ repo?: string; user?: string };
  base?: { ref?: string; sha?: string };
  draft?: boolean;
  files?: PullFileInit[];
}

export interface CommentInit {
  body: string;
  /** Author login (default: github-actions[bot]). */
  user?: string;
}

export type StateReason = "completed" | "not_planned" | "reopened" | "duplicate";

export interface UserRecord {
  login: string;
  id: number;
  node_id: string;
  type: UserType;
  name: string | null;
  email: string | null;
  created_at: string;
}

export interface LabelRecord {
  id: number;
  node_id: string;
  name: string;
  color: string;
  description: string | null;
  default: boolean;
}

export interface PullRecord {
  id: number;
  node_id: string;
  head: { ref: string; sha: string; repo: RepoRecord; user: UserRecord };
  base: { ref: string; sha: string; repo: RepoRecord };
  draft: boolean;
  merged: boolean;
  files: PullFileInit[];
  maintainer_can_modify: boolean;
}

export interface IssueRecord {
  id: number;
  node_id: string;
  number: number;
  repo: RepoRecord;
  title: string;
  body: string | null;
  user: UserRecord;
  state: "open" | "closed";
  state_reason: StateReason | null;
  labels: LabelRecord[];
  locked: boolean;
  created_at: string;
  updated_at: string;
  closed_at: string | null;
  closed_by: UserRecord | null;
  comments: CommentRecord[];
  pull: PullRecord | null;
  /** Creation order (timestamps have 1 s resolution). */
  seq: number;
}

export interface CommentRecord {
  id: number;
  node_id: string;
  issue: IssueRecord;
  user: UserRecord;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface RepoRecord {
  id: number;
  node_id: string;
  owner: UserRecord;
  name: string;
  full_name: string;
  private: boolean;
  fork: boolean;
  parent: RepoRecord | null;
  default_branch: string;
  description: string | null;
  created_at: string;
  updated_at: string;
  pushed_at: string;
  git: GitStore;
  issues: Map<number, IssueRecord>;
  labels: Map<string, LabelRecord>;
  collaborators: Set<string>;
  nextNumber: number;
}

export interface RateBucket {
  limit: number;
  used: number;
  /** epoch seconds */
  reset: number;
}

export interface TokenRecord {
  token: string;
  user: UserRecord;
  kind: TokenKind;
  permissions: Record<Resource, Access>;
  repositories: Set<string> | null;
  rate: RateBucket;
}

export type FaultKind = "secondary-rate-limit" | "primary-rate-limit" | "server-error" | "concurrent-writer" | "latency" | "reset";

export interface FaultRequest {
  method: string;
  /** Canonical path (/repos/{owner}/{repo}/...), percent-encoded, no query. */
  path: string;
  query: URLSearchParams;
  operationId: string | null;
  body: unknown;
  login: string | null;
}

export interface FaultMatch {
  method?: string;
  operationId?: string;
  path?: string | RegExp;
}

export interface FaultRule {
  kind: FaultKind;
  match?: FaultMatch | ((req: FaultRequest) => boolean);
  /** Matching requests that get the fault (default 1; Infinity for all). */
  times?: number;
  /** Matching requests let through before the fault starts (default 0). */
  skip?: number;
  /** secondary/primary: 403 (default) or 429; server-error: 500/502/503/504 (default 502). */
  status?: number;
  /** secondary-rate-limit: retry-after seconds (default 1; null: no header, clients fall back). */
  retryAfter?: number | null;
  /** primary-rate-limit: seconds until x-ratelimit-reset (default 1). */
  resetIn?: number;
  /** latency: delay before handling (default 100 ms). */
  latencyMs?: number;
  /** server-error: answer with GitHub's HTML error page instead of JSON. */
  html?: boolean;
  /** concurrent-writer: the other writer's change (path -> content, null deletes). */
  files?: Record<string, string | null>;
  /** concurrent-writer: ref to move ("heads/x"); default: the ref or branch of the request. */
  ref?: string;
}

export interface FaultHandle {
  readonly rule: FaultRule;
  /** Requests that received the fault. */
  readonly hits: number;
  remove(): void;
}

export interface RequestLogEntry {
  seq: number;
  /** ms since the server started */
  at: number;
  method: string;
  /** Canonical path (percent-encoded, no query). */
  path: string;
  /** URL as received (may be /repositories/{id}/...). */
  rawUrl: string;
  query: Record<string, string>;
  operationId: string | null;
  status: number;
  /** Identity of the token (null: anonymous or bad credentials). */
  login: string | null;
  tokenKind: TokenKind | null;
  fault?: FaultKind;
  requestBody?: unknown;
  requestId: string;
  apiVersion: string;
  userAgent: string | null;
  ms: number;
}

export interface RouteRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  login: string | null;
  operationId: string;
}

export interface RouteResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Send `body` (a string) as-is with this content-type. */
  contentType?: string;
}

export type RouteHandler = (req: RouteRequest) => RouteResponse | Promise<RouteResponse>;

export interface GitHubServerOptions {
  users?: UserInit[];
  repos?: RepoInit[];
  tokens?: TokenInit[];
  faults?: FaultRule[];
  /** Validate every exchange against the OpenAPI description (default true). */
  validate?: boolean;
  /** Answer any exchange that violated the description with 400 (non-retryable) instead. */
  strict?: boolean;
  validator?: ValidatorOptions;
  /** Link header style: api.github.com's "/repositories/{id}/..." (default) or "/repos/{o}/{r}/...". */
  linkStyle?: "repositories" | "repos";
  /** Accepted X-GitHub-Api-Version values (default: 2022-11-28 and 2026-03-10). */
  apiVersions?: string[];
  /** Base of html_url values (default https://github.com). */
  serverUrl?: string;
  /** Clock (ms) for timestamps and rate-limit windows (default Date.now). */
  now?: () => number;
  /** GitHub answers a request without User-Agent with 403 (default true). */
  requireUserAgent?: boolean;
  /** Status of an exhausted primary rate limit: 403 (default, what GitHub mostly sends) or 429. */
  primaryRateLimitStatus?: 403 | 429;
}

export interface GitHubServer {
  /** http://127.0.0.1:PORT (Octokit baseUrl / GITHUB_API_URL) */
  readonly url: string;
  readonly port: number;
  readonly state: GitHubState;
  readonly validator: OpenApiValidator;
  readonly violations: Violation[];
  readonly requests: RequestLogEntry[];
  fault(rule: FaultRule): FaultHandle;
  clearFaults(): void;
  /** Replace the handler of an operation (e.g. to serve a deliberately wrong body). */
  override(operationId: string, handler: RouteHandler): () => void;
  /** Clear the request log and the violations. */
  reset(): void;
  assertNoViolations(): void;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// identities and tokens

export const GITHUB_ACTIONS_BOT: Readonly<Required<UserInit>> = {
  login: "github-actions[bot]",
  id: 41898282,
  type: "Bot",
  name: null,
  email: null,
};
export const GITHUB_ACTIONS_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com";
export const ALL_WRITE: Readonly<Record<Resource, Access>> = { contents: "write", issues: "write", pull_requests: "write", metadata: "read" };
export const ALL_READ: Readonly<Record<Resource, Access>> = { contents: "read", issues: "read", pull_requests: "read", metadata: "read" };

/** A GITHUB_TOKEN (github-actions[bot]); default permissions: contents/issues/pull_requests write. */
export function actionsToken(token: string, opts: { permissions?: TokenPermissions; repositories?: string[] } = {}): TokenInit {
  return { token, login: GITHUB_ACTIONS_BOT.login, kind: "installation", permissions: { ...ALL_WRITE, ...opts.permissions }, ...(opts.repositories ? { repositories: opts.repositories } : {}) };
}

/** The read-only GITHUB_TOKEN a `pull_request` run from a public fork gets. */
export function forkPullRequestToken(token: string, repositories?: string[]): TokenInit {
  return { token, login: GITHUB_ACTIONS_BOT.login, kind: "installation", permissions: { ...ALL_READ }, ...(repositories ? { repositories } : {}) };
}

/** A personal access token of a human user (can call GET /user). */
export function personalToken(token: string, login: string, permissions: TokenPermissions = ALL_WRITE): TokenInit {
  return { token, login, kind: "pat", permissions: { ...ALL_WRITE, ...permissions } };
}

const LEVEL: Record<Access, number> = { none: 0, read: 1, write: 2 };

// ---------------------------------------------------------------------------------------------
// helpers

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function nodeId(prefix: string, id: number | string): string {
  return `${prefix}_kwDO${Buffer.from(`${prefix}:${id}`).toString("base64").replace(/=+$/, "")}`;
}

/** GitHub wraps base64 `content` at 60 characters, each line ending in "\n". */
function base64Wrapped(data: Buffer): string {
  const b64 = data.toString("base64");
  let out = "";
  for (let i = 0; i < b64.length; i += 60) out += `${b64.slice(i, i + 60)}\n`;
  return out;
}

function encodePath(path: string): string {
  return path.split("/").map(encodeURIComponent).join("/");
}

function chars(s: string): number {
  return [...s].length;
}

function lines(s: string): string[] {
  if (s === "") return [];
  const parts = s.split("\n");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}

function naivePatch(before: string | null, after: string | null): { patch: string; additions: number; deletions: number } {
  const a = before === null ? [] : lines(before);
  const b = after === null ? [] : lines(after);
  const header = `@@ -${a.length === 0 ? 0 : 1},${a.length} +${b.length === 0 ? 0 : 1},${b.length} @@`;
  return { patch: [header, ...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)].join("\n"), additions: b.length, deletions: a.length };
}

function field(body: unknown, key: string): unknown {
  return isJsonObject(body) ? body[key] : undefined;
}

function asString(value: unknown): string | undefined {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : undefined;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: JsonObject | null,
    readonly headers: Record<string, string> = {},
  ) {
    super(typeof body?.message === "string" ? body.message : `HTTP ${status}`);
  }
}

// ---------------------------------------------------------------------------------------------
// state

export class GitHubState {
  readonly users = new Map<string, UserRecord>();
  readonly repos = new Map<string, RepoRecord>();
  readonly tokens = new Map<string, TokenRecord>();
  readonly commentsById = new Map<number, CommentRecord>();
  private readonly ids = { user: 5_000_000, repo: 700_000_000, issue: 2_900_000_000, pull: 1_900_000_000, comment: 2_500_000_000, label: 6_100_000_000 };
  private seq = 0;

  constructor(readonly now: () => number = Date.now) {
    this.addUser(GITHUB_ACTIONS_BOT);
  }

  timestamp(): string {
    return iso(this.now());
  }

  // users -----------------------------------------------------------------------------------

  addUser(init: UserInit): UserRecord {
    const existing = this.users.get(init.login.toLowerCase());
    if (existing) return existing;
    const id = init.id ?? ++this.ids.user;
    const type: UserType = init.type ?? (init.login.endsWith("[bot]") ? "Bot" : "User");
    const user: UserRecord = {
      login: init.login,
      id,
      node_id: nodeId(type === "Bot" ? "BOT" : type === "Organization" ? "O" : "U", id),
      type,
      name: init.name ?? null,
      email: init.email ?? null,
      created_at: this.timestamp(),
    };
    this.users.set(init.login.toLowerCase(), user);
    return user;
  }

  user(login: string): UserRecord | undefined {
    return this.users.get(login.toLowerCase());
  }

  /** Known user, or a new User with that login. */
  ensureUser(login: string): UserRecord {
    return this.user(login) ?? this.addUser({ login });
  }

  signature(user: UserRecord): GitSignature {
    return {
      name: user.name ?? user.login,
      email: user.type === "Bot" && user.login === GITHUB_ACTIONS_BOT.login ? GITHUB_ACTIONS_EMAIL : (user.email ?? `${user.id}+${user.login}@users.noreply.github.com`),
      date: this.timestamp(),
    };
  }

  // tokens ----------------------------------------------------------------------------------

  addToken(init: TokenInit): TokenRecord {
    const kind = init.kind ?? "installation";
    const record: TokenRecord = {
      token: init.token,
      user: this.ensureUser(init.login),
      kind,
      permissions: { contents: "none", issues: "none", pull_requests: "none", ...init.permissions, metadata: "read" },
      repositories: init.repositories ? new Set(init.repositories.map((r) => r.toLowerCase())) : null,
      rate: { limit: init.rateLimit ?? (kind === "installation" ? 1000 : 5000), used: 0, reset: Math.floor(this.now() / 1000) + 3600 },
    };
    this.tokens.set(init.token, record);
    return record;
  }

  revokeToken(token: string): void {
    this.tokens.delete(token);
  }

  // repos -----------------------------------------------------------------------------------

  addRepo(init: RepoInit): RepoRecord {
    const owner = this.ensureUser(init.owner);
    const full = `${owner.login}/${init.name}`;
    if (this.repos.has(full.toLowerCase())) throw new Error(`repo ${full} exists`);
    const parent = init.fork ? this.repo(init.fork) : null;
    const id = init.id ?? ++this.ids.repo;
    const now = this.timestamp();
    const repo: RepoRecord = {
      id,
      node_id: nodeId("R", id),
      owner,
      name: init.name,
      full_name: full,
      private: init.private ?? parent?.private ?? false,
      fork: parent !== null,
      parent,
      default_branch: init.defaultBranch ?? parent?.default_branch ?? "main",
      description: init.description ?? null,
      created_at: now,
      updated_at: now,
      pushed_at: now,
      git: parent ? parent.git.clone() : new GitStore(),
      issues: new Map(),
      labels: new Map(),
      collaborators: new Set((init.collaborators ?? []).map((c) => c.toLowerCase())),
      nextNumber: 1,
    };
    this.repos.set(full.toLowerCase(), repo);
    if (!parent && !init.empty) {
      const sig = this.signature(owner);
      repo.git.commitFiles(repo.default_branch, init.files ?? { "README.md": `# ${init.name}\n` }, "Initial commit", sig);
    }
    return repo;
  }

  findRepo(fullName: string): RepoRecord | undefined {
    return this.repos.get(fullName.toLowerCase());
  }

  repo(fullName: string | RepoRecord): RepoRecord {
    if (typeof fullName !== "string") return fullName;
    const repo = this.findRepo(fullName);
    if (!repo) throw new Error(`unknown repo ${fullName}`);
    return repo;
  }

  repoById(id: number): RepoRecord | undefined {
    for (const r of this.repos.values()) if (r.id === id) return r;
    return undefined;
  }

  // labels ----------------------------------------------------------------------------------

  label(repo: string | RepoRecord, name: string): LabelRecord | undefined {
    return this.repo(repo).labels.get(name.toLowerCase());
  }

  createLabel(repo: string | RepoRecord, init: { name: string; color?: string; description?: string | null }): LabelRecord {
    const r = this.repo(repo);
    const existing = r.labels.get(init.name.toLowerCase());
    if (existing) return existing;
    const id = ++this.ids.label;
    const label: LabelRecord = { id, node_id: nodeId("LA", id), name: init.name, color: (init.color ?? "ededed").toLowerCase(), description: init.description ?? null, default: false };
    r.labels.set(init.name.toLowerCase(), label);
    return label;
  }

  /** Labels by name, created (default color) when missing, as GitHub does for issue labels. */
  labelsFor(repo: RepoRecord, names: string[]): LabelRecord[] {
    const out: LabelRecord[] = [];
    for (const n of names) {
      const l = this.createLabel(repo, { name: n });
      if (!out.includes(l)) out.push(l);
    }
    return out;
  }

  // issues ----------------------------------------------------------------------------------

  createIssue(repo: string | RepoRecord, init: IssueInit): IssueRecord {
    const r = this.repo(repo);
    const id = ++this.ids.issue;
    const now = this.timestamp();
    const closed = init.state === "closed";
    const issue: IssueRecord = {
      id,
      node_id: nodeId("I", id),
      number: r.nextNumber++,
      repo: r,
      title: init.title,
      body: init.body ?? null,
      user: init.user ? this.ensureUser(init.user) : r.owner,
      state: closed ? "closed" : "open",
      state_reason: closed ? (init.stateReason ?? "completed") : (init.stateReason ?? null),
      labels: this.labelsFor(r, init.labels ?? []),
      locked: false,
      created_at: now,
      updated_at: now,
      closed_at: closed ? now : null,
      closed_by: closed ? (init.user ? this.ensureUser(init.user) : r.owner) : null,
      comments: [],
      pull: null,
      seq: ++this.seq,
    };
    r.issues.set(issue.number, issue);
    return issue;
  }

  /** A PR (an issue with `pull`): commits `files` onto the head branch (in the fork for fork PRs). */
  createPullRequest(repo: string | RepoRecord, init: PullRequestInit): IssueRecord {
    const r = this.repo(repo);
    const headRepo = init.head.repo ? this.repo(init.head.repo) : r;
    const baseRef = init.base?.ref ?? r.default_branch;
    const baseSha = init.base?.sha ?? r.git.resolve(`refs/heads/${baseRef}`) ?? "";
    const author = init.user ? this.ensureUser(init.user) : init.head.user ? this.ensureUser(init.head.user) : headRepo.owner;
    // a fork network shares its object storage: the fork sees commits made upstream since forking
    if (headRepo !== r) {
      for (const [sha, o] of r.git.objects) if (!headRepo.git.objects.has(sha)) headRepo.git.objects.set(sha, o);
    }
    let headSha = init.head.sha;
    const files = init.files ?? [];
    if (!headSha) {
      const changes: Record<string, string | null> = {};
      for (const f of files) {
        if (f.status === "removed") changes[f.filename] = null;
        else changes[f.filename] = f.content ?? `${f.filename}\n`;
        if (f.status === "renamed" && f.previousFilename) changes[f.previousFilename] = null;
      }
      if (Object.keys(changes).length === 0) changes[`.standin/${init.head.ref}.txt`] = `${init.title}\n`;
      const headRefName = `refs/heads/${init.head.ref}`;
      if (!headRepo.git.refs.has(headRefName) && baseSha) headRepo.git.refs.set(headRefName, baseSha);
      headSha = headRepo.git.commitFiles(headRefName, changes, init.title, this.signature(author));
    } else if (!headRepo.git.refs.has(`refs/heads/${init.head.ref}`)) {
      headRepo.git.refs.set(`refs/heads/${init.head.ref}`, headSha);
    }
    // make the head commit reachable from the base repo too (GitHub keeps refs/pull/N/head)
    if (headRepo !== r) {
      for (const [sha, o] of headRepo.git.objects) if (!r.git.objects.has(sha)) r.git.objects.set(sha, o);
    }
    const issue = this.createIssue(r, { ...init, user: author.login });
    const pullId = ++this.ids.pull;
    r.git.refs.set(`refs/pull/${issue.number}/head`, headSha);
    issue.pull = {
      id: pullId,
      node_id: nodeId("PR", pullId),
      head: { ref: init.head.ref, sha: headSha, repo: headRepo, user: headRepo.owner },
      base: { ref: baseRef, sha: baseSha, repo: r },
      draft: init.draft ?? false,
      merged: false,
      files: files.map((f) => ({ ...f })),
      maintainer_can_modify: headRepo !== r,
    };
    return issue;
  }

  issue(repo: string | RepoRecord, number: number): IssueRecord | undefined {
    return this.repo(repo).issues.get(number);
  }

  /** Issues and PRs, oldest first (filters as GET /repos/{o}/{r}/issues). */
  issues(repo: string | RepoRecord, filter: { state?: "open" | "closed" | "all"; labels?: string[]; creator?: string; pulls?: boolean } = {}): IssueRecord[] {
    const state = filter.state ?? "all";
    const wanted = (filter.labels ?? []).map((l) => l.toLowerCase());
    return [...this.repo(repo).issues.values()]
      .filter((i) => state === "all" || i.state === state)
      .filter((i) => wanted.every((w) => i.labels.some((l) => l.name.toLowerCase() === w)))
      .filter((i) => !filter.creator || i.user.login.toLowerCase() === filter.creator.toLowerCase())
      .filter((i) => filter.pulls === undefined || (i.pull !== null) === filter.pulls)
      .sort((a, b) => a.seq - b.seq);
  }

  issuesWithLabel(repo: string | RepoRecord, label: string, state: "open" | "closed" | "all" = "all"): IssueRecord[] {
    return this.issues(repo, { labels: [label], state });
  }

  // comments --------------------------------------------------------------------------------

  addComment(repo: string | RepoRecord, number: number, init: CommentInit): CommentRecord {
    const issue = this.issue(repo, number);
    if (!issue) throw new Error(`no issue ${number} in ${this.repo(repo).full_name}`);
    const id = ++this.ids.comment;
    const now = this.timestamp();
    const comment: CommentRecord = {
      id,
      node_id: nodeId("IC", id),
      issue,
      user: this.ensureUser(init.user ?? GITHUB_ACTIONS_BOT.login),
      body: init.body,
      created_at: now,
      updated_at: now,
    };
    issue.comments.push(comment);
    this.commentsById.set(id, comment);
    return comment;
  }

  comments(repo: string | RepoRecord, number: number): CommentRecord[] {
    return [...(this.issue(repo, number)?.comments ?? [])];
  }

  comment(id: number): CommentRecord | undefined {
    return this.commentsById.get(id);
  }

  deleteComment(comment: CommentRecord): void {
    const list = comment.issue.comments;
    const i = list.indexOf(comment);
    if (i >= 0) list.splice(i, 1);
    this.commentsById.delete(comment.id);
  }

  // git -------------------------------------------------------------------------------------

  git(repo: string | RepoRecord): GitStore {
    return this.repo(repo).git;
  }

  branchHead(repo: string | RepoRecord, branch: string): string | null {
    return this.repo(repo).git.refs.get(branch.startsWith("refs/") ? branch : `refs/heads/${branch}`) ?? null;
  }

  /** File content (utf-8) at a branch/ref/sha, or null. */
  readFile(repo: string | RepoRecord, refish: string, path: string): string | null {
    return this.repo(repo).git.readFile(refish, path)?.toString("utf8") ?? null;
  }

  /** Commit files on a branch (created from nothing when missing); returns the commit sha. */
  commitFiles(repo: string | RepoRecord, branch: string, files: Record<string, string | null>, message = "Update files", author?: string): string {
    const r = this.repo(repo);
    const sha = r.git.commitFiles(branch, files, message, this.signature(author ? this.ensureUser(author) : r.owner));
    r.pushed_at = this.timestamp();
    return sha;
  }

  authorAssociation(repo: RepoRecord, user: UserRecord): string {
    if (user.login.toLowerCase() === repo.owner.login.toLowerCase()) return "OWNER";
    if (repo.collaborators.has(user.login.toLowerCase())) return "COLLABORATOR";
    return "NONE";
  }
}

// ---------------------------------------------------------------------------------------------
// response shapes

class View {
  readonly v2026: boolean;

  constructor(
    readonly state: GitHubState,
    readonly api: string,
    readonly web: string,
    readonly version: string,
  ) {
    this.v2026 = version >= "2026-03-10";
  }

  repoUrl(r: RepoRecord): string {
    return `${this.api}/repos/${r.owner.login}/${r.name}`;
  }

  user(u: UserRecord): JsonObject {
    const url = `${this.api}/users/${encodeURIComponent(u.login)}`;
    const bot = u.type === "Bot";
    return {
      login: u.login,
      id: u.id,
      node_id: u.node_id,
      avatar_url: bot ? "https://avatars.githubusercontent.com/in/15368?v=4" : `https://avatars.githubusercontent.com/u/${u.id}?v=4`,
      gravatar_id: "",
      url,
      html_url: bot ? `${this.web}/apps/${encodeURIComponent(u.login.replace(/\[bot\]$/, ""))}` : `${this.web}/${encodeURIComponent(u.login)}`,
      followers_url: `${url}/followers`,
      following_url: `${url}/following{/other_user}`,
      gists_url: `${url}/gists{/gist_id}`,
      starred_url: `${url}/starred{/owner}{/repo}`,
      subscriptions_url: `${url}/subscriptions`,
      organizations_url: `${url}/orgs`,
      repos_url: `${url}/repos`,
      events_url: `${url}/events{/privacy}`,
      received_events_url: `${url}/received_events`,
      type: u.type,
      user_view_type: "public",
      site_admin: false,
    };
  }

  privateUser(u: UserRecord, repos: RepoRecord[]): JsonObject {
    const own = repos.filter((r) => r.owner === u);
    return {
      ...this.user(u),
      user_view_type: "private",
      name: u.name,
      company: null,
      blog: "",
      location: null,
      email: u.email,
      notification_email: u.email,
      hireable: null,
      bio: null,
      twitter_username: null,
      public_repos: own.filter((r) => !r.private).length,
      public_gists: 0,
      followers: 0,
      following: 0,
      created_at: u.created_at,
      updated_at: u.created_at,
      private_gists: 0,
      total_private_repos: own.filter((r) => r.private).length,
      owned_private_repos: own.filter((r) => r.private).length,
      disk_usage: 0,
      collaborators: 0,
      two_factor_authentication: true,
      plan: { name: "free", space: 976562499, collaborators: 0, private_repos: 10000 },
    };
  }

  repo(r: RepoRecord, opts: { full?: boolean; permissions?: JsonObject } = {}): JsonObject {
    const url = this.repoUrl(r);
    const html = `${this.web}/${r.full_name}`;
    const openIssues = [...r.issues.values()].filter((i) => i.state === "open").length;
    const out: JsonObject = {
      id: r.id,
      node_id: r.node_id,
      name: r.name,
      full_name: r.full_name,
      private: r.private,
      owner: this.user(r.owner),
      html_url: html,
      description: r.description,
      fork: r.fork,
      url,
      forks_url: `${url}/forks`,
      keys_url: `${url}/keys{/key_id}`,
      collaborators_url: `${url}/collaborators{/collaborator}`,
      teams_url: `${url}/teams`,
      hooks_url: `${url}/hooks`,
      issue_events_url: `${url}/issues/events{/number}`,
      events_url: `${url}/events`,
      assignees_url: `${url}/assignees{/user}`,
      branches_url: `${url}/branches{/branch}`,
      tags_url: `${url}/tags`,
      blobs_url: `${url}/git/blobs{/sha}`,
      git_tags_url: `${url}/git/tags{/sha}`,
      git_refs_url: `${url}/git/refs{/sha}`,
      trees_url: `${url}/git/trees{/sha}`,
      statuses_url: `${url}/statuses/{sha}`,
      languages_url: `${url}/languages`,
      stargazers_url: `${url}/stargazers`,
      contributors_url: `${url}/contributors`,
      subscribers_url: `${url}/subscribers`,
      subscription_url: `${url}/subscription`,
      commits_url: `${url}/commits{/sha}`,
      git_commits_url: `${url}/git/commits{/sha}`,
      comments_url: `${url}/comments{/number}`,
      issue_comment_url: `${url}/issues/comments{/number}`,
      contents_url: `${url}/contents/{+path}`,
      compare_url: `${url}/compare/{base}...{head}`,
      merges_url: `${url}/merges`,
      archive_url: `${url}/{archive_format}{/ref}`,
      downloads_url: `${url}/downloads`,
      issues_url: `${url}/issues{/number}`,
      pulls_url: `${url}/pulls{/number}`,
      milestones_url: `${url}/milestones{/number}`,
      notifications_url: `${url}/notifications{?since,all,participating}`,
      labels_url: `${url}/labels{/name}`,
      releases_url: `${url}/releases{/id}`,
      deployments_url: `${url}/deployments`,
      created_at: r.created_at,
      updated_at: r.updated_at,
      pushed_at: r.pushed_at,
      git_url: `git://github.com/${r.full_name}.git`,
      ssh_url: `git@github.com:${r.full_name}.git`,
      clone_url: `${html}.git`,
      svn_url: html,
      homepage: null,
      size: 0,
      stargazers_count: 0,
      watchers_count: 0,
      language: null,
      has_issues: true,
      has_projects: true,
      has_wiki: true,
      has_pages: false,
      has_discussions: false,
      forks_count: 0,
      mirror_url: null,
      archived: false,
      disabled: false,
      open_issues_count: openIssues,
      license: null,
      allow_forking: true,
      is_template: false,
      web_commit_signoff_required: false,
      topics: [],
      visibility: r.private ? "private" : "public",
      forks: 0,
      open_issues: openIssues,
      watchers: 0,
      default_branch: r.default_branch,
    };
    if (!this.v2026) out.has_downloads = true;
    if (opts.permissions) out.permissions = opts.permissions;
    if (opts.full) {
      Object.assign(out, {
        temp_clone_token: null,
        allow_squash_merge: true,
        allow_merge_commit: true,
        allow_rebase_merge: true,
        allow_auto_merge: false,
        delete_branch_on_merge: false,
        allow_update_branch: false,
        squash_merge_commit_title: "COMMIT_OR_PR_TITLE",
        squash_merge_commit_message: "COMMIT_MESSAGES",
        merge_commit_title: "MERGE_MESSAGE",
        merge_commit_message: "PR_TITLE",
        network_count: 0,
        subscribers_count: 0,
      });
      if (!this.v2026) out.use_squash_pr_title_as_default = false;
      if (r.owner.type === "Organization") out.organization = this.user(r.owner);
      if (r.parent) {
        let source = r.parent;
        while (source.parent) source = source.parent;
        out.parent = this.repo(r.parent);
        out.source = this.repo(source);
      }
    }
    return out;
  }

  label(r: RepoRecord, l: LabelRecord): JsonObject {
    return { id: l.id, node_id: l.node_id, url: `${this.repoUrl(r)}/labels/${encodeURIComponent(l.name)}`, name: l.name, color: l.color, default: l.default, description: l.description };
  }

  reactions(url: string): JsonObject {
    return { url, total_count: 0, "+1": 0, "-1": 0, laugh: 0, hooray: 0, confused: 0, heart: 0, rocket: 0, eyes: 0 };
  }

  issue(i: IssueRecord, opts: { single?: boolean } = {}): JsonObject {
    const r = i.repo;
    const url = `${this.repoUrl(r)}/issues/${i.number}`;
    const html = `${this.web}/${r.full_name}/${i.pull ? "pull" : "issues"}/${i.number}`;
    const out: JsonObject = {
      url,
      repository_url: this.repoUrl(r),
      labels_url: `${url}/labels{/name}`,
      comments_url: `${url}/comments`,
      events_url: `${url}/events`,
      html_url: html,
      id: i.id,
      node_id: i.node_id,
      number: i.number,
      title: i.title,
      user: this.user(i.user),
      labels: i.labels.map((l) => this.label(r, l)),
      state: i.state,
      locked: i.locked,
      assignees: [],
      milestone: null,
      comments: i.comments.length,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      author_association: this.state.authorAssociation(r, i.user),
      active_lock_reason: null,
      body: i.body,
      reactions: this.reactions(`${url}/reactions`),
      timeline_url: `${url}/timeline`,
      performed_via_github_app: null,
      state_reason: i.state_reason,
    };
    if (!this.v2026) out.assignee = null;
    if (i.pull) {
      out.draft = i.pull.draft;
      const pr: JsonObject = { url: `${this.repoUrl(r)}/pulls/${i.number}`, html_url: html, diff_url: `${html}.diff`, patch_url: `${html}.patch` };
      if (!this.v2026) pr.merged_at = null;
      out.pull_request = pr;
    }
    if (opts.single) out.closed_by = i.closed_by ? this.user(i.closed_by) : null;
    return out;
  }

  comment(c: CommentRecord): JsonObject {
    const r = c.issue.repo;
    return {
      url: `${this.repoUrl(r)}/issues/comments/${c.id}`,
      html_url: `${this.web}/${r.full_name}/${c.issue.pull ? "pull" : "issues"}/${c.issue.number}#issuecomment-${c.id}`,
      issue_url: `${this.repoUrl(r)}/issues/${c.issue.number}`,
      id: c.id,
      node_id: c.node_id,
      user: this.user(c.user),
      created_at: c.created_at,
      updated_at: c.updated_at,
      author_association: this.state.authorAssociation(r, c.user),
      body: c.body,
      reactions: this.reactions(`${this.repoUrl(r)}/issues/comments/${c.id}/reactions`),
      performed_via_github_app: null,
    };
  }

  private branch(side: { ref: string; sha: string; repo: RepoRecord }, user: UserRecord): JsonObject {
    return { label: `${side.repo.owner.login}:${side.ref}`, ref: side.ref, sha: side.sha, user: this.user(user), repo: this.repo(side.repo) };
  }

  pullSimple(i: IssueRecord): JsonObject {
    const p = i.pull;
    if (!p) throw new Error(`#${i.number} is not a pull request`);
    const r = i.repo;
    const url = `${this.repoUrl(r)}/pulls/${i.number}`;
    const html = `${this.web}/${r.full_name}/pull/${i.number}`;
    const issueUrl = `${this.repoUrl(r)}/issues/${i.number}`;
    const out: JsonObject = {
      url,
      id: p.id,
      node_id: p.node_id,
      html_url: html,
      diff_url: `${html}.diff`,
      patch_url: `${html}.patch`,
      issue_url: issueUrl,
      commits_url: `${url}/commits`,
      review_comments_url: `${url}/comments`,
      review_comment_url: `${this.repoUrl(r)}/pulls/comments{/number}`,
      comments_url: `${issueUrl}/comments`,
      statuses_url: `${this.repoUrl(r)}/statuses/${p.head.sha}`,
      number: i.number,
      state: i.state,
      locked: i.locked,
      title: i.title,
      user: this.user(i.user),
      body: i.body,
      labels: i.labels.map((l) => this.label(r, l)),
      milestone: null,
      active_lock_reason: null,
      created_at: i.created_at,
      updated_at: i.updated_at,
      closed_at: i.closed_at,
      merged_at: null,
      assignees: [],
      requested_reviewers: [],
      requested_teams: [],
      head: this.branch(p.head, p.head.user),
      base: this.branch(p.base, r.owner),
      _links: {
        self: { href: url },
        html: { href: html },
        issue: { href: issueUrl },
        comments: { href: `${issueUrl}/comments` },
        review_comments: { href: `${url}/comments` },
        review_comment: { href: `${this.repoUrl(r)}/pulls/comments{/number}` },
        commits: { href: `${url}/commits` },
        statuses: { href: `${this.repoUrl(r)}/statuses/${p.head.sha}` },
      },
      author_association: this.state.authorAssociation(r, i.user),
      auto_merge: null,
      draft: p.draft,
    };
    if (!this.v2026) {
      out.merge_commit_sha = null;
      out.assignee = null;
    }
    return out;
  }

  pull(i: IssueRecord): JsonObject {
    const p = i.pull;
    if (!p) throw new Error(`#${i.number} is not a pull request`);
    const files = p.files.map((f) => this.fileStats(f));
    return {
      ...this.pullSimple(i),
      merged: p.merged,
      mergeable: true,
      rebaseable: true,
      mergeable_state: "clean",
      merged_by: null,
      comments: i.comments.length,
      review_comments: 0,
      maintainer_can_modify: p.maintainer_can_modify,
      commits: 1,
      additions: files.reduce((n, f) => n + f.additions, 0),
      deletions: files.reduce((n, f) => n + f.deletions, 0),
      changed_files: files.length,
    };
  }

  fileStats(f: PullFileInit): { additions: number; deletions: number; patch: string } {
    const status = f.status ?? "modified";
    const generated = naivePatch(status === "added" ? null : status === "removed" ? (f.content ?? "") : "", status === "removed" ? null : (f.content ?? `${f.filename}\n`));
    return { additions: f.additions ?? generated.additions, deletions: f.deletions ?? generated.deletions, patch: f.patch ?? generated.patch };
  }

  diffEntry(i: IssueRecord, f: PullFileInit): JsonObject {
    const p = i.pull;
    if (!p) throw new Error(`#${i.number} is not a pull request`);
    const r = i.repo;
    const path = encodePath(f.filename);
    const stats = this.fileStats(f);
    const status = f.status ?? "modified";
    const blob = status === "removed" ? null : p.head.repo.git.readFile(p.head.sha, f.filename);
    const out: JsonObject = {
      sha: blob ? p.head.repo.git.writeBlob(blob) : status === "removed" ? null : r.git.writeBlob(f.content ?? ""),
      filename: f.filename,
      status,
      additions: stats.additions,
      deletions: stats.deletions,
      changes: stats.additions + stats.deletions,
      blob_url: `${this.web}/${r.full_name}/blob/${p.head.sha}/${path}`,
      raw_url: `${this.web}/${r.full_name}/raw/${p.head.sha}/${path}`,
      contents_url: `${this.repoUrl(r)}/contents/${path}?ref=${p.head.sha}`,
      patch: stats.patch,
    };
    if (f.previousFilename) out.previous_filename = f.previousFilename;
    return out;
  }

  gitRef(r: RepoRecord, name: string, sha: string): JsonObject {
    const type = r.git.get(sha)?.type ?? "commit";
    return {
      ref: name,
      node_id: nodeId("REF", `${r.id}:${name}`),
      url: `${this.repoUrl(r)}/git/${encodePath(name)}`,
      object: { sha, type, url: `${this.repoUrl(r)}/git/${type}s/${sha}` },
    };
  }

  verification(): JsonObject {
    return { verified: false, reason: "unsigned", signature: null, payload: null, verified_at: null };
  }

  gitCommit(r: RepoRecord, c: CommitObject): JsonObject {
    return {
      sha: c.sha,
      node_id: nodeId("C", c.sha),
      url: `${this.repoUrl(r)}/git/commits/${c.sha}`,
      html_url: `${this.web}/${r.full_name}/commit/${c.sha}`,
      author: { ...c.author },
      committer: { ...c.committer },
      tree: { sha: c.tree, url: `${this.repoUrl(r)}/git/trees/${c.tree}` },
      message: c.message,
      parents: c.parents.map((p) => ({ sha: p, url: `${this.repoUrl(r)}/git/commits/${p}`, html_url: `${this.web}/${r.full_name}/commit/${p}` })),
      verification: this.verification(),
    };
  }

  gitTree(r: RepoRecord, sha: string, recursive: boolean): JsonObject {
    return {
      sha,
      url: `${this.repoUrl(r)}/git/trees/${sha}`,
      tree: r.git.list(sha, recursive).map((e) => {
        const entry: JsonObject = { path: e.path, mode: e.mode, type: e.type, sha: e.sha };
        if (e.size !== undefined) entry.size = e.size;
        if (e.type !== "commit") entry.url = `${this.repoUrl(r)}/git/${e.type}s/${e.sha}`;
        return entry;
      }),
      truncated: false,
    };
  }

  blob(r: RepoRecord, sha: string, data: Buffer): JsonObject {
    return { sha, node_id: nodeId("B", sha), size: data.length, url: `${this.repoUrl(r)}/git/blobs/${sha}`, content: base64Wrapped(data), encoding: "base64" };
  }

  private contentLinks(r: RepoRecord, path: string, ref: string, sha: string, type: "file" | "dir"): { url: string; git_url: string; html_url: string; download_url: string | null } {
    const p = encodePath(path);
    return {
      url: `${this.repoUrl(r)}/contents/${p}?ref=${encodeURIComponent(ref)}`,
      git_url: `${this.repoUrl(r)}/git/${type === "dir" ? "trees" : "blobs"}/${sha}`,
      html_url: `${this.web}/${r.full_name}/${type === "dir" ? "tree" : "blob"}/${encodeURIComponent(ref)}/${p}`,
      download_url: type === "dir" ? null : `https://raw.githubusercontent.com/${r.full_name}/${encodeURIComponent(ref)}/${p}`,
    };
  }

  contentEntry(r: RepoRecord, path: string, ref: string, e: { type: TreeEntryType; sha: string; size?: number }): JsonObject {
    const type = e.type === "tree" ? "dir" : e.type === "commit" ? "submodule" : "file";
    const links = this.contentLinks(r, path, ref, e.sha, type === "dir" ? "dir" : "file");
    return {
      type,
      size: e.size ?? 0,
      name: path.split("/").pop() ?? path,
      path,
      sha: e.sha,
      ...links,
      _links: { self: links.url, git: links.git_url, html: links.html_url },
    };
  }

  contentFile(r: RepoRecord, path: string, ref: string, sha: string, data: Buffer): JsonObject {
    // files of 1-100 MB come back without content (encoding "none")
    const large = data.length > 1024 * 1024;
    return { ...this.contentEntry(r, path, ref, { type: "blob", sha, size: data.length }), content: large ? "" : base64Wrapped(data), encoding: large ? "none" : "base64" };
  }

  fileCommit(r: RepoRecord, path: string, branch: string, blobSha: string | null, size: number, c: CommitObject): JsonObject {
    const commit = this.gitCommit(r, c);
    return {
      content: blobSha === null ? null : this.contentEntry(r, path, branch, { type: "blob", sha: blobSha, size }),
      commit: { ...commit, author: { ...c.author }, committer: { ...c.committer } },
    };
  }

  commitWithDiff(r: RepoRecord, c: CommitObject): JsonObject {
    const before = c.parents[0] ? r.git.flatten(r.git.commit(c.parents[0])?.tree ?? EMPTY_TREE_SHA) : new Map();
    const after = r.git.flatten(c.tree);
    const files: JsonObject[] = [];
    let additions = 0;
    let deletions = 0;
    for (const path of [...new Set([...before.keys(), ...after.keys()])].sort()) {
      const a = before.get(path);
      const b = after.get(path);
      if (a && b && a.sha === b.sha) continue;
      const text = (e: typeof a): string | null => (e ? (r.git.blob(e.sha)?.data.toString("utf8") ?? "") : null);
      const d = naivePatch(text(a), text(b));
      additions += d.additions;
      deletions += d.deletions;
      const p = encodePath(path);
      files.push({
        sha: b?.sha ?? a?.sha ?? null,
        filename: path,
        status: !a ? "added" : !b ? "removed" : "modified",
        additions: d.additions,
        deletions: d.deletions,
        changes: d.additions + d.deletions,
        blob_url: `${this.web}/${r.full_name}/blob/${c.sha}/${p}`,
        raw_url: `${this.web}/${r.full_name}/raw/${c.sha}/${p}`,
        contents_url: `${this.repoUrl(r)}/contents/${p}?ref=${c.sha}`,
        patch: d.patch,
      });
    }
    const byEmail = (email: string): JsonObject | null => {
      if (email === GITHUB_ACTIONS_EMAIL) return this.user(this.state.ensureUser(GITHUB_ACTIONS_BOT.login));
      for (const u of this.state.users.values()) if (u.email === email || `${u.id}+${u.login}@users.noreply.github.com` === email) return this.user(u);
      return null;
    };
    const url = `${this.repoUrl(r)}/commits/${c.sha}`;
    return {
      url,
      sha: c.sha,
      node_id: nodeId("C", c.sha),
      html_url: `${this.web}/${r.full_name}/commit/${c.sha}`,
      comments_url: `${url}/comments`,
      commit: {
        url: `${this.repoUrl(r)}/git/commits/${c.sha}`,
        author: { ...c.author },
        committer: { ...c.committer },
        message: c.message,
        comment_count: 0,
        tree: { sha: c.tree, url: `${this.repoUrl(r)}/git/trees/${c.tree}` },
        verification: this.verification(),
      },
      author: byEmail(c.author.email),
      committer: byEmail(c.committer.email),
      parents: c.parents.map((p) => ({ sha: p, url: `${this.repoUrl(r)}/commits/${p}`, html_url: `${this.web}/${r.full_name}/commit/${p}` })),
      stats: { additions, deletions, total: additions + deletions },
      files,
    };
  }
}

// ---------------------------------------------------------------------------------------------
// permissions per operation (alternatives: any one suffices)

interface Requirement {
  access: "read" | "write";
  resources: Resource[];
}

const READ = (...resources: Resource[]): Requirement => ({ access: "read", resources });
const WRITE = (...resources: Resource[]): Requirement => ({ access: "write", resources });

const REQUIREMENTS: Record<string, Requirement> = {
  "repos/get": READ("metadata"),
  "issues/list-comments": READ("issues", "pull_requests"),
  "issues/get-comment": READ("issues", "pull_requests"),
  "issues/create-comment": WRITE("issues", "pull_requests"),
  "issues/update-comment": WRITE("issues", "pull_requests"),
  "issues/delete-comment": WRITE("issues", "pull_requests"),
  "issues/list-for-repo": READ("issues"),
  "issues/create": WRITE("issues"),
  "issues/get": READ("issues", "pull_requests"),
  "issues/update": WRITE("issues", "pull_requests"),
  "issues/list-labels-for-repo": READ("issues", "pull_requests"),
  "issues/create-label": WRITE("issues", "pull_requests"),
  "issues/get-label": READ("issues", "pull_requests"),
  "issues/list-labels-on-issue": READ("issues", "pull_requests"),
  "issues/add-labels": WRITE("issues", "pull_requests"),
  "issues/set-labels": WRITE("issues", "pull_requests"),
  "issues/remove-label": WRITE("issues", "pull_requests"),
  "pulls/get": READ("pull_requests"),
  "pulls/list": READ("pull_requests"),
  "pulls/list-files": READ("pull_requests"),
  "repos/list-pull-requests-associated-with-commit": READ("contents", "pull_requests"),
  "repos/get-commit": READ("contents"),
  "repos/get-content": READ("contents"),
  "repos/create-or-update-file-contents": WRITE("contents"),
  "repos/delete-file": WRITE("contents"),
  "git/get-ref": READ("contents"),
  "git/list-matching-refs": READ("contents"),
  "git/create-ref": WRITE("contents"),
  "git/update-ref": WRITE("contents"),
  "git/delete-ref": WRITE("contents"),
  "git/get-commit": READ("contents"),
  "git/create-commit": WRITE("contents"),
  "git/get-tree": READ("contents"),
  "git/create-tree": WRITE("contents"),
  "git/get-blob": READ("contents"),
  "git/create-blob": WRITE("contents"),
};

const RATE_LIMIT_DOCS = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
const SECONDARY_DOCS = "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";

const UNICORN_HTML = `<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8"><title>Unicorn! &middot; GitHub</title></head>
<body><p><strong>We had issues producing the response to your request.</strong></p><p>Sorry about that. Please try refreshing and contact us if the problem persists.</p></body></html>
`;

// ---------------------------------------------------------------------------------------------
// request context

interface Ctx {
  seq: number;
  method: string;
  path: string;
  query: URLSearchParams;
  match: OperationMatch;
  params: Record<string, string>;
  body: unknown;
  token: TokenRecord | null;
  view: View;
  accept: string;
  docs: string;
}

interface Reply {
  status: number;
  body?: Json;
  headers?: Record<string, string>;
  raw?: { contentType: string; data: Buffer | string };
}

type Handler = (ctx: Ctx) => Reply;

interface ActiveFault {
  rule: FaultRule;
  seen: number;
  hits: number;
  removed: boolean;
}

// ---------------------------------------------------------------------------------------------
// the server

class LocalGitHub implements GitHubServer {
  url = "";
  port = 0;
  readonly state: GitHubState;
  readonly validator: OpenApiValidator;
  readonly requests: RequestLogEntry[] = [];
  private readonly server: http.Server;
  private readonly sockets = new Set<Socket>();
  private readonly faults: ActiveFault[] = [];
  private readonly overrides = new Map<string, RouteHandler>();
  private readonly handlers: Record<string, Handler>;
  private readonly anonymous = new Map<string, RateBucket>();
  private readonly started: number;
  private seq = 0;
  private readonly apiVersions: Set<string>;

  constructor(readonly options: GitHubServerOptions) {
    this.state = new GitHubState(options.now ?? Date.now);
    this.validator = new OpenApiValidator({ ...options.validator, strict: false });
    this.apiVersions = new Set(options.apiVersions ?? [DEFAULT_API_VERSION, "2026-03-10"]);
    this.started = Date.now();
    for (const u of options.users ?? []) this.state.addUser(u);
    for (const r of options.repos ?? []) this.state.addRepo(r);
    for (const t of options.tokens ?? []) this.state.addToken(t);
    for (const f of options.faults ?? []) this.fault(f);
    this.handlers = this.buildHandlers();
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { "content-type": "application/json; charset=utf-8" });
          res.end(JSON.stringify({ message: `local GitHub server error: ${err instanceof Error ? err.stack : String(err)}` }));
        } else {
          res.destroy();
        }
      });
    });
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
  }

  get violations(): Violation[] {
    return this.validator.violations;
  }

  async listen(): Promise<void> {
    this.server.listen(0, "127.0.0.1");
    await once(this.server, "listening");
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  fault(rule: FaultRule): FaultHandle {
    const active: ActiveFault = { rule, seen: 0, hits: 0, removed: false };
    this.faults.push(active);
    return {
      rule,
      get hits() {
        return active.hits;
      },
      remove: () => {
        active.removed = true;
      },
    };
  }

  clearFaults(): void {
    for (const f of this.faults) f.removed = true;
    this.faults.length = 0;
  }

  override(operationId: string, handler: RouteHandler): () => void {
    this.overrides.set(operationId, handler);
    return () => {
      if (this.overrides.get(operationId) === handler) this.overrides.delete(operationId);
    };
  }

  reset(): void {
    this.requests.length = 0;
    this.validator.clear();
  }

  assertNoViolations(): void {
    this.validator.assertNoViolations();
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.close();
    await once(this.server, "close").catch(() => undefined);
  }

  // -------------------------------------------------------------------------------------------
  // request pipeline

  private requestId(seq: number): string {
    const h = (n: number, w: number) => (n >>> 0).toString(16).toUpperCase().padStart(w, "0").slice(-w);
    return `${h(0xc0de + seq, 4)}:${h(seq * 7919, 4)}:${h(seq * 104729, 6)}:${h(seq * 1299709, 7)}:${h(Math.floor(this.state.now() / 1000), 8)}`;
  }

  private bucket(token: TokenRecord | null, ip: string): RateBucket {
    if (token) return token.rate;
    let b = this.anonymous.get(ip);
    if (!b) {
      b = { limit: 60, used: 0, reset: Math.floor(this.state.now() / 1000) + 3600 };
      this.anonymous.set(ip, b);
    }
    return b;
  }

  private rateHeaders(b: RateBucket, remaining?: number, reset?: number): Record<string, string> {
    return {
      "x-ratelimit-limit": String(b.limit),
      "x-ratelimit-remaining": String(remaining ?? Math.max(0, b.limit - b.used)),
      "x-ratelimit-reset": String(reset ?? b.reset),
      "x-ratelimit-used": String(remaining === 0 ? b.limit : b.used),
      "x-ratelimit-resource": "core",
    };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const t0 = Date.now();
    const seq = ++this.seq;
    const requestId = this.requestId(seq);
    const method = (req.method ?? "GET").toUpperCase();
    const rawUrl = req.url ?? "/";
    const url = new URL(rawUrl, "http://127.0.0.1");
    let path = url.pathname;
    const query = url.searchParams;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const rawBody = Buffer.concat(chunks);

    const apiVersionHeader = req.headers["x-github-api-version"];
    const apiVersion = typeof apiVersionHeader === "string" && apiVersionHeader !== "" ? apiVersionHeader : DEFAULT_API_VERSION;
    const view = new View(this.state, this.url, this.options.serverUrl ?? "https://github.com", this.apiVersions.has(apiVersion) ? apiVersion : DEFAULT_API_VERSION);
    const accept = typeof req.headers.accept === "string" ? req.headers.accept : "application/json";
    const userAgent = typeof req.headers["user-agent"] === "string" ? req.headers["user-agent"] : null;

    const entry: RequestLogEntry = {
      seq,
      at: t0 - this.started,
      method,
      path,
      rawUrl,
      query: Object.fromEntries(query),
      operationId: null,
      status: 0,
      login: null,
      tokenKind: null,
      requestId,
      apiVersion,
      userAgent,
      ms: 0,
    };
    this.requests.push(entry);

    // /repositories/{id}/... (what Link headers point at) -> /repos/{owner}/{repo}/...
    const byId = /^\/repositories\/(\d+)(\/.*)?$/.exec(path);
    if (byId) {
      const repo = this.state.repoById(Number(byId[1]));
      if (repo) path = `/repos/${encodeURIComponent(repo.owner.login)}/${encodeURIComponent(repo.name)}${byId[2] ?? ""}`;
      entry.path = path;
    }

    let body: unknown;
    let bodyError = false;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        bodyError = true;
      }
    }
    if (body !== undefined) entry.requestBody = body;

    // authentication
    const auth = typeof req.headers.authorization === "string" ? req.headers.authorization : "";
    const m = /^(?:token|bearer)\s+(\S+)$/i.exec(auth.trim());
    const token = m ? (this.state.tokens.get(m[1] ?? "") ?? null) : null;
    const badCredentials = auth !== "" && !token;
    entry.login = token?.user.login ?? null;
    entry.tokenKind = token?.kind ?? null;
    const bucket = this.bucket(token, req.socket.remoteAddress ?? "?");

    const match = matchOperation(method, path);
    entry.operationId = match?.operationId ?? null;
    const docs = match?.docsUrl ?? "https://docs.github.com/rest";
    const violationsBefore = this.validator.violations.length;
    const validate = this.options.validate !== false;
    const contentType = typeof req.headers["content-type"] === "string" ? req.headers["content-type"] : undefined;

    const reqIssues =
      validate && !bodyError
        ? this.validator.validateRequest({ method, path, query, body, ...(contentType !== undefined ? { contentType } : {}), apiVersion: view.version }).issues
        : [];

    const finish = (reply: Reply, extra: Record<string, string> = {}): void => {
      const headers: Record<string, string> = {
        "x-github-request-id": requestId,
        "x-github-api-version-selected": view.version,
        "x-github-media-type": "github.v3; format=json",
        "x-content-type-options": "nosniff",
        "access-control-expose-headers":
          "ETag, Link, Location, Retry-After, X-GitHub-OTP, X-RateLimit-Limit, X-RateLimit-Remaining, X-RateLimit-Used, X-RateLimit-Resource, X-RateLimit-Reset, X-OAuth-Scopes, X-Accepted-OAuth-Scopes, X-Poll-Interval, X-GitHub-Media-Type, X-GitHub-SSO, X-GitHub-Request-Id, Deprecation, Sunset",
        ...this.rateHeaders(bucket),
        ...extra,
        ...reply.headers,
      };
      const requirement = match ? REQUIREMENTS[match.operationId] : undefined;
      if (requirement && token?.kind === "installation") {
        headers["x-accepted-github-permissions"] = requirement.resources.map((r) => `${r}=${requirement.access}`).join("; ");
      }
      let text = "";
      if (reply.raw) {
        text = typeof reply.raw.data === "string" ? reply.raw.data : reply.raw.data.toString("latin1");
        headers["content-type"] = reply.raw.contentType;
      } else if (reply.body !== undefined && reply.status !== 204 && reply.status !== 304) {
        text = JSON.stringify(reply.body);
        headers["content-type"] = "application/json; charset=utf-8";
      }
      if (validate && match) {
        this.validator.validateResponse(
          { method, path, apiVersion: view.version, accept },
          { status: reply.status, ...(headers["content-type"] !== undefined ? { contentType: headers["content-type"] } : {}), body: text },
        );
      }
      let status = reply.status;
      if (this.options.strict && this.validator.violations.length > violationsBefore) {
        status = 400;
        text = JSON.stringify({
          message: `OpenAPI violation (local GitHub server):\n${this.validator.violations.slice(violationsBefore).map(formatViolation).join("\n")}`,
          documentation_url: docs,
        });
        headers["content-type"] = "application/json; charset=utf-8";
        headers["x-openapi-violation"] = "true";
      }
      const payload = reply.raw && Buffer.isBuffer(reply.raw.data) && status === reply.status ? reply.raw.data : Buffer.from(text, "utf8");
      if (payload.length > 0) headers["content-length"] = String(payload.length);
      res.writeHead(status, headers);
      res.end(method === "HEAD" ? undefined : payload);
      entry.status = status;
      entry.ms = Date.now() - t0;
    };
    const fail = (status: number, message: string, extra: JsonObject = {}, headers: Record<string, string> = {}): void => {
      finish({ status, body: { message, documentation_url: docs, status: String(status), ...extra }, headers });
    };

    // GitHub's own front door, in its order
    if (badCredentials) return fail(401, "Bad credentials", {}, {});
    if (this.options.requireUserAgent !== false && !userAgent) {
      return finish({ status: 403, raw: { contentType: "text/plain; charset=utf-8", data: "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n" } });
    }
    if (typeof apiVersionHeader === "string" && apiVersionHeader !== "" && !this.apiVersions.has(apiVersionHeader)) {
      return fail(400, `API version ${apiVersionHeader} is not supported.`);
    }
    const nowS = Math.floor(this.state.now() / 1000);
    if (nowS >= bucket.reset) {
      bucket.used = 0;
      bucket.reset = nowS + 3600;
    }
    const counts = match?.operationId !== "rate-limit/get";
    const who = token ? (token.kind === "installation" ? `installation ID ${token.user.id}` : `user ID ${token.user.id}`) : String(req.socket.remoteAddress);
    if (counts && bucket.used >= bucket.limit) {
      return fail(this.options.primaryRateLimitStatus ?? 403, `API rate limit exceeded for ${who}.`, { documentation_url: RATE_LIMIT_DOCS });
    }
    if (counts) bucket.used++;

    // faults
    const faultReq: FaultRequest = { method, path, query, operationId: match?.operationId ?? null, body, login: entry.login };
    for (const f of this.faults) {
      if (f.removed || !this.faultMatches(f.rule, faultReq)) continue;
      f.seen++;
      if (f.seen <= (f.rule.skip ?? 0)) continue;
      if (f.hits >= (f.rule.times ?? 1)) continue;
      f.hits++;
      entry.fault = f.rule.kind;
      const applied = await this.applyFault(f.rule, { req, path, body, match, bucket, who, requestId, finish, fail });
      if (applied === "handled") return;
      if (applied === "reset") {
        entry.status = 0;
        entry.ms = Date.now() - t0;
        return;
      }
    }

    if (bodyError) return fail(400, "Problems parsing JSON");
    if (!match) return fail(404, "Not Found");

    // GitHub validates input against its own schema: invalid bodies are 422 "Invalid request."
    const hard = reqIssues.filter((i) => i.location === "body" && !i.lenient);
    if (hard.length > 0) return fail(422, `Invalid request.\n\n${hard.map((i) => i.message).join("\n")}`);

    const ctx: Ctx = { seq, method, path, query, match, params: match.params, body, token, view, accept, docs };
    try {
      const override = this.overrides.get(match.operationId);
      if (override) {
        const out = await override({ method, path, params: match.params, query, body, login: entry.login, operationId: match.operationId });
        if (out.contentType !== undefined) return finish({ status: out.status, raw: { contentType: out.contentType, data: typeof out.body === "string" ? out.body : JSON.stringify(out.body) }, ...(out.headers ? { headers: out.headers } : {}) });
        return finish({ status: out.status, ...(out.body !== undefined ? { body: out.body as Json } : {}), ...(out.headers ? { headers: out.headers } : {}) });
      }
      const handler = this.handlers[match.operationId];
      if (!handler) return fail(404, "Not Found", {}, { "x-local-github-unimplemented": match.operationId });
      finish(handler(ctx));
    } catch (err) {
      if (err instanceof HttpError) {
        finish({ status: err.status, ...(err.body ? { body: err.body } : {}), headers: err.headers });
        return;
      }
      throw err;
    }
  }

  private faultMatches(rule: FaultRule, req: FaultRequest): boolean {
    const m = rule.match;
    if (!m) return true;
    if (typeof m === "function") return m(req);
    if (m.method && m.method.toUpperCase() !== req.method) return false;
    if (m.operationId && m.operationId !== req.operationId) return false;
    if (m.path !== undefined) {
      if (typeof m.path === "string" ? m.path !== req.path && m.path !== safeDecode(req.path) : !m.path.test(req.path)) return false;
    }
    return true;
  }

  private async applyFault(
    rule: FaultRule,
    x: {
      req: IncomingMessage;
      path: string;
      body: unknown;
      match: OperationMatch | null;
      bucket: RateBucket;
      /** "installation ID n" / "user ID n" / the client address */
      who: string;
      requestId: string;
      finish: (reply: Reply, extra?: Record<string, string>) => void;
      fail: (status: number, message: string, extra?: JsonObject, headers?: Record<string, string>) => void;
    },
  ): Promise<"handled" | "continue" | "reset"> {
    switch (rule.kind) {
      case "secondary-rate-limit": {
        const status = rule.status ?? 403;
        const headers: Record<string, string> = {};
        if (rule.retryAfter !== null) headers["retry-after"] = String(rule.retryAfter ?? 1);
        x.fail(
          status,
          `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${x.requestId}.`,
          { documentation_url: SECONDARY_DOCS },
          headers,
        );
        return "handled";
      }
      case "primary-rate-limit": {
        const status = rule.status ?? 403;
        const reset = Math.floor(this.state.now() / 1000) + (rule.resetIn ?? 1);
        x.fail(status, `API rate limit exceeded for ${x.who}.`, { documentation_url: RATE_LIMIT_DOCS }, this.rateHeaders(x.bucket, 0, reset));
        return "handled";
      }
      case "server-error": {
        const status = rule.status ?? 502;
        if (rule.html) x.finish({ status, raw: { contentType: "text/html; charset=utf-8", data: UNICORN_HTML } });
        else x.fail(status, status === 502 ? "Server Error" : status === 503 ? "Service Unavailable" : status === 504 ? "We couldn't respond to your request in time. Sorry about that. Please try resubmitting your request and contact us if the problem persists." : "Internal Server Error");
        return "handled";
      }
      case "latency":
        await new Promise((r) => setTimeout(r, rule.latencyMs ?? 100));
        return "continue";
      case "reset":
        x.req.socket.destroy();
        return "reset";
      case "concurrent-writer": {
        this.concurrentWrite(rule, x.path, x.body, x.match);
        return "continue";
      }
    }
  }

  /** Another writer commits on the ref the request is about to update. */
  private concurrentWrite(rule: FaultRule, path: string, body: unknown, match: OperationMatch | null): void {
    const params = match?.params ?? {};
    const repo = params.owner && params.repo ? this.state.findRepo(`${params.owner}/${params.repo}`) : undefined;
    if (!repo) return;
    let ref = rule.ref ? `refs/${rule.ref.replace(/^refs\//, "")}` : undefined;
    let files = rule.files;
    if (!ref && match?.operationId === "git/update-ref" && params.ref) ref = `refs/${params.ref}`;
    if (!ref && match?.operationId === "repos/create-or-update-file-contents") {
      ref = `refs/heads/${asString(field(body, "branch")) ?? repo.default_branch}`;
      files ??= { [params.path ?? "concurrent-writer.txt"]: `written by another writer (${path})\n` };
    }
    ref ??= `refs/heads/${repo.default_branch}`;
    if (!repo.git.refs.has(ref)) return;
    const other = this.state.ensureUser("other-writer");
    repo.git.commitFiles(ref, files ?? { [`concurrent-writer/${this.seq}.txt`]: `another writer was here (${this.seq})\n` }, "Concurrent update", this.state.signature(other));
  }

  // -------------------------------------------------------------------------------------------
  // handler helpers

  private err(ctx: Ctx, status: number, message: string, extra: JsonObject = {}): HttpError {
    return new HttpError(status, { message, documentation_url: ctx.docs, status: String(status), ...extra });
  }

  private notFound(ctx: Ctx): HttpError {
    return this.err(ctx, 404, "Not Found");
  }

  private validationFailed(ctx: Ctx, errors: JsonObject[]): HttpError {
    return this.err(ctx, 422, "Validation Failed", { errors });
  }

  private tokenCovers(t: TokenRecord, repo: RepoRecord): boolean {
    return t.repositories === null || t.repositories.has(repo.full_name.toLowerCase());
  }

  /** The repo of {owner}/{repo}, visible to the caller, with the operation's permission checked. */
  private repoFor(ctx: Ctx): RepoRecord {
    const repo = this.state.findRepo(`${ctx.params.owner ?? ""}/${ctx.params.repo ?? ""}`);
    if (!repo) throw this.notFound(ctx);
    const t = ctx.token;
    const visible = !repo.private || (t !== null && this.tokenCovers(t, repo) && (t.kind !== "pat" || this.isMember(t.user, repo)));
    if (!visible) throw this.notFound(ctx);
    const req = REQUIREMENTS[ctx.match.operationId] ?? READ("metadata");
    this.authorize(ctx, repo, req);
    return repo;
  }

  private isMember(user: UserRecord, repo: RepoRecord): boolean {
    return user === repo.owner || repo.collaborators.has(user.login.toLowerCase());
  }

  private authorize(ctx: Ctx, repo: RepoRecord, req: Requirement): void {
    const t = ctx.token;
    if (req.access === "read" && !repo.private) return;
    if (!t) throw this.err(ctx, 401, "Requires authentication");
    const denied = t.kind === "pat" ? "Resource not accessible by personal access token" : "Resource not accessible by integration";
    if (!this.tokenCovers(t, repo)) throw this.err(ctx, 403, denied);
    const need = LEVEL[req.access];
    if (!req.resources.some((r) => LEVEL[t.permissions[r]] >= need)) throw this.err(ctx, 403, denied);
  }

  private issueFor(ctx: Ctx, repo: RepoRecord): IssueRecord {
    const n = Number(ctx.params.issue_number ?? ctx.params.pull_number);
    const issue = Number.isInteger(n) ? repo.issues.get(n) : undefined;
    if (!issue) throw this.notFound(ctx);
    return issue;
  }

  private commentFor(ctx: Ctx, repo: RepoRecord): CommentRecord {
    const c = this.state.comment(Number(ctx.params.comment_id));
    if (!c || c.issue.repo !== repo) throw this.notFound(ctx);
    return c;
  }

  private checkBody(ctx: Ctx, resource: string, body: string): void {
    if (chars(body) > 65536) {
      throw this.validationFailed(ctx, [{ resource, code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }]);
    }
  }

  private page<T>(ctx: Ctx, repo: RepoRecord | null, items: T[]): { items: T[]; headers: Record<string, string> } {
    const perRaw = Number(ctx.query.get("per_page") ?? "30");
    const per = Number.isInteger(perRaw) && perRaw > 0 ? Math.min(perRaw, 100) : 30;
    const pageRaw = Number(ctx.query.get("page") ?? "1");
    const page = Number.isInteger(pageRaw) && pageRaw > 0 ? pageRaw : 1;
    const last = Math.max(1, Math.ceil(items.length / per));
    const headers: Record<string, string> = {};
    const linkPath =
      repo && (this.options.linkStyle ?? "repositories") === "repositories" ? ctx.path.replace(/^\/repos\/[^/]+\/[^/]+/, `/repositories/${repo.id}`) : ctx.path;
    const link = (p: number, rel: string): string => {
      const q = new URLSearchParams(ctx.query);
      q.set("page", String(p));
      return `<${this.url}${linkPath}?${q.toString()}>; rel="${rel}"`;
    };
    const rels: string[] = [];
    if (page > 1) rels.push(link(Math.min(page - 1, last), "prev"));
    if (page < last) rels.push(link(page + 1, "next"), link(last, "last"));
    if (page > 1) rels.push(link(1, "first"));
    if (rels.length > 0) headers.link = rels.join(", ");
    return { items: items.slice((page - 1) * per, page * per), headers };
  }

  private resolveRef(ctx: Ctx, repo: RepoRecord, refish: string): string {
    if (repo.git.empty) throw this.err(ctx, 409, "Git Repository is empty.");
    const sha = repo.git.resolve(refish);
    if (!sha) throw this.err(ctx, 404, `No commit found for the ref ${refish}`);
    return sha;
  }

  private refName(ctx: Ctx): string {
    return `refs/${(ctx.params.ref ?? "").replace(/^refs\//, "")}`;
  }

  private labelNames(value: unknown): string[] | null {
    const list = Array.isArray(value) ? value : isJsonObject(value) && Array.isArray(value.labels) ? value.labels : null;
    if (!list) return null;
    return list.map((l) => (typeof l === "string" ? l : isJsonObject(l) ? (asString(l.name) ?? "") : String(l))).filter((n) => n !== "");
  }

  private sortIssues(ctx: Ctx, list: IssueRecord[]): IssueRecord[] {
    const sort = ctx.query.get("sort") ?? "created";
    const dir = ctx.query.get("direction") === "asc" ? 1 : -1;
    const key = (i: IssueRecord): number => (sort === "updated" ? Date.parse(i.updated_at) * 1e6 + i.seq : sort === "comments" ? i.comments.length * 1e9 + i.seq : i.seq);
    return [...list].sort((a, b) => (key(a) - key(b)) * dir);
  }

  // -------------------------------------------------------------------------------------------
  // handlers (keyed by operationId)

  private buildHandlers(): Record<string, Handler> {
    const s = this.state;
    const now = () => s.timestamp();
    const json = (status: number, body: Json, headers?: Record<string, string>): Reply => ({ status, body, ...(headers ? { headers } : {}) });

    return {
      "rate-limit/get": (ctx) => {
        const b = this.bucket(ctx.token, "rate");
        const core: JsonObject = { limit: b.limit, remaining: Math.max(0, b.limit - b.used), reset: b.reset, used: b.used, resource: "core" };
        const other = (limit: number, resource: string): JsonObject => ({ limit, remaining: limit, reset: b.reset, used: 0, resource });
        const body: JsonObject = {
          resources: { core, search: other(30, "search"), graphql: other(5000, "graphql"), integration_manifest: other(5000, "integration_manifest"), code_search: other(10, "code_search") },
        };
        if (!ctx.view.v2026) body.rate = core;
        return json(200, body);
      },

      "users/get-authenticated": (ctx) => {
        const t = ctx.token;
        if (!t) throw this.err(ctx, 401, "Requires authentication");
        if (t.kind !== "pat") throw this.err(ctx, 403, "Resource not accessible by integration");
        return json(200, ctx.view.privateUser(t.user, [...s.repos.values()]));
      },

      "apps/get-authenticated": (ctx) => {
        const t = ctx.token;
        if (!t || t.kind !== "app") throw this.err(ctx, 401, "A JSON web token could not be decoded");
        const owner = s.ensureUser("github");
        return json(200, {
          id: 15368,
          slug: t.user.login.replace(/\[bot\]$/, ""),
          node_id: nodeId("A", 15368),
          client_id: "Iv1.0123456789abcdef",
          owner: ctx.view.user(owner),
          name: t.user.login.replace(/\[bot\]$/, ""),
          description: "Automate your workflow from idea to production",
          external_url: "https://help.github.com/en/actions",
          html_url: `${ctx.view.web}/apps/${t.user.login.replace(/\[bot\]$/, "")}`,
          created_at: "2018-07-30T09:30:17Z",
          updated_at: "2024-04-10T20:33:16Z",
          permissions: { contents: "write", issues: "write", metadata: "read", pull_requests: "write" },
          events: [],
          installations_count: 1,
        });
      },

      "repos/get": (ctx) => {
        const repo = this.repoFor(ctx);
        const t = ctx.token;
        const permissions: JsonObject | undefined = t
          ? {
              admin: t.kind === "pat" && t.user === repo.owner,
              maintain: t.kind === "pat" && t.user === repo.owner,
              push: LEVEL[t.permissions.contents] >= 2 && this.tokenCovers(t, repo) && (t.kind !== "pat" || this.isMember(t.user, repo)),
              triage: LEVEL[t.permissions.issues] >= 2 && this.tokenCovers(t, repo),
              pull: true,
            }
          : undefined;
        return json(200, ctx.view.repo(repo, { full: true, ...(permissions ? { permissions } : {}) }));
      },

      // issue comments ------------------------------------------------------------------
      "issues/list-comments": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        const since = ctx.query.get("since");
        const list = issue.comments.filter((c) => !since || Date.parse(c.updated_at) >= Date.parse(since));
        const { items, headers } = this.page(ctx, repo, list);
        return json(200, items.map((c) => ctx.view.comment(c)), headers);
      },
      "issues/get-comment": (ctx) => {
        const repo = this.repoFor(ctx);
        return json(200, ctx.view.comment(this.commentFor(ctx, repo)));
      },
      "issues/create-comment": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        const body = asString(field(ctx.body, "body")) ?? "";
        if (body.trim() === "") throw this.validationFailed(ctx, [{ resource: "IssueComment", code: "missing_field", field: "body" }]);
        this.checkBody(ctx, "IssueComment", body);
        const c = s.addComment(repo, issue.number, { body, user: (ctx.token?.user ?? s.ensureUser("ghost")).login });
        issue.updated_at = now();
        return json(201, ctx.view.comment(c), { location: `${ctx.view.repoUrl(repo)}/issues/comments/${c.id}` });
      },
      "issues/update-comment": (ctx) => {
        const repo = this.repoFor(ctx);
        const c = this.commentFor(ctx, repo);
        const body = asString(field(ctx.body, "body")) ?? "";
        if (body.trim() === "") throw this.validationFailed(ctx, [{ resource: "IssueComment", code: "missing_field", field: "body" }]);
        this.checkBody(ctx, "IssueComment", body);
        if (body !== c.body) {
          c.body = body;
          c.updated_at = now();
        }
        return json(200, ctx.view.comment(c));
      },
      "issues/delete-comment": (ctx) => {
        const repo = this.repoFor(ctx);
        s.deleteComment(this.commentFor(ctx, repo));
        return { status: 204 };
      },

      // issues -----------------------------------------------------------------------------
      "issues/list-for-repo": (ctx) => {
        const repo = this.repoFor(ctx);
        const state = ctx.query.get("state") ?? "open";
        const labels = (ctx.query.get("labels") ?? "").split(",").map((l) => l.trim()).filter((l) => l !== "");
        const creator = ctx.query.get("creator");
        const since = ctx.query.get("since");
        let list = s.issues(repo, { state: state === "closed" || state === "all" ? state : "open", labels, ...(creator ? { creator } : {}) });
        if (since) list = list.filter((i) => Date.parse(i.updated_at) >= Date.parse(since));
        const { items, headers } = this.page(ctx, repo, this.sortIssues(ctx, list));
        return json(200, items.map((i) => ctx.view.issue(i)), headers);
      },
      "issues/create": (ctx) => {
        const repo = this.repoFor(ctx);
        const title = asString(field(ctx.body, "title")) ?? "";
        if (title.trim() === "") throw this.validationFailed(ctx, [{ resource: "Issue", code: "missing_field", field: "title" }]);
        if (chars(title) > 256) throw this.validationFailed(ctx, [{ resource: "Issue", code: "custom", field: "title", message: "title is too long (maximum is 256 characters)" }]);
        const body = asString(field(ctx.body, "body"));
        if (body !== undefined) this.checkBody(ctx, "Issue", body);
        const issue = s.createIssue(repo, { title, body: body ?? null, user: (ctx.token?.user ?? s.ensureUser("ghost")).login, labels: this.labelNames(field(ctx.body, "labels")) ?? [] });
        return json(201, ctx.view.issue(issue, { single: true }), { location: `${ctx.view.repoUrl(repo)}/issues/${issue.number}` });
      },
      "issues/get": (ctx) => {
        const repo = this.repoFor(ctx);
        return json(200, ctx.view.issue(this.issueFor(ctx, repo), { single: true }));
      },
      "issues/update": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        const b = ctx.body;
        const before = JSON.stringify(ctx.view.issue(issue, { single: true }));
        const title = field(b, "title");
        if (title !== undefined && title !== null) {
          const t = asString(title) ?? "";
          if (t.trim() === "") throw this.validationFailed(ctx, [{ resource: "Issue", code: "missing_field", field: "title" }]);
          if (chars(t) > 256) throw this.validationFailed(ctx, [{ resource: "Issue", code: "custom", field: "title", message: "title is too long (maximum is 256 characters)" }]);
          issue.title = t;
        }
        const body = field(b, "body");
        if (body === null) issue.body = null;
        else if (typeof body === "string") {
          this.checkBody(ctx, "Issue", body);
          issue.body = body;
        }
        const labels = field(b, "labels");
        if (labels !== undefined) issue.labels = s.labelsFor(repo, this.labelNames(labels) ?? []);
        const state = field(b, "state");
        const reason = field(b, "state_reason");
        if (state === "closed" && issue.state === "open") {
          issue.state = "closed";
          issue.closed_at = now();
          issue.closed_by = ctx.token?.user ?? null;
          issue.state_reason = reason === "not_planned" || reason === "duplicate" || reason === "completed" ? reason : "completed";
        } else if (state === "open" && issue.state === "closed") {
          issue.state = "open";
          issue.closed_at = null;
          issue.closed_by = null;
          issue.state_reason = "reopened";
        }
        if (JSON.stringify(ctx.view.issue(issue, { single: true })) !== before) issue.updated_at = now();
        return json(200, ctx.view.issue(issue, { single: true }));
      },

      // labels -----------------------------------------------------------------------------
      "issues/list-labels-for-repo": (ctx) => {
        const repo = this.repoFor(ctx);
        const { items, headers } = this.page(ctx, repo, [...repo.labels.values()].sort((a, b) => a.name.localeCompare(b.name)));
        return json(200, items.map((l) => ctx.view.label(repo, l)), headers);
      },
      "issues/create-label": (ctx) => {
        const repo = this.repoFor(ctx);
        const name = asString(field(ctx.body, "name")) ?? "";
        const color = asString(field(ctx.body, "color"));
        const description = asString(field(ctx.body, "description"));
        if (name.trim() === "") throw this.validationFailed(ctx, [{ resource: "Label", code: "missing_field", field: "name" }]);
        if (repo.labels.has(name.toLowerCase())) throw this.validationFailed(ctx, [{ resource: "Label", code: "already_exists", field: "name" }]);
        if (color !== undefined && !/^#?[0-9a-fA-F]{6}$/.test(color)) throw this.validationFailed(ctx, [{ resource: "Label", code: "invalid", field: "color" }]);
        if (description !== undefined && chars(description) > 100) {
          throw this.validationFailed(ctx, [{ resource: "Label", code: "custom", field: "description", message: "description is too long (maximum is 100 characters)" }]);
        }
        const label = s.createLabel(repo, { name, ...(color !== undefined ? { color: color.replace(/^#/, "") } : {}), description: description ?? null });
        return json(201, ctx.view.label(repo, label), { location: `${ctx.view.repoUrl(repo)}/labels/${encodeURIComponent(label.name)}` });
      },
      "issues/get-label": (ctx) => {
        const repo = this.repoFor(ctx);
        const label = repo.labels.get((ctx.params.name ?? "").toLowerCase());
        if (!label) throw this.notFound(ctx);
        return json(200, ctx.view.label(repo, label));
      },
      "issues/list-labels-on-issue": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        const { items, headers } = this.page(ctx, repo, issue.labels);
        return json(200, items.map((l) => ctx.view.label(repo, l)), headers);
      },
      "issues/add-labels": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        const names = this.labelNames(ctx.body) ?? [];
        for (const l of s.labelsFor(repo, names)) if (!issue.labels.includes(l)) issue.labels.push(l);
        issue.updated_at = now();
        return json(200, issue.labels.map((l) => ctx.view.label(repo, l)));
      },
      "issues/set-labels": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        issue.labels = s.labelsFor(repo, this.labelNames(ctx.body) ?? []);
        issue.updated_at = now();
        return json(200, issue.labels.map((l) => ctx.view.label(repo, l)));
      },
      "issues/remove-label": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        const name = (ctx.params.name ?? "").toLowerCase();
        const i = issue.labels.findIndex((l) => l.name.toLowerCase() === name);
        if (i < 0) throw this.err(ctx, 404, "Label does not exist");
        issue.labels.splice(i, 1);
        issue.updated_at = now();
        return json(200, issue.labels.map((l) => ctx.view.label(repo, l)));
      },

      // pulls ------------------------------------------------------------------------------
      "pulls/get": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        if (!issue.pull) throw this.notFound(ctx);
        return json(200, ctx.view.pull(issue));
      },
      "pulls/list": (ctx) => {
        const repo = this.repoFor(ctx);
        const state = ctx.query.get("state") ?? "open";
        const head = ctx.query.get("head");
        const base = ctx.query.get("base");
        let list = s.issues(repo, { state: state === "closed" || state === "all" ? state : "open", pulls: true });
        if (head) {
          const [owner, ref] = head.includes(":") ? head.split(":", 2) : [repo.owner.login, head];
          list = list.filter((i) => i.pull && i.pull.head.repo.owner.login.toLowerCase() === (owner ?? "").toLowerCase() && i.pull.head.ref === ref);
        }
        if (base) list = list.filter((i) => i.pull?.base.ref === base);
        const { items, headers } = this.page(ctx, repo, this.sortIssues(ctx, list));
        return json(200, items.map((i) => ctx.view.pullSimple(i)), headers);
      },
      "pulls/list-files": (ctx) => {
        const repo = this.repoFor(ctx);
        const issue = this.issueFor(ctx, repo);
        const pull = issue.pull;
        if (!pull) throw this.notFound(ctx);
        const { items, headers } = this.page(ctx, repo, pull.files);
        return json(200, items.map((f) => ctx.view.diffEntry(issue, f)), headers);
      },
      "repos/list-pull-requests-associated-with-commit": (ctx) => {
        const repo = this.repoFor(ctx);
        const sha = ctx.params.commit_sha ?? "";
        if (repo.git.empty) throw this.err(ctx, 409, "Git Repository is empty.");
        const list = s.issues(repo, { pulls: true }).filter((i) => {
          const p = i.pull;
          if (!p) return false;
          if (p.head.sha === sha) return true;
          return p.head.repo.git.isAncestor(sha, p.head.sha) && !repo.git.isAncestor(sha, p.base.sha);
        });
        const { items, headers } = this.page(ctx, repo, list);
        return json(200, items.map((i) => ctx.view.pullSimple(i)), headers);
      },
      "repos/get-commit": (ctx) => {
        const repo = this.repoFor(ctx);
        if (repo.git.empty) throw this.err(ctx, 409, "Git Repository is empty.");
        const ref = ctx.params.ref ?? "";
        const sha = repo.git.resolve(ref);
        const commit = sha ? repo.git.commit(sha) : undefined;
        if (!commit) throw this.err(ctx, 422, `No commit found for SHA: ${ref}`);
        return json(200, ctx.view.commitWithDiff(repo, commit));
      },

      // contents ---------------------------------------------------------------------------
      "repos/get-content": (ctx) => {
        const repo = this.repoFor(ctx);
        const refName = ctx.query.get("ref") ?? repo.default_branch;
        if (repo.git.empty) throw this.err(ctx, 404, "This repository is empty.");
        const sha = repo.git.resolve(refName);
        if (!sha) throw this.err(ctx, 404, `No commit found for the ref ${refName}`);
        const tree = repo.git.commit(sha)?.tree ?? EMPTY_TREE_SHA;
        const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
        const entry = repo.git.lookup(tree, path);
        if (!entry) throw this.notFound(ctx);
        if (entry.type === "tree") {
          const list = repo.git.list(entry.sha, false, path === "" ? "" : `${path}/`);
          return json(200, list.map((e) => ctx.view.contentEntry(repo, e.path, refName, e)));
        }
        const data = repo.git.blob(entry.sha)?.data ?? Buffer.alloc(0);
        if (/\.raw\b|vnd\.github\.raw/.test(ctx.accept)) return { status: 200, raw: { contentType: "application/vnd.github.raw; charset=utf-8", data } };
        return json(200, ctx.view.contentFile(repo, path, refName, entry.sha, data));
      },
      "repos/create-or-update-file-contents": (ctx) => this.putContents(ctx),
      "repos/delete-file": (ctx) => this.deleteContents(ctx),

      // git data ---------------------------------------------------------------------------
      "git/get-ref": (ctx) => {
        const repo = this.repoFor(ctx);
        if (repo.git.empty) throw this.err(ctx, 409, "Git Repository is empty.");
        const name = this.refName(ctx);
        const sha = repo.git.refs.get(name);
        if (!sha) throw this.notFound(ctx);
        return json(200, ctx.view.gitRef(repo, name, sha));
      },
      "git/list-matching-refs": (ctx) => {
        const repo = this.repoFor(ctx);
        if (repo.git.empty) throw this.err(ctx, 409, "Git Repository is empty.");
        const prefix = this.refName(ctx);
        const list = [...repo.git.refs.entries()].filter(([n]) => n.startsWith(prefix) && !n.startsWith("refs/pull/")).sort(([a], [b]) => a.localeCompare(b));
        return json(200, list.map(([n, sha]) => ctx.view.gitRef(repo, n, sha)));
      },
      "git/create-ref": (ctx) => {
        const repo = this.repoFor(ctx);
        const ref = asString(field(ctx.body, "ref")) ?? "";
        const sha = asString(field(ctx.body, "sha")) ?? "";
        if (!ref.startsWith("refs/") || ref.split("/").length < 3) throw this.err(ctx, 422, "Reference name must start with 'refs/' and have at least two slashes.");
        if (repo.git.refs.has(ref)) throw this.err(ctx, 422, "Reference already exists");
        if (!repo.git.get(sha)) throw this.err(ctx, 422, "Object does not exist");
        repo.git.refs.set(ref, sha);
        repo.pushed_at = now();
        return json(201, ctx.view.gitRef(repo, ref, sha), { location: `${ctx.view.repoUrl(repo)}/git/${encodePath(ref)}` });
      },
      "git/update-ref": (ctx) => {
        const repo = this.repoFor(ctx);
        const name = this.refName(ctx);
        const sha = asString(field(ctx.body, "sha")) ?? "";
        const force = field(ctx.body, "force") === true;
        const current = repo.git.refs.get(name);
        if (!current) throw this.err(ctx, 422, "Reference does not exist");
        if (!repo.git.get(sha)) throw this.err(ctx, 422, "Object does not exist");
        if (!force && current !== sha && !repo.git.isAncestor(current, sha)) throw this.err(ctx, 422, "Update is not a fast forward");
        repo.git.refs.set(name, sha);
        repo.pushed_at = now();
        return json(200, ctx.view.gitRef(repo, name, sha));
      },
      "git/delete-ref": (ctx) => {
        const repo = this.repoFor(ctx);
        const name = this.refName(ctx);
        if (!repo.git.refs.has(name)) throw this.err(ctx, 422, "Reference does not exist");
        repo.git.refs.delete(name);
        return { status: 204 };
      },
      "git/get-commit": (ctx) => {
        const repo = this.repoFor(ctx);
        if (repo.git.empty) throw this.err(ctx, 409, "Git Repository is empty.");
        const c = repo.git.commit(ctx.params.commit_sha ?? "");
        if (!c) throw this.notFound(ctx);
        return json(200, ctx.view.gitCommit(repo, c));
      },
      "git/create-commit": (ctx) => {
        const repo = this.repoFor(ctx);
        const message = asString(field(ctx.body, "message")) ?? "";
        const tree = asString(field(ctx.body, "tree")) ?? "";
        const parentsRaw = field(ctx.body, "parents");
        const parents = Array.isArray(parentsRaw) ? parentsRaw.map((p) => String(p)) : [];
        if (!repo.git.tree(tree)) throw this.err(ctx, 422, "Tree SHA does not exist");
        for (const p of parents) if (!repo.git.commit(p)) throw this.err(ctx, 422, "Parent SHA does not exist or is not a commit object");
        const identity = s.signature(ctx.token?.user ?? repo.owner);
        const sig = (v: unknown, fallback: GitSignature): GitSignature => {
          if (!isJsonObject(v)) return fallback;
          return { name: asString(v.name) ?? fallback.name, email: asString(v.email) ?? fallback.email, date: asString(v.date) ? iso(Date.parse(String(v.date))) : fallback.date };
        };
        const author = sig(field(ctx.body, "author"), identity);
        const committer = sig(field(ctx.body, "committer"), author);
        const sha = repo.git.writeCommit({ tree, parents, message, author, committer });
        const c = repo.git.commit(sha);
        if (!c) throw new Error("commit vanished");
        return json(201, ctx.view.gitCommit(repo, c), { location: `${ctx.view.repoUrl(repo)}/git/commits/${sha}` });
      },
      "git/get-tree": (ctx) => {
        const repo = this.repoFor(ctx);
        if (repo.git.empty) throw this.err(ctx, 409, "Git Repository is empty.");
        const id = ctx.params.tree_sha ?? "";
        let sha: string | null = repo.git.tree(id) ? id : null;
        if (!sha) {
          const commit = repo.git.resolve(id);
          sha = commit ? (repo.git.commit(commit)?.tree ?? null) : null;
        }
        if (!sha) throw this.notFound(ctx);
        // GitHub: *any* value of `recursive` (even 0 or "false") means recursive
        return json(200, ctx.view.gitTree(repo, sha, ctx.query.has("recursive")));
      },
      "git/create-tree": (ctx) => {
        const repo = this.repoFor(ctx);
        const base = asString(field(ctx.body, "base_tree"));
        if (base !== undefined && !repo.git.tree(base)) throw this.err(ctx, 422, "base_tree is not a valid tree oid");
        const entries = field(ctx.body, "tree");
        const changes: TreeChange[] = [];
        for (const [i, e] of (Array.isArray(entries) ? entries : []).entries()) {
          if (!isJsonObject(e)) continue;
          const path = asString(e.path) ?? "";
          const mode = (asString(e.mode) ?? "100644") as TreeMode;
          const type = (asString(e.type) ?? "blob") as TreeEntryType;
          const content = asString(e.content);
          const shaValue = e.sha;
          if (content !== undefined && shaValue !== undefined && shaValue !== null) throw this.err(ctx, 422, `tree.${i} may only specify content or sha, not both`);
          if (path === "" || path.startsWith("/") || path.endsWith("/")) throw this.err(ctx, 422, `tree.path contains a malformed path component`);
          let sha: string | null;
          if (content !== undefined) sha = repo.git.writeBlob(content);
          else if (shaValue === null) sha = null;
          else {
            sha = asString(shaValue) ?? "";
            const o = repo.git.get(sha);
            if (type !== "commit" && (!o || o.type !== type)) throw this.err(ctx, 422, `tree.sha ${sha} is not a valid ${type}`);
          }
          if ((type === "tree") !== (mode === "040000")) throw this.err(ctx, 422, `tree.${i}.mode ${mode} does not match type ${type}`);
          changes.push({ path, mode, type, sha });
        }
        try {
          const sha = repo.git.applyTreeChanges(base ?? null, changes);
          return json(201, ctx.view.gitTree(repo, sha, false), { location: `${ctx.view.repoUrl(repo)}/git/trees/${sha}` });
        } catch (err) {
          if (err instanceof GitError) throw this.err(ctx, 422, err.message);
          throw err;
        }
      },
      "git/get-blob": (ctx) => {
        const repo = this.repoFor(ctx);
        const sha = ctx.params.file_sha ?? "";
        const b = repo.git.blob(sha);
        if (!b) throw this.notFound(ctx);
        if (/\.raw\b|vnd\.github\.raw/.test(ctx.accept)) return { status: 200, raw: { contentType: "application/vnd.github.raw; charset=utf-8", data: b.data } };
        return json(200, ctx.view.blob(repo, sha, b.data));
      },
      "git/create-blob": (ctx) => {
        const repo = this.repoFor(ctx);
        const content = asString(field(ctx.body, "content")) ?? "";
        const encoding = asString(field(ctx.body, "encoding")) ?? "utf-8";
        let data: Buffer;
        if (encoding === "base64") {
          if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(content)) throw this.validationFailed(ctx, [{ resource: "Blob", code: "invalid", field: "content" }]);
          data = Buffer.from(content, "base64");
        } else if (encoding === "utf-8" || encoding === "utf8") {
          data = Buffer.from(content, "utf8");
        } else {
          throw this.validationFailed(ctx, [{ resource: "Blob", code: "custom", field: "encoding", message: `encoding must be either 'utf-8' or 'base64', was '${encoding}'` }]);
        }
        const sha = repo.git.writeBlob(data);
        return json(201, { url: `${ctx.view.repoUrl(repo)}/git/blobs/${sha}`, sha }, { location: `${ctx.view.repoUrl(repo)}/git/blobs/${sha}` });
      },
    };
  }

  private putContents(ctx: Ctx): Reply {
    const s = this.state;
    const repo = this.repoFor(ctx);
    const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const message = asString(field(ctx.body, "message")) ?? "";
    const content = asString(field(ctx.body, "content")) ?? "";
    const sha = asString(field(ctx.body, "sha"));
    const branch = asString(field(ctx.body, "branch")) ?? repo.default_branch;
    const ref = `refs/heads/${branch}`;
    const head = repo.git.refs.get(ref);
    if (!head && !(repo.git.empty && branch === repo.default_branch)) throw this.err(ctx, 404, `Branch ${branch} not found`);
    if (!/^[A-Za-z0-9+/\r\n]*={0,2}[\r\n]*$/.test(content)) throw this.err(ctx, 422, "content is not valid Base64");
    const tree = head ? (repo.git.commit(head)?.tree ?? null) : null;
    const existing = tree ? repo.git.lookup(tree, path) : null;
    if (existing?.type === "tree") throw this.err(ctx, 422, `${path} is a directory`);
    if (existing) {
      if (sha === undefined) throw this.err(ctx, 422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
      if (sha !== existing.sha) throw this.err(ctx, 409, `${path} does not match ${sha}`);
    }
    const identity = s.signature(ctx.token?.user ?? repo.owner);
    const sig = (v: unknown, fallback: GitSignature): GitSignature =>
      isJsonObject(v) ? { name: asString(v.name) ?? fallback.name, email: asString(v.email) ?? fallback.email, date: asString(v.date) ? iso(Date.parse(String(v.date))) : fallback.date } : fallback;
    const committer = sig(field(ctx.body, "committer"), identity);
    const author = sig(field(ctx.body, "author"), committer);
    const data = Buffer.from(content, "base64");
    const blob = repo.git.writeBlob(data);
    const commitSha = repo.git.commitFiles(ref, { [path]: data }, message, author, committer);
    repo.pushed_at = s.timestamp();
    const commit = repo.git.commit(commitSha);
    if (!commit) throw new Error("commit vanished");
    return { status: existing ? 200 : 201, body: ctx.view.fileCommit(repo, path, branch, blob, data.length, commit) };
  }

  private deleteContents(ctx: Ctx): Reply {
    const s = this.state;
    const repo = this.repoFor(ctx);
    const path = (ctx.params.path ?? "").replace(/^\/+|\/+$/g, "");
    const sha = asString(field(ctx.body, "sha"));
    const branch = asString(field(ctx.body, "branch")) ?? repo.default_branch;
    const ref = `refs/heads/${branch}`;
    const head = repo.git.refs.get(ref);
    if (!head) throw this.err(ctx, 404, `Branch ${branch} not found`);
    const tree = repo.git.commit(head)?.tree ?? null;
    const existing = tree ? repo.git.lookup(tree, path) : null;
    if (!existing || existing.type === "tree") throw this.notFound(ctx);
    if (sha === undefined) throw this.err(ctx, 422, 'Invalid request.\n\n"sha" wasn\'t supplied.');
    if (sha !== existing.sha) throw this.err(ctx, 409, `${path} does not match ${sha}`);
    const identity = s.signature(ctx.token?.user ?? repo.owner);
    const commitSha = repo.git.commitFiles(ref, { [path]: null }, asString(field(ctx.body, "message")) ?? "", identity);
    const commit = repo.git.commit(commitSha);
    if (!commit) throw new Error("commit vanished");
    return { status: 200, body: ctx.view.fileCommit(repo, path, branch, null, 0, commit) };
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Start a local GitHub REST API on 127.0.0.1 (random port). */
export async function startGitHubServer(options: GitHubServerOptions = {}): Promise<GitHubServer> {
  const server = new LocalGitHub(options);
  await server.listen();
  return server;
}

/** Helpers re-exported for tests. */
export { isSha };
