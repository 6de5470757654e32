/**
 * Dtype consistency and quantization bookkeeping:
 * - dtype_unknown: dtype strings outside the safetensors table (GGML types are fine in GGUF files);
 * - dtype_stray_matrix: a matrix in another float dtype than the model's (config torch_dtype and the
 *   dominant matrix dtype): one F32 down_proj in a BF16 model. Routers, norms, vectors and
 *   quantization bookkeeping are not matrices here;
 * - quant_scale_missing / quant_scale_orphan: weights and their scales come in pairs, per module:
 *     fp8         F8_* weight            + weight_scale_inv (or weight_scale)
 *     GPTQ / AWQ  qweight                + scales + qzeros (g_idx optional)
 *     MXFP4       <name>_blocks          + <name>_scales
 *     NVFP4       U8 weight              + weight_scale + weight_scale_2 (ModelOpt)
 *     MLX         U32 weight             + scales (+ biases in affine mode)
 *   A "missing" partner that no module of the model has (a format variant without it, e.g. MLX
 *   mxfp4 without biases, FP8 without any scale) is not reported; the mandatory ones (GPTQ scales,
 *   MXFP4 scales, MLX scales, NVFP4 weight_scale) always are;
 * - quant_scale_shape: fp8 block scales [ceil(out/b0), ceil(in/b1)], MXFP4 one scale per 16-byte
 *   block, NVFP4 one scale per group of 16 values.
 */
import { dtypeFromTorch, isKnownDtype } from "../formats/dtypes.js";
import { isGgmlQuantType } from "../fingerprint/weight-format.js";
import type { Finding, TensorKind } from "../fingerprint/types.js";
import { finding } from "./codes.js";
import { listSome, shapeStr, Violations, type ModelView, type TensorView } from "./view.js";

const FLOATS: ReadonlySet<string> = new Set(["F16", "BF16", "F32", "F64"]);
const MATRIX_KINDS: ReadonlySet<TensorKind> = new Set<TensorKind>([
  "attn_q", "attn_k", "attn_v", "attn_qkv", "attn_o",
  "mla_q_a", "mla_q_b", "mla_kv_a", "mla_kv_b",
  "ffn_gate", "ffn_up", "ffn_gate_up", "ffn_down",
  "expert", "shared_expert", "embedding", "lm_head",
]);

/** Leaves tracked per module. */
const L_WEIGHT = 1 << 0;
const L_QWEIGHT = 1 << 1;
const L_QZEROS = 1 << 2;
const L_SCALES = 1 << 3;
const L_GIDX = 1 << 4;
const L_WSCALE = 1 << 5;
const L_WSCALE_INV = 1 << 6;
const L_WSCALE2 = 1 << 7;
const L_WGLOBAL = 1 << 8;
const L_PACKED = 1 << 9;
const L_BIASES = 1 << 10;
const L_BLOCKS = 1 << 11;
const L_BSCALES = 1 << 12;

const LEAF_BITS: ReadonlyMap<string, number> = new Map([
  ["weight", L_WEIGHT],
  ["qweight", L_QWEIGHT],
  ["qzeros", L_QZEROS],
  ["scales", L_SCALES],
  ["g_idx", L_GIDX],
  ["weight_scale", L_WSCALE],
  ["weight_scale_inv", L_WSCALE_INV],
  ["weight_scale_2", L_WSCALE2],
  ["weight_global_scale", L_WGLOBAL],
  ["weight_packed", L_PACKED],
  ["biases", L_BIASES],
  ["blocks", L_BLOCKS],
]);

interface Mod {
  flags: number;
  /** Tensor per tracked leaf bit. */
  by: Map<number, TensorView>;
}

/** Module key and tracked leaf bit of a tensor (`x_blocks` / `x_scales` belong to module `x`). */
function splitLeaf(v: TensorView): [number | string, number] {
  const last = v.leaf;
  if (last.length > 7 && last.endsWith("_blocks")) return [`${v.mod}.${last.slice(0, -7)}`, L_BLOCKS];
  if (last.length > 7 && last.endsWith("_scales")) return [`${v.mod}.${last.slice(0, -7)}`, L_BSCALES];
  if (last === "scales" && v.t.name.endsWith("_weight.scales")) return [v.mod, L_BSCALES]; // gpt-oss original mlp1_weight.scales
  return [v.mod, LEAF_BITS.get(last) ?? 0];
}

