// Escape puts an inline-edited row back (its hx-trigger is "row-cancel"). Not an htmx trigger
// filter (keydown[key=='Escape']): those are compiled with eval, which the CSP forbids, and
// an unusable filter lets every key through, so Tab would put the row back too.
document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape" || !event.target.closest) return;
  var row = event.target.closest("tr.row-editing");
  if (row) htmx.trigger(row, "row-cancel");
});
