/**
 * config.json normalization: one flat, alias-free view of a model's text stack plus the towers kept
 * aside. Pure data handling: nothing here executes or fetches model code (`auto_map` is reported as a
 * finding and never followed).
 *
 * The rules (see docs/fingerprint-config.md):
 * - Nested text configs (`thinker_config.text_config`, `text_config`, `llm_config`, `language_config`,
 *   `language_model_config`) are flattened over the top level; the nested config wins for every key it
 *   defines (transformers builds the text model from it), the top level fills the rest. A dimension
 *   defined differently on both levels is a warning.
 * - Vision / audio configs are kept aside in `towers` (presence -> modality); never flattened.
 * - Aliases (`n_embd`, `n_head`, `d_model`, ...) fill the canonical key when it is absent.
 * - List-valued dims (per-layer heads / widths) are kept as lists; the scalar is their max and the
 *   heterogeneity is a finding.
 * - A sliding window that is disabled (`use_sliding_window: false`) or not smaller than
 *   max_position_embeddings is no window.
 * - Per-layer kinds come from `layer_types`, `hybrid_override_pattern`, `full_attn_idxs`,
 *   `attn_layer_indices`, `attn_layer_period`/`offset`, `sliding_window_pattern`, Gemma-2
 *   alternation, Qwen2 `max_window_layers`, Mllama `cross_attention_layers`, else a uniform stack.
 */
import { ownEntry, setOwn } from "../formats/json-scan.js";
import { FormatError } from "../util/errors.js";
import type { Finding, Topology } from "./types.js";

// ---------------------------------------------------------------------------------------------
// small typed readers over unknown JSON

export type JsonRecord = Record<string, unknown>;

