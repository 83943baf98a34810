import type { JSX } from 'preact';

interface FieldProps {
  id: string;
  label: string;
  hint?: string | undefined;
  error?: string | null | undefined;
  multiline?: boolean;
  value: string;
  onInput: (value: string) => void;
  type?: string;
  autocomplete?: string;
  required?: boolean;
  /** The most characters the server takes: a counter shows as it nears, and nothing is cut silently. */
  limit?: number;
  inputRef?: { current: HTMLInputElement | HTMLTextAreaElement | null };
}

/** A labelled input with its inline error, wired for screen readers. */
export function Field(props: FieldProps) {
  const length = props.value.length;
  const counting = props.limit !== undefined && length >= props.limit * 0.8;
  const described =
    [props.hint && `${props.id}-hint`, counting && `${props.id}-count`, props.error && `${props.id}-error`].filter(Boolean).join(' ') || undefined;
  const common = {
    id: props.id,
    value: props.value,
    'aria-invalid': props.error ? true : undefined,
    'aria-describedby': described,
    'aria-required': props.required ? true : undefined,
    onInput: (e: JSX.TargetedEvent<HTMLInputElement | HTMLTextAreaElement>) => props.onInput(e.currentTarget.value),
  };
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      {props.multiline ? (
        <textarea {...common} ref={props.inputRef as { current: HTMLTextAreaElement | null }} rows={4} />
      ) : (
        <input {...common} ref={props.inputRef as { current: HTMLInputElement | null }} type={props.type ?? 'text'} autocomplete={props.autocomplete} />
      )}
      {props.hint && (
        <p id={`${props.id}-hint`} class="hint">
          {props.hint}
        </p>
      )}
      {counting && (
        <p id={`${props.id}-count`} class={length > props.limit! ? 'count over' : 'count'}>
          {length} / {props.limit}
        </p>
      )}
      {props.error && (
        <p id={`${props.id}-error`} class="field-error">
          {props.error}
        </p>
      )}
    </div>
  );
}
