/* The article form's "Topics" field as a combobox (WAI-ARIA combobox with a listbox popup).
 *
 * The <select multiple> stays in the form, hidden, and holds the truth: a chosen topic is a
 * selected <option> (value: the topic's id, or "new:Name" for a topic an editor creates), so the
 * form posts exactly what it posts without this script. Keys in the box: type to search, Down/Up
 * to move, Enter to pick, Escape to close, Backspace in an empty box to take off the last topic.
 * Suggestions come from the admin's JSON endpoints named in the wrapper's data attributes
 * (articles/topic_picker.py); nothing inline, for the Content-Security-Policy.
 */
(function () {
  "use strict";

  var SUGGEST_DELAY_MS = 150;
  var AUTO_TAG_DELAY_MS = 700;
  var counter = 0;

  function make(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      node.setAttribute(name, attrs[name]);
    });
    if (text) node.textContent = text;
    return node;
  }

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function TopicPicker(wrapper) {
    this.wrapper = wrapper;
    this.select = wrapper.querySelector("select");
    this.form = this.select.form;
    this.suggestUrl = wrapper.dataset.suggestUrl;
    this.autoTagUrl = wrapper.dataset.autoTagUrl;
    this.canCreate = wrapper.dataset.canCreate === "true";
    this.newPrefix = wrapper.dataset.newPrefix;
    this.options = [];
    this.active = -1;
    this.request = 0;
    this.autoTagRequest = 0;
    this.build();
  }

  TopicPicker.prototype.build = function () {
    var self = this;
    var id = this.select.id || "topics-" + ++counter;
    this.wrapper.classList.add("topic-picker-enhanced");
    this.select.hidden = true;
    this.select.setAttribute("aria-hidden", "true");
    this.select.tabIndex = -1;

    this.chips = make("ul", { class: "topic-chips", "aria-label": "Chosen topics" });
    this.input = make("input", {
      type: "text",
      id: id + "-search",
      class: "topic-search",
      role: "combobox",
      "aria-autocomplete": "list",
      "aria-expanded": "false",
      "aria-controls": id + "-listbox",
      autocomplete: "off",
      spellcheck: "false",
    });
    this.listbox = make("ul", { id: id + "-listbox", role: "listbox", class: "topic-listbox", "aria-label": "Topics" });
    this.listbox.hidden = true;
    this.suggested = make("div", { class: "topic-suggested" });
    this.suggested.hidden = true;
    this.status = make("div", { class: "topic-status", role: "status", "aria-live": "polite" });

    var box = make("div", { class: "topic-box" });
    box.appendChild(this.chips);
    box.appendChild(this.input);
    this.wrapper.appendChild(box);
    this.wrapper.appendChild(this.listbox);
    this.wrapper.appendChild(this.suggested);
    this.wrapper.appendChild(this.status);

    // The field's label now names the box typed into.
    var label = document.querySelector('label[for="' + this.select.id + '"]');
    if (label) {
      label.htmlFor = this.input.id;
      label.id = label.id || id + "-label";
    }
    // The help text Django ties to the select describes the box instead.
    var described = this.select.getAttribute("aria-describedby");
    if (described) this.input.setAttribute("aria-describedby", described);

    box.addEventListener("click", function (event) {
      if (event.target === box || event.target === self.chips) self.input.focus();
    });
    var suggestSoon = debounce(function () { self.suggest(); }, SUGGEST_DELAY_MS);
    this.input.addEventListener("input", function () {
      self.pickWhenReady = false;
      suggestSoon();
    });
    this.input.addEventListener("keydown", function (event) { self.keydown(event); });
    this.input.addEventListener("blur", function () {
      setTimeout(function () { self.close(); }, 150);
    });
    this.listbox.addEventListener("mousedown", function (event) {
      event.preventDefault(); // keep the focus in the box
    });
    this.listbox.addEventListener("click", function (event) {
      var option = event.target.closest('[role="option"]');
      if (option) self.pick(Number(option.dataset.index));
    });

    ["headline", "dek", "body"].forEach(function (name) {
      var field = self.form && self.form.elements[name];
      if (field) field.addEventListener("input", debounce(function () { self.autoTag(); }, AUTO_TAG_DELAY_MS));
    });
    this.renderChips();
    this.autoTag();
  };

  TopicPicker.prototype.chosen = function () {
    return Array.prototype.filter.call(this.select.options, function (option) { return option.selected; });
  };

  TopicPicker.prototype.chosenIds = function () {
    return this.chosen()
      .map(function (option) { return option.value; })
      .filter(function (value) { return /^\d+$/.test(value); });
  };

  TopicPicker.prototype.renderChips = function () {
    var self = this;
    this.chips.textContent = "";
    this.chosen().forEach(function (option) {
      var name = option.dataset.name || option.textContent;
      var chip = make("li", { class: "topic-chip" });
      chip.appendChild(make("span", {}, name));
      var remove = make("button", { type: "button", class: "topic-remove", "aria-label": "Remove " + name }, "×");
      remove.addEventListener("click", function () {
        self.remove(option);
        self.input.focus();
      });
      chip.appendChild(remove);
      self.chips.appendChild(chip);
    });
  };

  TopicPicker.prototype.add = function (value, name) {
    var option = Array.prototype.find.call(this.select.options, function (o) { return o.value === value; });
    if (!option) {
      option = make("option", { value: value }, name);
      this.select.appendChild(option);
    }
    option.dataset.name = name;
    // Chips follow the order of picking: the option goes after the last one chosen.
    var chosen = this.chosen().filter(function (other) { return other !== option; });
    if (chosen.length) chosen[chosen.length - 1].after(option);
    else this.select.prepend(option);
    option.selected = true;
    this.renderChips();
    this.announce(name + " added.");
    this.refreshSuggested();
  };

  TopicPicker.prototype.remove = function (option) {
    option.selected = false;
    var name = option.dataset.name || option.textContent;
    if (option.value.indexOf(this.newPrefix) === 0) option.remove();
    this.renderChips();
    this.announce(name + " removed.");
    this.autoTag();
  };

  TopicPicker.prototype.announce = function (text) {
    this.status.textContent = text;
  };

  TopicPicker.prototype.suggest = function () {
    var self = this;
    var query = this.input.value.trim();
    if (!query) {
      this.close();
      return;
    }
    var params = new URLSearchParams({ q: query });
    this.chosenIds().forEach(function (id) { params.append("exclude", id); });
    var ticket = ++this.request;
    fetch(this.suggestUrl + "?" + params.toString(), { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data || ticket !== self.request || self.input.value.trim() !== query) return;
        self.listQuery = query;
        var options = data.results.map(function (topic) {
          return { value: String(topic.id), name: topic.name, alias: topic.alias };
        });
        if (data.create && self.canCreate) {
          options.push({ value: self.newPrefix + data.create, name: data.create, create: true });
        }
        self.open(options);
        if (self.pickWhenReady) {
          // Enter was pressed before the suggestions arrived: it picks the first, as it would have.
          self.pickWhenReady = false;
          if (options.length) self.pick(0);
        }
      })
      .catch(function () { /* no suggestions this time; typing again asks again */ });
  };

  TopicPicker.prototype.open = function (options) {
    var self = this;
    this.options = options;
    this.listbox.textContent = "";
    options.forEach(function (topic, index) {
      var item = make("li", { role: "option", id: self.listbox.id + "-" + index, "aria-selected": "false" });
      item.dataset.index = index;
      if (topic.create) {
        item.textContent = "Create topic “" + topic.name + "”";
        item.classList.add("topic-create");
      } else {
        item.appendChild(make("span", { class: "topic-name" }, topic.name));
        if (topic.alias) item.appendChild(make("span", { class: "topic-alias" }, " (also “" + topic.alias + "”)"));
      }
      self.listbox.appendChild(item);
    });
    if (!options.length) {
      this.listbox.appendChild(make("li", { class: "topic-none", role: "presentation" }, "No topic by that name."));
    }
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
    this.setActive(options.length ? 0 : -1);
    this.announce(options.length ? options.length + " suggestions; Down and Up to move, Enter to pick." : "No topic by that name.");
  };

  TopicPicker.prototype.close = function () {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.active = -1;
  };

  TopicPicker.prototype.setActive = function (index) {
    var items = this.listbox.querySelectorAll('[role="option"]');
    this.active = index;
    items.forEach(function (item, n) { item.setAttribute("aria-selected", n === index ? "true" : "false"); });
    if (index >= 0 && items[index]) {
      this.input.setAttribute("aria-activedescendant", items[index].id);
      items[index].scrollIntoView({ block: "nearest" });
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  TopicPicker.prototype.pick = function (index) {
    var topic = this.options[index];
    if (!topic) return;
    this.add(topic.value, topic.name);
    this.input.value = "";
    this.close();
    this.input.focus();
  };

  TopicPicker.prototype.keydown = function (event) {
    var open = !this.listbox.hidden && this.options.length;
    if (event.key === "ArrowDown") {
      event.preventDefault();
      if (open) this.setActive((this.active + 1) % this.options.length);
      else this.suggest();
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      if (open) this.setActive((this.active - 1 + this.options.length) % this.options.length);
    } else if (event.key === "Enter") {
      var typed = this.input.value.trim();
      if (typed || open) event.preventDefault(); // picking, not submitting the form
      if (open && this.active >= 0 && this.listQuery === typed) this.pick(this.active);
      else if (typed) {
        this.pickWhenReady = true; // typed faster than the suggestions came
        this.suggest();
      }
    } else if (event.key === "Escape") {
      if (!this.listbox.hidden) {
        event.preventDefault();
        this.close();
      }
    } else if (event.key === "Backspace" && !this.input.value) {
      var chosen = this.chosen();
      if (chosen.length) this.remove(chosen[chosen.length - 1]);
    }
  };

  // Auto-tag suggestions: the topics the desk's auto-tagger finds in the text so far.

  TopicPicker.prototype.autoTag = function () {
    var self = this;
    if (!this.form) return;
    var body = new URLSearchParams();
    ["headline", "dek", "body"].forEach(function (name) {
      var field = self.form.elements[name];
      body.append(name, field ? field.value : "");
    });
    this.chosenIds().forEach(function (id) { body.append("exclude", id); });
    var token = this.form.elements.csrfmiddlewaretoken;
    var ticket = ++this.autoTagRequest;
    fetch(this.autoTagUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", Accept: "application/json" },
      body: body,
    })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && ticket === self.autoTagRequest) {
          self.autoTagged = data.results;
          self.refreshSuggested();
        }
      })
      .catch(function () { /* the suggestions stay as they were */ });
  };

  TopicPicker.prototype.refreshSuggested = function () {
    var self = this;
    var chosen = this.chosenIds();
    var topics = (this.autoTagged || []).filter(function (topic) { return chosen.indexOf(String(topic.id)) < 0; });
    this.suggested.textContent = "";
    this.suggested.hidden = !topics.length;
    if (!topics.length) return;
    this.suggested.appendChild(make("span", { class: "topic-suggested-label", id: this.input.id + "-suggested" }, "Suggested:"));
    topics.forEach(function (topic) {
      var button = make("button", { type: "button", class: "topic-suggestion", "aria-describedby": self.input.id + "-suggested" }, topic.name);
      button.addEventListener("click", function () {
        self.add(String(topic.id), topic.name);
        self.input.focus();
      });
      self.suggested.appendChild(button);
    });
  };

  function start() {
    document.querySelectorAll(".topic-picker").forEach(function (wrapper) {
      if (!wrapper.classList.contains("topic-picker-enhanced")) new TopicPicker(wrapper);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
