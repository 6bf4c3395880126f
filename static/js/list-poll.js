// A list's own refresh while a sync fills it (#list-poll, every 3 s): skipped while someone
// edits a row inline, has ticked rows or has focus in the filter form, since the refresh
// would replace what they typed or ticked. The next tick tries again.
document.addEventListener("htmx:confirm", function (event) {
  if (event.target.id !== "list-poll") return;
  var focused = document.activeElement;
  var busy =
    document.querySelector("#list-rows .row-editing, #list-rows input[type=checkbox]:checked") ||
    (focused && focused.closest("#list-form"));
  if (busy) event.preventDefault();
});
