/**
 * Write the zoo dashboard to a file (`standin report --html OUT [--history DIR_OR_FILE]` and the action)
 * (src/report/html.ts). The history is a JSON array of entries (docs/dashboard.md), a single entry,
 * or a directory of such files (every `*.json`, merged; one entry per date, later files win).
 */
import { mkdir, readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { historyEntryProblem, normalizeHistory, renderHtml, type HistoryEntry } from "./html.js";
import type { Results } from "./types.js";
import { UsageError } from "../util/errors.js";

const FORMAT_HINT = 'history is a JSON array of {"date":"YYYY-MM-DD","verdicts":{"FULL_SUBSTITUTE":n,...},"integrityFailures":n,"drifted":["model id",...]} (docs/dashboard.md)';

/** Entries of one history file's text; throws a UsageError naming the file and the first problem. */
export function parseHistory(text: string, file: string): HistoryEntry[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: not JSON (${(e as Error).message})`, FORMAT_HINT);
  }
  const list = Array.isArray(value) ? value : [value];
  list.forEach((x, i) => {
    const problem = historyEntryProblem(x);
    if (problem) throw new UsageError(`${file}: entry ${i + 1}: ${problem}`, FORMAT_HINT);
  });
  return list as HistoryEntry[];
}

/**
 * Read a history file, or every `*.json` file of a directory (sorted by name). In a directory,
 * files that are not history (e.g. a baseline results.json) are skipped with a warning; a single
 * file must be valid.
 */
export async function readHistory(p: string): Promise<{ entries: HistoryEntry[]; warnings: string[] }> {
  let st;
  try {
    st = await stat(p);
  } catch {
    throw new UsageError(`cannot read history ${p}`, FORMAT_HINT);
  }
  if (!st.isDirectory()) return { entries: normalizeHistory(parseHistory(await readFile(p, "utf8"), p)), warnings: [] };
  const names = (await readdir(p)).filter((n) => n.endsWith(".json")).sort();
  const entries: HistoryEntry[] = [];
  const warnings: string[] = [];
  for (const name of names) {
    const file = path.join(p, name);
    try {
      entries.push(...parseHistory(await readFile(file, "utf8"), file));
    } catch (e) {
      warnings.push(`skipped ${file}: ${(e as Error).message}`);
    }
  }
  if (names.length > 0 && entries.length === 0) warnings.push(`no history entries in ${p}`);
  return { entries: normalizeHistory(entries), warnings };
}

export interface HtmlOptionResult {
  file: string;
  bytes: number;
  /** History entries shown. */
  history: number;
  warnings: string[];
}

/**
 * Render the dashboard of `results` to `file` (directories created), with the history at
 * `historyPath` when given. Relative paths resolve against the process working directory.
 */
export async function renderHtmlOption(results: Results, file: string, historyPath?: string): Promise<HtmlOptionResult> {
  const { entries, warnings } = historyPath ? await readHistory(path.resolve(historyPath)) : { entries: [], warnings: [] };
  const html = renderHtml(results, { history: entries });
  const out = path.resolve(file);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, html);
  return { file: out, bytes: Buffer.byteLength(html, "utf8"), history: entries.length, warnings };
}
