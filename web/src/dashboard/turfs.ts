// Turfs: the bureaux cut into turfs of about N doors, on the map (turfs coloured, stops
// numbered in walking order), their quality; cutting a bureau, editing its turfs with the
// mouse (pick stops and move them, split, merge, draw a polygon), handing a turf out with an
// expiry, and printing its walk sheet.
import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, ApiError, volunteersApi, type Member, type MyCampaign, type Territory } from '../lib/api';
import { useAsync } from '../lib/hooks';
import {
  formatMetres, formatMinutes, toggle, turfApi, turfColor,
  type BureauPlan, type CutResult, type Turf, type TurfList,
} from '../lib/turf-api';
import { formatDateTime, formatNumber, t } from '../i18n';
import type { MessageKey } from '../i18n/fr';
import { TurfMap } from './turf-map';
import './turfs.css';

type Notice = { kind: 'ok' | 'error'; text: string } | null;

const KNOWN_ERRORS = new Set([
  'turf_locked', 'turf_checked_out', 'turf_plan_changed', 'no_addresses', 'assignee_out_of_scope',
  'invalid_edit', 'territory_out_of_scope', 'forbidden_role', 'invalid_input', 'not_trained',
]);

/** A refusal said in French (the server's own words kept as detail). */
export function errorText(err: unknown): string {
  if (err instanceof ApiError && KNOWN_ERRORS.has(err.code)) {
    return `${t(`turfs.error.${err.code}` as MessageKey)} (${err.message})`;
  }
  if (err instanceof ApiError && err.code === 'network') return t('turfs.error.network');
  return `${t('common.error')} : ${err instanceof Error ? err.message : String(err)}`;
}

const go = (bureau: string | null) => {
  location.hash = bureau ? `#/turfs/${bureau}` : '#/turfs';
};

