-- A carried-over session (from session_per_row, no handle yet) is found by a column of its own instead of a partial
-- index over token_hash, so that token_hash, which every rotation rewrites, is in no index (a rotation can then be a
-- HOT update, which writes no index entry).
DROP INDEX "sessions_carried_token_hash_unique";--> statement-breakpoint
ALTER TABLE "sessions" ADD COLUMN "carried_token_hash" text;--> statement-breakpoint
UPDATE "sessions" SET "carried_token_hash" = "token_hash" WHERE "handle" IS NULL;--> statement-breakpoint
CREATE UNIQUE INDEX "sessions_carried_token_hash_unique" ON "sessions" USING btree ("carried_token_hash") WHERE "sessions"."carried_token_hash" is not null;
