/**
 * Event payloads for GITHUB_EVENT_PATH, built from the real webhook examples of
 * @octokit/webhooks-examples and patched consistently (repo, owner, number, shas, fork flags,
 * URLs), then checked against the `x-webhooks` schemas of GitHub's OpenAPI description.
 *
 *   const pr = gh.state.createPullRequest("acme/zoo", { title: "Bump", head: { ref: "bump", repo: "forker/zoo" } });
 *   const payload = pullRequestEventFor(pr, { apiUrl: gh.url });   // or pullRequestEvent({ ... })
 *   const eventPath = writeEventFile(dir, payload);
 *   Object.assign(process.env, actionsEnv({ eventName: "pull_request", eventPath, payload, apiUrl: gh.url }));
 *
 * Facts encoded here:
 * - `schedule` has no webhook: Actions writes `{ "schedule": "<cron>" }` and nothing else, so
 *   `context.payload.repository` is undefined and the repo must come from GITHUB_REPOSITORY.
 * - `workflow_run.pull_requests` is empty when the run came from a fork PR; the head repo and
 *   head sha are the only way back to the PR (GET /repos/{o}/{r}/commits/{sha}/pulls).
 * - Some bundled examples do not satisfy the current schemas (pull_request #0 lacks `auto_merge`,
 *   the synchronize example's repos lack `has_discussions`, workflow_run #0 lacks `actor`), so the
 *   templates used here are ones that do.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { OpenApiValidator, formatViolation, isJsonObject, type Json, type JsonObject } from "./openapi.js";

// ---------------------------------------------------------------------------------------------
// examples

interface ExampleSet {
  name: string;
  examples: JsonObject[];
}

const require = createRequire(import.meta.url);
let exampleCache: ExampleSet[] | undefined;

function loadExamples(): ExampleSet[] {
  if (!exampleCache) {
    const raw: unknown = require("@octokit/webhooks-examples/api.github.com/index.json");
    if (!Array.isArray(raw)) throw new Error("@octokit/webhooks-examples: index.json is not an array");
    exampleCache = raw.filter(isJsonObject).map((e) => ({ name: String(e.name), examples: Array.isArray(e.examples) ? e.examples.filter(isJsonObject) : [] }));
  }
  return exampleCache;
}

/** A deep copy of a bundled webhook example (`event` like "pull_request", optional filter). */
export function webhookExample(event: string, pick: (ex: JsonObject, index: number) => boolean = () => true): JsonObject {
  const set = loadExamples().find((e) => e.name === event);
  if (!set) throw new Error(`no webhook examples for ${event}`);
  const found = set.examples.find(pick);
  if (!found) throw new Error(`no ${event} example matches`);
  return structuredClone(found);
}

let validator: OpenApiValidator | undefined;

/** Check a payload against `x-webhooks[<hook>]` (e.g. "pull-request-opened"); throws on mismatch. */
export function assertWebhookPayload(hook: string, payload: JsonObject): void {
  validator ??= new OpenApiValidator();
  const issues = validator.validateWebhook(hook, payload);
  validator.clear();
  if (issues.length > 0) {
    throw new Error(formatViolation({ operationId: `webhook:${hook}`, where: "webhook", method: "POST", path: hook, errors: issues.map((i) => i.message), issues }));
  }
}

// ---------------------------------------------------------------------------------------------
// inputs

export interface EventUser {
  login: string;
  id?: number;
  type?: "User" | "Bot" | "Organization";
}

export interface EventRepo {
  owner: string | EventUser;
  name: string;
  id?: number;
  private?: boolean;
  defaultBranch?: string;
}

export interface EventUrls {
  /** REST base in payload URLs (default https://api.github.com). */
  apiUrl?: string;
  /** Web base (default https://github.com). */
  serverUrl?: string;
}

/** Structural view of the local server's records (server.ts), so the two stay decoupled. */
export interface RepoLike {
  id: number;
  name: string;
  private: boolean;
  default_branch: string;
  owner: { login: string; id: number; type: string };
}

export interface PullLike {
  number: number;
  title: string;
  body: string | null;
  user: { login: string; id: number; type: string };
  pull: { head: { ref: string; sha: string; repo: RepoLike }; base: { ref: string; sha: string; repo: RepoLike }; draft: boolean } | null;
}

function stableId(s: string): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return 10_000_000 + (h % 90_000_000);
}