export function TurfsPage({ mine, selected }: { mine: MyCampaign; selected: string | null }) {
  const id = mine.campaign.id;
  const canEdit = ['admin', 'director', 'coordinator'].includes(mine.role);
  const canAssign = canEdit || mine.role === 'trainer';
  const bureau = selected;
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  const [turfId, setTurfId] = useState<string | null>(null);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [drawing, setDrawing] = useState(false);
  const [ring, setRing] = useState<Array<[number, number]>>([]);
  const [notice, setNotice] = useState<Notice>(null);
  const [busy, setBusy] = useState(false);
  const list = useAsync(() => turfApi.list(id, bureau ? { territory: bureau } : {}), [id, bureau, tick]);
  // Tagged with the bureau it was loaded for: the map must not fit the new bureau's view to
  // the previous page's data while the new data loads.
  const geo = useAsync(
    () => turfApi.geojson(id, bureau ? { territory: bureau, stops: true } : {}).then((fc) => ({ bureau, fc })),
    [id, bureau, tick],
  );
  const geoData = geo.data && geo.data.bureau === bureau ? geo.data.fc : null;
  const bureaux = useAsync(() => api.territories(id, { kind: 'bureau', limit: 2000 }), [id]);
  const outlines = useAsync(() => api.map(id, 'bureau'), [id]);
  const members = useAsync(() => (canAssign ? api.members(id) : Promise.resolve([] as Member[])), [id, canAssign]);

  useEffect(() => {
    setTurfId(null);
    setPicked(new Set());
    setDrawing(false);
    setRing([]);
  }, [bureau]);

  const turfs = useMemo(() => new Map((list.data?.turfs ?? []).map((x) => [x.id, x])), [list.data]);
  const turf = turfId ? turfs.get(turfId) ?? null : null;
  const plan: BureauPlan | undefined = bureau ? list.data?.bureaux.find((b) => b.bureau_id === bureau) : undefined;
  const bureauName = plan?.name ?? bureaux.data?.find((b) => b.id === bureau)?.name ?? '';

  /** Runs a change, says how it went, reloads. */
  const act = async (f: () => Promise<string>) => {
    setBusy(true);
    setNotice(null);
    try {
      const text = await f();
      setNotice({ kind: 'ok', text });
      reload();
    } catch (err) {
      setNotice({ kind: 'error', text: errorText(err) });
      reload();
    } finally {
      setBusy(false);
    }
  };

  const onTurf = useCallback((tid: string) => {
    const x = turfs.get(tid);
    if (!bureau && x) go(x.bureau_id);
    setTurfId(tid);
  }, [turfs, bureau]);
  const onStop = useCallback((address: string, tid: string) => {
    if (!canEdit) {
      setTurfId(tid);
      return;
    }
    setPicked((p) => {
      if (p.size === 0) setTurfId(tid);
      return toggle(p, address);
    });
  }, [canEdit]);
  const onMapClick = useCallback((lon: number, lat: number) => setRing((r) => [...r, [lon, lat]]), []);

  return html`
    <section class="turfs-page">
      <h1>${t('turfs.title')}</h1>
      <p class="muted">${t('turfs.intro')}</p>
      ${canEdit && html`<${CutForm} campaign=${id} mine=${mine} bureaux=${bureaux.data ?? []} current=${bureau} busy=${busy} run=${act} />`}
      ${notice && html`<p class=${`card notice ${notice.kind}`} role=${notice.kind === 'error' ? 'alert' : 'status'}>${notice.text}</p>`}
      ${list.error && html`<p class="card error" role="alert">${errorText(list.error)}</p>`}
      ${bureau
        ? html`<div class="turf-head">
            <a href="#/turfs" class="back">${t('turfs.allBureaux')}</a>
            <h2>${bureauName}${plan && html` <span class="muted small">${t('turfs.version', { n: plan.version, kind: t(`turfs.kind.${plan.kind}` as MessageKey) })}</span>`}</h2>
          </div>
          ${plan && html`<${QualityCards} plan=${plan} network=${list.data?.network ?? null} />`}`
        : null}
      <div class="map-layout">
        <div class="card map-card">
          <${TurfMap} data=${geoData} outlines=${outlines.data} turfs=${turfs} selectedTurf=${turfId} picked=${picked}
            drawing=${drawing} ring=${ring} onTurf=${onTurf} onStop=${onStop} onMapClick=${onMapClick} fitKey=${bureau ?? 'all'} />
          <p class="legend small">${bureau ? t('turfs.legendBureau') : t('turfs.legendAll')}</p>
        </div>
        <aside class="card side turf-side">
          ${!bureau && html`<${BureauList} data=${list.data} />`}
          ${bureau && drawing && html`<${DrawPanel} turfs=${[...turfs.values()]} ring=${ring} busy=${busy}
            onCancel=${() => { setDrawing(false); setRing([]); }}
            onUndo=${() => setRing((r) => r.slice(0, -1))}
            onDone=${(to: string) => act(async () => {
              const r = await turfApi.redraw(id, ring, to ? { to } : { bureau: bureau ?? undefined });
              setDrawing(false);
              setRing([]);
              return t('turfs.redrawn', { n: String(r.summary.moved ?? 0) });
            })} />`}
          ${bureau && !drawing && picked.size > 0 && html`<${PickPanel} picked=${picked} turfs=${[...turfs.values()]} busy=${busy}
            onClear=${() => setPicked(new Set())}
            onMove=${(to: string) => act(async () => {
              await turfApi.move(id, [...picked], to);
              const n = picked.size;
              setPicked(new Set());
              setTurfId(to);
              return t('turfs.moved', { n, turf: turfs.get(to)?.number ?? '' });
            })} />`}
          ${bureau && !drawing && turf && html`<${TurfPanel} campaign=${id} turf=${turf} turfs=${[...turfs.values()]} canEdit=${canEdit}
            canAssign=${canAssign} members=${members.data ?? []} busy=${busy} run=${act} onGone=${() => setTurfId(null)} />`}
          ${bureau && !drawing && !turf && picked.size === 0 && html`<p class="muted">${canEdit ? t('turfs.pickHint') : t('turfs.pickHintRead')}</p>`}
          ${bureau && canEdit && !drawing && html`<p><button onClick=${() => { setDrawing(true); setRing([]); setPicked(new Set()); }}>${t('turfs.draw')}</button></p>`}
        </aside>
      </div>
      ${bureau && list.data && html`<${TurfTable} turfs=${list.data.turfs} selected=${turfId} onSelect=${setTurfId} />`}
      ${bureau && turf && html`<${StopList} campaign=${id} turf=${turf} picked=${picked} canEdit=${canEdit} tick=${tick}
        onPick=${(a: string) => setPicked((p) => toggle(p, a))} />`}
    </section>`;
}

