/**
 * A tiny ONNX ModelProto writer for tests, built on protobufjs' Writer (wire format only, field
 * numbers from onnx.proto). Fields are emitted in ascending field-number order, like protoc.
 */
import protobuf from "protobufjs/minimal.js";

export const DT = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, FLOAT16: 10, BFLOAT16: 16, FLOAT8E4M3FN: 17, UINT4: 21, INT4: 22 } as const;

type W = protobuf.Writer;

function msg(build: (w: W) => void): Uint8Array {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
}

const sub = (w: W, field: number, bytes: Uint8Array): W => w.uint32((field << 3) | 2).bytes(bytes);
const str = (w: W, field: number, s: string): W => w.uint32((field << 3) | 2).string(s);
const int = (w: W, field: number, v: number): W => w.uint32((field << 3) | 0).int64(v);

export interface TensorSpec {
  name: string;
  dims: number[];
  dataType: number;
  /** Inline raw_data: bytes, or a length of zero bytes. */
  raw?: Uint8Array | number;
  external?: { location: string; offset?: number; length?: number };
  /** Write dims packed (proto3 style) instead of one varint per dim. */
  packedDims?: boolean;
}

export function tensor(t: TensorSpec): Uint8Array {
  return msg((w) => {
    if (t.packedDims) {
      w.uint32((1 << 3) | 2).fork();
      for (const d of t.dims) w.int64(d);
      w.ldelim();
    } else for (const d of t.dims) int(w, 1, d);
    int(w, 2, t.dataType);
    str(w, 8, t.name);
    if (t.raw !== undefined) w.uint32((9 << 3) | 2).bytes(typeof t.raw === "number" ? new Uint8Array(t.raw) : t.raw);
    if (t.external) {
      const kv: [string, string][] = [["location", t.external.location]];
      if (t.external.offset !== undefined) kv.push(["offset", String(t.external.offset)]);
      if (t.external.length !== undefined) kv.push(["length", String(t.external.length)]);
      for (const [k, v] of kv) sub(w, 13, msg((e) => str(str(e, 1, k), 2, v)));
      int(w, 14, 1);
    }
  });
}

export interface AttrSpec {
  name: string;
  i?: number;
  f?: number;
  s?: string;
  t?: Uint8Array;
  g?: Uint8Array;
  graphs?: Uint8Array[];
}

export function attribute(a: AttrSpec): Uint8Array {
  return msg((w) => {
    str(w, 1, a.name);
    if (a.f !== undefined) w.uint32((2 << 3) | 5).float(a.f);
    if (a.i !== undefined) int(w, 3, a.i);
    if (a.s !== undefined) str(w, 4, a.s);
    if (a.t) sub(w, 5, a.t);
    if (a.g) sub(w, 6, a.g);
    for (const g of a.graphs ?? []) sub(w, 11, g);
    const type = a.f !== undefined ? 1 : a.i !== undefined ? 2 : a.s !== undefined ? 3 : a.t ? 4 : a.g ? 5 : a.graphs ? 10 : 0;
    int(w, 20, type);
  });
}

export interface NodeSpec {
  opType: string;
  domain?: string;
  inputs?: string[];
  outputs?: string[];
  name?: string;
  attributes?: AttrSpec[];
}

export function node(n: NodeSpec): Uint8Array {
  return msg((w) => {
    for (const i of n.inputs ?? []) str(w, 1, i);
    for (const o of n.outputs ?? []) str(w, 2, o);
    if (n.name) str(w, 3, n.name);
    str(w, 4, n.opType);
    for (const a of n.attributes ?? []) sub(w, 5, attribute(a));
    if (n.domain) str(w, 7, n.domain);
  });
}

export function valueInfo(name: string, elemType: number, shape: (number | string)[]): Uint8Array {
  const dims = msg((s) => {
    for (const d of shape) sub(s, 1, msg((dw) => (typeof d === "number" ? int(dw, 1, d) : str(dw, 2, d))));
  });
  const tensorType = msg((tt) => sub(int(tt, 1, elemType), 2, dims));
  const type = msg((t) => sub(t, 1, tensorType));
  return msg((w) => sub(str(w, 1, name), 2, type));
}

export interface GraphSpec {
  name?: string;
  nodes?: Uint8Array[];
  initializers?: Uint8Array[];
  inputs?: Uint8Array[];
  outputs?: Uint8Array[];
}

export function graph(g: GraphSpec): Uint8Array {
  return msg((w) => {
    for (const n of g.nodes ?? []) sub(w, 1, n);
    str(w, 2, g.name ?? "g");
    for (const t of g.initializers ?? []) sub(w, 5, t);
    for (const i of g.inputs ?? []) sub(w, 11, i);
    for (const o of g.outputs ?? []) sub(w, 12, o);
  });
}

export interface ModelSpec {
  irVersion?: number;
  producer?: [string, string];
  graph: Uint8Array;
  opsets?: [string, number][];
  metadata?: Record<string, string>;
  /** FunctionProto bodies: name, domain, nodes. */
  functions?: { name: string; domain: string; nodes: Uint8Array[] }[];
}

export function model(m: ModelSpec): Uint8Array {
  return msg((w) => {
    int(w, 1, m.irVersion ?? 8);
    str(w, 2, m.producer?.[0] ?? "standin-test");
    str(w, 3, m.producer?.[1] ?? "0.0.0");
    sub(w, 7, m.graph);
    for (const [d, v] of m.opsets ?? [["", 17]]) sub(w, 8, msg((o) => int(str(o, 1, d), 2, v)));
    for (const [k, v] of Object.entries(m.metadata ?? {})) sub(w, 14, msg((e) => str(str(e, 1, k), 2, v)));
    for (const f of m.functions ?? []) {
      sub(
        w,
        25,
        msg((fw) => {
          str(fw, 1, f.name);
          for (const n of f.nodes) sub(fw, 7, n);
          str(fw, 10, f.domain);
        }),
      );
    }
  });
}
