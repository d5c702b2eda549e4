/* medfr leaderboard: sorting and filtering of the server-rendered table.
 * Vanilla JS, no dependency, works from file://. It only reorders and hides rows and
 * columns that the page already holds; it never builds HTML from data, so nothing
 * taken from result files can turn into markup here. */
(function () {
  "use strict";
  var table = document.getElementById("board");
  var dataEl = document.getElementById("board-data");
  if (!table || !dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var tbody = table.tBodies[0];
  var rows = Array.prototype.slice.call(tbody.rows);
  if (data.models.length !== rows.length) {
    console.error("medfr board: " + data.models.length + " models in data, " + rows.length + " rows");
  }
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var current = { col: "rank", dir: 1 };

  function cellValue(row, col, type) {
    var cell = row.querySelector('td[data-col="' + col + '"]');
    var raw = cell ? cell.getAttribute("data-value") : "";
    if (raw === "" || raw === null) { return null; }
    return type === "num" ? parseFloat(raw) : raw.toLocaleLowerCase();
  }

  function sortBy(th) {
    var col = th.getAttribute("data-col");
    var type = th.getAttribute("data-type");
    var dir;
    if (current.col === col) { dir = -current.dir; }
    else { dir = (type === "num" && col !== "rank") ? -1 : 1; }  /* scores: best first */
    current = { col: col, dir: dir };
    var keyed = rows.map(function (row, i) {
      return { row: row, v: cellValue(row, col, type), i: i };
    });
    keyed.sort(function (a, b) {
      if (a.v === null && b.v === null) { return a.i - b.i; }
      if (a.v === null) { return 1; }   /* missing scores always last */
      if (b.v === null) { return -1; }
      if (a.v < b.v) { return -dir; }
      if (a.v > b.v) { return dir; }
      return a.i - b.i;
    });
    keyed.forEach(function (k) { tbody.appendChild(k.row); });
    headers.forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
  }

  headers.forEach(function (th) {
    var button = th.querySelector("button");
    if (button) { button.addEventListener("click", function () { sortBy(th); }); }
  });

  var familySelect = document.getElementById("family-filter");
  var strategyBoxes = Array.prototype.slice.call(document.querySelectorAll(".strategy-filter"));
  var counter = document.getElementById("row-count");

  function applyFilters() {
    var fam = familySelect ? familySelect.value : "all";
    Array.prototype.forEach.call(table.querySelectorAll("[data-family]"), function (el) {
      el.hidden = fam !== "all" && el.getAttribute("data-family") !== fam;
    });
    var allowed = {};
    strategyBoxes.forEach(function (box) { allowed[box.value] = box.checked; });
    var shown = 0;
    rows.forEach(function (row) {
      row.hidden = !allowed[row.getAttribute("data-strategy")];
      if (!row.hidden) { shown += 1; }
    });
    if (counter) { counter.textContent = shown + (shown === 1 ? " model" : " models"); }
  }

  if (familySelect) { familySelect.addEventListener("change", applyFilters); }
  strategyBoxes.forEach(function (box) { box.addEventListener("change", applyFilters); });
  applyFilters();
}());
