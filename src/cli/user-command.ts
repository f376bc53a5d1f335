// `latchkey user ...`: the operator's tools for accounts, run on the data directory (or DATABASE_URL) while the
// server is stopped or running (SQLite's WAL lets both write), through core's services as a request would be.
import type { Config } from "../config.ts";
import type { DatabaseLocation } from "../db/client.ts";
import { isUuid } from "../lib/ids.ts";
import { CoreError } from "../core/errors.ts";
import type { User } from "../core/accounts/users.ts";
import { parseArguments, UsageError, type ParsedArguments } from "./arguments.ts";
import { openExistingDatabase } from "./existing-database.ts";
import { operatorServices, type OperatorServices } from "./operator-services.ts";
import { accountJson, accountName, listLine, sessionJson, sessionsText, showJson, showText } from "./user-views.ts";

export const USER_HELP = `latchkey user list [--json]                every account: id, email or username, state, default role
latchkey user show <account> [--json]      one account: roles, state, two-factor, password set or not, live sessions,
                                           passkeys (id, nickname, created, last used)
latchkey user create <email> [--password-stdin | --no-password] [--role <role>]... [--json]
                                           a new, active account. --password-stdin: its password is read from
                                           stdin; --no-password: a password-less account (magic link, reset);
                                           neither: a random password is generated and printed once. Each
                                           --role adds one of ALLOWED_USER_ROLES to DEFAULT_ALLOWED_USER_ROLES
latchkey user set-password <account> --password-stdin
                                           a new password, read from stdin; every session of the account ends
latchkey user roles <account> add|remove <role>
                                           give or take a role (one of ALLOWED_USER_ROLES, or admin: the admin
                                           console's; the default stays)
latchkey user sessions <account> [--revoke-all] [--json]
                                           live sessions: created, last used, ip, user agent; --revoke-all ends them
latchkey user mfa-reset <account>          remove the account's TOTP, backup codes and recovery code
latchkey user passkeys remove <account> <id> [--force]
                                           remove one of the account's passkeys (ids: user show); the last way
                                           to sign in only with --force (then set a password to give one back)
latchkey user disable <account>            ban an account and end its sessions; it gets nothing from any API
latchkey user enable <account>             lift the ban
latchkey user delete <account>             delete an account with its sessions, codes, tokens and files`;

/** How the account is named on the command line: email, username or id. */
const ACCOUNT = "<account> is an email address, a username or an account id";

/** A generated password: 20 characters of 62, 119 bits (longer when MIN_PASSWORD_LENGTH asks for more). */
const GENERATED_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const GENERATED_LENGTH = 20;

interface Context {
  config: Config;
  services: OperatorServices;
  args: ParsedArguments;
  json: boolean;
}

/** Each action: its flags, options, positional count after the action, and what it does (returns the exit code). */
const ACTIONS: Record<string, { flags?: string[]; values?: string[]; positional: number; run(context: Context): Promise<number> }> = {
  list: { flags: ["--json"], positional: 0, run: list },
  show: { flags: ["--json"], positional: 1, run: show },
  create: { flags: ["--json", "--password-stdin", "--no-password"], values: ["--role"], positional: 1, run: create },
  "set-password": { flags: ["--password-stdin"], positional: 1, run: setPassword },
  roles: { positional: 3, run: roles },
  sessions: { flags: ["--json", "--revoke-all"], positional: 1, run: sessions },
  "mfa-reset": { positional: 1, run: mfaReset },
  passkeys: { flags: ["--force"], positional: 3, run: passkeys },
  disable: { positional: 1, run: (context) => setDisabled(context, true) },
  enable: { positional: 1, run: (context) => setDisabled(context, false) },
  delete: { positional: 1, run: remove },
};

/** Runs the command; returns the process exit code. */
export async function userCommand(config: Config, location: DatabaseLocation, words: string[]): Promise<number> {
  const [action = "", ...rest] = words;
  const spec = ACTIONS[action];
  let args: ParsedArguments;
  try {
    if (!spec) throw new UsageError(action === "" ? "which user command?" : `unknown user command "${action}"`);
    args = parseArguments(rest, spec);
    if (args.positional.length !== spec.positional) throw new UsageError(`user ${action}: expected ${spec.positional} argument(s), got ${args.positional.length}`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`latchkey: ${error.message}\n\nUsage:\n${USER_HELP}\n\n${ACCOUNT}.`);
    return 2;
  }
  const database = await openExistingDatabase(location);
  if (database === null) return 1;
  try {
    return await spec.run({ config, services: operatorServices(config, database.db), args, json: args.flags.has("--json") });
  } catch (error) {
    if (!(error instanceof CoreError)) throw error;
    console.error(`latchkey: ${refusal(error, config)}`);
    return 1;
  } finally {
    await database.close();
  }
}

