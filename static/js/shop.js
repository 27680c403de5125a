// Small behaviours of the storefront; everything works without them except live updates.
(function () {
  "use strict";
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
  // Checkout: the amount field shows, with the chosen flexible product's range and step
  // (min/max/step checked by the browser), only while such a product is chosen.
  var syncAmount = function (form) {
    var box = form.querySelector("[data-amount-field]");
    if (!box) return;
    var input = box.querySelector("input");
    var chosen = form.querySelector("input[name=product]:checked");
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
    if (event.target.matches("form.checkout input[name=product]")) syncAmount(event.target.form);
  });
  document.querySelectorAll("form.checkout").forEach(syncAmount);
  // The language menu applies on change.
  document.addEventListener("change", function (event) {
    if (event.target.matches("form.language select")) event.target.form.submit();
  });
})();
