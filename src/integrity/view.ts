/**
 * One pass over a model's tensors that every integrity check shares: the abstract key, layer and
 * expert index, classification (cached per abstract key and dtype), the layer stacks and which
 * layers are multi-token-prediction (MTP) layers. Linear in the number of tensors.
 */
import type { NormalizedConfig } from "../fingerprint/config.js";
import { tensorIndex, type TensorInfo } from "../fingerprint/tensors.js";
import type { Finding, FormatKind, WeightFormat } from "../fingerprint/types.js";
import type { TensorRecord } from "../sources/types.js";
import { finding, type IntegrityCode } from "./codes.js";

/** A tensor as the integrity checks see it: the fingerprint's TensorInfo. */
export type TensorView = TensorInfo;

export interface ModelView {
  model: string;
  format: FormatKind | null;
  tensors: TensorView[];
  norm: NormalizedConfig | null;
  wf: WeightFormat | null;
  /** The main (text) layer stack, e.g. "model.layers". */
  stack: string | null;
  /** Every layer of the main stack, MTP layers included, by index. */
  layers: Map<number, TensorView[]>;
  /** Sorted indices of the main stack without MTP layers. */
  mainIdx: number[];
  /** Sorted indices of MTP layers (DeepSeek-V3 `model.layers.61`). */
  mtpIdx: number[];
  /** Other non-tower stacks and their layer counts (encoder of an encoder-decoder model...). */
  stacks: Map<string, Set<number>>;
}

/** A multi-token-prediction layer holds one of these modules (as fingerprint/tensors.ts decides). */
const MTP_REL = /\.\{L\}\.(?:.*\.)?(?:eh_proj|enorm|hnorm|shared_head)(?:\.|$)/;

export function buildView(model: string, tensors: readonly TensorRecord[], norm: NormalizedConfig | null, wf: WeightFormat | null, format: FormatKind | null): ModelView {
  // The normalized names and classes (classifyRecord of each key and dtype) the fingerprint build
  // already made for this very list: tensorIndex is memoized by the array.
  const out = tensorIndex(tensors).infos;
  const stacks = stacksOf(out);

  // main stack: the decoder of an encoder-decoder model, else the largest non-MTP stack
  const isMtpStack = (s: string) => s.split(".").includes("mtp");
  const names = [...stacks.keys()].filter((s) => !isMtpStack(s));
  const dec = names.find((s) => /(?:^|\.)decoder(?:\.|$)/.test(s));
  const enc = names.find((s) => /(?:^|\.)encoder(?:\.|$)/.test(s));
  let stack: string | null = null;
  if (dec && enc) stack = dec;
  else {
    let best = -1;
    for (const s of names) {
      const n = stacks.get(s)!.size;
      if (n > best) {
        best = n;
        stack = s;
      }
    }
  }
  const layers = stack !== null ? layersOf(out, stack) : new Map<number, TensorView[]>();
  const mainIdx: number[] = [];
  const mtpIdx: number[] = [];
  const mtpKey = new Map<string, boolean>();
  for (const l of [...layers.keys()].sort((a, b) => a - b)) {
    if (hasMtpKey(layers.get(l)!, mtpKey)) mtpIdx.push(l);
    else mainIdx.push(l);
  }
  return { model, format, tensors: out, norm, wf, stack, layers, mainIdx, mtpIdx, stacks };
}

// The walks over every tensor are small functions of their own: V8 then optimizes each loop on its
// own, and a model that takes another branch of buildView does not throw away (and recompile) them.

/** Every non-tower layer stack and the layer indices it has. */
function stacksOf(out: readonly TensorView[]): Map<string, Set<number>> {
  const stacks = new Map<string, Set<number>>();
  for (const v of out) {
    if (v.stack !== null && !v.tower) {
      let s = stacks.get(v.stack);
      if (!s) stacks.set(v.stack, (s = new Set()));
      s.add(v.layer as number);
    }
  }
  return stacks;
}

/** The tensors of each layer of `stack`, by layer index. */
function layersOf(out: readonly TensorView[], stack: string): Map<number, TensorView[]> {
  const layers = new Map<number, TensorView[]>();
  for (const v of out) {
    if (v.stack !== stack || v.layer === null || v.tower) continue;
    let a = layers.get(v.layer);
    if (!a) layers.set(v.layer, (a = []));
    a.push(v);
  }
  return layers;
}

/** True when one of the layer's tensors belongs to an MTP module (memoized per key in `seen`). */
function hasMtpKey(arr: readonly TensorView[], seen: Map<string, boolean>): boolean {
  for (const v of arr) {
    let m = seen.get(v.key);
    if (m === undefined) seen.set(v.key, (m = MTP_REL.test(v.key)));
    if (m) return true;
  }
  return false;
}

/** True when `dims`' last two entries are {a, b} in either order (Conv1D / stacked layouts). */
export function matches2d(dims: readonly number[], a: number, b: number): boolean {
  if (dims.length < 2) return false;
  const x = dims[dims.length - 2]!;
  const y = dims[dims.length - 1]!;
  return (x === a && y === b) || (x === b && y === a);
}

export function shapeStr(s: readonly number[]): string {
  return `[${s.join(", ")}]`;
}

/** `model.layers.{L}.x` with the layer index filled in. */
export function layerPrefix(view: ModelView, layer: number): string {
  return view.stack !== null ? `${view.stack}.${layer}` : `layer ${layer}`;
}

/** Lists at most `n` items, then ", ... (k more)". */
export function listSome<T>(items: readonly T[], n = 5, show: (x: T) => string = String): string {
  const head = items.slice(0, n).map(show).join(", ");
  return items.length > n ? `${head}, ... (${items.length - n} more)` : head;
}

/**
 * Collects violations of one rule per abstract key, so that a wrong shape repeated over 61 layers is
 * one finding naming the first tensor and the number of tensors / layers concerned.
 */
export class Violations {
  private groups = new Map<string, { code: IntegrityCode; key: string; first: TensorView; count: number; layers: Set<number>; detail: string }>();

  add(code: IntegrityCode, v: TensorView, detail: string): void {
    const g = code + "\u0000" + v.key + "\u0000" + detail;
    const cur = this.groups.get(g);
    if (cur) {
      cur.count++;
      if (v.layer !== null) cur.layers.add(v.layer);
      return;
    }
    const layers = new Set<number>();
    if (v.layer !== null) layers.add(v.layer);
    this.groups.set(g, { code, key: v.key, first: v, count: 1, layers, detail });
  }

  findings(): Finding[] {
    const out: Finding[] = [];
    for (const g of this.groups.values()) {
      const where =
        g.count > 1
          ? ` (${g.count} tensors: ${g.key}${g.layers.size > 0 ? ` in ${g.layers.size} layer(s)` : ""})`
          : "";
      out.push(finding(g.code, `${g.first.t.name}${where}: ${g.detail}`, { tensor: g.first.t.name, key: g.key, file: g.first.t.file }));
    }
    return out;
  }
}
