/**
 * The shared zoo corpus (real configs, weight maps, shard sizes, ONNX files) lives outside the repo
 * at ../shared/zoo-corpus. No vitest here: benchmarks and scripts import it too. Never copy corpus files into this repo.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const CORPUS_DIR = process.env.STANDIN_CORPUS ?? path.resolve(REPO_ROOT, "../shared/zoo-corpus");
export const hasCorpus = existsSync(path.join(CORPUS_DIR, "INDEX.md"));



/** Absolute path of a corpus file: corpusPath("meta-llama__Llama-3.1-8B", "config.json"). */
export function corpusPath(folder: string, file?: string): string {
  return file ? path.join(CORPUS_DIR, folder, file) : path.join(CORPUS_DIR, folder);
}

export function readCorpusJson<T = Record<string, unknown>>(folder: string, file = "config.json"): T {
  return JSON.parse(readFileSync(corpusPath(folder, file), "utf8")) as T;
}

/** Corpus model folders (those with a config.json), sorted. */
export function corpusModels(): string[] {
  if (!hasCorpus) return [];
  return readdirSync(CORPUS_DIR)
    .filter((d) => !d.startsWith("_") && existsSync(path.join(CORPUS_DIR, d, "config.json")))
    .sort();
}

/** Shard sizes from lfs_pointer_sizes.tsv: file -> exact upstream byte size. */
export function corpusShardSizes(folder: string): Map<string, number> {
  const p = corpusPath(folder, "lfs_pointer_sizes.tsv");
  const out = new Map<string, number>();
  if (!existsSync(p)) return out;
  for (const line of readFileSync(p, "utf8").split("\n")) {
    if (!line || line.startsWith("#")) continue;
    const [file, size] = line.split("\t");
    if (file && size) out.set(file, Number(size));
  }
  return out;
}
