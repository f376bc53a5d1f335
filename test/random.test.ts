// The kernel's randomness (src/lib/random.ts): uniform picks without modulo bias, the shapes of uuids, tokens, ids
// and codes, and that what latchkey hands out is drawn from the source it was built with (issue 24).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../src/config.ts";
import { isRequestId, isUuid, randomDigits, randomRequestId, randomShortCode } from "../src/lib/ids.ts";
import { silentLogger } from "../src/lib/logger.ts";
import { randomFromBytes, systemRandom, type Random } from "../src/lib/random.ts";
import { createLatchkey, type Latchkey } from "../src/server.ts";
import { backendEnv, rememberDatabase } from "./support/backend.ts";
import { removeDataDir } from "./support/in-process.ts";
import { TEST_JWT_KEY } from "./support/server.ts";

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** A byte source that hands out `sequence` in order, then fails: a draw that needs more than it has is a bug. */
function fixedBytes(sequence: number[]): Random {
  let next = 0;
  return randomFromBytes((count) => {
    const bytes = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      if (next >= sequence.length) throw new Error("the fixed sequence ran out");
      bytes[i] = sequence[next++]!;
    }
    return bytes;
  });
}

/** Every byte value once, then zeros (so the draw can finish). */
const EVERY_BYTE = [...Array.from({ length: 256 }, (_, byte) => byte), ...Array<number>(64).fill(0)];

describe("pick", () => {
  test.each([
    ["10 digits", "0123456789"],
    ["32 base32 letters", "abcdefghijkmnpqrstuvwxyz23456789"],
    ["62 alphanumerics", ALPHANUMERIC],
  ])("over %s takes each character equally often from the 256 byte values (no modulo bias)", (_, alphabet) => {
    const usable = 256 - (256 % alphabet.length);
    const text = fixedBytes(EVERY_BYTE).pick(alphabet, usable);
    const counts = new Map<string, number>();
    for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...alphabet].sort());
    expect(new Set(counts.values())).toEqual(new Set([usable / alphabet.length]));
  });

  test("draws again for the bytes past the largest multiple of the alphabet's size", () => {
    // 62 letters: 248..255 would make A..H likelier, so they are skipped.
    expect(fixedBytes([248, 255, 0, 250, 61, 1, 0, 0, 0, 0, 0]).pick(ALPHANUMERIC, 3)).toBe("A9B");
  });

  test("refuses an alphabet it cannot draw from uniformly", () => {
    expect(() => systemRandom.pick("", 4)).toThrow(RangeError);
    expect(() => systemRandom.pick("x".repeat(257), 4)).toThrow(RangeError);
  });
});

describe("the shapes drawn", () => {
  test("a uuid from bytes is a v4 with the RFC 9562 variant", () => {
    const uuid = fixedBytes(Array<number>(16).fill(0xff)).uuid();
    expect(uuid).toBe("ffffffff-ffff-4fff-bfff-ffffffffffff");
    expect(isUuid(uuid)).toBe(true);
  });

  test("a token is its bytes as base64url", () => {
    expect(fixedBytes([0xfb, 0xff, 0xbf]).token(3)).toBe("-_-_");
  });

  test("the system source gives each shape, and new values every time", () => {
    expect(isUuid(systemRandom.uuid())).toBe(true);
    expect(systemRandom.uuid()).not.toBe(systemRandom.uuid());
    expect(systemRandom.bytes(20)).toHaveLength(20);
    expect(systemRandom.token(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(systemRandom.pick(ALPHANUMERIC, 10)).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(isRequestId(randomRequestId(systemRandom))).toBe(true);
    expect(randomShortCode(systemRandom)).toMatch(/^[A-HJ-NP-Z2-9]{8}$/);
    expect(randomDigits(systemRandom, 6)).toMatch(/^\d{6}$/);
  });
});

describe("latchkey draws from the source it is built with", () => {
  /** The system source, remembering every value it handed out. */
  function recordingRandom(): Random & { drawn: Set<string> } {
    const drawn = new Set<string>();
    const keep = <T extends string>(value: T): T => (drawn.add(value), value);
    return {
      drawn,
      bytes: (count) => {
        const bytes = systemRandom.bytes(count);
        drawn.add(Buffer.from(bytes).toString("hex"));
        return bytes;
      },
      uuid: () => keep(systemRandom.uuid()),
      token: (byteCount) => keep(systemRandom.token(byteCount)),
      pick: (alphabet, length) => keep(systemRandom.pick(alphabet, length)),
    };
  }

  let latchkey: Latchkey | undefined;
  let dataDir: string | undefined;
  afterAll(async () => {
    await latchkey?.close();
    if (dataDir) removeDataDir(dataDir);
  });

  test("account ids, refresh tokens, file tokens and ETags", async () => {
    dataDir = mkdtempSync(join(tmpdir(), "latchkey-random-"));
    const settings = { DATA_DIR: dataDir, JWT_KEY: TEST_JWT_KEY, ...(await backendEnv(dataDir)) };
    rememberDatabase(dataDir, settings);
    const random = recordingRandom();
    latchkey = await createLatchkey(loadConfig(settings), { logger: silentLogger, random });
    const app = latchkey.app;

    const registered = await app.handle(
      new Request("http://localhost/auth/register", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "drawn@example.com", password: "drawn-password", cookie: false }),
      }),
    );
    expect(registered.status).toBe(200);
    const session = (await registered.json()) as { user: { id: string }; refresh_token: string; jwt_token: string };
    expect(random.drawn.has(session.user.id)).toBe(true);
    expect(random.drawn.has(session.refresh_token)).toBe(true);

    const form = new FormData();
    form.append("file", new Blob(["hello"], { type: "text/plain" }), "hello.txt");
    const uploaded = await app.handle(
      new Request(`http://localhost/storage/o/user/${session.user.id}/hello.txt`, {
        method: "POST",
        headers: { authorization: `Bearer ${session.jwt_token}` },
        body: form,
      }),
    );
    expect(uploaded.status).toBe(200);
    const file = (await uploaded.json()) as { ETag: string; Metadata: { token: string } };
    expect(random.drawn.has(file.Metadata.token)).toBe(true);
    expect(random.drawn.has(file.ETag.replace(/"/g, ""))).toBe(true);
  });
});
