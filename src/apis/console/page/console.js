// The admin console's page: a client of the console's JSON API (/console/api, documented in /openapi/json), served
// from the binary with no framework and nothing fetched from elsewhere. Plain JavaScript (an ES module), so it runs
// as it is served: nothing to build, nothing inline (the page's Content-Security-Policy allows scripts from this
// server only). Hash routes: #/ (overview), #/users, #/users/<id>, #/files, #/backups, #/events, #/mail, #/audit, #/settings.

const API = "/console/api";

/** The signed-in session ({admin, csrf_token, ...}), or null. */
let session = null;

// ---- DOM helpers ----

/** An element: `h("a", { href: "#/" }, "text", child)`. Attributes `on*` are listeners; false and null are left out. */
function h(tag, attributes = {}, ...children) {
  const svg = tag.startsWith("svg:");
  const element = svg ? document.createElementNS("http://www.w3.org/2000/svg", tag.slice(4)) : document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "text") element.textContent = String(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

const when = (ms) => (ms === null || ms === undefined ? "never" : new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC");
const day = (ms) => new Date(ms).toISOString().slice(5, 10);
const bytes = (count) => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = count;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
};

/** A table in a focusable scrolling region (narrow screens scroll it sideways, by keyboard too). */
function table(caption, headings, rows) {
  return h(
    "div",
    { class: "scroll", role: "region", "aria-label": caption, tabindex: "0" },
    h(
      "table",
      {},
      h("caption", {}, caption),
      h("thead", {}, h("tr", {}, headings.map((heading) => h("th", { scope: "col" }, heading)))),
      h("tbody", {}, rows.length === 0 ? h("tr", {}, h("td", { colspan: String(headings.length) }, "None.")) : rows),
    ),
  );
}

function state(text, good) {
  return h("span", { class: `state ${good ? "good" : "bad"}` }, text);
}

// ---- The API ----

class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** A call to the console's API; changes carry the session's CSRF token. A 401 shows the sign-in. */
async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (method !== "GET" && session) headers["x-csrf-token"] = session.csrf_token;
  const response = await fetch(API + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin" });
  if (response.status === 204) return null;
  const answer = await response.json().catch(() => null);
  if (!response.ok) {
    const error = answer && answer.error ? answer.error : { code: "http_error", message: `HTTP ${response.status}` };
    if (response.status === 401 && path !== "/session" && path !== "/session/totp") {
      session = null;
      render();
    }
    throw new ApiError(response.status, error.code, error.message);
  }
  return answer;
}

// ---- Layout ----

const PAGES = [
  ["#/", "Overview"],
  ["#/users", "Users"],
  ["#/files", "Files"],
  ["#/backups", "Backups"],
  ["#/events", "Security events"],
  ["#/mail", "Mail"],
  ["#/audit", "Audit log"],
  ["#/settings", "Settings"],
];

function currentRoute() {
  const hash = location.hash || "#/";
  const [path, query = ""] = hash.split("?");
  return { path, params: new URLSearchParams(query) };
}

function layout(route, content) {
  const active = route.path.startsWith("#/users") ? "#/users" : route.path;
  const signOut = async () => {
    try {
      await api("DELETE", "/session");
    } finally {
      session = null;
      location.hash = "#/";
      render();
    }
  };
  return [
    h(
      "header",
      { class: "bar" },
      h("a", { class: "brand", href: "#/" }, "latchkey console"),
      h(
        "nav",
        { "aria-label": "Console" },
        h("ul", {}, PAGES.map(([href, label]) => h("li", {}, h("a", { href, "aria-current": href === active ? "page" : false }, label)))),
      ),
      h("span", { class: "who" }, `Signed in as ${session.admin.email ?? session.admin.username}`),
      h("button", { type: "button", onclick: signOut }, "Sign out"),
    ),
    h("main", { id: "main", tabindex: "-1" }, content),
  ];
}

/** A status line that screen readers announce. */
function messageArea() {
  return h("div", { class: "message", role: "status", "aria-live": "polite" });
}

function showError(area, error) {
  area.className = "message error";
  area.textContent = error instanceof ApiError ? `${error.message} (${error.code})` : String(error.message ?? error);
}

function showDone(area, text) {
  area.className = "message done";
  area.textContent = text;
}

// ---- Sign-in ----

function signInPage() {
  const area = h("div", { class: "message", role: "alert" });
  const email = h("input", { id: "email", name: "email", type: "text", autocomplete: "username", required: true });
  const password = h("input", { id: "password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const form = h(
    "form",
    { class: "stack", onsubmit: (event) => submitPassword(event) },
    h("label", { for: "email" }, "Email or username", email),
    h("label", { for: "password" }, "Password", password),
    h("button", { type: "submit" }, "Sign in"),
  );
  const box = h("section", { class: "card signin" }, h("h1", {}, "Sign in to the latchkey console"), area, form);

  async function submitPassword(event) {
    event.preventDefault();
    try {
      const answer = await api("POST", "/session", { email: email.value, password: password.value });
      password.value = "";
      if (answer.status === "signed_in") return signedIn(answer.session);
      askSecondFactor(answer.ticket, answer.methods);
    } catch (error) {
      showError(area, error);
    }
  }

  /** The passkey step: the browser's own dialog (WebAuthn), its answer sent with the ticket. */
  async function usePasskey(ticket) {
    try {
      const options = await api("POST", "/session/passkey", { ticket });
      const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      const answer = await api("POST", "/session/passkey/verify", { ticket, credential: credential.toJSON() });
      signedIn(answer.session);
    } catch (error) {
      showError(area, error);
      if (error.code === "invalid_ticket") setTimeout(render, 1500);
    }
  }

  function askSecondFactor(ticket, methods) {
    if (!methods.includes("totp")) {
      const button = h("button", { type: "button", onclick: () => usePasskey(ticket) }, "Use a passkey");
      form.replaceWith(h("div", { class: "stack" }, h("p", {}, "Confirm with one of your passkeys."), button));
      area.className = "message";
      area.textContent = "";
      button.focus();
      return;
    }
    askCode(ticket, methods.includes("passkey"));
  }

  function askCode(ticket, passkeyToo) {
    const code = h("input", { id: "code", name: "code", inputmode: "numeric", autocomplete: "one-time-code", pattern: "[0-9]{6}", maxlength: "6", required: true });
    const second = h(
      "form",
      {
        class: "stack",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const answer = await api("POST", "/session/totp", { ticket, code: code.value.trim() });
            signedIn(answer.session);
          } catch (error) {
            code.value = "";
            showError(area, error);
            if (error.code === "invalid_ticket") setTimeout(render, 1500);
          }
        },
      },
      h("p", {}, "Enter the 6-digit code of your authenticator app."),
      h("label", { for: "code" }, "Two-factor code", code),
      h("button", { type: "submit" }, "Verify"),
      passkeyToo ? h("button", { type: "button", class: "quiet", onclick: () => usePasskey(ticket) }, "Use a passkey instead") : null,
    );
    form.replaceWith(second);
    area.className = "message";
    area.textContent = "";
    code.focus();
  }

  return { nodes: [h("main", { id: "main", tabindex: "-1" }, box)], focus: email };
}

