/**
 * Weekly regression diff (issue 5): what changed between the stored baseline and this week's
 * results, split into regressions (worst first), improvements, other changes and an unchanged
 * count. Pure: no I/O, deterministic order.
 *
 * What counts (docs in the report of issue 5):
 * - verdict_downgrade: a manifest pair's verdict lost rank (VERDICT_RANK), or a target's test plan
 *   lost its best proxy verdict (FULL via X -> PARTIAL via Y). Matrix cells do not count: one
 *   upstream change moves up to 2(n-1) cells (about 1,000 in a 500-model zoo), which would bury the
 *   cause; the plan proxy is the matrix's actionable summary (the best proxy per target), and the
 *   stored baseline drops the matrix to stay small (baseline.ts).
 * - integrity_new_failure: a model FAILs integrity and did not (or FAILs with new error codes).
 * - fingerprint_drift: the resolved sha changed AND the fingerprint changed (features, scale,
 *   weight format, tensor count, parameters); `changes` lists what. A new sha with an identical
 *   fingerprint is `revision_changed` (info). A fingerprint change at the same sha, or after the
 *   manifest's own revision pin changed, is `fingerprint_changed` (info): nothing moved upstream.
 * - unreachable: fingerprinted before, UNKNOWN now; `unreachable` says why (gated, missing,
 *   network, auth, unreadable).
 * - expectation_broken: a manifest `expect` check that passed fails now.
 * Improvements mirror them (verdict_upgrade, integrity_fixed, reachable_again, expectation_fixed).
 * Models, pairs and expectations that are new in the manifest are "added", never regressions. A
 * first run (no baseline) has no regressions: everything is the new baseline.
 *
 * Keys ("<kind>:<subject>") are stable from week to week while a regression persists, so the
 * weekly issue can tell new regressions from known ones. `nextBaseline` implements the ratchet:
 * the stored baseline takes this week's values except for regressed subjects (and everything
 * derived from a held-back model), so a regression stays reported until it is fixed or accepted.
 */
import { VERDICT_RANK, type Reason, type Verdict } from "../compare/types.js";
import { FEATURE_REGISTRY, SCALE_REGISTRY } from "../fingerprint/features.js";
import type { Fingerprint } from "../fingerprint/types.js";
import type { ExpectationResult, IntegrityReport, IntegrityStatus } from "../integrity/types.js";
import type { TargetPlan } from "../plan/types.js";
import { formatCount } from "../util/format.js";
import type { PairResult, Results } from "../report/types.js";

export type RegressionKind = "verdict_downgrade" | "integrity_new_failure" | "fingerprint_drift" | "unreachable" | "expectation_broken";
export type ImprovementKind = "verdict_upgrade" | "integrity_fixed" | "reachable_again" | "expectation_fixed";
export type InfoKind = "revision_changed" | "fingerprint_changed" | "pair_added" | "pair_removed" | "requirement_changed" | "expectation_added";
export type DiffKind = RegressionKind | ImprovementKind | InfoKind;

/** Why a model could not be fingerprinted any more (from its ErrorInfo code). */
export type UnreachableCause = "gated" | "missing" | "network" | "auth" | "unreadable";

/** One changed field: "KV grouping: GQA -> MHA". */
export interface DiffChange {
  what: string;
  before: string;
  after: string;
}

export interface DiffItem {
  kind: DiffKind;
  /** Stable identity across runs: "<kind>:<subjectKind>:<subject>". */
  key: string;
  subjectKind: "model" | "pair" | "plan" | "expectation";
  /** Display subject: a model id, "target ← proxy", "plan for target", "model params". */
  subject: string;
  /** The model (model, expectation) or the target (pair, plan). */
  model: string;
  /** Pairs: the proxy. */
  proxy?: string;
  /** Plain-text state before and after ("FULL", "PASS", "rev 0e9e39f", "gated"). */
  before: string;
  after: string;
  /** Verdicts before and after (pairs, plans), for badges. */
  verdicts?: { before: Verdict | null; after: Verdict | null };
  /** Pairs: the manifest requirement and whether the current verdict still meets it. */
  require?: "FULL" | "PARTIAL" | null;
  breaksRequirement?: boolean;
  /** Drift: what changed in the fingerprint. */
  changes?: DiffChange[];
  /** Pair / plan downgrades: reasons the current comparison has that the baseline's did not. */
  newReasons?: Reason[];
  /** What caused it, when another item explains it ("openai/gpt-oss-20b is unreachable (gated)"). */
  cause?: string;
  unreachable?: UnreachableCause;
  /** Error or finding message (unreachable, integrity, expectation). */
  message?: string;
  hint?: string;
  /** Manifest position (current manifest, else the baseline's). */
  line?: number;
  manifestPath?: string;
}

