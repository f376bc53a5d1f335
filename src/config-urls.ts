// DATABASE_URL and STORAGE_URL: where data and files live when not in the data directory (PostgreSQL, S3).
import { resolve } from "node:path";
import type { BackupTarget, S3Settings } from "./config.ts";
import type { Reader } from "./config-reader.ts";

const STORAGE_URL_SHAPE = "s3://<bucket>[/<prefix>]?endpoint=<http(s) URL>&region=<region>";
// S3's bucket names: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit.
const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** STORAGE_URL: null (local disk) when unset; every problem is reported naming STORAGE_URL. */
export function readStorageUrl(read: Reader): S3Settings | null {
  const found = read.raw(["STORAGE_URL"]);
  if (!found) return null;
  return readS3Url(read, "STORAGE_URL", found.value, "leave STORAGE_URL unset for local disk");
}

/** An s3:// URL in the setting `name` (STORAGE_URL, BACKUP_URL), with the bucket's credentials from the environment. */
export function readS3Url(read: Reader, name: string, value: string, otherwise: string): S3Settings | null {
  const found = { value };
  const problem = (what: string) => {
    read.problems.push(`${name}: ${what} (expected ${STORAGE_URL_SHAPE})`);
    return null;
  };
  if (!URL.canParse(found.value)) return problem(`"${found.value}" is not a URL`);
  const url = new URL(found.value);
  if (url.protocol !== "s3:") return problem(`"${url.protocol}" is not supported, only s3: (${otherwise})`);
  if (url.username || url.password) {
    return problem("credentials do not belong in the URL: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
  }
  const bucket = url.hostname;
  if (!BUCKET_NAME.test(bucket) || bucket.includes("..")) return problem(`"${bucket}" is not an S3 bucket name`);
  if (url.port) return problem("a port belongs in endpoint=, not after the bucket name");
  let path: string;
  try {
    path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  } catch {
    return problem("the prefix has a bad percent-encoding");
  }
  if (path.split("/").some((segment) => segment === "." || segment === "..") || path.includes("//")) {
    return problem(`the prefix "${path}" has empty, "." or ".." segments`);
  }
  for (const name of url.searchParams.keys()) {
    if (name !== "endpoint" && name !== "region") return problem(`unknown parameter "${name}"; only endpoint and region are read`);
  }
  const region = url.searchParams.get("region") || read.optionalString(["S3_REGION", "AWS_REGION"]) || "us-east-1";
  if (!/^[a-z0-9-]{1,32}$/.test(region)) return problem(`region "${region}" is not a region name`);
  // Without endpoint=, AWS itself; the endpoint is always given to the client, so it never reads the environment.
  const endpoint = url.searchParams.get("endpoint") ?? `https://s3.${region}.amazonaws.com`;
  if (!URL.canParse(endpoint) || !/^https?:$/.test(new URL(endpoint).protocol)) return problem(`endpoint "${endpoint}" is not an http(s) URL`);
  const accessKeyId = read.optionalString(["S3_ACCESS_KEY_ID", "AWS_ACCESS_KEY_ID"]);
  const secretAccessKey = read.optionalString(["S3_SECRET_ACCESS_KEY", "AWS_SECRET_ACCESS_KEY"]);
  if (accessKeyId === null || secretAccessKey === null) {
    return problem("an S3 store needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY)");
  }
  return {
    bucket,
    prefix: path === "" ? "" : `${path}/`,
    endpoint: endpoint.replace(/\/+$/, ""),
    region,
    accessKeyId,
    secretAccessKey,
    sessionToken: read.optionalString(["S3_SESSION_TOKEN", "AWS_SESSION_TOKEN"]),
  };
}

/** DATABASE_URL: null (SQLite in DATA_DIR) when unset; only postgres:// and postgresql:// URLs are accepted. */
export function readDatabaseUrl(read: Reader): string | null {
  const found = read.raw(["DATABASE_URL"]);
  if (!found) return null;
  const shape = "postgres://<user>:<password>@<host>[:<port>]/<database>";
  if (!URL.canParse(found.value)) {
    read.problems.push(`DATABASE_URL: not a URL (expected ${shape}; leave it unset for SQLite in DATA_DIR)`);
    return null;
  }
  const url = new URL(found.value);
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    read.problems.push(`DATABASE_URL: "${url.protocol}" is not supported, only postgres: (expected ${shape}; leave it unset for SQLite)`);
    return null;
  }
  if (!url.hostname || url.pathname.replace(/^\//, "") === "") {
    read.problems.push(`DATABASE_URL: needs a host and a database name (expected ${shape})`);
    return null;
  }
  return found.value;
}

/** BACKUP_URL: a folder (relative to the working folder) or an s3:// URL; null when unset. */
export function readBackupUrl(read: Reader, cwd: string): BackupTarget | null {
  const found = read.raw(["BACKUP_URL"]);
  if (!found) return null;
  if (/^s3:/i.test(found.value)) {
    const s3 = readS3Url(read, "BACKUP_URL", found.value, "or a folder");
    return s3 && { kind: "s3", s3 };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(found.value)) {
    read.problems.push(`BACKUP_URL: "${found.value.split(":")[0]}:" is not supported: give a folder or an s3://<bucket>[/<prefix>] URL`);
    return null;
  }
  return { kind: "folder", path: resolve(cwd, found.value) };
}
