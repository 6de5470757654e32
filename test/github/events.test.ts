/**
 * Event payload helpers (events.ts): real webhook examples, patched consistently, valid against
 * the x-webhooks schemas of GitHub's OpenAPI description, and readable by @actions/github.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { actionsEnv, assertWebhookPayload, pullRequestEvent, pullRequestEventFor, scheduleEvent, webhookExample, workflowRunEvent, writeEventFile } from "./events.js";
import { isJsonObject, type Json } from "./openapi.js";
import { GitHubState } from "./server.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "standin-events-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const TEMPLATE_NAMES = /Codertocat|Hello-World|octo-org|octo-repo|octocat/;

function strings(node: Json): string[] {
  if (typeof node === "string") return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (isJsonObject(node)) return Object.values(node).flatMap(strings);
  return [];
}

function get(node: Json | undefined, ...keys: string[]): Json | undefined {
  let cur = node;
  for (const k of keys) cur = isJsonObject(cur) ? cur[k] : undefined;
  return cur;
}

describe("pull_request", () => {
  it("patches a real `opened` example to the repo, number and shas, leaving nothing of the template", () => {
    const e = pullRequestEvent({ repo: "acme/zoo", number: 42, base: { ref: "main", sha: "a".repeat(40) }, head: { ref: "bump", sha: "b".repeat(40) }, title: "Bump" });
    expect(e.action).toBe("opened");
    expect(e.number).toBe(42);
    expect(e.pull_request).toMatchObject({
      number: 42,
      title: "Bump",
      state: "open",
      url: "https://api.github.com/repos/acme/zoo/pulls/42",
      html_url: "https://github.com/acme/zoo/pull/42",
      statuses_url: `https://api.github.com/repos/acme/zoo/statuses/${"b".repeat(40)}`,
      head: { ref: "bump", sha: "b".repeat(40), label: "acme:bump", repo: { full_name: "acme/zoo", fork: false } },
      base: { ref: "main", sha: "a".repeat(40), repo: { full_name: "acme/zoo" } },
    });
    expect(e.repository).toMatchObject({ full_name: "acme/zoo", name: "zoo", owner: { login: "acme" } });
    expect(strings(e).filter((s) => TEMPLATE_NAMES.test(s))).toEqual([]);
  });

  it("a fork PR has the fork as head repo and the contributor as author and sender", () => {
    const e = pullRequestEvent({ repo: "acme/zoo", number: 7, fork: { owner: "forker" }, head: { ref: "patch-1" }, action: "synchronize", before: "c".repeat(40) });
    expect(get(e.pull_request, "head", "repo", "full_name")).toBe("forker/zoo");
    expect(get(e.pull_request, "head", "repo", "fork")).toBe(true);
    expect(get(e.pull_request, "head", "label")).toBe("forker:patch-1");
    expect(get(e.pull_request, "base", "repo", "full_name")).toBe("acme/zoo");
    expect(get(e.pull_request, "user", "login")).toBe("forker");
    expect(get(e.sender, "login")).toBe("forker");
    expect(e.before).toBe("c".repeat(40));
    expect(e.after).toBe(get(e.pull_request, "head", "sha"));
    expect(get(e.pull_request, "head", "repo", "id")).not.toBe(get(e.pull_request, "base", "repo", "id"));
  });

  it("follows the local server's records, URLs included", () => {
    const state = new GitHubState();
    state.addRepo({ owner: "acme", name: "zoo", private: true });
    state.addRepo({ owner: "forker", name: "zoo", fork: "acme/zoo" });
    const pr = state.createPullRequest("acme/zoo", { title: "From fork", user: "forker", head: { ref: "f", repo: "forker/zoo" } });
    const e = pullRequestEventFor(pr, { apiUrl: "http://127.0.0.1:9" });
    expect(e.pull_request).toMatchObject({
      number: pr.number,
      url: `http://127.0.0.1:9/repos/acme/zoo/pulls/${pr.number}`,
      head: { sha: pr.pull?.head.sha, repo: { id: state.repo("forker/zoo").id, private: true } },
      base: { sha: pr.pull?.base.sha, repo: { id: state.repo("acme/zoo").id, visibility: "private" } },
    });
    expect(strings(e).filter((s) => s.includes("api.github.com"))).toEqual([]);
  });

  it("refuses payloads the webhook schema rejects", () => {
    const e = pullRequestEvent({ repo: "acme/zoo", number: 1 });
    delete e.pull_request.head;
    expect(() => assertWebhookPayload("pull-request-opened", e)).toThrow(/must have required property 'head'/);
    // some bundled examples are older than the schema
    expect(() => assertWebhookPayload("pull-request-opened", webhookExample("pull_request", (x) => x.action === "opened"))).toThrow(/auto_merge/);
  });
});

describe("workflow_run and schedule", () => {
  it("workflow_run completed for a same-repo PR lists the PR", () => {
    const e = workflowRunEvent({
      repo: "acme/zoo",
      workflow: "scan",
      conclusion: "failure",
      runId: 123456,
      pullRequest: { number: 5, head: { ref: "bump", sha: "d".repeat(40) }, base: { ref: "main", sha: "e".repeat(40) } },
    });
    expect(e.workflow_run).toMatchObject({
      id: 123456,
      name: "scan",
      event: "pull_request",
      status: "completed",
      conclusion: "failure",
      head_sha: "d".repeat(40),
      head_branch: "bump",
      pull_requests: [{ number: 5, head: { ref: "bump", sha: "d".repeat(40) }, base: { ref: "main" } }],
      head_repository: { full_name: "acme/zoo" },
      artifacts_url: "https://api.github.com/repos/acme/zoo/actions/runs/123456/artifacts",
    });
    expect(strings(e).filter((s) => TEMPLATE_NAMES.test(s))).toEqual([]);
  });

  it("workflow_run from a fork has empty pull_requests and the fork as head_repository", () => {
    const e = workflowRunEvent({ repo: "acme/zoo", fork: { owner: "forker" }, headSha: "f".repeat(40), headBranch: "patch-1" });
    expect(get(e.workflow_run, "pull_requests")).toEqual([]);
    expect(get(e.workflow_run, "head_repository", "full_name")).toBe("forker/zoo");
    expect(get(e.workflow_run, "repository", "full_name")).toBe("acme/zoo");
    expect(get(e.workflow_run, "head_sha")).toBe("f".repeat(40));
  });

  it("schedule payloads carry only the cron expression; the repo comes from GITHUB_REPOSITORY", () => {
    const e = scheduleEvent("0 6 * * 1");
    expect(e).toEqual({ schedule: "0 6 * * 1" });
    const file = writeEventFile(tmp, e);
    expect(() => actionsEnv({ eventName: "schedule", eventPath: file, payload: e, apiUrl: "http://127.0.0.1:9" })).toThrow(/pass repository/);
    const env = actionsEnv({ eventName: "schedule", eventPath: file, payload: e, repository: "acme/zoo", apiUrl: "http://127.0.0.1:9" });
    expect(env).toMatchObject({ GITHUB_EVENT_NAME: "schedule", GITHUB_REPOSITORY: "acme/zoo", GITHUB_REF: "refs/heads/main", GITHUB_HEAD_REF: "" });
  });
});

describe("files and environment", () => {
  it("writes a GITHUB_EVENT_PATH file that @actions/github's context reads", async () => {
    const e = pullRequestEvent({ repo: "acme/zoo", number: 9, head: { ref: "x", sha: "1".repeat(40) } });
    const file = writeEventFile(tmp, e);
    expect(JSON.parse(readFileSync(file, "utf8"))).toEqual(e);
    const env = actionsEnv({ eventName: "pull_request", eventPath: file, payload: e, apiUrl: "http://127.0.0.1:9", token: "ghs_x" });
    expect(env).toMatchObject({
      GITHUB_EVENT_NAME: "pull_request",
      GITHUB_EVENT_PATH: file,
      GITHUB_REPOSITORY: "acme/zoo",
      GITHUB_API_URL: "http://127.0.0.1:9",
      GITHUB_REF: "refs/pull/9/merge",
      GITHUB_HEAD_REF: "x",
      GITHUB_BASE_REF: "main",
      GITHUB_TOKEN: "ghs_x",
    });
    const saved = { ...process.env };
    try {
      Object.assign(process.env, env);
      // the context is built when @actions/github is first imported (first time in this worker)
      const { context: ctx } = await import("@actions/github");
      expect(ctx.eventName).toBe("pull_request");
      expect(ctx.issue).toEqual({ owner: "acme", repo: "zoo", number: 9 });
      expect(ctx.payload.pull_request?.head.sha).toBe("1".repeat(40));
      expect(ctx.apiUrl).toBe("http://127.0.0.1:9");
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
    }
  });
});
