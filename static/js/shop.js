// Small behaviours of the storefront; everything works without them except live updates.
(function () {
  "use strict";
  // htmx would insert its indicator styles as an inline <style>, which the shop's
  // Content-Security-Policy refuses (the shop uses no indicators). Runs before htmx starts.
  if (window.htmx) window.htmx.config.includeIndicatorStyles = false;
  // Print buttons (a bill's receipt): <button data-print>.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-print]")) window.print();
  });
  // Copy buttons: <button data-copy="text">.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = button.getAttribute("data-copied") || "Copied";
      setTimeout(function () { button.textContent = label; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else {
      var area = document.createElement("textarea");
      area.value = text;
      document.body.appendChild(area);
      area.select();
      document.execCommand("copy");
      area.remove();
      done();
    }
  });
  // Checkout: the amount field shows, with the chosen flexible item's range and step
  // (min/max/step checked by the browser), only while such an item is chosen.
  var syncAmount = function (form) {
    var box = form.querySelector("[data-amount-field]");
    if (!box) return;
    var input = box.querySelector("input");
    var chosen = form.querySelector("input[name=item]:checked");
    var flexible = chosen && chosen.hasAttribute("data-flexible");
    box.hidden = !flexible;
    input.required = !!flexible;
    input.disabled = !flexible;
    if (flexible) {
      input.min = chosen.getAttribute("data-min");
      input.max = chosen.getAttribute("data-max");
      input.step = chosen.getAttribute("data-step");
    }
  };
  document.addEventListener("change", function (event) {
    if (event.target.matches("form.checkout input[name=item]")) syncAmount(event.target.form);
  });
  document.querySelectorAll("form.checkout").forEach(syncAmount);
  // Flash sales: <time datetime="…" data-countdown> counts down to its end each second
  // (the server's "3 hours, 5 minutes" stays without JavaScript); `data-ended` at zero.
  var countdowns = document.querySelectorAll("time[data-countdown]");
  var pad = function (n) { return (n < 10 ? "0" : "") + n; };
  var tick = function () {
    countdowns.forEach(function (element) {
      var left = Math.floor((Date.parse(element.getAttribute("datetime")) - Date.now()) / 1000);
      if (isNaN(left)) return;
      if (left <= 0) {
        element.textContent = element.getAttribute("data-ended") || "0:00:00";
        return;
      }
      var days = Math.floor(left / 86400);
      var clock = Math.floor((left % 86400) / 3600) + ":" + pad(Math.floor((left % 3600) / 60)) +
        ":" + pad(left % 60);
      element.textContent = (days ? days + "d " : "") + clock;
    });
  };
  if (countdowns.length) {
    tick();
    setInterval(tick, 1000);
  }
  // A form marked data-submit-once is sent once: a "Buy" clicked again while the first
  // request is on its way would otherwise make a second order. The browser's own field
  // checks run before "submit", so a form they stop can still be corrected and sent.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-submit-once]")) return;
    if (form.hasAttribute("data-submitted")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitted", "");
  });
  // The browser's own checks stop a form at every bad field but point at the first only:
  // each field it finds bad gets its message written beside it, so a buyer sees every
  // mistake at once (the server does the same when the checks are bypassed). A field that
  // becomes valid loses its message.
  document.addEventListener("invalid", function (event) {
    var field = event.target;
    var box = field.closest && field.closest(".field");
    if (!box) return;
    var note = box.querySelector("[data-browser-check]");
    if (!note) {
      note = document.createElement("span");
      note.className = "error";
      note.setAttribute("role", "alert");
      note.setAttribute("data-browser-check", "");
      box.appendChild(note);
    }
    note.textContent = field.validationMessage;
    box.classList.add("has-errors");
  }, true);
  document.addEventListener("input", function (event) {
    var field = event.target;
    var box = field.closest && field.closest(".field");
    var note = box && box.querySelector("[data-browser-check]");
    if (!note || !field.validity.valid) return;
    note.remove();
    if (!box.querySelector(".error")) box.classList.remove("has-errors");
  });
  // Back on the page (back button, back-forward cache): the form may be sent again.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-submitted]").forEach(function (form) {
      form.removeAttribute("data-submitted");
    });
  });
  // The language menu applies on change.
  document.addEventListener("change", function (event) {
    if (event.target.matches("form.language select")) event.target.form.submit();
  });
})();
