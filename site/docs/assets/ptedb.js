/* ptedb site: sorting and filtering for the evaluation tables.
 *
 * Plain JavaScript, shipped with the site (nothing is loaded from elsewhere). The tables are complete
 * HTML without it; this script only adds sort buttons to the headings of tables marked data-sortable
 * and draws the Explore page's filters and pages from the rows it is given as data.
 */
(function () {
  "use strict";

  function sortKey(row, index, numeric) {
    var cell = row.cells[index];
    if (!cell) return null;
    var raw = cell.getAttribute("data-sort");
    if (numeric) {
      if (raw === null) raw = cell.textContent.replace(/[^0-9.eE+-]/g, "");
      if (raw === "") return null;
      var n = parseFloat(raw);
      return isNaN(n) ? null : n;
    }
    var text = (raw !== null ? raw : cell.textContent).trim().toLowerCase();
    return text === "" ? null : text;
  }

  /* Two rows' sort keys (numbers or lower-case text) in the direction `sign`; empty keys last, whatever the
   * direction, and ties in the rows' original order (ia, ib), so that sorting is stable. */
  function compareKeys(ka, kb, ia, ib, sign) {
    if (ka === null && kb === null) return ia - ib;
    if (ka === null) return 1;
    if (kb === null) return -1;
    var c = typeof ka === "number" ? ka - kb : ka.localeCompare(kb);
    return c === 0 ? ia - ib : sign * c;
  }

  function sortTable(table, index, th) {
    var numeric = th.getAttribute("data-type") === "num";
    var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      if (other !== th) other.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", dir);
    var sign = dir === "ascending" ? 1 : -1;
    var body = table.tBodies[0];
    var keyed = Array.prototype.map.call(body.rows, function (row, i) {
      return { key: sortKey(row, index, numeric), i: i, row: row };
    });
    keyed.sort(function (a, b) { return compareKeys(a.key, b.key, a.i, b.i, sign); });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (k) { frag.appendChild(k.row); });
    body.appendChild(frag);
  }

  /* A column heading becomes a button that sorts by it (both the in-page tables and the explorer). */
  function sortButton(th, onClick) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "ptedb-sort";
    button.title = "Sort by this column";
    while (th.firstChild) button.appendChild(th.firstChild);
    th.appendChild(button);
    th.setAttribute("aria-sort", "none");
    button.addEventListener("click", onClick);
  }

  function makeSortable(table) {
    if (!table.tHead || !table.tBodies.length) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, index) {
      sortButton(th, function () { sortTable(table, index, th); });
    });
  }

  function readHash() {
    var out = {};
    var hash = window.location.hash.replace(/^#/, "");
    if (hash.indexOf("=") < 0) return out;
    hash.split("&").forEach(function (part) {
      var kv = part.split("=");
      if (kv.length === 2) {
        try { out[decodeURIComponent(kv[0])] = decodeURIComponent(kv[1]); } catch (e) { /* ignore */ }
      }
    });
    return out;
  }

  function option(value, text) {
    var opt = document.createElement("option");
    opt.value = value;
    opt.textContent = text;
    return opt;
  }

  function control(box, name, input) {
    var label = document.createElement("label");
    label.className = "ptedb-filter";
    var span = document.createElement("span");
    span.textContent = name;
    label.appendChild(span);
    label.appendChild(input);
    box.appendChild(label);
  }

  /* Opened from the file system, the theme's search cannot start (browsers refuse its worker there) and
   * the theme hides the search box: say why on the page, and what to do instead. */
  var FILE_SEARCH_NOTE =
    "Search is off because this page was opened from the file system, where browsers do not let it run. " +
    "Serve the site to search it: 'ptedb site --serve', or 'python3 -m http.server' in the site folder. " +
    "The Explore page's filters work here too.";

  function fileSearchNote() {
    if (window.location.protocol !== "file:") return;
    var article = document.querySelector("article");
    if (!article) return;
    var note = document.createElement("p");
    note.className = "ptedb-nosearch";
    note.setAttribute("role", "note");
    note.textContent = FILE_SEARCH_NOTE;
    article.insertBefore(note, article.firstChild);
  }

  /* The explorer, its rows as data (window[box.dataset.rows], written by the site generator): a filter for
   * each column heading marked data-filter and one for the kind of estimate (labels from data-kinds);
   * every filter's options count the rows the other filters leave and those that would leave none are
   * disabled; rows are drawn a page at a time (only the page's rows are in the document); the address
   * keeps the filters (#category=data&kind=point) and is applied on load and whenever it changes. */
  function setupDataExplorer(box, table, data) {
    var F = {};
    data.fields.forEach(function (name, i) { F[name] = i; });
    var rows = data.rows;
    var labels = data.labels;
    var links = data.links;
    var body = table.tBodies[0];
    var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
    var texts = rows.map(function (r) {
      return [labels.enhancement[r[F.enhancement]], labels.category[r[F.category]], labels.benchmark[r[F.benchmark]],
        labels.model[r[F.model]], r[F.scores], r[F.ceg_text], r[F.ceg_note], r[F.cost_text], r[F.mult_text]]
        .join(" ").toLowerCase();
    });
    var order = rows.map(function (_, i) { return i; });
    var filters = [];

    function addFilter(attr, name, labelOf, keys) {
      var select = document.createElement("select");
      select.name = attr;
      select.setAttribute("data-attr", attr);
      var all = option("", "all");
      select.appendChild(all);
      var opts = keys.map(function (k) {
        var opt = option(k, labelOf[k]);
        select.appendChild(opt);
        return opt;
      });
      control(box, name, select);
      filters.push({ attr: attr, select: select, all: all, opts: opts, labels: labelOf, index: F[attr] });
    }

    var kinds = JSON.parse(box.getAttribute("data-kinds") || "[]");
    var kindLabels = {};
    kinds.forEach(function (kv) { kindLabels[kv[0]] = kv[1]; });
    addFilter("kind", "Estimate", kindLabels, kinds.map(function (kv) { return kv[0]; }));
    heads.forEach(function (th) {
      var attr = th.getAttribute("data-filter");
      if (!attr || !labels[attr]) return;
      var keys = Object.keys(labels[attr]).sort(function (a, b) { return labels[attr][a].localeCompare(labels[attr][b]); });
      addFilter(attr, th.textContent.trim(), labels[attr], keys);
    });

    var text = document.createElement("input");
    text.type = "search";
    text.name = "q";
    text.placeholder = "any text in the row";
    control(box, "Text", text);
    var pageSize = parseInt(box.getAttribute("data-page-size") || "0", 10) || rows.length;
    var size = document.createElement("select");
    size.name = "rows";
    [25, 100, 250].forEach(function (n) { if (n < rows.length) size.appendChild(option(String(n), String(n))); });
    size.appendChild(option("0", "all"));
    size.value = pageSize < rows.length ? String(pageSize) : "0";
    control(box, "Rows per page", size);
    var reset = document.createElement("button");
    reset.type = "button";
    reset.className = "md-button ptedb-reset";
    reset.textContent = "Reset";
    box.appendChild(reset);
    var status = document.createElement("p");
    status.className = "ptedb-status";
    status.setAttribute("aria-live", "polite");
    box.appendChild(status);
    var pager = document.createElement("div");
    pager.className = "ptedb-pager";
    var prev = document.createElement("button");
    prev.type = "button";
    prev.className = "md-button ptedb-prev";
    prev.textContent = "‹ Previous";
    var where = document.createElement("span");
    where.className = "ptedb-where";
    var next = document.createElement("button");
    next.type = "button";
    next.className = "md-button ptedb-next";
    next.textContent = "Next ›";
    pager.appendChild(prev);
    pager.appendChild(where);
    pager.appendChild(next);
    var wrap = table.parentNode;
    wrap.parentNode.insertBefore(pager, wrap.nextSibling);
    var page = 0;

    /* sorting: the column headings become buttons (sortButton) */
    var SORT = { enhancement: "label", category: "label", benchmark: "label", model: "label" };
    /* the numeric headings, in order: scores (by the change), CEG, one-time cost, inference multiplier */
    var numeric = ["delta", "ceg_sort", "cost", "mult"];
    var numHeads = heads.filter(function (h) { return !h.getAttribute("data-filter") && h.getAttribute("data-type") === "num"; });
    heads.forEach(function (th) {
      var field = th.getAttribute("data-filter") || numeric[numHeads.indexOf(th)] || null;
      if (!field) return;
      sortButton(th, function () {
        var dir = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
        heads.forEach(function (other) { if (other !== th && other.hasAttribute("aria-sort")) other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", dir);
        var sign = dir === "ascending" ? 1 : -1;
        var keyOf = SORT[field] === "label"
          ? function (i) { return (labels[field][rows[i][F[field]]] || "").toLowerCase(); }
          : function (i) { var v = rows[i][F[field]]; return v === null || v === undefined ? null : v; };
        order = rows.map(function (_, i) { return i; });
        order.sort(function (a, b) { return compareKeys(keyOf(a), keyOf(b), a, b, sign); });
        page = 0;
        apply(false);
      });
    });

    function passes(i, skip, needle) {
      var r = rows[i];
      for (var j = 0; j < filters.length; j++) {
        var f = filters[j];
        if (f === skip || !f.select.value) continue;
        if (r[f.index] !== f.select.value) return false;
      }
      return !needle || texts[i].indexOf(needle) >= 0;
    }

    function cell(tr, cls) {
      var td = document.createElement("td");
      if (cls) td.className = cls;
      tr.appendChild(td);
      return td;
    }

    function anchor(td, href, label, cls) {
      if (!href) { td.textContent = label; return; }
      var a = document.createElement("a");
      a.href = href;
      a.textContent = label;
      if (cls) a.className = cls;
      td.appendChild(a);
    }

    function draw(i) {
      var r = rows[i];
      var tr = document.createElement("tr");
      ["enhancement", "category", "benchmark", "model"].forEach(function (k) { tr.setAttribute("data-" + k, r[F[k]]); });
      tr.setAttribute("data-kind", r[F.kind]);
      heads.forEach(function (th) {
        var k = th.getAttribute("data-filter");
        if (!k) return;
        var td = cell(tr);
        var cls = k === "category" ? "ptedb-cat cat-" + r[F.category] : null;
        anchor(td, (links[k] || {})[r[F[k]]], labels[k][r[F[k]]] || r[F[k]], cls);
      });
      var sc = cell(tr, "num");
      sc.setAttribute("data-sort", String(r[F.delta]));
      sc.textContent = r[F.scores];
      var cg = cell(tr, "num ceg ceg-" + r[F.kind]);
      cg.setAttribute("data-sort", r[F.ceg_sort] === null ? "" : String(r[F.ceg_sort]));
      if (r[F.reason]) cg.title = r[F.reason];
      var main = document.createElement("span");
      main.className = "ceg-main";
      main.textContent = r[F.ceg_text];
      cg.appendChild(main);
      if (r[F.ceg_note]) {
        var note = document.createElement("span");
        note.className = "ceg-note";
        note.textContent = r[F.ceg_note];
        cg.appendChild(document.createTextNode(" "));
        cg.appendChild(note);
      }
      cell(tr, "num").textContent = r[F.cost_text];
      cell(tr, "num").textContent = r[F.mult_text];
      anchor(cell(tr), r[F.href], "details");
      return tr;
    }

    function fromHash() {
      var initial = readHash();
      filters.forEach(function (f) {
        var v = initial[f.attr];
        f.select.value = v && f.labels.hasOwnProperty(v) ? v : "";
      });
      page = 0;
    }

    function apply(updateHash) {
      var needle = text.value.trim().toLowerCase();
      filters.forEach(function (f) {
        var counts = {};
        var total = 0;
        for (var i = 0; i < rows.length; i++) {
          if (!passes(i, f, needle)) continue;
          total += 1;
          var k = rows[i][f.index];
          counts[k] = (counts[k] || 0) + 1;
        }
        f.all.textContent = "all (" + total + ")";
        f.opts.forEach(function (opt) {
          var n = counts[opt.value] || 0;
          opt.textContent = f.labels[opt.value] + " (" + n + ")";
          opt.disabled = n === 0 && opt.value !== f.select.value;
        });
      });
      var matched = order.filter(function (i) { return passes(i, null, needle); });
      var per = parseInt(size.value, 10) || matched.length || 1;
      var pages = Math.max(1, Math.ceil(matched.length / per));
      if (page >= pages) page = pages - 1;
      var first = page * per;
      var frag = document.createDocumentFragment();
      matched.slice(first, first + per).forEach(function (i) { frag.appendChild(draw(i)); });
      while (body.firstChild) body.removeChild(body.firstChild);
      body.appendChild(frag);
      status.textContent = "Showing " + matched.length + " of " + rows.length + " evaluations";
      where.textContent = matched.length
        ? "rows " + (first + 1) + "–" + Math.min(first + per, matched.length) + " of " + matched.length
        : "no evaluation matches these filters: clear one to widen the table";
      prev.disabled = page === 0;
      next.disabled = page >= pages - 1;
      pager.hidden = pages <= 1 && matched.length > 0;
      if (updateHash && window.history && window.history.replaceState) {
        var hash = [];
        filters.forEach(function (f) {
          if (f.select.value) hash.push(encodeURIComponent(f.attr) + "=" + encodeURIComponent(f.select.value));
        });
        var url = window.location.pathname + window.location.search + (hash.length ? "#" + hash.join("&") : "");
        window.history.replaceState(null, "", url);
      }
    }

    filters.forEach(function (f) {
      f.select.addEventListener("change", function () { page = 0; apply(true); });
    });
    text.addEventListener("input", function () { page = 0; apply(false); });
    size.addEventListener("change", function () { page = 0; apply(false); });
    prev.addEventListener("click", function () { page -= 1; apply(false); });
    next.addEventListener("click", function () { page += 1; apply(false); });
    reset.addEventListener("click", function () {
      filters.forEach(function (f) { f.select.value = ""; });
      text.value = "";
      order = rows.map(function (_, i) { return i; });
      heads.forEach(function (th) { if (th.hasAttribute("aria-sort")) th.setAttribute("aria-sort", "none"); });
      page = 0;
      apply(true);
    });
    window.addEventListener("hashchange", function () { fromHash(); apply(false); });
    fromHash();
    apply(false);
  }

  function init() {
    fileSearchNote();
    /* explorers whose rows are data take their table over, sorting included */
    Array.prototype.forEach.call(document.querySelectorAll(".ptedb-filters[data-rows]"), function (box) {
      var data = window[box.getAttribute("data-rows")];
      var table = document.getElementById(box.getAttribute("data-for"));
      if (!data || !table || !table.tHead) return;
      table.removeAttribute("data-sortable");
      setupDataExplorer(box, table, data);
    });
    Array.prototype.forEach.call(document.querySelectorAll("table[data-sortable]"), makeSortable);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
