/**
 * Endpoint discovery: a tiny node:http server answering /v1/models like vLLM / SGLang, the served
 * model choice, root -> source mapping, typed errors naming the URL, and the discovered model
 * fingerprinted through the local Hub.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fingerprintModel } from "../src/fingerprint/index.js";
import { FetchLayer } from "../src/net/fetch.js";
import { chooseServedModel, discoverEndpoint, EndpointError, endpointSourceSpec, modelsUrl, sourceFromRoot } from "../src/sources/endpoint.js";
import { tinyConfig } from "./hub/synth.js";
import { startLab, writeRepo, type Lab } from "./support/integrity-lab.js";

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
let server: http.Server;
let base: string;
let handler: Handler;
const seen: { url: string; auth: string | undefined }[] = [];

const json = (body: unknown, status = 200): Handler => (_req, res) => {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(typeof body === "string" ? body : JSON.stringify(body));
};

/** vLLM's answer for `vllm serve <root> --served-model-name <id> --max-model-len <len>`. */
function vllm(models: { id: string; root: string; len?: number }[]): unknown {
  return {
    object: "list",
    data: models.map((m) => ({
      id: m.id,
      object: "model",
      created: 1735689600,
      owned_by: "vllm",
      root: m.root,
      parent: null,
      max_model_len: m.len ?? 32768,
      permission: [{ id: "modelperm-0", object: "model_permission", allow_sampling: true }],
    })),
  };
}

const layer = () => new FetchLayer({ retries: 0, backoffBaseMs: 1, timeoutMs: 5000 });

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? "", auth: req.headers.authorization });
    if (!req.url?.startsWith("/v1/models")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end(JSON.stringify({ detail: "Not Found" }));
      return;
    }
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe("discoverEndpoint", () => {
  it("reads /v1/models like vLLM: id, root, max_model_len, the answer kept verbatim", async () => {
    const answer = vllm([{ id: "meta-llama/Llama-3.1-8B-Instruct", root: "meta-llama/Llama-3.1-8B-Instruct", len: 131072 }]);
    handler = json(answer);
    const d = await discoverEndpoint(base, layer());
    expect(d).toMatchObject({
      url: `${base}/v1/models`,
      id: "meta-llama/Llama-3.1-8B-Instruct",
      root: "meta-llama/Llama-3.1-8B-Instruct",
      maxModelLen: 131072,
      source: { kind: "hub", repo: "meta-llama/Llama-3.1-8B-Instruct", revision: "main" },
    });
    expect(d.raw).toEqual(answer);
    expect(d.models).toHaveLength(1);
  });

  it("accepts the base URL, .../v1 and .../v1/models", () => {
    expect(modelsUrl("http://h:8000")).toBe("http://h:8000/v1/models");
    expect(modelsUrl("http://h:8000/")).toBe("http://h:8000/v1/models");
    expect(modelsUrl("http://h:8000/v1")).toBe("http://h:8000/v1/models");
    expect(modelsUrl("http://h:8000/v1/models")).toBe("http://h:8000/v1/models");
    expect(modelsUrl("https://gw.example/llm/v1/")).toBe("https://gw.example/llm/v1/models");
  });

  it("serves the first id not containing 'embed' (an embedding model next to the LLM); the served name differs from root", async () => {
    handler = json(
      vllm([
        { id: "bge-embed", root: "BAAI/bge-m3" },
        { id: "chat", root: "/models/qwen3-8b", len: 40960 },
        { id: "Qwen/Qwen3-0.6B", root: "Qwen/Qwen3-0.6B" },
      ]),
    );
    const d = await discoverEndpoint(`${base}/v1`, layer());
    expect(d).toMatchObject({ id: "chat", root: "/models/qwen3-8b", maxModelLen: 40960, source: { kind: "local", path: "/models/qwen3-8b" } });
    // an explicit choice wins
    expect((await discoverEndpoint(base, layer(), { model: "Qwen/Qwen3-0.6B" })).source).toEqual({ kind: "hub", repo: "Qwen/Qwen3-0.6B", revision: "main" });
  });

  it("a single embedding model is served as it is; only embeddings among several is an error", async () => {
    handler = json(vllm([{ id: "text-embedding-3", root: "BAAI/bge-m3" }]));
    expect((await discoverEndpoint(base, layer())).id).toBe("text-embedding-3");
    handler = json(vllm([{ id: "embed-a", root: "a/b" }, { id: "embed-b", root: "c/d" }]));
    await expect(discoverEndpoint(base, layer())).rejects.toMatchObject({ code: "endpoint_no_models" });
  });

  it("maps roots: Hub ids, HF cache snapshots (hub at the sha), absolute paths (local), relative paths (none)", () => {
    const sha = "0123456789abcdef0123456789abcdef01234567";
    expect(sourceFromRoot("gpt2").source).toEqual({ kind: "hub", repo: "gpt2", revision: "main" });
    expect(sourceFromRoot(`/root/.cache/huggingface/hub/models--Qwen--Qwen3-8B/snapshots/${sha}`).source).toEqual({ kind: "hub", repo: "Qwen/Qwen3-8B", revision: sha });
    expect(sourceFromRoot("/data/models/llama").source).toEqual({ kind: "local", path: "/data/models/llama" });
    expect(sourceFromRoot("./models/llama").source).toBeNull();
    expect(sourceFromRoot("my model!").source).toBeNull();
    expect(chooseServedModel([])).toBeNull();
  });

  it("falls back to the id when the server gives no root (older SGLang)", async () => {
    handler = json({ object: "list", data: [{ id: "Qwen/Qwen2.5-7B-Instruct", object: "model", owned_by: "sglang", max_model_len: 32768 }] });
    const d = await discoverEndpoint(base, layer());
    expect(d.root).toBeNull();
    expect(d.source).toEqual({ kind: "hub", repo: "Qwen/Qwen2.5-7B-Instruct", revision: "main" });
    expect(d.note).toContain("no root");
  });

  it("sends the API key as a bearer token", async () => {
    handler = (req, res) => (req.headers.authorization === "Bearer sk-local" ? json(vllm([{ id: "m", root: "org/m" }]))(req, res) : json({ error: "unauthorized" }, 401)(req, res));
    await expect(discoverEndpoint(base, layer())).rejects.toMatchObject({ code: "endpoint_http", status: 401 });
    expect((await discoverEndpoint(base, layer(), { apiKey: "sk-local" })).id).toBe("m");
  });

  describe("typed errors naming the URL", () => {
    it("unreachable", async () => {
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise<void>((r) => closed.close(() => r()));
      const err = (await discoverEndpoint(`http://127.0.0.1:${port}`, layer()).catch((e: unknown) => e)) as EndpointError;
      expect(err).toBeInstanceOf(EndpointError);
      expect(err.code).toBe("endpoint_unreachable");
      expect(err.message).toContain(`http://127.0.0.1:${port}/v1/models`);
      expect(err.url).toBe(`http://127.0.0.1:${port}/v1/models`);
    });

    it("not JSON", async () => {
      handler = (_req, res) => {
        res.writeHead(200, { "content-type": "text/html" });
        res.end("<html>nginx</html>");
      };
      const err = (await discoverEndpoint(base, layer()).catch((e: unknown) => e)) as EndpointError;
      expect(err.code).toBe("endpoint_not_json");
      expect(err.message).toContain(`${base}/v1/models`);
    });

    it("no models: an empty list, or JSON without data", async () => {
      handler = json({ object: "list", data: [] });
      await expect(discoverEndpoint(base, layer())).rejects.toMatchObject({ code: "endpoint_no_models", url: `${base}/v1/models` });
      handler = json({ models: ["x"] });
      await expect(discoverEndpoint(base, layer())).rejects.toMatchObject({ code: "endpoint_no_models" });
      handler = json(vllm([{ id: "a", root: "o/a" }]));
      await expect(discoverEndpoint(base, layer(), { model: "zzz" })).rejects.toMatchObject({ code: "endpoint_no_models" });
    });

    it("HTTP errors carry the status", async () => {
      handler = json({ detail: "boom" }, 500);
      await expect(discoverEndpoint(base, layer())).rejects.toMatchObject({ code: "endpoint_http", status: 500 });
      const err = (await discoverEndpoint(`${base}/other`, layer()).catch((e: unknown) => e)) as EndpointError;
      expect(err).toMatchObject({ code: "endpoint_http", status: 404 });
      expect(err.message).toContain(`${base}/other/v1/models`);
    });

    it("a bad URL", async () => {
      await expect(discoverEndpoint("not a url", layer())).rejects.toMatchObject({ code: "endpoint_bad_url" });
      await expect(discoverEndpoint("ftp://h/x", layer())).rejects.toMatchObject({ code: "endpoint_bad_url" });
    });
  });
});

