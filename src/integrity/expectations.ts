/**
 * Declared vs counted: the manifest's `expect.params` (relative tolerance, default 1%) and
 * `expect.layers` (exact) against the fingerprint. Parameters are the fingerprint's total
 * (`params.total`: logical parameters from the headers, packed weights unpacked, quantization
 * bookkeeping excluded; or the exact config-only count); layers are `scale.layers` (main stack, MTP
 * layers excluded; tensors win over config.json).
 */
import type { Finding, Fingerprint } from "../fingerprint/types.js";
import type { ModelExpect } from "../manifest/types.js";
import { formatCount } from "../util/format.js";
import { finding } from "./codes.js";
import type { ExpectationResult } from "./types.js";

export const DEFAULT_PARAMS_TOLERANCE = 0.01;

export function checkExpectations(fp: Fingerprint, expect: Partial<ModelExpect> | undefined): { results: ExpectationResult[]; findings: Finding[] } {
  const results: ExpectationResult[] = [];
  const findings: Finding[] = [];
  if (!expect) return { results, findings };
  const model = fp.model;
  if (expect.params !== null && expect.params !== undefined) {
    const tol = expect.tolerance ?? DEFAULT_PARAMS_TOLERANCE;
    const actual = fp.params?.total ?? null;
    const from = fp.params?.from === "config" ? "computed from config.json" : "counted from the tensor headers";
    let ok = false;
    let message: string;
    if (actual === null) {
      message = `expect.params is ${formatCount(expect.params)} but the parameter count is unknown (${fp.status === "unknown" ? "the model could not be read" : "no tensors and no computable config"})`;
      findings.push(finding("expect_unverified", message, { key: "expect.params" }));
    } else {
      const diff = actual - expect.params;
      const rel = expect.params === 0 ? (actual === 0 ? 0 : Infinity) : Math.abs(diff) / expect.params;
      ok = rel <= tol + 1e-12;
      const pct = Number.isFinite(rel) ? `${(rel * 100).toFixed(2)}%` : "inf";
      message = `expect.params ${formatCount(expect.params)} (${expect.params}) vs ${actual} ${from}: ${diff >= 0 ? "+" : ""}${diff} (${pct}, tolerance ${(tol * 100).toFixed(2)}%)`;
      if (!ok) findings.push(finding("expect_params_mismatch", message, { key: "expect.params" }));
    }
    results.push({ model, key: "params", expected: expect.params, actual, tolerance: tol, ok, message });
  }
  if (expect.layers !== null && expect.layers !== undefined) {
    const actual = fp.scale.layers;
    let ok = false;
    let message: string;
    if (actual === null) {
      message = `expect.layers is ${expect.layers} but the layer count is unknown`;
      findings.push(finding("expect_unverified", message, { key: "expect.layers" }));
    } else {
      ok = actual === expect.layers;
      message = `expect.layers ${expect.layers} vs ${actual} ${fp.tensorCount ? "layers in the tensor names" : "num_hidden_layers in config.json"}`;
      if (!ok) findings.push(finding("expect_layers_mismatch", message, { key: "expect.layers" }));
    }
    results.push({ model, key: "layers", expected: expect.layers, actual, tolerance: 0, ok, message });
  }
  return { results, findings };
}
