// Faroe's guard, as an Elysia macro that the route table (routes.ts) puts around every route: `credential: true`
// answers 401 NOT_AUTHENTICATED to a request without FAROE_CREDENTIAL, before its body is validated. The transport
// hook (transport.ts) has refused such a request already; this check stands behind it, so that no route can be reached
// without the credential whatever the path looks like. Route-level rate limits: limits.ts.
import { anyOf } from "../security.ts";
import { hasCredential, notAuthenticated } from "./transport.ts";

export function faroeGuards(credential: string) {
  return {
    credential: (_: true) => ({
      transform: ({ request }: { request: Request }) => {
        if (!hasCredential(request.headers, credential)) throw notAuthenticated();
      },
      detail: { security: anyOf(["faroeCredential"]) },
    }),
  };
}
