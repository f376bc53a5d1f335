// The console API's guard, as an Elysia macro a route names in its table (routes.ts):
//   console: "read"     a live console session of an administrator (the cookie), else 401 or 403; the handler gets
//                       `caller` (the session and the administrator) and `actor` (who the audit log names)
//   console: "change"   the same, and the session's CSRF token in X-CSRF-Token, else 403 csrf_token_invalid
// The session is checked in the transform phase, before the route's schemas: a caller without one learns nothing
// of what a route takes (every route answers 401 alike), and a body is never looked at for them.
import type { ConsoleCaller } from "../../core/administration/console-sessions.ts";
import { anyOf } from "../security.ts";
import { actorOf, type ConsoleContext } from "./context.ts";
import { sessionTokenOf } from "./cookies.ts";
import { ConsoleError, notSignedIn } from "./errors.ts";

export type ConsoleAccess = "read" | "change";

export function consoleGuards(ctx: ConsoleContext) {
  const sessions = ctx.core.administration.sessions;
  // What the transform found, for the route's resolve: keyed by the request, so nothing outlives it.
  const callers = new WeakMap<Request, ConsoleCaller>();

  async function authenticate(request: Request, access: ConsoleAccess): Promise<void> {
    const token = sessionTokenOf(request.headers.get("cookie"));
    if (token === null) throw notSignedIn();
    const caller = await sessions.authenticate(token);
    if (access === "change" && !sessions.csrfMatches(caller, request.headers.get("x-csrf-token"))) {
      throw new ConsoleError(403, "csrf_token_invalid", "A request that changes something needs this session's X-CSRF-Token header.");
    }
    callers.set(request, caller);
  }

  return {
    console: (access: ConsoleAccess) => ({
      transform: ({ request }: { request: Request }) => authenticate(request, access),
      resolve: ({ request }: { request: Request }) => {
        const caller = callers.get(request);
        if (!caller) throw notSignedIn();
        return { caller, actor: actorOf(caller, ctx.clientOf(request)) };
      },
      detail: { security: access === "read" ? anyOf(["consoleSession"]) : anyOf(["consoleSession", "consoleCsrf"]) },
    }),
  };
}
