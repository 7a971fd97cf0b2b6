/* Copy buttons (progressive enhancement). Without JavaScript the text stays selectable and
   the button stays hidden; with it, each button[data-copy] appears and copies the text of
   the element whose id it names, and its status element says so (a polite live region). */
(function () {
  "use strict";

  function fallbackCopy(source) {
    source.focus();
    source.select();
    return document.execCommand("copy");
  }

  function copy(source) {
    var text = source.value !== undefined ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).then(
        function () { return true; },
        function () { return fallbackCopy(source); }
      );
    }
    return Promise.resolve(fallbackCopy(source));
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy-status"));
    if (!source) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(source).then(function (done) {
        if (status) {
          status.textContent = button.getAttribute(done ? "data-copied" : "data-not-copied");
        }
      });
    });
  });
})();