function signedIn(next) {
  session = next;
  // Setting the hash renders through hashchange: a render here too would draw the overview twice, the second time
  // over whatever the administrator had already focused or opened.
  if (!location.hash || location.hash === "#") location.hash = "#/";
  else render();
}

// ---- Overview ----

/** Sign-ins and failures per day as bars: failures hatched, every bar labelled, so no colour is needed to read it. */
function chart(days) {
  const width = 700;
  const height = 220;
  const top = 20;
  const bottom = 30;
  const left = 36;
  const max = Math.max(1, ...days.map((entry) => Math.max(entry.sign_ins, entry.failures)));
  const slot = (width - left) / days.length;
  const bar = Math.max(4, slot / 2 - 4);
  const y = (value) => top + (height - top - bottom) * (1 - value / max);
  const bars = days.flatMap((entry, index) => {
    const x = left + index * slot + 2;
    return [
      h("svg:rect", { class: "signins", x, y: y(entry.sign_ins), width: bar, height: y(0) - y(entry.sign_ins) }),
      h("svg:rect", { class: "failures", x: x + bar + 2, y: y(entry.failures), width: bar, height: y(0) - y(entry.failures) }),
      h("svg:text", { x: x + bar / 2, y: y(entry.sign_ins) - 3, "text-anchor": "middle" }, String(entry.sign_ins)),
      h("svg:text", { x: x + bar * 1.5 + 2, y: y(entry.failures) - 3, "text-anchor": "middle" }, String(entry.failures)),
      h("svg:text", { x: x + bar, y: height - 10, "text-anchor": "middle" }, day(entry.day)),
    ];
  });
  const total = (key) => days.reduce((sum, entry) => sum + entry[key], 0);
  return h(
    "svg:svg",
    {
      class: "chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-label": `Sign-ins and failed sign-ins per day over ${days.length} days: ${total("sign_ins")} sign-ins and ${total("failures")} failures in all. The table below has every figure.`,
    },
    h(
      "svg:defs",
      {},
      h(
        "svg:pattern",
        { id: "hatch", width: "6", height: "6", patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)" },
        h("svg:rect", { width: "6", height: "6", fill: "#ffffff" }),
        h("svg:line", { x1: "0", y1: "0", x2: "0", y2: "6", stroke: "#a3101c", "stroke-width": "3" }),
      ),
    ),
    h("svg:line", { class: "axis", x1: left, y1: y(0), x2: width, y2: y(0) }),
    h("svg:text", { x: "0", y: top + 4 }, String(max)),
    h("svg:text", { x: "0", y: y(0) }, "0"),
    bars,
  );
}

function legendSwatch(className) {
  return h("svg:svg", { width: "14", height: "14", "aria-hidden": "true" }, h("svg:rect", { class: className, width: "14", height: "14" }));
}

