/**
 * The local GitHub REST API (server.ts) driven by the real clients: @octokit/rest with
 * plugin-retry and plugin-throttling, and @actions/github's getOctokit (undici fetch, base URL
 * from GITHUB_API_URL). Every test ends with zero OpenAPI violations.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { retry } from "@octokit/plugin-retry";
import { throttling, type ThrottlingOptions } from "@octokit/plugin-throttling";
import { Octokit } from "@octokit/rest";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { actionsEnv, pullRequestEventFor, workflowRunEvent, writeEventFile } from "./events.js";
import { formatViolation } from "./openapi.js";
import { GITHUB_ACTIONS_BOT, actionsToken, forkPullRequestToken, isSha, personalToken, startGitHubServer, type GitHubServer } from "./server.js";

const OWNER = "acme";
const REPO = "zoo";
const FULL = `${OWNER}/${REPO}`;
const WRITE = "ghs_standinWriteToken0000000000000000000";
const READ = "ghs_standinForkPullRequestReadOnly000000";
const PAT = "ghp_standinHumanPersonalAccessToken00000";
const MARKER = "<!-- standin:sticky-comment v1 -->";

let gh: GitHubServer;
let tmp: string;
/** The server's clock runs this many ms ahead of real time (rate-limit windows, timestamps). */
let clockOffset = 0;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-gh-"));
  gh = await startGitHubServer({
    now: () => Date.now() + clockOffset,
    users: [{ login: "octo-dev", name: "Octo Dev", email: "dev@example.com" }, { login: "forker" }],
    repos: [
      { owner: OWNER, name: REPO, collaborators: ["octo-dev"], files: { "README.md": "# zoo\n", "model-zoo.yaml": "models: []\n" } },
      { owner: "forker", name: REPO, fork: FULL },
      { owner: OWNER, name: "secret", private: true },
    ],
    tokens: [actionsToken(WRITE, { repositories: [FULL] }), forkPullRequestToken(READ, [FULL]), personalToken(PAT, "octo-dev")],
  });
});

afterEach(() => {
  try {
    // the contract: nothing the clients sent and nothing the server answered strays from the spec
    expect(gh.violations.map(formatViolation)).toEqual([]);
  } finally {
    gh.reset();
    gh.clearFaults();
    clockOffset = 0;
  }
});

