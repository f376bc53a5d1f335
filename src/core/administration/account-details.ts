// One account as the console's user page shows it: the account and its roles, its live sessions, its second factors,
// passkeys, provider identities and API tokens, what deleting it would take with it, and its recent security events.
// Nothing that grants access: no token, key, secret or code (counts and dates only).
import type {
  AccountDetailsRepository,
  StoredApiTokenSummary,
  StoredIdentitySummary,
  StoredPasskeySummary,
} from "../../db/repositories/account-details.ts";
import type { SecurityEventsRepository, StoredSecurityEvent } from "../../db/repositories/security-events.ts";
import type { User, Users } from "../accounts/users.ts";
import { CoreError } from "../errors.ts";
import type { Totp } from "../second-factors/totp.ts";
import type { LiveSession, Sessions } from "../sessions/sessions.ts";

/** What deleting the account removes with it (users.delete: its files first, then its row and what hangs off it). */
export interface OwnedByAccount {
  sessions: number;
  files: number;
  fileBytes: number;
  apiTokens: number;
  identities: number;
  passkeys: number;
  /** TOTP, backup codes and the recovery code. */
  secondFactors: number;
}

export interface AccountDetails {
  user: User;
  sessions: LiveSession[];
  secondFactors: { totp: boolean; backupCodes: number; recoveryCodes: number };
  passkeys: StoredPasskeySummary[];
  identities: StoredIdentitySummary[];
  apiTokens: StoredApiTokenSummary[];
  owns: OwnedByAccount;
  recentEvents: StoredSecurityEvent[];
}

export interface AccountDetailsReader {
  /** `user_not_found`. */
  of(userId: string): Promise<AccountDetails>;
}

/** Events shown on the page: the newest of those naming the account by address or by id. */
const RECENT_EVENTS = 10;

export function createAccountDetails(deps: {
  users: Pick<Users, "findById">;
  sessions: Pick<Sessions, "liveOfUser">;
  totp: Pick<Totp, "isEnabled">;
  details: AccountDetailsRepository;
  events: Pick<SecurityEventsRepository, "page">;
}): AccountDetailsReader {
  const { users, sessions, totp, details, events } = deps;

  async function recentEvents(user: User): Promise<StoredSecurityEvent[]> {
    // Core's events name an account as `email:<address>` (password guesses) or `user:<id>` (second factors).
    const names = [`user:${user.id}`, ...(user.email ? [`email:${user.email}`] : [])];
    const pages = await Promise.all(names.map((account) => events.page({ account }, null, RECENT_EVENTS)));
    return pages
      .flatMap((page) => page.rows)
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .slice(0, RECENT_EVENTS);
  }

  return {
    async of(userId) {
      const user = await users.findById(userId);
      if (!user) throw new CoreError("user_not_found");
      const [live, totpOn, codes, passkeys, identities, apiTokens, files, recent] = await Promise.all([
        sessions.liveOfUser(user.id),
        totp.isEnabled(user.id),
        details.recoveryCodeCounts(user.id),
        details.passkeysOf(user.id),
        details.identitiesOf(user.id),
        details.apiTokensOf(user.id),
        details.filesOwned(user.id),
        recentEvents(user),
      ]);
      const backupCodes = codes["backup-code"] ?? 0;
      const recoveryCodes = codes["recovery-code"] ?? 0;
      return {
        user,
        sessions: live,
        secondFactors: { totp: totpOn, backupCodes, recoveryCodes },
        passkeys,
        identities,
        apiTokens,
        owns: {
          sessions: live.length,
          files: files.count,
          fileBytes: files.bytes,
          apiTokens: apiTokens.length,
          identities: identities.length,
          passkeys: passkeys.length,
          secondFactors: (totpOn ? 1 : 0) + backupCodes + recoveryCodes,
        },
        recentEvents: recent,
      };
    },
  };
}
