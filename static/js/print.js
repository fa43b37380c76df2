// Print buttons (the pair sheets, the guide); without JavaScript the page says to use the
// browser's Print. Only buttons: data-print="hide" marks what a printout leaves out.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("button[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        window.print();
      });
    });
  });
})();
