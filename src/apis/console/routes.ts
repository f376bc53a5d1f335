// Every route of the admin console's JSON API, mounted at /console/api (CONSOLE_ENABLED), with its guard (guards.ts:
// a console session of an administrator; "change" also needs the session's CSRF token), schemas and answers
// (docs.ts): the session and the overview here, then the groups with a table of their own (user-routes.ts,
// mail-routes.ts, file-routes.ts), each named at the `.use` that mounts it. Handlers live in files named after what
// they do, each one core call (core/administration/). The page at
// /console (apis/console/page.ts) is a client of this API like any other: everything it shows or does is here.
import { t } from "elysia";
import { dialect } from "../dialect.ts";
import { json, noContent } from "../route-docs.ts";
import { listAudit, auditAnswerSchema, auditQuery } from "./audit.ts";
import type { ConsoleContext, ConsoleExchange } from "./context.ts";
import { CHANGES, consoleDoc as doc, LIMITED, SIGNED_IN } from "./docs.ts";
import { ConsoleError, consoleErrorResponse, NO_STORE } from "./errors.ts";
import { consoleGuards } from "./guards.ts";
import { overview, overviewSchema, settings, settingsSchema } from "./overview.ts";
import { BACKUP_DOWNLOAD, backupParams, backupsAnswerSchema, createBackup, createdAnswerSchema, downloadBackup, listBackups } from "./backups.ts";
import { eventsAnswerSchema, eventsQuery, listSecurityEvents } from "./security-events.ts";
import {
  currentSession,
  passkeyBody,
  passkeyOptions,
  passkeyOptionsBody,
  secondStepSchema,
  signedInSchema,
  signIn,
  signInBody,
  signInWithPasskey,
  signInWithTotp,
  signOut,
  totpBody,
} from "./session.ts";
import { requestOptionsSchema } from "../webauthn-schemas.ts";
import { fileRoutes } from "./file-routes.ts";
import { mailRoutes } from "./mail-routes.ts";
import { userRoutes } from "./user-routes.ts";

const SIGN_IN_REFUSED =
  "not_an_administrator (no admin role), second_factor_required (CONSOLE_REQUIRE_MFA and no second factor), account_disabled or account_inactive.";

export const CONSOLE_API_PREFIX = "/console/api";

/** The console API's mount before its routes: what every route of this table and of its slices (*-routes.ts) runs behind. */
function consoleApiApp(ctx: ConsoleContext) {
  return dialect({
    name: "api:console",
    prefix: CONSOLE_API_PREFIX,
    // A few short fields of JSON: a form post from another site cannot reach a handler.
    body: { maxBytes: 16 * 1024, mediaTypes: ["json"] },
    errorResponse: (code, error) => consoleErrorResponse(code, error, ctx.core.logger),
    exchange: (request, set): ConsoleExchange => {
      Object.assign(set.headers, NO_STORE);
      return {
        client: ctx.clientOf(request),
        setCookie: (cookie) => {
          ((set.headers["set-cookie"] ??= []) as string[]).push(cookie);
        },
      };
    },
  })
    // Handlers with nothing to say answer 204.
    .onAfterHandle(({ response, set }) => {
      if (response === undefined) set.status = 204;
    })
    .macro(consoleGuards(ctx));
}

/** What a slice of the table adds its routes to: the guard (`console: "read" | "change"`) and the exchange are there. */
export type ConsoleApiApp = ReturnType<typeof consoleApiApp>;

