// The role that makes an account an administrator of latchkey itself: it signs in to the admin console
// (core/administration/). Granted by the operator only (`latchkey user roles <account> add admin`, ADMIN_EMAIL at
// start-up, or another administrator in the console), whatever ALLOWED_USER_ROLES says; never by a sign-up (users.ts),
// and config.ts refuses DEFAULT_ALLOWED_USER_ROLES with it while the console is on.
import type { User } from "./users.ts";

export const ADMIN_ROLE = "admin";

export function isAdministrator(user: Pick<User, "roles">): boolean {
  return user.roles.includes(ADMIN_ROLE);
}
