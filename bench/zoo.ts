/**
 * The benchmark zoo: every model folder of ../shared/zoo-corpus that has a config.json, served by
 * the local Hub.
 *
 * - Folders with a real weight map or exact upstream shard sizes (lfs_pointer_sizes.tsv) go through
 *   buildCorpusRepo: the real config, the real index written verbatim, exact shard sizes, sparse data
 *   (DeepSeek-R1: 163 shards, Reflection-70B: 162, BLOOM: 72, ...).
 * - Folders with only a config.json go through buildSyntheticRepo with the verbatim config and
 *   save_pretrained-style 5 GB shards (tensor names and shapes synthesized from the config).
 * - Folders whose config cannot be synthesized are skipped with the reason (printed by the bench).
 *
 * For each model it records what the lower bound needs: the shard list, each shard's header length
 * (8 + N bytes must be read), and the config and index sizes.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { buildCorpusRepo, buildSyntheticRepo, corpusRepoFolders } from "../test/hub/corpus-repos.js";
import type { RepoStore } from "../test/hub/repo-store.js";

export interface ZooModel {
  /** Hub repo id ("ns/name"). */
  id: string;
  folder: string;
  /** corpus: real weight map / shard sizes; synthetic: config-only folder, tensors synthesized. */
  kind: "corpus" | "synthetic";
  /** Shards and their header lengths N (8 + N bytes is the least that must be read per shard). */
  shards: { file: string; headerLength: number; size: number }[];
  indexFile: string | null;
  configBytes: number;
  indexBytes: number;
  tensorCount: number;
  /** Shard sizes are the exact upstream ones. */
  exactSizes: boolean;
}

export interface Zoo {
  models: ZooModel[];
  skipped: { folder: string; reason: string }[];
  buildMs: number;
}

const GB = 1e9;

/** Corpus model folders with a config.json (those are the ones a zoo can fingerprint). */
export function configFolders(corpusDir: string): string[] {
  return readdirSync(corpusDir)
    .filter((d) => !d.startsWith("_") && existsSync(path.join(corpusDir, d, "config.json")))
    .sort();
}

export function buildZoo(store: RepoStore, corpusDir: string, opts: { exclude?: readonly string[] } = {}): Zoo {
  const t0 = performance.now();
  const withWeights = new Set(corpusRepoFolders(corpusDir));
  const exclude = new Set(opts.exclude ?? []);
  const models: ZooModel[] = [];
  const skipped: Zoo["skipped"] = [];
  for (const folder of configFolders(corpusDir)) {
    if (exclude.has(folder)) {
      skipped.push({ folder, reason: "excluded" });
      continue;
    }
    const id = folder.replace("__", "/");
    const configText = readFileSync(path.join(corpusDir, folder, "config.json"));
    try {
      if (withWeights.has(folder)) {
        const r = buildCorpusRepo(store, folder, { repoId: id, corpusDir });
        const repo = store.get(id);
        const indexBytes = r.indexFile && repo ? repo.files(r.sha)[r.indexFile]?.size ?? 0 : 0;
        models.push({
          id,
          folder,
          kind: "corpus",
          shards: r.shards.map((s) => ({ file: s.file, headerLength: s.headerLength, size: s.size })),
          indexFile: r.indexFile,
          configBytes: configText.byteLength,
          indexBytes,
          tensorCount: r.tensorCount,
          exactSizes: r.exactSizes,
        });
      } else {
        const config = JSON.parse(configText.toString("utf8")) as Record<string, unknown>;
        const r = buildSyntheticRepo(store, id, config, { maxShardBytes: 5 * GB, files: { "config.json": configText } });
        const repo = store.get(id);
        const indexBytes = r.indexFile && repo ? repo.files(r.sha)[r.indexFile]?.size ?? 0 : 0;
        models.push({
          id,
          folder,
          kind: "synthetic",
          shards: r.shards.map((s) => ({ file: s.file, headerLength: s.headerLength, size: s.size })),
          indexFile: r.indexFile,
          configBytes: configText.byteLength,
          indexBytes,
          tensorCount: r.tensors.length,
          exactSizes: false,
        });
      }
    } catch (e) {
      skipped.push({ folder, reason: (e as Error).message.split("\n")[0]!.slice(0, 160) });
    }
  }
  return { models, skipped, buildMs: performance.now() - t0 };
}

/** The lower bound of one cold fingerprint of these models (see docs/performance.md). */
export interface LowerBound {
  /** info + config + index (when sharded) + 1 per shard. */
  requests: number;
  /** Of which model-info API calls. */
  api: number;
  /** Safetensors shard reads (each is a Hub 302 plus a CDN 206 on the wire). */
  shardReads: number;
  /** Sum over shards of 8 + N. */
  headerBytes: number;
  configBytes: number;
  indexBytes: number;
}

export function lowerBound(models: readonly ZooModel[]): LowerBound {
  const b: LowerBound = { requests: 0, api: 0, shardReads: 0, headerBytes: 0, configBytes: 0, indexBytes: 0 };
  for (const m of models) {
    b.api += 1;
    b.requests += 2 + (m.indexFile ? 1 : 0) + m.shards.length;
    b.shardReads += m.shards.length;
    for (const s of m.shards) b.headerBytes += 8 + s.headerLength;
    b.configBytes += m.configBytes;
    b.indexBytes += m.indexBytes;
  }
  return b;
}
