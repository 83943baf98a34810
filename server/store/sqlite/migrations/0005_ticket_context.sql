ALTER TABLE `sites` ADD `context_keeps_query` integer DEFAULT true NOT NULL;--> statement-breakpoint
ALTER TABLE `tickets` ADD `context` text;