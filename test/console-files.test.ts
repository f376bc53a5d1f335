// The console's Files API (issue 28, item 3; src/apis/console/files.ts over storage/file-administration.ts), black-box
// over HTTP: folders browsed a page at a time, storage used per top folder, a thumbnail that is the transform cache's
// `?w=` variant, a download whatever the rules say, a new token that stops old `?token=` links, a delete, and each
// change in the audit log. Who may call them (401, 403, CSRF) is console-api.test.ts's walk over the document.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { consoleSignIn, type ConsoleClient } from "./support/console.ts";
import { call } from "./support/http.ts";
import { decodeImage, encodeImage, quadrants } from "./support/images.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { download, newUser, upload, type TestUser } from "./support/storage.ts";

const ADMIN_EMAIL = "files-admin@console.example";
const ADMIN_PASSWORD = "console-admin-password-2";

let server: TestServer;
let admin: ConsoleClient;
let owner: TestUser;
const png = encodeImage("png", quadrants(120, 80), 120, 80);

async function put(key: string, content: Uint8Array | string, type: string): Promise<any> {
  const res = await upload(server.url, key, content, { headers: owner.auth, type });
  expect(res.status).toBe(200);
  return res.body;
}

beforeAll(async () => {
  server = await startServer({ ADMIN_EMAIL, ADMIN_PASSWORD });
  admin = await consoleSignIn(server.url, ADMIN_EMAIL, ADMIN_PASSWORD);
  owner = await newUser(server.url);
  await put("public/a/cat.png", png, "image/png");
  await put("public/a/notes.txt", "some notes", "text/plain");
  await put("public/b/deep/er.txt", "deeper", "text/plain");
  await put("public/top.txt", "top", "text/plain");
  await put(`user/${owner.id}/private.txt`, "private words", "text/plain");
});
afterAll(() => server.stop());

async function auditOf(target: string): Promise<any[]> {
  const res = await admin.call("GET", `/audit?target=${encodeURIComponent(target)}`);
  expect(res.status).toBe(200);
  return res.body.entries;
}

const names = (entries: any[]) => entries.map((entry) => (entry.kind === "folder" ? entry.key : entry.file.key));

describe("browsing", () => {
  test("the top shows its folders; a folder its subfolders and files, in key order, with each file's facts and no token", async () => {
    const top = await admin.call("GET", "/files");
    expect(top.status).toBe(200);
    expect(names(top.body.entries)).toEqual(["public/", "user/"]);
    const publicFolder = await admin.call("GET", "/files?folder=public/");
    expect(names(publicFolder.body.entries)).toEqual(["public/a/", "public/b/", "public/top.txt"]);
    const a = await admin.call("GET", "/files?folder=public/a/");
    const cat = a.body.entries.find((entry: any) => entry.kind === "file" && entry.file.key === "public/a/cat.png").file;
    expect(cat).toMatchObject({ size: png.byteLength, content_type: "image/png", owner_id: owner.id });
    expect(JSON.stringify(a.body)).not.toContain("token");
  });

  test("pages of one entry walk the folder with `next`, a subfolder counted once however many files it holds", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const query: string = after ? `&after=${encodeURIComponent(after)}` : "";
      const res = await admin.call("GET", `/files?folder=public/&limit=1${query}`);
      expect(res.status).toBe(200);
      seen.push(...names(res.body.entries));
      after = res.body.next;
      if (after === null) break;
    }
    expect(seen).toEqual(["public/a/", "public/b/", "public/top.txt"]);
  });

  test("a folder key without its slash is 400 invalid_path; a cursor of another folder or none at all is 400 invalid_cursor", async () => {
    const noSlash = await admin.call("GET", "/files?folder=public");
    expect([noSlash.status, noSlash.body.error.code]).toEqual([400, "invalid_path"]);
    const first = await admin.call("GET", "/files?folder=public/&limit=1");
    const other = await admin.call("GET", `/files?folder=user/&after=${encodeURIComponent(first.body.next)}`);
    expect([other.status, other.body.error.code]).toEqual([400, "invalid_cursor"]);
    const junk = await admin.call("GET", "/files?after=not-a-cursor");
    expect([junk.status, junk.body.error.code]).toEqual([400, "invalid_cursor"]);
  });

  test("storage used per top folder: files and bytes under each, and in all", async () => {
    const res = await admin.call("GET", "/files/usage");
    expect(res.status).toBe(200);
    const publicBytes = png.byteLength + "some notes".length + "deeper".length + "top".length;
    expect(res.body.folders).toEqual([
      { folder: "public/", files: 4, bytes: publicBytes },
      { folder: "user/", files: 1, bytes: "private words".length },
    ]);
    expect(res.body.total).toEqual({ files: 5, bytes: publicBytes + "private words".length });
    expect(res.body.truncated).toBe(false);
  });
});