/** What a cut did, in a sentence. */
export function cutSummary(r: CutResult): string {
  const done = r.bureaux.filter((b) => b.outcome !== 'skipped');
  const skipped = r.bureaux.filter((b) => b.outcome === 'skipped');
  let s = t('turfs.cutDone', { turfs: formatNumber(r.turfs), bureaux: done.length });
  const kept = done.reduce((n, b) => n + Number(b.summary?.kept_locked ?? 0), 0);
  if (kept > 0) s += ` ${t('turfs.keptLocked', { n: kept })}`;
  if (skipped.length > 0) s += ` ${t('turfs.skipped', { n: skipped.length, names: skipped.map((b) => b.name).join(', ') })}`;
  return s;
}

function CutForm({ campaign, mine, bureaux, current, busy, run }: {
  campaign: string; mine: MyCampaign; bureaux: Territory[]; current: string | null; busy: boolean;
  run: (f: () => Promise<string>) => void;
}) {
  const [territory, setTerritory] = useState<string>('');
  const [target, setTarget] = useState(80);
  const chosen = territory || current || bureaux[0]?.id || '';
  const submit = (e: Event) => {
    e.preventDefault();
    if (!chosen) return;
    run(async () => {
      const r = await turfApi.cut(campaign, chosen, { target_doors: target });
      // One bureau cut: show it.
      if (bureaux.some((b) => b.id === chosen)) go(chosen);
      return cutSummary(r);
    });
  };
  return html`
    <form class="card toolbar cut-form" onSubmit=${submit} aria-label=${t('turfs.cutTitle')}>
      <label>${t('turfs.cutWhat')}
        <select value=${chosen} aria-label=${t('turfs.cutWhat')} onChange=${(e: Event) => setTerritory((e.target as HTMLSelectElement).value)}>
          ${mine.territories.filter((x) => x.kind !== 'bureau').map((x) => html`<option value=${x.id}>${t('turfs.allOf', { name: x.name })}</option>`)}
          ${bureaux.map((b) => html`<option value=${b.id}>${b.name} (${b.code})</option>`)}
        </select>
      </label>
      <label>${t('turfs.target')}
        <input type="number" min="10" max="400" step="5" value=${target} required
          onInput=${(e: Event) => setTarget(Number((e.target as HTMLInputElement).value))} />
      </label>
      <button type="submit" class="primary" disabled=${busy || !chosen}>${t('turfs.cut')}</button>
      <span class="muted small">${t('turfs.cutHelp')}</span>
    </form>`;
}

