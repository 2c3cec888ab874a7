// The front desk's forms, on every desk page.

// Sell and Renew record a payment at once: their button says what it takes ("Renew · take
// €120.00 by card terminal"), kept in step here with the plan and payment chosen. The server
// writes the same words for the form as it stands (ChargingForm.submit_label).
document.addEventListener("change", (event) => {
  const form = event.target.form;
  const button = form && form.querySelector("button[data-charge]");
  if (!button) return;
  const chosen = (name) => {
    const select = form.elements[name];
    return select && select.selectedOptions ? select.selectedOptions[0] : null;
  };
  const plan = chosen("plan");
  const method = chosen("method");
  const price = plan && plan.dataset.price;
  const taken = method ? method.dataset.taken : "";
  button.textContent = price ? `${button.dataset.charge} · take ${price} ${taken}` : button.dataset.charge;
});

// A form sent twice is two requests: a double-click on Freeze saved the freeze, then showed
// the second request's "This freeze overlaps another freeze". Once a desk form is sent, its
// buttons wait for the answer. Without JavaScript the form simply posts. A form whose answer
// leaves the page in place (a download) says so with data-resend.
const SUBMITS = "button:not([type=button]):not([type=reset]), input[type=submit]";

function setSending(form, sending) {
  for (const button of form.querySelectorAll(SUBMITS)) button.disabled = sending;
  if (sending) form.dataset.sending = "true";
  else delete form.dataset.sending;
}

document.addEventListener("submit", (event) => {
  const form = event.target;
  // htmx sends its forms itself (and has cancelled the browser's submit): see below.
  if (event.defaultPrevented || form.hasAttribute("data-resend")) return;
  if (form.dataset.sending) {
    event.preventDefault();
    return;
  }
  form.dataset.sending = "true";
  // After this event: a button disabled now would be left out of the data the form sends.
  setTimeout(() => setSending(form, true));
});

// htmx's forms: disabled while their request is out, enabled again when it failed or was
// refused (a form that answered is usually swapped out with its buttons).
document.addEventListener("htmx:beforeRequest", (event) => {
  if (event.detail.elt instanceof HTMLFormElement) setSending(event.detail.elt, true);
});
document.addEventListener("htmx:afterRequest", (event) => {
  if (event.detail.elt instanceof HTMLFormElement) setSending(event.detail.elt, false);
});

// Back to a page the browser kept as it was left: its forms may be sent again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const form of document.querySelectorAll("form[data-sending]")) setSending(form, false);
});
