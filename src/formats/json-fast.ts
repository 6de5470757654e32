/**
 * Exact fast readers for the two JSON documents read per safetensors model: a shard header
 * (`{"name": {"dtype": .., "shape": [..], "data_offsets": [b, e]}, .., "__metadata__": {..}}`)
 * and a sharded index (`{"metadata": {..}, "weight_map": {"name": "shard", ..}}`).
 *
 * JSON.parse builds an object per entry plus two arrays, and internalizes every tensor name; the
 * duplicate-key proof (quickScan) then walks the bytes and the parsed value again. These readers
 * walk the decoded text once and build only what the parsers keep (the tensor records, the weight
 * map). They accept a strict subset of JSON and return null for anything outside it, and the
 * caller then takes the general path (JSON.parse + the scanners), which reports what is wrong.
 * So they never need to say why, and must only never accept what the general path would read
 * differently. Outside the subset (null):
 * - any backslash in the text (escapes), a control character inside a string;
 * - a repeated key anywhere (the general path reports it);
 * - a tensor name that starts with a digit (JSON.parse enumerates array-index keys first, so the
 *   general path's order could differ), `-`, fractions, exponents or more than 15 digits in a
 *   number (the general path reports negative and non-integer dims);
 * - a header entry with keys other than dtype, shape and data_offsets, or missing one;
 * - anything else than `metadata` and `weight_map` at the top of an index, or a non-string
 *   weight_map value; an index `metadata` value that JSON.parse refuses or nests deeper than 32.
 */
import type { TensorRecord } from "../sources/types.js";
import { setOwn } from "./json-scan.js";

const QUOTE = 0x22;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const ZERO = 0x30;
const NINE = 0x39;
/** Cursor.afterMember results besides the next character. */
const END = -2;
const FAIL = -1;
/** Numbers with at most 15 digits are exact in a double, whatever their value. */
const MAX_DIGITS = 15;

/**
 * Whether the n characters of `s` at `at` repeat those at `prev` (an earlier token of the same
 * text: comparing inside the one flat string is much faster than against a slice of it).
 */
function repeatsAt(s: string, at: number, prev: number, n: number): boolean {
  if (prev < 0 || at + n > s.length) return false;
  for (let k = 0; k < n; k++) if (s.charCodeAt(at + k) !== s.charCodeAt(prev + k)) return false;
  return true;
}

/** Reading state: the text and a cursor; every reader returns false (or -1) to give up. */
class Cursor {
  i = 0;
  constructor(readonly s: string) {}

  ws(): number {
    const s = this.s;
    let i = this.i;
    let c = s.charCodeAt(i);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = s.charCodeAt(++i);
    this.i = i;
    return c;
  }

  /**
   * After an object member: past `,` and the whitespace after it (returns the next character), or
   * past the closing `}` (returns END); FAIL for anything else.
   */
  afterMember(): number {
    const c = this.ws();
    if (c === RBRACE) {
      this.i++;
      return END;
    }
    if (c !== COMMA) return FAIL;
    this.i++;
    return this.ws();
  }

  /**
   * At an object member: its name, past the colon after it; null when the name starts with a digit
   * (JSON.parse enumerates array-index keys first, so the general path's order could differ) or
   * anything is malformed.
   */
  memberName(): string | null {
    const s = this.s;
    if (s.charCodeAt(this.i) !== QUOTE) return null;
    const ke = this.stringEnd();
    if (ke < 0) return null;
    const first = s.charCodeAt(this.i + 1);
    if (first >= ZERO && first <= NINE) return null;
    const name = s.slice(this.i + 1, ke);
    this.i = ke + 1;
    if (this.ws() !== COLON) return null;
    this.i++;
    return name;
  }

