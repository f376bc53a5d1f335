-- One table for every kind of recovery code (core/second-factors/recovery-codes.ts), told apart by `purpose`. Faroe's
-- recovery codes, the rows here so far, become `recovery-code`; WolfPal's backup codes move over from one_time_codes
-- as `backup-code`. Every code keeps working: its digest becomes SHA-256 of "<user id>:<code>", which the backup
-- codes' already was. Backup codes keep the order they were stored in, which is the order they are listed in. used_at
-- goes: a code is deleted when it is used.
DROP INDEX "recovery_codes_user_idx";--> statement-breakpoint
ALTER TABLE "recovery_codes" ADD COLUMN "purpose" text;--> statement-breakpoint
DELETE FROM "recovery_codes" WHERE "code" IS NULL;--> statement-breakpoint
UPDATE "recovery_codes" SET "purpose" = 'recovery-code', "code_hash" = encode(sha256(convert_to("user_id" || ':' || "code", 'UTF8')), 'hex');--> statement-breakpoint
INSERT INTO "recovery_codes" ("id", "user_id", "purpose", "code_hash", "code", "created_at") SELECT "id", "user_id", 'backup-code', "secret_hash", "data" ->> 'code', "created_at" FROM "one_time_codes" WHERE "purpose" = 'backup-code' ORDER BY "ctid";--> statement-breakpoint
DELETE FROM "one_time_codes" WHERE "purpose" = 'backup-code';--> statement-breakpoint
ALTER TABLE "recovery_codes" ALTER COLUMN "purpose" SET NOT NULL;--> statement-breakpoint
CREATE INDEX "recovery_codes_user_idx" ON "recovery_codes" USING btree ("user_id","purpose");--> statement-breakpoint
ALTER TABLE "recovery_codes" DROP COLUMN "used_at";
