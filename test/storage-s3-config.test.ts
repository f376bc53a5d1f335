// STORAGE_URL and the S3 credentials: how they are read, and what stops start-up (always naming STORAGE_URL).
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/lib/errors.ts";

const KEYS = { AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "secret-example" };
const s3 = (env: Record<string, string>) => loadConfig(env, { cwd: "/srv/app" }).storage.s3;

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(env, { cwd: "/srv/app" });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("STORAGE_URL", () => {
  test("unset: local disk", () => {
    expect(s3({})).toBeNull();
    expect(s3(KEYS)).toBeNull();
  });

  test("bucket, prefix, endpoint and region from the URL; credentials from AWS_*", () => {
    expect(s3({ ...KEYS, STORAGE_URL: "s3://files.example/latchkey/prod/?endpoint=http://127.0.0.1:9000/&region=eu-west-3" })).toEqual({
      bucket: "files.example",
      prefix: "latchkey/prod/",
      endpoint: "http://127.0.0.1:9000",
      region: "eu-west-3",
      accessKeyId: "AKIDEXAMPLE",
      secretAccessKey: "secret-example",
      sessionToken: null,
    });
  });

  test("no endpoint: AWS in the region (from the URL, else S3_REGION/AWS_REGION, else us-east-1); no prefix", () => {
    expect(s3({ ...KEYS, STORAGE_URL: "s3://my-bucket" })).toMatchObject({ prefix: "", region: "us-east-1", endpoint: "https://s3.us-east-1.amazonaws.com" });
    expect(s3({ ...KEYS, STORAGE_URL: "s3://my-bucket/", AWS_REGION: "ap-south-1" })).toMatchObject({
      prefix: "",
      region: "ap-south-1",
      endpoint: "https://s3.ap-south-1.amazonaws.com",
    });
    expect(s3({ ...KEYS, STORAGE_URL: "s3://my-bucket?region=eu-north-1", AWS_REGION: "ap-south-1" })).toMatchObject({ region: "eu-north-1" });
  });

  test("S3_* credentials win over AWS_* (as Bun.s3 reads them); a session token is passed on", () => {
    const settings = s3({
      ...KEYS,
      S3_ACCESS_KEY_ID: "s3-id",
      S3_SECRET_ACCESS_KEY: "s3-secret",
      AWS_SESSION_TOKEN: "token",
      STORAGE_URL: "s3://my-bucket?endpoint=https://minio.internal",
    });
    expect(settings).toMatchObject({ accessKeyId: "s3-id", secretAccessKey: "s3-secret", sessionToken: "token", endpoint: "https://minio.internal" });
  });

  test.each([
    ["s3://my-bucket", {}, "needs credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"],
    ["s3://my-bucket", { AWS_ACCESS_KEY_ID: "only-the-id" }, "needs credentials"],
    ["s3://id:secret@my-bucket", KEYS, "credentials do not belong in the URL"],
    ["https://my-bucket.s3.amazonaws.com", KEYS, '"https:" is not supported, only s3:'],
    ["my-bucket", KEYS, "is not a URL"],
    ["s3://My_Bucket", KEYS, '"My_Bucket" is not an S3 bucket name'],
    ["s3://ab", KEYS, "is not an S3 bucket name"],
    ["s3://my-bucket:9000", KEYS, "a port belongs in endpoint="],
    ["s3://my-bucket/a//b", KEYS, 'the prefix "a//b" has empty, "." or ".." segments'],
    ["s3://my-bucket?endpoint=ftp://host", KEYS, 'endpoint "ftp://host" is not an http(s) URL'],
    ["s3://my-bucket?endpoint=http://h&virtual=true", KEYS, 'unknown parameter "virtual"'],
    ["s3://my-bucket?region=eu west", KEYS, "is not a region name"],
  ] as [string, Record<string, string>, string][])("STORAGE_URL=%p is refused at start-up", (value, env, message) => {
    const found = problems({ ...env, STORAGE_URL: value });
    expect(found.length).toBe(1);
    expect(found[0]).toStartWith("STORAGE_URL: ");
    expect(found[0]).toContain(message);
  });
});
