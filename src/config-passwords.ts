// What hashing a password costs (core/passwords/passwords.ts: argon2id), how many hashes may wait for a core
// (core/passwords/hash-admission.ts), and whether new passwords are checked against breaches. Read by config.ts into
// `passwords`.
import type { Reader } from "./config-reader.ts";

export interface PasswordSettings {
  argon2MemoryKiB: number;
  argon2TimeCost: number;
  /** HASH_QUEUE_MAX: password hashes waiting for a core in all (core/passwords/hash-admission.ts). */
  hashQueueMax: number;
  /** HASH_QUEUE_PER_CLIENT: password hashes of one client address waiting; more are refused with 429 at once. */
  hashQueuePerClient: number;
  /** Refuse new passwords found in Have I Been Pwned (needs the internet), in every dialect. */
  hibpEnabled: boolean;
}

export function readPasswordSettings(read: Reader): PasswordSettings {
  return {
    // OWASP's argon2id minimum (19 MiB, 2 passes): ~57 ms a hash on these machines, vs ~170 ms at Bun's default 64 MiB.
    argon2MemoryKiB: read.number("ARGON2_MEMORY_KIB", 19456, { min: 1024, max: 4194304, integer: true }),
    argon2TimeCost: read.number("ARGON2_TIME_COST", 2, { min: 1, max: 100, integer: true }),
    // 64 waiting hashes are ~1 s of both cores' work at the default cost: a login admitted waits at most about that.
    hashQueueMax: read.number("HASH_QUEUE_MAX", 64, { min: 1, max: 100000, integer: true }),
    // Above what one person's browser or script sends at once, well below the queue: 8 addresses cannot fill it.
    hashQueuePerClient: read.number("HASH_QUEUE_PER_CLIENT", 32, { min: 1, max: 100000, integer: true }),
    hibpEnabled: read.bool("HIBP_ENABLED", false),
  };
}
