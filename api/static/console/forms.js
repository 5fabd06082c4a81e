// Small helpers of the console's forms: "select all" boxes and printing.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  document.querySelectorAll("[data-check-all]").forEach(function (box) {
    box.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + box.getAttribute("data-check-all") + "']").forEach(function (b) {
        b.checked = box.checked;
      });
    });
  });
})();
