// A scan is taken from the box the moment Enter is pressed: the box is emptied then, not when
// the answer comes, and each scan is sent with its own text, in turn (hx-sync "queue all" on
// the form). A second card scanned while the first is still being answered lands in an empty
// box and is checked in after it; emptying the box on the first answer cut the second card
// short ("No member matches "0B8"") and lost its check-in.
// Scans sent and not yet answered: a scan's unmatched text comes back only when none is left.
let pendingScans = 0;

document.addEventListener(
  "submit",
  (event) => {
    const form = event.target;
    if (form.id !== "desk-scan" || !window.htmx) return;
    event.preventDefault();
    event.stopPropagation();
    const box = document.getElementById("desk-q");
    const sent = box.value;
    box.value = "";
    pendingScans += 1;
    // No target here: the form's hx-target is looked up when the request goes, so a scan
    // queued behind another lands in the output as it is then (an answer may replace it).
    htmx.ajax("POST", form.action, {
      source: form,
      values: { q: sent },
      headers: { "X-Desk-Sent": encodeURIComponent(sent) },
    });
  },
  true,
);

// The front desk's search box keeps focus after every action, so the next card scan lands in
// it. One listener on the document rather than one on each form: the forms that send the
// requests (a result row's "Check in", "Undo") are replaced by their own response, and their
// listeners go with them. htmx fires afterRequest on the nearest element still on the page,
// also when the request failed and nothing was swapped.
document.addEventListener("htmx:afterRequest", (event) => {
  const box = document.getElementById("desk-q");
  if (!box) return;
  // The Recent list's poll is nobody's action: focus and the box's text stay where they are.
  // Told by the id htmx sends as HX-Trigger: by now `elt`, swapped out, is a stand-in.
  const config = event.detail.requestConfig;
  if (config && config.headers && config.headers["HX-Trigger"] === "desk-recent") return;
  const scanned = event.detail.elt && event.detail.elt.id === "desk-scan";
  if (scanned) pendingScans = Math.max(0, pendingScans - 1);
  const outcome = event.detail.successful && event.detail.xhr.getResponseHeader("X-Desk-Outcome");
  // A row's check-in, admitted or denied, empties the box for the next card; the results it
  // came from are gone by then. (A scan emptied it when sent.)
  if (outcome && !scanned) box.value = "";
  // Someone typing elsewhere (the reason to admit anyway, sent back with an error) stays there.
  const field = document.activeElement;
  if (field && field !== box && field.matches("input, textarea, select")) return;
  box.focus();
  // Enter on what matched no card (an unknown card, a name): the text comes back to be
  // refined, selected, so the next card scanned replaces it rather than being added to its
  // end — unless the next card is already being typed, or already sent.
  if (scanned && !outcome && box.value === "" && pendingScans === 0) {
    const headers = event.detail.requestConfig && event.detail.requestConfig.headers;
    box.value = decodeURIComponent((headers && headers["X-Desk-Sent"]) || "");
    box.select();
  }
});

// "Admit anyway…" opened: straight to the reason, which is all it asks. Delegated, like the
// listener above, because result panels come and go; "toggle" does not bubble, so capture it.
document.addEventListener(
  "toggle",
  (event) => {
    const details = event.target;
    if (!details.matches || !details.matches("details.desk-override") || !details.open) return;
    const reason = details.querySelector("input[name=reason]");
    if (reason) reason.focus();
  },
  true,
);
