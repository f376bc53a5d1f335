// The streaming multipart parser: any split of the body into pieces parses the same; broken bodies are refused.
import { describe, expect, test } from "bun:test";
import { StorageError } from "../src/storage/errors.ts";
import { multipartBoundary, parseMultipart } from "../src/storage/multipart.ts";

async function* pieces(body: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < body.length; offset += size) yield body.subarray(offset, offset + size);
}

async function parseAll(body: Uint8Array, boundary: string, pieceSize = body.length || 1) {
  const parts: { name: string; filename: string | null; contentType: string | null; body: string }[] = [];
  for await (const part of parseMultipart(pieces(body, pieceSize), boundary)) {
    const chunks: Uint8Array[] = [];
    for await (const chunk of part.body) chunks.push(chunk);
    parts.push({ name: part.name, filename: part.filename, contentType: part.contentType, body: Buffer.concat(chunks).toString("latin1") });
  }
  return parts;
}

async function formBody(form: FormData): Promise<{ body: Uint8Array; boundary: string }> {
  const request = new Request("http://x/", { method: "POST", body: form });
  // Read the header before the body: Bun picks the boundary when the body is first serialised.
  const boundary = multipartBoundary(request.headers.get("content-type"))!;
  return { body: new Uint8Array(await request.arrayBuffer()), boundary };
}

describe("parseMultipart", () => {
  test("a body as browsers and fetch build it, split at every piece size", async () => {
    const form = new FormData();
    form.append("note", "hello");
    // Contents that look like a delimiter (without the boundary) must pass through untouched.
    const content = "line one\r\n--not-the-boundary\r\n\r\nend\r\n-";
    form.append("file", new Blob([content], { type: "text/plain" }), "a name.txt");
    const { body, boundary } = await formBody(form);
    const expected = [
      { name: "note", filename: null, contentType: null, body: "hello" },
      { name: "file", filename: "a name.txt", contentType: "text/plain;charset=utf-8", body: content },
    ];
    for (const size of [1, 2, 3, 7, 13, 64, 150, 500, body.length]) expect(await parseAll(body, boundary, size)).toEqual(expected);
  });

  test("two pieces split at every offset (a delimiter straddling the seam included)", async () => {
    const form = new FormData();
    form.append("file", new Blob(["x".repeat(300)]), "f");
    const { body, boundary } = await formBody(form);
    for (let seam = 1; seam < body.length; seam++) {
      async function* twoPieces() {
        yield body.subarray(0, seam);
        yield body.subarray(seam);
      }
      const parts: string[] = [];
      for await (const part of parseMultipart(twoPieces(), boundary)) {
        let content = "";
        for await (const chunk of part.body) content += Buffer.from(chunk).toString();
        parts.push(content);
      }
      expect(parts).toEqual(["x".repeat(300)]);
    }
  });

  test("binary content with every byte value", async () => {
    const content = new Uint8Array(4096).map((_, index) => index % 256);
    const form = new FormData();
    form.append("file", new Blob([content]), "bin");
    const { body, boundary } = await formBody(form);
    for (const size of [100, 333, 1000]) {
      const [part] = await parseAll(body, boundary, size);
      expect(Buffer.from(part!.body, "latin1").equals(Buffer.from(content))).toBe(true);
    }
  });

  test("quoted-pair escapes in a quoted file name", async () => {
    const body = new TextEncoder().encode('--b\r\nContent-Disposition: form-data; name="file"; filename="a \\"q\\".txt"\r\n\r\nv\r\n--b--');
    expect((await parseAll(body, "b"))[0]!.filename).toBe('a "q".txt');
  });

  test("filename* (RFC 5987) wins over filename", async () => {
    const body = new TextEncoder().encode(
      '--b\r\nContent-Disposition: form-data; name="file"; filename="x.txt"; filename*=UTF-8\'\'%C3%A9t%C3%A9.txt\r\n\r\nv\r\n--b--\r\n',
    );
    expect((await parseAll(body, "b"))[0]!.filename).toBe("été.txt");
  });

  test.each([
    ["no closing delimiter (a cut upload)", '--b\r\nContent-Disposition: form-data; name="file"\r\n\r\npartial content'],
    ["cut inside the headers", '--b\r\nContent-Disposition: form-da'],
    ["no boundary at all", "just some text"],
    ["a part without Content-Disposition", "--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--"],
    ["garbage after a delimiter", '--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--bXX'],
  ])("refuses %s", async (_name, text) => {
    const error = await parseAll(new TextEncoder().encode(text), "b", 5).catch((caught) => caught);
    expect(error).toBeInstanceOf(StorageError);
    expect((error as StorageError).code).toBe("bad_upload");
  });

  test("parts left unread are skipped", async () => {
    const form = new FormData();
    form.append("skip", new Blob(["x".repeat(10_000)]), "skip.bin");
    form.append("file", new Blob(["kept"]), "kept.txt");
    const { body, boundary } = await formBody(form);
    const seen: string[] = [];
    for await (const part of parseMultipart(pieces(body, 333), boundary)) {
      if (part.name !== "file") continue;
      for await (const chunk of part.body) seen.push(Buffer.from(chunk).toString());
    }
    expect(seen.join("")).toBe("kept");
  });
});

describe("multipartBoundary", () => {
  test.each([
    ["multipart/form-data; boundary=abc", "abc"],
    ['multipart/form-data; boundary="a b;c"', "a b;c"],
    ["Multipart/Form-Data; charset=utf-8; boundary=xyz", "xyz"],
    ["application/json", null],
    ["multipart/form-data", null],
    [null, null],
  ])("%p", (header, expected) => {
    expect(multipartBoundary(header)).toBe(expected);
  });
});
