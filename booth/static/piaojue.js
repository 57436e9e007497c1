// Piaojue: the little script every page gets. Served from 'self' (the CSP allows
// no inline script). Everything works without it; it only adds the print button.
// The booth's own script is booth/booth.js.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
