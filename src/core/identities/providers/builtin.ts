// The built-in providers that are turned on, as adapters (one file each beside this one). Settings come from
// config-builtin-providers.ts; the flow around the adapters is the same for every provider (core/identities/).
import type { BuiltinProviderSettings } from "../../../config-builtin-providers.ts";
import type { Clock } from "../../../lib/clock.ts";
import type { IdentityProvider } from "../provider.ts";
import { createAppleProvider } from "./apple.ts";
import { createFacebookProvider } from "./facebook.ts";
import { createGitHubProvider } from "./github.ts";
import { createGoogleProvider } from "./google.ts";
import { createLinkedInProvider } from "./linkedin.ts";
import { createSpotifyProvider } from "./spotify.ts";
import { createTwitterProvider } from "./twitter.ts";
import { createWindowsLiveProvider } from "./windowslive.ts";

/** One adapter per enabled provider, in the order of BUILTIN_PROVIDERS. */
export function createBuiltinProviders(settings: BuiltinProviderSettings, deps: { clock: Clock }): IdentityProvider[] {
  const { github, google, facebook, apple, twitter, linkedin, spotify, windowslive } = settings;
  const adapters: (IdentityProvider | null)[] = [
    github && createGitHubProvider(github),
    google && createGoogleProvider(google, deps),
    facebook && createFacebookProvider(facebook),
    apple && createAppleProvider(apple, deps),
    twitter && createTwitterProvider(twitter),
    linkedin && createLinkedInProvider(linkedin, deps),
    spotify && createSpotifyProvider(spotify),
    windowslive && createWindowsLiveProvider(windowslive, deps),
  ];
  return adapters.filter((adapter): adapter is IdentityProvider => adapter !== null);
}
