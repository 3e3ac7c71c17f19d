// The story form's publishing actions: each button first shows the one line saying what it will do
// ("Goes live Tue 9 Dec 08:00 EST"), and goes ahead on Confirm. "Schedule…" first asks for the time
// (in the desk's time zone), and the server words the line for it. Without this script every button
// submits at once and the schedule fields are always shown.
(function () {
  "use strict";

  function setUp() {
    var bar = document.getElementById("publishing-actions");
    if (!bar) return;
    var form = bar.closest("form");
    var box = document.getElementById("action-confirmation");
    var line = document.getElementById("action-confirmation-line");
    var confirmButton = document.getElementById("action-confirm");
    var cancelButton = document.getElementById("action-cancel");
    var scheduleRow = document.getElementById("schedule-row");
    var pending = null;
    var confirmed = false;

    var scheduleHasError = scheduleRow && scheduleRow.querySelector(".errorlist");
    if (scheduleRow && !scheduleHasError) scheduleRow.hidden = true;

    function ask(button, text) {
      pending = button;
      line.textContent = text;
      confirmButton.hidden = false;
      box.hidden = false;
      confirmButton.focus();
    }

    function scheduleParts() {
      var inputs = scheduleRow.querySelectorAll("input");
      return { date: inputs[0].value.trim(), time: inputs[1].value.trim(), first: inputs[0] };
    }

    function askForSchedule(button) {
      if (scheduleRow.hidden) {
        scheduleRow.hidden = false;
        scheduleParts().first.focus();
        return;
      }
      var parts = scheduleParts();
      var url = bar.dataset.scheduleLineUrl + "?" + new URLSearchParams({ date: parts.date, time: parts.time, article: bar.dataset.article || "" });
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (answer) {
          if (answer.line) {
            ask(button, answer.line);
          } else {
            pending = null;
            line.textContent = answer.error || "Choose a date and time.";
            confirmButton.hidden = true;
            box.hidden = false;
            parts.first.focus();
          }
        });
    }

    bar.querySelectorAll("button.publishing-action").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (confirmed) return;
        event.preventDefault();
        if (button.value === "schedule" && scheduleRow) {
          askForSchedule(button);
        } else {
          ask(button, button.dataset.confirm);
        }
      });
    });

    confirmButton.addEventListener("click", function () {
      if (!pending) { box.hidden = true; return; }
      confirmed = true;
      form.requestSubmit(pending);
    });
    cancelButton.addEventListener("click", function () {
      pending = null;
      box.hidden = true;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
