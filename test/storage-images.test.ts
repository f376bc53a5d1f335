// Image transforms on GET /storage/o/<key> (w, h, q, f, r, b) over real HTTP: every parameter on JPEG, PNG and
// WebP input, each output decoded to check its format and size; bad parameters and hostile images; the cache.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { call } from "./support/http.ts";
import { decodeImage, encodeImage, formatOf, near, pixel, pngBomb, quadrants, withExifOrientation, type Format } from "./support/images.ts";
import { startServer, type TestServer } from "./support/server.ts";
import { storedKeys } from "./support/backend.ts";
import { BLOB_STORES } from "./support/blob-stores.ts";
import { download, newUser, upload, type TestUser } from "./support/storage.ts";

let server: TestServer;
let user: TestUser;
const WIDTH = 120;
const HEIGHT = 80;
const RED = [255, 0, 0];
const GREEN = [0, 255, 0];
const BLUE = [0, 0, 255];
const WHITE = [255, 255, 255];
const formats: Format[] = ["jpeg", "png", "webp"];
const keyOf = (format: Format) => `public/images/quadrants.${format}`;

beforeAll(async () => {
  server = await startServer({ CORS_ORIGINS: "http://app.example" });
  user = await newUser(server.url);
  for (const format of formats) {
    const res = await upload(server.url, keyOf(format), encodeImage(format, quadrants(WIDTH, HEIGHT), WIDTH, HEIGHT), {
      headers: user.auth,
      type: `image/${format}`,
    });
    expect(res.status).toBe(200);
  }
});
afterAll(() => server.stop());

async function transformed(key: string, query: string, headers: Record<string, string> = {}) {
  const got = await download(server.url, `/storage/o/${key}?${query}`, headers);
  if (got.status !== 200) throw new Error(`${key}?${query}: ${got.status} ${Buffer.from(got.bytes).toString()}`);
  return { response: got, image: await decodeImage(got.bytes) };
}

