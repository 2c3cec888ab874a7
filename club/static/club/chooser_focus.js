// Wagtail's chooser dialogs open with the focus on the dialog itself, so staff click into
// the search box before typing. Put it there: the dialog's body is loaded before it shows.
jQuery(document).on("shown.bs.modal", ".modal", (event) => {
  event.target.querySelector(".modal-body input[name=q]")?.focus();
});
