// Password hashing: argon2id through Bun.password (runs off the event loop). bcrypt hashes imported from HBP
// verify too, and callers re-hash them (needsRehash) after the next successful check.
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
  needsRehash(hash: string): boolean;
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
    verify,
    needsRehash: (hash) => !hash.startsWith(expectedPrefix),
    async verifyDummy(password) {
      dummyHash ??= Bun.password.hash("latchkey-dummy-password", params);
      await verify(password, await dummyHash);
    },
  };
}
