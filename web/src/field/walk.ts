// The walker's day: choose a sector and download its package, then walk it — the stops on a
// map and in a list, each door one tap for its outcome, the questionnaire — with no network.
// Everything recorded goes to the outbox in IndexedDB and is uploaded by the Syncer.
import { html } from 'htm/preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, type Territory } from '../lib/api';
import { fieldApi, type MyTurf, type Outcome, type Package, type PackageBuilding, type PackageChoice, type Stop } from '../lib/field-api';
import { SurveyForm, type SurveyResult } from '../lib/survey-form';
import { formatDateTime, formatNumber, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { FieldDb, type Mark } from './db';
import { FieldMap, type PointState } from './map';
import { doorKey, doorsOf, markKey, nextDoor, stopProgress, type DoorView } from './pkg';
import * as rec from './records';
import type { Rejected } from './outbox';
import { Syncer, type SyncState } from './sync';
import type { Profile } from './state';
import { WantedPanel } from './wanted';
import { NextSorties } from './sorties';

/** The outcomes a walker taps (a questionnaire done is recorded by finishing one). */
const TAPS: Outcome[] = ['not_home', 'refused', 'conversation', 'come_back_later', 'do_not_knock'];

type Route =
  | { at: 'home' }
  | { at: 'sector' }
  | { at: 'stops' }
  | { at: 'stop'; address: string; building?: string; door?: string }
  | { at: 'survey'; address: string; building: string; door: string };

function parseRoute(hash: string): Route {
  const [at, a, b, c] = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (at === 'secteur') return { at: 'sector' };
  if (at === 'adresses') return { at: 'stops' };
  if (at === 'adresse' && a) return { at: 'stop', address: a, building: b || undefined, door: c || undefined };
  if (at === 'questionnaire' && a && b && c) return { at: 'survey', address: a, building: b, door: c };
  return { at: 'home' };
}

export function go(path: string): void {
  location.hash = path;
}

function useRoute(): Route {
  const [route, setRoute] = useState(parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** The walker's screens, once signed in. */
export function Walker({ profile, online, offlineReady, onSignOut }: {
  profile: Profile;
  online: boolean;
  offlineReady: boolean;
  onSignOut: () => void;
}) {
  const route = useRoute();
  const [db, setDb] = useState<FieldDb | null>(null);
  const [dbError, setDbError] = useState(false);
  const [pkg, setPkg] = useState<Package | null>(null);
  const [marks, setMarks] = useState<Map<string, Mark>>(new Map());
  const [sync, setSync] = useState<SyncState | null>(null);
  const [syncer, setSyncer] = useState<Syncer | null>(null);

  useEffect(() => {
    let s: Syncer | null = null;
    let unsub = () => {};
    FieldDb.open()
      .then(async (d) => {
        setDb(d);
        setPkg((await d.package()) ?? null);
        setMarks(new Map((await d.marks()).map((m) => [m.key, m])));
        s = new Syncer(d, () => profile.campaignId);
        unsub = s.subscribe(setSync);
        setSyncer(s);
        s.start();
      })
      .catch(() => setDbError(true));
    return () => {
      unsub();
      s?.stop();
    };
  }, [profile.campaignId]);

  /** Records made together, with the marks they leave and the package as it now is. */
  const record = async (records: rec.FieldRecord[], newMarks: Mark[] = [], newPkg?: Package) => {
    if (!db) return;
    await db.enqueue(records, newMarks, newPkg);
    if (newMarks.length) {
      const m = new Map(marks);
      for (const x of newMarks) m.set(x.key, x);
      setMarks(m);
    }
    if (newPkg) setPkg(newPkg);
    await syncer?.refresh();
    if (navigator.onLine) void syncer?.syncNow();
  };

  if (dbError) return html`<p class="error panel">${t('walk.noStorage')}</p>`;
  if (!db || !sync || !syncer) return html`<p class="muted center">${t('common.loading')}</p>`;

  const bar = html`<${SyncBar} state=${sync} online=${online} onSync=${() => syncer.syncNow()} />`;
  switch (route.at) {
    case 'sector':
      return html`${bar}<${SectorPicker} profile=${profile} online=${online}
        onChosen=${async (choice: PackageChoice) => {
          await syncer.syncNow();
          const p = await fieldApi.package(profile.campaignId ?? '', choice);
          await db.savePackage(p);
          setPkg(p);
          setMarks(new Map());
          go('/adresses');
        }} />`;
    case 'stops':
      return pkg ? html`${bar}<${StopList} pkg=${pkg} marks=${marks} />` : html`${bar}<${NoPackage} />`;
    case 'stop': {
      const stop = pkg?.stops.find((s) => s.address_id === route.address);
      if (!pkg || !stop) return html`${bar}<${NoPackage} />`;
      return html`${bar}<${StopView} key=${`${stop.address_id}/${route.building ?? ''}`} pkg=${pkg} stop=${stop} marks=${marks}
        building=${route.building} door=${route.door} record=${record} />`;
    }
    case 'survey': {
      const stop = pkg?.stops.find((s) => s.address_id === route.address);
      if (!pkg || !stop) return html`${bar}<${NoPackage} />`;
      return html`<${SurveyScreen} pkg=${pkg} stop=${stop} building=${route.building} door=${route.door} record=${record} />`;
    }
    default:
      return html`<${Home} profile=${profile} pkg=${pkg} sync=${sync} syncer=${syncer} db=${db} online=${online}
        offlineReady=${offlineReady} onSignOut=${onSignOut} />`;
  }
}

function SyncBar({ state, online, onSync }: { state: SyncState; online: boolean; onSync: () => void }) {
  const label = state.syncing
    ? t('sync.sending')
    : state.waiting > 0
      ? t('sync.waiting', { n: state.waiting })
      : t('sync.allSent');
  return html`<div class=${`syncbar ${state.waiting > 0 ? 'waiting' : 'clear'}`} data-testid="sync-bar">
    <span data-testid="sync-waiting" data-waiting=${state.waiting}>${label}</span>
    <span class="muted small">${state.lastSync ? t('sync.last', { when: formatDateTime(state.lastSync) }) : ''}</span>
    <button type="button" class="small-btn" disabled=${!online || state.syncing} onClick=${onSync}>${t('sync.now')}</button>
  </div>`;
}

function NoPackage() {
  return html`<div class="panel"><p>${t('walk.noPackage')}</p>
    <button type="button" class="primary big" onClick=${() => go('/secteur')}>${t('walk.prepare')}</button></div>`;
}

function Home({ profile, pkg, sync, syncer, db, online, offlineReady, onSignOut }: {
  profile: Profile; pkg: Package | null; sync: SyncState; syncer: Syncer; db: FieldDb; online: boolean;
  offlineReady: boolean; onSignOut: () => void;
}) {
  const [rejected, setRejected] = useState<Rejected[]>([]);
  const [confirmOut, setConfirmOut] = useState(false);
  const [leaving, setLeaving] = useState(false);
  useEffect(() => {
    void db.rejectedList().then(setRejected);
  }, [sync.rejected]);
  const errorKey: Record<string, MessageKey> = { network: 'sync.errorNetwork', session: 'sync.errorSession', busy: 'sync.errorBusy', server: 'sync.errorServer' };
  return html`
    <section>
      <h1>${t('field.home.hello', { name: profile.name })}</h1>
      <div class="panel">
        <div class="label">${t('field.home.campaign')}</div>
        <div class="strong">${profile.campaign ?? '—'}</div>
        <div class="label">${t('field.home.territory')}</div>
        <div class="strong">${profile.territories.join(', ') || '—'}</div>
      </div>
      ${!pkg && html`<${NextSorties} online=${online} />`}
      <div class="panel">
        <div class="label">${t('walk.outing')}</div>
        ${pkg
          ? html`<div class="strong">${packageTitle(pkg)}</div>
            <p class="muted small">${t('walk.packageInfo', { n: formatNumber(pkg.stops.length), when: formatDateTime(pkg.made_at) })}</p>
            <button type="button" class="primary big" onClick=${() => go('/adresses')}>${t('walk.continue')}</button>
            <button type="button" class="link" onClick=${() => go('/secteur')}>${t('walk.changeSector')}</button>`
          : html`<p>${t('field.home.noSession')}</p>
            <button type="button" class="primary big" onClick=${() => go('/secteur')}>${t('walk.prepare')}</button>`}
      </div>
      <div class="panel">
        <div class="label">${t('sync.title')}</div>
        <p class="strong-line" data-testid="sync-waiting" data-waiting=${sync.waiting}>${sync.syncing
          ? t('sync.sending')
          : sync.waiting > 0 ? t('sync.waiting', { n: sync.waiting }) : t('sync.allSent')}</p>
        ${!online && sync.waiting > 0
          ? html`<p class="muted">${t('sync.offline')}</p>`
          : sync.lastError && html`<p class="error">${t(errorKey[sync.lastError] ?? 'sync.errorServer')}</p>`}
        <p class="muted small">${sync.lastSync ? t('sync.last', { when: formatDateTime(sync.lastSync) }) : t('sync.never')}</p>
        <button type="button" disabled=${!online || sync.syncing} onClick=${() => syncer.syncNow()}>${t('sync.now')}</button>
      </div>
      <${WantedPanel} online=${online} />
      ${pkg && html`<${NextSorties} online=${online} />`}
      ${rejected.length > 0 && html`<div class="panel warn" data-testid="rejected">
        <div class="label">${t('sync.rejectedTitle', { n: rejected.length })}</div>
        <ul class="rejected">${rejected.map((r) => html`<li>
          <span>${t(`record.${r.record.kind}` as MessageKey)} — ${r.message || r.code}</span>
          <button type="button" class="link" onClick=${async () => {
            await db.dismiss(r.id);
            setRejected(await db.rejectedList());
            await syncer.refresh();
          }}>${t('sync.dismiss')}</button></li>`)}</ul>
      </div>`}
      <p class=${`status ${offlineReady ? 'ok' : 'muted'}`} data-testid="offline-ready">
        ${offlineReady ? t('field.home.offlineReady') : t('field.home.offlineNotReady')}
      </p>
      <p class="muted small">${t('field.home.lastSync', { when: formatDateTime(profile.savedAt) })}</p>
      <p class="muted small">${t('field.home.install')}</p>
      ${confirmOut
        ? html`<div class="panel warn" role="alertdialog">
            <p>${sync.waiting > 0 ? t('walk.signOutUnsynced', { n: sync.waiting }) : t('walk.signOutSure')}</p>
            <button type="button" class="danger big" onClick=${async () => {
              // A last upload first: only what still waits after it is lost.
              if (navigator.onLine) await syncer.syncNow();
              if (syncer.state.waiting > 0 && !leaving) {
                setLeaving(true);
                return;
              }
              syncer.stop();
              await db.clear();
              onSignOut();
            }}>${leaving ? t('walk.signOutAnyway', { n: sync.waiting }) : t('walk.signOutConfirm')}</button>
            <button type="button" onClick=${() => {
              setConfirmOut(false);
              setLeaving(false);
            }}>${t('common.cancel')}</button>
          </div>`
        : html`<button type="button" class="link" onClick=${() => setConfirmOut(true)}>${t('nav.logout')}</button>`}
    </section>`;
}

/** What a package is called: "Secteur 2 · Bureau 18-01" for a turf's, else its territory. */
export function packageTitle(pkg: Package): string {
  return pkg.turf ? t('walk.turfTitle', { n: pkg.turf.number, bureau: pkg.territory.name }) : pkg.territory.name;
}

function SectorPicker({ profile, online, onChosen }: { profile: Profile; online: boolean; onChosen: (choice: PackageChoice) => Promise<void> }) {
  const [choices, setChoices] = useState<Territory[] | null>(null);
  const [turfs, setTurfs] = useState<MyTurf[] | null>(null);
  const [q, setQ] = useState('');
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Directors and administrators have the whole campaign: they search its bureaux.
  const campaignWide = profile.scope.length === 0;
  useEffect(() => {
    if (!online || !profile.campaignId) return;
    const c = profile.campaignId;
    let live = true;
    fieldApi.myTurfs(c).then((x) => live && setTurfs(x)).catch(() => live && setTurfs([]));
    (async () => {
      const out: Territory[] = [];
      if (campaignWide) {
        out.push(...(await api.territories(c, { kind: 'bureau', q: q.trim() || undefined, limit: 200 })));
      }
      for (const s of profile.scope) {
        if (s.kind === 'bureau' || s.kind === 'iris') {
          out.push({ id: s.id, kind: s.kind, code: s.code, name: s.name, parent_id: null, child_count: 0 });
        } else {
          out.push(...(await api.territories(c, { parent: s.id, kind: 'bureau', limit: 1000 })));
        }
      }
      if (live) setChoices(out);
    })().catch(() => live && setError(t('common.error')));
    return () => {
      live = false;
    };
  }, [online, profile.campaignId, campaignWide ? q : '']);
  if (!online) return html`<div class="panel"><p class="error">${t('walk.sectorOffline')}</p></div>`;
  const shown = (choices ?? []).filter((c) => !q.trim() || `${c.name} ${c.code}`.toLowerCase().includes(q.trim().toLowerCase()));
  const choose = async (key: string, choice: PackageChoice) => {
    setBusy(key);
    setError(null);
    try {
      await onChosen(choice);
    } catch (e) {
      setError(e instanceof ApiError && e.code === 'package_too_large' ? t('walk.tooLarge')
        : e instanceof ApiError && e.code === 'turf_retired' ? t('walk.turfRetired') : t('common.error'));
    } finally {
      setBusy(null);
    }
  };
  return html`<section>
    <button type="button" class="link back" onClick=${() => go('/')}>${t('walk.backHome')}</button>
    <h1>${t('walk.sectorTitle')}</h1>
    ${turfs && turfs.length > 0 && html`<div class="panel" data-testid="my-turfs">
      <div class="label">${t('walk.myTurfs')}</div>
      <p class="muted small">${t('walk.myTurfsIntro')}</p>
      <ul class="choices">
        ${turfs.map((x) => html`<li>
          <button type="button" class="choice turf-choice" disabled=${busy !== null} onClick=${() => choose(x.id, { turf: x.id })}>
            <span><span class="strong">${t('walk.turfTitle', { n: x.number, bureau: x.bureau_name })}</span>
              <span class="muted small block">${t('walk.turfFacts', { stops: formatNumber(x.stops), doors: formatNumber(x.doors), min: formatNumber(Math.round(x.minutes)) })}</span></span>
            <span class="muted small">${busy === x.id ? t('walk.downloading') : t('walk.turfUntil', { when: formatDateTime(x.until) })}</span>
          </button></li>`)}
      </ul>
    </div>`}
    <p class="muted">${t('walk.sectorIntro')}</p>
    <input type="search" aria-label=${t('walk.sectorSearch')} placeholder=${t('walk.sectorSearch')} value=${q}
      onInput=${(e: Event) => setQ((e.target as HTMLInputElement).value)} />
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${!choices && !error && html`<p class="muted">${t('common.loading')}</p>`}
    <ul class="choices">
      ${shown.map((c) => html`<li>
        <button type="button" class="choice" disabled=${busy !== null} onClick=${() => choose(c.id, { territory: c.id })}>
          <span>${c.name}</span><span class="muted small">${busy === c.id ? t('walk.downloading') : c.code}</span>
        </button></li>`)}
    </ul>
  </section>`;
}

function stateOf(stop: Stop, marks: Map<string, Mark>): PointState {
  const { done, total } = stopProgress(stop, marks);
  return done === 0 ? 'todo' : done >= total ? 'done' : 'partial';
}

function StopList({ pkg, marks }: { pkg: Package; marks: Map<string, Mark> }) {
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<string | null>(null);
  const progress = useMemo(() => pkg.stops.map((s) => ({ s, p: stopProgress(s, marks), st: stateOf(s, marks) })), [pkg, marks]);
  const doors = progress.reduce((a, x) => a + x.p.done, 0);
  const shown = progress.filter(({ s }) => !q.trim() || s.label.toLowerCase().includes(q.trim().toLowerCase()));
  return html`<section>
    <button type="button" class="link back" onClick=${() => go('/')}>${t('walk.backHome')}</button>
    <h1>${packageTitle(pkg)}</h1>
    ${pkg.turf && html`<p class="muted small">${t('walk.turfWalk', { min: formatNumber(Math.round(pkg.turf.minutes)), km: formatNumber(Math.round(pkg.turf.length_m / 100) / 10) })}</p>`}
    <p class="muted small">${t('walk.listInfo', { stops: formatNumber(pkg.stops.length), doors: formatNumber(doors) })}</p>
    <div class="map-card">
      <${FieldMap} features=${pkg.map.features} selected=${picked} route=${Boolean(pkg.turf_id)}
        points=${progress.map(({ s, st }) => ({ id: s.address_id, lon: s.lon, lat: s.lat, state: st, label: s.label }))}
        onPick=${(id: string) => {
          setPicked(id);
          document.getElementById(`stop-${id}`)?.scrollIntoView({ block: 'center' });
        }} />
      <div class="legend small"><span class="k todo"></span>${t('walk.legendTodo')}<span class="k partial"></span>${t('walk.legendPartial')}<span class="k done"></span>${t('walk.legendDone')}</div>
    </div>
    <input type="search" aria-label=${t('walk.search')} placeholder=${t('walk.search')} value=${q}
      onInput=${(e: Event) => setQ((e.target as HTMLInputElement).value)} />
    <ol class="stops">
      ${shown.map(({ s, p, st }) => html`<li id=${`stop-${s.address_id}`} class=${picked === s.address_id ? 'picked' : ''}>
        <a href=${`#/adresse/${s.address_id}`} class=${`stop-link ${st}`}>
          <span class="n">${s.order}</span>
          <span class="addr">${s.label}</span>
          <span class="badge">${t('walk.doorsDone', { done: p.done, total: p.total })}</span>
        </a></li>`)}
    </ol>
  </section>`;
}

const OUTCOME_CLASS: Record<Outcome, string> = {
  not_home: 'o-away', refused: 'o-no', conversation: 'o-talk', questionnaire_done: 'o-done', come_back_later: 'o-later', do_not_knock: 'o-dnk',
};

function doorName(d: DoorView): string {
  return d.ref.number ? t('walk.door', { n: d.label }) : d.label;
}

function StopView({ pkg, stop, marks, building, door, record }: {
  pkg: Package; stop: Stop; marks: Map<string, Mark>; building?: string; door?: string;
  record: (r: rec.FieldRecord[], m?: Mark[], p?: Package) => Promise<void>;
}) {
  const b: PackageBuilding | undefined = stop.buildings.find((x) => x.id === building) ?? stop.buildings[0];
  const doors = b ? doorsOf(b, marks) : [];
  // Undefined: the next door to knock on.
  const [chosen, setCurrent] = useState<string | undefined>(door);
  const current = chosen ?? nextDoor(doors)?.key;
  const [confirmDnk, setConfirmDnk] = useState(false);
  const [floor, setFloor] = useState<string>('');
  const idx = pkg.stops.indexOf(stop);
  const next = pkg.stops[idx + 1];
  const cur = doors.find((d) => d.key === current);
  const questionnaire = pkg.questionnaires[0];
  useEffect(() => setConfirmDnk(false), [current]);

  const mark = (d: DoorView, outcome: Outcome): Mark => ({
    key: markKey(b!.id, d.ref), building_id: b!.id, door_key: d.key, outcome, at: new Date().toISOString(),
  });
  const tap = async (outcome: Outcome) => {
    if (!b || !cur) return;
    await record([rec.visit(stop.address_id, b.id, cur.ref, outcome, pkg.turf_id)], [mark(cur, outcome)]);
    const after = doorsOf(b, new Map([...marks, [markKey(b.id, cur.ref), mark(cur, outcome)]]));
    setCurrent(nextDoor(after, cur.key)?.key);
  };
  const bulk = async (targets: DoorView[]) => {
    if (!b || targets.length === 0) return;
    await record(targets.map((d) => rec.visit(stop.address_id, b.id, d.ref, 'not_home', pkg.turf_id)), targets.map((d) => mark(d, 'not_home')));
    setCurrent(undefined);
  };
  const open = doors.filter((d) => !d.mine && !d.doNotKnock);
  const floors = [...new Set(doors.filter((d) => d.floor !== null).map((d) => d.floor as number))].sort((x, y) => x - y);
  const withBuilding = (f: (p: PackageBuilding) => void): Package => {
    const copy: Package = structuredClone(pkg);
    const target = copy.stops.find((s) => s.address_id === stop.address_id)?.buildings.find((x) => x.id === b?.id);
    if (target) f(target);
    return copy;
  };

  return html`<section>
    <button type="button" class="link back" onClick=${() => go('/adresses')}>${t('walk.backList')}</button>
    <h1 class="address">${stop.label}</h1>
    <p class="muted small">${t('walk.stopOf', { i: stop.order, n: pkg.stops.length })}${stop.postcode ? ` · ${stop.postcode}` : ''}</p>
    ${stop.buildings.length > 1 && html`<div class="tabs" role="tablist">
      ${stop.buildings.map((x, i) => html`<a role="tab" aria-selected=${x.id === b?.id} class=${x.id === b?.id ? 'active' : ''}
        href=${`#/adresse/${stop.address_id}/${x.id}`}>${x.label || t('walk.building', { n: i + 1 })}</a>`)}
    </div>`}
    ${!b
      ? html`<p class="muted">${t('walk.noBuilding')}</p>`
      : html`
      <div class="doors" role="list" aria-label=${t('walk.doors')}>
        ${doors.map((d) => html`<button type="button" role="listitem"
          class=${`door ${d.outcome ? OUTCOME_CLASS[d.outcome] : ''} ${d.mine ? 'mine' : ''} ${d.doNotKnock ? 'dnk' : ''} ${d.key === current ? 'current' : ''}`}
          aria-label=${`${doorName(d)}${d.outcome ? ` : ${t(`outcome.${d.outcome}` as MessageKey)}` : ''}`}
          onClick=${() => setCurrent(d.key)}>${d.doNotKnock ? '⛔' : d.label}</button>`)}
      </div>
      ${cur
        ? html`<div class="panel door-card" data-testid="door-card">
            <div class="door-title"><strong>${doorName(cur)}</strong>${cur.floor !== null && html`<span class="muted small">${t('walk.floor', { n: cur.floor })}</span>`}</div>
            ${cur.outcome && html`<p class="muted small">${cur.mine ? t('walk.doneNow') : t('walk.lastTime')} ${t(`outcome.${cur.outcome}` as MessageKey)}</p>`}
            ${cur.doNotKnock
              ? html`<p class="error strong-line">${t('walk.dnk')}</p>`
              : html`
                ${questionnaire && html`<button type="button" class="primary big"
                  onClick=${() => go(`/questionnaire/${stop.address_id}/${b.id}/${encodeURIComponent(doorKey(cur.ref))}`)}>${t('walk.startSurvey')}</button>`}
                <div class="outcomes">
                  ${TAPS.map((o) => o === 'do_not_knock'
                    ? html`<button type="button" class=${`outcome ${OUTCOME_CLASS[o]} ${confirmDnk ? 'confirm' : ''}`}
                        onClick=${() => (confirmDnk ? tap(o) : setConfirmDnk(true))}>${confirmDnk ? t('walk.dnkConfirm') : t(`outcome.${o}` as MessageKey)}</button>`
                    : html`<button type="button" class=${`outcome ${OUTCOME_CLASS[o]}`} onClick=${() => tap(o)}>${t(`outcome.${o}` as MessageKey)}</button>`)}
                </div>`}
          </div>`
        : html`<div class="panel"><p class="ok">${t('walk.buildingDone')}</p></div>`}
      ${open.length > 0 && html`<button type="button" class="wide" onClick=${() => bulk(open)}>${t('walk.bulkNotHome', { n: open.length })}</button>`}
      ${floors.length > 0 && html`<div class="row">
        <select aria-label=${t('walk.floorPick')} value=${floor} onChange=${(e: Event) => setFloor((e.target as HTMLSelectElement).value)}>
          <option value="">${t('walk.floorPick')}</option>
          ${floors.map((f) => html`<option value=${String(f)}>${t('walk.floor', { n: f })}</option>`)}
        </select>
        <button type="button" disabled=${floor === ''} onClick=${() => bulk(open.filter((d) => String(d.floor) === floor))}>${t('walk.bulkFloor')}</button>
      </div>`}
      <${AddDoor} onAdd=${async (label: string, fl: number | null) => {
        const r = rec.unit(b.id, fl, label);
        await record([r], [], withBuilding((x) => x.units.push({ id: r.id, floor: fl, label })));
        setCurrent(`u:${r.id}`);
      }} />
      <${CorrectDoors} doors=${b.doors} onCorrect=${async (n: number) => {
        await record([rec.doorCount(b.id, n)], [], withBuilding((x) => (x.doors = n)));
      }} />`}
    <div class="next-stop">
      ${next
        ? html`<button type="button" class="primary big" onClick=${() => go(`/adresse/${next.address_id}`)}>${t('walk.nextStop', { label: next.label })}</button>`
        : html`<p class="muted">${t('walk.lastStop')}</p>`}
    </div>
  </section>`;
}

function AddDoor({ onAdd }: { onAdd: (label: string, floor: number | null) => Promise<void> }) {
  const [label, setLabel] = useState('');
  const [floor, setFloor] = useState('');
  const [error, setError] = useState<string | null>(null);
  return html`<details class="panel tool">
    <summary>${t('walk.addDoor')}</summary>
    <label>${t('walk.doorLabel')}<input maxlength="60" value=${label} onInput=${(e: Event) => setLabel((e.target as HTMLInputElement).value)} /></label>
    <label>${t('walk.doorFloor')}<input inputmode="numeric" value=${floor} onInput=${(e: Event) => setFloor((e.target as HTMLInputElement).value)} /></label>
    ${error && html`<p class="error">${error}</p>`}
    <button type="button" onClick=${async () => {
      const f = floor.trim() === '' ? null : Number(floor);
      if (!label.trim()) return setError(t('walk.doorLabelNeeded'));
      if (f !== null && (!Number.isInteger(f) || f < -5 || f > 200)) return setError(t('walk.floorInvalid'));
      setError(null);
      await onAdd(label.trim(), f);
      setLabel('');
      setFloor('');
    }}>${t('walk.addDoorSubmit')}</button>
  </details>`;
}

function CorrectDoors({ doors, onCorrect }: { doors: number; onCorrect: (n: number) => Promise<void> }) {
  const [n, setN] = useState(String(doors));
  const [saved, setSaved] = useState(false);
  return html`<details class="panel tool">
    <summary>${t('walk.correctDoors', { n: doors })}</summary>
    <label>${t('walk.doorCount')}<input type="number" inputmode="numeric" min="0" max="999" value=${n}
      onInput=${(e: Event) => {
        setN((e.target as HTMLInputElement).value);
        setSaved(false);
      }} /></label>
    <button type="button" disabled=${!/^\d{1,3}$/.test(n) || Number(n) === doors} onClick=${async () => {
      await onCorrect(Number(n));
      setSaved(true);
    }}>${t('common.save')}</button>
    ${saved && html`<p class="ok small">${t('walk.doorCountSaved')}</p>`}
  </details>`;
}

function SurveyScreen({ pkg, stop, building, door, record }: {
  pkg: Package; stop: Stop; building: string; door: string;
  record: (r: rec.FieldRecord[], m?: Mark[], p?: Package) => Promise<void>;
}) {
  const [which, setWhich] = useState(pkg.questionnaires.length === 1 ? 0 : -1);
  const back = () => go(`/adresse/${stop.address_id}/${building}`);
  const ref = door.startsWith('u:') ? { unit: door.slice(2) } : { number: Number(door.slice(2)) };
  if (which < 0) {
    return html`<section><button type="button" class="link back" onClick=${back}>${t('walk.backStop')}</button>
      <h1>${t('walk.whichSurvey')}</h1>
      ${pkg.questionnaires.map((q, i) => html`<button type="button" class="choice" onClick=${() => setWhich(i)}>${q.name}</button>`)}
    </section>`;
  }
  const q = pkg.questionnaires[which];
  const finish = async (r: SurveyResult) => {
    const outcome: Outcome = r.refused ? 'conversation' : 'questionnaire_done';
    const records: rec.FieldRecord[] = [];
    if (!r.refused) records.push(rec.response(q.version_id, stop.address_id, r.answers, r.contact));
    records.push(rec.visit(stop.address_id, building, ref, outcome, pkg.turf_id));
    const m: Mark = { key: `${building}|${door}`, building_id: building, door_key: door, outcome, at: new Date().toISOString() };
    await record(records, [m]);
    back();
  };
  return html`<${SurveyForm} def=${q.definition} codes=${pkg.profile_codes} title=${`${stop.label} · ${ref.number ? t('walk.door', { n: ref.number }) : ''}`}
    onFinish=${finish} onCancel=${back} />`;
}
