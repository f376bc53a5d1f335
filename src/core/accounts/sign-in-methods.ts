// The rule every removal of a way to sign in keeps (unlinking a provider, deleting a passkey): an account is never
// left with none, so its owner is never locked out by their own click. The count and the removal happen under one
// lock per account, whatever the kind: two removals at once (a provider unlinked while a passkey is deleted, each
// the other's last companion) would otherwise both count two and leave none.
import type { SignInMethodsRepository } from "../../db/repositories/sign-in-methods.ts";
import { CoreError } from "../errors.ts";

export type SignInMethodKind = "password" | "identity" | "passkey";

export interface SignInMethods {
  /**
   * Runs `removal` (which answers whether it removed something) under the account's lock, after checking that the
   * account keeps another way to sign in: `last_sign_in_method` when it would not, unless `force` (an administrator
   * removing a lost passkey).
   */
  remove(userId: string, kind: SignInMethodKind, removal: () => Promise<boolean>, options?: { force?: boolean }): Promise<boolean>;
}

export function createSignInMethods(repository: SignInMethodsRepository): SignInMethods {
  async function assertCanRemove(userId: string, kind: SignInMethodKind): Promise<void> {
    const methods = await repository.ofUser(userId);
    const left =
      (methods.password && kind !== "password" ? 1 : 0) +
      methods.identities - (kind === "identity" ? 1 : 0) +
      methods.passkeys - (kind === "passkey" ? 1 : 0);
    if (left < 1) throw new CoreError("last_sign_in_method");
  }

  return {
    remove(userId, kind, removal, options = {}) {
      return repository.exclusively(userId, async () => {
        if (!options.force) await assertCanRemove(userId, kind);
        return removal();
      });
    },
  };
}
