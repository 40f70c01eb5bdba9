// Email-first sign-in (templates/account/login.html; no inline script: the pages' CSP allows none).
// As the email is typed, ask whether its domain signs in with single sign-on, then show either
// "Continue with SSO" or the password field. Without this script the page shows both.
(() => {
  const form = document.getElementById("login-form");
  if (!form) return;
  const email = document.getElementById("id_login");
  const passwordStep = document.getElementById("password-step");
  const password = document.getElementById("id_password");
  const ssoStep = document.getElementById("sso-step");
  const ssoWords = document.getElementById("sso-words");
  const instead = document.getElementById("password-instead");
  const continueButton = document.getElementById("continue");
  const status = document.getElementById("sign-in-status");
  const looksComplete = (value) => /^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(value.trim());
  let timer = null;
  let asked = "";
  let preferPassword = false;

  function show(step) {
    passwordStep.hidden = step !== "password" && step !== "both";
    ssoStep.hidden = step !== "sso" && step !== "both";
    continueButton.hidden = step !== "email";
    // Chosen by the email, "Continue with SSO" is the page's main button, not the fallback below.
    ssoStep.classList.toggle("chosen", step === "sso");
    document.getElementById("continue-sso").classList.toggle("secondary", step !== "sso");
  }

  function apply(answer) {
    if (answer.sso && !(preferPassword && !answer.required)) {
      ssoWords.textContent = answer.required
        ? "Your organization signs you in with its identity provider."
        : "Your organization signs you in with its identity provider. You can also use a password, if you have one.";
      instead.hidden = answer.required;
      show("sso");
      status.textContent = "Single sign-on: continue with SSO.";
    } else {
      show("password");
      status.textContent = "Enter your password.";
    }
  }

  async function ask(focus) {
    const value = email.value.trim();
    asked = value;
    try {
      const response = await fetch(`${form.dataset.discoverUrl}?email=${encodeURIComponent(value)}`, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
      if (!response.ok) throw new Error(String(response.status));
      const answer = await response.json();
      if (asked !== email.value.trim()) return; // typed on meanwhile; a newer answer follows
      apply(answer);
      if (focus) (answer.sso && !preferPassword ? document.getElementById("continue-sso") : password).focus();
    } catch (error) {
      show("both"); // the page as it is without scripts: both ways in
    }
  }

  function next(event) {
    if (event) event.preventDefault();
    if (!looksComplete(email.value)) {
      email.reportValidity();
      return;
    }
    ask(true);
  }

  email.addEventListener("input", () => {
    clearTimeout(timer);
    preferPassword = false;
    if (!looksComplete(email.value)) {
      show("email");
      return;
    }
    timer = setTimeout(() => ask(false), 200);
  });
  email.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !passwordStep.hidden) return;
    if (ssoStep.hidden) {
      next(event);
    } else {
      event.preventDefault();
      document.getElementById("continue-sso").click();
    }
  });
  continueButton.addEventListener("click", next);
  document.getElementById("use-password").addEventListener("click", () => {
    preferPassword = true;
    show("password");
    password.focus();
  });

  if (looksComplete(email.value)) {
    show("email");
    ask(false);
  } else {
    show("email");
  }
})();
