// Password hashing: argon2id through Bun.password (runs off the event loop). bcrypt hashes imported from HBP
// verify too, and callers re-hash them (needsRehash) after the next successful check. Bun runs them on its thread
// pool; every hash first waits its turn in the admission queue (hash-admission.ts: fair across client addresses,
// bounded, excess refused at once with `rate_limited`), so callers that know the client pass its address as `from`.
// What an operator can watch is each computation's time, without its wait in our queue (its wait for one of Bun's
// threads included): `observe` gets it (core/observations.ts, latchkey_password_hash_duration_seconds).
import type { PasswordHashOperation } from "../observations.ts";
import type { HashAdmission } from "./hash-admission.ts";

/** The client address a hash is made for (its turn in the admission queue); null or absent: not known. */
export type HashClient = string | null | undefined;

export interface PasswordHasher {
  hash(password: string, from?: HashClient): Promise<string>;
  verify(password: string, hash: string, from?: HashClient): Promise<boolean>;
  /** Throws `rate_limited` at once when a hash for `from` would not be admitted now (see hash-admission.ts). */
  assertRoom(from: HashClient): void;
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
  verifyDummy(password: string, from?: HashClient): Promise<void>;
}

export function createPasswordHasher(options: {
  memoryKiB: number;
  timeCost: number;
  observe?: (operation: PasswordHashOperation, seconds: number) => void;
  /** The queue every hash waits in; absent: none (hashes go straight to Bun's pool). */
  admission?: HashAdmission;
}): PasswordHasher {
  const params = { algorithm: "argon2id" as const, memoryCost: options.memoryKiB, timeCost: options.timeCost };
  const observe = options.observe ?? (() => {});
  const admission = options.admission;
  async function timed<T>(operation: PasswordHashOperation, work: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await work();
    } finally {
      observe(operation, (performance.now() - startedAt) / 1000);
    }
  }
  /** `work` in its turn: a refusal (`rate_limited`) reaches the caller, whatever the work would have thrown. */
  const admitted = <T>(from: HashClient, work: () => Promise<T>): Promise<T> => (admission ? admission.run(from ?? null, work) : work());
  const expectedPrefix = `$argon2id$v=19$m=${options.memoryKiB},t=${options.timeCost},`;
  let dummyHash: Promise<string> | null = null;

  const verify = (password: string, hash: string, from?: HashClient): Promise<boolean> =>
    admitted(from, async () => {
      try {
        return await timed("verify", () => Bun.password.verify(password, hash));
      } catch {
        // A malformed stored hash (bad import) must read as a failed check, not a 500.
        return false;
      }
    });

  return {
    hash: (password, from) => admitted(from, () => timed("hash", () => Bun.password.hash(password, params))),
    hashRandom: (password) => Bun.password.hash(password, { algorithm: "argon2id", memoryCost: 64, timeCost: 1 }),
    verify,
    needsRehash: (hash) => !hash.startsWith(expectedPrefix),
    assertRoom: (from) => admission?.assertRoom(from ?? null),
    async verifyDummy(password, from) {
      dummyHash ??= Bun.password.hash("latchkey-dummy-password", params);
      await verify(password, await dummyHash, from);
    },
  };
}
