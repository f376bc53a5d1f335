// Every route of the admin console's JSON API, mounted at /console/api (CONSOLE_ENABLED), with its guard (guards.ts:
// a console session of an administrator; "change" also needs the session's CSRF token), schemas and answers
// (docs.ts). Handlers live in files named after what they do, each one core call (core/administration/). The page at
// /console (apis/console/page.ts) is a client of this API like any other: everything it shows or does is here.
import { t } from "elysia";
import { dialect } from "../dialect.ts";
import { json, noContent } from "../route-docs.ts";
import { listAudit, auditAnswerSchema, auditQuery } from "./audit.ts";
import type { ConsoleContext, ConsoleExchange } from "./context.ts";
import { CHANGES, consoleDoc as doc, NO_ACCOUNT, SIGNED_IN } from "./docs.ts";
import { ConsoleError, consoleErrorResponse, NO_STORE } from "./errors.ts";
import { consoleGuards } from "./guards.ts";
import { overview, overviewSchema, settings, settingsSchema } from "./overview.ts";
import {
  listMail,
  listTemplates,
  mailAnswerSchema,
  mailParams,
  mailQuery,
  previewSchema,
  previewTemplate,
  retryMail,
  sendTestMail,
  templateParams,
  templatesAnswerSchema,
  testMailAnswerSchema,
  testMailBody,
} from "./mail.ts";
import {
  browseFolder,
  deleteFile,
  DOWNLOAD,
  downloadFile,
  fileAnswerSchema,
  fileBody,
  fileQuery,
  fileThumbnail,
  folderAnswerSchema,
  folderQuery,
  revokeFileToken,
  storageUsage,
  THUMBNAIL,
  thumbnailQuery,
  usageAnswerSchema,
} from "./files.ts";
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
import {
  createUser,
  createUserBody,
  deletedAnswerSchema,
  deleteUser,
  passkeyParams,
  removePasskey,
  removeSecondFactor,
  identityParams,
  unlinkIdentity,
  revokeAllSessions,
  revokedAnswerSchema,
  revokeSession,
  rolesBody,
  secondFactorAnswerSchema,
  sendActivation,
  sendPasswordReset,
  sessionParams,
  setDisabled,
  setRoles,
  userAnswerSchema,
} from "./user-actions.ts";
import { searchAnswerSchema, searchQuery, searchUsers, showUser, userParams } from "./users.ts";
import { userDetailsSchema } from "./views.ts";

const LIMITED = "rate_limited: too many tries from this address or for this account; Retry-After says when to try again.";
const SIGN_IN_REFUSED =
  "not_an_administrator (no admin role), second_factor_required (CONSOLE_REQUIRE_MFA and no second factor), account_disabled or account_inactive.";

const FILE_NOT_FOUND = "file_not_found: no file with this key.";

export const CONSOLE_API_PREFIX = "/console/api";