afterAll(async () => {
  await gh.close();
  rmSync(tmp, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------
// clients

type LimiterGroup = NonNullable<ThrottlingOptions["write"]>;
/**
 * Stand-in for the throttling plugin's Bottleneck write/notification groups that runs jobs
 * immediately: the real ones space writes 1 s apart (3 s for comment/issue creation), which is
 * right in production and only slows tests down. Rate-limit handling is unaffected. The last
 * test below uses the real groups.
 */
const immediate = { key: () => ({ schedule: <T>(_options: unknown, job: () => Promise<T>): Promise<T> => job() }) } as unknown as LimiterGroup;

interface LimitEvent {
  kind: "primary" | "secondary";
  retryAfter: number;
  retryCount: number;
  url: string;
}

const RestClient = Octokit.plugin(retry, throttling);
let clientSeq = 0;

function client(auth: string, opts: { retries?: number; doNotRetry?: number[]; realWriteLimiter?: boolean; retryRateLimits?: boolean } = {}) {
  const limits: LimitEvent[] = [];
  const logs: string[] = [];
  const log = (level: string) => (message: string) => {
    logs.push(`${level}: ${message}`);
  };
  const octokit = new RestClient({
    baseUrl: gh.url,
    auth,
    userAgent: "standin-tests",
    log: { debug: () => undefined, info: log("info"), warn: log("warn"), error: log("error") },
    throttle: {
      id: `standin-test-${++clientSeq}`,
      retryAfterBaseValue: 1, // retry-after seconds become milliseconds
      fallbackSecondaryRateRetryAfter: 1,
      ...(opts.realWriteLimiter ? {} : { write: immediate, notifications: immediate }),
      onRateLimit: (retryAfter, options, _octokit, retryCount) => {
        limits.push({ kind: "primary", retryAfter, retryCount, url: options.url });
        return opts.retryRateLimits !== false && retryCount < 2;
      },
      onSecondaryRateLimit: (retryAfter, options, _octokit, retryCount) => {
        limits.push({ kind: "secondary", retryAfter, retryCount, url: options.url });
        return retryCount < 2;
      },
    },
    retry: { retryAfterBaseValue: 1, ...(opts.retries !== undefined ? { retries: opts.retries } : {}), ...(opts.doNotRetry ? { doNotRetry: opts.doNotRetry } : {}) },
  });
  return { octokit, limits, logs };
}

interface HttpErrorLike {
  status: number;
  message: string;
  response?: { data?: unknown; headers: Record<string, string | number | undefined> };
}

async function failure(p: Promise<unknown>): Promise<HttpErrorLike> {
  try {
    await p;
  } catch (err) {
    return err as HttpErrorLike;
  }
  throw new Error("expected the request to fail");
}

const repo = { owner: OWNER, repo: REPO };

// ---------------------------------------------------------------------------------------------

describe("repository, identity, headers", () => {
  it("serves GET /repos/{owner}/{repo} with api.github.com's headers", async () => {
    const { octokit } = client(WRITE);
    const res = await octokit.rest.repos.get(repo);
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ full_name: FULL, default_branch: "main", private: false, fork: false, permissions: { push: true, pull: true } });
    expect(res.headers["x-ratelimit-limit"]).toBe("1000");
    expect(Number(res.headers["x-ratelimit-remaining"])).toBe(1000 - Number(res.headers["x-ratelimit-used"]));
    expect(res.headers["x-ratelimit-resource"]).toBe("core");
    expect(Number(res.headers["x-ratelimit-reset"])).toBeGreaterThan(Date.now() / 1000);
    expect(res.headers["x-github-request-id"]).toMatch(/^[0-9A-F]{4}:[0-9A-F]{4}:[0-9A-F]{6}:[0-9A-F]{7}:[0-9A-F]{8}$/);
    expect(res.headers["x-github-api-version-selected"]).toBe("2022-11-28");
    expect(gh.requests.at(-1)).toMatchObject({ method: "GET", path: `/repos/${FULL}`, status: 200, login: "github-actions[bot]", tokenKind: "installation", operationId: "repos/get" });

    const fork = await octokit.rest.repos.get({ owner: "forker", repo: REPO });
    expect(fork.data).toMatchObject({ fork: true, parent: { full_name: FULL }, source: { full_name: FULL } });
  });

  it("knows who is calling: GITHUB_TOKEN cannot call /user, a PAT can, a bad token is 401", async () => {
    const bot = await failure(client(WRITE).octokit.rest.users.getAuthenticated());
    expect(bot.status).toBe(403);
    expect(bot.response?.data).toMatchObject({ message: "Resource not accessible by integration" });

    const me = await client(PAT).octokit.rest.users.getAuthenticated();
    expect(me.data).toMatchObject({ login: "octo-dev", type: "User", name: "Octo Dev" });

    const bad = await failure(client("ghs_notARealToken").octokit.rest.repos.get(repo));
    expect(bad.status).toBe(401);
    expect(bad.response?.data).toEqual({ message: "Bad credentials", documentation_url: "https://docs.github.com/rest/repos/repos#get-a-repository", status: "401" });

    const hidden = await failure(client(WRITE).octokit.rest.repos.get({ owner: OWNER, repo: "secret" }));
    expect(hidden.status).toBe(404); // GITHUB_TOKEN of acme/zoo does not see acme/secret

    gh.state.addToken({ token: "eyJhbGciOiJSUzI1NiJ9.app.jwt", login: "standin-app[bot]", kind: "app" });
    const app = await client("eyJhbGciOiJSUzI1NiJ9.app.jwt").octokit.rest.apps.getAuthenticated();
    expect(app.data).toMatchObject({ slug: "standin-app", owner: { login: "github" } });
    expect((await failure(client(WRITE).octokit.rest.apps.getAuthenticated())).status).toBe(401);
  });

  it("GET /rate_limit reports the token's budget without spending it", async () => {
    const { octokit } = client(PAT);
    const before = await octokit.rest.rateLimit.get();
    const after = await octokit.rest.rateLimit.get();
    expect(after.data.resources.core).toMatchObject({ limit: 5000, used: before.data.resources.core.used });
    expect(after.data.rate).toEqual(after.data.resources.core);
  });
});

describe("issue comments", () => {
  it("paginates 70 comments over 3 pages, following api.github.com-style Link URLs", async () => {
    const pr = gh.state.createPullRequest(FULL, { title: "Paginate", head: { ref: "paginate" } });
    for (let i = 0; i < 70; i++) gh.state.addComment(FULL, pr.number, { body: `comment ${i}`, user: i % 3 === 0 ? "octo-dev" : GITHUB_ACTIONS_BOT.login });
    const { octokit } = client(WRITE);

    const first = await octokit.rest.issues.listComments({ ...repo, issue_number: pr.number, per_page: 30 });
    expect(first.data).toHaveLength(30);
    const repoId = gh.state.repo(FULL).id;
    expect(first.headers.link).toBe(
      `<${gh.url}/repositories/${repoId}/issues/${pr.number}/comments?per_page=30&page=2>; rel="next", ` +
        `<${gh.url}/repositories/${repoId}/issues/${pr.number}/comments?per_page=30&page=3>; rel="last"`,
    );
    gh.reset();

    const all = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: pr.number, per_page: 30 });
    expect(all.map((c) => c.body)).toEqual(Array.from({ length: 70 }, (_, i) => `comment ${i}`));
    expect(all[0]?.user).toMatchObject({ login: "octo-dev", type: "User" });
    expect(all[1]?.user).toMatchObject({ login: "github-actions[bot]", id: 41898282, type: "Bot" });
    expect(gh.requests.map((r) => [r.rawUrl.replace(/\?.*/, ""), r.query.page ?? "1", r.status])).toEqual([
      [`/repos/${FULL}/issues/${pr.number}/comments`, "1", 200],
      [`/repositories/${repoId}/issues/${pr.number}/comments`, "2", 200],
      [`/repositories/${repoId}/issues/${pr.number}/comments`, "3", 200],
    ]);
  });

  it("creates, finds by marker, updates and deletes a sticky comment", async () => {
    const pr = gh.state.createPullRequest(FULL, { title: "Sticky", head: { ref: "sticky" } });
    gh.state.addComment(FULL, pr.number, { body: `a human quoting the marker ${MARKER}`, user: "octo-dev" });
    const { octokit } = client(WRITE);
    const findSticky = async () => {
      const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...repo, issue_number: pr.number, per_page: 100 });
      return comments.filter((c) => c.user?.login === GITHUB_ACTIONS_BOT.login && c.body?.includes(MARKER));
    };

    expect(await findSticky()).toEqual([]);
    const created = await octokit.rest.issues.createComment({ ...repo, issue_number: pr.number, body: `## standin\nverdict: ok\n${MARKER}` });
    expect(created.status).toBe(201);
    expect(created.headers.location).toBe(`${gh.url}/repos/${FULL}/issues/comments/${created.data.id}`);
    expect(created.data).toMatchObject({ user: { login: "github-actions[bot]", type: "Bot" }, author_association: "NONE" });
    expect(created.data.html_url).toBe(`https://github.com/${FULL}/pull/${pr.number}#issuecomment-${created.data.id}`);

    const [found] = await findSticky();
    expect(found?.id).toBe(created.data.id);
    const updated = await octokit.rest.issues.updateComment({ ...repo, comment_id: created.data.id, body: `## standin\nverdict: regression\n${MARKER}` });
    expect(updated.data.body).toContain("regression");
    expect(gh.state.comments(FULL, pr.number).map((c) => [c.user.login, c.body.split("\n")[1]])).toEqual([
      ["octo-dev", undefined],
      ["github-actions[bot]", "verdict: regression"],
    ]);

    // a racing second run created a duplicate: keep the oldest, delete the rest
    const dup = gh.state.addComment(FULL, pr.number, { body: `## standin\nverdict: ok\n${MARKER}` });
    const mine = await findSticky();
    expect(mine.map((c) => c.id)).toEqual([created.data.id, dup.id]);
    const del = await octokit.rest.issues.deleteComment({ ...repo, comment_id: dup.id });
    expect(del.status).toBe(204);
    expect(gh.state.comment(dup.id)).toBeUndefined();
    const gone = await failure(octokit.rest.issues.updateComment({ ...repo, comment_id: dup.id, body: "x" }));
    expect(gone.status).toBe(404);
  });

  it("rejects a body over 65,536 characters with GitHub's 422 (and accepts exactly 65,536)", async () => {
    const pr = gh.state.createPullRequest(FULL, { title: "Long", head: { ref: "long" } });
    const { octokit } = client(WRITE);
    const tooLong = await failure(octokit.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "x".repeat(65537) }));
    expect(tooLong.status).toBe(422);
    expect(tooLong.response?.data).toEqual({
      message: "Validation Failed",
      errors: [{ resource: "IssueComment", code: "custom", field: "body", message: "body is too long (maximum is 65536 characters)" }],
      documentation_url: "https://docs.github.com/rest/issues/comments#create-an-issue-comment",
      status: "422",
    });
    // characters, not UTF-16 units: 65,536 emoji are 131,072 JS string units and still fit
    const emoji = "🦒".repeat(65536);
    expect(emoji.length).toBe(131072);
    const ok = await octokit.rest.issues.createComment({ ...repo, issue_number: pr.number, body: emoji });
    expect(ok.status).toBe(201);
    const edit = await failure(octokit.rest.issues.updateComment({ ...repo, comment_id: ok.data.id, body: `${emoji}!` }));
    expect(edit.status).toBe(422);
    const issueBody = await failure(octokit.rest.issues.create({ ...repo, title: "big", body: "y".repeat(70000) }));
    expect(issueBody.response?.data).toMatchObject({ errors: [{ resource: "Issue", code: "custom", field: "body" }] });
  });
});

