// GET /auth/jwks: the public keys that verify access tokens, so a resource server (Hasura) needs no shared secret.
import type { PublicJwk } from "../../core/signing-keys.ts";
import type { HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";

/** The current key, then JWT_PREVIOUS_KEY while it is set: tokens of either verify during a rotation. */
export function jwks(ctx: HbpContext): { keys: PublicJwk[] } {
  const keys = ctx.core.signingKeys.publicJwks;
  // HBP's answer for HS*: a shared secret has no public part to publish.
  if (keys === null) throw new HbpError(501, "JWKS is not implemented on this server.");
  return { keys };
}