function QualityCards({ plan, network }: { plan: BureauPlan; network: TurfList['network'] }) {
  const q = plan.quality;
  const f = (v: number, d = 2) => v.toLocaleString('fr-FR', { maximumFractionDigits: d, minimumFractionDigits: d });
  return html`
    <div class="cards quality" data-testid="turf-quality">
      <div class="card stat"><div class="label">${t('turfs.q.turfs')}</div><div class="value">${q.turfs}</div>
        <div class="muted small">${t('turfs.q.target', { n: plan.params.target_doors ?? '—' })}</div></div>
      <div class="card stat"><div class="label">${t('turfs.q.doors')}</div><div class="value">${f(q.doors_mean, 1)} ± ${f(q.doors_std, 1)}</div>
        <div class="muted small">${t('turfs.q.range', { min: q.doors_min, max: q.doors_max })}</div></div>
      <div class="card stat"><div class="label">${t('turfs.q.compact')}</div><div class="value">${f(q.polsby_popper_mean)}</div>
        <div class="muted small">${t('turfs.q.p10', { v: f(q.polsby_popper_p10) })}</div></div>
      <div class="card stat"><div class="label">${t('turfs.q.overlap')}</div><div class="value">${f(q.hull_overlap, 3)}</div>
        <div class="muted small">${t('turfs.q.radius', { m: Math.round(q.rms_radius_m) })}</div></div>
      <div class="card stat"><div class="label">${t('turfs.q.walking')}</div><div class="value small">${network ? t('turfs.q.onStreets') : t('turfs.q.straight')}</div>
        ${q.streets && html`<div class="muted small">${t('turfs.q.split', { pct: Math.round(100 * q.streets.split_share) })}</div>`}</div>
    </div>`;
}

function BureauList({ data }: { data: TurfList | null }) {
  if (!data) return html`<p class="muted">${t('common.loading')}</p>`;
  if (data.bureaux.length === 0) return html`<p class="muted">${t('turfs.none')}</p>`;
  const count = new Map<string, number>();
  for (const x of data.turfs) count.set(x.bureau_id, (count.get(x.bureau_id) ?? 0) + 1);
  return html`
    <h2>${t('turfs.cutBureaux', { n: data.bureaux.length })}</h2>
    <ul class="bureau-list">
      ${data.bureaux.map((b) => html`<li>
        <a href=${`#/turfs/${b.bureau_id}`}>${b.name}</a>
        <span class="muted small">${t('turfs.bureauLine', { turfs: count.get(b.bureau_id) ?? 0, doors: formatNumber(b.quality.doors), pp: b.quality.polsby_popper_mean.toFixed(2).replace('.', ',') })}</span>
      </li>`)}
    </ul>`;
}

function statusBadge(x: Turf) {
  return html`<span class=${`badge turf-${x.status}`}>${t(`turfs.status.${x.status}` as MessageKey)}</span>`;
}

