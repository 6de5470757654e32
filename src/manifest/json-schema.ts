/**
 * The JSON Schema of model-zoo.yaml (version 1): the single source of truth for the published
 * schema/model-zoo.schema.json (written by scripts/gen-schema.ts, checked by a test) and for the
 * patterns the loader uses. The loader checks more than a schema can say (duplicates, pair members,
 * `id@sha` vs `revision`), and explains every problem with a position and a hint.
 *
 * Draft-07, on purpose: yaml-language-server (VS Code YAML, coc-yaml, Helix, Neovim lspconfig) and
 * SchemaStore support draft-07 fully, while their draft 2019-09/2020-12 support is partial.
 */

/** The subset of draft-07 this schema uses. */
export interface JsonSchema {
  $schema?: string;
  $id?: string;
  $ref?: string;
  title?: string;
  description?: string;
  type?: JsonType | JsonType[];
  const?: unknown;
  enum?: unknown[];
  default?: unknown;
  examples?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  multipleOf?: number;
  items?: JsonSchema;
  minItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean;
  anyOf?: JsonSchema[];
  definitions?: Record<string, JsonSchema>;
}
export type JsonType = "object" | "array" | "string" | "number" | "integer" | "boolean" | "null";

// ---------------------------------------------------------------------------------------------
// Patterns (ECMA-262 regex source), shared with the loader.

/** A full git commit sha. */
export const SHA_PATTERN = "^[0-9a-fA-F]{40}$";

const HF_NAMESPACE = "[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?";
const HF_NAME = "[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?";
/** huggingface_hub's validate_repo_id: "name" or "ns/name", [A-Za-z0-9_.-], no "--"/"..", no leading/trailing "-"/".", name <= 96, not ending in ".git". */
const HF_REPO_BODY = `(?!.*(?:--|\\.\\.))(?!.*\\.git(?:@|$))(?:${HF_NAMESPACE}/)?${HF_NAME}`;
export const HF_REPO_ID_PATTERN = `^${HF_REPO_BODY}$`;

/** Git ref name rules (git check-ref-format) for a branch or tag, e.g. "main", "v1.0", "refs/pr/3". */
const GIT_REF_BODY =
  "(?!@$)(?![./])(?!.*(?:\\.\\.|//|@\\{|\\.lock(?:/|$)|/\\.))(?!.*[./]$)[^\\x00-\\x20\\x7f~^:?*\\[\\\\]+";
/** A revision: a 40-hex commit sha, or a branch/tag name following git's ref rules. */
export const REVISION_PATTERN = `^(?:[0-9a-fA-F]{40}|${GIT_REF_BODY})$`;

/** A model id: a Hub id with an optional "@<40-hex sha>", or "local:PATH". */
export const MODEL_ID_PATTERN = `^(?:local:\\s*\\S.*|${HF_REPO_BODY}(?:@[0-9a-fA-F]{40})?)$`;

/** A parameter count written as text: "8B", "8.03B", "410M", "1.2T", "70k", "8,030,261,248". */
export const PARAM_TEXT_PATTERN = "^\\s*(?:(?:\\d+(?:\\.\\d+)?|\\.\\d+)\\s?[kKmMbBtT]?|\\d{1,3}(?:,\\d{3})+|\\d{1,3}(?:_\\d{3})+)\\s*$";

/** A tolerance written as a percentage from 0% to 100%. */
export const TOLERANCE_TEXT_PATTERN = "^\\s*(?:100(?:\\.0+)?|\\d{1,2}(?:\\.\\d+)?|\\.\\d+)\\s?%\\s*$";

/** An architecture class (or model_type) name, e.g. "LlamaForCausalLM". */
export const ARCHITECTURE_PATTERN = "^[A-Za-z_][A-Za-z0-9_]*$";

export const SOURCE_MODES = ["auto", "config", "safetensors", "onnx", "gguf"] as const;

/** Every spelling `require` accepts, and what it means. */
export const REQUIRE_SPELLINGS: Record<string, "FULL" | "PARTIAL"> = {
  FULL: "FULL",
  PARTIAL: "PARTIAL",
  full: "FULL",
  partial: "PARTIAL",
  FULL_SUBSTITUTE: "FULL",
  PARTIAL_SUBSTITUTE: "PARTIAL",
  full_substitute: "FULL",
  partial_substitute: "PARTIAL",
};

// ---------------------------------------------------------------------------------------------

