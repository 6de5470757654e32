/**
 * `standin inspect` output files (ParamAtlas parity):
 *
 *   skeleton.txt   indented module tree with parameter counts; repeated layers / experts folded
 *                  ("layers.{0..31} x32", "experts.{0..255} x256": identical subtrees only)
 *   modules.csv    one row per module: path, parent, depth, layer, expert, kind, flags, MoE group,
 *   modules.json   direct / total params, elements, bytes, tensors, dtypes
 *   routers.csv    one row per router: experts scored, hidden size, dtype, params, bias
 *   experts.csv    one row per routed expert (or per stacked-experts module, with its unit count)
 *   summary.txt    the model in a few lines, the atlas checks, the integrity findings, and as last
 *                  line `INTEGRITY: PASS` / `INTEGRITY: FAIL (...)` / `INTEGRITY: UNKNOWN (...)`
 *   summary.json   the same, machine-readable (integrity report included)
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Fingerprint } from "../fingerprint/types.js";
import type { IntegrityReport } from "../integrity/types.js";
import { formatBytes, formatCount } from "../util/format.js";
import { isDigits, type Atlas, type AtlasModule } from "./atlas.js";

export const ATLAS_SCHEMA = "standin.atlas/v1";

/** What it cost to inspect the model (defaults to the fingerprint's network counters). */
export interface InspectCost {
  requests: number;
  bytes: number;
  /** Wall time in milliseconds, when measured. */
  ms?: number;
  cached?: boolean;
}

const n = (x: number) => x.toLocaleString("en-US");

