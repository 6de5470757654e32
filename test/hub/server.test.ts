/**
 * The local Hub against the real @huggingface/hub client and raw fetch: metadata, listing, ranges,
 * the CDN redirect, the error matrix of hub-protocol.md §2.6 and fault injection.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import {
  HubApiError,
  InvalidApiResponseFormatError,
  SafetensorParseError,
  downloadFile,
  fileDownloadInfo,
  fileExists,
  listFiles,
  modelInfo,
  parseSafetensorsMetadata,
  pathsInfo,
  whoAmI,
} from "@huggingface/hub";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildSyntheticRepo, type SyntheticRepoResult } from "./corpus-repos.js";
import { RepoStore, rawSafetensors } from "./repo-store.js";
import { startHubServer, type HubServer } from "./server.js";
import { tinyConfig } from "./synth.js";

const TOKEN = "hf_standinTestTokenAuthorized";
const OTHER = "hf_standinTestTokenOther";
const BAD = "hf_notAKnownTokenAtAll";

let root: string;
let store: RepoStore;
let hub: HubServer;
let single: SyntheticRepoResult;
let sharded: SyntheticRepoResult;
const revs: Record<string, string> = {};

const README = "---\nlicense: apache-2.0\nbase_model: org/base\ntags:\n- fixture\n---\n# single\n";

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), "standin-hub-"));
  store = new RepoStore(root);
  single = buildSyntheticRepo(store, "org/single", tinyConfig({ model_type: "qwen3", architectures: ["Qwen3ForCausalLM"], head_dim: 16 }), {
    readme: README,
    files: { "tokenizer_config.json": JSON.stringify({ eos_token: "<|im_end|>", chat_template: "{{ x }}" }) },
  });
  sharded = buildSyntheticRepo(store, "org/sharded", tinyConfig({ num_hidden_layers: 4 }), { shards: 3, totalParameters: true });
  buildSyntheticRepo(store, "org/gated", tinyConfig(), { repo: { gated: "manual", authorized: [TOKEN] } });
  buildSyntheticRepo(store, "org/private", tinyConfig(), { repo: { private: true, authorized: [TOKEN] } });
  buildSyntheticRepo(store, "org/disabled", tinyConfig(), { repo: { disabled: true } });
  // nested files and several revisions
  const nested = store.repo("org/nested");
  const c1 = nested.commit({ message: "initial" });
  c1.writeJson("config.json", { model_type: "llama" });
  c1.writeFile("onnx/model.onnx", Buffer.alloc(300, 1));
  c1.writeFile("onnx/sub/extra.txt", "x");
  revs.first = c1.finish({ tags: ["v1.0"] });
  const c2 = nested.commit({ message: "second" });
  c2.writeFile("README.md", "# nested\n");
  c2.writeSparse("onnx/model.onnx_data", Buffer.from("DATA"), 5_000_000);
  revs.second = c2.finish();
  nested.setRef("refs/pr/1", revs.first);
  nested.setRef("dev", revs.first);
  // crafted file: header length far beyond the client's 25 MB cap
  const hostile = store.repo("org/hostile").commit();
  hostile.writeRaw("model.safetensors", rawSafetensors("{}", { declaredLength: 100_000_000 }));
  hostile.writeRaw("bad-offsets.safetensors", rawSafetensors({ w: { dtype: "F32", shape: [4], data_offsets: [0, 1_000_000] } }, { dataBytes: 16 }));
  hostile.finish();
  store.alias("old-name", "org/single");
  hub = await startHubServer({ store, tokens: [TOKEN, OTHER], treePageSize: 3, aliases: { "org/renamed": "org/single" } });
});

afterAll(async () => {
  await hub?.close();
  rmSync(root, { recursive: true, force: true });
});

const get = (p: string, init: RequestInit = {}) => fetch(`${hub.url}${p}`, init);
const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });

describe("metadata, listing and the real client", () => {
  it("modelInfo (default revision HEAD, additionalFields) and ?blobs=true", async () => {
    const info = await modelInfo({ name: "org/single", hubUrl: hub.url, additionalFields: ["sha", "safetensors", "tags", "cardData", "config", "library_name"] });
    expect(info.name).toBe("org/single");
    expect(info.id).toMatch(/^[0-9a-f]{24}$/);
    expect(info.sha).toBe(single.sha);
    expect(info.gated).toBe(false);
    expect(info.task).toBe("text-generation");
    expect(info.safetensors).toEqual({ parameters: { BF16: single.parameters.total }, total: single.parameters.total });
    expect(info.tags).toEqual(expect.arrayContaining(["transformers", "safetensors", "qwen3", "license:apache-2.0", "base_model:org/base", "fixture"]));
    expect(info.cardData).toMatchObject({ license: "apache-2.0" });
    expect(info.config).toMatchObject({ architectures: ["Qwen3ForCausalLM"], model_type: "qwen3", tokenizer_config: { eos_token: "<|im_end|>" } });
    expect(info.library_name).toBe("transformers");
    expect(hub.requests.at(-1)!.url).toContain("/api/models/org/single/revision/HEAD?expand=pipeline_tag");

    const full = (await (await get("/api/models/org/sharded?blobs=true")).json()) as Record<string, unknown>;
    expect(full).toMatchObject({ id: "org/sharded", modelId: "org/sharded", author: "org", sha: sharded.sha, private: false, disabled: false });
    const sib = (full.siblings as { rfilename: string; size: number; blobId: string; lfs?: { sha256: string; size: number; pointerSize: number } }[]).find(
      (s) => s.rfilename === "model-00002-of-00003.safetensors",
    )!;
    expect(sib.size).toBe(sharded.shards[1]!.size);
    expect(sib.lfs).toMatchObject({ size: sib.size });
    expect(sib.lfs!.sha256).toMatch(/^[0-9a-f]{64}$/);
    // expand= returns only _id, id and the requested fields
    const some = (await (await get("/api/models/org/sharded?expand=sha&expand=gated")).json()) as Record<string, unknown>;
    expect(Object.keys(some).sort()).toEqual(["_id", "gated", "id", "sha"]);
  });

  it("revisions: sha, branch, tag and URL-encoded refs/pr/1", async () => {
    const at = async (revision: string) => (await modelInfo({ name: "org/nested", hubUrl: hub.url, revision, additionalFields: ["sha"] })).sha;
    expect(await at(revs.second!)).toBe(revs.second);
    expect(await at("main")).toBe(revs.second);
    expect(await at("dev")).toBe(revs.first);
    expect(await at("v1.0")).toBe(revs.first);
    expect(await at("refs/pr/1")).toBe(revs.first);
    expect(hub.requests.at(-1)!.url).toContain("/revision/refs%2Fpr%2F1?");
    const r = await get("/org/nested/resolve/refs%2Fpr%2F1/config.json");
    expect(r.status).toBe(200);
    expect(r.headers.get("x-repo-commit")).toBe(revs.first);
  });

  it("listFiles follows absolute Link headers across pages; recursive and sub-path listings", async () => {
    hub.resetLog();
    const files: string[] = [];
    for await (const f of listFiles({ repo: "org/sharded", hubUrl: hub.url })) files.push(f.path);
    expect(files).toEqual(["README.md", "config.json", "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors", "model-00003-of-00003.safetensors", "model.safetensors.index.json"]);
    expect(hub.requests.filter((e) => e.url.includes("/tree/main")).length).toBe(2); // 3 per page
    const page1 = await get("/api/models/org/sharded/tree/main?recursive=false&expand=false");
    expect(page1.headers.get("link")).toMatch(new RegExp(`^<${hub.url.replace(/[.]/g, "\\.")}/api/models/org/sharded/tree/main\\?recursive=false&expand=false&cursor=[^>]+>; rel="next"$`));

    const rec: { path: string; type: string; size: number; lfs?: unknown }[] = [];
    for await (const f of listFiles({ repo: "org/nested", hubUrl: hub.url, recursive: true })) rec.push(f);
    expect(rec.map((e) => `${e.type}:${e.path}`)).toEqual([
      "file:README.md",
      "file:config.json",
      "directory:onnx",
      "file:onnx/model.onnx",
      "file:onnx/model.onnx_data",
      "directory:onnx/sub",
      "file:onnx/sub/extra.txt",
    ]);
    expect(rec.find((e) => e.path === "onnx/model.onnx_data")).toMatchObject({ size: 5_000_000, lfs: { size: 5_000_000 } });
    const sub: string[] = [];
    for await (const f of listFiles({ repo: "org/nested", hubUrl: hub.url, path: "onnx", revision: "v1.0" })) sub.push(`${f.type}:${f.path}`);
    expect(sub).toEqual(["file:onnx/model.onnx", "directory:onnx/sub"]);
    const expanded: { lastCommit?: { id: string } }[] = [];
    for await (const f of listFiles({ repo: "org/nested", hubUrl: hub.url, expand: true })) expanded.push(f);
    expect(expanded.find((e) => (e as { path?: string }).path === "config.json")!.lastCommit!.id).toBe(revs.first);
  });

  it("fileDownloadInfo: size and ETag for git and LFS files, null for a missing file", async () => {
    const cfg = await fileDownloadInfo({ repo: "org/single", path: "config.json", hubUrl: hub.url });
    const entry = store.get("org/single")!.files(single.sha)["config.json"]!;
    expect(cfg).toMatchObject({ size: entry.size, etag: `"${entry.oid}"` });
    const lfs = await fileDownloadInfo({ repo: "org/single", path: "model.safetensors", hubUrl: hub.url });
    const le = store.get("org/single")!.files(single.sha)["model.safetensors"]!;
    expect(lfs!.size).toBe(le.size);
    expect(lfs!.etag).toBe(`"${le.lfs!.oid}"`);
    expect(lfs!.url.startsWith(hub.cdnUrl)).toBe(true); // X-Cache "... cloudfront": the client reuses the CDN URL
    expect(await fileDownloadInfo({ repo: "org/single", path: "nope.json", hubUrl: hub.url })).toBeNull();
    const blob = await downloadFile({ repo: "org/single", path: "config.json", hubUrl: hub.url });
    expect(JSON.parse(await blob!.text())).toMatchObject({ model_type: "qwen3" });
  });

  it("parseSafetensorsMetadata: single file and sharded (xet:false) give the synthesized tensors", async () => {
    const p1 = { repo: "org/single", hubUrl: hub.url, xet: false, computeParametersCount: true as const };
    const r1 = await parseSafetensorsMetadata(p1);
    expect(r1.sharded).toBe(false);
    if (r1.sharded) throw new Error("unreachable");
    const names = Object.keys(r1.header).filter((k) => k !== "__metadata__");
    expect(names).toEqual(single.tensors.map((t) => t.name));
    for (const t of single.tensors) expect(r1.header[t.name]).toMatchObject({ dtype: t.dtype, shape: t.shape });
    expect(r1.parameterCount).toEqual(single.parameters.byDtype);

    const p2 = { repo: "org/sharded", hubUrl: hub.url, xet: false, computeParametersCount: true as const };
    const r2 = await parseSafetensorsMetadata(p2);
    if (!r2.sharded) throw new Error("expected sharded");
    expect(Object.keys(r2.headers)).toHaveLength(3);
    const all = Object.values(r2.headers).flatMap((h) => Object.keys(h).filter((k) => k !== "__metadata__"));
    expect(all.sort()).toEqual(sharded.tensors.map((t) => t.name).sort());
    expect(r2.index.metadata?.total_size).toBe(sharded.totalSize);
    expect(r2.parameterTotal).toBe(sharded.parameters.total);
  });

  it("pathsInfo omits missing paths; whoAmI returns the auth object", async () => {
    const info = await pathsInfo({ repo: "org/nested", paths: ["config.json", "nope", "onnx", "onnx/model.onnx_data"], hubUrl: hub.url, expand: true });
    expect(info.map((i) => `${i.type}:${i.path}`)).toEqual(["file:config.json", "directory:onnx", "file:onnx/model.onnx_data"]);
    expect(info[2]!.lfs).toMatchObject({ size: 5_000_000 });
    expect(info[2]!.lastCommit.id).toBe(revs.second);
    // huggingface_hub (Python) posts a form instead of JSON
    const form = await get("/api/models/org/nested/paths-info/main", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: "paths=README.md&paths=missing&expand=False",
    });
    expect(((await form.json()) as { path: string }[]).map((e) => e.path)).toEqual(["README.md"]);
    const me = await whoAmI({ accessToken: TOKEN, hubUrl: hub.url });
    expect(me).toMatchObject({ type: "user", name: "standin-test", auth: { type: "access_token", accessToken: { role: "read" } } });
    expect(hub.requests.at(-1)!.auth).toBe(true);
    expect(JSON.stringify(hub.requests)).not.toContain(TOKEN);
  });
});

describe("error matrix (hub-protocol.md §2.6)", () => {
  const check = async (
    res: Response,
    want: { status: number; code: string | null; type: "json" | "text"; body: string | RegExp; message?: string },
  ) => {
    expect(res.status).toBe(want.status);
    expect(res.headers.get("x-error-code")).toBe(want.code);
    expect(res.headers.get("content-type")).toMatch(want.type === "json" ? /^application\/json/ : /^text\/plain/);
    const text = await res.text();
    if (want.type === "json") expect((JSON.parse(text) as { error: string }).error).toMatch(want.body);
    else expect(text).toMatch(want.body);
  };

  it("file missing, bad revision", async () => {
    await check(await get("/org/single/resolve/main/nope.bin"), { status: 404, code: "EntryNotFound", type: "text", body: /^Entry not found$/ });
    const r = await get("/org/single/resolve/badrev/config.json");
    expect(r.headers.get("x-error-message")).toBe("Invalid rev id: badrev");
    await check(r, { status: 404, code: "RevisionNotFound", type: "text", body: /^Invalid rev id: badrev$/ });
    await check(await get("/api/models/org/single/revision/badrev"), { status: 404, code: "RevisionNotFound", type: "json", body: /^Invalid rev id: badrev$/ });
    await check(await get("/api/models/org/single/tree/badrev"), { status: 404, code: "RevisionNotFound", type: "json", body: /Invalid rev id/ });
    await check(await get("/api/models/org/nested/tree/main/nope"), { status: 404, code: "EntryNotFound", type: "json", body: /Entry not found/ });
  });

  it("missing or private repo: 401 anonymously (with WWW-Authenticate), 404 RepoNotFound with a valid token", async () => {
    for (const p of ["/api/models/org/missing", "/org/missing/resolve/main/config.json", "/api/models/org/private", "/org/private/resolve/main/config.json"]) {
      const anon = await get(p);
      expect(anon.headers.get("www-authenticate")).toMatch(/^Bearer realm=/);
      await check(anon, { status: 401, code: "RepoNotFound", type: "json", body: /^Invalid username or password\.$/ });
      await check(await get(p, { headers: bearer(OTHER) }), { status: 404, code: "RepoNotFound", type: "json", body: /^Repository not found$/ });
    }
    expect((await get("/api/models/org/private", { headers: bearer(TOKEN) })).status).toBe(200);
    expect((await get("/org/private/resolve/main/config.json", { headers: bearer(TOKEN) })).status).toBe(200);
  });

  it("bad token: 401 Invalid credentials in Authorization header", async () => {
    for (const p of ["/api/models/org/single", "/org/single/resolve/main/config.json", "/api/whoami-v2"]) {
      await check(await get(p, { headers: bearer(BAD) }), { status: 401, code: null, type: "json", body: /^Invalid credentials in Authorization header$/ });
    }
  });

  it("gated: metadata stays public, files 401 GatedRepo without token, 403 with a token not in the list", async () => {
    const info = await modelInfo({ name: "org/gated", hubUrl: hub.url });
    expect(info.gated).toBe("manual");
    const files: string[] = [];
    for await (const f of listFiles({ repo: "org/gated", hubUrl: hub.url })) files.push(f.path);
    expect(files).toContain("model.safetensors");
    await check(await get("/org/gated/resolve/main/config.json"), {
      status: 401,
      code: "GatedRepo",
      type: "text",
      body: /^Access to model org\/gated is restricted\. You must have access to it and be authenticated to access it\. Please log in\.$/,
    });
    await check(await get("/org/gated/resolve/main/config.json", { headers: bearer(OTHER) }), {
      status: 403,
      code: "GatedRepo",
      type: "text",
      body: /^Access to model org\/gated is restricted and you are not in the authorized list\. Visit https:\/\/huggingface\.co\/org\/gated to ask for access\.$/,
    });
    expect((await get("/org/gated/resolve/main/config.json", { headers: bearer(TOKEN) })).status).toBe(200);
    const err = await fileDownloadInfo({ repo: "org/gated", path: "config.json", hubUrl: hub.url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HubApiError);
    expect((err as HubApiError).statusCode).toBe(401);
    expect((err as HubApiError).message).toMatch(/^Api error with status 401\. URL: /); // text/plain bodies do not reach the message
  });

  it("disabled: 403 Access to this resource is disabled.", async () => {
    const r = await get("/org/disabled/resolve/main/config.json");
    expect(r.headers.get("x-error-message")).toBe("Access to this resource is disabled.");
    await check(r, { status: 403, code: null, type: "text", body: /^Access to this resource is disabled\.$/ });
    await check(await get("/api/models/org/disabled"), { status: 403, code: null, type: "json", body: /disabled/ });
  });

  it("the client's view: HubApiError for GETs, SyntaxError from fileExists' HEAD on a JSON 401", async () => {
    const e1 = await modelInfo({ name: "org/missing", hubUrl: hub.url }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HubApiError);
    expect((e1 as HubApiError).statusCode).toBe(401);
    expect((e1 as HubApiError).message).toMatch(/^Invalid username or password\./);
    const e2 = await modelInfo({ name: "org/missing", hubUrl: hub.url, accessToken: OTHER }).catch((e: unknown) => e);
    expect((e2 as HubApiError).statusCode).toBe(404);
    // hub-protocol.md §1.1 gotcha: HEAD + application/json error -> response.json() on an empty body
    const e3 = await fileExists({ repo: "org/missing", path: "config.json", hubUrl: hub.url }).catch((e: unknown) => e);
    expect(e3).toBeInstanceOf(SyntaxError);
    expect(await fileExists({ repo: "org/single", path: "nope", hubUrl: hub.url })).toBe(false);
    expect(await fileExists({ repo: "org/single", path: "model.safetensors", hubUrl: hub.url })).toBe(true);
    const e4 = await parseSafetensorsMetadata({ repo: "org/hostile", hubUrl: hub.url }).catch((e: unknown) => e);
    expect(e4).toBeInstanceOf(SafetensorParseError);
    expect((e4 as Error).message).toMatch(/too big/);
    const e5 = await parseSafetensorsMetadata({ repo: "org/hostile", path: "bad-offsets.safetensors", hubUrl: hub.url }).catch((e: unknown) => e);
    expect(e5).toBeInstanceOf(SafetensorParseError);
    expect((e5 as Error).message).toMatch(/exceeds the file size/);
  });

  it("renamed repos: 307 with a relative Location on /api routes; resolve serves the canonical repo", async () => {
    const r = await get("/api/models/old-name/revision/main?expand=sha", { redirect: "manual" });
    expect(r.status).toBe(307);
    expect(r.headers.get("location")).toBe("/api/models/org/single/revision/main?expand=sha");
    const info = await modelInfo({ name: "org/renamed", hubUrl: hub.url, additionalFields: ["sha"] });
    expect(info).toMatchObject({ name: "org/single", sha: single.sha });
    const tree = await get("/api/models/org/renamed/tree/main", { redirect: "manual" });
    expect(tree.status).toBe(307);
    expect((await get("/org/renamed/resolve/main/config.json", { redirect: "manual" })).status).toBe(200);
  });

  it("rate-limit headers on every Hub response, per bucket", async () => {
    const api = await get("/api/models/org/single");
    expect(api.headers.get("ratelimit")).toMatch(/^"api";r=\d+;t=\d+$/);
    expect(api.headers.get("ratelimit-policy")).toMatch(/^"fixed window";"api";q=\d+;w=300$/);
    const res = await get("/org/single/resolve/main/nope");
    expect(res.headers.get("ratelimit")).toMatch(/^"resolvers";r=\d+;t=\d+$/);
    expect(res.headers.get("x-request-id")).toMatch(/^Root=1-/);
    expect(res.headers.get("access-control-expose-headers")).toContain("X-Error-Code");
  });
});

describe("ranges and the CDN redirect", () => {
  it("206 + Content-Range for a-b, a- and -n; 416 with bytes */total", async () => {
    const size = store.get("org/single")!.files(single.sha)["config.json"]!.size;
    const r1 = await get("/org/single/resolve/main/config.json", { headers: { Range: "bytes=0-9" } });
    expect(r1.status).toBe(206);
    expect(r1.headers.get("content-range")).toBe(`bytes 0-9/${size}`);
    expect(r1.headers.get("accept-ranges")).toBe("bytes");
    expect(r1.headers.get("etag")).toMatch(/^"[0-9a-f]{40}"$/);
    expect(r1.headers.get("x-repo-commit")).toBe(single.sha);
    expect((await r1.text()).length).toBe(10);
    const r2 = await get("/org/single/resolve/main/config.json", { headers: { Range: `bytes=${size - 5}-` } });
    expect(r2.headers.get("content-range")).toBe(`bytes ${size - 5}-${size - 1}/${size}`);
    const r3 = await get("/org/single/resolve/main/config.json", { headers: { Range: "bytes=-3" } });
    expect(r3.status).toBe(206);
    expect(r3.headers.get("content-range")).toBe(`bytes ${size - 3}-${size - 1}/${size}`);
    const whole = await (await get("/org/single/resolve/main/config.json")).text();
    expect(await r3.text()).toBe(whole.slice(-3));
    const r4 = await get("/org/single/resolve/main/config.json", { headers: { Range: `bytes=${size}-` } });
    expect(r4.status).toBe(416);
    expect(r4.headers.get("content-range")).toBe(`bytes */${size}`);
    const r5 = await get("/org/single/resolve/main/config.json", { headers: { Range: "bytes=0-999999" } });
    expect(r5.headers.get("content-range")).toBe(`bytes 0-${size - 1}/${size}`);
    const head = await get("/org/single/resolve/main/config.json", { method: "HEAD" });
    expect(head.headers.get("content-length")).toBe(String(size));
    expect(head.headers.get("content-type")).not.toContain("xet");
  });

  it("LFS files: 302 to the CDN listener with X-Linked-*; the client does not forward Authorization there", async () => {
    const e = store.get("org/single")!.files(single.sha)["model.safetensors"]!;
    const r = await get("/org/single/resolve/main/model.safetensors", { redirect: "manual", headers: { Range: "bytes=0-7" } });
    expect(r.status).toBe(302);
    const loc = r.headers.get("location")!;
    expect(loc.startsWith(`${hub.cdnUrl}/repos/`)).toBe(true);
    expect(loc).toMatch(/[?&]Signature=[0-9a-f]+/);
    expect(r.headers.get("x-linked-size")).toBe(String(e.size));
    expect(r.headers.get("x-linked-etag")).toBe(`"${e.lfs!.oid}"`);
    expect(r.headers.get("x-repo-commit")).toBe(single.sha);
    const tampered = await fetch(loc.replace(/Signature=[0-9a-f]+/, "Signature=00"));
    expect(tampered.status).toBe(403);

    // With `X-Cache: ... cloudfront` (the default, like the real CDN) the client keeps the CDN URL:
    // the redirect hop drops Authorization (undici, cross-origin), but WebBlob then sends the token
    // itself on every direct read of the CDN URL.
    hub.resetLog();
    const p = { repo: "org/gated", hubUrl: hub.url, accessToken: TOKEN, xet: false };
    const parsed = await parseSafetensorsMetadata(p);
    expect(parsed.sharded).toBe(false);
    const hubReqs = hub.requests.filter((x) => x.listener === "hub");
    const cdnReqs = hub.requests.filter((x) => x.listener === "cdn");
    expect(hubReqs.every((x) => x.auth)).toBe(true);
    expect(cdnReqs.map((x) => [x.range, x.auth, x.status])).toEqual([
      ["bytes=0-0", false, 206], // followed 302: Authorization dropped
      ["bytes=0-7", true, 206], // direct reads of the kept CDN URL carry the token
      [expect.stringMatching(/^bytes=8-\d+$/), true, 206],
    ]);
  });

  it("preload: ranged reads inside a held prefix are the file's bytes, served from memory; reads past it come from the file", async () => {
    const h2 = await startHubServer({ store, tokens: [TOKEN] });
    try {
      const repo = store.get("org/single")!;
      const file = repo.filePath(single.sha, "model.safetensors");
      const size = repo.files(single.sha)["model.safetensors"]!.size;
      const whole = repo.readFile(single.sha, "model.safetensors");
      expect(await h2.preload([{ path: file, bytes: 64 }])).toBe(Math.min(64, size));
      // the held prefix no longer comes from the file: a changed file shows which reads used memory
      const changed = Buffer.from(whole);
      changed.fill(0x5a);
      writeFileSync(file, changed);
      try {
        const read = async (a: number, b: number): Promise<Buffer> => {
          const r = await fetch(`${h2.url}/org/single/resolve/main/model.safetensors`, { headers: { Range: `bytes=${a}-${b}` } });
          expect(r.status).toBe(206);
          return Buffer.from(await r.arrayBuffer());
        };
        expect(await read(0, 7)).toEqual(whole.subarray(0, 8));
        expect(await read(10, 63)).toEqual(whole.subarray(10, 64));
        expect(await read(0, 64)).toEqual(changed.subarray(0, 65)); // one byte past the prefix: the file
      } finally {
        writeFileSync(file, whole);
      }
    } finally {
      await h2.close();
    }
  });

  it("without the cloudfront marker every read goes Hub 302 -> CDN, and the CDN never sees the token", async () => {
    const h2 = await startHubServer({ store, tokens: [TOKEN], cdnCloudfront: false });
    try {
      const p = { repo: "org/gated", hubUrl: h2.url, accessToken: TOKEN, xet: false };
      await parseSafetensorsMetadata(p);
      const seen = h2.requests.filter((x) => x.url.includes("model.safetensors") || x.listener === "cdn").map((x) => `${x.listener} ${x.method} ${x.status} ${x.auth}`);
      expect(seen).toEqual([
        "hub HEAD 200 true", // fileExists on /raw/
        "hub GET 302 true",
        "cdn GET 206 false",
        "hub GET 302 true",
        "cdn GET 206 false",
        "hub GET 302 true",
        "cdn GET 206 false",
      ]);
    } finally {
      await h2.close();
    }
  });

  it("optional 307 resolve-cache hop for small files", async () => {
    const h2 = await startHubServer({ store, resolveCache: true, cdnCloudfront: false });
    try {
      const r = await fetch(`${h2.url}/org/single/resolve/main/config.json`, { redirect: "manual" });
      expect(r.status).toBe(307);
      expect(r.headers.get("location")).toBe(`/api/resolve-cache/models/org/single/${single.sha}/config.json`);
      expect(r.headers.get("x-linked-etag")).toMatch(/^"[0-9a-f]{40}"$/);
      const info = await fileDownloadInfo({ repo: "org/single", path: "config.json", hubUrl: h2.url });
      expect(info!.url).toContain("/api/resolve-cache/"); // same origin: the client keeps the cached URL
      const lfs = await fileDownloadInfo({ repo: "org/single", path: "model.safetensors", hubUrl: h2.url });
      expect(lfs!.url).toContain("/resolve/main/"); // no X-Cache cloudfront: reads go back through the Hub
    } finally {
      await h2.close();
    }
  });
});

