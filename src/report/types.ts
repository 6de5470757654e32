/**
 * The results file: everything one run knows (`standin check --json`, the action's report-path,
 * the weekly baseline). Versioned; every other report (markdown, table, CSV, HTML) renders from it.
 */
import type { Comparison } from "../compare/types.js";
import type { Fingerprint } from "../fingerprint/types.js";
import type { ExpectationResult, IntegrityReport } from "../integrity/types.js";
import type { TargetPlan } from "../plan/types.js";

export const RESULTS_SCHEMA = "standin.results/v1";

export type GateReason = "no-substitute" | "partial" | "integrity" | "expectations" | "unknown";

export interface GateFailure {
  reason: GateReason;
  /** Model id (integrity, expectations, unknown) or "target <- proxy" (pairs). */
  subject: string;
  message: string;
  /** Manifest position of the offending model or pair, for annotations. */
  line?: number;
  col?: number;
}

export interface PairResult extends Comparison {
  /** Minimum verdict the manifest requires for this pair, or null (report only). */
  require: "FULL" | "PARTIAL" | null;
  /** Verdict meets the requirement (true when no requirement). */
  ok: boolean;
  line?: number;
  col?: number;
}

export interface EngineGapResult {
  model: string;
  needed: string[];
  missing: { kind: string; tensors: string[] }[];
  unrecognized: string[];
}

/** One cell of the all-pairs verdict matrix (compact: 500 models = 250k cells). */
export interface MatrixCell {
  target: string;
  proxy: string;
  verdict: Comparison["verdict"];
  /** Feature keys of the target the proxy does not cover (reasons), block-graph ones first. */
  uncovered: string[];
  isomorphism: Comparison["isomorphism"]["verdict"];
}

export interface Results {
  schema: typeof RESULTS_SCHEMA;
  tool: { name: "standin"; version: string };
  generatedAt: string;
  manifest: {
    path: string;
    name: string | null;
    engine: { name: string | null; aliases: string[][]; supported: string[] | null };
    /** Model id -> manifest line, for annotations and links. */
    lines: Record<string, number>;
    tags: Record<string, string[]>;
  } | null;
  models: Fingerprint[];
  integrity: IntegrityReport[];
  expectations: ExpectationResult[];
  /** The manifest's pairs, with requirements. */
  pairs: PairResult[];
  /** All ordered pairs (proxy != target), compact: the verdict matrix. Full comparisons are in `pairs` and plans. */
  matrix: MatrixCell[];
  plans: TargetPlan[];
  /** Engine support gaps (manifest `engine.supported`): per model, the needed kinds the engine lacks. */
  engineGaps?: EngineGapResult[];
  gate: { failOn: string[]; failures: GateFailure[]; passed: boolean };
  network: { requests: number; bytes: number; retries: number; cacheHits: number };
  /** Shard of the run when sharded ("1/4"), null otherwise. */
  shard: string | null;
}
