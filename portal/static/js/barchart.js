/* A small horizontal bar chart in SVG, drawn from the JSON the page serves (no library, no CDN, no inline script).
 *
 *   <div class="barchart" data-src="/reviewer/dashboard.json" data-chart="age"></div>
 *
 * The JSON holds {"charts": {"age": {"labels": [...], "values": [...], "classes": ["", "soon", "overdue", ...]}}}.
 * Each bar is a <rect class="bar" data-label="…" data-value="N">; the figures are also in the page's table. */
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function el(name, attrs, text) {
    var node = document.createElementNS(SVG, name);
    Object.keys(attrs).forEach(function (key) { node.setAttribute(key, attrs[key]); });
    if (text !== undefined) { node.textContent = text; }
    return node;
  }

  function draw(container, chart) {
    var labels = chart.labels || [], values = chart.values || [], classes = chart.classes || [];
    var width = Math.max(container.clientWidth || 560, 300);
    var row = 26, top = 6, labelWidth = Math.min(190, Math.round(width * 0.38)), valueWidth = 48;
    var height = top * 2 + row * labels.length;
    var max = Math.max.apply(null, values.concat([1]));
    var room = width - labelWidth - valueWidth - 8;
    var svg = el("svg", {viewBox: "0 0 " + width + " " + height, width: width, height: height,
                         "aria-hidden": "true", focusable: "false"});
    svg.appendChild(el("line", {"class": "axis", x1: labelWidth, y1: top, x2: labelWidth, y2: height - top}));
    labels.forEach(function (label, i) {
      var y = top + i * row, value = values[i] || 0;
      var w = value > 0 ? Math.max(2, Math.round(room * value / max)) : 0;
      var text = label.length > 14 ? label.slice(0, 13) + "…" : label;
      svg.appendChild(el("text", {"class": "label", x: labelWidth - 6, y: y + row / 2 + 4, "text-anchor": "end"}, text));
      var bar = el("rect", {"class": "bar " + (classes[i] || ""), x: labelWidth + 1, y: y + 4, width: w,
                            height: row - 8, rx: 2, "data-label": label, "data-value": value});
      bar.appendChild(el("title", {}, label + ": " + value));
      svg.appendChild(bar);
      svg.appendChild(el("text", {"class": "value", x: labelWidth + 6 + w, y: y + row / 2 + 4}, String(value)));
    });
    container.textContent = "";
    container.appendChild(svg);
    container.setAttribute("data-drawn", "true");
  }

  function load() {
    var charts = document.querySelectorAll(".barchart[data-src]");
    var sources = {};
    Array.prototype.forEach.call(charts, function (container) {
      var src = container.getAttribute("data-src");
      sources[src] = sources[src] || fetch(src, {credentials: "same-origin", headers: {Accept: "application/json"}})
        .then(function (response) { if (!response.ok) { throw new Error(response.status); } return response.json(); });
      sources[src].then(function (data) {
        var chart = data.charts && data.charts[container.getAttribute("data-chart")];
        if (chart) { drawn.push([container, chart]); draw(container, chart); }
      }).catch(function () { container.setAttribute("data-drawn", "error"); });
    });
  }

  /* drawn again at the new width (a phone turned, a window resized), so the labels keep their size */
  var drawn = [], pending = null, lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) { return; }
    lastWidth = window.innerWidth;
    clearTimeout(pending);
    pending = setTimeout(function () {
      drawn.forEach(function (pair) { draw(pair[0], pair[1]); });
    }, 150);
  });

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", load); } else { load(); }
}());
