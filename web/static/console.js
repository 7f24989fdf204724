// DutyDesk console: live countdowns on <time data-due="RFC 3339">. Pages work without it.
// Countdowns run on the server's clock (body data-now), so a phone with a wrong clock still
// shows the right time left.
(function () {
  var skew = Date.parse(document.body.getAttribute("data-now")) - Date.now() || 0;
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000), h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60);
    return (h > 0 ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
  }
  function tick() {
    var now = Date.now() + skew;
    document.querySelectorAll("time[data-due]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("data-due")) - now;
      el.textContent = left >= 0 ? "剩余 " + span(left) : "已超时 " + span(left);
      var row = el.closest("[data-countdown]") || el;
      row.classList.toggle("overdue", left < 0);
      row.classList.toggle("due-soon", left >= 0 && left < 10 * 60 * 1000);
    });
  }
  tick();
  setInterval(tick, 1000);

  // After a refused form, keyboard and screen-reader users start at the list of problems.
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();

  // The alert form shows the default instructions for the chosen type and level.
  var form = document.querySelector("form[data-preview]");
  if (form) {
    var type = form.querySelector("[name=type]"), level = form.querySelector("[name=level]");
    var out = document.getElementById("preview"), instr = form.querySelector("[name=instructions]");
    var update = function () {
      if (!type.value || !level.value) return;
      fetch(form.getAttribute("data-preview") + "?type=" + encodeURIComponent(type.value) + "&level=" + encodeURIComponent(level.value))
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) { if (p) { out.textContent = p.title + "：" + p.instructions; if (instr) instr.placeholder = p.instructions; } });
    };
    type.addEventListener("change", update);
    level.addEventListener("change", update);
    update();
  }
})();
