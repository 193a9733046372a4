// Draws the plotly figures the server embedded as <script type="application/json"> tags
// (Django's json_script) into their <div data-figure="id"> placeholders. Without
// JavaScript the placeholders stay hidden and the pages' tables carry the same numbers.
(function () {
  "use strict";

  function draw() {
    if (!window.Plotly) {
      return;
    }
    document.querySelectorAll("[data-figure]").forEach(function (placeholder) {
      var source = document.getElementById(placeholder.getAttribute("data-figure"));
      if (!source) {
        return;
      }
      var figure = JSON.parse(source.textContent);
      placeholder.hidden = false;
      window.Plotly.newPlot(placeholder, figure.data, figure.layout, {
        responsive: true,
        displaylogo: false,
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