describe("issues and labels (the rolling weekly issue)", () => {
  it("creates with labels, finds by label, updates, closes, reopens", async () => {
    const { octokit } = client(WRITE);
    const label = await octokit.rest.issues.createLabel({ ...repo, name: "zoo-regression", color: "B60205", description: "standin weekly regressions" });
    expect(label.status).toBe(201);
    expect(label.data).toMatchObject({ name: "zoo-regression", color: "b60205", default: false });
    const again = await failure(octokit.rest.issues.createLabel({ ...repo, name: "Zoo-Regression" }));
    expect(again.status).toBe(422);
    expect(again.response?.data).toMatchObject({ message: "Validation Failed", errors: [{ resource: "Label", code: "already_exists", field: "name" }] });
    expect((await failure(octokit.rest.issues.getLabel({ ...repo, name: "nope" }))).status).toBe(404);
    expect((await octokit.rest.issues.getLabel({ ...repo, name: "zoo-regression" })).data.id).toBe(label.data.id);

    gh.state.createIssue(FULL, { title: "unrelated", labels: ["bug"] });
    const body = `<!-- standin:weekly-regression v1 -->\n3 regressions`;
    const issue = await octokit.rest.issues.create({ ...repo, title: "Model zoo: weekly regressions", body, labels: ["zoo-regression"] });
    expect(issue.status).toBe(201);
    expect(issue.data).toMatchObject({ state: "open", state_reason: null, user: { login: "github-actions[bot]" }, labels: [{ name: "zoo-regression" }] });
    expect(issue.data.pull_request).toBeUndefined();

    const found = await octokit.paginate(octokit.rest.issues.listForRepo, { ...repo, labels: "zoo-regression", state: "all", per_page: 100 });
    expect(found.map((i) => i.number)).toEqual([issue.data.number]);

    const updated = await octokit.rest.issues.update({ ...repo, issue_number: issue.data.number, body: `${body}\n(updated)` });
    expect(updated.data.body).toContain("(updated)");
    const closed = await octokit.rest.issues.update({ ...repo, issue_number: issue.data.number, state: "closed", state_reason: "completed" });
    expect(closed.data).toMatchObject({ state: "closed", state_reason: "completed", closed_by: { login: "github-actions[bot]" } });
    expect(closed.data.closed_at).not.toBeNull();
    expect((await octokit.rest.issues.listForRepo({ ...repo, labels: "zoo-regression" })).data).toEqual([]); // default state=open
    const reopened = await octokit.rest.issues.update({ ...repo, issue_number: issue.data.number, state: "open" });
    expect(reopened.data).toMatchObject({ state: "open", state_reason: "reopened", closed_at: null, closed_by: null });
    const notPlanned = await octokit.rest.issues.update({ ...repo, issue_number: issue.data.number, state: "closed", state_reason: "not_planned" });
    expect(notPlanned.data.state_reason).toBe("not_planned");

    // adding labels that do not exist yet creates them
    const labels = await octokit.rest.issues.addLabels({ ...repo, issue_number: issue.data.number, labels: ["needs-triage"] });
    expect(labels.data.map((l) => l.name)).toEqual(["zoo-regression", "needs-triage"]);
    expect(gh.state.label(FULL, "needs-triage")?.color).toBe("ededed");
    expect(gh.state.issuesWithLabel(FULL, "needs-triage").map((i) => i.state)).toEqual(["closed"]);
  });

  it("lists issues and PRs together, sorted and paginated like GitHub", async () => {
    const label = "sorting";
    const made = [1, 2, 3, 4, 5].map((i) => gh.state.createIssue(FULL, { title: `sort ${i}`, labels: [label] }));
    const pr = gh.state.createPullRequest(FULL, { title: "sort pr", labels: [label], head: { ref: "sort-pr" } });
    const { octokit } = client(WRITE);
    const page1 = await octokit.rest.issues.listForRepo({ ...repo, labels: label, per_page: 4 });
    expect(page1.data.map((i) => i.number)).toEqual([pr.number, ...made.slice(2).reverse().map((i) => i.number)]);
    expect(page1.data[0]?.pull_request).toMatchObject({ url: `${gh.url}/repos/${FULL}/pulls/${pr.number}` });
    expect(page1.headers.link).toContain('rel="next"');
    const asc = await octokit.paginate(octokit.rest.issues.listForRepo, { ...repo, labels: label, direction: "asc", per_page: 2 });
    expect(asc.map((i) => i.number)).toEqual([...made.map((i) => i.number), pr.number]);
  });
});

