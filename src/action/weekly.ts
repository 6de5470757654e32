/**
 * mode: weekly — compare with the stored baseline, keep one rolling regression issue, store the
 * new baseline. (Wired to src/github/{regressions,baseline,weekly-issue}.ts.)
 */
import type { GitHubClient } from "../github/client.js";
import type { RepoRef } from "../github/comment.js";
import type { Results } from "../report/types.js";
import type { Inputs } from "./inputs.js";

export interface WeeklyArgs {
  client: GitHubClient | null;
  repo: RepoRef | null;
  inputs: Inputs;
  results: Results;
  runUrl: string | null;
  workspace: string;
  outDir: string;
}

export async function runWeekly(_args: WeeklyArgs): Promise<void> {
  throw new Error("weekly mode is being wired (src/github/weekly-issue.ts)");
}