describe("fault injection", () => {
  const fresh = async (opts: Parameters<typeof startHubServer>[0] = {}) => startHubServer({ store, tokens: [TOKEN], ...opts });

  it("429 with Retry-After and RateLimit r=0, limited by `times`; 5xx with the chosen status", async () => {
    const h = await fresh({ faults: [{ kind: "429", match: { path: /config\.json/ }, times: 1, retryAfter: 7 }, { kind: "5xx", status: 502, match: { path: /README/ } }] });
    try {
      const a = await fetch(`${h.url}/org/single/resolve/main/config.json`);
      expect(a.status).toBe(429);
      expect(a.headers.get("retry-after")).toBe("7");
      expect(a.headers.get("ratelimit")).toBe('"resolvers";r=0;t=7');
      expect((await fetch(`${h.url}/org/single/resolve/main/config.json`)).status).toBe(200);
      expect((await fetch(`${h.url}/org/single/resolve/main/README.md`)).status).toBe(502);
      const err = await modelInfo({ name: "org/single", hubUrl: h.url }).then(() => null);
      expect(err).toBeNull();
      expect(h.faultsInjected).toBe(2);
      expect(h.faultCounts).toEqual({ "429": 1, "5xx": 1 });
      expect(h.requests.map((e) => e.fault)).toEqual(["429", null, "5xx", null]);
    } finally {
      await h.close();
    }
  });

  it("reset destroys the socket; truncate sends half the body under a full Content-Length", async () => {
    const h = await fresh({ faults: [{ kind: "reset", match: { path: /config\.json/ }, times: 1 }, { kind: "truncate", match: { path: /README/ } }] });
    try {
      await expect(fetch(`${h.url}/org/single/resolve/main/config.json`)).rejects.toThrow();
      expect((await fetch(`${h.url}/org/single/resolve/main/config.json`)).status).toBe(200);
      const r = await fetch(`${h.url}/org/single/resolve/main/README.md`);
      expect(r.headers.get("content-length")).toBe(String(README.length));
      await expect(r.text()).rejects.toThrow();
      const t = h.requests.find((e) => e.fault === "truncate")!;
      expect(t.bytes).toBe(Math.floor(README.length / 2));
      expect(h.requests[0]!.status).toBe(0);
    } finally {
      await h.close();
    }
  });

  it("stall sends headers then nothing; close() ends it", async () => {
    const h = await fresh({ faults: [{ kind: "stall", match: { listener: "cdn" } }] });
    const res = await fetch(`${h.url}/org/single/resolve/main/model.safetensors`, { headers: { Range: "bytes=0-7" } });
    expect(res.status).toBe(206);
    const body = res.arrayBuffer();
    const outcome = Promise.race([body.then(() => "done", () => "failed"), new Promise((r) => setTimeout(() => r("stalled"), 300))]);
    expect(await outcome).toBe("stalled");
    const t0 = Date.now();
    await h.close();
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(await body.then(() => "done", () => "failed")).toBe("failed");
  });

  it("ignore-range answers 200 with the full body (the client's probe then fails)", async () => {
    const h = await fresh({ faults: [{ kind: "ignore-range", match: { path: /config\.json/ } }] });
    try {
      const r = await fetch(`${h.url}/org/single/resolve/main/config.json`, { headers: { Range: "bytes=0-0" } });
      expect(r.status).toBe(200);
      expect(r.headers.get("content-range")).toBeNull();
      expect((await r.text()).length).toBeGreaterThan(1);
      const e = await fileDownloadInfo({ repo: "org/single", path: "config.json", hubUrl: h.url }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(InvalidApiResponseFormatError);
      expect((e as Error).message).toBe("Expected size information");
    } finally {
      await h.close();
    }
  });

  it("etag-change, latency, match functions and seeded probabilities", async () => {
    const h = await fresh({
      faults: [
        { kind: "etag-change", match: (req) => req.path.endsWith("README.md") && req.method === "HEAD" },
        { kind: "latency", latencyMs: 120, match: { path: /whoami/ } },
      ],
    });
    try {
      const e1 = (await fetch(`${h.url}/org/single/resolve/main/README.md`, { method: "HEAD" })).headers.get("etag");
      const e2 = (await fetch(`${h.url}/org/single/resolve/main/README.md`, { method: "HEAD" })).headers.get("etag");
      const e3 = (await fetch(`${h.url}/org/single/resolve/main/README.md`)).headers.get("etag");
      expect(new Set([e1, e2, e3]).size).toBe(3);
      const t0 = Date.now();
      await whoAmI({ accessToken: TOKEN, hubUrl: h.url });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(110);
    } finally {
      await h.close();
    }
    const run = async (seed: number) => {
      const s = await fresh({ seed, faults: [{ kind: "5xx", probability: 0.5 }] });
      try {
        const out: number[] = [];
        for (let i = 0; i < 16; i++) out.push((await fetch(`${s.url}/api/models/org/single`)).status);
        return out;
      } finally {
        await s.close();
      }
    };
    const a = await run(42);
    expect(await run(42)).toEqual(a);
    expect(a.filter((x) => x === 503).length).toBeGreaterThan(2);
    expect(a.filter((x) => x === 200).length).toBeGreaterThan(2);
  });

  it("enforced quotas: RateLimit r counts down, then 429 with Retry-After", async () => {
    const h = await fresh({ rateLimit: { api: 2, enforce: true } });
    try {
      const a = await fetch(`${h.url}/api/models/org/single`);
      expect(a.headers.get("ratelimit")).toMatch(/^"api";r=1;t=\d+$/);
      expect((await fetch(`${h.url}/api/models/org/single`)).status).toBe(200);
      const c = await fetch(`${h.url}/api/models/org/single`);
      expect(c.status).toBe(429);
      expect(Number(c.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(c.headers.get("ratelimit")).toMatch(/^"api";r=0;t=\d+$/);
      expect((await fetch(`${h.url}/org/single/resolve/main/config.json`)).status).toBe(200); // other bucket
    } finally {
      await h.close();
    }
  });

  it("setFaults / setLatency / bandwidth cap at runtime", async () => {
    const h = await fresh();
    try {
      h.setFaults([{ kind: "5xx", status: 500, times: 1 }]);
      expect((await fetch(`${h.url}/api/models/org/single`)).status).toBe(500);
      expect((await fetch(`${h.url}/api/models/org/single`)).status).toBe(200);
      h.setLatency(80);
      let t0 = Date.now();
      await fetch(`${h.url}/api/models/org/single`);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
      h.setLatency(0);
      h.setBandwidth(1_000_000);
      t0 = Date.now();
      const r = await fetch(`${h.url}/org/nested/resolve/main/onnx/model.onnx_data`, { headers: { Range: "bytes=0-299999" } });
      expect((await r.arrayBuffer()).byteLength).toBe(300_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    } finally {
      await h.close();
    }
  });
});