/** What core refused, in the operator's words, naming the setting that decides it. */
function refusal(error: CoreError, config: Config): string {
  switch (error.code) {
    case "password_too_short":
      return `the password is too short: MIN_PASSWORD_LENGTH is ${config.registration.minPasswordLength}`;
    case "password_too_long":
      return "the password is too long: at most 128 characters";
    case "password_breached":
      return "the password is in a known data breach (HIBP_ENABLED); choose another";
    case "email_taken":
    case "email_taken_inactive":
      return "an account with this address exists already";
    case "username_taken":
      return "an account with this username exists already";
    case "email_domain_not_allowed":
      return `the address is not at a domain of ALLOWED_EMAIL_DOMAINS (${config.registration.allowedEmailDomains.join(", ")})`;
    case "role_not_allowed":
      return `role "${error.detail ?? ""}" is not one of ALLOWED_USER_ROLES (${config.auth.allowedUserRoles.join(", ")}); add it there first`;
    case "last_sign_in_method":
      return "it is the account's last way to sign in: add --force to remove it anyway (then `latchkey user set-password` gives the account a way back)";
    case "default_role_not_allowed":
      return `"${error.detail ?? ""}" is the account's default role, which every token names; it cannot be removed`;
    default:
      return `refused: ${error.code}`;
  }
}

/** The account a positional argument names, or null after saying there is none. */
async function findAccount(services: OperatorServices, target: string): Promise<User | null> {
  const { users } = services;
  const user = isUuid(target) ? await users.findById(target) : await users.findByLogin(target);
  if (!user) console.error(`latchkey: no account "${target}"`);
  return user;
}

function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** The password on stdin: its text without the final line break; null (after saying so) when there is none. */
async function passwordFromStdin(): Promise<string | null> {
  const password = (await Bun.stdin.text()).replace(/\r?\n$/, "");
  if (password === "") {
    console.error("latchkey: --password-stdin: no password on stdin (e.g. printf '%s' \"$PASSWORD\" | latchkey user ...)");
    return null;
  }
  return password;
}

async function list({ services, json }: Context): Promise<number> {
  const accounts = await services.users.list();
  if (json) printJson(accounts.map(accountJson));
  else for (const account of accounts) console.log(listLine(account));
  return 0;
}

async function show({ services, args, json }: Context): Promise<number> {
  const user = await findAccount(services, args.positional[0]!);
  if (!user) return 1;
  const details = {
    user,
    mfa: await services.secondFactors.totp.isEnabled(user.id),
    sessions: (await services.sessions.liveOfUser(user.id)).length,
    passkeys: await services.passkeys.list(user.id),
  };
  if (json) printJson(showJson(details));
  else console.log(showText(details));
  return 0;
}

async function create({ config, services, args, json }: Context): Promise<number> {
  const email = args.positional[0]!;
  if (!/^[^\s@]+@[^\s@]+$/.test(email)) {
    console.error(`latchkey: "${email}" is not an email address`);
    return 2;
  }
  if (args.flags.has("--password-stdin") && args.flags.has("--no-password")) {
    console.error("latchkey: --password-stdin and --no-password: give one or neither");
    return 2;
  }
  let password: string | null;
  let generated = false;
  if (args.flags.has("--password-stdin")) {
    password = await passwordFromStdin();
    if (password === null) return 2;
  } else if (args.flags.has("--no-password")) {
    password = null;
  } else {
    password = services.random.pick(GENERATED_ALPHABET, Math.max(GENERATED_LENGTH, config.registration.minPasswordLength));
    generated = true;
  }
  const extraRoles = args.values.get("--role") ?? [];
  const user = await services.users.register(
    { email, password, allowedRoles: [...new Set([...config.auth.defaultAllowedUserRoles, ...extraRoles])] },
    { active: true, registeredBy: "operator" },
  );
  if (json) {
    printJson({ ...accountJson(user), roles: user.roles, ...(generated ? { password } : {}) });
  } else {
    console.log(`created ${accountName(user)} (${user.id}) with roles ${user.roles.join(", ")}`);
    if (generated) console.log(`password: ${password}\n(shown this once and stored only as a hash: hand it over now)`);
    else if (password === null) console.log("it has no password: sign in by magic link, or set one with `latchkey user set-password`");
  }
  return 0;
}

