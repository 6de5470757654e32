/**
 * Broken safetensors repos shared by the hostile-input and worker tests: each writes one commit's
 * files into a RepoStore commit.
 */
import { rawSafetensors, type RepoStore } from "../hub/repo-store.js";

export type Commit = ReturnType<ReturnType<RepoStore["repo"]>["commit"]>;
export interface TensorSpecLite {
  name: string;
  dtype: string;
  shape: number[];
}

/** A safetensors header object with contiguous offsets for these tensors (F32 or 16-bit dtypes). */
export function contiguousHeader(tensors: readonly TensorSpecLite[]): { json: Record<string, unknown>; dataBytes: number } {
  const json: Record<string, unknown> = { __metadata__: { format: "pt" } };
  let at = 0;
  for (const t of tensors) {
    const bytes = (t.shape.reduce((a, b) => a * b, 1) * (t.dtype === "F32" ? 32 : 16)) / 8;
    json[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [at, at + bytes] };
    at += bytes;
  }
  return { json, dataBytes: at };
}

/**
 * Two shards: the first tensor's name twice inside shard 1's header (JSON keeps the last), and one
 * of shard 1's tensors again in shard 2 (integrity: st_duplicate_tensor, index_tensor_in_multiple_shards).
 */
export function writeDuplicateTensors(c: Commit, configText: string, tiny: readonly TensorSpecLite[]): void {
  c.writeFile("config.json", configText);
  const h1 = contiguousHeader(tiny);
  const dupText = JSON.stringify(h1.json).replace(/^\{/, `{${JSON.stringify(tiny[0]!.name)}:{"dtype":"BF16","shape":[1],"data_offsets":[0,2]},`);
  c.writeRaw("model-00001-of-00002.safetensors", rawSafetensors(dupText, { dataBytes: h1.dataBytes }), { lfs: true });
  // shard 2 holds its own tensor and, again, one of shard 1's
  const h2 = contiguousHeader([{ name: "model.extra.weight", dtype: "BF16", shape: [4] }, tiny[1]!]);
  c.writeRaw("model-00002-of-00002.safetensors", rawSafetensors(h2.json, { dataBytes: h2.dataBytes }), { lfs: true });
  const wm: Record<string, string> = { "model.extra.weight": "model-00002-of-00002.safetensors" };
  for (const t of tiny) wm[t.name] = "model-00001-of-00002.safetensors";
  c.writeJson("model.safetensors.index.json", { metadata: { total_size: h1.dataBytes }, weight_map: wm });
}

/** One file whose second tensor begins 4 bytes before the first one ends (st_offset_overlap). */
export function writeOverlap(c: Commit, configText: string, tiny: readonly TensorSpecLite[]): void {
  c.writeFile("config.json", configText);
  const h = contiguousHeader(tiny);
  const second = h.json[tiny[1]!.name] as { data_offsets: [number, number] };
  second.data_offsets = [second.data_offsets[0] - 4, second.data_offsets[1] - 4];
  c.writeRaw("model.safetensors", rawSafetensors(h.json, { dataBytes: h.dataBytes }), { lfs: true });
}

/** A header whose JSON nests `depth` arrays deep (safetensors_too_deep). */
export function writeDeepHeader(c: Commit, configText: string, depth: number): void {
  c.writeFile("config.json", configText);
  c.writeRaw("model.safetensors", rawSafetensors(`{"a":${"[".repeat(depth)}${"]".repeat(depth)}}`), { lfs: true });
}

/** An index whose weight_map nests `depth` objects deep (index_too_deep), with a good shard. */
export function writeDeepIndex(c: Commit, configText: string, depth: number): void {
  c.writeFile("config.json", configText);
  c.writeFile("model.safetensors.index.json", `{"metadata":{"total_size":8},"weight_map":${'{"a":'.repeat(depth)}"model-00001-of-00001.safetensors"${"}".repeat(depth)}}`);
  c.writeRaw("model-00001-of-00001.safetensors", rawSafetensors(contiguousHeader([{ name: "a", dtype: "F32", shape: [2] }]).json, { dataBytes: 8 }), { lfs: true });
}
