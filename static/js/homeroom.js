// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Say so when the viewer's device clock is on another time zone than the cohort's.
  function timeZoneNote() {
    var viewer;
    try {
      viewer = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    document.querySelectorAll("[data-cohort-tz]").forEach(function (note) {
      var cohortZone = note.getAttribute("data-cohort-tz");
      var extra = note.querySelector(".tz-note__viewer");
      if (!viewer || !extra || viewer === cohortZone) return;
      extra.textContent = " Your device is set to " + viewer.replace(/_/g, " ") + ".";
      extra.hidden = false;
      note.classList.add("tz-note--differs");
    });
  }

  // Ask before destructive buttons marked data-confirm="question?" submit their form.
  // Without JavaScript the button simply submits; the server still checks everything.
  function confirmBeforeSubmit(event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  }

  document.addEventListener("DOMContentLoaded", timeZoneNote);
  document.addEventListener("click", confirmBeforeSubmit);
})();
