/**
 * Helpers shared by the safetensors header and index parsers:
 * - scanJson(): one linear, iterative pass over JSON text that measures nesting depth (so a
 *   hostile document is refused before JSON.parse, and before anything downstream such as
 *   JSON.stringify recurses over it) and finds duplicate object keys, which JSON.parse silently
 *   collapses (it keeps the last value);
 * - FindingSink: collects findings with a per-code cap, so a hostile header with a million broken
 *   tensors produces a bounded report;
 * - decodeUtf8Strict() and where(): UTF-8 decoding and the "file (model)" phrase used in messages.
 *
 * Note: V8's JSON.parse is itself iterative (100k nested arrays parse fine on Node 20, see
 * test/formats-safetensors.test.ts) but JSON.stringify is recursive and overflows the stack, so
 * the depth guard matters for whatever happens to the parsed value later.
 */
import type { Finding, Severity } from "../fingerprint/types.js";

export interface DuplicateKey {
  /** Keys leading to the object holding the duplicate ("[]" stands for an array element). */
  path: string[];
  key: string;
}

export interface JsonScan {
  /** Deepest nesting seen (1 for `{}`); when `tooDeep`, the scan stopped at depthLimit+1. */
  maxDepth: number;
  tooDeep: boolean;
  /** Duplicate keys in the tracked objects, in document order (at most maxDuplicates). */
  duplicates: DuplicateKey[];
  /** Total number of duplicates found (may exceed duplicates.length). */
  duplicateCount: number;
  /** The scan met something that is not JSON and stopped (JSON.parse will give the real error). */
  malformed: boolean;
}

export interface JsonScanOptions {
  depthLimit: number;
  /** Which objects to check for duplicate keys, by their path (root object = []). */
  trackKeys: (path: readonly string[]) => boolean;
  maxDuplicates?: number;
  /**
   * Called for every string value held directly by a tracked object, duplicates included (which
   * JSON.parse drops): e.g. every shard name of a weight_map.
   */
  onStringValue?: (path: readonly string[], key: string, value: string) => void;
}

interface Frame {
  isObject: boolean;
  expectKey: boolean;
  lastKey: string;
  keys: Set<string> | null;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const keyDecoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

/**
 * Scan JSON without building it. Never recurses; tolerates malformed input (see `malformed`).
 * Works on UTF-8 bytes (strings are encoded first): quotes, backslashes and brackets are ASCII, so
 * a byte loop is exact, and typed-array loops stay fast in V8 whatever strings were seen before
 * (a charCodeAt loop over strings was seen to drop ~50x after re-optimization).
 */
export function scanJson(input: string | Uint8Array, opts: JsonScanOptions): JsonScan {
  const b = typeof input === "string" ? new TextEncoder().encode(input) : input;
  const maxDuplicates = opts.maxDuplicates ?? 1000;
  const out: JsonScan = { maxDepth: 0, tooDeep: false, duplicates: [], duplicateCount: 0, malformed: false };
  const stack: Frame[] = [];
  const path: string[] = [];
  const len = b.length;
  let i = 0;
  while (i < len) {
    const c = b[i] as number;
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      if (parent) path.push(parent.isObject ? parent.lastKey : "[]");
      if (stack.length + 1 > opts.depthLimit) {
        out.tooDeep = true;
        out.maxDepth = stack.length + 1;
        return out;
      }
      const isObject = c === 0x7b;
      stack.push({
        isObject,
        expectKey: isObject,
        lastKey: "",
        keys: isObject && opts.trackKeys(path) ? new Set<string>() : null,
      });
      if (stack.length > out.maxDepth) out.maxDepth = stack.length;
      i++;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      if (stack.length === 0) {
        out.malformed = true;
        return out;
      }
      stack.pop();
      if (stack.length > 0) path.pop();
      i++;
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top !== undefined && top.isObject) top.expectKey = true;
      i++;
    } else if (c === QUOTE) {
      // Closing quote: the first quote not preceded by an odd run of backslashes.
      let j = i + 1;
      let escaped = false;
      for (;;) {
        j = b.indexOf(QUOTE, j);
        if (j < 0) {
          out.malformed = true;
          return out;
        }
        let k = j - 1;
        while (k > i && b[k] === BACKSLASH) k--;
        if ((j - 1 - k) % 2 === 0) break;
        escaped = true;
        j++;
      }
      if (!escaped && b.subarray(i + 1, j).includes(BACKSLASH)) escaped = true;
      const top = stack[stack.length - 1];
      const isKey = top !== undefined && top.isObject && top.expectKey;
      if (top !== undefined && (isKey || (top.keys !== null && opts.onStringValue !== undefined))) {
        let str: string;
        if (escaped) {
          try {
            str = JSON.parse(keyDecoder.decode(b.subarray(i, j + 1))) as string;
          } catch {
            out.malformed = true;
            return out;
          }
        } else {
          str = keyDecoder.decode(b.subarray(i + 1, j));
        }
        if (!isKey) {
          // a string value directly inside a tracked object (arrays are not tracked)
          opts.onStringValue?.(path, top.lastKey, str);
          i = j + 1;
          continue;
        }
        top.expectKey = false;
        top.lastKey = str;
        if (top.keys !== null) {
          if (top.keys.has(str)) {
            out.duplicateCount++;
            if (out.duplicates.length < maxDuplicates) out.duplicates.push({ path: [...path], key: str });
          } else {
            top.keys.add(str);
          }
        }
      }
      i = j + 1;
    } else {
      i++;
    }
  }
  return out;
}