function csvCell(v: string | number | boolean | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function csv(header: string[], rows: (string | number | boolean | null)[][]): string {
  const out: string[] = [header.join(",")];
  for (const r of rows) out.push(r.map(csvCell).join(","));
  return out.join("\n") + "\n";
}

/** A module's children are a ModuleList: all numeric names. */
function isList(m: AtlasModule): boolean {
  return m.children.length > 0 && m.children.every((c) => isDigits(c.slice(c.lastIndexOf(".") + 1)));
}

function tensorsText(m: AtlasModule): string {
  if (m.tensors.length === 0) return "";
  const shown = m.tensors.slice(0, 4).map((t) => `${t.leaf} ${t.dtype} [${t.shape.join(", ")}]`);
  return `  {${shown.join("; ")}${m.tensors.length > 4 ? `; +${m.tensors.length - 4} more` : ""}}`;
}

function flagsText(m: AtlasModule): string {
  const f: string[] = [];
  if (m.isRouter) f.push("router");
  if (m.isExpert) f.push("expert");
  if (m.isSharedExpert) f.push("shared");
  if (m.moeGroup === m.path && m.path !== "") f.push("moe_group");
  return f.length > 0 ? ` (${f.join(", ")})` : "";
}

/** The indented tree; runs of identical ModuleList items are printed once as `name.{a..b} xN`. */
export function skeleton(atlas: Atlas): string {
  const by = new Map<string, AtlasModule>();
  for (const m of atlas.modules) by.set(m.path, m);
  const root = atlas.modules[0]!;
  const lines: string[] = [
    `${root.name}  ${formatCount(root.total.params)} params (${n(root.total.params)}), ${n(root.total.tensors)} tensors, ${formatBytes(root.total.bytes)}${atlas.weightFormat ? `, ${atlas.weightFormat}` : ""}`,
  ];
  const line = (m: AtlasModule, label: string, ind: string, each: boolean) => {
    lines.push(`${ind}${label}  ${formatCount(m.total.params)}${each ? " each" : ""}  ${m.blockKind}${flagsText(m)}${tensorsText(m)}`);
  };
  const stack: { m: AtlasModule; ind: string }[] = [];
  const pushChildren = (m: AtlasModule, ind: string) => {
    // children are emitted in order: push reversed
    const items: { m: AtlasModule; ind: string; label?: string; each?: boolean }[] = [];
    for (const cp of m.children) {
      const c = by.get(cp)!;
      if (!isList(c)) {
        items.push({ m: c, ind });
        continue;
      }
      const kids = c.children.map((k) => by.get(k)!);
      let i = 0;
      while (i < kids.length) {
        let j = i + 1;
        while (j < kids.length && kids[j]!.sig === kids[i]!.sig && Number(kids[j]!.name) === Number(kids[j - 1]!.name) + 1) j++;
        const first = kids[i]!;
        const last = kids[j - 1]!;
        const label = j - i > 1 ? `${c.name}.{${first.name}..${last.name}} x${j - i}` : `${c.name}.${first.name}`;
        items.push({ m: first, ind, label, each: j - i > 1 });
        i = j;
      }
    }
    for (let k = items.length - 1; k >= 0; k--) stack.push(items[k]! as { m: AtlasModule; ind: string; label?: string; each?: boolean });
  };
  pushChildren(root, "  ");
  while (stack.length > 0) {
    const it = stack.pop()! as { m: AtlasModule; ind: string; label?: string; each?: boolean };
    line(it.m, it.label ?? it.m.name, it.ind, it.each ?? false);
    pushChildren(it.m, it.ind + "  ");
  }
  return lines.join("\n") + "\n";
}

export function modulesCsv(atlas: Atlas): string {
  return csv(
    [
      "path",
      "name",
      "parent",
      "depth",
      "layer",
      "expert",
      "block_kind",
      "is_router",
      "is_expert",
      "is_shared_expert",
      "moe_group",
      "direct_params",
      "total_params",
      "direct_elements",
      "total_elements",
      "total_bytes",
      "direct_tensors",
      "total_tensors",
      "dtypes",
    ],
    atlas.modules.map((m) => [
      m.path,
      m.name,
      m.parent,
      m.depth,
      m.layer,
      m.expert,
      m.blockKind,
      m.isRouter,
      m.isExpert,
      m.isSharedExpert,
      m.moeGroup,
      m.direct.params,
      m.total.params,
      m.direct.elements,
      m.total.elements,
      m.total.bytes,
      m.direct.tensors,
      m.total.tensors,
      m.dtypes.join(";"),
    ]),
  );
}

export function routersCsv(atlas: Atlas): string {
  return csv(
    ["path", "layer", "moe_group", "experts", "hidden", "dtype", "params", "bias"],
    atlas.routers.map((r) => [r.path, r.layer, r.moeGroup, r.experts, r.hidden, r.dtype, r.params, r.bias]),
  );
}

export function expertsCsv(atlas: Atlas): string {
  return csv(
    ["path", "layer", "moe_group", "expert", "units", "params", "tensors", "dtypes"],
    atlas.experts.map((e) => [e.path, e.layer, e.moeGroup, e.expert, e.units, e.params, e.tensors, e.dtypes.join(";")]),
  );
}

/** The last line of summary.txt. */
export function integrityLine(integrity: IntegrityReport): string {
  if (integrity.status === "PASS") return "INTEGRITY: PASS";
  const errors = integrity.findings.filter((f) => f.severity === "error");
  if (integrity.status === "FAIL") {
    const codes = [...new Set(errors.map((f) => f.code))];
    return `INTEGRITY: FAIL (${errors.length} error${errors.length === 1 ? "" : "s"}: ${codes.join(", ")})`;
  }
  return `INTEGRITY: UNKNOWN (${integrity.reasons?.[0] ?? "not checked"})`;
}

export function summaryText(atlas: Atlas, integrity: IntegrityReport, fp: Fingerprint, cost?: InspectCost): string {
  const L: string[] = [];
  const src = fp.source;
  L.push(`model: ${fp.model}`);
  L.push(`source: ${src.kind} ${src.repo}${src.revision ? ` @ ${src.revision}` : ""}${src.sha ? ` (${src.sha})` : ""}, format ${src.format ?? "?"}`);
  if (fp.features.architecture) L.push(`architecture: ${fp.features.architecture}`);
  L.push(`files: ${fp.files.length} (${fp.files.filter((f) => f.kind === "safetensors").length} safetensors)`);
  const t = atlas.totals;
  const h = atlas.header;
  L.push(`tensors: ${n(t.tensors)}`);
  L.push(`params: ${n(t.params)} (${formatCount(t.params)})${fp.params?.active != null ? `, active ${n(fp.params.active)} (${formatCount(fp.params.active)})` : ""}`);
  L.push(`header elements: ${n(h.elements)}; bytes: ${n(h.bytes)} (${formatBytes(h.bytes)})`);
  L.push(`atlas totals == header totals: ${t.params === h.params && t.elements === h.elements && t.bytes === h.bytes && t.tensors === h.tensors ? "yes" : "NO"}`);
  if (atlas.weightFormat) L.push(`weight format: ${atlas.weightFormat}`);
  const s = fp.scale;
  const f = fp.features;
  const dims = [
    s.layers !== null ? `layers ${s.layers}` : null,
    s.hiddenSize !== null ? `hidden ${s.hiddenSize}` : null,
    s.heads !== null ? `heads ${s.heads}` : null,
    s.kvHeads !== null ? `kv_heads ${s.kvHeads}` : null,
    s.vocabSize !== null ? `vocab ${s.vocabSize}` : null,
  ].filter((x) => x !== null);
  if (dims.length > 0) L.push(`dims: ${dims.join(", ")}`);
  if (f.moe) {
    L.push(
      `moe: ${s.experts ?? "?"} routed experts per layer, top-${f.moeTopK ?? "?"}, shared experts ${f.sharedExperts ? "yes" : "no"}${f.denseLayerPrefix ? `, first ${f.denseLayerPrefix} layer(s) dense` : ""}`,
    );
  }
  let maxDepth = 0;
  for (const m of atlas.modules) if (m.depth > maxDepth) maxDepth = m.depth;
  L.push(`modules: ${n(atlas.modules.length)} (max depth ${maxDepth})`);
  const units = atlas.experts.reduce((a, e) => a + e.units, 0);
  L.push(`moe groups: ${atlas.moeGroups.length}; routers: ${atlas.routers.length}; routed expert units: ${n(units)}`);
  const c = cost ?? { requests: fp.network.requests, bytes: fp.network.bytes, cached: fp.network.cached };
  L.push(`cost: ${c.requests} request(s), ${formatBytes(c.bytes)} read${c.ms !== undefined ? `, ${Math.round(c.ms)} ms` : ""}${c.cached ? " (cached)" : ""}`);
  L.push("");
  L.push("atlas checks:");
  for (const ch of atlas.checks) L.push(`  ${ch.ok ? "ok  " : "FAIL"} ${ch.name}: ${ch.message}`);
  L.push("");
  const cnt = integrity.counts;
  L.push(`integrity findings: ${cnt.error} error(s), ${cnt.warning} warning(s), ${cnt.info} info`);
  for (const x of integrity.findings) L.push(`  [${x.severity}] ${x.code}: ${x.message}`);
  for (const sk of integrity.skipped ?? []) L.push(`  [skipped] ${sk}`);
  if (integrity.status !== "PASS") {
    L.push("");
    L.push("integrity reasons:");
    for (const r of integrity.reasons ?? []) L.push(`  - ${r}`);
  }
  L.push("");
  L.push(integrityLine(integrity));
  return L.join("\n") + "\n";
}

/** Write every inspect file into `dir` (created); returns the paths written. */
export function writeInspect(dir: string, atlas: Atlas, integrity: IntegrityReport, fp: Fingerprint, cost?: InspectCost): string[] {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const put = (name: string, text: string) => {
    const p = path.join(dir, name);
    writeFileSync(p, text);
    out.push(p);
  };
  put("skeleton.txt", skeleton(atlas));
  put("modules.csv", modulesCsv(atlas));
  put(
    "modules.json",
    JSON.stringify({
      schema: ATLAS_SCHEMA,
      model: atlas.model,
      weightFormat: atlas.weightFormat,
      totals: atlas.totals,
      header: atlas.header,
      checks: atlas.checks,
      modules: atlas.modules.map((m) => ({
        path: m.path,
        name: m.name,
        parent: m.parent,
        depth: m.depth,
        layer: m.layer,
        expert: m.expert,
        blockKind: m.blockKind,
        isRouter: m.isRouter,
        isExpert: m.isExpert,
        isSharedExpert: m.isSharedExpert,
        moeGroup: m.moeGroup,
        direct: m.direct,
        total: m.total,
        dtypes: m.dtypes,
      })),
    }) + "\n",
  );
  put("routers.csv", routersCsv(atlas));
  put("experts.csv", expertsCsv(atlas));
  put("summary.txt", summaryText(atlas, integrity, fp, cost));
  put(
    "summary.json",
    JSON.stringify(
      {
        schema: ATLAS_SCHEMA,
        model: fp.model,
        source: fp.source,
        weightFormat: atlas.weightFormat,
        totals: atlas.totals,
        header: atlas.header,
        checks: atlas.checks,
        modules: atlas.modules.length,
        moeGroups: atlas.moeGroups,
        routers: atlas.routers.length,
        expertUnits: atlas.experts.reduce((a, e) => a + e.units, 0),
        params: fp.params,
        cost: cost ?? { requests: fp.network.requests, bytes: fp.network.bytes, cached: fp.network.cached },
        integrity,
      },
      null,
      2,
    ) + "\n",
  );
  return out;
}
