/**
 * Screenshots of the zoo dashboard for the README: docs/examples/dashboard-12.png (the realistic
 * zoo without Mixtral, 12 models, with a weekly history; the reasons of a FULL pair shown on keyboard
 * focus) and docs/examples/dashboard-200.png (a synthetic 200-model zoo: family blocks, one family
 * expanded, a pair's reasons). Rendered by src/report/html.ts and photographed in headless Chromium
 * (Debian's /usr/bin/chromium via playwright-core; no `playwright install`).
 *
 *   npx tsx scripts/render-dashboard-examples.ts [--html]      # --html also writes docs/examples/dashboard-12.html
 *   STANDIN_CHROMIUM=/path/to/chromium npx tsx scripts/render-dashboard-examples.ts
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { renderHtml } from "../src/report/html.js";
import type { Results } from "../src/report/types.js";
import { bigZoo, LLAMA_70B, LLAMA_8B, syntheticHistory, zoo12 } from "../test/dashboard-fixture.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outDir = path.join(root, "docs", "examples");
const executablePath = process.env.STANDIN_CHROMIUM ?? "/usr/bin/chromium";
const args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--font-render-hinting=none"];

/** Re-place the tooltip of the focused cell after scrolling (page-side expression: the tsconfig has no DOM lib). */
const REFRESH_TIP = `document.querySelector('#hm [tabindex="0"]').dispatchEvent(new FocusEvent("focusin", { bubbles: true }))`;

const tmp = mkdtempSync(path.join(os.tmpdir(), "standin-dashboard-shots-"));
const browser = await chromium.launch({ executablePath, args });

async function openPage(name: string, results: Results, height: number): Promise<{ page: Page; html: string }> {
  const html = renderHtml(results, { history: syntheticHistory(results) });
  const file = path.join(tmp, `${name}.html`);
  writeFileSync(file, html);
  const page = await browser.newPage({ viewport: { width: 1400, height }, deviceScaleFactor: 1 });
  await page.route("**/*", (r) => (r.request().url().startsWith("file:") ? r.continue() : r.abort()));
  await page.goto(pathToFileURL(file).href);
  await page.waitForSelector("html[data-ready]");
  return { page, html };
}

/** Focus the heatmap cell (target row, proxy column) with the keyboard: Control+Home, then arrows. */
async function focusCell(page: Page, target: string, proxy: string): Promise<void> {
  const r = Number(await page.locator(`#hm tbody th.rh a[title="${target}"]`).evaluate((a) => a.closest("th")!.getAttribute("data-r")));
  const c = Number(await page.locator(`#hm thead th.ch a[title="${proxy}"]`).evaluate((a) => a.closest("th")!.getAttribute("data-c")));
  await page.focus('#hm [tabindex="0"]');
  await page.keyboard.press("Control+Home");
  for (let i = 0; i < r; i++) await page.keyboard.press("ArrowDown");
  for (let i = 0; i < c; i++) await page.keyboard.press("ArrowRight");
}

try {
  // 12 models: summary, heatmap with the reasons of the FULL pair Llama 70B <- 8B.
  {
    const { page, html } = await openPage("dashboard-12", zoo12(), 1120);
    if (process.argv.includes("--html")) writeFileSync(path.join(outDir, "dashboard-12.html"), html);
    await focusCell(page, LLAMA_70B, LLAMA_8B);
    await page.evaluate("window.scrollTo(0, 0)");
    await page.evaluate(REFRESH_TIP);
    const out = path.join(outDir, "dashboard-12.png");
    await page.screenshot({ path: out });
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
    await page.close();
  }
  // 200 models: family blocks, one family expanded, a FULL pair's reasons.
  {
    const { page } = await openPage("dashboard-200", bigZoo(200), 1000);
    await page.click('#hm tbody th.rband button:text("llama-g0")');
    await focusCell(page, "org-0/llama-g0-3B", "org-0/llama-g0-1B");
    await page.evaluate('document.getElementById("heatmap").scrollIntoView()');
    await page.mouse.move(1, 1);
    await page.evaluate(REFRESH_TIP);
    const out = path.join(outDir, "dashboard-200.png");
    await page.screenshot({ path: out });
    console.log(`wrote ${path.relative(process.cwd(), out)}`);
    await page.close();
  }
} finally {
  await browser.close();
  rmSync(tmp, { recursive: true, force: true });
}
