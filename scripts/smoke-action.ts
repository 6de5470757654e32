/**
 * Run the built action bundle (dist/index.js) once, as a runner would: INPUT_* variables,
 * GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files, the Hub at the built-in demo Hub. Used by .ci/run.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDemoHub } from "../demo/build.js";

const tmp = mkdtempSync(path.join(os.tmpdir(), "standin-smoke-"));
const hub = await startDemoHub(path.join(tmp, "hub"));
const outputFile = path.join(tmp, "output");
const summaryFile = path.join(tmp, "summary.md");
writeFileSync(outputFile, "");
writeFileSync(summaryFile, "");
let failed = false;
try {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_WORKSPACE: process.cwd(),
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_REPOSITORY: "acme/engine",
    GITHUB_RUN_ID: "1",
    "INPUT_MANIFEST": "demo/model-zoo.yaml",
    "INPUT_MODE": "check",
    "INPUT_HUB-URL": hub.url,
    "INPUT_FAIL-ON": "none",
    "INPUT_OUTPUT-DIR": path.relative(process.cwd(), path.join(tmp, "report")),
    "INPUT_TEST-SEQ-LEN": "4096",
  };
  const t0 = Date.now();
  // Async spawn: the demo Hub lives in this process and must keep serving.
  const r = await new Promise<{ status: number | null }>((resolve) => {
    const child = spawn(process.execPath, ["dist/index.js"], { env, stdio: ["ignore", "inherit", "inherit"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.on("exit", (status) => {
      clearTimeout(timer);
      resolve({ status });
    });
  });
  const outputs = readFileSync(outputFile, "utf8");
  const summary = readFileSync(summaryFile, "utf8");
  const problems: string[] = [];
  if (r.status !== 0) problems.push(`exit code ${r.status} (expected 0 with fail-on: none)`);
  for (const name of ["verdicts", "full-substitute-pairs", "failures", "report-path", "test-matrix"]) {
    if (!outputs.includes(`${name}<<`)) problems.push(`output ${name} missing`);
  }
  if (!summary.includes("standin")) problems.push("job summary missing");
  if (problems.length) {
    failed = true;
    console.error(`smoke run of dist/index.js FAILED:\n- ${problems.join("\n- ")}`);
  } else {
    console.log(`smoke run of dist/index.js passed in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${summary.length} chars of summary, outputs ok`);
  }
} finally {
  await hub.close();
  rmSync(tmp, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
