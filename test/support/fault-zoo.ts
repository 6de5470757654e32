/**
 * A mixed zoo for the fault suite (test/faults.test.ts): safetensors single files and sharded
 * models (tiny synthetic families and the demo's realistic configs, from 1 to ~30 shards), ONNX
 * graphs (read whole, range-walked, with external data), GGUF files and config-only repos; plus,
 * when the shared corpus is present, real corpus repos (real weight maps and shard sizes) and real
 * ONNX graphs. Returns the manifest text (with pairs, so the report has verdicts and plans).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fp8BlockCopy } from "../../demo/build.js";
import { buildCorpusRepo, buildSyntheticRepo, corpusRepoFolders } from "../hub/corpus-repos.js";
import type { RepoStore } from "../hub/repo-store.js";
import { synthesizeTensors, tinyConfig, type Config } from "../hub/synth.js";
import { REPO_ROOT, corpusPath, hasCorpus } from "./corpus-files.js";
import { deepseek2Like, llamaLike, writeGguf } from "./gguf-writer.js";
import { DT, graph, model, node, tensor, valueInfo } from "./onnx-writer.js";

const GB = 1e9;
const demoConfig = (name: string): Config => JSON.parse(readFileSync(path.join(REPO_ROOT, "demo", "configs", `${name}.json`), "utf8")) as Config;

export interface FaultZoo {
  ids: string[];
  manifest: string;
}

/** A decoder-ish ONNX graph: MatMul/GQA/RoPE/RMSNorm ops, `inline` bytes of raw data per matrix, optional external data. */
function onnxGraph(opts: { layers: number; inline: number; external?: string }): Uint8Array {
  const nodes: Uint8Array[] = [];
  const inits: Uint8Array[] = [];
  for (let i = 0; i < opts.layers; i++) {
    nodes.push(
      node({ opType: "SimplifiedLayerNormalization", inputs: [`h${i}`], outputs: [`n${i}`], attributes: [{ name: "epsilon", f: 1e-5 }] }),
      node({ opType: "MatMul", inputs: [`n${i}`, `w${i}.q`], outputs: [`q${i}`] }),
      node({ opType: "RotaryEmbedding", domain: "com.microsoft", inputs: [`q${i}`], outputs: [`r${i}`] }),
      node({ opType: "GroupQueryAttention", domain: "com.microsoft", inputs: [`r${i}`], outputs: [`a${i}`], attributes: [{ name: "num_heads", i: 8 }, { name: "kv_num_heads", i: 2 }] }),
      node({ opType: "MatMul", inputs: [`a${i}`, `w${i}.o`], outputs: [`h${i + 1}`] }),
    );
    for (const w of ["q", "o"]) {
      const name = `model.layers.${i}.attn.${w}_proj.MatMul.weight`;
      inits.push(
        opts.external
          ? tensor({ name, dims: [64, 64], dataType: DT.FLOAT16, external: { location: opts.external, offset: (i * 2 + (w === "q" ? 0 : 1)) * 8192, length: 8192 } })
          : tensor({ name, dims: [64, 64], dataType: DT.FLOAT16, raw: opts.inline }),
      );
    }
  }
  return model({
    irVersion: 8,
    graph: graph({ nodes, initializers: inits, inputs: [valueInfo("input_ids", DT.INT64, ["batch", "seq"])], outputs: [valueInfo("logits", DT.FLOAT, ["batch", "seq", 1000])] }),
    opsets: [["", 17], ["com.microsoft", 1]],
    metadata: { producer: "fault-zoo" },
  });
}

function commitFiles(store: RepoStore, id: string, files: Record<string, Uint8Array | string>, sparse: Record<string, number> = {}): void {
  const c = store.repo(id).commit();
  for (const [p, data] of Object.entries(files)) c.writeRaw(p, typeof data === "string" ? Buffer.from(data) : data);
  for (const [p, size] of Object.entries(sparse)) c.writeSparse(p, new Uint8Array(16), size, { lfs: true });
  c.finish({ ref: "main" });
}

