/**
 * One sticky PR comment: found by a hidden marker and the bot's author (paginated), updated in
 * place. Races: after creating, re-list and keep the oldest marker comment, deleting the others.
 * A run never overwrites a comment written by a newer run (run id in a hidden meta marker).
 */
import { isHttpError, type GitHubClient } from "./client.js";

export const COMMENT_MARKER = "<!-- standin:pr-comment v1 -->";
export const GITHUB_ACTIONS_BOT = "github-actions[bot]";
/** GitHub's limit on comment and issue bodies (characters). */
export const GITHUB_BODY_LIMIT = 65_536;

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface StickyResult {
  action: "created" | "updated" | "unchanged" | "skipped-newer";
  id: number;
  url: string;
  /** Duplicate marker comments deleted (race cleanup). */
  deleted: number;
}

interface CommentLike {
  id: number;
  body?: string | null;
  html_url: string;
  user: { login: string } | null;
  created_at: string;
}

const META_RE = /<!-- standin:meta (\{[^>]*\}) -->/;

export function metaMarker(meta: { run?: number | null; sha?: string | null }): string {
  return `<!-- standin:meta ${JSON.stringify({ run: meta.run ?? null, sha: meta.sha ?? null })} -->`;
}

function runOf(body: string | null | undefined): number | null {
  const m = META_RE.exec(body ?? "");
  if (!m) return null;
  try {
    const v = JSON.parse(m[1] as string) as { run?: unknown };
    return typeof v.run === "number" ? v.run : null;
  } catch {
    return null;
  }
}

/**
 * Who we are: the authenticated user for a PAT, else (GITHUB_TOKEN cannot call /user) the
 * Actions bot. An explicit login wins.
 */
export async function resolveBotLogin(client: GitHubClient, explicit?: string | null): Promise<string> {
  if (explicit) return explicit;
  try {
    const r = await client.rest.users.getAuthenticated();
    return r.data.login;
  } catch {
    return GITHUB_ACTIONS_BOT;
  }
}

export async function findMarkerComments(client: GitHubClient, repo: RepoRef, issue: number, marker: string, authors: readonly string[]): Promise<CommentLike[]> {
  const all = (await client.paginate(client.rest.issues.listComments, { ...repo, issue_number: issue, per_page: 100 })) as CommentLike[];
  return all
    .filter((c) => (c.body ?? "").includes(marker) && c.user !== null && authors.includes(c.user.login))
    .sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id - b.id));
}

/** Create or update the one sticky comment. `body` must already contain the marker. */
export async function upsertStickyComment(
  client: GitHubClient,
  repo: RepoRef,
  issue: number,
  body: string,
  opts: { marker?: string; botLogin: string; run?: number | null },
): Promise<StickyResult> {
  const marker = opts.marker ?? COMMENT_MARKER;
  if (!body.includes(marker)) throw new Error("sticky comment body must contain its marker");
  if ([...body].length > GITHUB_BODY_LIMIT) throw new Error(`comment body is ${[...body].length} characters, over GitHub's ${GITHUB_BODY_LIMIT}`);
  const authors = [opts.botLogin];
  const existing = await findMarkerComments(client, repo, issue, marker, authors);
  if (existing.length === 0) {
    const created = await client.rest.issues.createComment({ ...repo, issue_number: issue, body });
    // Race cleanup: another run may have created one at the same time; keep the oldest.
    const after = await findMarkerComments(client, repo, issue, marker, [created.data.user?.login ?? opts.botLogin, ...authors]);
    let deleted = 0;
    const keep = after[0];
    if (keep && keep.id !== created.data.id) {
      await client.rest.issues.updateComment({ ...repo, comment_id: keep.id, body });
    }
    for (const c of after.slice(1)) {
      await deleteQuietly(client, repo, c.id);
      deleted++;
    }
    const id = keep?.id ?? created.data.id;
    return { action: "created", id, url: keep?.html_url ?? created.data.html_url, deleted };
  }
  const [keep, ...dups] = existing as [CommentLike, ...CommentLike[]];
  let deleted = 0;
  for (const c of dups) {
    await deleteQuietly(client, repo, c.id);
    deleted++;
  }
  const theirRun = runOf(keep.body);
  if (opts.run != null && theirRun !== null && theirRun > opts.run) {
    return { action: "skipped-newer", id: keep.id, url: keep.html_url, deleted };
  }
  if ((keep.body ?? "") === body) return { action: "unchanged", id: keep.id, url: keep.html_url, deleted };
  const r = await client.rest.issues.updateComment({ ...repo, comment_id: keep.id, body });
  return { action: "updated", id: r.data.id, url: r.data.html_url, deleted };
}

async function deleteQuietly(client: GitHubClient, repo: RepoRef, id: number): Promise<void> {
  try {
    await client.rest.issues.deleteComment({ ...repo, comment_id: id });
  } catch (e) {
    if (!isHttpError(e, 404)) throw e;
  }
}
