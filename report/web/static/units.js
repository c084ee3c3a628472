// chiso: optional sorting of the units table in the browser (the page
// sorts on the server with ?sort=&dir= without it). The first row (the
// unit itself) stays first; units without a value go last.
document.addEventListener("DOMContentLoaded", function () {
  var table = document.getElementById("units-table");
  if (!table) return;
  var body = table.tBodies[0];
  var heads = table.tHead.rows[0].cells;
  Array.prototype.forEach.call(heads, function (th, col) {
    var a = th.querySelector("a.sort");
    if (!a) return;
    a.addEventListener("click", function (ev) {
      ev.preventDefault();
      var dir = th.getAttribute("aria-sort") === "descending" ? "asc" : "desc";
      var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return !r.classList.contains("total"); });
      var val = function (r) {
        var v = r.cells[col].getAttribute("data-value");
        return v === null || v === "" ? null : parseFloat(v);
      };
      rows.sort(function (x, y) {
        var a = val(x), b = val(y);
        if (a === null || b === null) return (a === null) - (b === null);
        return dir === "asc" ? a - b : b - a;
      });
      rows.forEach(function (r) { body.appendChild(r); });
      Array.prototype.forEach.call(heads, function (h) { if (h.hasAttribute("aria-sort")) h.setAttribute("aria-sort", "none"); });
      th.setAttribute("aria-sort", dir === "asc" ? "ascending" : "descending");
      var url = new URL(a.href, location.href);
      url.searchParams.set("dir", dir);
      history.replaceState(null, "", url.pathname + "?" + url.searchParams.toString());
      // The header links now toggle from the new state.
      Array.prototype.forEach.call(heads, function (h) {
        var l = h.querySelector("a.sort");
        if (!l) return;
        var u = new URL(l.href, location.href);
        u.searchParams.set("dir", h === th && dir === "desc" ? "asc" : "desc");
        l.href = u.pathname + "?" + u.searchParams.toString();
      });
    });
  });
});
