// Password hashing: argon2id through Bun.password (runs off the event loop). bcrypt hashes imported from HBP
// verify too, and callers re-hash them (needsRehash) after the next successful check. Bun runs them on its thread
// pool with no queue of ours in front, so what an operator can watch is each computation's time (its wait for a
// thread included): `observe` gets it (core/observations.ts, latchkey_password_hash_duration_seconds).
import type { PasswordHashOperation } from "../observations.ts";

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
  /**
   * For a password latchkey generated itself (lncrawl's first `admin`, 96 random bits): argon2id at its smallest
   * cost. Key stretching protects guessable passwords; no cost makes 2^96 guesses feasible, and the full cost
   * (~60-80 ms of a first start) bought nothing. needsRehash() is true for it, so the first sign-in re-hashes it.
   */
  hashRandom(password: string): Promise<string>;
  /**
   * Burns the same time as a real check. Called when there is no account (or no hash), so that an unknown
   * email and a wrong password cannot be told apart by timing.
   */
  verifyDummy(password: string): Promise<void>;
}

export function createPasswordHasher(options: {
  memoryKiB: number;
  timeCost: number;
  observe?: (operation: PasswordHashOperation, seconds: number) => void;
}): PasswordHasher {
  const params = { algorithm: "argon2id" as const, memoryCost: options.memoryKiB, timeCost: options.timeCost };
  const observe = options.observe ?? (() => {});
  async function timed<T>(operation: PasswordHashOperation, work: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await work();
    } finally {
      observe(operation, (performance.now() - startedAt) / 1000);
    }
  }
  const expectedPrefix = `$argon2id$v=19$m=${options.memoryKiB},t=${options.timeCost},`;
  let dummyHash: Promise<string> | null = null;

  const verify = async (password: string, hash: string): Promise<boolean> => {
    try {
      return await timed("verify", () => Bun.password.verify(password, hash));
    } catch {
      // A malformed stored hash (bad import) must read as a failed check, not a 500.
      return false;
    }
  };

  return {
    hash: (password) => timed("hash", () => Bun.password.hash(password, params)),
    hashRandom: (password) => Bun.password.hash(password, { algorithm: "argon2id", memoryCost: 64, timeCost: 1 }),
    verify,
    needsRehash: (hash) => !hash.startsWith(expectedPrefix),
    async verifyDummy(password) {
      dummyHash ??= Bun.password.hash("latchkey-dummy-password", params);
      await verify(password, await dummyHash);
    },
  };
}