describe("reading", () => {
  test("a thumbnail is the image at the width asked, the very variant HBP's ?w= serves from the transform cache", async () => {
    const res = await fetch(`${server.url}/console/api/files/thumbnail?key=public/a/cat.png&w=40`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    const image = await decodeImage(new Uint8Array(await res.arrayBuffer()));
    expect([image.format, image.width, image.height]).toEqual(["png", 40, 27]);
    const hbp = await download(server.url, "/storage/o/public/a/cat.png?w=40");
    expect(hbp.status).toBe(200);
    expect(hbp.headers.get("etag")).toBe(res.headers.get("etag"));
  });

  test("a thumbnail of a text file is 415 unsupported_image; of no file 404 file_not_found; without a session 401", async () => {
    const text = await admin.call("GET", "/files/thumbnail?key=public/top.txt");
    expect([text.status, text.body.error.code]).toEqual([415, "unsupported_image"]);
    const none = await admin.call("GET", "/files/thumbnail?key=public/nothing.png");
    expect([none.status, none.body.error.code]).toEqual([404, "file_not_found"]);
    const anonymous = await call(server.url, "GET", "/console/api/files/thumbnail?key=public/a/cat.png");
    expect(anonymous.status).toBe(401);
  });

  test("a download is the file's bytes as an attachment, even one the rules keep from everyone but its owner", async () => {
    const key = `user/${owner.id}/private.txt`;
    expect((await download(server.url, `/storage/o/${key}`)).status).toBe(403);
    const res = await fetch(`${server.url}/console/api/files/content?key=${encodeURIComponent(key)}`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("private words");
    expect(res.headers.get("content-type")).toBe("application/octet-stream");
    expect(res.headers.get("content-disposition")).toBe("attachment; filename*=UTF-8''private.txt");
    expect(res.headers.get("cache-control")).toBe("no-store");
  });
});

describe("changes, each audited", () => {
  test("revoking a file's token: a link with the old token stops working, the new one works, the audit says so", async () => {
    const key = `user/${owner.id}/private.txt`;
    const before = await call(server.url, "GET", `/storage/m/${key}`, { headers: owner.auth });
    const oldToken = before.body.Metadata.token;
    expect((await download(server.url, `/storage/o/${key}?token=${oldToken}`)).status).toBe(200);
    const res = await admin.call("POST", "/files/token", { key });
    expect(res.status).toBe(200);
    expect(res.body.file.key).toBe(key);
    expect(JSON.stringify(res.body)).not.toContain(oldToken);
    expect((await download(server.url, `/storage/o/${key}?token=${oldToken}`)).status).toBe(403);
    const after = await call(server.url, "GET", `/storage/m/${key}`, { headers: owner.auth });
    expect(after.body.Metadata.token).not.toBe(oldToken);
    expect((await download(server.url, `/storage/o/${key}?token=${after.body.Metadata.token}`)).status).toBe(200);
    const [entry] = await auditOf(`file:${key}`);
    expect(entry).toMatchObject({ action: "file_token_revoked", admin_email: ADMIN_EMAIL });
  });

  test("without the CSRF token a delete is refused (403) and the file stays", async () => {
    const res = await call(server.url, "DELETE", "/console/api/files?key=public/top.txt", { headers: { cookie: admin.cookie } });
    expect([res.status, res.body.error.code]).toEqual([403, "csrf_token_invalid"]);
    expect((await download(server.url, "/storage/o/public/top.txt")).status).toBe(200);
  });

  test("deleting a file: gone from HBP's storage and from the folder, audited with its size and owner; again 404", async () => {
    await put("public/gone.txt", "soon gone", "text/plain");
    const res = await admin.call("DELETE", "/files?key=public/gone.txt");
    expect(res.status).toBe(200);
    expect(res.body.file).toMatchObject({ key: "public/gone.txt", size: 9 });
    expect((await download(server.url, "/storage/o/public/gone.txt")).status).toBe(404);
    const folder = await admin.call("GET", "/files?folder=public/");
    expect(names(folder.body.entries)).not.toContain("public/gone.txt");
    const [entry] = await auditOf("file:public/gone.txt");
    expect(entry).toMatchObject({ action: "file_deleted", details: { size: 9, owner: owner.id } });
    const again = await admin.call("DELETE", "/files?key=public/gone.txt");
    expect([again.status, again.body.error.code]).toEqual([404, "file_not_found"]);
  });

  test("a deleted image takes its thumbnail along: the key answers 404 afterwards", async () => {
    await put("public/pic.png", png, "image/png");
    const first = await admin.call("GET", "/files/thumbnail?key=public/pic.png&w=20");
    expect(first.status).toBe(200);
    expect((await admin.call("DELETE", "/files?key=public/pic.png")).status).toBe(200);
    const after = await admin.call("GET", "/files/thumbnail?key=public/pic.png&w=20");
    expect([after.status, after.body.error.code]).toEqual([404, "file_not_found"]);
  });
});
