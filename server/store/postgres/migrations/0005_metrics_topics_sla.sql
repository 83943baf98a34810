CREATE TABLE "metric_facts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"ticket_id" text NOT NULL,
	"kind" text NOT NULL,
	"at" bigint NOT NULL,
	"topic_id" text,
	"priority" text NOT NULL,
	"assignee_id" text,
	"ms" bigint,
	"business_ms" bigint,
	"wait_ms" bigint,
	"wait_business_ms" bigint,
	"rating" integer,
	"one_touch" boolean DEFAULT false NOT NULL,
	"latest" boolean DEFAULT false NOT NULL,
	"reopened_later" boolean DEFAULT false NOT NULL,
	"followed_up" boolean DEFAULT false NOT NULL
);
--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "topics" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "sites" ADD COLUMN "sla" jsonb;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "topic_id" text;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "tags" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "tracking" jsonb;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "sla_due_at" bigint;--> statement-breakpoint
ALTER TABLE "tickets" ADD COLUMN "waiting_since" bigint;--> statement-breakpoint
ALTER TABLE "metric_facts" ADD CONSTRAINT "metric_facts_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "metric_facts_site_at_kind" ON "metric_facts" USING btree ("site_id","at","kind");--> statement-breakpoint
CREATE INDEX "metric_facts_ticket" ON "metric_facts" USING btree ("ticket_id","kind");--> statement-breakpoint
CREATE INDEX "tickets_status_sla_due" ON "tickets" USING btree ("status","sla_due_at");