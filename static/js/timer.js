// The room timer: one turn at a time, "A explains to B — 4:59", start/pause/next from the
// keyboard. The state is the room's shared timer on the server: actions are posted, and a
// stream of server-sent events (else a poll: htmx, every 2 s, 304 while unchanged)
// follows changes made elsewhere. Without this file the page lists every turn and its
// buttons are forms.
(function () {
  "use strict";

  function format(seconds) {
    var s = Math.max(0, Math.ceil(seconds));
    var minutes = Math.floor(s / 60);
    var rest = s % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function beep() {
    // A short tone when a turn ends; silently skipped where audio is unavailable.
    try {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      var context = new Context();
      var oscillator = context.createOscillator();
      var gain = context.createGain();
      oscillator.frequency.value = 880;
      gain.gain.value = 0.15;
      oscillator.connect(gain);
      gain.connect(context.destination);
      oscillator.start();
      oscillator.stop(context.currentTime + 0.6);
      oscillator.onended = function () {
        context.close();
      };
    } catch (e) {
      /* no sound, no harm */
    }
  }

  function Timer(root) {
    this.root = root;
    this.turns = Array.prototype.slice.call(root.querySelectorAll("[data-turn]"));
    this.toggleButton = root.querySelector('[data-action="toggle"]');
    this.announcer = root.querySelector("[data-announce]");
    this.form = root.querySelector("form[data-controls]");
    // The server's clock minus this device's: turns end at the same moment everywhere.
    this.offset = (parseInt(root.getAttribute("data-server-now"), 10) || Date.now()) - Date.now();
    this.version = -1;
    this.index = 0;
    this.remaining = 0;
    this.running = false;
    this.endsAt = 0;
    this.tickHandle = null;
  }

  Timer.prototype.current = function () {
    return this.turns[this.index];
  };

  Timer.prototype.announce = function (text) {
    if (this.announcer) this.announcer.textContent = text;
  };

  Timer.prototype.describe = function () {
    var turn = this.current();
    return (
      "Turn " + (this.index + 1) + " of " + this.turns.length + ": " +
      turn.getAttribute("data-explainer") + " explains to " + turn.getAttribute("data-listener")
    );
  };

  Timer.prototype.fullSeconds = function () {
    return parseInt(this.current().getAttribute("data-seconds"), 10) || 0;
  };

  Timer.prototype.showTurn = function (index) {
    this.index = Math.max(0, Math.min(index, this.turns.length - 1));
    this.turns.forEach(function (turn, i) {
      turn.classList.toggle("timer__turn--current", i === this.index);
      turn.hidden = i !== this.index;
    }, this);
    this.current().querySelector("[data-done]").hidden = true;
    this.root.classList.remove("timer--done");
  };

  // The shared state, from the page, the poll or an action's answer.
  Timer.prototype.apply = function (state) {
    if (!state || state.version === this.version) return;
    if (this.pairs !== undefined && state.pairs !== undefined && state.pairs !== this.pairs) {
      // New pairs (a trio may add a turn): the page lists the room's turns again.
      window.location.reload();
      return;
    }
    if (state.pairs !== undefined) this.pairs = state.pairs;
    var turnChanged = state.turn !== this.index || this.version < 0;
    var wasRunning = this.running;
    this.version = state.version;
    this.stopTicking();
    this.showTurn(state.turn);
    this.running = !!state.running && state.ends_at !== null;
    if (this.running) {
      this.endsAt = state.ends_at - this.offset;
      this.startTicking();
      this.tick();
    } else {
      this.remaining = state.remaining_ms !== null && state.remaining_ms !== undefined
        ? state.remaining_ms / 1000 : this.fullSeconds();
      this.render();
    }
    if (turnChanged) {
      this.announce(this.describe() + ". " + format(this.remaining) + (this.running ? "." : ". Press Space to start."));
    } else if (this.running && !wasRunning) {
      this.announce(this.describe() + ". Started.");
    } else if (!this.running && wasRunning) {
      this.announce("Paused at " + format(this.remaining) + ".");
    }
  };

  Timer.prototype.render = function () {
    this.current().querySelector("[data-clock]").textContent = format(this.remaining);
    this.root.classList.toggle("timer--running", this.running && this.remaining > 0);
    if (this.toggleButton) {
      this.toggleButton.textContent = this.running && this.remaining > 0 ? "Pause" : this.remaining > 0 ? "Start" : "Done";
    }
    document.title = format(this.remaining) + " · " + this.current().getAttribute("data-explainer") +
      " explains · Room timer";
  };

  Timer.prototype.tick = function () {
    // (Clamped to the turn: the clocks of server and device differ by a few milliseconds.)
    this.remaining = Math.min(this.fullSeconds(), Math.max(0, (this.endsAt - Date.now()) / 1000));
    if (this.remaining <= 0) {
      this.stopTicking();
      this.root.classList.add("timer--done");
      this.current().querySelector("[data-done]").hidden = false;
      var last = this.index === this.turns.length - 1;
      this.announce("Time! " + (last ? "That was the last turn." : "Swap, and press the right arrow for the next turn."));
      beep();
    }
    this.render();
  };

  Timer.prototype.startTicking = function () {
    var self = this;
    this.tickHandle = window.setInterval(function () {
      self.tick();
    }, 250);
  };

  Timer.prototype.stopTicking = function () {
    if (this.tickHandle) window.clearInterval(this.tickHandle);
    this.tickHandle = null;
  };

  // Actions go to the server, which answers with the new shared state.
  Timer.prototype.send = function (action) {
    if (!this.form) return;
    var data = new FormData(this.form);
    data.set("action", action);
    var self = this;
    fetch(this.form.getAttribute("action"), {
      method: "POST",
      body: data,
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (state) {
        self.apply(state);
      })
      .catch(function () {
        self.announce("The timer could not reach the server; try again.");
      });
  };

  Timer.prototype.fullscreen = function () {
    var element = document.documentElement;
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (element.requestFullscreen) {
      element.requestFullscreen().catch(function () {});
    }
  };

  Timer.prototype.act = function (action) {
    if (action === "fullscreen") this.fullscreen();
    else if (action === "toggle" || action === "next" || action === "previous" || action === "reset") {
      this.send(action);
    }
  };

  Timer.prototype.bind = function () {
    var self = this;
    this.root.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action]");
      if (button) {
        event.preventDefault();
        self.act(button.getAttribute("data-action"));
      }
    });
    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey) return;
      var tag = (event.target.tagName || "").toLowerCase();
      // Space and Enter on a focused button already click it.
      if ((event.key === " " || event.key === "Enter") && tag === "button") return;
      if (tag === "input" || tag === "textarea" || tag === "select") return;
      var action = {
        " ": "toggle",
        Spacebar: "toggle",
        ArrowRight: "next",
        n: "next",
        N: "next",
        PageDown: "next",
        ArrowLeft: "previous",
        p: "previous",
        P: "previous",
        PageUp: "previous",
        r: "reset",
        R: "reset",
        f: "fullscreen",
        F: "fullscreen",
      }[event.key];
      if (action) {
        event.preventDefault();
        self.act(action);
      }
    });
    // Follow the shared timer: htmx polls (data-hx-get), we read the answer.
    var poll = this.root.querySelector("[data-timer-poll]");
    if (poll) {
      poll.addEventListener("htmx:afterRequest", function (event) {
        var xhr = event.detail && event.detail.xhr;
        if (!xhr || xhr.status !== 200) return;
        try {
          self.apply(JSON.parse(xhr.responseText));
        } catch (e) {
          /* not JSON: ignore */
        }
      });
      window.homeroomFollow(this.root, poll, function (state) {
        self.apply(state);
      });
    }
    var fullscreenButton = this.root.querySelector('[data-action="fullscreen"]');
    if (fullscreenButton) fullscreenButton.hidden = false;
    this.root.classList.add("timer--live");
    var endsAt = this.root.getAttribute("data-ends-at");
    var remaining = this.root.getAttribute("data-remaining-ms");
    this.apply({
      pairs: parseInt(this.root.getAttribute("data-pairs"), 10) || 0,
      version: parseInt(this.root.getAttribute("data-version"), 10) || 0,
      turn: parseInt(this.root.getAttribute("data-turn-index"), 10) || 0,
      running: this.root.getAttribute("data-running") === "1",
      ends_at: endsAt ? parseInt(endsAt, 10) : null,
      remaining_ms: remaining ? parseInt(remaining, 10) : null,
    });
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-timer]");
    if (!root || !root.querySelector("[data-turn]")) return;
    var timer = new Timer(root);
    timer.bind();
    window.homeroomTimer = timer; // for the browser test and the curious
  });
})();
