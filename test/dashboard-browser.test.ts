/**
 * The dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core,
 * never `playwright install`). Pages are written by the CLI path (results JSON -> parseResults ->
 * renderHtmlOption) and opened from file:// URLs. Checks: the cell of a known FULL pair says FULL and
 * its reasons appear on keyboard focus (and on hover), filters hide a family / tag / verdict, the
 * page makes no network request (and the request recorder does catch one when a page tries), hostile
 * ids stay text, the page reads without JavaScript, family blocks expand for 200 and 500 models, and
 * time-to-interactive / interaction times (printed).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderHtmlOption } from "../src/report/html-file.js";
import { parseResults, toJson } from "../src/report/json.js";
import type { Results } from "../src/report/types.js";
import { bigZoo, GATED, GPT_OSS_120B, GPT_OSS_20B, HOSTILE_ID, hostileZoo, LLAMA_70B, LLAMA_8B, LLAMA_FP8, realisticZoo, syntheticHistory } from "./dashboard-fixture.js";
import { buildResults, QWEN_8B, QWEN_MOE, ZOO_SPECS } from "./support/results-fixture.js";

const CHROMIUM = process.env.STANDIN_CHROMIUM ?? "/usr/bin/chromium";
const HAS_CHROMIUM = existsSync(CHROMIUM);
/** Headless, offline, as root; playwright gives every launch a new empty --user-data-dir itself. */
const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

if (!HAS_CHROMIUM) console.warn(`[standin tests] ${CHROMIUM} not found: the dashboard browser suite is SKIPPED`);
const describeBrowser = HAS_CHROMIUM ? describe : describe.skip;

let browser: Browser;
const tmp = mkdtempSync(path.join(os.tmpdir(), "standin-dashboard-browser-"));
const timings: string[] = [];

beforeAll(async () => {
  if (HAS_CHROMIUM) browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
  if (timings.length > 0) console.log(`[dashboard timings in Chromium]\n  ${timings.join("\n  ")}`);
});

interface Opened {
  page: Page;
  context: BrowserContext;
  url: string;
  /** Every request the page made (route + request event), the document itself included. */
  requests: string[];
  errors: string[];
  dialogs: string[];
  /** Requests that failed (blocked by the CSP, aborted by the route). */
  failed: string[];
  /** Navigation start to the end of the script (ms), null without JavaScript. */
  readyMs: number | null;
}

/** Write results the way the CLI does (JSON file, parsed back, rendered by renderHtmlOption). */
async function writePage(name: string, results: Results, history = true): Promise<string> {
  const json = path.join(tmp, `${name}.json`);
  writeFileSync(json, toJson(results));
  const parsed = parseResults(readFileSync(json, "utf8"), json);
  let historyFile: string | undefined;
  if (history) {
    historyFile = path.join(tmp, `${name}-history.json`);
    writeFileSync(historyFile, JSON.stringify(syntheticHistory(parsed)));
  }
  const out = path.join(tmp, `${name}.html`);
  await renderHtmlOption(parsed, out, historyFile);
  return out;
}

