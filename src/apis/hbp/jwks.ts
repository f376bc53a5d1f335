// GET /auth/jwks: the public keys that verify access tokens, so a resource server (Hasura) needs no shared secret.
import { t } from "elysia";
import type { PublicJwk } from "../../core/sessions/signing-keys.ts";
import type { HbpContext } from "./context.ts";
import { HbpError } from "./errors.ts";

export const jwksSchema = t.Object(
  {
    keys: t.Array(
      t.Object(
        { kty: t.String(), kid: t.String(), alg: t.String(), use: t.Literal("sig") },
        { additionalProperties: true, description: "A public JWK (RSA: n, e; EC and OKP: crv, x, y)" },
      ),
    ),
  },
  { additionalProperties: false },
);

/** The current key, then JWT_PREVIOUS_KEY while it is set: tokens of either verify during a rotation. */
export function jwks(ctx: HbpContext): { keys: PublicJwk[] } {
  const keys = ctx.core.signingKeys.publicJwks;
  // HBP's answer for HS*: a shared secret has no public part to publish.
  if (keys === null) throw new HbpError(501, "JWKS is not implemented on this server.");
  return { keys };
}
