/**
 * Integrity of one model (issue 4): each finding has a severity, a stable code and a message that
 * names the tensor, file or key. A model PASSes when it has no error-severity finding.
 */
import type { Finding } from "../fingerprint/types.js";

export type IntegrityStatus = "PASS" | "FAIL" | "UNKNOWN";

export interface IntegrityReport {
  model: string;
  status: IntegrityStatus;
  findings: Finding[];
  /** Counts by severity. */
  counts: { error: number; warning: number; info: number };
  /** Why the status is FAIL (or UNKNOWN): "code: message" of every error finding (empty on PASS). */
  reasons?: string[];
  /** Check groups that did not run, with why (config-only model, no config.json, ONNX names...). */
  skipped?: string[];
}

/** Declared vs counted (manifest `expect`). */
export interface ExpectationResult {
  model: string;
  key: "params" | "layers";
  expected: number;
  actual: number | null;
  /** Relative tolerance used (params); 0 for layers. */
  tolerance: number;
  ok: boolean;
  message: string;
}
