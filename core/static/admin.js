// The panel's only script (the CSP allows no inline script or handler).
(function () {
  // Print buttons on printouts.
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  // A table wider than a phone scrolls sideways: keyboard users can reach and scroll it too.
  function focusableScrollers() {
    document.querySelectorAll("main table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) { table.tabIndex = 0; } else { table.removeAttribute("tabindex"); }
    });
  }
  focusableScrollers();
  window.addEventListener("resize", focusableScrollers);

  // Live figures on a vote page: refresh every few seconds while the vote is open.
  var live = document.querySelector("[data-live='1']");
  if (!live) { return; }
  function refresh() {
    fetch(live.getAttribute("data-live-url"), {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        live.querySelectorAll("[data-k]").forEach(function (el) {
          var value = data[el.getAttribute("data-k")];
          if (value === undefined) { return; }
          if (el.tagName === "METER") { el.value = value; el.textContent = value + "%"; } else { el.textContent = value; }
        });
      })
      .catch(function () {});
  }
  setInterval(refresh, 3000);
})();
