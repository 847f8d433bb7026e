// The public sign-up page of a campaign (/inscription/<campaign>): name, contact, postcode,
// availability and consent — nothing more. Made for a phone.
import { render } from 'preact';
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, volunteersApi, type SignupForm } from '../lib/api';
import { t } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import './styles.css';

/** The campaign's short name in the page address. */
export function slugFromPath(path: string): string {
  const m = /^\/inscription\/([a-z0-9-]+)\/?$/.exec(path);
  return m ? m[1] : '';
}

function SignupPage() {
  const slug = slugFromPath(location.pathname);
  const [form, setForm] = useState<SignupForm | null>(null);
  const [missing, setMissing] = useState(false);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [phone, setPhone] = useState('');
  const [postcode, setPostcode] = useState('');
  const [slots, setSlots] = useState<string[]>([]);
  const [consent, setConsent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState<{ territory: string | null } | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    volunteersApi.signupForm(slug).then(setForm).catch(() => setMissing(true));
  }, [slug]);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (!email.trim() && !phone.trim()) return setError(t('signup.needContact'));
    if (!/^\s*\d{2}\s?\d{3}\s*$/.test(postcode)) return setError(t('signup.badPostcode'));
    if (!consent) return setError(t('signup.needConsent'));
    setBusy(true);
    try {
      const r = await volunteersApi.signUp(slug, {
        name, email: email.trim() || undefined, phone: phone.trim() || undefined, postcode, availability: slots, consent,
      });
      setDone({ territory: r.territory_name });
    } catch (err) {
      const msg = err instanceof ApiError ? err.message : '';
      setError(
        err instanceof ApiError && err.code === 'too_many_attempts' ? t('signup.tooMany', { seconds: err.retryAfter ?? 60 })
        : err instanceof ApiError && err.code === 'signup_closed' ? t('signup.closed')
        : msg.startsWith('email') ? t('signup.badEmail')
        : msg.startsWith('phone') ? t('signup.badPhone')
        : msg.startsWith('postcode') ? t('signup.badPostcode')
        : t('common.error'),
      );
    } finally {
      setBusy(false);
    }
  };
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  const toggle = (s: string) => setSlots(slots.includes(s) ? slots.filter((x) => x !== s) : [...slots, s]);
  let body;
  if (missing) body = html`<p class="error" role="alert">${t('signup.unknown')}</p>`;
  else if (!form) body = html`<p class="muted">${t('common.loading')}</p>`;
  else if (done)
    body = html`<div class="done" role="status">
      <h2>${t('signup.done')}</h2>
      <p>${done.territory ? t('signup.doneWhere', { territory: done.territory }) : t('signup.doneNowhere')}</p></div>`;
  else if (!form.open) body = html`<p class="error" role="alert">${t('signup.closed')}</p>`;
  else
    body = html`
      <form onSubmit=${submit} novalidate>
        <p class="intro">${t('signup.intro', { campaign: form.campaign_name })}</p>
        <label>${t('signup.name')}<input name="name" autocomplete="name" required maxlength="80" value=${name} onInput=${val(setName)} /></label>
        <label>${t('signup.email')}<input name="email" type="email" autocomplete="email" value=${email} onInput=${val(setEmail)} /></label>
        <label>${t('signup.phone')}<input name="phone" type="tel" autocomplete="tel" value=${phone} onInput=${val(setPhone)} /></label>
        <p class="hint">${t('signup.contactHint')}</p>
        <label>${t('signup.postcode')}<input name="postcode" inputmode="numeric" autocomplete="postal-code" required maxlength="6"
          value=${postcode} onInput=${val(setPostcode)} /></label>
        <p class="hint">${t('signup.postcodeHint')}</p>
        <fieldset>
          <legend>${t('signup.availability')}</legend>
          ${form.slots.map((s) => html`<label class="check"><input type="checkbox" checked=${slots.includes(s)} onChange=${() => toggle(s)} />
            ${t(`slot.${s}` as MessageKey)}</label>`)}
        </fieldset>
        <label class="check consent"><input type="checkbox" name="consent" checked=${consent} onChange=${() => setConsent(!consent)} />
          ${t('signup.consent')}</label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" class="primary big" disabled=${busy}>${t('signup.submit')}</button>
        <p class="hint">${t('signup.privacy')}</p>
      </form>`;
  return html`
    <div class="signup">
      <header class="bar"><span class="brand"><img src="/favicon.png" alt="" width="28" height="28" />${t('app.name')}</span></header>
      <main>
        <h1>${t('signup.title')}</h1>
        ${form && !done && html`<p class="campaign">${form.campaign_name}</p>`}
        ${body}
      </main>
    </div>`;
}

const root = document.getElementById('app');
if (root) render(html`<${SignupPage} />`, root);
