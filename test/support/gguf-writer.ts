/**
 * A small GGUF v3 writer for tests: metadata KVs of every value type (arrays included), tensor
 * infos, alignment padding and (zero) tensor data. Little-endian, like llama.cpp.
 */

export const VT = {
  UINT8: 0,
  INT8: 1,
  UINT16: 2,
  INT16: 3,
  UINT32: 4,
  INT32: 5,
  FLOAT32: 6,
  BOOL: 7,
  STRING: 8,
  ARRAY: 9,
  UINT64: 10,
  INT64: 11,
  FLOAT64: 12,
} as const;

export type Scalar = number | bigint | boolean | string;
export type KvValue = { type: number; value: Scalar } | { type: typeof VT.ARRAY; subType: number; value: (Scalar | KvValue)[] };

export const kv = {
  u8: (v: number): KvValue => ({ type: VT.UINT8, value: v }),
  i8: (v: number): KvValue => ({ type: VT.INT8, value: v }),
  u16: (v: number): KvValue => ({ type: VT.UINT16, value: v }),
  i16: (v: number): KvValue => ({ type: VT.INT16, value: v }),
  u32: (v: number): KvValue => ({ type: VT.UINT32, value: v }),
  i32: (v: number): KvValue => ({ type: VT.INT32, value: v }),
  f32: (v: number): KvValue => ({ type: VT.FLOAT32, value: v }),
  bool: (v: boolean): KvValue => ({ type: VT.BOOL, value: v }),
  str: (v: string): KvValue => ({ type: VT.STRING, value: v }),
  u64: (v: number | bigint): KvValue => ({ type: VT.UINT64, value: BigInt(v) }),
  i64: (v: number | bigint): KvValue => ({ type: VT.INT64, value: BigInt(v) }),
  f64: (v: number): KvValue => ({ type: VT.FLOAT64, value: v }),
  arr: (subType: number, value: (Scalar | KvValue)[]): KvValue => ({ type: VT.ARRAY, subType, value }),
};

/** ggml types used in tests: [id, elements per block, bytes per block]. */
export const GT: Record<string, [number, number, number]> = {
  F32: [0, 1, 4],
  F16: [1, 1, 2],
  Q4_0: [2, 32, 18],
  Q8_0: [8, 32, 34],
  Q4_K: [12, 256, 144],
  Q6_K: [14, 256, 210],
  BF16: [30, 1, 2],
  IQ4_XS: [23, 256, 136],
  MXFP4: [39, 32, 17],
};

export interface GgufTensorSpec {
  name: string;
  /** ggml order: ne[0] (innermost) first. */
  shape: number[];
  type: keyof typeof GT;
}

const ENC = new TextEncoder();

