// Randomness comes through here, injected beside the clock, so every secret latchkey draws (tokens, tickets, codes,
// ids) comes from one source that a test can replace. The system source is the CSPRNG (crypto.getRandomValues):
// each draw below is as strong as its size says, and none is ever taken from Math.random.
export interface Random {
  /** `count` bytes. */
  bytes(count: number): Uint8Array<ArrayBuffer>;
  /** A uuid v4: 122 random bits. HBP's refresh tokens and tickets have this shape on the wire. */
  uuid(): string;
  /** `byteCount` random bytes as base64url (e.g. 32 bytes = 256 bits). */
  token(byteCount: number): string;
  /**
   * `length` characters, each uniform over `alphabet` (at most 256 characters). A byte modulo the alphabet's size
   * would favour its first characters whenever the size does not divide 256 (62 characters: the first 8 come up 5
   * times in 256, the others 4): bytes past the largest multiple of the size are drawn again.
   */
  pick(alphabet: string, length: number): string;
}

/** A Random over a source of bytes (the CSPRNG; or, in a test, a fixed sequence). */
export function randomFromBytes(bytes: (count: number) => Uint8Array<ArrayBuffer>): Random {
  return {
    bytes,
    uuid() {
      const value = bytes(16);
      value[6] = (value[6]! & 0x0f) | 0x40; // version 4
      value[8] = (value[8]! & 0x3f) | 0x80; // RFC 9562 variant
      const hex = Buffer.from(value).toString("hex");
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    },
    token: (byteCount) => Buffer.from(bytes(byteCount)).toString("base64url"),
    pick(alphabet, length) {
      if (alphabet.length < 1 || alphabet.length > 256) throw new RangeError("an alphabet has 1 to 256 characters");
      const limit = 256 - (256 % alphabet.length);
      let text = "";
      while (text.length < length) {
        // A few bytes more than needed, so a draw rarely needs a second round.
        for (const byte of bytes(length - text.length + 8)) {
          if (byte < limit && text.length < length) text += alphabet[byte % alphabet.length];
        }
      }
      return text;
    },
  };
}

/** The CSPRNG. uuid() is the runtime's own: it draws from a pooled buffer, cheaper than 16 fresh bytes a refresh. */
export const systemRandom: Random = {
  ...randomFromBytes((count) => crypto.getRandomValues(new Uint8Array(count))),
  uuid: () => crypto.randomUUID(),
};
