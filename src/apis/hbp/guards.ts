// HBP's guards, as Elysia macros that a route names in its table (routes.ts). They run in the order the route lists
// them, after its schemas and before its handler, and answer in HBP's shape:
//   feature: "mfa"     the setting that turns the route on (features.ts), else 404 saying which one
//   signedIn: true     a signed-in caller, or 401 "Not logged in" (a string instead of true: the route's own message);
//                      the handler gets `caller`. The credential is a Bearer JWT or the signed cookies, and the account
//                      it names passes the caller gate (request-auth.ts), on every request.
import { anyOf } from "../security.ts";
import type { HbpContext } from "./context.ts";
import { assertFeature, type HbpFeature } from "./features.ts";
import { requireCaller } from "./request-auth.ts";

/** HBP's credentials: the access token, or the two signed cookies together. */
export const HBP_CREDENTIALS = [["bearerJwt"], ["refreshCookie", "permissionCookie"]] as const;

export function hbpGuards(ctx: HbpContext) {
  return {
    feature: (feature: HbpFeature) => ({
      resolve: () => assertFeature(ctx.config, feature),
    }),
    signedIn: (message: true | string) => ({
      resolve: async ({ request }: { request: Request }) => ({
        caller: await requireCaller(ctx, request.headers, message === true ? undefined : message),
      }),
      detail: { security: anyOf(...HBP_CREDENTIALS) },
    }),
  };
}
