// The logger keeps out of every line what grants access (issue 23): fields named like secrets, secret query
// parameters and Authorization values, wherever they are in a line. What does not grant access is written as it is.
import { describe, expect, test } from "bun:test";
import { createLogger, formatLogLine, type LogFormat, type LogLevel } from "../src/lib/logger.ts";

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

/** A logger writing into arrays: what went to stdout and to stderr. */
function capture(level: LogLevel, format: LogFormat) {
  const out: string[] = [];
  const err: string[] = [];
  const logger = createLogger({ level, format, stdout: { write: (line) => void out.push(line) }, stderr: { write: (line) => void err.push(line) } });
  return { logger, out, err };
}

describe("the pino logger", () => {
  test("json: one object per line with level, time and msg, then the fields; warn and error to stderr", () => {
    const { logger, out, err } = capture("info", "json");
    logger.info("mail sent", { template: "lost-password", attempts: 2 });
    logger.warn("careful");
    logger.error("broken", { error: new Error("boom") });
    expect(out).toHaveLength(1);
    expect(err).toHaveLength(2);
    for (const line of [...out, ...err]) expect(line.endsWith("\n") && !line.slice(0, -1).includes("\n")).toBe(true);
    const info = JSON.parse(out[0]!);
    expect(info).toEqual({ level: "info", time: expect.any(String), msg: "mail sent", template: "lost-password", attempts: 2 });
    expect(new Date(info.time).toISOString()).toBe(info.time);
    expect(JSON.parse(err[0]!)).toMatchObject({ level: "warn", msg: "careful" });
    expect(JSON.parse(err[1]!).error).toContain("boom");
  });

  test("text: the same line formatLogLine writes", () => {
    const { logger, out, err } = capture("info", "text");
    logger.info("mail sent", { template: "lost-password", to: "a@example.com", note: "two words" });
    logger.warn("security event=sign_in_failed ip=203.0.113.7 account=email:a@example.com reason=invalid_credentials");
    expect(out[0]).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z INFO mail sent template=lost-password to=a@example.com note="two words"\n$/);
    expect(err[0]).toMatch(/^\S+Z WARN security event=sign_in_failed ip=203\.0\.113\.7 account=email:a@example.com reason=invalid_credentials\n$/);
  });

  test.each([
    ["debug", 4],
    ["info", 3],
    ["warn", 2],
    ["error", 1],
  ] as const)("level %s writes %d of debug, info, warn, error", (level, count) => {
    const { logger, out, err } = capture(level, "json");
    logger.debug("d");
    logger.info("i");
    logger.warn("w");
    logger.error("e");
    expect(out.length + err.length).toBe(count);
  });

  test("redacts secret fields (pino's list and every secret-like name), query secrets and Authorization values, in both formats", () => {
    for (const format of ["json", "text"] as const) {
      const { logger, out, err } = capture("debug", format);
      logger.info(`GET /auth/activate?ticket=${TICKET}`, {
        password: TICKET,
        headers: { authorization: `Bearer ${TICKET}`, "set-cookie": TICKET, cookie: TICKET, "x-admin-secret": TICKET },
        body: { newPassword: TICKET, refresh_token: TICKET, code: TICKET, nested: { deeper: { mfa_ticket: TICKET } } },
        url: `https://app.example/reset?token=${TICKET}`,
      });
      logger.child!({ session_token: TICKET }).warn("with a child", { other: `Basic ${TICKET}` });
      const written = [...out, ...err].join("");
      expect(written).not.toContain(TICKET);
      expect(written).toContain("[redacted]");
    }
  });

  test("a child's lines carry its fields", () => {
    const { logger, out } = capture("info", "json");
    logger.child!({ request_id: "r-1" }).info("hello", { a: 1 });
    expect(JSON.parse(out[0]!)).toMatchObject({ request_id: "r-1", a: 1, msg: "hello" });
  });
});
