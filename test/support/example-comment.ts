/**
 * The PR comment example (docs/examples/pr-comment.md): the demo zoo checked against the demo Hub
 * for a PR that adds Qwen3-30B-A3B and its pair, rendered exactly as mode: pr posts it (comment
 * budget, touched models first, the rest folded, hidden markers). Deterministic: fixed time, fixed
 * run id; the demo repos' shas are content-derived.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DEMO_MANIFEST, startDemoHub } from "../../demo/build.js";
import { runCheck } from "../../src/check.js";
import { COMMENT_MARKER, metaMarker } from "../../src/github/comment.js";
import { loadManifest } from "../../src/manifest/load.js";
import { COMMENT_BUDGET, renderReport } from "../../src/report/markdown.js";
import { createRunContext } from "../../src/sources/index.js";

export const EXAMPLE_COMMENT_PATH = "docs/examples/pr-comment.md";

export async function exampleComment(): Promise<string> {
  const root = mkdtempSync(path.join(os.tmpdir(), "standin-example-"));
  const hub = await startDemoHub(root);
  try {
    const manifest = await loadManifest(path.relative(process.cwd(), DEMO_MANIFEST));
    const results = await runCheck(manifest, createRunContext({ hubUrl: hub.url, env: {}, concurrency: 1 }), {
      failOn: ["integrity", "expectations"],
      now: new Date("2026-11-23T04:17:00Z"),
    });
    const marker = `${metaMarker({ run: 4242, sha: "9f1c2e7d4b3a2f1e0d9c8b7a6f5e4d3c2b1a0f9e" })}\n${COMMENT_MARKER}`;
    return renderReport(results, {
      budget: COMMENT_BUDGET,
      detailsUrl: "https://github.com/acme/engine/actions/runs/4242",
      touched: ["Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-8B"],
      marker,
    });
  } finally {
    await hub.close();
    rmSync(root, { recursive: true, force: true });
  }
}