describe("the less travelled endpoints", () => {
  it("comment by id, label lists, set/remove labels, matching refs, file deletion", async () => {
    const { octokit } = client(WRITE, { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] });
    const issue = gh.state.createIssue(FULL, { title: "labels", labels: ["a", "b"] });
    const c = gh.state.addComment(FULL, issue.number, { body: "by id" });
    expect((await octokit.rest.issues.getComment({ ...repo, comment_id: c.id })).data.body).toBe("by id");
    const all = await octokit.paginate(octokit.rest.issues.listLabelsForRepo, { ...repo, per_page: 1 });
    expect(all.map((l) => l.name)).toEqual(expect.arrayContaining(["a", "b"]));
    const set = await octokit.rest.issues.setLabels({ ...repo, issue_number: issue.number, labels: ["c"] });
    expect(set.data.map((l) => l.name)).toEqual(["c"]);
    const on = await octokit.rest.issues.listLabelsOnIssue({ ...repo, issue_number: issue.number });
    expect(on.data.map((l) => l.name)).toEqual(["c"]);
    expect((await octokit.rest.issues.removeLabel({ ...repo, issue_number: issue.number, name: "c" })).data).toEqual([]);
    expect((await failure(octokit.rest.issues.removeLabel({ ...repo, issue_number: issue.number, name: "c" }))).response?.data).toMatchObject({ message: "Label does not exist" });

    gh.state.commitFiles(FULL, "standin/a", { "x.txt": "x" });
    gh.state.commitFiles(FULL, "standin/b", { "y.txt": "y" });
    const refs = await octokit.rest.git.listMatchingRefs({ ...repo, ref: "heads/standin/" });
    expect(refs.data.map((r) => r.ref)).toEqual(["refs/heads/standin/a", "refs/heads/standin/b"]);

    const file = await octokit.rest.repos.createOrUpdateFileContents({ ...repo, path: "tmp/delete-me.txt", message: "add", content: Buffer.from("bye").toString("base64") });
    const wrong = await failure(octokit.rest.repos.deleteFile({ ...repo, path: "tmp/delete-me.txt", message: "rm", sha: "0".repeat(40) }));
    expect(wrong.status).toBe(409);
    const del = await octokit.rest.repos.deleteFile({ ...repo, path: "tmp/delete-me.txt", message: "rm", sha: file.data.content?.sha ?? "" });
    expect(del.data.content).toBeNull();
    expect(gh.state.readFile(FULL, "main", "tmp/delete-me.txt")).toBeNull();
  });
});

describe("pull requests", () => {
  it("serves a fork PR, its files, and the head-sha lookup a workflow_run comment job needs", async () => {
    const pr = gh.state.createPullRequest(FULL, {
      title: "Add tiny-llama",
      user: "forker",
      head: { ref: "tiny-llama", repo: `forker/${REPO}` },
      files: [
        { filename: "model-zoo.yaml", status: "modified", content: "models:\n  - tiny-llama\n" },
        { filename: "docs/tiny.md", status: "added", content: "# tiny\n" },
      ],
    });
    const { octokit } = client(WRITE);
    const res = await octokit.rest.pulls.get({ ...repo, pull_number: pr.number });
    expect(res.data).toMatchObject({
      number: pr.number,
      state: "open",
      user: { login: "forker" },
      head: { label: "forker:tiny-llama", ref: "tiny-llama", repo: { full_name: `forker/${REPO}`, fork: true } },
      base: { ref: "main", repo: { full_name: FULL, fork: false } },
      changed_files: 2,
      maintainer_can_modify: true,
    });
    expect(isSha(res.data.head.sha) && isSha(res.data.base.sha)).toBe(true);
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, { ...repo, pull_number: pr.number, per_page: 1 });
    expect(files.map((f) => [f.filename, f.status, f.additions])).toEqual([
      ["model-zoo.yaml", "modified", 2],
      ["docs/tiny.md", "added", 1],
    ]);
    // the head commit is readable through the base repo, as refs/pull/N/head makes it on GitHub
    const content = await octokit.rest.repos.getContent({ ...repo, path: "model-zoo.yaml", ref: res.data.head.sha });
    expect("content" in content.data && Buffer.from(content.data.content, "base64").toString()).toBe("models:\n  - tiny-llama\n");

    // workflow_run from a fork: pull_requests is empty, so look the PR up by head sha
    const run = workflowRunEvent({ repo: gh.state.repo(FULL), fork: gh.state.repo(`forker/${REPO}`), headSha: res.data.head.sha, headBranch: "tiny-llama", apiUrl: gh.url });
    expect(run.workflow_run.pull_requests).toEqual([]);
    const byCommit = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ ...repo, commit_sha: String(run.workflow_run.head_sha) });
    expect(byCommit.data.map((p) => p.number)).toEqual([pr.number]);
    const byHead = await octokit.rest.pulls.list({ ...repo, head: "forker:tiny-llama" });
    expect(byHead.data.map((p) => p.number)).toEqual([pr.number]);
    const commit = await octokit.rest.repos.getCommit({ ...repo, ref: res.data.head.sha });
    expect(commit.data.files?.map((f) => f.filename).sort()).toEqual(["docs/tiny.md", "model-zoo.yaml"]);
  });
});

