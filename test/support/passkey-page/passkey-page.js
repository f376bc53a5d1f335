// The test page's script: sign up, sign in and sign out with a passkey through latchkey's HBP routes, as an app on
// another origin would. latchkey's URL comes from the page's query (?latchkey=http://127.0.0.1:port).
//
// latchkey speaks WebAuthn's JSON forms (binary fields as base64url strings); navigator.credentials wants
// ArrayBuffers. The conversion is written out here (PublicKeyCredential.parseCreationOptionsFromJSON and toJSON do the
// same in new browsers; ?json=native uses them) so the page has no dependency and shows exactly what crosses the wire.
//
// State for the test to read: #status's data-state ("signed-out", "busy", "signed-in", "error") and, signed in,
// data-user-id; its text says the same for a person (and a screenshot).

const query = new URL(location.href).searchParams;
const server = query.get("latchkey");
/** ?json=native: the browser's own conversions (parse*OptionsFromJSON, toJSON), as the README shows, instead of ours. */
const nativeJson = query.get("json") === "native";
document.querySelector("#server").textContent = server;
const status = document.querySelector("#status");

/** The session in memory only: the access token and the refresh token (`cookie: false`, so no cookie across sites). */
let session = null;

// --- base64url <-> bytes --------------------------------------------------------------------------------------

function bytesOf(base64url) {
  const base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function base64urlOf(buffer) {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// --- WebAuthn's JSON forms <-> the browser's objects ------------------------------------------------------------

const descriptors = (list) => (list ?? []).map((descriptor) => ({ ...descriptor, id: bytesOf(descriptor.id) }));

function creationOptions(json) {
  return { ...json, challenge: bytesOf(json.challenge), user: { ...json.user, id: bytesOf(json.user.id) }, excludeCredentials: descriptors(json.excludeCredentials) };
}

function requestOptions(json) {
  return { ...json, challenge: bytesOf(json.challenge), allowCredentials: descriptors(json.allowCredentials) };
}

function credentialFields(credential) {
  return {
    id: credential.id,
    rawId: base64urlOf(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment ?? undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
  };
}

function creationJSON(credential) {
  const { response } = credential;
  return {
    ...credentialFields(credential),
    response: {
      clientDataJSON: base64urlOf(response.clientDataJSON),
      attestationObject: base64urlOf(response.attestationObject),
      transports: response.getTransports?.() ?? [],
    },
  };
}

function assertionJSON(credential) {
  const { response } = credential;
  return {
    ...credentialFields(credential),
    response: {
      clientDataJSON: base64urlOf(response.clientDataJSON),
      authenticatorData: base64urlOf(response.authenticatorData),
      signature: base64urlOf(response.signature),
      userHandle: response.userHandle ? base64urlOf(response.userHandle) : null,
    },
  };
}

// --- latchkey -------------------------------------------------------------------------------------------------

async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["content-type"] = "application/json";
  if (session) headers.authorization = `Bearer ${session.accessToken}`;
  const response = await fetch(`${server}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  const json = text === "" ? null : JSON.parse(text);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${json?.message ?? text}`);
  return json;
}

/**
 * Keeps the session latchkey answered, then asks latchkey who it is: the refresh token is exchanged for a fresh
 * session (GET /auth/token/refresh, which answers the session's user), and the new access token lists the user's
 * passkeys (GET /auth/user/webauthn, signed in only).
 */
async function startSession(reply) {
  if (!reply.jwt_token) throw new Error("latchkey answered no session (is the account active?)");
  session = { accessToken: reply.jwt_token, refreshToken: reply.refresh_token };
  const refreshed = await api("GET", `/auth/token/refresh?refresh_token=${encodeURIComponent(session.refreshToken)}`);
  if (refreshed.user.id !== reply.user.id) throw new Error(`the refreshed session is ${refreshed.user.id}'s, not ${reply.user.id}'s`);
  session = { accessToken: refreshed.jwt_token, refreshToken: refreshed.refresh_token };
  const passkeys = await api("GET", "/auth/user/webauthn");
  document.querySelector("#passkeys").replaceChildren(
    ...passkeys.map((passkey) => {
      const item = document.createElement("li");
      item.textContent = `${passkey.nickname ?? "passkey"} (${passkey.transports.join(", ") || "no transports"})`;
      return item;
    }),
  );
  const { user } = refreshed;
  show("signed-in", `Signed in as ${user.email} with a passkey (user ${user.id}; ${passkeys.length} passkey${passkeys.length === 1 ? "" : "s"})`, user.id);
}

async function signUp() {
  const email = document.querySelector("#email").value;
  const options = await api("POST", "/auth/signup/webauthn", { email });
  const publicKey = nativeJson ? PublicKeyCredential.parseCreationOptionsFromJSON(options) : creationOptions(options);
  const credential = await navigator.credentials.create({ publicKey });
  const answer = nativeJson ? credential.toJSON() : creationJSON(credential);
  await startSession(await api("POST", "/auth/signup/webauthn/verify", { credential: answer, nickname: "Test browser", cookie: false }));
}

/**
 * Without an address (the default): latchkey asks for any passkey of this site, and the authenticator offers the one
 * it holds. With one ("Sign in with my address"): latchkey names the account's passkeys.
 */
async function signIn() {
  const email = document.querySelector("#with-email").checked ? document.querySelector("#email").value : undefined;
  const options = await api("POST", "/auth/signin/webauthn", email === undefined ? {} : { email });
  const publicKey = nativeJson ? PublicKeyCredential.parseRequestOptionsFromJSON(options) : requestOptions(options);
  const credential = await navigator.credentials.get({ publicKey });
  const answer = nativeJson ? credential.toJSON() : assertionJSON(credential);
  await startSession(await api("POST", "/auth/signin/webauthn/verify", { email, credential: answer, cookie: false }));
}

async function signOut() {
  if (session) await api("POST", `/auth/logout?refresh_token=${encodeURIComponent(session.refreshToken)}`);
  session = null;
  document.querySelector("#passkeys").replaceChildren();
  show("signed-out", "Signed out");
}

// --- the page -------------------------------------------------------------------------------------------------

function show(state, text, userId) {
  status.dataset.state = state;
  if (userId) status.dataset.userId = userId;
  else delete status.dataset.userId;
  status.textContent = text;
}

for (const [id, action] of [["sign-up", signUp], ["sign-in", signIn], ["sign-out", signOut]]) {
  document.querySelector(`#${id}`).addEventListener("click", async () => {
    show("busy", "Working...");
    try {
      await action();
    } catch (error) {
      show("error", `Error: ${error.message}`);
    }
  });
}