async function overviewPage() {
  const figures = await api("GET", "/overview");
  const facts = [
    ["Accounts", figures.accounts.total],
    ["New this week", figures.accounts.new_this_week],
    ["Live sessions", figures.active_sessions],
    ["Files", figures.storage.files],
    ["Storage used", bytes(figures.storage.bytes)],
    ["Mails waiting", figures.mail.pending],
    ["Mails failed", figures.mail.failed],
    ["Last backup", figures.last_backup.succeeded_at === null ? "none yet" : when(figures.last_backup.succeeded_at)],
    ["Version", figures.version],
  ];
  return [
    h("h1", { tabindex: "-1" }, "Overview"),
    h("dl", { class: "figures" }, facts.map(([name, value]) => h("div", {}, h("dt", {}, name), h("dd", {}, typeof value === "number" ? value.toLocaleString("en") : value)))),
    h(
      "section",
      { class: "card", "aria-labelledby": "chart-title" },
      h("h2", { id: "chart-title" }, "Sign-ins per day"),
      chart(figures.sign_ins_per_day),
      h(
        "ul",
        { class: "legend" },
        h("li", {}, legendSwatch("signins"), "Sign-ins (solid, left bar)"),
        h("li", {}, legendSwatch("failures"), "Failed sign-ins (hatched, right bar)"),
      ),
      h(
        "details",
        {},
        h("summary", {}, "The figures as a table"),
        table(
          "Sign-ins and failures per day",
          ["Day (UTC)", "Sign-ins", "Failed sign-ins"],
          figures.sign_ins_per_day.map((entry) => h("tr", {}, h("td", {}, new Date(entry.day).toISOString().slice(0, 10)), h("td", {}, entry.sign_ins), h("td", {}, entry.failures))),
        ),
      ),
    ),
    h(
      "section",
      { class: "card", "aria-labelledby": "warnings-title" },
      h("h2", { id: "warnings-title" }, "Settings warnings"),
      figures.warnings.length === 0 ? h("p", {}, "None.") : h("ul", {}, figures.warnings.map((warning) => h("li", {}, warning))),
    ),
  ];
}

// ---- Users ----

/** The cursors of the pages before, so "Previous" can go back (keyset paging only knows "next"). */
function pager(params, next, base) {
  const previous = (params.get("trail") ?? "").split(",").filter(Boolean);
  const here = params.get("after");
  const link = (after, trail) => {
    const query = new URLSearchParams(params);
    query.delete("after");
    query.delete("trail");
    if (after) query.set("after", after);
    if (trail.length > 0) query.set("trail", trail.join(","));
    return `${base}?${query}`;
  };
  return h(
    "nav",
    { class: "pager", "aria-label": "Pages" },
    here ? h("a", { href: link(previous.at(-1) === "first" ? null : previous.at(-1), previous.slice(0, -1)) }, "Previous page") : null,
    here ? h("a", { href: link(null, []) }, "First page") : null,
    next ? h("a", { href: link(next, [...previous, here ?? "first"]) }, "Next page") : h("span", { class: "muted" }, "Last page"),
  );
}

async function usersPage(route) {
  const params = route.params;
  const query = new URLSearchParams();
  for (const name of ["q", "role", "after"]) if (params.get(name)) query.set(name, params.get(name));
  query.set("limit", "25");
  const page = await api("GET", `/users?${query}`);
  const q = h("input", { id: "q", name: "q", type: "search", value: params.get("q") ?? "", placeholder: "alice@, alice, or an id" });
  const role = h("input", { id: "role", name: "role", type: "text", value: params.get("role") ?? "", size: "10" });
  const search = h(
    "form",
    {
      class: "inline",
      role: "search",
      onsubmit: (event) => {
        event.preventDefault();
        const next = new URLSearchParams();
        if (q.value.trim()) next.set("q", q.value.trim());
        if (role.value.trim()) next.set("role", role.value.trim());
        location.hash = `#/users?${next}`;
      },
    },
    h("label", { for: "q" }, "Address, username or id", q),
    h("label", { for: "role" }, "Role", role),
    h("button", { type: "submit" }, "Search"),
  );
  const rows = page.users.map((user) =>
    h(
      "tr",
      {},
      h("td", { class: "wrap" }, h("a", { href: `#/users/${user.id}` }, user.email ?? user.username ?? user.id)),
      h("td", { class: "wrap" }, user.username ?? ""),
      h("td", {}, user.roles.join(", ")),
      h("td", {}, user.disabled ? state("disabled", false) : user.active ? state("active", true) : state("not activated", false)),
      h("td", {}, when(user.created_at)),
    ),
  );
  return [
    h("h1", { tabindex: "-1" }, "Users"),
    search,
    table(params.get("q") || params.get("role") ? "Matching accounts" : "Every account, newest first", ["Account", "Username", "Roles", "State", "Created"], rows),
    pager(params, page.next, "#/users"),
    createUserForm(),
  ];
}

