/**
 * Every word a customer reads in an email or on a link's page, in the widget's
 * languages. `{name}` placeholders are filled by `say`; the values are escaped
 * by whoever puts the result into HTML.
 */
export const MAIL_LOCALES = ['en', 'et', 'it'] as const;
export type MailLocale = (typeof MAIL_LOCALES)[number];

const en = {
  hello: 'Hello {name},',
  helloAnonymous: 'Hello,',
  receiptIntro: 'We received your request and will answer as soon as we can. This is what you wrote:',
  receiptProve: 'Open your ticket from the link below once, and we will send our replies to this address too.',
  viewTicket: 'View your ticket',
  replyIntro: '{agent} replied to your request:',
  supportTeam: 'The support team',
  replyHint: 'Reply to this email to answer, or view the whole conversation:',
  resolutionIntro: 'We believe your request is solved:',
  resolutionQuestion: 'Is it solved?',
  confirm: "Yes, it's solved",
  reject: 'No, I still need help',
  autoCloseOn: 'If we do not hear from you, the ticket will be closed on {date}.',
  autoClosedIntro: 'We closed your request as solved because we did not hear back.',
  reopenUntil: 'Not solved after all? You can reopen it until {date}.',
  reopen: 'Reopen the ticket',
  signInSubject: 'Your sign-in link for {site} support',
  signInIntro: 'Press the button to see your support tickets with {site}. The link works for 30 minutes, once.',
  signIn: 'Sign in',
  signInIgnore: 'If you did not ask for this, ignore this email: nothing happens.',
  footer: 'You receive this email because you contacted {site} support.',
  unsubscribe: 'Unsubscribe',
  // Link pages
  viewQuestion: 'Open your ticket “{subject}”?',
  viewButton: 'Open my ticket',
  confirmQuestion: 'Is your request “{subject}” solved?',
  confirmDone: 'Ticket closed. Thank you!',
  rejectQuestion: 'What do you still need help with?',
  rejectPlaceholder: 'Tell us what is missing',
  rejectDone: 'Thank you. We reopened your ticket and will get back to you.',
  reopenQuestion: 'Reopen “{subject}”?',
  reopenReason: 'Why? (optional)',
  reopenDone: 'Ticket reopened. We will get back to you.',
  reopenWindowEnded: 'This ticket was closed too long ago to reopen. Open it to start a follow-up instead.',
  unsubscribeQuestion: 'Stop all emails from {site} support to {address}?',
  unsubscribeDone: 'You are unsubscribed: {site} support will not email {address} again.',
  signInQuestion: 'Sign in to {site} support as {address}?',
  expired: 'This link has expired',
  expiredHint: 'Links in our emails work for a limited time. Open the support page to see your tickets.',
  used: 'This link was already used',
  withdrawn: 'Nothing changed: this ticket is no longer waiting for your answer. It is now {status}.',
  missingText: 'Please write what you still need help with.',
  failed: 'Something went wrong. Please try again in a moment.',
  backToSupport: 'Go to the support page',
  statusNew: 'new',
  statusOpen: 'open',
  statusAnswered: 'answered',
  statusResolved: 'resolved',
  statusClosed: 'closed',
};

export type MailTexts = typeof en;

