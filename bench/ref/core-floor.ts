// The floor of refresh and of the two authenticated reads (issue 29): latchkey's own work for each (core's rotation
// and access token; lncrawl's JWT check and the caller gate's read of the account; the JWT's check, the caller gate's
// rule, the rules and the file's row in one statement),
// built in this process by createLatchkey on its own DATA_DIR, called straight from a bare Bun.serve route with none
// of the HTTP layers around it: no Elysia, no request id, no CORS, no drain, no query schema, no hooks. The answers
// are the same JSON HBP gives. What latchkey makes of a route beyond this is the layers' and the handler's share.
// Every other request (the bench's sign-ups, logins and uploads) goes to latchkey's app as usual.
// With EDGE=1 each route also gets the work latchkey's edge does on every answer, through the same function that
// answers /healthz from Bun's route table (answeredAtTheEdge: the body drain's check, the request id with its
// AsyncLocalStorage store and X-Request-Id, CORS's headers): what is left between it and latchkey is Elysia's share
// (the context, the hooks, the compiled handler) and the handler's own checks (bench/tools/hot-path.ts runs both).
// `PORT=... DATA_DIR=... [EDGE=1] bun bench/ref/core-floor.ts`
import { hbpUser } from "../../src/apis/hbp/session-reply.ts";
import { lncrawlUser, LNCRAWL_AUDIENCE } from "../../src/apis/lncrawl/user-view.ts";
import { admittedUser } from "../../src/core/accounts/caller-gate.ts";
import { loadConfig } from "../../src/config.ts";
import { toPermissionVariables } from "../../src/core/sessions/access-tokens.ts";
import { silentLogger } from "../../src/lib/logger.ts";
import { parseStoragePath } from "../../src/storage/paths.ts";
import { createLatchkey } from "../../src/server.ts";
import { corsHandling } from "../../src/cors.ts";
import { answeredAtTheEdge } from "../../src/http/access-log.ts";

const config = loadConfig({ DATA_DIR: process.env.DATA_DIR!, HOST: "127.0.0.1", LNCRAWL_ENABLED: "true" });
const latchkey = await createLatchkey(config, { logger: silentLogger });
const { core, storage } = latchkey;
const NO_QUERY: Readonly<Record<string, string>> = Object.freeze(Object.create(null));
/** A token's variables made once, as HBP's request-auth keeps them by the verified (frozen, cached) claims. */
const variablesByClaims = new WeakMap<object, ReturnType<typeof toPermissionVariables>>();
const REFUSED = () => Response.json({ statusCode: 401, error: "Unauthorized", message: "Unauthorized" }, { status: 401 });

type Route = (request: Request, server: Bun.Server<undefined>) => Promise<Response>;
const cors = corsHandling(config.server.corsOrigins, { closedPrefixes: ["/console"] });
/** `route` as the table serves it: as it is, or (EDGE=1) inside the edge's work. */
function edge(route: Route): Route {
  if (process.env.EDGE !== "1") return route;
  const answer = answeredAtTheEdge(cors.answerHeaders, (request) => route(request, server));
  return (request) => answer(request) as Promise<Response>;
}
const routes: Record<string, Route> = {
  "/auth/token/refresh": async (request, server) => {
    const token = new URL(request.url).searchParams.get("refresh_token");
    if (token === null) return REFUSED();
    try {
      const tokens = await core.sessionTokens.refresh(token, { ip: server.requestIP(request)?.address ?? null });
      return Response.json({ jwt_token: tokens.accessToken, jwt_expires_in: tokens.accessTokenExpiresInMs, user: hbpUser(tokens.user), refresh_token: tokens.refreshToken });
    } catch {
      return REFUSED();
    }
  },
  "/api/auth/me": async (request) => {
    const payload = await core.jwt.verify(request.headers.get("authorization")?.slice("Bearer ".length) ?? "", { audience: LNCRAWL_AUDIENCE });
    if (typeof payload?.sub !== "string") return REFUSED();
    try {
      return Response.json(lncrawlUser(admittedUser(await core.callerGate.admitAccount(payload.sub))));
    } catch {
      return REFUSED();
    }
  },
  "/storage/m/*": async (request) => {
    const authorization = request.headers.get("authorization");
    const verified = authorization?.startsWith("Bearer ") ? await core.accessTokens.verify(authorization.slice("Bearer ".length)) : null;
    let variables = verified ? variablesByClaims.get(verified.claims) : null;
    if (verified && variables === undefined) variablesByClaims.set(verified.claims, (variables = toPermissionVariables(verified.claims)));
    const userId = variables?.["user-id"];
    if (typeof userId !== "string") return REFUSED();
    const path = parseStoragePath(new URL(request.url).pathname.slice("/storage/m/".length));
    try {
      const metadata = await storage.metadata(
        path.key,
        { caller: { auth: null, adminSecret: null, ip: null }, method: "GET", query: NO_QUERY },
        { accountId: userId, auth: variables!, admits: (state) => core.callerGate.refusalOfState(state) === null },
      );
      return Response.json(metadata);
    } catch {
      return Response.json({ statusCode: 404, error: "Not Found", message: "File not found" }, { status: 404 });
    }
  },
};
const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  routes: Object.fromEntries(Object.entries(routes).map(([path, route]) => [path, edge(route)])),
  fetch: (request) => latchkey.app.handle(request),
});
console.log(`listening on http://127.0.0.1:${server.port}`);
