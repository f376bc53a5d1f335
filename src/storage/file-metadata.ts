// A stored file's metadata as HBP answers it and the access rules read it (`resource`), and how a `files` row becomes
// it. Storage's reads and writes answer it, the console's file administration too.
import type { FileRow } from "../db/schema.ts";

/** A file's metadata in the shape of S3's HeadObject output, which HBP answers and rules read as `resource`. */
export interface FileMetadata {
  key: string;
  AcceptRanges: "bytes";
  LastModified: string;
  ContentLength: number;
  ETag: string;
  ContentType: string;
  Metadata: { token: string };
}

/** What a file's metadata is made of: its row's columns but the owner and the creation time. */
export type FileMetadataColumns = Pick<FileRow, "key" | "size" | "contentType" | "etag" | "token" | "updatedAt">;

export function toFileMetadata(row: FileMetadataColumns): FileMetadata {
  return {
    key: row.key,
    AcceptRanges: "bytes",
    LastModified: new Date(row.updatedAt).toISOString(),
    ContentLength: row.size,
    ETag: row.etag,
    ContentType: row.contentType,
    Metadata: { token: row.token },
  };
}