describe("contents API", () => {
  it("creates and updates a file; a stale sha is 409, a missing sha 422", async () => {
    const { octokit } = client(WRITE, { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] });
    const p = { ...repo, path: "baselines/weekly.json" };
    const missing = await failure(octokit.rest.repos.getContent(p));
    expect(missing.status).toBe(404);
    const noBranch = await failure(octokit.rest.repos.getContent({ ...p, ref: "standin-data" }));
    expect(noBranch.response?.data).toMatchObject({ message: "No commit found for the ref standin-data" });

    const v1 = JSON.stringify({ week: 1, verdicts: {} });
    const created = await octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "baseline week 1", content: Buffer.from(v1).toString("base64") });
    expect(created.status).toBe(201);
    const got = await octokit.rest.repos.getContent(p);
    if (Array.isArray(got.data) || got.data.type !== "file") throw new Error("expected a file");
    expect(got.data.encoding).toBe("base64");
    expect(got.data.content).toMatch(/\n$/); // GitHub wraps base64 at 60 columns
    expect(Buffer.from(got.data.content, "base64").toString()).toBe(v1);
    expect(got.data.sha).toBe(created.data.content?.sha);

    const v2 = JSON.stringify({ week: 2, verdicts: {} });
    const noSha = await failure(octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "week 2", content: Buffer.from(v2).toString("base64") }));
    expect(noSha.status).toBe(422);
    expect(noSha.response?.data).toMatchObject({ message: 'Invalid request.\n\n"sha" wasn\'t supplied.' });
    const updated = await octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "week 2", content: Buffer.from(v2).toString("base64"), sha: got.data.sha });
    expect(updated.status).toBe(200);
    expect(updated.data.commit.parents?.[0]?.sha).toBe(created.data.commit.sha);
    const stale = await failure(octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "week 3", content: Buffer.from("{}").toString("base64"), sha: got.data.sha }));
    expect(stale.status).toBe(409);
    expect(stale.response?.data).toMatchObject({ message: `baselines/weekly.json does not match ${got.data.sha}` });
    expect(gh.state.readFile(FULL, "main", "baselines/weekly.json")).toBe(v2);

    const raw = await octokit.request("GET /repos/{owner}/{repo}/contents/{path}", { ...p, mediaType: { format: "raw" } });
    expect(String(raw.data)).toBe(v2);
  });

  it("the retry plugin re-sends a 409 unchanged (it is not in doNotRetry): handle conflicts yourself", async () => {
    const { octokit } = client(WRITE, { retries: 2 });
    const p = { ...repo, path: "retry-409.json" };
    await octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "v1", content: Buffer.from("1").toString("base64") });
    gh.reset();
    const err = await failure(octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "v2", content: Buffer.from("2").toString("base64"), sha: "0".repeat(40) }));
    expect(err.status).toBe(409);
    expect(gh.requests.map((r) => [r.method, r.status])).toEqual([
      ["PUT", 409],
      ["PUT", 409],
      ["PUT", 409],
    ]);
  });

  it("a concurrent writer makes the sha stale between read and write", async () => {
    const { octokit } = client(WRITE, { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 451] });
    const p = { ...repo, path: "baselines/race.json" };
    await octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "v1", content: Buffer.from("1").toString("base64") });
    const read = await octokit.rest.repos.getContent(p);
    const sha = !Array.isArray(read.data) && read.data.type === "file" ? read.data.sha : "";
    gh.fault({ kind: "concurrent-writer", match: { operationId: "repos/create-or-update-file-contents" } });
    const err = await failure(octokit.rest.repos.createOrUpdateFileContents({ ...p, message: "v2", content: Buffer.from("2").toString("base64"), sha }));
    expect(err.status).toBe(409);
    expect(gh.requests.at(-1)?.fault).toBe("concurrent-writer");
  });
});

