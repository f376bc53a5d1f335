// Deletes rows nothing can use any more: expired sessions, tickets and requests, and rate-limit windows long past.
// Revoked sessions stay until they expire: an old token of one then still finds it, and is refused as revoked.
import { lt } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import type { Clock } from "./clock.ts";

/** Rate-limit windows are at most a day (RATE_LIMIT_WINDOW_SECONDS <= 86400). */
const LONGEST_WINDOW_MS = 86_400_000;

export async function purgeExpired(deps: { db: Database; clock: Clock }): Promise<number> {
  const { db, clock } = deps;
  const { emailVerificationRequests, oneTimeCodes, passwordResetRequests, rateLimits, sessions } = db.tables;
  const now = clock.now();
  const purged = await Promise.all([
    db.delete(sessions).where(lt(sessions.expiresAt, now)).returning({ id: sessions.id }),
    db.delete(oneTimeCodes).where(lt(oneTimeCodes.expiresAt, now)).returning({ id: oneTimeCodes.id }),
    db.delete(rateLimits).where(lt(rateLimits.windowStart, now - LONGEST_WINDOW_MS)).returning({ key: rateLimits.key }),
    // Verification requests hold their code as it is: gone as soon as it is of no use.
    db.delete(emailVerificationRequests).where(lt(emailVerificationRequests.expiresAt, now)).returning({ id: emailVerificationRequests.id }),
    db.delete(passwordResetRequests).where(lt(passwordResetRequests.expiresAt, now)).returning({ id: passwordResetRequests.id }),
  ]);
  return purged.reduce((total, rows) => total + rows.length, 0);
}
