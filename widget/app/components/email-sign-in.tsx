import { useState } from 'preact/hooks';
import type { Controller } from '../controller.js';
import { Field } from './field.js';
import { EMAIL } from './new-ticket.js';

/** On the portal: a customer on another device asks for a link that brings their tickets here. */
export function EmailSignIn({ c }: { c: Controller }) {
  const t = c.t.value;
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  if (!c.emailSignIn()) return null;
  if (sent) {
    return (
      <p class="notice info" role="status">
        {t('signInSent', { email: email.trim() })}
      </p>
    );
  }
  const submit = async (e: Event) => {
    e.preventDefault();
    const address = email.trim();
    if (!EMAIL.test(address)) return setError(t('invalidEmail'));
    setBusy(true);
    const failure = await c.requestEmailLink(address);
    setBusy(false);
    setError(failure);
    setSent(!failure);
  };
  return (
    <form class="sign-in" onSubmit={submit} noValidate aria-labelledby="cl-sign-in-title">
      <h3 id="cl-sign-in-title" class="section-title">
        {t('signInTitle')}
      </h3>
      <Field id="cl-sign-in" label={t('email')} type="email" autocomplete="email" value={email} onInput={setEmail} hint={t('signInHint')} error={error} />
      <button type="submit" class="secondary wide" disabled={busy}>
        {busy ? t('sending') : t('signInSend')}
      </button>
    </form>
  );
}
