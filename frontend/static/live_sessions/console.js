/* The host console: new questions join the moderation queue without a reload, and questions another
 * host moderated leave it. Listens on /ws/live-sessions/{id}/moderation (the session cookie
 * authenticates; the server checks the Origin). Actions stay plain forms that work without this script.
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
      if (event.type === "moderated" && existing) { existing.parentNode.removeChild(existing); refreshEmpty(); }
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

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-queue]"), initQueue);
  });
})();