describe("Git Data API (the baseline branch)", () => {
  const BRANCH = "standin-baseline";

  async function commitBaseline(octokit: ReturnType<typeof client>["octokit"], parent: string | null, content: string, file = "baseline.json"): Promise<string> {
    const blob = await octokit.rest.git.createBlob({ ...repo, content: Buffer.from(content).toString("base64"), encoding: "base64" });
    const baseTree = parent ? (await octokit.rest.git.getCommit({ ...repo, commit_sha: parent })).data.tree.sha : undefined;
    const tree = await octokit.rest.git.createTree({ ...repo, ...(baseTree ? { base_tree: baseTree } : {}), tree: [{ path: `history/${file}`, mode: "100644", type: "blob", sha: blob.data.sha }] });
    const commit = await octokit.rest.git.createCommit({ ...repo, message: `baseline ${content}`, tree: tree.data.sha, parents: parent ? [parent] : [] });
    return commit.data.sha;
  }

  it("blob, tree, commit, ref; fast-forward accepted, non-fast-forward rejected", async () => {
    const { octokit } = client(WRITE);
    const missing = await failure(octokit.rest.git.getRef({ ...repo, ref: `heads/${BRANCH}` }));
    expect(missing.status).toBe(404);

    const first = await commitBaseline(octokit, null, '{"week":1}');
    expect(isSha(first)).toBe(true);
    const ref = await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${BRANCH}`, sha: first });
    expect(ref.status).toBe(201);
    expect(ref.data).toMatchObject({ ref: `refs/heads/${BRANCH}`, object: { sha: first, type: "commit" } });
    const dupe = await failure(octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${BRANCH}`, sha: first }));
    expect(dupe.status).toBe(422);
    expect(dupe.response?.data).toMatchObject({ message: "Reference already exists" });

    const got = await octokit.rest.git.getRef({ ...repo, ref: `heads/${BRANCH}` });
    expect(got.data.object.sha).toBe(first);
    const second = await commitBaseline(octokit, first, '{"week":2}', "week-2.json");
    const ff = await octokit.rest.git.updateRef({ ...repo, ref: `heads/${BRANCH}`, sha: second, force: false });
    expect(ff.data.object.sha).toBe(second);

    // a sibling of `second` (parent `first`) does not descend from the current head
    const sibling = await commitBaseline(octokit, first, '{"week":"2b"}', "week-2b.json");
    const nonFf = await failure(octokit.rest.git.updateRef({ ...repo, ref: `heads/${BRANCH}`, sha: sibling, force: false }));
    expect(nonFf.status).toBe(422);
    expect(nonFf.response?.data).toMatchObject({ message: "Update is not a fast forward" });
    expect(gh.state.branchHead(FULL, BRANCH)).toBe(second);

    const tree = await octokit.rest.git.getTree({ ...repo, tree_sha: BRANCH, recursive: "1" });
    expect(tree.data.tree.filter((e) => e.type === "blob").map((e) => e.path)).toEqual(["history/baseline.json", "history/week-2.json"]);
    const top = await octokit.rest.git.getTree({ ...repo, tree_sha: tree.data.sha });
    expect(top.data.tree.map((e) => [e.path, e.type])).toEqual([["history", "tree"]]);
    const blob = await octokit.rest.git.getBlob({ ...repo, file_sha: tree.data.tree.find((e) => e.path === "history/week-2.json")?.sha ?? "" });
    expect(Buffer.from(blob.data.content, "base64").toString()).toBe('{"week":2}');
    expect(gh.state.readFile(FULL, BRANCH, "history/baseline.json")).toBe('{"week":1}');

    const forced = await octokit.rest.git.updateRef({ ...repo, ref: `heads/${BRANCH}`, sha: sibling, force: true });
    expect(forced.data.object.sha).toBe(sibling);
    await octokit.rest.git.deleteRef({ ...repo, ref: `heads/${BRANCH}` });
  });

  it("a concurrent writer moves the ref once: re-read, rebase the tree, retry", async () => {
    const { octokit } = client(WRITE);
    const branch = `${BRANCH}-race`;
    const root = await commitBaseline(octokit, null, '{"week":0}');
    await octokit.rest.git.createRef({ ...repo, ref: `refs/heads/${branch}`, sha: root });
    const writer = gh.fault({ kind: "concurrent-writer", match: { operationId: "git/update-ref" }, files: { "history/other.json": '{"by":"other"}' } });

    let attempts = 0;
    for (;;) {
      attempts++;
      const head = (await octokit.rest.git.getRef({ ...repo, ref: `heads/${branch}` })).data.object.sha;
      const next = await commitBaseline(octokit, head, `{"week":1,"attempt":${attempts}}`, "week-1.json");
      try {
        await octokit.rest.git.updateRef({ ...repo, ref: `heads/${branch}`, sha: next, force: false });
        break;
      } catch (err) {
        const e = err as HttpErrorLike;
        if (e.status !== 422 || attempts > 3) throw err;
      }
    }
    expect(attempts).toBe(2);
    expect(writer.hits).toBe(1);
    expect(gh.state.readFile(FULL, branch, "history/other.json")).toBe('{"by":"other"}');
    expect(gh.state.readFile(FULL, branch, "history/week-1.json")).toBe('{"week":1,"attempt":2}');
    expect(gh.requests.filter((r) => r.operationId === "git/update-ref").map((r) => [r.status, r.fault])).toEqual([
      [422, "concurrent-writer"],
      [200, undefined],
    ]);
  });

  it("empty repositories answer git reads with 409", async () => {
    gh.state.addRepo({ owner: OWNER, name: "empty-data", empty: true });
    const { octokit } = client(PAT);
    const err = await failure(octokit.rest.git.getRef({ owner: OWNER, repo: "empty-data", ref: "heads/main" }));
    expect(err.status).toBe(409);
    expect(err.response?.data).toMatchObject({ message: "Git Repository is empty." });
  });
});

describe("permissions", () => {
  it("a fork PR's read-only GITHUB_TOKEN reads fine and gets 403 on every write", async () => {
    const pr = gh.state.createPullRequest(FULL, { title: "From a fork", user: "forker", head: { ref: "fork-ro", repo: `forker/${REPO}` } });
    const existing = gh.state.addComment(FULL, pr.number, { body: "old" });
    const { octokit } = client(READ);
    expect((await octokit.rest.pulls.get({ ...repo, pull_number: pr.number })).status).toBe(200);
    expect((await octokit.rest.issues.listComments({ ...repo, issue_number: pr.number })).status).toBe(200);
    const writes: [string, Promise<unknown>][] = [
      ["create comment", octokit.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "hi" })],
      ["update comment", octokit.rest.issues.updateComment({ ...repo, comment_id: existing.id, body: "hi" })],
      ["create issue", octokit.rest.issues.create({ ...repo, title: "x" })],
      ["create label", octokit.rest.issues.createLabel({ ...repo, name: "x" })],
      ["put contents", octokit.rest.repos.createOrUpdateFileContents({ ...repo, path: "x", message: "x", content: "eA==" })],
      ["create blob", octokit.rest.git.createBlob({ ...repo, content: "x" })],
    ];
    for (const [what, p] of writes) {
      const err = await failure(p);
      expect([what, err.status, err.response?.data]).toEqual([what, 403, expect.objectContaining({ message: "Resource not accessible by integration", status: "403" })]);
      expect(err.response?.headers["x-accepted-github-permissions"]).toBeTruthy();
    }
    expect(gh.state.comments(FULL, pr.number).map((c) => c.body)).toEqual(["old"]);
  });
});

