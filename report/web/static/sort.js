// chiso: optional sorting of a table in the browser (the units and league
// pages sort on the server with their links without it). A table marked
// data-sortable has headings with a link a.sort (data-dir: the direction
// it gives) and data-first, data-url-asc, data-url-desc (the server's page
// sorted each way); its cells carry data-value (a number, or a key when
// the heading has data-type="text"). The totals row (tr.total) stays
// first, rows without a value go last, ties go by the rows' data-tie (else
// they keep their order), and a column of class stt is renumbered.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("table[data-sortable]").forEach(function (table) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    var sttCol = Array.prototype.findIndex.call(heads, function (h) { return h.classList.contains("stt"); });
    Array.prototype.forEach.call(heads, function (th, col) {
      var a = th.querySelector("a.sort");
      if (!a) return;
      a.addEventListener("click", function (ev) {
        ev.preventDefault();
        var dir = a.getAttribute("data-dir") === "asc" ? "asc" : "desc";
        var text = th.getAttribute("data-type") === "text";
        var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return !r.classList.contains("total"); });
        var val = function (r) {
          var v = r.cells[col].getAttribute("data-value");
          if (v === null || v === "") return null;
          return text ? v : parseFloat(v);
        };
        var tie = function (r) { return r.getAttribute("data-tie") || ""; };
        rows.sort(function (x, y) {
          var p = val(x), q = val(y);
          if (p === null || q === null) {
            if ((p === null) !== (q === null)) return p === null ? 1 : -1;
          } else if (p !== q) {
            var c = p < q ? -1 : 1;
            return dir === "asc" ? c : -c;
          }
          var tx = tie(x), ty = tie(y);
          return tx < ty ? -1 : tx > ty ? 1 : 0;
        });
        rows.forEach(function (r, i) {
          body.appendChild(r);
          if (sttCol >= 0) r.cells[sttCol].textContent = String(i + 1);
        });
        history.replaceState(null, "", a.getAttribute("href"));
        // Every heading now links to the next state from this one.
        Array.prototype.forEach.call(heads, function (h) {
          var l = h.querySelector("a.sort");
          if (!l) return;
          var next = h.getAttribute("data-first");
          if (h === th) {
            h.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
            next = dir === "asc" ? "desc" : "asc";
          } else {
            h.setAttribute("aria-sort", "none");
          }
          l.setAttribute("data-dir", next);
          l.setAttribute("href", h.getAttribute("data-url-" + next));
        });
      });
    });
  });
});
