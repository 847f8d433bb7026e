// The coordinators' dashboard: sign-in, then the shell (campaign switcher, navigation) around
// the overview, the territory tree, the team, invites and the audit log.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ComponentChildren } from 'preact';
import { api, ApiError, setCsrfToken, type MyCampaign, type Role, type Session } from '../lib/api';
import { t } from '../i18n';
import { can, homePage, type Page } from '../lib/access';
import { Overview } from './overview';
import { Territories } from './territories';
import { Team } from './team';
import { Invites } from './invites';
import { AuditLog } from './audit';
import { MapPage } from './map';
import { TargetingPage } from './targeting';
import { ImportsPage } from './imports';
import { ExperimentPage } from './experiment';
import { SurveyPage } from './survey';
import { Volunteers } from './volunteers';
import { Trainings } from './trainings';
import { Sorties } from './sorties';
import { TurfsPage } from './turfs';
import { Questionnaires } from './questionnaires';
import { FieldProgress } from './field';
import { PaperPage } from './paper';
import { QuotasPage, WeightingPage } from './quotas';
import { Diagnostic } from './diagnostic';

const PAGES: Page[] = [
  'overview', 'territories', 'map', 'targeting', 'experiment', 'survey', 'quotas', 'weighting', 'turfs', 'questionnaires', 'field', 'paper', 'diagnostic', 'team', 'invites',
  'volunteers', 'trainings', 'sorties', 'imports', 'audit',
];
/** Pages reached from another page, not from the navigation. */
const HIDDEN: Page[] = ['experiment'];

