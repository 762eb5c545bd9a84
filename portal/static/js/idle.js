/* The idle warning (guide 七.5): the body of an applicant's page carries
     data-idle-remaining   seconds before the server logs the session out for inactivity
     data-idle-warning     how many seconds before that to warn
     data-keep-alive-url   POST: 继续 (the session counts as active now); answers {"remaining": seconds}
     data-idle-logout-url  POST: the end of the countdown; keeps the form marked data-draft-step as a draft and
                           answers {"redirect": url}, or {"remaining": seconds} when another tab kept it active.
   The warning is a dialog with a countdown and 继续; the page itself is never reloaded while the person types. */
(function () {
  "use strict";

  var body = document.body;
  if (!body.hasAttribute("data-idle-remaining")) {
    return;
  }
  var dialog = document.querySelector(".idle-warning");
  var countdown = dialog.querySelector("[data-idle-countdown]");
  var continueButton = dialog.querySelector("[data-idle-continue]");
  var warning = Number(body.getAttribute("data-idle-warning"));
  var token = document.querySelector("meta[name=csrf-token]").getAttribute("content");
  var deadline = 0;
  var timer = null;
  var previousFocus = null;
  /* the logout is asked for a little before the server's own deadline, so that the draft can still be saved */
  var MARGIN = 3;

  function post(url, data) {
    return fetch(url, {method: "POST", body: data || new FormData(), credentials: "same-origin",
                       redirect: "manual", headers: {"X-CSRFToken": token, "Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) {
          throw new Error("session ended");
        }
        return response.json();
      });
  }

  function goHome() {
    window.location.assign("/");
  }

  function schedule(remaining) {
    deadline = Date.now() + remaining * 1000;
    hide();
    tick();
  }

  function format(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function tick() {
    window.clearTimeout(timer);
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    if (left <= MARGIN) {
      logOut();
      return;
    }
    if (left <= warning) {
      show();
      countdown.textContent = format(left - MARGIN);
      timer = window.setTimeout(tick, 1000);
    } else {
      timer = window.setTimeout(tick, Math.min((left - warning) * 1000, 60000));
    }
  }

  function show() {
    if (!dialog.hidden) {
      return;
    }
    previousFocus = document.activeElement;
    dialog.hidden = false;
    continueButton.focus();
  }

  function hide() {
    if (dialog.hidden) {
      return;
    }
    dialog.hidden = true;
    if (previousFocus && previousFocus.focus) {
      previousFocus.focus();
    }
  }

  function draft() {
    var form = document.querySelector("form[data-draft-step]");
    var data = form ? new FormData(form) : new FormData();
    data.delete("csrf_token");
    if (form) {
      data.append("draft_step", form.getAttribute("data-draft-step"));
    }
    return data;
  }

  function logOut() {
    post(body.getAttribute("data-idle-logout-url"), draft()).then(function (answer) {
      if (answer.redirect) {
        window.location.assign(answer.redirect);
      } else {
        schedule(answer.remaining);
      }
    }).catch(goHome);
  }

  continueButton.addEventListener("click", function () {
    post(body.getAttribute("data-keep-alive-url")).then(function (answer) {
      schedule(answer.remaining);
    }).catch(goHome);
  });

  dialog.addEventListener("keydown", function (event) {
    if (event.key === "Tab") {  /* the dialog has one control: keep the focus on it */
      event.preventDefault();
      continueButton.focus();
    }
  });

  /* a phone that slept: timers stop, so look again when the page is shown */
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      tick();
    }
  });

  schedule(Number(body.getAttribute("data-idle-remaining")));
})();
