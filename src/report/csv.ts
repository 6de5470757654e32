/**
 * CSV exports of the results file (RFC 4180): a header row, a stable column order, CRLF line
 * breaks, fields quoted when they hold a quote, comma, CR or LF (quotes doubled). Text cells that a
 * spreadsheet would run as a formula (starting with =, +, -, @, tab or CR) get a leading `'`
 * (numbers are written as numbers).
 */
import { formatReason } from "./markdown.js";
import type { Results } from "./types.js";

export type CsvValue = string | number | boolean | null | undefined;

const FORMULA_START = /^[=+\-@\t\r]/;

/** One CSV field: formula-neutralized, then quoted when needed. */
export function csvField(v: CsvValue): string {
  if (v === null || v === undefined) return "";
  let s: string;
  if (typeof v === "number") s = Number.isFinite(v) ? String(v) : "";
  else {
    s = String(v);
    if (FORMULA_START.test(s)) s = `'${s}`;
  }
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Rows (the first one is the header) to an RFC 4180 document, CRLF after every record. */
export function toCsv(header: readonly string[], rows: readonly (readonly CsvValue[])[]): string {
  const line = (r: readonly CsvValue[]): string => r.map(csvField).join(",");
  return [line(header), ...rows.map(line)].map((l) => `${l}\r\n`).join("");
}

export const PAIRS_COLUMNS = [
  "target",
  "proxy",
  "verdict",
  "require",
  "ok",
  "isomorphism",
  "key_overlap",
  "reasons",
  "reason_features",
  "block_graph_reasons",
  "extras",
  "unverified",
  "error",
  "manifest_line",
] as const;

/** The manifest pairs, one row each, in results order. */
export function pairsCsv(results: Results): string {
  const rows = results.pairs.map((p) => [
    p.target,
    p.proxy,
    p.verdict,
    p.require,
    p.ok,
    p.isomorphism.verdict,
    p.isomorphism.keyOverlap,
    p.reasons.map((r) => formatReason(r, 200)).join("; "),
    p.reasons.map((r) => r.feature).join(" "),
    p.reasons.filter((r) => r.blockGraph).length,
    p.extras.map((r) => formatReason(r, 200)).join("; "),
    p.unverified.map((r) => r.feature).join(" "),
    p.error ?? null,
    p.line ?? null,
  ]);
  return toCsv(PAIRS_COLUMNS, rows);
}

export const MATRIX_COLUMNS = ["target", "proxy", "verdict", "isomorphism", "uncovered"] as const;

/** The all-pairs matrix in long form: one row per ordered (target, proxy) cell. */
export function matrixCsv(results: Results): string {
  return toCsv(
    MATRIX_COLUMNS,
    results.matrix.map((c) => [c.target, c.proxy, c.verdict, c.isomorphism, c.uncovered.join(" ")]),
  );
}

export const MODELS_COLUMNS = [
  "model",
  "status",
  "source_kind",
  "repo",
  "revision",
  "sha",
  "source_format",
  "architecture",
  "params",
  "active_params",
  "weight_bytes",
  "weight_bytes_estimated",
  "weight_format",
  "layers",
  "hidden_size",
  "integrity",
  "integrity_errors",
  "integrity_warnings",
  "requests",
  "bytes_read",
  "error",
] as const;

/** One row per model: source, size, format, integrity, network. */
export function modelsCsv(results: Results): string {
  const integ = new Map(results.integrity.map((r) => [r.model, r]));
  const rows = results.models.map((m) => {
    const i = integ.get(m.model);
    return [
      m.model,
      m.status,
      m.source.kind,
      m.source.repo,
      m.source.revision,
      m.source.sha,
      m.source.format,
      m.features.architecture,
      m.params?.total ?? null,
      m.params?.active ?? null,
      m.weightBytes?.total ?? null,
      m.weightBytes ? m.weightBytes.estimated === true : null,
      m.features.weightFormat,
      m.scale.layers,
      m.scale.hiddenSize,
      i?.status ?? null,
      i?.counts.error ?? null,
      i?.counts.warning ?? null,
      m.network.requests,
      m.network.bytes,
      m.error ? `${m.error.code}: ${m.error.message}` : null,
    ];
  });
  return toCsv(MODELS_COLUMNS, rows);
}
