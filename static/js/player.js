// The lesson player: tells the site which parts of the video were actually
// played (the browser's video.played), so a lesson is complete only once
// most of it was watched; keeps the page's progress lines (how much was
// watched, what is not yet seen) as the site renders them after each report;
// resumes where the student left off; and lets the chapter and "not yet seen"
// links jump the video instead of reloading the page.
(() => {
  "use strict";

  const player = document.querySelector("[data-progress-url]");
  const video = player && player.querySelector("video");
  if (!video) return;

  const REPORT_EVERY = 7000; // milliseconds, while playing
  const lines = document.querySelector("[data-progress]");
  let sent = []; // what video.played held at the last report the site accepted
  let sentPosition = null;
  let sending = false;
  let again = false;

  const played = () => {
    const ranges = [];
    for (let i = 0; i < video.played.length; i += 1) {
      ranges.push([video.played.start(i), video.played.end(i)]);
    }
    return ranges;
  };

  // The parts of `ranges` not covered by what was already sent.
  const unsent = (ranges) =>
    sent
      .reduce(
        (pieces, [from, to]) =>
          pieces.flatMap(([start, end]) => {
            if (to <= start || from >= end) return [[start, end]];
            const left = [];
            if (start < from) left.push([start, from]);
            if (end > to) left.push([to, end]);
            return left;
          }),
        ranges,
      )
      .filter(([start, end]) => end - start > 0.001);

  // The site renders the lines as on the page, so the wording lives in its template only.
  const show = (result) => {
    const fresh = document.createElement("template");
    fresh.innerHTML = result.progress_html;
    // Only when they changed: replacing them takes the focus off a link in them.
    if (fresh.innerHTML !== lines.innerHTML) lines.replaceChildren(fresh.content);
  };

  const report = (leaving = false) => {
    if (sending && !leaving) {
      again = true; // report once more when the one on its way is answered
      return;
    }
    const snapshot = played();
    const fresh = unsent(snapshot);
    const position = video.currentTime;
    if (!fresh.length && sentPosition !== null && Math.abs(position - sentPosition) < 1) return;
    sending = true;
    fetch(player.dataset.progressUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: leaving,
      headers: { "Content-Type": "application/json", "X-CSRFToken": player.dataset.csrf },
      body: JSON.stringify({
        ranges: fresh,
        position,
        duration: Number.isFinite(video.duration) ? video.duration : 0,
      }),
    })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((result) => {
        sent = snapshot;
        sentPosition = position;
        show(result);
      })
      .catch(() => {}) // the next report carries these parts again
      .finally(() => {
        sending = false;
        if (again) {
          again = false;
          report();
        }
      });
  };

  const resumeAt = Number.parseFloat(player.dataset.resume) || 0;
  const resume = () => {
    if (resumeAt > 0 && resumeAt < video.duration && Math.abs(video.currentTime - resumeAt) > 0.5) {
      video.currentTime = resumeAt;
    }
  };
  if (video.readyState >= HTMLMediaElement.HAVE_METADATA) resume();
  else video.addEventListener("loadedmetadata", resume, { once: true });

  setInterval(() => {
    if (!video.paused) report();
  }, REPORT_EVERY);
  video.addEventListener("pause", () => report());
  video.addEventListener("ended", () => report());
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") report(true);
  });

  // On the document, not on each link: show() replaces the "not yet seen" links.
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-seconds]");
    if (!link) return;
    event.preventDefault();
    video.currentTime = Number(link.dataset.seconds);
    video.focus();
    video.play().catch(() => {});
  });
})();
