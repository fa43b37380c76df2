// "My session" follows the room's shared timer: a stream of server-sent events
// (data-stream-url), else htmx polls it (data-hx-get, every 2 s; 304 while nothing
// changed); this file counts down on the device from the moment the turn ends. Without
// this file the card shows the time when the page was loaded.
(function () {
  "use strict";

  function format(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    var minutes = Math.floor(s / 60);
    var rest = s % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function Card(root) {
    this.root = root;
    this.turns = Array.prototype.slice.call(root.querySelectorAll("[data-live-turn]"));
    this.offset = (parseInt(root.getAttribute("data-server-now"), 10) || Date.now()) - Date.now();
    this.version = parseInt(root.getAttribute("data-version"), 10) || 0;
    this.hasGroup = root.getAttribute("data-has-group") === "1";
    this.pairs = parseInt(root.getAttribute("data-pairs"), 10) || 0;
    this.handle = null;
    this.state = null;
  }

  Card.prototype.apply = function (state) {
    if (!state) return;
    var changed = state.version !== this.version;
    this.version = state.version;
    if ((changed && !this.hasGroup) || (state.pairs !== undefined && state.pairs !== this.pairs)) {
      // Pairs were made (or made again) since the page was loaded: show the new ones.
      window.location.reload();
      return;
    }
    this.state = state;
    if (!this.turns.length) return;
    var index = Math.max(0, Math.min(state.turn, this.turns.length - 1));
    this.turns.forEach(function (turn, i) {
      turn.hidden = i !== index;
    });
    var announcer = this.root.querySelector("[data-live-announce]");
    if (announcer && this.current && this.current !== this.turns[index]) {
      // A new turn: say whose it is (the step and who explains).
      var step = this.turns[index].querySelector(".my-session__step");
      var who = this.turns[index].querySelector(".my-session__who");
      announcer.textContent = (step ? step.textContent + ". " : "") + (who ? who.textContent : "");
    }
    this.current = this.turns[index];
    if (this.handle) window.clearInterval(this.handle);
    this.handle = null;
    if (state.running && state.ends_at !== null) {
      var self = this;
      this.handle = window.setInterval(function () {
        self.render();
      }, 500);
    }
    this.render();
  };

  Card.prototype.render = function () {
    var state = this.state;
    var turn = this.current;
    if (!state || !turn) return;
    var full = parseInt(turn.getAttribute("data-seconds"), 10) || 0;
    var left;
    var status;
    if (state.running && state.ends_at !== null) {
      left = Math.min(full, (state.ends_at - this.offset - Date.now()) / 1000);
      status = left > 0 ? "left" : "· time! Swap.";
      if (left <= 0 && this.handle) {
        window.clearInterval(this.handle);
        this.handle = null;
      }
    } else if (state.remaining_ms !== null && state.remaining_ms !== undefined) {
      left = state.remaining_ms / 1000;
      status = "left · paused";
    } else {
      left = full;
      status = "· not started";
    }
    turn.querySelector("[data-live-clock]").textContent = format(left);
    turn.querySelector("[data-live-status]").textContent = status;
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-live-card]");
    if (!root) return;
    var card = new Card(root);
    var endsAt = root.getAttribute("data-ends-at");
    var remaining = root.getAttribute("data-remaining-ms");
    card.apply({
      version: card.version,
      pairs: card.pairs,
      turn: parseInt(root.getAttribute("data-turn-index"), 10) || 0,
      running: root.getAttribute("data-running") === "1",
      ends_at: endsAt ? parseInt(endsAt, 10) : null,
      remaining_ms: remaining ? parseInt(remaining, 10) : null,
    });
    var poll = root.querySelector("[data-live-poll]");
    if (poll) {
      poll.addEventListener("htmx:afterRequest", function (event) {
        var xhr = event.detail && event.detail.xhr;
        if (!xhr || xhr.status !== 200) return;
        try {
          card.apply(JSON.parse(xhr.responseText));
        } catch (e) {
          /* not JSON: ignore */
        }
      });
      window.homeroomFollow(root, poll, function (state) {
        card.apply(state);
      });
    }
    window.homeroomCard = card; // for the browser test and the curious
  });
})();
