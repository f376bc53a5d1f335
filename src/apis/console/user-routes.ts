// The console's account routes, a slice of its API table (routes.ts): search and show accounts, create one, and
// what an administrator does to an account (disable, roles, sessions, second factors, passkeys, identities, mails).
// Handlers: users.ts (reads) and user-actions.ts (changes), each one core call.
import { json, noContent } from "../route-docs.ts";
import type { ConsoleContext } from "./context.ts";
import { CHANGES, consoleDoc as doc, LIMITED, NO_ACCOUNT, SIGNED_IN } from "./docs.ts";
import {
  createUser,
  createUserBody,
  deletedAnswerSchema,
  deleteUser,
  identityParams,
  passkeyParams,
  removePasskey,
  removeSecondFactor,
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
  unlinkIdentity,
  userAnswerSchema,
} from "./user-actions.ts";
import { searchAnswerSchema, searchQuery, searchUsers, showUser, userParams } from "./users.ts";
import type { ConsoleApiApp } from "./routes.ts";
import { userDetailsSchema } from "./views.ts";

/** /users (GET, POST), /users/:id (GET, DELETE) and its actions. */
export function userRoutes(ctx: ConsoleContext) {
  return (app: ConsoleApiApp) =>
    app
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
      });
}
