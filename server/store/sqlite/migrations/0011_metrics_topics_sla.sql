CREATE TABLE `metric_facts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`site_id` text NOT NULL,
	`ticket_id` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	`topic_id` text,
	`priority` text NOT NULL,
	`assignee_id` text,
	`ms` integer,
	`business_ms` integer,
	`wait_ms` integer,
	`wait_business_ms` integer,
	`rating` integer,
	`one_touch` integer DEFAULT false NOT NULL,
	`latest` integer DEFAULT false NOT NULL,
	`reopened_later` integer DEFAULT false NOT NULL,
	`followed_up` integer DEFAULT false NOT NULL,
	FOREIGN KEY (`ticket_id`) REFERENCES `tickets`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `metric_facts_site_at_kind` ON `metric_facts` (`site_id`,`at`,`kind`);--> statement-breakpoint
CREATE INDEX `metric_facts_ticket` ON `metric_facts` (`ticket_id`,`kind`);--> statement-breakpoint
ALTER TABLE `sites` ADD `topics` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `sites` ADD `sla` text;--> statement-breakpoint
ALTER TABLE `tickets` ADD `topic_id` text;--> statement-breakpoint
ALTER TABLE `tickets` ADD `tags` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `tracking` text;--> statement-breakpoint
ALTER TABLE `tickets` ADD `sla_due_at` integer;--> statement-breakpoint
ALTER TABLE `tickets` ADD `waiting_since` integer;--> statement-breakpoint
CREATE INDEX `tickets_status_sla_due` ON `tickets` (`status`,`sla_due_at`);