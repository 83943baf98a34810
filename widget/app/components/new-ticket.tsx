import { useRef, useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { AttachmentTray, useAttachments } from './attachments.js';
import { Field } from './field.js';

/** The server's limits (server/api/schemas.ts): said before sending, never cut silently. */
export const SUBJECT_LIMIT = 200;
export const MESSAGE_LIMIT = 20_000;

export const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** The new-ticket form (or a follow-up's); the draft is saved as you type and survives a reload. */
export function NewTicket({ c, followUpOf }: { c: Controller; followUpOf?: string | undefined }) {
  const t = c.t.value;
  const draftId = followUpOf ? `follow:${followUpOf}` : 'new';
  const [form, setForm] = useState(() => ({ subject: '', message: '', email: '', name: '', topicId: '', ...c.draft(draftId) }));
  const topics = followUpOf ? [] : (c.site.value?.topics ?? []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const firstInvalid = useRef<HTMLInputElement | HTMLTextAreaElement | null>(null);
  const anonymous = !c.verified.value && !followUpOf;
  const files = useAttachments(c);

  const update = (key: keyof typeof form) => (value: string) => {
    const next = { ...form, [key]: value };
    setForm(next);
    c.saveDraft(draftId, next);
    if (errors[key]) setErrors({ ...errors, [key]: '' });
  };

  function validate() {
    const found: Record<string, string> = {};
    if (!followUpOf && !form.subject.trim()) found.subject = t('required');
    else if (!followUpOf && form.subject.trim().length > SUBJECT_LIMIT) found.subject = t('tooLong', { limit: SUBJECT_LIMIT });
    if (!form.message.trim()) found.message = t('required');
    else if (form.message.trim().length > MESSAGE_LIMIT) found.message = t('tooLong', { limit: MESSAGE_LIMIT });
    if (anonymous && form.email.trim() && !EMAIL.test(form.email.trim())) found.email = t('invalidEmail');
    setErrors(found);
    return Object.keys(found).length === 0;
  }

  async function submit(e: Event) {
    e.preventDefault();
    if (!validate()) {
      queueMicrotask(() => firstInvalid.current?.focus());
      return;
    }
    const ids = files.ids();
    if (!ids) return;
    await c.submitTicket(
      {
        subject: form.subject.trim(),
        message: form.message.trim(),
        ...(topics.some((x) => x.id === form.topicId) ? { topicId: form.topicId } : {}),
        ...(anonymous && form.email.trim() ? { email: form.email.trim() } : {}),
        ...(anonymous && form.name.trim() ? { name: form.name.trim() } : {}),
      },
      followUpOf,
      ids,
    );
  }

  const refFor = (key: string) => (Object.keys(errors).find((k) => errors[k]) === key ? firstInvalid : undefined);

  return (
    <form class="view" onSubmit={(e) => void submit(e)} noValidate {...(followUpOf ? {} : files.handlers)}>
      {followUpOf && <p class="muted">{t('followUpHint')}</p>}
      {!followUpOf && t('intro') && <p class="intro">{t('intro')}</p>}
      {topics.length > 0 && (
        <div class="field">
          <label for="cl-topic">{`${t('topic')} (${t('optional')})`}</label>
          <select id="cl-topic" value={form.topicId} onChange={(e) => update('topicId')(e.currentTarget.value)}>
            <option value="">—</option>
            {topics.map((x) => (
              <option value={x.id}>{x.labels[c.locale.value] ?? x.labels.en}</option>
            ))}
          </select>
        </div>
      )}
      {!followUpOf && (
        <Field id="cl-subject" label={t('subject')} value={form.subject} onInput={update('subject')} error={errors.subject} required limit={SUBJECT_LIMIT} inputRef={refFor('subject')} />
      )}
      <Field
        id="cl-message"
        label={followUpOf ? t('followUpMessage') : t('message')}
        multiline
        value={form.message}
        onInput={update('message')}
        error={errors.message}
        required
        limit={MESSAGE_LIMIT}
        hint={t('draftKept')}
        inputRef={refFor('message')}
      />
      {!followUpOf && <AttachmentTray c={c} a={files} />}
      {anonymous && (
        <>
          <Field id="cl-email" label={`${t('email')} (${t('optional')})`} type="email" autocomplete="email" value={form.email} onInput={update('email')} error={errors.email} hint={t('emailHint')} inputRef={refFor('email')} />
          <Field id="cl-name" label={`${t('name')} (${t('optional')})`} autocomplete="name" value={form.name} onInput={update('name')} />
        </>
      )}
      {c.actionError.value && (
        <p class="notice error" role="alert">
          {c.actionError.value}
        </p>
      )}
      <button type="submit" class="primary wide" disabled={c.busy.value || !files.ids()}>
        {c.busy.value ? t('sending') : t('send')}
      </button>
    </form>
  );
}
