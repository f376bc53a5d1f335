-- One table for every code or link handed to a user (core/challenges/), told apart by `purpose`: the tickets of
-- one_time_codes, Faroe's email-verification requests and Faroe's password-reset requests. The live rows move over
-- as they are, so a ticket or a request from before keeps working: a ticket keeps its SHA-256, a verification request
-- its code as it is (its API shows it again) and its address, a reset request its argon2id code and the steps it
-- passed (in `data`). Expired rows are of no use to anybody: they are left behind with the old tables.
CREATE TABLE "challenges" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"purpose" text NOT NULL,
	"secret_hash" text,
	"code" text,
	"email" text,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"expires_at" bigint NOT NULL,
	"created_at" bigint DEFAULT (extract(epoch from clock_timestamp()) * 1000)::bigint NOT NULL
);
--> statement-breakpoint
INSERT INTO "challenges" ("id", "user_id", "purpose", "secret_hash", "code", "email", "data", "attempts", "expires_at", "created_at") SELECT "id", "user_id", "purpose", "secret_hash", NULL, NULL, "data", "attempts", "expires_at", "created_at" FROM "one_time_codes" WHERE "expires_at" > (extract(epoch from clock_timestamp()) * 1000)::bigint;--> statement-breakpoint
INSERT INTO "challenges" ("id", "user_id", "purpose", "secret_hash", "code", "email", "data", "attempts", "expires_at", "created_at") SELECT "id", "user_id", 'email-verification', NULL, "code", "email", '{}'::jsonb, "attempts", "expires_at", "created_at" FROM "email_verification_requests" WHERE "expires_at" > (extract(epoch from clock_timestamp()) * 1000)::bigint;--> statement-breakpoint
INSERT INTO "challenges" ("id", "user_id", "purpose", "secret_hash", "code", "email", "data", "attempts", "expires_at", "created_at") SELECT "id", "user_id", 'password-reset-request', "code_hash", NULL, NULL, jsonb_build_object('emailVerified', "email_verified", 'twoFactorVerified', "two_factor_verified"), "attempts", "expires_at", "created_at" FROM "password_reset_requests" WHERE "expires_at" > (extract(epoch from clock_timestamp()) * 1000)::bigint;--> statement-breakpoint
DROP TABLE "email_verification_requests" CASCADE;--> statement-breakpoint
DROP TABLE "one_time_codes" CASCADE;--> statement-breakpoint
DROP TABLE "password_reset_requests" CASCADE;--> statement-breakpoint
ALTER TABLE "challenges" ADD CONSTRAINT "challenges_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "challenges_purpose_secret_unique" ON "challenges" USING btree ("purpose","secret_hash");--> statement-breakpoint
CREATE INDEX "challenges_user_idx" ON "challenges" USING btree ("user_id","purpose");
