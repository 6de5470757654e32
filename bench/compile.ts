/**
 * The bench measures the code users run: plain JavaScript, as in the ncc bundle of dist/, not the
 * sources through the tsx loader (whose on-the-fly transform, keep-names wrappers and loader thread
 * cost 30-60% more CPU on this workload; `npm run bench -- --from-sources` measures that way).
 *
 * Transpiles every .ts file the phase and Hub processes import (src/, bench/, test/hub/,
 * test/support/) one by one with the TypeScript compiler's transpileModule (the project's compiler
 * options; isolatedModules makes that exact) into `<out>/`, keeping the folder layout, so the
 * relative imports resolve as they do in the sources.
 */
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

const FOLDERS = ["src", "bench", "test/hub", "test/support"];

/** Transpile into `out` (created); returns the number of files written. */
export function compileForBench(repoRoot: string, out: string): number {
  const cfg = ts.readConfigFile(path.join(repoRoot, "tsconfig.json"), (f) => ts.sys.readFile(f));
  if (cfg.error) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(cfg.error.messageText, "\n")}`);
  const { options } = ts.convertCompilerOptionsFromJson(cfg.config.compilerOptions, repoRoot);
  // ES modules whatever the file name (NodeNext would pick CommonJS for a lone file).
  const compilerOptions: ts.CompilerOptions = { ...options, module: ts.ModuleKind.ES2022, moduleResolution: ts.ModuleResolutionKind.Bundler, noEmit: false, sourceMap: false, declaration: false };
  let n = 0;
  const walk = (rel: string): void => {
    for (const e of readdirSync(path.join(repoRoot, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") && !e.name.endsWith(".test.ts")) {
        const src = readFileSync(path.join(repoRoot, r), "utf8");
        const js = ts.transpileModule(src, { compilerOptions, fileName: r }).outputText;
        mkdirSync(path.join(out, path.dirname(r)), { recursive: true });
        writeFileSync(path.join(out, r.replace(/\.ts$/, ".js")), js);
        n++;
      }
    }
  };
  for (const f of FOLDERS) walk(f);
  writeFileSync(path.join(out, "package.json"), `${JSON.stringify({ type: "module", private: true })}\n`);
  symlinkSync(path.join(repoRoot, "node_modules"), path.join(out, "node_modules"), "dir");
  return n;
}
