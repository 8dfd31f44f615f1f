// The single sign-on hand-off (eaccount/handoff.py): send the token to the e-service at once,
// as OpenID Connect's form_post does; without JavaScript the person presses the button.
const form = document.querySelector("form[data-handoff]");
if (form) {
  form.submit();
}