export function consoleApiRoutes(ctx: ConsoleContext) {
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
    .macro(consoleGuards(ctx))
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
    .get("/users", ({ query }) => searchUsers(ctx, query), {
      console: "read",
      query: searchQuery,
      detail: doc.get("Search accounts by id, address or username prefix, or role; a page at a time", {
        200: json(searchAnswerSchema, "A page of accounts and the cursor of the next."),
        ...SIGNED_IN,
        400: "invalid_cursor: `after` is not a cursor of this search.",
      }),
    })
    .post("/users", ({ actor, body }) => createUser(ctx, actor, body), {
      console: "change",
      body: createUserBody,
      detail: doc("Create an active account", {
        200: json(userAnswerSchema, "The account."),
        ...CHANGES,
        400: "The address is not allowed, the password is too short, too long or breached, or a role is not allowed.",
        409: "email_taken: an account with this address exists.",
      }),
    })
    .get("/users/:id", ({ params }) => showUser(ctx, params.id), {
      console: "read",
      params: userParams,
      detail: doc.get("One account: roles, sessions, second factors, passkeys, identities, API tokens, what it owns, recent security events", {
        200: json(userDetailsSchema, "The account."),
        ...SIGNED_IN,
        404: NO_ACCOUNT,
      }),
    })
    .delete("/users/:id", ({ actor, params }) => deleteUser(ctx, actor, params.id), {
      console: "change",
      params: userParams,
      detail: doc("Delete an account with its sessions, files, tokens, second factors, passkeys and identities", {
        200: json(deletedAnswerSchema, "Deleted; what went with it."),
        ...CHANGES,
        404: NO_ACCOUNT,
      }),
    })
    .post("/users/:id/disable", ({ actor, params }) => setDisabled(ctx, actor, params.id, true), {
      console: "change",
      params: userParams,
      detail: doc("Disable (ban) an account and end its sessions: it gets nothing from any API", {
        200: json(userAnswerSchema, "The account."),
        ...CHANGES,
        404: NO_ACCOUNT,
      }),
    })
    .post("/users/:id/enable", ({ actor, params }) => setDisabled(ctx, actor, params.id, false), {
      console: "change",
      params: userParams,
      detail: doc("Lift an account's ban", { 200: json(userAnswerSchema, "The account."), ...CHANGES, 404: NO_ACCOUNT }),
    })
    .put("/users/:id/roles", ({ actor, params, body }) => setRoles(ctx, actor, params.id, body.roles), {
      console: "change",
      params: userParams,
      body: rolesBody,
      detail: doc("Set an account's roles (its default role stays; tokens issued from now on carry them)", {
        200: json(userAnswerSchema, "The account."),
        ...CHANGES,
        400: "role_not_allowed or default_role_not_allowed.",
        404: NO_ACCOUNT,
      }),
    })
    .delete("/users/:id/sessions", ({ actor, params }) => revokeAllSessions(ctx, actor, params.id), {
      console: "change",
      params: userParams,
      detail: doc("End every session of an account", { 200: json(revokedAnswerSchema, "Ended."), ...CHANGES, 404: NO_ACCOUNT }),
    })
    .delete("/users/:id/sessions/:session_id", ({ actor, params }) => revokeSession(ctx, actor, params.id, params.session_id), {
      console: "change",
      params: sessionParams,
      detail: doc("End one session of an account", {
        204: noContent("Ended."),
        ...CHANGES,
        404: `${NO_ACCOUNT} Or session_not_found: no such live session of this account.`,
      }),
    })
    .delete("/users/:id/second-factors", ({ actor, params }) => removeSecondFactor(ctx, actor, params.id), {
      console: "change",
      params: userParams,
      detail: doc("Remove an account's TOTP, backup codes and recovery code: the password alone signs in again", {
        200: json(secondFactorAnswerSchema, "Removed."),
        ...CHANGES,
        404: NO_ACCOUNT,
      }),
    })
    .delete("/users/:id/passkeys/:passkey_id", ({ actor, params }) => removePasskey(ctx, actor, params.id, params.passkey_id), {
      console: "change",
      params: passkeyParams,
      detail: doc("Remove one of an account's passkeys", {
        204: noContent("Removed."),
        ...CHANGES,
        404: `${NO_ACCOUNT} Or passkey_not_found: no such passkey of this account.`,
        409: "last_sign_in_method: it is the account's last way to sign in (disable or delete the account instead).",
      }),
    })
    .delete("/users/:id/identities/:provider", ({ actor, params }) => unlinkIdentity(ctx, actor, params.id, params.provider), {
      console: "change",
      params: identityParams,
      detail: doc("Unlink an account's identity at a provider (OAuth, OIDC): signing in there no longer reaches the account", {
        204: noContent("Unlinked."),
        ...CHANGES,
        404: `${NO_ACCOUNT} Or identity_not_found: the account has no identity at this provider.`,
        409: "last_sign_in_method: it is the account's last way to sign in (disable or delete the account instead).",
      }),
    })
    .post("/users/:id/password-reset-mail", ({ actor, params }) => sendPasswordReset(ctx, actor, params.id), {
      console: "change",
      params: userParams,
      detail: doc("Mail a password-reset link (sent to an active, enabled account)", {
        204: noContent("Queued."),
        ...CHANGES,
        404: NO_ACCOUNT,
        409: "account_has_no_email.",
        429: LIMITED,
      }),
    })
    .post("/users/:id/activation-mail", ({ actor, params }) => sendActivation(ctx, actor, params.id), {
      console: "change",
      params: userParams,
      detail: doc("Mail an activation link to an account waiting for activation", {
        204: noContent("Queued."),
        ...CHANGES,
        404: NO_ACCOUNT,
        409: "account_has_no_email, or account_already_active.",
      }),
    })
    .get("/mail", ({ query }) => listMail(ctx, query), {
      console: "read",
      query: mailQuery,
      detail: doc.get("The mail queue: mails waiting, given up (with the mail server's last answer) or sent, newest first", {
        200: json(mailAnswerSchema, "A page of mails and the cursor of the next."),
        ...SIGNED_IN,
        400: "invalid_cursor: `after` is not a cursor of this list.",
      }),
    })
    .post("/mail/:id/retry", ({ actor, params }) => retryMail(ctx, actor, params.id), {
      console: "change",
      params: mailParams,
      detail: doc("Send a mail that was given up again, with a fresh count of attempts", {
        204: noContent("Due now."),
        ...CHANGES,
        404: "mail_not_found: no mail with this id was given up.",
      }),
    })
    .post("/mail/test", ({ actor, body }) => sendTestMail(ctx, actor, body.to), {
      console: "change",
      body: testMailBody,
      detail: doc("Send a test mail now (not through the queue) and answer what the mail server said", {
        200: json(testMailAnswerSchema, "Sent (the server's answer, or the outbox file), or not sent (its refusal)."),
        ...CHANGES,
      }),
    })
    .get("/mail/templates", () => listTemplates(ctx), {
      console: "read",
      detail: doc.get("The mail templates", { 200: json(templatesAnswerSchema, "Their names."), ...SIGNED_IN }),
    })
    .get("/mail/templates/:name", ({ params }) => previewTemplate(ctx, params.name), {
      console: "read",
      params: templateParams,
      detail: doc.get("A mail template as it is sent (EMAIL_TEMPLATES_DIR's files where there are), filled with sample data", {
        200: json(previewSchema, "The subject, text and HTML."),
        ...SIGNED_IN,
      }),
    })
    .get("/security-events", ({ query }) => listSecurityEvents(ctx, query), {
      console: "read",
      query: eventsQuery,
      detail: doc.get("Security events, newest first, by account and client address", {
        200: json(eventsAnswerSchema, "A page of events and the cursor of the next."),
        ...SIGNED_IN,
        400: "invalid_cursor: `after` is not a cursor of this list.",
      }),
    })
    .get("/files", ({ query }) => browseFolder(ctx, query), {
      console: "read",
      query: folderQuery,
      detail: doc.get("The subfolders and files directly in a folder, in key order, a page at a time", {
        200: json(folderAnswerSchema, "A page of entries and the cursor of the next."),
        ...SIGNED_IN,
        400: "invalid_path (the folder is not a key ending in /) or invalid_cursor.",
      }),
    })
    .get("/files/usage", () => storageUsage(ctx), {
      console: "read",
      detail: doc.get("Files and bytes stored under each top folder, and in all", { 200: json(usageAnswerSchema, "The figures."), ...SIGNED_IN }),
    })
    .get("/files/content", ({ query }) => downloadFile(ctx, query.key), {
      console: "read",
      query: fileQuery,
      detail: doc.get("Download a file (whatever the access rules say)", {
        200: DOWNLOAD,
        ...SIGNED_IN,
        400: "invalid_path: not a file's key.",
        404: FILE_NOT_FOUND,
      }),
    })
    .get("/files/thumbnail", ({ request, query }) => fileThumbnail(ctx, request, query), {
      console: "read",
      query: thumbnailQuery,
      detail: doc.get("A thumbnail of an image file: the `?w=` variant of HBP's storage, made once and kept in the transform cache", {
        200: THUMBNAIL,
        ...SIGNED_IN,
        400: "invalid_path: not a file's key.",
        404: FILE_NOT_FOUND,
        415: "unsupported_image: not a JPEG, PNG or WebP image.",
        422: "corrupt_image or image_too_large.",
        503: "transform_busy: every image worker is busy; Retry-After.",
      }),
    })
    .delete("/files", ({ actor, query }) => deleteFile(ctx, actor, query.key), {
      console: "change",
      query: fileQuery,
      detail: doc("Delete a file with its image variants", {
        200: json(fileAnswerSchema, "Deleted: what it was."),
        ...CHANGES,
        400: "invalid_path: not a file's key.",
        404: FILE_NOT_FOUND,
      }),
    })
    .post("/files/token", ({ actor, body }) => revokeFileToken(ctx, actor, body.key), {
      console: "change",
      body: fileBody,
      detail: doc("Give a file a new token: links with the old `?token=` stop working", {
        200: json(fileAnswerSchema, "The file (its new token is not shown: it grants the file)."),
        ...CHANGES,
        400: "invalid_path: not a file's key.",
        404: FILE_NOT_FOUND,
      }),
    })
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
