// chiso: optional script (the page works without it). The unit and period
// pickers show the new choice at once.
document.addEventListener("DOMContentLoaded", function () {
  var f = document.querySelector("form.picker");
  if (!f) return;
  f.querySelectorAll("select").forEach(function (s) {
    s.addEventListener("change", function () { f.submit(); });
  });
});
