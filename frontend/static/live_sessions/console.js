/* The host console: new questions join the moderation queue without a reload, and questions another
 * host moderated leave it. Listens on /ws/live-sessions/{id}/moderation (the session cookie
 * authenticates; the server checks the Origin). Forms marked data-in-place (moderation, edits, answers)
 * are sent with fetch: the server answers 204 or {"detail"} with the error status, and the list of approved
 * questions is re-read from a fresh render of this page, so nothing typed elsewhere on the page is lost.
 * Without this script they stay plain forms.
 */
(function () {
  "use strict";

  function initQueue(queue) {
    var template = document.querySelector("[data-queue-template]");
    var empty = document.querySelector("[data-queue-empty]");
    var after = parseInt(queue.getAttribute("data-after"), 10) || 0;
    var retry = 1000;

    function refreshEmpty() { if (empty) { empty.hidden = queue.children.length > 0; } }

    function addQuestion(event) {
      if (document.getElementById("pending-" + event.id)) { return; }
      var fragment = template.content.cloneNode(true);
      var item = fragment.querySelector("li");
      item.id = "pending-" + event.id;
      item.setAttribute("data-pending-id", event.id);
      Array.prototype.forEach.call(item.querySelectorAll("form"), function (form) {
        form.setAttribute("action", form.getAttribute("action").replace("__id__", event.id));
      });
      Array.prototype.forEach.call(item.querySelectorAll("[id], [for]"), function (element) {
        if (element.id) { element.id = element.id.replace("__id__", event.id); }
        if (element.htmlFor) { element.htmlFor = element.htmlFor.replace("__id__", event.id); }
      });
      var name = item.querySelector("[data-queue-name]");
      name.textContent = event.name || name.getAttribute("data-default");
      item.querySelector("[data-queue-time]").textContent = event.asked_at || "";
      item.querySelector("[data-queue-content]").textContent = event.content;
      var input = item.querySelector("input[name=content]");
      if (input) { input.value = event.content; }
      queue.appendChild(item);
      refreshEmpty();
    }

    function handle(event) {
      if (typeof event.seq === "number") {
        if (event.seq <= after) { return; }
        after = event.seq;
      }
      var existing = document.getElementById("pending-" + event.id);
      if (event.type === "submitted" && event.state === "pending") { addQuestion(event); }
      if (event.type === "moderated" && existing) { existing.remove(); refreshEmpty(); }
      if (event.type === "edited" && existing) {
        existing.querySelector("[data-queue-content]").textContent = event.content;
      }
    }

    function connect() {
      if (!("WebSocket" in window)) { return; }
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + queue.getAttribute("data-ws-path") + "?after=" + after);
      socket.onopen = function () { retry = 1000; queue.setAttribute("data-queue-live", ""); };
      socket.onmessage = function (message) {
        try { handle(JSON.parse(message.data)); } catch (error) { /* ignore */ }
      };
      socket.onclose = function () {
        queue.removeAttribute("data-queue-live");
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      };
    }
    connect();
  }

  function say(text) {
    var status = document.querySelector("[data-console-status]");
    if (status) { status.textContent = text || status.getAttribute("data-saved"); }
  }

  function refreshApproved() {
    return fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-approved]");
        var current = document.querySelector("[data-approved]");
        if (fresh && current) { current.innerHTML = fresh.innerHTML; }
      });
  }

  function afterSuccess(form, action) {
    var item = form.closest("[data-pending-id]");
    if (item && (action === "approve" || action === "reject")) {
      // The websocket's "moderated" event may have removed it already: remove() is safe on a detached node.
      item.remove();
      var empty = document.querySelector("[data-queue-empty]");
      var queue = document.querySelector("[data-queue]");
      if (empty && queue) { empty.hidden = queue.children.length > 0; }
    }
    if (item && action === "edit") {
      item.querySelector("[data-queue-content]").textContent = form.querySelector("input[name=content]").value;
    }
    return refreshApproved();
  }

  function submitInPlace(event) {
    var form = event.target;
    if (!form.hasAttribute || !form.hasAttribute("data-in-place") || !window.fetch) { return; }
    event.preventDefault();
    var buttons = form.querySelectorAll("button");
    Array.prototype.forEach.call(buttons, function (button) { button.disabled = true; });
    var body = new URLSearchParams(new FormData(form));
    var token = form.querySelector("input[name=_csrf_token]");
    var action = body.get("action");
    fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Requested-With": "fetch", "X-CSRFToken": token ? token.value : "" }
    }).then(function (response) {
      if (response.status === 204) {
        say("");
        return afterSuccess(form, action);
      }
      return response.json().catch(function () { return {}; })
        .then(function (problem) { say(problem.detail || String(response.status)); });
    }, function () {
      form.submit();  // the request never reached the server: the plain form still works
    }).catch(function () {
      location.reload();  // done, but the page could not be refreshed in place
    }).then(function () {
      Array.prototype.forEach.call(buttons, function (button) { button.disabled = false; });
    });
  }

  document.addEventListener("submit", submitInPlace);
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-queue]"), initQueue);
  });
})();
