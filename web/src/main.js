/**
 * Loupe's search preview: choose an index, type, see results on every keystroke.
 *
 * Searches go through InstantSearch and @meilisearch/instant-meilisearch unchanged — the stack
 * production frontends use against Meilisearch — so the page doubles as proof that they work against
 * Loupe. The API key lives in this browser only (localStorage) and is sent with every API call.
 * Every failure ends as a sentence in the message area; the page is never left blank.
 */
import instantsearch from 'instantsearch.js/es';
import { instantMeiliSearch } from '@meilisearch/instant-meilisearch';
import { api, apiBase, describeError, errorFacts } from './api.js';
import { discover } from './discover.js';
import { buildWidgets } from './widgets.js';

const KEY_STORAGE = 'loupe.preview.apiKey';
const INDEX_STORAGE = 'loupe.preview.index';
const DEFAULT_SEMANTIC_RATIO = 0.5;
const NARROW_SCREEN = '(max-width: 720px)';

const $ = (id) => document.getElementById(id);
const elements = {
  key: $('api-key'),
  forget: $('forget-key'),
  index: $('index'),
  typedIndexLabel: $('typed-index-label'),
  typedIndex: $('typed-index'),
  message: $('message'),
  notes: $('notes'),
  searchbox: $('searchbox'),
  stats: $('stats'),
  sortLabel: $('sort-label'),
  sort: $('sort'),
  semantic: $('semantic'),
  filters: $('filters'),
  facets: $('facets'),
  results: $('results'),
  hits: $('hits'),
  pagination: $('pagination'),
};

const state = {
  key: readStorage(KEY_STORAGE),
  index: readStorage(INDEX_STORAGE),
  search: null,
  generation: 0, // the latest index opening; older ones finishing late are ignored
};

function readStorage(name) {
  try {
    return window.localStorage.getItem(name) || '';
  } catch {
    return ''; // storage disabled: the page still works, it just forgets
  }
}

function writeStorage(name, value) {
  try {
    if (value) window.localStorage.setItem(name, value);
    else window.localStorage.removeItem(name);
  } catch {
    /* storage disabled */
  }
}

// --- messages -------------------------------------------------------------------------------------

function showMessage(text) {
  elements.message.textContent = text;
  elements.message.hidden = false;
}

function clearMessage() {
  elements.message.textContent = '';
  elements.message.hidden = true;
}

function showNotes(notes) {
  elements.notes.textContent = notes.join(' ');
  elements.notes.hidden = notes.length === 0;
}

/** Text in the results area when there are no results to show (loading, no index, an error). */
function showPlaceholder(text) {
  elements.hits.replaceChildren();
  const p = document.createElement('p');
  p.className = 'placeholder';
  p.textContent = text;
  elements.hits.append(p);
}

// --- the API key ----------------------------------------------------------------------------------

function applyKey() {
  const key = elements.key.value.trim();
  if (key === state.key) return;
  state.key = key;
  writeStorage(KEY_STORAGE, key);
  refreshIndexes();
}

function wireKeyField() {
  elements.key.value = state.key;
  elements.key.addEventListener('change', applyKey);
  elements.key.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') applyKey();
  });
  elements.forget.addEventListener('click', () => {
    elements.key.value = '';
    applyKey();
    elements.key.focus();
  });
}

// --- the index chooser ----------------------------------------------------------------------------

function setIndexOptions(uids) {
  elements.index.replaceChildren(...uids.map((uid) => new Option(uid, uid)));
  elements.index.disabled = uids.length === 0;
}

function wireIndexChooser() {
  elements.index.addEventListener('change', () => openIndex(elements.index.value));
  const openTyped = () => {
    const uid = elements.typedIndex.value.trim();
    if (uid && uid !== state.index) openIndex(uid);
  };
  elements.typedIndex.addEventListener('change', openTyped);
  elements.typedIndex.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') openTyped();
  });
}

/** Lists the indexes; a key that may search but not list indexes can still type an index uid. */
async function refreshIndexes() {
  clearMessage();
  let listing;
  try {
    listing = await api(state.key, 'GET', '/indexes?limit=1000');
  } catch (error) {
    setIndexOptions([]);
    elements.typedIndexLabel.hidden = false;
    elements.typedIndex.value = state.index;
    teardown();
    showMessage(listingError(error));
    showPlaceholder('No results to show until the index list loads, or type an index uid above.');
    return;
  }
  elements.typedIndexLabel.hidden = true;
  const uids = listing.results.map((index) => index.uid);
  setIndexOptions(uids);
  if (uids.length === 0) {
    teardown();
    showPlaceholder('This server has no index yet. Load the demo data with: python3 data/load_demo.py');
    return;
  }
  const chosen = uids.includes(state.index) ? state.index : (uids.includes('packages') ? 'packages' : uids[0]);
  elements.index.value = chosen;
  await openIndex(chosen);
}