function TurfPanel({ campaign, turf, turfs, canEdit, canAssign, members, busy, run, onGone }: {
  campaign: string; turf: Turf; turfs: Turf[]; canEdit: boolean; canAssign: boolean; members: Member[]; busy: boolean;
  run: (f: () => Promise<string>) => void; onGone: () => void;
}) {
  const [other, setOther] = useState('');
  const others = turfs.filter((x) => x.id !== turf.id && x.status === 'planned');
  const locked = turf.status === 'checked_out' || turf.status === 'done';
  const print = () => {
    const frame = document.createElement('iframe');
    frame.className = 'print-frame';
    frame.title = t('turfs.sheet');
    frame.src = turfApi.sheetUrl(campaign, turf.id);
    frame.onload = () => {
      frame.contentWindow?.focus();
      frame.contentWindow?.print();
      setTimeout(() => frame.remove(), 60_000);
    };
    document.body.appendChild(frame);
  };
  return html`
    <div class="turf-panel" data-testid="turf-panel">
      <h2><i class="swatch" style=${{ background: turfColor(turf.number) }}></i>${t('turfs.turfN', { n: turf.number })} ${statusBadge(turf)}</h2>
      <dl class="facts">
        <dt>${t('turfs.stops')}</dt><dd>${turf.stops}</dd>
        <dt>${t('turfs.doors')}</dt><dd>${turf.doors}</dd>
        <dt>${t('turfs.walk')}</dt><dd>${formatMetres(turf.length_m)}${turf.on_network ? '' : html` <span class="muted small">${t('turfs.straight')}</span>`}</dd>
        <dt>${t('turfs.duration')}</dt><dd>${formatMinutes(turf.minutes)}</dd>
        <dt>${t('turfs.compactness')}</dt><dd>${turf.polsby_popper === null ? '—' : turf.polsby_popper.toFixed(2).replace('.', ',')}</dd>
      </dl>
      <p class="sheet-actions">
        <a class="button" href=${turfApi.sheetUrl(campaign, turf.id)} target="_blank" rel="noopener">${t('turfs.openSheet')}</a>
        <button type="button" onClick=${print}>${t('turfs.printSheet')}</button>
      </p>
      ${canAssign && html`<${Handout} campaign=${campaign} turf=${turf} members=${members} busy=${busy} run=${run} />`}
      ${canEdit && html`<div class="edit-actions">
        <h3>${t('turfs.edit')}</h3>
        ${locked && html`<p class="muted small">${t('turfs.lockedHint')}</p>`}
        <p><button type="button" disabled=${busy || locked || turf.stops < 2}
          onClick=${() => run(async () => { await turfApi.split(campaign, turf.id, 2); return t('turfs.splitDone', { n: turf.number }); })}>${t('turfs.split')}</button></p>
        <div class="inline-form">
          <label>${t('turfs.mergeWith')}
            <select value=${other} onChange=${(e: Event) => setOther((e.target as HTMLSelectElement).value)}>
              <option value="">—</option>
              ${others.map((x) => html`<option value=${x.id}>${t('turfs.turfN', { n: x.number })} (${x.doors} ${t('turfs.doorsShort')})</option>`)}
            </select>
          </label>
          <button type="button" disabled=${busy || locked || !other}
            onClick=${() => run(async () => { await turfApi.merge(campaign, turf.id, other); setOther(''); return t('turfs.mergeDone', { n: turf.number }); })}>${t('turfs.merge')}</button>
        </div>
      </div>`}
      ${turf.status === 'retired' && html`<p class="muted">${t('turfs.retired')} <button class="link" onClick=${onGone}>${t('common.close')}</button></p>`}
    </div>`;
}

