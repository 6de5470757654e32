/**
 * Stylesheet and palette of the HTML dashboard (src/report/html.ts). Verdict colours are
 * Okabe–Ito (colour-blind safe), every verdict also carries a letter (F/P/N/?), and every
 * text/background pair meets WCAG AA (4.5:1) — test/dashboard.test.ts checks the ratios.
 */
import type { Verdict } from "../compare/types.js";

export interface Swatch {
  /** Cell fill. */
  bg: string;
  /** Letter colour on the fill. */
  fg: string;
}

/** Heatmap fills (Okabe–Ito blue, orange, vermillion; light grey for unknown). */
export const VERDICT_COLORS: Record<Verdict, Swatch> = {
  FULL_SUBSTITUTE: { bg: "#0072B2", fg: "#FFFFFF" },
  PARTIAL_SUBSTITUTE: { bg: "#E69F00", fg: "#000000" },
  NO_SUBSTITUTE: { bg: "#D55E00", fg: "#000000" },
  UNKNOWN: { bg: "#DDDDDD", fg: "#000000" },
};

/** Page text colours (all on white). */
export const TEXT_COLORS = { text: "#1B1B1B", muted: "#555555", link: "#0B5CAD", fail: "#A3142B", pass: "#1D6B35" } as const;

const F = VERDICT_COLORS.FULL_SUBSTITUTE;
const P = VERDICT_COLORS.PARTIAL_SUBSTITUTE;
const N = VERDICT_COLORS.NO_SUBSTITUTE;
const U = VERDICT_COLORS.UNKNOWN;
const T = TEXT_COLORS;

