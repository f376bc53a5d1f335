// A client for the S3-compatible store an s3:// URL names (STORAGE_URL, BACKUP_URL: src/config-urls.ts), made the
// same way for stored files and for backups.
import { S3Client } from "bun";
import type { S3Settings } from "../config.ts";

export function s3ClientFor(settings: S3Settings): S3Client {
  return new S3Client({
    bucket: settings.bucket,
    endpoint: settings.endpoint,
    region: settings.region,
    accessKeyId: settings.accessKeyId,
    secretAccessKey: settings.secretAccessKey,
    sessionToken: settings.sessionToken ?? undefined,
    virtualHostedStyle: false, // path-style: <endpoint>/<bucket>/<key>, which MinIO, s3rver and AWS all answer
  });
}

/** How the store is named in logs and messages (no credentials). */
export function s3Location(settings: S3Settings): string {
  return `s3://${settings.bucket}/${settings.prefix} at ${settings.endpoint}`;
}
