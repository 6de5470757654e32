/**
 * Static sections of the HTML dashboard (readable with JavaScript off): per-target test plans and
 * per-model cards (features, parameters by dtype, weight bytes, KV cache, integrity, module tree).
 * Every string from the results is escaped with `escapeHtml`.
 */
import type { Verdict } from "../compare/types.js";
import { FEATURE_REGISTRY, SCALE_REGISTRY } from "../fingerprint/features.js";
import type { AbstractTensor, Finding, Fingerprint, WeightSignature } from "../fingerprint/types.js";
import type { ExpectationResult, IntegrityReport } from "../integrity/types.js";
import { LEVELS, type HardwareFit, type Level, type TargetPlan } from "../plan/types.js";
import { formatBytes, formatCount, plural } from "../util/format.js";
import { escapeHtml, VERDICT_BADGES } from "./markdown.js";

const esc = escapeHtml;

/**
 * A number from the results as text: grouped when it is a finite number, else whatever it is,
 * escaped (a results file is checked for its shape, not for every value's type).
 */
export function num(v: unknown): string {
  return typeof v === "number" && Number.isFinite(v) ? v.toLocaleString("en-US") : esc(String(v ?? "?"));
}

const SEVERITIES: ReadonlySet<string> = new Set(["error", "warning", "info"]);

/** Verdict letter used by the dashboard (class suffix and cell text differ only for UNKNOWN). */
export const VERDICT_LETTER: Record<Verdict, "F" | "P" | "N" | "U"> = {
  FULL_SUBSTITUTE: "F",
  PARTIAL_SUBSTITUTE: "P",
  NO_SUBSTITUTE: "N",
  UNKNOWN: "U",
};

/** A verdict chip: colour, letter and word ("F FULL"): never colour alone. */
export function verdictChip(v: Verdict): string {
  const b = VERDICT_BADGES[v];
  return `<span class="chip v${VERDICT_LETTER[v]}">${b.letter} ${b.word}</span>`;
}

export function integrityBadge(status: IntegrityReport["status"] | undefined): string {
  if (status === "PASS") return `<span class="pass">✓ PASS</span>`;
  if (status === "FAIL") return `<span class="fail">✗ FAIL</span>`;
  if (status === "UNKNOWN") return `<span class="unk">? UNKNOWN</span>`;
  return `<span class="muted">—</span>`;
}

/** Index of each model in display order, for anchors (`m3` card, `t3` plan). */
export interface Anchors {
  index: ReadonlyMap<string, number>;
}

function modelLink(id: string, a: Anchors, prefix: "m" | "t" = "m"): string {
  const i = a.index.get(id);
  return i === undefined ? esc(id) : `<a href="#${prefix}${i}" data-card="${prefix}${i}">${esc(id)}</a>`;
}

// ------------------------------------------------------------------------------------------------
// Plans

export function gpuFitText(h: HardwareFit): string {
  if (h.gpuClass === null || h.tensorParallel === null) {
    return h.note ? `? (${h.note})` : h.totalBytes !== null ? `does not fit (${formatBytes(h.totalBytes)})` : "?";
  }
  return `${h.tensorParallel} × ${h.gpuClass}`;
}

function memoryText(h: HardwareFit): string {
  const parts: string[] = [];
  if (h.totalBytes !== null) parts.push(`${h.weightsEstimated ? "≈" : ""}${formatBytes(h.totalBytes)} total`);
  if (h.weightBytes !== null) parts.push(`${formatBytes(h.weightBytes)} weights`);
  if (h.kvBytes !== null) parts.push(`${formatBytes(h.kvBytes)} KV @ ${h.seqLen.toLocaleString("en-US")} tokens`);
  return parts.join(" · ") || "?";
}

/** Plan verdict letter for filters: F / P, N when no covering proxy, U when not planned. */
export function planLetter(p: TargetPlan): "F" | "P" | "N" | "U" {
  if (p.error) return "U";
  if (p.proxyVerdict === "FULL_SUBSTITUTE") return "F";
  if (p.proxyVerdict === "PARTIAL_SUBSTITUTE") return "P";
  return "N";
}

