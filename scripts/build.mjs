// Builds the committed bundles with ncc: dist/index.js (the action) and dist/cli/index.js (the CLI).
// Deterministic output: CI rebuilds and fails when dist/ differs from what is committed.
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";

const ncc = "node_modules/.bin/ncc";
rmSync("dist", { recursive: true, force: true });
const run = (entry, out) =>
  execFileSync(ncc, ["build", entry, "-o", out, "--license", "licenses.txt", "--quiet", "--target", "es2022", "--transpile-only"], { stdio: "inherit" });

run("src/action/index.ts", "dist");
run("src/cli/index.ts", "dist/cli");

// The CLI bundle is an executable with a shebang.
const cli = "dist/cli/index.js";
let src = readFileSync(cli, "utf8");
if (!src.startsWith("#!")) src = "#!/usr/bin/env node\n" + src;
writeFileSync(cli, src);
chmodSync(cli, 0o755);
for (const f of ["dist/package.json", "dist/cli/package.json"]) {
  if (!existsSync(f)) writeFileSync(f, JSON.stringify({ type: "module" }) + "\n");
}
console.log("built dist/index.js and dist/cli/index.js");
