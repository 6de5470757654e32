/**
 * Typed errors. Every error standin raises derives from StandinError and carries a stable `code`,
 * the model and file it concerns when known, and a hint that says what the user can do.
 * Messages never contain tokens (see redact()).
 */

export interface ErrorContext {
  /** Manifest model id (e.g. "Qwen/Qwen3-8B" or "local:./models/tiny"). */
  model?: string;
  /** File inside the repo or on disk (e.g. "model-00001-of-00004.safetensors"). */
  file?: string;
  /** What the user can do about it. */
  hint?: string;
  /** Underlying cause, kept for debugging (never printed with secrets). */
  cause?: unknown;
}

export class StandinError extends Error {
  readonly code: string;
  model?: string;
  file?: string;
  hint?: string;

  constructor(code: string, message: string, ctx: ErrorContext = {}) {
    super(redact(message), ctx.cause !== undefined ? { cause: ctx.cause } : undefined);
    this.name = new.target.name;
    this.code = code;
    this.model = ctx.model;
    this.file = ctx.file;
    this.hint = ctx.hint;
  }

  /** Attach model/file context if not already present; returns this for chaining. */
  withContext(ctx: { model?: string; file?: string }): this {
    if (ctx.model && !this.model) this.model = ctx.model;
    if (ctx.file && !this.file) this.file = ctx.file;
    return this;
  }

  /** One line for people: "[code] model: file: message (hint)". */
  describe(): string {
    // Messages from the format parsers already say where ("file" (model m)); do not repeat it.
    const where = [this.model, this.file].filter((w) => w && !this.message.includes(w)).join(": ");
    return `${where ? where + ": " : ""}${this.message}${this.hint ? ` (${this.hint})` : ""}`;
  }

  toJSON(): ErrorInfo {
    // Reports print `code: message`: say which file, when the message does not already.
    const message = this.file && !this.message.includes(this.file) ? `${this.file}: ${this.message}` : this.message;
    return {
      code: this.code,
      message,
      ...(this.model ? { model: this.model } : {}),
      ...(this.file ? { file: this.file } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
    };
  }
}

/** Serialized form of an error, as stored in fingerprints and reports. */
export interface ErrorInfo {
  code: string;
  message: string;
  model?: string;
  file?: string;
  hint?: string;
}

/** Bad command line usage (exit code 2). */
export class UsageError extends StandinError {
  constructor(message: string, hint?: string) {
    super("usage", message, { hint });
  }
}

/** A problem in model-zoo.yaml, with its position. */
export class ManifestError extends StandinError {
  readonly path: string;
  readonly line: number;
  readonly col: number;
  readonly key?: string;
  constructor(message: string, pos: { path: string; line: number; col: number; key?: string; hint?: string }) {
    super("manifest", message, { file: pos.path, hint: pos.hint });
    this.path = pos.path;
    this.line = pos.line;
    this.col = pos.col;
    this.key = pos.key;
  }
  override describe(): string {
    return `${this.path}:${this.line}:${this.col}: ${this.key ? `${this.key}: ` : ""}${this.message}${this.hint ? ` (${this.hint})` : ""}`;
  }
}

/** HTTP / Hub protocol errors. `status` is the HTTP status when one was received. */
export class HubError extends StandinError {
  readonly status?: number;
  readonly url?: string;
  constructor(code: string, message: string, ctx: ErrorContext & { status?: number; url?: string } = {}) {
    super(code, message, ctx);
    this.status = ctx.status;
    this.url = ctx.url ? redactUrl(ctx.url) : undefined;
  }
}

export type HubErrorCode =
  | "repo_not_found" // 404 RepoNotFound, or anonymous 401 for a missing/private repo
  | "gated" // 401/403 GatedRepo
  | "revision_not_found"
  | "entry_not_found"
  | "bad_token" // 401 Invalid credentials
  | "forbidden"
  | "disabled"
  | "rate_limited"
  | "range_not_supported" // server answered a Range request with 200 (would read the whole file)
  | "bad_range" // 416 or Content-Range that does not match the request
  | "truncated" // body shorter than announced
  | "too_large" // a body larger than the allowed cap
  | "timeout"
  | "network" // connection reset, DNS, refused...
  | "redirect" // redirect loop or too many redirects
  | "http"; // any other non-OK status

/** A file's bytes do not follow its format (safetensors, index, config, onnx, gguf). */
export class FormatError extends StandinError {
  constructor(code: string, message: string, ctx: ErrorContext = {}) {
    super(code, message, ctx);
  }
}

const TOKEN_RE = /\b(hf_[A-Za-z0-9]{6,}|gh[pousr]_[A-Za-z0-9]{10,}|github_pat_[A-Za-z0-9_]{10,})\b/g;
const extraSecrets = new Set<string>();

/** Register a secret so redact() removes it from any text (tokens passed by flag or input). */
export function registerSecret(secret: string | undefined): void {
  if (secret && secret.length >= 4) extraSecrets.add(secret);
}

/** Remove anything that looks like a token (and every registered secret) from a text. */
export function redact(text: string): string {
  let out = text.replace(TOKEN_RE, "***");
  for (const s of extraSecrets) if (out.includes(s)) out = out.split(s).join("***");
  return out;
}

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    for (const k of [...u.searchParams.keys()]) if (/token|sig|signature|key|auth/i.test(k)) u.searchParams.set(k, "***");
    return redact(u.toString());
  } catch {
    return redact(url);
  }
}

/** Normalize anything thrown into a StandinError (unknown errors become code "internal"). */
export function toStandinError(err: unknown, ctx: { model?: string; file?: string } = {}): StandinError {
  if (err instanceof StandinError) return err.withContext(ctx);
  const msg = err instanceof Error ? err.message : String(err);
  return new StandinError("internal", msg, { ...ctx, cause: err });
}
