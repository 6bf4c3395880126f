// PSA Portal consoles: "Copy JSON" buttons (data-copy-target). Without JavaScript the
// buttons stay hidden; the text and the download link still work.
(function () {
  function wire(root) {
    root.querySelectorAll("[data-copy-target]").forEach(function (button) {
      if (button.dataset.copyWired || !navigator.clipboard) return;
      button.dataset.copyWired = "1";
      button.hidden = false;
      button.addEventListener("click", function () {
        var source = document.querySelector(button.dataset.copyTarget);
        var status = button.parentElement.querySelector(".copy-status");
        if (!source) return;
        navigator.clipboard.writeText(source.textContent).then(
          function () { if (status) status.textContent = "Copied."; },
          function () { if (status) status.textContent = "Could not copy; select the text instead."; }
        );
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { wire(event.target); });
})();
