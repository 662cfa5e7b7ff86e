/**
 * What the page needs to know about an index to build its widgets, asked of the server once when
 * the index is chosen: its settings (sortable attributes, embedders, searchable attributes) and one
 * placeholder search with `facets: ["*"]`, whose facetDistribution names every filterable attribute
 * that has values and whose facetStats tells which of them are numeric.
 *
 * A search-only key may not read settings (403): the page still works, without sort choices or the
 * semantic slider, and says why.
 */
import { api, ApiError } from './api.js';

const TITLE_CANDIDATES = ['title', 'name', 'label', 'heading'];
const MAX_TEXT_ATTRIBUTES = 3;
const MAX_META_ATTRIBUTES = 5;

/** @returns {Promise<object>} the index description `buildWidgets` and `renderHit` use. */
export async function discover(key, uid) {
  const path = `/indexes/${encodeURIComponent(uid)}`;
  const [settings, probe] = await Promise.all([
    api(key, 'GET', `${path}/settings`).catch((error) => error),
    probeSearch(key, path),
  ]);
  const notes = [];
  let known = settings;
  if (settings instanceof ApiError) {
    if (settings.status !== 403 && settings.status !== 401) throw settings;
    notes.push('This API key cannot read the index settings: sort choices and the semantic slider are hidden.');
    known = {};
  }
  const facets = facetAttributes(probe);
  const sample = (probe.hits && probe.hits[0]) || {};
  const texts = textAttributes(known.searchableAttributes, sample, facets);
  return {
    uid,
    facets,
    sortable: (known.sortableAttributes || []).filter((name) => name !== '_geo').sort(),
    embedders: queryEmbedders(known.embedders || {}),
    title: texts[0],
    texts: texts.slice(1, 1 + MAX_TEXT_ATTRIBUTES),
    meta: facets.map((facet) => facet.attribute).filter((name) => name !== texts[0]).slice(0, MAX_META_ATTRIBUTES),
    notes,
  };
}

/**
 * One document and every facet's values. An index without filterable attributes refuses
 * `facets: ["*"]` (invalid_search_facets, as Meilisearch does): it simply has no facets.
 */
async function probeSearch(key, path) {
  try {
    return await api(key, 'POST', `${path}/search`, { q: '', limit: 1, facets: ['*'] });
  } catch (error) {
    if (!(error instanceof ApiError) || error.code !== 'invalid_search_facets') throw error;
    return api(key, 'POST', `${path}/search`, { q: '', limit: 1 });
  }
}

/** Filterable attributes with values, each with `numeric` when a range fits it better than a list. */
export function facetAttributes(probe) {
  const distribution = probe.facetDistribution || {};
  const stats = probe.facetStats || {};
  return Object.keys(distribution).sort().map((attribute) => {
    const values = Object.keys(distribution[attribute]);
    const numeric = attribute in stats && values.every((value) => value !== '' && !Number.isNaN(Number(value)));
    return { attribute, numeric, size: values.length, stats: stats[attribute] };
  });
}

/**
 * The attributes a hit shows as text, the title first: the searchable attributes in ranking order
 * when the settings name them; otherwise the sample document's own string fields — a title-like name
 * (or its shortest field) for the title, then its longest texts (the ones worth cropping), leaving
 * out facet values, which the hit shows as facts anyway.
 */
export function textAttributes(searchable, sample, facets = []) {
  const strings = Object.keys(sample).filter((name) => typeof sample[name] === 'string' && !name.startsWith('_'));
  if (Array.isArray(searchable) && searchable.length && !searchable.includes('*')) {
    const listed = searchable.filter((name) => !name.includes('*')
      && (sample[name] === undefined || typeof sample[name] === 'string'));
    if (listed.length) return listed;
  }
  const facetNames = new Set(facets.map((facet) => facet.attribute));
  const candidates = strings.filter((name) => !facetNames.has(name) && name !== 'id');
  const byLength = [...candidates].sort((a, b) => sample[a].length - sample[b].length);
  const title = TITLE_CANDIDATES.find((name) => candidates.includes(name)) || byLength[0];
  const longest = byLength.filter((name) => name !== title).slice(-MAX_TEXT_ATTRIBUTES);
  return title === undefined ? longest : [title, ...longest];
}

/** Embedders that can embed the query text: a `userProvided` one needs a vector, which a search box has not. */
export function queryEmbedders(embedders) {
  return Object.keys(embedders).filter((name) => (embedders[name] || {}).source !== 'userProvided').sort();
}
