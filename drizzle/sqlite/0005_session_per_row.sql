-- One row per session instead of one per refresh token (core/sessions.ts). Each family keeps its live token, now
-- under the family's id, so signed-in users stay signed in; rotated and revoked tokens go (a rotated token from
-- before this migration is refused, but no longer revokes its family). The row keeps the sign-in's time.
UPDATE `sessions` SET `created_at` = (SELECT min(`first`.`created_at`) FROM `sessions` AS `first` WHERE `first`.`family_id` = `sessions`.`family_id`) WHERE `rotated_at` IS NULL AND `revoked_at` IS NULL;--> statement-breakpoint
DELETE FROM `sessions` WHERE `rotated_at` IS NOT NULL OR `revoked_at` IS NOT NULL;--> statement-breakpoint
DELETE FROM `sessions` WHERE `id` NOT IN (SELECT max(`id`) FROM `sessions` GROUP BY `family_id`);--> statement-breakpoint
UPDATE `sessions` SET `id` = `family_id`;--> statement-breakpoint
DROP INDEX `sessions_token_hash_unique`;--> statement-breakpoint
DROP INDEX `sessions_family_idx`;--> statement-breakpoint
ALTER TABLE `sessions` DROP COLUMN `family_id`;--> statement-breakpoint
ALTER TABLE `sessions` ADD `handle` text;--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_handle_unique` ON `sessions` (`handle`);--> statement-breakpoint
CREATE UNIQUE INDEX `sessions_carried_token_hash_unique` ON `sessions` (`token_hash`) WHERE "sessions"."handle" is null;
