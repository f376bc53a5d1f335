-- One table for every kind of recovery code (core/second-factors/recovery-codes.ts), told apart by `purpose`. Faroe's
-- recovery codes, the rows here so far, become `recovery-code`; WolfPal's backup codes move over from one_time_codes
-- as `backup-code`. Every code keeps working: its digest becomes SHA-256 of "<user id>:<code>", which the backup
-- codes' already was; sha256_hex() is lent to this connection by latchkey's migrator (src/db/sqlite.ts), SQLite has
-- none. Backup codes keep the order they were stored in, which is the order they are listed in. used_at goes: a code
-- is deleted when it is used. The table is rebuilt because SQLite cannot add a NOT NULL column without a default.
CREATE TABLE `__new_recovery_codes` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`purpose` text NOT NULL,
	`code_hash` text NOT NULL,
	`code` text,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
INSERT INTO `__new_recovery_codes` (`id`, `user_id`, `purpose`, `code_hash`, `code`, `created_at`) SELECT `id`, `user_id`, 'recovery-code', sha256_hex(`user_id` || ':' || `code`), `code`, `created_at` FROM `recovery_codes` WHERE `code` IS NOT NULL;--> statement-breakpoint
INSERT INTO `__new_recovery_codes` (`id`, `user_id`, `purpose`, `code_hash`, `code`, `created_at`) SELECT `id`, `user_id`, 'backup-code', `secret_hash`, json_extract(`data`, '$.code'), `created_at` FROM `one_time_codes` WHERE `purpose` = 'backup-code' ORDER BY `rowid`;--> statement-breakpoint
DELETE FROM `one_time_codes` WHERE `purpose` = 'backup-code';--> statement-breakpoint
DROP TABLE `recovery_codes`;--> statement-breakpoint
ALTER TABLE `__new_recovery_codes` RENAME TO `recovery_codes`;--> statement-breakpoint
CREATE INDEX `recovery_codes_user_idx` ON `recovery_codes` (`user_id`,`purpose`);
