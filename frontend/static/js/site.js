/* 政民互动 — progressive enhancement for the server-rendered pages.
 *
 * Everything works without this file: the elder-mode and language switches are links,
 * the SMS code button submits its form. When the script runs it adds:
 *   [data-read-aloud]  reads <main> aloud with speechSynthesis (made visible only when the browser has it)
 *   [data-sms-widget]  requests the SMS code with fetch() and counts down until a resend is allowed
 * Texts come from data-* attributes rendered by the templates, so they are translated by gettext.
 * No inline handlers, no frameworks (CSP: script-src 'self').
 */
(function () {
  "use strict";

  /* ---------- read aloud ---------- */

  function sentences(text) {
    // Chrome stops long utterances after ~15 s, so speak sentence by sentence.
    var parts = text.replace(/\s+/g, " ").match(/[^。！？!?；;.]+[。！？!?；;.]*/g) || [];
    var chunks = [];
    var current = "";
    parts.forEach(function (part) {
      if ((current + part).length > 160 && current) {
        chunks.push(current);
        current = "";
      }
      current += part;
    });
    if (current.trim()) chunks.push(current);
    return chunks;
  }

  function pickVoice(synth, lang) {
    var wanted = lang.toLowerCase();
    var prefix = wanted.split("-")[0];
    var voices = synth.getVoices() || [];
    var norm = function (voice) { return (voice.lang || "").replace("_", "-").toLowerCase(); };
    return voices.filter(function (v) { return norm(v) === wanted; })[0] ||
      voices.filter(function (v) { return norm(v).split("-")[0] === prefix; })[0] || null;
  }

  function initReadAloud(button) {
    if (!window.speechSynthesis || typeof window.SpeechSynthesisUtterance !== "function") return;
    var synth = window.speechSynthesis;
    var label = button.querySelector("[data-read-aloud-label]") || button;
    var startText = label.textContent;
    var stopText = button.getAttribute("data-stop-label") || startText;
    var reading = false;

    function setReading(value) {
      reading = value;
      label.textContent = value ? stopText : startText;
      button.classList.toggle("is-active", value);
    }

    function stop() {
      setReading(false);
      synth.cancel();
    }

    button.classList.add("is-ready");  // its place was kept invisible, so showing it moves nothing
    button.addEventListener("click", function () {
      if (reading) { stop(); return; }
      var main = document.querySelector("main");
      var chunks = main ? sentences(main.innerText || main.textContent || "") : [];
      if (!chunks.length) return;
      var lang = document.documentElement.lang === "en" ? "en" : "zh-CN";
      var voice = pickVoice(synth, lang);
      synth.cancel();
      setReading(true);
      chunks.forEach(function (chunk, index) {
        var utterance = new window.SpeechSynthesisUtterance(chunk);
        utterance.lang = lang;
        if (voice) utterance.voice = voice;
        if (index === chunks.length - 1) {
          utterance.addEventListener("end", function () { setReading(false); });
        }
        utterance.addEventListener("error", function (event) {
          if (event.error !== "interrupted" && event.error !== "canceled") stop();
        });
        synth.speak(utterance);
      });
    });
    window.addEventListener("pagehide", function () { if (reading) stop(); });
  }

  /* ---------- SMS code widget ---------- */

  function initSmsWidget(widget) {
    var button = widget.querySelector("[data-sms-send]");
    var phone = widget.querySelector("[data-sms-phone]");
    var status = widget.querySelector("[data-sms-status]");
    if (!button || !phone || !status || !window.fetch) return;
    var label = button.textContent;
    var waitLabel = widget.getAttribute("data-wait-label") || "{s}";
    var endpoint = widget.getAttribute("data-endpoint") || "/api/v1/sms/codes";
    var timer = null;

    function show(text, isError) {
      status.textContent = text || "";
      status.setAttribute("role", isError ? "alert" : "status");
      status.setAttribute("aria-live", isError ? "assertive" : "polite");
      status.classList.toggle("is-error", !!isError);
      status.classList.toggle("is-success", !isError && !!text);
    }

    function release() {
      if (timer) window.clearInterval(timer);
      timer = null;
      button.disabled = false;
      button.textContent = label;
    }

    function countDown(seconds) {
      var deadline = Date.now() + seconds * 1000;
      function tick() {
        var left = Math.ceil((deadline - Date.now()) / 1000);
        if (left <= 0) { release(); return; }
        button.textContent = waitLabel.replace("{s}", String(left));
      }
      if (timer) window.clearInterval(timer);
      button.disabled = true;
      tick();
      timer = window.setInterval(tick, 1000);
    }

    // Enter in the code field must submit the form, not request another code: the code button comes
    // first in the form, so the browser's implicit submission would press it.
    var code = widget.querySelector("[data-sms-code]");
    if (code && code.form) {
      code.addEventListener("keydown", function (event) {
        if (event.key !== "Enter") return;
        var submit = Array.prototype.filter.call(code.form.querySelectorAll("button[type=submit], input[type=submit]"),
          function (element) { return !element.hasAttribute("data-sms-send"); })[0];
        if (!submit) return;
        event.preventDefault();
        if (code.form.requestSubmit) code.form.requestSubmit(submit);
        else submit.click();
      });
    }

    button.addEventListener("click", function (event) {
      event.preventDefault();
      if (button.disabled) return;
      button.disabled = true;
      show("", false);
      window.fetch(endpoint, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        credentials: "same-origin",
        body: JSON.stringify({ phone: phone.value.trim() })
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          if (response.status === 202) {
            show(widget.getAttribute("data-sent-label"), false);
            countDown(Number(body.resend_after) > 0 ? Number(body.resend_after) : 60);
            if (code) code.focus();
            return;
          }
          show(body.detail || response.statusText || widget.getAttribute("data-network-error"), true);
          var retry = parseInt(response.headers.get("retry-after") || "", 10);
          if (response.status === 429 && retry > 0) countDown(retry);
          else release();
        });
      }).catch(function () {
        show(widget.getAttribute("data-network-error"), true);
        release();
      });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-read-aloud]"), initReadAloud);
    Array.prototype.forEach.call(document.querySelectorAll("[data-sms-widget]"), initSmsWidget);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