describe.each(formats)("%s input", (format) => {
  const key = keyOf(format);

  test("w keeps the aspect ratio; h likewise; the format stays", async () => {
    const byWidth = await transformed(key, "w=60");
    expect([byWidth.image.format, byWidth.image.width, byWidth.image.height]).toEqual([format, 60, 40]);
    expect(byWidth.response.headers.get("content-type")).toBe(`image/${format}`);
    const byHeight = await transformed(key, "h=20");
    expect([byHeight.image.width, byHeight.image.height]).toEqual([30, 20]);
    // Linear resampling keeps the quadrants' colours (nearest-neighbour would too, but not the smooth seam below).
    expect(near(pixel(byWidth.image, 5, 5), RED)).toBe(true);
    expect(near(pixel(byWidth.image, 55, 35), WHITE)).toBe(true);
  });

  test("w and h together cover and centre-crop", async () => {
    const { image } = await transformed(key, "w=40&h=40");
    expect([image.width, image.height]).toEqual([40, 40]);
    // The 80x80 middle of the 120x80 source: its left half red over blue, its right half green over white.
    expect(near(pixel(image, 3, 3), RED)).toBe(true);
    expect(near(pixel(image, 36, 3), GREEN)).toBe(true);
    expect(near(pixel(image, 3, 36), BLUE)).toBe(true);
    expect(near(pixel(image, 36, 36), WHITE)).toBe(true);
  });

  test("enlarging works too", async () => {
    const { image } = await transformed(key, "w=240");
    expect([image.width, image.height]).toEqual([240, 160]);
  });

  test.each(["webp", "png", "jpeg"] as const)("f=%s converts", async (to) => {
    const { image, response } = await transformed(key, `w=30&f=${to}`);
    expect([image.format, image.width, image.height]).toEqual([to, 30, 20]);
    expect(response.headers.get("content-type")).toBe(`image/${to}`);
  });

  test("f=auto gives WebP to a client that accepts it, the source format otherwise", async () => {
    const accepting = await transformed(key, "w=30&f=auto", { accept: "image/avif,image/webp,*/*" });
    expect(accepting.image.format).toBe("webp");
    expect(accepting.response.headers.get("vary")).toBe("Accept");
    const plain = await transformed(key, "w=30&f=auto", { accept: "image/*" });
    expect(plain.image.format).toBe(format);
    const refusing = await transformed(key, "w=30&f=auto", { accept: "image/webp;q=0, image/*" });
    expect(refusing.image.format).toBe(format);
    // From an allowed origin the answer also varies by Origin (its CORS headers name that origin): a cache must key
    // on both, and the CORS headers must not drop the route's own Vary.
    const fromApp = await transformed(key, "w=30&f=auto", { accept: "image/webp", origin: "http://app.example" });
    expect(fromApp.response.headers.get("access-control-allow-origin")).toBe("http://app.example");
    expect(fromApp.response.headers.get("vary")?.split(/\s*,\s*/).sort()).toEqual(["Accept", "Origin"]);
  });

  test("q changes the size of lossy output", async () => {
    const lossy = format === "png" ? "jpeg" : format;
    const low = await transformed(key, `q=5&f=${lossy}`);
    const high = await transformed(key, `q=100&f=${lossy}`);
    expect([low.image.width, low.image.height]).toEqual([WIDTH, HEIGHT]);
    expect(low.response.bytes.length).toBeLessThan(high.response.bytes.length);
  });

  test("r rounds the corners: transparent in PNG and WebP, white in JPEG", async () => {
    const round = await transformed(key, "w=40&h=40&r=full&f=png");
    expect(pixel(round.image, 0, 0)[3]).toBe(0);
    expect(pixel(round.image, 39, 39)[3]).toBe(0);
    expect(pixel(round.image, 20, 20)[3]).toBe(255);
    expect(pixel(round.image, 20, 0)[3]).toBeGreaterThan(100); // the top edge's middle is inside the circle
    const corners = await transformed(key, "w=40&h=40&r=8&f=webp");
    expect(pixel(corners.image, 0, 0)[3]).toBeLessThan(30);
    expect(pixel(corners.image, 8, 8)[3]).toBe(255);
    const flattened = await transformed(key, "w=40&h=40&r=full&f=jpeg");
    expect(near(pixel(flattened.image, 0, 0), WHITE)).toBe(true);
  });

  test("b blurs: the seam between the quadrants turns into a gradient", async () => {
    const sharp = await transformed(key, "w=60&f=png");
    const blurred = await transformed(key, "w=60&b=4&f=png");
    expect([blurred.image.width, blurred.image.height]).toEqual([60, 40]);
    // Just left of the vertical seam at x=30, top half: red in the sharp image, mixed with green when blurred.
    expect(pixel(sharp.image, 28, 10)[1]).toBeLessThan(60);
    expect(pixel(blurred.image, 28, 10)[1]).toBeGreaterThan(60);
  });

  test("all parameters at once", async () => {
    const { image } = await transformed(key, "w=50&h=30&q=70&f=webp&r=5&b=0.5");
    expect([image.format, image.width, image.height]).toEqual(["webp", 50, 30]);
  });
});

describe("EXIF orientation", () => {
  test("a JPEG that says 'rotate 90° clockwise' comes out upright", async () => {
    const jpeg = withExifOrientation(encodeImage("jpeg", quadrants(60, 40), 60, 40), 6);
    await upload(server.url, "public/images/rotated.jpg", jpeg, { headers: user.auth, type: "image/jpeg" });
    const { image } = await transformed("public/images/rotated.jpg", "w=20&f=png");
    expect([image.width, image.height]).toEqual([20, 30]);
    // Turned clockwise, the bottom-left (blue) quadrant is now top-left and the top-left (red) one top-right.
    expect(near(pixel(image, 2, 2), BLUE)).toBe(true);
    expect(near(pixel(image, 17, 2), RED)).toBe(true);
  });
});