function normUser(u: string | EventUser): Required<EventUser> {
  const o = typeof u === "string" ? { login: u } : u;
  return { login: o.login, id: o.id ?? stableId(o.login), type: o.type ?? (o.login.endsWith("[bot]") ? "Bot" : "User") };
}

interface NormRepo {
  owner: Required<EventUser>;
  name: string;
  full: string;
  id: number;
  private: boolean;
  defaultBranch: string;
}

function normRepo(r: string | EventRepo | RepoLike): NormRepo {
  if (typeof r === "string") {
    const [owner, name] = r.split("/");
    if (!owner || !name) throw new Error(`repo must be "owner/name", got ${r}`);
    return normRepo({ owner, name });
  }
  if ("default_branch" in r) {
    const owner = normUser({ login: r.owner.login, id: r.owner.id, type: r.owner.type === "Organization" ? "Organization" : r.owner.type === "Bot" ? "Bot" : "User" });
    return { owner, name: r.name, full: `${owner.login}/${r.name}`, id: r.id, private: r.private, defaultBranch: r.default_branch };
  }
  const owner = normUser(r.owner);
  const full = `${owner.login}/${r.name}`;
  return { owner, name: r.name, full, id: r.id ?? stableId(full), private: r.private ?? false, defaultBranch: r.defaultBranch ?? "main" };
}

function fakeSha(seed: string): string {
  let out = "";
  let h = stableId(seed);
  while (out.length < 40) {
    h = Math.imul(h ^ (h >>> 15), 2246822519) >>> 0;
    out += h.toString(16).padStart(8, "0");
  }
  return out.slice(0, 40);
}

function nodeId(prefix: string, id: number): string {
  return Buffer.from(`${prefix}${id}`).toString("base64").replace(/=+$/, "");
}

// ---------------------------------------------------------------------------------------------
// patching

function mapStrings(node: Json, fn: (s: string) => string): Json {
  if (typeof node === "string") return fn(node);
  if (Array.isArray(node)) return node.map((n) => mapStrings(n, fn));
  if (isJsonObject(node)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node)) out[k] = mapStrings(v, fn);
    return out;
  }
  return node;
}

function rebase(urls: EventUrls): (s: string) => string {
  const api = urls.apiUrl?.replace(/\/+$/, "");
  const web = urls.serverUrl?.replace(/\/+$/, "");
  return (s) => {
    let out = s;
    if (api && out.startsWith("https://api.github.com")) out = api + out.slice("https://api.github.com".length);
    if (web && out.startsWith("https://github.com")) out = web + out.slice("https://github.com".length);
    return out;
  };
}

function obj(value: Json | undefined, what: string): JsonObject {
  if (!isJsonObject(value)) throw new Error(`webhook template: ${what} is not an object`);
  return value;
}

function replaceAll(s: string, from: string, to: string): string {
  return from === "" ? s : s.split(from).join(to);
}

function makeUser(template: JsonObject, user: Required<EventUser>, urls: EventUrls): JsonObject {
  const old = String(template.login);
  const enc = encodeURIComponent(user.login);
  const patched = mapStrings(template, (s) => replaceAll(replaceAll(s, `/users/${old}`, `/users/${enc}`), `github.com/${old}`, `github.com/${enc}`));
  const out = obj(mapStrings(patched, rebase(urls)), "user");
  out.login = user.login;
  out.id = user.id;
  out.node_id = nodeId(user.type === "Organization" ? "04:Organization" : user.type === "Bot" ? "03:Bot" : "04:User", user.id);
  out.type = user.type;
  out.avatar_url = `https://avatars.githubusercontent.com/u/${user.id}?v=4`;
  if (user.type === "Bot" && typeof out.html_url === "string") out.html_url = `${urls.serverUrl ?? "https://github.com"}/apps/${encodeURIComponent(user.login.replace(/\[bot\]$/, ""))}`;
  return out;
}

