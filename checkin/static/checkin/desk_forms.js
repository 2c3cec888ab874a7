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