  /** At an opening quote: the end (index of the closing quote), or -1 for a control character or no end. */
  stringEnd(): number {
    const s = this.s;
    const n = s.length;
    for (let k = this.i + 1; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c === QUOTE) return k;
      if (c < 0x20) return -1;
    }
    return -1;
  }

  /** A non-negative integer of at most 15 digits without leading zeros; -1 otherwise. */
  uint(): number {
    const s = this.s;
    let i = this.i;
    let c = s.charCodeAt(i);
    if (c < ZERO || c > NINE) return -1;
    const start = i;
    let v = 0;
    while (c >= ZERO && c <= NINE) {
      v = v * 10 + (c - ZERO);
      c = s.charCodeAt(++i);
    }
    const digits = i - start;
    if (digits > MAX_DIGITS || (digits > 1 && s.charCodeAt(start) === ZERO)) return -1;
    // a fraction or an exponent
    if (c === 0x2e || c === 0x65 || c === 0x45) return -1;
    this.i = i;
    return v;
  }

  /**
   * Past one JSON value of any kind (strings without escapes), counting bracket depth; the end
   * index, or -1 above maxDepth or at a malformed string. Validation is left to JSON.parse.
   */
  skipValue(maxDepth: number): number {
    const s = this.s;
    const n = s.length;
    let depth = 0;
    let i = this.i;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c === QUOTE) {
        this.i = i;
        const e = this.stringEnd();
        if (e < 0) return -1;
        i = e;
        if (depth === 0) return e + 1;
      } else if (c === LBRACE || c === LBRACKET) {
        if (++depth > maxDepth) return -1;
      } else if (c === RBRACE || c === RBRACKET) {
        if (--depth < 0) return -1;
        if (depth === 0) return i + 1;
      } else if (depth === 0 && (c === COMMA || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) {
        return i;
      }
    }
    return depth === 0 ? i : -1;
  }
}

/**
 * Equal shapes as one array: the records of a header share them (MoE checkpoints hold 10^5 tensors
 * of a handful of shapes; fewer arrays means less for the garbage collector to copy). Direct
 * mapped on a hash of the dims. Shapes are never modified after parsing.
 */
class ShapeCache {
  private readonly slots: (number[] | undefined)[] = new Array(256);

  get(dims: readonly number[]): number[] {
    let h = dims.length;
    for (let i = 0; i < dims.length; i++) h = (Math.imul(h, 31) + ((dims[i] as number) % 1048573)) | 0;
    const slot = h & 255;
    const hit = this.slots[slot];
    if (hit !== undefined && hit.length === dims.length) {
      let same = true;
      for (let i = 0; i < dims.length; i++) {
        if (hit[i] !== dims[i]) {
          same = false;
          break;
        }
      }
      if (same) return hit;
    }
    const copy = dims.slice();
    this.slots[slot] = copy;
    return copy;
  }
}

/**
 * A string value that mostly repeats the previous one of its kind (a dtype, a shard name): the
 * token is compared in the text with the previous one before a string is made.
 */
class RepeatedString {
  private last = "";
  private at = -1;
  private len = 0;
  /** Whether the last read made a new string (the token differed from the previous one). */
  fresh = false;

  /** At an opening quote: the value, or null at a malformed string. */
  read(cur: Cursor): string | null {
    const s = cur.s;
    if (repeatsAt(s, cur.i, this.at, this.len)) {
      cur.i += this.len;
      this.fresh = false;
      return this.last;
    }
    const e = cur.stringEnd();
    if (e < 0) return null;
    this.last = s.slice(cur.i + 1, e);
    this.at = cur.i;
    this.len = e + 1 - cur.i;
    cur.i = e + 1;
    this.fresh = true;
    return this.last;
  }
}

export interface FastHeader {
  /** Records in document order. */
  tensors: TensorRecord[];
  /** `__metadata__` (an object of strings), or null when absent or JSON null. */
  metadata: Record<string, string> | null;
}

const ENTRY_DTYPE = 1;
const ENTRY_SHAPE = 2;
const ENTRY_OFFSETS = 4;

