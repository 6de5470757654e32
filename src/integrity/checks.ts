/**
 * Integrity of one model (issue 4): file rules (safetensors headers, index vs headers, sizes),
 * config vs tensors, MoE consistency, dtype consistency and the manifest's expectations. Each
 * finding has a severity, a stable code (docs/integrity.md) and a message naming the tensor, file or
 * key. PASS = no error finding; FAIL = at least one (the reasons list them); UNKNOWN = the model
 * could not be read for a reason that says nothing about its files (network, gated, missing).
 *
 * Config-only models: the checks that need tensors are skipped and an info finding says which.
 */
import type { Extras } from "../fingerprint/acquire.js";
import { normalizeConfig, type NormalizedConfig } from "../fingerprint/config.js";
import type { Finding, Fingerprint, Severity } from "../fingerprint/types.js";
import type { ModelSpec } from "../manifest/types.js";
import { finding } from "./codes.js";
import { checkConfigVsTensors } from "./config-vs-tensors.js";
import { checkDtypes } from "./dtypes.js";
import { checkExpectations } from "./expectations.js";
import { checkFiles } from "./files.js";
import { checkMoe } from "./moe.js";
import type { ExpectationResult, IntegrityReport, IntegrityStatus } from "./types.js";
import { buildView, type ModelView } from "./view.js";

export interface IntegrityInput {
  /** What acquire() read (tensors, index, config); null when only the fingerprint is at hand. */
  ex: Extras | null;
  fp: Fingerprint;
  /** The manifest's expectations for this model. */
  expect?: ModelSpec["expect"] | Partial<ModelSpec["expect"]>;
}

export interface IntegrityResult {
  report: IntegrityReport;
  expectations: ExpectationResult[];
}

/** Error codes of an UNKNOWN fingerprint that mean "a file is broken" (FAIL), not "could not read" (UNKNOWN). */
const FORMAT_ERROR = /^(?:safetensors_|index_|gguf_|onnx_|config_not_|missing_shard$|no_safetensors$)/;

const TENSOR_CHECKS = "config vs tensors, MoE consistency, dtype and quantization-scale consistency";

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/**
 * The part of a model's integrity that depends only on what was read (files, tensors, config), not
 * on the manifest's expectations: the same for the same repo@sha, so it can be cached with the
 * fingerprint (scanZoo's analysis cache). `finishIntegrity` adds the expectations.
 */
export interface IntegrityBase {
  findings: Finding[];
  skipped: string[];
  /** A status forced regardless of the findings (UNKNOWN: the model could not be read), or null. */
  forced: IntegrityStatus | null;
}

export function runIntegrity(input: IntegrityInput): IntegrityResult {
  return finishIntegrity(integrityBase(input), input.fp, input.expect);
}

/** The base plus the manifest's expectations (checked on the fingerprint alone). */
export function finishIntegrity(base: IntegrityBase, fp: Fingerprint, expect: IntegrityInput["expect"]): IntegrityResult {
  const exp = checkExpectations(fp, expect);
  return { report: makeReport(fp.model, [...base.findings, ...exp.findings], [...base.skipped], base.forced), expectations: exp.results };
}

export function integrityBase(input: Pick<IntegrityInput, "ex" | "fp">): IntegrityBase {
  const { ex, fp } = input;
  const findings: Finding[] = [];
  const skipped: string[] = [];

  if (fp.status === "unknown") {
    const e = fp.error;
    const broken = e !== null && FORMAT_ERROR.test(e.code);
    if (broken) {
      findings.push(finding("integrity_unreadable", `[${e.code}] ${e.message}`, e.file ? { file: e.file } : {}));
    } else {
      findings.push(finding("integrity_not_checked", `the model could not be read${e ? `: [${e.code}] ${e.message}` : ""}`, e?.file ? { file: e.file } : {}));
      skipped.push("all checks: the model could not be read");
    }
    return { findings, skipped, forced: broken ? null : "UNKNOWN" };
  }

  findings.push(...checkFiles(ex, fp));

  const tensors = ex?.raw.tensors ?? [];
  const format = ex?.raw.format ?? fp.source.format;
  let norm: NormalizedConfig | null = null;
  if (ex?.raw.config) norm = normalizeConfig(ex.raw.config, { model: fp.model });

  if (!ex || tensors.length === 0) {
    const why = !ex ? "the raw tensor list was not provided" : "config-only model (no weight headers read)";
    findings.push(finding("integrity_no_tensors", `${why}: skipped ${TENSOR_CHECKS}`));
    skipped.push(`${TENSOR_CHECKS}: ${why}`);
  } else if (format === "onnx") {
    findings.push(finding("integrity_names_opaque", `ONNX initializer names do not follow module naming: skipped ${TENSOR_CHECKS}`));
    skipped.push(`${TENSOR_CHECKS}: ONNX graph`);
  } else {
    const view: ModelView = buildView(fp.model, tensors, norm, fp.weightFormat, format);
    if (norm) {
      const cfg = checkConfigVsTensors({ view, topology: fp.features.topology });
      findings.push(...cfg);
      if (cfg.some((f) => f.code === "cfg_per_layer_blocks")) skipped.push("attention and FFN width checks: heterogeneous layers (block_configs)");
    } else {
      findings.push(finding("integrity_no_config", "no config.json: config-vs-tensors checks skipped"));
      skipped.push("config vs tensors: no config.json");
    }
    findings.push(...checkMoe(view));
    findings.push(...checkDtypes(view));
  }
  return { findings, skipped, forced: null };
}

function makeReport(model: string, all: Finding[], skipped: string[], forced: IntegrityStatus | null): IntegrityReport {
  const findings = all.map((f, i) => [f, i] as const).sort((a, b) => SEVERITY_RANK[a[0].severity] - SEVERITY_RANK[b[0].severity] || a[1] - b[1]).map(([f]) => f);
  const counts = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  const reasons = findings.filter((f) => f.severity === "error").map((f) => `${f.code}: ${f.message}`);
  const status: IntegrityStatus = forced ?? (counts.error > 0 ? "FAIL" : "PASS");
  if (status === "UNKNOWN" && reasons.length === 0) {
    const w = findings.find((f) => f.code === "integrity_not_checked");
    if (w) reasons.push(`${w.code}: ${w.message}`);
  }
  return { model, status, findings, counts, reasons, skipped };
}
