/**
 * MoE consistency: every MoE layer has a router and the same experts (count and tensors), the
 * router has one row per expert, shared experts are there when the config says so, and the MoE /
 * dense layer pattern follows the config (first_k_dense_replace, moe_layer_freq, decoder_sparse_step,
 * mlp_only_layers, expert_layer_period/offset, per-layer kinds).
 */
import { asInt, asIntList, type NormalizedConfig } from "../fingerprint/config.js";
import { QUANT_KINDS } from "../fingerprint/tensors.js";
import type { Finding } from "../fingerprint/types.js";
import { finding } from "./codes.js";
import { layerPrefix, listSome, type ModelView, type TensorView } from "./view.js";

export interface MoeLayer {
  layer: number;
  /** `model.layers.3` */
  prefix: string;
  mtp: boolean;
  /** Routed experts: distinct expert indices, else the leading dim of stacked expert tensors, else 0. */
  experts: number;
  expertIdx: Set<number>;
  stacked: number | null;
  /** Router weights and biases (moe_router kind). */
  routers: TensorView[];
  /** Rows of the first router weight (experts it scores), null without a 2-D router. */
  routerRows: number | null;
  shared: boolean;
  /** Abstract expert keys (with `{E}`) -> expert indices that have them. */
  expertKeys: Map<string, Set<number>>;
  /** Has a dense FFN (gate/up/down outside experts). */
  dense: boolean;
}

/** Per layer of the main stack (MTP included): what MoE pieces it holds. Linear. */
export function moeLayers(view: ModelView): Map<number, MoeLayer> {
  const out = new Map<number, MoeLayer>();
  const mtp = new Set(view.mtpIdx);
  for (const [layer, arr] of view.layers) {
    const l: MoeLayer = {
      layer,
      prefix: layerPrefix(view, layer),
      mtp: mtp.has(layer),
      experts: 0,
      expertIdx: new Set(),
      stacked: null,
      routers: [],
      routerRows: null,
      shared: false,
      expertKeys: new Map(),
      dense: false,
    };
    for (const v of arr) {
      const k = v.cls.kind;
      if (k === "expert" || (QUANT_KINDS.has(k) && v.expert !== null)) {
        if (v.expert !== null) {
          l.expertIdx.add(v.expert);
          let s = l.expertKeys.get(v.key);
          if (!s) l.expertKeys.set(v.key, (s = new Set()));
          s.add(v.expert);
        } else if (k === "expert" && l.stacked === null && v.t.shape.length >= 3 && v.cls.leaf !== "bias") {
          l.stacked = v.t.shape[0]!;
        }
      } else if (k === "moe_router") {
        l.routers.push(v);
        if (l.routerRows === null && v.cls.leaf !== "bias" && v.t.shape.length === 2) l.routerRows = v.t.shape[0]!;
      } else if (k === "shared_expert") {
        l.shared = true;
      } else if (k === "ffn_gate" || k === "ffn_up" || k === "ffn_down" || k === "ffn_gate_up") {
        l.dense = true;
      }
    }
    l.experts = l.expertIdx.size > 0 ? l.expertIdx.size : (l.stacked ?? 0);
    out.set(layer, l);
  }
  return out;
}

/** Whether the config makes layer `l` an MoE layer; null when the config does not say. */
export function expectedMoe(norm: NormalizedConfig, l: number): boolean | null {
  const E = norm.numExperts;
  if (E === null || E <= 1) return null;
  const t = norm.text;
  if (norm.layerTypes && norm.layerTypes.includes("moe")) return norm.layerTypes[l] === "moe";
  const k = asInt(t["first_k_dense_replace"]);
  if (k !== null) {
    const freq = asInt(t["moe_layer_freq"]) ?? 1;
    return l >= k && (freq <= 1 || l % freq === 0);
  }
  const step = asInt(t["decoder_sparse_step"]);
  const only = asIntList(t["mlp_only_layers"]);
  if (step !== null || only !== null) {
    if (only && only.includes(l)) return false;
    return step === null || step <= 1 || (l + 1) % step === 0;
  }
  const period = asInt(t["expert_layer_period"]);
  if (period !== null && period > 0) {
    const offset = asInt(t["expert_layer_offset"]) ?? 0;
    return l % period === offset % period;
  }
  return null;
}

