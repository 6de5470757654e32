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

  /**
   * memberName without making the string: at a key's opening quote, the key (from just after that
   * quote to the returned end) is hashed into hashA and hashB, its hashes go into `seen`, and the
   * cursor moves past the colon. -1 where memberName gives null, and for hashes already seen.
   */
  hashedMember(seen: HashPairs): number {
    const s = this.s;
    if (s.charCodeAt(this.i) !== QUOTE) return -1;
    const from = this.i + 1;
    const to = hashedStringEnd(s, from);
    if (to < 0) return -1;
    const first = s.charCodeAt(from);
    if (first >= ZERO && first <= NINE) return -1;
    this.i = to + 1;
    if (this.ws() !== COLON) return -1;
    this.i++;
    return seen.add(hashA, hashB) ? to : -1;
  }

  /** At a value: past an opening brace, the next character; END past an empty object; FAIL for no object. */
  openObject(): number {
    if (this.ws() !== LBRACE) return FAIL;
    this.i++;
    const c = this.ws();
    if (c !== RBRACE) return c;
    this.i++;
    return END;
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
  /** The tensor names, as an index digest adds them up (IndexDigest). */
  names: ShardDigest;
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
  // every key's hashes (a repeated key always hashes alike: then the general path decides)
  const names = new HashPairs(Math.ceil(s.length / 64));
  const digest = emptyDigest();
  const scratch: number[] = [];
  const shapes = new ShapeCache();
  let metadata: Record<string, string> | null = null;
  const dtypes = new RepeatedString();
  let c = cur.ws();
  if (c === RBRACE) {
    cur.i++;
  } else {
    for (;;) {
      // the key, as memberName reads it, hashed on the way
      const from = cur.i + 1;
      const to = cur.hashedMember(names);
      if (to < 0) return null;
      const name = s.slice(from, to);
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
        // the name's hashes are still those hashedMember left: nothing else of an entry is hashed
        addHashed(digest, to - from, hashA, hashB);
      }
      c = cur.afterMember();
      if (c === END) break;
      if (c === FAIL) return null;
    }
  }
  // only whitespace after the object
  if (cur.i < s.length && (cur.ws(), cur.i < s.length)) return null;
  return { tensors, metadata, names: digest };
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
  const weightMap = new Map<string, string>();
  const r = readIndex(s, (cur, shards, firstTensors) => readWeightMap(cur, weightMap, shards, firstTensors));
  return r && { weightMap, ...r };
}

/** An index read without its weight map: what each shard's entries add up to (see IndexDigest). */
export interface FastIndexDigest extends Omit<FastIndex, "weightMap"> {
  digest: IndexDigest;
}

/**
 * readIndexFast without building the weight map: the same subset (null outside it, and null when
 * two entries' names hash alike, which a repeated name always does), with a ShardDigest per
 * shard instead of a string and a map entry per tensor. A model's index holds up to 10^5 names.
 */
export function readIndexDigest(s: string): FastIndexDigest | null {
  const digest: IndexDigest = { entries: 0, shards: new Map() };
  const r = readIndex(s, (cur, shards, firstTensors) => readWeightDigest(cur, digest, shards, firstTensors));
  return r && { digest, ...r };
}

function readIndex(
  s: string,
  weights: (cur: Cursor, shards: string[], firstTensors: string[]) => boolean,
): Omit<FastIndex, "weightMap"> | null {
  if (s.indexOf("\\") !== -1) return null;
  const cur = new Cursor(s);
  if (cur.ws() !== LBRACE) return null;
  cur.i++;
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
        if (!weights(cur, shards, firstTensors)) return null;
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
  return { shards, firstTensors, hasMetadata, metadata };
}

