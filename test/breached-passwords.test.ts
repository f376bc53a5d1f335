// The breached-password check behind HIBP_ENABLED (a rule of the registration policy, for every dialect), against a
// fake range API: no test reaches the internet. k-anonymity: only the first 5 hex digits of the SHA-1 are sent.
import { describe, expect, test } from "bun:test";
import { createBreachedPasswords, type Fetch } from "../src/core/passwords/breached-passwords.ts";
import { isCoreError } from "../src/core/errors.ts";
import type { Logger } from "../src/lib/logger.ts";
import { createRegistrationPolicy } from "../src/core/accounts/registration-policy.ts";

const BREACHED = "password123";
const sha1 = (text: string) => new Bun.CryptoHasher("sha1").update(text).digest("hex").toUpperCase();

function setup(options: { enabled: boolean; fetch: Fetch }) {
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (message) => void warnings.push(message) };
  const breached = createBreachedPasswords({ enabled: options.enabled, logger, fetch: options.fetch });
  const settings = { enabled: true, allowedEmailDomains: [], minPasswordLength: 8 };
  return { policy: { check: createRegistrationPolicy({ settings, breached }).checkPassword }, warnings };
}

/** Answers like api.pwnedpasswords.com/range/: suffixes with counts, padding lines with count 0. */
function fakeRange(asked: string[]): Fetch {
  return async (url) => {
    const prefix = url.slice(-5);
    asked.push(url);
    const hash = sha1(BREACHED);
    const lines = ["0018A45C4D1DEF81644B54AB7F969B88D65:1", "00D4F6E8FA6EECAD2A3AA415EEC418D38EC:0"];
    if (hash.startsWith(prefix)) lines.push(`${hash.slice(5)}:24230577`);
    return new Response(lines.join("\r\n"));
  };
}

describe("breached-password check", () => {
  test("a listed password is refused as password_breached; only the 5-digit prefix is sent", async () => {
    const asked: string[] = [];
    const { policy } = setup({ enabled: true, fetch: fakeRange(asked) });
    const error = await policy.check(BREACHED).catch((caught: unknown) => caught);
    expect(isCoreError(error, "password_breached")).toBe(true);
    expect(asked).toEqual([`https://api.pwnedpasswords.com/range/${sha1(BREACHED).slice(0, 5)}`]);
    expect(asked[0]).not.toContain(sha1(BREACHED).slice(5));
  });

  test("an unlisted password passes; a padding line (count 0) does not count", async () => {
    const { policy } = setup({ enabled: true, fetch: fakeRange([]) });
    await policy.check("correct horse battery staple");
  });

  test("off (the default): no request at all", async () => {
    const asked: string[] = [];
    const { policy } = setup({ enabled: false, fetch: fakeRange(asked) });
    await policy.check(BREACHED);
    expect(asked).toEqual([]);
  });

  test("the service failing or unreachable: the password is accepted and a warning logged", async () => {
    for (const fetch of [async () => new Response("busy", { status: 503 }), async () => Promise.reject(new Error("offline"))] as Fetch[]) {
      const { policy, warnings } = setup({ enabled: true, fetch });
      await policy.check(BREACHED);
      expect(warnings).toEqual(["breached-password check failed; password accepted"]);
    }
  });
});
