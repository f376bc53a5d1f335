// The logger keeps out of every line what grants access (issue 23): fields named like secrets, secret query
// parameters and Authorization values, wherever they are in a line. What does not grant access is written as it is.
import { describe, expect, test } from "bun:test";
import { formatLogLine } from "../src/lib/logger.ts";

const TICKET = "2f1c7e0a-8d4b-4c1e-9a3f-6b5d4e3c2b1a";

describe("a log line", () => {
  test.each([
    ["password"],
    ["new_password"],
    ["refresh_token"],
    ["refreshToken"],
    ["ticket"],
    ["link"],
    ["code"],
    ["otp"],
    ["jwt"],
    ["authorization"],
    ["cookie"],
    ["set-cookie"],
    ["client_secret"],
    ["api_key"],
  ])("writes a field named %s as [redacted]", (name) => {
    const line = formatLogLine("INFO", "event", { [name]: TICKET });
    expect(line).toEndWith(` ${name}=[redacted]`);
    expect(line).not.toContain(TICKET);
  });

  test("redacts secret fields inside objects and arrays", () => {
    const line = formatLogLine("INFO", "event", { request: { headers: { Authorization: `Bearer ${TICKET}` }, items: [{ token: TICKET }] } });
    expect(line).not.toContain(TICKET);
    expect(line).toContain('"Authorization":"[redacted]"');
    expect(line).toContain('"token":"[redacted]"');
  });

  test.each([
    ["ticket", `https://auth.example/auth/activate?ticket=${TICKET}`],
    ["token", `http://app.example/reset-password?token=${TICKET}&lang=en`],
    ["refresh_token", `/auth/token/refresh?cookie=false&refresh_token=${TICKET}`],
    ["code", `/callback?state=x&code=${TICKET}`],
    ["otp", `/verify?otp=${TICKET}`],
  ])("cuts the %s parameter out of strings, the message and errors", (parameter, url) => {
    const line = formatLogLine("ERROR", `could not open ${url}`, { url, error: new Error(`fetch ${url} failed`) });
    expect(line).not.toContain(TICKET);
    expect(line).toContain(`${parameter}=[redacted]`);
  });

  test("cuts Bearer and Basic credentials out of strings", () => {
    const line = formatLogLine("WARN", "refused", { header: `Bearer ${TICKET}`, other: "Basic dXNlcjpwYXNz" });
    expect(line).not.toContain(TICKET);
    expect(line).not.toContain("dXNlcjpwYXNz");
  });

  test("writes what grants nothing as it is", () => {
    const line = formatLogLine("INFO", "mail sent", {
      template: "lost-password",
      to: "someone@example.com",
      via: "/srv/data/outbox/2026-01-01T00-00-00-000Z-abc.eml",
      key: "user/1/avatar.png",
      kind: "UNKNOWN",
      attempts: 2,
    });
    expect(line).toEndWith(
      " INFO mail sent template=lost-password to=someone@example.com via=/srv/data/outbox/2026-01-01T00-00-00-000Z-abc.eml key=user/1/avatar.png kind=UNKNOWN attempts=2",
    );
  });
});
