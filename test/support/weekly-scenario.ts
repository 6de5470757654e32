/**
 * Four simulated weekly runs of the 13-model fixture zoo (results-fixture.ts), for the weekly
 * regression tests and the committed example issue (docs/examples/weekly-issue.md):
 *
 * - week 1: the zoo as it is (every model at revision "main");
 * - week 2: two upstream events. meta-llama/Llama-3.1-8B-Instruct gets a new revision whose
 *   config.json lost its llama3 rope_scaling (RoPE type llama3 -> default, scaling factor 8 -> none):
 *   its fingerprint drifts, and the pair Llama-3.1-70B <- Llama-3.1-8B (requires FULL) drops to
 *   PARTIAL. openai/gpt-oss-20b becomes gated: gpt-oss-120b <- gpt-oss-20b (requires FULL) is UNKNOWN;
 * - week 3: both reverted (the zoo of week 1 again);
 * - week 4: the week-2 regressions come back (relapse).
 * Deterministic: fixed dates and shas.
 */
import type { Results } from "../../src/report/types.js";
import { diffResults } from "../../src/github/regressions.js";
import { renderWeeklyIssue } from "../../src/github/weekly-issue.js";
import {
  GPT_OSS_20B,
  LLAMA_8B,
  ZOO_EXPECTATIONS,
  ZOO_INTEGRITY,
  ZOO_PAIRS,
  ZOO_SPECS,
  buildResults,
  fakeSha,
  type ModelSpecLite,
} from "./results-fixture.js";

export const WEEK_DATES = ["2026-07-06", "2026-07-13", "2026-07-20", "2026-07-27"] as const;
export const LLAMA_8B_REV2 = fakeSha("meta-llama/Llama-3.1-8B-Instruct@rev2");
export const EXAMPLE_WEEKLY_PATH = "docs/examples/weekly-issue.md";
export const EXAMPLE_RUN_URL = "https://github.com/acme/engine/actions/runs/2345678901";

function regressedSpecs(): ModelSpecLite[] {
  return ZOO_SPECS.map((s) => {
    if (s.id === LLAMA_8B) {
      return { ...s, features: { ...s.features, ropeType: "default" }, scale: { ...s.scale, ropeScalingFactor: null } };
    }
    if (s.id === GPT_OSS_20B) {
      return {
        id: s.id,
        tags: s.tags,
        line: s.line,
        sha: null,
        error: {
          code: "gated",
          message: "openai/gpt-oss-20b is gated: the token has not accepted its licence",
          model: s.id,
          hint: "accept the licence on https://huggingface.co/openai/gpt-oss-20b and pass a token with read access (HF_TOKEN)",
        },
        requests: 1,
        bytes: 0,
      };
    }
    return s;
  });
}

/** The results of week 1..4 (week 2 and 4 regressed). */
export function weekResults(week: 1 | 2 | 3 | 4): Results {
  const regressed = week === 2 || week === 4;
  const r = buildResults(regressed ? regressedSpecs() : ZOO_SPECS, ZOO_PAIRS, {
    aliases: [["MistralForCausalLM", "LlamaForCausalLM"]],
    integrity: ZOO_INTEGRITY,
    expectations: ZOO_EXPECTATIONS,
  });
  const date = WEEK_DATES[week - 1];
  return {
    ...r,
    generatedAt: `${date}T06:00:00.000Z`,
    models: r.models.map((m) => {
      // the weekly run fingerprints the newest revision of every model
      const source = { ...m.source, revision: m.source.kind === "hub" ? "main" : m.source.revision };
      if (regressed && m.model === LLAMA_8B) source.sha = LLAMA_8B_REV2;
      return { ...m, source };
    }),
  };
}

/** The week-2 issue body (week 2 against the week-1 baseline), as docs/examples/weekly-issue.md shows it. */
export function exampleWeeklyIssue(): string {
  const current = weekResults(2);
  return renderWeeklyIssue(diffResults(weekResults(1), current), current, {
    runUrl: EXAMPLE_RUN_URL,
    baselineLabel: "branch standin-baseline (latest.json)",
  });
}
