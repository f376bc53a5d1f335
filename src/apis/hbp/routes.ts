// Every HBP auth route, with its schema and guard. Handlers live in files named after the action.
import { Elysia } from "elysia";
import type { Exchange, HbpContext } from "./context.ts";
import { activate, activateQuery } from "./activate.ts";
import { deleteAccount } from "./delete-account.ts";
import { HbpError } from "./errors.ts";
import { hbpErrorResponse } from "./error-handler.ts";
import { jwks } from "./jwks.ts";
import { login, loginBody } from "./login.ts";
import { logout, logoutBody, logoutQuery } from "./logout.ts";
import { register, registerBody } from "./register.ts";
import { refresh, refreshFromCookie, refreshQuery, revoke } from "./token.ts";

/** JSON bodies above this are refused with 413 before parsing (HBP: 100 kB; latchkey allows 1 MiB of user_data). */
export const MAX_JSON_BODY_BYTES = 1024 * 1024;

// helmet's nocache(): tokens must never sit in a shared cache.
const NO_CACHE = {
  "cache-control": "no-store, no-cache, must-revalidate, proxy-revalidate",
  pragma: "no-cache",
  expires: "0",
  "surrogate-control": "no-store",
};

const tags = ["HBP auth"];

export function hbpAuthRoutes(ctx: HbpContext) {
  return new Elysia({ name: "api:hbp:auth", prefix: "/auth" })
    .onError(({ code, error }) => hbpErrorResponse(code, error, ctx.core.logger))
    .onParse(({ request, contentType }) => {
      const length = Number(request.headers.get("content-length") ?? 0);
      if (length > MAX_JSON_BODY_BYTES) throw new HbpError(413, "Request body is larger than 1 MiB.");
      // HBP reads JSON only (body-parser.json); a form post must not reach the handlers half-parsed.
      if (length > 0 && !contentType.startsWith("application/json")) {
        throw new HbpError(400, "The request body must be JSON (Content-Type: application/json).");
      }
    })
    .derive(({ request, server, set }): { exchange: Exchange } => {
      Object.assign(set.headers, NO_CACHE);
      const setCookies: string[] = [];
      // Handlers push cookies into this array; Elysia sends it as Set-Cookie headers with the answer.
      set.headers["set-cookie"] = setCookies;
      const client = { ip: server?.requestIP(request)?.address ?? null, userAgent: request.headers.get("user-agent") };
      return { exchange: { headers: request.headers, client, setCookies } };
    })
    .post("/register", ({ exchange, body }) => register(ctx, exchange, body), {
      body: registerBody,
      detail: { tags, summary: "Register with email and password" },
    })
    .post("/login", ({ exchange, body }) => login(ctx, exchange, body), {
      body: loginBody,
      detail: { tags, summary: "Sign in with email and password" },
    })
    .post(
      "/logout",
      async ({ exchange, query, body, set }) => {
        await logout(ctx, exchange, query.refresh_token, body?.all ?? false);
        set.status = 204;
      },
      { query: logoutQuery, body: logoutBody, detail: { tags, summary: "Sign out (with all=true, everywhere)" } },
    )
    .get("/token/refresh", ({ exchange, query }) => refresh(ctx, exchange, query.refresh_token), {
      query: refreshQuery,
      detail: { tags, summary: "Rotate a refresh token (query or cookie) for new tokens" },
    })
    .post("/token/refresh", ({ exchange }) => refreshFromCookie(ctx, exchange), {
      detail: { tags, summary: "Rotate the refresh_token cookie (seed 001's older path)" },
    })
    .post(
      "/token/revoke",
      async ({ exchange, set }) => {
        await revoke(ctx, exchange);
        set.status = 204;
      },
      { detail: { tags, summary: "End every session of the signed-in user" } },
    )
    .get("/jwks", () => jwks(ctx), { detail: { tags, summary: "Public keys of the access tokens (501 with HS* algorithms)" } })
    .get(
      "/activate",
      async ({ exchange, query, redirect }) => redirect(await activate(ctx, exchange, query), 302),
      { query: activateQuery, detail: { tags, summary: "Follow an activation link" } },
    )
    .post(
      "/delete",
      async ({ exchange, set }) => {
        await deleteAccount(ctx, exchange);
        set.status = 204;
      },
      { detail: { tags, summary: "Delete the signed-in account (ALLOW_USER_SELF_DELETE)" } },
    );
}
