/**
 * `standin report RESULTS.json [--markdown OUT] [--csv OUT] [--matrix-csv OUT] [--models-csv OUT]`:
 * render a results file written by `check --json` (or the action's report-path).
 */
import { readFile, writeFile, mkdir } from "node:fs/promises";
import path from "node:path";
import { matrixCsv, modelsCsv, pairsCsv } from "../report/csv.js";
import { parseResults } from "../report/json.js";
import { renderReport } from "../report/markdown.js";
import { renderCheckTerminal } from "../report/terminal.js";
import { StandinError, UsageError } from "../util/errors.js";
import { err, out, parse, style, type Io } from "./common.js";
import { renderHtmlOption } from "../report/html-file.js";

export const REPORT_USAGE = "standin report RESULTS.json [--markdown OUT] [--csv OUT] [--matrix-csv OUT] [--models-csv OUT] [--html OUT [--history DIR_OR_FILE]]";

export async function reportCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      markdown: { type: "string" },
      csv: { type: "string" },
      "matrix-csv": { type: "string" },
      "models-csv": { type: "string" },
      html: { type: "string" },
      history: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    REPORT_USAGE,
  );
  if (values.help) {
    out(io, `usage: ${REPORT_USAGE}\n\nWithout output flags, prints the report as a table.`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError("report takes one results file", `usage: ${REPORT_USAGE}`);
  const file = path.resolve(io.cwd, positionals[0] as string);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    throw new StandinError("results_unreadable", `cannot read ${positionals[0]}`, { file: positionals[0], hint: "write one with `standin check --json FILE`" });
  }
  const results = parseResults(text, positionals[0] as string);
  const write = async (f: string, content: string): Promise<void> => {
    const p = path.resolve(io.cwd, f);
    await mkdir(path.dirname(p), { recursive: true });
    await writeFile(p, content);
  };
  let wrote = false;
  if (values.markdown) {
    await write(values.markdown, renderReport(results));
    wrote = true;
  }
  if (values.csv) {
    await write(values.csv, pairsCsv(results));
    wrote = true;
  }
  if (values["matrix-csv"]) {
    await write(values["matrix-csv"], matrixCsv(results));
    wrote = true;
  }
  if (values["models-csv"]) {
    await write(values["models-csv"], modelsCsv(results));
    wrote = true;
  }
  if (values.history && !values.html) throw new UsageError("--history needs --html", `usage: ${REPORT_USAGE}`);
  if (values.html) {
    const r = await renderHtmlOption(results, path.resolve(io.cwd, values.html), values.history ? path.resolve(io.cwd, values.history) : undefined);
    for (const w of r.warnings) err(io, `standin report: ${w}`);
    wrote = true;
  }
  if (!wrote) out(io, renderCheckTerminal(results, style(io)));
  return 0;
}
