/**
 * Human units used in model-zoo.yaml: parameter counts ("8B", "8.03B", "410M", "1.2T", "70k",
 * 8030261248, "8,030,261,248") and tolerances ("1%", "0.5%", 0.01).
 *
 * The parsers throw UnitError (a StandinError with code "unit" and a hint); the manifest loader
 * turns it into a positioned ManifestError, the CLI can show it as is for a flag value.
 */
import { StandinError } from "../util/errors.js";

export class UnitError extends StandinError {
  constructor(message: string, hint?: string) {
    super("unit", message, { hint });
  }
}

/** Multipliers of the accepted suffixes (case-insensitive: "8b" = "8B", "70K" = "70k"). */
const SUFFIX: Record<string, number> = { k: 1e3, m: 1e6, b: 1e9, t: 1e12 };

/** A decimal number with an optional single suffix letter, e.g. "8", "8.03B", "410 M". */
const PARAM_TEXT_RE = /^(\d+(?:\.\d+)?|\.\d+)\s?([A-Za-z]?)$/;
/** Digits grouped by thousands, e.g. "8,030,261,248" (also "8_030_261_248"). */
const PARAM_GROUPED_RE = /^\d{1,3}(?:([,_])\d{3})(?:\1\d{3})*$/;

const PARAM_HINT = 'write a count such as 8B, 8.03B, 410M, 1.2T, 70k or 8030261248';

/**
 * Parse a parameter count. Returns a positive safe integer (decimals are rounded: "8.03B" =
 * 8030000000). Throws UnitError for anything else ("8 billion", "-3B", "8X", 0, 8.5, NaN).
 */
export function parseParamCount(value: string | number): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new UnitError(`parameter count ${String(value)} is not a finite number`, PARAM_HINT);
    if (value <= 0) throw new UnitError(`parameter count must be positive, got ${value}`, PARAM_HINT);
    if (!Number.isInteger(value))
      throw new UnitError(`parameter count ${value} is not a whole number`, `write it with a suffix, e.g. "${formatParamCount(value * 1e9)}" for ${value} billion`);
    if (value > Number.MAX_SAFE_INTEGER) throw new UnitError(`parameter count ${value} is too large`, PARAM_HINT);
    return value;
  }
  const text = value.trim();
  if (text === "") throw new UnitError("parameter count is empty", PARAM_HINT);
  if (/^[-−]/.test(text)) throw new UnitError(`parameter count must be positive, got "${value}"`, PARAM_HINT);
  if (PARAM_GROUPED_RE.test(text)) return parseParamCount(Number(text.replace(/[,_]/g, "")));
  const m = PARAM_TEXT_RE.exec(text);
  if (!m) {
    if (/^\d+(?:\.\d+)?\s*[A-Za-z]{2,}$/.test(text))
      throw new UnitError(`cannot read parameter count "${value}": use a one-letter suffix, k, M, B or T`, PARAM_HINT);
    throw new UnitError(`cannot read parameter count "${value}"`, PARAM_HINT);
  }
  const num = Number(m[1]);
  const suffix = m[2] ?? "";
  let mult = 1;
  if (suffix !== "") {
    const s = SUFFIX[suffix.toLowerCase()];
    if (s === undefined) throw new UnitError(`unknown suffix "${suffix}" in parameter count "${value}"`, "use k for thousand, M for million, B for billion or T for trillion");
    mult = s;
  }
  // Scale through the decimal text, not binary floats: "8.03" * 1e9 must be exactly 8030000000.
  const n = Math.round(Number((num * mult).toPrecision(15)));
  if (n <= 0) throw new UnitError(`parameter count must be positive, got "${value}"`, PARAM_HINT);
  if (suffix === "" && !Number.isInteger(num))
    throw new UnitError(`parameter count "${value}" is not a whole number`, `add a suffix, e.g. "${value}B"`);
  if (n > Number.MAX_SAFE_INTEGER) throw new UnitError(`parameter count "${value}" is too large`, PARAM_HINT);
  return n;
}

const UNITS: Array<[string, number]> = [
  ["T", 1e12],
  ["B", 1e9],
  ["M", 1e6],
  ["k", 1e3],
];

/**
 * Format a parameter count with `digits` significant digits (default 3) and a suffix:
 * 8030261248 -> "8.03B", 70553706496 -> "70.6B", 410000000 -> "410M", 1.2e12 -> "1.2T", 999 -> "999".
 * The result parses back with parseParamCount to within the rounding of `digits`.
 */
export function formatParamCount(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  if (n < 0) return `-${formatParamCount(-n, digits)}`;
  if (n < 1000) return String(Math.round(n));
  for (let i = 0; i < UNITS.length; i++) {
    const [suffix, mult] = UNITS[i]!;
    if (n < mult) continue;
    const scaled = Number((n / mult).toPrecision(digits));
    // 999.7M rounds to "1000M": promote to the next unit ("1B").
    if (scaled >= 1000 && i > 0) {
      const [upSuffix, upMult] = UNITS[i - 1]!;
      return `${trimZeros(Number((n / upMult).toPrecision(digits)))}${upSuffix}`;
    }
    return `${trimZeros(scaled)}${suffix}`;
  }
  return String(Math.round(n));
}

function trimZeros(x: number): string {
  // toPrecision may give exponent notation for large values (e.g. 1.23e+3 for 1234 T): avoid it.
  if (Math.abs(x) >= 1e21) return x.toExponential();
  return String(x);
}

const TOL_HINT = 'write a percentage such as "1%" or "0.5%", or a fraction between 0 and 1 such as 0.01';

/**
 * Parse a tolerance into a fraction in [0, 1]: "1%" -> 0.01, "0.5%" -> 0.005, 0.01 -> 0.01,
 * "0.01" -> 0.01. Throws UnitError for negative values, more than 100%, NaN and other text.
 */
export function parseTolerance(value: string | number): number {
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw new UnitError("tolerance is NaN", TOL_HINT);
    if (value < 0) throw new UnitError(`tolerance must not be negative, got ${value}`, TOL_HINT);
    if (value > 1)
      throw new UnitError(`tolerance ${value} is more than 100%`, `a bare number is a fraction, 0.01 = 1%; write "${value}%" if you meant ${value} percent`);
    return value;
  }
  const text = value.trim();
  const pct = /^(\d+(?:\.\d+)?|\.\d+)\s?%$/.exec(text);
  if (pct) {
    const p = Number(pct[1]);
    if (p > 100) throw new UnitError(`tolerance "${value}" is more than 100%`, TOL_HINT);
    return Number((p / 100).toPrecision(12));
  }
  if (/^-\s*\d/.test(text)) throw new UnitError(`tolerance must not be negative, got "${value}"`, TOL_HINT);
  if (/^(\d+(?:\.\d+)?|\.\d+)$/.test(text)) return parseTolerance(Number(text));
  throw new UnitError(`cannot read tolerance "${value}"`, TOL_HINT);
}

/** Format a fraction as a percentage: 0.01 -> "1%", 0.005 -> "0.5%". */
export function formatTolerance(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))}%`;
}