/** A foldable item: the summary line (always in the page) and the body (inline, or inserted by the script when opened). */
export interface Foldable {
  id: string;
  summary: string;
  body: string;
}

/** `<li><details><summary>…</summary><div class="body">…</div></details></li>`; with `lazy`, the body is left empty for the script. */
export function foldItem(f: Foldable, kind: "plan" | "card", attrs: string, lazy: boolean): string {
  const body = lazy ? `<div class="body" data-lazy="${f.id}"></div>` : `<div class="body">${f.body}</div>`;
  return `<li ${attrs}><details class="${kind}" id="${f.id}"><summary>${f.summary}</summary>${body}</details></li>`;
}

export function renderPlan(p: TargetPlan, a: Anchors): Foldable {
  const i = a.index.get(p.target) ?? -1;
  const l4 = p.entries.find((e) => e.level === "L4");
  let head: string;
  if (p.error) head = `<span class="chip vU">? not planned</span> <span class="muted">${esc(p.error)}</span>`;
  else if (p.proxy && p.proxyVerdict) head = `<span class="muted">← cheapest covering proxy</span> <span>${esc(p.proxy)}</span> ${verdictChip(p.proxyVerdict)}`;
  else head = `<span class="muted">no smaller covering proxy: the target runs every level</span>`;
  const unc = p.uncovered.length > 0 ? `<span class="uncov">uncovered: ${esc(p.uncovered.map((r) => r.label).join(", "))}</span>` : p.proxy ? `<span class="muted">covers every feature</span>` : "";
  const l4Text = l4 ? `<span class="muted">L4 on ${esc(gpuFitText(l4.hardware))}</span>` : "";
  const rows = p.entries
    .map(
      (e) =>
        `<tr><th scope="row">${esc(e.level)} <span class="muted">${esc(LEVELS[e.level]?.split(":")[0] ?? "")}</span></th><td>${modelLink(e.model, a)}</td><td>${esc(e.reason)}</td><td>${esc(gpuFitText(e.hardware))}</td><td>${esc(memoryText(e.hardware))}</td></tr>`,
    )
    .join("");
  const table =
    p.entries.length > 0
      ? `<table class="t"><caption class="sr">Test plan of ${esc(p.target)}</caption><thead><tr><th scope="col">Level</th><th scope="col">Model</th><th scope="col">Why</th><th scope="col">GPU fit</th><th scope="col">Memory</th></tr></thead><tbody>${rows}</tbody></table>`
      : "";
  const uncList =
    p.uncovered.length > 0
      ? `<h4>Uncovered features (proxy → target)</h4><ul>${p.uncovered.map((r) => `<li>${esc(r.label)}: ${esc(r.proxy)} → ${esc(r.target)}${r.blockGraph ? " <span class=\"muted\">(block graph)</span>" : ""}${r.note ? ` <span class="muted">(${esc(r.note)})</span>` : ""}</li>`).join("")}</ul>`
      : "";
  const sizes =
    p.targetWeightBytes != null || p.proxyWeightBytes != null
      ? `<p class="note">Weights: target ${formatBytes(p.targetWeightBytes ?? null)}${p.proxy ? `, proxy ${formatBytes(p.proxyWeightBytes ?? null)}` : ""}.</p>`
      : "";
  const notes = p.notes && p.notes.length > 0 ? `<ul class="note">${p.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : "";
  const cardLink = i >= 0 ? `<p class="note"><a href="#m${i}" data-card="m${i}">Model card of ${esc(p.target)}</a></p>` : "";
  return { id: `t${i}`, summary: `<span class="sum-id">${esc(p.target)}</span> ${head} ${unc} ${l4Text}`, body: `${table}${uncList}${sizes}${notes}${cardLink}` };
}

export function renderPlansSection(plans: readonly TargetPlan[], order: ReadonlyMap<string, number>, a: Anchors, lazy: Map<string, string> | null): string {
  const sorted = [...plans].sort((x, y) => (order.get(x.target) ?? 1e9) - (order.get(y.target) ?? 1e9));
  const full = plans.filter((p) => p.proxyVerdict === "FULL_SUBSTITUTE").length;
  const partial = plans.filter((p) => p.proxyVerdict === "PARTIAL_SUBSTITUTE").length;
  const none = plans.filter((p) => !p.error && !p.proxy).length;
  const err = plans.filter((p) => p.error).length;
  const levels = (Object.keys(LEVELS) as Level[]).map((l) => `<b>${l}</b> ${esc(LEVELS[l])}`).join(" · ");
  const body =
    plans.length === 0
      ? `<p class="note">No test plans in these results.</p>`
      : `<ul class="plans" id="plan-list">${sorted
          .map((p) => {
            const f = renderPlan(p, a);
            if (lazy) lazy.set(f.id, f.body);
            return foldItem(f, "plan", `data-i="${a.index.get(p.target) ?? -1}" data-v="${planLetter(p)}"`, lazy !== null);
          })
          .join("")}</ul>`;
  return `<section id="targets" aria-labelledby="h-targets"><h2 id="h-targets">Targets: cheapest covering proxy and test plan</h2>
<p class="note">${plural(plans.length, "target")}: ${full} with a FULL proxy, ${partial} with a PARTIAL proxy, ${none} without a smaller covering proxy${err > 0 ? `, ${err} not planned` : ""}. ${levels}.</p>
${body}</section>`;
}

// ------------------------------------------------------------------------------------------------
// Module tree (from the signature's normalized keys)

interface TreeNode {
  name: string;
  children: Map<string, TreeNode>;
  leaf: AbstractTensor | null;
  keys: number;
  tensors: number;
}

function node(name: string): TreeNode {
  return { name, children: new Map(), leaf: null, keys: 0, tensors: 0 };
}

/** The module tree of a signature: one node per dotted segment, leaves carry shape/dtype/count/kind. */
export function moduleTree(sig: WeightSignature): TreeNode {
  const root = node("");
  for (const [key, t] of Object.entries(sig.keys)) {
    let cur = root;
    cur.keys++;
    cur.tensors += t.count;
    for (const seg of key.split(".")) {
      let next = cur.children.get(seg);
      if (!next) {
        next = node(seg);
        cur.children.set(seg, next);
      }
      cur = next;
      cur.keys++;
      cur.tensors += t.count;
    }
    cur.leaf = t;
  }
  return root;
}

function leafText(t: AbstractTensor): string {
  const shape = t.shape.length === 0 ? "scalar" : t.shape.join("×");
  return `${shape} ${t.dtype}${t.count > 1 ? ` ×${t.count.toLocaleString("en-US")}` : ""} · ${t.kind}`;
}

/** Tree nodes rendered; past `maxNodes` the rest is summarized (a 90k-tensor model folds to a few hundred keys anyway). */
function renderTreeNode(n: TreeNode, depth: number, budget: { left: number }): string {
  // Merge single-child chains: "layers" -> "{L}" becomes "layers.{L}"; a module with only one leaf becomes "q_proj.weight".
  let name = n.name;
  let cur = n;
  while (cur.leaf === null && cur.children.size === 1) {
    const only = [...cur.children.values()][0]!;
    name = `${name}.${only.name}`;
    cur = only;
  }
  budget.left--;
  if (cur.children.size === 0 && cur.leaf) return `<li><code>${esc(name)}</code> <span class="s">${esc(leafText(cur.leaf))}</span></li>`;
  const own = cur.leaf ? ` <span class="s">${esc(leafText(cur.leaf))}</span>` : "";
  const kids: string[] = [];
  let hidden = 0;
  for (const c of cur.children.values()) {
    if (budget.left <= 0) {
      hidden++;
      continue;
    }
    kids.push(renderTreeNode(c, depth + 1, budget));
  }
  if (hidden > 0) kids.push(`<li class="s">… ${hidden} more (see the results JSON)</li>`);
  return `<li><details${depth < 2 ? " open" : ""}><summary><code>${esc(name)}</code>${own} <span class="s">${plural(cur.keys, "key")} · ${num(cur.tensors)} tensors</span></summary><ul>${kids.join("")}</ul></details></li>`;
}

export const MAX_TREE_NODES = 400;

export function renderModuleTree(sig: WeightSignature | null): string {
  if (!sig || Object.keys(sig.keys).length === 0) {
    return `<p class="note">No module tree: the model was fingerprinted without tensor headers (config only or unknown).</p>`;
  }
  const root = moduleTree(sig);
  const budget = { left: MAX_TREE_NODES };
  const items = [...root.children.values()].map((c) => renderTreeNode(c, 0, budget)).join("");
  return `<details class="mt"><summary>Module tree: ${plural(root.keys, "normalized key")}, ${num(root.tensors)} tensors <span class="muted">({L} = every layer, {E} = every expert)</span></summary><ul class="tree">${items}</ul></details>`;
}

// ------------------------------------------------------------------------------------------------
// Model cards

function dl(rows: readonly (readonly [string, string] | null)[]): string {
  const r = rows.filter((x): x is readonly [string, string] => x !== null);
  return `<dl class="kv">${r.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function byDtype(rec: Record<string, number>, fmt: (n: number) => string): string {
  const e = Object.entries(rec).sort((a, b) => b[1] - a[1]);
  return e.length === 0 ? "" : e.map(([k, v]) => `${esc(k)} ${esc(fmt(v))}`).join(", ");
}

function findingLine(f: Finding): string {
  const where = [f.file, f.tensor, f.key].filter((x): x is string => !!x).join(" · ");
  const sev = SEVERITIES.has(f.severity) ? f.severity : "info";
  return `<li class="find"><span class="sev-${sev}">${esc(f.severity)}</span> <code>${esc(f.code)}</code> ${esc(f.message)}${where ? ` <span class="muted">(${esc(where)})</span>` : ""}</li>`;
}

export interface CardContext {
  anchors: Anchors;
  family: string;
  tags: readonly string[];
  integrity: IntegrityReport | undefined;
  expectations: readonly ExpectationResult[];
  drift: readonly string[];
  plan: TargetPlan | undefined;
}

function sizeKey(fp: Fingerprint): string {
  const p = fp.params ? `${formatCount(fp.params.total)} params${fp.params.active !== null ? ` (${formatCount(fp.params.active)} active)` : ""}` : "params ?";
  const w = fp.weightBytes ? `${fp.weightBytes.estimated ? "≈" : ""}${formatBytes(fp.weightBytes.total)}` : "weights ?";
  return `${p} · ${w}`;
}

export function renderCard(fp: Fingerprint, i: number, c: CardContext): Foldable {
  const src = fp.source;
  const rev = src.sha ? src.sha.slice(0, 12) : (src.revision ?? (src.kind === "local" ? "local" : "—"));
  const source = dl([
    ["Repository", `<code>${esc(src.repo)}</code>`],
    ["Revision", `<code>${esc(rev)}</code>${src.revision && src.sha ? ` <span class="muted">(${esc(src.revision)})</span>` : ""}`],
    ["Read from", esc(src.format ?? "—")],
    ["Files", `${fp.files.length}${fp.tensorCount !== null ? ` · ${num(fp.tensorCount)} tensors` : ""}`],
    ["Network", `${plural(fp.network.requests, "request")}, ${formatBytes(fp.network.bytes)}${fp.network.cached ? " (cached)" : ""}`],
  ]);
  const pr = fp.params;
  const wb = fp.weightBytes;
  const kv = fp.kvCache;
  const wf = fp.weightFormat;
  const size = dl([
    ["Parameters", pr ? `${formatCount(pr.total)} <span class="muted">(${num(pr.total)}, from ${esc(pr.from)})</span>` : "?"],
    pr && pr.active !== null ? ["Active / token", formatCount(pr.active)] : null,
    pr && Object.keys(pr.byDtype).length > 0 ? ["Params by dtype", byDtype(pr.byDtype, formatCount)] : null,
    ["Weight bytes", wb ? `${wb.estimated ? "≈" : ""}${formatBytes(wb.total)}${wb.estimated ? ' <span class="muted">(estimated from config)</span>' : ""}` : "?"],
    wb && Object.keys(wb.byDtype).length > 0 ? ["Bytes by dtype", byDtype(wb.byDtype, formatBytes)] : null,
    ["KV cache / token", kv && kv.bytesPerToken !== null ? `${formatBytes(kv.bytesPerToken)} <span class="muted">(${esc(kv.kind)})</span>` : "?"],
    kv ? ["KV shape", `<code>${esc(kv.shape)}</code>`] : null,
    wf
      ? [
          "Weight format",
          `${esc(wf.format)}${wf.method ? ` · ${esc(wf.method)}` : ""}${wf.bits !== null ? ` · ${num(wf.bits)}-bit` : ""}${wf.groupSize !== null ? ` · group ${num(wf.groupSize)}` : ""}${wf.blockSize ? ` · block ${esc(wf.blockSize.join("×"))}` : ""}`,
        ]
      : null,
  ]);
  const feats = `<dl class="kv">${FEATURE_REGISTRY.map((f) => `<dt>${esc(f.label)}</dt><dd${f.blockGraph ? ' class="bg"' : ""}>${esc(f.format(fp.features[f.key] as never))}</dd>`).join("")}</dl>`;
  const scaleRows = SCALE_REGISTRY.filter((s) => fp.scale[s.key] !== null).map((s) => [s.label, esc(s.format(fp.scale[s.key]))] as const);
  const scale = scaleRows.length > 0 ? dl(scaleRows) : `<p class="note">No scale parameters.</p>`;
  const r = c.integrity;
  const findings = r && r.findings.length > 0 ? `<ul>${r.findings.map(findingLine).join("")}</ul>` : fp.findings.length > 0 ? `<ul>${fp.findings.map(findingLine).join("")}</ul>` : `<p class="note">No findings.</p>`;
  const skipped = r?.skipped && r.skipped.length > 0 ? `<p class="note">Not checked: ${esc(r.skipped.join("; "))}</p>` : "";
  const counts = r ? ` <span class="muted">(${num(r.counts.error)} error${r.counts.error === 1 ? "" : "s"}, ${num(r.counts.warning)} warning${r.counts.warning === 1 ? "" : "s"}, ${num(r.counts.info)} info)</span>` : "";
  const expect =
    c.expectations.length > 0
      ? `<h4>Expectations</h4><ul>${c.expectations.map((e) => `<li>${e.ok ? '<span class="pass">✓</span>' : '<span class="fail">✗</span>'} ${esc(e.key)}: ${esc(e.message)}</li>`).join("")}</ul>`
      : "";
  const error = fp.error ? `<p class="fail">Not fingerprinted: ${esc(fp.error.code)} — ${esc(fp.error.message)}</p>${fp.error.hint ? `<p class="note">${esc(fp.error.hint)}</p>` : ""}` : "";
  const drift = c.drift.length > 0 ? `<p><b>Drifted</b> on ${c.drift.map(esc).join(", ")}.</p>` : "";
  const p = c.plan;
  const planLine = p
    ? `<p>As a target: ${p.proxy && p.proxyVerdict ? `cheapest covering proxy ${modelLink(p.proxy, c.anchors)} ${verdictChip(p.proxyVerdict)}` : p.error ? "not planned" : "no smaller covering proxy"} · <a href="#t${i}" data-card="t${i}">test plan</a></p>`
    : "";
  const ops = fp.ops.length > 0 ? `<p class="note">Ops: <code>${esc(fp.ops.join(" "))}</code></p>` : "";
  const tags = c.tags.length > 0 ? c.tags.map(esc).join(", ") : "no tags";
  return {
    id: `m${i}`,
    summary: `<span class="sum-id">${esc(fp.model)}</span> <span class="muted">${esc(c.family)} · ${tags}</span> <span>${esc(sizeKey(fp))}</span> ${integrityBadge(r?.status ?? (fp.status === "ok" ? undefined : "UNKNOWN"))}`,
    body: `${error}${planLine}${drift}<div class="cols"><div><h4>Source</h4>${source}<h4>Size</h4>${size}</div><div><h4>Architecture features <span class="muted">(◆ block graph)</span></h4>${feats}</div><div><h4>Scale</h4>${scale}${ops}</div></div><h4>Integrity: ${integrityBadge(r?.status)}${counts}</h4>${findings}${skipped}${expect}${renderModuleTree(fp.signature)}`,
  };
}
