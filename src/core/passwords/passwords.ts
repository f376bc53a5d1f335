// Password hashing: argon2id through Bun.password (runs off the event loop). bcrypt hashes imported from HBP
// verify too, and callers re-hash them (needsRehash) after the next successful check.
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

export function createPasswordHasher(options: { memoryKiB: number; timeCost: number }): PasswordHasher {
  const params = { algorithm: "argon2id" as const, memoryCost: options.memoryKiB, timeCost: options.timeCost };
  const expectedPrefix = `$argon2id$v=19$m=${options.memoryKiB},t=${options.timeCost},`;
  let dummyHash: Promise<string> | null = null;

  const verify = async (password: string, hash: string): Promise<boolean> => {
    try {
      return await Bun.password.verify(password, hash);
    } catch {
      // A malformed stored hash (bad import) must read as a failed check, not a 500.
      return false;
    }
  };

  return {
    hash: (password) => Bun.password.hash(password, params),
    hashRandom: (password) => Bun.password.hash(password, { algorithm: "argon2id", memoryCost: 64, timeCost: 1 }),
    verify,
    needsRehash: (hash) => !hash.startsWith(expectedPrefix),
    async verifyDummy(password) {
      dummyHash ??= Bun.password.hash("latchkey-dummy-password", params);
      await verify(password, await dummyHash);
    },
  };
}