const revision: JsonSchema = {
  type: "string",
  pattern: REVISION_PATTERN,
  description:
    "Git revision on the Hub: a branch or tag name (git ref rules: no spaces, '..', '~', '^', ':', '?', '*', '[', '\\', no leading '.' or '/', no trailing '.', '/' or '.lock'), or a full 40-hex commit sha. Abbreviated shas are rejected: the Hub needs the full sha.",
  examples: ["main", "v1.0", "refs/pr/12", "0e9e39f249a16976918f6564b8830bc894c89659"],
};

const source: JsonSchema = {
  type: "string",
  enum: [...SOURCE_MODES],
  description:
    "Which files standin fingerprints: auto (pick the best available: safetensors headers, else ONNX graph, else GGUF metadata, else config.json), config (config.json only), safetensors, onnx or gguf.",
  examples: ["auto", "safetensors"],
};

const params: JsonSchema = {
  description:
    "Expected total parameter count: an integer, or a number with a suffix k/M/B/T (case-insensitive), or digits grouped by commas. Decimals are rounded to a whole count.",
  anyOf: [
    { type: "integer", minimum: 1000, description: "Exact parameter count.", examples: [8030261248] },
    { type: "string", pattern: PARAM_TEXT_PATTERN, description: "Parameter count with a suffix.", examples: ["8.03B", "410M"] },
    { type: "null", description: "No expectation." },
  ],
  examples: ["8.03B", "410M", "1.2T", 8030261248, "8,030,261,248"],
};

const layers: JsonSchema = {
  type: ["integer", "null"],
  minimum: 1,
  description: "Expected number of transformer layers (num_hidden_layers). Checked exactly.",
  examples: [32, 80],
};

const tolerance: JsonSchema = {
  description: "Relative tolerance of the params check: a percentage from 0% to 100%, or a fraction from 0 to 1. Default 1%.",
  anyOf: [
    { type: "string", pattern: TOLERANCE_TEXT_PATTERN, description: "Percentage.", examples: ["1%", "0.5%"] },
    { type: "number", minimum: 0, maximum: 1, description: "Fraction (0.01 = 1%).", examples: [0.01] },
  ],
  default: "1%",
  examples: ["1%", "0.5%", 0.02],
};

const expect: JsonSchema = {
  type: ["object", "null"],
  additionalProperties: false,
  description: "What the fingerprint must show; a mismatch is an integrity finding.",
  properties: { params, layers, tolerance },
  examples: [{ params: "8.03B", layers: 32, tolerance: "1%" }],
};

const tags: JsonSchema = {
  type: ["array", "null"],
  items: { type: "string", minLength: 1, description: "A tag.", examples: ["llama"] },
  uniqueItems: true,
  description: "Free labels for selecting and grouping models (family, dense/moe, size...).",
  examples: [["llama", "dense", "8b"]],
};

const modelId: JsonSchema = {
  type: "string",
  pattern: MODEL_ID_PATTERN,
  description:
    'Hugging Face repo id ("ns/name" or "name": letters, digits, "_", "-", "."; name at most 96 characters), optionally pinned as "ns/name@<40-hex sha>"; or "local:PATH" for a directory on disk, relative to this manifest\'s directory.',
  examples: ["meta-llama/Llama-3.1-8B-Instruct", "Qwen/Qwen3-8B@b968826d9c46dd6066d109eabc6255188de91218", "gpt2", "local:./models/tiny-llama"],
};

const modelObject: JsonSchema = {
  type: "object",
  additionalProperties: false,
  required: ["id"],
  description: "A model of the zoo.",
  properties: {
    id: modelId,
    name: {
      type: "string",
      minLength: 1,
      description: "Display alias, unique in the manifest; pairs may reference the model by it instead of its id.",
      examples: ["llama-8b"],
    },
    revision: { ...revision, description: `${revision.description} Overrides defaults.revision; conflicts with a different "@sha" in the id. Not allowed on local models.` },
    source: { ...source, description: `${source.description} Overrides defaults.source.` },
    expect,
    tags,
  },
  examples: [{ id: "meta-llama/Llama-3.1-8B-Instruct", source: "safetensors", expect: { params: "8.03B", layers: 32 }, tags: ["llama", "dense"] }],
};

const modelRef: JsonSchema = {
  type: "string",
  minLength: 1,
  description: 'A model of `models`: its id (with or without its "@sha"), or its `name`.',
  examples: ["meta-llama/Llama-3.1-70B-Instruct", "llama-8b"],
};

const archGroup: JsonSchema = {
  type: "array",
  minItems: 2,
  uniqueItems: true,
  items: { type: "string", pattern: ARCHITECTURE_PATTERN, description: "Architecture class (architectures[0]) or model_type.", examples: ["LlamaForCausalLM"] },
  description: "Architecture classes the engine serves with one implementation (at least two).",
  examples: [["MistralForCausalLM", "LlamaForCausalLM"]],
};