function readWeightMap(cur: Cursor, weightMap: Map<string, string>, shards: string[], firstTensors: string[]): boolean {
  let c = cur.openObject();
  if (c === FAIL) return false;
  if (c === END) return true;
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

/**
 * The entries of an index that name each shard, summed so that two sets of names compare without
 * a string per name: the count, the name lengths, and two independent 32-bit hashes of each name
 * added up (mod 2^32). Equal sets always give equal digests; unequal ones give equal digests with
 * a chance of about 2^-64, and validateIndexAgainstHeaders uses a digest only to skip its
 * tensor-by-tensor pass when everything matches (a mismatch takes the exact path).
 */
export interface IndexDigest {
  /** weight_map entries (distinct names: readIndexDigest gives up on a repeated one). */
  entries: number;
  /** Shard -> its entries, in first-seen order. */
  shards: Map<string, ShardDigest>;
}

export interface ShardDigest {
  count: number;
  /** Sum of the names' lengths (UTF-16 code units, as String#length). */
  chars: number;
  a: number;
  b: number;
}

export function emptyDigest(): ShardDigest {
  return { count: 0, chars: 0, a: 0, b: 0 };
}

/** The two hashes of the last hashRange or hashedStringEnd call (module state: no allocation per name). */
let hashA = 0;
let hashB = 0;

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * From just after an opening quote: the index of the closing quote, with the characters before it
 * hashed into hashA and hashB exactly as hashRange does; -1 for a control character or no end.
 */
function hashedStringEnd(s: string, from: number): number {
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  const n = s.length;
  for (let k = from; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === QUOTE) {
      const len = k - from;
      hashA = fmix32(a ^ len);
      hashB = fmix32(b + Math.imul(len, 0x27d4eb2f));
      return k;
    }
    if (c < 0x20) return -1;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return -1;
}

/** Hash s[from, to) into hashA and hashB: FNV-1a and a multiply-xorshift, each finalized (murmur3's fmix32). */
function hashRange(s: string, from: number, to: number): void {
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  for (let k = from; k < to; k++) {
    const c = s.charCodeAt(k);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  hashA = fmix32(a ^ (to - from));
  hashB = fmix32(b + Math.imul(to - from, 0x27d4eb2f));
}

/** Add one name to a digest, as readIndexDigest adds a weight_map entry. */
export function addToDigest(d: ShardDigest, name: string): void {
  hashRange(name, 0, name.length);
  addHashed(d, name.length, hashA, hashB);
}

/** The digest of the names of these tensors (a header read by the general path, or headers given without one). */
export function namesDigest(tensors: readonly TensorRecord[]): ShardDigest {
  const d = emptyDigest();
  for (const t of tensors) addToDigest(d, t.name);
  return d;
}

/** Add a name of `chars` characters whose hashes are a and b. */
function addHashed(d: ShardDigest, chars: number, a: number, b: number): void {
  d.count++;
  d.chars += chars;
  d.a = (d.a + a) | 0;
  d.b = (d.b + b) | 0;
}

export function sameDigest(x: ShardDigest, y: ShardDigest): boolean {
  return x.count === y.count && x.chars === y.chars && x.a === y.a && x.b === y.b;
}

/** An open-addressing set of hash pairs (typed arrays: no object per name). */
class HashPairs {
  private a: Int32Array;
  private b: Int32Array;
  private used: Uint8Array;
  private size = 0;

  constructor(capacity: number) {
    let n = 16;
    while (n < capacity * 2) n *= 2;
    this.a = new Int32Array(n);
    this.b = new Int32Array(n);
    this.used = new Uint8Array(n);
  }

  /** Add the pair; false when it is already there. */
  add(a: number, b: number): boolean {
    if ((this.size + 1) * 2 > this.used.length) this.grow();
    const mask = this.used.length - 1;
    for (let i = (a ^ Math.imul(b, 0x9e3779b1)) & mask; ; i = (i + 1) & mask) {
      if (this.used[i] === 0) {
        this.used[i] = 1;
        this.a[i] = a;
        this.b[i] = b;
        this.size++;
        return true;
      }
      if (this.a[i] === a && this.b[i] === b) return false;
    }
  }

  private grow(): void {
    const { a, b, used } = this;
    this.a = new Int32Array(used.length * 2);
    this.b = new Int32Array(used.length * 2);
    this.used = new Uint8Array(used.length * 2);
    this.size = 0;
    for (let i = 0; i < used.length; i++) if (used[i] === 1) this.add(a[i] as number, b[i] as number);
  }
}

function readWeightDigest(cur: Cursor, digest: IndexDigest, shards: string[], firstTensors: string[]): boolean {
  let c = cur.openObject();
  if (c === FAIL) return false;
  if (c === END) return true;
  const s = cur.s;
  // about 60 characters per entry in a real index
  const names = new HashPairs(Math.ceil((s.length - cur.i) / 60));
  const shardNames = new RepeatedString();
  let d = emptyDigest();
  for (;;) {
    // the name, as memberName reads it, without making a string of it
    const from = cur.i + 1;
    const to = cur.hashedMember(names);
    if (to < 0 || cur.ws() !== QUOTE) return false;
    const shard = shardNames.read(cur);
    if (shard === null) return false;
    if (shardNames.fresh) {
      let e = digest.shards.get(shard);
      if (e === undefined) {
        digest.shards.set(shard, (e = emptyDigest()));
        shards.push(shard);
        firstTensors.push(s.slice(from, to));
      }
      d = e;
    }
    digest.entries++;
    // the name's hashes are still those hashedMember left (a shard name is not hashed)
    addHashed(d, to - from, hashA, hashB);
    c = cur.afterMember();
    if (c === END) return true;
    if (c === FAIL) return false;
  }
}
