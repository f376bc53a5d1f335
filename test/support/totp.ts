// TOTP codes as an authenticator app computes them, from the secret the server handed out.
import { Secret, TOTP } from "otpauth";

const PERIOD_MS = 30_000;

export function totpCode(secret: string, stepOffset = 0, now = Date.now()): string {
  const totp = new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 });
  return totp.generate({ timestamp: now + stepOffset * PERIOD_MS });
}

/**
 * Waits, if needed, so that at least `marginMs` remain in the current 30 s step: a test that computes codes for
 * "this step" and "the previous step" must not see the step change before the server checks them.
 */
export async function awayFromStepEdge(marginMs = 5_000): Promise<void> {
  const remaining = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (remaining < marginMs) await Bun.sleep(remaining + 50);
}
