/**
 * Which models and pairs a PR touches: the manifest at the PR's head compared with the manifest
 * at the base branch (read through the contents API, since checkouts are usually shallow).
 */
import { parseManifest } from "../manifest/load.js";
import type { Manifest, ModelSpec, PairSpec } from "../manifest/types.js";
import { isHttpError, type GitHubClient } from "./client.js";
import type { RepoRef } from "./comment.js";

/** The base manifest's text, or null when the base has none (404) — then everything is new. */
export async function readManifestAt(client: GitHubClient, repo: RepoRef, path: string, ref: string): Promise<string | null> {
  try {
    const r = await client.rest.repos.getContent({ ...repo, path, ref });
    const data = r.data as { type?: string; content?: string; encoding?: string };
    if (Array.isArray(r.data) || data.type !== "file" || typeof data.content !== "string") return null;
    return Buffer.from(data.content, (data.encoding as BufferEncoding | undefined) ?? "base64").toString("utf8");
  } catch (e) {
    if (isHttpError(e, 404)) return null;
    throw e;
  }
}

function modelKey(m: ModelSpec): string {
  return JSON.stringify([m.repo, m.local, m.revision, m.source, m.expect, [...m.tags].sort()]);
}

function pairKey(p: PairSpec): string {
  return `${p.target}\u0000${p.proxy}\u0000${p.require ?? ""}`;
}

export interface Touched {
  /** Models added or changed by the PR (ids at head), plus members of added/changed pairs. */
  models: string[];
  /** Pairs added or changed ("target <- proxy"). */
  pairs: string[];
  /** Models the PR removed (ids at base). */
  removed: string[];
  /** The base had no manifest (or it did not parse): everything counts as touched. */
  baseMissing: boolean;
}

export function touched(base: Manifest | null, head: Manifest): Touched {
  if (!base) {
    return { models: head.models.map((m) => m.id), pairs: head.pairs.map((p) => `${p.target} <- ${p.proxy}`), removed: [], baseMissing: true };
  }
  const baseModels = new Map(base.models.map((m) => [m.id, modelKey(m)]));
  const models = new Set<string>();
  for (const m of head.models) if (baseModels.get(m.id) !== modelKey(m)) models.add(m.id);
  const basePairs = new Set(base.pairs.map(pairKey));
  const pairs: string[] = [];
  for (const p of head.pairs) {
    if (!basePairs.has(pairKey(p)) || models.has(p.target) || models.has(p.proxy)) {
      pairs.push(`${p.target} <- ${p.proxy}`);
      models.add(p.target);
      models.add(p.proxy);
    }
  }
  const headIds = new Set(head.models.map((m) => m.id));
  const removed = base.models.map((m) => m.id).filter((id) => !headIds.has(id));
  return { models: head.models.map((m) => m.id).filter((id) => models.has(id)), pairs, removed, baseMissing: false };
}

/** Parse the base manifest leniently: a base that does not parse counts as missing. */
export function parseBaseManifest(text: string | null, path: string): Manifest | null {
  if (text === null) return null;
  try {
    return parseManifest(text, `${path} (base)`);
  } catch {
    return null;
  }
}