export const CSS = `
:root{color-scheme:light;--F:${F.bg};--P:${P.bg};--N:${N.bg};--U:${U.bg};--fF:${F.fg};--fP:${P.fg};--fN:${N.fg};--fU:${U.fg};--text:${T.text};--muted:${T.muted};--link:${T.link};--fail:${T.fail};--pass:${T.pass};--line:#c8c8c8;--soft:#f4f5f7;--cell:18px}
*{box-sizing:border-box}
html{font:14px/1.45 system-ui,-apple-system,"Segoe UI","DejaVu Sans","Liberation Sans",sans-serif;color:var(--text);background:#fff}
body{margin:0}
a{color:var(--link)}
code,.mono{font-family:ui-monospace,"DejaVu Sans Mono","Liberation Mono",monospace;font-size:.92em}
:focus-visible{outline:3px solid #000;outline-offset:2px;box-shadow:0 0 0 5px #fff}
.skip{position:absolute;left:-9999px;top:0;background:#fff;padding:6px 10px;z-index:20}
.skip:focus{left:8px;top:8px}
.sr{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
header.top{padding:16px 24px 8px;border-bottom:1px solid var(--line)}
header.top h1{margin:0 0 4px;font-size:1.45rem}
.meta{color:var(--muted);margin:0}
main{padding:0 24px 48px}
section{margin-top:24px;scroll-margin-top:64px}
details.plan,details.card{scroll-margin-top:64px}
h2{font-size:1.2rem;margin:0 0 8px}
h3{font-size:1rem;margin:0}
.toc{display:flex;flex-wrap:wrap;gap:4px 16px;margin:6px 0 0;padding:0;list-style:none}
.tiles{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0 0;padding:0;list-style:none}
.tile{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:150px}
.tile b{display:block;font-size:1.3rem}
.tile .k{color:var(--muted);font-size:.86rem}
.gate-fail{border-color:var(--fail)}.gate-fail b{color:var(--fail)}
.gate-pass b{color:var(--pass)}
.fail{color:var(--fail);font-weight:600}.pass{color:var(--pass);font-weight:600}.unk{color:var(--muted);font-weight:600}
.chip{display:inline-block;border-radius:3px;padding:0 5px;font-weight:700;font-size:.84rem;line-height:1.45;border:1px solid rgba(0,0,0,.35)}
.vF{background:var(--F);color:var(--fF)}.vP{background:var(--P);color:var(--fP)}.vN{background:var(--N);color:var(--fN)}.vU{background:var(--U);color:var(--fU)}
.legend{display:flex;flex-wrap:wrap;gap:6px 14px;align-items:center;margin:6px 0;padding:0;list-style:none;color:var(--text)}
.legend .sw{display:inline-block;width:1.4em;text-align:center;border-radius:2px;font-weight:700;margin-right:4px;border:1px solid rgba(0,0,0,.35)}
.filters{position:sticky;top:0;z-index:5;background:#fff;border-bottom:1px solid var(--line);padding:8px 24px;display:flex;flex-wrap:wrap;gap:8px 18px;align-items:center}
.filters fieldset{border:0;margin:0;padding:0;display:flex;gap:4px 10px;align-items:center;flex-wrap:wrap}
.filters legend{float:left;margin-right:6px;font-weight:600;padding:0}
.filters input[type=search]{width:16em;padding:3px 6px;border:1px solid #767676;border-radius:3px;font:inherit}
.filters select{font:inherit;padding:2px 4px;border:1px solid #767676;border-radius:3px}
.dd{position:relative}
.dd>summary{cursor:pointer;border:1px solid #767676;border-radius:3px;padding:2px 8px;list-style:none}
.dd>summary::-webkit-details-marker{display:none}
.dd>summary::after{content:" \\25BE"}
.dd .panel{position:absolute;z-index:8;background:#fff;border:1px solid #767676;border-radius:4px;padding:8px;margin-top:4px;max-height:60vh;overflow:auto;min-width:260px;box-shadow:0 4px 14px rgba(0,0,0,.18)}
.dd .panel label{display:block;white-space:nowrap}
.dd .panel .acts{display:flex;gap:6px;margin-bottom:6px}
button{font:inherit;cursor:pointer}
.btn{border:1px solid #767676;background:#fff;border-radius:3px;padding:1px 8px;color:var(--text)}
.btn[disabled]{color:#6b6b6b;cursor:not-allowed}
#count{color:var(--muted)}
.hm-tools{display:flex;gap:8px;align-items:center;flex-wrap:wrap;margin:4px 0 8px}
.hm-wrap{overflow:auto;max-height:80vh;border:1px solid var(--line);max-width:100%;position:relative}
table.hm{border-collapse:separate;border-spacing:0;font-size:11px;line-height:1}
.hm th,.hm td{padding:0}
.hm thead th{position:sticky;top:0;background:#fff;z-index:2;vertical-align:bottom}
.hm thead tr.bands th{height:22px;border-bottom:1px solid var(--line)}
.hm thead tr.names th{top:22px;border-bottom:1px solid var(--line)}
.hm thead th.band{background:#eef0f3;text-align:left;white-space:nowrap;overflow:hidden;padding:0 2px;vertical-align:middle}
.hm thead th.cband{background:#eef0f3;height:172px;width:var(--cell);min-width:var(--cell)}
.hm thead th.cband>*{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;max-height:166px;overflow:hidden;text-overflow:ellipsis;display:inline-block;padding:2px 0}
.hm tbody th{position:sticky;left:0;background:#fff;z-index:1;text-align:right;white-space:nowrap;font-weight:400;padding:0 6px 0 4px;max-width:330px;overflow:hidden;text-overflow:ellipsis;border-right:1px solid var(--line)}
.hm tbody th.rb,.hm tbody th.rband{background:#eef0f3;text-align:left;vertical-align:top;width:120px;min-width:120px;max-width:120px;padding-top:2px}
.hm tbody th.rband{max-width:none;border-right:1px solid var(--line)}
.hm tbody th.rh{left:120px;max-width:none}
.hm thead th.corner{left:0;z-index:3;text-align:left;padding:4px 6px;font-weight:400;color:var(--muted);vertical-align:bottom;border-right:1px solid var(--line)}
.hm thead th.ch{height:150px;width:var(--cell);min-width:var(--cell)}
.hm thead th.ch>*{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;max-height:146px;overflow:hidden;text-overflow:ellipsis;display:inline-block;padding:2px 0;font-size:11px}
.hm .hl{color:var(--text);text-decoration:none;background:none;border:0;padding:0;font:inherit;cursor:pointer}
.hm .hl:hover{text-decoration:underline}
.hm .fam{font-weight:700}
.hm .fb{font-weight:700;color:var(--text)}
.hm td.c{width:var(--cell);min-width:var(--cell);height:var(--cell);text-align:center;font-weight:700;cursor:default;border-right:1px solid rgba(255,255,255,.55);border-bottom:1px solid rgba(255,255,255,.55);overflow:hidden}
.hm td.d{background:#f1f1f1;color:#595959;font-weight:400}
.hm td.m{background:#fff;color:#595959;font-weight:400}
.hm td.c.x{background:#fff;color:#767676;background-image:none}
.hm td.a{background-image:linear-gradient(to right,var(--F) 0 var(--bf),var(--P) var(--bf) var(--bp),var(--N) var(--bp) var(--bn),var(--U) var(--bn) 100%);background-size:100% 3px;background-repeat:no-repeat;background-position:bottom}
.hm td.pp{box-shadow:inset 0 0 0 2px #000,inset 0 0 0 3px #fff}
.hm td.mp{background-image:linear-gradient(225deg,#000 0 5px,transparent 5px)}
.hm td.mx{background-image:linear-gradient(225deg,#000 0 8px,transparent 8px)}
.hm tr.fs>*{border-top:2px solid #4a4a4a}
.hm th.fs,.hm td.fs{border-left:2px solid #4a4a4a}
.hm td.c:focus{outline:none;position:relative;z-index:4;box-shadow:0 0 0 2px #fff,0 0 0 5px #000}
.hm .hl:focus-visible{outline:3px solid #000;outline-offset:1px;box-shadow:0 0 0 5px #fff}
.hm-wrap.big{--cell:26px}.hm-wrap.big table.hm{font-size:13px}.hm-wrap.mid{--cell:22px}.hm-wrap.mid table.hm{font-size:12px}
.tip{position:absolute;z-index:30;max-width:440px;background:#fff;color:var(--text);border:1px solid #333;border-radius:5px;padding:8px 10px;box-shadow:0 6px 18px rgba(0,0,0,.25);font-size:13px;pointer-events:none}
.tip[hidden]{display:none}
.tip h4{margin:0 0 4px;font-size:13px}
.tip ul{margin:4px 0 0 16px;padding:0}
.tip .k{color:var(--muted)}
.note{color:var(--muted);font-size:.92rem;margin:4px 0}
.plans,.cards{list-style:none;margin:0;padding:0}
.plans>li,.cards>li{content-visibility:auto;contain-intrinsic-size:auto 44px}
details.plan,details.card{border:1px solid var(--line);border-radius:6px;margin:6px 0;background:#fff}
details.plan>summary,details.card>summary{cursor:pointer;padding:6px 10px;display:flex;flex-wrap:wrap;gap:4px 12px;align-items:baseline}
details.plan[open]>summary,details.card[open]>summary{border-bottom:1px solid var(--line);background:var(--soft)}
.body{padding:8px 12px 12px}
.sum-id{font-weight:700}
.muted{color:var(--muted)}
.uncov{color:var(--text)}
table.t{border-collapse:collapse;margin:6px 0;font-size:13px}
table.t th,table.t td{border:1px solid var(--line);padding:3px 7px;text-align:left;vertical-align:top}
table.t th{background:var(--soft)}
table.t td.num{text-align:right;font-variant-numeric:tabular-nums}
.cols{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:8px 24px}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:1px 12px;margin:4px 0}
dl.kv dt{color:var(--muted)}
dl.kv dd{margin:0}
dl.kv dd.bg::after{content:" \\25C6";color:var(--muted);font-size:.8em}
h4{margin:10px 0 4px;font-size:.95rem}
ul.tree,ul.tree ul{list-style:none;margin:0;padding-left:16px}
ul.tree{padding-left:0}
ul.tree summary{cursor:pointer}
ul.tree li{margin:1px 0}
ul.tree .s{color:var(--muted)}
.find{margin:2px 0}
.sev-error{color:var(--fail);font-weight:700}.sev-warning{color:#7a4d00;font-weight:700}.sev-info{color:var(--muted)}
.hist{display:flex;flex-wrap:wrap;gap:12px 32px;align-items:flex-start}
.hist figure{margin:0}
.hist figcaption{font-weight:600;margin-bottom:4px}
svg text{font-family:inherit}
.drift{margin:4px 0;padding-left:18px}
[hidden]{display:none!important}
@media (prefers-reduced-motion:reduce){*{scroll-behavior:auto!important}}
`;
