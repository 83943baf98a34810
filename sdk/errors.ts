/** Every failure the SDK reports: the spec's stable `code`, the HTTP status (0: no answer), and the message. */
export class CloseloopError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra details from the server: `field` for VALIDATION, `from` and `action` for ILLEGAL_TRANSITION… */
  readonly data: Record<string, unknown>;

  constructor(code: string, message: string, status = 0, data: Record<string, unknown> = {}) {
    super(message);
    this.name = 'CloseloopError';
    this.code = code;
    this.status = status;
    this.data = data;
  }
}