export const MANIFEST_JSON_SCHEMA: JsonSchema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  title: "standin model zoo (model-zoo.yaml), version 1",
  description:
    "Models an inference engine tests, pairs of a big target and a small proxy that should stand in for it, and what the engine implements. See docs/manifest.md.",
  type: "object",
  additionalProperties: false,
  required: ["version", "models"],
  properties: {
    version: { type: "integer", const: 1, description: "Manifest format version. Must be 1.", examples: [1] },
    name: { type: "string", minLength: 1, description: "Name of the zoo, shown in reports.", examples: ["vllm-ci-zoo"] },
    defaults: {
      type: ["object", "null"],
      additionalProperties: false,
      description: "Values for models that do not set their own.",
      properties: {
        revision: { ...revision, default: "main", description: `${revision.description} Default "main".` },
        source: { ...source, default: "auto" },
        hub: {
          type: ["string", "null"],
          pattern: "^https?://[^\\s/?#@]+(?:/[^\\s?#]*)?$",
          description:
            "Hub base URL (a mirror or a private hub), without credentials. HF_ENDPOINT and --hub-url override it; unset means https://huggingface.co.",
          examples: ["https://huggingface.co", "https://hf-mirror.com"],
        },
      },
      examples: [{ revision: "main", source: "auto" }],
    },
    models: {
      type: "array",
      minItems: 1,
      description: 'The zoo. Each entry is a mapping, or a bare id string as shorthand for { id: "..." }.',
      items: {
        anyOf: [modelId, modelObject],
        description: "A model: a bare id, or a mapping with `id` and options.",
        examples: ["Qwen/Qwen3-8B", { id: "Qwen/Qwen3-0.6B", tags: ["qwen3", "dense"] }],
      },
      examples: [["Qwen/Qwen3-8B", { id: "meta-llama/Llama-3.1-8B-Instruct", tags: ["llama"] }]],
    },
    pairs: {
      type: ["array", "null"],
      description: "Pinned proxy pairs: the proxy should stand in for the target in the engine's tests.",
      items: {
        type: "object",
        additionalProperties: false,
        required: ["target", "proxy"],
        description: "One pair. Target and proxy must be different models of `models`; each (target, proxy) appears once.",
        properties: {
          target: { ...modelRef, description: `The big model. ${modelRef.description}` },
          proxy: { ...modelRef, description: `The small model that should stand in for the target. ${modelRef.description}`, examples: ["meta-llama/Llama-3.1-8B-Instruct"] },
          require: {
            type: ["string", "null"],
            enum: [...Object.keys(REQUIRE_SPELLINGS), null],
            description:
              "Gate: fail when the verdict is weaker. FULL requires FULL_SUBSTITUTE; PARTIAL accepts FULL or PARTIAL. Omit to report only.",
            examples: ["FULL", "PARTIAL"],
          },
        },
        examples: [{ target: "meta-llama/Llama-3.1-70B-Instruct", proxy: "meta-llama/Llama-3.1-8B-Instruct", require: "FULL" }],
      },
      examples: [[{ target: "Qwen/Qwen3-235B-A22B", proxy: "Qwen/Qwen3-30B-A3B", require: "FULL" }]],
    },
    engine: {
      type: ["object", "null"],
      additionalProperties: false,
      description: "The inference engine the zoo is tested with.",
      properties: {
        name: { type: ["string", "null"], minLength: 1, description: "Label, e.g. the engine's name.", examples: ["vllm", "sglang"] },
        aliases: {
          type: ["array", "null"],
          items: archGroup,
          description: "Groups of architecture classes the engine serves with one implementation; a class may be in one group only. With an alias, a differing class is not a verdict reason.",
          examples: [[["MistralForCausalLM", "LlamaForCausalLM"]]],
        },
        supported: {
          type: ["array", "null"],
          minItems: 1,
          uniqueItems: true,
          items: { type: "string", minLength: 1, description: "A layer or op kind.", examples: ["sliding_attention"] },
          description: "Layer/op kinds the engine implements (free strings). Omit to not check.",
          examples: [["full_attention", "sliding_attention", "moe", "mla", "gqa"]],
        },
      },
      examples: [{ name: "vllm", aliases: [["MistralForCausalLM", "LlamaForCausalLM"]], supported: ["full_attention", "moe"] }],
    },
  },
  examples: [{ version: 1, models: ["Qwen/Qwen3-8B"] }],
};

/** The published file's text: schema/model-zoo.schema.json. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(MANIFEST_JSON_SCHEMA, null, 2)}\n`;
}
