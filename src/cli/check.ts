/**
 * `standin check [model-zoo.yaml]`, `standin plan [model-zoo.yaml]`, `standin compare A B [C...]`.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { parseFailOn, parseShard, runCheck } from "../check.js";
import { compareAllPairs } from "../compare/index.js";
import { fingerprintModels } from "../fingerprint/index.js";
import { loadManifest } from "../manifest/load.js";
import type { Manifest } from "../manifest/types.js";
import { pairsCsv } from "../report/csv.js";
import { toJson } from "../report/json.js";
import { renderReport } from "../report/markdown.js";
import { renderCheckTerminal, renderCompareTerminal, renderPlanTerminal } from "../report/terminal.js";
import { createRunContext } from "../sources/index.js";
import { buildCodeId } from "../util/code-id.js";
import { UsageError } from "../util/errors.js";
import { formatBytes } from "../util/format.js";
import { displayPath, err, intOption, modelRef, NET_OPTIONS, out, parse, sourceOption, style, type Io } from "./common.js";

export const CHECK_USAGE =
  "standin check [MANIFEST] [--fail-on LIST] [--json FILE] [--markdown FILE] [--csv FILE] [--format table|json|markdown] [--seq-len N] [--shard i/n] [--hub-url URL] [--token TOKEN] [--cache-dir DIR]";
export const PLAN_USAGE = "standin plan [MANIFEST] [--seq-len N] [--json] [--hub-url URL] [--token TOKEN] [--cache-dir DIR]";
export const COMPARE_USAGE = "standin compare TARGET PROXY [MORE...] [--json] [--source MODE] [--hub-url URL] [--token TOKEN]";

async function writeOut(file: string, text: string, io: Io): Promise<void> {
  const p = path.resolve(io.cwd, file);
  await mkdir(path.dirname(p), { recursive: true });
  await writeFile(p, text);
}

/** Flags, then environment, then the manifest's `defaults.hub`. */
function contextFor(values: Record<string, string | boolean | string[] | undefined>, io: Io, manifest: Manifest | null) {
  const s = (k: string): string | undefined => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const timeout = intOption(s("timeout"), "timeout");
  return createRunContext({
    hubUrl: s("hub-url") ?? io.env.HF_ENDPOINT ?? manifest?.defaults.hub ?? null,
    token: s("token") ?? null,
    cacheDir: s("cache-dir") ?? io.env.STANDIN_CACHE_DIR ?? null,
    concurrency: intOption(s("concurrency"), "concurrency"),
    retries: intOption(s("retries"), "retries", 0),
    timeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    stallTimeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    env: io.env,
  });
}

function progress(io: Io, total: number): (fp: { model: string; status: string; error: { message: string } | null }) => void {
  let n = 0;
  const tty = !!io.stderr.isTTY;
  return (fp) => {
    n++;
    if (tty) err(io, `  [${n}/${total}] ${fp.model}${fp.status === "ok" ? "" : `: UNKNOWN (${fp.error?.message ?? ""})`}`);
  };
}

export async function checkCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      ...NET_OPTIONS,
      "fail-on": { type: "string" },
      json: { type: "string" },
      markdown: { type: "string" },
      csv: { type: "string" },
      format: { type: "string" },
      "seq-len": { type: "string" },
      shard: { type: "string" },
    },
    CHECK_USAGE,
  );
  if (values.help) {
    out(io, `usage: ${CHECK_USAGE}\n\nfail-on: comma-separated none | no-substitute | partial | integrity | expectations (default integrity,expectations).\nPairs with \`require\` are gated unless fail-on is none. Exit 0 when the gate passes, 1 when it fails, 2 on usage/manifest errors.`);
    return 0;
  }
  if (positionals.length > 1) throw new UsageError("check takes one manifest", `usage: ${CHECK_USAGE}`);
  const format = values.format ?? "table";
  if (!["table", "json", "markdown"].includes(format)) throw new UsageError(`--format must be table, json or markdown, got "${format}"`);
  const manifest = await loadManifest(displayPath(positionals[0] ?? "model-zoo.yaml", io));
  const failOn = parseFailOn(values["fail-on"]);
  const shard = parseShard(values.shard);
  const ctx = contextFor(values, io, manifest);
  const results = await runCheck(manifest, ctx, {
    failOn,
    shard,
    seqLen: intOption(values["seq-len"], "seq-len"),
    maxHeaderBytes: intOption(values["max-header-bytes"], "max-header-bytes"),
    onnxBudgetBytes: intOption(values["onnx-budget"], "onnx-budget"),
    onModel: progress(io, manifest.models.length),
    codeId: buildCodeId(),
  });
  if (values.json) await writeOut(values.json, toJson(results), io);
  if (values.markdown) await writeOut(values.markdown, renderReport(results), io);
  if (values.csv) await writeOut(values.csv, pairsCsv(results), io);
  if (format === "json") out(io, toJson(results));
  else if (format === "markdown") out(io, renderReport(results));
  else {
    const cols = (io.stdout as { columns?: number }).columns;
    out(io, renderCheckTerminal(results, style(io), cols ? { width: Math.max(80, cols) } : {}));
    out(io, `network: ${results.network.requests} requests, ${formatBytes(results.network.bytes)}${results.network.cacheHits ? `, ${results.network.cacheHits} cache hits` : ""}`);
  }
  return results.gate.passed ? 0 : 1;
}

export async function planCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { ...NET_OPTIONS, json: { type: "boolean" }, "seq-len": { type: "string" } }, PLAN_USAGE);
  if (values.help) {
    out(io, `usage: ${PLAN_USAGE}`);
    return 0;
  }
  const manifest = await loadManifest(displayPath(positionals[0] ?? "model-zoo.yaml", io));
  const ctx = contextFor(values, io, manifest);
  const results = await runCheck(manifest, ctx, { failOn: ["none"], seqLen: intOption(values["seq-len"], "seq-len"), codeId: buildCodeId() });
  if (values.json) out(io, JSON.stringify(results.plans, null, 2));
  else out(io, renderPlanTerminal(results.plans, style(io)));
  return results.plans.some((p) => p.error) ? 1 : 0;
}

export async function compareCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...NET_OPTIONS, json: { type: "boolean" }, source: { type: "string" }, revision: { type: "string" }, alias: { type: "string", multiple: true } },
    COMPARE_USAGE,
  );
  if (values.help) {
    out(io, `usage: ${COMPARE_USAGE}\n\nCompares every ordered pair: can each model stand in for each other one? With two models, TARGET first then PROXY.\n--alias A,B: architecture classes your engine serves with one implementation (repeatable).`);
    return 0;
  }
  if (positionals.length < 2) throw new UsageError("compare needs at least two models", `usage: ${COMPARE_USAGE}`);
  const source = sourceOption(values.source);
  const reqs = positionals.map((p) => modelRef(p, io, { revision: values.revision, source }));
  const ctx = contextFor(values, io, null);
  const fps = await fingerprintModels(reqs, ctx, {});
  const aliases = (values.alias ?? []).map((a) => a.split(",").map((x) => x.trim()).filter(Boolean));
  // Two models: TARGET PROXY. More: all ordered pairs.
  const comps =
    fps.length === 2
      ? compareAllPairs(fps, { aliases }).filter((c) => c.target === fps[0]?.model)
      : compareAllPairs(fps, { aliases });
  if (values.json) out(io, JSON.stringify(comps, null, 2));
  else out(io, renderCompareTerminal(comps, style(io)));
  return comps.some((c) => c.verdict === "UNKNOWN") ? 1 : 0;
}
