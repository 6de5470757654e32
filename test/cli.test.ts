/**
 * The CLI end to end (in-process main(), real HTTP to the demo Hub): fingerprint, compare, plan,
 * check (exit codes 0 / 1 / 2), inspect, report, and --endpoint discovery.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEMO_MANIFEST, startDemoHub } from "../demo/build.js";
import { main } from "../src/cli/main.js";
import type { Fingerprint } from "../src/fingerprint/types.js";
import type { HubServer } from "./hub/server.js";

let hub: HubServer;
let tmp: string;

class Sink extends Writable {
  text = "";
  override _write(chunk: Buffer, _enc: string, cb: () => void): void {
    this.text += chunk.toString("utf8");
    cb();
  }
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  const stdout = new Sink();
  const stderr = new Sink();
  const code = await main(args, { stdout, stderr, env: { HF_ENDPOINT: hub.url, ...env }, cwd: tmp });
  return { code, out: stdout.text, err: stderr.text };
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "standin-cli-"));
  hub = await startDemoHub(path.join(tmp, "hub"));
}, 60_000);

afterAll(async () => {
  await hub?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("standin fingerprint", () => {
  it("prints a table with requests: 1 info + 1 config + 1 index + 1 per shard for a sharded model", async () => {
    const r = await cli(["fingerprint", "meta-llama/Llama-3.1-70B-Instruct", "Qwen/Qwen3-0.6B"]);
    expect(r.code).toBe(0);
    const lines = r.out.split("\n");
    expect(lines[0]).toMatch(/model\s+rev\s+source\s+files\s+tensors\s+params/);
    const row70 = lines.find((l) => l.startsWith("meta-llama/Llama-3.1-70B-Instruct"))!;
    const json = await cli(["fingerprint", "--json", "meta-llama/Llama-3.1-70B-Instruct"]);
    const fp = (JSON.parse(json.out) as Fingerprint[])[0]!;
    const shards = fp.files.filter((f) => f.kind === "safetensors").length;
    expect(shards).toBeGreaterThan(10);
    expect(fp.network.requests).toBe(1 + 1 + 1 + shards);
    expect(row70).toMatch(new RegExp(`\\s${1 + 1 + 1 + shards}\\s+bf16`));
    expect(row70).toMatch(/70\.\d+B/);
    expect(fp.tensorCount).toBe(80 * 9 + 3); // 9 tensors per layer + embed, final norm, lm_head
    expect(r.out).toMatch(/2 models: \d+ requests/);
  });

  it("a gated model is UNKNOWN with the reason, exit 1; a token with access reads it", async () => {
    const r = await cli(["fingerprint", "acme/gated-llama"]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/UNKNOWN.*gated/);
    const ok = await cli(["fingerprint", "--token", "hf_demoAccessTokenXXXXXXXXXXXXXXXXXX", "acme/gated-llama"]);
    expect(ok.code).toBe(0);
    expect(ok.out + ok.err).not.toContain("hf_demoAccessToken");
  });

  it("usage errors exit 2 with a hint", async () => {
    const r = await cli(["fingerprint", "not a model id!"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/not a Hugging Face model id/);
    expect((await cli(["fingerprint", "--bogus"])).code).toBe(2);
    expect((await cli(["frobnicate"])).code).toBe(2);
  });
});

describe("standin compare / plan", () => {
  it("compare TARGET PROXY gives the verdict with reasons", async () => {
    const r = await cli(["compare", "meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Llama-3.1-8B-Instruct"]);
    expect(r.code).toBe(0);
    expect(r.out).toContain("FULL");
    const q = await cli(["compare", "--json", "Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-8B"]);
    const comps = JSON.parse(q.out) as { target: string; verdict: string; reasons: { feature: string }[] }[];
    expect(comps).toHaveLength(1);
    expect(comps[0]!.verdict).toBe("NO_SUBSTITUTE");
    expect(comps[0]!.reasons.map((x) => x.feature)).toContain("moe");
  });

  it("plan prints L1-L4 per target with a GPU", async () => {
    const r = await cli(["plan", path.relative(tmp, DEMO_MANIFEST)]);
    expect(r.out).toMatch(/L4/);
    expect(r.out).toMatch(/GB/);
  });
});

describe("standin check", () => {
  it("exit 1 when the gate fails (a gated model), 0 with --fail-on none; writes JSON, markdown and CSV", async () => {
    const manifest = path.relative(tmp, DEMO_MANIFEST);
    const r = await cli(["check", manifest, "--json", "out/results.json", "--markdown", "out/report.md", "--csv", "out/pairs.csv"]);
    expect(r.code).toBe(1);
    expect(r.out.split("\n")[0]).toMatch(/standin: 1 gate failure/);
    for (const f of ["results.json", "report.md", "pairs.csv"]) expect(existsSync(path.join(tmp, "out", f))).toBe(true);
    expect(readFileSync(path.join(tmp, "out", "report.md"), "utf8").split("\n")[0]).toMatch(/standin/);
    const none = await cli(["check", manifest, "--fail-on", "none", "--format", "json"]);
    expect(none.code).toBe(0);
    expect(JSON.parse(none.out).schema).toBe("standin.results/v1");
  });

  it("a bad manifest exits 2 with file:line:col and the key", async () => {
    const bad = path.join(tmp, "bad.yaml");
    writeFileSync(bad, "version: 1\nmodels:\n  - id: Qwen/Qwen3-8B\n    revison: main\n");
    const r = await cli(["check", "bad.yaml"]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml:4:5: models\[0\]\.revison: .*did you mean `revision`/);
  });

  it("report renders a results file; a non-results file is a clear error", async () => {
    const r = await cli(["report", "out/results.json", "--markdown", "out/again.md", "--matrix-csv", "out/matrix.csv"]);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(tmp, "out/again.md"), "utf8")).toContain("Llama-3.1-70B-Instruct");
    writeFileSync(path.join(tmp, "nope.json"), "{}");
    const bad = await cli(["report", "nope.json"]);
    expect(bad.code).toBe(2); // an input error, like a bad manifest
    expect(bad.err).toMatch(/not a standin results file/);
    expect(bad.err).toMatch(/nope\.json/);
    const missing = await cli(["report", "missing.json"]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/cannot read missing\.json/);
    expect(missing.err).toMatch(/standin check --json/);
  });
});

describe("standin inspect", () => {
  it("writes the atlas files and a summary ending in INTEGRITY: PASS", async () => {
    const r = await cli(["inspect", "Qwen/Qwen3-30B-A3B", "--out", "atlas", "--engine-supported", "full_attention,gqa,rope"]);
    expect(r.code, r.err).toBe(0);
    for (const f of ["skeleton.txt", "modules.csv", "modules.json", "routers.csv", "experts.csv", "summary.txt", "cost.txt", "engine-gaps.json"]) {
      expect(existsSync(path.join(tmp, "atlas", f)), f).toBe(true);
    }
    const summary = readFileSync(path.join(tmp, "atlas", "summary.txt"), "utf8").trim().split("\n");
    expect(summary.at(-1)).toBe("INTEGRITY: PASS");
    expect(r.out).toMatch(/engine gaps: .*moe/);
    expect(readFileSync(path.join(tmp, "atlas", "routers.csv"), "utf8").trim().split("\n")).toHaveLength(1 + 48);
  });

  it("--endpoint reads /v1/models of an OpenAI-compatible server and fingerprints the served model", async () => {
    const vllm = http.createServer((req, res) => {
      if (req.url === "/v1/models") {
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ object: "list", data: [{ id: "qwen-small", object: "model", root: "Qwen/Qwen3-0.6B", max_model_len: 40960, owned_by: "vllm" }] }));
      } else {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => vllm.listen(0, "127.0.0.1", r));
    try {
      const url = `http://127.0.0.1:${(vllm.address() as AddressInfo).port}`;
      const r = await cli(["inspect", "--endpoint", url, "--out", "served"]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/serving qwen-small/);
      const ep = JSON.parse(readFileSync(path.join(tmp, "served", "endpoint.json"), "utf8")) as { root: string; maxModelLen: number };
      expect(ep.root).toBe("Qwen/Qwen3-0.6B");
      expect(ep.maxModelLen).toBe(40960);
      const fp = JSON.parse(readFileSync(path.join(tmp, "served", "fingerprint.json"), "utf8")) as Fingerprint;
      expect(fp.features.architecture).toBe("Qwen3ForCausalLM");
    } finally {
      vllm.close();
    }
  });
});