/** The synthetic part: always 30 models. */
export function buildSyntheticFaultZoo(store: RepoStore): FaultZoo {
  const ids: string[] = [];
  const st = (id: string, config: Config, opts: Parameters<typeof buildSyntheticRepo>[3] = {}): void => {
    buildSyntheticRepo(store, id, config, opts);
    ids.push(id);
  };
  // Realistic configs (the demo's), 1 to ~30 shards.
  st("meta-llama/Llama-3.1-8B-Instruct", demoConfig("llama-3.1-8b-instruct"), { maxShardBytes: 5 * GB });
  st("meta-llama/Llama-3.1-70B-Instruct", demoConfig("llama-3.1-70b-instruct"), { maxShardBytes: 5 * GB });
  st("Qwen/Qwen3-0.6B", demoConfig("qwen3-0.6b"), {});
  st("Qwen/Qwen3-8B", demoConfig("qwen3-8b"), { maxShardBytes: 4 * GB, totalParameters: true });
  st("Qwen/Qwen3-30B-A3B", demoConfig("qwen3-30b-a3b"), { maxShardBytes: 4 * GB });
  st("mistralai/Mistral-7B-Instruct-v0.3", demoConfig("mistral-7b-instruct-v0.3"), { maxShardBytes: 5 * GB });
  const llama8 = demoConfig("llama-3.1-8b-instruct");
  st("acme/Llama-3.1-8B-Instruct-FP8", { ...llama8, quantization_config: { quant_method: "fp8", activation_scheme: "dynamic", fmt: "e4m3", weight_block_size: [128, 128] } }, {
    maxShardBytes: 5 * GB,
    tensors: fp8BlockCopy(synthesizeTensors(llama8)),
  });
  // Tiny families (fast, many tensors relative to size).
  st("tiny/llama", tinyConfig({}), { shards: 2 });
  st("tiny/llama-tied", tinyConfig({ tie_word_embeddings: true, torch_dtype: "float16" }), {});
  st("tiny/llama-deep", tinyConfig({ num_hidden_layers: 24 }), { shards: 3 });
  st("tiny/qwen2", tinyConfig({ model_type: "qwen2", architectures: ["Qwen2ForCausalLM"] }), {});
  st("tiny/qwen3", tinyConfig({ model_type: "qwen3", architectures: ["Qwen3ForCausalLM"], head_dim: 24 }), { shards: 2 });
  st("tiny/mixtral", tinyConfig({ model_type: "mixtral", architectures: ["MixtralForCausalLM"], num_local_experts: 4, num_experts_per_tok: 2 }), { shards: 2 });
  st("tiny/qwen3-moe", tinyConfig({ model_type: "qwen3_moe", architectures: ["Qwen3MoeForCausalLM"], num_experts: 8, num_experts_per_tok: 2, moe_intermediate_size: 32, head_dim: 16 }), { shards: 3 });
  st("tiny/qwen2-moe", tinyConfig({ model_type: "qwen2_moe", architectures: ["Qwen2MoeForCausalLM"], num_experts: 4, num_experts_per_tok: 2, moe_intermediate_size: 32, shared_expert_intermediate_size: 96 }), {});
  st("tiny/gemma2", tinyConfig({ model_type: "gemma2", architectures: ["Gemma2ForCausalLM"], head_dim: 32 }), {});
  st("tiny/phi3", tinyConfig({ model_type: "phi3", architectures: ["Phi3ForCausalLM"] }), { shards: 2 });
  st("tiny/olmo2", tinyConfig({ model_type: "olmo2", architectures: ["Olmo2ForCausalLM"] }), {});
  st("tiny/granitemoe", tinyConfig({ model_type: "granitemoe", architectures: ["GraniteMoeForCausalLM"], num_local_experts: 4, num_experts_per_tok: 2 }), {});
  st("tiny/llama-bf16-f32", tinyConfig({ torch_dtype: "float32" }), { shards: 2, totalParameters: true });
  st("tiny/llama-wide", tinyConfig({ hidden_size: 256, intermediate_size: 768, num_attention_heads: 8, num_key_value_heads: 8 }), { shards: 4 });
  st("tiny/llama-mqa", tinyConfig({ num_key_value_heads: 1, num_hidden_layers: 6 }), { shards: 2 });

  // ONNX: read whole; range-walked (> 4 MiB of inline weights); graph + external data (never read).
  commitFiles(store, "onnx/tiny-whole", { "onnx/model.onnx": onnxGraph({ layers: 2, inline: 8192 }), "README.md": "# onnx\n" });
  commitFiles(store, "onnx/tiny-ranged", { "onnx/model.onnx": onnxGraph({ layers: 2, inline: 1_300_000 }), "README.md": "# onnx\n" });
  commitFiles(store, "onnx/tiny-external", { "onnx/model.onnx": onnxGraph({ layers: 3, inline: 0, external: "model.onnx_data" }) }, { "onnx/model.onnx_data": 3 * GB });
  ids.push("onnx/tiny-whole", "onnx/tiny-ranged", "onnx/tiny-external");

  // GGUF: metadata through @huggingface/gguf over the fetch layer.
  commitFiles(store, "gguf/llama-q4", { "model-Q4_K_M.gguf": writeGguf(llamaLike({})).bytes });
  commitFiles(store, "gguf/llama-big-vocab", { "model-Q8_0.gguf": writeGguf(llamaLike({ vocab: 60_000, type: "Q8_0" })).bytes });
  commitFiles(store, "gguf/deepseek", { "model-Q8_0.gguf": writeGguf(deepseek2Like()).bytes });
  ids.push("gguf/llama-q4", "gguf/llama-big-vocab", "gguf/deepseek");

  // config.json only.
  commitFiles(store, "config/llama-only", { "config.json": JSON.stringify(tinyConfig({ num_hidden_layers: 4 })) });
  commitFiles(store, "config/qwen3-only", { "config.json": JSON.stringify(demoConfig("qwen3-32b")), "README.md": "# config only\n" });
  ids.push("config/llama-only", "config/qwen3-only");
  if (ids.length !== 30) throw new Error(`synthetic fault zoo has ${ids.length} models, expected 30`);
  return { ids, manifest: manifestFor(ids) };
}

