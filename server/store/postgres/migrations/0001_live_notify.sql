-- Every server's live hub LISTENs on closeloop_events: a new event's id is the whole
-- message (a hint; the events table stays the truth, so a missed one is caught up).
CREATE FUNCTION closeloop_notify_event() RETURNS trigger AS $$
BEGIN
  PERFORM pg_notify('closeloop_events', NEW.id::text);
  RETURN NULL;
END;
$$ LANGUAGE plpgsql;
--> statement-breakpoint
CREATE TRIGGER events_notify AFTER INSERT ON events FOR EACH ROW EXECUTE FUNCTION closeloop_notify_event();