export function checkDtypes(view: ModelView): Finding[] {
  const out: Finding[] = [];

  // ---- unknown dtypes
  if (view.format === "safetensors" || view.format === "gguf") {
    for (const [d, vs] of unknownDtypes(view)) {
      out.push(
        finding("dtype_unknown", `dtype ${JSON.stringify(d)} is not a safetensors dtype: ${vs.length} tensor(s), e.g. ${listSome(vs, 3, (v) => v.t.name)}`, {
          tensor: vs[0]!.t.name,
          file: vs[0]!.t.file,
        }),
      );
    }
  }

  // ---- stray float matrices
  const hp = view.norm?.dtype ? dtypeFromTorch(view.norm.dtype) : null;
  const storage = view.wf?.storageDtype ?? null;
  const allowed = new Set([hp, storage].filter((d): d is string => d !== null && FLOATS.has(d)));
  if (allowed.size > 0) {
    const label = [...allowed].sort().join(" / ");
    out.push(...strayMatrices(view, allowed, `while the model's matrices are ${label}${hp ? ` (config torch_dtype ${view.norm?.dtype})` : ""}`));
  }

  if (view.format !== "safetensors") return out;

  // ---- weights and their scales, per module
  const { mods, seen } = modulesOf(view);
  out.push(...checkModules(view, mods, seen));
  return out;
}

// The per-tensor and per-module loops live in functions of their own: a long loop inside the large
// checkDtypes had V8 compile all of it on the stack and throw it away again, once per model.

function unknownDtypes(view: ModelView): Map<string, TensorView[]> {
  const unknown = new Map<string, TensorView[]>();
  for (const v of view.tensors) {
    const d = v.t.dtype;
    if (isKnownDtype(d) || (view.format === "gguf" && isGgmlQuantType(d))) continue;
    let a = unknown.get(d);
    if (!a) unknown.set(d, (a = []));
    a.push(v);
  }
  return unknown;
}

function strayMatrices(view: ModelView, allowed: ReadonlySet<string>, why: string): Finding[] {
  const viol = new Violations();
  for (const v of view.tensors) {
    if (v.tower || !FLOATS.has(v.t.dtype) || allowed.has(v.t.dtype)) continue;
    if (!MATRIX_KINDS.has(v.cls.kind) || v.cls.leaf === "bias" || v.cls.leaf === "quant" || v.t.shape.length < 2) continue;
    viol.add("dtype_stray_matrix", v, `matrix stored as ${v.t.dtype} ${why}`);
  }
  return viol.findings();
}

/** The tracked leaves of every module, and the union of their bits. */
function modulesOf(view: ModelView): { mods: Map<number | string, Mod>; seen: number } {
  const mods = new Map<number | string, Mod>();
  let seen = 0;
  for (const v of view.tensors) {
    // the common leaves first, without building a [module, bit] pair per tensor
    const last = v.leaf;
    let m: number | string = v.mod;
    let bit = LEAF_BITS.get(last) ?? 0;
    if (bit === 0 || last === "scales") [m, bit] = splitLeaf(v);
    if (bit === 0) continue;
    let mod = mods.get(m);
    if (!mod) mods.set(m, (mod = { flags: 0, by: new Map() }));
    mod.flags |= bit;
    if (!mod.by.has(bit)) mod.by.set(bit, v);
    seen |= bit;
  }
  return { mods, seen };
}