describe("faults: rate limits and server errors", () => {
  it("a secondary rate limit (403 + retry-after) is retried by the throttling plugin", async () => {
    const pr = gh.state.createPullRequest(FULL, { title: "Secondary", head: { ref: "secondary" } });
    const { octokit, limits } = client(WRITE);
    gh.fault({ kind: "secondary-rate-limit", match: { operationId: "issues/create-comment" }, retryAfter: 7 });
    const res = await octokit.rest.issues.createComment({ ...repo, issue_number: pr.number, body: "after a secondary limit" });
    expect(res.status).toBe(201);
    expect(limits).toEqual([{ kind: "secondary", retryAfter: 7, retryCount: 0, url: "/repos/{owner}/{repo}/issues/{issue_number}/comments" }]);
    expect(gh.requests.map((r) => [r.status, r.fault])).toEqual([
      [403, "secondary-rate-limit"],
      [201, undefined],
    ]);
    expect(gh.state.comments(FULL, pr.number)).toHaveLength(1);
  });

  it("a primary rate limit (403, x-ratelimit-remaining: 0) goes to onRateLimit with the wait until x-ratelimit-reset", async () => {
    const { octokit, limits } = client(WRITE);
    gh.fault({ kind: "primary-rate-limit", resetIn: 5, match: { operationId: "repos/get" } });
    const res = await octokit.rest.repos.get(repo);
    expect(res.status).toBe(200);
    expect(limits.map((l) => [l.kind, l.retryCount])).toEqual([["primary", 0]]);
    // ceil(x-ratelimit-reset - now) + 1 seconds (x-ratelimit-reset has 1 s resolution)
    expect(limits[0]?.retryAfter).toBeGreaterThanOrEqual(5);
    expect(limits[0]?.retryAfter).toBeLessThanOrEqual(6);
    expect(gh.requests.map((r) => r.status)).toEqual([403, 200]);
  });

  it("a primary limit answered with 429 never reaches onRateLimit: plugin-retry retries it first", async () => {
    // plugin order retry -> throttling: the retry plugin's error hook sees 429 (not in its
    // doNotRetry list) and retries with its own (n+1)^2 backoff, ignoring x-ratelimit-reset
    const { octokit, limits } = client(WRITE);
    gh.fault({ kind: "primary-rate-limit", status: 429, resetIn: 60, match: { operationId: "repos/get" } });
    const res = await octokit.rest.repos.get(repo);
    expect(res.status).toBe(200);
    expect(limits).toEqual([]);
    expect(gh.requests.map((r) => r.status)).toEqual([429, 200]);
    // with 429 in doNotRetry the throttling plugin gets it
    const strict = client(WRITE, { doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451] });
    gh.fault({ kind: "primary-rate-limit", status: 429, resetIn: 0, match: { operationId: "repos/get" } });
    await strict.octokit.rest.repos.get(repo);
    expect(strict.limits.map((l) => l.kind)).toEqual(["primary"]);
  });

  it("an exhausted token budget is a real primary limit until the window resets", async () => {
    gh.state.addToken({ ...actionsToken("ghs_tinyBudget"), rateLimit: 2 });
    const { octokit, limits } = client("ghs_tinyBudget", { retryRateLimits: false });
    await octokit.rest.repos.get(repo);
    const last = await octokit.rest.repos.get(repo);
    expect(last.headers["x-ratelimit-remaining"]).toBe("0");
    const reset = Number(last.headers["x-ratelimit-reset"]);
    const err = await failure(octokit.rest.repos.get(repo));
    expect(err.status).toBe(403);
    expect(err.response?.data).toMatchObject({ message: expect.stringMatching(/^API rate limit exceeded for installation ID \d+\.$/) });
    expect(err.response?.headers["x-ratelimit-remaining"]).toBe("0");
    expect(limits).toHaveLength(1);
    expect(limits[0]?.retryAfter).toBeGreaterThan(3500); // the rest of the hour
    clockOffset = (reset + 1) * 1000 - Date.now(); // an hour later
    const fresh = await octokit.rest.repos.get(repo);
    expect(fresh.headers["x-ratelimit-used"]).toBe("1");
  });

  it("a 5xx burst (JSON 502, HTML 503) is retried by the retry plugin", async () => {
    const { octokit } = client(WRITE);
    gh.fault({ kind: "server-error", status: 502, match: { operationId: "issues/list-for-repo" } });
    gh.fault({ kind: "server-error", status: 503, html: true, match: { operationId: "issues/list-for-repo" } });
    const res = await octokit.rest.issues.listForRepo(repo);
    expect(res.status).toBe(200);
    expect(gh.requests.map((r) => [r.status, r.fault])).toEqual([
      [502, "server-error"],
      [503, "server-error"],
      [200, undefined],
    ]);
  });

  it("gives up after the retry budget and surfaces the last 5xx", async () => {
    const { octokit } = client(WRITE, { retries: 1 });
    gh.fault({ kind: "server-error", status: 500, times: Infinity, match: { operationId: "issues/get" } });
    gh.state.createIssue(FULL, { title: "down" });
    const err = await failure(octokit.rest.issues.get({ ...repo, issue_number: 1 }));
    expect(err.status).toBe(500);
    expect(gh.requests).toHaveLength(2);
  });
});

