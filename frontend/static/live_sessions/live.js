/* The live interview page: a countdown before the start, then the stream of approved questions,
 * answers and remarks over the websocket. The page is complete without this script.
 *
 * Reconnects with ?after=<last seq> so the server sends exactly what was missed (from its database);
 * items already on the page are recognised by their element id and not shown twice.
 * Texts come from data-* attributes rendered (and translated) by the template.
 */
(function () {
  "use strict";

  function text(tag, className, value) {
    var element = document.createElement(tag);
    if (className) { element.className = className; }
    if (value !== undefined) { element.textContent = value; }
    return element;
  }

  function who(label, name) {
    var line = text("p", "live-who");
    line.appendChild(text("span", "live-label", label));
    line.appendChild(document.createTextNode(" " + name));
    return line;
  }

  function initCountdown(element) {
    var target = Date.parse(element.getAttribute("data-target"));
    var label = element.getAttribute("data-label");
    function tick() {
      var left = Math.max(0, Math.floor((target - Date.now()) / 60000));
      if (left <= 0) { element.textContent = element.getAttribute("data-soon"); return; }
      element.textContent = label.replace("{d}", Math.floor(left / 1440)).replace("{h}", Math.floor(left % 1440 / 60))
        .replace("{m}", left % 60);
    }
    tick();
    setInterval(tick, 30000);
  }

  function initStream(root) {
    var feed = root.querySelector("[data-live-feed]");
    var empty = root.querySelector("[data-feed-empty]");
    var status = document.querySelector("[data-live-status]");
    var viewersEl = document.querySelector("[data-live-viewers]");
    var after = parseInt(root.getAttribute("data-after"), 10) || 0;
    var labels = {
      question: root.getAttribute("data-label-question"), answer: root.getAttribute("data-label-answer"),
      remark: root.getAttribute("data-label-remark"), citizen: root.getAttribute("data-label-citizen"),
      votes: root.getAttribute("data-label-votes")
    };
    var retry = 1000;

    function add(item) {
      feed.appendChild(item);
      if (empty) { empty.hidden = true; }
    }

    function showQuestion(event) {
      if (document.getElementById("question-" + event.id)) { return; }
      var item = text("li", "live-item live-question");
      item.id = "question-" + event.id;
      item.appendChild(who(labels.question, event.name || labels.citizen));
      var content = text("p", "live-text", event.content);
      content.setAttribute("data-question-content", "");
      item.appendChild(content);
      var meta = text("p", "meta");
      var votes = text("span", "", labels.votes.replace("{n}", event.vote_count || 0));
      votes.setAttribute("data-vote-count", "");
      meta.appendChild(votes);
      item.appendChild(meta);
      var answers = text("ol", "live-answers");
      answers.setAttribute("data-answers", "");
      item.appendChild(answers);
      add(item);
    }

    function showAnswer(event) {
      if (document.getElementById("answer-" + event.id)) { return; }
      var question = document.getElementById("question-" + event.question_id);
      if (!question) { return; }
      var item = text("li", "live-answer");
      item.id = "answer-" + event.id;
      item.appendChild(who(labels.answer, event.speaker));
      item.appendChild(text("p", "live-text", event.content));
      question.querySelector("[data-answers]").appendChild(item);
    }

    function showRemark(event) {
      if (document.getElementById("remark-" + event.id)) { return; }
      var item = text("li", "live-item live-remark");
      item.id = "remark-" + event.id;
      item.appendChild(who(labels.remark, event.speaker));
      item.appendChild(text("p", "live-text", event.content));
      add(item);
    }

    function showViewers(event) {  // the total over all web processes, sent when it changes
      if (viewersEl) { viewersEl.textContent = viewersEl.getAttribute("data-label").replace("{n}", event.count); viewersEl.hidden = false; }
    }

    function handle(event) {
      if (typeof event.seq === "number") {
        if (event.seq <= after) { return; }
        after = event.seq;
      }
      var existing;
      switch (event.type) {
        case "question": showQuestion(event); break;
        case "answer": showAnswer(event); break;
        case "remark": showRemark(event); break;
        case "question_removed":
          existing = document.getElementById("question-" + event.id);
          if (existing) { existing.parentNode.removeChild(existing); }
          break;
        case "question_updated":
          existing = document.querySelector("#question-" + event.id + " [data-question-content]");
          if (existing) { existing.textContent = event.content; }
          break;
        case "votes":
          existing = document.querySelector("#question-" + event.id + " [data-vote-count]");
          if (existing) { existing.textContent = labels.votes.replace("{n}", event.vote_count); }
          break;
        case "status":
          if (status) { status.textContent = status.getAttribute("data-label-" + event.status) || event.status; }
          break;
        case "viewers": showViewers(event); break;
        case "reset": after = 0; break;
      }
      // Other scripts of the page (issues.js) follow the same stream instead of opening a second socket.
      document.dispatchEvent(new CustomEvent("live-session-event", {detail: event}));
    }

    function connect() {
      if (!("WebSocket" in window)) { return; }
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      var socket = new WebSocket(scheme + location.host + root.getAttribute("data-ws-path") + "?after=" + after);
      socket.onopen = function () { retry = 1000; };
      socket.onmessage = function (message) {
        try { handle(JSON.parse(message.data)); } catch (error) { /* ignore a malformed event */ }
      };
      socket.onclose = function () {
        setTimeout(connect, retry);
        retry = Math.min(retry * 2, 30000);
      };
    }
    root.setAttribute("data-live-ready", "");
    connect();
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-countdown]"), initCountdown);
    Array.prototype.forEach.call(document.querySelectorAll("[data-live-stream]"), initStream);
  });
})();
