// Answers a GET with a stored file or image variant the way a static file server does: ETag and Last-Modified,
// 304 for a matching If-None-Match / If-Modified-Since, 206 for a single Range (416 when it cannot be met), and
// the bytes streamed from the blob store a piece at a time.
import type { OpenedBlob } from "../../../storage/blob-store.ts";

/** HBP's: a year (365.25 days). */
const MAX_AGE_SECONDS = 31_557_600;

// Uploaded files are served from latchkey's own origin, where its cookies live. Anything a browser might run (HTML,
// SVG, XML, and types it does not know) is sandboxed with CSP: no scripts, no same-origin access. Passive media
// and PDF (which browsers' viewers refuse to show in a sandbox) are left as they are.
const PASSIVE_CONTENT = /^(image\/(?!svg)[a-z0-9.+-]+|video\/[a-z0-9.+-]+|audio\/[a-z0-9.+-]+|font\/[a-z0-9.+-]+|application\/pdf)\s*(;|$)/i;

export interface FileFacts {
  contentType: string;
  etag: string;
  lastModifiedMs: number;
  /** Cacheable by shared caches only if anyone may fetch this URL. */
  publicCache: boolean;
  vary?: string;
}

function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === "*") return true;
  const strip = (tag: string) => tag.trim().replace(/^W\//, "");
  return header.split(",").some((tag) => strip(tag) === strip(etag));
}

function parseRange(header: string, size: number): { start: number; end: number } | "unsatisfiable" | null {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match) return null; // several ranges or another unit: answer the whole file (allowed by RFC 9110)
  const [, first, last] = match;
  if (first === "" && last === "") return null;
  let start: number;
  let end: number;
  if (first === "") {
    const suffix = Number(last);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(first);
    end = last === "" ? size - 1 : Math.min(Number(last), size - 1);
    if (last !== "" && Number(last) < start) return null;
  }
  if (start >= size || size === 0) return "unsatisfiable";
  return { start, end };
}

export async function fileResponse(request: Request, blob: OpenedBlob, facts: FileFacts): Promise<Response> {
  const lastModified = new Date(Math.floor(facts.lastModifiedMs / 1000) * 1000);
  const headers: Record<string, string> = {
    "content-type": facts.contentType,
    etag: facts.etag,
    "last-modified": lastModified.toUTCString(),
    "cache-control": `${facts.publicCache ? "public" : "private"}, max-age=${MAX_AGE_SECONDS}`,
    "accept-ranges": "bytes",
    "content-disposition": "inline",
    "x-content-type-options": "nosniff",
  };
  if (facts.vary) headers.vary = facts.vary;
  if (!PASSIVE_CONTENT.test(facts.contentType)) headers["content-security-policy"] = "default-src 'none'; sandbox";

  const ifNoneMatch = request.headers.get("if-none-match");
  const ifModifiedSince = request.headers.get("if-modified-since");
  const notModified =
    ifNoneMatch !== null
      ? etagMatches(ifNoneMatch, facts.etag)
      : ifModifiedSince !== null && !Number.isNaN(Date.parse(ifModifiedSince)) && lastModified.getTime() <= Date.parse(ifModifiedSince);
  if (notModified) {
    await blob.close();
    const { "content-type": _type, "content-disposition": _disposition, ...kept } = headers;
    return new Response(null, { status: 304, headers: kept });
  }

  const rangeHeader = request.headers.get("range");
  const ifRange = request.headers.get("if-range");
  // If-Range with a stale validator: the client's partial copy is outdated, so send all of it.
  const rangeApplies = rangeHeader !== null && (ifRange === null || ifRange.trim() === facts.etag || ifRange.trim() === headers["last-modified"]);
  const range = rangeApplies ? parseRange(rangeHeader, blob.size) : null;
  if (range === "unsatisfiable") {
    await blob.close();
    return new Response(null, { status: 416, headers: { ...headers, "content-range": `bytes */${blob.size}`, "content-length": "0" } });
  }
  // A Blob (from disk, sendfile) or a stream (S3), never a large file whole in memory. Bun sends a Blob with its
  // Content-Length; for a stream Bun 1.4 drops the header set here and sends it chunked (oven-sh/bun#10507).
  if (range) {
    return new Response(await blob.body(range), {
      status: 206,
      headers: {
        ...headers,
        "content-range": `bytes ${range.start}-${range.end}/${blob.size}`,
        "content-length": String(range.end - range.start + 1),
      },
    });
  }
  headers["content-length"] = String(blob.size);
  return new Response(await blob.body(), { status: 200, headers });
}