export interface WeeklyDiff {
  /** No baseline: nothing is a regression, the current results become the baseline. */
  firstRun: boolean;
  baselineGeneratedAt: string | null;
  currentGeneratedAt: string;
  /** Worst first: verdict downgrades, new integrity failures, drift, unreachable, expectations. */
  regressions: DiffItem[];
  improvements: DiffItem[];
  /** Neither better nor worse: new revision with the same fingerprint, manifest edits. */
  info: DiffItem[];
  /** Regressions a maintainer accepted (diffResults' `accept`): not reported as regressions. */
  accepted: DiffItem[];
  /** Models and manifest pairs present in both runs with nothing to report. */
  unchanged: number;
  unchangedBy: { models: number; pairs: number };
  /** Model ids new in the manifest (first run: every model) / gone from it. */
  added: string[];
  removed: string[];
  /** Size of the current run. */
  counts: { models: number; pairs: number };
}

export interface DiffOptions {
  /** Regression keys a maintainer accepted as the new normal: moved to `accepted`. */
  accept?: ReadonlySet<string> | ((key: string) => boolean);
}

const KIND_ORDER: readonly DiffKind[] = [
  "verdict_downgrade",
  "integrity_new_failure",
  "fingerprint_drift",
  "unreachable",
  "expectation_broken",
  "verdict_upgrade",
  "integrity_fixed",
  "reachable_again",
  "expectation_fixed",
  "fingerprint_changed",
  "revision_changed",
  "requirement_changed",
  "pair_added",
  "expectation_added",
  "pair_removed",
];

const REGRESSION_KINDS: ReadonlySet<DiffKind> = new Set<DiffKind>(["verdict_downgrade", "integrity_new_failure", "fingerprint_drift", "unreachable", "expectation_broken"]);
const IMPROVEMENT_KINDS: ReadonlySet<DiffKind> = new Set<DiffKind>(["verdict_upgrade", "integrity_fixed", "reachable_again", "expectation_fixed"]);

export function isRegressionKind(k: DiffKind): k is RegressionKind {
  return REGRESSION_KINDS.has(k);
}

const VERDICT_WORDS: Record<Verdict, string> = { FULL_SUBSTITUTE: "FULL", PARTIAL_SUBSTITUTE: "PARTIAL", NO_SUBSTITUTE: "NO", UNKNOWN: "UNKNOWN" };

/** "target <- proxy": the same subject string as gate failures. */
export function pairKey(target: string, proxy: string): string {
  return `${target} <- ${proxy}`;
}

function itemKey(kind: DiffKind, subjectKind: DiffItem["subjectKind"], subject: string): string {
  return `${kind}:${subjectKind}:${subject}`;
}

/** Map an ErrorInfo code to why the model is unreachable. */
export function unreachableCause(code: string | undefined): UnreachableCause {
  switch (code) {
    case "gated":
      return "gated";
    case "repo_not_found":
    case "revision_not_found":
    case "entry_not_found":
    case "disabled":
      return "missing";
    case "network":
    case "timeout":
    case "rate_limited":
    case "http":
    case "truncated":
    case "redirect":
    case "bad_range":
    case "range_not_supported":
    case "too_large":
      return "network";
    case "bad_token":
    case "forbidden":
      return "auth";
    default:
      return "unreadable";
  }
}

function short(sha: string | null): string {
  return sha ? sha.slice(0, 7) : "—";
}

