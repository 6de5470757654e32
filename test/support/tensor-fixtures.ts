/**
 * Crafted safetensors header lists that mimic real checkpoints' tensor sets (names, dtypes, shapes),
 * for the tensor / weight-format tests. Offsets are laid out contiguously from the dtype sizes.
 */
import type { TensorRecord } from "../../src/sources/types.js";

const DTYPE_BYTES: Record<string, number> = {
  BF16: 2, F16: 2, F32: 4, F64: 8, I64: 8, U64: 8, I32: 4, U32: 4, I16: 2, U16: 2,
  I8: 1, U8: 1, F8_E4M3: 1, F8_E5M2: 1, F8_E8M0: 1, UE8: 1, BOOL: 1,
};

export class HeaderBuilder {
  readonly tensors: TensorRecord[] = [];
  private offset = 0;
  constructor(private readonly file = "model.safetensors") {}
  add(name: string, dtype: string, shape: number[]): this {
    const elems = shape.reduce((a, b) => a * b, 1);
    const bytes = Math.ceil(elems * (DTYPE_BYTES[dtype] ?? 1));
    this.tensors.push({ name, dtype, shape, file: this.file, begin: this.offset, end: this.offset + bytes });
    this.offset += bytes;
    return this;
  }
}

/** Records from names only (for corpus weight maps that carry no shapes): BF16 [1]. */
export function nameOnly(names: Iterable<string>, dtypeOf: (n: string) => string = () => "BF16"): TensorRecord[] {
  const out: TensorRecord[] = [];
  let i = 0;
  for (const name of names) {
    out.push({ name, dtype: dtypeOf(name), shape: [1], file: "x.safetensors", begin: i, end: i + 2 });
    i += 2;
  }
  return out;
}

export interface LlamaDims {
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  inter: number;
  tied?: boolean;
}
export const LLAMA_31_8B: LlamaDims = { vocab: 128256, hidden: 4096, layers: 32, heads: 32, kvHeads: 8, inter: 14336 };
export const LLAMA_33_70B: LlamaDims = { vocab: 128256, hidden: 8192, layers: 80, heads: 64, kvHeads: 8, inter: 28672 };

export type QuantKind =
  | "bf16"
  | "fp8-block"
  | "gptq"
  | "awq"
  | "bnb-int8"
  | "bnb-nf4"
  | "mlx-4bit"
  | "nvfp4"
  | "ct-w4a16";

export const QUANT_KINDS: QuantKind[] = ["bf16", "fp8-block", "gptq", "awq", "bnb-int8", "bnb-nf4", "mlx-4bit", "nvfp4", "ct-w4a16"];

/** The config.json quantization part each crafted copy would ship with. */
export function llamaConfig(kind: QuantKind): Record<string, unknown> {
  const base: Record<string, unknown> = { architectures: ["LlamaForCausalLM"], model_type: "llama", torch_dtype: "bfloat16" };
  switch (kind) {
    case "bf16":
      return base;
    case "fp8-block":
      return { ...base, quantization_config: { quant_method: "fp8", fmt: "e4m3", activation_scheme: "dynamic", weight_block_size: [128, 128] } };
    case "gptq":
      return { ...base, torch_dtype: "float16", quantization_config: { quant_method: "gptq", bits: 4, group_size: 128, desc_act: true, sym: true } };
    case "awq":
      return { ...base, torch_dtype: "float16", quantization_config: { quant_method: "awq", bits: 4, group_size: 128, zero_point: true, version: "gemm" } };
    case "bnb-int8":
      return {
        ...base,
        torch_dtype: "float16",
        quantization_config: { quant_method: "bitsandbytes", load_in_8bit: true, load_in_4bit: false, llm_int8_threshold: 6.0, bnb_4bit_quant_type: "fp4" },
      };
    case "bnb-nf4":
      return {
        ...base,
        quantization_config: { quant_method: "bitsandbytes", load_in_4bit: true, bnb_4bit_quant_type: "nf4", bnb_4bit_use_double_quant: true, bnb_4bit_compute_dtype: "bfloat16" },
      };
    case "mlx-4bit":
      return { ...base, quantization: { group_size: 64, bits: 4 }, quantization_config: { group_size: 64, bits: 4 } };
    case "nvfp4":
      return { ...base, quantization_config: { quant_method: "modelopt", quant_algo: "NVFP4", group_size: 16, exclude_modules: ["lm_head"] } };
    case "ct-w4a16":
      return {
        ...base,
        quantization_config: {
          quant_method: "compressed-tensors",
          format: "pack-quantized",
          config_groups: {
            group_0: { targets: ["Linear"], weights: { num_bits: 4, type: "int", symmetric: true, strategy: "group", group_size: 128 }, input_activations: null },
          },
          ignore: ["lm_head"],
        },
      };
  }
}