export function consoleApiRoutes(ctx: ConsoleContext) {
  return consoleApiApp(ctx)
    .post("/session", ({ exchange, body }) => signIn(ctx, exchange, body), {
      body: signInBody,
      detail: doc("Sign in to the console with an administrator's email and password", {
        200: json(t.Union([signedInSchema, secondStepSchema]), "Signed in (the session cookie is set), or the second step's ticket."),
        401: "invalid_credentials: wrong email or password (the two alike).",
        403: SIGN_IN_REFUSED,
        429: LIMITED,
      }),
    })
    .post("/session/totp", ({ exchange, body }) => signInWithTotp(ctx, exchange, body), {
      body: totpBody,
      detail: doc("The second step: the ticket and a TOTP code", {
        200: json(signedInSchema, "Signed in: the session cookie is set."),
        401: "invalid_ticket or invalid_totp_code: the ticket is unknown, used or expired, or the code is wrong.",
        403: "not_an_administrator, account_disabled: the account may not use the console.",
        429: LIMITED,
      }),
    })
    .post("/session/passkey", ({ exchange, body }) => passkeyOptions(ctx, exchange, body), {
      body: passkeyOptionsBody,
      detail: doc("The second step with a passkey: the options for the ticket's administrator's passkeys", {
        200: json(requestOptionsSchema, "Options for navigator.credentials.get()."),
        401: "invalid_ticket: the ticket is unknown, used or expired.",
        404: "passkeys_disabled: WEBAUTHN_ENABLED is off.",
        429: LIMITED,
      }),
    })
    .post("/session/passkey/verify", ({ exchange, body }) => signInWithPasskey(ctx, exchange, body), {
      body: passkeyBody,
      detail: doc("The second step with a passkey: the ticket and the signed challenge", {
        200: json(signedInSchema, "Signed in: the session cookie is set."),
        401: "invalid_ticket or invalid_passkey: the ticket is unknown, used or expired, or the passkey's answer was refused.",
        403: "not_an_administrator, account_disabled: the account may not use the console.",
        404: "passkeys_disabled: WEBAUTHN_ENABLED is off.",
        429: LIMITED,
      }),
    })
    .get("/session", ({ caller }) => currentSession(ctx, caller), {
      console: "read",
      detail: doc.get("The current console session (and its CSRF token, for a page that reloads)", {
        200: json(signedInSchema, "The session."),
        ...SIGNED_IN,
      }),
    })
    .delete("/session", ({ exchange, caller }) => signOut(ctx, exchange, caller), {
      console: "change",
      detail: doc("Sign out of the console", { 204: noContent("Signed out: the session is over and its cookie cleared."), ...CHANGES }),
    })
    .get("/overview", () => overview(ctx), {
      console: "read",
      detail: doc.get("Accounts, sign-ins per day, sessions, storage, mail, the last backup, version and warnings", {
        200: json(overviewSchema, "The figures."),
        ...SIGNED_IN,
      }),
    })
    .get("/settings", () => settings(ctx), {
      console: "read",
      detail: doc.get("Every setting in effect, secrets masked, with `latchkey config check`'s warnings", {
        200: json(settingsSchema, "The settings."),
        ...SIGNED_IN,
      }),
    })
    .use(userRoutes(ctx)) // /users, /users/:id and what an administrator does to an account
    .use(mailRoutes(ctx)) // /mail, /mail/:id/retry, /mail/test, /mail/templates(/:name)
    .get("/security-events", ({ query }) => listSecurityEvents(ctx, query), {
      console: "read",
      query: eventsQuery,
      detail: doc.get("Security events, newest first, by account and client address", {
        200: json(eventsAnswerSchema, "A page of events and the cursor of the next."),
        ...SIGNED_IN,
        400: "invalid_cursor: `after` is not a cursor of this list.",
      }),
    })
    .use(fileRoutes(ctx)) // /files (GET, DELETE), /files/usage, /files/content, /files/thumbnail, /files/token
    .get("/backups", () => listBackups(ctx), {
      console: "read",
      detail: doc.get("The backups at BACKUP_URL (newest first), the schedule and the last results; restoring stays `latchkey restore`", {
        200: json(backupsAnswerSchema, "The backups."),
        ...SIGNED_IN,
      }),
    })
    .post("/backups", ({ actor }) => createBackup(ctx, actor), {
      console: "change",
      detail: doc("Make a backup now, to BACKUP_URL (the code `latchkey backup` and the schedule run)", {
        200: json(createdAnswerSchema, "Made."),
        ...CHANGES,
        409: "backups_unavailable: DATABASE_URL is set (back PostgreSQL up with pg_dump) or BACKUP_URL is not.",
        503: "backup_failed: the backup could not be written; the server's log says why.",
      }),
    })
    .get("/backups/:name", ({ actor, params }) => downloadBackup(ctx, actor, params.name), {
      console: "read",
      params: backupParams,
      detail: doc.get("Download a backup (streamed; audited: it holds every password hash)", {
        200: BACKUP_DOWNLOAD,
        ...SIGNED_IN,
        404: "backup_not_found: no backup of this name at BACKUP_URL.",
      }),
    })
    .get("/audit", ({ query }) => listAudit(ctx, query), {
      console: "read",
      query: auditQuery,
      detail: doc.get("The audit log of console actions, newest first (append-only: no route changes it)", {
        200: json(auditAnswerSchema, "A page of entries and the cursor of the next."),
        ...SIGNED_IN,
        400: "invalid_cursor: `after` is not a cursor of this list.",
      }),
    })
    .all("/*", () => {
      throw new ConsoleError(404, "not_found", "No such console API route.");
    }, { detail: { hide: true } });
}
