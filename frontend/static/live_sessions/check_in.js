/* Check-in at the door: scan a registration's QR code with the phone's camera and submit its code.
 * Without JavaScript, or without a camera, the code is typed into the same form.
 * Decoding: the browser's BarcodeDetector where it exists, else jsQR (vendored, /static/vendor/jsqr/).
 */
(function () {
  "use strict";
  var form = document.querySelector("[data-check-in-form]");
  if (!form || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  var button = form.querySelector("[data-scan]");
  var video = form.querySelector("[data-scan-video]");
  var status = form.querySelector("[data-scan-status]");
  var input = form.querySelector("[data-check-in-code]");
  var detector = "BarcodeDetector" in window ? new window.BarcodeDetector({ formats: ["qr_code"] }) : null;
  if (!detector && typeof window.jsQR !== "function") return;
  var canvas = document.createElement("canvas");
  var stream = null;

  function codeFrom(text) {
    var match = /\/registrations\/([A-Za-z0-9-]+)/.exec(text);
    return (match ? match[1] : text).trim().toUpperCase();
  }

  function stop() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    button.textContent = button.dataset.startLabel;
  }

  function found(text) {
    stop();
    input.value = codeFrom(text);
    form.submit();
  }

  function decodeWithJsQR() {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var result = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(result ? result.data : null);
  }

  function decode() {
    if (detector) {
      return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
    }
    return decodeWithJsQR();
  }

  function scan() {
    if (!stream) return;
    if (video.readyState < 2) { window.requestAnimationFrame(scan); return; }
    decode().then(function (text) {
      if (text) found(text); else window.setTimeout(scan, 150);
    }, function () { window.setTimeout(scan, 300); });
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    if (stream) { stop(); return; }
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (media) {
      stream = media;
      video.srcObject = media;
      video.hidden = false;
      button.textContent = button.dataset.stopLabel;
      status.textContent = status.dataset.looking;
      return video.play().then(scan);
    }).catch(function () {
      stop();
      status.textContent = status.dataset.noCamera;
      input.focus();
    });
  });
})();
