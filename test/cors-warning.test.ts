// CORS_ORIGINS=* (the default) with COOKIE_SAME_SITE=none lets any web site make credentialed calls with a user's
// cookie: start-up warns, saying why and what to set (issue 23, defect 12).
import { expect, test } from "bun:test";
import { call } from "./support/http.ts";
import { startServer } from "./support/server.ts";

const SAME_SITE_NONE = { COOKIE_SAME_SITE: "none", COOKIE_SECURE: "true" };
const WARNING = "WARN CORS_ORIGINS=* with COOKIE_SAME_SITE=none lets any web site make credentialed calls";

test("the default CORS_ORIGINS with COOKIE_SAME_SITE=none: a warning naming the risk and the fix", async () => {
  const server = await startServer(SAME_SITE_NONE);
  try {
    expect(server.output()).toContain(WARNING);
    expect(server.output()).toContain("set CORS_ORIGINS to your app's origins, or COOKIE_SAME_SITE=lax");
    // What it warns about: any origin is reflected with credentials.
    const res = await call(server.url, "GET", "/healthz", { headers: { origin: "http://evil.example" } });
    expect(res.headers.get("access-control-allow-origin")).toBe("http://evil.example");
    expect(res.headers.get("access-control-allow-credentials")).toBe("true");
  } finally {
    await server.stop();
  }
});

test("no warning with listed origins, or with SameSite=Lax (the default)", async () => {
  for (const env of [{ ...SAME_SITE_NONE, CORS_ORIGINS: "https://app.example" }, {}]) {
    const server = await startServer(env);
    try {
      expect(server.output()).not.toContain("CORS_ORIGINS=*");
    } finally {
      await server.stop();
    }
  }
});