/** Read a decoded safetensors header, or null when it is outside the subset (see the file comment). */
export function readHeaderFast(s: string, file: string): FastHeader | null {
  if (s.indexOf("\\") !== -1) return null;
  const cur = new Cursor(s);
  if (cur.ws() !== LBRACE) return null;
  cur.i++;
  const tensors: TensorRecord[] = [];
  const names = new Set<string>();
  const scratch: number[] = [];
  const shapes = new ShapeCache();
  let metadata: Record<string, string> | null = null;
  const dtypes = new RepeatedString();
  let c = cur.ws();
  if (c === RBRACE) {
    cur.i++;
  } else {
    for (;;) {
      const name = cur.memberName();
      if (name === null) return null;
      const before = names.size;
      names.add(name);
      if (names.size === before) return null;
      if (name === "__metadata__") {
        const m = readStringObject(cur);
        if (m === undefined) return null;
        metadata = m;
      } else {
        // one entry: {"dtype": "..", "shape": [..], "data_offsets": [b, e]} in any order
        if (cur.ws() !== LBRACE) return null;
        cur.i++;
        let seen = 0;
        let dtype = "";
        let shape: number[] = [];
        let begin = 0;
        let end = 0;
        c = cur.ws();
        for (;;) {
          if (c !== QUOTE) return null;
          const i = cur.i;
          let key: number;
          const k1 = s.charCodeAt(i + 1);
          if (k1 === 0x64 /* d */ && s.startsWith('"dtype"', i)) {
            key = ENTRY_DTYPE;
            cur.i = i + 7;
          } else if (k1 === 0x73 /* s */ && s.startsWith('"shape"', i)) {
            key = ENTRY_SHAPE;
            cur.i = i + 7;
          } else if (k1 === 0x64 && s.startsWith('"data_offsets"', i)) {
            key = ENTRY_OFFSETS;
            cur.i = i + 14;
          } else {
            return null;
          }
          if (seen & key) return null;
          seen |= key;
          if (cur.ws() !== COLON) return null;
          cur.i++;
          c = cur.ws();
          if (key === ENTRY_DTYPE) {
            if (c !== QUOTE) return null;
            const d = dtypes.read(cur);
            if (d === null) return null;
            dtype = d;
          } else {
            if (c !== LBRACKET) return null;
            cur.i++;
            // numbers go to a reused scratch array; a shape is then taken from the cache of
            // recent shapes when an equal one is there (no new array), else copied
            const nums = scratch;
            nums.length = 0;
            c = cur.ws();
            if (c !== RBRACKET) {
              for (;;) {
                const v = cur.uint();
                if (v < 0) return null;
                nums.push(v);
                c = cur.ws();
                if (c === RBRACKET) break;
                if (c !== COMMA) return null;
                cur.i++;
                cur.ws();
              }
            }
            cur.i++;
            if (key === ENTRY_SHAPE) {
              shape = shapes.get(nums);
            } else {
              if (nums.length !== 2) return null;
              begin = nums[0] as number;
              end = nums[1] as number;
            }
          }
          c = cur.afterMember();
          if (c === END) break;
          if (c === FAIL) return null;
        }
        if (seen !== (ENTRY_DTYPE | ENTRY_SHAPE | ENTRY_OFFSETS)) return null;
        tensors.push({ name, dtype, shape, file, begin, end });
      }
      c = cur.afterMember();
      if (c === END) break;
      if (c === FAIL) return null;
    }
  }
  // only whitespace after the object
  if (cur.i < s.length && (cur.ws(), cur.i < s.length)) return null;
  return { tensors, metadata };
}

/**
 * At a value: an object of strings (built as JSON.parse would), null for JSON null, undefined to
 * give up (any other value, a repeated key).
 */
