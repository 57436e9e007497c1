// The check-in page at the speed of a queue (admin/web/checkin.py): marks answer in place,
// the search filters as one types, and the page polls the round's check-in state so two
// clerks see each other's marks. Every row and the counter are rendered by the server;
// this script only swaps them in. Without it, the forms post and the page reloads.
(function () {
  "use strict";
  var root = document.getElementById("checkin");
  if (!root || !window.fetch) return;
  var tbody = document.querySelector("#deputies tbody");
  var counter = document.getElementById("quorum");
  var error = document.getElementById("checkin-error");
  var done = document.getElementById("checkin-done");
  var search = document.getElementById("q");
  var shown = document.getElementById("q-count");
  var undoOpen = !document.querySelector("form[data-undo][hidden]");

  function parseRow(html) {
    var table = new DOMParser().parseFromString("<table><tbody>" + html + "</tbody></table>",
                                                "text/html");
    return table.querySelector("tr");
  }

  function setCounter(html) {
    var parsed = new DOMParser().parseFromString("<p>" + html + "</p>", "text/html");
    counter.replaceChildren.apply(counter, Array.from(parsed.body.firstChild.childNodes));
  }

  function putRow(seat, html, focus) {
    var old = document.getElementById("deputy-" + seat);
    var row = parseRow(html);
    if (!old || !row) return;
    row.hidden = old.hidden;
    old.replaceWith(row); // rendered now, its undo button as the round stands now
    if (focus) {
      var button = row.querySelector("form:not([hidden]) button");
      (button || row.cells[1]).focus({ preventScroll: true });
    }
  }

  function showUndo(open) {
    undoOpen = open;
    document.querySelectorAll("form[data-undo]").forEach(function (form) { form.hidden = !open; });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-checkin]")) return;
    event.preventDefault();
    var button = form.querySelector("button");
    if (button) button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                         headers: { Accept: "application/json" } })
      .then(function (answer) { return answer.json(); })
      .then(function (doc) {
        error.hidden = doc.ok;
        error.textContent = doc.ok ? "" : doc.message;
        done.hidden = !doc.ok;
        done.textContent = doc.ok ? doc.message : "";
        if (doc.counter) setCounter(doc.counter);
        if (doc.row) putRow(doc.seat, doc.row, true);
        if (doc.undo !== undoOpen) showUndo(doc.undo);
      })
      .catch(function () { form.submit(); }) // the plain post still works
      .then(function () { if (button && button.isConnected) button.disabled = false; });
  });

  function filter() {
    var words = search.value.trim().toLowerCase();
    var count = 0;
    Array.from(tbody.rows).forEach(function (row) {
      var match = !words || row.dataset.search.toLowerCase().indexOf(words) >= 0;
      row.hidden = !match;
      if (match) count += 1;
    });
    shown.textContent = words ? root.dataset.shown.replace("{n}", String(count)) : "";
  }
  search.addEventListener("input", filter);
  document.getElementById("checkin-search").addEventListener("submit", function (event) {
    event.preventDefault();
    filter();
  });
  if (search.value) filter();

  function poll() {
    fetch(root.dataset.stateUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (doc) {
        if (!doc) return;
        setCounter(doc.counter);
        if (doc.undo !== undoOpen) showUndo(doc.undo);
        Object.keys(doc.rows).forEach(function (seat) {
          var row = document.getElementById("deputy-" + seat);
          if (row && row.dataset.state !== doc.rows[seat]) {
            fetch(root.dataset.rowUrl + encodeURIComponent(seat),
                  { credentials: "same-origin" })
              .then(function (answer) { return answer.ok ? answer.text() : null; })
              .then(function (html) { if (html) putRow(seat, html, false); });
          }
        });
      })
      .catch(function () { /* the next poll tries again */ })
      .then(function () { setTimeout(poll, 4000); });
  }
  setTimeout(poll, 4000);
})();