function createUserForm() {
  const area = messageArea();
  const email = h("input", { id: "new-email", name: "email", type: "email", required: true, autocomplete: "off" });
  const password = h("input", { id: "new-password", name: "password", type: "password", autocomplete: "new-password" });
  const admin = h("input", { id: "new-admin", name: "admin", type: "checkbox" });
  return h(
    "section",
    { class: "card", "aria-labelledby": "create-title" },
    h("h2", { id: "create-title" }, "Create an account"),
    area,
    h(
      "form",
      {
        class: "stack",
        onsubmit: async (event) => {
          event.preventDefault();
          try {
            const answer = await api("POST", "/users", { email: email.value, password: password.value || null, roles: admin.checked ? ["admin"] : [] });
            location.hash = `#/users/${answer.user.id}`;
          } catch (error) {
            showError(area, error);
          }
        },
      },
      h("label", { for: "new-email" }, "Email", email),
      h("label", { for: "new-password" }, "Password (empty: none; send a reset mail)", password),
      h("label", { for: "new-admin", class: "check" }, h("span", {}, admin, " Administrator (admin role)")),
      h("button", { type: "submit" }, "Create"),
    ),
  );
}

async function userPage(id) {
  const details = await api("GET", `/users/${encodeURIComponent(id)}`);
  const user = details.user;
  const area = messageArea();
  const name = user.email ?? user.username ?? user.id;
  /** Runs an action, then shows the page again with what happened. */
  const act = (label, run, confirmText) => async (event) => {
    event.preventDefault();
    if (confirmText && !window.confirm(confirmText)) return;
    event.target.disabled = true;
    try {
      const done = await run();
      if (done === "gone") return;
      await show(userPage(id));
      const fresh = document.querySelector(".message");
      if (fresh) showDone(fresh, label);
    } catch (error) {
      event.target.disabled = false;
      showError(area, error);
    }
  };
  const owns = details.owns;
  const deletes =
    `Delete ${name}? This removes the account with ${owns.sessions} live session(s), ${owns.files} file(s) (${bytes(owns.file_bytes)}), ` +
    `${owns.api_tokens} API token(s), ${owns.second_factors} second factor(s) and codes, ${owns.passkeys} passkey(s) and ${owns.identities} provider identit(ies). It cannot be undone.`;
  const rolesInput = h("input", { id: "roles", name: "roles", type: "text", value: user.roles.join(", ") });
  const actions = h(
    "div",
    { class: "actions" },
    user.disabled
      ? h("button", { type: "button", onclick: act(`${name} is enabled.`, () => api("POST", `/users/${user.id}/enable`)) }, "Enable")
      : h("button", { type: "button", class: "danger", onclick: act(`${name} is disabled; their sessions are ended.`, () => api("POST", `/users/${user.id}/disable`), `Disable ${name}? They are signed out everywhere and get nothing from any API until enabled.`) }, "Disable"),
    h("button", { type: "button", class: "quiet", onclick: act("Every session is ended.", () => api("DELETE", `/users/${user.id}/sessions`)) }, "End every session"),
    h("button", { type: "button", class: "quiet", disabled: !details.second_factors.totp && details.second_factors.backup_codes + details.second_factors.recovery_codes === 0, onclick: act("The second factor is removed.", () => api("DELETE", `/users/${user.id}/second-factors`), `Remove the second factor of ${name}? The password alone will sign in.`) }, "Remove second factor"),
    h("button", { type: "button", class: "quiet", disabled: !user.email, onclick: act("A password-reset mail is queued.", () => api("POST", `/users/${user.id}/password-reset-mail`)) }, "Mail a password reset"),
    user.active ? null : h("button", { type: "button", class: "quiet", disabled: !user.email, onclick: act("An activation mail is queued.", () => api("POST", `/users/${user.id}/activation-mail`)) }, "Mail an activation link"),
    h(
      "button",
      {
        type: "button",
        class: "danger",
        onclick: act(
          "Deleted.",
          async () => {
            const answer = await api("DELETE", `/users/${user.id}`);
            location.hash = "#/users";
            await render();
            const fresh = document.querySelector(".message");
            if (fresh) showDone(fresh, `${name} is deleted, with ${answer.deleted.sessions} session(s) and ${answer.deleted.files} file(s).`);
            return "gone";
          },
          deletes,
        ),
      },
      "Delete account",
    ),
  );
  const roleForm = h(
    "form",
    {
      class: "inline",
      onsubmit: act("The roles are set.", () =>
        api("PUT", `/users/${user.id}/roles`, { roles: rolesInput.value.split(",").map((role) => role.trim()).filter(Boolean) }),
      ),
    },
    h("label", { for: "roles" }, "Roles (comma-separated; the default role stays)", rolesInput),
    h("button", { type: "submit" }, "Set roles"),
  );
  const sessions = details.sessions.map((entry) =>
    h(
      "tr",
      {},
      h("td", {}, when(entry.created_at)),
      h("td", {}, when(entry.last_used_at)),
      h("td", { class: "wrap" }, entry.ip ?? ""),
      h("td", { class: "wrap" }, entry.user_agent ?? ""),
      h("td", {}, h("button", { type: "button", class: "quiet", "aria-label": `End the session started ${when(entry.created_at)}`, onclick: act("The session is ended.", () => api("DELETE", `/users/${user.id}/sessions/${entry.id}`)) }, "End")),
    ),
  );
  return [
    h("h1", { tabindex: "-1" }, name),
    area,
    h(
      "section",
      { class: "card", "aria-labelledby": "account-title" },
      h("h2", { id: "account-title" }, "Account"),
      h(
        "dl",
        { class: "facts" },
        [
          ["Id", user.id],
          ["Email", user.email ?? "none"],
          ["Username", user.username ?? "none"],
          ["State", user.disabled ? "disabled" : user.active ? "active" : "not activated"],
          ["Email verified", user.email_verified ? "yes" : "no"],
          ["Password", user.password ? "set" : "none"],
          ["Default role", user.default_role],
          ["Roles", user.roles.join(", ")],
          ["Created", when(user.created_at)],
          ["Second factor", details.second_factors.totp ? "TOTP on" : "none"],
          ["Backup and recovery codes", `${details.second_factors.backup_codes} and ${details.second_factors.recovery_codes}`],
        ].flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
      h("h2", {}, "Actions"),
      actions,
      roleForm,
    ),
    table("Live sessions", ["Signed in", "Last used", "Address", "Browser", ""], sessions),
    h("h2", {}, "Second factors and sign-in methods"),
    table(
      "Passkeys",
      ["Name", "Kind", "Backed up", "Registered", "Last used", ""],
      details.passkeys.map((key) => {
        const label = key.nickname ?? key.id.slice(0, 12);
        return h(
          "tr",
          {},
          h("td", {}, label),
          h("td", {}, key.device_type),
          h("td", {}, key.backed_up ? "yes" : "no"),
          h("td", {}, when(key.created_at)),
          h("td", {}, when(key.last_used_at)),
          h("td", {}, h("button", { type: "button", class: "quiet", "aria-label": `Remove the passkey ${label}`, onclick: act("The passkey is removed.", () => api("DELETE", `/users/${user.id}/passkeys/${encodeURIComponent(key.id)}`), `Remove the passkey ${label} of ${name}?`) }, "Remove")),
        );
      }),
    ),
    table(
      "Provider identities",
      ["Provider", "Subject", "Email", "Linked", "Last used", ""],
      details.identities.map((identity) =>
        h(
          "tr",
          {},
          h("td", {}, identity.provider),
          h("td", { class: "wrap" }, identity.subject),
          h("td", { class: "wrap" }, identity.email ?? ""),
          h("td", {}, when(identity.created_at)),
          h("td", {}, when(identity.last_used_at)),
          h("td", {}, h("button", { type: "button", class: "quiet", "aria-label": `Unlink the ${identity.provider} identity`, onclick: act(`The ${identity.provider} identity is unlinked.`, () => api("DELETE", `/users/${user.id}/identities/${encodeURIComponent(identity.provider)}`), `Unlink ${name}'s ${identity.provider} identity? Signing in there will no longer reach this account.`) }, "Unlink")),
        ),
      ),
    ),
    table("API tokens (the tokens themselves are never shown)", ["Made", "Expires"], details.api_tokens.map((token) => h("tr", {}, h("td", {}, when(token.created_at)), h("td", {}, when(token.expires_at))))),
    table("Recent security events", ["When", "Event", "Address", "Reason"], details.recent_security_events.map(eventRow)),
  ];
}

// ---- Files ----

/** The folder's key with a link to each folder above it. */
function breadcrumbs(folder) {
  const parts = folder.split("/").filter(Boolean);
  const crumbs = [h("a", { href: "#/files" }, "All files")];
  let key = "";
  for (const part of parts) {
    key += `${part}/`;
    crumbs.push(" / ", h("a", { href: `#/files?folder=${encodeURIComponent(key)}` }, part));
  }
  return h("nav", { class: "crumbs", "aria-label": "Folder" }, crumbs);
}

const isImage = (type) => /^image\/(jpeg|png|webp)\b/i.test(type);

async function filesPage(route) {
  const params = route.params;
  const folder = params.get("folder") ?? "";
  const query = new URLSearchParams({ limit: "50" });
  if (folder) query.set("folder", folder);
  if (params.get("after")) query.set("after", params.get("after"));
  const [page, usage] = await Promise.all([api("GET", `/files?${query}`), folder ? null : api("GET", "/files/usage")]);
  const area = messageArea();
  /** Runs a change on a file, then shows the folder again with what happened. */
  const act = (label, run, confirmText) => async (event) => {
    event.preventDefault();
    if (confirmText && !window.confirm(confirmText)) return;
    event.target.disabled = true;
    try {
      await run();
      await show(filesPage(currentRoute()));
      const fresh = document.querySelector(".message");
      if (fresh) showDone(fresh, label);
    } catch (error) {
      event.target.disabled = false;
      showError(area, error);
    }
  };
  const rows = page.entries.map((entry) => {
    if (entry.kind === "folder") {
      const name = entry.key.slice(folder.length);
      return h("tr", {}, h("td", {}, ""), h("td", { class: "wrap" }, h("a", { href: `#/files?folder=${encodeURIComponent(entry.key)}` }, name)), h("td", {}, "folder"), h("td", {}, ""), h("td", {}, ""), h("td", {}, ""));
    }
    const file = entry.file;
    const name = file.key.slice(folder.length);
    const key = encodeURIComponent(file.key);
    const preview = isImage(file.content_type)
      ? h("img", { class: "thumb", src: `${API}/files/thumbnail?key=${key}&w=160`, alt: `Preview of ${name}`, width: "80" })
      : h("span", { class: "muted" }, "none");
    return h(
      "tr",
      {},
      h("td", {}, preview),
      h("td", { class: "wrap" }, name),
      h("td", {}, file.content_type),
      h("td", {}, bytes(file.size)),
      h("td", {}, when(file.updated_at)),
      h(
        "td",
        { class: "actions" },
        h("a", { href: `${API}/files/content?key=${key}`, download: name, "aria-label": `Download ${name}` }, "Download"),
        " ",
        h("button", { type: "button", class: "quiet", "aria-label": `Revoke token of ${name}`, onclick: act(`${name} has a new token: old links stop working.`, () => api("POST", "/files/token", { key: file.key }), `Give ${name} a new token? Links with the old one stop working.`) }, "Revoke token"),
        " ",
        h("button", { type: "button", class: "quiet", "aria-label": `Delete ${name}`, onclick: act(`${name} is deleted.`, () => api("DELETE", `/files?key=${key}`), `Delete ${file.key}? It cannot be undone.`) }, "Delete"),
      ),
    );
  });
  return [
    h("h1", { tabindex: "-1" }, folder ? `Files in ${folder}` : "Files"),
    area,
    breadcrumbs(folder),
    table(folder ? `Folder ${folder}` : "Top folder", ["Preview", "Name", "Type", "Size", "Changed", ""], rows),
    pager(params, page.next, "#/files"),
    usage
      ? table(
          `Storage used per top folder (in all: ${usage.total.files} file(s), ${bytes(usage.total.bytes)})${usage.truncated ? "; the first 200 folders" : ""}`,
          ["Folder", "Files", "Size"],
          usage.folders.map((row) => h("tr", {}, h("td", { class: "wrap" }, row.folder === "" ? "(top level)" : h("a", { href: `#/files?folder=${encodeURIComponent(row.folder)}` }, row.folder)), h("td", {}, String(row.files)), h("td", {}, bytes(row.bytes)))),
        )
      : null,
  ];
}

// ---- Backups ----

async function backupsPage() {
  const answer = await api("GET", "/backups");
  const area = messageArea();
  const create = async (event) => {
    event.preventDefault();
    event.target.disabled = true;
    area.className = "message";
    area.textContent = "Making a backup...";
    try {
      const made = await api("POST", "/backups");
      await show(backupsPage());
      const fresh = document.querySelector(".message");
      if (fresh) showDone(fresh, `Backup ${made.backup.name} made (${bytes(made.backup.bytes)}).`);
    } catch (error) {
      event.target.disabled = false;
      showError(area, error);
    }
  };
  return [
    h("h1", { tabindex: "-1" }, "Backups"),
    area,
    h(
      "section",
      { class: "card", "aria-labelledby": "backup-where" },
      h("h2", { id: "backup-where" }, "Where and when"),
      h(
        "dl",
        { class: "facts" },
        [
          ["Destination (BACKUP_URL)", answer.destination ?? "none"],
          ["Schedule (BACKUP_SCHEDULE)", answer.schedule ?? "none: no scheduled backups"],
          ["Scheduled backups kept (BACKUP_KEEP)", String(answer.keep)],
          ["Last success (this process)", when(answer.last_success_at)],
          ["Last failure (this process)", when(answer.last_failure_at)],
        ].flatMap(([term, value]) => [h("dt", {}, term), h("dd", {}, value)]),
      ),
      answer.unavailable
        ? h("p", {}, `Backups cannot be made here: ${answer.unavailable}.`)
        : h("button", { type: "button", onclick: create }, "Back up now"),
      h("p", { class: "muted" }, answer.restore),
    ),
    table(
      "Backups at the destination, newest first",
      ["Backup", "Made", "Size"],
      answer.backups.map((backup) =>
        h(
          "tr",
          {},
          h("td", { class: "wrap" }, h("a", { href: `${API}/backups/${encodeURIComponent(backup.name)}`, download: backup.name }, backup.name)),
          h("td", {}, when(backup.created_at)),
          h("td", {}, bytes(backup.bytes)),
        ),
      ),
    ),
  ];
}

// ---- Security events and audit ----

function eventRow(event) {
  return h("tr", {}, h("td", {}, when(event.at)), h("td", {}, event.event), h("td", { class: "wrap" }, event.ip ?? ""), h("td", {}, event.reason ?? ""));
}

/** A filter form whose fields go into the hash's query. */
function filterForm(base, params, fields) {
  const inputs = fields.map(([name, label]) => [name, label, h("input", { id: `filter-${name}`, name, type: "text", value: params.get(name) ?? "" })]);
  return h(
    "form",
    {
      class: "inline",
      onsubmit: (event) => {
        event.preventDefault();
        const next = new URLSearchParams();
        for (const [name, , input] of inputs) if (input.value.trim()) next.set(name, input.value.trim());
        location.hash = `${base}?${next}`;
      },
    },
    inputs.map(([name, label, input]) => h("label", { for: `filter-${name}` }, label, input)),
    h("button", { type: "submit" }, "Filter"),
  );
}

async function eventsPage(route) {
  const params = route.params;
  const query = new URLSearchParams();
  for (const name of ["account", "ip", "event", "after"]) if (params.get(name)) query.set(name, params.get(name));
  const page = await api("GET", `/security-events?${query}`);
  return [
    h("h1", { tabindex: "-1" }, "Security events"),
    filterForm("#/events", params, [["account", "Account (email:… or user:…)"], ["ip", "Address"], ["event", "Event"]]),
    table(
      "Security events, newest first",
      ["When", "Event", "Address", "Account", "Reason"],
      page.events.map((event) => h("tr", {}, h("td", {}, when(event.at)), h("td", {}, event.event), h("td", { class: "wrap" }, event.ip ?? ""), h("td", { class: "wrap" }, event.account ?? ""), h("td", {}, event.reason ?? ""))),
    ),
    pager(params, page.next, "#/events"),
  ];
}

async function auditPage(route) {
  const params = route.params;
  const query = new URLSearchParams();
  for (const name of ["admin", "action", "target", "after"]) if (params.get(name)) query.set(name, params.get(name));
  const page = await api("GET", `/audit?${query}`);
  return [
    h("h1", { tabindex: "-1" }, "Audit log"),
    h("p", { class: "muted" }, "Every console action, newest first. Entries are never changed or deleted."),
    filterForm("#/audit", params, [["action", "Action"], ["target", "Target (user:<id>)"], ["admin", "Administrator id"]]),
    table(
      "Audit entries, newest first",
      ["When", "Administrator", "Action", "Target", "Details", "Address"],
      page.entries.map((entry) =>
        h(
          "tr",
          {},
          h("td", {}, when(entry.at)),
          h("td", { class: "wrap" }, entry.admin_email ?? ""),
          h("td", {}, entry.action),
          h("td", { class: "wrap" }, entry.target && entry.target.startsWith("user:") ? h("a", { href: `#/users/${entry.target.slice(5)}` }, entry.target) : entry.target ?? ""),
          h("td", { class: "wrap" }, JSON.stringify(entry.details)),
          h("td", { class: "wrap" }, entry.ip ?? ""),
        ),
      ),
    ),
    pager(params, page.next, "#/audit"),
  ];
}

async function mailPage(route) {
  const params = route.params;
  const state = ["waiting", "failed", "sent"].includes(params.get("state")) ? params.get("state") : "waiting";
  const query = new URLSearchParams({ state });
  if (params.get("after")) query.set("after", params.get("after"));
  const [page, templates] = await Promise.all([api("GET", `/mail?${query}`), api("GET", "/mail/templates")]);
  const area = messageArea();
  const retry = (mail) => async (event) => {
    event.target.disabled = true;
    try {
      await api("POST", `/mail/${mail.id}/retry`);
      showDone(area, `The mail to ${mail.recipient} is due again.`);
    } catch (error) {
      event.target.disabled = false;
      showError(area, error);
    }
  };
  const to = h("input", { id: "test-to", name: "to", type: "email", required: true });
  const testForm = h(
    "form",
    {
      class: "inline",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const answer = await api("POST", "/mail/test", { to: to.value });
          if (answer.sent) showDone(area, `Test mail sent to ${to.value} (${answer.where}${answer.response ? `: ${answer.response}` : ""}).`);
          else showError(area, { message: `The test mail to ${to.value} was not sent: ${answer.error}` });
        } catch (error) {
          showError(area, error);
        }
      },
    },
    h("label", { for: "test-to" }, "Send a test mail to", to),
    h("button", { type: "submit" }, "Send test mail"),
  );
  const choice = h("select", { id: "template", name: "template" }, templates.templates.map((name) => h("option", { value: name }, name)));
  const preview = h("div", { "aria-live": "polite" });
  const showPreview = async () => {
    const mail = await api("GET", `/mail/templates/${encodeURIComponent(choice.value)}`);
    preview.replaceChildren(
      h("dl", { class: "facts" }, h("dt", {}, "Subject"), h("dd", {}, mail.subject)),
      h("h3", {}, "Text"),
      h("pre", { class: "mail", tabindex: "0" }, mail.text),
      h("h3", {}, "HTML (source)"),
      h("pre", { class: "mail", tabindex: "0" }, mail.html),
    );
  };
  choice.addEventListener("change", () => showPreview().catch((error) => showError(area, error)));
  await showPreview();
  const tabs = h(
    "nav",
    { class: "pager", "aria-label": "Mail states" },
    ["waiting", "failed", "sent"].map((name) => h("a", { href: `#/mail?state=${name}`, "aria-current": name === state ? "page" : false }, name === "waiting" ? "Waiting" : name === "failed" ? "Failed" : "Sent")),
  );
  return [
    h("h1", { tabindex: "-1" }, "Mail"),
    area,
    tabs,
    table(
      `Mails ${state === "waiting" ? "waiting" : state === "failed" ? "given up" : "sent"}, newest first`,
      ["Queued", "To", "Template", "Attempts", state === "sent" ? "Sent" : "Next attempt", "Mail server's last answer", ""],
      page.mails.map((mail) =>
        h(
          "tr",
          {},
          h("td", {}, when(mail.queued_at)),
          h("td", { class: "wrap" }, mail.recipient),
          h("td", {}, mail.template),
          h("td", {}, mail.attempts),
          h("td", {}, when(state === "sent" ? mail.sent_at : mail.next_attempt_at)),
          h("td", { class: "wrap" }, mail.last_error ?? ""),
          h("td", {}, state === "failed" ? h("button", { type: "button", class: "quiet", "aria-label": `Retry the mail to ${mail.recipient}`, onclick: retry(mail) }, "Retry") : ""),
        ),
      ),
    ),
    pager(params, page.next, "#/mail"),
    h("section", { class: "card", "aria-labelledby": "test-title" }, h("h2", { id: "test-title" }, "Test the mail settings"), testForm),
    h(
      "section",
      { class: "card", "aria-labelledby": "templates-title" },
      h("h2", { id: "templates-title" }, "Templates"),
      h("label", { for: "template" }, "Template (filled with sample data)", choice),
      preview,
    ),
  ];
}

