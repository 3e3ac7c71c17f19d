// Who else has this story open (desk/presence.py). While the form is open its page says so every
// ~30 seconds and shows the answer; closing the tab takes the presence away. No lock: just a word.
(function () {
  "use strict";
  var box = document.getElementById("desk-presence");
  if (!box || !window.fetch) return;
  var heartbeatUrl = box.dataset.heartbeatUrl;
  var leaveUrl = box.dataset.leaveUrl;
  var interval = (parseInt(box.dataset.interval, 10) || 30) * 1000;

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  function show(others) {
    box.textContent = "";
    others.forEach(function (other) {
      var line = document.createElement("p");
      line.className = "desk-presence__who";
      line.textContent = other.text;
      box.appendChild(line);
    });
    box.hidden = others.length === 0;
  }

  function beat() {
    fetch(heartbeatUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (answer) { if (answer) show(answer.others); })
      .catch(function () { /* offline for a moment: the next beat tries again */ });
  }

  var timer = window.setInterval(beat, interval);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") beat();
  });
  window.addEventListener("pagehide", function () {
    window.clearInterval(timer);
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    navigator.sendBeacon(leaveUrl, body);
  });
  window.addEventListener("pageshow", function (event) {
    // Back to a page kept in the browser's cache: its presence was taken away on the way out.
    if (event.persisted) { beat(); timer = window.setInterval(beat, interval); }
  });
})();
