// The providers people can sign in with, built once from the settings: the one place where an adapter
// (core/identities/provider.ts) is registered. Each provider kind adds its adapters to configuredProviders below,
// behind its own settings; the flow (provider-flow.ts) and the routes find them here by name.
import type { Config } from "../../config.ts";
import type { Clock } from "../../lib/clock.ts";
import type { IdentityProvider } from "./provider.ts";
import { createBuiltinProviders } from "./providers/builtin.ts";
import { createOidcProvider } from "./providers/oidc.ts";

export interface ProviderRegistry {
  /** The enabled provider of that name, or null. */
  get(name: string): IdentityProvider | null;
  /** Every enabled provider's name, in the order registered. */
  names(): string[];
}

export function createProviderRegistry(providers: readonly IdentityProvider[]): ProviderRegistry {
  const byName = new Map<string, IdentityProvider>();
  for (const provider of providers) {
    // Config refuses clashing names (src/config-providers.ts); two adapters of one name would be a wiring mistake.
    if (byName.has(provider.name)) throw new Error(`two sign-in providers are named "${provider.name}"`);
    byName.set(provider.name, provider);
  }
  return {
    get: (name) => byName.get(name) ?? null,
    names: () => [...byName.keys()],
  };
}

/** The adapters of every provider the settings enable. */
export function configuredProviders(settings: Config["providers"], deps: { clock: Clock }): IdentityProvider[] {
  return [
    // Built-in providers (GitHub, Google ...): one adapter each, behind its <P>_ENABLED setting (providers/builtin.ts).
    ...createBuiltinProviders(settings.builtin, deps),
    // Generic OpenID Connect: one adapter per OIDC_PROVIDERS name.
    ...Object.values(settings.oidc).map((oidc) => createOidcProvider(oidc)),
  ];
}
