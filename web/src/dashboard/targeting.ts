// Targeting: LMP's potential of each bureau (abstention × the bloc's share), its class, and
// the bureaux a door budget buys, on the map and in a table, with the plan's expected yield.
import { html } from 'htm/preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, type BureauTarget, type MyCampaign, type Targeting } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { CLASS_COLORS, GeoMap, type Props } from '../lib/map';
import { formatNumber, formatPercent, t } from '../i18n';
import { ExperimentsBox } from './experiment';

const BLOCS = ['far_left', 'left', 'ecologist', 'centre', 'right', 'far_right'];
type SortKey = 'rank' | 'po' | 'inscrits' | 'abstention_rate' | 'bloc_share';

export function TargetingPage({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const elections = useAsync(() => api.elections(id), [id]);
  const [election, setElection] = useState('');
  const [blocs, setBlocs] = useState<string[]>(['left']);
  const [budget, setBudget] = useState(0);
  const [debounced, setDebounced] = useState(0);
  const [sort, setSort] = useState<SortKey>('rank');
  const code = election || elections.data?.[0]?.code || '';
  useEffect(() => {
    const h = setTimeout(() => setDebounced(budget), 250);
    return () => clearTimeout(h);
  }, [budget]);
  const query = { election: code || undefined, blocs: blocs.join(','), budget_doors: debounced };
  const result = useAsync<Targeting | null>(
    () => (code ? api.targeting(id, query) : Promise.resolve(null)),
    [id, code, blocs.join(','), debounced],
  );
  const layer = useAsync(() => api.map(id, 'bureau', code || undefined), [id, code]);
  const byId = useMemo(() => new Map(result.data?.bureaux.map((b) => [b.id, b])), [result.data]);
  const totalDoors = useMemo(() => Math.ceil(result.data?.bureaux.reduce((s, b) => s + b.doors, 0) ?? 0), [result.data]);
  useEffect(() => {
    if (totalDoors > 0 && budget === 0) setBudget(Math.round(totalDoors * 0.2));
  }, [totalDoors]);
  const color = useCallback((p: Props) => CLASS_COLORS[byId.get(p.id as string)?.class ?? 'none'], [byId]);
  const highlight = useCallback((p: Props) => byId.get(p.id as string)?.selected ?? false, [byId]);
  const tooltip = useCallback((p: Props) => {
    const b = byId.get(p.id as string);
    return b ? `${b.name} — PO ${formatPercent(b.po)}, ${t('targeting.rank')} ${b.rank}` : (p.name as string);
  }, [byId]);
  const sorted = useMemo(() => {
    const list = [...(result.data?.bureaux ?? [])];
    return sort === 'rank' ? list : list.sort((a, b) => (b[sort] as number) - (a[sort] as number));
  }, [result.data, sort]);
  const toggle = (b: string) => setBlocs(blocs.includes(b) ? blocs.filter((x) => x !== b) : [...blocs, b]);
  const plan = result.data?.plan;
  return html`
    <section>
      <h1>${t('targeting.title')}</h1>
      <p class="muted">${t('targeting.intro')}</p>
      <div class="card toolbar">
        <label>${t('map.election')}
          <select value=${code} onChange=${(e: Event) => {
            setElection((e.target as HTMLSelectElement).value);
            // A new election has other bureaux and doors: start again from a fifth of them.
            setBudget(0);
          }}>
            ${elections.data?.map((e) => html`<option value=${e.code}>${e.label}</option>`)}
          </select>
        </label>
        <fieldset class="blocs"><legend>${t('targeting.blocs')}</legend>
          ${BLOCS.map((b) => html`<label class="check"><input type="checkbox" checked=${blocs.includes(b)} onChange=${() => toggle(b)} />${t(`bloc.${b}` as never)}</label>`)}
        </fieldset>
        <label class="budget">${t('targeting.budget', { doors: formatNumber(budget) })}
          <input type="range" min="0" max=${totalDoors} step="50" value=${budget} aria-label=${t('targeting.budgetLabel')}
            onInput=${(e: Event) => setBudget(Number((e.target as HTMLInputElement).value))} />
        </label>
      </div>
      ${result.error && html`<p class="card error">${result.error.message}</p>`}
      ${plan && html`
        <div class="cards" data-testid="yield">
          <div class="card stat"><div class="label">${t('targeting.bureaux')}</div><div class="value">${formatNumber(plan.bureaux)}</div></div>
          <div class="card stat"><div class="label">${t('targeting.doors')}</div><div class="value">${formatNumber(Math.round(plan.doors))}</div></div>
          <div class="card stat"><div class="label">${t('targeting.opened')}</div><div class="value">${formatNumber(Math.round(plan.doors_opened))}</div></div>
          <div class="card stat"><div class="label">${t('targeting.hours')}</div><div class="value">${formatNumber(Math.round(plan.hours))}</div></div>
          <div class="card stat"><div class="label">${t('targeting.targets')}</div><div class="value">${formatNumber(Math.round(plan.target_electors_at_opened_doors))}</div></div>
        </div>`}
      <div class="map-layout">
        <div class="card map-card">
          <${GeoMap} data=${layer.data} color=${color} highlight=${highlight} tooltip=${tooltip} label=${t('targeting.title')} />
          <div class="legend">
            ${(['red', 'orange', 'yellow', 'none'] as const).map((c) => html`<span><i style=${{ background: CLASS_COLORS[c] }}></i>${t(`class.${c}` as never)} (${result.data?.classes[c] ?? 0})</span>`)}
            <span><i class="outlined"></i>${t('targeting.inPlan')}</span>
          </div>
        </div>
        <aside class="card side">
          <h2>${t('targeting.export')}</h2>
          <p><a class="button" href=${api.targetingExport(id, query, 'csv')} download>${t('targeting.csv')}</a></p>
          <p><a class="button" href=${api.targetingExport(id, query, 'geojson')} download>${t('targeting.geojson')}</a></p>
          <p class="muted small">${t('targeting.method')}</p>
        </aside>
      </div>
      <${ExperimentsBox} mine=${mine} election=${code} blocs=${blocs.join(',')} budget=${debounced} />
      <div class="card">
        <table class="table" data-testid="targeting-table">
          <thead><tr>
            ${(['rank', 'name', 'inscrits', 'abstention_rate', 'bloc_share', 'po'] as const).map((k) => html`<th>
              ${k === 'name' ? t('targeting.col.name') : html`<button class="link" onClick=${() => setSort(k as SortKey)}>${t(`targeting.col.${k}` as never)}${sort === k ? ' ▾' : ''}</button>`}
            </th>`)}
            <th>${t('targeting.col.class')}</th>
          </tr></thead>
          <tbody>
            ${sorted.slice(0, 200).map((b: BureauTarget) => html`<tr class=${b.selected ? 'chosen' : ''}>
              <td data-label=${t('targeting.col.rank')}>${b.rank}</td>
              <td data-label=${t('targeting.col.name')}><a href=${`#/territories/${b.id}`}>${b.name}</a> <span class="muted small">${b.code}</span></td>
              <td data-label=${t('targeting.col.inscrits')}>${formatNumber(b.inscrits)}</td>
              <td data-label=${t('targeting.col.abstention_rate')}>${formatPercent(b.abstention_rate)}</td>
              <td data-label=${t('targeting.col.bloc_share')}>${formatPercent(b.bloc_share)}</td>
              <td data-label=${t('targeting.col.po')}>${formatPercent(b.po, 2)}</td>
              <td data-label=${t('targeting.col.class')}><span class=${`dot class-${b.class}`}></span>${t(`class.${b.class}` as never)}</td>
            </tr>`)}
          </tbody>
        </table>
        ${sorted.length > 200 && html`<p class="muted small">${t('targeting.more', { n: formatNumber(sorted.length - 200) })}</p>`}
      </div>
    </section>`;
}
