/**
 * Build fingerprints in-process, without a server: from a config alone (config-only mode) or from a
 * config plus a tensor list (as if headers were read). Used by compare / plan / report tests.
 */
import type { Extras } from "../../src/fingerprint/acquire.js";
import { buildFingerprint } from "../../src/fingerprint/build.js";
import type { Fingerprint, FormatKind } from "../../src/fingerprint/types.js";
import type { TensorRecord } from "../../src/sources/types.js";
import { tensorBytes } from "../../src/formats/dtypes.js";
import { readCorpusJson } from "./corpus-files.js";

export interface TensorSpec {
  name: string;
  dtype: string;
  shape: number[];
}

function extras(model: string, config: Record<string, unknown> | null, tensors: TensorRecord[], format: FormatKind): Extras {
  return {
    raw: {
      model,
      resolved: { kind: "hub", repo: model, revision: "main", sha: "0".repeat(40), files: [] },
      format,
      config,
      files: [],
      tensors,
      findings: [],
    },
    index: null,
    indexFile: null,
    onnx: [],
    gguf: [],
    configFromGguf: false,
  };
}

/** Lay tensors out contiguously in one file, as a safetensors writer would. */
export function toRecords(specs: readonly TensorSpec[], file = "model.safetensors"): TensorRecord[] {
  let off = 0;
  return specs.map((t) => {
    const n = tensorBytes(t.shape, t.dtype);
    const r = { name: t.name, dtype: t.dtype, shape: t.shape, file, begin: off, end: off + n };
    off += n;
    return r;
  });
}

export function fingerprintFromConfig(model: string, config: Record<string, unknown>): Fingerprint {
  return buildFingerprint(extras(model, config, [], "config"), { requests: 0, bytes: 0, cached: false });
}

export function fingerprintFromTensors(model: string, config: Record<string, unknown> | null, tensors: readonly TensorSpec[]): Fingerprint {
  return buildFingerprint(extras(model, config, toRecords(tensors), "safetensors"), { requests: 0, bytes: 0, cached: false });
}

/** Config-only fingerprint of a corpus folder ("meta-llama__Llama-3.1-8B"), named by its HF id. */
export function corpusFingerprint(folder: string, file = "config.json"): Fingerprint {
  return fingerprintFromConfig(folder.replace("__", "/"), readCorpusJson(folder, file));
}
