/**
 * `standin fingerprint MODEL...`: a table for people, `--json` for machines.
 */
import { fingerprintModels } from "../fingerprint/index.js";
import type { Fingerprint } from "../fingerprint/types.js";
import { renderTable, type Style } from "../report/table.js";
import { formatBytes, formatCount, plural } from "../util/format.js";
import { UsageError } from "../util/errors.js";
import { contextFrom, intOption, modelRef, NET_OPTIONS, out, parse, sourceOption, style, type Io } from "./common.js";
import { endpointRequest } from "./inspect.js";

export const FINGERPRINT_USAGE = "standin fingerprint MODEL... [--endpoint URL] [--json] [--source auto|config|safetensors|onnx|gguf] [--revision REV] [--hub-url URL] [--token TOKEN] [--cache-dir DIR]";

export async function fingerprintCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { ...NET_OPTIONS, json: { type: "boolean" }, source: { type: "string" }, revision: { type: "string" }, endpoint: { type: "string" }, "api-key": { type: "string" }, model: { type: "string" } },
    FINGERPRINT_USAGE,
  );
  if (values.help) {
    out(io, `usage: ${FINGERPRINT_USAGE}\n\nMODEL is a Hub id (ns/name), ns/name@<40-hex sha>, or local:PATH.`);
    return 0;
  }
  if (positionals.length === 0 && !values.endpoint) throw new UsageError("no model given", `usage: ${FINGERPRINT_USAGE}`);
  const source = sourceOption(values.source);
  const reqs = positionals.map((p) => modelRef(p, io, { revision: values.revision, source }));
  const ctx = contextFrom(values, io);
  if (values.endpoint) {
    const e = await endpointRequest(values.endpoint, values, ctx);
    reqs.push(e.req);
    if (!values.json) out(io, `endpoint ${values.endpoint}: serving ${e.req.id} (${e.note})`);
  }
  const fps = await fingerprintModels(reqs, ctx, {
    maxHeaderBytes: intOption(values["max-header-bytes"], "max-header-bytes"),
    onnxBudgetBytes: intOption(values["onnx-budget"], "onnx-budget"),
  });
  if (values.json) {
    out(io, JSON.stringify(fps, null, 2));
  } else {
    out(io, renderFingerprints(fps, style(io)));
    out(io, `${plural(fps.length, "model")}: ${ctx.layer.total.requests} requests, ${formatBytes(ctx.layer.total.bytes)} transferred${ctx.layer.total.retries ? `, ${ctx.layer.total.retries} retries` : ""}`);
  }
  return fps.some((f) => f.status !== "ok") ? 1 : 0;
}

export function renderFingerprints(fps: Fingerprint[], s: Style): string {
  const rows = fps.map((f) => {
    if (f.status !== "ok") {
      return [s.bold(f.model), f.source.sha?.slice(0, 7) ?? "-", s.red("UNKNOWN"), "", "", "", "", "", "", String(f.network.requests), s.red(f.error?.message ?? "")];
    }
    const st = f.files.filter((x) => x.kind === "safetensors" || x.kind === "onnx" || x.kind === "gguf");
    const headerBytes = st.reduce((a, x) => a + (x.headerLength !== undefined ? x.headerLength + 8 : x.bytesRead), 0);
    const byDtype = f.params
      ? Object.entries(f.params.byDtype)
          .sort((a, b) => b[1] - a[1])
          .map(([d, n]) => `${d} ${formatCount(n)}`)
          .join(", ")
      : "";
    return [
      s.bold(f.model),
      f.source.sha?.slice(0, 7) ?? "local",
      f.source.format ?? "?",
      String(st.length || f.files.length),
      f.tensorCount === null ? "-" : f.tensorCount.toLocaleString("en-US"),
      f.params ? `${formatCount(f.params.total)}${f.params.from === "config" ? " (config)" : ""}` : "?",
      byDtype,
      f.weightBytes ? `${formatBytes(f.weightBytes.total)}${f.weightBytes.estimated ? " (est.)" : ""}` : "?",
      f.network.cached ? "cached" : formatBytes(headerBytes),
      String(f.network.requests),
      f.features.weightFormat ?? "",
    ];
  });
  return renderTable(
    [
      { header: "model" },
      { header: "rev" },
      { header: "source" },
      { header: "files", align: "right" },
      { header: "tensors", align: "right" },
      { header: "params", align: "right" },
      { header: "by dtype" },
      { header: "weights", align: "right" },
      { header: "header bytes", align: "right" },
      { header: "requests", align: "right" },
      { header: "format / error" },
    ],
    rows,
    s,
  );
}
