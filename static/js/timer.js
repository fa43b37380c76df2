// The room timer: one turn at a time, "A explains to B — 4:59", start/pause/next from the
// keyboard. Without this file the page lists every turn with its minutes.
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
      "Prompt " + (this.index + 1) + " of " + this.turns.length + ": " +
      turn.getAttribute("data-explainer") + " explains to " + turn.getAttribute("data-listener")
    );
  };

  Timer.prototype.show = function (index) {
    this.pause(true);
    this.index = Math.max(0, Math.min(index, this.turns.length - 1));
    this.turns.forEach(function (turn, i) {
      turn.classList.toggle("timer__turn--current", i === this.index);
      turn.hidden = i !== this.index;
    }, this);
    var turn = this.current();
    this.remaining = parseInt(turn.getAttribute("data-seconds"), 10) || 0;
    turn.querySelector("[data-done]").hidden = true;
    this.root.classList.remove("timer--done");
    this.render();
    this.announce(this.describe() + ". " + format(this.remaining) + ". Press Space to start.");
  };

  Timer.prototype.render = function () {
    this.current().querySelector("[data-clock]").textContent = format(this.remaining);
    this.root.classList.toggle("timer--running", this.running);
    if (this.toggleButton) {
      this.toggleButton.textContent = this.running ? "Pause" : this.remaining > 0 ? "Start" : "Done";
    }
    document.title = format(this.remaining) + " · " + this.current().getAttribute("data-explainer") +
      " explains · Room timer";
  };

  Timer.prototype.tick = function () {
    this.remaining = (this.endsAt - Date.now()) / 1000;
    if (this.remaining <= 0) {
      this.remaining = 0;
      this.pause(true);
      this.root.classList.add("timer--done");
      this.current().querySelector("[data-done]").hidden = false;
      var last = this.index === this.turns.length - 1;
      this.announce("Time! " + (last ? "That was the last turn." : "Swap, and press the right arrow for the next turn."));
      beep();
    }
    this.render();
  };

  Timer.prototype.start = function () {
    if (this.running || this.remaining <= 0) return;
    this.running = true;
    this.endsAt = Date.now() + this.remaining * 1000;
    var self = this;
    this.tickHandle = window.setInterval(function () {
      self.tick();
    }, 250);
    this.render();
    this.announce(this.describe() + ". Started.");
  };

  Timer.prototype.pause = function (quiet) {
    if (this.tickHandle) window.clearInterval(this.tickHandle);
    this.tickHandle = null;
    if (this.running) {
      this.remaining = Math.max(0, (this.endsAt - Date.now()) / 1000);
      this.running = false;
      if (!quiet) this.announce("Paused at " + format(this.remaining) + ".");
    }
    if (this.turns.length) this.render();
  };

  Timer.prototype.toggle = function () {
    if (this.running) this.pause(false);
    else this.start();
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
    if (action === "toggle") this.toggle();
    else if (action === "next") this.show(this.index + 1);
    else if (action === "previous") this.show(this.index - 1);
    else if (action === "reset") this.show(this.index);
    else if (action === "fullscreen") this.fullscreen();
  };

  Timer.prototype.bind = function () {
    var self = this;
    this.root.addEventListener("click", function (event) {
      var button = event.target.closest("[data-action]");
      if (button) self.act(button.getAttribute("data-action"));
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
    this.root.querySelectorAll("[data-controls]").forEach(function (element) {
      element.hidden = false;
    });
    this.root.classList.add("timer--live");
    this.show(0);
  };

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-timer]");
    if (!root || !root.querySelector("[data-turn]")) return;
    var timer = new Timer(root);
    timer.bind();
    window.homeroomTimer = timer; // for the browser test and the curious
  });
})();
