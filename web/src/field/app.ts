// The walkers' field app: join with an invite code, then the home screen. It keeps working
// without network once loaded (service worker + the profile kept on the phone).
import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, setCsrfToken, type Session } from '../lib/api';
import { t } from '../i18n';
import { clearProfile, codeFromHash, loadProfile, profileOf, saveProfile, type Profile } from './state';
import { Walker } from './walk';

function useOnline(): boolean {
  const [online, setOnline] = useState(navigator.onLine);
  useEffect(() => {
    const on = () => setOnline(true);
    const off = () => setOnline(false);
    addEventListener('online', on);
    addEventListener('offline', off);
    return () => {
      removeEventListener('online', on);
      removeEventListener('offline', off);
    };
  }, []);
  return online;
}

function useOfflineReady(): boolean {
  const [ready, setReady] = useState(Boolean(navigator.serviceWorker?.controller));
  useEffect(() => {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.ready.then(() => setReady(true)).catch(() => {});
  }, []);
  return ready;
}

export function FieldApp() {
  const [profile, setProfile] = useState<Profile | null>(loadProfile());
  const [checked, setChecked] = useState(false);
  const online = useOnline();
  const offlineReady = useOfflineReady();

  useEffect(() => {
    api
      .session()
      .then((s) => {
        setCsrfToken(s.csrf_token);
        const p = profileOf(s);
        saveProfile(p);
        setProfile(p);
      })
      .catch((e) => {
        if (e instanceof ApiError && e.status === 401) {
          clearProfile();
          setProfile(null);
        }
        // Offline: keep the saved profile.
      })
      .finally(() => setChecked(true));
  }, [online]);

  const signOut = async () => {
    try {
      await api.logout();
    } catch {
      // Offline: the session dies with its cookie's expiry; the phone forgets it now.
    }
    setCsrfToken(null);
    clearProfile();
    setProfile(null);
    history.replaceState(null, '', '/field/');
  };

  const signedIn = (s: Session) => {
    setCsrfToken(s.csrf_token);
    const p = profileOf(s);
    saveProfile(p);
    setProfile(p);
    history.replaceState(null, '', '/field/');
  };

  return html`
    <div class="field">
      <header class="bar">
        <span class="brand"><img src="/field/icons/icon-192.png" alt="" width="28" height="28" />${t('field.title')}</span>
        <span class=${`net ${online ? 'on' : 'off'}`} data-testid="network">${online ? t('common.online') : t('common.offline')}</span>
      </header>
      <main>
        ${profile
          ? html`<${Walker} profile=${profile} online=${online} offlineReady=${offlineReady} onSignOut=${signOut} />`
          : checked || !online
            ? html`<${Join} online=${online} onJoined=${signedIn} />`
            : html`<p class="muted center">${t('common.loading')}</p>`}
      </main>
    </div>`;
}

function Join({ online, onJoined }: { online: boolean; onJoined: (s: Session) => void }) {
  const [code, setCode] = useState(codeFromHash(location.hash));
  const [name, setName] = useState('');
  const [staff, setStaff] = useState(false);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onJoined(staff ? await api.login(email, password) : await api.join(code, name));
    } catch (err) {
      const c = err instanceof ApiError ? err.code : '';
      setError(
        c === 'invite_not_found' ? t('field.join.notFound')
        : c === 'invite_expired' ? t('field.join.expired')
        : c === 'invite_used_up' ? t('field.join.usedUp')
        : c === 'network' ? t('field.join.offline')
        : c === 'invalid_credentials' ? t('login.failed')
        : c === 'too_many_attempts' && err instanceof ApiError ? t('login.tooMany', { seconds: err.retryAfter ?? 60 })
        : t('common.error'),
      );
    } finally {
      setBusy(false);
    }
  };
  const val = (set: (v: string) => void) => (e: Event) => set((e.target as HTMLInputElement).value);
  return html`
    <form class="panel" onSubmit=${submit}>
      <h1>${staff ? t('login.title') : t('field.join.title')}</h1>
      ${!staff && html`<p class="muted">${t('field.join.intro')}</p>`}
      ${staff
        ? html`
          <label>${t('login.email')}<input type="email" autocomplete="username" required value=${email} onInput=${val(setEmail)} /></label>
          <label>${t('login.password')}<input type="password" autocomplete="current-password" required value=${password} onInput=${val(setPassword)} /></label>`
        : html`
          <label>${t('field.join.code')}
            <input name="code" class="code" autocomplete="one-time-code" autocapitalize="characters" spellcheck="false" required
              value=${code} onInput=${val(setCode)} placeholder="ABCDE-FGHJK" /></label>
          <label>${t('field.join.name')}<input name="name" autocomplete="given-name" required maxlength="80" value=${name} onInput=${val(setName)} /></label>`}
      ${!online && html`<p class="error">${t('field.join.offline')}</p>`}
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary big" disabled=${busy || !online}>${staff ? t('login.submit') : t('field.join.submit')}</button>
      <button type="button" class="link" onClick=${() => setStaff(!staff)}>${staff ? t('field.join.title') : t('field.staff')}</button>
    </form>`;
}