describe("the discovered model is fingerprintable", () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab("standin-endpoint-");
    writeRepo(lab, "org/served-llama", tinyConfig());
  });
  afterAll(async () => {
    await lab?.close();
  });

  it("root (a Hub id) -> hub source -> fingerprint", async () => {
    handler = json(vllm([{ id: "llama-chat", root: "org/served-llama", len: 2048 }]));
    const d = await discoverEndpoint(base, layer());
    const spec = endpointSourceSpec(d)!;
    expect(spec).toEqual({ id: "llama-chat", repo: "org/served-llama", local: null, revision: "main" });
    const fp = await fingerprintModel({ ...spec, source: "auto" }, lab.ctx());
    expect(fp.status).toBe("ok");
    expect(fp.source.repo).toBe("org/served-llama");
    expect(fp.scale.layers).toBe(2);
  });

  it("root (an absolute path) -> local source", async () => {
    const sha = lab.store.get("org/served-llama")!.resolveRevision("main")!;
    const dir = lab.store.get("org/served-llama")!.filePath(sha, "config.json").replace(/\/config\.json$/, "");
    handler = json(vllm([{ id: "local-llama", root: dir }]));
    const d = await discoverEndpoint(base, layer());
    const spec = endpointSourceSpec(d)!;
    expect(spec.local).toBe(dir);
    const fp = await fingerprintModel({ ...spec, source: "auto" }, lab.ctx());
    expect(fp.status).toBe("ok");
    expect(fp.source.kind).toBe("local");
    expect(fp.tensorCount).toBe(21);
  });
});