const et: MailTexts = {
  hello: 'Tere, {name}!',
  helloAnonymous: 'Tere!',
  receiptIntro: 'Saime sinu pöördumise kätte ja vastame niipea kui võimalik. Sa kirjutasid:',
  receiptProve: 'Ava oma pöördumine allolevast lingist üks kord, siis saadame oma vastused ka sellele aadressile.',
  viewTicket: 'Vaata oma pöördumist',
  replyIntro: '{agent} vastas sinu pöördumisele:',
  supportTeam: 'Klienditugi',
  replyHint: 'Vastamiseks vasta sellele kirjale või vaata kogu vestlust:',
  resolutionIntro: 'Meie hinnangul on sinu mure lahendatud:',
  resolutionQuestion: 'Kas see on lahendatud?',
  confirm: 'Jah, lahendatud',
  reject: 'Ei, vajan veel abi',
  autoCloseOn: 'Kui me sinult ei kuule, suletakse pöördumine {date}.',
  autoClosedIntro: 'Sulgesime sinu pöördumise lahendatuna, sest me ei kuulnud sinust.',
  reopenUntil: 'Pole siiski lahendatud? Saad selle uuesti avada kuni {date}.',
  reopen: 'Ava pöördumine uuesti',
  signInSubject: 'Sinu sisselogimislink: {site} klienditugi',
  signInIntro: 'Vajuta nuppu, et näha oma pöördumisi ettevõttele {site}. Link kehtib 30 minutit ja ühe korra.',
  signIn: 'Logi sisse',
  signInIgnore: 'Kui sa seda ei küsinud, jäta see kiri tähelepanuta: midagi ei juhtu.',
  footer: 'Saad selle kirja, sest võtsid ühendust ettevõtte {site} klienditoega.',
  unsubscribe: 'Loobu kirjadest',
  viewQuestion: 'Kas avada pöördumine „{subject}”?',
  viewButton: 'Ava minu pöördumine',
  confirmQuestion: 'Kas pöördumine „{subject}” on lahendatud?',
  confirmDone: 'Pöördumine on suletud. Aitäh!',
  rejectQuestion: 'Millega vajad veel abi?',
  rejectPlaceholder: 'Kirjuta, mis on veel puudu',
  rejectDone: 'Aitäh! Avasime pöördumise uuesti ja võtame sinuga ühendust.',
  reopenQuestion: 'Kas avada „{subject}” uuesti?',
  reopenReason: 'Miks? (ei ole kohustuslik)',
  reopenDone: 'Pöördumine on uuesti avatud. Võtame sinuga ühendust.',
  reopenWindowEnded: 'See pöördumine suleti liiga ammu, et seda uuesti avada. Ava see, et alustada jätkupöördumist.',
  unsubscribeQuestion: 'Kas lõpetada kõik kirjad ettevõtte {site} klienditoelt aadressile {address}?',
  unsubscribeDone: 'Oled kirjadest loobunud: {site} klienditugi ei saada aadressile {address} enam kirju.',
  signInQuestion: 'Kas logida ettevõtte {site} klienditoe lehele sisse kui {address}?',
  expired: 'See link on aegunud',
  expiredHint: 'Meie kirjade lingid kehtivad piiratud aja. Ava klienditoe leht, et näha oma pöördumisi.',
  used: 'Seda linki on juba kasutatud',
  withdrawn: 'Midagi ei muutunud: see pöördumine ei oota enam sinu vastust. Selle olek on nüüd „{status}”.',
  missingText: 'Palun kirjuta, millega vajad veel abi.',
  failed: 'Midagi läks valesti. Palun proovi hetke pärast uuesti.',
  backToSupport: 'Mine klienditoe lehele',
  statusNew: 'uus',
  statusOpen: 'avatud',
  statusAnswered: 'vastatud',
  statusResolved: 'lahendatud',
  statusClosed: 'suletud',
};

