CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`email` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_site_email` ON `agents` (`site_id`,`email`);--> statement-breakpoint
CREATE TABLE `customer_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`token_hash` text NOT NULL,
	`verified` integer NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customer_sessions_token_hash_unique` ON `customer_sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `customer_sessions_customer` ON `customer_sessions` (`customer_id`);--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`external_id` text,
	`email` text,
	`name` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_site_external` ON `customers` (`site_id`,`external_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ticket_id` text NOT NULL,
	`site_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`type` text NOT NULL,
	`from_status` text,
	`to_status` text NOT NULL,
	`actor_kind` text NOT NULL,
	`actor_id` text,
	`message_id` text,
	`at` integer NOT NULL,
	`data` text,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `events_ticket` ON `events` (`ticket_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_site` ON `events` (`site_id`,`id`);--> statement-breakpoint
CREATE INDEX `events_customer` ON `events` (`customer_id`,`id`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`scope` text NOT NULL,
	`key` text NOT NULL,
	`body_hash` text NOT NULL,
	`ticket_id` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`scope`, `key`)
);
--> statement-breakpoint
CREATE TABLE `messages` (
	`id` text PRIMARY KEY NOT NULL,
	`ticket_id` text NOT NULL,
	`author_kind` text NOT NULL,
	`author_id` text,
	`body` text NOT NULL,
	`internal` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `messages_ticket` ON `messages` (`ticket_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `purge_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`ticket_id` text NOT NULL,
	`site_id` text NOT NULL,
	`actor_kind` text NOT NULL,
	`actor_id` text,
	`at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sites` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`site_key` text NOT NULL,
	`secret_key` text NOT NULL,
	`secret_key_hash` text NOT NULL,
	`origins` text NOT NULL,
	`auto_close_after_hours` real DEFAULT 72 NOT NULL,
	`reopen_window_days` real DEFAULT 30 NOT NULL,
	`agents_may_close` integer DEFAULT false NOT NULL,
	`texts` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sites_site_key_unique` ON `sites` (`site_key`);--> statement-breakpoint
CREATE UNIQUE INDEX `sites_secret_key_hash_unique` ON `sites` (`secret_key_hash`);--> statement-breakpoint
CREATE TABLE `tickets` (
	`id` text PRIMARY KEY NOT NULL,
	`site_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`subject` text NOT NULL,
	`status` text NOT NULL,
	`version` integer NOT NULL,
	`status_before_postpone` text,
	`status_before_spam` text,
	`status_before_delete` text,
	`postponed_until` integer,
	`resolved_at` integer,
	`closed_at` integer,
	`closed_by` text,
	`reopen_count` integer DEFAULT 0 NOT NULL,
	`follow_up_of` text,
	`priority` text DEFAULT 'normal' NOT NULL,
	`assignee_id` text,
	`rating` integer,
	`rating_comment` text,
	`contact_email` text,
	`contact_name` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`last_event_at` integer NOT NULL,
	`last_activity_at` integer NOT NULL,
	`last_agent_reply_at` integer,
	`customer_read_at` integer,
	FOREIGN KEY (`site_id`) REFERENCES `sites`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `tickets_customer_activity` ON `tickets` (`customer_id`,`last_activity_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_site_activity` ON `tickets` (`site_id`,`last_activity_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_site_status_activity` ON `tickets` (`site_id`,`status`,`last_activity_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_site_assignee_activity` ON `tickets` (`site_id`,`assignee_id`,`last_activity_at`,`id`);--> statement-breakpoint
CREATE INDEX `tickets_site_status_resolved` ON `tickets` (`site_id`,`status`,`resolved_at`);--> statement-breakpoint
CREATE INDEX `tickets_status_postponed` ON `tickets` (`status`,`postponed_until`);