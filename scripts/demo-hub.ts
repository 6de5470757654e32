/**
 * Serve the built-in demo Hub until killed: `npx tsx scripts/demo-hub.ts [--port 7861]`.
 * (CI's `uses: ./` smoke job points the action at it.)
 */
import { mkdtempSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { startDemoHub } from "../demo/build.js";

const i = process.argv.indexOf("--port");
const port = i > 0 ? Number(process.argv[i + 1]) : 0;
const hub = await startDemoHub(mkdtempSync(path.join(os.tmpdir(), "standin-demo-hub-")), { port });
console.log(`demo Hub on ${hub.url} (CDN ${hub.cdnUrl})`);
const stop = (): void => {
  void hub.close().then(() => process.exit(0));
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