function Handout({ campaign, turf, members, busy, run }: {
  campaign: string; turf: Turf; members: Member[]; busy: boolean; run: (f: () => Promise<string>) => void;
}) {
  const [user, setUser] = useState('');
  const [team, setTeam] = useState('');
  const [hours, setHours] = useState(4);
  const [sortie, setSortie] = useState('');
  // The sorties still to come: handing a turf out for one makes it last until the sortie ends.
  const sorties = useAsync(
    () => volunteersApi.sorties(campaign).then((all) => all.filter((s) => Date.parse(s.ends_at) > Date.now())),
    [campaign],
  );
  const people = members.filter((m) => m.role !== 'director' && m.role !== 'admin');
  const c = turf.checkout;
  if (turf.status === 'checked_out' && c) {
    return html`<div class="handout" data-testid="handout">
      <p>${t('turfs.outTo', { who: [c.to_name, c.team].filter(Boolean).join(' · ') || t('turfs.aSession'), until: formatDateTime(c.expires_at) })}</p>
      <p class="row">
        <button type="button" disabled=${busy} onClick=${() => run(async () => { await turfApi.done(campaign, turf.id); return t('turfs.doneDone', { n: turf.number }); })}>${t('turfs.markDone')}</button>
        <button type="button" disabled=${busy} onClick=${() => run(async () => { await turfApi.release(campaign, turf.id); return t('turfs.released', { n: turf.number }); })}>${t('turfs.release')}</button>
      </p>
    </div>`;
  }
  if (turf.status === 'done') {
    return html`<div class="handout" data-testid="handout">
      <p>${t('turfs.doneOn', { when: turf.done_at ? formatDateTime(turf.done_at) : '' })}</p>
      <button type="button" disabled=${busy} onClick=${() => run(async () => { await turfApi.release(campaign, turf.id); return t('turfs.reopened', { n: turf.number }); })}>${t('turfs.reopen')}</button>
    </div>`;
  }
  const submit = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const out = await turfApi.checkout(campaign, turf.id, {
        user_id: user || undefined, team: team.trim() || undefined,
        session_id: sortie || undefined, hours: sortie ? undefined : hours,
      });
      setUser('');
      setTeam('');
      setSortie('');
      return t('turfs.handedOut', { n: turf.number, until: out.checkout ? formatDateTime(out.checkout.expires_at) : '' });
    });
  };
  return html`<form class="handout" data-testid="handout" onSubmit=${submit}>
    <h3>${t('turfs.handout')}</h3>
    ${c?.lapsed && html`<p class="muted small">${t('turfs.lapsed', { who: c.to_name ?? c.team ?? '' })}</p>`}
    <label>${t('turfs.person')}
      <select value=${user} onChange=${(e: Event) => setUser((e.target as HTMLSelectElement).value)}>
        <option value="">—</option>
        ${people.map((m) => html`<option value=${m.user.id}>${m.user.display_name} (${t(`role.${m.role}` as MessageKey)})</option>`)}
      </select>
    </label>
    <label>${t('turfs.team')}<input type="text" maxlength="120" value=${team} placeholder=${t('turfs.teamPlaceholder')}
      onInput=${(e: Event) => setTeam((e.target as HTMLInputElement).value)} /></label>
    ${(sorties.data?.length ?? 0) > 0 && html`<label>${t('turfs.sortie')}
      <select value=${sortie} data-testid="handout-sortie" onChange=${(e: Event) => setSortie((e.target as HTMLSelectElement).value)}>
        <option value="">${t('turfs.noSortie')}</option>
        ${sorties.data!.map((s) => html`<option value=${s.id}>${s.title} · ${formatDateTime(s.starts_at)}</option>`)}
      </select>
    </label>`}
    ${!sortie && html`<label>${t('turfs.until')}
      <select value=${String(hours)} onChange=${(e: Event) => setHours(Number((e.target as HTMLSelectElement).value))}>
        ${[2, 3, 4, 6, 8, 24, 48, 168].map((h) => html`<option value=${h}>${t('turfs.hours', { h })}</option>`)}
      </select>
    </label>`}
    <button type="submit" class="primary" disabled=${busy || (!user && !team.trim())}>${t('turfs.handOut')}</button>
  </form>`;
}

function PickPanel({ picked, turfs, busy, onClear, onMove }: {
  picked: ReadonlySet<string>; turfs: Turf[]; busy: boolean; onClear: () => void; onMove: (to: string) => void;
}) {
  const [to, setTo] = useState('');
  const targets = turfs.filter((x) => x.status === 'planned');
  return html`<div class="pick-panel" data-testid="pick-panel">
    <h2>${t('turfs.picked', { n: picked.size })}</h2>
    <label>${t('turfs.moveTo')}
      <select value=${to} onChange=${(e: Event) => setTo((e.target as HTMLSelectElement).value)}>
        <option value="">—</option>
        ${targets.map((x) => html`<option value=${x.id}>${t('turfs.turfN', { n: x.number })} (${x.doors} ${t('turfs.doorsShort')})</option>`)}
      </select>
    </label>
    <p class="row">
      <button type="button" class="primary" disabled=${busy || !to} onClick=${() => onMove(to)}>${t('turfs.move')}</button>
      <button type="button" onClick=${onClear}>${t('turfs.clear')}</button>
    </p>
  </div>`;
}

