CREATE TABLE `email_addresses` (
	`site_id` text NOT NULL,
	`address` text NOT NULL,
	`proven_at` integer,
	`unsubscribed_at` integer,
	PRIMARY KEY(`site_id`, `address`),
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `email_tokens` (
	`hash` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`ticket_id` text,
	`purpose` text NOT NULL,
	`address` text NOT NULL,
	`locale` text NOT NULL,
	`anchor` integer,
	`return_url` text,
	`expires_at` integer,
	`used_at` integer,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `email_tokens_expiry` ON `email_tokens` (`expires_at`);--> statement-breakpoint
CREATE TABLE `emails` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`ticket_id` text,
	`to` text NOT NULL,
	`locale` text NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer NOT NULL,
	`last_error` text,
	`data` text,
	`message_id` text,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `emails_due` ON `emails` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `emails_site_created` ON `emails` (`site_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `emails_ticket` ON `emails` (`ticket_id`,`created_at`);--> statement-breakpoint
CREATE INDEX `emails_site_to_created` ON `emails` (`site_id`,`to`,`created_at`);--> statement-breakpoint
ALTER TABLE `customer_sessions` ADD `proven_email` text;--> statement-breakpoint
ALTER TABLE `sites` ADD `notifications` text;--> statement-breakpoint
ALTER TABLE `tickets` ADD `email_key` text;--> statement-breakpoint
ALTER TABLE `tickets` ADD `locale` text DEFAULT 'en' NOT NULL;--> statement-breakpoint
CREATE INDEX `tickets_site_email_activity` ON `tickets` (`site_id`,`email_key`,`last_activity_at`,`id`);--> statement-breakpoint
-- Tickets opened before this migration are found by their address too.
UPDATE `tickets` SET `email_key` = lower(trim(`contact_email`)) WHERE `contact_email` IS NOT NULL;