export function isRecord(v: unknown): v is JsonRecord {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A finite number (booleans and numeric strings are not numbers). */
export function asNumber(v: unknown): number | null {
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

/** A non-negative integer, else null. */
export function asInt(v: unknown): number | null {
  const n = asNumber(v);
  return n !== null && Number.isInteger(n) && n >= 0 ? n : null;
}

export function asBool(v: unknown): boolean | null {
  return typeof v === "boolean" ? v : null;
}

export function asString(v: unknown): string | null {
  return typeof v === "string" && v.length > 0 ? v : null;
}

/** A list of non-negative integers (every element), else null. */
export function asIntList(v: unknown): number[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const out: number[] = [];
  for (const x of v) {
    const n = asInt(x);
    if (n === null) return null;
    out.push(n);
  }
  return out;
}

export function asStringList(v: unknown): string[] | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const out: string[] = [];
  for (const x of v) {
    if (typeof x !== "string") return null;
    out.push(x);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// types

/** A dimension that may be per-layer: `value` is the scalar (max of the list), `perLayer` the list. */
export interface Dim {
  value: number | null;
  perLayer: number[] | null;
}

export interface RopeInfo {
  /**
   * Normalized rope scaling kind: "default", "linear", "dynamic", "yarn", "llama3", "longrope",
   * "mrope", "mrope-interleaved", or another string verbatim. null when the config has no rope block
   * (callers decide from the architecture whether the model uses rope at all).
   */
  type: string | null;
  /** rope_theta (or rotary_emb_base / rope_parameters.rope_theta). */
  theta: number | null;
  /** Gemma-3 `rope_local_base_freq` (theta of the sliding layers). */
  localTheta: number | null;
  /** Scaling factor, when the scaling block gives one. */
  factor: number | null;
  /** Fraction of head_dim rotated, when the config says (partial_rotary_factor, rotary_pct, rotary_dim). */
  partialRotary: number | null;
  /** Absolute rotary dim when given as such (rotary_dim). */
  rotaryDim: number | null;
  /** mrope sections (Qwen2-VL family). */
  mropeSection: number[] | null;
  /** The scaling block verbatim (rope_scaling or rope_parameters). */
  scaling: JsonRecord | null;
  /** Which key the scaling block came from. */
  scalingKey: "rope_scaling" | "rope_parameters" | null;
}

export interface EncoderDecoderDims {
  encoderLayers: number | null;
  decoderLayers: number | null;
  encoderHeads: number | null;
  decoderHeads: number | null;
  encoderFfn: number | null;
  decoderFfn: number | null;
  /** Encoder positions (Whisper max_source_positions). */
  encoderPositions: number | null;
  /** Decoder positions (Whisper max_target_positions). */
  decoderPositions: number | null;
}

export interface Towers {
  vision: JsonRecord | null;
  audio: JsonRecord | null;
  /** Where the towers were found ("vision_config", "img_processor", ...). */
  sources: string[];
}

/**
 * Per-layer kind vocabulary (see docs/fingerprint-config.md "Layer kinds"):
 * full_attention, sliding_attention, chunked_attention, cross_attention, linear_attention,
 * mamba, mamba2, conv, mlp (FFN-only block), moe (MoE-only block).
 * Unknown `layer_types` strings are kept verbatim.
 */
export type LayerKind = string;

export interface NormalizedConfig {
  /** Manifest id, when the caller passed one (for messages). */
  model: string | null;
  /** Top-level model_type, verbatim; null when absent, null or not a string. */
  modelType: string | null;
  /** model_type of the nested text config when there is one, else modelType. */
  textModelType: string | null;
  /** Top-level `architectures` (falls back to the text config's). */
  architectures: string[];
  /** architectures[0], else model_type, else null. */
  architecture: string | null;
  /** Key path of the flattened text config ("text_config", "thinker_config.text_config", ...). */
  textConfigPath: string | null;
  /** Flattened text-stack config with canonical keys filled from aliases. Values verbatim. */
  text: JsonRecord;
  /** Canonical key -> alias it was filled from. */
  aliasesApplied: Record<string, string>;
  towers: Towers;
  /** Sorted extra towers detected from the config: [] | ["vision"] | ["audio"] | ["audio","vision"]. */
  modality: string[];
  /** Topology signalled by the config itself (is_encoder_decoder...), null when it does not say. */
  topologyHint: Topology | null;
  encoderDecoder: EncoderDecoderDims | null;

  hiddenSize: number | null;
  numLayers: number | null;
  heads: Dim;
  /** KV heads; null when the config does not say (then MHA by class semantics, see kvHeadsSource). */
  kvHeads: Dim;
  kvHeadsSource: "config" | "multi_query" | "default-mha" | null;
  headDim: number | null;
  headDimSource: "config" | "derived" | null;
  intermediate: Dim;
  moeIntermediateSize: number | null;
  sharedExpertIntermediateSize: number | null;
  vocabSize: number | null;
  maxPositions: number | null;
  normEps: number | null;

  numExperts: number | null;
  expertsPerToken: number | null;
  numSharedExperts: number | null;

  /** Per-layer kinds (length numLayers) when derivable, else null. */
  layerTypes: LayerKind[] | null;
  /** Where layerTypes came from ("layer_types", "hybrid_override_pattern", "uniform", ...). */
  layerTypesSource: string | null;
  /** Effective sliding-window length (null = no window). */
  slidingWindow: number | null;
  /** The raw sliding_window value before the disable rules. */
  slidingWindowRaw: number | null;
  /** Layer indices that skip rope (SmolLM3 `no_rope_layers`), null when the config has none. */
  noRopeLayers: number[] | null;

  rope: RopeInfo;
  /** tie_word_embeddings as the config says (text config wins), null when absent. */
  tieWordEmbeddings: boolean | null;
  /** torch_dtype, or transformers-5 `dtype`. */
  dtype: string | null;
  dtypeKey: "torch_dtype" | "dtype" | null;
  /** quantization_config (or MLX `quantization`) verbatim, for the weight-format code. */
  quantizationConfig: JsonRecord | null;
  /** auto_map verbatim (remote code; never followed). */
  autoMap: JsonRecord | null;
  /** Duplicate keys detected in the raw text (normalizeConfigText only). */
  duplicateKeys: string[];
  /** The config as given. */
  raw: JsonRecord;
  findings: Finding[];
}

export interface NormalizeOptions {
  /** Manifest id, used in finding messages. */
  model?: string;
}

// ---------------------------------------------------------------------------------------------
// tables

/** Nested text configs, most specific first. */
const TEXT_CONFIG_PATHS: ReadonlyArray<readonly string[]> = [
  ["thinker_config", "text_config"],
  ["text_config"],
  ["llm_config"],
  ["language_config"],
  ["language_model_config"],
];

/** Keys that hold sub-configs (never flattened into `text`). */
const SUBCONFIG_KEYS = new Set([
  "text_config",
  "llm_config",
  "language_config",
  "language_model_config",
  "thinker_config",
  "talker_config",
  "vision_config",
  "audio_config",
  "speech_config",
  "vision_tower_config",
  "audio_tower_config",
  "encoder_config",
  "decoder_config",
  "img_processor",
  "embd_layer",
  "perceiver_config",
  "projector_config",
  "token2wav_config",
]);

/** Canonical key <- aliases (first present alias wins). */
export const ALIASES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ["hidden_size", ["n_embd", "n_embed", "d_model", "dim", "model_dim"]],
  ["num_attention_heads", ["n_head", "n_heads", "num_heads", "decoder_attention_heads"]],
  ["num_hidden_layers", ["n_layer", "n_layers", "num_layers", "decoder_layers"]],
  ["intermediate_size", ["n_inner", "ffn_dim", "d_ff", "hidden_dim", "ffn_hidden_size", "decoder_ffn_dim"]],
  ["max_position_embeddings", ["n_positions", "max_target_positions", "seq_length", "max_sequence_length", "context_length", "n_ctx"]],
  ["num_key_value_heads", ["num_kv_heads", "n_head_kv", "n_kv_heads"]],
  ["head_dim", ["kv_channels", "d_kv", "attention_head_dim"]],
  ["rope_theta", ["rotary_emb_base", "rope_base", "rotary_base"]],
  ["norm_eps", ["rms_norm_eps", "layer_norm_epsilon", "layer_norm_eps", "layernorm_epsilon", "norm_epsilon", "block_norm_eps"]],
  ["num_experts", ["num_local_experts", "n_routed_experts", "moe_num_experts"]],
  ["num_experts_per_tok", ["moe_topk", "experts_per_token", "num_selected_experts", "moe_top_k"]],
  ["vocab_size", ["padded_vocab_size", "n_vocab"]],
];

/**
 * transformers class defaults used when a (typically nested, sparse) config omits a dimension.
 * Only families whose defaults are stable across transformers versions; every fill is a finding.
 */
const CLASS_DEFAULTS: Record<string, JsonRecord> = {
  llama: {
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    max_position_embeddings: 2048,
    vocab_size: 32000,
    rms_norm_eps: 1e-6,
    rope_theta: 10000,
  },
};

// ---------------------------------------------------------------------------------------------
// duplicate keys (cheap scan of the raw text)

/**
 * Keys that occur twice in the same JSON object of `text` ("a.b" paths for nested objects).
 * JSON.parse silently keeps the last one; this scan is linear and allocation-light.
 */
export function findDuplicateKeys(text: string): string[] {
  const dups: string[] = [];
  type Frame = { kind: "obj"; keys: Set<string>; path: string; pendingKey: string | null } | { kind: "arr"; path: string };
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === '"') {
      // read string
      let j = i + 1;
      let s = "";
      while (j < n && text[j] !== '"') {
        if (text[j] === "\\") {
          s += text.slice(j, j + 2);
          j += 2;
        } else {
          s += text[j];
          j += 1;
        }
      }
      i = j + 1;
      // is it a key? next non-space char is ':'
      let k = i;
      while (k < n && (text[k] === " " || text[k] === "\n" || text[k] === "\r" || text[k] === "\t")) k++;
      const top = stack[stack.length - 1];
      if (text[k] === ":" && top && top.kind === "obj") {
        if (top.keys.has(s)) dups.push(top.path ? `${top.path}.${s}` : s);
        top.keys.add(s);
        top.pendingKey = s;
      }
      continue;
    }
    if (c === "{") {
      const top = stack[stack.length - 1];
      const name = top && top.kind === "obj" ? top.pendingKey ?? "" : top ? "[]" : "";
      const path = top ? (top.path ? `${top.path}.${name}` : name) : "";
      stack.push({ kind: "obj", keys: new Set(), path, pendingKey: null });
    } else if (c === "[") {
      const top = stack[stack.length - 1];
      const name = top && top.kind === "obj" ? top.pendingKey ?? "" : "[]";
      stack.push({ kind: "arr", path: top ? (top.path ? `${top.path}.${name}` : name) : "" });
    } else if (c === "}" || c === "]") {
      stack.pop();
    }
    i += 1;
  }
  return dups;
}