function DrawPanel({ turfs, ring, busy, onCancel, onUndo, onDone }: {
  turfs: Turf[]; ring: Array<[number, number]>; busy: boolean; onCancel: () => void; onUndo: () => void; onDone: (to: string) => void;
}) {
  const [to, setTo] = useState('');
  return html`<div class="draw-panel" data-testid="draw-panel">
    <h2>${t('turfs.drawTitle')}</h2>
    <p class="muted small">${t('turfs.drawHelp')}</p>
    <p>${t('turfs.drawPoints', { n: ring.length })}</p>
    <label>${t('turfs.drawTo')}
      <select value=${to} onChange=${(e: Event) => setTo((e.target as HTMLSelectElement).value)}>
        <option value="">${t('turfs.newTurf')}</option>
        ${turfs.filter((x) => x.status === 'planned').map((x) => html`<option value=${x.id}>${t('turfs.turfN', { n: x.number })}</option>`)}
      </select>
    </label>
    <p class="row">
      <button type="button" class="primary" disabled=${busy || ring.length < 3} onClick=${() => onDone(to)}>${t('turfs.drawDone')}</button>
      <button type="button" disabled=${ring.length === 0} onClick=${onUndo}>${t('turfs.drawUndo')}</button>
      <button type="button" onClick=${onCancel}>${t('common.cancel')}</button>
    </p>
  </div>`;
}

function TurfTable({ turfs, selected, onSelect }: { turfs: Turf[]; selected: string | null; onSelect: (id: string) => void }) {
  return html`<div class="card turf-table-card">
    <h2>${t('turfs.tableTitle')}</h2>
    <table class="table turf-table" data-testid="turf-table">
      <thead><tr>
        <th>${t('turfs.col.turf')}</th><th>${t('turfs.doors')}</th><th>${t('turfs.stops')}</th><th>${t('turfs.walk')}</th>
        <th>${t('turfs.duration')}</th><th>${t('turfs.compactness')}</th><th>${t('turfs.col.status')}</th><th>${t('turfs.col.who')}</th>
      </tr></thead>
      <tbody>
        ${turfs.map((x) => html`<tr class=${x.id === selected ? 'chosen' : ''}>
          <td data-label=${t('turfs.col.turf')}><button class="link" onClick=${() => onSelect(x.id)}>
            <i class="swatch" style=${{ background: turfColor(x.number) }}></i>${t('turfs.turfN', { n: x.number })}</button></td>
          <td data-label=${t('turfs.doors')}>${x.doors}</td>
          <td data-label=${t('turfs.stops')}>${x.stops}</td>
          <td data-label=${t('turfs.walk')}>${formatMetres(x.length_m)}</td>
          <td data-label=${t('turfs.duration')}>${formatMinutes(x.minutes)}</td>
          <td data-label=${t('turfs.compactness')}>${x.polsby_popper === null ? '—' : x.polsby_popper.toFixed(2).replace('.', ',')}</td>
          <td data-label=${t('turfs.col.status')}>${statusBadge(x)}</td>
          <td data-label=${t('turfs.col.who')}>${x.status === 'checked_out' && x.checkout ? [x.checkout.to_name, x.checkout.team].filter(Boolean).join(' · ') : '—'}</td>
        </tr>`)}
      </tbody>
    </table>
  </div>`;
}

function StopList({ campaign, turf, picked, canEdit, tick, onPick }: {
  campaign: string; turf: Turf; picked: ReadonlySet<string>; canEdit: boolean; tick: number; onPick: (a: string) => void;
}) {
  const stops = useAsync(() => turfApi.stops(campaign, turf.id), [campaign, turf.id, turf.revision, tick]);
  return html`<div class="card">
    <h2>${t('turfs.stopsOf', { n: turf.number })}</h2>
    ${stops.error && html`<p class="error">${errorText(stops.error)}</p>`}
    <ol class="stop-list" data-testid="stop-list">
      ${stops.data?.map((s) => html`<li>
        ${canEdit
          ? html`<label class="check"><input type="checkbox" checked=${picked.has(s.address_id)} onChange=${() => onPick(s.address_id)} />
              <span><b>${s.position}.</b> ${s.label} <span class="muted small">${t('turfs.nDoors', { n: s.doors })}</span></span></label>`
          : html`<span><b>${s.position}.</b> ${s.label} <span class="muted small">${t('turfs.nDoors', { n: s.doors })}</span></span>`}
      </li>`)}
    </ol>
  </div>`;
}
