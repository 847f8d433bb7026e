// The territory tree: the top of one's territory, opened level by level (children are loaded
// when a node is opened), and the selected node's details and addresses.
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { api, type MyCampaign, type Territory } from '../lib/api';
import { useAsync } from '../lib/hooks';
import { formatNumber, formatPercent, t } from '../i18n';
import { VotesBars } from './map';

export function Territories({ mine, selected }: { mine: MyCampaign; selected: string | null }) {
  const id = mine.campaign.id;
  const [q, setQ] = useState('');
  const roots = useAsync(() => api.territories(id, q.trim() ? { q: q.trim(), limit: 200 } : {}), [id, q]);
  return html`
    <section class="split">
      <div class="card tree-panel">
        <h1>${t('territories.title')}</h1>
        <input type="search" placeholder=${t('territories.search')} aria-label=${t('territories.search')} value=${q}
          onInput=${(e: Event) => setQ((e.target as HTMLInputElement).value)} />
        ${roots.loading && !roots.data && html`<p class="muted">${t('common.loading')}</p>`}
        ${roots.error && html`<p class="error">${roots.error.message}</p>`}
        ${roots.data && roots.data.length === 0 && html`<p class="muted">${t('territories.empty')}</p>`}
        <ul class="tree" role="tree" aria-label=${t('territories.title')}>
          ${roots.data?.map((n) => html`<${Node} key=${n.id} campaign=${id} node=${n} selected=${selected} depth=${0} />`)}
        </ul>
      </div>
      <div class="card detail-panel">
        ${selected ? html`<${Detail} campaign=${id} territory=${selected} />` : html`<p class="muted">${t('territories.select')}</p>`}
      </div>
    </section>`;
}

function Node({ campaign, node, selected, depth }: { campaign: string; node: Territory; selected: string | null; depth: number }) {
  const [open, setOpen] = useState(depth === 0 && node.child_count > 0 && node.child_count <= 30);
  const children = useAsync(
    () => (open && node.child_count > 0 ? api.territories(campaign, { parent: node.id }) : Promise.resolve([] as Territory[])),
    [campaign, node.id, open],
  );
  return html`
    <li role="treeitem" aria-expanded=${node.child_count > 0 ? open : undefined} aria-selected=${selected === node.id}>
      <div class=${`node ${selected === node.id ? 'selected' : ''}`}>
        ${node.child_count > 0
          ? html`<button class="toggle" aria-label=${open ? '−' : '+'} onClick=${() => setOpen(!open)}>${open ? '▾' : '▸'}</button>`
          : html`<span class="toggle-spacer"></span>`}
        <a href=${`#/territories/${node.id}`}>
          <span class="kind">${t(`kind.${node.kind}`)}</span> ${node.name}
        </a>
        ${node.child_count > 0 && html`<span class="count">${formatNumber(node.child_count)}</span>`}
      </div>
      ${open && children.data && children.data.length > 0 && html`
        <ul role="group">
          ${children.data.map((c) => html`<${Node} key=${c.id} campaign=${campaign} node=${c} selected=${selected} depth=${depth + 1} />`)}
        </ul>`}
    </li>`;
}

function Detail({ campaign, territory }: { campaign: string; territory: string }) {
  const detail = useAsync(() => api.territory(campaign, territory), [campaign, territory]);
  const addresses = useAsync(() => api.addresses(campaign, territory, 50), [campaign, territory]);
  if (detail.error) return html`<p class="error">${detail.error.message}</p>`;
  const d = detail.data;
  if (!d) return html`<p class="muted">${t('common.loading')}</p>`;
  return html`
    <nav class="breadcrumb" aria-label="Fil d’Ariane">
      ${d.ancestors.map((a) => html`<a href=${`#/territories/${a.id}`}>${a.name}</a><span aria-hidden="true"> › </span>`)}
      <span>${d.name}</span>
    </nav>
    <h2>${d.name}</h2>
    <dl class="facts">
      <dt>${t(`kind.${d.kind}`)}</dt><dd></dd>
      <dt>${t('territories.code')}</dt><dd><code>${d.code}</code></dd>
      <dt>${t('territories.children')}</dt><dd>${formatNumber(d.child_count)}</dd>
    </dl>
    <${Results} campaign=${campaign} territory=${territory} />
    ${d.kind === 'iris' && html`<${Census} campaign=${campaign} territory=${territory} />`}
    <h3>${t('territories.addresses')}</h3>
    ${addresses.data && addresses.data.length === 0 && html`<p class="muted">${t('territories.noAddresses')}</p>`}
    ${addresses.error && html`<p class="error">${addresses.error.message}</p>`}
    <ul class="addresses">
      ${addresses.data?.map((a) => html`<li>${a.label} <span class="muted">${t('territories.doors', { n: a.doors_estimated })}</span></li>`)}
    </ul>`;
}

function Results({ campaign, territory }: { campaign: string; territory: string }) {
  const elections = useAsync(() => api.elections(campaign), [campaign]);
  const [election, setElection] = useState('');
  const code = election || elections.data?.[0]?.code || '';
  const r = useAsync(() => (code ? api.results(campaign, territory, code) : Promise.resolve(null)), [campaign, territory, code]);
  if (!elections.data || elections.data.length === 0) return null;
  return html`
    <div class="results" data-testid="results">
      <h3>${t('results.title')}
        <select class="inline" aria-label=${t('map.election')} value=${code} onChange=${(e: Event) => setElection((e.target as HTMLSelectElement).value)}>
          ${elections.data.map((e) => html`<option value=${e.code}>${e.label}</option>`)}
        </select>
      </h3>
      ${r.error && html`<p class="muted">${r.error.message}</p>`}
      ${r.data && r.data.bureaux > 0 && html`
        <p class="muted small">${[
          t('results.bureaux', { n: formatNumber(r.data.bureaux) }),
          `${t('results.inscrits')} ${formatNumber(r.data.counts.inscrits)}`,
          `${t('results.abstention')} ${formatPercent(r.data.abstention_rate)}`,
        ].join(' · ')}</p>
        <${VotesBars} votes=${r.data.candidates.slice(0, 12)} />`}
    </div>`;
}

function Census({ campaign, territory }: { campaign: string; territory: string }) {
  const values = useAsync(() => api.census(campaign, territory), [campaign, territory]);
  if (!values.data || values.data.length === 0) return null;
  const pick = ['P15_POP1564', 'P15_ACT1564', 'P15_CHOM1564', 'P15_NSCOL15P', 'P15_NSCOL15P_SUP', 'DISP_MED15'];
  const shown = values.data.filter((v) => pick.includes(v.variable));
  return html`
    <h3>${t('census.title')}</h3>
    <dl class="facts census">
      ${(shown.length ? shown : values.data.slice(0, 8)).map((v) => html`<dt><code>${v.variable}</code></dt><dd>${formatNumber(Math.round(v.value))}</dd>`)}
    </dl>`;
}