/**
 * A Llama checkpoint's tensors in a given weight format, laid out as the quantizer writes them.
 * `gptqBias` adds AutoGPTQ's per-linear F16 bias (as in RedHatAI/...-quantized.w4a16 @ 3921b6ae).
 */
export function llamaTensors(kind: QuantKind, d: LlamaDims = LLAMA_31_8B, opts: { gptqBias?: boolean } = {}): TensorRecord[] {
  const b = new HeaderBuilder();
  const hd = d.hidden / d.heads;
  const float = kind === "gptq" || kind === "awq" || kind === "bnb-int8" ? "F16" : "BF16";
  const linear = (name: string, out: number, inp: number) => {
    switch (kind) {
      case "bf16":
        b.add(`${name}.weight`, "BF16", [out, inp]);
        break;
      case "fp8-block":
        b.add(`${name}.weight`, "F8_E4M3", [out, inp]);
        b.add(`${name}.weight_scale_inv`, "F32", [Math.ceil(out / 128), Math.ceil(inp / 128)]);
        break;
      case "gptq":
        b.add(`${name}.g_idx`, "I32", [inp]);
        b.add(`${name}.qweight`, "I32", [inp / 8, out]);
        b.add(`${name}.qzeros`, "I32", [inp / 128, out / 8]);
        b.add(`${name}.scales`, "F16", [inp / 128, out]);
        if (opts.gptqBias) b.add(`${name}.bias`, "F16", [out]);
        break;
      case "awq":
        b.add(`${name}.qweight`, "I32", [inp, out / 8]);
        b.add(`${name}.qzeros`, "I32", [inp / 128, out / 8]);
        b.add(`${name}.scales`, "F16", [inp / 128, out]);
        break;
      case "bnb-int8":
        b.add(`${name}.SCB`, "F32", [out]);
        b.add(`${name}.weight`, "I8", [out, inp]);
        b.add(`${name}.weight_format`, "U8", []);
        break;
      case "bnb-nf4": {
        const n = out * inp;
        b.add(`${name}.weight`, "U8", [n / 2, 1]);
        b.add(`${name}.weight.absmax`, "U8", [n / 64]);
        b.add(`${name}.weight.nested_absmax`, "F32", [Math.ceil(n / 64 / 256)]);
        b.add(`${name}.weight.nested_quant_map`, "F32", [256]);
        b.add(`${name}.weight.quant_map`, "F32", [16]);
        b.add(`${name}.weight.quant_state.bitsandbytes__nf4`, "U8", [117]);
        break;
      }
      case "mlx-4bit":
        b.add(`${name}.biases`, "BF16", [out, inp / 64]);
        b.add(`${name}.scales`, "BF16", [out, inp / 64]);
        b.add(`${name}.weight`, "U32", [out, inp / 8]);
        break;
      case "nvfp4":
        b.add(`${name}.input_scale`, "F32", []);
        b.add(`${name}.weight`, "U8", [out, inp / 2]);
        b.add(`${name}.weight_scale`, "F8_E4M3", [out, inp / 16]);
        b.add(`${name}.weight_scale_2`, "F32", []);
        break;
      case "ct-w4a16":
        b.add(`${name}.weight_packed`, "I32", [out, inp / 8]);
        b.add(`${name}.weight_scale`, "BF16", [out, inp / 128]);
        b.add(`${name}.weight_shape`, "I64", [2]);
        break;
    }
  };
  if (kind === "mlx-4bit") linear("model.embed_tokens", d.vocab, d.hidden);
  else b.add("model.embed_tokens.weight", float, [d.vocab, d.hidden]);
  for (let l = 0; l < d.layers; l++) {
    const p = `model.layers.${l}`;
    b.add(`${p}.input_layernorm.weight`, float, [d.hidden]);
    linear(`${p}.mlp.down_proj`, d.hidden, d.inter);
    linear(`${p}.mlp.gate_proj`, d.inter, d.hidden);
    linear(`${p}.mlp.up_proj`, d.inter, d.hidden);
    b.add(`${p}.post_attention_layernorm.weight`, float, [d.hidden]);
    linear(`${p}.self_attn.k_proj`, d.kvHeads * hd, d.hidden);
    linear(`${p}.self_attn.o_proj`, d.hidden, d.heads * hd);
    linear(`${p}.self_attn.q_proj`, d.heads * hd, d.hidden);
    linear(`${p}.self_attn.v_proj`, d.kvHeads * hd, d.hidden);
  }
  b.add("model.norm.weight", float, [d.hidden]);
  if (!d.tied) {
    if (kind === "mlx-4bit") linear("lm_head", d.vocab, d.hidden);
    else b.add("lm_head.weight", float, [d.vocab, d.hidden]);
  }
  return b.tensors;
}