export function checkMoe(view: ModelView): Finding[] {
  const layers = moeLayers(view);
  const out: Finding[] = [];
  const moe = [...layers.values()].filter((l) => l.experts > 0);
  const norm = view.norm;

  // router / experts presence
  const noRouter = moe.filter((l) => l.routers.every((r) => r.cls.leaf === "bias"));
  if (noRouter.length > 0) {
    out.push(
      finding("moe_router_missing", `${noRouter.length} MoE layer(s) hold routed experts but no router weight: ${listSome(noRouter, 5, (l) => `${l.prefix} (${l.experts} experts)`)}`, {
        key: noRouter[0]!.prefix,
      }),
    );
  }
  const noExperts = [...layers.values()].filter((l) => l.experts === 0 && l.routers.some((r) => r.cls.leaf !== "bias"));
  if (noExperts.length > 0) {
    out.push(
      finding("moe_experts_missing", `${noExperts.length} layer(s) hold a router but no routed expert: ${listSome(noExperts, 5, (l) => `${l.routers[0]!.t.name}`)}`, {
        tensor: noExperts[0]!.routers[0]!.t.name,
      }),
    );
  }

  // same expert count everywhere
  if (moe.length > 1) {
    const freq = new Map<number, number>();
    for (const l of moe) freq.set(l.experts, (freq.get(l.experts) ?? 0) + 1);
    if (freq.size > 1) {
      const major = [...freq.entries()].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
      const odd = moe.filter((l) => l.experts !== major);
      out.push(
        finding(
          "moe_expert_count_uneven",
          `${moe.length - odd.length} MoE layer(s) hold ${major} experts but ${odd.length} hold another number: ${listSome(odd, 5, (l) => `${l.prefix} has ${l.experts}`)}`,
          { key: odd[0]!.prefix },
        ),
      );
    }
  }

  // every expert has every expert tensor
  const incomplete: string[] = [];
  let firstKey: string | null = null;
  for (const l of moe) {
    if (l.expertIdx.size === 0) continue;
    for (const [key, have] of l.expertKeys) {
      if (have.size === l.expertIdx.size) continue;
      const missing: number[] = [];
      for (const e of [...l.expertIdx].sort((a, b) => a - b)) if (!have.has(e)) missing.push(e);
      firstKey ??= key;
      incomplete.push(`${key.replace("{L}", String(l.layer))} missing for expert(s) ${listSome(missing, 5)}`);
    }
  }
  if (incomplete.length > 0) {
    out.push(finding("moe_expert_incomplete", `${incomplete.length} expert tensor key(s) are missing for some experts: ${listSome(incomplete, 5)}`, { key: firstKey ?? undefined }));
  }

  // router rows vs experts
  const rows = moe.filter((l) => l.routerRows !== null && l.routerRows !== l.experts);
  if (rows.length > 0) {
    out.push(
      finding(
        "moe_router_expert_mismatch",
        `${rows.length} router(s) score another number of experts than their layer holds: ${listSome(rows, 5, (l) => `${l.routers.find((r) => r.cls.leaf !== "bias")!.t.name} has ${l.routerRows} rows for ${l.experts} experts`)}`,
        { tensor: rows[0]!.routers.find((r) => r.cls.leaf !== "bias")!.t.name },
      ),
    );
  }

  // shared experts
  if (norm) {
    const nShared = norm.numSharedExperts;
    const expectShared = (nShared !== null && nShared > 0) || (norm.sharedExpertIntermediateSize !== null && norm.sharedExpertIntermediateSize > 0);
    const why = nShared !== null && nShared > 0 ? `n_shared_experts is ${nShared}` : `shared_expert_intermediate_size is ${norm.sharedExpertIntermediateSize}`;
    if (expectShared) {
      const none = moe.filter((l) => !l.shared);
      if (none.length > 0) {
        out.push(finding("moe_shared_missing", `${why} but ${none.length} MoE layer(s) hold no shared expert: ${listSome(none, 5, (l) => l.prefix)}`, { key: none[0]!.prefix }));
      }
    } else if (nShared === 0) {
      const some = moe.filter((l) => l.shared);
      if (some.length > 0) {
        out.push(finding("moe_shared_unexpected", `n_shared_experts is 0 but ${some.length} MoE layer(s) hold shared expert tensors: ${listSome(some, 5, (l) => l.prefix)}`, { key: some[0]!.prefix }));
      }
    }

    // layer pattern
    const wrong: string[] = [];
    let first: string | null = null;
    for (const idx of view.mainIdx) {
      const want = expectedMoe(norm, idx);
      if (want === null) continue;
      const l = layers.get(idx)!;
      const is = l.experts > 0;
      if (is === want) continue;
      first ??= l.prefix;
      wrong.push(`${l.prefix} is ${is ? "MoE" : "dense"} but the config makes it ${want ? "MoE" : "dense"}`);
    }
    if (wrong.length > 0) {
      out.push(finding("moe_layer_pattern", `${wrong.length} layer(s) break the config's MoE layer pattern (${patternKeys(norm)}): ${listSome(wrong, 5)}`, { key: first ?? undefined }));
    }
  }
  return out;
}

function patternKeys(norm: NormalizedConfig): string {
  const t = norm.text;
  const keys = ["first_k_dense_replace", "moe_layer_freq", "decoder_sparse_step", "mlp_only_layers", "expert_layer_period", "expert_layer_offset"].filter((k) => t[k] !== undefined);
  if (norm.layerTypes && norm.layerTypes.includes("moe")) keys.push(`layer kinds from ${norm.layerTypesSource ?? "config"}`);
  return keys.map((k) => (t[k] !== undefined ? `${k} = ${JSON.stringify(t[k])}` : k)).join(", ");
}
