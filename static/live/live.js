/* A live story's page, kept current without moving the text under the reader's eyes.
 *
 * Every 30 seconds (while the tab is visible) it asks the API what changed since the page's last
 * change. New updates are not inserted: a button says how many there are, and a polite status
 * tells screen readers. Pressing it fetches the story's page and swaps in its stream, then takes
 * focus to the newest update. Without this script the page is whole; a reload shows what is new.
 *
 * It also sends an #update-<id> link whose update has moved to an older page to that page.
 */
(function () {
  "use strict";

  var POLL_MS = 30000;
  var MAX_BACKOFF_MS = 300000;

  function followMovedUpdate(section) {
    var match = /^#update-(\d+)$/.exec(window.location.hash);
    if (match && !document.getElementById("update-" + match[1]) && section) {
      var page = section.getAttribute("data-live-page") || window.location.pathname;
      window.location.replace(page + "updates/" + match[1] + "/");
    }
  }

  function plural(count, one, many) {
    return count + " " + (count === 1 ? one : many);
  }

  function start(section) {
    var pollUrl = section.getAttribute("data-live-poll");
    var pagePath = section.getAttribute("data-live-page");
    var since = section.getAttribute("data-live-since");
    var news = section.querySelector("[data-live-news]");
    var button = section.querySelector("[data-live-show]");
    var status = section.querySelector("[data-live-status]");
    var fresh = {};      // ids of updates not on the page yet
    var changed = false; // an update on the page was corrected or taken down
    var ended = false;
    var delay = POLL_MS;
    var timer = null;

    function pendingCount() {
      return Object.keys(fresh).length;
    }

    function offer() {
      var count = pendingCount();
      if (!count && !changed && !ended) {
        return;
      }
      var label = count ? "Show " + plural(count, "new update", "new updates")
        : ended ? "This story has ended: show the final updates" : "Some updates changed: show them";
      if (button.textContent !== label) {
        button.textContent = label;
        status.textContent = count ? plural(count, "new update", "new updates") + ". Use the button above the updates to read them."
          : label + ".";
      }
      news.hidden = false;
    }

    function schedule() {
      window.clearTimeout(timer);
      if (!ended && !document.hidden) {
        timer = window.setTimeout(poll, delay);
      }
    }

    function poll() {
      var url = pollUrl + "?since=" + encodeURIComponent(since);
      window.fetch(url, { headers: { Accept: "application/json" }, credentials: "omit" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.json();
        })
        .then(function (data) {
          delay = POLL_MS;
          since = data.last_change;
          data.updates.forEach(function (update) {
            if (document.getElementById("update-" + update.id)) {
              changed = true;
            } else {
              fresh[update.id] = true;
            }
          });
          data.removed.forEach(function (id) {
            if (fresh[id]) {
              delete fresh[id];
            } else if (document.getElementById("update-" + id)) {
              changed = true;
            }
          });
          if (!data.live) {
            ended = true;
          }
          offer();
        })
        .catch(function () {
          delay = Math.min(delay * 2, MAX_BACKOFF_MS); // the site is busy or down: ask less often
        })
        .then(schedule);
    }

    function show() {
      button.disabled = true;
      window.fetch(pagePath, { headers: { Accept: "text/html" }, credentials: "omit" })
        .then(function (response) {
          if (!response.ok) {
            throw new Error("HTTP " + response.status);
          }
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var incoming = page.getElementById("live");
          if (!incoming) {
            throw new Error("no stream");
          }
          var firstNew = null;
          incoming.querySelectorAll(".live-update").forEach(function (item) {
            if (!firstNew && !document.getElementById(item.id)) {
              firstNew = item.id;
            }
          });
          ["live-status", "key-points"].forEach(function (name) {
            var mine = document.querySelector("." + name);
            var theirs = page.querySelector("." + name);
            if (mine && theirs) {
              mine.replaceWith(document.importNode(theirs, true));
            }
          });
          var keep = { news: news, status: status };
          section.replaceChildren.apply(section, Array.prototype.map.call(incoming.childNodes, function (node) {
            return document.importNode(node, true);
          }));
          // The button and the status region stay the same elements: focus and announcements hold.
          var newNews = section.querySelector("[data-live-news]");
          var newStatus = section.querySelector("[data-live-status]");
          if (newNews) { newNews.replaceWith(keep.news); }
          if (newStatus) { newStatus.replaceWith(keep.status); }
          since = incoming.getAttribute("data-live-since") || since;
          fresh = {};
          changed = false;
          news.hidden = true;
          button.disabled = false;
          status.textContent = "New updates shown.";
          var target = document.getElementById(firstNew || "live-heading");
          if (target) {
            target.setAttribute("tabindex", "-1");
            target.focus();
          }
          if (!incoming.hasAttribute("data-live-poll")) {
            ended = true; // the story has ended: nothing more to ask for
          }
          schedule();
        })
        .catch(function () {
          button.disabled = false;
          status.textContent = "The new updates could not be loaded. Reload the page to see them.";
        });
    }

    button.addEventListener("click", show);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) {
        delay = POLL_MS;
        poll(); // back on the tab: ask now rather than wait
      } else {
        window.clearTimeout(timer);
      }
    });
    schedule();
  }

  var section = document.getElementById("live");
  followMovedUpdate(section);
  if (section && section.hasAttribute("data-live-poll") && window.fetch && window.DOMParser) {
    start(section);
  }
}());