function makeRepo(template: JsonObject, repo: NormRepo, urls: EventUrls, fork: boolean): JsonObject {
  const oldFull = String(template.full_name);
  const patched = obj(mapStrings(mapStrings(template, (s) => replaceAll(s, oldFull, repo.full)), rebase(urls)), "repository");
  patched.id = repo.id;
  patched.node_id = nodeId("010:Repository", repo.id);
  patched.name = repo.name;
  patched.full_name = repo.full;
  patched.private = repo.private;
  if ("visibility" in patched) patched.visibility = repo.private ? "private" : "public";
  if ("fork" in patched) patched.fork = fork;
  if ("default_branch" in patched) patched.default_branch = repo.defaultBranch;
  if ("master_branch" in patched) patched.master_branch = repo.defaultBranch;
  if (isJsonObject(template.owner)) patched.owner = makeUser(template.owner, repo.owner, urls);
  // newer webhook schemas (e.g. pull-request-synchronize) require it; older examples predate it
  if ("has_issues" in patched && !("has_discussions" in patched)) patched.has_discussions = false;
  return patched;
}

function sideOf(repo: NormRepo, ref: string, sha: string, template: JsonObject, urls: EventUrls, fork: boolean): JsonObject {
  return {
    ...template,
    label: `${repo.owner.login}:${ref}`,
    ref,
    sha,
    user: makeUser(obj(template.user, "pull_request.head.user"), repo.owner, urls),
    repo: makeRepo(obj(template.repo, "pull_request.head.repo"), repo, urls, fork),
  };
}

// ---------------------------------------------------------------------------------------------
// pull_request

export interface PullRequestEventOptions extends EventUrls {
  /** Base repository ("owner/name" or details). */
  repo: string | EventRepo | RepoLike;
  number: number;
  action?: "opened" | "synchronize" | "reopened";
  base?: { ref?: string; sha?: string };
  head?: { ref?: string; sha?: string };
  /** The head lives in a fork: true (owner "contributor") or the fork's owner/name. */
  fork?: boolean | { owner: string | EventUser; name?: string; id?: number } | RepoLike;
  title?: string;
  body?: string | null;
  /** PR author and event sender (default: the fork owner, else "contributor"). */
  user?: string | EventUser;
  draft?: boolean;
  /** synchronize: the previous head sha (default: derived). */
  before?: string;
  /** Check the result against x-webhooks (default true). */
  validate?: boolean;
}

export interface PullRequestEventPayload extends JsonObject {
  action: string;
  number: number;
  pull_request: JsonObject;
  repository: JsonObject;
  sender: JsonObject;
}

/** A `pull_request` event payload (opened/synchronize/reopened) from a real example, patched. */
export function pullRequestEvent(opts: PullRequestEventOptions): PullRequestEventPayload {
  const action = opts.action ?? "opened";
  const tpl = webhookExample("pull_request", (ex) => ex.action === "opened" && isJsonObject(ex.installation) && !isJsonObject(ex.organization));
  const base = normRepo(opts.repo);
  let headRepo = base;
  const isFork = opts.fork !== undefined && opts.fork !== false;
  if (isFork) {
    if (opts.fork === true) headRepo = normRepo({ owner: typeof opts.user === "object" || typeof opts.user === "string" ? opts.user : "contributor", name: base.name, private: base.private });
    else if (typeof opts.fork === "object" && "default_branch" in opts.fork) headRepo = normRepo(opts.fork);
    else if (typeof opts.fork === "object") headRepo = normRepo({ owner: opts.fork.owner, name: opts.fork.name ?? base.name, ...(opts.fork.id !== undefined ? { id: opts.fork.id } : {}), private: base.private });
  }
  const author = normUser(opts.user ?? (isFork ? headRepo.owner : "contributor"));
  const urls: EventUrls = { ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}), ...(opts.serverUrl ? { serverUrl: opts.serverUrl } : {}) };
  const tplPr = obj(tpl.pull_request, "pull_request");
  const tplRepo = obj(tpl.repository, "repository");
  const oldFull = String(tplRepo.full_name);
  const oldNumber = Number(tplPr.number);
  const oldHeadSha = String(obj(tplPr.head, "head").sha);
  const baseRef = opts.base?.ref ?? base.defaultBranch;
  const baseSha = opts.base?.sha ?? fakeSha(`${base.full}:${baseRef}`);
  const headRef = opts.head?.ref ?? `pr-${opts.number}`;
  const headSha = opts.head?.sha ?? fakeSha(`${headRepo.full}:${headRef}:${opts.number}`);

  const prUrls = mapStrings(tplPr, (s) =>
    replaceAll(s, oldHeadSha, headSha)
      .replace(new RegExp(`/${oldFull}/(pulls|issues|pull)/${oldNumber}(?![0-9])`, "g"), `/${base.full}/$1/${opts.number}`)
      .split(oldFull)
      .join(base.full),
  );
  const pr = obj(mapStrings(prUrls, rebase(urls)), "pull_request");
  const id = stableId(`${base.full}#${opts.number}`);
  Object.assign(pr, {
    id,
    node_id: nodeId("011:PullRequest", id),
    number: opts.number,
    state: "open",
    locked: false,
    title: opts.title ?? `Pull request #${opts.number}`,
    body: opts.body ?? null,
    user: makeUser(obj(tplPr.user, "pull_request.user"), author, urls),
    labels: [],
    assignee: null,
    assignees: [],
    requested_reviewers: [],
    requested_teams: [],
    milestone: null,
    draft: opts.draft ?? false,
    merged: false,
    merged_at: null,
    merge_commit_sha: null,
    closed_at: null,
    author_association: isFork ? "CONTRIBUTOR" : "MEMBER",
    maintainer_can_modify: isFork,
    head: sideOf(headRepo, headRef, headSha, obj(tplPr.head, "head"), urls, isFork),
    base: sideOf(base, baseRef, baseSha, obj(tplPr.base, "base"), urls, false),
  });
  const payload: JsonObject = {
    action,
    number: opts.number,
    pull_request: pr,
    repository: makeRepo(tplRepo, base, urls, false),
    sender: makeUser(obj(tpl.sender, "sender"), author, urls),
  };
  if (action === "synchronize") {
    payload.before = opts.before ?? fakeSha(`${headSha}^`);
    payload.after = headSha;
  }
  if (opts.validate !== false) assertWebhookPayload(`pull-request-${action}`, payload);
  return payload as PullRequestEventPayload;
}

