/**
 * The dashboard's client script (plain ES2020, inlined in the page and allowed by its CSP hash).
 * It reads the DashboardData block (src/report/html.ts), decodes the matrix, and re-renders the
 * heatmap as an ARIA grid: family bands that expand and fold (past `maxAxis` rows the oldest
 * expanded family folds), roving focus with arrow keys / Home / End / PageUp / PageDown, a tooltip
 * with the reasons on hover and focus, filters (family, tag, verdict) and search that also hide
 * plans and cards. Every string from the data is escaped with h() before it reaches innerHTML.
 *
 * Written without backticks and template placeholders so that it can live in a TS template
 * literal; test/dashboard*.test.ts parses it and runs it in Chromium.
 */
export const CLIENT_SCRIPT = String.raw`
(function () {
  "use strict";
  var t0 = performance.now();
  function $(id) { return document.getElementById(id); }
  var dataEl = $("standin-data");
  if (!dataEl) return;
  var D = JSON.parse(dataEl.textContent);
  var n = D.models.length;
  var ESC = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
  function h(s) { return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; }); }
  function fmtInt(x) { return Number(x).toLocaleString("en-US"); }

  // ---------------------------------------------------------------- decode the matrix
  var AL = D.code.alphabet, A = AL.length, W = D.code.width, S = D.code.singles;
  var cix = new Int16Array(128).fill(-1);
  for (var i = 0; i < A; i++) cix[AL.charCodeAt(i)] = i;
  var cells = new Int32Array(n * n);
  for (var t = 0; t < n; t++) {
    var row = D.rows[t], j = 0, off = t * n;
    for (var k = 0; k < row.length;) {
      var a = cix[row.charCodeAt(k++)];
      if (W === 1) cells[off + j++] = a;
      else if (W === 2) cells[off + j++] = a < S ? a : S + (a - S) * A + cix[row.charCodeAt(k++)];
      else { var b = cix[row.charCodeAt(k++)]; var c2 = cix[row.charCodeAt(k++)]; cells[off + j++] = a * A * A + b * A + c2; }
    }
  }
  var LET = "FPNUDM", VL = "FPNU", WORD = ["FULL", "PARTIAL", "NO", "UNKNOWN"], SHOW = ["F", "P", "N", "?"];
  var tl = new Uint8Array(D.tuples.length);
  D.tuples.forEach(function (tp, ti) { tl[ti] = LET.indexOf(tp[0]); });
  var decodeMs = performance.now() - t0;

  var NF = D.families.length, members = [];
  for (var f0 = 0; f0 < NF; f0++) members.push([]);
  D.fam.forEach(function (f, m) { members[f].push(m); });
  var pairMap = new Map();
  D.pairs.forEach(function (p) { pairMap.set(p.t * n + p.p, p); });

  // ---------------------------------------------------------------- state
  var visible = new Uint8Array(n).fill(1);
  var famOn = new Uint8Array(NF).fill(1);
  var vOn = [1, 1, 1, 1];
  var tagSel = -1, query = "";
  var expanded = [], expFlag = new Uint8Array(NF);
  if (!D.aggregate) for (var f1 = 0; f1 < NF; f1++) { expanded.push(f1); expFlag[f1] = 1; }
  var items = [], R = 0, C = 0;
  var cellEls = [], rowHead = [], rowBand = [], colHead = [], colBand = [];
  var fr = 0, fc = 0, cur = null, lastRenderMs = 0;

  var wrap = $("hm-wrap"), tip = $("tip"), status = $("hm-status");
  function say(msg) { if (status) status.textContent = msg; }

  function short(id) { var s = id.slice(id.lastIndexOf("/") + 1); return s.length > 28 ? s.slice(0, 27) + "\u2026" : s; }

  // ---------------------------------------------------------------- axis and cells
  function buildAxis() {
    var out = [];
    for (var f = 0; f < NF; f++) {
      var vis = members[f].filter(function (m) { return visible[m] === 1; });
      if (vis.length === 0) continue;
      if (expFlag[f]) for (var q = 0; q < vis.length; q++) out.push({ m: vis[q], f: f, first: q === 0, span: vis.length, ms: null });
      else out.push({ m: -1, f: f, first: true, span: 1, ms: vis });
    }
    return out;
  }
  function fitAxis() {
    var out = buildAxis(), folded = [];
    while (out.length > D.maxAxis && expanded.length > 1) {
      var f = expanded.shift();
      expFlag[f] = 0;
      folded.push(D.families[f]);
      out = buildAxis();
    }
    if (folded.length > 0) say("Folded " + folded.join(", ") + " to keep the heatmap under " + D.maxAxis + " rows.");
    return out;
  }
  function setOf(it) { return it.m >= 0 ? [it.m] : it.ms; }
  function blockCounts(rs, cs) {
    var c = [0, 0, 0, 0, 0, 0];
    for (var x = 0; x < rs.length; x++) { var o = rs[x] * n; for (var y = 0; y < cs.length; y++) c[tl[cells[o + cs[y]]]]++; }
    return c;
  }
  function majority(c) {
    var best = -1;
    for (var q = 0; q < 4; q++) if (c[q] > 0 && (best < 0 || c[q] > c[best])) best = q;
    return best;
  }
  function pct(x, tot) { return Math.round((x / tot) * 1000) / 10 + "%"; }

  function cellHtml(r, c, ri, ci) {
    var cls = "c", txt = "", style = "";
    if (ri.m >= 0 && ci.m >= 0) {
      var key = ri.m * n + ci.m, L = tl[cells[key]];
      if (L === 4) { cls += " d"; txt = "\u00b7"; }
      else if (L === 5) cls += " m";
      else { cls += " v" + VL[L]; txt = SHOW[L]; if (!vOn[L]) cls += " x"; }
      if (D.plan[ri.m] === ci.m) cls += " pp";
      var pr = pairMap.get(key);
      if (pr) cls += pr.ok ? " mp" : " mp mx";
    } else {
      var cnt = blockCounts(setOf(ri), setOf(ci));
      var sel = [vOn[0] ? cnt[0] : 0, vOn[1] ? cnt[1] : 0, vOn[2] ? cnt[2] : 0, vOn[3] ? cnt[3] : 0];
      var tot = sel[0] + sel[1] + sel[2] + sel[3], all = cnt[0] + cnt[1] + cnt[2] + cnt[3];
      if (all === 0) { cls += " d"; txt = "\u00b7"; }
      else {
        var use = tot > 0 ? sel : cnt, sum = tot > 0 ? tot : all, mj = majority(use);
        cls += " a v" + VL[mj];
        txt = SHOW[mj];
        if (tot === 0) cls += " x";
        style = ' style="--bf:' + pct(use[0], sum) + ";--bp:" + pct(use[0] + use[1], sum) + ";--bn:" + pct(use[0] + use[1] + use[2], sum) + '"';
      }
    }
    if (c > 0 && ci.first) cls += " fs";
    return '<td class="' + cls + '"' + style + ">" + txt + "</td>";
  }
  function famBtn(f, open, count) {
    var name = D.families[f];
    return '<button type="button" class="hl fb" tabindex="-1" data-f="' + f + '" aria-expanded="' + (open ? "true" : "false") + '" title="' + h((open ? "Fold " : "Expand ") + name) + '">' + (open ? "\u25be " : "\u25b8 ") + h(name) + (open ? "" : " (" + count + ")") + "</button>";
  }
  function modelLink(m) {
    return '<a class="hl" tabindex="-1" href="#m' + m + '" data-card="m' + m + '" title="' + h(D.models[m]) + '">' + h(short(D.models[m])) + "</a>";
  }

  var BAND_W = 120, NAME_W = 230;
  function render() {
    var start = performance.now();
    items = fitAxis();
    R = C = items.length;
    if (R === 0) {
      wrap.innerHTML = '<p class="note">No model matches the filters.</p>';
      cellEls = []; rowHead = []; rowBand = []; colHead = []; colBand = []; cur = null;
      lastRenderMs = performance.now() - start;
      return;
    }
    var hb = [];
    var cw = C <= 24 ? 26 : C <= 50 ? 22 : 18;
    hb.push('<table class="hm" id="hm" role="grid" aria-label="Verdict heatmap: rows are targets, columns are proxies" aria-rowcount="' + (R + 2) + '" aria-colcount="' + (C + 2) + '" style="table-layout:fixed;width:' + (BAND_W + NAME_W + C * cw) + 'px">');
    hb.push('<colgroup><col style="width:' + BAND_W + 'px"><col style="width:' + NAME_W + 'px"><col span="' + C + '" style="width:' + cw + 'px"></colgroup>');
    hb.push('<thead><tr class="bands"><th class="corner" colspan="2" rowspan="2" scope="col">targets \u2193 proxies \u2192</th>');
    var c, r, it;
    for (c = 0; c < C;) {
      it = items[c];
      if (it.m < 0) { hb.push('<th class="ch cband' + (c > 0 ? " fs" : "") + '" rowspan="2" scope="col" data-c="' + c + '">' + famBtn(it.f, false, it.ms.length) + "</th>"); c++; }
      else { hb.push('<th class="band' + (c > 0 ? " fs" : "") + '" colspan="' + it.span + '" scope="colgroup" data-c="' + c + '" style="max-width:' + it.span * cw + 'px">' + famBtn(it.f, true, it.span) + "</th>"); c += it.span; }
    }
    hb.push('</tr><tr class="names">');
    for (c = 0; c < C; c++) { it = items[c]; if (it.m >= 0) hb.push('<th class="ch' + (c > 0 && it.first ? " fs" : "") + '" scope="col" data-c="' + c + '">' + modelLink(it.m) + "</th>"); }
    hb.push("</tr></thead><tbody>");
    for (r = 0; r < R; r++) {
      it = items[r];
      hb.push("<tr" + (r > 0 && it.first ? ' class="fs"' : "") + ">");
      if (it.m < 0) hb.push('<th class="rband" colspan="2" scope="row" data-r="' + r + '">' + famBtn(it.f, false, it.ms.length) + "</th>");
      else {
        if (it.first) hb.push('<th class="band rb" rowspan="' + it.span + '" scope="rowgroup" data-r="' + r + '">' + famBtn(it.f, true, it.span) + "</th>");
        hb.push('<th class="rh" scope="row" data-r="' + r + '">' + modelLink(it.m) + "</th>");
      }
      for (c = 0; c < C; c++) hb.push(cellHtml(r, c, it, items[c]));
      hb.push("</tr>");
    }
    hb.push("</tbody></table>");
    wrap.classList.toggle("big", C <= 24);
    wrap.classList.toggle("mid", C > 24 && C <= 50);
    wrap.innerHTML = hb.join("");
    cellEls = wrap.querySelectorAll("td.c");
    if (cellEls.length !== R * C) throw new Error("heatmap: " + cellEls.length + " cells for " + R + " x " + C);
    rowHead = new Array(R); rowBand = new Array(R); colHead = new Array(C); colBand = new Array(C);
    wrap.querySelectorAll("tbody th[data-r]").forEach(function (th) {
      var rr = +th.getAttribute("data-r"), ctl = th.firstElementChild;
      if (th.classList.contains("rband")) { rowHead[rr] = ctl; rowBand[rr] = ctl; }
      else if (th.classList.contains("rb")) { var sp = +th.getAttribute("rowspan"); for (var q = 0; q < sp; q++) rowBand[rr + q] = ctl; }
      else rowHead[rr] = ctl;
    });
    wrap.querySelectorAll("thead th[data-c]").forEach(function (th) {
      var cc = +th.getAttribute("data-c"), ctl = th.firstElementChild;
      if (th.classList.contains("cband")) { colHead[cc] = ctl; colBand[cc] = ctl; }
      else if (th.classList.contains("band")) { var sp = +th.getAttribute("colspan"); for (var q = 0; q < sp; q++) colBand[cc + q] = ctl; }
      else colHead[cc] = ctl;
    });
    cur = null;
    lastRenderMs = performance.now() - start;
  }

  // ---------------------------------------------------------------- focus
  function get(r, c) {
    if (r >= 0 && c >= 0) return r < R && c < C ? cellEls[r * C + c] : null;
    if (r >= 0 && r < R) return c === -1 ? rowHead[r] : c === -2 ? rowBand[r] : null;
    if (c >= 0 && c < C) return r === -1 ? colHead[c] : r === -2 ? colBand[c] : null;
    return null;
  }
  function setRoving(r, c, move) {
    var e = get(r, c);
    if (!e) return false;
    if (cur && cur !== e) { cur.tabIndex = -1; cur.removeAttribute("aria-describedby"); }
    e.tabIndex = 0;
    fr = r; fc = c; cur = e;
    if (move) e.focus();
    return true;
  }
  function move(dr, dc) {
    var start = get(fr, fc), r = fr, c = fc;
    for (;;) {
      r += dr; c += dc;
      if (r < -2 || c < -2 || r >= R || c >= C) return;
      var e = get(r, c);
      if (e && e !== start) { setRoving(r, c, true); return; }
    }
  }
  /** Row and column of a cell (no data attributes on 10k cells: the row's index and the cell's index among the row's cells). */
  function cellPos(td) { var tr = td.parentElement; return [tr.sectionRowIndex, td.cellIndex - (tr.cells.length - C)]; }
  function posOf(e) {
    if (e === get(fr, fc)) return [fr, fc];
    var td = e.closest("td.c");
    if (td) return cellPos(td);
    var th = e.closest("th");
    if (!th) return null;
    if (th.hasAttribute("data-r")) return [+th.getAttribute("data-r"), th.classList.contains("rb") ? -2 : -1];
    if (th.hasAttribute("data-c")) return [th.classList.contains("band") ? -2 : -1, +th.getAttribute("data-c")];
    return null;
  }

  // ---------------------------------------------------------------- tooltip
  function valueOf(m, fi) { var row = D.feat.m[m]; return row && row.length > fi ? D.feat.values[row[fi]] : "unknown"; }
  function ratio(tv, pv) {
    if (tv === null || pv === null || pv === 0) return null;
    var x = tv / pv;
    return x === 1 ? null : (x >= 10 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3)).replace(/\.?0+$/, "") + "x";
  }
  function chip(L) { return '<span class="chip v' + VL[L] + '">' + SHOW[L] + " " + WORD[L] + "</span>"; }
  function modelInfo(m) {
    var fam = D.families[D.fam[m]], tags = D.mtags[m].map(function (x) { return D.tags[x]; });
    var ig = { P: "integrity \u2713 PASS", F: "integrity \u2717 FAIL", U: "integrity ? UNKNOWN" }[D.integ.charAt(m)] || "integrity not checked";
    var s = "<h4>" + h(D.models[m]) + "</h4><div>" + h(fam) + (tags.length ? " \u00b7 " + h(tags.join(", ")) : "") + "</div><div>" + h(D.size[m]) + " \u00b7 " + ig + "</div>";
    if (D.errors[m]) s += "<div>Not fingerprinted: " + h(D.errors[m]) + "</div>";
    if (D.plan[m] >= 0) s += '<div class="k">Cheapest covering proxy: ' + h(D.models[D.plan[m]]) + "</div>";
    return s + '<div class="k">Enter opens the model card.</div>';
  }
  function pairInfo(t, p) {
    if (t === p) return "<h4>" + h(D.models[t]) + "</h4><div>Same model (no pair).</div>";
    var key = t * n + p, tup = D.tuples[cells[key]], L = tl[cells[key]], pr = pairMap.get(key);
    var s = "<h4>" + h(D.models[p]) + " \u2192 " + h(D.models[t]) + '</h4><div class="k">Can the proxy (column) stand in for the target (row)?</div>';
    if (L === 5) return s + "<div>Not compared in these results.</div>";
    s += "<div>" + chip(L) + (L < 3 ? ' <span class="k">isomorphism: ' + h(pr ? pr.iso : D.iso[tup[2]]) + "</span>" : "") + "</div>";
    if (pr) s += "<div>Manifest pair" + (pr.req ? ", requires " + h(pr.req) + ": " + (pr.ok ? "\u2713 meets it" : "\u2717 below it") : " (report only)") + "</div>";
    if (D.plan[t] === p) s += "<div>Cheapest covering proxy of this target (test plan).</div>";
    if (L === 3) return s + "<div>" + h((pr && pr.e) || D.errors[t] || D.errors[p] || "a side could not be fingerprinted") + "</div>";
    var reasons = pr ? pr.r.map(function (x) { return h(x[0]) + (x[1] ? ' <span class="k">(block graph)</span>' : ""); })
      : tup[1].map(function (fi) { return h(D.feat.labels[fi] + ": " + valueOf(p, fi) + " \u2192 " + valueOf(t, fi)) + (D.feat.block[fi] ? ' <span class="k">(block graph)</span>' : ""); });
    if (reasons.length === 0) s += "<div>Covers every feature of the target: only scale differs.</div>";
    else s += '<div class="k">Uncovered (proxy \u2192 target):</div><ul><li>' + reasons.join("</li><li>") + "</li></ul>";
    if (pr) {
      if (pr.x.length) s += '<div class="k">Extra in the proxy: ' + h(pr.x.join("; ")) + "</div>";
      if (pr.u.length) s += '<div class="k">Unverified: ' + h(pr.u.join("; ")) + "</div>";
      if (pr.notes.length) s += '<div class="k">Notes: ' + h(pr.notes.join("; ")) + "</div>";
    }
    var sc = pr && pr.s ? pr.s : D.scale.labels.map(function (lab, si) { var x = ratio(D.scale.m[t][si], D.scale.m[p][si]); return x ? lab + " " + x : null; }).filter(Boolean).slice(0, 4).join(", ");
    if (sc) s += '<div class="k">Scale (target / proxy): ' + h(sc) + "</div>";
    return s;
  }
  function blockInfo(ri, ci) {
    var rs = setOf(ri), cs = setOf(ci), cnt = blockCounts(rs, cs), all = cnt[0] + cnt[1] + cnt[2] + cnt[3];
    var s = "<h4>" + h(ri.m >= 0 ? D.models[ri.m] : D.families[ri.f] + " (" + rs.length + " targets)") + " \u00d7 " + h(ci.m >= 0 ? D.models[ci.m] : D.families[ci.f] + " (" + cs.length + " proxies)") + "</h4>";
    if (all === 0) return s + "<div>No pairs (a family against itself with one model).</div>";
    s += "<div>" + fmtInt(all) + " pairs: " + [0, 1, 2, 3].map(function (q) { return chip(q) + " " + fmtInt(cnt[q]); }).join(" ") + "</div>";
    var tally = new Map();
    for (var x = 0; x < rs.length; x++) for (var y = 0; y < cs.length; y++) {
      var tp = D.tuples[cells[rs[x] * n + cs[y]]];
      if (tl[cells[rs[x] * n + cs[y]]] > 2) continue;
      tp[1].forEach(function (fi) { tally.set(fi, (tally.get(fi) || 0) + 1); });
    }
    var top = Array.from(tally.entries()).sort(function (a2, b2) { return b2[1] - a2[1]; }).slice(0, 5);
    if (top.length) s += '<div class="k">Most often uncovered:</div><ul><li>' + top.map(function (e) { return h(D.feat.labels[e[0]]) + " (" + fmtInt(e[1]) + ")"; }).join("</li><li>") + "</li></ul>";
    return s + '<div class="k">Enter or click expands the block.</div>';
  }
  function infoFor(e) {
    var pos = posOf(e);
    if (!pos) return "";
    var r = pos[0], c = pos[1];
    if (r >= 0 && c >= 0) {
      var ri = items[r], ci = items[c];
      return ri.m >= 0 && ci.m >= 0 ? pairInfo(ri.m, ci.m) : blockInfo(ri, ci);
    }
    var it = r >= 0 ? items[r] : items[c];
    if (!it) return "";
    if ((r >= 0 && c === -2) || (c >= 0 && r === -2) || it.m < 0) {
      var open = expFlag[it.f] === 1;
      return "<h4>Family " + h(D.families[it.f]) + "</h4><div>" + members[it.f].filter(function (m) { return visible[m]; }).length + " models shown. " + (open ? "Enter folds it into one block." : "Enter expands it into its models.") + "</div>";
    }
    return modelInfo(it.m);
  }
  var tipFor = null;
  function place(e) {
    var rc = e.getBoundingClientRect(), tw = tip.offsetWidth, th = tip.offsetHeight;
    var left = rc.right + 8, top = rc.bottom + 4;
    if (left + tw > window.innerWidth - 8) left = Math.max(8, rc.left - tw - 8);
    if (top + th > window.innerHeight - 8) top = Math.max(8, rc.top - th - 4);
    tip.style.left = left + window.scrollX + "px";
    tip.style.top = top + window.scrollY + "px";
  }
  function showTip(e) {
    var html = infoFor(e);
    if (!html) { hideTip(); return; }
    tip.innerHTML = html;
    tip.hidden = false;
    tipFor = e;
    place(e);
    if (e === document.activeElement) {
      e.setAttribute("aria-describedby", "tip");
      if (e.tagName === "TD") e.setAttribute("aria-label", (e.classList.contains("a") ? "block, majority " : "") + (e.textContent === "?" ? "UNKNOWN" : ({ F: "FULL", P: "PARTIAL", N: "NO" })[e.textContent] || (e.classList.contains("d") ? "same model" : "not compared")));
    }
  }
  function hideTip() { tip.hidden = true; tipFor = null; }

  // ---------------------------------------------------------------- expand / fold
  function toggle(f, orientation) {
    if (expFlag[f]) { expFlag[f] = 0; expanded.splice(expanded.indexOf(f), 1); }
    else { expFlag[f] = 1; expanded.push(f); }
    say("");
    render();
    hideTip();
    for (var q = 0; q < items.length; q++) {
      if (items[q].f === f && items[q].first) {
        if (orientation === "col") setRoving(-2, q, true); else setRoving(q, -2, true);
        return;
      }
    }
  }
  function expandBlock(r, c) {
    var ri = items[r], ci = items[c], fs = [];
    if (ri.m < 0) fs.push(ri.f);
    if (ci.m < 0 && fs.indexOf(ci.f) < 0) fs.push(ci.f);
    if (fs.length === 0) return;
    fs.forEach(function (f) { if (!expFlag[f]) { expFlag[f] = 1; expanded.push(f); } });
    say("");
    render();
    hideTip();
    var nr = 0, nc = 0;
    for (var q = 0; q < items.length; q++) {
      if (items[q].f === ri.f && items[q].first) nr = q;
      if (items[q].f === ci.f && items[q].first) nc = q;
    }
    setRoving(nr, nc, true);
  }
  var bodies = null;
  function fill(d) {
    var body = d.querySelector(":scope > .body[data-lazy]");
    if (!body) return;
    if (bodies === null) { var be = $("standin-bodies"); bodies = be ? JSON.parse(be.textContent) : {}; }
    var html = bodies[body.getAttribute("data-lazy")];
    body.removeAttribute("data-lazy");
    if (typeof html === "string") body.innerHTML = html;
  }
  document.addEventListener("toggle", function (ev) { var d = ev.target; if (d.tagName === "DETAILS" && d.open) fill(d); }, true);
  function openCard(id) {
    var d = $(id);
    if (!d) return;
    if (d.tagName === "DETAILS") { fill(d); d.open = true; }
    var li = d.parentElement;
    if (li && li.hidden) { li.hidden = false; }
  }

  // ---------------------------------------------------------------- events
  wrap.addEventListener("keydown", function (ev) {
    if (!cur) return;
    var k = ev.key, handled = true;
    if (k === "ArrowRight") move(0, 1);
    else if (k === "ArrowLeft") move(0, -1);
    else if (k === "ArrowDown") move(1, 0);
    else if (k === "ArrowUp") move(-1, 0);
    else if (k === "Home") { if (ev.ctrlKey) setRoving(0, 0, true); else if (fr >= 0) { if (!setRoving(fr, -2, true)) setRoving(fr, -1, true); } else setRoving(fr, 0, true); }
    else if (k === "End") { if (ev.ctrlKey) setRoving(R - 1, C - 1, true); else setRoving(fr, C - 1, true); }
    else if (k === "PageDown") { if (!setRoving(Math.min(R - 1, Math.max(0, fr) + 10), fc, true)) setRoving(Math.min(R - 1, Math.max(0, fr) + 10), 0, true); }
    else if (k === "PageUp") { if (!setRoving(Math.max(0, fr - 10), fc, true)) setRoving(Math.max(0, fr - 10), 0, true); }
    else if (k === "Escape") hideTip();
    else if ((k === "Enter" || k === " ") && cur.tagName === "TD") expandBlock(fr, fc);
    else handled = false;
    if (handled) ev.preventDefault();
  });
  wrap.addEventListener("focusin", function (ev) {
    var e = ev.target, pos = posOf(e);
    if (pos && e !== cur) setRoving(pos[0], pos[1], false);
    showTip(e);
  });
  wrap.addEventListener("focusout", function (ev) {
    if (!wrap.contains(ev.relatedTarget)) hideTip();
  });
  wrap.addEventListener("mouseover", function (ev) {
    var e = ev.target.closest("td.c, th[data-r], th[data-c]");
    if (!e || e === tipFor) return;
    if (e.tagName === "TH") e = e.firstElementChild || e;
    showTip(e);
  });
  wrap.addEventListener("mouseleave", function () {
    if (cur && cur === document.activeElement) showTip(cur); else hideTip();
  });
  wrap.addEventListener("scroll", function () { if (tipFor && !tip.hidden) place(tipFor); }, { passive: true });
  wrap.addEventListener("click", function (ev) {
    var btn = ev.target.closest("button[data-f]");
    if (btn) {
      var th = btn.closest("th");
      toggle(+btn.getAttribute("data-f"), th && th.hasAttribute("data-c") ? "col" : "row");
      return;
    }
    var td = ev.target.closest("td.c");
    if (td) {
      var pc = cellPos(td), r = pc[0], c = pc[1];
      setRoving(r, c, true);
      if (td.classList.contains("a")) expandBlock(r, c);
    }
  });
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest && ev.target.closest("a[data-card]");
    if (a) openCard(a.getAttribute("data-card"));
  });
  document.addEventListener("keydown", function (ev) { if (ev.key === "Escape") hideTip(); });
  function openFromHash() { var id = decodeURIComponent(location.hash.slice(1)); if (/^[mt]\d+$/.test(id)) openCard(id); }
  window.addEventListener("hashchange", openFromHash);

  // ---------------------------------------------------------------- filters
  var cardLis = document.querySelectorAll("#card-list > li[data-i]");
  var planLis = document.querySelectorAll("#plan-list > li[data-i]");
  var famBoxes = document.querySelectorAll('#filters input[name="family"]');
  var vBoxes = document.querySelectorAll('#filters input[name="verdict"]');
  var qEl = $("q"), tagEl = $("tag"), countEl = $("count"), famSum = $("fam-sum");
  var lower = D.models.map(function (m, mi) { return (m + " " + D.mtags[mi].map(function (x) { return D.tags[x]; }).join(" ")).toLowerCase(); });
  function apply() {
    var shown = 0;
    for (var m = 0; m < n; m++) {
      var ok = famOn[D.fam[m]] === 1 && (tagSel < 0 || D.mtags[m].indexOf(tagSel) >= 0) && (query === "" || lower[m].indexOf(query) >= 0);
      visible[m] = ok ? 1 : 0;
      if (ok) shown++;
    }
    cardLis.forEach(function (li) { li.hidden = !visible[+li.getAttribute("data-i")]; });
    planLis.forEach(function (li) { li.hidden = !visible[+li.getAttribute("data-i")] || !vOn[VL.indexOf(li.getAttribute("data-v"))]; });
    var on = 0;
    for (var f = 0; f < NF; f++) on += famOn[f];
    if (famSum) famSum.textContent = "Families (" + on + " of " + NF + ")";
    if (countEl) countEl.textContent = shown === n ? n + (n === 1 ? " model" : " models") : shown + " of " + n + " models shown";
    render();
    hideTip();
    setRoving(0, 0, false);
  }
  famBoxes.forEach(function (b) { b.addEventListener("change", function () { famOn[+b.value] = b.checked ? 1 : 0; apply(); }); });
  vBoxes.forEach(function (b) { b.addEventListener("change", function () { vOn[VL.indexOf(b.value)] = b.checked ? 1 : 0; apply(); }); });
  function setAllFams(v) { famBoxes.forEach(function (b) { b.checked = v; famOn[+b.value] = v ? 1 : 0; }); apply(); }
  var fa = $("fam-all"), fnn = $("fam-none");
  if (fa) fa.addEventListener("click", function () { setAllFams(true); });
  if (fnn) fnn.addEventListener("click", function () { setAllFams(false); });
  if (tagEl) tagEl.addEventListener("change", function () { tagSel = tagEl.value === "" ? -1 : +tagEl.value; apply(); });
  var qTimer = 0;
  if (qEl) qEl.addEventListener("input", function () {
    clearTimeout(qTimer);
    qTimer = setTimeout(function () { query = qEl.value.trim().toLowerCase(); apply(); }, n > 100 ? 150 : 0);
  });
  var ea = $("expand-all"), ca = $("collapse-all");
  if (ea) ea.addEventListener("click", function () {
    var shown = 0;
    for (var m = 0; m < n; m++) shown += visible[m];
    if (shown > D.maxAxis) { say("Too many models to expand every family (" + shown + " > " + D.maxAxis + "): filter first, or expand families one by one."); return; }
    expanded = [];
    for (var f = 0; f < NF; f++) { expFlag[f] = 1; expanded.push(f); }
    say(""); render(); setRoving(0, 0, false);
  });
  if (ca) ca.addEventListener("click", function () {
    expanded = []; expFlag.fill(0); say(""); render(); setRoving(0, 0, false);
  });

  // ---------------------------------------------------------------- start
  ["filters", "hm-tools", "hm-hint"].forEach(function (id) { var e = $(id); if (e) e.hidden = false; });
  if (n > 0) { render(); setRoving(0, 0, false); }
  openFromHash();
  window.__standin = { decodeMs: decodeMs, renderMs: lastRenderMs, readyMs: performance.now(), lastRenderMs: function () { return lastRenderMs; } };
  document.documentElement.setAttribute("data-ready", "1");
})();
`;
