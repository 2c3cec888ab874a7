// The dashboard's search box goes where the sidebar's goes (the desk, the members list), or
// away when the user may search nothing: Wagtail's template always points it at the pages.
(() => {
  const form = document.querySelector(".w-dashboard form[role=search]");
  const search = JSON.parse(document.getElementById("dashboard-search")?.textContent || "null");
  if (!form) return;
  if (!search) {
    form.remove();
    return;
  }
  form.action = search.url;
  const box = form.querySelector("input[name=q]");
  if (box) box.placeholder = search.placeholder;
})();
