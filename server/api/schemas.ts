import { MAX_BYTES_CEILING, MAX_FILES_CEILING } from '../attachments/attachment-settings.js';
/** Input schemas shared by the routers. Objects are strict: unknown keys are refused. */
import { z } from 'zod';
import { PRIORITIES, STATUSES } from '../lifecycle/lifecycle.js';
import { isTimeZone, WEEKDAYS } from '../analytics/business-hours.js';
import { GROUP_BYS } from '../analytics/metrics-summary.js';

export const ticketId = z.string().min(1).max(64);
export const body = z.string().trim().min(1, 'must not be empty').max(20_000);
export const subject = z.string().trim().min(1, 'must not be empty').max(200);
export const email = z.email().max(320);
export const personName = z.string().trim().min(1).max(120);
export const idempotencyKey = z.string().min(8).max(128);
/** Uploads (POST /attachments) that go with a message: the caller's own, each used once. */
export const attachmentIds = z.array(z.string().regex(/^att_[A-Za-z0-9_-]{1,64}$/, 'is not an attachment id')).max(10, 'at most 10 files per message').optional();
export const expectedVersion = z.number().int().positive().optional();
export const rating = z.number().int().min(1).max(5);
export const comment = z.string().trim().max(2_000);
export const status = z.enum(STATUSES);
export const priority = z.enum(PRIORITIES);
export const isoDateTime = z.iso.datetime({ offset: true });

export const page = {
  cursor: z.string().max(500).optional(),
  limit: z.number().int().min(1).max(100).optional(),
};

export const lastEventId = z.strictObject({ lastEventId: z.string().max(20).nullish() }).optional();

export const DEFAULT_PAGE_SIZE = 20;

/** The widget's language (`en`, `et`, `it`…); emails fall back to English for one they are not written in. */
export const locale = z
  .string()
  .max(35)
  .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$/, 'must be a language tag such as en or pt-BR');

/** A site's email settings; a field left out keeps its value. */
export const notifications = z.strictObject({
  enabled: z.boolean().optional(),
  senderName: z.string().trim().min(1).max(120).nullable().optional(),
  replyTo: email.nullable().optional(),
  portalUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }).max(2_000).nullable().optional(),
  replyDelayMinutes: z.number().int().min(0).max(24 * 60).optional(),
  accentColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #1d4ed8').nullable().optional(),
});

/** A site's attachment limits; a field left out keeps its value. */
export const attachmentLimits = z.strictObject({
  maxBytes: z.number().int().min(1).max(MAX_BYTES_CEILING).optional(),
  maxFiles: z.number().int().min(0).max(MAX_FILES_CEILING).optional(),
  maxBytesPerTicket: z.number().int().min(1).max(10 * 1024 * 1024 * 1024).optional(),
  allowedTypes: z
    .array(z.string().regex(/^[a-z]+\/[a-z0-9][a-z0-9.+-]*$/, 'must be a MIME type such as image/png'))
    .max(100)
    .optional(),
});

/** Where a ticket was opened from: bounded, so a page cannot stuff a ticket with megabytes of "context". */
export const ticketContext = z
  .strictObject({
    pageUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) address' }).max(2_000).optional(),
    userAgent: z.string().max(500).optional(),
    language: z.string().max(35).optional(),
    // Key rules as refinements: zod's own record-key error only says "Invalid key in record".
    fields: z
      .record(z.string(), z.string().max(500))
      .refine((fields) => Object.keys(fields).length <= 20, 'at most 20 fields')
      .refine((fields) => Object.keys(fields).every((name) => /^[\w.-]{1,40}$/.test(name)), 'field names are 1–40 letters, digits, dots, dashes or underscores')
      .optional(),
  })
  .optional();

export interface TicketInput {
  ticketId: string;
  expectedVersion?: number | undefined;
}

/** An action's input: the ticket, an optional expected version, and the action's own fields. */
export const onTicket = <Shape extends z.ZodRawShape>(shape: Shape) =>
  z.strictObject({ ticketId, expectedVersion, ...shape });

export const webhookUrl = z
  .string()
  .max(2_000)
  .refine((value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'must be an http(s) URL without credentials');

/** A web origin (scheme, host, port), normalised: `https://shop.example`. */
export const origin = z
  .string()
  .max(300)
  .transform((value, ctx) => {
    try {
      const url = new URL(value);
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.origin !== 'null') return url.origin;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be an http(s) origin such as https://shop.example' });
    return z.NEVER;
  });

/** A topic or tag name as stored: short, no spaces at the ends. */
export const topicId = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'must be 1–40 lower-case letters, digits, dashes or underscores');
export const tag = z.string().trim().toLowerCase().min(1).max(40).regex(/^[^\s,]+$/, 'must be one word (no spaces or commas)');
export const tags = z.array(tag).max(20, 'at most 20 tags').transform((list) => [...new Set(list)]);

/** A site's topics, in the order the widget offers them. */
export const topics = z
  .array(z.strictObject({ id: topicId, labels: z.record(locale, z.string().trim().min(1).max(60)).refine((l) => 'en' in l, 'needs at least an English label (en)') }))
  .max(30, 'at most 30 topics')
  .refine((list) => new Set(list.map((t) => t.id)).size === list.length, 'topic ids must differ');

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'must be a time such as 09:00 (or 24:00)');
const minutes = z.number().int().min(1).max(365 * 24 * 60).nullable().optional();

export const timeZone = z.string().max(64).refine(isTimeZone, 'must be a time zone such as Europe/Tallinn');

/** A site's service levels: targets per priority, and business hours (none: every hour counts). */
export const sla = z.strictObject({
  targets: z
    .array(z.strictObject({ priority, firstReplyMinutes: minutes, nextReplyMinutes: minutes, resolutionMinutes: minutes }))
    .max(PRIORITIES.length)
    .refine((list) => new Set(list.map((t) => t.priority)).size === list.length, 'one target per priority'),
  schedule: z
    .strictObject({
      timeZone,
      weekly: z
        .array(z.strictObject({ day: z.enum(WEEKDAYS), from: clock, to: clock }).refine((w) => w.from < w.to, 'from must be before to'))
        .min(1, 'at least one opening')
        .max(50),
      holidays: z.array(z.iso.date()).max(400).default([]),
    })
    .nullable()
    .optional(),
});

/** What a metrics summary covers. */
export const metricsQuery = z
  .strictObject({
    from: isoDateTime,
    to: isoDateTime,
    groupBy: z.enum(GROUP_BYS).optional(),
    timeZone: timeZone.optional(),
    filters: z
      .strictObject({
        topicId: topicId.nullable().optional(),
        tag: tag.optional(),
        priority: priority.optional(),
        assigneeId: z.string().min(1).max(64).nullable().optional(),
      })
      .optional(),
  })
  .refine((q) => Date.parse(q.from) < Date.parse(q.to), { message: 'from must be before to', path: ['to'] })
  .refine((q) => Date.parse(q.to) - Date.parse(q.from) <= 400 * 86_400_000, { message: 'at most 400 days at once', path: ['to'] });