describe("bad parameters", () => {
  const key = keyOf("png");
  const cases: [query: string, message: string][] = [
    ["w=8193", '"w" must be less than or equal to 8192'],
    ["h=-1", '"h" must be greater than or equal to 0'],
    ["w=1.5", '"w" must be an integer'],
    ["w=abc", '"w" must be a number'],
    ["w=", '"w" must be a number'],
    ["q=0", '"q" must be greater than or equal to 1'],
    ["q=101", '"q" must be less than or equal to 100'],
    ["b=0.2", '"b" must be greater than or equal to 0.3'],
    ["b=1001", '"b" must be less than or equal to 1000'],
    ["r=-1", '"r" must be greater than or equal to 0'],
    ["r=round", '"r" must be a number or "full"'],
    ["f=gif", '"f" must be one of [webp, png, jpeg, auto]'],
    ["w=10&w=20", '"w" must be given once'],
    ["w=10&foo=1", '"foo" is not allowed'],
    ["f=png&fit=cover", '"fit" is not allowed'],
  ];
  test.each(cases)("?%s: 400 %s", async (query, message) => {
    const res = await call(server.url, "GET", `/storage/o/${key}?${query}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, error: "Bad Request", message });
  });

  test("a refused query is refused again when asked again, and its valid neighbour is not", async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await call(server.url, "GET", `/storage/o/${key}?w=10&w=20`)).status).toBe(400);
      expect((await download(server.url, `/storage/o/${key}?w=10`)).status).toBe(200);
    }
  });

  test("without transform parameters, other query parameters (cache busters) are ignored", async () => {
    expect((await download(server.url, `/storage/o/${key}?v=3`)).status).toBe(200);
  });

  test("a requested size beyond IMAGE_MAX_PIXELS is refused", async () => {
    const res = await call(server.url, "GET", `/storage/o/${key}?w=8192&h=8192`);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain("pixels");
  });
});

describe("hostile and broken files", () => {
  test("a truncated JPEG: 400", async () => {
    const jpeg = encodeImage("jpeg", quadrants(WIDTH, HEIGHT), WIDTH, HEIGHT);
    for (const [name, cut] of [["half", jpeg.subarray(0, jpeg.length / 2)], ["header", jpeg.subarray(0, 100)]] as const) {
      await upload(server.url, `public/images/truncated-${name}.jpg`, cut, { headers: user.auth, type: "image/jpeg" });
      const res = await call(server.url, "GET", `/storage/o/public/images/truncated-${name}.jpg?w=10`);
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expect(res.body.message).toMatch(/could not be decoded|header is broken/);
    }
  });

  test("a pixel bomb (a 20,000 x 20,000 PNG of a few kB) is refused before decoding", async () => {
    const bomb = pngBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(20_000);
    await upload(server.url, "public/images/bomb.png", bomb, { headers: user.auth, type: "image/png" });
    const started = performance.now();
    const res = await call(server.url, "GET", "/storage/o/public/images/bomb.png?w=100");
    expect(res.status).toBe(400);
    expect(res.body.message).toBe("The image has 400000000 pixels; the limit is 50000000.");
    expect(performance.now() - started).toBeLessThan(2000);
    // The server is fine afterwards.
    expect((await transformed(keyOf("png"), "w=11")).image.width).toBe(11);
  });
});

// Variants are kept in the blob store beside the files: the cache, and a file it cannot transform, on each store.
for (const store of BLOB_STORES) describe(`the variant cache on ${store.name}`, () => {
  let onStore: TestServer;
  let owner: TestUser;
  beforeAll(async () => {
    onStore = await startServer(await store.env());
    owner = await newUser(onStore.url);
  });
  afterAll(() => onStore?.stop());

  test("a variant is made once, then served with its ETag (304 on revalidation)", async () => {
    const key = "public/images/cached.png";
    await upload(onStore.url, key, encodeImage("png", quadrants(WIDTH, HEIGHT), WIDTH, HEIGHT), { headers: owner.auth });
    const results = await Promise.all(Array.from({ length: 4 }, () => download(onStore.url, `/storage/o/${key}?w=33&f=webp`)));
    const etags = new Set(results.map((result) => result.headers.get("etag")));
    expect(etags.size).toBe(1);
    expect(results.every((result) => Buffer.from(result.bytes).equals(Buffer.from(results[0]!.bytes)))).toBe(true);
    const etag = [...etags][0]!;
    expect(results[0]!.headers.get("content-type")).toBe("image/webp");
    expect(await decodeImage(results[0]!.bytes)).toMatchObject({ format: "webp", width: 33, height: 22 });
    expect((await download(onStore.url, `/storage/o/${key}?w=33&f=webp`, { "if-none-match": etag })).status).toBe(304);
    const variants = async () => (await storedKeys(onStore.dataDir, "variants")).length;
    const before = await variants();
    expect(before).toBeGreaterThan(0);
    await download(onStore.url, `/storage/o/${key}?w=33&f=webp`);
    expect(await variants()).toBe(before);
    // Range requests work on variants like on any file.
    const part = await download(onStore.url, `/storage/o/${key}?w=33&f=webp`, { range: "bytes=0-11" });
    expect(part.status).toBe(206);
    expect(formatOf(part.bytes)).toBe("webp");
  });

  test("the same query on two files serves each file's own variant, again on a repeat", async () => {
    await upload(onStore.url, "public/images/wide.png", encodeImage("png", quadrants(60, 20), 60, 20), { headers: owner.auth });
    await upload(onStore.url, "public/images/tall.png", encodeImage("png", quadrants(20, 60), 20, 60), { headers: owner.auth });
    for (let attempt = 0; attempt < 2; attempt++) {
      const wide = await download(onStore.url, "/storage/o/public/images/wide.png?w=30&f=webp");
      const tall = await download(onStore.url, "/storage/o/public/images/tall.png?w=30&f=webp");
      expect(await decodeImage(wide.bytes)).toMatchObject({ width: 30, height: 10 });
      expect(await decodeImage(tall.bytes)).toMatchObject({ width: 30, height: 90 });
      expect(wide.headers.get("etag")).not.toBe(tall.headers.get("etag"));
    }
  });

  test("overwriting and deleting a file removes its variants", async () => {
    const key = "public/images/short-lived.png";
    await upload(onStore.url, key, encodeImage("png", quadrants(40, 40), 40, 40), { headers: owner.auth });
    const count = async () => (await storedKeys(onStore.dataDir, "variants")).length;
    const start = await count();
    const first = await download(onStore.url, `/storage/o/${key}?w=10`);
    await download(onStore.url, `/storage/o/${key}?w=12`);
    expect(await count()).toBe(start + 2);
    await upload(onStore.url, key, encodeImage("png", quadrants(50, 50), 50, 50), { headers: owner.auth });
    expect(await count()).toBe(start);
    const second = await download(onStore.url, `/storage/o/${key}?w=10`);
    expect(second.headers.get("etag")).not.toBe(first.headers.get("etag"));
    expect((await decodeImage(second.bytes)).height).toBe(10);
    expect(await count()).toBe(start + 1);
    expect((await call(onStore.url, "DELETE", `/storage/o/${key}`, { headers: owner.auth })).status).toBe(204);
    expect(await count()).toBe(start);
  });

  test("a file that is not an image: 415", async () => {
    await upload(onStore.url, "public/images/not-an-image.txt", "just text, not pixels", { headers: owner.auth, type: "image/png" });
    const res = await call(onStore.url, "GET", "/storage/o/public/images/not-an-image.txt?w=10");
    expect(res.status).toBe(415);
    expect(res.body.message).toBe("Only JPEG, PNG and WebP images can be transformed.");
    // The file itself is still served as it is.
    expect((await download(onStore.url, "/storage/o/public/images/not-an-image.txt")).status).toBe(200);
  });
});

describe("the event loop", () => {
  test("transforms run off the event loop: other requests are answered meanwhile", async () => {
    const side = 2000;
    const key = "public/images/large.png";
    await upload(server.url, key, encodeImage("png", quadrants(side, side), side, side), { headers: user.auth });
    // About 600 ms of decoding, resampling, blurring and encoding (measured on these machines).
    const heavyStarted = performance.now();
    const heavy = download(server.url, `/storage/o/${key}?w=2400&b=60&f=webp&q=100`);
    await Bun.sleep(50);
    const started = performance.now();
    const health = await fetch(`${server.url}/healthz`);
    const healthMs = performance.now() - started;
    const result = await heavy;
    const heavyMs = performance.now() - heavyStarted;
    expect(health.status).toBe(200);
    expect(result.status).toBe(200);
    // Had the transform run on the event loop, /healthz would have waited for most of it.
    expect(heavyMs).toBeGreaterThan(400);
    expect(healthMs).toBeLessThan(Math.min(300, heavyMs / 2));
  });
});