async function settingsPage() {
  const answer = await api("GET", "/settings");
  return [
    h("h1", { tabindex: "-1" }, "Settings"),
    h("p", { class: "muted" }, "The settings in effect, as `latchkey config check` prints them; secrets are masked. They are changed in the server's environment, not here."),
    h(
      "section",
      { class: "card", "aria-labelledby": "settings-warnings" },
      h("h2", { id: "settings-warnings" }, "Warnings"),
      answer.warnings.length === 0 ? h("p", {}, "None.") : h("ul", {}, answer.warnings.map((warning) => h("li", {}, warning))),
    ),
    table("Settings in effect", ["Setting", "Value"], answer.settings.map((row) => h("tr", {}, h("td", {}, row.name), h("td", { class: "wrap" }, row.value)))),
  ];
}

// ---- Rendering ----

/** How many pages have been asked for: a page whose answer comes after a newer page was asked for is dropped. */
let pagesAsked = 0;

/**
 * Replaces the page's content by a page's nodes (or its error), and moves focus to its heading: unless another page
 * was asked for while this one waited for its answer, which would otherwise replace the newer page when it came.
 */
async function show(pending) {
  const asked = ++pagesAsked;
  const app = document.getElementById("app");
  const route = currentRoute();
  let content;
  try {
    content = await pending;
  } catch (error) {
    if (!session || asked !== pagesAsked) return;
    const area = messageArea();
    showError(area, error);
    content = [h("h1", { tabindex: "-1" }, "Something went wrong"), area, h("p", {}, h("a", { href: "#/" }, "Back to the overview"))];
  }
  if (!session || asked !== pagesAsked) return;
  app.replaceChildren(...layout(route, content));
  const heading = app.querySelector("h1");
  if (heading) heading.focus({ preventScroll: false });
}

async function render() {
  const app = document.getElementById("app");
  if (!session) {
    try {
      session = (await api("GET", "/session")).session;
    } catch {
      session = null;
    }
  }
  if (!session) {
    const page = signInPage();
    app.replaceChildren(...page.nodes);
    page.focus.focus();
    document.title = "Sign in: latchkey console";
    return;
  }
  const route = currentRoute();
  const title = PAGES.find(([href]) => href === route.path)?.[1] ?? (route.path.startsWith("#/users/") ? "User" : "Overview");
  document.title = `${title}: latchkey console`;
  if (route.path === "#/users") return show(usersPage(route));
  if (route.path.startsWith("#/users/")) return show(userPage(decodeURIComponent(route.path.slice("#/users/".length))));
  if (route.path === "#/files") return show(filesPage(route));
  if (route.path === "#/backups") return show(backupsPage());
  if (route.path === "#/events") return show(eventsPage(route));
  if (route.path === "#/audit") return show(auditPage(route));
  if (route.path === "#/mail") return show(mailPage(route));
  if (route.path === "#/settings") return show(settingsPage());
  return show(overviewPage());
}

window.addEventListener("hashchange", () => render());
render();
