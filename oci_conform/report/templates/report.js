/* oci-conform HTML report: builds the matrix from the JSON island, filters it, shows evidence.
   No request leaves the page: everything it needs is inline. */
(function () {
  "use strict";
  var T0 = performance.now();
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var OUT = D.outcomes, GLYPH = D.glyphs, LEVELS = D.levels, IMPLS = D.impls;
  var BEYOND = {};             // "i,j" -> 1 for cells beyond the version the implementation claims
  (D.beyond || []).forEach(function (k) { BEYOND[k] = 1; });
  var CL = D.clauses, M = D.matrix, CASES = D.cases;
  var NC = CL.length, NI = IMPLS.length;
  var SEV = D.severity;                 // per outcome: 0 = worst (from the Python model)
  var PASSED = OUT.map(function (o) { return o === "pass" || o === "xfail"; });
  var JUDGED = OUT.map(function (o) { return o !== "skip" && o !== "n/a"; });

  var $ = function (id) { return document.getElementById(id); };
  var body = $("matrix-body"), head = $("matrix-head"), statusEl = $("status");
  var colStyle = document.createElement("style");
  document.head.appendChild(colStyle);

  function esc(s) {
    return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;").replace(/'/g, "&#39;");
  }
  function cls(o) { return "o-" + OUT[o].replace("/", ""); }

  /* ---- groups: spec -> document -> clauses (clauses arrive sorted that way) ---- */
  var groups = [];          // {kind, name, spec, parent, first, last, collapsed}
  var clauseGroup = new Int32Array(NC), clauseSpecGroup = new Int32Array(NC);
  (function buildGroups() {
    var spec = null, doc = null, sg = -1, dg = -1;
    for (var i = 0; i < NC; i++) {
      var c = CL[i];
      if (c[1] !== spec) {
        spec = c[1]; doc = null;
        sg = groups.push({kind: "spec", name: spec, spec: spec, parent: -1, first: i, last: i, collapsed: false}) - 1;
      }
      if (c[2] !== doc) {
        doc = c[2];
        dg = groups.push({kind: "doc", name: doc || "(no document)", spec: spec, parent: sg, first: i, last: i, collapsed: false}) - 1;
      }
      groups[sg].last = i; groups[dg].last = i;
      clauseGroup[i] = dg; clauseSpecGroup[i] = sg;
    }
  })();

  function groupCell(g, j) {
    var worst = -1, passed = 0, judged = 0, cells = 0;
    for (var i = g.first; i <= g.last; i++) {
      var o = M[i][j];
      if (o < 0) continue;
      cells++;
      if (worst < 0 || SEV[o] < SEV[worst]) worst = o;
      if (JUDGED[o]) judged++;
      if (PASSED[o]) passed++;
    }
    if (worst < 0) return '<td class="gcell none c' + j + '">—</td>';
    var title = passed + " passed of " + judged + " judged (" + cells + " cells); worst: " + OUT[worst];
    return '<td class="gcell ' + cls(worst) + ' c' + j + '" title="' + esc(title) + '"><span class="glyph">' +
      esc(GLYPH[worst]) + "</span> " + esc(OUT[worst]) + '<span class="ratio">' +
      (judged ? passed + "/" + judged : "–") + "</span></td>";
  }

  function groupRow(gi) {
    var g = groups[gi];
    var n = g.last - g.first + 1;
    var h = '<tr class="group ' + g.kind + '" data-g="' + gi + '"><td class="first" tabindex="0" aria-expanded="true">' +
      '<span class="twisty" aria-hidden="true">▾</span> ' + esc(g.name) +
      ' <span class="muted gcount">(' + n + (n === 1 ? " clause" : " clauses") + ')</span></td><td class="lvl"></td>';
    for (var j = 0; j < NI; j++) h += groupCell(g, j);
    return h + "</tr>";
  }

  function clauseRow(i) {
    var c = CL[i];
    var h = '<tr class="row' + (c[7] ? "" : " unknown") + '" data-i="' + i + '"><td class="first"><span class="clause-id">' +
      esc(c[0]) + '</span><span class="clause-sum" title="' + esc(c[5]) + '">' + esc(c[5]) +
      '</span></td><td class="lvl"><span class="badge l' + c[4] + '">' + esc(LEVELS[c[4]]) + "</span></td>";
    var row = M[i];
    for (var j = 0; j < NI; j++) {
      var o = row[j];
      if (o < 0) h += '<td class="cell none c' + j + '" title="no result">—</td>';
      else h += '<td class="cell ' + cls(o) + " c" + j + '" tabindex="0" data-j="' + j + '"><span class="glyph">' +
        esc(GLYPH[o]) + "</span> " + esc(OUT[o]) + (BEYOND[i + "," + j] ? '<span class="beyond" title="' + esc(D.beyond_label) + '">†</span>' : "") + "</td>";
    }
    return h + "</tr>";
  }

  /* ---- display order: a spec row, its document rows, their clause rows ---- */
  var order = [];              // 2*gi+1 for group gi, 2*i for clause i (one typed array, no objects)
  (function buildOrder() {
    var last = -1, lastSpec = -1;
    for (var i = 0; i < NC; i++) {
      if (clauseSpecGroup[i] !== lastSpec) { lastSpec = clauseSpecGroup[i]; order.push(2 * lastSpec + 1); }
      if (clauseGroup[i] !== last) { last = clauseGroup[i]; order.push(2 * last + 1); }
      order.push(2 * i);
    }
  })();

  function buildHead() {
    var h = '<tr><th class="first" scope="col">Clause <span class="muted">(' + NC + ')</span></th><th class="lvl" scope="col">Level</th>';
    for (var j = 0; j < NI; j++) {
      var im = IMPLS[j];
      h += '<th scope="col" class="impl c' + j + '" title="' + esc((im.kind || "") + " " + (im.command || "")) + '">' + esc(im.name) +
        '<span class="ver">' + esc(im.available === false ? "unavailable" : (im.version || "–")) + "</span></th>";
    }
    head.innerHTML = h + "</tr>";
  }
  /* ---- filter state <-> URL query ---- */
  var state = {outcome: [], impl: [], level: "", spec: "", q: "", differ: false, compact: false, cell: ""};
  function readUrl() {
    var p = new URLSearchParams(location.search || location.hash.replace(/^#/, ""));
    var list = function (k) { return (p.get(k) || "").split(",").filter(Boolean); };
    state.outcome = list("outcome").filter(function (o) { return OUT.indexOf(o) >= 0; });
    state.impl = list("impl").filter(function (n) { return IMPLS.some(function (im) { return im.name === n; }); });
    state.level = LEVELS.indexOf(p.get("level") || "") >= 0 ? p.get("level") : "";
    state.spec = p.get("spec") || "";
    state.q = p.get("q") || "";
    state.differ = p.get("differ") === "1";
    state.compact = p.get("compact") === "1";
    state.cell = p.get("cell") || "";
  }
  function writeUrl() {
    var p = new URLSearchParams();
    if (state.outcome.length) p.set("outcome", state.outcome.join(","));
    if (state.impl.length) p.set("impl", state.impl.join(","));
    if (state.level) p.set("level", state.level);
    if (state.spec) p.set("spec", state.spec);
    if (state.q) p.set("q", state.q);
    if (state.differ) p.set("differ", "1");
    if (state.compact) p.set("compact", "1");
    if (state.cell) p.set("cell", state.cell);
    var qs = p.toString();
    var url = location.pathname + (qs ? "?" + qs : "");
    try { history.replaceState(null, "", url); }
    catch (e) { try { history.replaceState(null, "", "#" + qs); } catch (e2) { /* keep going */ } }
  }
  function syncControls() {
    [["f-outcome", state.outcome], ["f-impl", state.impl]].forEach(function (pair) {
      Array.prototype.forEach.call($(pair[0]).querySelectorAll(".chip"), function (b) {
        b.setAttribute("aria-pressed", pair[1].indexOf(b.dataset.value) >= 0 ? "true" : "false");
      });
    });
    $("f-level").value = state.level; $("f-spec").value = state.spec;
    $("f-q").value = state.q; $("f-differ").checked = state.differ;
    $("f-compact").checked = state.compact;
  }

  /* ---- matching ---- */
  var match = new Uint8Array(NC);
  var visibleCols = [];
  function computeMatches() {
    visibleCols = [];
    for (var j = 0; j < NI; j++) if (!state.impl.length || state.impl.indexOf(IMPLS[j].name) >= 0) visibleCols.push(j);
    var want = new Uint8Array(OUT.length), anyOutcome = state.outcome.length > 0;
    state.outcome.forEach(function (o) { want[OUT.indexOf(o)] = 1; });
    var level = LEVELS.indexOf(state.level), q = state.q.trim().toLowerCase();
    for (var i = 0; i < NC; i++) {
      var c = CL[i], ok = true;
      if (state.spec && c[1] !== state.spec) ok = false;
      else if (level >= 0 && c[4] !== level) ok = false;
      else if (q && (c[0] + " " + c[5]).toLowerCase().indexOf(q) < 0) ok = false;
      if (ok && (anyOutcome || state.differ)) {
        var row = M[i], hit = !anyOutcome, first = -2, differs = false;
        for (var k = 0; k < visibleCols.length; k++) {
          var o = row[visibleCols[k]];
          if (o < 0) continue;
          if (anyOutcome && want[o]) hit = true;
          if (first === -2) first = o; else if (o !== first) differs = true;
        }
        ok = hit && (!state.differ || differs);
      }
      match[i] = ok ? 1 : 0;
    }
    if (state.compact) dropEmptyColumns();
  }
  var NA = OUT.indexOf("n/a");
  function dropEmptyColumns() {         // "hide columns without results": n/a counts as none
    var used = new Uint8Array(NI);
    for (var i = 0; i < NC; i++) {
      if (!match[i]) continue;
      for (var k = 0; k < visibleCols.length; k++) {
        var o = M[i][visibleCols[k]];
        if (o >= 0 && o !== NA) used[visibleCols[k]] = 1;
      }
    }
    visibleCols = visibleCols.filter(function (j) { return used[j]; });
  }


  /* ---- virtual rendering: only the rows in (and near) the viewport are in the DOM ---- */
  var scroller = $("scroller");
  var items = [], tops = new Float64Array(1), rowH = 41, groupH = 29, OVERSCAN = 400;
  var rowCache = new Array(NC), groupCache = new Array(groups.length), renderAll = false;
  var selected = null, framePending = false;
  // Heights measured once a row has been in the DOM (0 = not yet: the default is used).
  var hClause = new Float32Array(NC), hGroup = new Float32Array(groups.length);

  var groupMatches = new Int32Array(groups.length);   // clauses of each group the filters keep

  function itemHeight(code) {
    var h = code & 1 ? hGroup[code >> 1] : hClause[code >> 1];
    return h || (code & 1 ? groupH : rowH);
  }
  function computeItems() {
    items = [];
    var anyInGroup = groupMatches;
    anyInGroup.fill(0);
    for (var i = 0; i < NC; i++) if (match[i]) { anyInGroup[clauseGroup[i]]++; anyInGroup[clauseSpecGroup[i]]++; }
    for (var k = 0; k < order.length; k++) {
      var code = order[k];
      if (code & 1) {
        var gi = code >> 1, g = groups[gi];
        if (anyInGroup[gi] && !(g.parent >= 0 && groups[g.parent].collapsed)) items.push(code);
      } else {
        var c = code >> 1;
        if (match[c] && !groups[clauseGroup[c]].collapsed && !groups[clauseSpecGroup[c]].collapsed) items.push(code);
      }
    }
    layoutItems();
  }
  function layoutItems() {
    tops = new Float64Array(items.length + 1);
    for (var k = 0; k < items.length; k++) tops[k + 1] = tops[k] + itemHeight(items[k]);
  }
  function firstAtOrAfter(y) {          // index of the first item whose bottom is below y
    var lo = 0, hi = items.length;
    while (lo < hi) { var mid = (lo + hi) >> 1; if (tops[mid + 1] <= y) lo = mid + 1; else hi = mid; }
    return lo;
  }
  function itemHtml(code) {
    if (code & 1) { var gi = code >> 1; return groupCache[gi] || (groupCache[gi] = groupRow(gi)); }
    var i = code >> 1; return rowCache[i] || (rowCache[i] = clauseRow(i));
  }
  function spacer(h) { return h > 0 ? '<tr class="spacer" aria-hidden="true"><td colspan="' + (NI + 2) + '" style="height:' + h + 'px"></td></tr>' : ""; }

  // Geometry read from the DOM only where layout is clean anyway (scroll, resize), so a filter
  // change costs one layout, not three.
  var headH = 0, viewH = 0, scrollY = 0;
  function readGeometry() { headH = head.offsetHeight; scrollY = scroller.scrollTop; }

  function renderRows(depth) {
    framePending = false;
    var from = 0, to = items.length;
    viewH = window.innerHeight;         // the scroller is never taller than the window
    if (!renderAll) {
      // scrollY may still be the old one when the list just got shorter: clamp it.
      var y = Math.min(scrollY, Math.max(0, tops[items.length] + headH - viewH)) - headH;
      from = Math.max(0, firstAtOrAfter(y - OVERSCAN));
      to = Math.min(items.length, firstAtOrAfter(y + viewH + OVERSCAN) + 1);
    }
    var focusKey = focusedKey(), parts = [spacer(tops[from])], unknown = false;
    for (var k = from; k < to; k++) {
      var code = items[k];
      parts.push(itemHtml(code));
      if (!(code & 1 ? hGroup[code >> 1] : hClause[code >> 1])) unknown = true;
    }
    parts.push(spacer(tops[items.length] - tops[to]));
    body.innerHTML = parts.join("");
    markGroups();
    if (selected) {
      var td = cellEl(selected[0], selected[1]);
      if (td) td.classList.add("sel");
    }
    restoreFocus(focusKey);
    if (unknown && !renderAll && !(depth >= 2)) measure((depth || 0) + 1);
  }
  function markGroups() {
    var rows = body.querySelectorAll("tr.group");
    for (var n = 0; n < rows.length; n++) {
      var g = groups[+rows[n].dataset.g];
      rows[n].classList.toggle("collapsed", g.collapsed);
      rows[n].firstChild.setAttribute("aria-expanded", g.collapsed ? "false" : "true");
      var total = g.last - g.first + 1, shown = groupMatches[+rows[n].dataset.g];
      rows[n].querySelector(".gcount").textContent = "(" + (shown === total ? "" : shown + " of ") +
        total + (total === 1 ? " clause" : " clauses") + (g.collapsed ? ", folded" : "") + ")";
    }
  }
  function measure(depth) {             // learn the heights of rows seen for the first time
    var rows = body.querySelectorAll("tr.row, tr.group"), changed = false;
    for (var n = 0; n < rows.length; n++) {
      var tr = rows[n], h = tr.getBoundingClientRect().height;
      if (!h) continue;
      var isGroup = tr.dataset.g !== undefined, at = isGroup ? +tr.dataset.g : +tr.dataset.i;
      var store = isGroup ? hGroup : hClause;
      if (Math.abs(store[at] - h) > 0.5) { store[at] = h; changed = true; }
    }
    if (!changed) return;
    // Keep the row at the top of the viewport in place while the heights above it change.
    readGeometry();
    var y = scrollY - headH, k = firstAtOrAfter(y), before = tops[k];
    layoutItems();
    if (y > 0 && k < items.length) { scroller.scrollTop += tops[k] - before; scrollY = scroller.scrollTop; }
    renderRows(depth);
  }
  function scheduleRender() {
    if (!framePending) { framePending = true; requestAnimationFrame(function () { readGeometry(); renderRows(0); }); }
  }
  function cellEl(i, j) {
    return body.querySelector('tr[data-i="' + i + '"] td.c' + j);
  }
  function focusedKey() {
    var a = document.activeElement;
    if (!a || !body.contains(a)) return null;
    var tr = a.parentNode;
    return tr.dataset.g !== undefined ? ["g", tr.dataset.g] : ["c", tr.dataset.i, a.dataset.j];
  }
  function restoreFocus(key) {
    if (!key) return;
    var t = key[0] === "g" ? body.querySelector('tr[data-g="' + key[1] + '"] td.first') : cellEl(key[1], key[2]);
    if (t) t.focus({preventScroll: true});
  }
  function scrollToClause(i) {
    var k = items.indexOf(2 * i);
    if (k < 0) return;
    scroller.scrollTop = Math.max(0, tops[k] - 2 * rowH);
    readGeometry();
    renderRows();
  }
  scroller.addEventListener("scroll", scheduleRender, {passive: true});
  window.addEventListener("resize", scheduleRender);
  window.addEventListener("beforeprint", function () { renderAll = true; renderRows(); });
  window.addEventListener("afterprint", function () { renderAll = false; renderRows(); });

  function applyColumns() {
    var rules = [];
    for (var j = 0; j < NI; j++) if (visibleCols.indexOf(j) < 0) rules.push(".grid .c" + j);
    var css = rules.length ? rules.join(",") + "{display:none}" : "";
    if (css !== colStyle.textContent) {
      colStyle.textContent = css;
      hClause.fill(0); hGroup.fill(0);  // other column widths: rows may wrap differently
      headH = head.offsetHeight;
    }
  }

  function updateStatus() {
    var n = 0;
    for (var i = 0; i < NC; i++) n += match[i];
    statusEl.textContent = "Showing " + n + " of " + NC + " clauses × " + visibleCols.length + " of " + NI + " implementations";
    document.body.dataset.visibleRows = String(n);
  }

  function refresh(writeState) {
    computeMatches();
    applyColumns();
    computeItems();
    var wasScrolled = scrollY !== 0;
    scrollY = 0;                        // a new filter starts at the top of its rows
    renderRows();
    if (wasScrolled) scroller.scrollTop = 0;
    updateStatus();
    if (writeState !== false) scheduleUrl();
  }
  var urlTimer = 0;
  function scheduleUrl() {              // typing in the search box writes the URL once, not per key
    clearTimeout(urlTimer);
    urlTimer = setTimeout(writeUrl, 120);
  }

  /* ---- evidence panel ---- */
  var panel = $("panel"), panelBody = $("panel-body"), lastCell = null;
  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function defs(parent, pairs) {
    var dl = add(parent, el("dl"));
    pairs.forEach(function (p) {
      if (p[1] === undefined || p[1] === null || p[1] === "") return;
      add(dl, el("dt", null, p[0]));
      var dd = add(dl, el("dd"));
      if (p[2] === "code") add(dd, el("code", null, p[1])); else dd.textContent = String(p[1]);
    });
    return dl;
  }
  function table(parent, headers, rows) {
    var t = add(parent, el("table")), tr = add(add(t, el("thead")), el("tr"));
    headers.forEach(function (h) { add(tr, el("th", {scope: "col"}, h)); });
    var tb = add(t, el("tbody"));
    rows.forEach(function (r) { var row = add(tb, el("tr")); r.forEach(function (v) { add(row, el("td", null, v)); }); });
    return t;
  }
  function where(f) {
    var w = f.file || "";
    if (f.line) w += ":" + f.line + (f.column ? ":" + f.column : "");
    if (f.location) w = (w ? w + " " : "") + f.location;
    return w;
  }
  function showCase(box, cs) {
    var o = cs.o, h = add(box, el("div", {"class": "head"}));
    add(h, el("span", {"class": "pill " + cls(o)}, GLYPH[o] + " " + OUT[o]));
    if (cs["case"]) add(h, el("code", null, cs["case"]));
    if (cs.duration) add(h, el("span", {"class": "muted"}, cs.duration + " s"));
    var label = OUT[o] === "skip" || OUT[o] === "n/a" ? "Reason" : "Message";
    defs(box, [[label, cs.message], ["Expectation", cs.expectation],
      [D.beyond_label, cs.beyond_claim ? cs.beyond_claim + " (shown, not counted in the exit code)" : ""]]);
    if (cs.findings) {
      add(box, el("h3", null, "Findings (" + (cs.findings.length + (cs.more_findings || 0)) + ")"));
      table(box, ["Location", "Message", "Expected", "Actual"], cs.findings.map(function (f) {
        return [where(f), f.message || "", f.expected || "", f.actual || ""];
      }));
      if (cs.more_findings) add(box, el("p", {"class": "muted"}, cs.more_findings + " more findings not shown"));
    }
    var ev = cs.evidence;
    if (!ev) return;
    if (ev.argv || ev.exit_code !== undefined) {
      add(box, el("h3", null, "Runtime call"));
      defs(box, [["argv", ev.argv ? ev.argv.join(" ") : "", "code"], ["exit code", ev.exit_code]]);
    }
    ["stdout", "stderr"].forEach(function (k) {
      if (ev[k]) { add(box, el("h3", null, k + " (tail)")); add(box, el("pre", null, ev[k])); }
    });
    [["config", "Config (diff from the base bundle's config)"], ["replay", "Replay by hand (as root)"],
     ["kept", "Kept folder (--keep)"]].forEach(function (p) {
      if (ev[p[0]]) { add(box, el("h3", null, p[1])); add(box, el("pre", null, ev[p[0]])); }
    });
    if (ev.http && ev.http.length) {
      add(box, el("h3", null, "HTTP exchanges (" + ev.http.length + ")"));
      ev.http.forEach(function (x, n) {
        var d = add(box, el("details", n === 0 ? {open: ""} : null));
        add(d, el("summary", null, x.method + " " + x.url + " → " + x.status));
        if (x.request_headers.length) { add(d, el("h3", null, "Request headers")); table(d, ["Header", "Value"], x.request_headers); }
        if (x.response_headers.length) { add(d, el("h3", null, "Response headers")); table(d, ["Header", "Value"], x.response_headers); }
        if (x.body) { add(d, el("h3", null, "Response body")); add(d, el("pre", null, x.body)); }
      });
    }
    if (ev.other) { add(box, el("h3", null, "Other evidence")); add(box, el("pre", null, ev.other)); }
  }
  /* ---- cases of a row: inline, or one zlib stream per row inflated when first opened ---- */
  var ZROWS = D.zcases || null, zDone = {};
  function rowCases(i) {                // a Promise of {"j": [cases]} for row i
    if (zDone[i]) return zDone[i];
    var b64 = ZROWS[i] || "";
    if (!b64) return (zDone[i] = Promise.resolve({}));
    var raw = atob(b64), bytes = new Uint8Array(raw.length);
    for (var n = 0; n < raw.length; n++) bytes[n] = raw.charCodeAt(n);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    return (zDone[i] = new Response(stream).text().then(JSON.parse));
  }
  function showCases(i, j, cases) {
    panel.dataset.cases = "shown";
    if (!cases.length) add(panelBody, el("p", {"class": "muted"}, "No recorded case for this cell."));
    cases.forEach(function (cs) { showCase(add(panelBody, el("section", {"class": "case"})), cs); });
  }
  function openCell(i, j, td) {
    var c = CL[i], im = IMPLS[j], cases = ZROWS ? null : CASES[i + "," + j] || [];
    if (lastCell) lastCell.classList.remove("sel");
    lastCell = td || null;
    selected = [i, j];
    if (td) td.classList.add("sel");
    $("panel-title").textContent = c[0] + " on " + im.name;
    panelBody.textContent = "";
    var top = add(panelBody, el("div"));
    var p = add(top, el("p"));
    add(p, el("span", {"class": "badge l" + c[4]}, LEVELS[c[4]]));
    p.appendChild(document.createTextNode(" " + c[5]));
    if (!c[7]) add(top, el("p", {"class": "muted"}, "This clause is not described in these results (not in their catalog snapshot)."));
    defs(top, [["Spec", c[1]], ["Document", c[2]], ["Section", c[3]],
      ["Implementation", im.name + (im.version ? " " + im.version : "")], ["Command", im.command, "code"]]);
    if (c[6]) { var lp = add(top, el("p")); add(lp, el("a", {href: c[6], target: "_blank", rel: "noopener noreferrer"}, "Read the clause in the spec")); }
    if (cases) showCases(i, j, cases);
    else {
      panel.dataset.cases = "loading";
      var wait = add(panelBody, el("p", {"class": "muted"}, "Unpacking the evidence…"));
      rowCases(i).then(function (row) {
        if (!selected || selected[0] !== i || selected[1] !== j) return;   // another cell since
        panelBody.removeChild(wait);
        showCases(i, j, row[j] || []);
      }, function (err) {
        wait.textContent = "The evidence of this row cannot be unpacked: " + err;
        panel.dataset.cases = "failed";
      });
    }
    panel.hidden = false;
    panel.focus();
    state.cell = c[0] + "@" + im.name;
    writeUrl();
  }
  function closePanel() {
    panel.hidden = true;
    if (selected) {
      var td = cellEl(selected[0], selected[1]);
      if (td) { td.classList.remove("sel"); td.focus({preventScroll: true}); }
    }
    selected = null;
    state.cell = "";
    writeUrl();
  }

  /* ---- events ---- */
  function cellFrom(target) {
    var td = target.closest ? target.closest("td") : null;
    if (!td || !body.contains(td)) return null;
    var tr = td.parentNode;
    if (tr.classList.contains("group")) return {group: +tr.dataset.g};
    if (td.classList.contains("cell") && td.dataset.j !== undefined) return {i: +tr.dataset.i, j: +td.dataset.j, td: td};
    return null;
  }
  function toggleGroup(gi) {
    groups[gi].collapsed = !groups[gi].collapsed;
    computeItems(); renderRows();
  }
  body.addEventListener("click", function (e) {
    var hit = cellFrom(e.target);
    if (!hit) return;
    if (hit.group !== undefined) toggleGroup(hit.group); else openCell(hit.i, hit.j, hit.td);
  });
  function moveFocus(td, key) {         // arrow keys walk the rendered cells
    var tr = td.parentNode, target = null;
    if (key === "ArrowLeft" || key === "ArrowRight") {
      target = td;
      do { target = key === "ArrowLeft" ? target.previousElementSibling : target.nextElementSibling; }
      while (target && !(target.tabIndex >= 0 && target.offsetParent !== null));
    } else {
      // From a cell: the same column's next cell with a result; from a group row: any row.
      var want = td.dataset.j !== undefined ? "td.c" + td.dataset.j + "[tabindex]" : "[tabindex]";
      for (var r = tr; (r = key === "ArrowUp" ? r.previousElementSibling : r.nextElementSibling);) {
        if (r.classList.contains("spacer")) continue;
        target = r.querySelector(want);
        if (target) break;
      }
    }
    if (target) { target.focus({preventScroll: true}); target.scrollIntoView({block: "nearest", inline: "nearest"}); }
  }
  body.addEventListener("keydown", function (e) {
    if (/^Arrow(Up|Down|Left|Right)$/.test(e.key) && e.target.tabIndex >= 0 && body.contains(e.target)) {
      e.preventDefault();
      moveFocus(e.target, e.key);
      return;
    }
    if (e.key !== "Enter" && e.key !== " ") return;
    var hit = cellFrom(e.target);
    if (!hit) return;
    e.preventDefault();
    if (hit.group !== undefined) toggleGroup(hit.group); else openCell(hit.i, hit.j, hit.td);
  });
  $("panel-close").addEventListener("click", closePanel);
  document.addEventListener("keydown", function (e) { if (e.key === "Escape" && !panel.hidden) closePanel(); });
  function chipHandler(id, key) {
    $(id).addEventListener("click", function (e) {
      var b = e.target.closest(".chip");
      if (!b) return;
      var v = b.dataset.value, list = state[key], at = list.indexOf(v);
      if (at >= 0) list.splice(at, 1); else list.push(v);
      b.setAttribute("aria-pressed", at >= 0 ? "false" : "true");
      refresh();
    });
  }
  chipHandler("f-outcome", "outcome");
  chipHandler("f-impl", "impl");
  $("f-level").addEventListener("change", function (e) { state.level = e.target.value; refresh(); });
  $("f-spec").addEventListener("change", function (e) { state.spec = e.target.value; refresh(); });
  $("f-q").addEventListener("input", function (e) { state.q = e.target.value; refresh(); });
  $("f-differ").addEventListener("change", function (e) { state.differ = e.target.checked; refresh(); });
  $("f-compact").addEventListener("change", function (e) { state.compact = e.target.checked; refresh(); });
  $("f-reset").addEventListener("click", function () {
    state = {outcome: [], impl: [], level: "", spec: "", q: "", differ: false, compact: false, cell: state.cell};
    syncControls(); refresh();
  });
  function setAll(collapsed) {
    // Collapsing keeps spec and document rows visible: only the clause rows fold away.
    groups.forEach(function (g) { g.collapsed = collapsed && g.kind === "doc"; });
    computeItems(); renderRows();
  }
  $("f-collapse").addEventListener("click", function () { setAll(true); });
  $("f-expand").addEventListener("click", function () { setAll(false); });

  function openFromState() {
    if (!state.cell) return;
    var at = state.cell.lastIndexOf("@");
    var id = state.cell.slice(0, at), name = state.cell.slice(at + 1);
    var j = IMPLS.findIndex(function (im) { return im.name === name; });
    var i = CL.findIndex(function (c) { return c[0] === id; });
    if (i >= 0 && j >= 0 && M[i][j] >= 0) {
      scrollToClause(i);
      openCell(i, j, cellEl(i, j));
    }
  }

  /* ---- start ---- */
  readUrl();
  syncControls();
  buildHead();
  readGeometry();
  refresh(false);
  openFromState();
  document.body.dataset.buildMs = String(Math.round(performance.now() - T0));
  document.body.dataset.readyAt = String(Math.round(performance.now()));
  document.body.dataset.ready = "true";

  window.ociReport = {
    setFilters: function (next) {
      for (var k in next) state[k] = next[k];
      syncControls(); refresh();
      return Number(document.body.dataset.visibleRows);
    },
    state: function () { return JSON.parse(JSON.stringify(state)); }
  };
})();
