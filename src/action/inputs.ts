/**
 * Action inputs (action.yml), read and validated once. Tokens are masked before anything else.
 */
import * as core from "@actions/core";
import { parseFailOn, parseShard, type FailOn, type Shard } from "../check.js";
import { registerSecret, UsageError } from "../util/errors.js";

export type Mode = "check" | "pr" | "weekly" | "merge" | "plan" | "comment";
export const MODES: Mode[] = ["check", "pr", "weekly", "merge", "plan", "comment"];
export type CommentPolicy = "auto" | "always" | "never";

export interface Inputs {
  manifest: string;
  mode: Mode;
  hfToken: string | null;
  hubUrl: string | null;
  githubToken: string | null;
  failOn: FailOn[];
  comment: CommentPolicy;
  issueLabel: string;
  baseline: string;
  cacheDir: string | null;
  shard: Shard | null;
  shardsDir: string;
  mergeMode: "check" | "pr" | "weekly";
  testSeqLen: number;
  outputDir: string;
  shardCount: number | null;
  botLogin: string | null;
}

function get(name: string): string {
  return core.getInput(name).trim();
}

export function readInputs(): Inputs {
  // Mask first: nothing may print a token, not even an input error.
  const hfToken = get("hf-token") || null;
  const githubToken = get("github-token") || null;
  for (const t of [hfToken, githubToken]) {
    if (t) {
      core.setSecret(t);
      registerSecret(t);
    }
  }
  const mode = (get("mode") || "check") as Mode;
  if (!MODES.includes(mode)) throw new UsageError(`input mode: "${mode}" is not one of ${MODES.join(", ")}`);
  const comment = (get("comment") || "auto") as CommentPolicy;
  if (!["auto", "always", "never"].includes(comment)) throw new UsageError(`input comment: "${comment}" is not auto, always or never`);
  const mergeMode = (get("merge-mode") || "check") as Inputs["mergeMode"];
  if (!["check", "pr", "weekly"].includes(mergeMode)) throw new UsageError(`input merge-mode: "${mergeMode}" is not check, pr or weekly`);
  const seq = Number(get("test-seq-len") || "4096");
  if (!Number.isInteger(seq) || seq < 1) throw new UsageError(`input test-seq-len: "${get("test-seq-len")}" is not a positive integer`);
  const sc = get("shard-count");
  const shardCount = sc ? Number(sc) : null;
  if (shardCount !== null && (!Number.isInteger(shardCount) || shardCount < 1 || shardCount > 256)) {
    throw new UsageError(`input shard-count: "${sc}" must be an integer from 1 to 256`, "GitHub allows at most 256 matrix jobs");
  }
  return {
    manifest: get("manifest") || "model-zoo.yaml",
    mode,
    hfToken,
    hubUrl: get("hub-url") || null,
    githubToken,
    failOn: parseFailOn(get("fail-on") || undefined),
    comment,
    issueLabel: get("issue-label") || "standin-weekly",
    baseline: get("baseline") || "branch:standin-baseline",
    cacheDir: get("cache-dir") || null,
    shard: parseShard(get("shard") || undefined),
    shardsDir: get("shards-dir") || "shards",
    mergeMode,
    testSeqLen: seq,
    outputDir: get("output-dir") || "standin-report",
    shardCount,
    botLogin: get("bot-login") || null,
  };
}
