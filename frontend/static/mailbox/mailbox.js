/* Mailbox enhancements (the pages work without them): similar published letters while typing
   a subject, and reply templates copied into the reply box. */
(function () {
  "use strict";

  function initSuggestions(form) {
    var input = form.querySelector("[data-suggest-source]");
    var box = form.querySelector("[data-suggestions]");
    if (!input || !box || !window.fetch) return;
    var timer = null;
    var last = "";

    function render(items) {
      box.textContent = "";
      if (!items.length) return;
      var title = document.createElement("p");
      title.textContent = box.getAttribute("data-title") || "";
      box.appendChild(title);
      var list = document.createElement("ul");
      items.forEach(function (item) {
        var entry = document.createElement("li");
        var link = document.createElement("a");
        link.href = "/mailbox/letters/" + encodeURIComponent(item.tracking_number);
        link.textContent = item.subject;
        link.target = "_blank";
        link.rel = "noopener";
        entry.appendChild(link);
        list.appendChild(entry);
      });
      box.appendChild(list);
    }

    function lookup() {
      var subject = input.value.trim();
      if (subject === last) return;
      last = subject;
      if (subject.length < 2) { render([]); return; }
      var url = box.getAttribute("data-endpoint") + "?subject=" + encodeURIComponent(subject);
      window.fetch(url, { headers: { accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { items: [] }; })
        .then(function (body) { if (input.value.trim() === subject) render(body.items || []); })
        .catch(function () { render([]); });
    }

    input.addEventListener("input", function () {
      if (timer) window.clearTimeout(timer);
      timer = window.setTimeout(lookup, 400);
    });
  }

  function initTemplates() {
    var select = document.querySelector("[data-reply-template]");
    var text = document.querySelector("[data-reply-text]");
    if (!select || !text) return;
    select.addEventListener("change", function () {
      if (select.value && !text.value.trim()) text.value = select.value;
      else if (select.value) text.value = text.value + "\n" + select.value;
    });
  }

  document.querySelectorAll("[data-letter-form]").forEach(initSuggestions);
  initTemplates();
})();
