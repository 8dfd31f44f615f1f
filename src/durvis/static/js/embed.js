// The embed entry (eaccount/embed.py). In the frame: after "Sign in to apply" opened the sign-in
// in a new tab, coming back to the portal's page reloads the frame with ?signin=done, so it
// shows the signed-in state where the browser lets the frame share the sign-in.
const signin = document.querySelector("[data-embed-signin]");
if (signin) {
  signin.addEventListener("click", () => {
    const reload = () => {
      const address = new URL(window.location.href);
      address.searchParams.set("signin", "done");
      window.location.replace(address.toString());
    };
    window.addEventListener("focus", reload, { once: true });
  });
}
