/**
 * `standin inspect MODEL --out DIR` (or `--endpoint URL` of an OpenAI-compatible server):
 * the module atlas (skeleton.txt, modules.csv/json, routers.csv, experts.csv), the cost model and
 * a summary ending in INTEGRITY: PASS/FAIL — without downloading weights.
 */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { buildAtlas } from "../atlas/atlas.js";
import { writeInspect } from "../atlas/write.js";
import type { Extras } from "../fingerprint/acquire.js";
import { fingerprintModel, type FingerprintRequest } from "../fingerprint/index.js";
import { runIntegrity } from "../integrity/checks.js";
import { engineGaps } from "../integrity/engine-gaps.js";
import { costModel, summarizeCost } from "../plan/cost.js";
import { discoverEndpoint, endpointSourceSpec } from "../sources/endpoint.js";
import { StandinError, UsageError } from "../util/errors.js";
import { contextFrom, intOption, modelRef, NET_OPTIONS, out, parse, sourceOption, type Io } from "./common.js";

export const INSPECT_USAGE =
  "standin inspect (MODEL | --endpoint URL) --out DIR [--source MODE] [--revision REV] [--seq-len N] [--engine-supported K1,K2,...] [--api-key KEY] [--hub-url URL] [--token TOKEN]";

/** Resolve `--endpoint URL` to a fingerprint request (the endpoint's answer is kept). */
export async function endpointRequest(url: string, values: { "api-key"?: string; model?: string; source?: string }, ctx: ReturnType<typeof contextFrom>): Promise<{ req: FingerprintRequest; answer: unknown; note: string }> {
  const d = await discoverEndpoint(url, ctx.layer, { apiKey: values["api-key"], model: values.model });
  const spec = endpointSourceSpec(d);
  if (!spec) throw new StandinError("endpoint_no_source", `the endpoint serves ${d.id} but does not say where it was loaded from (${d.note})`, { hint: "pass the model id instead of --endpoint" });
  return { req: { ...spec, source: sourceOption(values.source) }, answer: { url: d.url, id: d.id, root: d.root, maxModelLen: d.maxModelLen, note: d.note, raw: d.raw }, note: d.note };
}

export async function inspectCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...NET_OPTIONS,
      out: { type: "string" },
      source: { type: "string" },
      revision: { type: "string" },
      endpoint: { type: "string" },
      "api-key": { type: "string" },
      model: { type: "string" },
      "seq-len": { type: "string" },
      "engine-supported": { type: "string" },
    },
    INSPECT_USAGE,
  );
  if (values.help) {
    out(io, `usage: ${INSPECT_USAGE}`);
    return 0;
  }
  if (!values.out) throw new UsageError("--out DIR is required", `usage: ${INSPECT_USAGE}`);
  if ((positionals.length === 1) === Boolean(values.endpoint)) throw new UsageError("give one MODEL or --endpoint URL", `usage: ${INSPECT_USAGE}`);
  const ctx = contextFrom(values, io);
  let req: FingerprintRequest;
  let endpointAnswer: unknown = null;
  if (values.endpoint) {
    const e = await endpointRequest(values.endpoint, values, ctx);
    req = e.req;
    endpointAnswer = e.answer;
    out(io, `endpoint ${values.endpoint}: serving ${req.id} (${e.note})`);
  } else {
    req = modelRef(positionals[0] as string, io, { revision: values.revision, source: sourceOption(values.source) });
  }
  const t0 = Date.now();
  let raw: Extras | null = null;
  const fp = await fingerprintModel(req, ctx, {
    onRaw: (ex) => {
      raw = ex;
    },
  });
  const ms = Date.now() - t0;
  const ex = raw as Extras | null;
  const integrity = runIntegrity({ ex, fp });
  const dir = path.resolve(io.cwd, values.out);
  const atlas = buildAtlas(ex?.raw.tensors ?? [], fp);
  const written = writeInspect(dir, atlas, integrity.report, fp, { requests: fp.network.requests, bytes: fp.network.bytes, ms, cached: fp.network.cached });
  const seqLen = intOption(values["seq-len"], "seq-len") ?? 4096;
  if (fp.status === "ok") {
    const cost = costModel(fp, { seqLen });
    const lines = summarizeCost(cost);
    await writeFile(path.join(dir, "cost.txt"), lines.join("\n") + "\n");
    await writeFile(path.join(dir, "cost.json"), JSON.stringify(cost, null, 2) + "\n");
    written.push(path.join(dir, "cost.txt"), path.join(dir, "cost.json"));
    const supported = values["engine-supported"]?.split(",").map((s) => s.trim()).filter(Boolean) ?? null;
    const gaps = engineGaps(fp, ex?.raw.tensors ?? null, supported);
    await writeFile(path.join(dir, "engine-gaps.json"), JSON.stringify(gaps, null, 2) + "\n");
    written.push(path.join(dir, "engine-gaps.json"));
    out(io, lines.join("\n"));
    if (supported) out(io, gaps.missing.length ? `engine gaps: ${gaps.missing.map((m) => `${m.kind} (${m.tensors.slice(0, 2).join(", ")})`).join("; ")}` : "engine gaps: none");
  }
  await writeFile(path.join(dir, "fingerprint.json"), JSON.stringify(fp, null, 2) + "\n");
  written.push(path.join(dir, "fingerprint.json"));
  if (endpointAnswer) {
    await writeFile(path.join(dir, "endpoint.json"), JSON.stringify(endpointAnswer, null, 2) + "\n");
    written.push(path.join(dir, "endpoint.json"));
  }
  out(io, `wrote ${written.length} files to ${path.relative(io.cwd, dir) || "."}: ${written.map((w) => path.basename(w)).join(", ")}`);
  out(io, `INTEGRITY: ${integrity.report.status}${integrity.report.status === "FAIL" ? ` (${integrity.report.counts.error} error(s))` : ""}`);
  return integrity.report.status === "PASS" ? 0 : 1;
}
