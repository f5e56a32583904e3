/* Issues of TV questioning and open meetings: similar published issues while a citizen types, and the
   board's support counts and "on air now" marker kept current from the session's stream (live.js). */
(function () {
  "use strict";

  var WAIT_MS = 400;

  function initSimilar(form) {
    var endpoint = form.getAttribute("data-similar-endpoint");
    var panel = form.querySelector("[data-similar]");
    var list = form.querySelector("[data-similar-list]");
    var fields = form.querySelectorAll("[data-issue-text]");
    var sessionPath = endpoint.replace("/api/v1", "").replace("/issues/similar", "");
    var supportsLabel = form.getAttribute("data-label-supports") || "{n}";
    var timer = null;
    var asked = "";

    function show(items) {
      list.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "notice";
        var link = document.createElement("a");
        link.href = sessionPath + "/issues/" + item.id;
        link.textContent = item.title;
        var meta = document.createElement("span");
        meta.className = "meta";
        meta.textContent = " " + supportsLabel.replace("{n}", item.support_count);
        li.appendChild(link);
        li.appendChild(meta);
        list.appendChild(li);
      });
      panel.hidden = items.length === 0;
    }

    function lookUp() {
      var text = Array.prototype.map.call(fields, function (field) { return field.value; }).join(" ").trim();
      if (text === asked) { return; }
      asked = text;
      if (text.length < 2) { show([]); return; }
      fetch(endpoint + "?q=" + encodeURIComponent(text.slice(0, 2000)), {headers: {Accept: "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {items: []}; })
        .then(function (body) { if (asked === text) { show(body.items || []); } })
        .catch(function () { /* the "look for similar issues" button still works */ });
    }

    Array.prototype.forEach.call(fields, function (field) {
      field.addEventListener("input", function () {
        clearTimeout(timer);
        timer = setTimeout(lookUp, WAIT_MS);
      });
    });
  }

  function initBoard(board) {
    document.addEventListener("live-session-event", function (message) {
      var event = message.detail || {};
      if (event.type === "issue_supports") {
        var count = board.querySelector("#issue-" + event.id + " [data-support-count]");
        if (count) { count.textContent = count.getAttribute("data-label").replace("{n}", event.support_count); }
      } else if (event.type === "issue_on_air") {
        Array.prototype.forEach.call(board.querySelectorAll("[data-on-air-marker]"), function (marker) {
          marker.hidden = marker.closest("[data-issue-id]").getAttribute("data-issue-id") !== String(event.id);
        });
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-issue-form][data-similar-endpoint]"), initSimilar);
    Array.prototype.forEach.call(document.querySelectorAll("[data-issue-board]"), initBoard);
  });
})();