function currentRoute(): { page: Page; arg: string | null } {
  const [page, arg] = location.hash.replace(/^#\/?/, '').split('/');
  return { page: (PAGES as string[]).includes(page) ? (page as Page) : 'overview', arg: arg ?? null };
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [state, setState] = useState<'loading' | 'signed-out' | 'ready'>('loading');

  useEffect(() => {
    api
      .session()
      .then((s) => {
        setCsrfToken(s.csrf_token);
        setSession(s);
        setState('ready');
      })
      .catch(() => setState('signed-out'));
  }, []);

  if (state === 'loading') return html`<div class="splash">${t('common.loading')}</div>`;
  if (state === 'signed-out' || !session)
    return html`<${Login}
      onSignedIn=${(s: Session) => {
        setCsrfToken(s.csrf_token);
        setSession(s);
        setState('ready');
      }}
    />`;
  return html`<${Shell}
    session=${session}
    onSignedOut=${() => {
      setCsrfToken(null);
      setSession(null);
      setState('signed-out');
    }}
  />`;
}

function Login({ onSignedIn }: { onSignedIn: (s: Session) => void }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onSignedIn(await api.login(email, password));
    } catch (err) {
      if (err instanceof ApiError && err.code === 'too_many_attempts') setError(t('login.tooMany', { seconds: err.retryAfter ?? 60 }));
      else if (err instanceof ApiError && err.status === 401) setError(t('login.failed'));
      else setError(t('common.error'));
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main class="login">
      <form class="card login-card" onSubmit=${submit} aria-labelledby="login-title">
        <div class="brand"><img src="/favicon.png" alt="" width="40" height="40" /><span>${t('app.name')}</span></div>
        <h1 id="login-title">${t('login.title')}</h1>
        <p class="muted">${t('login.subtitle')}</p>
        <label>${t('login.email')}
          <input type="email" name="email" autocomplete="username" required value=${email}
            onInput=${(e: Event) => setEmail((e.target as HTMLInputElement).value)} />
        </label>
        <label>${t('login.password')}
          <input type="password" name="password" autocomplete="current-password" required value=${password}
            onInput=${(e: Event) => setPassword((e.target as HTMLInputElement).value)} />
        </label>
        ${error && html`<p class="error" role="alert">${error}</p>`}
        <button type="submit" class="primary" disabled=${busy}>${t('login.submit')}</button>
        <p class="muted small">${t('login.walkerHint')} <a href="/field/">${t('login.fieldLink')}</a></p>
      </form>
    </main>`;
}

function Shell({ session, onSignedOut }: { session: Session; onSignedOut: () => void }) {
  const [route, setRoute] = useState(currentRoute());
  const [campaignId, setCampaignId] = useState<string | null>(
    localStorage.getItem('terrain.campaign') ?? session.campaigns[0]?.campaign.id ?? null,
  );
  useEffect(() => {
    const onHash = () => setRoute(currentRoute());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  const mine: MyCampaign | undefined = useMemo(
    () => session.campaigns.find((c) => c.campaign.id === campaignId) ?? session.campaigns[0],
    [session, campaignId],
  );
  const logout = async () => {
    try {
      await api.logout();
    } finally {
      onSignedOut();
    }
  };
  if (!mine) {
    return html`<main class="login"><div class="card"><h1>${t('app.name')}</h1><p>${t('common.none')}</p>
      <button onClick=${logout}>${t('nav.logout')}</button></div></main>`;
  }
  const role: Role = mine.role;
  const pages = PAGES.filter((p) => can(role, p));
  const page = pages.includes(route.page) ? route.page : homePage(role);
  let content: ComponentChildren;
  switch (page) {
    case 'territories':
      content = html`<${Territories} mine=${mine} selected=${route.arg} />`;
      break;
    case 'team':
      content = html`<${Team} mine=${mine} />`;
      break;
    case 'invites':
      content = html`<${Invites} mine=${mine} />`;
      break;
    case 'audit':
      content = html`<${AuditLog} mine=${mine} />`;
      break;
    case 'map':
      content = html`<${MapPage} mine=${mine} />`;
      break;
    case 'targeting':
      content = html`<${TargetingPage} mine=${mine} />`;
      break;
    case 'experiment':
      content = route.arg ? html`<${ExperimentPage} mine=${mine} id=${route.arg} />` : html`<${TargetingPage} mine=${mine} />`;
      break;
    case 'survey':
      content = html`<${SurveyPage} mine=${mine} />`;
      break;
    case 'imports':
      content = html`<${ImportsPage} mine=${mine} />`;
      break;
    case 'volunteers':
      content = html`<${Volunteers} mine=${mine} selected=${route.arg} />`;
      break;
    case 'trainings':
      content = html`<${Trainings} mine=${mine} selected=${route.arg} />`;
      break;
    case 'sorties':
      content = html`<${Sorties} mine=${mine} />`;
      break;
    case 'turfs':
      content = html`<${TurfsPage} mine=${mine} selected=${route.arg} />`;
      break;
    case 'questionnaires':
      content = html`<${Questionnaires} mine=${mine} selected=${route.arg} />`;
      break;
    case 'field':
      content = html`<${FieldProgress} mine=${mine} />`;
      break;
    case 'paper':
      content = html`<${PaperPage} mine=${mine} />`;
      break;
    case 'diagnostic':
      content = html`<${Diagnostic} mine=${mine} />`;
      break;
    case 'quotas':
      content = html`<${QuotasPage} mine=${mine} />`;
      break;
    case 'weighting':
      content = html`<${WeightingPage} mine=${mine} />`;
      break;
    default:
      content = html`<${Overview} mine=${mine} />`;
  }
  return html`
    <div class="shell">
      <header class="topbar">
        <a class="brand" href=${`#/${homePage(role)}`}><img src="/favicon.png" alt="" width="28" height="28" /><span>${t('app.name')}</span></a>
        <label class="switcher">
          <span class="sr-only">${t('nav.campaign')}</span>
          <select aria-label=${t('nav.campaign')} value=${mine.campaign.id}
            onChange=${(e: Event) => {
              const id = (e.target as HTMLSelectElement).value;
              localStorage.setItem('terrain.campaign', id);
              setCampaignId(id);
            }}>
            ${session.campaigns.map((c) => html`<option value=${c.campaign.id}>${c.campaign.name}</option>`)}
          </select>
        </label>
        <div class="who">
          <span class="name">${session.user.display_name}</span>
          <span class="badge role-${role}">${t(`role.${role}`)}</span>
          <button class="link" onClick=${logout}>${t('nav.logout')}</button>
        </div>
      </header>
      <nav class="sidebar" aria-label="Navigation">
        ${pages.filter((p) => !HIDDEN.includes(p)).map(
          (p) => html`<a href=${`#/${p}`} class=${p === page ? 'active' : ''} aria-current=${p === page ? 'page' : undefined}>${t(`nav.${p}`)}</a>`,
        )}
      </nav>
      <main class="content">${content}</main>
    </div>`;
}