/** A `pull_request` event for a PR of the local server (fork PRs get their fork as head repo). */
export function pullRequestEventFor(pr: PullLike, opts: EventUrls & { action?: PullRequestEventOptions["action"]; validate?: boolean } = {}): PullRequestEventPayload {
  const p = pr.pull;
  if (!p) throw new Error(`#${pr.number} is not a pull request`);
  const fork = p.head.repo.id !== p.base.repo.id;
  return pullRequestEvent({
    ...opts,
    repo: p.base.repo,
    number: pr.number,
    base: { ref: p.base.ref, sha: p.base.sha },
    head: { ref: p.head.ref, sha: p.head.sha },
    ...(fork ? { fork: p.head.repo } : {}),
    title: pr.title,
    body: pr.body,
    user: { login: pr.user.login, id: pr.user.id, type: pr.user.type === "Bot" ? "Bot" : "User" },
    draft: p.draft,
  });
}

// ---------------------------------------------------------------------------------------------
// schedule

export interface ScheduleEventPayload extends JsonObject {
  schedule: string;
}

/** What Actions writes to GITHUB_EVENT_PATH for `on: schedule`: only the cron expression. */
export function scheduleEvent(cron = "17 4 * * 1"): ScheduleEventPayload {
  return { schedule: cron };
}

// ---------------------------------------------------------------------------------------------
// workflow_run

export interface WorkflowRunEventOptions extends EventUrls {
  /** The repository the workflow runs in (the base repo). */
  repo: string | EventRepo | RepoLike;
  /** Name of the workflow that finished (the scan workflow). */
  workflow?: string;
  conclusion?: "success" | "failure" | "cancelled" | "skipped" | "neutral" | "timed_out" | "action_required";
  /** Event that triggered the finished run (default "pull_request"). */
  event?: string;
  runId?: number;
  runNumber?: number;
  runAttempt?: number;
  headBranch?: string;
  headSha?: string;
  /** The PR the run belongs to: listed in `pull_requests` unless it comes from a fork. */
  pullRequest?: { number: number; head: { ref: string; sha: string }; base: { ref: string; sha: string } };
  /** Head repository of a fork PR: then `pull_requests` is [] (as on GitHub). */
  fork?: { owner: string | EventUser; name?: string; id?: number } | RepoLike;
  sender?: string | EventUser;
  validate?: boolean;
}

export interface WorkflowRunEventPayload extends JsonObject {
  action: "completed";
  workflow_run: JsonObject;
  workflow: JsonObject;
  repository: JsonObject;
  sender: JsonObject;
}