/** A search-only key may not list indexes but can still search: say so, and where to type the uid. */
function listingError(error) {
  const { status } = errorFacts(error);
  if (status === 403) {
    return `${describeError(error)} A key that may only search cannot list indexes: type the index uid instead.`;
  }
  return describeError(error);
}

// --- one index's search ---------------------------------------------------------------------------

async function openIndex(uid) {
  const generation = ++state.generation;
  teardown();
  showPlaceholder(`Loading ${uid}…`);
  let info;
  try {
    info = await discover(state.key, uid);
  } catch (error) {
    if (generation !== state.generation) return;
    showMessage(describeError(error));
    showPlaceholder('No results to show: see the message above.');
    return;
  }
  if (generation !== state.generation) return;
  state.index = uid;
  writeStorage(INDEX_STORAGE, uid);
  clearMessage();
  showNotes(info.notes);
  mount(info);
}

function teardown() {
  if (state.search) {
    state.search.dispose();
    state.search = null;
  }
  elements.facets.replaceChildren();
  elements.semantic.replaceChildren();
  elements.semantic.hidden = true;
  showNotes([]);
}

function mount(info) {
  const params = {};
  const { searchClient, setMeiliSearchParams } = instantMeiliSearch(apiBase(), state.key || undefined, {
    finitePagination: true, // exact hit counts and page numbers
    meiliSearchParams: params,
  });
  const search = instantsearch({ indexName: info.uid, searchClient, insights: false });
  elements.hits.replaceChildren();
  search.addWidgets(buildWidgets(info, elements));
  search.on('error', (error) => showMessage(describeError(error)));
  search.on('render', () => rendered(search));
  semanticSlider(info, (hybrid) => {
    setMeiliSearchParams({ ...params, hybrid });
    searchClient.clearCache();
    search.refresh();
  }, params);
  state.search = search;
  search.start();
}

/**
 * After each render: clear a past error once a search succeeds, and record on the results region
 * which query it shows and whether a search is in flight (`aria-busy`, for assistive technology).
 */
function rendered(search) {
  if (search.status !== 'error') clearMessage();
  const results = search.mainIndex.getResults();
  if (results) elements.results.dataset.query = results.query || '';
  elements.results.setAttribute('aria-busy', String(search.status === 'loading' || search.status === 'stalled'));
}

/**
 * The semanticRatio slider, shown when the index has an embedder that can embed a query: 0 is
 * keyword search only, 1 semantic only (Meilisearch's `hybrid` parameter).
 */
function semanticSlider(info, apply, params) {
  if (!info.embedders.length) return;
  const embedder = info.embedders[0];
  params.hybrid = { embedder, semanticRatio: DEFAULT_SEMANTIC_RATIO };
  const label = document.createElement('label');
  label.className = 'semantic';
  label.append('Semantic ratio ');
  const slider = Object.assign(document.createElement('input'), {
    type: 'range', id: 'semantic-ratio', min: '0', max: '1', step: '0.1', value: String(DEFAULT_SEMANTIC_RATIO),
  });
  const output = document.createElement('output');
  output.htmlFor = 'semantic-ratio';
  output.textContent = slider.value;
  label.append(slider, output);
  const chooser = embedderChooser(info.embedders);
  const update = () => {
    output.textContent = slider.value;
    apply({ embedder: chooser ? chooser.value : embedder, semanticRatio: Number(slider.value) });
  };
  slider.addEventListener('change', update);
  if (chooser) chooser.addEventListener('change', update);
  elements.semantic.append(label);
  if (chooser) elements.semantic.append(chooser.parentElement);
  elements.semantic.hidden = false;
}

function embedderChooser(names) {
  if (names.length < 2) return null;
  const label = document.createElement('label');
  label.append('Embedder ');
  const select = document.createElement('select');
  select.append(...names.map((name) => new Option(name, name)));
  label.append(select);
  return select;
}

// --- start ----------------------------------------------------------------------------------------

function start() {
  window.addEventListener('error', (event) => showMessage(`The page hit an error: ${event.message}`));
  window.addEventListener('unhandledrejection', (event) => showMessage(describeError(event.reason)));
  elements.filters.open = !window.matchMedia(NARROW_SCREEN).matches; // phones: filters folded under a button
  wireKeyField();
  wireIndexChooser();
  refreshIndexes();
}

start();
