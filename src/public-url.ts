// The address users reach latchkey at (PUBLIC_URL): mailed links and WolfPal's token issuer are made from it.
// Set, or with a fixed PORT, it is known when the configuration is read. With PORT=0 and no PUBLIC_URL it is
// http://localhost:<the port the system picked>, known only once latchkey listens: serve() tells the resolver, and
// nothing reads the address before that (requests and the mail worker start after it). The configuration stays
// frozen; the resolver holds the one value learnt late.

export interface PublicUrl {
  /** The address, without a trailing slash. Throws before it is known: only a caller that never listened gets there. */
  (): string;
}

export interface PublicUrlResolver {
  publicUrl: PublicUrl;
  /** The port latchkey listens on, once bound; the address comes from it when PUBLIC_URL and PORT left it open. */
  listeningOn(port: number): void;
}

export function publicUrlResolver(configured: string | null): PublicUrlResolver {
  let resolved = configured;
  return {
    publicUrl() {
      if (resolved === null) throw new Error("PUBLIC_URL is not known before latchkey listens (PORT=0 without PUBLIC_URL)");
      return resolved;
    },
    listeningOn(port) {
      resolved ??= `http://localhost:${port}`;
    },
  };
}
