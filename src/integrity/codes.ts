/**
 * The integrity finding codes standin itself emits (issue 4), with their severity and what they
 * mean. docs/integrity.md documents every code in this table plus the parser codes that flow
 * through (`st_*`, `index_*`, `gguf_*`, `onnx_*`); a test keeps the two in step.
 *
 * Severity decides the status: a model FAILs when it has at least one error finding.
 */
import type { Finding, Severity } from "../fingerprint/types.js";

export interface CodeInfo {
  severity: Severity;
  /** What the finding means (one line, for docs and reports). */
  meaning: string;
  /** What to do about it. */
  action: string;
}

function c(severity: Severity, meaning: string, action: string): CodeInfo {
  return { severity, meaning, action };
}

export const INTEGRITY_CODES = {
  // ---- status / coverage
  integrity_unreadable: c("error", "a weight, index or config file could not be parsed (the fingerprint is UNKNOWN because of a format error)", "fix or re-upload the file named in the message"),
  integrity_not_checked: c("warning", "the model could not be read (network, gated, missing repo): nothing was checked, status UNKNOWN", "fix access (token, revision) and run again"),
  integrity_no_tensors: c("info", "config-only model: the checks that need tensors were skipped (the message lists them)", "fingerprint from weights (source: auto or safetensors) to run them"),
  integrity_no_config: c("info", "no config.json: config-vs-tensors checks were skipped", "add config.json to the repo"),
  integrity_names_opaque: c("info", "ONNX initializer names do not follow the module naming: name-based checks were skipped", "none; header checks still ran"),

  // ---- files
  file_size_mismatch: c("error", "the repo listing and the server disagree on a file's size", "re-upload the file; a CDN may serve a stale object"),
  st_file_length: c("error", "file size != 8 + N + end of the data (trailing bytes or a short file); also checked against the listed size", "re-upload the shard; it is truncated or has trailing bytes"),

  // ---- config vs tensors
  cfg_per_layer_blocks: c("info", "config.json describes heterogeneous layers in `block_configs` (DeciLM / Nemotron-NAS): attention and FFN width checks were skipped", "none"),
  cfg_embedding_shape: c("error", "the token embedding is not [vocab_size, hidden_size]", "fix vocab_size / hidden_size in config.json, or resize the embedding"),
  cfg_lm_head_shape: c("error", "the output head is not [vocab_size, hidden_size]", "fix vocab_size / hidden_size in config.json, or the lm_head tensor"),
  cfg_hidden_size: c("error", "the final norm is not [hidden_size]", "fix hidden_size in config.json"),
  cfg_layer_count: c("error", "num_hidden_layers != max layer index + 1 of the layer stack (MTP layers excluded)", "fix num_hidden_layers, or upload the missing layers"),
  cfg_layer_missing: c("error", "layer indices have holes: some layers have no tensor at all", "the upload is incomplete: upload the missing layers"),
  cfg_mtp_layers: c("warning", "num_nextn_predict_layers disagrees with the multi-token-prediction layers in the weights", "engines that load MTP layers need them; re-upload or fix the config"),
  cfg_attention_shape: c("error", "a q/k/v/o (or fused qkv) projection does not match heads x head_dim and hidden_size", "fix num_attention_heads / num_key_value_heads / head_dim in config.json"),
  cfg_mla_shape: c("error", "an MLA projection does not match kv_lora_rank, q_lora_rank, qk_nope/qk_rope/v_head_dim and heads", "fix the MLA dims in config.json"),
  cfg_expert_count: c("error", "routed experts per layer != the config's expert count (num_local_experts / n_routed_experts / num_experts)", "fix the expert count in config.json, or upload the missing experts"),
  cfg_router_shape: c("error", "the router is not [experts, hidden_size]", "fix the expert count or hidden_size in config.json"),
  cfg_intermediate_size: c("error", "a dense FFN projection (gate/up/down) does not match intermediate_size", "fix intermediate_size in config.json"),
  cfg_moe_intermediate_size: c("error", "an expert FFN projection does not match moe_intermediate_size (or intermediate_size when the config has no MoE width)", "fix moe_intermediate_size in config.json"),
  cfg_shared_expert_size: c("error", "a shared-expert projection does not match shared_expert_intermediate_size (or moe_intermediate_size x n_shared_experts)", "fix the shared expert width in config.json"),
  cfg_tied_lm_head_stored: c("warning", "tie_word_embeddings is true but an lm_head tensor is stored (engines tie and may ignore it, or load it: behaviour differs)", "drop lm_head from the checkpoint, or set tie_word_embeddings: false"),
  cfg_untied_lm_head_missing: c("error", "tie_word_embeddings is false but no lm_head tensor is stored (the head would be randomly initialised)", "upload lm_head, or set tie_word_embeddings: true"),
  cfg_tower_missing: c("error", "config.json declares a vision or audio tower but the weights hold none", "upload the tower weights, or use a text-only config"),
  cfg_tower_undeclared: c("warning", "the weights hold a vision or audio tower that config.json does not declare", "add the tower config (vision_config / audio_config), or drop the tensors"),

  // ---- declared vs counted (manifest expect)
  expect_params_mismatch: c("error", "the counted parameters differ from the manifest's expect.params by more than the tolerance", "fix expect.params (or its tolerance) in model-zoo.yaml, or check the model revision"),
  expect_layers_mismatch: c("error", "the layer count differs from the manifest's expect.layers", "fix expect.layers in model-zoo.yaml, or check the model revision"),
  expect_unverified: c("warning", "an expectation could not be checked (the count is unknown)", "make the model readable, or drop the expectation"),

  // ---- MoE consistency
  moe_router_missing: c("error", "a layer has routed experts but no router (gate) tensor", "upload the router weights"),
  moe_experts_missing: c("error", "a layer has a router but no routed experts", "upload the expert weights"),
  moe_expert_count_uneven: c("error", "MoE layers do not all have the same number of experts", "upload the missing experts"),
  moe_expert_incomplete: c("error", "an expert lacks a tensor its siblings have (e.g. down_proj of expert 5)", "upload the missing expert tensors"),
  moe_router_expert_mismatch: c("error", "the router's rows differ from the number of experts in its layer", "fix the router or the experts"),
  moe_shared_missing: c("error", "the config declares shared experts but an MoE layer has none", "upload the shared expert weights, or fix n_shared_experts / shared_expert_intermediate_size"),
  moe_shared_unexpected: c("warning", "shared expert tensors are stored although the config says n_shared_experts: 0", "fix the config or drop the tensors"),
  moe_layer_pattern: c("error", "which layers are MoE and which dense disagrees with the config (first_k_dense_replace, moe_layer_freq, decoder_sparse_step, mlp_only_layers, expert_layer_period)", "fix the layer pattern keys in config.json"),

  // ---- dtypes and quantization bookkeeping
  dtype_unknown: c("error", "a tensor dtype is not a safetensors dtype (the reference parser rejects the file)", "convert the tensor to a standard dtype"),
  dtype_stray_matrix: c("warning", "a matrix is stored in another float dtype than the model (e.g. one F32 matrix in a BF16 model)", "cast the tensor to the model dtype; engines may upcast or refuse it"),
  quant_scale_missing: c("error", "a quantized weight lacks its scales (fp8 weight_scale_inv, GPTQ/AWQ scales/qzeros, MXFP4 _scales, NVFP4 weight_scale/weight_scale_2, MLX scales/biases)", "upload the scales: the weight cannot be dequantized without them"),
  quant_scale_orphan: c("error", "quantization scales (or zeros, g_idx) without the weight they belong to", "upload the weight, or drop the stray scales"),
  quant_scale_shape: c("error", "a block-scale tensor does not match its weight (fp8 block [ceil(out/b), ceil(in/b)], MXFP4 one scale per 32-value block, NVFP4 one per 16)", "re-export the quantized checkpoint"),
} as const satisfies Record<string, CodeInfo>;

export type IntegrityCode = keyof typeof INTEGRITY_CODES;

/** A finding with the registered severity of its code. */
export function finding(code: IntegrityCode, message: string, extra: { tensor?: string; key?: string; file?: string } = {}): Finding {
  const f: Finding = { severity: INTEGRITY_CODES[code].severity, code, message };
  if (extra.file !== undefined) f.file = extra.file;
  if (extra.tensor !== undefined) f.tensor = extra.tensor;
  if (extra.key !== undefined) f.key = extra.key;
  return f;
}
