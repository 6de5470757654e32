/**
 * The OpenAPI 3.0 -> JSON Schema translation and the request/response validator (openapi.ts),
 * including the places where GitHub's description needs care.
 */
import { describe, expect, it } from "vitest";
import { OpenApiValidator, OpenApiViolationError, applyBreakingChanges, matchOperation, translateSchema, type Json } from "./openapi.js";

const issue = {
  id: 1,
  node_id: "I_1",
  url: "https://api.github.com/repos/o/r/issues/1",
  repository_url: "https://api.github.com/repos/o/r",
  labels_url: "https://api.github.com/repos/o/r/issues/1/labels{/name}",
  comments_url: "https://api.github.com/repos/o/r/issues/1/comments",
  events_url: "https://api.github.com/repos/o/r/issues/1/events",
  html_url: "https://github.com/o/r/issues/1",
  number: 1,
  state: "open",
  title: "t",
  user: null,
  labels: [],
  milestone: null,
  locked: false,
  comments: 0,
  closed_at: null,
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("schema translation", () => {
  it("turns nullable into JSON Schema null types (enums and $refs included) and drops OpenAPI-only keywords", () => {
    const refs = new Set<string>();
    const out = translateSchema(
      {
        type: "object",
        example: { a: 1 },
        "x-github": { internal: true },
        discriminator: { propertyName: "kind" },
        properties: {
          example: { type: "string" }, // a property *named* example stays
          reason: { type: "string", nullable: true, enum: ["completed", "not_planned"] },
          user: { $ref: "#/components/schemas/simple-user", nullable: true },
          either: { nullable: true, oneOf: [{ type: "string" }, { type: "integer" }] },
        },
      },
      refs,
    );
    expect(out).toEqual({
      type: "object",
      properties: {
        example: { type: "string" },
        reason: { type: ["string", "null"], enum: ["completed", "not_planned", null] },
        user: { anyOf: [{ $ref: "https://openapi.github.test/components/schemas/simple-user" }, { type: "null" }] },
        either: { anyOf: [{ anyOf: [{ type: "string" }, { type: "integer" }] }, { type: "null" }] },
      },
    });
    expect([...refs]).toEqual(["simple-user"]);
  });

  it("relaxes oneOf to anyOf because GitHub's branches overlap", () => {
    const body = JSON.stringify({ message: "a.json does not match 0000", documentation_url: "https://docs.github.com/rest", status: "409" });
    const req = { method: "PUT", path: "/repos/o/r/contents/a.json" };
    // 409 is oneOf [basic-error, repository-rule-violation-error]: neither has required properties
    const strict = new OpenApiValidator({ strictOneOf: true });
    expect(strict.validateResponse(req, { status: 409, contentType: "application/json", body }).map((i) => i.message)).toContain(
      "body must match exactly one schema in oneOf",
    );
    expect(new OpenApiValidator().validateResponse(req, { status: 409, contentType: "application/json", body })).toEqual([]);
    // validation-error's `value` is oneOf three *nullable* branches: null matches all three
    const v = new OpenApiValidator();
    expect(v.validateComponent("validation-error", { message: "Validation Failed", documentation_url: "x", errors: [{ code: "invalid", value: null }] })).toEqual([]);
  });

  it("applies x-github-breaking-changes for the selected API version", () => {
    const v = new OpenApiValidator();
    const { assignee: _assignee, ...without } = { ...issue, assignee: null };
    expect(v.validateComponent("issue", without).map((i) => i.message)).toEqual(["issue must have required property 'assignee'"]);
    expect(v.validateComponent("issue", without, "2026-03-10")).toEqual([]);
    // JSON Patch form ("remove /required/2") as well as merge patches
    const root = applyBreakingChanges(
      { required: ["a", "b", "authorizations_url"], properties: { authorizations_url: {}, a: {} }, "x-github-breaking-changes": [{ version: "2026-03-10", patch: [{ op: "remove", path: "/properties/authorizations_url" }, { op: "remove", path: "/required/2" }] }] },
      "2026-03-10",
    );
    expect(root).toEqual({ required: ["a", "b"], properties: { a: {} } });
  });
});

describe("operation matching", () => {
  it("prefers literal segments and handles multi-segment parameters, encoded or not", () => {
    expect(matchOperation("PATCH", "/repos/o/r/issues/comments/5")?.operationId).toBe("issues/update-comment");
    expect(matchOperation("GET", "/repos/o/r/issues/comments")?.operationId).toBe("issues/list-comments-for-repo");
    expect(matchOperation("GET", "/repos/o/r/issues/7")?.params).toEqual({ owner: "o", repo: "r", issue_number: "7" });
    expect(matchOperation("GET", "/repos/o/r/git/ref/heads%2Fstandin-baseline")?.params.ref).toBe("heads/standin-baseline");
    expect(matchOperation("PATCH", "/repos/o/r/git/refs/heads/a/b")?.params.ref).toBe("heads/a/b");
    expect(matchOperation("GET", "/repos/o/r/contents/dir/sub/file.json")?.params.path).toBe("dir/sub/file.json");
    expect(matchOperation("GET", "/repos/o/r/git/refs/heads/main")).toBeNull(); // only PATCH/DELETE exist
    expect(matchOperation("GET", "/repos/o/r/labels/needs%20triage")?.params.name).toBe("needs triage");
  });
});

describe("requests", () => {
  it("coerces and checks path and query parameters, flags unknown ones", () => {
    const v = new OpenApiValidator();
    const r = v.validateRequest({ method: "GET", path: "/repos/o/r/issues", query: new URLSearchParams("state=bogus&per_page=ten&labels=a,b&colour=red") });
    expect(r.issues.map((i) => [i.location, i.message, i.lenient ?? false])).toEqual([
      ["query", 'query.state must be equal to one of the allowed values (["open","closed","all"])', false],
      ["query", "query.per_page must be integer", false],
      ["query", "query.colour is not a parameter of issues/list-for-repo", true],
    ]);
    const p = v.validateRequest({ method: "GET", path: "/repos/o/r/issues/abc/comments" });
    expect(p.issues.map((i) => i.message)).toEqual(["path.issue_number must be integer"]);
    expect(v.violations).toHaveLength(2);
  });

  it("checks bodies: required, types, enums, unknown top-level fields", () => {
    const v = new OpenApiValidator();
    expect(v.validateRequest({ method: "POST", path: "/repos/o/r/issues/1/comments" }).issues.map((i) => i.message)).toEqual(["request body is required"]);
    expect(v.validateRequest({ method: "POST", path: "/repos/o/r/issues/1/comments", body: { body: 5 } }).issues.map((i) => i.message)).toEqual(["body/body must be string"]);
    const upd = v.validateRequest({ method: "PATCH", path: "/repos/o/r/git/refs/heads%2Fx", body: { sha: "a".repeat(40), force: "yes", fast: true } });
    expect(upd.issues.map((i) => [i.message, i.lenient ?? false])).toEqual([
      ["body/force must be boolean", false],
      ["body.fast is not a field of the request body", true],
    ]);
    const ok = v.validateRequest({ method: "PATCH", path: "/repos/o/r/issues/3", body: { state: "closed", state_reason: "not_planned", labels: ["a", { name: "b" }] } });
    expect(ok.issues).toEqual([]);
  });
});

describe("responses", () => {
  const v = new OpenApiValidator();
  const json = (status: number, body: Json) => ({ status, contentType: "application/json; charset=utf-8", body: JSON.stringify(body) });

  it("accepts a standard error an operation does not declare, shaped like basic-error", () => {
    // issues/update-comment declares only 200 and 422, yet GitHub answers 403/404 too
    const r = { method: "PATCH", path: "/repos/o/r/issues/comments/1" };
    expect(v.validateResponse(r, json(403, { message: "Resource not accessible by integration", documentation_url: "x", status: "403" }))).toEqual([]);
    expect(v.validateResponse(r, json(404, { message: "Not Found", documentation_url: "x", status: "404" }))).toEqual([]);
    expect(v.validateResponse(r, json(418, { message: "teapot" })).map((i) => i.message)).toEqual([
      "status 418 is not declared for issues/update-comment (declared: 200, 422)",
    ]);
  });

  it("checks content presence and media types", () => {
    const del = { method: "DELETE", path: "/repos/o/r/issues/comments/1" };
    expect(v.validateResponse(del, { status: 204, body: "" })).toEqual([]);
    expect(v.validateResponse(del, json(204, { deleted: true })).map((i) => i.location)).toEqual(["body"]);
    const get = { method: "GET", path: "/repos/o/r/issues/1" };
    expect(v.validateResponse(get, { status: 200, contentType: "text/plain", body: "hello" }).map((i) => i.location)).toEqual(["content-type"]);
    expect(v.validateResponse(get, { status: 200, contentType: "application/json", body: "{" }).map((i) => i.message)).toEqual(["response body is not valid JSON"]);
    expect(v.validateResponse(get, { status: 502, contentType: "text/html", body: "<html>Unicorn!</html>" })).toEqual([]);
    expect(v.validateResponse({ method: "GET", path: "/repos/o/r/contents/a.json" }, { status: 200, contentType: "application/vnd.github.raw; charset=utf-8", body: "{}" })).toEqual([]);
    expect(v.validateResponse(get, json(200, { ...issue, assignee: null }))).toEqual([]);
  });

  it("strict mode throws after recording", () => {
    const strict = new OpenApiValidator({ strict: true });
    expect(() => strict.validateResponse({ method: "GET", path: "/repos/o/r/issues/1" }, json(200, { id: 1 }))).toThrow(OpenApiViolationError);
    expect(strict.violations).toHaveLength(1);
    expect(() => strict.assertNoViolations()).toThrow(/1 OpenAPI violation/);
  });

  it("validates webhook payloads against x-webhooks", () => {
    expect(v.validateWebhook("workflow-run-completed", { action: "completed" }).length).toBeGreaterThan(0);
    expect(() => v.validateWebhook("no-such-hook", {})).toThrow(/x-webhooks has no no-such-hook/);
    v.clear();
  });
});
