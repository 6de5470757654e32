/**
 * Module paths of a checkpoint, each created once with its abstract key (`{L}` / `{E}`), layer and
 * expert index derived incrementally from its parent. Gives exactly `normalizeTensorName`'s result
 * for `module.leaf` names, at the cost of one map lookup per tensor instead of a scan of the whole
 * name: the module atlas and the integrity checks share it on 90k-tensor headers.
 */
import { classifyRecord, EXPERT_CONTAINERS, isDigits, LAYER_CONTAINERS, type TensorClass } from "../fingerprint/tensors.js";
import type { TensorRecord } from "../sources/types.js";

/** Same containers and digit rule as normalizeTensorName. */
export { EXPERT_CONTAINERS, isDigits, LAYER_CONTAINERS };

export interface ModuleEntry {
  id: number;
  /** Dotted path; "" for the root. */
  path: string;
  /** Last segment ("" for the root). */
  name: string;
  /** Parent id, -1 for the root. */
  parent: number;
  depth: number;
  /** Abstract key of the path ("" for the root). */
  key: string;
  layer: number | null;
  expert: number | null;
}

export interface Normalized {
  key: string;
  layer: number | null;
  expert: number | null;
}

/** Tag of segment `seg` under a parent named `prev` with the parent's layer / expert so far. */
function tag(seg: string, prev: string, layer: number | null, expert: number | null): "{L}" | "{E}" | null {
  if (!isDigits(seg)) return null;
  if (layer === null && expert === null && LAYER_CONTAINERS.has(prev)) return "{L}";
  if (expert === null && EXPERT_CONTAINERS.has(prev)) return "{E}";
  return null;
}

export class ModuleIndex {
  readonly entries: ModuleEntry[] = [{ id: 0, path: "", name: "", parent: -1, depth: 0, key: "", layer: null, expert: null }];
  private readonly byPath = new Map<string, number>([["", 0]]);

  /** Id of a module path (created with its ancestors when new). */
  idOf(path: string): number {
    const known = this.byPath.get(path);
    if (known !== undefined) return known;
    const dot = path.lastIndexOf(".");
    const parentId = dot < 0 ? 0 : this.idOf(path.slice(0, dot));
    const p = this.entries[parentId]!;
    const name = dot < 0 ? path : path.slice(dot + 1);
    const t = tag(name, p.name, p.layer, p.expert);
    const seg = t ?? name;
    const id = this.entries.length;
    this.entries.push({
      id,
      path,
      name,
      parent: parentId,
      depth: p.depth + 1,
      key: parentId === 0 ? seg : `${p.key}.${seg}`,
      layer: t === "{L}" ? Number(name) : p.layer,
      expert: t === "{E}" ? Number(name) : p.expert,
    });
    this.byPath.set(path, id);
    return id;
  }

  /** Module id and leaf of a tensor name (a name without "." belongs to the root). */
  split(name: string): [number, string] {
    const dot = name.lastIndexOf(".");
    if (dot < 0) return [0, name];
    return [this.idOf(name.slice(0, dot)), name.slice(dot + 1)];
  }

  /** `normalizeTensorName(module.leaf).key`. */
  key(id: number, leaf: string): string {
    const m = this.entries[id]!;
    const seg = tag(leaf, m.name, m.layer, m.expert) ?? leaf;
    return id === 0 ? seg : `${m.key}.${seg}`;
  }

  /** `normalizeTensorName(module.leaf)`. */
  normalize(id: number, leaf: string): Normalized {
    const m = this.entries[id]!;
    const t = tag(leaf, m.name, m.layer, m.expert);
    const seg = t ?? leaf;
    return {
      key: id === 0 ? seg : `${m.key}.${seg}`,
      layer: t === "{L}" ? Number(leaf) : m.layer,
      expert: t === "{E}" ? Number(leaf) : m.expert,
    };
  }
}

/** Every tensor of a checkpoint with its module, leaf and classification (cached per abstract key, leaf and dtype). */
export interface IndexedTensors {
  index: ModuleIndex;
  /** Module id of each tensor. */
  mod: Int32Array;
  /** Leaf (last segment) of each tensor. */
  leaf: string[];
  cls: TensorClass[];
  /** Small ids of each tensor's leaf and dtype (equal strings, equal ids). */
  leafId: Int32Array;
  dtypeId: Int32Array;
}

export function indexTensors(tensors: readonly Pick<TensorRecord, "name" | "dtype">[]): IndexedTensors {
  const index = new ModuleIndex();
  const T = tensors.length;
  const mod = new Int32Array(T);
  const leafOf: string[] = new Array(T);
  const cls: TensorClass[] = new Array(T);
  const leafId = new Int32Array(T);
  const dtypeId = new Int32Array(T);
  const absId = new Map<string, number>();
  const nodeAbs: number[] = [];
  const leafIds = new Map<string, number>();
  const leafStrings: string[] = [];
  const dtypeIds = new Map<string, number>();
  const idFor = (m: Map<string, number>, k: string): number => {
    let v = m.get(k);
    if (v === undefined) m.set(k, (v = m.size));
    return v;
  };
  const cache = new Map<number | string, TensorClass>();
  // consecutive tensors often share their module (weight + bias, weight + weight_scale_inv)
  let lastPath = "\u0000";
  let lastId = 0;
  for (let i = 0; i < T; i++) {
    const t = tensors[i]!;
    const name = t.name;
    const L = lastPath.length;
    let id: number;
    let leaf: string;
    if (name.length > L + 1 && name.charCodeAt(L) === 46 && name.startsWith(lastPath) && name.indexOf(".", L + 1) < 0) {
      id = lastId;
      leaf = name.slice(L + 1);
    } else {
      [id, leaf] = index.split(name);
      lastId = id;
      lastPath = id === 0 ? "\u0000" : index.entries[id]!.path;
    }
    mod[i] = id;
    let a = nodeAbs[id];
    if (a === undefined) nodeAbs[id] = a = idFor(absId, index.entries[id]!.key);
    const li = idFor(leafIds, leaf);
    // one string per distinct leaf: later lookups by leaf (integrity checks) reuse its hash
    if (li === leafStrings.length) leafStrings.push(leaf);
    leafOf[i] = leafStrings[li]!;
    const di = idFor(dtypeIds, t.dtype);
    leafId[i] = li;
    dtypeId[i] = di;
    // numeric key while the ids fit (always, in real checkpoints); a string key otherwise
    const ck: number | string = li < 4096 && di < 256 ? (a * 4096 + li) * 256 + di : `${a}|${li}|${di}`;
    let c = cache.get(ck);
    if (c === undefined) {
      c = classifyRecord({ name: index.key(id, leaf), dtype: t.dtype });
      cache.set(ck, c);
    }
    cls[i] = c;
  }
  return { index, mod, leaf: leafOf, cls, leafId, dtypeId };
}