async function setPassword({ services, args }: Context): Promise<number> {
  if (!args.flags.has("--password-stdin")) {
    console.error("latchkey: user set-password reads the password from stdin: add --password-stdin (a password in the arguments would be in the shell history and `ps`)");
    return 2;
  }
  const user = await findAccount(services, args.positional[0]!);
  if (!user) return 1;
  const password = await passwordFromStdin();
  if (password === null) return 2;
  const accepted = await services.users.checkPassword(password);
  await services.users.setPassword(user.id, accepted);
  // Whoever knew the old password may hold a session: a new password ends them all.
  await services.sessions.revokeAllForUser(user.id);
  console.log(`set the password of ${accountName(user)}; its sessions are ended`);
  return 0;
}

async function roles({ services, args }: Context): Promise<number> {
  const [target, change, role] = args.positional as [string, string, string];
  if (change !== "add" && change !== "remove") {
    console.error(`latchkey: user roles <account> add|remove <role>: "${change}" is neither add nor remove`);
    return 2;
  }
  const user = await findAccount(services, target);
  if (!user) return 1;
  const name = accountName(user);
  if (change === "add") {
    const added = await services.users.addRole(user.id, role);
    console.log(added ? `${name} now has role ${role}` : `${name} had role ${role} already`);
  } else {
    const removed = await services.users.removeRole(user, role);
    console.log(removed ? `${name} no longer has role ${role}` : `${name} did not have role ${role}`);
  }
  return 0;
}

async function sessions({ services, args, json }: Context): Promise<number> {
  const user = await findAccount(services, args.positional[0]!);
  if (!user) return 1;
  const live = await services.sessions.liveOfUser(user.id);
  if (args.flags.has("--revoke-all")) {
    await services.sessions.revokeAllForUser(user.id);
    if (json) printJson({ revoked: live.map(sessionJson) });
    else console.log(`ended ${live.length} session(s) of ${accountName(user)}`);
    return 0;
  }
  if (json) printJson(live.map(sessionJson));
  else console.log(sessionsText(live));
  return 0;
}

async function mfaReset({ services, args }: Context): Promise<number> {
  const user = await findAccount(services, args.positional[0]!);
  if (!user) return 1;
  const hadTotp = await services.secondFactors.removeAll(user.id);
  const name = accountName(user);
  console.log(hadTotp ? `removed the two-factor authentication of ${name}: the password alone signs in` : `${name} had no TOTP; its codes, if any, are removed`);
  return 0;
}

async function passkeys({ services, args }: Context): Promise<number> {
  const [change, target, id] = args.positional as [string, string, string];
  if (change !== "remove") {
    console.error(`latchkey: user passkeys remove <account> <id>: "${change}" is not remove (\`latchkey user show\` lists them)`);
    return 2;
  }
  const user = await findAccount(services, target);
  if (!user) return 1;
  const name = accountName(user);
  if (!(await services.passkeys.remove(user.id, id, { force: args.flags.has("--force") }))) {
    console.error(`latchkey: ${name} has no passkey ${id} (\`latchkey user show ${target}\` lists them)`);
    return 1;
  }
  // Sessions it started stay: a lost authenticator's may be ended with `user sessions --revoke-all`.
  console.log(`removed passkey ${id} of ${name}; its sessions, if any, go on (end them with \`latchkey user sessions ${target} --revoke-all\`)`);
  return 0;
}

async function setDisabled({ services, args }: Context, disabled: boolean): Promise<number> {
  const user = await findAccount(services, args.positional[0]!);
  if (!user) return 1;
  await services.users.setDisabled(user.id, disabled);
  if (disabled) {
    await services.sessions.revokeAllForUser(user.id);
    console.log(`disabled ${accountName(user)}; its sessions are ended`);
  } else {
    console.log(`enabled ${accountName(user)}`);
  }
  return 0;
}

async function remove({ services, args }: Context): Promise<number> {
  const user = await findAccount(services, args.positional[0]!);
  if (!user) return 1;
  await services.users.delete(user.id);
  console.log(`deleted ${accountName(user)} and its files`);
  return 0;
}