const it: MailTexts = {
  hello: 'Ciao {name},',
  helloAnonymous: 'Ciao,',
  receiptIntro: 'Abbiamo ricevuto la tua richiesta e ti risponderemo il prima possibile. Ecco cosa hai scritto:',
  receiptProve: 'Apri una volta la tua richiesta dal link qui sotto e ti invieremo le nostre risposte anche a questo indirizzo.',
  viewTicket: 'Vedi la tua richiesta',
  replyIntro: '{agent} ha risposto alla tua richiesta:',
  supportTeam: "L'assistenza",
  replyHint: "Rispondi a questa email per replicare, oppure vedi l'intera conversazione:",
  resolutionIntro: 'Pensiamo che la tua richiesta sia risolta:',
  resolutionQuestion: 'È risolta?',
  confirm: 'Sì, è risolta',
  reject: 'No, ho ancora bisogno di aiuto',
  autoCloseOn: 'Se non ti sentiamo, la richiesta verrà chiusa il {date}.',
  autoClosedIntro: 'Abbiamo chiuso la tua richiesta come risolta perché non abbiamo ricevuto risposta.',
  reopenUntil: 'Non è risolta? Puoi riaprirla fino al {date}.',
  reopen: 'Riapri la richiesta',
  signInSubject: "Il tuo link di accesso all'assistenza di {site}",
  signInIntro: "Premi il pulsante per vedere le tue richieste all'assistenza di {site}. Il link vale 30 minuti, una sola volta.",
  signIn: 'Accedi',
  signInIgnore: 'Se non lo hai chiesto tu, ignora questa email: non succede nulla.',
  footer: "Ricevi questa email perché hai contattato l'assistenza di {site}.",
  unsubscribe: 'Annulla iscrizione',
  viewQuestion: 'Aprire la tua richiesta «{subject}»?',
  viewButton: 'Apri la mia richiesta',
  confirmQuestion: 'La tua richiesta «{subject}» è risolta?',
  confirmDone: 'Richiesta chiusa. Grazie!',
  rejectQuestion: 'Per cosa hai ancora bisogno di aiuto?',
  rejectPlaceholder: 'Scrivici cosa manca',
  rejectDone: 'Grazie. Abbiamo riaperto la tua richiesta e ti risponderemo presto.',
  reopenQuestion: 'Riaprire «{subject}»?',
  reopenReason: 'Perché? (facoltativo)',
  reopenDone: 'Richiesta riaperta. Ti risponderemo presto.',
  reopenWindowEnded: 'Questa richiesta è stata chiusa troppo tempo fa per essere riaperta. Aprila per inviarne una di seguito.',
  unsubscribeQuestion: "Interrompere tutte le email dell'assistenza di {site} a {address}?",
  unsubscribeDone: "Iscrizione annullata: l'assistenza di {site} non scriverà più a {address}.",
  signInQuestion: "Accedere all'assistenza di {site} come {address}?",
  expired: 'Questo link è scaduto',
  expiredHint: "I link nelle nostre email valgono per un tempo limitato. Apri la pagina dell'assistenza per vedere le tue richieste.",
  used: 'Questo link è già stato usato',
  withdrawn: 'Non è cambiato nulla: questa richiesta non attende più una tua risposta. Ora è «{status}».',
  missingText: 'Scrivi per cosa hai ancora bisogno di aiuto.',
  failed: 'Qualcosa è andato storto. Riprova tra un momento.',
  backToSupport: "Vai alla pagina dell'assistenza",
  statusNew: 'nuova',
  statusOpen: 'aperta',
  statusAnswered: 'con risposta',
  statusResolved: 'risolta',
  statusClosed: 'chiusa',
};

const TEXTS: Record<MailLocale, MailTexts> = { en, et, it };

export const mailLocale = (value: string | null | undefined): MailLocale =>
  (MAIL_LOCALES as readonly string[]).includes(value ?? '') ? (value as MailLocale) : 'en';

/** A translator for one language: `say('hello', { name })`. */
export function translator(locale: string | null | undefined) {
  const lang = mailLocale(locale);
  const texts = TEXTS[lang];
  const say = (key: keyof MailTexts, values: Record<string, string> = {}) =>
    texts[key].replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
  /** A date as people write it there, with the time zone named (customers live in many). */
  const date = (ms: number) =>
    new Intl.DateTimeFormat(lang, { year: 'numeric', month: 'long', day: 'numeric', hour: '2-digit', minute: '2-digit', timeZone: 'UTC', timeZoneName: 'short' }).format(ms);
  const status = (value: string) => {
    const key = `status${value.charAt(0).toUpperCase()}${value.slice(1)}` as keyof MailTexts;
    return key in texts ? texts[key] : value;
  };
  return { lang, say, date, status };
}

export type Translator = ReturnType<typeof translator>;
