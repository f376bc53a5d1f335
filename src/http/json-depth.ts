// How deep a JSON body nests, measured on its bytes as they arrive, before JSON.parse. Threat: `[[[[...]]]]` 100,000
// deep is a 200 KB body that parses fine but overflows the stack of whatever recurses through the result afterwards
// (schema errors serialise the body, metadata is stringified): it answered 500. latchkey's bodies nest
// a few levels; HBP's user_data a few more.
export const MAX_JSON_DEPTH = 32;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Counts open arrays and objects over the pieces of a body; brackets inside strings do not count. Works on UTF-8
 * bytes: these ASCII bytes never occur inside a multi-byte character. On invalid JSON the count may be wrong past the
 * first error, but JSON.parse stops at that error too, so it never builds anything deeper than the count saw.
 */
export class JsonDepthGauge {
  private depth = 0;
  private inString = false;
  private escaped = false;

  constructor(private readonly maxDepth: number) {}

  /** Takes the next piece of the body; true once the body so far nests deeper than maxDepth. */
  exceededBy(piece: Uint8Array): boolean {
    for (let index = 0; index < piece.length; index++) {
      const byte = piece[index]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (byte === BACKSLASH) this.escaped = true;
        else if (byte === QUOTE) this.inString = false;
      } else if (byte === QUOTE) {
        this.inString = true;
      } else if (byte === OPEN_ARRAY || byte === OPEN_OBJECT) {
        if (++this.depth > this.maxDepth) return true;
      } else if (byte === CLOSE_ARRAY || byte === CLOSE_OBJECT) {
        this.depth--;
      }
    }
    return false;
  }
}
