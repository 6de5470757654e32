/**
 * 1,000 fingerprints for the all-pairs measurement: the zoo's real fingerprints (read from headers
 * in the cold run) plus variants built by the real fingerprint builder from the corpus's real
 * config.json files, each with a deterministic edit (depth, width, dtype, quantization, rope
 * scaling, sliding window, tied embeddings, MoE routing...). Many distinct code paths and scales, so
 * the matrix's class memo cannot collapse them to a handful.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Fingerprint } from "../src/fingerprint/types.js";
import { CORPUS_DIR } from "../test/support/corpus-files.js";
import { fingerprintFromConfig } from "../test/support/fingerprints.js";

type Config = Record<string, unknown>;

const num = (v: unknown, d: number): number => (typeof v === "number" && Number.isFinite(v) ? v : d);

/** Deterministic config edits; variant k of a config applies EDITS[k % EDITS.length] (and a depth change for k >= EDITS.length). */
const EDITS: ((c: Config) => Config)[] = [
  (c) => c,
  (c) => ({ ...c, num_hidden_layers: Math.max(1, Math.round(num(c["num_hidden_layers"], 24) / 2)) }),
  (c) => ({ ...c, torch_dtype: "float16" }),
  (c) => ({ ...c, quantization_config: { quant_method: "fp8", activation_scheme: "dynamic", fmt: "e4m3", weight_block_size: [128, 128] } }),
  (c) => ({ ...c, quantization_config: { quant_method: "gptq", bits: 4, group_size: 128, desc_act: false } }),
  (c) => ({ ...c, rope_scaling: { rope_type: "yarn", factor: 4, original_max_position_embeddings: 32768 } }),
  (c) => ({ ...c, sliding_window: 4096, use_sliding_window: true }),
  (c) => ({ ...c, tie_word_embeddings: !c["tie_word_embeddings"] }),
  (c) => ({ ...c, hidden_size: num(c["hidden_size"], 2048) * 2, intermediate_size: num(c["intermediate_size"], 8192) * 2 }),
  (c) => ({ ...c, num_key_value_heads: Math.max(1, Math.round(num(c["num_attention_heads"], 16) / 4)) }),
  (c) => ({ ...c, vocab_size: num(c["vocab_size"], 32000) + 256 }),
  (c) => ({ ...c, num_experts_per_tok: num(c["num_experts_per_tok"], 2) + 2, num_local_experts: num(c["num_local_experts"], 8) * 2 }),
];

function corpusConfigs(): { folder: string; config: Config }[] {
  if (!existsSync(CORPUS_DIR)) return [];
  const out: { folder: string; config: Config }[] = [];
  for (const d of readdirSync(CORPUS_DIR).sort()) {
    const p = path.join(CORPUS_DIR, d, "config.json");
    if (d.startsWith("_") || !existsSync(p)) continue;
    try {
      out.push({ folder: d, config: JSON.parse(readFileSync(p, "utf8")) as Config });
    } catch {
      /* not JSON: skip */
    }
  }
  return out;
}

export function synthesizeVariants(real: readonly Fingerprint[], count: number): Fingerprint[] {
  const out: Fingerprint[] = real.slice(0, count);
  const configs = corpusConfigs();
  if (configs.length === 0) throw new Error(`no corpus configs under ${CORPUS_DIR}`);
  for (let i = 0; out.length < count; i++) {
    const { folder, config } = configs[i % configs.length]!;
    const k = Math.floor(i / configs.length);
    let cfg = EDITS[k % EDITS.length]!(config);
    if (k >= EDITS.length) cfg = { ...cfg, num_hidden_layers: num(cfg["num_hidden_layers"], 24) + k };
    out.push(fingerprintFromConfig(`${folder.replace("__", "/")}-v${k}`, cfg));
  }
  return out;
}
