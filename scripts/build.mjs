// Builds the committed bundles with ncc: dist/index.js (the action) and dist/cli/index.js (the CLI).
// Deterministic output: CI rebuilds and fails when dist/ differs from what is committed.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
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
// The build id (src/util/code-id.ts): the sha-256 of the bundle as ncc wrote it, in place of the
// placeholder. Caches of derived data (fingerprints) are keyed by it, so other code never reuses them.
for (const f of ["dist/index.js", "dist/cli/index.js"]) {
  const text = readFileSync(f, "utf8");
  const hits = text.split("__STANDIN_BUILD_ID_PLACEHOLDER__").length - 1;
  if (hits !== 1) throw new Error(`${f}: expected the build-id placeholder once, found it ${hits} time(s)`);
  const id = createHash("sha256").update(text).digest("hex").slice(0, 16);
  writeFileSync(f, text.replace("__STANDIN_BUILD_ID_PLACEHOLDER__", id));
}
for (const f of ["dist/package.json", "dist/cli/package.json"]) {
  if (!existsSync(f)) writeFileSync(f, JSON.stringify({ type: "module" }) + "\n");
}
console.log("built dist/index.js and dist/cli/index.js");
