/**
 * The standin CLI. Exit codes: 0 ok, 1 a gate failed (or a model could not be fingerprinted),
 * 2 usage or input error (bad flags, bad manifest). See README "Exit codes".
 */
import { StandinError } from "../util/errors.js";
import { defaultIo, err, type Io } from "./common.js";
import { checkCommand, CHECK_USAGE, compareCommand, COMPARE_USAGE, planCommand, PLAN_USAGE } from "./check.js";
import { fingerprintCommand, FINGERPRINT_USAGE } from "./fingerprint.js";
import { inspectCommand, INSPECT_USAGE } from "./inspect.js";
import { reportCommand, REPORT_USAGE } from "./report.js";

export const EXIT_OK = 0;
export const EXIT_GATE = 1;
export const EXIT_USAGE = 2;
/** Error codes that mean the input (flags, manifest, units, results file) is wrong: exit 2. */
const INPUT_ERROR_CODES = new Set(["usage", "manifest", "unit", "results_invalid", "results_unreadable"]);

type Command = (argv: string[], io: Io) => Promise<number>;

const COMMANDS: Record<string, { run: Command; usage: string; summary: string }> = {
  check: { run: checkCommand, usage: CHECK_USAGE, summary: "everything the manifest asks: fingerprints, integrity, pairs, plans, gate" },
  fingerprint: { run: fingerprintCommand, usage: FINGERPRINT_USAGE, summary: "fingerprint models (no weights downloaded)" },
  compare: { run: compareCommand, usage: COMPARE_USAGE, summary: "can one model stand in for another? verdicts with reasons" },
  plan: { run: planCommand, usage: PLAN_USAGE, summary: "multi-fidelity test plan (L1-L4) per target with GPU fit" },
  inspect: { run: inspectCommand, usage: INSPECT_USAGE, summary: "module atlas, cost model and integrity of one model (or a served endpoint)" },
  report: { run: reportCommand, usage: REPORT_USAGE, summary: "render a results file (markdown, CSV, HTML)" },
};

export function usage(): string {
  const lines = ["usage: standin <command> [options]", "", "commands:"];
  for (const [name, c] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(12)} ${c.summary}`);
  lines.push("", "Run `standin <command> --help` for the options of a command.");
  lines.push("Environment: HF_TOKEN (Hub token), HF_ENDPOINT (Hub URL), STANDIN_CACHE_DIR (header cache).");
  return lines.join("\n");
}

export async function main(argv: string[], io: Io = defaultIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === "--help" || name === "-h" || name === "help") {
    (name ? io.stdout : io.stderr).write(usage() + "\n");
    return name ? EXIT_OK : EXIT_USAGE;
  }
  if (name === "--version" || name === "-v") {
    io.stdout.write(`standin ${VERSION}\n`);
    return EXIT_OK;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    err(io, `standin: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof StandinError) {
      err(io, `standin ${name}: ${e.describe()}`);
      return INPUT_ERROR_CODES.has(e.code) ? EXIT_USAGE : EXIT_GATE;
    }
    err(io, `standin ${name}: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    return EXIT_GATE;
  }
}

export const VERSION = "0.1.0";

