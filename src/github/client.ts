/**
 * The GitHub client: @actions/github's Octokit (undici fetch, GITHUB_API_URL) with the retry and
 * throttling plugins.
 *
 * - Writes are serialized by the throttling plugin (1 s apart, 3 s for comment/issue creation).
 * - Primary and secondary rate limits: wait and retry up to twice (onRateLimit / onSecondaryRateLimit).
 * - 409 and 429 are not retried by plugin-retry: 409 (a stale sha) must be re-read by the caller,
 *   and 429 is left to the throttling plugin, which honours the reset time.
 * - A POST that timed out may have succeeded: callers re-find by marker before creating.
 */
import { getOctokit } from "@actions/github";
import { retry } from "@octokit/plugin-retry";
import { throttling, type ThrottlingOptions } from "@octokit/plugin-throttling";

export type GitHubClient = ReturnType<typeof getOctokit>;

export interface ClientOptions {
  token: string;
  /** REST base URL; default GITHUB_API_URL, else https://api.github.com. */
  baseUrl?: string;
  /** Log lines (retries, rate limits) go here. */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

type LimiterGroup = NonNullable<ThrottlingOptions["write"]>;
/** Runs jobs at once. Used only when STANDIN_GITHUB_FAST_WRITES=1 (test suites against a local server). */
const immediate = { key: () => ({ schedule: <T>(_o: unknown, job: () => Promise<T>): Promise<T> => job() }) } as unknown as LimiterGroup;

let seq = 0;

export function createGitHubClient(opts: ClientOptions): GitHubClient {
  const env = opts.env ?? process.env;
  const baseUrl = (opts.baseUrl ?? env.GITHUB_API_URL ?? "https://api.github.com").replace(/\/+$/, "");
  const log = opts.log ?? (() => undefined);
  const fast = env.STANDIN_GITHUB_FAST_WRITES === "1";
  return getOctokit(
    opts.token,
    {
      baseUrl,
      userAgent: "standin-action",
      log: { debug: () => undefined, info: () => undefined, warn: (m: string) => log(`warning: ${m}`), error: (m: string) => log(`error: ${m}`) },
      throttle: {
        id: `standin-${process.pid}-${++seq}`,
        ...(fast ? { write: immediate, notifications: immediate, retryAfterBaseValue: 1, fallbackSecondaryRateRetryAfter: 1 } : {}),
        onRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
          log(`GitHub rate limit on ${options.method} ${options.url}: waiting ${retryAfter} s (attempt ${retryCount + 1})`);
          return retryCount < 2;
        },
        onSecondaryRateLimit: (retryAfter: number, options: { method: string; url: string }, _o: unknown, retryCount: number) => {
          log(`GitHub secondary rate limit on ${options.method} ${options.url}: waiting ${retryAfter} s (attempt ${retryCount + 1})`);
          return retryCount < 2;
        },
      },
      retry: { doNotRetry: [400, 401, 403, 404, 409, 410, 422, 429, 451], ...(fast ? { retryAfterBaseValue: 1 } : {}) },
    },
    retry,
    throttling,
  );
}

/** Shape of an Octokit RequestError we rely on. */
export interface HttpErrorLike {
  status: number;
  message: string;
  response?: { data?: unknown; headers?: Record<string, string | number | undefined> };
}

export function isHttpError(e: unknown, status?: number): e is HttpErrorLike {
  return typeof e === "object" && e !== null && typeof (e as { status?: unknown }).status === "number" && (status === undefined || (e as { status: number }).status === status);
}