/**
 * The exact fast path of scanJson for the common case, JSON with no backslash at all: then string
 * tokens can be found by their quotes alone, so the keys of the text can be counted with native
 * byte searches, and compared with the keys JSON.parse kept. Equal counts prove there is no
 * duplicate key anywhere; the parsed value is walked (iteratively) for the nesting depth.
 * Returns null whenever the full scanner must run (a backslash, a duplicate, a count mismatch).
 * Real headers and indexes parse 3-4x faster this way.
 */
export function quickScan(bytes: Uint8Array, parsed: unknown, depthLimit: number): JsonScan | null {
  if (bytes.indexOf(BACKSLASH) !== -1) return null;
  // keys in the text: closing quotes followed by optional whitespace and a colon
  // (one plain loop over the bytes: 2-3x faster than a native search per quote on real headers)
  let textKeys = 0;
  let inString = false;
  const n = bytes.length;
  for (let i = 0; i < n; i++) {
    if (bytes[i] !== QUOTE) continue;
    if (inString) {
      let k = i + 1;
      let c = bytes[k];
      while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++k];
      if (c === 0x3a) textKeys++;
    }
    inString = !inString;
  }
  if (inString) return null;
  // keys JSON.parse kept, and the depth
  let keys = 0;
  let maxDepth = 0;
  const values: unknown[] = [parsed];
  const depths: number[] = [1];
  while (values.length > 0) {
    const v = values.pop();
    const d = depths.pop() as number;
    if (v === null || typeof v !== "object") continue;
    if (d > maxDepth) {
      maxDepth = d;
      if (d > depthLimit) return { maxDepth: d, tooDeep: true, duplicates: [], duplicateCount: 0, malformed: false };
    }
    if (Array.isArray(v)) {
      for (const x of v) {
        if (x !== null && typeof x === "object") {
          values.push(x);
          depths.push(d + 1);
        }
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const key in o) {
        keys++;
        const x = o[key];
        if (x !== null && typeof x === "object") {
          values.push(x);
          depths.push(d + 1);
        }
      }
    }
  }
  if (keys !== textKeys) return null;
  return { maxDepth, tooDeep: false, duplicates: [], duplicateCount: 0, malformed: false };
}

const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decode UTF-8, or return null when the bytes are not valid UTF-8. A BOM is kept (and JSON.parse rejects it). */
export function decodeUtf8Strict(bytes: Uint8Array): string | null {
  try {
    return decoder.decode(bytes);
  } catch {
    return null;
  }
}

/** JSON.parse that returns its error instead of throwing it (the caller reports it after the depth check). */
export function parseOrError(src: string): { value: unknown; error: unknown } {
  try {
    return { value: JSON.parse(src) as unknown, error: null };
  } catch (err) {
    return { value: undefined, error: err };
  }
}

/** `"file" (model m)`: the phrase every error message uses to say where the problem is. */
export function where(ctx: { file: string; model?: string }): string {
  return `${JSON.stringify(ctx.file)}${ctx.model ? ` (model ${ctx.model})` : ""}`;
}

/** JSON type name for messages: "null", "array", "object", "string", "number", "boolean". */
export function jsonType(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  return typeof v;
}

/** A short printable form of an arbitrary JSON value for messages (at most ~80 chars). */
export function preview(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}

/**
 * `obj[key] = value` as an own, enumerable data property, also when `key` is "__proto__": a plain
 * assignment would replace the object's prototype instead (the key is lost, or, for an object
 * value, its fields become readable through the prototype chain). Keys come from untrusted files.
 */
export function setOwn<T>(obj: Record<string, T>, key: string, value: T): void {
  if (key === "__proto__") Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  else obj[key] = value;
}

/**
 * `table[key]` for a constant lookup table keyed by text from a file: only the table's own entries,
 * never Object.prototype's ("constructor", "toString"... would otherwise return functions).
 */
export function ownEntry<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Collects findings, keeping at most `perCode` per code and summarising the rest. */
export class FindingSink {
  private readonly list: Finding[] = [];
  private readonly counts = new Map<string, number>();
  private readonly firstSeverity = new Map<string, Severity>();

  constructor(
    private readonly file: string | undefined,
    private readonly perCode = 50,
  ) {}

  add(severity: Severity, code: string, message: string, extra: { tensor?: string; key?: string; file?: string } = {}): void {
    const n = (this.counts.get(code) ?? 0) + 1;
    this.counts.set(code, n);
    if (!this.firstSeverity.has(code)) this.firstSeverity.set(code, severity);
    if (n > this.perCode) return;
    const f: Finding = { severity, code, message };
    const file = extra.file ?? this.file;
    if (file !== undefined) f.file = file;
    if (extra.tensor !== undefined) f.tensor = extra.tensor;
    if (extra.key !== undefined) f.key = extra.key;
    this.list.push(f);
  }

  /** The findings, with one summary per code that went over the cap. */
  done(): Finding[] {
    const out = [...this.list];
    for (const [code, n] of this.counts) {
      if (n > this.perCode) {
        const f: Finding = {
          severity: this.firstSeverity.get(code) ?? "error",
          code,
          message: `${n - this.perCode} more ${code} finding(s) not listed (${n} in all)`,
        };
        if (this.file !== undefined) f.file = this.file;
        out.push(f);
      }
    }
    return out;
  }
}
