// The path and query of a request, checked before routing's results reach a handler: the same rule as for body
// strings (storable-text.ts), applied to the text that decoders make of the URL. Decoders differ (Bun's router and
// URLSearchParams turn a bad UTF-8 sequence into U+FFFD, decodeURIComponent throws, Elysia's query parser keeps the
// escape as it is), so the escapes themselves are refused: %00 (NUL) and %ED%A0-%ED%BF (UTF-8 for a surrogate).
// Without this, /faroe/users/a%00b or ?token=%00 reached PostgreSQL and answered 500.
import { BadInputError } from "./bad-input.ts";

const UNSTORABLE_ESCAPE = /%00|%ed%[ab][0-9a-f]/i;

export function checkRequestTarget(url: string): void {
  if (UNSTORABLE_ESCAPE.test(url)) {
    throw new BadInputError("bad_text", "The URL has a NUL character (%00) or an unpaired surrogate (%ED%A0 to %ED%BF).");
  }
}
