CREATE TABLE "agents" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"email" text NOT NULL,
	"name" text NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customer_sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"token_hash" text NOT NULL,
	"verified" boolean NOT NULL,
	"identity_expires_at" bigint,
	"proven_email" text,
	"created_at" bigint NOT NULL,
	"revoked_at" bigint,
	CONSTRAINT "customer_sessions_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"external_id" text,
	"email" text,
	"name" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "email_addresses" (
	"site_id" text NOT NULL,
	"address" text NOT NULL,
	"proven_at" bigint,
	"unsubscribed_at" bigint,
	CONSTRAINT "email_addresses_site_id_address_pk" PRIMARY KEY("site_id","address")
);
--> statement-breakpoint
CREATE TABLE "email_tokens" (
	"hash" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"ticket_id" text,
	"purpose" text NOT NULL,
	"address" text NOT NULL,
	"locale" text NOT NULL,
	"anchor" bigint,
	"return_url" text,
	"expires_at" bigint,
	"used_at" bigint,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "emails" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"site_id" text NOT NULL,
	"ticket_id" text,
	"to" text NOT NULL,
	"locale" text NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"last_error" text,
	"data" jsonb,
	"message_id" text,
	"created_at" bigint NOT NULL,
	"sent_at" bigint
);
--> statement-breakpoint
CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ticket_id" text NOT NULL,
	"site_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"type" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text,
	"message_id" text,
	"at" bigint NOT NULL,
	"data" jsonb
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"body_hash" text NOT NULL,
	"ticket_id" text NOT NULL,
	"created_at" bigint NOT NULL,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key")
);
--> statement-breakpoint
CREATE TABLE "messages" (
	"id" text PRIMARY KEY NOT NULL,
	"ticket_id" text NOT NULL,
	"author_kind" text NOT NULL,
	"author_id" text,
	"body" text NOT NULL,
	"internal" boolean NOT NULL,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "purge_records" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"ticket_id" text NOT NULL,
	"site_id" text NOT NULL,
	"actor_kind" text NOT NULL,
	"actor_id" text,
	"at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "rate_limits" (
	"key" text PRIMARY KEY NOT NULL,
	"count" bigint NOT NULL,
	"reset_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sites" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"site_key" text NOT NULL,
	"secret_key" text NOT NULL,
	"secret_key_hash" text NOT NULL,
	"origins" jsonb NOT NULL,
	"auto_close_after_hours" double precision DEFAULT 72 NOT NULL,
	"reopen_window_days" double precision DEFAULT 30 NOT NULL,
	"agents_may_close" boolean DEFAULT false NOT NULL,
	"remind_after_hours" double precision,
	"texts" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"context_keeps_query" boolean DEFAULT true NOT NULL,
	"notifications" jsonb,
	"created_at" bigint NOT NULL,
	CONSTRAINT "sites_site_key_unique" UNIQUE("site_key"),
	CONSTRAINT "sites_secret_key_hash_unique" UNIQUE("secret_key_hash")
);
--> statement-breakpoint
CREATE TABLE "stream_tickets" (
	"hash" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"grant" jsonb NOT NULL,
	"expires_at" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"customer_id" text NOT NULL,
	"subject" text NOT NULL,
	"status" text NOT NULL,
	"version" bigint NOT NULL,
	"status_before_postpone" text,
	"status_before_spam" text,
	"status_before_delete" text,
	"postponed_until" bigint,
	"resolved_at" bigint,
	"closed_at" bigint,
	"closed_by" text,
	"reopen_count" bigint DEFAULT 0 NOT NULL,
	"follow_up_of" text,
	"priority" text DEFAULT 'normal' NOT NULL,
	"assignee_id" text,
	"rating" bigint,
	"rating_comment" text,
	"contact_email" text,
	"email_key" text,
	"contact_name" text,
	"locale" text DEFAULT 'en' NOT NULL,
	"created_at" bigint NOT NULL,
	"updated_at" bigint NOT NULL,
	"last_event_at" bigint NOT NULL,
	"last_activity_at" bigint NOT NULL,
	"last_agent_reply_at" bigint,
	"last_public_message" text,
	"context" jsonb,
	"reminded_at" bigint,
	"customer_read_at" bigint
);
--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"at" bigint NOT NULL,
	"status_code" bigint,
	"error" text,
	"duration_ms" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"seq" bigserial NOT NULL,
	"endpoint_id" text NOT NULL,
	"site_id" text NOT NULL,
	"type" text NOT NULL,
	"payload" text NOT NULL,
	"status" text NOT NULL,
	"attempts" bigint DEFAULT 0 NOT NULL,
	"next_attempt_at" bigint NOT NULL,
	"last_status_code" bigint,
	"last_error" text,
	"created_at" bigint NOT NULL,
	"delivered_at" bigint
);
--> statement-breakpoint
CREATE TABLE "webhook_endpoints" (
	"id" text PRIMARY KEY NOT NULL,
	"site_id" text NOT NULL,
	"url" text NOT NULL,
	"events" jsonb NOT NULL,
	"secret" text NOT NULL,
	"previous_secret" text,
	"previous_secret_expires_at" bigint,
	"disabled_at" bigint,
	"disabled_reason" text,
	"created_at" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "agents" ADD CONSTRAINT "agents_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_sessions" ADD CONSTRAINT "customer_sessions_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customer_sessions" ADD CONSTRAINT "customer_sessions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_addresses" ADD CONSTRAINT "email_addresses_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_tokens" ADD CONSTRAINT "email_tokens_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "email_tokens" ADD CONSTRAINT "email_tokens_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emails" ADD CONSTRAINT "emails_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "emails" ADD CONSTRAINT "emails_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "messages" ADD CONSTRAINT "messages_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "tickets"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "webhook_deliveries"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_endpoint_id_webhook_endpoints_id_fk" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoints"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_endpoints" ADD CONSTRAINT "webhook_endpoints_site_id_sites_id_fk" FOREIGN KEY ("site_id") REFERENCES "sites"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "agents_site_email" ON "agents" USING btree ("site_id","email");--> statement-breakpoint
CREATE INDEX "customer_sessions_customer" ON "customer_sessions" USING btree ("customer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "customers_site_external" ON "customers" USING btree ("site_id","external_id");--> statement-breakpoint
CREATE INDEX "email_tokens_expiry" ON "email_tokens" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "emails_due" ON "emails" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "emails_site_created" ON "emails" USING btree ("site_id","created_at");--> statement-breakpoint
CREATE INDEX "emails_ticket" ON "emails" USING btree ("ticket_id","created_at");--> statement-breakpoint
CREATE INDEX "emails_site_to_created" ON "emails" USING btree ("site_id","to","created_at");--> statement-breakpoint
CREATE INDEX "events_ticket" ON "events" USING btree ("ticket_id","id");--> statement-breakpoint
CREATE INDEX "events_site" ON "events" USING btree ("site_id","id");--> statement-breakpoint
CREATE INDEX "events_customer" ON "events" USING btree ("customer_id","id");--> statement-breakpoint
CREATE INDEX "idempotency_keys_created" ON "idempotency_keys" USING btree ("created_at");--> statement-breakpoint
CREATE INDEX "messages_ticket" ON "messages" USING btree ("ticket_id","created_at");--> statement-breakpoint
CREATE INDEX "rate_limits_reset" ON "rate_limits" USING btree ("reset_at");--> statement-breakpoint
CREATE INDEX "stream_tickets_holder" ON "stream_tickets" USING btree ("holder","expires_at");--> statement-breakpoint
CREATE INDEX "stream_tickets_expiry" ON "stream_tickets" USING btree ("expires_at");--> statement-breakpoint
CREATE INDEX "tickets_customer_activity" ON "tickets" USING btree ("customer_id","last_activity_at","id");--> statement-breakpoint
CREATE INDEX "tickets_site_activity" ON "tickets" USING btree ("site_id","last_activity_at","id");--> statement-breakpoint
CREATE INDEX "tickets_site_status_activity" ON "tickets" USING btree ("site_id","status","last_activity_at","id");--> statement-breakpoint
CREATE INDEX "tickets_site_assignee_activity" ON "tickets" USING btree ("site_id","assignee_id","last_activity_at","id");--> statement-breakpoint
CREATE INDEX "tickets_site_status_resolved" ON "tickets" USING btree ("site_id","status","resolved_at");--> statement-breakpoint
CREATE INDEX "tickets_status_postponed" ON "tickets" USING btree ("status","postponed_until");--> statement-breakpoint
CREATE INDEX "tickets_site_status_agent_reply" ON "tickets" USING btree ("site_id","status","last_agent_reply_at");--> statement-breakpoint
CREATE INDEX "tickets_site_email_activity" ON "tickets" USING btree ("site_id","email_key","last_activity_at","id");--> statement-breakpoint
CREATE INDEX "webhook_attempts_delivery" ON "webhook_attempts" USING btree ("delivery_id","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_due" ON "webhook_deliveries" USING btree ("status","next_attempt_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint" ON "webhook_deliveries" USING btree ("endpoint_id","created_at");--> statement-breakpoint
CREATE INDEX "webhook_endpoints_site" ON "webhook_endpoints" USING btree ("site_id");