-- One table for every code or link handed to a user (core/challenges/), told apart by `purpose`: the tickets of
-- one_time_codes, Faroe's email-verification requests and Faroe's password-reset requests. The live rows move over
-- as they are, so a ticket or a request from before keeps working: a ticket keeps its SHA-256, a verification request
-- its code as it is (its API shows it again) and its address, a reset request its argon2id code and the steps it
-- passed (in `data`). Expired rows are of no use to anybody: they are left behind with the old tables.
CREATE TABLE `challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`user_id` text NOT NULL,
	`purpose` text NOT NULL,
	`secret_hash` text,
	`code` text,
	`email` text,
	`data` text DEFAULT '{}' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`expires_at` integer NOT NULL,
	`created_at` integer DEFAULT (cast(unixepoch('subsec') * 1000 as integer)) NOT NULL,
	FOREIGN KEY (`user_id`) REFERENCES `users`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `challenges_purpose_secret_unique` ON `challenges` (`purpose`,`secret_hash`);--> statement-breakpoint
CREATE INDEX `challenges_user_idx` ON `challenges` (`user_id`,`purpose`);--> statement-breakpoint
INSERT INTO `challenges` (`id`, `user_id`, `purpose`, `secret_hash`, `code`, `email`, `data`, `attempts`, `expires_at`, `created_at`) SELECT `id`, `user_id`, `purpose`, `secret_hash`, NULL, NULL, `data`, `attempts`, `expires_at`, `created_at` FROM `one_time_codes` WHERE `expires_at` > cast(unixepoch('subsec') * 1000 as integer);--> statement-breakpoint
INSERT INTO `challenges` (`id`, `user_id`, `purpose`, `secret_hash`, `code`, `email`, `data`, `attempts`, `expires_at`, `created_at`) SELECT `id`, `user_id`, 'email-verification', NULL, `code`, `email`, '{}', `attempts`, `expires_at`, `created_at` FROM `email_verification_requests` WHERE `expires_at` > cast(unixepoch('subsec') * 1000 as integer);--> statement-breakpoint
INSERT INTO `challenges` (`id`, `user_id`, `purpose`, `secret_hash`, `code`, `email`, `data`, `attempts`, `expires_at`, `created_at`) SELECT `id`, `user_id`, 'password-reset-request', `code_hash`, NULL, NULL, json_object('emailVerified', json(CASE WHEN `email_verified` THEN 'true' ELSE 'false' END), 'twoFactorVerified', json(CASE WHEN `two_factor_verified` THEN 'true' ELSE 'false' END)), `attempts`, `expires_at`, `created_at` FROM `password_reset_requests` WHERE `expires_at` > cast(unixepoch('subsec') * 1000 as integer);--> statement-breakpoint
DROP TABLE `email_verification_requests`;--> statement-breakpoint
DROP TABLE `one_time_codes`;--> statement-breakpoint
DROP TABLE `password_reset_requests`;
