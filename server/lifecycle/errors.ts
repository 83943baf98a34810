/** The stable, machine-readable error codes of the spec. */
export type ErrorCode =
  | 'NOT_FOUND'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'ILLEGAL_TRANSITION'
  | 'REOPEN_WINDOW_EXPIRED'
  | 'VERSION_CONFLICT'
  | 'VALIDATION'
  | 'RATE_LIMITED'
  | 'IDEMPOTENCY_MISMATCH'
  | 'PAYLOAD_TOO_LARGE'
  | 'EMAIL_UNAVAILABLE'
  | 'ATTACHMENT_TOO_LARGE'
  | 'ATTACHMENT_TYPE'
  | 'ATTACHMENT_LIMIT'
  | 'ATTACHMENT_REJECTED'
  | 'ATTACHMENT_UNCHECKED'
  | 'INTERNAL';

/** A refusal the domain understands; it knows nothing of HTTP or tRPC. */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.details = details;
  }
}

export const notFound = (what = 'Ticket') => new DomainError('NOT_FOUND', `${what} not found`);

export const rateLimited = () => new DomainError('RATE_LIMITED', 'Too many requests from this address; try again in a minute');

export const invalid = (field: string, message: string) =>
  new DomainError('VALIDATION', message, { field });
