/**
 * Run the built action bundle (dist/index.js) as a runner would: a subprocess with INPUT_*
 * variables, GITHUB_EVENT_PATH, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files, GITHUB_API_URL at the
 * local GitHub API server and the Hub at the local Hub. Async spawn: the servers live in the test
 * process and must keep serving while the action runs.
 */
import { spawn } from "node:child_process";
import { afterAll } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { REPO_ROOT } from "./corpus-files.js";

export const DIST = path.join(REPO_ROOT, "dist", "index.js");

export interface ActionRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  dir: string;
}

/** Parse the GITHUB_OUTPUT file (`name<<delimiter` ... `delimiter`, or `name=value`). */
export function parseOutputs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line);
    if (heredoc) {
      const [, name, delim] = heredoc as unknown as [string, string, string];
      const body: string[] = [];
      for (i++; i < lines.length && lines[i] !== delim; i++) body.push(lines[i] as string);
      out[name] = body.join("\n");
    } else if (line.includes("=")) {
      const k = line.slice(0, line.indexOf("="));
      out[k] = line.slice(line.indexOf("=") + 1);
    }
  }
  return out;
}

/** Runner folders (GITHUB_OUTPUT, step summary) of the importing test file, removed after it. */
const runnerDirs: string[] = [];
afterAll(() => {
  for (const d of runnerDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

export async function runAction(inputs: Record<string, string>, env: Record<string, string> = {}, opts: { timeoutMs?: number; cwd?: string } = {}): Promise<ActionRun> {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: run npm run build`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "standin-action-"));
  runnerDirs.push(dir);
  const outputFile = path.join(dir, "github_output");
  const summaryFile = path.join(dir, "step_summary.md");
  writeFileSync(outputFile, "");
  writeFileSync(summaryFile, "");
  const full: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_WORKSPACE: opts.cwd ?? REPO_ROOT,
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    STANDIN_GITHUB_FAST_WRITES: "1",
    ...env,
  };
  for (const [k, v] of Object.entries(inputs)) full[`INPUT_${k.toUpperCase()}`] = v;
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [DIST], { env: full, cwd: opts.cwd ?? REPO_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (d: Buffer) => chunks.out.push(d));
    child.stderr.on("data", (d: Buffer) => chunks.err.push(d));
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("exit", (c) => {
      clearTimeout(timer);
      resolve(c);
    });
  });
  return {
    code,
    stdout: Buffer.concat(chunks.out).toString("utf8"),
    stderr: Buffer.concat(chunks.err).toString("utf8"),
    outputs: parseOutputs(readFileSync(outputFile, "utf8")),
    summary: readFileSync(summaryFile, "utf8"),
    dir,
  };
}
