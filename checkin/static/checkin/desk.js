// The front desk's search box keeps focus after every action, so the next card scan lands in
// it. One listener on the document rather than one on each form: the forms that send the
// requests (a result row's "Check in", "Undo") are replaced by their own response, and their
// listeners go with them. htmx fires afterRequest on the nearest element still on the page,
// also when the request failed and nothing was swapped.
document.addEventListener("htmx:afterRequest", (event) => {
  const box = document.getElementById("desk-q");
  if (!box) return;
  // A check-in, admitted or denied (a scan or a row's button), empties the box for the next
  // card; the results it came from are gone by then.
  if (event.detail.successful && event.detail.xhr.getResponseHeader("X-Desk-Outcome")) {
    box.value = "";
  }
  // Someone typing elsewhere (the reason to admit anyway, sent back with an error) stays there.
  const field = document.activeElement;
  if (field && field !== box && field.matches("input, textarea, select")) return;
  box.focus();
  // Enter on what matched no card (an unknown card, a name): the text stays to be refined, but
  // selected, so the next card scanned replaces it rather than being added to its end.
  if (event.detail.elt && event.detail.elt.id === "desk-scan") box.select();
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
