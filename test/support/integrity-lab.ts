/**
 * A local Hub with crafted repos for the integrity / atlas tests: write a repo from a config and a
 * tensor list (optionally mutated), then fingerprint it through the real pipeline
 * (createRunContext + fingerprintModel with onRaw) and run the integrity checks.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Extras } from "../../src/fingerprint/acquire.js";
import { fingerprintModel } from "../../src/fingerprint/index.js";
import type { Fingerprint } from "../../src/fingerprint/types.js";
import { runIntegrity, type IntegrityResult } from "../../src/integrity/checks.js";
import type { ModelExpect } from "../../src/manifest/types.js";
import { createRunContext, type RunContext } from "../../src/sources/index.js";
import { buildSyntheticRepo } from "../hub/corpus-repos.js";
import { RepoStore, type CommitBuilder } from "../hub/repo-store.js";
import { startHubServer, type HubServer } from "../hub/server.js";
import { synthesizeTensors, type Config, type TensorSpec } from "../hub/synth.js";

export interface Lab {
  store: RepoStore;
  hub: HubServer;
  ctx(): RunContext;
  close(): Promise<void>;
}

export async function startLab(prefix = "standin-integrity-"): Promise<Lab> {
  const root = mkdtempSync(path.join(os.tmpdir(), prefix));
  const store = new RepoStore(root);
  const hub = await startHubServer({ store });
  return {
    store,
    hub,
    ctx: () => createRunContext({ hubUrl: hub.url, token: null, cacheDir: null, backoffBaseMs: 1, env: {} }),
    close: async () => {
      await hub.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface Inspected extends IntegrityResult {
  fp: Fingerprint;
  ex: Extras | null;
  codes: string[];
}

/** Fingerprint a repo of the lab's hub through the real pipeline and run the integrity checks. */
export async function inspect(lab: Lab, id: string, expect?: Partial<ModelExpect>): Promise<Inspected> {
  let ex: Extras | null = null;
  const fp = await fingerprintModel({ id, repo: id, local: null, revision: "main", source: "auto" }, lab.ctx(), {
    onRaw: (e) => {
      ex = e;
    },
  });
  const r = runIntegrity({ ex, fp, expect });
  return { ...r, fp, ex, codes: r.report.findings.map((f) => f.code) };
}

/** Write a repo: config.json + the tensors (default: synthesized from the config), sharded when asked. */
export function writeRepo(lab: Lab, id: string, config: Config, tensors?: TensorSpec[], opts: { shards?: number; totalParameters?: boolean } = {}): TensorSpec[] {
  const t = tensors ?? synthesizeTensors(config);
  buildSyntheticRepo(lab.store, id, config, { tensors: t, shards: opts.shards, totalParameters: opts.totalParameters, readme: false });
  return t;
}

/** Write a repo by hand (crafted files). */
export function writeCommit(lab: Lab, id: string, fn: (c: CommitBuilder) => void): void {
  const c = lab.store.repo(id).commit({ message: "crafted" });
  try {
    fn(c);
    c.finish();
  } catch (e) {
    c.abort();
    throw e;
  }
}

// ---- tensor list edits

export const drop = (ts: TensorSpec[], pred: (t: TensorSpec) => boolean): TensorSpec[] => ts.filter((t) => !pred(t));
export const edit = (ts: TensorSpec[], name: string, patch: Partial<TensorSpec>): TensorSpec[] => {
  if (!ts.some((t) => t.name === name)) throw new Error(`no tensor ${name}`);
  return ts.map((t) => (t.name === name ? { ...t, ...patch } : t));
};

// ---- tiny configs

export function tinyMixtral(over: Config = {}): Config {
  return {
    architectures: ["MixtralForCausalLM"],
    model_type: "mixtral",
    hidden_size: 64,
    intermediate_size: 128,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    vocab_size: 1000,
    max_position_embeddings: 2048,
    num_local_experts: 4,
    num_experts_per_tok: 2,
    rms_norm_eps: 1e-5,
    rope_theta: 1e6,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    ...over,
  };
}

export function tinyDeepseek(over: Config = {}): Config {
  return {
    architectures: ["DeepseekV3ForCausalLM"],
    model_type: "deepseek_v3",
    hidden_size: 64,
    intermediate_size: 128,
    moe_intermediate_size: 32,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    num_key_value_heads: 4,
    vocab_size: 1000,
    max_position_embeddings: 4096,
    n_routed_experts: 8,
    num_experts_per_tok: 2,
    n_shared_experts: 1,
    first_k_dense_replace: 1,
    moe_layer_freq: 1,
    n_group: 2,
    topk_group: 1,
    topk_method: "noaux_tc",
    scoring_func: "sigmoid",
    norm_topk_prob: true,
    kv_lora_rank: 32,
    q_lora_rank: 48,
    qk_nope_head_dim: 16,
    qk_rope_head_dim: 8,
    v_head_dim: 16,
    num_nextn_predict_layers: 0,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
    tie_word_embeddings: false,
    torch_dtype: "bfloat16",
    ...over,
  };
}

export const FP8 = { quantization_config: { quant_method: "fp8", fmt: "e4m3", activation_scheme: "dynamic", weight_block_size: [16, 16] } };
