// The admin console's API as a test client uses it (src/apis/console/): sign in (with the TOTP step when asked),
// then call with the session cookie and, for changes, its CSRF token.
import { call, cookieHeader, type JsonResponse } from "./http.ts";
import { totpCode } from "./totp.ts";

export interface ConsoleClient {
  cookie: string;
  csrf: string;
  /** A call with the cookie, and the CSRF token on every method but GET. */
  call<T = any>(method: string, path: string, json?: unknown): Promise<JsonResponse<T>>;
}

export function consoleClient(baseUrl: string, cookie: string, csrf: string): ConsoleClient {
  return {
    cookie,
    csrf,
    call: (method, path, json) =>
      call(baseUrl, method, `/console/api${path}`, {
        json,
        headers: { cookie, ...(method === "GET" ? {} : { "x-csrf-token": csrf }) },
      }),
  };
}

/** Signs in with the password (and, when asked for, a code of `totpSecret`); throws unless signed in. */
export async function consoleSignIn(baseUrl: string, email: string, password: string, totpSecret?: string): Promise<ConsoleClient> {
  let answer = await call(baseUrl, "POST", "/console/api/session", { json: { email, password } });
  if (answer.status === 200 && answer.body.status === "second_factor") {
    if (!totpSecret) throw new Error("the console asks for a second factor and the test has none");
    answer = await call(baseUrl, "POST", "/console/api/session/totp", { json: { ticket: answer.body.ticket, code: totpCode(totpSecret) } });
  }
  if (answer.status !== 200 || answer.body.status !== "signed_in") throw new Error(`console sign-in refused: ${answer.status} ${JSON.stringify(answer.body)}`);
  return consoleClient(baseUrl, cookieHeader(answer.cookies), answer.body.session.csrf_token);
}
