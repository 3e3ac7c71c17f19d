// Notes on a story (desk/notes.py), added and deleted without leaving the story's form: its unsaved
// changes stay on the page. Without script the same buttons post the form and come back to it.
(function () {
  "use strict";
  if (!window.fetch || !document.getElementById("desk-notes")) return;

  function csrfToken() {
    var field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("#desk-notes button[formaction]");
    if (!button) return;
    event.preventDefault();
    var box = document.getElementById("desk-notes");
    var body = new FormData();
    body.append("csrfmiddlewaretoken", csrfToken());
    var text = box.querySelector("textarea");
    var typed = text ? text.value : "";
    var adding = button.classList.contains("desk-notes__add");
    if (adding && text) body.append(text.name, typed);
    button.disabled = true;
    fetch(button.formAction, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-Desk-Notes": "box" },
    })
      .then(function (response) {
        if (response.status !== 200 && response.status !== 400) throw new Error(response.statusText);
        return response.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("desk-notes");
        box.replaceWith(document.importNode(fresh, true));
        var refused = !fresh.querySelector(".desk-notes__error").hidden;
        var area = document.querySelector("#desk-notes textarea");
        if (area && (refused || !adding)) area.value = typed; // a note added clears the box
      })
      .catch(function () {
        button.disabled = false;
        var error = box.querySelector(".desk-notes__error");
        error.textContent = "The note could not be sent; check the connection and try again.";
        error.hidden = false;
      });
  });
})();