/** `workflow_run` `completed` for the comment-posting workflow, from a real example, patched. */
export function workflowRunEvent(opts: WorkflowRunEventOptions): WorkflowRunEventPayload {
  const tpl = webhookExample("workflow_run", (ex) => ex.action === "completed" && isJsonObject(ex.workflow_run) && Array.isArray(ex.workflow_run.pull_requests) && ex.workflow_run.pull_requests.length > 0);
  const urls: EventUrls = { ...(opts.apiUrl ? { apiUrl: opts.apiUrl } : {}), ...(opts.serverUrl ? { serverUrl: opts.serverUrl } : {}) };
  const base = normRepo(opts.repo);
  const head = opts.fork ? ("default_branch" in opts.fork ? normRepo(opts.fork) : normRepo({ owner: opts.fork.owner, name: opts.fork.name ?? base.name, ...(opts.fork.id !== undefined ? { id: opts.fork.id } : {}) })) : base;
  const sender = normUser(opts.sender ?? (opts.fork ? head.owner : "contributor"));
  const run = obj(tpl.workflow_run, "workflow_run");
  const oldFull = String(obj(run.repository, "workflow_run.repository").full_name);
  const oldRunId = String(run.id);
  const runId = opts.runId ?? 9_000_000_000 + (stableId(`${base.full}:${opts.headSha ?? ""}`) % 1_000_000);
  const headSha = opts.headSha ?? opts.pullRequest?.head.sha ?? fakeSha(`${head.full}:run:${runId}`);
  const headBranch = opts.headBranch ?? opts.pullRequest?.head.ref ?? base.defaultBranch;
  const workflowName = opts.workflow ?? "scan";

  const patchedRun = obj(
    mapStrings(
      mapStrings(run, (s) => replaceAll(replaceAll(s, `/runs/${oldRunId}`, `/runs/${runId}`), oldFull, base.full)),
      rebase(urls),
    ),
    "workflow_run",
  );
  const tplPrs = Array.isArray(run.pull_requests) ? run.pull_requests : [];
  const prTemplate = obj(tplPrs[0], "workflow_run.pull_requests[0]");
  const apiBase = (urls.apiUrl ?? "https://api.github.com").replace(/\/+$/, "");
  const pullRequests: Json[] =
    opts.pullRequest && !opts.fork
      ? [
          {
            ...prTemplate,
            url: `${apiBase}/repos/${base.full}/pulls/${opts.pullRequest.number}`,
            id: stableId(`${base.full}#${opts.pullRequest.number}`),
            number: opts.pullRequest.number,
            head: { ref: opts.pullRequest.head.ref, sha: opts.pullRequest.head.sha, repo: { id: base.id, url: `${apiBase}/repos/${base.full}`, name: base.name } },
            base: { ref: opts.pullRequest.base.ref, sha: opts.pullRequest.base.sha, repo: { id: base.id, url: `${apiBase}/repos/${base.full}`, name: base.name } },
          },
        ]
      : [];
  const actor = makeUser(obj(run.actor, "workflow_run.actor"), sender, urls);
  Object.assign(patchedRun, {
    id: runId,
    name: workflowName,
    node_id: nodeId("011:WorkflowRun", runId),
    head_branch: headBranch,
    head_sha: headSha,
    path: `.github/workflows/${workflowName}.yml`,
    display_title: opts.pullRequest ? `PR #${opts.pullRequest.number}` : workflowName,
    run_number: opts.runNumber ?? 1,
    run_attempt: opts.runAttempt ?? 1,
    event: opts.event ?? "pull_request",
    status: "completed",
    conclusion: opts.conclusion ?? "success",
    pull_requests: pullRequests,
    repository: makeRepo(obj(run.repository, "workflow_run.repository"), base, urls, false),
    head_repository: makeRepo(obj(run.head_repository, "workflow_run.head_repository"), head, urls, head !== base),
    actor,
    triggering_actor: actor,
    head_commit: { ...obj(run.head_commit, "workflow_run.head_commit"), id: headSha, tree_id: fakeSha(`${headSha}:tree`) },
  });
  const workflow = obj(mapStrings(mapStrings(obj(tpl.workflow, "workflow"), (s) => replaceAll(s, oldFull, base.full)), rebase(urls)), "workflow");
  Object.assign(workflow, { name: workflowName, path: `.github/workflows/${workflowName}.yml` });
  const payload: JsonObject = {
    action: "completed",
    workflow_run: patchedRun,
    workflow,
    repository: makeRepo(obj(tpl.repository, "repository"), base, urls, false),
    sender: makeUser(obj(tpl.sender, "sender"), sender, urls),
  };
  const org = tpl.organization;
  if (base.owner.type === "Organization" && isJsonObject(org)) {
    const patchedOrg = obj(mapStrings(mapStrings(org, (s) => replaceAll(s, `/orgs/${String(org.login)}`, `/orgs/${base.owner.login}`)), rebase(urls)), "organization");
    Object.assign(patchedOrg, { login: base.owner.login, id: base.owner.id, node_id: nodeId("012:Organization", base.owner.id) });
    payload.organization = patchedOrg;
  }
  if (opts.validate !== false) assertWebhookPayload("workflow-run-completed", payload);
  return payload as WorkflowRunEventPayload;
}

