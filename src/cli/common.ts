/**
 * Shared CLI plumbing: option definitions, the run context from flags + environment, model
 * references given on the command line, and output streams.
 */
import path from "node:path";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { hfIdProblem, isSha, revisionProblem } from "../manifest/load.js";
import type { FingerprintRequest } from "../fingerprint/index.js";
import type { SourceMode } from "../fingerprint/types.js";
import { createRunContext, type RunContext } from "../sources/index.js";
import { styleFor, type Style } from "../report/table.js";
import { UsageError } from "../util/errors.js";

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export const defaultIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });

export function out(io: Io, text: string): void {
  io.stdout.write(text.endsWith("\n") ? text : text + "\n");
}
export function err(io: Io, text: string): void {
  io.stderr.write(text.endsWith("\n") ? text : text + "\n");
}
export function style(io: Io): Style {
  return styleFor(io.stdout, io.env);
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** Options every network command understands. */
export const NET_OPTIONS = {
  "hub-url": { type: "string" },
  token: { type: "string" },
  "cache-dir": { type: "string" },
  concurrency: { type: "string" },
  retries: { type: "string" },
  timeout: { type: "string" },
  "max-header-bytes": { type: "string" },
  "onnx-budget": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const satisfies Options;

export function parse<O extends Options>(argv: string[], options: O, usage: string) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError((e as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ""), `usage: ${usage}`);
  }
}

export function intOption(v: string | undefined, name: string, min = 1): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`--${name} must be an integer >= ${min}, got "${v}"`);
  return n;
}

export function contextFrom(values: Record<string, string | boolean | undefined>, io: Io): RunContext {
  const s = (k: string): string | undefined => (typeof values[k] === "string" ? (values[k] as string) : undefined);
  const timeout = intOption(s("timeout"), "timeout");
  return createRunContext({
    hubUrl: s("hub-url") ?? null,
    token: s("token") ?? null,
    cacheDir: s("cache-dir") ?? io.env.STANDIN_CACHE_DIR ?? null,
    concurrency: intOption(s("concurrency"), "concurrency"),
    retries: intOption(s("retries"), "retries", 0),
    timeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    stallTimeoutMs: timeout !== undefined ? timeout * 1000 : undefined,
    env: io.env,
  });
}

const SOURCES: SourceMode[] = ["auto", "config", "safetensors", "onnx", "gguf"];

export function sourceOption(v: string | undefined): SourceMode {
  if (v === undefined) return "auto";
  if (!(SOURCES as string[]).includes(v)) throw new UsageError(`--source must be one of ${SOURCES.join(", ")}, got "${v}"`);
  return v as SourceMode;
}

/** A model given on the command line: "ns/name", "ns/name@<sha>", or "local:PATH" (relative to cwd). */
export function modelRef(ref: string, io: Io, opts: { revision?: string; source: SourceMode }): FingerprintRequest {
  if (ref.startsWith("local:")) {
    const p = ref.slice("local:".length).trim();
    if (!p) throw new UsageError(`"${ref}": local: needs a path`, "e.g. local:./models/tiny");
    return { id: ref, repo: null, local: path.resolve(io.cwd, p), revision: "", source: opts.source };
  }
  let id = ref;
  let revision = opts.revision ?? "main";
  const at = ref.lastIndexOf("@");
  if (at > 0) {
    id = ref.slice(0, at);
    revision = ref.slice(at + 1);
    if (!isSha(revision)) throw new UsageError(`"${ref}": the part after @ must be a 40-hex commit sha`, "use --revision for branches and tags");
    revision = revision.toLowerCase();
  }
  const idProblem = hfIdProblem(id);
  if (idProblem) throw new UsageError(`"${ref}" is not a Hugging Face model id: ${idProblem.message}`, idProblem.hint);
  const revProblem = revisionProblem(revision);
  if (revProblem) throw new UsageError(`revision "${revision}": ${revProblem.message}`, revProblem.hint);
  return { id: ref, repo: id, local: null, revision, source: opts.source };
}

/** A path that resolves to the same file from process.cwd(), as short as possible (for messages). */
export function displayPath(file: string, io: Io): string {
  const abs = path.resolve(io.cwd, file);
  const rel = path.relative(process.cwd(), abs);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? rel : abs;
}
