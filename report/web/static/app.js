// chiso: optional script (the page works without it). The unit and period
// pickers show the new choice at once.
document.addEventListener("DOMContentLoaded", function () {
  var f = document.querySelector("form.picker");
  if (!f) return;
  f.querySelectorAll("select").forEach(function (s) {
    s.addEventListener("change", function () { f.submit(); });
  });
});
// The overview's folded title block is open on a wide screen and in print.
document.addEventListener("DOMContentLoaded", function () {
  var more = document.querySelectorAll("details.title-more");
  if (window.matchMedia("(min-width: 40rem)").matches) more.forEach(function (d) { d.open = true; });
  window.addEventListener("beforeprint", function () { more.forEach(function (d) { d.open = true; }); });
});