// ---------------------------------------------------------------------------------------------
// files and environment

let fileCounter = 0;

/** Write a payload as JSON into `dir` (created if needed); returns the path for GITHUB_EVENT_PATH. */
export function writeEventFile(dir: string, payload: JsonObject, name?: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, name ?? `event-${process.pid}-${++fileCounter}.json`);
  writeFileSync(file, JSON.stringify(payload, null, 2));
  return file;
}

export interface ActionsEnvOptions {
  eventName: "pull_request" | "pull_request_target" | "schedule" | "workflow_run" | "workflow_dispatch" | "push" | (string & {});
  eventPath: string;
  payload?: JsonObject;
  /** "owner/name"; default: the payload's repository (required for schedule). */
  repository?: string;
  apiUrl: string;
  serverUrl?: string;
  /** GITHUB_SHA (default: head sha for PRs, else a placeholder). */
  sha?: string;
  ref?: string;
  runId?: number;
  runNumber?: number;
  actor?: string;
  workflow?: string;
  token?: string;
}

/** The GITHUB_* variables a runner sets for an event (what @actions/github's context reads). */
export function actionsEnv(o: ActionsEnvOptions): Record<string, string> {
  const repoObj = o.payload && isJsonObject(o.payload.repository) ? o.payload.repository : undefined;
  const repository = o.repository ?? (repoObj ? String(repoObj.full_name) : undefined);
  if (!repository) throw new Error(`actionsEnv: ${o.eventName} payloads carry no repository; pass repository`);
  const pr = o.payload && isJsonObject(o.payload.pull_request) ? o.payload.pull_request : undefined;
  const head = pr && isJsonObject(pr.head) ? pr.head : undefined;
  const base = pr && isJsonObject(pr.base) ? pr.base : undefined;
  const defaultBranch = repoObj && typeof repoObj.default_branch === "string" ? repoObj.default_branch : "main";
  const isPr = o.eventName === "pull_request" || o.eventName === "pull_request_target";
  const env: Record<string, string> = {
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_EVENT_NAME: o.eventName,
    GITHUB_EVENT_PATH: o.eventPath,
    GITHUB_REPOSITORY: repository,
    GITHUB_REPOSITORY_OWNER: repository.split("/")[0] ?? "",
    GITHUB_API_URL: o.apiUrl,
    GITHUB_SERVER_URL: o.serverUrl ?? "https://github.com",
    GITHUB_GRAPHQL_URL: `${o.apiUrl.replace(/\/+$/, "")}/graphql`,
    GITHUB_SHA: o.sha ?? (head && typeof head.sha === "string" ? head.sha : "0000000000000000000000000000000000000000"),
    GITHUB_REF: o.ref ?? (isPr && pr ? `refs/pull/${String(pr.number)}/merge` : `refs/heads/${defaultBranch}`),
    GITHUB_HEAD_REF: isPr && head ? String(head.ref) : "",
    GITHUB_BASE_REF: isPr && base ? String(base.ref) : "",
    GITHUB_RUN_ID: String(o.runId ?? 4242),
    GITHUB_RUN_NUMBER: String(o.runNumber ?? 1),
    GITHUB_RUN_ATTEMPT: "1",
    GITHUB_ACTOR: o.actor ?? "github-actions[bot]",
    GITHUB_WORKFLOW: o.workflow ?? "standin",
    GITHUB_JOB: "standin",
    GITHUB_ACTION: "standin",
  };
  if (o.token !== undefined) env.GITHUB_TOKEN = o.token;
  return env;
}
