/**
 * Comparison of a proxy P against a target T (verdicts.md): "if an engine's tests pass on P,
 * which of the code paths T exercises have been exercised?"
 */
import type { Features, Scale } from "../fingerprint/types.js";

export type Verdict = "FULL_SUBSTITUTE" | "PARTIAL_SUBSTITUTE" | "NO_SUBSTITUTE" | "UNKNOWN";
export type Isomorphism = "ISOMORPHIC" | "SCALE_ONLY" | "DIFFERENT_ARCH" | "UNKNOWN";

/** Verdict strength, for gates: FULL > PARTIAL > NO > UNKNOWN. */
export const VERDICT_RANK: Record<Verdict, number> = {
  FULL_SUBSTITUTE: 3,
  PARTIAL_SUBSTITUTE: 2,
  NO_SUBSTITUTE: 1,
  UNKNOWN: 0,
};

/** One feature of the target that the proxy does not exercise (or that differs). */
export interface Reason {
  feature: keyof Features;
  group: string;
  /** Human label, e.g. "KV grouping". */
  label: string;
  /** Formatted values, e.g. "GQA" vs "MHA". */
  proxy: string;
  target: string;
  /** Part of the block graph: makes the verdict NO_SUBSTITUTE. */
  blockGraph: boolean;
  /** Extra explanation (e.g. "engine alias", "proxy has an extra vision tower"). */
  note?: string;
}

export interface ScaleRatio {
  key: keyof Scale;
  label: string;
  proxy: number | null;
  target: number | null;
  /** target / proxy (null when either is unknown). */
  ratio: number | null;
}

export interface IsomorphismResult {
  verdict: Isomorphism;
  /** |A ∩ B| / max(|A|, |B|) over normalized architecture tensor keys (null without tensors on both sides). */
  keyOverlap: number | null;
  phases: {
    /** Phase 1: key overlap >= 0.80 (config-only: same architecture class family). */
    keys: boolean | null;
    /** Phase 2: same attention / FFN / norm substructure. */
    substructure: boolean | null;
    /** Phase 3: uniform dimension scaling (an unchanged head_dim is allowed: the head_dim fix). */
    scaling: boolean | null;
  };
  notes: string[];
}

export interface Comparison {
  target: string;
  proxy: string;
  verdict: Verdict;
  /** Target features the proxy does not cover, most severe first (block graph first). */
  reasons: Reason[];
  /** Features the proxy has that the target lacks (informational: e.g. an extra vision tower). */
  extras: Reason[];
  /** Features unknown on one side or both: not counted as differences, but the verdict is less certain. */
  unverified: Reason[];
  /** Feature keys of the target covered by the proxy. */
  covered: (keyof Features)[];
  /** target/proxy ratios of the scale parameters. */
  scale: ScaleRatio[];
  isomorphism: IsomorphismResult;
  /** Why the verdict is UNKNOWN (a side could not be fingerprinted). */
  error?: string;
  /**
   * Informational notes that are not reasons (added by compare/verdict.ts): e.g. a parameter that
   * differs inside one code path ("Rotary fraction: 0.5 vs 0.4, both partial rotary").
   */
  notes?: string[];
}

/** Options for comparisons (manifest engine block). */
export interface CompareOptions {
  /** Groups of architecture classes served by one implementation: a differing class within a group is not a reason. */
  aliases?: string[][];
}
