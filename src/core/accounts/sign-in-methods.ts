// The rule every removal of a way to sign in keeps (unlinking a provider, deleting a passkey): an account is never
// left with none, so its owner is never locked out by their own click.
import type { SignInMethodsRepository } from "../../db/repositories/sign-in-methods.ts";
import { CoreError } from "../errors.ts";

export type SignInMethodKind = "password" | "identity" | "passkey";

export interface SignInMethods {
  /** `last_sign_in_method` when removing one method of `kind` would leave the account without a way to sign in. */
  assertCanRemove(userId: string, kind: SignInMethodKind): Promise<void>;
}

export function createSignInMethods(repository: SignInMethodsRepository): SignInMethods {
  return {
    async assertCanRemove(userId, kind) {
      const methods = await repository.ofUser(userId);
      const left =
        (methods.password && kind !== "password" ? 1 : 0) +
        methods.identities - (kind === "identity" ? 1 : 0) +
        methods.passkeys - (kind === "passkey" ? 1 : 0);
      if (left < 1) throw new CoreError("last_sign_in_method");
    },
  };
}