/** gpt-oss (openai/gpt-oss-20b / -120b) as published: MXFP4 expert blocks + UE8 scales (stored U8). */
export function gptOssTensors(layers: number, experts: number): TensorRecord[] {
  const b = new HeaderBuilder();
  const H = 2880;
  const V = 201088;
  const I = 2880;
  b.add("model.embed_tokens.weight", "BF16", [V, H]);
  for (let l = 0; l < layers; l++) {
    const p = `model.layers.${l}`;
    b.add(`${p}.input_layernorm.weight`, "BF16", [H]);
    b.add(`${p}.mlp.experts.down_proj_bias`, "BF16", [experts, H]);
    b.add(`${p}.mlp.experts.down_proj_blocks`, "U8", [experts, H, I / 32, 16]);
    b.add(`${p}.mlp.experts.down_proj_scales`, "U8", [experts, H, I / 32]);
    b.add(`${p}.mlp.experts.gate_up_proj_bias`, "BF16", [experts, 2 * I]);
    b.add(`${p}.mlp.experts.gate_up_proj_blocks`, "U8", [experts, 2 * I, H / 32, 16]);
    b.add(`${p}.mlp.experts.gate_up_proj_scales`, "U8", [experts, 2 * I, H / 32]);
    b.add(`${p}.mlp.router.bias`, "BF16", [experts]);
    b.add(`${p}.mlp.router.weight`, "BF16", [experts, H]);
    b.add(`${p}.post_attention_layernorm.weight`, "BF16", [H]);
    b.add(`${p}.self_attn.k_proj.bias`, "BF16", [512]);
    b.add(`${p}.self_attn.k_proj.weight`, "BF16", [512, H]);
    b.add(`${p}.self_attn.o_proj.bias`, "BF16", [H]);
    b.add(`${p}.self_attn.o_proj.weight`, "BF16", [H, 4096]);
    b.add(`${p}.self_attn.q_proj.bias`, "BF16", [4096]);
    b.add(`${p}.self_attn.q_proj.weight`, "BF16", [4096, H]);
    b.add(`${p}.self_attn.sinks`, "BF16", [64]);
    b.add(`${p}.self_attn.v_proj.bias`, "BF16", [512]);
    b.add(`${p}.self_attn.v_proj.weight`, "BF16", [512, H]);
  }
  b.add("model.norm.weight", "BF16", [H]);
  b.add("lm_head.weight", "BF16", [V, H]);
  return b.tensors;
}