// ---------------------------------------------------------------------------------------------
// helpers

function finding(severity: Finding["severity"], code: string, message: string, key?: string): Finding {
  return key ? { severity, code, message, key } : { severity, code, message };
}

function getPath(obj: JsonRecord, path: readonly string[]): unknown {
  let cur: unknown = obj;
  for (const p of path) {
    if (!isRecord(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

function dim(v: unknown): Dim {
  const n = asNumber(v);
  if (n !== null) return { value: n, perLayer: null };
  const list = asIntList(v);
  if (list) return { value: list.reduce((a, b) => (b > a ? b : a), 0), perLayer: list };
  return { value: null, perLayer: null };
}

function isHeterogeneous(d: Dim): boolean {
  return d.perLayer !== null && new Set(d.perLayer).size > 1;
}

/** Normalizes one layer_types entry to the layer-kind vocabulary. */
export function normalizeLayerKind(s: string, mambaKind: "mamba" | "mamba2" = "mamba2"): string {
  const t = s.toLowerCase().trim();
  switch (t) {
    case "full_attention":
    case "attention":
    case "global":
    case "global_attention":
    case "full":
    case "self_attention":
      return "full_attention";
    case "sliding_attention":
    case "sliding":
    case "local":
    case "local_attention":
    case "sliding_window_attention":
      return "sliding_attention";
    case "chunked_attention":
      return "chunked_attention";
    case "linear_attention":
    case "linear":
      return "linear_attention";
    case "mamba":
      return mambaKind;
    case "mamba2":
      return "mamba2";
    case "mamba1":
      return "mamba";
    case "conv":
    case "short_conv":
    case "shortconv":
      return "conv";
    case "cross_attention":
      return "cross_attention";
    case "mlp":
    case "ffn":
      return "mlp";
    case "moe":
      return "moe";
    default:
      return t;
  }
}

/** Nemotron-H `hybrid_override_pattern` character -> layer kind. */
const HYBRID_PATTERN_CHARS: Record<string, string> = {
  M: "mamba2",
  "*": "full_attention",
  "-": "mlp",
  E: "moe",
};

function normalizeRopeType(t: string): string {
  const s = t.toLowerCase();
  if (s === "su") return "longrope";
  if (s === "gptj" || s === "neox" || s === "rope") return "default";
  if (s === "dynamic_ntk" || s === "ntk") return "dynamic";
  return s;
}

// ---------------------------------------------------------------------------------------------
// main

/**
 * Parses config.json text (duplicate keys are reported) and normalizes it. Throws FormatError
 * `config_not_json` / `config_not_object` (the codes acquire uses for config.json), naming the model.
 */
export function normalizeConfigText(text: string, opts: NormalizeOptions = {}): NormalizedConfig {
  const ctx = { file: "config.json", ...(opts.model !== undefined ? { model: opts.model } : {}) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new FormatError("config_not_json", `config.json is not valid JSON (${e instanceof Error ? e.message : String(e)})`, { ...ctx, cause: e });
  }
  if (!isRecord(parsed)) throw new FormatError("config_not_object", `config.json is a JSON ${parsed === null ? "null" : Array.isArray(parsed) ? "array" : typeof parsed}, not an object`, ctx);
  const dups = findDuplicateKeys(text);
  const norm = normalizeConfig(parsed, opts);
  if (dups.length > 0) {
    norm.duplicateKeys = dups;
    norm.findings.unshift(
      finding(
        "warning",
        "CONFIG_DUPLICATE_KEY",
        `config.json repeats key(s) ${dups.map((d) => `"${d}"`).join(", ")}; JSON parsing keeps the last occurrence`,
        dups[0],
      ),
    );
  }
  return norm;
}

/** Normalizes a parsed config.json. Never throws on odd content: what it cannot read becomes null + a finding. */
export function normalizeConfig(raw: Record<string, unknown>, opts: NormalizeOptions = {}): NormalizedConfig {
  const findings: Finding[] = [];
  const model = opts.model ?? null;

  // -- identity
  const modelTypeRaw = raw["model_type"];
  const modelType = asString(modelTypeRaw);
  if (modelType === null) {
    findings.push(
      finding(
        "warning",
        "CONFIG_MODEL_TYPE_MISSING",
        modelTypeRaw === null
          ? "model_type is null; the architecture is resolved from `architectures` instead"
          : modelTypeRaw === undefined
            ? "config.json has no model_type; the architecture is resolved from `architectures` instead"
            : "model_type is not a string; ignored",
        "model_type",
      ),
    );
  }

  // -- nested text config
  let nested: JsonRecord | null = null;
  let textConfigPath: string | null = null;
  for (const p of TEXT_CONFIG_PATHS) {
    const v = getPath(raw, p);
    if (isRecord(v)) {
      nested = v;
      textConfigPath = p.join(".");
      break;
    }
  }

  let architectures = asStringList(raw["architectures"]) ?? [];
  if (architectures.length === 0 && nested) architectures = asStringList(nested["architectures"]) ?? [];
  if (architectures.length === 0) {
    findings.push(
      finding("info", "CONFIG_ARCHITECTURES_MISSING", "config.json has no `architectures`; the architecture class falls back to model_type", "architectures"),
    );
  }
  const architecture = architectures[0] ?? modelType ?? null;

  const autoMap = isRecord(raw["auto_map"]) ? raw["auto_map"] : nested && isRecord(nested["auto_map"]) ? nested["auto_map"] : null;
  if (autoMap) {
    const classes = Object.values(autoMap).filter((v): v is string => typeof v === "string");
    findings.push(
      finding(
        "info",
        "CONFIG_REMOTE_CODE",
        `config declares remote code (auto_map: ${classes.slice(0, 4).join(", ")}${classes.length > 4 ? ", ..." : ""}); it is never executed, the features come from the config fields and the architecture table`,
        "auto_map",
      ),
    );
  }

  // -- flatten
  const text: JsonRecord = {};
  for (const [k, v] of Object.entries(raw)) {
    if (SUBCONFIG_KEYS.has(k)) continue;
    // setOwn: a "__proto__" key must stay a key, not become the prototype of `text` (its fields
    // would then read as hidden_size, num_hidden_layers... although the config does not set them).
    setOwn(text, k, v);
  }
  const textModelType = nested ? asString(nested["model_type"]) ?? modelType : modelType;
  if (nested) {
    const conflicts: string[] = [];
    for (const [k, v] of Object.entries(nested)) {
      if (k === "architectures" && (v === null || v === undefined)) continue;
      if (SUBCONFIG_KEYS.has(k)) continue;
      const top = raw[k];
      if (
        top !== undefined &&
        top !== null &&
        v !== null &&
        typeof top === "number" &&
        typeof v === "number" &&
        top !== v &&
        DIMENSION_KEYS.has(k)
      ) {
        conflicts.push(`${k}: top-level ${top} vs ${textConfigPath} ${v}`);
      }
      setOwn(text, k, v);
    }
    findings.push(
      finding("info", "CONFIG_NESTED_TEXT", `text model read from \`${textConfigPath}\` (flattened over the top level; the nested config wins)`, textConfigPath ?? undefined),
    );
    if (conflicts.length > 0) {
      findings.push(finding("warning", "CONFIG_NESTED_CONFLICT", `top level and ${textConfigPath} disagree: ${conflicts.join("; ")}; the nested value is used`));
    }
    if (asString(text["model_type"]) === null && modelType) text["model_type"] = modelType;
  }

  // -- class defaults for sparse configs
  const defaultsFamily = textModelType ? textModelType.toLowerCase() : null;
  const defaults = defaultsFamily ? ownEntry(CLASS_DEFAULTS, defaultsFamily) : undefined;
  if (defaults) {
    const filled: string[] = [];
    for (const [k, v] of Object.entries(defaults)) {
      const aliasPresent = ALIASES.some(([canon, al]) => canon === k && al.some((a) => text[a] !== undefined && text[a] !== null));
      if ((text[k] === undefined || text[k] === null) && !aliasPresent && !(k === "rms_norm_eps" && text["norm_eps"] !== undefined)) {
        text[k] = v;
        filled.push(`${k}=${String(v)}`);
      }
    }
    if (filled.length > 0) {
      findings.push(
        finding(
          "info",
          "CONFIG_CLASS_DEFAULT",
          `${textConfigPath ?? "config"} omits ${filled.length} field(s); filled from the transformers ${defaultsFamily} config defaults (what transformers itself uses): ${filled.join(", ")}`,
        ),
      );
    }
  }

  // -- aliases
  const aliasesApplied: Record<string, string> = {};
  const isEncDecRaw = asBool(text["is_encoder_decoder"]) === true || (text["encoder_layers"] !== undefined && text["decoder_layers"] !== undefined);
  for (const [canon, aliases] of ALIASES) {
    const cur = text[canon];
    if (cur !== undefined && cur !== null) continue;
    for (const a of aliases) {
      const v = text[a];
      if (v === undefined || v === null) continue;
      // decoder_* aliases only for encoder-decoder configs; seq_length etc. only when numeric
      if (a.startsWith("decoder_") && !isEncDecRaw) continue;
      text[canon] = v;
      aliasesApplied[canon] = a;
      break;
    }
  }
  // an encoder-decoder's canonical stack is the decoder even when num_hidden_layers is set
  if (isEncDecRaw) {
    for (const [canon, dec] of [
      ["num_hidden_layers", "decoder_layers"],
      ["num_attention_heads", "decoder_attention_heads"],
      ["intermediate_size", "decoder_ffn_dim"],
    ] as const) {
      if (text[dec] !== undefined && text[dec] !== null && text[canon] !== text[dec]) {
        text[canon] = text[dec];
        aliasesApplied[canon] = dec;
      }
    }
  }
  const aliasList = Object.entries(aliasesApplied).map(([c, a]) => `${a}->${c}`);
  if (aliasList.length > 0) {
    findings.push(finding("info", "CONFIG_ALIASES", `aliases applied: ${aliasList.join(", ")}`));
  }

  // -- towers / modality
  const towers: Towers = { vision: null, audio: null, sources: [] };
  const visionKeys = ["vision_config", "vision_tower_config", "img_processor", "visual", "vision_encoder"];
  for (const k of visionKeys) {
    const v = raw[k];
    if (isRecord(v)) {
      towers.vision = v;
      towers.sources.push(k);
      break;
    }
  }
  if (!towers.vision) {
    const embd = raw["embd_layer"];
    if (isRecord(embd) && embd["embedding_cls"] === "image") {
      towers.vision = embd;
      towers.sources.push("embd_layer");
    } else if (typeof raw["mm_vision_tower"] === "string" || typeof raw["vision_tower"] === "string") {
      towers.vision = { name: raw["mm_vision_tower"] ?? raw["vision_tower"] };
      towers.sources.push(typeof raw["mm_vision_tower"] === "string" ? "mm_vision_tower" : "vision_tower");
    }
  }
  const thinker = raw["thinker_config"];
  const audioCandidates: Array<[string, unknown]> = [
    ["audio_config", raw["audio_config"]],
    ["speech_config", raw["speech_config"]],
    ["audio_tower_config", raw["audio_tower_config"]],
    ["thinker_config.audio_config", isRecord(thinker) ? thinker["audio_config"] : undefined],
  ];
  for (const [k, v] of audioCandidates) {
    if (isRecord(v)) {
      towers.audio = v;
      towers.sources.push(k);
      break;
    }
  }
  if (!towers.vision && isRecord(thinker) && isRecord(thinker["vision_config"])) {
    towers.vision = thinker["vision_config"];
    towers.sources.push("thinker_config.vision_config");
  }
  const modality: string[] = [];
  if (towers.audio) modality.push("audio");
  if (towers.vision) modality.push("vision");

  // -- topology hint
  let topologyHint: Topology | null = null;
  let encoderDecoder: EncoderDecoderDims | null = null;
  if (isEncDecRaw) {
    topologyHint = "encoder-decoder";
    encoderDecoder = {
      encoderLayers: asInt(text["encoder_layers"]) ?? asInt(text["num_encoder_layers"]),
      decoderLayers: asInt(text["decoder_layers"]) ?? asInt(text["num_decoder_layers"]) ?? asInt(text["num_hidden_layers"]),
      encoderHeads: asInt(text["encoder_attention_heads"]),
      decoderHeads: asInt(text["decoder_attention_heads"]) ?? asInt(text["num_attention_heads"]),
      encoderFfn: asInt(text["encoder_ffn_dim"]),
      decoderFfn: asInt(text["decoder_ffn_dim"]) ?? asInt(text["intermediate_size"]),
      encoderPositions: asInt(text["max_source_positions"]),
      decoderPositions: asInt(text["max_target_positions"]),
    };
  } else if (asBool(text["is_decoder"]) === false && asBool(text["is_encoder_decoder"]) === false && !nested) {
    // PretrainedConfig dumps say is_decoder:false for decoder-only models too; not a signal.
    topologyHint = null;
  }

  // -- dims
  const hiddenSize = asInt(text["hidden_size"]);
  let numLayers = asInt(text["num_hidden_layers"]);
  if (numLayers !== null && numLayers > MAX_LAYERS) {
    findings.push(finding("warning", "CONFIG_BAD_VALUE", `num_hidden_layers ${numLayers} exceeds ${MAX_LAYERS}: ignored (per-layer analysis would not be bounded)`, "num_hidden_layers"));
    numLayers = null;
  }
  const heads = dim(text["num_attention_heads"]);
  if (heads.value !== null && !Number.isInteger(heads.value)) heads.value = null;

  let kvHeads = dim(text["num_key_value_heads"]);
  let kvHeadsSource: NormalizedConfig["kvHeadsSource"] = kvHeads.value !== null ? "config" : null;
  const mt = (textModelType ?? "").toLowerCase();
  const isFalcon = mt === "falcon" || mt === "refinedweb" || mt === "refinedwebmodel" || mt === "rw";
  const newDecoderArch = asBool(text["new_decoder_architecture"]) ?? (mt === "refinedweb" ? true : null);
  if (isFalcon) {
    // Falcon: new_decoder_architecture uses num_kv_heads (GQA); else multi_query => 1 KV head.
    if (newDecoderArch === true) {
      if (kvHeads.value === null) {
        kvHeads = { value: heads.value, perLayer: null };
        kvHeadsSource = "default-mha";
      }
    } else if (asBool(text["multi_query"]) === true) {
      kvHeads = { value: 1, perLayer: null };
      kvHeadsSource = "multi_query";
    } else if (kvHeads.value === null) {
      kvHeads = { value: heads.value, perLayer: null };
      kvHeadsSource = "default-mha";
    }
  } else if (asBool(text["multi_query_attention"]) === true && asInt(text["multi_query_group_num"]) !== null) {
    kvHeads = { value: asInt(text["multi_query_group_num"]), perLayer: null };
    kvHeadsSource = "multi_query";
  } else if (kvHeads.value === null && asBool(text["multi_query"]) === true) {
    kvHeads = { value: 1, perLayer: null };
    kvHeadsSource = "multi_query";
  } else if (kvHeads.value === null && heads.value !== null) {
    kvHeads = { value: heads.value, perLayer: heads.perLayer };
    kvHeadsSource = "default-mha";
  }

  let headDim: number | null = null;
  let headDimSource: NormalizedConfig["headDimSource"] = null;
  const hdCfg = asInt(text["head_dim"]);
  if (hdCfg !== null && hdCfg > 0) {
    headDim = hdCfg;
    headDimSource = "config";
  } else if (hiddenSize !== null && heads.value !== null && heads.value > 0 && heads.perLayer === null) {
    if (hiddenSize % heads.value === 0) {
      headDim = hiddenSize / heads.value;
      headDimSource = "derived";
    } else {
      findings.push(
        finding("warning", "CONFIG_HEAD_DIM_UNDETERMINED", `hidden_size ${hiddenSize} is not a multiple of num_attention_heads ${heads.value} and the config gives no head_dim`, "head_dim"),
      );
    }
  } else if (hiddenSize !== null && heads.perLayer !== null) {
    findings.push(
      finding("info", "CONFIG_HEAD_DIM_UNDETERMINED", "per-layer head counts and no head_dim: head_dim is not derived (it may differ per layer)", "head_dim"),
    );
  }

  const intermediate = dim(text["intermediate_size"]);
  for (const [name, d] of [
    ["num_attention_heads", heads],
    ["num_key_value_heads", kvHeads],
    ["intermediate_size", intermediate],
  ] as const) {
    if (isHeterogeneous(d)) {
      findings.push(
        finding(
          "info",
          "CONFIG_PER_LAYER_DIM",
          `${name} is per-layer (${d.perLayer?.length} values, ${(d.perLayer ?? [0]).reduce((a, b) => (b < a ? b : a))}..${d.value}); the scale parameter reports the max`,
          name,
        ),
      );
    }
  }

  const moeIntermediateSize = asInt(text["moe_intermediate_size"]) ?? asInt(text["expert_intermediate_size"]);
  const sharedExpertIntermediateSize =
    asInt(text["shared_expert_intermediate_size"]) ?? asInt(text["moe_shared_expert_intermediate_size"]);
  const vocabSize = asInt(text["vocab_size"]);
  let maxPositions = asInt(text["max_position_embeddings"]);
  if (maxPositions === null && encoderDecoder?.decoderPositions != null) maxPositions = encoderDecoder.decoderPositions;
  const normEps = asNumber(text["norm_eps"]);

  const numExperts = asInt(text["num_experts"]);
  let expertsPerToken = asInt(text["num_experts_per_tok"]);
  // `top_k` doubles as a sampling parameter in PretrainedConfig dumps: only an MoE top-k when experts exist
  if (expertsPerToken === null && numExperts !== null && numExperts > 1 && asInt(text["top_k"]) !== null) {
    expertsPerToken = asInt(text["top_k"]);
    aliasesApplied["num_experts_per_tok"] = "top_k";
  }
  const numSharedExperts = asInt(text["n_shared_experts"]) ?? asInt(text["num_shared_experts"]);

  // -- rope
  const rope = readRope(text, findings);

  // -- sliding window
  const slidingWindowRaw = asInt(text["sliding_window"]) ?? asInt(text["sliding_window_size"]);
  let slidingWindow = slidingWindowRaw;
  if (slidingWindow !== null && slidingWindow > 0) {
    if (asBool(text["use_sliding_window"]) === false) {
      findings.push(
        finding("info", "CONFIG_WINDOW_DISABLED", `sliding_window ${slidingWindow} is ignored: use_sliding_window is false`, "sliding_window"),
      );
      slidingWindow = null;
    } else if (maxPositions !== null && slidingWindow >= maxPositions) {
      findings.push(
        finding(
          "info",
          "CONFIG_WINDOW_DISABLED",
          `sliding_window ${slidingWindow} >= max_position_embeddings ${maxPositions}: no effective window`,
          "sliding_window",
        ),
      );
      slidingWindow = null;
    }
  } else {
    slidingWindow = null;
  }

  // -- layer kinds per layer
  const { layerTypes, source: layerTypesSource } = readLayerTypes(text, mt, numLayers, slidingWindow, findings);

  // a window that no layer uses (Qwen2 max_window_layers >= num_hidden_layers) is no window
  if (slidingWindow !== null && layerTypes && !layerTypes.includes("sliding_attention")) {
    findings.push(
      finding("info", "CONFIG_WINDOW_DISABLED", `sliding_window ${slidingWindow} is not used by any layer (${layerTypesSource}): no effective window`, "sliding_window"),
    );
    slidingWindow = null;
  }
  // sliding layers without a window
  if (layerTypes && layerTypes.includes("sliding_attention") && slidingWindow === null) {
    findings.push(
      finding(
        "warning",
        "CONFIG_WINDOW_MISSING",
        `${layerTypesSource} lists sliding_attention layers but there is no effective sliding_window; they are treated as full attention`,
        "sliding_window",
      ),
    );
    for (let i = 0; i < layerTypes.length; i++) if (layerTypes[i] === "sliding_attention") layerTypes[i] = "full_attention";
  }

  // -- NoPE layers (SmolLM3: no_rope_layers[i] == 0 means layer i skips rope)
  let noRopeLayers: number[] | null = null;
  const nrl = asIntList(text["no_rope_layers"]);
  if (nrl) {
    noRopeLayers = nrl.flatMap((v, i) => (v === 0 ? [i] : []));
    if (noRopeLayers.length === 0) noRopeLayers = null;
  }

  // -- misc
  const tieWordEmbeddings = asBool(text["tie_word_embeddings"]);
  let dtype: string | null = null;
  let dtypeKey: NormalizedConfig["dtypeKey"] = null;
  for (const k of ["torch_dtype", "dtype"] as const) {
    const v = asString(raw[k]) ?? asString(text[k]);
    if (v) {
      dtype = v.replace(/^torch\./, "");
      dtypeKey = k;
      break;
    }
  }
  const quantizationConfig = isRecord(raw["quantization_config"])
    ? raw["quantization_config"]
    : isRecord(text["quantization_config"])
      ? text["quantization_config"]
      : isRecord(raw["quantization"])
        ? raw["quantization"]
        : isRecord(raw["compression_config"])
          ? raw["compression_config"]
          : null;

  if (hiddenSize === null) findings.push(finding("warning", "CONFIG_MISSING_FIELD", "hidden_size (or an alias) is missing", "hidden_size"));
  if (numLayers === null) findings.push(finding("warning", "CONFIG_MISSING_FIELD", "num_hidden_layers (or an alias) is missing", "num_hidden_layers"));
  if (vocabSize === null) findings.push(finding("info", "CONFIG_MISSING_FIELD", "vocab_size is missing", "vocab_size"));

  return {
    model,
    modelType,
    textModelType,
    architectures,
    architecture,
    textConfigPath,
    text,
    aliasesApplied,
    towers,
    modality,
    topologyHint,
    encoderDecoder,
    hiddenSize,
    numLayers,
    heads,
    kvHeads,
    kvHeadsSource,
    headDim,
    headDimSource,
    intermediate,
    moeIntermediateSize,
    sharedExpertIntermediateSize,
    vocabSize,
    maxPositions,
    normEps,
    numExperts,
    expertsPerToken,
    numSharedExperts,
    layerTypes,
    layerTypesSource,
    slidingWindow,
    slidingWindowRaw,
    noRopeLayers,
    rope,
    tieWordEmbeddings,
    dtype,
    dtypeKey,
    quantizationConfig,
    autoMap,
    duplicateKeys: [],
    raw,
    findings,
  };
}

/** Upper bound on layers we materialize per-layer views for (real models have < 200). */
const MAX_LAYERS = 10_000;

const DIMENSION_KEYS = new Set([
  "hidden_size",
  "num_hidden_layers",
  "num_attention_heads",
  "num_key_value_heads",
  "intermediate_size",
  "vocab_size",
  "head_dim",
  "max_position_embeddings",
]);

function readRope(text: JsonRecord, findings: Finding[]): RopeInfo {
  let scaling: JsonRecord | null = null;
  let scalingKey: RopeInfo["scalingKey"] = null;
  if (isRecord(text["rope_scaling"])) {
    scaling = text["rope_scaling"];
    scalingKey = "rope_scaling";
  } else if (isRecord(text["rope_parameters"])) {
    scaling = text["rope_parameters"];
    scalingKey = "rope_parameters";
  }
  let localTheta = asNumber(text["rope_local_base_freq"]);
  // transformers 5 per-layer-type rope_parameters: {full_attention: {...}, sliding_attention: {...}}
  if (scaling && isRecord(scaling["full_attention"])) {
    const sliding = scaling["sliding_attention"];
    if (isRecord(sliding) && localTheta === null) localTheta = asNumber(sliding["rope_theta"]);
    scaling = scaling["full_attention"];
  }
  let theta = asNumber(text["rope_theta"]);
  if (theta === null && scaling) theta = asNumber(scaling["rope_theta"]);

  let type: string | null = null;
  let factor: number | null = null;
  let mropeSection: number[] | null = null;
  if (scaling) {
    const t = asString(scaling["rope_type"]) ?? asString(scaling["type"]);
    type = t ? normalizeRopeType(t) : "default";
    factor = asNumber(scaling["factor"]);
    mropeSection = asIntList(scaling["mrope_section"]);
    if (mropeSection || type === "mrope") {
      type = asBool(scaling["mrope_interleaved"]) === true ? "mrope-interleaved" : "mrope";
    }
    if (type === "default" && factor !== null && factor !== 1 && scalingKey === "rope_scaling") {
      findings.push(finding("info", "CONFIG_ROPE_FACTOR_IGNORED", `rope scaling factor ${factor} with rope type "default" has no effect`, scalingKey));
    }
  }
  // Qwen v1 remote code: dynamic NTK + logn attention flags
  if (!scaling && asBool(text["use_dynamic_ntk"]) === true) type = "dynamic";
  if (type === null && asBool(text["use_mrope"]) === true) type = "mrope";

  let partialRotary = asNumber(text["partial_rotary_factor"]) ?? asNumber(text["rotary_pct"]) ?? asNumber(text["rope_pct"]);
  const rotaryDim = asInt(text["rotary_dim"]);
  if (partialRotary === null && rotaryDim !== null) {
    const hd = asInt(text["head_dim"]);
    const h = asInt(text["hidden_size"]);
    const nh = asInt(text["num_attention_heads"]);
    const headDim = hd ?? (h !== null && nh ? h / nh : null);
    if (headDim) partialRotary = rotaryDim / headDim;
  }
  if (partialRotary !== null && (partialRotary <= 0 || partialRotary > 1)) {
    findings.push(finding("warning", "CONFIG_BAD_VALUE", `partial rotary fraction ${partialRotary} is out of (0, 1]; ignored`, "partial_rotary_factor"));
    partialRotary = null;
  }
  return { type, theta, localTheta, factor, partialRotary, rotaryDim, mropeSection, scaling, scalingKey };
}

function readLayerTypes(
  text: JsonRecord,
  mt: string,
  numLayers: number | null,
  window: number | null,
  findings: Finding[],
): { layerTypes: string[] | null; source: string | null } {
  const mambaKind: "mamba" | "mamba2" = mt === "jamba" || mt === "falcon_mamba" || mt === "mamba" ? "mamba" : "mamba2";
  const check = (list: string[], source: string) => {
    if (numLayers !== null && list.length !== numLayers) {
      findings.push(
        finding("warning", "CONFIG_LAYER_PATTERN_LENGTH", `${source} describes ${list.length} layers but num_hidden_layers is ${numLayers}`, source),
      );
    }
    return { layerTypes: list, source };
  };

  const lt = asStringList(text["layer_types"]);
  if (lt) {
    const kinds = lt.map((s) => normalizeLayerKind(s, mambaKind));
    const unknown = [...new Set(kinds.filter((k) => !KNOWN_KINDS.has(k)))];
    if (unknown.length > 0) {
      findings.push(finding("warning", "CONFIG_UNKNOWN_LAYER_TYPE", `layer_types has unknown kind(s) ${unknown.join(", ")}; kept verbatim`, "layer_types"));
    }
    return check(kinds, "layer_types");
  }
  const pattern = asString(text["hybrid_override_pattern"]);
  if (pattern) {
    const kinds: string[] = [];
    const unknown = new Set<string>();
    for (const ch of pattern) {
      const k = HYBRID_PATTERN_CHARS[ch];
      if (k) kinds.push(k);
      else unknown.add(ch);
    }
    if (unknown.size > 0) {
      findings.push(
        finding("warning", "CONFIG_UNKNOWN_LAYER_TYPE", `hybrid_override_pattern has unknown symbol(s) ${[...unknown].join(" ")}; skipped`, "hybrid_override_pattern"),
      );
    }
    return check(kinds, "hybrid_override_pattern");
  }
  if (numLayers === null) return { layerTypes: null, source: null };

  const fullIdx = asIntList(text["full_attn_idxs"]);
  if (fullIdx || (Array.isArray(text["full_attn_idxs"]) && text["full_attn_idxs"].length === 0)) {
    const set = new Set(fullIdx ?? []);
    return { layerTypes: Array.from({ length: numLayers }, (_, i) => (set.has(i) ? "full_attention" : "conv")), source: "full_attn_idxs" };
  }
  const attnIdx = asIntList(text["attn_layer_indices"]);
  if (attnIdx) {
    const set = new Set(attnIdx);
    return { layerTypes: Array.from({ length: numLayers }, (_, i) => (set.has(i) ? "full_attention" : mambaKind)), source: "attn_layer_indices" };
  }
  const period = asInt(text["attn_layer_period"]);
  const offset = asInt(text["attn_layer_offset"]);
  if (period !== null && period > 0 && offset !== null) {
    return {
      layerTypes: Array.from({ length: numLayers }, (_, i) => (i % period === offset ? "full_attention" : mambaKind)),
      source: "attn_layer_period",
    };
  }
  const cross = asIntList(text["cross_attention_layers"]);
  if (cross) {
    const set = new Set(cross);
    return {
      layerTypes: Array.from({ length: numLayers }, (_, i) => (set.has(i) ? "cross_attention" : window !== null ? "sliding_attention" : "full_attention")),
      source: "cross_attention_layers",
    };
  }
  if (window !== null) {
    const swp = asInt(text["sliding_window_pattern"]) ?? asInt(text["_sliding_window_pattern"]);
    if (swp !== null && swp > 1) {
      return {
        layerTypes: Array.from({ length: numLayers }, (_, i) => ((i + 1) % swp !== 0 ? "sliding_attention" : "full_attention")),
        source: "sliding_window_pattern",
      };
    }
    if (mt === "gemma2") {
      return {
        layerTypes: Array.from({ length: numLayers }, (_, i) => ((i + 1) % 2 !== 0 ? "sliding_attention" : "full_attention")),
        source: "gemma2-alternating",
      };
    }
    const mwl = asInt(text["max_window_layers"]);
    if (mwl !== null && QWEN2_WINDOW_FAMILIES.has(mt)) {
      return {
        layerTypes: Array.from({ length: numLayers }, (_, i) => (i >= mwl ? "sliding_attention" : "full_attention")),
        source: "max_window_layers",
      };
    }
    return { layerTypes: Array.from({ length: numLayers }, () => "sliding_attention"), source: "sliding_window" };
  }
  return { layerTypes: null, source: null };
}

const QWEN2_WINDOW_FAMILIES = new Set(["qwen2", "qwen2_moe", "qwen3", "qwen3_moe", "qwen2_vl", "qwen2_5_vl"]);

export const KNOWN_KINDS = new Set([
  "full_attention",
  "sliding_attention",
  "chunked_attention",
  "cross_attention",
  "linear_attention",
  "mamba",
  "mamba2",
  "conv",
  "mlp",
  "moe",
]);