async function open(file: string, opts: { js?: boolean } = {}): Promise<Opened> {
  const scripting = opts.js ?? true;
  const context = await browser.newContext({ javaScriptEnabled: scripting, viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  const dialogs: string[] = [];
  const failed: string[] = [];
  page.on("requestfailed", (r) => failed.push(`${r.url()} ${r.failure()?.errorText ?? ""}`));
  await context.route("**/*", async (route) => {
    const u = route.request().url();
    requests.push(`route ${u}`);
    if (u === url) await route.continue();
    else await route.abort();
  });
  page.on("request", (r) => requests.push(`request ${r.url()}`));
  page.on("pageerror", (e) => errors.push(`pageerror ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(`console ${m.type()} ${m.text()}`);
  });
  page.on("dialog", (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await page.addInitScript({ content: 'document.addEventListener("securitypolicyviolation", (e) => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));' });
  await page.goto(url);
  let readyMs: number | null = null;
  if (scripting) {
    await page.waitForSelector("html[data-ready]", { timeout: 60_000 });
    readyMs = await js<number>(page, "window.__standin.readyMs");
  }
  return { page, context, url, requests, errors, dialogs, failed, readyMs };
}

/** Requests other than the document itself (data: URLs are not network). */
function foreign(o: Opened): string[] {
  return o.requests.filter((r) => !r.endsWith(` ${o.url}`) && !/ data:/.test(r));
}

/** Evaluate a JavaScript expression in the page (a string: the tsconfig has no DOM lib). */
function js<T>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}

async function rowOf(page: Page, id: string): Promise<number> {
  return Number(await page.locator(`#hm tbody th.rh a[title="${id}"]`).evaluate((a) => a.closest("th")!.getAttribute("data-r")));
}
async function colOf(page: Page, id: string): Promise<number> {
  return Number(await page.locator(`#hm thead th.ch a[title="${id}"]`).evaluate((a) => a.closest("th")!.getAttribute("data-c")));
}
/** The heatmap cell at row r, column c (cells carry no coordinates: the r-th body row, its c-th td). */
function cellAt(r: number, c: number): string {
  return `#hm tbody tr:nth-child(${r + 1}) > td:nth-of-type(${c + 1})`;
}
/** Position of the focused grid cell (-9 when the focus is not on a cell). */
async function focused(page: Page): Promise<{ r: number; c: number; tag: string; text: string }> {
  return js(
    page,
    `(() => {
      const e = document.activeElement;
      if (e.tagName !== "TD") return { r: -9, c: -9, tag: e.tagName, text: e.textContent };
      const tr = e.parentElement;
      return { r: tr.sectionRowIndex, c: e.cellIndex - (tr.cells.length - tr.querySelectorAll("td").length), tag: e.tagName, text: e.textContent };
    })()`,
  );
}
/** Move the grid focus to cell (r, c) with keys only: Control+Home (first cell), then arrows. */
async function arrowTo(page: Page, r: number, c: number): Promise<void> {
  await page.keyboard.press("Control+Home");
  const f = await focused(page);
  for (let i = f.r; i < r; i++) await page.keyboard.press("ArrowDown");
  for (let i = f.r; i > r; i--) await page.keyboard.press("ArrowUp");
  for (let i = f.c; i < c; i++) await page.keyboard.press("ArrowRight");
  for (let i = f.c; i > c; i--) await page.keyboard.press("ArrowLeft");
}
async function tipText(page: Page): Promise<string | null> {
  return js(page, '(() => { const t = document.getElementById("tip"); return t.hidden ? null : t.innerText; })()');
}
async function visibleRows(page: Page): Promise<string[]> {
  return page.$$eval("#hm tbody th.rh a, #hm tbody th.rband button", (xs) => xs.map((x) => (x.tagName === "A" ? x.getAttribute("title")! : x.textContent!)));
}
async function timed<T>(what: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  const out = await f();
  timings.push(`${what}: ${(performance.now() - t0).toFixed(0)} ms`);
  return out;
}

describeBrowser("dashboard in Chromium: the realistic zoo", { timeout: 90_000 }, () => {
  let o: Opened;
  beforeAll(async () => {
    o = await open(await writePage("zoo", realisticZoo()));
    timings.push(`13 models: script done ${o.readyMs?.toFixed(0)} ms after navigation start`);
  }, 60_000);
  afterAll(async () => o?.context.close());

  it("the cell of a known FULL pair says FULL, and its reasons appear on keyboard focus", async () => {
    const { page } = o;
    const r = await rowOf(page, LLAMA_70B);
    const c = await colOf(page, LLAMA_8B);
    const cell = page.locator(cellAt(r, c));
    expect(await cell.textContent()).toBe("F");
    expect(await cell.getAttribute("class")).toMatch(/\bvF\b/);
    // keyboard only: focus the grid's roving cell, then arrows
    await page.focus('#hm [tabindex="0"]');
    await arrowTo(page, r, c);
    expect(await focused(page)).toMatchObject({ r, c, tag: "TD", text: "F" });
    const tip = await tipText(page);
    expect(tip).toContain(`${LLAMA_8B} → ${LLAMA_70B}`);
    expect(tip).toContain("F FULL");
    expect(tip).toContain("Covers every feature of the target: only scale differs.");
    expect(tip).toContain("requires FULL: ✓ meets it");
    expect(tip).toContain("Cheapest covering proxy of this target");
    expect(await cell.getAttribute("aria-describedby")).toBe("tip");
    expect(await cell.getAttribute("aria-label")).toBe("FULL");
    await page.keyboard.press("Escape");
    expect(await tipText(page)).toBeNull();
  });

  it("shows the uncovered features of a PARTIAL pair on focus and a NO pair's block-graph reason on hover", async () => {
    const { page } = o;
    const r = await rowOf(page, LLAMA_FP8);
    const c = await colOf(page, LLAMA_8B);
    await page.focus('#hm [tabindex="0"]');
    await arrowTo(page, r, c);
    expect((await focused(page)).text).toBe("P");
    expect(await tipText(page)).toContain("Weight format: bf16 → fp8-e4m3");
    const nr = await rowOf(page, QWEN_MOE);
    const nc = await colOf(page, QWEN_8B);
    await page.hover(cellAt(nr, nc));
    const tip = await tipText(page);
    expect(tip).toContain("N NO");
    expect(tip).toMatch(/MoE: dense → MoE \(block graph\)/);
    expect(tip).toContain("requires PARTIAL: ✗ below it");
    // the unknown (gated) model explains itself
    const ur = await rowOf(page, GATED);
    await page.hover(cellAt(ur, c));
    expect(await tipText(page)).toContain("is gated");
  });

  it("moves with Home / End and folds and expands a family from its band with Enter", async () => {
    const { page } = o;
    const r = await rowOf(page, GPT_OSS_120B);
    await page.focus('#hm [tabindex="0"]');
    await arrowTo(page, r, 0);
    await page.keyboard.press("End");
    expect(await focused(page)).toMatchObject({ r, c: 12 });
    await page.keyboard.press("Home"); // the family band of the row
    const band = await js<string>(page, "document.activeElement.textContent");
    expect(band).toBe("▾ gpt-oss");
    const before = (await visibleRows(page)).length;
    await page.keyboard.press("Enter");
    const rows = await visibleRows(page);
    expect(rows).toHaveLength(before - 1);
    expect(rows).toContain("▸ gpt-oss (2)");
    expect(rows).not.toContain(GPT_OSS_20B);
    expect(await js(page, 'document.activeElement.getAttribute("aria-expanded")')).toBe("false");
    await page.keyboard.press("Enter");
    expect(await visibleRows(page)).toHaveLength(before);
  });

  it("Enter on a model header opens its card (features, integrity, module tree)", async () => {
    const { page } = o;
    await page.focus('#hm [tabindex="0"]');
    const r = await rowOf(page, LLAMA_FP8);
    await arrowTo(page, r, 0);
    await page.keyboard.press("Home");
    await page.keyboard.press("ArrowRight"); // band -> row header
    expect(await js(page, 'document.activeElement.getAttribute("title")')).toBe(LLAMA_FP8);
    await page.keyboard.press("Enter");
    const card = page.locator(`details.card:has(> summary .sum-id:text-is("${LLAMA_FP8}"))`);
    await expect.poll(() => card.evaluate((d) => d.hasAttribute("open"))).toBe(true);
    const text = await card.innerText();
    expect(text).toContain("✗ FAIL");
    expect(text).toContain("ST_OFFSET_GAP");
    expect(text).toContain("Params by dtype");
    expect(text).toContain("KV cache / token");
    expect(text).toMatch(/Module tree: 19 normalized keys/);
    await card.locator("details.mt > summary").click();
    expect(await card.locator("ul.tree").innerText()).toContain("layers.{L}");
  });

  it("the family filter hides a family everywhere; tag, verdict and search filters too", async () => {
    const { page } = o;
    const all = await visibleRows(page);
    expect(all).toHaveLength(13);
    await page.click("#fam-sum");
    await page.getByLabel("qwen3").uncheck();
    const rows = await visibleRows(page);
    expect(rows).toHaveLength(9);
    expect(rows.some((x) => x.startsWith("Qwen/"))).toBe(false);
    expect(await page.$$eval("#hm thead th.ch a", (as) => as.filter((a) => a.getAttribute("title")!.startsWith("Qwen/")).length)).toBe(0);
    expect(await page.locator("#card-list > li:visible .sum-id").allTextContents()).not.toContain(QWEN_8B);
    expect(await page.locator("#plan-list > li:visible .sum-id").allTextContents()).not.toContain(QWEN_8B);
    expect(await page.textContent("#count")).toBe("9 of 13 models shown");
    expect(await page.textContent("#fam-sum")).toBe("Families (6 of 7)");
    await page.getByLabel("qwen3").check();
    expect(await visibleRows(page)).toHaveLength(13);
    await page.click("#fam-sum");

    await page.selectOption("#tag", { label: "moe" });
    expect((await visibleRows(page)).sort()).toEqual(["deepseek-ai/DeepSeek-V3", GPT_OSS_120B, GPT_OSS_20B, "mistralai/Mixtral-8x7B-Instruct-v0.1", QWEN_MOE].sort());
    await page.selectOption("#tag", { label: "any tag" });

    await page.fill("#q", "gpt-oss");
    await expect.poll(() => visibleRows(page)).toEqual([GPT_OSS_20B, GPT_OSS_120B]);
    await page.fill("#q", "");
    await expect.poll(async () => (await visibleRows(page)).length).toBe(13);

    await page.locator('#verdicts input[value="N"]').uncheck();
    const faded = await page.$$eval("#hm td.c.vN", (tds) => tds.map((t) => t.classList.contains("x")));
    expect(faded.length).toBeGreaterThan(0);
    expect(faded.every(Boolean)).toBe(true);
    expect(await page.$$eval("#hm td.c.vF.x", (x) => x.length)).toBe(0);
    expect(await page.locator('#plan-list > li[data-v="N"]:visible').count()).toBe(0);
    await page.locator('#verdicts input[value="N"]').check();
    expect(await page.$$eval("#hm td.c.x", (x) => x.length)).toBe(0);
  });

  it("makes no network request, has no errors, CSP violations or dialogs", async () => {
    expect(foreign(o)).toEqual([]);
    expect(o.errors).toEqual([]);
    expect(o.dialogs).toEqual([]);
  });
});

describeBrowser("dashboard in Chromium: safety and degradation", { timeout: 90_000 }, () => {
  it("the request recorder catches a request when a page makes one (and the CSP blocks it in the real page)", async () => {
    const file = await writePage("probe", realisticZoo(), false);
    const html = readFileSync(file, "utf8");
    // Same page without its CSP, plus an image from the network: the recorder must see it.
    const leaky = path.join(tmp, "leaky.html");
    writeFileSync(leaky, html.replace(/<meta http-equiv="Content-Security-Policy"[^>]*>/, "").replace("</main>", '<img src="http://example.invalid/probe.png" alt=""></main>'));
    const a = await open(leaky);
    expect(foreign(a).some((r) => r.includes("example.invalid/probe.png"))).toBe(true);
    await a.context.close();
    // With the CSP, the same image is refused inside the browser: it never reaches the network (the route sees nothing).
    const guarded = path.join(tmp, "guarded.html");
    writeFileSync(guarded, html.replace("</main>", '<img src="http://example.invalid/probe.png" alt=""></main>'));
    const b = await open(guarded);
    expect(b.requests.filter((r) => r.startsWith("route ") && !r.endsWith(b.url))).toEqual([]);
    expect(b.failed.some((f) => f.includes("example.invalid/probe.png") && /BLOCKED_BY_CSP|csp/i.test(f))).toBe(true);
    expect(b.errors.some((e) => e.includes("CSP violation: img-src http://example.invalid/probe.png"))).toBe(true);
    await b.context.close();
  });

  it("a hostile model id, tag, error and finding render as text: no element, no handler, no dialog", async () => {
    const o = await open(await writePage("hostile", hostileZoo()));
    const { page } = o;
    expect(await page.$$eval("img, iframe, object, embed", (x) => x.length)).toBe(0);
    expect(await page.$$eval("svg", (x) => x.map((s) => s.getAttribute("role")))).toEqual(["img", "img"]); // the two history charts
    expect(await page.$$eval("script", (x) => x.length)).toBe(2);
    const handlers = await js<number>(page, '[...document.querySelectorAll("*")].filter((e) => [...e.attributes].some((a) => a.name.startsWith("on"))).length');
    expect(handlers).toBe(0);
    expect(await page.locator(`#hm th.rh a[title="${HOSTILE_ID}"]`).count()).toBe(1);
    expect(await page.locator("#card-list .sum-id").allTextContents()).toContain(HOSTILE_ID);
    const r = await rowOf(page, HOSTILE_ID);
    await page.hover(cellAt(r, r === 0 ? 1 : 0));
    expect(await tipText(page)).toContain("</script><script>alert(2)</script>");
    for (const id of [HOSTILE_ID, LLAMA_FP8]) {
      const card = page.locator(`details.card:has(> summary .sum-id:text-is("${id}"))`);
      await card.locator("> summary").click();
      expect(await card.innerText()).toContain("</script><script>alert(2)</script>"); // the hostile error / finding, as text
    }
    expect(await page.$$eval("img, iframe", (x) => x.length)).toBe(0);
    expect(await page.title()).toBe("standin zoo dashboard — zoo <b>bold</b>");
    expect(o.dialogs).toEqual([]);
    expect(o.errors).toEqual([]);
    expect(foreign(o)).toEqual([]);
    await o.context.close();
  });

  it("reads without JavaScript: static heatmap, plans, cards with their module tree, history", async () => {
    const o = await open(await writePage("nojs", realisticZoo()), { js: false });
    const { page } = o;
    expect(await page.isVisible("#filters")).toBe(false);
    expect(await page.isVisible("#hm-static")).toBe(true);
    const short = (id: string): string => id.slice(id.lastIndexOf("/") + 1);
    const letter = await js<string>(
      page,
      `(() => {
        const rows = [...document.querySelectorAll("#hm-static tbody tr")];
        const heads = [...document.querySelectorAll("#hm-static thead th.ch span")].map((s) => s.getAttribute("title"));
        const row = rows.find((tr) => tr.querySelector("th a").textContent === ${JSON.stringify(short(LLAMA_70B))});
        return row.querySelectorAll("td")[heads.indexOf(${JSON.stringify(LLAMA_8B)})].textContent;
      })()`,
    );
    expect(letter).toBe("F");
    await page.click(`details.plan:has(> summary .sum-id:text-is("${LLAMA_70B}")) > summary`);
    expect(await page.locator(`details.plan:has(> summary .sum-id:text-is("${LLAMA_70B}"))`).innerText()).toMatch(/L4 canary\s+meta-llama\/Llama-3\.1-70B-Instruct/);
    await page.click(`details.card:has(> summary .sum-id:text-is("${LLAMA_8B}")) > summary`);
    expect(await page.locator(`details.card:has(> summary .sum-id:text-is("${LLAMA_8B}"))`).innerText()).toContain("Module tree: 12 normalized keys");
    expect(await page.isVisible("#history svg")).toBe(true);
    expect(foreign(o)).toEqual([]);
    await o.context.close();
  });

  it("works for one model", async () => {
    const o = await open(await writePage("one", buildResults([ZOO_SPECS[0]!], []), false));
    expect(await o.page.$$eval("#hm td.c", (tds) => tds.map((t) => t.textContent))).toEqual(["·"]);
    await o.page.hover("#hm td.c");
    expect(await tipText(o.page)).toContain("Same model");
    expect(o.errors).toEqual([]);
    await o.context.close();
  });
});

describeBrowser("dashboard in Chromium: big zoos", { timeout: 240_000 }, () => {
  it("200 models: family blocks, Enter on a block expands both families, at most 100 rows", async () => {
    const o = await open(await writePage("zoo200", bigZoo(200)));
    const { page } = o;
    timings.push(`200 models: script done ${o.readyMs!.toFixed(0)} ms after navigation start`);
    const fams = await visibleRows(page);
    expect(fams).toHaveLength(23);
    expect(fams.every((f) => f.startsWith("▸ "))).toBe(true);
    await page.focus('#hm [tabindex="0"]');
    await arrowTo(page, 2, 3);
    const tip = await tipText(page);
    expect(tip).toMatch(/\(9 targets\) × .*\(9 proxies\)/);
    expect(tip).toMatch(/81 pairs: F FULL \d+ P PARTIAL \d+ N NO \d+ \? UNKNOWN \d+/);
    await timed("200 models: expand two family blocks (Enter)", () => page.keyboard.press("Enter"));
    expect(await visibleRows(page)).toHaveLength(23 - 2 + 18);
    expect(await focused(page)).toMatchObject({ tag: "TD" });
    // expanding everything is refused past 100 rows; expanding one by one folds the oldest
    await page.click("#expand-all");
    expect(await page.textContent("#hm-status")).toMatch(/Too many models to expand every family \(200 > 100\)/);
    const ms = await js<number>(
      page,
      `(() => {
        const t0 = performance.now();
        for (let i = 0; i < 20; i++) document.querySelector('#hm tbody th.rband button[aria-expanded="false"]')?.click();
        return performance.now() - t0;
      })()`,
    );
    const n = (await visibleRows(page)).length;
    timings.push(`200 models: 20 family expansions up to ${n} rows: ${ms.toFixed(0)} ms (${(ms / 20).toFixed(0)} ms each)`);
    expect(n).toBeLessThanOrEqual(100);
    expect(n).toBeGreaterThan(80);
    expect(await page.textContent("#hm-status")).toMatch(/^Folded .* to keep the heatmap under 100 rows\.$/);
    expect(foreign(o)).toEqual([]);
    expect(o.errors).toEqual([]);
    await o.context.close();
  });

  it("500 models: interactive quickly, filters and lazy cards (times printed)", async () => {
    const file = await writePage("zoo500", bigZoo(500));
    const o = await timed("500 models: open until the script is done (wall clock)", () => open(file));
    const { page } = o;
    const nav = await js<{ domInteractive: number; load: number }>(
      page,
      '(() => { const n = performance.getEntriesByType("navigation")[0]; return { domInteractive: n.domInteractive, load: n.loadEventEnd }; })()',
    );
    timings.push(`500 models: ${(readFileSync(file).length / 1e6).toFixed(2)} MB page, DOM interactive ${nav.domInteractive.toFixed(0)} ms, script done ${o.readyMs!.toFixed(0)} ms, load event ${nav.load.toFixed(0)} ms`);
    expect(o.readyMs!).toBeLessThan(20_000);
    expect(await visibleRows(page)).toHaveLength(56);
    await timed("500 models: expand a family block (click)", () => page.locator("#hm tbody th.rband button").nth(10).click());
    expect((await visibleRows(page)).length).toBe(56 - 1 + 9);
    const renderMs = await js<number>(page, "window.__standin.lastRenderMs()");
    timings.push(`500 models: heatmap re-render ${renderMs.toFixed(0)} ms`);
    expect(renderMs).toBeLessThan(2_000);
    await timed("500 models: search filter", async () => {
      await page.fill("#q", "llama-g0-");
      await expect.poll(() => page.textContent("#count")).toBe("9 of 500 models shown");
    });
    const card = page.locator("#card-list > li:visible details.card").first();
    await timed("500 models: open a lazy card", () => card.locator("> summary").click());
    // The body is filled on the "toggle" event, which fires in a task after the click: poll for it.
    await expect.poll(() => card.innerText()).toContain("Module tree:");
    expect(foreign(o)).toEqual([]);
    expect(o.errors).toEqual([]);
    await o.context.close();
  });
});
