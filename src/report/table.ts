/**
 * Terminal tables for people. Colour only when writing to a TTY (and NO_COLOR is not set).
 */

export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  red(s: string): string;
  cyan(s: string): string;
}

const id = (s: string): string => s;
export const plainStyle: Style = { bold: id, dim: id, green: id, yellow: id, red: id, cyan: id };

const wrap =
  (open: number, close: number) =>
  (s: string): string =>
    `\u001b[${open}m${s}\u001b[${close}m`;
export const ansiStyle: Style = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  green: wrap(32, 39),
  yellow: wrap(33, 39),
  red: wrap(31, 39),
  cyan: wrap(36, 39),
};

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Style {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return plainStyle;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== "0") return ansiStyle;
  return stream.isTTY ? ansiStyle : plainStyle;
}

// eslint-disable-next-line no-control-regex
const ANSI_RE = /\u001b\[[0-9;]*m/g;
export function visibleLength(s: string): number {
  return [...s.replace(ANSI_RE, "")].length;
}

export interface Column {
  header: string;
  align?: "left" | "right";
}

/** Render rows as an aligned text table. Cells may contain ANSI colour codes. */
export function renderTable(columns: Column[], rows: string[][], style: Style = plainStyle): string {
  const widths = columns.map((c, i) => Math.max(visibleLength(c.header), ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const pad = (s: string, i: number): string => {
    const w = widths[i] ?? 0;
    const fill = " ".repeat(Math.max(0, w - visibleLength(s)));
    return columns[i]?.align === "right" ? fill + s : s + fill;
  };
  const line = (cells: string[]): string => cells.map((c, i) => pad(c, i)).join("  ").trimEnd();
  const out = [style.bold(line(columns.map((c) => c.header))), style.dim(widths.map((w) => "─".repeat(w)).join("  "))];
  for (const r of rows) out.push(line(r));
  return out.join("\n");
}
