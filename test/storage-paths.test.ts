// Storage keys: what parses, what is refused, and that a key never maps outside the storage root.
import { describe, expect, test } from "bun:test";
import { StorageError } from "../src/storage/errors.ts";
import { parseStoragePath, pathUnderRoot } from "../src/storage/paths.ts";

const accepted: [raw: string, key: string, isFolder: boolean][] = [
  ["user/42/photo.jpg", "user/42/photo.jpg", false],
  ["user/42/", "user/42/", true],
  ["", "", true],
  ["public/a%20b.txt", "public/a b.txt", false],
  ["public/%C3%A9t%C3%A9.png", "public/été.png", false],
  ["a/b/c/d/e.txt", "a/b/c/d/e.txt", false],
  ["public/.hidden", "public/.hidden", false],
  ["public/..x", "public/..x", false],
  ["public/a%2Fb", "public/a/b", false], // an encoded slash is a slash: same key as the plain one
];

const refused: [name: string, raw: string][] = [
  ["dot-dot segment", "user/../etc/passwd"],
  ["leading dot-dot", "../secret"],
  ["trailing dot-dot", "user/.."],
  ["dot segment", "user/./x"],
  ["encoded dot-dot", "user/%2e%2e/x"],
  ["encoded dot-dot, upper case", "user/%2E%2E/x"],
  ["double-encoded dot-dot", "user/%252e%252e/x"],
  ["double-encoded slash", "user%252f..%252fx"],
  ["absolute", "/etc/passwd"],
  ["encoded absolute", "%2Fetc/passwd"],
  ["empty segment", "user//x"],
  ["NUL", "user/a%00b"],
  ["double-encoded NUL", "user/a%2500b"],
  ["newline", "user/a%0Ab"],
  ["backslash", "user\\..\\x"],
  ["encoded backslash", "user/..%5Cx"],
  ["drive letter", "C:/Windows/x"],
  ["bad percent-encoding", "user/%zz"],
  ["segment over 255 bytes", `user/${"a".repeat(256)}`],
  ["key over 1024 bytes", `${"a/".repeat(520)}x`],
];

describe("parseStoragePath", () => {
  test.each(accepted)("accepts %p", (raw, key, isFolder) => {
    expect(parseStoragePath(raw)).toEqual({ key, isFolder });
  });

  test.each(refused)("refuses %s", (_name, raw) => {
    let error: unknown;
    try {
      parseStoragePath(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("invalid_path");
  });
});

describe("pathUnderRoot", () => {
  test("joins a checked key under the root", () => {
    expect(pathUnderRoot("/data/storage/objects", "user/1/a.txt")).toBe("/data/storage/objects/user/1/a.txt");
  });

  test.each(["../x", "a/../../x", "/etc/passwd", ""])("refuses %p even if it got past the parser", (key) => {
    expect(() => pathUnderRoot("/data/storage/objects", key)).toThrow(StorageError);
  });
});
