// /reports: the period selector shows the fields it needs, and three Chart.js charts drawn
// from the numbers the server put in #chart-data (the same rows as the tables below them).
(function () {
  "use strict";
  const form = document.getElementById("report-filters");
  const period = document.getElementById("period");
  const showFields = () => { form.dataset.period = period.value; };
  period.addEventListener("change", showFields);
  showFields();

  const data = JSON.parse(document.getElementById("chart-data").textContent);
  const css = getComputedStyle(document.documentElement);
  const colour = (name) => css.getPropertyValue(name).trim();
  const brand = colour("--brand"), ok = colour("--ok-line");
  const options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { display: false } },
    scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
  };
  const bar = (id, labels, datasets, legend) => {
    const canvas = document.getElementById(id);
    const chart = new Chart(canvas, {
      type: "bar",
      data: { labels, datasets },
      options: { ...options, plugins: { legend: { display: legend } } },
    });
    canvas.dataset.ready = "1";
    return chart;
  };
  const issued = data.labels.issued, served = data.labels.served;
  bar("chart-hour", data.hour.map((r) => String(r[0]).padStart(2, "0") + "h"),
      [{ label: issued, data: data.hour.map((r) => r[1]), backgroundColor: brand }], false);
  bar("chart-day", data.day.map((r) => r[0].slice(5)), [
    { label: issued, data: data.day.map((r) => r[1]), backgroundColor: brand },
    { label: served, data: data.day.map((r) => r[2]), backgroundColor: ok },
  ], true);
  bar("chart-service", data.service.map((r) => r[0]), [
    { label: issued, data: data.service.map((r) => r[1]), backgroundColor: brand },
    { label: served, data: data.service.map((r) => r[2]), backgroundColor: ok },
  ], true);
})();
