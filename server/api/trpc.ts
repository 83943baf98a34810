import { initTRPC, TRPCError } from '@trpc/server';
import { DomainError, type ErrorCode } from '../lifecycle/errors.js';
import type { Context } from './context.js';
import { STABLE_CODE, TRPC_CODE } from './error-codes.js';
import { correlationIdOf } from '../http/correlation-id.js';

interface Issue {
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
  message: string;
}

const issuesOf = (cause: unknown): Issue[] | null =>
  cause && typeof cause === 'object' && Array.isArray((cause as { issues?: unknown }).issues)
    ? (cause as { issues: Issue[] }).issues
    : null;

const fieldOf = (issue: Issue) =>
  (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');

/** The spec's code, a message fit for a client, and details; internals never leave. */
function describe(error: TRPCError): { code: ErrorCode; message: string; details: Record<string, unknown> } {
  if (error.cause instanceof DomainError) {
    return { code: error.cause.code, message: error.cause.message, details: error.cause.details };
  }
  const issues = issuesOf(error.cause);
  if (issues?.[0]) {
    const field = fieldOf(issues[0]);
    return { code: 'VALIDATION', message: field ? `${field}: ${issues[0].message}` : issues[0].message, details: { field } };
  }
  const code = STABLE_CODE[error.code];
  // The id is also in the server's log line, so an operator can find what went wrong without it reaching the client.
  if (!code) return { code: 'INTERNAL', message: 'Internal server error', details: { correlationId: correlationIdOf(error) } };
  return { code, message: error.message, details: {} };
}

const t = initTRPC.context<Context>().create({
  isDev: false,
  // Pings keep proxies from closing a quiet stream; a client that hears nothing reconnects.
  sse: {
    ping: { enabled: true, intervalMs: 15_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error }) {
    const { code, message, details } = describe(error);
    return {
      code: shape.code,
      message,
      data: { ...details, code, httpStatus: shape.data.httpStatus, path: shape.data.path ?? null },
    };
  },
});

/** Domain refusals become tRPC errors with the right HTTP status, keeping the domain error as cause. */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof DomainError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

export const router = t.router;
export const middleware = t.middleware;
export const publicProcedure = t.procedure.use(domainErrors);
export const createCallerFactory = t.createCallerFactory;
