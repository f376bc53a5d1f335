// An https PUBLIC_URL makes HBP's cookies Secure when COOKIE_SECURE is unset (issue 25): a deployment behind TLS
// does not send its refresh token over plain http because someone forgot a setting. COOKIE_SECURE still decides
// when it is set. Over real HTTP, on both backends.
import { expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer } from "./support/server.ts";

/** The Set-Cookie headers of a cookie-mode sign-up on a server started with `env`. */
async function signUpCookies(env: Record<string, string>): Promise<string[]> {
  const server = await startServer(env);
  try {
    const res = await call(server.url, "POST", "/auth/register", { json: { email: "cookie@example.com", password: "cookie-password" } });
    expect(res.status).toBe(200);
    const cookies = res.cookies.filter((cookie) => /^(refresh_token|permission_variables)=s%3A/.test(cookie));
    expect(cookies).toHaveLength(2);
    return cookies;
  } finally {
    await server.stop();
  }
}

const attributes = (cookie: string) => cookie.split(";").map((part) => part.trim());

test("PUBLIC_URL https and COOKIE_SECURE unset: both cookies are Secure", async () => {
  for (const cookie of await signUpCookies({ PUBLIC_URL: "https://auth.example.test" })) {
    expect(attributes(cookie)).toContain("Secure");
    expect(attributes(cookie)).toContain("HttpOnly");
  }
});

test("PUBLIC_URL http: not Secure (a browser would drop a Secure cookie over http)", async () => {
  for (const cookie of await signUpCookies({ PUBLIC_URL: "http://auth.example.test" })) expect(attributes(cookie)).not.toContain("Secure");
});

test("COOKIE_SECURE decides when set: false with an https PUBLIC_URL, true with an http one", async () => {
  for (const cookie of await signUpCookies({ PUBLIC_URL: "https://auth.example.test", COOKIE_SECURE: "false" })) {
    expect(attributes(cookie)).not.toContain("Secure");
  }
  for (const cookie of await signUpCookies({ PUBLIC_URL: "http://auth.example.test", COOKIE_SECURE: "true" })) {
    expect(attributes(cookie)).toContain("Secure");
  }
});

test("COOKIE_SAME_SITE=none is accepted with an https PUBLIC_URL alone: its cookies are Secure", async () => {
  for (const cookie of await signUpCookies({ PUBLIC_URL: "https://auth.example.test", COOKIE_SAME_SITE: "none", CORS_ORIGINS: "https://app.example.test" })) {
    expect(attributes(cookie)).toContain("Secure");
    expect(attributes(cookie)).toContain("SameSite=None");
  }
});
