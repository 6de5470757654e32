/**
 * The model-zoo manifest (model-zoo.yaml), version 1, after loading and validation.
 * Reference for users: docs/manifest.md. Editor schema: schema/model-zoo.schema.json.
 *
 * Everything here is normalized: defaults are applied, `id@sha` is split into id + revision,
 * `local:` paths are absolute, units are numbers, pair members are canonical model ids.
 * Positions (line, col) are 1-based and point at the entry in the YAML file, for annotations.
 */
import type { SourceMode } from "../fingerprint/types.js";

export type { SourceMode };

export const MANIFEST_VERSION = 1;

/** What a pair's gate requires: the verdict must be at least this good. */
export type RequiredVerdict = "FULL" | "PARTIAL";

export interface Position {
  /** 1-based line. */
  line: number;
  /** 1-based column. */
  col: number;
}

export interface ManifestDefaults {
  /** Revision for models that set none: branch, tag or 40-hex sha (default "main"). */
  revision: string;
  /** Which files to fingerprint from (default "auto"). */
  source: SourceMode;
  /** Hub base URL without a trailing slash, or null (then HF_ENDPOINT / --hub-url / huggingface.co decide). */
  hub: string | null;
}

export interface ModelExpect {
  /** Expected total parameter count, or null when not stated. */
  params: number | null;
  /** Expected number of layers (num_hidden_layers), or null. */
  layers: number | null;
  /** Relative tolerance of the params check, as a fraction (0.01 = 1%, the default). Layers are exact. */
  tolerance: number;
}

export interface ModelSpec {
  /**
   * The model's id as written, minus any "@sha" suffix: "meta-llama/Llama-3.1-8B-Instruct",
   * "gpt2", "local:./models/tiny". Unique within a manifest; fingerprints and verdicts use it.
   */
  id: string;
  /** "hub" for a Hub repo, "local" for a `local:` directory. */
  kind: "hub" | "local";
  /** Hub repo id ("ns/name" or "name") for hub models, else null. */
  repo: string | null;
  /** Absolute directory for `local:` models (resolved against the manifest's directory), else null. */
  local: string | null;
  /**
   * Requested revision for hub models: from "id@sha", else the model's `revision:`, else
   * defaults.revision. A 40-hex sha is lowercased. null for local models (they have no revision).
   */
  revision: string | null;
  /** True when `revision` is a full 40-hex commit sha (reproducible). */
  pinned: boolean;
  source: SourceMode;
  expect: ModelExpect;
  tags: string[];
  /** Display alias; pairs may reference the model by it. */
  name?: string;
  /** Position of the entry (the list item) in the manifest. */
  line: number;
  col: number;
}

export interface PairSpec {
  /** Canonical id (ModelSpec.id) of the big model, whatever form the pair used (id, id@sha or name). */
  target: string;
  /** Canonical id of the small model that should stand in for it. */
  proxy: string;
  /** Minimum verdict for the gate, or null (report only). */
  require: RequiredVerdict | null;
  line: number;
  col: number;
}

export interface EngineSpec {
  /** Free label, e.g. "vllm". */
  name: string | null;
  /** Disjoint groups (each >= 2) of architecture classes served by one implementation. */
  aliases: string[][];
  /** Layer/op kinds the engine implements, or null when not stated (nothing is checked). */
  supported: string[] | null;
}

export interface Manifest {
  /** The manifest path as given to loadManifest / parseManifest (used in messages). */
  path: string;
  version: typeof MANIFEST_VERSION;
  /** Zoo name. */
  name?: string;
  defaults: ManifestDefaults;
  models: ModelSpec[];
  pairs: PairSpec[];
  engine: EngineSpec;
}