class Buf {
  private buf = new Uint8Array(1 << 16);
  private view = new DataView(this.buf.buffer);
  length = 0;
  private grow(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  push(b: Uint8Array): void {
    this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }
  dv(n: number, f: (v: DataView, at: number) => void): void {
    this.grow(n);
    f(this.view, this.length);
    this.length += n;
  }
  u32(v: number): void {
    this.dv(4, (d, at) => d.setUint32(at, v, true));
  }
  u64(v: number | bigint): void {
    this.dv(8, (d, at) => d.setBigUint64(at, BigInt(v), true));
  }
  str(s: string): void {
    const b = ENC.encode(s);
    this.u64(b.length);
    this.push(b);
  }
  out(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function writeValue(b: Buf, v: KvValue | Scalar, type: number): void {
  const raw = typeof v === "object" && v !== null && "type" in v ? v.value : v;
  switch (type) {
    case VT.UINT8:
      return b.dv(1, (d, at) => d.setUint8(at, Number(raw)));
    case VT.INT8:
      return b.dv(1, (d, at) => d.setInt8(at, Number(raw)));
    case VT.UINT16:
      return b.dv(2, (d, at) => d.setUint16(at, Number(raw), true));
    case VT.INT16:
      return b.dv(2, (d, at) => d.setInt16(at, Number(raw), true));
    case VT.UINT32:
      return b.dv(4, (d, at) => d.setUint32(at, Number(raw), true));
    case VT.INT32:
      return b.dv(4, (d, at) => d.setInt32(at, Number(raw), true));
    case VT.FLOAT32:
      return b.dv(4, (d, at) => d.setFloat32(at, Number(raw), true));
    case VT.BOOL:
      return b.dv(1, (d, at) => d.setUint8(at, raw ? 1 : 0));
    case VT.STRING:
      return b.str(String(raw));
    case VT.UINT64:
      return b.dv(8, (d, at) => d.setBigUint64(at, BigInt(raw as number | bigint), true));
    case VT.INT64:
      return b.dv(8, (d, at) => d.setBigInt64(at, BigInt(raw as number | bigint), true));
    case VT.FLOAT64:
      return b.dv(8, (d, at) => d.setFloat64(at, Number(raw), true));
    case VT.ARRAY: {
      const a = v as Extract<KvValue, { subType: number }>;
      b.u32(a.subType);
      b.u64(a.value.length);
      for (const x of a.value) writeValue(b, x, a.subType === VT.ARRAY ? VT.ARRAY : a.subType);
      return;
    }
  }
  throw new Error(`unknown type ${type}`);
}

export function tensorBytes(t: GgufTensorSpec): number {
  const [, block, size] = GT[t.type]!;
  const n = t.shape.reduce((a, b) => a * b, 1);
  if (n % block !== 0) throw new Error(`${t.name}: ${n} elements is not a whole number of ${block}-element blocks`);
  return (n / block) * size;
}

export interface GgufFileSpec {
  kvs: Record<string, KvValue>;
  tensors: GgufTensorSpec[];
  alignment?: number;
  /** Omit the data section (header only), e.g. to test truncation. */
  headerOnly?: boolean;
}

/** Serialise a GGUF v3 file. Returns the bytes and the data offset. */
export function writeGguf(spec: GgufFileSpec): { bytes: Uint8Array; dataOffset: number; offsets: number[] } {
  const align = spec.alignment ?? 32;
  const kvs = { ...spec.kvs };
  if (spec.alignment !== undefined) kvs["general.alignment"] = kv.u32(spec.alignment);
  const b = new Buf();
  b.push(ENC.encode("GGUF"));
  b.u32(3);
  b.u64(spec.tensors.length);
  b.u64(Object.keys(kvs).length);
  for (const [k, v] of Object.entries(kvs)) {
    b.str(k);
    b.u32(v.type);
    writeValue(b, v, v.type);
  }
  const offsets: number[] = [];
  let off = 0;
  for (const t of spec.tensors) {
    offsets.push(off);
    off += tensorBytes(t);
    off = Math.ceil(off / align) * align;
  }
  spec.tensors.forEach((t, i) => {
    b.str(t.name);
    b.u32(t.shape.length);
    for (const d of t.shape) b.u64(d);
    b.u32(GT[t.type]![0]);
    b.u64(offsets[i]!);
  });
  const dataOffset = Math.ceil(b.length / align) * align;
  b.push(new Uint8Array(dataOffset - b.length));
  if (!spec.headerOnly) b.push(new Uint8Array(off));
  return { bytes: b.out(), dataOffset, offsets };
}

/** A llama-like file: 2 layers, GQA, vocab of `vocab` tokens (tokenizer array included). */
export function llamaLike(opts: { vocab?: number; tied?: boolean; type?: keyof typeof GT } = {}): GgufFileSpec {
  const vocab = opts.vocab ?? 1000;
  const hidden = 256;
  const ffn = 512;
  const kvDim = 64;
  const type = opts.type ?? "Q4_K";
  const tensors: GgufTensorSpec[] = [{ name: "token_embd.weight", shape: [hidden, vocab], type: "Q6_K" }];
  for (let i = 0; i < 2; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, shape: [hidden], type: "F32" },
      { name: `blk.${i}.attn_q.weight`, shape: [hidden, hidden], type },
      { name: `blk.${i}.attn_k.weight`, shape: [hidden, kvDim], type },
      { name: `blk.${i}.attn_v.weight`, shape: [hidden, kvDim], type: "Q6_K" },
      { name: `blk.${i}.attn_output.weight`, shape: [hidden, hidden], type },
      { name: `blk.${i}.ffn_norm.weight`, shape: [hidden], type: "F32" },
      { name: `blk.${i}.ffn_gate.weight`, shape: [hidden, ffn], type },
      { name: `blk.${i}.ffn_up.weight`, shape: [hidden, ffn], type },
      { name: `blk.${i}.ffn_down.weight`, shape: [ffn, hidden], type: "Q6_K" },
    );
  }
  tensors.push({ name: "output_norm.weight", shape: [hidden], type: "F32" });
  if (!opts.tied) tensors.push({ name: "output.weight", shape: [hidden, vocab], type: "Q6_K" });
  tensors.push({ name: "rope_freqs.weight", shape: [16], type: "F32" });
  return {
    kvs: {
      "general.architecture": kv.str("llama"),
      "general.name": kv.str("Tiny Llama Test"),
      "general.file_type": kv.u32(15),
      "general.quantization_version": kv.u32(2),
      "llama.context_length": kv.u32(131072),
      "llama.embedding_length": kv.u32(hidden),
      "llama.block_count": kv.u32(2),
      "llama.feed_forward_length": kv.u32(ffn),
      "llama.rope.dimension_count": kv.u32(32),
      "llama.attention.head_count": kv.u32(8),
      "llama.attention.head_count_kv": kv.u32(2),
      "llama.rope.freq_base": kv.f32(500000),
      "llama.attention.layer_norm_rms_epsilon": kv.f32(1e-5),
      "llama.vocab_size": kv.u32(vocab),
      "tokenizer.ggml.model": kv.str("gpt2"),
      "tokenizer.ggml.tokens": kv.arr(
        VT.STRING,
        Array.from({ length: vocab }, (_, i) => `tok${i}`),
      ),
      "tokenizer.ggml.token_type": kv.arr(
        VT.INT32,
        Array.from({ length: vocab }, () => 1),
      ),
      "tokenizer.ggml.bos_token_id": kv.u32(1),
      "tokenizer.ggml.eos_token_id": kv.u32(2),
      "tokenizer.ggml.add_bos_token": kv.bool(true),
      "tokenizer.chat_template": kv.str("{% for m in messages %}{{ m.content }}{% endfor %}"),
      // One of every remaining scalar type, plus small and nested arrays.
      "test.u8": kv.u8(200),
      "test.i8": kv.i8(-5),
      "test.u16": kv.u16(60000),
      "test.i16": kv.i16(-30000),
      "test.i32": kv.i32(-7),
      "test.u64": kv.u64(1n << 40n),
      "test.u64_huge": kv.u64(1n << 60n),
      "test.i64": kv.i64(-3),
      "test.f64": kv.f64(0.25),
      "test.small_array": kv.arr(VT.UINT16, [1, 2, 3]),
      "test.nested": kv.arr(VT.ARRAY, [kv.arr(VT.INT8, [1, -1]), kv.arr(VT.INT8, [2])]),
    },
    tensors,
  };
}

/** A DeepSeek-V3-like file: MLA attention, 1 dense layer then MoE layers with a shared expert. */
export function deepseek2Like(): GgufFileSpec {
  const hidden = 256;
  const experts = 8;
  const moeFfn = 128;
  const tensors: GgufTensorSpec[] = [{ name: "token_embd.weight", shape: [hidden, 512], type: "Q8_0" }];
  for (let i = 0; i < 3; i++) {
    tensors.push(
      { name: `blk.${i}.attn_norm.weight`, shape: [hidden], type: "F32" },
      { name: `blk.${i}.attn_q_a.weight`, shape: [hidden, 96], type: "Q8_0" },
      { name: `blk.${i}.attn_q_a_norm.weight`, shape: [96], type: "F32" },
      { name: `blk.${i}.attn_q_b.weight`, shape: [96, 4 * 96], type: "Q8_0" },
      { name: `blk.${i}.attn_kv_a_mqa.weight`, shape: [hidden, 64 + 32], type: "Q8_0" },
      { name: `blk.${i}.attn_kv_a_norm.weight`, shape: [64], type: "F32" },
      { name: `blk.${i}.attn_kv_b.weight`, shape: [64, 4 * (64 + 64)], type: "Q8_0" },
      { name: `blk.${i}.attn_output.weight`, shape: [4 * 64, hidden], type: "Q8_0" },
      { name: `blk.${i}.ffn_norm.weight`, shape: [hidden], type: "F32" },
    );
    if (i === 0) {
      tensors.push(
        { name: `blk.${i}.ffn_gate.weight`, shape: [hidden, 512], type: "Q8_0" },
        { name: `blk.${i}.ffn_up.weight`, shape: [hidden, 512], type: "Q8_0" },
        { name: `blk.${i}.ffn_down.weight`, shape: [512, hidden], type: "Q8_0" },
      );
    } else {
      tensors.push(
        { name: `blk.${i}.ffn_gate_inp.weight`, shape: [hidden, experts], type: "F32" },
        { name: `blk.${i}.exp_probs_b.bias`, shape: [experts], type: "F32" },
        { name: `blk.${i}.ffn_gate_exps.weight`, shape: [hidden, moeFfn, experts], type: "Q4_K" },
        { name: `blk.${i}.ffn_up_exps.weight`, shape: [hidden, moeFfn, experts], type: "Q4_K" },
        { name: `blk.${i}.ffn_down_exps.weight`, shape: [moeFfn, hidden, experts], type: "Q6_K" },
        { name: `blk.${i}.ffn_gate_shexp.weight`, shape: [hidden, moeFfn], type: "Q8_0" },
        { name: `blk.${i}.ffn_up_shexp.weight`, shape: [hidden, moeFfn], type: "Q8_0" },
        { name: `blk.${i}.ffn_down_shexp.weight`, shape: [moeFfn, hidden], type: "Q8_0" },
      );
    }
  }
  tensors.push({ name: "output_norm.weight", shape: [hidden], type: "F32" }, { name: "output.weight", shape: [hidden, 512], type: "Q8_0" });
  return {
    alignment: 64,
    kvs: {
      "general.architecture": kv.str("deepseek2"),
      "general.name": kv.str("Tiny DeepSeek V3 Test"),
      "general.file_type": kv.u32(7),
      "deepseek2.block_count": kv.u32(3),
      "deepseek2.context_length": kv.u32(163840),
      "deepseek2.embedding_length": kv.u32(hidden),
      "deepseek2.feed_forward_length": kv.u32(512),
      "deepseek2.attention.head_count": kv.u32(4),
      "deepseek2.attention.head_count_kv": kv.u32(4),
      "deepseek2.rope.freq_base": kv.f32(10000),
      "deepseek2.attention.layer_norm_rms_epsilon": kv.f32(1e-6),
      "deepseek2.expert_used_count": kv.u32(2),
      "deepseek2.leading_dense_block_count": kv.u32(1),
      "deepseek2.vocab_size": kv.u32(512),
      "deepseek2.attention.q_lora_rank": kv.u32(96),
      "deepseek2.attention.kv_lora_rank": kv.u32(64),
      "deepseek2.attention.key_length": kv.u32(96),
      "deepseek2.attention.value_length": kv.u32(64),
      "deepseek2.expert_feed_forward_length": kv.u32(moeFfn),
      "deepseek2.expert_count": kv.u32(experts),
      "deepseek2.expert_shared_count": kv.u32(1),
      "deepseek2.expert_weights_scale": kv.f32(2.5),
      "deepseek2.expert_weights_norm": kv.bool(true),
      "deepseek2.expert_gating_func": kv.u32(2),
      "deepseek2.rope.dimension_count": kv.u32(32),
      "deepseek2.rope.scaling.type": kv.str("yarn"),
      "deepseek2.rope.scaling.factor": kv.f32(40),
      "deepseek2.rope.scaling.original_context_length": kv.u32(4096),
      "deepseek2.rope.scaling.yarn_log_multiplier": kv.f32(0.1),
      "tokenizer.ggml.model": kv.str("gpt2"),
      "tokenizer.ggml.tokens": kv.arr(
        VT.STRING,
        Array.from({ length: 512 }, (_, i) => `t${i}`),
      ),
    },
    tensors,
  };
}