function rev(fp: Fingerprint): string {
  if (fp.source.sha) return `rev ${short(fp.source.sha)}`;
  if (fp.source.kind === "local") return "local";
  return fp.source.revision ?? "—";
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What differs between two fingerprints of the same model (empty: the same fingerprint). */
export function fingerprintChanges(b: Fingerprint, c: Fingerprint): DiffChange[] {
  const out: DiffChange[] = [];
  for (const f of FEATURE_REGISTRY) {
    const x = b.features[f.key];
    const y = c.features[f.key];
    if (!same(x, y)) out.push({ what: f.label, before: f.format(x as never), after: f.format(y as never) });
  }
  for (const s of SCALE_REGISTRY) {
    const x = b.scale[s.key];
    const y = c.scale[s.key];
    if (x !== y) out.push({ what: s.label, before: s.format(x), after: s.format(y) });
  }
  const wf = (fp: Fingerprint): string =>
    fp.weightFormat
      ? [fp.weightFormat.method, fp.weightFormat.bits !== null ? `${fp.weightFormat.bits}-bit` : null, fp.weightFormat.groupSize !== null ? `group ${fp.weightFormat.groupSize}` : null, fp.weightFormat.blockSize ? `block ${fp.weightFormat.blockSize.join("x")}` : null, fp.weightFormat.storageDtype]
          .filter((x): x is string => x !== null && x !== undefined)
          .join(", ") || "plain"
      : "unknown";
  if (b.weightFormat?.format === c.weightFormat?.format && wf(b) !== wf(c)) out.push({ what: "Quantization", before: wf(b), after: wf(c) });
  if (b.tensorCount !== c.tensorCount) out.push({ what: "Tensors", before: String(b.tensorCount ?? "unknown"), after: String(c.tensorCount ?? "unknown") });
  if ((b.params?.total ?? null) !== (c.params?.total ?? null)) out.push({ what: "Parameters", before: formatCount(b.params?.total), after: formatCount(c.params?.total) });
  if ((b.params?.active ?? null) !== (c.params?.active ?? null)) out.push({ what: "Active parameters", before: formatCount(b.params?.active), after: formatCount(c.params?.active) });
  return out;
}

function integrityText(r: IntegrityReport | undefined): string {
  if (!r) return "not checked";
  if (r.status !== "FAIL") return r.status;
  return `FAIL: ${errorCodes(r).join(", ")}`;
}

function errorCodes(r: IntegrityReport): string[] {
  return [...new Set(r.findings.filter((f) => f.severity === "error").map((f) => f.code))].sort();
}

function planVerdict(p: TargetPlan | undefined): Verdict | null {
  return p && !p.error ? p.proxyVerdict : null;
}

function planRank(p: TargetPlan | undefined): number {
  const v = planVerdict(p);
  return v === null ? -1 : VERDICT_RANK[v];
}

function planText(p: TargetPlan | undefined): string {
  if (!p) return "not planned";
  if (p.error) return "not planned";
  if (!p.proxy || !p.proxyVerdict) return "no smaller proxy";
  return `${VERDICT_WORDS[p.proxyVerdict]} via ${p.proxy}`;
}

function expectationText(e: ExpectationResult): string {
  const v = (x: number | null): string => (x === null ? "?" : e.key === "params" ? formatCount(x) : String(x));
  return `${v(e.actual)}${e.ok ? "" : ` (declared ${v(e.expected)})`}`;
}

function byKey<T>(xs: readonly T[], key: (x: T) => string): Map<string, T> {
  const m = new Map<string, T>();
  for (const x of xs) m.set(key(x), x);
  return m;
}

/**
 * Compare this week's results with the baseline. `baseline` null = first run: no regressions,
 * every model is "added".
 */
export function diffResults(baseline: Results | null, current: Results, opts: DiffOptions = {}): WeeklyDiff {
  const counts = { models: current.models.length, pairs: current.pairs.length };
  if (baseline === null) {
    return {
      firstRun: true,
      baselineGeneratedAt: null,
      currentGeneratedAt: current.generatedAt,
      regressions: [],
      improvements: [],
      info: [],
      accepted: [],
      unchanged: 0,
      unchangedBy: { models: 0, pairs: 0 },
      added: current.models.map((m) => m.model),
      removed: [],
      counts,
    };
  }
  const items: DiffItem[] = [];
  const manifestPath = current.manifest?.path ?? baseline.manifest?.path ?? "model-zoo.yaml";
  const lineOf = (model: string): number | undefined => current.manifest?.lines[model] ?? baseline.manifest?.lines[model];
  const push = (it: Omit<DiffItem, "key" | "manifestPath">): void => {
    const subjectId = it.subjectKind === "pair" ? pairKey(it.model, it.proxy ?? "") : it.subjectKind === "expectation" ? `${it.model}#${it.subject.split(" ").pop() ?? ""}` : it.model;
    items.push({ ...it, key: itemKey(it.kind, it.subjectKind, subjectId), ...(it.line !== undefined ? { manifestPath } : {}) });
  };

  // ---- models: reachability and drift
  const bModels = byKey(baseline.models, (m) => m.model);
  const cModels = byKey(current.models, (m) => m.model);
  const added = current.models.filter((m) => !bModels.has(m.model)).map((m) => m.model);
  const removed = baseline.models.filter((m) => !cModels.has(m.model)).map((m) => m.model);
  /** Models whose current state explains pair and plan changes. */
  const unreachableNow = new Map<string, UnreachableCause>();
  const driftedNow = new Map<string, string>();
  for (const c of current.models) {
    const b = bModels.get(c.model);
    if (!b) continue;
    const line = lineOf(c.model);
    if (b.status === "ok" && c.status !== "ok") {
      const cause = unreachableCause(c.error?.code);
      unreachableNow.set(c.model, cause);
      push({
        kind: "unreachable",
        subjectKind: "model",
        subject: c.model,
        model: c.model,
        before: `fingerprinted (${rev(b)})`,
        after: cause,
        unreachable: cause,
        ...(c.error ? { message: c.error.message } : {}),
        ...(c.error?.hint ? { hint: c.error.hint } : {}),
        ...(line !== undefined ? { line } : {}),
      });
      continue;
    }
    if (b.status !== "ok" && c.status === "ok") {
      push({
        kind: "reachable_again",
        subjectKind: "model",
        subject: c.model,
        model: c.model,
        before: b.error ? unreachableCause(b.error.code) : "unknown",
        after: `fingerprinted (${rev(c)})`,
        ...(line !== undefined ? { line } : {}),
      });
      continue;
    }
    if (b.status !== "ok" || c.status !== "ok") continue;
    const changes = fingerprintChanges(b, c);
    const shaChanged = b.source.sha !== c.source.sha;
    if (shaChanged && changes.length === 0) {
      push({ kind: "revision_changed", subjectKind: "model", subject: c.model, model: c.model, before: rev(b), after: rev(c), ...(line !== undefined ? { line } : {}) });
    } else if (changes.length > 0 && shaChanged && !manifestPinMoved(b, c)) {
      driftedNow.set(c.model, short(c.source.sha));
      push({ kind: "fingerprint_drift", subjectKind: "model", subject: c.model, model: c.model, before: rev(b), after: rev(c), changes, ...(line !== undefined ? { line } : {}) });
    } else if (changes.length > 0) {
      const why = manifestPinMoved(b, c)
        ? `the manifest's revision changed (${b.source.revision} → ${c.source.revision})`
        : baseline.tool.version !== current.tool.version
          ? `same revision; standin ${baseline.tool.version} → ${current.tool.version}`
          : "same revision";
      push({ kind: "fingerprint_changed", subjectKind: "model", subject: c.model, model: c.model, before: rev(b), after: rev(c), changes, cause: why, ...(line !== undefined ? { line } : {}) });
    }
  }
  const causeOf = (...models: string[]): string | undefined => {
    const parts: string[] = [];
    for (const m of models) {
      const u = unreachableNow.get(m);
      if (u) parts.push(`${m} is unreachable (${u})`);
      const d = driftedNow.get(m);
      if (d) parts.push(`${m} changed at a new revision (${d})`);
    }
    return parts.length > 0 ? parts.join("; ") : undefined;
  };

  // ---- integrity
  const bInt = byKey(baseline.integrity, (r) => r.model);
  for (const c of current.integrity) {
    if (!bModels.has(c.model)) continue;
    const b = bInt.get(c.model);
    const line = lineOf(c.model);
    const bStatus: IntegrityStatus | null = b?.status ?? null;
    const firstError = c.findings.find((f) => f.severity === "error");
    if (c.status === "FAIL" && bStatus !== "FAIL") {
      push({
        kind: "integrity_new_failure",
        subjectKind: "model",
        subject: c.model,
        model: c.model,
        before: integrityText(b),
        after: integrityText(c),
        ...(firstError ? { message: `${firstError.code}: ${firstError.message}` } : {}),
        ...(causeOf(c.model) ? { cause: causeOf(c.model) } : {}),
        ...(line !== undefined ? { line } : {}),
      });
    } else if (c.status === "FAIL" && b && bStatus === "FAIL") {
      const old = new Set(errorCodes(b));
      const fresh = errorCodes(c).filter((x) => !old.has(x));
      if (fresh.length > 0) {
        const f = c.findings.find((x) => x.severity === "error" && x.code === fresh[0]);
        push({
          kind: "integrity_new_failure",
          subjectKind: "model",
          subject: c.model,
          model: c.model,
          before: integrityText(b),
          after: integrityText(c),
          ...(f ? { message: `${f.code}: ${f.message}` } : {}),
          ...(causeOf(c.model) ? { cause: causeOf(c.model) } : {}),
          ...(line !== undefined ? { line } : {}),
        });
      }
    } else if (bStatus === "FAIL" && c.status === "PASS") {
      push({ kind: "integrity_fixed", subjectKind: "model", subject: c.model, model: c.model, before: integrityText(b), after: "PASS", ...(line !== undefined ? { line } : {}) });
    }
  }

  // ---- expectations
  const expKey = (e: ExpectationResult): string => `${e.model}#${e.key}`;
  const bExp = byKey(baseline.expectations, expKey);
  for (const c of current.expectations) {
    const b = bExp.get(expKey(c));
    const line = lineOf(c.model);
    const base = { subjectKind: "expectation" as const, subject: `${c.model} ${c.key}`, model: c.model, ...(line !== undefined ? { line } : {}) };
    if (!b) {
      if (bModels.has(c.model)) push({ ...base, kind: "expectation_added", before: "not declared", after: expectationText(c), message: c.message });
      continue;
    }
    if (b.ok && !c.ok) {
      // an unreachable model fails its expectations for want of a count: the unreachable item says it
      if (c.actual === null && unreachableNow.has(c.model)) continue;
      push({ ...base, kind: "expectation_broken", before: expectationText(b), after: expectationText(c), message: c.message, ...(causeOf(c.model) ? { cause: causeOf(c.model) } : {}) });
    } else if (!b.ok && c.ok) {
      push({ ...base, kind: "expectation_fixed", before: expectationText(b), after: expectationText(c), message: c.message });
    }
  }

  // ---- manifest pairs
  const bPairs = byKey(baseline.pairs, (p) => pairKey(p.target, p.proxy));
  const cPairKeys = new Set(current.pairs.map((p) => pairKey(p.target, p.proxy)));
  const downgradedPairs = new Set<string>();
  for (const c of current.pairs) {
    const k = pairKey(c.target, c.proxy);
    const b = bPairs.get(k);
    const base = {
      subjectKind: "pair" as const,
      subject: `${c.target} ← ${c.proxy}`,
      model: c.target,
      proxy: c.proxy,
      require: c.require,
      ...(c.line !== undefined ? { line: c.line } : {}),
    };
    if (!b) {
      push({ ...base, kind: "pair_added", before: "not in the manifest", after: VERDICT_WORDS[c.verdict], verdicts: { before: null, after: c.verdict }, breaksRequirement: !c.ok });
      continue;
    }
    const rb = VERDICT_RANK[b.verdict];
    const rc = VERDICT_RANK[c.verdict];
    if (rc < rb) {
      downgradedPairs.add(k);
      const cause = causeOf(c.target, c.proxy);
      push({
        ...base,
        kind: "verdict_downgrade",
        before: VERDICT_WORDS[b.verdict],
        after: VERDICT_WORDS[c.verdict],
        verdicts: { before: b.verdict, after: c.verdict },
        breaksRequirement: b.ok && !c.ok,
        newReasons: newReasons(b, c),
        ...(c.error ? { message: c.error } : {}),
        ...(cause ? { cause } : {}),
      });
    } else if (rc > rb) {
      const cause = causeOf(c.target, c.proxy);
      push({ ...base, kind: "verdict_upgrade", before: VERDICT_WORDS[b.verdict], after: VERDICT_WORDS[c.verdict], verdicts: { before: b.verdict, after: c.verdict }, ...(cause ? { cause } : {}) });
    } else if (b.require !== c.require) {
      push({ ...base, kind: "requirement_changed", before: `requires ${b.require ?? "nothing"}`, after: `requires ${c.require ?? "nothing"}`, verdicts: { before: b.verdict, after: c.verdict }, breaksRequirement: !c.ok });
    }
  }
  for (const b of baseline.pairs) {
    if (cPairKeys.has(pairKey(b.target, b.proxy))) continue;
    push({
      kind: "pair_removed",
      subjectKind: "pair",
      subject: `${b.target} ← ${b.proxy}`,
      model: b.target,
      proxy: b.proxy,
      before: VERDICT_WORDS[b.verdict],
      after: "not in the manifest",
      verdicts: { before: b.verdict, after: null },
    });
  }

  // ---- test plans (the best proxy per target: the matrix's actionable summary)
  const bPlans = byKey(baseline.plans, (p) => p.target);
  for (const c of current.plans) {
    const b = bPlans.get(c.target);
    if (!b || !bModels.has(c.target)) continue;
    if (unreachableNow.has(c.target)) continue; // the unreachable item says it
    const rb = planRank(b);
    const rc = planRank(c);
    if (rb === rc) continue;
    // already reported through the manifest pair the plan used
    if (rc < rb && b.proxy && downgradedPairs.has(pairKey(c.target, b.proxy))) continue;
    const line = lineOf(c.target);
    const cause = causeOf(c.target, ...(b.proxy ? [b.proxy] : []), ...(c.proxy ? [c.proxy] : []));
    push({
      kind: rc < rb ? "verdict_downgrade" : "verdict_upgrade",
      subjectKind: "plan",
      subject: `test plan of ${c.target}`,
      model: c.target,
      ...(c.proxy ? { proxy: c.proxy } : {}),
      before: planText(b),
      after: planText(c),
      verdicts: { before: planVerdict(b), after: planVerdict(c) },
      ...(rc < rb ? { newReasons: c.uncovered.filter((r) => !b.uncovered.some((x) => x.feature === r.feature)) } : {}),
      ...(cause ? { cause } : {}),
      ...(line !== undefined ? { line } : {}),
    });
  }

  // ---- split, accept, order
  const accept = opts.accept;
  const isAccepted = (k: string): boolean => (accept === undefined ? false : typeof accept === "function" ? accept(k) : accept.has(k));
  const order = (a: DiffItem, b: DiffItem): number =>
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    Number(b.breaksRequirement ?? false) - Number(a.breaksRequirement ?? false) ||
    (a.line ?? Number.MAX_SAFE_INTEGER) - (b.line ?? Number.MAX_SAFE_INTEGER) ||
    (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
  items.sort(order);
  const regressions: DiffItem[] = [];
  const acceptedItems: DiffItem[] = [];
  const improvements: DiffItem[] = [];
  const info: DiffItem[] = [];
  for (const it of items) {
    if (REGRESSION_KINDS.has(it.kind)) (isAccepted(it.key) ? acceptedItems : regressions).push(it);
    else if (IMPROVEMENT_KINDS.has(it.kind)) improvements.push(it);
    else info.push(it);
  }

  // ---- unchanged: models and pairs in both runs that no item mentions
  const touchedModels = new Set(items.filter((i) => i.subjectKind === "model" || i.subjectKind === "expectation").map((i) => i.model));
  const touchedPairs = new Set(items.filter((i) => i.subjectKind === "pair").map((i) => pairKey(i.model, i.proxy ?? "")));
  const unchangedModels = current.models.filter((m) => bModels.has(m.model) && !touchedModels.has(m.model)).length;
  const unchangedPairs = current.pairs.filter((p) => bPairs.has(pairKey(p.target, p.proxy)) && !touchedPairs.has(pairKey(p.target, p.proxy))).length;

  return {
    firstRun: false,
    baselineGeneratedAt: baseline.generatedAt,
    currentGeneratedAt: current.generatedAt,
    regressions,
    improvements,
    info,
    accepted: acceptedItems,
    unchanged: unchangedModels + unchangedPairs,
    unchangedBy: { models: unchangedModels, pairs: unchangedPairs },
    added,
    removed,
    counts,
  };
}

/** The revision pinned in the manifest moved (a reviewed edit, not an upstream change). */
function manifestPinMoved(b: Fingerprint, c: Fingerprint): boolean {
  return b.source.revision !== null && c.source.revision !== null && b.source.revision !== c.source.revision;
}

/** Reasons of `c` whose feature is not among `b`'s reasons (or whose values changed). */
function newReasons(b: PairResult, c: PairResult): Reason[] {
  return c.reasons.filter((r) => !b.reasons.some((x) => x.feature === r.feature && x.proxy === r.proxy && x.target === r.target));
}

/**
 * The results to store as next week's baseline (the ratchet): this week's results, except that
 * regressed subjects keep their baseline value, and so does everything derived from a model that
 * is held back (a drifted or unreachable model: its integrity, expectations, and the pairs and
 * plans it takes part in). A regression therefore stays a regression until it is fixed upstream
 * (the diff then shows nothing) or accepted (diffResults' `accept`: accepted items are stored at
 * their new value). Improvements, new models and new pairs are taken at once.
 */
export function nextBaseline(baseline: Results | null, current: Results, diff: WeeklyDiff): Results {
  if (baseline === null || diff.regressions.length === 0) return current;
  const held = new Set<string>();
  const heldPairs = new Set<string>();
  const heldPlans = new Set<string>();
  const heldIntegrity = new Set<string>();
  const heldExp = new Set<string>();
  for (const r of diff.regressions) {
    if (r.kind === "fingerprint_drift" || r.kind === "unreachable") held.add(r.model);
    else if (r.kind === "integrity_new_failure") heldIntegrity.add(r.model);
    else if (r.kind === "expectation_broken") heldExp.add(r.subject);
    else if (r.kind === "verdict_downgrade" && r.subjectKind === "pair") heldPairs.add(pairKey(r.model, r.proxy ?? ""));
    else if (r.kind === "verdict_downgrade" && r.subjectKind === "plan") heldPlans.add(r.model);
  }
  const bModels = byKey(baseline.models, (m) => m.model);
  const bInt = byKey(baseline.integrity, (r) => r.model);
  const bExp = byKey(baseline.expectations, (e) => `${e.model} ${e.key}`);
  const bPairs = byKey(baseline.pairs, (p) => pairKey(p.target, p.proxy));
  const bPlans = byKey(baseline.plans, (p) => p.target);
  const pick = <T>(cur: T, base: T | undefined, hold: boolean): T => (hold && base !== undefined ? base : cur);
  return {
    ...current,
    models: current.models.map((m) => pick(m, bModels.get(m.model), held.has(m.model))),
    integrity: current.integrity.map((r) => pick(r, bInt.get(r.model), held.has(r.model) || heldIntegrity.has(r.model))),
    expectations: current.expectations.map((e) => pick(e, bExp.get(`${e.model} ${e.key}`), held.has(e.model) || heldExp.has(`${e.model} ${e.key}`))),
    pairs: current.pairs.map((p) => {
      const k = pairKey(p.target, p.proxy);
      return pick(p, bPairs.get(k), heldPairs.has(k) || held.has(p.target) || held.has(p.proxy));
    }),
    plans: current.plans.map((p) => {
      const b = bPlans.get(p.target);
      const involves = held.has(p.target) || (p.proxy !== null && held.has(p.proxy)) || (b?.proxy != null && held.has(b.proxy));
      return pick(p, b, heldPlans.has(p.target) || involves);
    }),
  };
}

/** The one-line plain-text summary of an item: "Llama-70B ← Llama-8B: FULL → PARTIAL". */
export function describeItem(it: DiffItem): string {
  return `${it.subject}: ${it.before} → ${it.after}`;
}