function readStringObject(cur: Cursor): Record<string, string> | null | undefined {
  const s = cur.s;
  let c = cur.ws();
  if (c === 0x6e) {
    if (!s.startsWith("null", cur.i)) return undefined;
    cur.i += 4;
    return null;
  }
  if (c !== LBRACE) return undefined;
  cur.i++;
  const out: Record<string, string> = {};
  const keys = new Set<string>();
  c = cur.ws();
  if (c === RBRACE) {
    cur.i++;
    return out;
  }
  for (;;) {
    const k = cur.memberName();
    if (k === null || keys.has(k)) return undefined;
    keys.add(k);
    if (cur.ws() !== QUOTE) return undefined;
    const ve = cur.stringEnd();
    if (ve < 0) return undefined;
    setOwn(out, k, s.slice(cur.i + 1, ve));
    cur.i = ve + 1;
    c = cur.afterMember();
    if (c === END) return out;
    if (c === FAIL) return undefined;
  }
}

export interface FastIndex {
  /** Tensor -> shard, in document order. */
  weightMap: Map<string, string>;
  /** Distinct shards in first-seen order, and the tensor that names each first. */
  shards: string[];
  firstTensors: string[];
  /** Whether `metadata` is present, and its value as JSON.parse reads it. */
  hasMetadata: boolean;
  metadata: unknown;
}

/** Nesting allowed inside an index's `metadata` here; deeper goes the general way (limit 64). */
const INDEX_METADATA_DEPTH = 32;

/**
 * Read a decoded index, or null when it is outside the subset (see the file comment) or has no
 * weight_map. Shard names are not checked here.
 */
export function readIndexFast(s: string): FastIndex | null {
  if (s.indexOf("\\") !== -1) return null;
  const cur = new Cursor(s);
  if (cur.ws() !== LBRACE) return null;
  cur.i++;
  const weightMap = new Map<string, string>();
  const shards: string[] = [];
  const firstTensors: string[] = [];
  let hasMetadata = false;
  let metadata: unknown;
  let hasWeightMap = false;
  let c = cur.ws();
  if (c === RBRACE) {
    cur.i++;
  } else {
    for (;;) {
      const key = cur.memberName();
      if (key === "weight_map") {
        if (hasWeightMap) return null;
        hasWeightMap = true;
        if (!readWeightMap(cur, weightMap, shards, firstTensors)) return null;
      } else if (key === "metadata") {
        if (hasMetadata) return null;
        hasMetadata = true;
        cur.ws();
        const start = cur.i;
        const end = cur.skipValue(INDEX_METADATA_DEPTH);
        if (end < 0) return null;
        try {
          metadata = JSON.parse(s.slice(start, end));
        } catch {
          return null;
        }
        cur.i = end;
      } else {
        return null;
      }
      c = cur.afterMember();
      if (c === END) break;
      if (c === FAIL) return null;
    }
  }
  if (cur.i < s.length && (cur.ws(), cur.i < s.length)) return null;
  // without a weight_map the general path says what is wrong
  if (!hasWeightMap) return null;
  return { weightMap, shards, firstTensors, hasMetadata, metadata };
}

function readWeightMap(cur: Cursor, weightMap: Map<string, string>, shards: string[], firstTensors: string[]): boolean {
  if (cur.ws() !== LBRACE) return false;
  cur.i++;
  let c = cur.ws();
  if (c === RBRACE) {
    cur.i++;
    return true;
  }
  const seenShards = new Set<string>();
  const shardNames = new RepeatedString();
  for (;;) {
    const name = cur.memberName();
    if (name === null) return false;
    if (cur.ws() !== QUOTE) return false;
    // consecutive entries mostly name the same shard
    const shard = shardNames.read(cur);
    if (shard === null) return false;
    if (shardNames.fresh) {
      if (!seenShards.has(shard)) {
        seenShards.add(shard);
        shards.push(shard);
        firstTensors.push(name);
      }
    }
    const before = weightMap.size;
    weightMap.set(name, shard);
    if (weightMap.size === before) return false;
    c = cur.afterMember();
    if (c === END) return true;
    if (c === FAIL) return false;
  }
}
