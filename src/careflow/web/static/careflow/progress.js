// A job's progress page: with JavaScript, check progress every few seconds, and let the user stop that
// (WCAG 2.2.1, timing adjustable). Without JavaScript the page's "Check progress" button does the same by hand.
const group = document.querySelector("[data-careflow-progress]");
if (group) {
  const seconds = Math.max(1, parseInt(group.getAttribute("data-careflow-progress"), 10) || 3);
  const stop = group.querySelector("[data-careflow-progress-stop]");
  const note = document.querySelector("[data-careflow-progress-note]");
  const timer = window.setTimeout(() => window.location.reload(), seconds * 1000);
  stop.hidden = false;
  if (note) note.hidden = false;
  stop.addEventListener("click", () => {
    window.clearTimeout(timer);
    stop.hidden = true;
    if (note) note.textContent = "Automatic updates stopped. Use Check progress to see how the work is going.";
  });
}