export interface DeepSeekOpts {
  denseLayers: number;
  moeLayers: number;
  experts: number;
  /** Add one multi-token-prediction layer after the main layers (as DeepSeek-V3 layer 61). */
  mtp: boolean;
  fp8: boolean;
  /** Emit tensors in reverse layer / expert order (file order must not matter). */
  reverse?: boolean;
}

/** A DeepSeek-V3-shaped MLA + MoE checkpoint (real V3 dims), optionally FP8 block-quantized. */
export function deepSeekTensors(o: DeepSeekOpts): TensorRecord[] {
  const b = new HeaderBuilder();
  const H = 7168;
  const V = 129280;
  const heads = 128;
  const qLora = 1536;
  const kvLora = 512;
  const nope = 128;
  const rope = 64;
  const v = 128;
  const inter = 18432;
  const moeInter = 2048;
  const lin = (name: string, out: number, inp: number) => {
    if (o.fp8) {
      b.add(`${name}.weight`, "F8_E4M3", [out, inp]);
      b.add(`${name}.weight_scale_inv`, "F32", [Math.ceil(out / 128), Math.ceil(inp / 128)]);
    } else b.add(`${name}.weight`, "BF16", [out, inp]);
  };
  const total = o.denseLayers + o.moeLayers + (o.mtp ? 1 : 0);
  const order = [...Array(total).keys()];
  if (o.reverse) order.reverse();
  b.add("model.embed_tokens.weight", "BF16", [V, H]);
  for (const l of order) {
    const p = `model.layers.${l}`;
    b.add(`${p}.input_layernorm.weight`, "BF16", [H]);
    b.add(`${p}.post_attention_layernorm.weight`, "BF16", [H]);
    lin(`${p}.self_attn.q_a_proj`, qLora, H);
    b.add(`${p}.self_attn.q_a_layernorm.weight`, "BF16", [qLora]);
    lin(`${p}.self_attn.q_b_proj`, heads * (nope + rope), qLora);
    lin(`${p}.self_attn.kv_a_proj_with_mqa`, kvLora + rope, H);
    b.add(`${p}.self_attn.kv_a_layernorm.weight`, "BF16", [kvLora]);
    lin(`${p}.self_attn.kv_b_proj`, heads * (nope + v), kvLora);
    lin(`${p}.self_attn.o_proj`, H, heads * v);
    if (l < o.denseLayers) {
      lin(`${p}.mlp.gate_proj`, inter, H);
      lin(`${p}.mlp.up_proj`, inter, H);
      lin(`${p}.mlp.down_proj`, H, inter);
    } else {
      b.add(`${p}.mlp.gate.weight`, "BF16", [o.experts, H]);
      b.add(`${p}.mlp.gate.e_score_correction_bias`, "F32", [o.experts]);
      const ex = [...Array(o.experts).keys()];
      if (o.reverse) ex.reverse();
      for (const e of ex) {
        lin(`${p}.mlp.experts.${e}.gate_proj`, moeInter, H);
        lin(`${p}.mlp.experts.${e}.up_proj`, moeInter, H);
        lin(`${p}.mlp.experts.${e}.down_proj`, H, moeInter);
      }
      lin(`${p}.mlp.shared_experts.gate_proj`, moeInter, H);
      lin(`${p}.mlp.shared_experts.up_proj`, moeInter, H);
      lin(`${p}.mlp.shared_experts.down_proj`, H, moeInter);
    }
    if (o.mtp && l === total - 1) {
      b.add(`${p}.enorm.weight`, "BF16", [H]);
      b.add(`${p}.hnorm.weight`, "BF16", [H]);
      b.add(`${p}.eh_proj.weight`, "BF16", [H, 2 * H]);
      b.add(`${p}.shared_head.norm.weight`, "BF16", [H]);
      b.add(`${p}.shared_head.head.weight`, "BF16", [V, H]);
      b.add(`${p}.embed_tokens.weight`, "BF16", [V, H]);
    }
  }
  b.add("model.norm.weight", "BF16", [H]);
  b.add("lm_head.weight", "BF16", [V, H]);
  return b.tensors;
}
