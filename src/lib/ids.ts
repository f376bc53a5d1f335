// Ids and codes latchkey hands out, and the shapes that recognise them. Request ids and short codes a person may
// read or type are base32 over alphabets without look-alike characters (Faroe's formats; any API can use them).
import type { Random } from "./random.ts";

/** Lowercase, no l/o/0/1: ids that survive being read aloud or copied from a log. */
const ID_ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789";
/** Uppercase, no I/O/0/1: codes typed from a mail. */
const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
const DIGITS = "0123456789";

const ID_LENGTH = 24;
const ID_BYTES = 15;
const CODE_LENGTH = 8;

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/** RFC 4648 base32 bit packing over `alphabet`, without padding (whole 5-byte groups need none). */
function base32(bytes: Uint8Array, alphabet: string): string {
  let output = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      output += alphabet[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) output += alphabet[(buffer << (5 - bits)) & 31];
  return output;
}

/** 24 characters, 120 random bits: unguessable, so an id alone may stand for a request. */
export function randomRequestId(random: Random): string {
  return random.pick(ID_ALPHABET, ID_LENGTH);
}

/** The first 15 bytes of a digest in the id format: a stable id derived from something that has none. */
export function requestIdFromDigest(digest: Uint8Array): string {
  return base32(digest.subarray(0, ID_BYTES), ID_ALPHABET);
}

/**
 * 8 characters, 40 random bits (e.g. `9TW45AZU`). Guessable with enough tries: every check of one must sit
 * behind a per-request or per-account attempt limit.
 */
export function randomShortCode(random: Random): string {
  return random.pick(CODE_ALPHABET, CODE_LENGTH);
}

/** `count` decimal digits, each uniform (3.3 bits a digit: such codes sit behind attempt limits too). */
export function randomDigits(random: Random, count: number): string {
  return random.pick(DIGITS, count);
}

export function isRequestId(value: string): boolean {
  return /^[a-km-np-z2-9]{24}$/.test(value);
}
