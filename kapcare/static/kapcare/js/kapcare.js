// kapcare's only script: small behaviours that CSP forbids inline. No framework, no globals.
(function () {
  "use strict";

  // A select marked data-autosubmit submits its form when changed (clinic switcher).
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) event.target.form.submit();
  });

  // A button marked data-print prints the page (recovery codes).
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });

  // Idle sign-out warning. The server enforces the timeout; this only warns before it happens.
  var body = document.body;
  var timeout = parseInt(body.dataset.idleTimeout || "0", 10);
  if (!timeout) return;
  var warnAt = parseInt(body.dataset.idleWarning || "120", 10);
  var banner = document.getElementById("kc-idle-warning");
  var countdown = banner.querySelector("[data-idle-countdown]");
  var stay = banner.querySelector("[data-idle-stay]");
  var csrf = (document.querySelector("[name=csrfmiddlewaretoken]") || {}).value ||
    JSON.parse(body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  var deadline, timer;
  // Sent by polls (hx-headers) and by this script's own status checks: not activity.
  var BACKGROUND_HEADER = "X-Kapcare-Background";

  function restart() {
    deadline = Date.now() + timeout * 1000;
    banner.hidden = true;
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    var untilWarning = deadline - Date.now() - warnAt * 1000;
    timer = setTimeout(check, Math.max(untilWarning, 1000));
  }

  function check() {
    // Another tab may have kept the session alive: ask the server (this does not count as activity).
    var headers = {};
    headers[BACKGROUND_HEADER] = "status";
    fetch(body.dataset.sessionStatusUrl, { credentials: "same-origin", headers: headers })
      .then(function (r) { return r.json(); })
      .then(function (status) {
        // Only the server ends the session: its countdown is rounded down, so "0 left" can come
        // a moment before it has actually signed the user out.
        if (!status.authenticated) return signedOut();
        deadline = Date.now() + status.remaining * 1000;
        if (status.remaining > warnAt) { banner.hidden = true; return schedule(); }
        warn();
      })
      .catch(function () { warn(); });
  }

  function warn() {
    var wasHidden = banner.hidden;
    banner.hidden = false;
    if (wasHidden) stay.focus();
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    countdown.textContent = "Signing out in " + Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0") + ".";
    clearTimeout(timer);
    // Tick every second; every 15 s ask the server whether another tab kept the session alive,
    // and once time is up ask every second until the server has signed the session out.
    timer = setTimeout(left <= 0 || left % 15 === 0 ? check : warn, 1000);
  }

  function signedOut() {
    window.location.assign(body.dataset.loginUrl + "?next=" + encodeURIComponent(window.location.pathname));
  }

  stay.addEventListener("click", function () {
    fetch(body.dataset.sessionKeepaliveUrl, {
      method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf }
    }).then(function (r) {
      if (r.ok) restart(); else signedOut();
    });
  });

  // A request the person made (a form, a button) kept the session alive on the server too;
  // a request the page makes by itself (a poll, marked with the background header) did not.
  document.body.addEventListener("htmx:afterRequest", function (event) {
    var headers = (event.detail.requestConfig || {}).headers || {};
    if (!headers[BACKGROUND_HEADER]) restart();
  });
  restart();
})();

// A button marked data-copy="#id" copies that field's text (single-use links) and says so in
// the live region it is described by. Without clipboard access it selects the text instead.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var field = document.querySelector(button.dataset.copy);
    if (!field) return;
    var status = document.getElementById(button.getAttribute("aria-describedby") || "");
    var say = function (text) { if (status) status.textContent = text; };
    field.select();
    if (!navigator.clipboard) return say("Press Ctrl+C (or ⌘C) to copy.");
    navigator.clipboard.writeText(field.value).then(
      function () { say(button.dataset.copiedText || "Copied."); },
      function () { say("Press Ctrl+C (or ⌘C) to copy."); }
    );
  });
})();

// Dosing at the chair: a clock since the dose started ([data-clock-since], stopping at
// [data-clock-until] when given) and prompts that turn overdue when their time passes
// ([data-due-at]). One timer reads the page each second, so parts htmx swaps in just work.
(function () {
  "use strict";
  function pad(n) { return String(n).padStart(2, "0"); }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-clock-since]").forEach(function (el) {
      var end = el.dataset.clockUntil ? Date.parse(el.dataset.clockUntil) : now;
      var s = Math.max(0, Math.floor((end - Date.parse(el.dataset.clockSince)) / 1000));
      el.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    });
    document.querySelectorAll("[data-due-at]").forEach(function (el) {
      var overdue = now > Date.parse(el.dataset.dueAt);
      if (overdue && !el.classList.contains("kc-prompt-overdue")) {
        el.classList.add("kc-prompt-overdue");
        var label = el.querySelector(".kc-overdue-label");
        if (label) label.textContent = " · overdue";
      }
    });
  }
  if (document.querySelector("[data-clock-since], [data-due-at], #kc-live-panel")) {
    tick();
    setInterval(tick, 1000);
  }
})();