/** Weights and their scales, per module: missing, orphaned and mis-shaped scales. */
function checkModules(view: ModelView, mods: Map<number | string, Mod>, seen: number): Finding[] {
  const fmt = view.wf?.format ?? "";
  const missing = new Violations();
  const orphan = new Violations();
  const shape = new Violations();
  const block = view.wf?.blockSize ?? null;
  const group = view.wf?.groupSize ?? null;
  const has = (m: Mod, b: number) => (m.flags & b) !== 0;
  for (const m of mods.values()) {
    const w = m.by.get(L_WEIGHT);
    const weightish = has(m, L_WEIGHT | L_QWEIGHT | L_PACKED | L_BLOCKS);
    // fp8
    if (w && w.t.dtype.startsWith("F8_") && w.t.dtype !== "F8_E8M0") {
      if (!has(m, L_WSCALE_INV | L_WSCALE) && seen & (L_WSCALE_INV | L_WSCALE)) {
        missing.add("quant_scale_missing", w, `${w.t.dtype} weight without weight_scale_inv / weight_scale (other FP8 weights have one)`);
      }
      const s = m.by.get(L_WSCALE_INV);
      if (s && block && block.length === 2 && w.t.shape.length === 2 && s.t.shape.length === 2) {
        const want = [Math.ceil(w.t.shape[0]! / block[0]!), Math.ceil(w.t.shape[1]! / block[1]!)];
        if (s.t.shape[0] !== want[0] || s.t.shape[1] !== want[1]) {
          shape.add("quant_scale_shape", s, `block scales ${shapeStr(s.t.shape)} for weight ${shapeStr(w.t.shape)} with ${block.join("x")} blocks: expected ${shapeStr(want)}`);
        }
      }
    }
    // GPTQ / AWQ
    if (has(m, L_QWEIGHT)) {
      const q = m.by.get(L_QWEIGHT)!;
      const lack = [has(m, L_SCALES) ? null : "scales", has(m, L_QZEROS) || !(seen & L_QZEROS) ? null : "qzeros"].filter((x) => x !== null);
      if (lack.length > 0) missing.add("quant_scale_missing", q, `qweight without ${lack.join(" and ")}`);
    }
    // MXFP4
    if (has(m, L_BLOCKS) && !has(m, L_BSCALES)) missing.add("quant_scale_missing", m.by.get(L_BLOCKS)!, "MXFP4 blocks without their _scales");
    if (has(m, L_BSCALES) && !has(m, L_BLOCKS)) orphan.add("quant_scale_orphan", m.by.get(L_BSCALES)!, "MXFP4 scales without their _blocks");
    if (has(m, L_BLOCKS) && has(m, L_BSCALES)) {
      const b = m.by.get(L_BLOCKS)!.t.shape;
      const s = m.by.get(L_BSCALES)!;
      const want = b.slice(0, -1);
      if (s.t.shape.length !== want.length || s.t.shape.some((d, i) => d !== want[i])) {
        shape.add("quant_scale_shape", s, `MXFP4 scales ${shapeStr(s.t.shape)} for blocks ${shapeStr(b)}: expected ${shapeStr(want)} (one scale per 32-value block)`);
      }
    }
    // NVFP4 (ModelOpt / compressed-tensors)
    if (fmt === "nvfp4") {
      const packed = w && w.t.dtype === "U8" ? w : m.by.get(L_PACKED);
      if (packed) {
        const lack = [
          has(m, L_WSCALE) ? null : "weight_scale",
          has(m, L_WSCALE2) || !(seen & L_WSCALE2) ? null : "weight_scale_2",
          has(m, L_WGLOBAL) || !(seen & L_WGLOBAL) ? null : "weight_global_scale",
        ].filter((x) => x !== null);
        if (lack.length > 0) missing.add("quant_scale_missing", packed, `NVFP4 packed weight without ${lack.join(" and ")}`);
        const s = m.by.get(L_WSCALE);
        const g = group ?? 16;
        if (s && packed.t.shape.length === 2 && s.t.shape.length === 2) {
          const want = [packed.t.shape[0]!, Math.ceil((packed.t.shape[1]! * 2) / g)];
          if (s.t.shape[0] !== want[0] || s.t.shape[1] !== want[1]) {
            shape.add("quant_scale_shape", s, `NVFP4 scales ${shapeStr(s.t.shape)} for packed weight ${shapeStr(packed.t.shape)}: expected ${shapeStr(want)} (one per ${g} values)`);
          }
        }
      }
    }
    // MLX
    if (fmt.startsWith("mlx") && w && w.t.dtype === "U32") {
      const lack = [has(m, L_SCALES) ? null : "scales", has(m, L_BIASES) || !(seen & L_BIASES) ? null : "biases"].filter((x) => x !== null);
      if (lack.length > 0) missing.add("quant_scale_missing", w, `MLX packed weight without ${lack.join(" and ")}`);
    }
    // compressed-tensors pack-quantized
    if (has(m, L_PACKED) && fmt !== "nvfp4" && !has(m, L_WSCALE)) missing.add("quant_scale_missing", m.by.get(L_PACKED)!, "weight_packed without weight_scale");

    // orphans: scales, zeros and indices need a weight in the same module
    if (!weightish) {
      for (const [bit, what] of [
        [L_WSCALE_INV, "weight_scale_inv"],
        [L_WSCALE, "weight_scale"],
        [L_WSCALE2, "weight_scale_2"],
        [L_WGLOBAL, "weight_global_scale"],
        [L_SCALES, "scales"],
        [L_QZEROS, "qzeros"],
        [L_GIDX, "g_idx"],
        [L_BIASES, "biases"],
      ] as const) {
        const v = m.by.get(bit);
        if (v) orphan.add("quant_scale_orphan", v, `${what} without a weight in the same module`);
      }
    }
  }
  return [...missing.findings(), ...orphan.findings(), ...shape.findings()];
}
