/**
 * File-level integrity: the findings the parsers already produced (safetensors header rules `st_*`,
 * index rules `index_*`, GGUF / ONNX parser findings) flow into the report unchanged; on top of
 * them, what needs the whole model:
 * - the listed size (repo tree) against the served size (Content-Range total), and the exact
 *   file-length rule (8 + N + end of data) against the listed size when the parser saw another one;
 * - the index totals against the shard file sizes (`checkIndexAgainstFileSizes`) and, for a
 *   single-dtype checkpoint, total_parameters against total_size / bytes per element
 *   (`checkIndexTotals`).
 */
import type { Extras } from "../fingerprint/acquire.js";
import type { Finding, Fingerprint } from "../fingerprint/types.js";
import { checkIndexAgainstFileSizes, checkIndexTotals } from "../formats/safetensors-index.js";
import { dtypeFromTorch, isSafeNonNegativeInteger } from "../formats/dtypes.js";
import { finding } from "./codes.js";

/** Codes of findings that come from reading files (parsers and acquisition), not from fingerprinting. */
const FILE_CODE = /^(?:st_|index_|safetensors_|gguf_|onnx_|source_)/;

export function isFileFinding(f: Finding): boolean {
  return FILE_CODE.test(f.code);
}

export function checkFiles(ex: Extras | null, fp: Fingerprint): Finding[] {
  if (!ex) return fp.findings.filter(isFileFinding);
  const out: Finding[] = [...ex.raw.findings];
  const listed = new Map<string, number | null>();
  for (const f of ex.raw.resolved.files) listed.set(f.path, f.size);

  // data end per file (largest valid end), for the file-length rule against the listed size
  const dataEnd = new Map<string, number>();
  if (ex.raw.format === "safetensors") {
    for (const t of ex.raw.tensors) {
      if (!isSafeNonNegativeInteger(t.end)) continue;
      if (t.end > (dataEnd.get(t.file) ?? -1)) dataEnd.set(t.file, t.end);
    }
  }
  const lengthReported = new Set(ex.raw.findings.filter((f) => f.code === "st_file_length").map((f) => f.file));
  const sizes = new Map<string, number>();
  for (const f of ex.raw.files) {
    const l = listed.get(f.path) ?? null;
    const size = f.size ?? l;
    if (size !== null) sizes.set(f.path, size);
    if (f.kind !== "safetensors" && f.kind !== "gguf" && f.kind !== "onnx") continue;
    if (l !== null && f.size !== null && l !== f.size) {
      out.push(finding("file_size_mismatch", `${f.path}: the repo listing says ${l} bytes but the server reports ${f.size}`, { file: f.path }));
    }
    if (f.kind === "safetensors" && l !== null && f.size !== l && !lengthReported.has(f.path) && f.headerLength !== undefined) {
      const end = 8 + f.headerLength + (dataEnd.get(f.path) ?? 0);
      if (end !== l) {
        out.push(
          finding("st_file_length", `${f.path}: the listed size is ${l} bytes but 8 + header ${f.headerLength} + data ${dataEnd.get(f.path) ?? 0} = ${end} (${l > end ? "trailing bytes" : "short file"})`, {
            file: f.path,
          }),
        );
      }
    }
  }

  const index = ex.index;
  if (index) {
    out.push(...checkIndexAgainstFileSizes(index, sizes));
    // total_parameters vs total_size / bytes per element, for single-dtype checkpoints
    let dtype: string | null = null;
    let mixed = false;
    for (const t of ex.raw.tensors) {
      if (dtype === null) dtype = t.dtype;
      else if (t.dtype !== dtype) {
        mixed = true;
        break;
      }
    }
    if (ex.raw.tensors.length === 0) {
      const cfg = ex.raw.config;
      const torch = cfg && typeof cfg["torch_dtype"] === "string" ? (cfg["torch_dtype"] as string) : null;
      dtype = torch ? dtypeFromTorch(torch) : null;
    }
    if (dtype !== null && !mixed) out.push(...checkIndexTotals(index, dtype));
  }
  return out;
}
