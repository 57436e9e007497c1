// Piaojue: the little script the pages need. Served from 'self' (the CSP allows
// no inline script). Everything works without it; it only adds the live 赞成
// counter that refuses a K+1-th mark, and the print button.
(function () {
  "use strict";
  var form = document.getElementById("ballot-form");
  var counter = document.getElementById("counter");
  if (form && counter) {
    var limit = parseInt(counter.getAttribute("data-limit"), 10);
    var count = document.getElementById("count");
    var warning = document.getElementById("limit-error");
    var forCount = function () {
      return form.querySelectorAll("input[data-for]:checked").length;
    };
    var previous = {};
    form.querySelectorAll("input[type=radio]:checked").forEach(function (input) {
      previous[input.name] = input.value;
    });
    form.addEventListener("change", function (event) {
      var input = event.target;
      if (input.type !== "radio") { return; }
      if (input.hasAttribute("data-for") && forCount() > limit) {
        var back = form.querySelector("input[name='" + input.name + "'][value='" +
                                      (previous[input.name] || "abstain") + "']");
        if (back) { back.checked = true; } else { input.checked = false; }
        warning.hidden = false;
        warning.focus && warning.focus();
      } else {
        previous[input.name] = input.value;
        warning.hidden = true;
      }
      count.textContent = String(forCount());
      counter.classList.toggle("full", forCount() >= limit);
    });
  }
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
