// Following the room's shared timer (My session's card, open timer pages): used by
// live.js and timer.js, loaded before them.
(function () {
  "use strict";

  // Server-sent events where the browser has them: the server writes when the timer
  // changes. While the stream is open (or reconnecting) the poll asks nothing; when the
  // server refuses it (204: the page polls; 404) or it fails for good, the poll follows.
  window.homeroomFollow = function (root, poll, apply) {
    var url = poll.getAttribute("data-stream-url");
    if (!url || !window.EventSource) {
      root.setAttribute("data-following", "poll");
      return;
    }
    var source = new window.EventSource(url);
    poll.addEventListener("htmx:beforeRequest", function (event) {
      if (source.readyState !== window.EventSource.CLOSED) event.preventDefault();
    });
    source.addEventListener("open", function () {
      root.setAttribute("data-following", "stream");
    });
    source.addEventListener("message", function (message) {
      try {
        apply(JSON.parse(message.data));
      } catch (e) {
        /* not JSON: ignore */
      }
    });
    source.addEventListener("error", function () {
      if (source.readyState === window.EventSource.CLOSED) root.setAttribute("data-following", "poll");
    });
  };
})();
