// latchkey's API called in the bench's own process (`latchkey.app.handle`, no sockets), for the tools that measure a
// route's server-side work alone (bench/tools/*-in-process.ts, refresh-garbage.ts): sign-ups, sign-ins, uploads.
import { email, PASSWORD } from "./harness.ts";

/** What these helpers use of createLatchkey's answer (a structural type: no import of the server here). */
export interface InProcess {
  app: { handle(request: Request): Promise<Response> };
}

const postJson = (latchkey: InProcess, path: string, body: unknown) =>
  latchkey.app.handle(new Request(`http://localhost${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) }));

/** Registers bench account `n` (harness.ts's email and password); answers its access token. */
export async function registerInProcess(latchkey: InProcess, n: number): Promise<string> {
  const registered = await postJson(latchkey, "/auth/register", { email: email(n), password: PASSWORD, cookie: false });
  if (registered.status !== 200) throw new Error(`register answered ${registered.status}: ${await registered.text()}`);
  return ((await registered.json()) as { jwt_token: string }).jwt_token;
}

/** Registers accounts 0..users-1 and signs each in: their refresh tokens, in order. */
export async function refreshTokensInProcess(latchkey: InProcess, users: number): Promise<string[]> {
  for (let n = 0; n < users; n++) await registerInProcess(latchkey, n);
  const tokens: string[] = [];
  for (let n = 0; n < users; n++) {
    const login = await postJson(latchkey, "/auth/login", { email: email(n), password: PASSWORD, cookie: false });
    tokens.push(((await login.json()) as { refresh_token: string }).refresh_token);
  }
  return tokens;
}

/** Uploads `bytes` to the storage URL `url` (multipart, as HBP's clients send) with `jwt`; throws unless 200. */
export async function uploadInProcess(latchkey: InProcess, url: string, jwt: string, bytes: Uint8Array, type: string, name = "file"): Promise<void> {
  const form = new FormData();
  form.append("file", new File([bytes], name, { type }));
  const uploaded = await latchkey.app.handle(new Request(url, { method: "POST", headers: { authorization: `Bearer ${jwt}` }, body: form }));
  if (uploaded.status !== 200) throw new Error(`upload answered ${uploaded.status}: ${await uploaded.text()}`);
}
