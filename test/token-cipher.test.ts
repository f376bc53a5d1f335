// lib/token-cipher.ts: what seals the provider tokens kept at rest (PROVIDER_KEEP_TOKENS). AES-256-GCM with a key
// derived per purpose from a server secret: a fresh IV each time, and anything changed, or another key, fails to open.
import { expect, test } from "bun:test";
import { createTokenCipher } from "../src/lib/token-cipher.ts";
import { systemRandom } from "../src/lib/random.ts";

const SECRET = "token-cipher-test-secret-0123456789";
const cipher = createTokenCipher({ secret: SECRET, purpose: "provider tokens", randomBytes: systemRandom.bytes });

test("a sealed value opens to itself, and two seals of one value differ (a fresh IV each)", () => {
  const token = "gho_16C7e42F292c6912E7710c838347Ae178B4a";
  const first = cipher.seal(token);
  const second = cipher.seal(token);
  expect(first).not.toBe(second);
  expect(first).not.toContain(token);
  expect(cipher.open(first)).toBe(token);
  expect(cipher.open(second)).toBe(token);
  expect(cipher.open(cipher.seal(""))).toBe("");
  expect(cipher.open(cipher.seal("ünïcode ✓"))).toBe("ünïcode ✓");
});

test("a changed ciphertext, another secret, another purpose or a value of another shape does not open", () => {
  const sealed = cipher.seal("a provider's refresh token");
  const [version, iv, body] = sealed.split(".") as [string, string, string];
  const flipped = `${body.slice(0, 5)}${body[5] === "A" ? "B" : "A"}${body.slice(6)}`;
  expect(() => cipher.open(`${version}.${iv}.${flipped}`)).toThrow();
  expect(() => createTokenCipher({ secret: `${SECRET}!`, purpose: "provider tokens", randomBytes: systemRandom.bytes }).open(sealed)).toThrow();
  expect(() => createTokenCipher({ secret: SECRET, purpose: "something else", randomBytes: systemRandom.bytes }).open(sealed)).toThrow();
  for (const bad of ["", "v1", "v2.a.b", `${version}.${iv}`, `${sealed}.x`, `${version}.AAAA.${body}`]) expect(() => cipher.open(bad)).toThrow();
});
