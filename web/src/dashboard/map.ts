// The map of bureaux de vote (or IRIS) inside one's territory, coloured by an election's
// results: the leading bloc, the abstention, or one bloc's share; a click shows the bureau.
import { html } from 'htm/preact';
import { useCallback, useMemo, useState } from 'preact/hooks';
import { api, type MyCampaign } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { BLOC_COLORS, GeoMap, ramp, type Props } from '../lib/map';
import { formatNumber, formatPercent, t } from '../i18n';

type ColorBy = 'leader' | 'abstention' | `bloc_${string}`;
const BLOCS = ['far_left', 'left', 'ecologist', 'centre', 'right', 'far_right'];

const pct = (v: unknown) => (typeof v === 'number' ? formatPercent(v) : '—');

export function MapPage({ mine }: { mine: MyCampaign }) {
  const id = mine.campaign.id;
  const elections = useAsync(() => api.elections(id), [id]);
  const [election, setElection] = useState<string>('');
  const [colorBy, setColorBy] = useState<ColorBy>('leader');
  const [selected, setSelected] = useState<Props | null>(null);
  const code = election || elections.data?.[0]?.code || '';
  const layer = useAsync(() => api.map(id, 'bureau', code || undefined), [id, code]);
  const color = useCallback(
    (p: Props) => {
      if (colorBy === 'leader') return p.leader ? (BLOC_COLORS[(p.leader_bloc as string) ?? 'unknown'] ?? BLOC_COLORS.unknown) : '#dddddd';
      if (colorBy === 'abstention') return typeof p.abstention_rate === 'number' ? ramp((p.abstention_rate as number) / 0.5) : '#dddddd';
      const v = p[colorBy];
      return typeof v === 'number' ? ramp(v / 0.6) : typeof p.abstention_rate === 'number' ? ramp(0) : '#dddddd';
    },
    [colorBy],
  );
  const tooltip = useCallback(
    (p: Props) => `${p.name as string} — ${(p.leader as string) ?? '—'} ${p.leader_share !== undefined ? pct(p.leader_share) : ''}`,
    [],
  );
  const onSelect = useCallback((p: Props) => setSelected(p), []);
  const count = layer.data?.features.length ?? 0;
  const legend = useMemo(() => {
    const none = { color: '#dddddd', label: t('map.noResult') };
    if (colorBy === 'leader') return [...BLOCS.map((b) => ({ color: BLOC_COLORS[b], label: t(`bloc.${b}` as never) })), none];
    const top = colorBy === 'abstention' ? 0.5 : 0.6;
    return [...[0, 0.25, 0.5, 0.75, 1].map((f) => ({ color: ramp(f), label: formatPercent(f * top, 0) })), none];
  }, [colorBy]);
  return html`
    <section>
      <h1>${t('map.title')}</h1>
      <div class="card toolbar">
        <label>${t('map.election')}
          <select value=${code} onChange=${(e: Event) => setElection((e.target as HTMLSelectElement).value)}>
            ${elections.data?.map((e) => html`<option value=${e.code}>${e.label}</option>`)}
          </select>
        </label>
        <label>${t('map.colorBy')}
          <select value=${colorBy} onChange=${(e: Event) => setColorBy((e.target as HTMLSelectElement).value as ColorBy)}>
            <option value="leader">${t('map.byLeader')}</option>
            <option value="abstention">${t('map.byAbstention')}</option>
            ${BLOCS.map((b) => html`<option value=${`bloc_${b}`}>${t('map.byBloc', { bloc: t(`bloc.${b}` as never) })}</option>`)}
          </select>
        </label>
        <span class="muted small">${t('map.count', { n: formatNumber(count) })}</span>
      </div>
      ${elections.data && elections.data.length === 0 && html`<p class="card muted">${t('map.noData')}</p>`}
      <div class="map-layout">
        <div class="card map-card">
          <${GeoMap} data=${layer.data} color=${color} tooltip=${tooltip} onSelect=${onSelect}
            selected=${(selected?.id as string) ?? null} label=${t('map.title')} />
          <div class="legend" aria-label=${t('map.legend')}>
            ${legend.map((l) => html`<span><i style=${{ background: l.color }}></i>${l.label}</span>`)}
          </div>
        </div>
        <aside class="card side">
          ${selected
            ? html`<${BureauPanel} campaign=${id} props=${selected} election=${code} />`
            : html`<p class="muted">${t('map.pick')}</p>`}
        </aside>
      </div>
    </section>`;
}

function BureauPanel({ campaign, props, election }: { campaign: string; props: Props; election: string }) {
  const id = props.id as string;
  const r = useAsync(() => api.results(campaign, id, election || undefined), [campaign, id, election]);
  return html`
    <h2>${props.name as string}</h2>
    <p class="muted small"><code>${props.code as string}</code> · <a href=${`#/territories/${id}`}>${t('map.open')}</a></p>
    ${r.error && html`<p class="error">${r.error.message}</p>`}
    ${r.data && html`
      <dl class="facts">
        <dt>${t('results.inscrits')}</dt><dd>${formatNumber(r.data.counts.inscrits)}</dd>
        <dt>${t('results.abstention')}</dt><dd>${pct(r.data.abstention_rate)}</dd>
        <dt>${t('results.exprimes')}</dt><dd>${formatNumber(r.data.counts.exprimes)}</dd>
      </dl>
      <${VotesBars} votes=${r.data.candidates} />`}`;
}

/** Horizontal bars of votes, coloured by bloc. */
export function VotesBars({ votes }: { votes: Array<{ name: string; bloc: string | null; share: number; votes: number }> }) {
  return html`<ul class="bars">
    ${votes.map((v) => html`<li>
      <span class="bar-label">${v.name}</span>
      <span class="bar"><i style=${{ width: `${(100 * v.share).toFixed(1)}%`, background: BLOC_COLORS[v.bloc ?? 'unknown'] ?? BLOC_COLORS.unknown }}></i></span>
      <span class="bar-value">${pct(v.share)}</span>
    </li>`)}
  </ul>`;
}
