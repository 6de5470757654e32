/**
 * Analysis cache: a model's fingerprint, the read-dependent part of its integrity and its engine
 * gaps, kept in the disk cache next to the files they were built from. A warm run (same repo@sha)
 * then skips parsing and building, not only the network: the header packs are not even read.
 *
 * Reuse is exact or nothing. The key holds everything the entry depends on: the manifest id, repo,
 * requested revision and resolved sha, the source mode, the header cap and ONNX budget, the
 * engine's supported kinds, and the code id (the build's hash, src/util/code-id.ts), so a new
 * standin build never reuses what an old one derived. The manifest's expectations are not part of
 * the entry: they are checked on every run. Only "ok" fingerprints are stored (a failure may be
 * transient and is read again). An entry that cannot be read or does not match its key is a miss.
 */
import { createHash } from "node:crypto";
import type { EngineGaps } from "./integrity/engine-gaps.js";
import type { IntegrityBase } from "./integrity/checks.js";
import type { Fingerprint } from "./fingerprint/types.js";
import { DiskCache } from "./net/cache.js";

export const ANALYSIS_SCHEMA = "standin-analysis/1";

export interface AnalysisKeyParts {
  codeId: string;
  model: string;
  repo: string;
  revision: string;
  source: string;
  maxHeaderBytes: number | null;
  onnxBudgetBytes: number | null;
  supported: readonly string[] | null;
}

export interface CachedAnalysis {
  schema: typeof ANALYSIS_SCHEMA;
  key: string;
  fp: Fingerprint;
  integrity: IntegrityBase;
  gaps: EngineGaps | null;
}

export function analysisKey(p: AnalysisKeyParts): string {
  return JSON.stringify([ANALYSIS_SCHEMA, p.codeId, p.model, p.repo, p.revision, p.source, p.maxHeaderBytes, p.onnxBudgetBytes, p.supported]);
}

function entryName(key: string): string {
  return `analysis-${createHash("sha256").update(key).digest("hex").slice(0, 32)}.json`;
}

/** `earlier`: an earlier revision's entry, looked at without marking it used or counting a hit. */
export async function loadAnalysis(cache: DiskCache, repo: string, sha: string | null, key: string, earlier = false): Promise<CachedAnalysis | null> {
  const bytes = earlier ? (sha ? await cache.peek(repo, sha, entryName(key), "analysis") : null) : await cache.get(repo, sha, entryName(key), "analysis");
  if (!bytes) return null;
  try {
    const v = JSON.parse(new TextDecoder().decode(bytes)) as CachedAnalysis;
    if (v.schema !== ANALYSIS_SCHEMA || v.key !== key || v.fp?.status !== "ok" || v.fp.source?.sha !== sha) return null;
    return v;
  } catch {
    return null;
  }
}

/**
 * An earlier revision's analysis standing for a new revision (HubSource.unchangedSince: the same
 * file list and the same content of every file it was built from): the same entry, at the new sha.
 */
export function analysisAt(entry: CachedAnalysis, sha: string): CachedAnalysis {
  return { ...entry, fp: { ...entry.fp, source: { ...entry.fp.source, sha } } };
}

export async function storeAnalysis(cache: DiskCache, entry: CachedAnalysis): Promise<void> {
  const { repo, sha } = entry.fp.source;
  if (entry.fp.status !== "ok" || !DiskCache.isCacheableRevision(sha)) return;
  await cache.put(repo, sha, entryName(entry.key), "analysis", new TextEncoder().encode(JSON.stringify(entry)));
}