/** Corpus folders used when the corpus is present (real configs, weight maps, shard sizes). */
export const CORPUS_FAULT_FOLDERS = [
  "mistralai__Mistral-7B-Instruct-v0.3",
  "Qwen__Qwen2.5-7B-Instruct",
  "Qwen__Qwen3-30B-A3B",
  "google__gemma-2-2b-it",
  "deepseek-ai__DeepSeek-V2-Lite-Chat",
  "HuggingFaceTB__SmolLM2-135M-Instruct",
  "microsoft__Phi-3.5-mini-instruct",
  "allenai__OLMo-2-1124-7B-Instruct",
  "ibm-granite__granite-3.1-1b-a400m-instruct",
  "TinyLlama__TinyLlama-1.1B-Chat-v1.0",
  "meta-llama__Llama-3.2-1B-Instruct",
  "openai__gpt-oss-20b",
];

/** The corpus part (only when the corpus is present): corpus repos plus the real ONNX test graphs. */
export function buildCorpusFaultZoo(store: RepoStore): FaultZoo {
  if (!hasCorpus) return { ids: [], manifest: manifestFor([]) };
  const available = new Set(corpusRepoFolders());
  const ids: string[] = [];
  for (const folder of CORPUS_FAULT_FOLDERS) {
    if (!available.has(folder)) continue;
    const id = folder.replace("__", "/");
    buildCorpusRepo(store, folder, { repoId: id });
    ids.push(id);
  }
  const graphs: [string, string, string][] = [
    ["hf-internal-testing/tiny-random-gpt2-onnx", "hf-internal-testing__tiny-random-gpt2__ORT-GenAI-fp32-export", "past.onnx"],
    ["hf-internal-testing/tiny-random-lfm2-onnx", "hf-internal-testing__tiny-random-lfm2__ORT-GenAI-export", "decoder.onnx"],
  ];
  for (const [id, folder, file] of graphs) {
    try {
      commitFiles(store, id, { "onnx/model.onnx": readFileSync(corpusPath(folder, file)) });
      ids.push(id);
    } catch {
      // a corpus without this graph: skip it
    }
  }
  return { ids, manifest: manifestFor(ids) };
}

/** A manifest over the ids, with a chain of pairs (each model against the next one). */
export function manifestFor(ids: readonly string[]): string {
  const lines = ["version: 1", "name: fault-zoo", "models:"];
  for (const id of ids) lines.push(`  - ${id}`);
  if (ids.length >= 2) {
    lines.push("pairs:");
    for (let i = 0; i + 1 < ids.length; i += 2) lines.push(`  - { target: ${ids[i]}, proxy: ${ids[i + 1]} }`);
  }
  return lines.join("\n") + "\n";
}
