/**
 * The InstantSearch widgets for one index, chosen from what `discover` found: a refinement list per
 * text facet, a numeric range per numeric facet, a sort choice per sortable attribute. Containers
 * for the facets are created here because their number depends on the index.
 */
import {
  clearRefinements,
  configure,
  hits,
  pagination,
  panel,
  rangeInput,
  refinementList,
  searchBox,
  sortBy,
  stats,
} from 'instantsearch.js/es/widgets';
import { hitTemplate } from './hits.js';

const HITS_PER_PAGE = 20;
const CROP_WORDS = 30;
const FACET_VALUES_SHOWN = 8;
/** A facet with more values than this gets a search field above its list. */
const SEARCHABLE_FACET_SIZE = 12;

export function buildWidgets(info, elements) {
  return [
    configure({
      hitsPerPage: HITS_PER_PAGE,
      // only what a hit shows is highlighted: less formatting on the server and in the browser
      // than instant-meilisearch's default (every attribute), on every keystroke
      attributesToHighlight: info.title ? [info.title, ...info.texts] : ['*'],
      attributesToSnippet: info.texts.map((attribute) => `${attribute}:${CROP_WORDS}`),
      snippetEllipsisText: '…',
    }),
    searchBox({
      container: elements.searchbox,
      placeholder: `Search ${info.uid}…`,
      autofocus: true,
      showLoadingIndicator: true,
    }),
    stats({ container: elements.stats, templates: { text: statsText } }),
    hits({
      container: elements.hits,
      templates: { item: hitTemplate(info), empty: (results, { html }) => html`<p class="empty">No results for “${results.query}”.</p>` },
    }),
    pagination({ container: elements.pagination, padding: 2, showFirst: false, showLast: false }),
    ...sortWidgets(info, elements),
    ...facetWidgets(info, elements.facets),
  ];
}

/** "1,234 results in 3 ms": the hit count (exact: finite pagination) and the server's processing time. */
function statsText(data, { html }) {
  const noun = data.nbHits === 1 ? 'result' : 'results';
  return html`<span><strong>${data.nbHits.toLocaleString('en')}</strong> ${noun} in ${data.processingTimeMS} ms</span>`;
}

function sortWidgets(info, elements) {
  elements.sortLabel.hidden = info.sortable.length === 0;
  if (!info.sortable.length) return [];
  const items = [{ value: info.uid, label: 'Relevance' }];
  for (const attribute of info.sortable) {
    items.push({ value: `${info.uid}:${attribute}:asc`, label: `${attribute} ascending` });
    items.push({ value: `${info.uid}:${attribute}:desc`, label: `${attribute} descending` });
  }
  return [sortBy({ container: elements.sort, items })];
}

function facetWidgets(info, container) {
  container.replaceChildren();
  if (!info.facets.length) {
    container.append(paragraph('This index has no filterable attributes with values.', 'empty'));
    return [];
  }
  const clear = document.createElement('div');
  container.append(clear);
  const widgets = [clearRefinements({ container: clear, templates: { resetLabel: () => 'Clear filters' } })];
  for (const facet of info.facets) {
    const slot = document.createElement('div');
    slot.className = 'facet';
    slot.dataset.attribute = facet.attribute;
    container.append(slot);
    widgets.push(facet.numeric ? rangeWidget(facet, slot) : listWidget(facet, slot));
  }
  return widgets;
}

function titled(facet) {
  return panel({ templates: { header: () => facet.attribute } });
}

function listWidget(facet, slot) {
  return titled(facet)(refinementList)({
    container: slot,
    attribute: facet.attribute,
    limit: FACET_VALUES_SHOWN,
    showMore: facet.size > FACET_VALUES_SHOWN,
    showMoreLimit: 50,
    searchable: facet.size > SEARCHABLE_FACET_SIZE,
    searchablePlaceholder: `Search ${facet.attribute}…`,
  });
}

function rangeWidget(facet, slot) {
  return titled(facet)(rangeInput)({
    container: slot,
    attribute: facet.attribute,
    templates: { separatorText: () => 'to', submitText: () => 'Apply' },
  });
}

function paragraph(text, className) {
  const p = document.createElement('p');
  p.className = className;
  p.textContent = text;
  return p;
}
