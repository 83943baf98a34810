CREATE TABLE `stream_tickets` (
	`hash` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`grant` text NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `stream_tickets_holder` ON `stream_tickets` (`holder`,`expires_at`);--> statement-breakpoint
CREATE INDEX `stream_tickets_expiry` ON `stream_tickets` (`expires_at`);