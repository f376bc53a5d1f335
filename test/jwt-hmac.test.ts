// core/sessions/jwt.ts's HS* path (node:crypto HMAC) must agree with jose, which it replaced for speed: tokens of either
// verify with the other, and every token jose refuses is refused.
import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { jwtVerify, SignJWT, UnsecuredJWT } from "jose";
import type { Clock } from "../src/lib/clock.ts";
import { createJwtSigner } from "../src/core/sessions/jwt.ts";
import type { SigningKeys } from "../src/core/sessions/signing-keys.ts";

const SECRET = new TextEncoder().encode("test-jwt-key-0123456789abcdefghijklmnopqrstuvwxyz");
const PREVIOUS = new TextEncoder().encode("previous-key-0123456789abcdefghijklmnopqrstuvwxyz");
const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const clock: Clock = { now: () => NOW_MS } as Clock;

function keys(algorithm: "HS256" | "HS384" | "HS512", previous = false): SigningKeys {
  const signing = { kid: null, key: SECRET };
  return { algorithm, signing, verification: previous ? [signing, { kid: null, key: PREVIOUS }] : [signing], publicJwks: null };
}

const joseToken = (claims: Record<string, unknown>, options: { alg?: string; key?: Uint8Array; header?: Record<string, unknown> } = {}) =>
  new SignJWT(claims).setProtectedHeader({ alg: options.alg ?? "HS512", typ: "JWT", ...options.header }).sign(options.key ?? SECRET);

/** A token signed with SECRET whatever its header and payload say (jose refuses to make some of these). */
function rawToken(header: unknown, payload: unknown): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const data = `${encode(header)}.${encode(payload)}`;
  return `${data}.${createHmac("sha512", SECRET).update(data).digest("base64url")}`;
}

describe("HS* JWTs without jose", () => {
  for (const algorithm of ["HS256", "HS384", "HS512"] as const) {
    test(`${algorithm}: our tokens verify with jose, jose's with us`, async () => {
      const signer = createJwtSigner(keys(algorithm), clock);
      const token = await signer.sign({ "https://hasura.io/jwt/claims": { "x-hasura-user-id": "u1" }, sid: "s1" }, { subject: "u1", lifetimeSeconds: 900, audience: "lncrawl" });
      const { payload, protectedHeader } = await jwtVerify(token, SECRET, { algorithms: [algorithm], currentDate: new Date(NOW_MS), audience: "lncrawl" });
      expect(protectedHeader).toEqual({ alg: algorithm, typ: "JWT" });
      expect(payload).toEqual({ "https://hasura.io/jwt/claims": { "x-hasura-user-id": "u1" }, sid: "s1", sub: "u1", iat: NOW, exp: NOW + 900, aud: "lncrawl" });
      const theirs = await joseToken({ sub: "u2", iat: NOW, exp: NOW + 60 }, { alg: algorithm });
      expect(await signer.verify(theirs)).toEqual({ sub: "u2", iat: NOW, exp: NOW + 60 });
    });
  }

  test("the previous key still verifies; another key does not", async () => {
    const signer = createJwtSigner(keys("HS512", true), clock);
    expect(await signer.verify(await joseToken({ sub: "a" }, { key: PREVIOUS }))).toEqual({ sub: "a" });
    expect(await signer.verify(await joseToken({ sub: "a" }, { key: new TextEncoder().encode("x".repeat(40)) }))).toBeNull();
  });

  test("refused like jose refuses them", async () => {
    const signer = createJwtSigner(keys("HS512"), clock);
    const good = await joseToken({ sub: "a", exp: NOW + 60 });
    const [header, payload, signature] = good.split(".") as [string, string, string];
    const refused = [
      "",
      "a.b",
      `${good}.x`,
      `${header}.${payload}.`,
      `${header}.${payload}.${signature.slice(0, -1)}`,
      `${header}.${payload}.${signature}=`,
      `${header}.${payload}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`,
      `${header}.${Buffer.from(JSON.stringify({ sub: "b", exp: NOW + 60 })).toString("base64url")}.${signature}`,
      await joseToken({ sub: "a" }, { alg: "HS256" }), // another algorithm than the pinned one
      new UnsecuredJWT({ sub: "a" }).encode(), // alg none
      await joseToken({ sub: "a", exp: NOW }), // expired (exp <= now)
      await joseToken({ sub: "a", exp: "soon" }),
      await joseToken({ sub: "a", nbf: NOW + 10 }),
      await joseToken({ sub: "a", iat: "today" }),
      rawToken({ alg: "HS512", crit: ["exp"], exp: 1 }, { sub: "a" }),
      rawToken({ alg: "HS512", b64: false, crit: ["b64"] }, { sub: "a" }),
      rawToken({ alg: "HS512" }, [1]), // a payload that is not a JSON object
    ];
    for (const token of refused) {
      expect(await signer.verify(token)).toBeNull();
      await expect(jwtVerify(token, SECRET, { algorithms: ["HS512"], currentDate: new Date(NOW_MS) })).rejects.toThrow();
    }
    expect(await signer.verify(rawToken({ alg: "HS512" }, { sub: "a" }))).toEqual({ sub: "a" });
  });

  test("audience: required when asked for, a string or one of a list", async () => {
    const signer = createJwtSigner(keys("HS512"), clock);
    expect(await signer.verify(await joseToken({ sub: "a" }), { audience: "lncrawl" })).toBeNull();
    expect(await signer.verify(await joseToken({ sub: "a", aud: "wolfpal" }), { audience: "lncrawl" })).toBeNull();
    expect(await signer.verify(await joseToken({ sub: "a", aud: ["x", "lncrawl"] }), { audience: "lncrawl" })).toEqual({ sub: "a", aud: ["x", "lncrawl"] });
    expect(await signer.verify(await joseToken({ sub: "a", aud: "lncrawl" }))).toEqual({ sub: "a", aud: "lncrawl" });
  });

  test("a token checked once is still checked for time and audience on every use", async () => {
    let now = NOW_MS;
    const signer = createJwtSigner(keys("HS512"), { now: () => now } as Clock);
    const token = await signer.sign({ sid: "s" }, { subject: "u", lifetimeSeconds: 60, audience: "lncrawl" });
    const first = await signer.verify(token, { audience: "lncrawl" });
    expect(first).toEqual({ sid: "s", sub: "u", iat: NOW, exp: NOW + 60, aud: "lncrawl" });
    expect(Object.isFrozen(first)).toBe(true); // shared between requests: nobody may change it
    expect(await signer.verify(token, { audience: "lncrawl" })).toEqual(first!);
    expect(await signer.verify(token, { audience: "wolfpal" })).toBeNull();
    now += 60_000;
    expect(await signer.verify(token, { audience: "lncrawl" })).toBeNull();
    // A tampered copy of a remembered token is not taken for it.
    now = NOW_MS;
    expect(await signer.verify(`${token.slice(0, -2)}${token.endsWith("AA") ? "BB" : "AA"}`, { audience: "lncrawl" })).toBeNull();
  });
});