describe("@actions/github getOctokit", () => {
  it("uses GITHUB_API_URL, reads the event from GITHUB_EVENT_PATH, and talks undici fetch to the server", async () => {
    const saved = { ...process.env };
    try {
      const pr = gh.state.createPullRequest(FULL, { title: "Via getOctokit", head: { ref: "get-octokit" } });
      gh.state.addComment(FULL, pr.number, { body: "earlier", user: "octo-dev" });
      const payload = pullRequestEventFor(pr, { apiUrl: gh.url });
      const eventPath = writeEventFile(tmp, payload);
      Object.assign(process.env, actionsEnv({ eventName: "pull_request", eventPath, payload, apiUrl: gh.url }));
      // @actions/github reads GITHUB_API_URL and the event file when it is first imported
      const github = await import("@actions/github");
      expect(github.context.eventName).toBe("pull_request");
      expect(github.context.issue).toEqual({ owner: OWNER, repo: REPO, number: pr.number });
      expect(github.context.payload.pull_request?.head.sha).toBe(pr.pull?.head.sha);

      const octokit = github.getOctokit(
        WRITE,
        {
          throttle: { write: immediate, notifications: immediate, onRateLimit: () => false, onSecondaryRateLimit: () => false },
          retry: { retryAfterBaseValue: 1 },
        },
        throttling,
        retry,
      );
      gh.fault({ kind: "server-error", status: 502, match: { operationId: "issues/list-comments" } });
      const comments = await octokit.paginate(octokit.rest.issues.listComments, { ...github.context.repo, issue_number: github.context.issue.number, per_page: 100 });
      expect(comments.map((c) => c.body)).toEqual(["earlier"]);
      const created = await octokit.rest.issues.createComment({ ...github.context.repo, issue_number: github.context.issue.number, body: `hello ${MARKER}` });
      expect(created.data.user?.login).toBe("github-actions[bot]");
      expect(gh.requests.map((r) => [r.method, r.status])).toEqual([
        ["GET", 502],
        ["GET", 200],
        ["POST", 201],
      ]);
      expect(gh.requests.at(-1)?.userAgent).toMatch(/octokit-core\.js/);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});

describe("API versions", () => {
  it("X-GitHub-Api-Version selects 2026-03-10 shapes, validated against the patched schemas", async () => {
    const { octokit } = client(WRITE);
    const issue = gh.state.createIssue(FULL, { title: "versioned" });
    const v2022 = await octokit.rest.issues.get({ ...repo, issue_number: issue.number });
    expect(v2022.data).toHaveProperty("assignee", null);
    const v2026 = await octokit.rest.issues.get({ ...repo, issue_number: issue.number, headers: { "x-github-api-version": "2026-03-10" } });
    expect(v2026.headers["x-github-api-version-selected"]).toBe("2026-03-10");
    expect(v2026.data).not.toHaveProperty("assignee");
    const bad = await failure(octokit.rest.repos.get({ ...repo, headers: { "x-github-api-version": "2021-01-01" } }));
    expect(bad.status).toBe(400);
    expect(bad.response?.data).toMatchObject({ message: "API version 2021-01-01 is not supported." });
  });
});

describe("the validator catches a server that strays from the spec", () => {
  it("records a deliberately malformed response from an overridden route", async () => {
    const issue = gh.state.createIssue(FULL, { title: "malformed" });
    const remove = gh.override("issues/get", () => ({ status: 200, body: { id: "not-a-number", number: issue.number, title: 42 } }));
    try {
      const { octokit } = client(WRITE);
      await octokit.rest.issues.get({ ...repo, issue_number: issue.number });
    } finally {
      remove();
    }
    expect(gh.violations).toHaveLength(1);
    const [v] = gh.violations;
    expect(v).toMatchObject({ operationId: "issues/get", where: "response", status: 200 });
    expect(v?.errors).toEqual(
      expect.arrayContaining(["body: body/id must be integer", "body: body/title must be string", "body: body must have required property 'user'"]),
    );
    gh.reset();
  });

  it("records an undeclared status and requests GitHub would silently accept", async () => {
    const issue = gh.state.createIssue(FULL, { title: "status" });
    const remove = gh.override("issues/get", () => ({ status: 418, body: { message: "teapot" } }));
    const { octokit } = client(WRITE, { retries: 0 });
    try {
      await failure(octokit.rest.issues.get({ ...repo, issue_number: issue.number }));
    } finally {
      remove();
    }
    // a typo in a field name: GitHub ignores it, the validator does not
    await octokit.request("PATCH /repos/{owner}/{repo}/issues/{issue_number}", { ...repo, issue_number: issue.number, state_reson: "not_planned" });
    // a path that is not in the description at all
    expect((await failure(octokit.request("GET /repos/{owner}/{repo}/git/refs/heads/main", repo))).status).toBe(404);
    expect(gh.violations.map((v) => [v.where, v.operationId, v.errors[0]])).toEqual([
      ["response", "issues/get", "status: status 418 is not declared for issues/get (declared: 200, 301, 304, 404, 410)"],
      ["request", "issues/update", "body: body.state_reson is not a field of the request body [ignored by GitHub]"],
      ["request", null, "operation: no operation of the description matches GET /repos/acme/zoo/git/refs/heads/main"],
    ]);
    gh.reset();
  });

  it("strict mode turns a violation into a non-retryable 400 the client cannot miss", async () => {
    const strict = await startGitHubServer({ strict: true, repos: [{ owner: OWNER, name: REPO }], tokens: [actionsToken(WRITE)] });
    try {
      strict.state.createIssue(FULL, { title: "strict" });
      strict.override("issues/get", () => ({ status: 200, body: { id: 1 } }));
      const octokit = new RestClient({ baseUrl: strict.url, auth: WRITE, throttle: { enabled: false }, log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined } });
      const err = await failure(octokit.rest.issues.get({ ...repo, issue_number: 1 }));
      expect(err.status).toBe(400);
      expect(err.message).toContain("OpenAPI violation");
      expect(strict.requests).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });
});

describe("real throttling groups", () => {
  it("the plugin's default write group spaces writes about a second apart", async () => {
    const pr = gh.state.createPullRequest(FULL, { title: "Spacing", head: { ref: "spacing" } });
    const c = gh.state.addComment(FULL, pr.number, { body: "v0" });
    const { octokit } = client(WRITE, { realWriteLimiter: true });
    await octokit.rest.issues.updateComment({ ...repo, comment_id: c.id, body: "v1" });
    await octokit.rest.issues.updateComment({ ...repo, comment_id: c.id, body: "v2" });
    const [a, b] = gh.requests.filter((r) => r.operationId === "issues/update-comment").map((r) => r.at);
    expect((b ?? 0) - (a ?? 0)).toBeGreaterThanOrEqual(900);
  });
});
