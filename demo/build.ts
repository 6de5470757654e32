/**
 * The built-in demo Hub: a handful of realistic model repos (real configs, synthesized safetensors
 * headers with real tensor names and shapes, sparse data files) served by the local Hub server.
 * Used by `npm run demo`, the action smoke run in .ci/run, and end-to-end tests.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildSyntheticRepo } from "../test/hub/corpus-repos.js";
import { RepoStore } from "../test/hub/repo-store.js";
import { startHubServer, type HubServer, type HubServerOptions } from "../test/hub/server.js";
import { synthesizeTensors, type TensorSpec } from "../test/hub/synth.js";

export const DEMO_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DEMO_MANIFEST = path.join(DEMO_DIR, "model-zoo.yaml");
/** Token with access to the demo's gated repo (tests use it; the demo runs anonymously). */
export const DEMO_TOKEN = "hf_demoAccessTokenXXXXXXXXXXXXXXXXXX";

type Config = Record<string, unknown>;
const cfg = (name: string): Config => JSON.parse(readFileSync(path.join(DEMO_DIR, "configs", `${name}.json`), "utf8")) as Config;

const GB = 1e9;

/** Block-FP8 copy of a bf16 tensor list (DeepSeek-style 128x128 weight_scale_inv blocks). */
export function fp8BlockCopy(tensors: TensorSpec[]): TensorSpec[] {
  const out: TensorSpec[] = [];
  for (const t of tensors) {
    const linear = /\.(q|k|v|o|gate|up|down)_proj\.weight$/.test(t.name) && t.shape.length === 2;
    if (!linear) {
      out.push(t);
      continue;
    }
    const [o, i] = t.shape as [number, number];
    out.push({ ...t, dtype: "F8_E4M3" });
    out.push({ name: t.name.replace(/\.weight$/, ".weight_scale_inv"), dtype: "F32", shape: [Math.ceil(o / 128), Math.ceil(i / 128)] });
  }
  return out;
}

export function buildDemoStore(root: string): RepoStore {
  const store = new RepoStore(root);
  const llama8 = cfg("llama-3.1-8b-instruct");
  buildSyntheticRepo(store, "meta-llama/Llama-3.1-8B-Instruct", llama8, { maxShardBytes: 5 * GB });
  buildSyntheticRepo(store, "meta-llama/Llama-3.1-70B-Instruct", cfg("llama-3.1-70b-instruct"), { maxShardBytes: 5 * GB });
  buildSyntheticRepo(store, "Qwen/Qwen3-0.6B", cfg("qwen3-0.6b"), {});
  buildSyntheticRepo(store, "Qwen/Qwen3-8B", cfg("qwen3-8b"), { maxShardBytes: 4 * GB });
  buildSyntheticRepo(store, "Qwen/Qwen3-32B", cfg("qwen3-32b"), { maxShardBytes: 4 * GB });
  buildSyntheticRepo(store, "Qwen/Qwen3-30B-A3B", cfg("qwen3-30b-a3b"), { maxShardBytes: 4 * GB });
  buildSyntheticRepo(store, "mistralai/Mistral-7B-Instruct-v0.3", cfg("mistral-7b-instruct-v0.3"), { maxShardBytes: 5 * GB });
  const fp8Config = { ...llama8, quantization_config: { quant_method: "fp8", activation_scheme: "dynamic", fmt: "e4m3", weight_block_size: [128, 128] } };
  buildSyntheticRepo(store, "acme/Llama-3.1-8B-Instruct-FP8", fp8Config, {
    maxShardBytes: 5 * GB,
    tensors: fp8BlockCopy(synthesizeTensors(llama8)),
  });
  buildSyntheticRepo(store, "acme/gated-llama", llama8, { maxShardBytes: 5 * GB, repo: { gated: "manual", authorized: [DEMO_TOKEN] } });
  return store;
}

export async function startDemoHub(root: string, opts: Partial<HubServerOptions> = {}): Promise<HubServer> {
  const store = buildDemoStore(root);
  return startHubServer({ store, tokens: [DEMO_TOKEN], ...opts });
}
