// Storage settings: defaults, MAX_UPLOAD_SIZE's units, and refusals at start-up.
import { describe, expect, test } from "bun:test";
import { loadConfig } from "../src/config.ts";
import { ConfigError } from "../src/lib/errors.ts";

const storage = (env: Record<string, string>) => loadConfig(env, { cwd: "/srv/app" }).storage;

describe("storage settings", () => {
  test("defaults", () => {
    expect(storage({})).toEqual({ enabled: true, maxUploadBytes: 100 * 1024 * 1024, rulesFile: null, imageMaxPixels: 50_000_000, imageWorkers: 0, transformCacheMaxBytes: 1024 ** 3, s3: null });
  });

  test.each([
    ["1048576", 1048576],
    ["64KB", 64 * 1024],
    ["64 KiB", 64 * 1024],
    ["100MB", 100 * 1024 * 1024],
    ["100m", 100 * 1024 * 1024],
    ["1.5G", 1.5 * 1024 ** 3],
    ["512B", 512],
  ])("MAX_UPLOAD_SIZE=%p is %d bytes", (value, bytes) => {
    expect(storage({ MAX_UPLOAD_SIZE: value }).maxUploadBytes).toBe(bytes);
  });

  test.each(["0", "-5", "ten", "5TB", "17GB", "1e9"])("MAX_UPLOAD_SIZE=%p is refused at start-up", (value) => {
    expect(() => storage({ MAX_UPLOAD_SIZE: value })).toThrow(ConfigError);
  });

  test("STORAGE_RULES is resolved against the working folder; STORAGE_ENABLED and the image settings are read", () => {
    expect(storage({ STORAGE_RULES: "custom/rules.yaml", STORAGE_ENABLED: "false", IMAGE_MAX_PIXELS: "1000", IMAGE_WORKERS: "2", TRANSFORM_CACHE_MAX: "256MB" })).toEqual({
      enabled: false,
      maxUploadBytes: 100 * 1024 * 1024,
      rulesFile: "/srv/app/custom/rules.yaml",
      imageMaxPixels: 1000,
      imageWorkers: 2,
      transformCacheMaxBytes: 256 * 1024 * 1024,
      s3: null,
    });
    expect(storage({ STORAGE_RULES: "/etc/latchkey/rules.json" }).rulesFile).toBe("/etc/latchkey/rules.json");
  });

  test("STORAGE_ENABLED=maybe is refused", () => {
    expect(() => storage({ STORAGE_ENABLED: "maybe" })).toThrow(ConfigError);
  });
});
