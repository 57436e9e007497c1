// Piaojue: the little script every page gets. Served from 'self' (the CSP allows
// no inline script). Everything works without it; it adds the print button, and
// opens a receipt link (/verify#receipt=…): the receipt travels in the fragment,
// which the browser never sends, and is posted from here, so it reaches no URL
// an access log or a proxy records. It keeps the hall screen and the turnout page up
// to date (their [data-live] answer), without reloading: the counts sit in polite live
// regions, and a round published while the hall screen shows it brings its result
// panel in. The booth's own script is booth/booth.js.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
  var form = document.querySelector("form[data-receipt-form]");
  var match = /(?:^#|&)receipt=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (form && match) {
    form.querySelector("textarea[name=receipt]").value = match[1];
    history.replaceState(null, "", location.pathname);
    form.submit();
  }
  var live = document.querySelector("[data-live]");
  if (live && window.fetch) {
    var every = 1000 * (Number(live.dataset.liveEvery) || 10);
    var show = function (selector, value) {
      document.querySelectorAll(selector).forEach(function (node) {
        if (node.textContent !== String(value)) node.textContent = String(value);
      });
    };
    var bringResults = function () {
      return fetch(live.dataset.liveResults, { cache: "no-store" })
        .then(function (answer) { return answer.ok ? answer.text() : ""; })
        .then(function (html) {
          var panel = document.getElementById("hall-results");
          var parsed = new DOMParser().parseFromString(html, "text/html");
          if (panel) panel.replaceChildren.apply(panel, Array.from(parsed.body.childNodes));
        });
    };
    var poll = function () {
      fetch(live.dataset.live, { cache: "no-store", headers: { Accept: "application/json" } })
        .then(function (answer) { return answer.ok ? answer.json() : null; })
        .then(function (now) {
          if (!now) return null;
          show("[data-live-issued]", now.issued);
          show("[data-live-cast]", now.cast);
          show("[data-live-state]", now.state_label);
          if (live.dataset.liveResults && now.state !== live.dataset.state) {
            live.dataset.state = now.state;
            return bringResults();
          }
          return null;
        })
        .catch(function () { /* the next poll tries again */ })
        .then(function () { setTimeout(poll, every); });
    };
    setTimeout(poll, every);
  }
})();
